//! The executor: compiled stages run over n-d arrays, tile by tile, in
//! parallel.
//!
//! A run is a list of [`Stage`]s, each after the stages it reads, the last
//! one writing the outputs; a kernel without stages is one stage. A stage
//! may have several outputs (a tuple value): one call of its code writes
//! them all. `execute`
//! broadcasts the inputs (`base::broadcast`), cuts the output into tiles
//! (`tile`), and runs them on a thread pool (`base::parallel`). Per tile:
//!
//! - one stage is computed straight into the output;
//! - several are found backwards, each only where later stages read it
//!   (`grid::map_runs`, through the readers' boundary modes), then computed
//!   forwards into small grids in cache, only the last into the output.
//!
//! Every box of every stage is computed by the box engine (`engine`), so
//! one definition says how a box reads its arguments and where its border
//! comes from. The two schedules differ only in their tiles: row blocks
//! (several small images per tile) for one stage, and tiles of the shape
//! `model` chooses, per loop point, for several.
//!
//! Every point is computed by the same machine code from the same operand
//! values whatever the tiling, so the output is bit-identical for any tile
//! size, thread count and number of stages fused.

pub mod call;
pub mod engine;
pub mod graph;
pub mod grid;
pub mod model;
pub mod strip;
pub mod tile;

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::base::array::{ArrayMut, ArrayRef};
use crate::base::broadcast::{Layout, Region};
use crate::base::dtype::DType;
use crate::base::graph::Arg;
use crate::base::graph::MAX_NDIM;
use crate::base::mode::Mode;
use crate::base::parallel;
use crate::base::scalar::Scalar;
use crate::codegen::Compiled;
use crate::ir::Footprint;
use call::Callee;
use engine::{Dst, Engine, Geometry, Src};
use graph::Wired;
use grid::{Grid, PerAxis, Runs, for_each_run_box, map_runs, merge};
use smallvec::SmallVec;
use tile::{CoreBox, Tile};

/// One stage of a run: compiled code, where its arguments come from, and
/// everything bound that it runs with.
#[derive(Clone)]
pub struct Stage {
    pub code: Arc<Compiled>,
    /// One per array input of the code.
    pub args: Vec<Arg>,
    /// Per argument, the offsets it is read at (`None`: never read).
    pub reads: Vec<Option<Footprint>>,
    /// The union of `reads`: what decides the stage's own border.
    pub footprint: Footprint,
    pub in_dtypes: Vec<DType>,
    /// One per output.
    pub out_dtypes: Vec<DType>,
    /// The mode the stage reads its arguments under.
    pub mode: Mode,
    /// 8 bytes per scalar parameter (see `codegen::abi`).
    pub params: Vec<u8>,
    /// Distinct array reads per point.
    pub loads: usize,
}

impl Wired for Stage {
    fn args(&self) -> &[Arg] {
        &self.args
    }
    fn reads(&self) -> &[Option<Footprint>] {
        &self.reads
    }
}

impl Stage {
    /// The stages of `steps` copies of one step (`--steps`), each copy's
    /// state (one field per output of the last stage) the outputs of the
    /// one before.
    pub fn repeat(step: &[Stage], steps: usize) -> Vec<Stage> {
        let fields = step.last().map_or(1, |s| s.out_dtypes.len());
        graph::repeat(step, steps, fields, |s, args| Stage { args, ..s.clone() })
    }
}

/// The arrays given to `execute` are a slab of larger arrays along core
/// axis 0: slab row `j` is row `origin + j` of the whole. Out-of-core runs
/// pass slabs whose halo rows were already read (and, past the array's
/// ends, resolved by the run's boundary mode). `index(0)` and `shape(0)`
/// see the whole array's values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    /// Row of the whole array at slab row 0 (negative where the slab
    /// starts with halo rows from before the array).
    pub origin: i64,
    /// Length of the whole array along core axis 0.
    pub len: usize,
    /// The slab rows whose output points are computed; the output array
    /// holds exactly these rows (its row 0 is slab row `rows.start`).
    pub rows: Range<usize>,
}

/// Where and how one execution runs, besides its stages.
#[derive(Clone, Default)]
pub struct Context<'a> {
    /// Worker threads; `None` uses every core.
    pub threads: Option<usize>,
    /// About this many core points per tile; 0 chooses (see `tile`).
    pub tile_points: usize,
    /// The arrays are a slab of larger ones (out-of-core runs).
    pub window: Option<Window>,
    /// The arrays are a block of larger ones (Dask blocks): what `index(k)`
    /// and `shape(k)` see.
    pub region: Option<&'a Region>,
    /// Called with the number of tiles finished so far.
    pub progress: Option<&'a (dyn Fn(u64) + Send + Sync)>,
    /// How several stages are fused.
    pub fusion: Fusion,
}

