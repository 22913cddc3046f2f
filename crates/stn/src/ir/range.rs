//! Value ranges: for every integer or bool instruction of a `Func`, an
//! interval that contains every value it can take, for any input data.
//!
//! The intervals are exact integer arithmetic on the operands' intervals. An
//! operation whose exact result could leave its dtype's range wraps
//! (docs/language.md §3), so its interval is then the whole dtype range;
//! inside the interval the wrapped and the exact values coincide. This is
//! what lets code generation compute in narrower lanes than the IR's i64: if
//! every value of a kernel fits in i16, i16 arithmetic gives exactly the i64
//! results.

use crate::base::dtype::DType;
use crate::base::ops::{BinaryOp, UnaryOp};
use crate::base::scalar::Scalar;
use crate::ir::{Func, Op};

/// A closed interval of integers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub lo: i128,
    pub hi: i128,
}

impl Range {
    pub const fn new(lo: i128, hi: i128) -> Range {
        Range { lo, hi }
    }

    /// Every value of `d` (`None` for floats).
    pub fn of_dtype(d: DType) -> Option<Range> {
        Some(match d {
            DType::Bool => Range::new(0, 1),
            DType::I8 => Range::new(i8::MIN as i128, i8::MAX as i128),
            DType::I16 => Range::new(i16::MIN as i128, i16::MAX as i128),
            DType::I32 => Range::new(i32::MIN as i128, i32::MAX as i128),
            DType::I64 => Range::new(i64::MIN as i128, i64::MAX as i128),
            DType::U8 => Range::new(0, u8::MAX as i128),
            DType::U16 => Range::new(0, u16::MAX as i128),
            DType::U32 => Range::new(0, u32::MAX as i128),
            DType::U64 => Range::new(0, u64::MAX as i128),
            DType::F32 | DType::F64 => return None,
        })
    }

    pub fn within(self, outer: Range) -> bool {
        outer.lo <= self.lo && self.hi <= outer.hi
    }

    fn hull(self, o: Range) -> Range {
        Range::new(self.lo.min(o.lo), self.hi.max(o.hi))
    }
}

/// The range of each instruction of `f`; `None` for float values.
pub fn ranges(f: &Func) -> Vec<Option<Range>> {
    let mut out: Vec<Option<Range>> = Vec::with_capacity(f.insts.len());
    for inst in &f.insts {
        let d = inst.dtype;
        let full = Range::of_dtype(d);
        let get = |v: u32| out[v as usize];
        // The exact result, clipped to "wraps: anything" when it leaves `d`.
        let fit = |r: Option<Range>| match (r, full) {
            (Some(r), Some(full)) if r.within(full) => Some(r),
            _ => full,
        };
        let r = match &inst.op {
            Op::Const(s) => match s.cast(d) {
                Scalar::Bool(b) => Some(Range::new(b as i128, b as i128)),
                Scalar::Int(v) => Some(Range::new(v as i128, v as i128)),
                Scalar::U64(v) => Some(Range::new(v as i128, v as i128)),
                _ => None,
            },
            Op::Load { .. } | Op::Param(_) => full,
            Op::Index(_) | Op::Shape(_) => Some(Range::new(0, isize::MAX as i128)),
            Op::Cast(a) => fit(get(*a)),
            Op::Unary(op, a) => match (op, get(*a)) {
                (UnaryOp::Neg, Some(x)) => fit(Some(Range::new(-x.hi, -x.lo))),
                (UnaryOp::BitNot, Some(x)) if d.is_signed() => {
                    fit(Some(Range::new(-x.hi - 1, -x.lo - 1)))
                }
                (UnaryOp::Abs, Some(x)) if d.is_signed() => {
                    let m = x.lo.abs().max(x.hi.abs());
                    let lo = if x.lo <= 0 && x.hi >= 0 {
                        0
                    } else {
                        x.lo.abs().min(x.hi.abs())
                    };
                    fit(Some(Range::new(lo, m)))
                }
                (UnaryOp::Not | UnaryOp::IsNan, _) => Some(Range::new(0, 1)),
                _ => full,
            },
            Op::Binary(op, a, b) => {
                if op.is_comparison() || matches!(op, BinaryOp::And | BinaryOp::Or) {
                    Some(Range::new(0, 1))
                } else {
                    match (get(*a), get(*b)) {
                        (Some(x), Some(y)) => fit(binary(*op, x, y, &f.insts[*b as usize].op, d)),
                        _ => full,
                    }
                }
            }
            Op::Select(_, a, b) => match (get(*a), get(*b)) {
                (Some(x), Some(y)) => Some(x.hull(y)),
                _ => full,
            },
            // One of the terms: within their hull.
            Op::Rank { terms, .. } => terms
                .iter()
                .map(|&t| get(t))
                .reduce(|a, b| a.zip(b).map(|(a, b)| a.hull(b)))
                .flatten()
                .or(full),
        };
        out.push(r);
    }
    out
}

