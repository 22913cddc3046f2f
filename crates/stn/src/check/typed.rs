//! The typed tree: a kernel checked for one dtype signature.
//!
//! It keeps the shape of the source (lets, `if`, reductions are still there),
//! but every name is resolved, every node has its type, and every implicit
//! promotion is an explicit `Cast`. The interpreter walks this tree directly,
//! and the lowering turns it into IR; keeping both on the same tree, but with
//! different strategies (loops vs unrolling, per-access boundary mapping vs
//! padded tiles), is what makes the interpreter a useful oracle.

use std::sync::Arc;

use crate::base::diag::Span;
use crate::base::dtype::DType;
use crate::base::mode::Mode;
use crate::base::ops::{BinaryOp, UnaryOp};
use crate::base::scalar::Scalar;
use crate::check::ty::Ty;

#[derive(Clone, Debug)]
pub struct TExpr {
    pub kind: TKind,
    pub ty: Ty,
    /// Known at compile time: built only from literals, consts, reduction
    /// variables and operations on them (no load, param, index or shape).
    pub konst: bool,
    pub span: Span,
}

/// A const table: a dense n-d array of literals, indexed absolutely.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub name: String,
    pub shape: Vec<usize>,
    /// Row-major elements, each already of `ty`.
    pub data: Vec<Scalar>,
    pub ty: Ty,
}

#[derive(Clone, Debug)]
pub enum TKind {
    /// A literal or scalar const, in its type's representation.
    Lit(Scalar),
    /// `K[i, j]` with compile-time indices.
    Table {
        table: Arc<Table>,
        index: Vec<TExpr>,
    },
    /// Relative access to array input `input`; offsets are compile-time ints.
    Load {
        input: usize,
        offsets: Vec<TExpr>,
    },
    Param(usize),
    Index(usize),
    Shape(usize),
    /// A `let` value, by slot.
    Local(usize),
    /// A reduction variable, by slot (always an i64 known at compile time).
    Var(usize),
    /// Conversion to `ty.dtype` by `astype` rules.
    Cast(Box<TExpr>),
    Unary(UnaryOp, Box<TExpr>),
    Binary(BinaryOp, Box<TExpr>, Box<TExpr>),
    /// `cond ? a : b`
    Select(Box<TExpr>, Box<TExpr>, Box<TExpr>),
    /// `let slot = value; body`
    Let {
        slot: usize,
        value: Box<TExpr>,
        body: Box<TExpr>,
    },
    /// Left fold of `op` over the body at every point of the ranges'
    /// cartesian product, first variable outermost. `body` is already cast
    /// to the accumulator type (`ty`).
    Reduce {
        op: BinaryOp,
        vars: Vec<ReduceVar>,
        body: Box<TExpr>,
    },
    /// The term at index `k` of the body's values over the ranges, ordered
    /// as a stable sort orders them (docs/language.md §12): `median` and `rank`. `k` is
    /// already counted from the start.
    Rank {
        k: usize,
        vars: Vec<ReduceVar>,
        body: Box<TExpr>,
    },
    /// A kernel's several outputs (only as the value of its body, under its
    /// `let`s), each already cast to its output dtype.
    Tuple(Vec<TExpr>),
}

#[derive(Clone, Debug)]
pub struct ReduceVar {
    pub slot: usize,
    pub lo: TExpr,
    pub hi: TExpr,
    pub span: Span,
}

/// A kernel specialized for one signature of input dtypes.
#[derive(Clone, Debug)]
pub struct TKernel {
    pub name: String,
    /// Number of core axes.
    pub ndim: usize,
    pub inputs: Vec<DType>,
    pub input_names: Vec<String>,
    pub params: Vec<(String, DType)>,
    /// One per output.
    pub out_dtypes: Vec<DType>,
    /// The kernel's own `boundary` mode, if it declares one.
    pub boundary: Option<Mode>,
    pub body: TExpr,
    pub n_locals: usize,
    pub n_vars: usize,
}

impl TKernel {
    /// The first output's dtype (the only one's, for most kernels).
    pub fn out_dtype(&self) -> DType {
        self.out_dtypes[0]
    }
}

/// The dtype a kernel's value is computed in, before the final cast to the
/// output dtype (what docs/language.md §3's promotion rules decide).
pub fn value_type(k: &TKernel) -> DType {
    match &k.body.kind {
        TKind::Cast(inner) => inner.ty.dtype,
        _ => k.body.ty.dtype,
    }
}

/// The expressions of a kernel's outputs under its `let`s: the tuple's
/// items, or the one value.
pub fn outputs(body: &TExpr) -> Vec<&TExpr> {
    match &body.kind {
        TKind::Let { body, .. } => outputs(body),
        TKind::Tuple(items) => items.iter().collect(),
        _ => vec![body],
    }
}
