//! The typed, flat IR that code generation consumes.
//!
//! A kernel specialized for one dtype signature is lowered to a `Func`: a list
//! of instructions in SSA form, each producing one scalar value of a known
//! dtype, that computes the kernel's value at one output point. Reductions are
//! unrolled, `let`s are shared values, const-table lookups are constants and
//! every relative access carries its offsets as plain numbers.
//!
//! Invariants the lowering guarantees and code generation relies on:
//! - an instruction only uses values defined before it;
//! - the operands of `Binary` and `Select` (the two arms) have the same dtype,
//!   which is the instruction's own dtype, except for comparisons, `And`/`Or`
//!   (whose result is `Bool`);
//! - `Div` and the float-only unary functions only see float operands; the
//!   lowering inserts the `Cast`s that docs/language.md §3's promotion rules call for;
//! - `insts[results[o]]` has dtype `out_dtypes[o]` (the lowering ends each
//!   output with its final `Cast`), and it is the value stored at the output
//!   point of output `o`.

#[allow(missing_docs, reason = "internal: reachable only through `internals`")]
pub mod eval;
pub mod live;
#[allow(missing_docs, reason = "internal: reachable only through `internals`")]
pub mod lower;
#[allow(missing_docs, reason = "internal: reachable only through `internals`")]
pub mod print;
#[allow(missing_docs, reason = "internal: reachable only through `internals`")]
pub mod range;

use crate::base::dtype::DType;
use crate::base::ops::{BinaryOp, UnaryOp};
use crate::base::scalar::Scalar;

/// Index of an instruction in `Func::insts`, and of the value it defines.
pub type ValueId = u32;

#[derive(Clone, Debug, PartialEq)]
/// What an instruction computes.
pub enum Op {
    /// A constant of the instruction's dtype.
    Const(Scalar),
    /// The element of array input `input` at `offset` (one number per core
    /// axis) from the output point. Its dtype is the input's dtype.
    Load {
        /// The array input's number.
        input: u32,
        /// The offset per core axis.
        offset: Vec<i64>,
    },
    /// Scalar parameter number `n` (counting scalar parameters only).
    Param(u32),
    /// Absolute index of the output point on a core axis (`I64`).
    Index(u32),
    /// Extent of a core axis (`I64`).
    Shape(u32),
    /// Conversion to the instruction's dtype by NumPy `astype` rules as docs/language.md §3
    /// fixes them (wrap, truncate toward zero, saturate, NaN to 0).
    Cast(ValueId),
    /// A unary operation on a value of the instruction's dtype.
    Unary(UnaryOp, ValueId),
    /// A binary operation on two values of the operation's dtype.
    Binary(BinaryOp, ValueId, ValueId),
    /// The value at index `k` of `terms` (of the instruction's dtype: `I64`,
    /// `U64`, `F32` or `F64`) ordered as a stable sort orders them, NaN
    /// after every number and `-0.0` equal to `0.0` (docs/language.md §12).
    Rank {
        /// The index, from 0 (the least).
        k: u32,
        /// The terms, in the reduction's order.
        terms: Vec<ValueId>,
    },
    /// `cond ? a : b`; both arms are always evaluated (they cannot trap).
    Select(ValueId, ValueId, ValueId),
}

#[derive(Clone, Debug, PartialEq)]
/// One instruction: an operation and the dtype of its value.
pub struct Inst {
    /// What it computes.
    pub op: Op,
    /// Its value's dtype.
    pub dtype: DType,
}

/// Per core axis, the smallest and largest offset of any relative access.
/// An axis no access moves along has `(0, 0)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Footprint {
    /// The smallest offset per core axis.
    pub lo: Vec<i64>,
    /// The largest offset per core axis.
    pub hi: Vec<i64>,
}

impl Footprint {
    /// How far the footprint reaches below and above the point along
    /// `axis`, in points (0 where it does not): the rows a slab reads
    /// before and after its own.
    pub fn reach(&self, axis: usize) -> (usize, usize) {
        (
            (-self.lo[axis]).max(0) as usize,
            self.hi[axis].max(0) as usize,
        )
    }

    /// The halo a block needs per core axis, the same on both sides:
    /// `max(-lo, hi, 0)`. The one rule for the language server's hover,
    /// Python's `Kernel.depth()` and the Dask module's overlap.
    pub fn halo(&self) -> Vec<usize> {
        (0..self.lo.len())
            .map(|k| {
                let (below, above) = self.reach(k);
                below.max(above)
            })
            .collect()
    }

    /// `fp` grown to include `offset` (made from it when `None`): how
    /// every footprint is accumulated, access by access.
    pub fn include<'a>(fp: &'a mut Option<Footprint>, offset: &[i64]) -> &'a mut Footprint {
        let f = fp.get_or_insert_with(|| Footprint {
            lo: offset.to_vec(),
            hi: offset.to_vec(),
        });
        for (a, &o) in offset.iter().enumerate() {
            f.lo[a] = f.lo[a].min(o);
            f.hi[a] = f.hi[a].max(o);
        }
        f
    }

    /// The footprint of a kernel that reads only the output point, with `ndim` axes.
    pub fn zero(ndim: usize) -> Footprint {
        Footprint {
            lo: vec![0; ndim],
            hi: vec![0; ndim],
        }
    }

    /// The number of core axes.
    pub fn ndim(&self) -> usize {
        self.lo.len()
    }
}

/// One kernel, specialized for one dtype signature, computing one point.
#[derive(Clone, Debug, PartialEq)]
pub struct Func {
    /// The kernel's name.
    pub name: String,
    /// Number of core axes (1 to 4).
    pub ndim: usize,
    /// Dtypes of the array inputs, in parameter order.
    pub inputs: Vec<DType>,
    /// Dtypes of the scalar parameters, in parameter order.
    pub params: Vec<DType>,
    /// The output dtypes, one per output.
    pub out_dtypes: Vec<DType>,
    /// The instructions, in order.
    pub insts: Vec<Inst>,
    /// The values stored at the output point, one per output, of the
    /// output's dtype.
    pub results: Vec<ValueId>,
    /// The box of offsets the kernel reads, per core axis.
    pub footprint: Footprint,
}

impl Func {
    /// The first output's value (the only one's, for most kernels).
    pub fn result(&self) -> ValueId {
        self.results[0]
    }

    /// The first output's dtype.
    pub fn out_dtype(&self) -> DType {
        self.out_dtypes[0]
    }
}
