//! The operations of the language and what each computes on scalars: the
//! reference semantics.
//!
//! `UnaryOp` and `BinaryOp` name the operations the typed tree and the IR
//! share. The interpreter evaluates every operation through `unary` and
//! `binary`, so they are where the arithmetic of docs/language.md §3 is
//! written down once. Operands arrive already promoted to the operation's
//! compute dtype (the checker inserts the casts), so each arm only sees
//! `Bool`, `I64`, `U64`, `F32` or `F64` values.

use crate::base::dtype::DType;
use crate::base::rt;
use crate::base::scalar::Scalar;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// Wrapping negation (ints), sign flip (floats).
    Neg,
    /// Logical not of a `Bool`.
    Not,
    /// Bitwise complement of an integer.
    BitNot,
    /// Wrapping absolute value (ints; `u64` unchanged), `fabs` (floats).
    Abs,
    // Float-only functions; the result has the operand's dtype.
    Sqrt,
    Exp,
    Log,
    Sin,
    Cos,
    Tan,
    Tanh,
    Floor,
    Ceil,
    /// Round half to even (NumPy `round`, Cranelift `nearest`).
    Round,
    /// Float operand, `Bool` result.
    IsNan,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    /// Float division (integer operands were cast to f64 by the lowering).
    Div,
    /// Floor division; integer division by zero gives 0 (docs/language.md §3).
    FloorDiv,
    /// Python modulo; integer modulo by zero gives 0.
    Mod,
    Pow,
    BitAnd,
    BitOr,
    BitXor,
    /// Shift counts outside 0..=63 give 0 (or the sign fill for `Shr` of a
    /// negative signed value); see `rt::shl_i64`.
    Shl,
    Shr,
    /// IEEE 754-2019 minimum/maximum for floats: NaN if either is NaN, -0 < +0.
    Min,
    Max,
    /// Float-only.
    Hypot,
    // Comparisons: `Bool` result; float comparisons are false on NaN except `Ne`.
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    // `Bool` operands and result.
    And,
    Or,
}

impl BinaryOp {
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
        )
    }
}

/// The dtype `median` and `rank` order terms of dtype `d` in: one that
/// holds every such term exactly (`i64` for bools and integers up to 32
/// bits, `u64`, `f32`, `f64`).
pub fn rank_dtype(d: DType) -> DType {
    match d {
        DType::U64 | DType::F32 | DType::F64 => d,
        _ => DType::I64,
    }
}

/// The term at index `k` of `terms` (all of `rank_dtype`'s dtype) ordered
/// as docs/language.md §12 says, by a plain stable sort: the definition compiled code
/// (sorting networks, `rt::rank_*`) is tested against.
pub fn rank(terms: &[Scalar], k: usize) -> Scalar {
    let mut v = terms.to_vec();
    v.sort_by(|a, b| match (*a, *b) {
        (Scalar::Int(x), Scalar::Int(y)) => x.cmp(&y),
        (Scalar::U64(x), Scalar::U64(y)) => x.cmp(&y),
        (Scalar::F32(x), Scalar::F32(y)) => rt::float_order(x as f64, y as f64),
        (Scalar::F64(x), Scalar::F64(y)) => rt::float_order(x, y),
        other => panic!("rank terms {other:?} are not of one of i64, u64, f32, f64"),
    });
    v[k]
}

/// Applies a unary operation to a value of its compute dtype.
pub fn unary(op: UnaryOp, a: Scalar) -> Scalar {
    use Scalar::*;
    use UnaryOp as U;
    match (op, a) {
        (U::Neg, Int(v)) => Int(v.wrapping_neg()),
        (U::Neg, U64(v)) => U64(v.wrapping_neg()),
        (U::Neg, F32(v)) => F32(-v),
        (U::Neg, F64(v)) => F64(-v),
        (U::Not, Bool(v)) => Bool(!v),
        (U::BitNot, Int(v)) => Int(!v),
        (U::BitNot, U64(v)) => U64(!v),
        (U::BitNot, Bool(v)) => Bool(!v),
        (U::Abs, Int(v)) => Int(v.wrapping_abs()),
        (U::Abs, U64(v)) => U64(v),
        (U::Abs, F32(v)) => F32(v.abs()),
        (U::Abs, F64(v)) => F64(v.abs()),
        (U::IsNan, F32(v)) => Bool(v.is_nan()),
        (U::IsNan, F64(v)) => Bool(v.is_nan()),
        (op, F32(v)) => F32(float_fn_f32(op, v)),
        (op, F64(v)) => F64(float_fn_f64(op, v)),
        (op, a) => unreachable!("checker let {op:?} reach a {a:?}"),
    }
}

fn float_fn_f64(op: UnaryOp, v: f64) -> f64 {
    match op {
        UnaryOp::Sqrt => v.sqrt(),
        UnaryOp::Exp => rt::exp_f64(v),
        UnaryOp::Log => rt::log_f64(v),
        UnaryOp::Sin => rt::sin_f64(v),
        UnaryOp::Cos => rt::cos_f64(v),
        UnaryOp::Tan => rt::tan_f64(v),
        UnaryOp::Tanh => rt::tanh_f64(v),
        UnaryOp::Floor => v.floor(),
        UnaryOp::Ceil => v.ceil(),
        UnaryOp::Round => v.round_ties_even(),
        _ => unreachable!("{op:?} is not a float function"),
    }
}

