//! The box engine: one stage computed over one box of points. Both
//! schedules (`exec::run`) call it for every box they compute, so there is
//! one definition of how a box reads its arguments and where its border
//! comes from.
//!
//! A box splits into its interior, where every read of the stage's
//! footprint lands inside the array, and border boxes (`tile::split`).
//! The interior runs straight on the arguments: the arrays, or the grids
//! of earlier stages, and never checks a bound. Under `fill` the border is
//! set to cval; under every other mode it runs on padded copies of the
//! arguments that cover the box grown by the footprint, each position
//! outside the array resolved by the stage's mode (`base::mode`). Every
//! point is thus computed by the same machine code from the same operand
//! values, wherever it falls.

use smallvec::SmallVec;

use crate::base::array::for_each_index;
use crate::base::dtype::DType;
use crate::base::mode::{Mode, map_index};
use crate::base::scalar::Scalar;
use crate::exec::Stage;
use crate::exec::call::{Callee, Operands};
use crate::exec::grid::Grid;
use crate::exec::tile::{self, CoreBox};

/// One value per core axis, inline.
type Small<T> = SmallVec<[T; 4]>;

/// Where the arrays of a run lie in the coordinates boxes are given in.
pub struct Geometry {
    /// Length of each core axis: what boundary modes fold positions into.
    pub extent: Vec<usize>,
    /// Position `p` along axis 0 is row `p - shift` of the arrays (a slab
    /// of larger arrays in global coordinates); 0 otherwise.
    pub shift: i64,
    /// Rows the arrays hold along core axis 0.
    pub rows: usize,
}

/// Where one argument of a stage comes from, at the current loop point.
#[derive(Clone, Copy)]
pub enum Src<'a> {
    /// An array: the address of its row 0 at position 0 of the other axes,
    /// and its core byte strides.
    Array { base: *const u8, strides: &'a [i64] },
    /// The values of an earlier stage.
    Grid(&'a Grid),
    /// Never read by the stage (or, for a stage outside every needed
    /// region, read only where the mode gives cval).
    Absent,
}

/// Where one output of a stage goes.
pub enum Dst<'a> {
    /// An array: the address of position 0, and its core byte strides.
    Array {
        base: *mut u8,
        strides: &'a [i64],
    },
    Grid(&'a mut Grid),
}

/// A stage with its compiled code ready to call.
pub struct Engine<'a> {
    pub stage: &'a Stage,
    pub callee: &'a Callee<'a>,
    pub geometry: &'a Geometry,
    /// The constant of `fill` and `constant`.
    pub cval: Scalar,
}

