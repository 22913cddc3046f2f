//! One call of compiled code on one box of points (for the box engine): whole vectors of contiguous rows to the vector variant, the
//! rest to the scalar code.

use crate::base::graph::MAX_NDIM;
use crate::codegen::Compiled;
use crate::codegen::abi::TileArgs;
use crate::exec::tile::CoreBox;

/// A compiled stage with what every call of it passes alike.
pub struct Callee<'a> {
    pub code: &'a Compiled,
    /// Element size of each input, in bytes.
    pub in_sizes: Vec<usize>,
    /// Element size of each output, in bytes.
    pub out_sizes: Vec<usize>,
    /// 8 bytes per scalar parameter (see `codegen::abi`).
    pub params: &'a [u8],
    /// Added to a box's first index for what `index(k)` gives.
    pub origin: [i64; MAX_NDIM],
    /// What `shape(k)` gives.
    pub shape: [i64; MAX_NDIM],
}

/// Where one call reads and writes, for a box of `ndim` axes: input `i`
/// read at `ins[i]` (the address of offset 0 at the box's first point)
/// with `in_strides` (`ndim` per input, bytes), output `o` written at
/// `outs[o]` (the box's first point) with `out_strides` (`ndim` per output),
/// the rows of each wrapped in `rings` (two words per input, then per
/// output, see `abi::TileArgs::rings`).
#[derive(Clone, Copy)]
pub struct Operands<'p> {
    pub ins: &'p [*const u8],
    pub in_strides: &'p [i64],
    pub rings: &'p [u64],
    pub outs: &'p [*mut u8],
    pub out_strides: &'p [i64],
}

impl Callee<'_> {
    /// Runs the kernel on box `bx` with operands `op`. Where every row is contiguous,
    /// whole vectors go to the vector variant and a row's last partial
    /// vector is computed as one more vector ending at the row's end: the
    /// points it computes again get the same bits, and no scalar tail runs.
    ///
    /// # Safety
    /// Every read of the kernel's footprint around the box must be inside
    /// readable memory behind `ptrs`, and the box inside the output.
    /// A null pointer is allowed for an input the kernel never reads.
    pub unsafe fn run(&self, bx: &CoreBox, op: Operands<'_>) {
        let ndim = bx.len();
        let last = ndim - 1;
        if let Some(width) = self.code.ring_columns()
            && bx[last].len() > width
        {
            // Parts at most as wide as the vector variant's ring buffer.
            let mut part = bx.clone();
            let mut start = bx[last].start;
            while start < bx[last].end {
                part[last] = start..(start + width).min(bx[last].end);
                let by = (start - bx[last].start) as i64;
                let (moved, at) = along_rows(op, ndim, by);
                let op = Operands {
                    ins: &moved,
                    outs: &at,
                    ..op
                };
                // SAFETY: a part of the box, with its pointers moved to it.
                unsafe { self.run_rows(&part, op) };
                start = part[last].end;
            }
            return;
        }
        // SAFETY: forwarded.
        unsafe { self.run_rows(bx, op) }
    }

    /// `run` on a box no wider than `ring_columns`.
    ///
    /// # Safety
    /// As `run`.
    unsafe fn run_rows(&self, bx: &CoreBox, op: Operands<'_>) {
        let ndim = bx.len();
        let last = ndim - 1;
        let lanes = self.code.lanes();
        let n = bx[last].len();
        let contiguous = (self.out_sizes.iter().enumerate())
            .all(|(o, &s)| op.out_strides[o * ndim + last] == s as i64)
            && (self.in_sizes.iter().enumerate())
                .all(|(i, &s)| op.in_strides[i * ndim + last] == s as i64 || op.ins[i].is_null());
        // SAFETY (all three calls): forwarded from the caller; the vector
        // calls cover whole vectors of contiguous rows inside the box.
        if lanes == 1 || n < lanes || !contiguous {
            return unsafe { self.invoke(bx, op, false) };
        }
        if self.code.any_width() {
            return unsafe { self.invoke(bx, op, true) };
        }
        let main = n - n % lanes;
        let mut head = bx.clone();
        head[last] = bx[last].start..bx[last].start + main;
        unsafe { self.invoke(&head, op, true) };
        if main < n {
            let from = n - lanes;
            let mut tail = bx.clone();
            tail[last] = bx[last].start + from..bx[last].end;
            let (moved, at) = along_rows(op, ndim, from as i64);
            let op = Operands {
                ins: &moved,
                outs: &at,
                ..op
            };
            unsafe { self.invoke(&tail, op, true) };
        }
    }

    /// # Safety
    /// As `run`; with `vector`, the box's rows are contiguous and a whole
    /// number of vectors long.
    unsafe fn invoke(&self, bx: &CoreBox, op: Operands<'_>, vector: bool) {
        // At most `MAX_NDIM` core axes: fixed arrays, no allocation per call.
        let mut extent = [0u64; MAX_NDIM];
        let mut origin = [0i64; MAX_NDIM];
        for (k, r) in bx.iter().enumerate() {
            extent[k] = r.len() as u64;
            origin[k] = r.start as i64 + self.origin[k];
        }
        debug_assert_eq!(op.in_strides.len(), op.ins.len() * bx.len());
        debug_assert_eq!(op.rings.len(), (op.ins.len() + op.outs.len()) * 2);
        debug_assert_eq!(op.outs.len(), self.out_sizes.len());
        debug_assert_eq!(op.out_strides.len(), op.outs.len() * bx.len());
        let args = TileArgs {
            inputs: op.ins.as_ptr(),
            in_strides: op.in_strides.as_ptr(),
            outs: op.outs.as_ptr(),
            out_strides: op.out_strides.as_ptr(),
            extent: extent.as_ptr(),
            origin: origin.as_ptr(),
            shape: self.shape.as_ptr(),
            params: self.params.as_ptr(),
            rings: op.rings.as_ptr(),
        };
        // SAFETY: forwarded from the caller.
        unsafe {
            if vector {
                self.code.run_tile_vector(&args)
            } else {
                self.code.run_tile(&args)
            }
        };
    }
}

/// The input and output pointers of `op` moved `by` points along the
/// innermost of `ndim` axes.
fn along_rows(op: Operands<'_>, ndim: usize, by: i64) -> (Vec<*const u8>, Vec<*mut u8>) {
    let step = |i: usize, s: &[i64]| (by * s[i * ndim + ndim - 1]) as isize;
    let moved = (op.ins.iter().enumerate())
        .map(|(i, p)| p.wrapping_offset(step(i, op.in_strides)))
        .collect();
    let at = (op.outs.iter().enumerate())
        .map(|(o, p)| p.wrapping_offset(step(o, op.out_strides)))
        .collect();
    (moved, at)
}