/// How a run of several stages is fused (`--schedule`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Fusion {
    /// Tiles or strips, as the model (`model::choose`) says.
    #[default]
    Auto,
    /// Tiles: every stage over the tile grown by what later stages read.
    Tiles,
    /// Sliding-window strips (`strip`) wherever the rows allow.
    Strips,
}

/// Why an execution could not be done.
#[derive(Debug, PartialEq, Eq)]
pub enum ExecError {
    /// A window (a slab of larger arrays) lacks rows that a stage's
    /// boundary mode reads (`wrap` reads the far side of the whole array).
    OutsideWindow,
}

/// Runs `stages` (the last writes `outs`, one per output) over `inputs`,
/// with `cval` the constant of `fill` and `constant`. The caller has
/// checked the shapes: every output has the broadcast shape of the inputs
/// (with a window, just the window's rows).
pub fn execute(
    stages: &[Stage],
    cval: Scalar,
    inputs: &[ArrayRef<'_>],
    outs: &mut [ArrayMut<'_>],
    cx: &Context<'_>,
) -> Result<(), ExecError> {
    let last = stages.last().expect("a run has a stage");
    let ndim = last.footprint.ndim();
    let layout = Layout::new(inputs, ndim).expect("the caller checked the shapes");
    let nloop = layout.loop_shape.len();
    // One stage reads a slab as an array of its own: its halo rows are all
    // it reads past the rows it computes. Several stages work in the whole
    // array's coordinates, so that each folds positions by its own mode.
    let global = stages.len() > 1;
    let mut geometry = Geometry {
        extent: layout.core.clone(),
        shift: 0,
        rows: layout.core.first().copied().unwrap_or(0),
    };
    let mut rows = 0..geometry.rows;
    if let Some(w) = &cx.window {
        if global {
            geometry.extent[0] = w.len;
            geometry.shift = w.origin;
        }
        rows = (w.rows.start as i64 + geometry.shift) as usize
            ..(w.rows.end as i64 + geometry.shift) as usize;
    }
    if geometry.extent.contains(&0) || layout.loop_len() == 0 || rows.is_empty() {
        return Ok(());
    }
    // What `index(k)` and `shape(k)` give at position 0.
    let mut origin = [0i64; MAX_NDIM];
    let mut shape = [0i64; MAX_NDIM];
    for (s, &n) in shape.iter_mut().zip(&geometry.extent) {
        *s = n as i64;
    }
    if let Some(w) = &cx.window {
        origin[0] = w.origin - geometry.shift;
        shape[0] = w.len as i64;
    }
    if let Some(r) = cx.region {
        for k in 0..ndim {
            origin[k] += r.origin[k];
            shape[k] = r.shape[k] as i64;
        }
    }
    let callees = stages
        .iter()
        .map(|s| Callee {
            code: &s.code,
            in_sizes: s.in_dtypes.iter().map(|d| d.size()).collect(),
            out_sizes: s.out_dtypes.iter().map(|d| d.size()).collect(),
            params: &s.params,
            origin,
            shape,
        })
        .collect();
    // Work items: tiles (step 0) and strips (their walk's step).
    let work: Vec<(Tile, usize)> = if global {
        let (tile, strips) = fused_plan(stages, &layout, cx);
        let inner = strips.as_ref().map_or(rows.start..rows.start, |_| {
            strip_rows(stages, &geometry, rows.clone())
        });
        let boxes =
            |r: Range<usize>, t: &[usize]| tile::boxes(layout.loop_len(), &geometry.extent, r, t);
        match strips.filter(|_| !inner.is_empty()) {
            None => boxes(rows.clone(), &tile)
                .into_iter()
                .map(|t| (t, 0))
                .collect(),
            Some(s) => (boxes(rows.start..inner.start, &tile).into_iter())
                .chain(boxes(inner.end..rows.end, &tile))
                .map(|t| (t, 0))
                .chain(boxes(inner, &s.tile).into_iter().map(|t| (t, s.chunk)))
                .collect(),
        }
    } else {
        let points = match cx.tile_points {
            0 => tile::auto_points(&layout, threads(cx)),
            n => n,
        };
        (tile::row_tiles(layout.loop_len(), &geometry.extent, points, rows.clone()).into_iter())
            .map(|t| (t, 0))
            .collect()
    };
    debug_assert_eq!(outs.len(), last.out_dtypes.len());
    let out_strides: Vec<Vec<i64>> = (outs.iter())
        .map(|o| o.strides()[nloop..].iter().map(|&s| s as i64).collect())
        .collect();
    // Each output's address at loop point 0 and position 0 (it holds rows
    // `rows`).
    let out_bases = (outs.iter_mut().zip(&out_strides))
        .map(|(o, s)| {
            let row0 = rows.start as i64 * s[0];
            o.as_mut_ptr().wrapping_offset(-row0 as isize) as usize
        })
        .collect();
    let job = Job {
        stages,
        callees,
        geometry,
        cval,
        inputs,
        in_strides: inputs
            .iter()
            .map(|a| {
                a.strides()[a.shape().len() - ndim..]
                    .iter()
                    .map(|&s| s as i64)
                    .collect()
            })
            .collect(),
        layout: &layout,
        out_bases,
        out_loop_strides: outs.iter().map(|o| o.strides()[..nloop].to_vec()).collect(),
        out_strides,
        last_use: crate::base::graph::last_use(stages.iter().map(|s| s.args.as_slice())),
        outside: AtomicBool::new(false),
    };
    let done = AtomicU64::new(0);
    parallel::for_each(&work, cx.threads, |(t, chunk)| {
        for l in t.loops.clone() {
            match chunk {
                0 => job.run(l, &t.bx),
                &c => job.strip(l, &t.bx, c),
            }
        }
        if let Some(p) = cx.progress {
            p(done.fetch_add(1, Ordering::Relaxed) + 1);
        }
    });
    if job.outside.load(Ordering::Relaxed) {
        return Err(ExecError::OutsideWindow);
    }
    Ok(())
}

/// The tile of a fused run, and its strips where they run: as the model
/// chooses, or as `cx.fusion` says. A test's `tile_points` sizes both (a
/// strip's step then a third of its height), so that small arrays get
/// many of each.
fn fused_plan(
    stages: &[Stage],
    layout: &Layout,
    cx: &Context<'_>,
) -> (Vec<usize>, Option<model::Strips>) {
    if cx.tile_points > 0 {
        let tile = tile::small_tile(&layout.core, cx.tile_points);
        let strips = model::Strips {
            chunk: (tile[0] / 3).max(1),
            tile: tile.clone(),
        };
        return (tile, (cx.fusion == Fusion::Strips).then_some(strips));
    }
    let c = model::choose(stages, &layout.core, layout.loop_len(), threads(cx));
    let strips = match cx.fusion {
        Fusion::Auto => c.use_strips,
        Fusion::Tiles => false,
        Fusion::Strips => true,
    };
    (c.tile, strips.then_some(c.strips))
}

/// The output rows (within `rows`) where strips may run: no stage is read
/// at a row past the ends of axis 0 (where its mode would fold it, `wrap`
/// to the far side) and every input row read is in the slab.
fn strip_rows(stages: &[Stage], geo: &Geometry, rows: Range<usize>) -> Range<usize> {
    let (reach, inputs) = graph::reaches(stages, geo.extent.len());
    let bounds = |fs: &[Option<Footprint>]| {
        (fs.iter().flatten()).fold((0i64, 0i64), |(l, h), f| (l.min(f.lo[0]), h.max(f.hi[0])))
    };
    let (slo, shi) = bounds(&reach);
    let (ilo, ihi) = bounds(&inputs);
    let n = geo.extent[0] as i64;
    let start = (-slo).max(-ilo).max(geo.shift - ilo).max(rows.start as i64);
    let end = (n - shi)
        .min(n - ihi)
        .min(geo.shift + geo.rows as i64 - ihi)
        .min(rows.end as i64);
    if start < end {
        start as usize..end as usize
    } else {
        rows.start..rows.start
    }
}

fn threads(cx: &Context<'_>) -> usize {
    cx.threads.unwrap_or_else(rayon::current_num_threads).max(1)
}

/// What every tile of one execution shares.
struct Job<'a> {
    stages: &'a [Stage],
    callees: Vec<Callee<'a>>,
    geometry: Geometry,
    cval: Scalar,
    inputs: &'a [ArrayRef<'a>],
    /// Per input, its core byte strides.
    in_strides: Vec<Vec<i64>>,
    layout: &'a Layout,
    /// Per output, its address at loop point 0 and position 0, as an
    /// integer so that the job is `Sync`; tiles write disjoint points.
    out_bases: Vec<usize>,
    out_loop_strides: Vec<Vec<isize>>,
    out_strides: Vec<Vec<i64>>,
    /// Per stage, the last stage that reads it.
    last_use: Vec<usize>,
    outside: AtomicBool,
}

