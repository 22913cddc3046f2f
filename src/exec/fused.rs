//! The fused executor: a pipeline of stages computed tile by tile, each
//! stage only where the later stages of the tile read it, in cache, and
//! only the last stage written to the output (SPEC §8).
//!
//! Per output box (a tile), the regions are found backwards: the last
//! stage needs the box; a stage read by a later one at offsets `lo..=hi`
//! is needed at the later stage's region grown by them, each position
//! mapped through the reader's boundary mode (so `wrap` asks for the far
//! side, `reflect` for the mirrored rows, `constant` and `fill` for
//! nothing outside the array). Per axis that is a sorted list of disjoint
//! runs of in-array indices, and a stage is stored densely over the
//! product of its runs (a "grid": runs of consecutive indices are
//! consecutive slots). Then, forwards, each stage is computed over each
//! box of its runs exactly as the one-kernel executor computes a box: the
//! interior straight from the arrays and grids below it, border boxes
//! from padded copies whose out-of-array positions are resolved by the
//! stage's mode, or filled with cval for `fill`. Every stage value is thus
//! computed by the same machine code from the same operands as a run of
//! the stage on its own, so fusion cannot change a bit.

use std::cell::RefCell;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::array::{ArrayMut, ArrayRef, for_each_index};
use crate::exec::boundary::{Mode, map_index};
use crate::exec::broadcast::Layout;
use crate::exec::call::Callee;
use crate::exec::tile::{self, CoreBox};
use crate::exec::{ExecOptions, TileKernel, parallel};
use crate::ir::Footprint;
use crate::pipeline::Arg;
use crate::types::check::MAX_NDIM;
use crate::types::dtype::DType;
use crate::types::scalar::Scalar;

/// One stage as the fused executor runs it.
pub struct FusedStage<'a> {
    pub kernel: &'a dyn TileKernel,
    pub args: Vec<Arg>,
    /// Per argument, the offsets it is read at (`None`: never read).
    pub reads: Vec<Option<Footprint>>,
    /// The union of `reads`: what decides the stage's own border.
    pub footprint: Footprint,
    pub in_dtypes: Vec<DType>,
    pub out_dtype: DType,
    pub mode: Mode,
    /// 8 bytes per scalar parameter (see `codegen::abi`).
    pub params: Vec<u8>,
}

/// Why a fused run could not be done.
#[derive(Debug, PartialEq, Eq)]
pub enum FusedError {
    /// A window (a slab of larger arrays) lacks rows that a stage's
    /// boundary mode reads (`wrap` reads the far side of the whole array).
    OutsideWindow,
}