impl Engine<'_> {
    /// Computes the stage over box `bx` from `srcs` (one per argument)
    /// into `dst` (one per output).
    pub fn compute(&self, bx: &CoreBox, srcs: &[Src<'_>], dst: &mut [Dst<'_>]) {
        let s = self.stage;
        let (inner, border) = tile::split(bx, &self.geometry.extent, &s.footprint);
        if let Some(inner) = &inner {
            if self.gather_pays(inner, srcs, dst) {
                // Strided rows: copies of the box and its halo in contiguous
                // rows let the vector variant run on them.
                self.padded(inner, srcs, dst);
            } else {
                self.interior(inner, srcs, dst);
            }
        }
        for bx in &border {
            if s.mode == Mode::Fill {
                self.fill(bx, dst);
            } else {
                for piece in tile::pieces(bx, &s.footprint) {
                    self.padded(&piece, srcs, dst);
                }
            }
        }
    }

    /// An interior box, straight on the arguments.
    fn interior(&self, bx: &CoreBox, srcs: &[Src<'_>], dst: &mut [Dst<'_>]) {
        let ndim = bx.len();
        let start: Small<i64> = bx.iter().map(|x| x.start as i64).collect();
        let mut ptrs: SmallVec<[*const u8; 8]> = SmallVec::new();
        let mut strides: SmallVec<[i64; 32]> = SmallVec::new();
        let mut rings: SmallVec<[u64; 16]> = SmallVec::new();
        for (src, read) in srcs.iter().zip(&self.stage.reads) {
            match (*src, read) {
                (Src::Array { base, strides: cs }, _) => {
                    ptrs.push(self.array_address(base, cs, &start));
                    strides.extend_from_slice(cs);
                    rings.extend_from_slice(&[0, 0]);
                }
                (Src::Grid(g), Some(f)) => {
                    // Inside the array the reads of the interior lie in one
                    // run per axis: the run of its first read.
                    let anchor: Small<usize> =
                        (0..ndim).map(|k| (start[k] + f.lo[k]) as usize).collect();
                    let at = g.address(&anchor, &start);
                    ptrs.push(at);
                    strides.extend_from_slice(&g.strides);
                    rings.extend_from_slice(&g.ring_bounds(at, start[0]));
                }
                _ => {
                    ptrs.push(std::ptr::null());
                    strides.extend(std::iter::repeat_n(0, ndim));
                    rings.extend_from_slice(&[0, 0]);
                }
            }
        }
        self.call(bx, &ptrs, &strides, &rings, dst);
    }

    /// Whether an interior box runs faster from contiguous copies of its
    /// arguments: only when some array argument's rows are strided (so the
    /// vector variant cannot read them in place), the destination's rows
    /// are contiguous, the box is at least a vector wide, and the kernel
    /// reads each point several times (at least 3 loads per point), so that
    /// one copy of each element saves several strided scalar loads.
    fn gather_pays(&self, bx: &CoreBox, srcs: &[Src<'_>], dst: &[Dst<'_>]) -> bool {
        let s = self.stage;
        let last = bx.len() - 1;
        let lanes = s.code.lanes();
        if lanes == 1 || s.loads < 3 || bx[last].len() < lanes {
            return false;
        }
        let strided = srcs.iter().zip(&s.in_dtypes).any(|(src, d)| match src {
            Src::Array { strides, .. } => strides[last] != d.size() as i64,
            _ => false,
        });
        let out_contiguous = dst.iter().zip(&s.out_dtypes).all(|(d, t)| match d {
            Dst::Array { strides, .. } => strides[last] == t.size() as i64,
            Dst::Grid(_) => true,
        });
        strided && out_contiguous
    }

    /// The address of position `p` in an array argument.
    fn array_address(&self, base: *const u8, strides: &[i64], p: &[i64]) -> *const u8 {
        let mut off = (p[0] - self.geometry.shift) * strides[0];
        for k in 1..p.len() {
            off += p[k] * strides[k];
        }
        base.wrapping_offset(off as isize)
    }

    /// Per output, the destination address of box `bx`'s first point, and
    /// all outputs' strides one after the other.
    fn dsts_at(
        &self,
        dst: &mut [Dst<'_>],
        bx: &CoreBox,
    ) -> (SmallVec<[*mut u8; 4]>, SmallVec<[i64; 16]>) {
        let mut outs = SmallVec::new();
        let mut strides = SmallVec::new();
        for d in dst {
            let (o, s) = self.dst_at(d, bx);
            outs.push(o);
            strides.extend_from_slice(s);
        }
        (outs, strides)
    }

    /// The destination address and strides of box `bx`'s first point.
    fn dst_at<'d>(&self, dst: &'d mut Dst<'_>, bx: &CoreBox) -> (*mut u8, &'d [i64]) {
        let start: Small<i64> = bx.iter().map(|x| x.start as i64).collect();
        match dst {
            Dst::Array { base, strides } => {
                let off: i64 = start.iter().zip(strides.iter()).map(|(&p, &s)| p * s).sum();
                (base.wrapping_offset(off as isize), strides)
            }
            Dst::Grid(g) => {
                let anchor: Small<usize> = bx.iter().map(|x| x.start).collect();
                (g.address(&anchor, &start) as *mut u8, &g.strides)
            }
        }
    }

    /// Runs the stage's code on box `bx`, reading argument `a` at `ptrs[a]`
    /// (offset 0 at the box's first point) with `strides`, its rows wrapped
    /// in `rings` (two words per argument, `abi::TileArgs::rings`).
    fn call(
        &self,
        bx: &CoreBox,
        ptrs: &[*const u8],
        strides: &[i64],
        rings: &[u64],
        dst: &mut [Dst<'_>],
    ) {
        let (outs, out_strides) = self.dsts_at(dst, bx);
        // SAFETY: for an interior box every read lies inside the arrays
        // (`tile::split`) and inside one run of each grid read (the regions
        // were grown by the reads), or a ring's rows; padded boxes read
        // copies that cover box + footprint. The box lies inside the
        // destination (within one stretch of a ring's slots: `strip`).
        // Null pointers belong to arguments never read.
        let op = Operands {
            ins: ptrs,
            in_strides: strides,
            rings,
            outs: &outs,
            out_strides: &out_strides,
        };
        unsafe { self.callee.run(bx, op) };
    }

    /// Sets box `bx` of every output to cval (`fill`).
    fn fill(&self, bx: &CoreBox, dst: &mut [Dst<'_>]) {
        for (o, &d) in dst.iter_mut().zip(&self.stage.out_dtypes) {
            self.fill_one(bx, o, d);
        }
    }

    /// Sets box `bx` of one output, of dtype `d`, to cval.
    fn fill_one(&self, bx: &CoreBox, dst: &mut Dst<'_>, d: DType) {
        let size = d.size();
        let bytes = self.cval.cast(d).to_bytes(d);
        let (out, strides) = self.dst_at(dst, bx);
        let shape: Small<usize> = bx.iter().map(|r| r.len()).collect();
        macro_rules! fill {
            ($t:ty) => {{
                let v = <$t>::from_ne_bytes(bytes[..size].try_into().expect("size"));
                fill_box(out, &shape, strides, v)
            }};
        }
        match size {
            1 => fill!(u8),
            2 => fill!(u16),
            4 => fill!(u32),
            _ => fill!(u64),
        }
    }

    /// Computes box `bx` from padded copies of the arguments: each covers
    /// the box grown by the footprint, positions outside the array resolved
    /// by the stage's mode (cval for `constant`).
    fn padded(&self, bx: &CoreBox, srcs: &[Src<'_>], dst: &mut [Dst<'_>]) {
        let s = self.stage;
        let fp = &s.footprint;
        let geo = self.geometry;
        let ndim = bx.len();
        let pshape: Vec<usize> = (0..ndim)
            .map(|k| (bx[k].len() as i64 + fp.hi[k] - fp.lo[k]) as usize)
            .collect();
        // Per axis and padded position: the index read, if any.
        let mapped: Vec<Vec<Option<usize>>> = (0..ndim)
            .map(|k| {
                (0..pshape[k])
                    .map(|t| {
                        let p = bx[k].start as i64 + fp.lo[k] + t as i64;
                        map_index(p, geo.extent[k], s.mode)
                    })
                    .collect()
            })
            .collect();
        let mut bufs: Vec<Vec<u8>> = Vec::with_capacity(srcs.len());
        let mut ptrs = Vec::with_capacity(srcs.len());
        let mut strides = Vec::with_capacity(srcs.len() * ndim);
        for (ai, (src, read)) in srcs.iter().zip(&s.reads).enumerate() {
            let dtype = s.in_dtypes[ai];
            let size = dtype.size();
            let mut pstrides = vec![size as i64; ndim];
            for k in (0..ndim.saturating_sub(1)).rev() {
                pstrides[k] = pstrides[k + 1] * pshape[k + 1] as i64;
            }
            if read.is_none() {
                ptrs.push(std::ptr::null());
                strides.extend_from_slice(&pstrides);
                continue;
            }
            // Per axis and padded position: the byte offset of the element
            // in the argument, or `None` for cval.
            let (base, offsets): (*const u8, Vec<Vec<Option<i64>>>) = match *src {
                Src::Array { base, strides: cs } => (
                    base,
                    (0..ndim)
                        .map(|k| {
                            mapped[k]
                                .iter()
                                .map(|m| {
                                    let i = m.map(|g| g as i64)?;
                                    if k > 0 {
                                        return Some(i * cs[k]);
                                    }
                                    // Rows a slab lacks are never read (the
                                    // regions were checked); the padding past
                                    // the reads may ask.
                                    let row = i - geo.shift;
                                    (0..geo.rows as i64).contains(&row).then(|| row * cs[0])
                                })
                                .collect()
                        })
                        .collect(),
                ),
                Src::Grid(g) => (
                    g.buf.as_ptr(),
                    (0..ndim)
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
                ),
                // A stage not computed is read only outside the array
                // (`constant`): all cval.
                Src::Absent => (
                    std::ptr::null(),
                    pshape.iter().map(|&n| vec![None; n]).collect(),
                ),
            };
            let buf = padded_copy(
                base,
                &offsets,
                &pshape,
                self.cval.cast(dtype).to_bytes(dtype),
                size,
            );
            let zero: i64 = (0..ndim).map(|k| -fp.lo[k] * pstrides[k]).sum();
            ptrs.push(buf.as_ptr().wrapping_offset(zero as isize));
            strides.extend_from_slice(&pstrides);
            bufs.push(buf);
        }
        let rings = vec![0; 2 * ptrs.len()];
        self.call(bx, &ptrs, &strides, &rings, dst);
        drop(bufs);
    }
}

/// Sets every point of a box of `shape` at `out` (byte `strides`) to `v`:
/// rows along the two innermost axes walked by pointer steps, a contiguous
/// aligned row as one slice fill (a border column is a row per point, so
/// the per-row work is what a thin border costs).
fn fill_box<T: Copy>(out: *mut u8, shape: &[usize], strides: &[i64], v: T) {
    let size = std::mem::size_of::<T>();
    let last = shape.len() - 1;
    let n = shape[last];
    let step = strides[last] as isize;
    let (outer, rows, row_step) = match last {
        0 => (&shape[..0], 1, 0),
        _ => (
            &shape[..last - 1],
            shape[last - 1],
            strides[last - 1] as isize,
        ),
    };
    for_each_index(outer, |ix| {
        let off: i64 = ix.iter().zip(strides).map(|(&i, &s)| i as i64 * s).sum();
        let mut row = out.wrapping_offset(off as isize);
        if n == 1 {
            // A border column: one point per row, a store and a step each.
            for _ in 0..rows {
                // SAFETY: the point is inside the destination.
                unsafe { (row as *mut T).write_unaligned(v) };
                row = row.wrapping_offset(row_step);
            }
            return;
        }
        for _ in 0..rows {
            if n > 1 && step == size as isize && (row as usize).is_multiple_of(align_of::<T>()) {
                // SAFETY: a contiguous, aligned row of the destination.
                unsafe { std::slice::from_raw_parts_mut(row as *mut T, n) }.fill(v);
            } else {
                for t in 0..n as isize {
                    // SAFETY: the point is inside the destination.
                    unsafe { (row.wrapping_offset(t * step) as *mut T).write_unaligned(v) };
                }
            }
            row = row.wrapping_offset(row_step);
        }
    });
}

/// A C-order copy of shape `pshape` of `size`-byte elements: the element at
/// padded index `ix` is read at `base + sum_k offsets[k][ix[k]]`, or is
/// `cval` where any axis's offset is `None`. Along the innermost axis,
/// positions whose elements lie at equal steps (or are all cval) are copied
/// as one run per row: one `memcpy` where the step is the element size.
fn padded_copy(
    base: *const u8,
    offsets: &[Vec<Option<i64>>],
    pshape: &[usize],
    cval: [u8; 8],
    size: usize,
) -> Vec<u8> {
    let last = pshape.len() - 1;
    let row_len = pshape[last];
    let segs = innermost_runs(&offsets[last]);
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
        for seg in &segs {
            let d = &mut row[seg.at * size..(seg.at + seg.len) * size];
            match seg.src {
                // SAFETY: mapped positions are inside the array (or the
                // slab, checked when the regions were found) or slots of the
                // grid, `step` apart.
                Some((first, step)) => unsafe {
                    gather(
                        base.wrapping_offset((row_off + first) as isize),
                        step,
                        d,
                        size,
                    )
                },
                None => fill(d),
            }
        }
    });
    buf
}

