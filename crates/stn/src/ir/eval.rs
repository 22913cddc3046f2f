//! The reference evaluator of a `Func` at one point.
//!
//! It walks the instructions in order with `Scalar` values, using the one
//! definition of each operation (`Scalar::cast`, `types::ops::{unary,
//! binary}`). It is deliberately simple: it is the oracle compiled code is
//! compared against, not a fast path.

use super::{Func, Op};
use crate::base::ops;
use crate::base::scalar::Scalar;

/// The kernel's values at one output point, one per output.
///
/// `load(input, offset)` returns the element of array input `input` at the
/// relative `offset` from the point (in the input's dtype); `params` are the
/// scalar parameters (converted to their declared dtypes here); `index` is the
/// point's absolute core index and `shape` the core shape.
pub fn eval_point(
    func: &Func,
    load: &mut dyn FnMut(usize, &[i64]) -> Scalar,
    params: &[Scalar],
    index: &[i64],
    shape: &[i64],
) -> Vec<Scalar> {
    let mut vals: Vec<Scalar> = Vec::with_capacity(func.insts.len());
    for inst in &func.insts {
        let at = |v: u32| vals[v as usize];
        let v = match &inst.op {
            Op::Const(s) => s.cast(inst.dtype),
            Op::Load { input, offset } => load(*input as usize, offset).cast(inst.dtype),
            Op::Param(n) => params[*n as usize].cast(inst.dtype),
            Op::Index(k) => Scalar::Int(index[*k as usize]),
            Op::Shape(k) => Scalar::Int(shape[*k as usize]),
            Op::Cast(a) => at(*a).cast(inst.dtype),
            Op::Unary(op, a) => ops::unary(*op, at(*a)),
            Op::Binary(op, a, b) => ops::binary(*op, at(*a), at(*b)),
            Op::Select(c, a, b) => match at(*c) {
                Scalar::Bool(true) => at(*a),
                Scalar::Bool(false) => at(*b),
                other => unreachable!("select on a non-bool {other:?}"),
            },
            Op::Rank { k, terms } => {
                let terms: Vec<Scalar> = terms.iter().map(|&t| at(t)).collect();
                ops::rank(&terms, *k as usize)
            }
        };
        vals.push(v);
    }
    func.results.iter().map(|&r| vals[r as usize]).collect()
}
