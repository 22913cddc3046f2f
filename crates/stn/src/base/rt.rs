//! Runtime helpers: the scalar operations that are not one machine instruction.
//!
//! Each is an `extern "C"` function so that generated code can call it, and the
//! interpreter calls the very same function. Where generated code inlines an
//! operation instead, these functions are still its definition: the
//! differential tests compare the two.

/// Python's `a // b` on i64, wrapping (`i64::MIN // -1 == i64::MIN`); `b == 0` gives 0.
pub extern "C" fn floordiv_i64(a: i64, b: i64) -> i64 {
    if b == 0 {
        return 0;
    }
    let q = a.wrapping_div(b);
    let r = a.wrapping_rem(b);
    if r != 0 && ((r < 0) != (b < 0)) {
        q.wrapping_sub(1)
    } else {
        q
    }
}

/// Python's `a % b` on i64 (the result has the divisor's sign); `b == 0` gives 0.
pub extern "C" fn mod_i64(a: i64, b: i64) -> i64 {
    if b == 0 {
        return 0;
    }
    let r = a.wrapping_rem(b);
    if r != 0 && ((r < 0) != (b < 0)) {
        r.wrapping_add(b)
    } else {
        r
    }
}

pub extern "C" fn floordiv_u64(a: u64, b: u64) -> u64 {
    a.checked_div(b).unwrap_or(0)
}

pub extern "C" fn mod_u64(a: u64, b: u64) -> u64 {
    a.checked_rem(b).unwrap_or(0)
}

macro_rules! float_divmod {
    ($floordiv:ident, $modulo:ident, $t:ty) => {
        /// Float floor division as NumPy's `npy_divmod` (CPython's float
        /// divmod, plus `a // 0.0 == a / 0.0`). It is not `floor(a / b)`:
        /// `1.0 // 0.1 == 9.0`.
        pub extern "C" fn $floordiv(a: $t, b: $t) -> $t {
            if b == 0.0 {
                return a / b;
            }
            let m = a % b;
            let mut div = (a - m) / b;
            if m != 0.0 || m.is_nan() {
                if (b < 0.0) != (m < 0.0) {
                    div -= 1.0;
                }
            }
            if div != 0.0 || div.is_nan() {
                let mut fl = div.floor();
                if div - fl > 0.5 {
                    fl += 1.0;
                }
                fl
            } else {
                (0.0 as $t).copysign(a / b)
            }
        }

        /// Float Python modulo as NumPy's `npy_divmod`; `a % 0.0` is NaN.
        pub extern "C" fn $modulo(a: $t, b: $t) -> $t {
            let mut m = a % b;
            if b == 0.0 {
                return m;
            }
            if m != 0.0 || m.is_nan() {
                if (b < 0.0) != (m < 0.0) {
                    m += b;
                }
            } else {
                m = (0.0 as $t).copysign(b);
            }
            m
        }
    };
}

float_divmod!(floordiv_f64, mod_f64, f64);
float_divmod!(floordiv_f32, mod_f32, f32);

/// `a ** b` on i64 by repeated squaring, wrapping. A negative exponent gives
/// the truncated value of `1 / a**-b`: 1 for `a == 1`, ±1 for `a == -1`, else
/// 0 (also for `a == 0`, as integer division by zero gives 0).
pub extern "C" fn pow_i64(a: i64, b: i64) -> i64 {
    if b < 0 {
        return match a {
            1 => 1,
            -1 => {
                if b % 2 == 0 {
                    1
                } else {
                    -1
                }
            }
            _ => 0,
        };
    }
    pow_u64(a as u64, b as u64) as i64
}

/// `a ** b` on u64 by repeated squaring, wrapping.
pub extern "C" fn pow_u64(a: u64, b: u64) -> u64 {
    let (mut base, mut exp, mut acc) = (a, b, 1u64);
    while exp > 0 {
        if exp & 1 == 1 {
            acc = acc.wrapping_mul(base);
        }
        base = base.wrapping_mul(base);
        exp >>= 1;
    }
    acc
}

/// `a << b`; a count outside 0..=63 gives 0.
pub extern "C" fn shl_i64(a: i64, b: i64) -> i64 {
    if (0..64).contains(&b) {
        a.wrapping_shl(b as u32)
    } else {
        0
    }
}

