//! The tile calling convention between the executor and generated code.
//!
//! A compiled kernel is one function, `TileFn`, that computes a rectangular
//! tile of output points. Everything about the tile arrives in one `TileArgs`
//! block of pointers, so the signature is the same for every kernel and the
//! executor never needs to know how a kernel was specialized.
//!
//! Addressing: for the point `p` of the tile (relative to the tile's first
//! point, `0 <= p_k < extent[k]`), input `i` read at the relative offset `o`
//! (the offsets of `ir::Op::Load`) lives at
//!
//! ```text
//! inputs[i] + sum_k (p_k + o_k) * in_strides[i * ndim + k]
//! ```
//!
//! and output `o` of `p` at `outs[o] + sum_k p_k * out_strides[o * ndim + k]`. Strides are in
//! bytes and may be negative or zero; elements need not be aligned. Generated
//! code does no bounds checks: the caller guarantees that every such address
//! (for every point and every offset in the kernel's footprint) lies inside
//! memory it may read, or write for the output.
//!
//! A ring (`TileArgs::rings`) changes where the rows of an input or an
//! output are: with two core axes or more, the address of a row along
//! axis 0 that falls past the ring's end is taken a ring length back, and
//! one before its start a ring length on, so a sliding grid can reuse its
//! rows in place of moving them, and a box of rows may cross the ring's
//! end. A row at most one ring length outside maps so.

/// The arguments of one tile. Every pointer must be valid for the reads the
/// kernel makes through it: `inputs` and `in_strides` for the inputs the
/// kernel loads, `extent` and `out_strides` for `ndim` entries, `origin` for
/// the axes whose index the kernel reads, `shape` for the axes whose extent it
/// reads, `params` for `8 * nparams` bytes. Unused pointers may be null.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct TileArgs {
    /// Per input: the address of the element at offset 0 of the tile's first point.
    pub inputs: *const *const u8,
    /// Byte strides; input `i`, core axis `k` at `[i * ndim + k]`.
    pub in_strides: *const i64,
    /// Per output: the address of its element at the tile's first point.
    pub outs: *const *mut u8,
    /// Byte strides; output `o`, core axis `k` at `[o * ndim + k]`.
    pub out_strides: *const i64,
    /// Points per core axis in this tile; if any is 0 nothing runs.
    pub extent: *const u64,
    /// Absolute core index of the tile's first point (for `Op::Index`).
    pub origin: *const i64,
    /// The core shape (for `Op::Shape`).
    pub shape: *const i64,
    /// Scalar parameter `n` occupies bytes `[8n, 8n + 8)`, its value in its own
    /// dtype at the start of the slot (as `Scalar::write` puts it).
    pub params: *const u8,
    /// Per input, then per output, two words: where the ring its rows along
    /// axis 0 wrap around in starts (the address of its first row at the
    /// pointer's place in the other axes) and its byte length (a sliding
    /// grid, `exec::grid`), or two zeros for memory that does not wrap. Read
    /// for every input the kernel loads and every output when it has two
    /// core axes or more.
    pub rings: *const u64,
}

/// The entry point of a compiled kernel.
///
/// It returns 0 when every point is done. A vector variant returns 1 when
/// some lanes met operands its inline code does not cover (float `//` by
/// zero, say): its results in that tile are then incomplete, and the
/// caller reruns the tile with the scalar function, which calls the
/// reference there (`Compiled::run_tile_vector` does).
pub type TileFn = unsafe extern "C" fn(*const TileArgs) -> u32;

/// Byte offsets of the `TileArgs` fields, as generated code reads them.
pub(crate) mod field {
    use super::TileArgs;
    use std::mem::offset_of;

    pub const INPUTS: i32 = offset_of!(TileArgs, inputs) as i32;
    pub const IN_STRIDES: i32 = offset_of!(TileArgs, in_strides) as i32;
    pub const OUTS: i32 = offset_of!(TileArgs, outs) as i32;
    pub const OUT_STRIDES: i32 = offset_of!(TileArgs, out_strides) as i32;
    pub const EXTENT: i32 = offset_of!(TileArgs, extent) as i32;
    pub const ORIGIN: i32 = offset_of!(TileArgs, origin) as i32;
    pub const SHAPE: i32 = offset_of!(TileArgs, shape) as i32;
    pub const PARAMS: i32 = offset_of!(TileArgs, params) as i32;
    pub const RINGS: i32 = offset_of!(TileArgs, rings) as i32;
}

/// Bytes per scalar parameter slot.
pub const PARAM_SLOT: usize = 8;
