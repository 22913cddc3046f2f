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
        // Border boxes a whole step wide for the integer vector loops,
        // which take whole steps (`tile::split`); not where they are
        // filled with cval (their interior points must be computed). Float
        // loops take one vector and more: there the wider pieces' copies
        // cost more than the scalar column (W7: 4.82 to 4.91 instructions
        // per point, the same time).
        let code = self.callee.code;
        let min_width = match s.mode {
            Mode::Fill => 1,
            _ if code.any_width() => 1,
            _ => code.lanes(),
        };
        let (inner, border) = tile::split(bx, &self.geometry.extent, &s.footprint, min_width);
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
        // Per output, the destination address of the box's first point,
        // its strides, and its ring after the inputs' (a sliding grid's
        // rows wrap, so a box of rows may cross its end).
        let mut outs: SmallVec<[*mut u8; 4]> = SmallVec::new();
        let mut out_strides: SmallVec<[i64; 16]> = SmallVec::new();
        let mut rings: SmallVec<[u64; 16]> = SmallVec::from_slice(rings);
        for d in dst {
            let (o, s) = self.dst_at(d, bx);
            outs.push(o);
            out_strides.extend_from_slice(s);
            let ring = match d {
                Dst::Grid(g) => g.ring_bounds(o, bx[0].start as i64),
                Dst::Array { .. } => [0, 0],
            };
            rings.extend_from_slice(&ring);
        }
        // SAFETY: for an interior box every read lies inside the arrays
        // (`tile::split`) and inside one run of each grid read (the regions
        // were grown by the reads), or a ring's rows; padded boxes read
        // copies that cover box + footprint. The box lies inside the
        // destination, its rows in a ring's slots where it is a ring.
        // Null pointers belong to arguments never read.
        let op = Operands {
            ins: ptrs,
            in_strides: strides,
            rings: &rings,
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

    /// Sets box `bx` of one output, of dtype `d`, to cval: in a ring, part
    /// by part where its rows wrap.
    fn fill_one(&self, bx: &CoreBox, dst: &mut Dst<'_>, d: DType) {
        if let Dst::Grid(g) = dst {
            let parts = g.unwrapped(bx[0].clone());
            if parts.len() > 1 {
                for part in parts {
                    let mut p = bx.clone();
                    p[0] = part;
                    self.fill_one(&p, dst, d);
                }
                return;
            }
        }
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
    /// by the stage's mode (cval for `constant`). A multi-step run calls
    /// this for every thin border piece of every step (W7: thousands of
    /// pieces a few rows by one column per call), so nothing here allocates
    /// once a thread has made its first pieces: the lists and the copies
    /// live in this thread's `PadScratch`.
    fn padded(&self, bx: &CoreBox, srcs: &[Src<'_>], dst: &mut [Dst<'_>]) {
        let s = self.stage;
        let fp = &s.footprint;
        let geo = self.geometry;
        let ndim = bx.len();
        let pshape: Small<usize> = (0..ndim)
            .map(|k| (bx[k].len() as i64 + fp.hi[k] - fp.lo[k]) as usize)
            .collect();
        let elements: usize = pshape.iter().product();
        PAD_SCRATCH.with(|scratch| {
            let PadScratch {
                mapped,
                offsets,
                segs,
                bufs,
            } = &mut *scratch.borrow_mut();
            // Per axis and padded position (axis after axis, axis `k` from
            // `starts[k]`): the index read, if any.
            let mut starts: Small<usize> = Small::new();
            mapped.clear();
            for k in 0..ndim {
                starts.push(mapped.len());
                mapped.extend((0..pshape[k]).map(|t| {
                    let p = bx[k].start as i64 + fp.lo[k] + t as i64;
                    map_index(p, geo.extent[k], s.mode)
                }));
            }
            let along = |k: usize| starts[k]..starts[k] + pshape[k];
            if bufs.len() < srcs.len() {
                bufs.resize_with(srcs.len(), Vec::new);
            }
            let mut ptrs: SmallVec<[*const u8; 8]> = SmallVec::new();
            let mut strides: SmallVec<[i64; 32]> = SmallVec::new();
            for (ai, (src, read)) in srcs.iter().zip(&s.reads).enumerate() {
                let dtype = s.in_dtypes[ai];
                let size = dtype.size();
                let mut pstrides: Small<i64> = smallvec::smallvec![size as i64; ndim];
                for k in (0..ndim.saturating_sub(1)).rev() {
                    pstrides[k] = pstrides[k + 1] * pshape[k + 1] as i64;
                }
                strides.extend_from_slice(&pstrides);
                if read.is_none() {
                    ptrs.push(std::ptr::null());
                    continue;
                }
                // Per axis and padded position: the byte offset of the
                // element in the argument, or `None` for cval.
                offsets.clear();
                let base = match *src {
                    Src::Array { base, strides: cs } => {
                        for k in 0..ndim {
                            offsets.extend(mapped[along(k)].iter().map(|m| {
                                let i = m.map(|g| g as i64)?;
                                if k > 0 {
                                    return Some(i * cs[k]);
                                }
                                // Rows a slab lacks are never read (the
                                // regions were checked); the padding past
                                // the reads may ask.
                                let row = i - geo.shift;
                                (0..geo.rows as i64).contains(&row).then(|| row * cs[0])
                            }));
                        }
                        base
                    }
                    Src::Grid(g) => {
                        for k in 0..ndim {
                            offsets.extend(mapped[along(k)].iter().map(|m| {
                                m.and_then(|i| g.slot(k, i))
                                    .map(|sl| sl as i64 * g.strides[k])
                            }));
                        }
                        g.buf.as_ptr()
                    }
                    // A stage not computed is read only outside the array
                    // (`constant`): all cval.
                    Src::Absent => {
                        offsets.resize(mapped.len(), None);
                        std::ptr::null()
                    }
                };
                // Every element is written by the copy: the buffer is
                // only grown (zeroed then), never cleared.
                let buf = &mut bufs[ai];
                if buf.len() < elements * size {
                    buf.resize(elements * size, 0);
                }
                let buf = &mut buf[..elements * size];
                let cval = self.cval.cast(dtype).to_bytes(dtype);
                let inner = along(ndim - 1);
                innermost_runs(&offsets[inner], segs);
                let src = PadSource {
                    base,
                    offsets,
                    segs,
                    starts: &starts,
                    pshape: &pshape,
                };
                padded_copy(buf, &src, cval, size);
                let zero: i64 = (0..ndim).map(|k| -fp.lo[k] * pstrides[k]).sum();
                ptrs.push(buf.as_ptr().wrapping_offset(zero as isize));
            }
            let rings: SmallVec<[u64; 16]> = smallvec::smallvec![0; 2 * ptrs.len()];
            self.call(bx, &ptrs, &strides, &rings, dst);
            // An interior copied whole (`gather_pays`) is not kept.
            for b in bufs.iter_mut().filter(|b| b.capacity() > PAD_KEPT) {
                *b = Vec::new();
            }
        });
    }
}

/// The largest buffer, in bytes, a thread keeps for its next padded copy.
const PAD_KEPT: usize = 1 << 20;

/// What `Engine::padded` builds for every piece, kept per thread.
#[derive(Default)]
struct PadScratch {
    /// Per axis and padded position, the index read.
    mapped: Vec<Option<usize>>,
    /// Per axis and padded position, one argument's byte offset.
    offsets: Vec<Option<i64>>,
    /// The runs of the innermost axis's offsets.
    segs: Vec<Seg>,
    /// The padded copies, one per argument.
    bufs: Vec<Vec<u8>>,
}

thread_local! {
    static PAD_SCRATCH: std::cell::RefCell<PadScratch> =
        std::cell::RefCell::new(PadScratch::default());
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

/// A C-order copy of shape `pshape` of `size`-byte elements into `buf`
/// (exactly that long): the element at padded index `ix` is read at
/// `base + sum_k offsets[starts[k] + ix[k]]` (`PadSource`), or is `cval`
/// where any axis's offset is `None`.
fn padded_copy(buf: &mut [u8], src: &PadSource<'_>, cval: [u8; 8], size: usize) {
    debug_assert_eq!(buf.len(), src.pshape.iter().product::<usize>() * size);
    macro_rules! typed {
        ($t:ty) => {{
            let v = <$t>::from_ne_bytes(cval[..size].try_into().expect("size"));
            copy_rows::<$t>(buf, src, v)
        }};
    }
    match size {
        1 => typed!(u8),
        2 => typed!(u16),
        4 => typed!(u32),
        _ => typed!(u64),
    }
}

/// Where a padded copy of shape `pshape` reads: per axis (axis `k` from
/// `starts[k]` in `offsets`) and padded position, the byte offset from
/// `base`, or `None` for cval. Along the innermost axis, positions whose
/// elements lie at equal steps (or are all cval) are copied as one run per
/// row: `segs`, the innermost offsets' `innermost_runs`.
struct PadSource<'a> {
    base: *const u8,
    offsets: &'a [Option<i64>],
    segs: &'a [Seg],
    starts: &'a [usize],
    pshape: &'a [usize],
}

/// `padded_copy` with elements of type `T`.
fn copy_rows<T: Copy>(buf: &mut [u8], src: &PadSource<'_>, cval: T) {
    let PadSource {
        base,
        offsets,
        segs,
        starts,
        pshape,
    } = *src;
    let size = std::mem::size_of::<T>();
    let last = pshape.len() - 1;
    let row_len = pshape[last];
    let out = buf.as_mut_ptr() as *mut T;
    // Each row's offset (`None`: all cval), then run by run down the
    // rows: a border piece is a few columns wide and many rows long.
    // (One row of offset 0 for a 1-d copy: the empty index.)
    let mut rows: SmallVec<[Option<i64>; 64]> = SmallVec::new();
    for_each_index(&pshape[..last], |ix| {
        let mut row_off = Some(0i64);
        for (k, &i) in ix.iter().enumerate() {
            row_off = row_off.zip(offsets[starts[k] + i]).map(|(a, b)| a + b);
        }
        rows.push(row_off);
    });
    assert_eq!(
        rows.len() * row_len * size,
        buf.len(),
        "the copy fills its buffer"
    );
    for seg in segs {
        for (r, row_off) in rows.iter().enumerate() {
            // SAFETY (of every `add` below): the run lies inside row `r`
            // of `buf`.
            let at = unsafe { out.add(r * row_len + seg.at) };
            let (Some(row_off), Some((first, step))) = (row_off, seg.src) else {
                for t in 0..seg.len {
                    // SAFETY: inside `buf`.
                    unsafe { at.add(t).write_unaligned(cval) };
                }
                continue;
            };
            let src = base.wrapping_offset((row_off + first) as isize);
            if step == size as i64 && seg.len >= 16 {
                // SAFETY: mapped positions are inside the array (or the
                // slab, checked when the regions were found) or slots of
                // the grid, here a contiguous run.
                unsafe { std::ptr::copy_nonoverlapping(src, at as *mut u8, seg.len * size) };
                continue;
            }
            for t in 0..seg.len {
                // SAFETY: as above, elements `step` bytes apart.
                unsafe {
                    let v = (src.wrapping_offset(t as isize * step as isize) as *const T)
                        .read_unaligned();
                    at.add(t).write_unaligned(v);
                }
            }
        }
    }
}

/// A run of padded positions along the innermost axis.
struct Seg {
    at: usize,
    len: usize,
    /// The first element's offset and the step between elements; `None`
    /// for cval.
    src: Option<(i64, i64)>,
}

/// The innermost offsets as runs of equal steps (or of cval), into `segs`.
fn innermost_runs(offsets: &[Option<i64>], segs: &mut Vec<Seg>) {
    segs.clear();
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn innermost_runs_join_equal_steps() {
        let o = |v: &[i64]| v.iter().map(|&x| Some(x)).collect::<Vec<_>>();
        // Contiguous, then reflected back at an edge.
        let mut segs = Vec::new();
        innermost_runs(&o(&[8, 4, 0, 0, 4, 8, 12]), &mut segs);
        let got: Vec<_> = segs.iter().map(|s| (s.at, s.len, s.src)).collect();
        assert_eq!(got, vec![(0, 3, Some((8, -4))), (3, 4, Some((0, 4)))]);
        innermost_runs(&[None, None, Some(3), None], &mut segs);
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
        let copy = |offsets: &[Vec<Option<i64>>], pshape: &[usize]| {
            let starts: Vec<usize> = (offsets.iter())
                .scan(0, |at, o| Some(std::mem::replace(at, *at + o.len())))
                .collect();
            let flat: Vec<Option<i64>> = offsets.concat();
            let mut segs = Vec::new();
            innermost_runs(&offsets[offsets.len() - 1], &mut segs);
            let mut buf = vec![0xAB; pshape.iter().product::<usize>() * 2];
            let src = PadSource {
                base,
                offsets: &flat,
                segs: &segs,
                starts: &starts,
                pshape,
            };
            padded_copy(&mut buf, &src, 7u64.to_ne_bytes(), 2);
            buf
        };
        let buf = copy(&[rows, cols], &[2, 4]);
        let got: Vec<u16> = buf
            .chunks(2)
            .map(|c| u16::from_ne_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(got, vec![1, 0, 0, 1, 11, 10, 10, 11]);
        let buf = copy(&[vec![None], vec![Some(0), Some(2)]], &[1, 2]);
        assert_eq!(buf, vec![7, 0, 7, 0]);
        // One axis: one row, cval past the end.
        let buf = copy(&[vec![Some(2), Some(0), None]], &[3]);
        assert_eq!(buf, vec![1, 0, 0, 0, 7, 0]);
    }
}