/// Arithmetic `a >> b`; a count outside 0..=63 (negative ones included)
/// gives the sign fill, as NumPy and Numba do.
pub extern "C" fn shr_i64(a: i64, b: i64) -> i64 {
    if (0..64).contains(&b) {
        a >> b
    } else if a < 0 {
        -1
    } else {
        0
    }
}

pub extern "C" fn shl_u64(a: u64, b: u64) -> u64 {
    if b < 64 { a << b } else { 0 }
}

pub extern "C" fn shr_u64(a: u64, b: u64) -> u64 {
    if b < 64 { a >> b } else { 0 }
}

macro_rules! float_minmax {
    ($min:ident, $max:ident, $t:ty) => {
        /// IEEE 754-2019 `minimum`: NaN if either operand is NaN; -0 < +0.
        pub extern "C" fn $min(a: $t, b: $t) -> $t {
            if a.is_nan() || b.is_nan() {
                <$t>::NAN
            } else if a < b || (a == b && a.is_sign_negative()) {
                a
            } else {
                b
            }
        }

        /// IEEE 754-2019 `maximum`: NaN if either operand is NaN; -0 < +0.
        pub extern "C" fn $max(a: $t, b: $t) -> $t {
            if a.is_nan() || b.is_nan() {
                <$t>::NAN
            } else if a > b || (a == b && a.is_sign_positive()) {
                a
            } else {
                b
            }
        }
    };
}

float_minmax!(min_f64, max_f64, f64);
float_minmax!(min_f32, max_f32, f32);

macro_rules! libm {
    ($($name:ident: $t:ty => $method:ident),* $(,)?) => {
        $(
            pub extern "C" fn $name(x: $t) -> $t {
                x.$method()
            }
        )*
    };
}

libm! {
    exp_f64: f64 => exp, log_f64: f64 => ln, sin_f64: f64 => sin, cos_f64: f64 => cos,
    tan_f64: f64 => tan, tanh_f64: f64 => tanh,
    exp_f32: f32 => exp, log_f32: f32 => ln, sin_f32: f32 => sin, cos_f32: f32 => cos,
    tan_f32: f32 => tan, tanh_f32: f32 => tanh,
}

pub extern "C" fn pow_f64(a: f64, b: f64) -> f64 {
    a.powf(b)
}

pub extern "C" fn pow_f32(a: f32, b: f32) -> f32 {
    a.powf(b)
}

pub extern "C" fn hypot_f64(a: f64, b: f64) -> f64 {
    a.hypot(b)
}

pub extern "C" fn hypot_f32(a: f32, b: f32) -> f32 {
    a.hypot(b)
}

/// The order docs/language.md §12 sorts float terms in: numbers ascending, NaN after
/// every number, `-0.0` equal to `0.0` (so a stable sort keeps the earlier
/// first).
pub fn float_order(a: f64, b: f64) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Equal,
        (true, false) => Greater,
        (false, true) => Less,
        _ => a.partial_cmp(&b).expect("neither is NaN"),
    }
}

/// The term at index `k` of `terms` in a stable sort by `order`.
pub fn select<T: Copy>(
    terms: &mut [T],
    k: usize,
    order: impl Fn(&T, &T) -> std::cmp::Ordering,
) -> T {
    terms.sort_by(order);
    terms[k]
}

/// `rank(k, ...)` of `n` i64 terms at `terms` (reordered in place).
///
/// # Safety
/// `terms` points to `n` writable values and `k < n`.
pub unsafe extern "C" fn rank_i64(terms: *mut i64, n: usize, k: usize) -> i64 {
    // SAFETY: the caller's contract.
    select(
        unsafe { std::slice::from_raw_parts_mut(terms, n) },
        k,
        Ord::cmp,
    )
}

/// `rank(k, ...)` of `n` u64 terms (see `rank_i64`).
///
/// # Safety
/// As `rank_i64`.
pub unsafe extern "C" fn rank_u64(terms: *mut u64, n: usize, k: usize) -> u64 {
    // SAFETY: the caller's contract.
    select(
        unsafe { std::slice::from_raw_parts_mut(terms, n) },
        k,
        Ord::cmp,
    )
}

