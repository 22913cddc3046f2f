//! Runs a kernel from sources to a sink in bounded memory.
//!
//! The output is cut into slabs: ranges of rows of its axis 0. When the
//! whole run fits in the memory budget there is one slab and the run is the
//! in-memory run (time steps included). Otherwise every slab is read with
//! the halo rows its footprint needs, computed, and written, on three
//! threads at once (a reader, the computing pool, a writer) with at most
//! one slab waiting between them. Slabs follow the storage's chunks along
//! axis 0 where it has some (Zarr, image frames), so each chunk is written
//! once.
//!
//! Boundaries are global, not per slab: where axis 0 is a core axis, the
//! halo rows past the array's ends are the rows the boundary mode names
//! (the far side for `wrap`), read like any other row, and `index(0)` and
//! `shape(0)` see the whole array (`exec::Window`). Where axis 0 is a loop
//! axis, slabs are independent and need no halo.
//!
//! A kernel with several outputs writes one sink per output; a slab is
//! computed once for all of them. `--steps N` that does not fit in memory
//! runs N passes, each through a temporary `.npy` per state field beside
//! the outputs; the inputs past the state fields are read by every pass.

mod pass;
pub mod resume;
pub mod sink;
pub mod slab;
pub mod source;
mod splice;

use std::path::PathBuf;
use std::sync::Arc;

use sink::{NpySink, Sink};
use stn::Call;
use stn::Kernel;
use stn::Options;
use stn::internals::dtype::DType;
use stn::internals::error::{Error, Result};
use stn::internals::exec::model;
use stn::internals::parse::human_bytes;

/// Refuses outputs that would replace an input: an output file, frame or
/// Zarr folder that is (through any path: `./x.npy`, a link) a file some
/// source reads. stn never writes its inputs; writing the result under an
/// input's name would destroy the input even where the result is right.
/// `frames` is the length of axis 0 (the frames of a `{}` output).
pub fn refuse_replacing_inputs(
    sources: &[Box<dyn Source>],
    outputs: &[String],
    frames: usize,
) -> Result<()> {
    let read: Vec<(PathBuf, PathBuf)> = (sources.iter())
        .flat_map(|s| s.paths())
        .filter_map(|p| Some((p.canonicalize().ok()?, p)))
        .collect();
    for spec in outputs {
        let paths: Vec<PathBuf> = if spec.contains("{}") {
            (0..frames)
                .map(|i| crate::image::frame_path(spec, i, frames))
                .collect()
        } else {
            vec![PathBuf::from(spec)]
        };
        for p in paths {
            let Ok(c) = p.canonicalize() else { continue };
            if let Some((_, input)) = read.iter().find(|(r, _)| *r == c) {
                return Err(Error::usage(format!(
                    "output `{}` would replace input `{}`: stn never writes its inputs; give the output another path",
                    p.display(),
                    input.display()
                )));
            }
        }
    }
    Ok(())
}
use slab::row_bytes;
use source::{Source, rows_of};

/// How much memory a run may use, and who hears about progress.
#[derive(Clone)]
pub struct StreamOptions {
    /// Bytes of array data the run may hold at once.
    pub memory: usize,
    /// Where the intermediate arrays of out-of-core `--steps` go.
    pub temp_dir: PathBuf,
    /// Called as output bytes are finished.
    pub progress: Option<Arc<dyn Fn(Progress) + Send + Sync>>,
}

/// How far a run is.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Output bytes computed so far (over all passes).
    pub bytes: u64,
    /// Output bytes in all (times the number of passes).
    pub total: u64,
    pub slabs: usize,
    pub total_slabs: usize,
}