/// Runs `stages` (the last writes `out`) over `inputs`, in tiles of
/// `tile` core points per axis. `layout` is the inputs' broadcast layout;
/// `opts.mode` is unused (each stage has its own).
pub fn execute(
    stages: &[FusedStage<'_>],
    inputs: &[ArrayRef<'_>],
    layout: &Layout,
    tile: &[usize],
    out: &mut ArrayMut<'_>,
    opts: &ExecOptions,
) -> Result<(), FusedError> {
    let ndim = layout.core.len();
    let nloop = layout.loop_shape.len();
    // Global coordinates: with a window, axis 0 counts rows of the whole
    // array; the arrays hold rows `shift..shift + core[0]` of it.
    let mut global = layout.core.clone();
    let mut shift = 0i64;
    let mut rows = 0..layout.core.first().copied().unwrap_or(0);
    if let Some(w) = &opts.window {
        global[0] = w.len;
        shift = w.origin;
        rows = w.rows.clone();
    }
    if global.contains(&0) || layout.loop_len() == 0 || rows.is_empty() {
        return Ok(());
    }
    let last_use = crate::pipeline::last_use(stages.iter().map(|s| s.args.as_slice()));
    // The output's address for global position 0 (rows of a window start
    // at `rows.start`).
    let out_row0 = (rows.start as i64 + shift) * out.strides()[nloop] as i64;
    let mut origin = [0i64; MAX_NDIM];
    let mut shape = [0i64; MAX_NDIM];
    for k in 0..ndim {
        shape[k] = global[k] as i64;
        if let Some(r) = &opts.region {
            origin[k] = r.origin[k];
            shape[k] = r.shape[k] as i64;
        }
    }
    let callees = stages
        .iter()
        .map(|s| Callee {
            kernel: s.kernel,
            in_sizes: s.in_dtypes.iter().map(|d| d.size()).collect(),
            out_size: s.out_dtype.size(),
            params: &s.params,
            origin,
            shape,
        })
        .collect();
    let job = Job {
        stages,
        callees,
        inputs,
        layout,
        global,
        shift,
        cval: opts.cval,
        out_base: out.as_mut_ptr().wrapping_offset(-out_row0 as isize) as usize,
        out_loop_strides: out.strides()[..nloop].to_vec(),
        out_strides: out.strides()[nloop..].iter().map(|&s| s as i64).collect(),
        last_use,
        outside: AtomicBool::new(false),
    };
    let mut boxes: Vec<(usize, CoreBox)> = Vec::new();
    let g0 = rows.start as i64 + shift;
    let g1 = rows.end as i64 + shift;
    for l in 0..layout.loop_len() {
        let mut cuts: Vec<Vec<Range<usize>>> = Vec::with_capacity(ndim);
        for k in 0..ndim {
            let (a, b) = if k == 0 {
                (g0 as usize, g1 as usize)
            } else {
                (0, job.global[k])
            };
            let step = tile.get(k).copied().unwrap_or(b - a).max(1);
            cuts.push((a..b).step_by(step).map(|s| s..(s + step).min(b)).collect());
        }
        let mut prefix: Vec<CoreBox> = vec![Vec::new()];
        for c in &cuts {
            prefix = prefix
                .into_iter()
                .flat_map(|p| {
                    c.iter().map(move |r| {
                        let mut p = p.clone();
                        p.push(r.clone());
                        p
                    })
                })
                .collect();
        }
        boxes.extend(prefix.into_iter().map(|b| (l, b)));
    }
    let done = AtomicU64::new(0);
    parallel::for_each(&boxes, opts.threads, |(l, b)| {
        job.run(*l, b);
        if let Some(p) = &opts.progress {
            p(done.fetch_add(1, Ordering::Relaxed) + 1);
        }
    });
    if job.outside.load(Ordering::Relaxed) {
        return Err(FusedError::OutsideWindow);
    }
    Ok(())
}

/// The number of tiles `execute` runs (for progress bars).
pub fn tile_count(layout: &Layout, tile: &[usize], rows: Option<Range<usize>>) -> usize {
    let mut n = layout.loop_len();
    for (k, &c) in layout.core.iter().enumerate() {
        let len = match (&rows, k) {
            (Some(r), 0) => r.len(),
            _ => c,
        };
        n *= len.div_ceil(tile.get(k).copied().unwrap_or(len).max(1));
    }
    n
}

/// Sorted, disjoint, non-adjacent runs of indices along one axis.
type Runs = Vec<Range<usize>>;

/// A stage's values over the product of its runs.
struct Grid {
    buf: Vec<u8>,
    runs: Vec<Runs>,
    /// Per axis, the slot of each run's first index.
    starts: Vec<Vec<usize>>,
    /// Byte strides over slots, C order.
    strides: Vec<i64>,
}

impl Grid {
    /// The slot of index `i` along axis `k`, if the grid holds it.
    fn slot(&self, k: usize, i: usize) -> Option<usize> {
        let runs = &self.runs[k];
        let r = runs.partition_point(|r| r.end <= i);
        (r < runs.len() && runs[r].contains(&i)).then(|| self.starts[k][r] + (i - runs[r].start))
    }

    /// The address that position `p` would have if the run holding
    /// position `anchor` (per axis) went on linearly: for pointers the
    /// compiled code offsets from.
    fn address(&self, anchor: &[usize], p: &[i64]) -> *const u8 {
        let mut off = 0i64;
        for k in 0..anchor.len() {
            let slot = self.slot(k, anchor[k]).expect("the anchor is in the grid") as i64;
            off += (slot + p[k] - anchor[k] as i64) * self.strides[k];
        }
        self.buf.as_ptr().wrapping_offset(off as isize)
    }
}

thread_local! {
    /// Buffers for grids, reused across tiles (only grown).
    static POOL: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

fn take_buffer(bytes: usize) -> Vec<u8> {
    let mut b = POOL.with(|p| p.borrow_mut().pop()).unwrap_or_default();
    if b.len() < bytes {
        b.resize(bytes, 0);
    }
    b
}

fn give_buffer(b: Vec<u8>) {
    POOL.with(|p| p.borrow_mut().push(b));
}

struct Job<'a> {
    stages: &'a [FusedStage<'a>],
    callees: Vec<Callee<'a>>,
    inputs: &'a [ArrayRef<'a>],
    layout: &'a Layout,
    /// The whole arrays' core shape.
    global: Vec<usize>,
    /// Global row of array row 0 along axis 0 (windows).
    shift: i64,
    cval: Scalar,
    /// The output's address at loop point 0 and global position 0.
    out_base: usize,
    out_loop_strides: Vec<isize>,
    out_strides: Vec<i64>,
    /// Per stage, the last stage that reads it.
    last_use: Vec<usize>,
    outside: AtomicBool,
}

