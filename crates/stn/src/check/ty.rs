//! The checker's static type of a value: a dtype, and whether it comes from
//! a literal ("weak"), the one bit docs/language.md §3's rules need beyond the dtype, so
//! that `0.25 * a` stays `f32` when `a` is `f32`.

use std::fmt;

use crate::base::dtype::DType;

/// The static type of a kernel value: a dtype, and whether it is "weak".
///
/// Weak values come from literals and `const`s (and arithmetic on only those).
/// They take the type of the strong operand they meet, as NumPy's NEP 50 and
/// Numba's literal typing do; a weak value alone is `i64` or `f64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ty {
    pub dtype: DType,
    pub weak: bool,
}

impl Ty {
    pub const fn strong(dtype: DType) -> Ty {
        Ty { dtype, weak: false }
    }

    pub const fn weak(dtype: DType) -> Ty {
        Ty { dtype, weak: true }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.weak {
            let kind = if self.dtype.is_float() {
                "float"
            } else {
                "integer"
            };
            write!(f, "{kind} literal")
        } else {
            write!(f, "{}", self.dtype)
        }
    }
}
