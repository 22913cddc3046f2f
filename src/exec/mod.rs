//! The executor: runs a compiled tile function over n-d arrays, in tiles,
//! in parallel.
//!
//! `execute` broadcasts the inputs (`broadcast`), cuts the work into tiles
//! (`tile`), and runs the tiles on a rayon pool (`parallel`). Inside a tile
//! the interior is computed straight from the arrays; border boxes are
//! either filled with cval (`fill`) or computed from small padded copies of
//! the inputs built with `boundary::map_index`. Every point is computed by
//! the same machine code with the same operand values whatever the tiling,
//! so the output is bit-identical for any tile size and thread count.

pub mod boundary;
pub mod broadcast;
pub mod call;
pub mod fused;
pub mod parallel;
pub mod tile;

use crate::array::{ArrayMut, ArrayRef};
use crate::codegen::abi::TileArgs;
use crate::ir::Footprint;
use crate::types::check::MAX_NDIM;
use crate::types::dtype::DType;
use crate::types::scalar::Scalar;
use boundary::{Mode, map_index};
use broadcast::Layout;
use tile::CoreBox;

/// Something that computes a box of output points: the compiled kernel.
pub trait TileKernel: Sync {
    /// Runs the kernel over one box described by `args`.
    ///
    /// # Safety
    /// Every address `args` lets the kernel read or write must be valid.
    unsafe fn run_tile(&self, args: &TileArgs);

    /// Points the vector variant computes per innermost step; 1 if none.
    fn lanes(&self) -> usize {
        1
    }

    /// The widest box (in innermost points) the vector variant takes, where
    /// it keeps row sums of whole rows in a ring buffer on its stack
    /// (`codegen::rowsum`); `None` where any width goes.
    fn ring_columns(&self) -> Option<usize> {
        None
    }

    /// Runs the vector variant over one box.
    ///
    /// # Safety
    /// As `run_tile`; besides, every input and the output have contiguous
    /// innermost rows and the innermost extent is a multiple of `lanes()`.
    unsafe fn run_tile_vector(&self, args: &TileArgs) {
        // SAFETY: forwarded.
        unsafe { self.run_tile(args) }
    }
}

/// How to run: boundary, cval, threads, tile size.
#[derive(Clone)]
pub struct ExecOptions {
    pub mode: Mode,
    pub cval: Scalar,
    /// Worker threads; `None` uses every core.
    pub threads: Option<usize>,
    /// About this many core points per tile; 0 chooses automatically.
    pub tile_points: usize,
    /// Called with the number of tiles finished so far.
    pub progress: Option<std::sync::Arc<dyn Fn(u64) + Send + Sync>>,
    /// Set when the arrays are a slab of larger ones (out-of-core runs).
    pub window: Option<Window>,
    /// Set when the arrays are a block of larger ones (Dask blocks): what
    /// `index(k)` and `shape(k)` see.
    pub region: Option<Region>,
}

/// The arrays given to `execute` are a slab of larger arrays along core
/// axis 0: slab row `j` is row `origin + j` of the whole. Out-of-core runs
/// pass slabs whose halo rows were already read (and, past the array's ends,
/// resolved by the boundary mode), so the slab's own border along axis 0 is
/// never consulted for the rows computed. `index(0)` and `shape(0)` see the
/// whole array's values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    /// Row of the whole array at slab row 0 (negative where the slab
    /// starts with halo rows from before the array).
    pub origin: i64,
    /// Length of the whole array along core axis 0.
    pub len: usize,
    /// The slab rows whose output points are computed; the output array
    /// holds exactly these rows (its row 0 is slab row `rows.start`).
    pub rows: std::ops::Range<usize>,
}

/// The arrays given to `execute` are a block of larger arrays: core index
/// `i` along core axis `k` is index `origin[k] + i` of the whole, whose core
/// shape is `shape`. It changes only what `index(k)` and `shape(k)` give;
/// boundary modes still apply at the block's own edges, so a caller that
/// wants global results passes blocks with their halo (as Dask's
/// `map_overlap` does) and keeps only the points whose footprint the halo
/// covers. Combined with a `Window`, the window's axis-0 shift applies on top.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    /// Index in the whole array of the block's first point, per core axis
    /// (negative where the block starts with halo from before the array).
    pub origin: Vec<i64>,
    /// The whole array's core shape.
    pub shape: Vec<usize>,
}