/// Where a stage writes.
enum Target<'g> {
    /// The output array, at this loop point's base address.
    Out(*mut u8),
    Grid(&'g mut Grid),
}

impl Job<'_> {
    fn run(&self, loop_flat: usize, bx: &CoreBox) {
        let ndim = bx.len();
        let n = self.stages.len();
        let loop_ix = self.layout.loop_index(loop_flat);
        let in_bases: Vec<*const u8> = (0..self.inputs.len())
            .map(|i| {
                self.inputs[i]
                    .as_ptr()
                    .wrapping_offset(self.layout.input_offset(i, &loop_ix))
            })
            .collect();
        let out_off: isize = loop_ix
            .iter()
            .zip(&self.out_loop_strides)
            .map(|(&i, &s)| i as isize * s)
            .sum();
        let out = (self.out_base as *mut u8).wrapping_offset(out_off);

        // Backwards: the runs of each stage that later stages read.
        let mut needs: Vec<Option<Vec<Runs>>> = vec![None; n];
        needs[n - 1] = Some(bx.iter().map(|r| vec![r.clone()]).collect());
        for j in (0..n).rev() {
            let Some(nj) = needs[j].clone() else { continue };
            let s = &self.stages[j];
            for (a, read) in s.args.iter().zip(&s.reads) {
                let Some(f) = read else { continue };
                let mapped: Vec<Runs> = (0..ndim)
                    .map(|k| map_runs(&nj[k], f.lo[k], f.hi[k], self.global[k], s.mode))
                    .collect();
                match *a {
                    Arg::Node(t) => {
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
                        // A window holds only some rows of the whole.
                        let have = self.shift..self.shift + self.layout.core[0] as i64;
                        let inside = mapped[0].iter().all(|r| {
                            r.is_empty()
                                || have.contains(&(r.start as i64))
                                    && have.contains(&(r.end as i64 - 1))
                        });
                        if !inside {
                            self.outside.store(true, Ordering::Relaxed);
                            return;
                        }
                    }
                }
            }
        }

        // Forwards: compute each needed stage over its runs.
        let mut grids: Vec<Option<Grid>> = (0..n).map(|_| None).collect();
        for j in 0..n {
            let Some(nj) = needs[j].take() else { continue };
            if nj.iter().any(|r| r.is_empty()) {
                continue;
            }
            let mut grid = (j + 1 < n).then(|| self.grid(j, nj.clone()));
            for_each_run_box(&nj, |r| {
                let target = match &mut grid {
                    Some(g) => Target::Grid(g),
                    None => Target::Out(out),
                };
                self.compute(j, r, &in_bases, &grids, target);
            });
            grids[j] = grid;
            for (t, g) in grids.iter_mut().enumerate().take(j) {
                if self.last_use[t] == j
                    && let Some(g) = g.take()
                {
                    give_buffer(g.buf);
                }
            }
        }
        for g in grids.into_iter().flatten() {
            give_buffer(g.buf);
        }
    }

    fn grid(&self, j: usize, runs: Vec<Runs>) -> Grid {
        let size = self.stages[j].out_dtype.size();
        let counts: Vec<usize> = runs
            .iter()
            .map(|r| r.iter().map(|x| x.len()).sum())
            .collect();
        let starts: Vec<Vec<usize>> = runs
            .iter()
            .map(|rs| {
                let mut at = 0;
                rs.iter()
                    .map(|r| {
                        let s = at;
                        at += r.len();
                        s
                    })
                    .collect()
            })
            .collect();
        let mut strides = vec![size as i64; counts.len()];
        for k in (0..counts.len().saturating_sub(1)).rev() {
            strides[k] = strides[k + 1] * counts[k + 1] as i64;
        }
        let bytes = counts.iter().product::<usize>() * size;
        Grid {
            buf: take_buffer(bytes),
            runs,
            starts,
            strides,
        }
    }

    /// Computes stage `j` over box `r` (global coordinates) into `target`.
    fn compute(
        &self,
        j: usize,
        r: &CoreBox,
        in_bases: &[*const u8],
        grids: &[Option<Grid>],
        mut target: Target<'_>,
    ) {
        let s = &self.stages[j];
        let (inner, border) = tile::split(r, &self.global, &s.footprint);
        if let Some(inner) = &inner {
            let start: Vec<i64> = inner.iter().map(|x| x.start as i64).collect();
            let mut ptrs = Vec::with_capacity(s.args.len());
            let mut strides = Vec::with_capacity(s.args.len() * inner.len());
            for (a, read) in s.args.iter().zip(&s.reads) {
                match *a {
                    Arg::Input(i) => {
                        let cs = self.core_strides(i);
                        ptrs.push(self.array_address(in_bases[i], &cs, &start));
                        strides.extend(cs);
                    }
                    Arg::Node(t) => match (read, &grids[t]) {
                        (Some(f), Some(g)) => {
                            // Inside the array the reads of the interior lie
                            // in one run per axis: the run of its first read.
                            let anchor: Vec<usize> = (0..inner.len())
                                .map(|k| (start[k] + f.lo[k]) as usize)
                                .collect();
                            ptrs.push(g.address(&anchor, &start));
                            strides.extend_from_slice(&g.strides);
                        }
                        _ => {
                            ptrs.push(std::ptr::null());
                            strides.extend(std::iter::repeat_n(0, inner.len()));
                        }
                    },
                }
            }
            self.call(j, inner, &ptrs, &strides, &mut target);
        }
        for bx in &border {
            if s.mode == Mode::Fill {
                self.fill_box(j, bx, &mut target);
            } else {
                for piece in tile::pieces(bx, &s.footprint) {
                    self.padded(j, &piece, in_bases, grids, &mut target);
                }
            }
        }
    }

    fn core_strides(&self, i: usize) -> Vec<i64> {
        let a = &self.inputs[i];
        let nd = self.global.len();
        a.strides()[a.shape().len() - nd..]
            .iter()
            .map(|&s| s as i64)
            .collect()
    }

    /// The address of global position `p` in an input whose loop point
    /// starts at `base`.
    fn array_address(&self, base: *const u8, strides: &[i64], p: &[i64]) -> *const u8 {
        let mut off = 0i64;
        for k in 0..p.len() {
            let i = if k == 0 { p[k] - self.shift } else { p[k] };
            off += i * strides[k];
        }
        base.wrapping_offset(off as isize)
    }

    /// The output address and strides of box `bx`'s first point.
    fn target_at(&self, target: &mut Target<'_>, bx: &CoreBox) -> (*mut u8, Vec<i64>) {
        let start: Vec<i64> = bx.iter().map(|x| x.start as i64).collect();
        match target {
            Target::Out(base) => {
                let off: i64 = start
                    .iter()
                    .zip(&self.out_strides)
                    .map(|(&p, &s)| p * s)
                    .sum();
                (base.wrapping_offset(off as isize), self.out_strides.clone())
            }
            Target::Grid(g) => {
                let anchor: Vec<usize> = bx.iter().map(|x| x.start).collect();
                (g.address(&anchor, &start) as *mut u8, g.strides.clone())
            }
        }
    }

    /// Runs stage `j` on box `bx`, reading argument `a` at `ptrs[a]` (offset
    /// 0 at the box's first point) with `strides`.
    fn call(
        &self,
        j: usize,
        bx: &CoreBox,
        ptrs: &[*const u8],
        strides: &[i64],
        target: &mut Target<'_>,
    ) {
        let (out, out_strides) = self.target_at(target, bx);
        // SAFETY: for an interior box every read lies inside the arrays
        // (`tile::split`) and inside one run of each stage grid read (the
        // regions were grown by the reads); padded boxes read copies that
        // cover box + footprint. The output box lies inside the output or
        // the stage's grid. Null pointers belong to arguments never read.
        unsafe { self.callees[j].run(bx, ptrs, strides, out, &out_strides) };
    }

    fn fill_box(&self, j: usize, bx: &CoreBox, target: &mut Target<'_>) {
        let s = &self.stages[j];
        let size = s.out_dtype.size();
        let mut bytes = [0u8; 8];
        self.cval
            .cast(s.out_dtype)
            .write(s.out_dtype, &mut bytes[..size]);
        let (out, strides) = self.target_at(target, bx);
        let last = bx.len() - 1;
        let shape: Vec<usize> = bx.iter().map(|r| r.len()).collect();
        let n = shape[last];
        let step = strides[last] as isize;
        for_each_index(&shape[..last], |ix| {
            let off: i64 = ix.iter().zip(&strides).map(|(&i, &s)| i as i64 * s).sum();
            let row = out.wrapping_offset(off as isize);
            macro_rules! fill {
                ($t:ty) => {{
                    let v = <$t>::from_ne_bytes(bytes[..size].try_into().expect("size"));
                    for t in 0..n as isize {
                        // SAFETY: the point is inside the output or the grid.
                        unsafe { (row.wrapping_offset(t * step) as *mut $t).write_unaligned(v) };
                    }
                }};
            }
            match size {
                1 => fill!(u8),
                2 => fill!(u16),
                4 => fill!(u32),
                _ => fill!(u64),
            }
        });
    }

    /// Computes a border box of stage `j` from padded copies of its
    /// arguments: each covers the box grown by the footprint, positions
    /// outside the array resolved by the stage's mode (cval for `constant`).
    fn padded(
        &self,
        j: usize,
        bx: &CoreBox,
        in_bases: &[*const u8],
        grids: &[Option<Grid>],
        target: &mut Target<'_>,
    ) {
        let s = &self.stages[j];
        let fp = &s.footprint;
        let ndim = bx.len();
        let pshape: Vec<usize> = (0..ndim)
            .map(|k| (bx[k].len() as i64 + fp.hi[k] - fp.lo[k]) as usize)
            .collect();
        // Per axis and padded position: the global index read, if any.
        let mapped: Vec<Vec<Option<usize>>> = (0..ndim)
            .map(|k| {
                (0..pshape[k])
                    .map(|t| {
                        let p = bx[k].start as i64 + fp.lo[k] + t as i64;
                        map_index(p, self.global[k], s.mode)
                    })
                    .collect()
            })
            .collect();
        let mut bufs: Vec<Vec<u8>> = Vec::with_capacity(s.args.len());
        let mut ptrs = Vec::with_capacity(s.args.len());
        let mut strides = Vec::with_capacity(s.args.len() * ndim);
        for (ai, (a, read)) in s.args.iter().zip(&s.reads).enumerate() {
            let dtype = s.in_dtypes[ai];
            let size = dtype.size();
            let mut pstrides = vec![size as i64; ndim];
            for k in (0..ndim.saturating_sub(1)).rev() {
                pstrides[k] = pstrides[k + 1] * pshape[k + 1] as i64;
            }
            if read.is_none() {
                ptrs.push(std::ptr::null());
                strides.extend_from_slice(&pstrides);
                bufs.push(Vec::new());
                continue;
            }
            // Per axis and padded position: the byte offset of the element
            // in the argument, or `None` for cval.
            let offsets: Vec<Vec<Option<i64>>> = match *a {
                Arg::Input(i) => {
                    let cs = self.core_strides(i);
                    let rows = self.layout.core[0] as i64;
                    (0..ndim)
                        .map(|k| {
                            mapped[k]
                                .iter()
                                .map(|m| {
                                    let m = m.map(|g| g as i64);
                                    if k == 0 {
                                        // Rows a window lacks are never read
                                        // (the regions were checked); the
                                        // padding past the reads may ask.
                                        m.map(|g| g - self.shift)
                                            .filter(|r| (0..rows).contains(r))
                                            .map(|r| r * cs[0])
                                    } else {
                                        m.map(|g| g * cs[k])
                                    }
                                })
                                .collect()
                        })
                        .collect()
                }
                // A stage not computed is read only outside the array
                // (`constant`): all cval.
                Arg::Node(t) => match &grids[t] {
                    None => vec![vec![None; pshape.iter().copied().max().unwrap_or(0)]; ndim],
                    Some(g) => (0..ndim)
                        .map(|k| {
                            mapped[k]
                                .iter()
                                .map(|m| {
                                    m.and_then(|i| g.slot(k, i))
                                        .map(|sl| sl as i64 * g.strides[k])
                                })
                                .collect()
                        })
                        .collect(),
                },
            };
            let base: *const u8 = match *a {
                Arg::Input(i) => in_bases[i],
                Arg::Node(t) => grids[t]
                    .as_ref()
                    .map_or(std::ptr::null(), |g| g.buf.as_ptr()),
            };
            let mut cval = [0u8; 8];
            self.cval.cast(dtype).write(dtype, &mut cval[..size]);
            // Along the innermost axis, runs of positions whose elements lie
            // next to each other in the argument (or are all cval): one
            // copy each per row.
            let last = ndim - 1;
            let row_len = pshape[last];
            let mut segs: Vec<(usize, usize, Option<i64>)> = Vec::new();
            for (t, &o) in offsets[last].iter().enumerate() {
                match (segs.last_mut(), o) {
                    (Some((_, n, Some(first))), Some(o)) if *first + (*n * size) as i64 == o => {
                        *n += 1
                    }
                    (Some((_, n, None)), None) => *n += 1,
                    _ => segs.push((t, 1, o)),
                }
            }
            let fill = |d: &mut [u8]| {
                d.chunks_exact_mut(size)
                    .for_each(|c| c.copy_from_slice(&cval[..size]))
            };
            let mut buf = vec![0u8; pshape.iter().product::<usize>() * size];
            let mut at = 0;
            for_each_index(&pshape[..last], |ix| {
                let row = &mut buf[at..at + row_len * size];
                at += row_len * size;
                let mut row_off = Some(0i64);
                for k in 0..last {
                    row_off = row_off.zip(offsets[k][ix[k]]).map(|(a, b)| a + b);
                }
                let Some(row_off) = row_off else {
                    return fill(row);
                };
                for &(t, n, o) in &segs {
                    let d = &mut row[t * size..(t + n) * size];
                    match o {
                        // SAFETY: mapped positions are inside the input (or
                        // the window, checked when the regions were found)
                        // or slots of the grid, and a segment's elements
                        // are consecutive there.
                        Some(o) => unsafe {
                            std::ptr::copy_nonoverlapping(
                                base.wrapping_offset((row_off + o) as isize),
                                d.as_mut_ptr(),
                                n * size,
                            )
                        },
                        None => fill(d),
                    }
                }
            });
            let zero: i64 = (0..ndim).map(|k| -fp.lo[k] * pstrides[k]).sum();
            ptrs.push(buf.as_ptr().wrapping_offset(zero as isize));
            strides.extend_from_slice(&pstrides);
            bufs.push(buf);
        }
        self.call(j, bx, &ptrs, &strides, target);
        drop(bufs);
    }
}