fn float_fn_f32(op: UnaryOp, v: f32) -> f32 {
    match op {
        UnaryOp::Sqrt => v.sqrt(),
        UnaryOp::Exp => rt::exp_f32(v),
        UnaryOp::Log => rt::log_f32(v),
        UnaryOp::Sin => rt::sin_f32(v),
        UnaryOp::Cos => rt::cos_f32(v),
        UnaryOp::Tan => rt::tan_f32(v),
        UnaryOp::Tanh => rt::tanh_f32(v),
        UnaryOp::Floor => v.floor(),
        UnaryOp::Ceil => v.ceil(),
        UnaryOp::Round => v.round_ties_even(),
        _ => unreachable!("{op:?} is not a float function"),
    }
}

/// Applies a binary operation to two values of its compute dtype.
pub fn binary(op: BinaryOp, a: Scalar, b: Scalar) -> Scalar {
    use BinaryOp as B;
    use Scalar::*;
    match (a, b) {
        (Bool(x), Bool(y)) => match op {
            B::And | B::BitAnd => Bool(x & y),
            B::Or | B::BitOr => Bool(x | y),
            B::BitXor | B::Ne => Bool(x ^ y),
            B::Eq => Bool(x == y),
            B::Lt => Bool(!x & y),
            B::Le => Bool(x <= y),
            B::Gt => Bool(x & !y),
            B::Ge => Bool(x >= y),
            B::Min => Bool(x & y),
            B::Max => Bool(x | y),
            _ => unreachable!("checker let {op:?} reach bools"),
        },
        (Int(x), Int(y)) => match op {
            B::Add => Int(x.wrapping_add(y)),
            B::Sub => Int(x.wrapping_sub(y)),
            B::Mul => Int(x.wrapping_mul(y)),
            B::FloorDiv => Int(rt::floordiv_i64(x, y)),
            B::Mod => Int(rt::mod_i64(x, y)),
            B::Pow => Int(rt::pow_i64(x, y)),
            B::BitAnd => Int(x & y),
            B::BitOr => Int(x | y),
            B::BitXor => Int(x ^ y),
            B::Shl => Int(rt::shl_i64(x, y)),
            B::Shr => Int(rt::shr_i64(x, y)),
            B::Min => Int(x.min(y)),
            B::Max => Int(x.max(y)),
            _ => compare(op, x.cmp(&y).into()),
        },
        (U64(x), U64(y)) => match op {
            B::Add => U64(x.wrapping_add(y)),
            B::Sub => U64(x.wrapping_sub(y)),
            B::Mul => U64(x.wrapping_mul(y)),
            B::FloorDiv => U64(rt::floordiv_u64(x, y)),
            B::Mod => U64(rt::mod_u64(x, y)),
            B::Pow => U64(rt::pow_u64(x, y)),
            B::BitAnd => U64(x & y),
            B::BitOr => U64(x | y),
            B::BitXor => U64(x ^ y),
            B::Shl => U64(rt::shl_u64(x, y)),
            B::Shr => U64(rt::shr_u64(x, y)),
            B::Min => U64(x.min(y)),
            B::Max => U64(x.max(y)),
            _ => compare(op, x.cmp(&y).into()),
        },
        (F64(x), F64(y)) => match op {
            B::Add => F64(x + y),
            B::Sub => F64(x - y),
            B::Mul => F64(x * y),
            B::Div => F64(x / y),
            B::FloorDiv => F64(rt::floordiv_f64(x, y)),
            B::Mod => F64(rt::mod_f64(x, y)),
            B::Pow => F64(rt::pow_f64(x, y)),
            B::Min => F64(rt::min_f64(x, y)),
            B::Max => F64(rt::max_f64(x, y)),
            B::Hypot => F64(rt::hypot_f64(x, y)),
            _ => compare(op, x.partial_cmp(&y)),
        },
        (F32(x), F32(y)) => match op {
            B::Add => F32(x + y),
            B::Sub => F32(x - y),
            B::Mul => F32(x * y),
            B::Div => F32(x / y),
            B::FloorDiv => F32(rt::floordiv_f32(x, y)),
            B::Mod => F32(rt::mod_f32(x, y)),
            B::Pow => F32(rt::pow_f32(x, y)),
            B::Min => F32(rt::min_f32(x, y)),
            B::Max => F32(rt::max_f32(x, y)),
            B::Hypot => F32(rt::hypot_f32(x, y)),
            _ => compare(op, x.partial_cmp(&y)),
        },
        (a, b) => unreachable!("checker let {op:?} reach {a:?} and {b:?}"),
    }
}

/// A comparison from an ordering; `None` (a NaN operand) is only `!=`.
fn compare(op: BinaryOp, ord: Option<std::cmp::Ordering>) -> Scalar {
    use std::cmp::Ordering::*;
    let r = match (op, ord) {
        (BinaryOp::Ne, None) => true,
        (_, None) => false,
        (BinaryOp::Eq, Some(o)) => o == Equal,
        (BinaryOp::Ne, Some(o)) => o != Equal,
        (BinaryOp::Lt, Some(o)) => o == Less,
        (BinaryOp::Le, Some(o)) => o != Greater,
        (BinaryOp::Gt, Some(o)) => o == Greater,
        (BinaryOp::Ge, Some(o)) => o != Less,
        (op, _) => unreachable!("{op:?} is not a comparison"),
    };
    Scalar::Bool(r)
}