/// Tile size chosen when the options say 0 (automatic): as large as
/// possible, so that fewer halo rows are read twice, but with at least 8
/// tiles per thread to balance the load; between 2^16 and 2^20 points, and
/// at most 2^18 for kernels with 3 or more core axes, whose halo is whole
/// planes that must stay in cache. (Measured on W1, W3, W4 of
/// `benches/peers`; see BENCHMARKS.md.)
pub fn auto_tile_points(layout: &Layout, threads: Option<usize>) -> usize {
    let threads = threads.unwrap_or_else(rayon::current_num_threads).max(1);
    let total: usize = layout
        .loop_len()
        .saturating_mul(layout.core.iter().product());
    let cap = if layout.core.len() >= 3 {
        1 << 18
    } else {
        1 << 20
    };
    (total / (8 * threads)).clamp(1 << 16, cap)
}

/// What the executor needs to know about the kernel besides its code.
#[derive(Clone, Debug)]
pub struct KernelShape {
    pub ndim: usize,
    pub inputs: Vec<DType>,
    pub out_dtype: DType,
    pub footprint: Footprint,
    /// Distinct array reads per point.
    pub loads: usize,
}

/// The number of tiles `execute` will run (for progress bars).
pub fn tile_count(layout: &Layout, tile_points: usize, threads: Option<usize>) -> usize {
    let points = if tile_points == 0 {
        auto_tile_points(layout, threads)
    } else {
        tile_points
    };
    tile::tiles(layout.loop_len(), &layout.core, points).len()
}

/// Runs `kernel` over `inputs` into `out`. Shapes must already be checked:
/// `out` has the broadcast shape `layout.out_shape()`. `params` holds 8
/// bytes per scalar parameter (see `codegen::abi`).
pub fn execute(
    kernel: &dyn TileKernel,
    ks: &KernelShape,
    inputs: &[ArrayRef<'_>],
    layout: &Layout,
    params: &[u8],
    out: &mut ArrayMut<'_>,
    opts: &ExecOptions,
) {
    let points = match opts.tile_points {
        0 => auto_tile_points(layout, opts.threads),
        n => n,
    };
    let mut tiles = tile::tiles(layout.loop_len(), &layout.core, points);
    if let Some(w) = &opts.window {
        tiles.retain_mut(|t| {
            t.rows = t.rows.start.max(w.rows.start)..t.rows.end.min(w.rows.end);
            !t.rows.is_empty()
        });
    }
    let mut out_base = out.as_mut_ptr() as usize;
    if let Some(w) = &opts.window {
        // Tiles address output rows by slab row; the output starts at
        // `w.rows.start`. Only rows of the window are ever written.
        let stride0 = out.strides()[layout.loop_shape.len()];
        out_base =
            (out_base as *mut u8).wrapping_offset(-(w.rows.start as isize) * stride0) as usize;
    }
    let nloop = layout.loop_shape.len();
    let out_loop_strides = out.strides()[..nloop].to_vec();
    let out_core_strides: Vec<i64> = out.strides()[nloop..].iter().map(|&s| s as i64).collect();
    let ndim = layout.core.len();
    let mut origin = [0i64; MAX_NDIM];
    let mut shape = [0i64; MAX_NDIM];
    for (s, &n) in shape.iter_mut().zip(&layout.core) {
        *s = n as i64;
    }
    if let Some(r) = &opts.region {
        for k in 0..ndim {
            origin[k] += r.origin[k];
            shape[k] = r.shape[k] as i64;
        }
    }
    if let Some(w) = &opts.window {
        origin[0] += w.origin;
        shape[0] = w.len as i64;
    }
    let callee = call::Callee {
        kernel,
        in_sizes: inputs.iter().map(|a| a.dtype().size()).collect(),
        out_size: ks.out_dtype.size(),
        params,
        origin,
        shape,
    };
    let job = Job {
        kernel,
        callee,
        ks,
        inputs,
        layout,
        out_base,
        out_loop_strides,
        out_core_strides,
        opts,
        fill: opts.cval.cast(ks.out_dtype),
    };
    let done = std::sync::atomic::AtomicU64::new(0);
    parallel::for_each(&tiles, opts.threads, |t| {
        job.run(t);
        if let Some(p) = &opts.progress {
            p(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
        }
    });
}

struct Job<'a> {
    kernel: &'a dyn TileKernel,
    callee: call::Callee<'a>,
    ks: &'a KernelShape,
    inputs: &'a [ArrayRef<'a>],
    layout: &'a Layout,
    /// The output's address, as an integer so the job is `Sync`; tiles
    /// write disjoint points.
    out_base: usize,
    out_loop_strides: Vec<isize>,
    out_core_strides: Vec<i64>,
    opts: &'a ExecOptions,
    fill: Scalar,
}

