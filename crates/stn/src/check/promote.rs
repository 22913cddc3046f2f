//! Promotion: the dtype two operands are computed in (docs/language.md §3).
//!
//! Integer arithmetic runs in i64 (u64 with u64, or with another unsigned
//! dtype, stays u64; u64 with a signed dtype goes to f64). f32 stays f32 with
//! f32, with literals, with bools and with 8- or 16-bit integers; any f64,
//! or a 32- or 64-bit integer with f32, gives f64. Literals ("weak" values)
//! take the type of the other operand. These are Numba's scalar rules, with
//! NumPy's NEP 50 treatment of literals.

use crate::base::dtype::DType;
use crate::check::ty::Ty;

/// The common type of two operands: what `==`, `min`, `where` and the arms
/// of `if` compute in. Two bools stay bool here; arithmetic uses `arith`.
pub fn common(a: Ty, b: Ty) -> Ty {
    let weak = a.weak && b.weak;
    let (x, y) = (a.dtype, b.dtype);
    let dtype = if x == DType::Bool && y == DType::Bool {
        DType::Bool
    } else if x.is_integral() && y.is_integral() {
        integer(a, b)
    } else {
        float(a, b)
    };
    Ty { dtype, weak }
}

/// The type arithmetic (`+ - * // % **`, unary `-`, `abs`) computes in:
/// like `common`, but booleans count as integers (`True + True == 2`).
pub fn arith(a: Ty, b: Ty) -> Ty {
    let t = common(a, b);
    if t.dtype == DType::Bool {
        Ty {
            dtype: DType::I64,
            weak: t.weak,
        }
    } else {
        t
    }
}

/// The type of one operand on its own in arithmetic (unary `-`, `abs`).
pub fn arith1(a: Ty) -> Ty {
    arith(a, a)
}

/// The float type a float-only function (`sqrt`, `/`, ...) computes in.
pub fn to_float(t: Ty) -> Ty {
    if t.dtype.is_float() {
        t
    } else {
        Ty {
            dtype: DType::F64,
            weak: t.weak,
        }
    }
}

fn integer(a: Ty, b: Ty) -> DType {
    let is_u64 = |t: Ty| t.dtype == DType::U64 && !t.weak;
    let fits_u64 = |t: Ty| t.weak || t.dtype.is_unsigned() || t.dtype == DType::Bool;
    match (is_u64(a), is_u64(b)) {
        (true, true) => DType::U64,
        (true, false) if fits_u64(b) => DType::U64,
        (false, true) if fits_u64(a) => DType::U64,
        (true, false) | (false, true) => DType::F64,
        (false, false) => DType::I64,
    }
}

fn float(a: Ty, b: Ty) -> DType {
    // Here at least one side is a float. An f32 keeps f32 with what f32
    // holds exactly: a literal, a bool, an 8- or 16-bit integer, an f32
    // (NumPy's `result_type`, which Numba follows). Everything else mixed
    // with a float (a wider integer, an f64, a float literal with a bool
    // or an integer) computes in f64.
    let f32_strong = |t: Ty| !t.weak && t.dtype == DType::F32;
    let fits_f32 = |t: Ty| {
        t.weak
            || matches!(
                t.dtype,
                DType::Bool | DType::I8 | DType::I16 | DType::U8 | DType::U16 | DType::F32
            )
    };
    if (f32_strong(a) && fits_f32(b)) || (f32_strong(b) && fits_f32(a)) {
        DType::F32
    } else {
        DType::F64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DType::*;

    fn s(d: DType) -> Ty {
        Ty::strong(d)
    }

    #[test]
    fn spec_examples() {
        // `0.25 * a` with f32 `a` is f32.
        assert_eq!(arith(Ty::weak(F64), s(F32)), s(F32));
        // `x + 1` with integer `x` is i64.
        assert_eq!(arith(s(I8), Ty::weak(I64)), s(I64));
        assert_eq!(arith(s(U64), s(U64)), s(U64));
        assert_eq!(arith(s(U64), s(I8)), s(F64));
        assert_eq!(arith(s(U64), s(U8)), s(U64));
        assert_eq!(arith(s(I32), s(F32)), s(F64));
        // 8- and 16-bit integers and bools keep f32 (NumPy's result_type).
        assert_eq!(arith(s(I8), s(F32)), s(F32));
        assert_eq!(arith(s(F32), s(U16)), s(F32));
        assert_eq!(arith(s(Bool), s(F32)), s(F32));
        assert_eq!(arith(s(U32), s(F32)), s(F64));
        assert_eq!(arith(s(I16), Ty::weak(F64)), s(F64));
        assert_eq!(arith(s(F32), s(F64)), s(F64));
        assert_eq!(arith(s(Bool), s(Bool)), s(I64));
        assert_eq!(common(s(Bool), s(Bool)), s(Bool));
        assert_eq!(arith(Ty::weak(I64), Ty::weak(F64)), Ty::weak(F64));
    }
}