impl Job<'_> {
    fn engine(&self, j: usize) -> Engine<'_> {
        Engine {
            stage: &self.stages[j],
            callee: &self.callees[j],
            geometry: &self.geometry,
            cval: self.cval,
        }
    }

    /// Per input, its address at loop point `loop_flat` (row 0 at position
    /// 0 of the other axes), and the outputs there.
    fn bases(&self, loop_flat: usize) -> (SmallVec<[*const u8; 8]>, SmallVec<[Dst<'_>; 4]>) {
        let loop_ix = self.layout.loop_index(loop_flat);
        let in_bases = (0..self.inputs.len())
            .map(|i| {
                self.inputs[i]
                    .as_ptr()
                    .wrapping_offset(self.layout.input_offset(i, &loop_ix))
            })
            .collect();
        let out = (self.out_bases.iter().enumerate())
            .map(|(o, &base)| {
                let off: isize = (loop_ix.iter().zip(&self.out_loop_strides[o]))
                    .map(|(&i, &s)| i as isize * s)
                    .sum();
                Dst::Array {
                    base: (base as *mut u8).wrapping_offset(off),
                    strides: &self.out_strides[o],
                }
            })
            .collect();
        (in_bases, out)
    }

    /// Computes output box `bx` at loop point `loop_flat`.
    fn run(&self, loop_flat: usize, bx: &CoreBox) {
        let n = self.stages.len();
        let (in_bases, mut out) = self.bases(loop_flat);
        let array = |i: usize| Src::Array {
            base: in_bases[i],
            strides: &self.in_strides[i],
        };
        if n == 1 {
            let srcs: SmallVec<[Src; 8]> = self.stages[0]
                .args
                .iter()
                .map(|a| match *a {
                    Arg::Input(i) => array(i),
                    Arg::Node(..) => Src::Absent,
                })
                .collect();
            self.engine(0).compute(bx, &srcs, &mut out);
            return;
        }
        let Some(mut needs) = self.needs(bx) else {
            self.outside.store(true, Ordering::Relaxed);
            return;
        };
        // Forwards: each needed stage over its runs, one grid per output.
        let mut grids: Vec<Vec<Grid>> = (0..n).map(|_| Vec::new()).collect();
        for j in 0..n {
            let Some(nj) = needs[j].take() else { continue };
            if nj.iter().any(|r| r.is_empty()) {
                continue;
            }
            let srcs: SmallVec<[Src; 8]> = self.stages[j]
                .args
                .iter()
                .map(|a| match *a {
                    Arg::Input(i) => array(i),
                    Arg::Node(t, o) => grids[t].get(o).map_or(Src::Absent, Src::Grid),
                })
                .collect();
            let engine = self.engine(j);
            if j + 1 == n {
                for_each_run_box(&nj, |r| engine.compute(r, &srcs, &mut out));
                break;
            }
            let mut made: Vec<Grid> = (self.stages[j].out_dtypes.iter())
                .map(|d| Grid::new(d.size(), &nj))
                .collect();
            for_each_run_box(&nj, |r| {
                let mut dst: SmallVec<[Dst; 4]> = made.iter_mut().map(Dst::Grid).collect();
                engine.compute(r, &srcs, &mut dst);
            });
            drop(srcs);
            grids[j] = made;
            for (t, g) in grids.iter_mut().enumerate().take(j) {
                if self.last_use[t] == j {
                    std::mem::take(g).into_iter().for_each(Grid::release);
                }
            }
        }
        grids.into_iter().flatten().for_each(Grid::release);
    }

    /// Backwards from output box `bx`: the runs of each stage that later
    /// stages read (`None` where none does); `None` in all when a slab
    /// lacks input rows some stage reads.
    fn needs(&self, bx: &CoreBox) -> Option<Vec<Option<PerAxis<Runs>>>> {
        let n = self.stages.len();
        let ndim = bx.len();
        let geo = &self.geometry;
        let mut needs: Vec<Option<PerAxis<Runs>>> = vec![None; n];
        needs[n - 1] = Some(
            bx.iter()
                .map(|r| std::iter::once(r.clone()).collect())
                .collect(),
        );
        for j in (0..n).rev() {
            let Some(nj) = needs[j].clone() else { continue };
            let s = &self.stages[j];
            for (a, read) in s.args.iter().zip(&s.reads) {
                let Some(f) = read else { continue };
                let mapped: PerAxis<Runs> = (0..ndim)
                    .map(|k| map_runs(&nj[k], f.lo[k], f.hi[k], geo.extent[k], s.mode))
                    .collect();
                match *a {
                    Arg::Node(t, _) => {
                        needs[t] = Some(match needs[t].take() {
                            None => mapped,
                            Some(old) => old
                                .into_iter()
                                .zip(mapped)
                                .map(|(a, b)| merge(a.into_iter().chain(b).collect()))
                                .collect(),
                        });
                    }
                    Arg::Input(_) => {
                        // A slab holds only some rows of the whole.
                        let have = geo.shift..geo.shift + geo.rows as i64;
                        let inside = mapped[0].iter().all(|r| {
                            r.is_empty()
                                || have.contains(&(r.start as i64))
                                    && have.contains(&(r.end as i64 - 1))
                        });
                        if !inside {
                            return None;
                        }
                    }
                }
            }
        }
        Some(needs)
    }
}