impl Job<'_> {
    fn run(&self, t: &tile::Tile) {
        for loop_flat in t.loops.clone() {
            self.run_rows(loop_flat, t.rows.clone());
        }
    }

    /// Computes rows `rows` of the core block at loop point `loop_flat`.
    fn run_rows(&self, loop_flat: usize, rows: std::ops::Range<usize>) {
        let core = &self.layout.core;
        let ndim = core.len();
        let loop_ix = self.layout.loop_index(loop_flat);
        let out_off: isize = loop_ix
            .iter()
            .zip(&self.out_loop_strides)
            .map(|(&i, &s)| i as isize * s)
            .sum();
        let out = (self.out_base as *mut u8).wrapping_offset(out_off);
        let mut b: CoreBox = vec![rows];
        b.extend(core[1..].iter().map(|&n| 0..n));
        let (inner, border) = tile::split(&b, core, &self.ks.footprint);
        let in_bases: Vec<*const u8> = (0..self.inputs.len())
            .map(|i| {
                self.inputs[i]
                    .as_ptr()
                    .wrapping_offset(self.layout.input_offset(i, &loop_ix))
            })
            .collect();
        if let Some(inner) = &inner
            && self.gather_pays(inner)
        {
            // Strided rows: copy the box and its halo into contiguous rows
            // so that the vector variant can run on them.
            self.padded(inner, &in_bases, out);
        } else if let Some(inner) = inner {
            let mut ptrs = Vec::with_capacity(self.inputs.len());
            let mut strides = Vec::with_capacity(self.inputs.len() * ndim);
            for (i, a) in self.inputs.iter().enumerate() {
                let cs = &a.strides()[a.shape().len() - ndim..];
                ptrs.push(in_bases[i].wrapping_offset(box_offset(&inner, cs)));
                strides.extend(cs.iter().map(|&s| s as i64));
            }
            self.call(&inner, &ptrs, &strides, out);
        }
        for bx in &border {
            if self.opts.mode == Mode::Fill {
                self.fill_box(bx, out);
            } else {
                for piece in tile::pieces(bx, &self.ks.footprint) {
                    self.padded(&piece, &in_bases, out);
                }
            }
        }
    }

    /// Whether an interior box runs faster from contiguous copies of its
    /// inputs: only when some input's rows are strided (so the vector
    /// variant cannot read them in place), the output's rows are contiguous,
    /// the box is at least a vector wide, and the kernel reads each input
    /// point several times (at least 3 loads per point), so that one copy
    /// of each element saves several strided scalar loads.
    fn gather_pays(&self, bx: &CoreBox) -> bool {
        let last = bx.len() - 1;
        let lanes = self.kernel.lanes();
        let strided = self
            .inputs
            .iter()
            .any(|a| *a.strides().last().unwrap_or(&0) != a.dtype().size() as isize);
        lanes > 1
            && strided
            && self.out_core_strides[last] == self.ks.out_dtype.size() as i64
            && bx[last].len() >= lanes
            && self.ks.loads >= 3
    }

    /// Calls the kernel on box `bx`, reading input `i` at `ptrs[i]` (the
    /// address of offset 0 at the box's first point) with `strides`; `out`
    /// is the output at this loop point (see `call::Callee::run`).
    fn call(&self, bx: &CoreBox, ptrs: &[*const u8], strides: &[i64], out: *mut u8) {
        let out_ptr = out.wrapping_offset(
            bx.iter()
                .zip(&self.out_core_strides)
                .map(|(r, &s)| r.start as isize * s as isize)
                .sum(),
        );
        // SAFETY: for the interior, `tile::split` guarantees every access
        // of the footprint is inside the arrays; for border boxes the
        // pointers address padded copies that cover box + footprint. The
        // output box lies inside the output.
        unsafe {
            self.callee
                .run(bx, ptrs, strides, out_ptr, &self.out_core_strides)
        };
    }

    fn fill_box(&self, bx: &CoreBox, out: *mut u8) {
        let size = self.ks.out_dtype.size();
        let mut bytes = [0u8; 8];
        self.fill.write(self.ks.out_dtype, &mut bytes[..size]);
        let shape: Vec<usize> = bx.iter().map(|r| r.len()).collect();
        crate::array::for_each_index(&shape, |ix| {
            let off: isize = ix
                .iter()
                .zip(bx)
                .zip(&self.out_core_strides)
                .map(|((&i, r), &s)| (r.start + i) as isize * s as isize)
                .sum();
            // SAFETY: the point is inside the output and owned by this tile.
            unsafe {
                std::ptr::copy_nonoverlapping(bytes.as_ptr(), out.wrapping_offset(off), size)
            };
        });
    }

    /// Computes a border box from padded copies of the inputs: each copy
    /// covers the box grown by the footprint, with out-of-array positions
    /// resolved by the boundary mode (or cval for `constant`).
    fn padded(&self, bx: &CoreBox, in_bases: &[*const u8], out: *mut u8) {
        let fp = &self.ks.footprint;
        let core = &self.layout.core;
        let ndim = core.len();
        let pshape: Vec<usize> = bx
            .iter()
            .enumerate()
            .map(|(k, r)| (r.len() as i64 + fp.hi[k] - fp.lo[k]) as usize)
            .collect();
        let mut bufs: Vec<Vec<u8>> = Vec::with_capacity(self.inputs.len());
        let mut ptrs = Vec::with_capacity(self.inputs.len());
        let mut strides = Vec::with_capacity(self.inputs.len() * ndim);
        for (i, a) in self.inputs.iter().enumerate() {
            let size = a.dtype().size();
            let cs = &a.strides()[a.shape().len() - ndim..];
            let mut cval = [0u8; 8];
            self.opts
                .cval
                .cast(a.dtype())
                .write(a.dtype(), &mut cval[..size]);
            let mut pstrides = vec![size as i64; ndim];
            for k in (0..ndim.saturating_sub(1)).rev() {
                pstrides[k] = pstrides[k + 1] * pshape[k + 1] as i64;
            }
            let mut buf = vec![0u8; pshape.iter().product::<usize>() * size];
            let row_len = pshape[ndim - 1];
            let last = ndim - 1;
            // Along the innermost axis, positions `first..first + row_len`;
            // those in `inside` read the input directly.
            let first = bx[last].start as i64 + fp.lo[last];
            let inside = (-first).clamp(0, row_len as i64) as usize
                ..(core[last] as i64 - first).clamp(0, row_len as i64) as usize;
            let inside = inside.start..inside.end.max(inside.start);
            let mut row_at = 0;
            crate::array::for_each_index(&pshape[..last], |ix| {
                let dst = &mut buf[row_at..row_at + row_len * size];
                row_at += row_len * size;
                let mut off = 0isize;
                for k in 0..last {
                    let p = bx[k].start as i64 + fp.lo[k] + ix[k] as i64;
                    match map_index(p, core[k], self.opts.mode) {
                        Some(j) => off += j as isize * cs[k],
                        None => {
                            // A row outside the array: all cval.
                            dst.chunks_exact_mut(size)
                                .for_each(|d| d.copy_from_slice(&cval[..size]));
                            return;
                        }
                    }
                }
                let src = in_bases[i].wrapping_offset(off);
                for t in (0..inside.start).chain(inside.end..row_len) {
                    let d = &mut dst[t * size..(t + 1) * size];
                    match map_index(first + t as i64, core[last], self.opts.mode) {
                        // SAFETY: a mapped index is inside the input.
                        Some(j) => unsafe {
                            std::ptr::copy_nonoverlapping(
                                src.wrapping_offset(j as isize * cs[last]),
                                d.as_mut_ptr(),
                                size,
                            )
                        },
                        None => d.copy_from_slice(&cval[..size]),
                    }
                }
                let start = (first + inside.start as i64) as isize;
                // SAFETY: positions in `inside` are inside the input's row.
                unsafe {
                    gather_row(
                        src.wrapping_offset(start * cs[last]),
                        cs[last],
                        &mut dst[inside.start * size..inside.end * size],
                        size,
                    )
                };
            });
            let zero: i64 = (0..ndim).map(|k| -fp.lo[k] * pstrides[k]).sum();
            ptrs.push(buf.as_ptr().wrapping_offset(zero as isize));
            strides.extend_from_slice(&pstrides);
            bufs.push(buf);
        }
        self.call(bx, &ptrs, &strides, out);
        drop(bufs);
    }
}