/// A run of padded positions along the innermost axis.
struct Seg {
    at: usize,
    len: usize,
    /// The first element's offset and the step between elements; `None`
    /// for cval.
    src: Option<(i64, i64)>,
}

/// The innermost offsets as runs of equal steps (or of cval).
fn innermost_runs(offsets: &[Option<i64>]) -> Vec<Seg> {
    let mut segs: Vec<Seg> = Vec::new();
    for (t, &o) in offsets.iter().enumerate() {
        if let Some(s) = segs.last_mut() {
            match (&mut s.src, o) {
                (None, None) => {
                    s.len += 1;
                    continue;
                }
                (Some((first, step)), Some(o)) if s.len == 1 => {
                    *step = o - *first;
                    s.len += 1;
                    continue;
                }
                (Some((first, step)), Some(o)) if *first + s.len as i64 * *step == o => {
                    s.len += 1;
                    continue;
                }
                _ => {}
            }
        }
        segs.push(Seg {
            at: t,
            len: 1,
            src: o.map(|o| (o, 0)),
        });
    }
    segs
}

/// Copies `dst.len() / size` elements of `size` bytes, `step` bytes apart
/// from `src` on, into `dst` (contiguous).
///
/// # Safety
/// Every element read must be readable memory.
unsafe fn gather(src: *const u8, step: i64, dst: &mut [u8], size: usize) {
    if step == size as i64 || dst.len() == size {
        // SAFETY: the caller's contract; a contiguous run.
        unsafe { std::ptr::copy_nonoverlapping(src, dst.as_mut_ptr(), dst.len()) };
        return;
    }
    macro_rules! strided {
        ($t:ty) => {
            for (k, d) in dst.chunks_exact_mut(size).enumerate() {
                // SAFETY: the caller's contract; unaligned reads are fine.
                let v = unsafe {
                    (src.wrapping_offset(k as isize * step as isize) as *const $t).read_unaligned()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn innermost_runs_join_equal_steps() {
        let o = |v: &[i64]| v.iter().map(|&x| Some(x)).collect::<Vec<_>>();
        // Contiguous, then reflected back at an edge.
        let segs = innermost_runs(&o(&[8, 4, 0, 0, 4, 8, 12]));
        let got: Vec<_> = segs.iter().map(|s| (s.at, s.len, s.src)).collect();
        assert_eq!(got, vec![(0, 3, Some((8, -4))), (3, 4, Some((0, 4)))]);
        let segs = innermost_runs(&[None, None, Some(3), None]);
        let got: Vec<_> = segs.iter().map(|s| (s.at, s.len, s.src)).collect();
        assert_eq!(got, vec![(0, 2, None), (2, 1, Some((3, 0))), (3, 1, None)]);
    }

    #[test]
    fn padded_copies_read_every_offset_once() {
        let data: Vec<u16> = (0..20).collect();
        let base = data.as_ptr() as *const u8;
        // 2 rows (offsets 0 and 10 elements) x 4 columns reflected at the left.
        let rows = vec![Some(0), Some(20)];
        let cols = vec![Some(2), Some(0), Some(0), Some(2)];
        let buf = padded_copy(base, &[rows, cols], &[2, 4], 7u64.to_ne_bytes(), 2);
        let got: Vec<u16> = buf
            .chunks(2)
            .map(|c| u16::from_ne_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(got, vec![1, 0, 0, 1, 11, 10, 10, 11]);
        let buf = padded_copy(
            base,
            &[vec![None], vec![Some(0), Some(2)]],
            &[1, 2],
            7u64.to_ne_bytes(),
            2,
        );
        assert_eq!(buf, vec![7, 0, 7, 0]);
    }
}
