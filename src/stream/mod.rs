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
//! `--steps N` that does not fit in memory runs N passes, each through a
//! temporary `.npy` beside the output.

mod pass;
pub mod sink;
pub mod slab;
pub mod source;
mod splice;

use std::path::PathBuf;
use std::sync::Arc;

use crate::array::ArrayRef;
use crate::error::{Error, Result};
use crate::program::Kernel;
use crate::run::RunOptions;
use crate::types::dtype::DType;
use sink::{NpySink, Sink};
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
    pub out_dtype: DType,
    pub out_shape: Vec<usize>,
    /// Output rows per slab (the last may be shorter).
    pub slab_rows: usize,
    /// Whether axis 0 is a core axis (then slabs carry halo rows).
    pub core_axis0: bool,
    /// Halo rows before and after a slab along axis 0 (read only when
    /// there are several slabs).
    pub halo: (usize, usize),
    /// Passes over the data: `steps` when time steps run out of core, else 1.
    pub passes: usize,
}

impl Plan {
    pub fn slabs(&self) -> usize {
        rows_of(&self.out_shape).div_ceil(self.slab_rows.max(1))
    }
}

/// Zero-stride views with the sources' dtypes and shapes: enough for the
/// kernel to check shapes and specialize, without reading anything.
fn probes<'a>(sources: &[Box<dyn Source>], zero: &'a [u64; 1]) -> Vec<ArrayRef<'a>> {
    sources
        .iter()
        .map(|s| {
            // SAFETY: with every stride 0, every index addresses the one
            // zero word, a valid value of every dtype.
            unsafe {
                ArrayRef::from_raw(
                    zero.as_ptr() as *const u8,
                    s.dtype(),
                    s.shape().to_vec(),
                    vec![0; s.shape().len()],
                )
            }
        })
        .collect()
}

/// Whether input `s` is read slab by slab (it spans the output's axis 0),
/// rather than whole (broadcast along axis 0, or no axis 0 at all).
fn streamed(s: &dyn Source, out_shape: &[usize]) -> bool {
    !out_shape.is_empty() && s.shape().len() == out_shape.len() && s.shape()[0] == out_shape[0]
}

/// Plans a run: checks the kernel against the sources' shapes and dtypes
/// and cuts the output into slabs that fit in `memory` bytes.
pub fn plan(
    kernel: &Kernel,
    sources: &[Box<dyn Source>],
    chunk_rows: Option<usize>,
    opts: &RunOptions,
    memory: usize,
) -> Result<Plan> {
    let zero = [0u64; 1];
    let (pipe, layout) = kernel.prepare(&probes(sources, &zero), opts)?;
    let out_shape = layout.out_shape();
    let out_dtype = pipe.out_dtype();
    let n = rows_of(&out_shape);
    let core_axis0 = layout.loop_shape.is_empty() && !out_shape.is_empty();
    // A pipeline's halo is the reach of all its stages together.
    let fp = &pipe.footprint;
    let halo = if !core_axis0 || fp.ndim() == 0 {
        (0, 0)
    } else if pipe.is_pipeline() {
        // Stages read each other under their own modes: rows folded back
        // at an edge can lie further in than the plain reach (see
        // `Pipeline::folded_reach`). Out-of-core steps are one pass each.
        let a = pipe.folded_reach()[0];
        (a, a)
    } else {
        ((-fp.lo[0]).max(0) as usize, fp.hi[0].max(0) as usize)
    };
    let out_row = row_bytes(out_dtype, &out_shape);
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
    let step_buffers = if opts.steps > 1 { 2 * n * out_row } else { 0 };
    let whole = resident
        .saturating_add(n.saturating_mul(in_row + out_row))
        .saturating_add(step_buffers);
    if whole <= memory || n <= 1 {
        return Ok(Plan {
            out_dtype,
            out_shape,
            slab_rows: n.max(1),
            core_axis0,
            halo,
            passes: 1,
        });
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
        out_dtype,
        out_shape,
        slab_rows,
        core_axis0,
        halo,
        passes: opts.steps,
    })
}