/// The in-array indices that positions `r + lo ..= r + hi` for every run
/// `r` read along an axis of length `n` under `mode`.
fn map_runs(runs: &Runs, lo: i64, hi: i64, n: usize, mode: Mode) -> Runs {
    let mut out: Runs = Vec::new();
    for r in runs {
        let a = r.start as i64 + lo;
        let b = r.end as i64 + hi;
        let (ia, ib) = (a.clamp(0, n as i64) as usize, b.clamp(0, n as i64) as usize);
        if ia < ib {
            out.push(ia..ib);
        }
        if matches!(mode, Mode::Fill | Mode::Constant) {
            continue;
        }
        for p in (a..b.min(0)).chain((a.max(n as i64))..b) {
            if let Some(i) = map_index(p, n, mode) {
                out.push(i..i + 1);
            }
        }
    }
    merge(out)
}

/// Sorts runs and joins those that overlap or touch.
fn merge(mut runs: Runs) -> Runs {
    runs.retain(|r| !r.is_empty());
    runs.sort_by_key(|r| r.start);
    let mut out: Runs = Vec::with_capacity(runs.len());
    for r in runs {
        match out.last_mut() {
            Some(l) if r.start <= l.end => l.end = l.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// Calls `f` with every box of the product of per-axis runs.
fn for_each_run_box(runs: &[Runs], mut f: impl FnMut(&CoreBox)) {
    let counts: Vec<usize> = runs.iter().map(|r| r.len()).collect();
    for_each_index(&counts, |ix| {
        let b: CoreBox = ix
            .iter()
            .enumerate()
            .map(|(k, &i)| runs[k][i].clone())
            .collect();
        f(&b);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_follow_the_modes() {
        let r: Runs = std::iter::once(0..3).collect();
        assert_eq!(map_runs(&r, -1, 1, 10, Mode::Fill), vec![0..4]);
        assert_eq!(map_runs(&r, -2, 1, 10, Mode::Wrap), vec![0..4, 8..10]);
        assert_eq!(map_runs(&r, -2, 0, 10, Mode::Reflect), vec![0..3]);
        assert_eq!(map_runs(&r, -2, 0, 10, Mode::Mirror), vec![0..3]);
        let one = |r: Range<usize>| -> Runs { std::iter::once(r).collect() };
        assert_eq!(map_runs(&one(9..10), 0, 3, 10, Mode::Nearest), one(9..10));
        // An axis shorter than the reach: everything, once.
        assert_eq!(map_runs(&one(0..2), -5, 5, 2, Mode::Reflect), one(0..2));
        assert_eq!(merge(vec![4..6, 0..2, 2..3, 5..9]), vec![0..3, 4..9]);
    }
}