/// Copies `dst.len() / size` elements of `size` bytes, `stride` bytes
/// apart from `src` on, into `dst` (contiguous).
///
/// # Safety
/// Every element read must be inside one allocation.
unsafe fn gather_row(src: *const u8, stride: isize, dst: &mut [u8], size: usize) {
    if stride == size as isize {
        // SAFETY: the caller's contract; a contiguous run.
        unsafe { std::ptr::copy_nonoverlapping(src, dst.as_mut_ptr(), dst.len()) };
        return;
    }
    macro_rules! strided {
        ($t:ty) => {
            for (k, d) in dst.chunks_exact_mut(size).enumerate() {
                // SAFETY: the caller's contract; unaligned reads are fine.
                let v = unsafe {
                    (src.wrapping_offset(k as isize * stride) as *const $t).read_unaligned()
                };
                d.copy_from_slice(&v.to_ne_bytes());
            }
        };
    }
    match size {
        1 => strided!(u8),
        2 => strided!(u16),
        4 => strided!(u32),
        _ => strided!(u64),
    }
}

/// Byte offset of a box's first point in an array with core `strides`.
fn box_offset(bx: &CoreBox, strides: &[isize]) -> isize {
    bx.iter()
        .zip(strides)
        .map(|(r, &s)| r.start as isize * s)
        .sum()
}