/// The exact result range of `op` on `x` and `y`, or `None` if unknown.
fn binary(op: BinaryOp, x: Range, y: Range, y_op: &Op, d: DType) -> Option<Range> {
    let corners = |f: fn(i128, i128) -> i128| {
        let v = [f(x.lo, y.lo), f(x.lo, y.hi), f(x.hi, y.lo), f(x.hi, y.hi)];
        Range::new(*v.iter().min().unwrap(), *v.iter().max().unwrap())
    };
    // A positive constant divisor, where the IR has one.
    let divisor = match (y_op, d.is_integral()) {
        (Op::Const(_), true) if y.lo == y.hi && y.lo > 0 => Some(y.lo),
        _ => None,
    };
    Some(match op {
        BinaryOp::Add => Range::new(x.lo + y.lo, x.hi + y.hi),
        BinaryOp::Sub => Range::new(x.lo - y.hi, x.hi - y.lo),
        // Products of two i64/u64 values fit in i128 only up to 2^126;
        // anything that large wraps anyway.
        BinaryOp::Mul if fits_63(x) && fits_63(y) => corners(|a, b| a * b),
        BinaryOp::FloorDiv => {
            let c = divisor?;
            Range::new(x.lo.div_euclid(c), x.hi.div_euclid(c))
        }
        BinaryOp::Mod => {
            let c = divisor?;
            if x.lo >= 0 && x.hi < c {
                x
            } else {
                Range::new(0, c - 1)
            }
        }
        BinaryOp::Min => Range::new(x.lo.min(y.lo), x.hi.min(y.hi)),
        BinaryOp::Max => Range::new(x.lo.max(y.lo), x.hi.max(y.hi)),
        BinaryOp::BitAnd if x.lo >= 0 && y.lo >= 0 => Range::new(0, x.hi.min(y.hi)),
        BinaryOp::BitOr | BinaryOp::BitXor if x.lo >= 0 && y.lo >= 0 => {
            let m = x.hi.max(y.hi);
            let bits = 128 - m.leading_zeros();
            Range::new(0, (1i128 << bits) - 1)
        }
        _ => return None,
    })
}

fn fits_63(r: Range) -> bool {
    r.lo > -(1i128 << 63) && r.hi < (1i128 << 63)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Footprint, Inst};

    fn func(insts: Vec<Inst>) -> Func {
        let result = insts.len() as u32 - 1;
        Func {
            name: "t".into(),
            ndim: 1,
            inputs: vec![DType::I8],
            params: vec![],
            out_dtypes: vec![insts.last().unwrap().dtype],
            insts,
            results: vec![result],
            footprint: Footprint::zero(1),
        }
    }

    fn inst(op: Op, dtype: DType) -> Inst {
        Inst { op, dtype }
    }

    #[test]
    fn the_int8_3x3_mean_fits_in_i16() {
        // Nine i8 loads summed in i64, floor-divided by 9, cast back to i8.
        let mut insts = vec![inst(
            Op::Load {
                input: 0,
                offset: vec![0],
            },
            DType::I8,
        )];
        insts.push(inst(Op::Cast(0), DType::I64));
        let mut acc = 1;
        for _ in 0..8 {
            insts.push(inst(Op::Binary(BinaryOp::Add, acc, 1), DType::I64));
            acc = insts.len() as u32 - 1;
        }
        insts.push(inst(Op::Const(Scalar::Int(9)), DType::I64));
        let nine = insts.len() as u32 - 1;
        insts.push(inst(Op::Binary(BinaryOp::FloorDiv, acc, nine), DType::I64));
        let q = insts.len() as u32 - 1;
        insts.push(inst(Op::Cast(q), DType::I8));
        let r = ranges(&func(insts));
        assert_eq!(r[acc as usize], Some(Range::new(-1152, 1143)));
        assert_eq!(r[q as usize], Some(Range::new(-128, 127)));
        assert_eq!(r.last().unwrap(), &Some(Range::new(-128, 127)));
    }

    #[test]
    fn wrapping_operations_get_the_whole_dtype() {
        let insts = vec![
            inst(Op::Const(Scalar::Int(i64::MAX)), DType::I64),
            inst(Op::Const(Scalar::Int(1)), DType::I64),
            inst(Op::Binary(BinaryOp::Add, 0, 1), DType::I64),
            inst(Op::Cast(2), DType::I8),
        ];
        let r = ranges(&func(insts));
        assert_eq!(r[2], Range::of_dtype(DType::I64));
        assert_eq!(r[3], Range::of_dtype(DType::I8));
    }
}