/// How a run is cut into slabs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// One per output.
    pub out_dtypes: Vec<DType>,
    pub out_shape: Vec<usize>,
    /// Output rows per slab (the last may be shorter).
    pub slab_rows: usize,
    /// Whether axis 0 is the first core axis (then slabs carry halo rows).
    pub core_axis0: bool,
    /// Whether the output is computed in one piece (axis 0 is a later core
    /// axis; such runs fit in memory).
    pub one_piece: bool,
    /// Halo rows before and after a slab along axis 0 (read only when
    /// there are several slabs).
    pub halo: (usize, usize),
    /// Passes over the data, by their steps: one pass of every step when
    /// the run fits in memory, one pass per step out of core.
    pub passes: Vec<usize>,
}

impl Plan {
    pub fn slabs(&self) -> usize {
        rows_of(&self.out_shape).div_ceil(self.slab_rows.max(1))
    }

    /// Bytes of one row of axis 0 of every output together.
    pub fn out_row_bytes(&self) -> usize {
        (self.out_dtypes.iter())
            .map(|&d| row_bytes(d, &self.out_shape))
            .sum()
    }

    /// Bytes of all outputs together.
    pub fn out_bytes(&self) -> u64 {
        self.out_row_bytes() as u64 * rows_of(&self.out_shape) as u64
    }
}

/// Whether input `s` is read slab by slab (it spans the output's axis 0),
/// rather than whole (broadcast along axis 0, or no axis 0 at all).
fn streamed(s: &dyn Source, out_shape: &[usize]) -> bool {
    !out_shape.is_empty() && s.shape().len() == out_shape.len() && s.shape()[0] == out_shape[0]
}