/// `rank(k, ...)` of `n` f64 terms (see `rank_i64`).
///
/// # Safety
/// As `rank_i64`.
pub unsafe extern "C" fn rank_f64(terms: *mut f64, n: usize, k: usize) -> f64 {
    // SAFETY: the caller's contract.
    select(
        unsafe { std::slice::from_raw_parts_mut(terms, n) },
        k,
        |a, b| float_order(*a, *b),
    )
}

/// `rank(k, ...)` of `n` f32 terms (see `rank_i64`).
///
/// # Safety
/// As `rank_i64`.
pub unsafe extern "C" fn rank_f32(terms: *mut f32, n: usize, k: usize) -> f32 {
    // SAFETY: the caller's contract.
    select(
        unsafe { std::slice::from_raw_parts_mut(terms, n) },
        k,
        |a, b| float_order(*a as f64, *b as f64),
    )
}

/// Name and address of every helper, for the JIT's symbol table.
pub fn symbols() -> Vec<(&'static str, *const u8)> {
    macro_rules! syms {
        ($($f:ident),* $(,)?) => {
            vec![$((concat!("stn_", stringify!($f)), $f as *const u8)),*]
        };
    }
    syms![
        floordiv_i64,
        mod_i64,
        floordiv_u64,
        mod_u64,
        floordiv_f64,
        mod_f64,
        floordiv_f32,
        mod_f32,
        pow_i64,
        pow_u64,
        shl_i64,
        shr_i64,
        shl_u64,
        shr_u64,
        min_f64,
        max_f64,
        min_f32,
        max_f32,
        exp_f64,
        log_f64,
        sin_f64,
        cos_f64,
        tan_f64,
        tanh_f64,
        exp_f32,
        log_f32,
        sin_f32,
        cos_f32,
        tan_f32,
        tanh_f32,
        pow_f64,
        pow_f32,
        hypot_f64,
        hypot_f32,
        rank_i64,
        rank_u64,
        rank_f64,
        rank_f32,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_integer_floor_division_and_modulo() {
        assert_eq!(floordiv_i64(-7, 2), -4);
        assert_eq!(mod_i64(-7, 2), 1);
        assert_eq!(floordiv_i64(7, -2), -4);
        assert_eq!(mod_i64(7, -2), -1);
        assert_eq!(floordiv_i64(i64::MIN, -1), i64::MIN);
        assert_eq!(mod_i64(i64::MIN, -1), 0);
        assert_eq!(floordiv_i64(5, 0), 0);
        assert_eq!(mod_i64(5, 0), 0);
    }

    #[test]
    fn ranks_sort_stably_with_nan_last_and_zeros_equal() {
        let mut v = [3.0, f64::NAN, -0.0, 0.0, -1.0];
        // Sorted: -1, -0 (earlier), 0, 3, NaN.
        let k = |v: &mut [f64], k| unsafe { rank_f64(v.as_mut_ptr(), v.len(), k) };
        assert_eq!(k(&mut v.clone(), 0), -1.0);
        let z = k(&mut v.clone(), 1);
        assert!(z == 0.0 && z.is_sign_negative(), "the earlier zero first");
        let z = k(&mut v.clone(), 2);
        assert!(z == 0.0 && z.is_sign_positive());
        assert!(k(&mut v, 4).is_nan());
        let mut w = [5i64, -2, 7];
        assert_eq!(unsafe { rank_i64(w.as_mut_ptr(), 3, 1) }, 5);
    }

    #[test]
    fn shifts_out_of_range_fill_with_the_sign() {
        // NumPy and Numba: `np.int64(-8) >> -1 == -1`, `>> 64 == -1`.
        assert_eq!(shr_i64(-8, -1), -1);
        assert_eq!(shr_i64(-8, 64), -1);
        assert_eq!(shr_i64(8, -1), 0);
        assert_eq!(shr_i64(-8, 2), -2);
        assert_eq!(shl_i64(1, -1), 0);
        assert_eq!(shl_i64(1, 63), i64::MIN);
    }

    #[test]
    fn python_float_floor_division() {
        assert_eq!(floordiv_f64(1.0, 0.1), 9.0);
        assert_eq!(mod_f64(-1.0, 3.0), 2.0);
        assert!(mod_f64(1.0, 0.0).is_nan());
        assert_eq!(floordiv_f64(1.0, 0.0), f64::INFINITY);
        assert!(floordiv_f64(-0.0, 5.0).is_sign_negative());
    }
}