/// Plans a run with slabs of `slab_rows` output rows, whatever the memory
/// (for tests and tools that choose the slab size themselves); time steps
/// then run out of core when there are several slabs.
pub fn plan_rows(
    kernel: &Kernel,
    sources: &[Box<dyn Source>],
    opts: &RunOptions,
    slab_rows: usize,
) -> Result<Plan> {
    let mut plan = plan(kernel, sources, None, opts, usize::MAX)?;
    plan.slab_rows = slab_rows.max(1);
    if plan.slabs() > 1 {
        plan.passes = opts.steps;
    }
    Ok(plan)
}

/// The chunk rows slabs should follow: the sink's, else the first chunked
/// source's.
pub fn chunk_rows(sources: &[Box<dyn Source>], sink: &dyn Sink) -> Option<usize> {
    sink.chunk_rows()
        .or_else(|| sources.iter().find_map(|s| s.chunk_rows()))
}

/// Runs `kernel` from `sources` into `sink` as `plan` says, then commits
/// the sink.
pub fn run(
    kernel: &Kernel,
    sources: Vec<Box<dyn Source>>,
    mut sink: Box<dyn Sink>,
    plan: &Plan,
    opts: &RunOptions,
    sopts: &StreamOptions,
) -> Result<()> {
    let counter = Counter::new(plan, sopts.progress.clone());
    if plan.passes == 1 {
        pass::pass(kernel, &sources, sink.as_mut(), plan, opts, &counter)?;
        return sink.commit();
    }
    // Out-of-core time steps: each pass reads the previous pass's output.
    let mut current = sources;
    for step in 0..plan.passes {
        if step + 1 == plan.passes {
            pass::pass(kernel, &current, sink.as_mut(), plan, opts, &counter)?;
            return sink.commit();
        }
        let mut temp = NpySink::temporary(&sopts.temp_dir, plan.out_dtype, &plan.out_shape)?;
        pass::pass(kernel, &current, &mut temp, plan, opts, &counter)?;
        let (path, keep) = temp.into_temp();
        current = vec![source::temp_npy(&path, keep)?];
    }
    unreachable!("the last pass returns")
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
        let bytes = (plan.out_shape.iter().product::<usize>() * plan.out_dtype.size()) as u64;
        Counter {
            total: bytes * plan.passes as u64,
            total_slabs: plan.slabs() * plan.passes,
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

/// Parses a memory size: a number of bytes with an optional K, M, G or T
/// suffix (powers of 1024; `B`/`iB` may follow), e.g. `512M`, `1.5G`.
pub fn parse_memory(text: &str) -> Option<usize> {
    let t = text.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let (num, scale) = match t.char_indices().last()? {
        (i, 'k' | 'K') => (&t[..i], 1u64 << 10),
        (i, 'm' | 'M') => (&t[..i], 1 << 20),
        (i, 'g' | 'G') => (&t[..i], 1 << 30),
        (i, 't' | 'T') => (&t[..i], 1 << 40),
        _ => (t, 1),
    };
    let v: f64 = num.trim().parse().ok()?;
    if !v.is_finite() || v < 0.0 {
        return None;
    }
    let bytes = v * scale as f64;
    (bytes < usize::MAX as f64).then_some(bytes as usize)
}

/// The default memory budget: half of the machine's memory.
pub fn default_memory() -> usize {
    usize::try_from(crate::io::machine_memory() / 2).unwrap_or(usize::MAX)
}

/// `1.5 GiB`, `512 MiB`, `100 B`.
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// A stable 64-bit fingerprint (FNV-1a) of the parts, for resume journals.
/// Hand-written: eight lines, and it must not change between versions.
pub fn fingerprint(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in part.iter().chain(&[0xff]) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes_parse_with_binary_suffixes() {
        assert_eq!(parse_memory("512M"), Some(512 << 20));
        assert_eq!(parse_memory("1.5G"), Some(3 << 29));
        assert_eq!(parse_memory("2GiB"), Some(2 << 30));
        assert_eq!(parse_memory("100"), Some(100));
        assert_eq!(parse_memory("64k"), Some(64 << 10));
        assert_eq!(parse_memory("lots"), None);
        assert_eq!(parse_memory("-1G"), None);
    }

    #[test]
    fn fingerprints_differ_by_part_boundaries() {
        assert_ne!(fingerprint(&[b"ab", b"c"]), fingerprint(&[b"a", b"bc"]));
        assert_eq!(fingerprint(&[b"x"]), fingerprint(&[b"x"]));
    }
}