/// Resolves the call of `kernel` on `sources` with `opts` (from their
/// dtypes and shapes; nothing is read). Images with colour channels are
/// filtered per channel (docs/language.md §10): unless `opts` names the core axes, a
/// 2-D kernel takes (H, W) of such an image as its core axes, a 1-D one W;
/// a kernel with more core axes needs them named.
pub fn call(kernel: &Kernel, sources: &[Box<dyn Source>], opts: &Options) -> Result<Call> {
    let dtypes: Vec<DType> = sources.iter().map(|s| s.dtype()).collect();
    let shapes: Vec<Vec<usize>> = sources.iter().map(|s| s.shape().to_vec()).collect();
    if opts.names_axes() || !sources.iter().any(|s| s.channels()) {
        return kernel.call_for(&dtypes, &shapes, opts);
    }
    let ndim = kernel.check(&dtypes)?.ndim;
    let channel_axes: Vec<isize> = match ndim {
        1 => vec![-2],
        2 => vec![-3, -2],
        n => {
            let first = sources
                .iter()
                .find(|s| s.channels())
                .expect("one has channels");
            return Err(Error::usage(format!(
                "`{}` is an image with colour channels (its last axis), and kernel `{}` has {n} core axes: \
                 name them with --axes, e.g. --axes {}",
                first.name(),
                kernel.name(),
                (0..n)
                    .map(|k| (k as isize - n as isize - 1).to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            )));
        }
    };
    let named = sources
        .iter()
        .map(|s| match s.channels() {
            true => channel_axes.clone(),
            false => (-(ndim as isize)..0).collect(),
        })
        .collect();
    kernel.call_for(&dtypes, &shapes, &opts.clone().axes_per_input(named))
}

/// Plans a run: cuts the output of `call` into slabs that fit in `memory`
/// bytes.
pub fn plan(
    call: &Call,
    sources: &[Box<dyn Source>],
    chunk_rows: Option<usize>,
    memory: usize,
) -> Result<Plan> {
    let out_shape = call.out_shape().to_vec();
    let out_dtypes = call.out_dtypes().to_vec();
    let n = rows_of(&out_shape);
    // Where axis 0 is a core axis, slabs carry halo rows along it, which
    // `exec::Window` takes along the first core axis.
    // Where axis 0 is a later core axis (`--axes` put it there), the run
    // is one piece in memory.
    let core = call.core_axes();
    let one_piece = !out_shape.is_empty() && core.contains(&0) && core[0] != 0;
    let core_axis0 = !out_shape.is_empty() && core.first() == Some(&0);
    // A pipeline's halo is the reach of all its stages together.
    let fp = call.footprint();
    let halo = if !core_axis0 || fp.ndim() == 0 {
        (0, 0)
    } else if call.is_pipeline() {
        // Stages read each other under their own modes: rows folded back
        // at an edge can lie further in than the plain reach (see
        // `graph::folded_reach`). Out-of-core steps are one pass each.
        let a = call.folded_reach()[0];
        (a, a)
    } else {
        fp.reach(0)
    };
    let out_row: usize = out_dtypes.iter().map(|&d| row_bytes(d, &out_shape)).sum();
    let in_row: usize = sources
        .iter()
        .filter(|s| streamed(s.as_ref(), &out_shape))
        .map(|s| row_bytes(s.dtype(), s.shape()))
        .sum();
    let resident: usize = sources
        .iter()
        .map(|s| {
            s.resident_bytes()
                + if streamed(s.as_ref(), &out_shape) {
                    0
                } else {
                    s.shape().iter().product::<usize>() * s.dtype().size()
                }
        })
        .sum();
    // In memory: the inputs, the output, and for time steps two more
    // arrays of the output's size.
    let steps = call.steps();
    let step_buffers = if steps > 1 { 2 * n * out_row } else { 0 };
    let whole = resident
        .saturating_add(n.saturating_mul(in_row + out_row))
        .saturating_add(step_buffers);
    if whole <= memory || n <= 1 {
        return Ok(Plan {
            out_dtypes,
            out_shape,
            slab_rows: n.max(1),
            core_axis0,
            one_piece,
            halo,
            passes: vec![steps],
        });
    }
    if one_piece {
        return Err(Error::usage(format!(
            "this run does not fit in --memory {}, and axis 0 is core axis {} of it: out-of-core runs \
             cut slabs along core axis 0 or a loop axis; name the core axes so that axis 0 comes first, or raise --memory",
            human_bytes(memory as u64),
            core.iter().position(|&a| a == 0).unwrap_or(0)
        )));
    }
    // Out of core: up to three slabs of each side are alive at once (being
    // read, waiting, being computed / computed, waiting, being written).
    let per_row = in_row + out_row;
    let budget = memory.saturating_sub(resident) / 3;
    let fit = (budget / per_row.max(1)).saturating_sub(halo.0 + halo.1);
    if fit == 0 {
        return Err(Error::usage(format!(
            "--memory {} is too small for this run: one row of axis 0 with its halo \
             needs {} bytes in flight (3 x {} bytes of inputs and output per row, {} halo rows){}",
            human_bytes(memory as u64),
            3 * per_row * (1 + halo.0 + halo.1) + resident,
            per_row,
            halo.0 + halo.1,
            if resident > 0 {
                format!(", plus {} held whole", human_bytes(resident as u64))
            } else {
                String::new()
            }
        )));
    }
    let mut slab_rows = fit.min(n);
    if let Some(c) = chunk_rows.filter(|&c| c > 0) {
        // Whole chunks per slab where a chunk fits.
        if slab_rows >= c {
            slab_rows -= slab_rows % c;
        }
    }
    Ok(Plan {
        out_dtypes,
        out_shape,
        slab_rows,
        core_axis0,
        one_piece,
        halo,
        passes: model::passes(steps, 1),
    })
}

/// Plans a run with slabs of `slab_rows` output rows, whatever the memory
/// (for tests and tools that choose the slab size themselves); time steps
/// then run out of core when there are several slabs.
pub fn plan_rows(call: &Call, sources: &[Box<dyn Source>], slab_rows: usize) -> Result<Plan> {
    let mut plan = plan(call, sources, None, usize::MAX)?;
    if plan.one_piece {
        return Ok(plan);
    }
    plan.slab_rows = slab_rows.max(1);
    if plan.slabs() > 1 {
        plan.passes = model::passes(call.steps(), 1);
    }
    Ok(plan)
}

/// The chunk rows slabs should follow: the first sink's that has some,
/// else the first chunked source's.
pub fn chunk_rows(sources: &[Box<dyn Source>], sinks: &[Box<dyn Sink>]) -> Option<usize> {
    (sinks.iter().find_map(|s| s.chunk_rows()))
        .or_else(|| sources.iter().find_map(|s| s.chunk_rows()))
}

/// Runs `call` from `sources` into `sinks` (one per output) as `plan`
/// says, then commits the sinks in order.
pub fn run(
    call: &Call,
    sources: Vec<Box<dyn Source>>,
    mut sinks: Vec<Box<dyn Sink>>,
    plan: &Plan,
    sopts: &StreamOptions,
) -> Result<()> {
    let counter = Counter::new(plan, sopts.progress.clone());
    // Out of core, each pass reads the previous pass's outputs as its
    // state fields, and the other inputs as given.
    let mut fields = sources;
    let constants = match plan.passes.len() {
        1 => Vec::new(),
        _ => fields.split_off(call.outputs().min(fields.len())),
    };
    for (k, &steps) in plan.passes.iter().enumerate() {
        let current: Vec<&dyn Source> = (fields.iter().chain(&constants))
            .map(|s| s.as_ref())
            .collect();
        if k + 1 == plan.passes.len() {
            let mut outs: Vec<&mut (dyn Sink + 'static)> =
                sinks.iter_mut().map(|s| s.as_mut()).collect();
            pass::pass(call, steps, &current, &mut outs, plan, &counter)?;
            drop(outs);
            drop(current);
            for sink in sinks {
                sink.commit()?;
            }
            return Ok(());
        }
        let mut temps = (plan.out_dtypes.iter())
            .map(|&d| NpySink::temporary(&sopts.temp_dir, d, &plan.out_shape))
            .collect::<Result<Vec<_>>>()?;
        let mut outs: Vec<&mut (dyn Sink + 'static)> =
            temps.iter_mut().map(|t| t as &mut dyn Sink).collect();
        pass::pass(call, steps, &current, &mut outs, plan, &counter)?;
        drop(outs);
        drop(current);
        fields = temps
            .into_iter()
            .map(|t| {
                let (path, keep) = t.into_temp();
                source::temp_npy(&path, keep)
            })
            .collect::<Result<Vec<_>>>()?;
    }
    Ok(())
}

/// Counts finished output bytes across passes and reports them.
struct Counter {
    total: u64,
    total_slabs: usize,
    bytes: std::sync::atomic::AtomicU64,
    slabs: std::sync::atomic::AtomicUsize,
    report: Option<Arc<dyn Fn(Progress) + Send + Sync>>,
}

impl Counter {
    fn new(plan: &Plan, report: Option<Arc<dyn Fn(Progress) + Send + Sync>>) -> Counter {
        let bytes = plan.out_bytes();
        Counter {
            total: bytes * plan.passes.len() as u64,
            total_slabs: plan.slabs() * plan.passes.len(),
            bytes: 0.into(),
            slabs: 0.into(),
            report,
        }
    }

    fn add(&self, bytes: u64, slabs: usize) {
        use std::sync::atomic::Ordering::Relaxed;
        let b = self.bytes.fetch_add(bytes, Relaxed) + bytes;
        let s = self.slabs.fetch_add(slabs, Relaxed) + slabs;
        if let Some(r) = &self.report {
            r(Progress {
                bytes: b.min(self.total),
                total: self.total,
                slabs: s,
                total_slabs: self.total_slabs,
            });
        }
    }
}

/// The default memory budget: half of the machine's memory.
pub fn default_memory() -> usize {
    usize::try_from(crate::machine_memory() / 2).unwrap_or(usize::MAX)
}
