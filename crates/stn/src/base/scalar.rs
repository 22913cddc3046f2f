//! Scalar values and the conversions between dtypes (docs/language.md §3).
//!
//! `Scalar` is how the interpreter holds a value and how the IR holds a
//! constant. `Scalar::cast` is the one definition of NumPy `astype` as stn
//! fixes it: integers wrap, floats truncate toward zero and saturate, NaN
//! becomes 0, integers round to the nearest float. Code generation must agree
//! with it bit for bit; the differential tests check that it does.

use crate::base::dtype::DType;

/// One value of some dtype. Signed integers and `u8`..`u32` are held in
/// `Int` (always within their dtype's range), `u64` in `U64`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    /// A bool.
    Bool(bool),
    /// Any signed integer, and unsigned ones up to `u32`, as `i64`.
    Int(i64),
    /// A `u64`.
    U64(u64),
    /// An `f32`.
    F32(f32),
    /// An `f64`.
    F64(f64),
}

impl Scalar {
    /// The value as the 64 bits of an integer register (ints wrap, floats
    /// truncate as in `cast`). Used for integer conversions.
    fn int_bits(self) -> u64 {
        match self {
            Scalar::Bool(b) => b as u64,
            Scalar::Int(v) => v as u64,
            Scalar::U64(v) => v,
            Scalar::F32(f) => f as i64 as u64,
            Scalar::F64(f) => f as i64 as u64,
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            Scalar::Bool(b) => b as u8 as f64,
            Scalar::Int(v) => v as f64,
            Scalar::U64(v) => v as f64,
            Scalar::F32(f) => f as f64,
            Scalar::F64(f) => f,
        }
    }

    fn as_f32(self) -> f32 {
        match self {
            Scalar::Bool(b) => b as u8 as f32,
            // One rounding step, straight from the integer: `v as f64 as f32`
            // would round twice.
            Scalar::Int(v) => v as f32,
            Scalar::U64(v) => v as f32,
            Scalar::F32(f) => f,
            Scalar::F64(f) => f as f32,
        }
    }

    /// Converts to `to` by docs/language.md §3's `astype` rules.
    pub fn cast(self, to: DType) -> Scalar {
        let float_src = matches!(self, Scalar::F32(_) | Scalar::F64(_));
        match to {
            DType::Bool => Scalar::Bool(match self {
                Scalar::Bool(b) => b,
                Scalar::Int(v) => v != 0,
                Scalar::U64(v) => v != 0,
                // NaN != 0, so NaN is true, as in NumPy.
                Scalar::F32(f) => f != 0.0,
                Scalar::F64(f) => f != 0.0,
            }),
            DType::F32 => Scalar::F32(self.as_f32()),
            DType::F64 => Scalar::F64(self.as_f64()),
            DType::U64 => Scalar::U64(match self {
                Scalar::F32(f) => f as u64,
                Scalar::F64(f) => f as u64,
                other => other.int_bits(),
            }),
            DType::I64 => Scalar::Int(self.int_bits() as i64),
            narrow => {
                if float_src {
                    // Truncate toward zero, saturate to the target's range.
                    let t = self.int_bits() as i64;
                    let (min, max) = int_range(narrow);
                    Scalar::Int(t.clamp(min, max))
                } else {
                    Scalar::Int(wrap(self.int_bits(), narrow))
                }
            }
        }
    }

    /// Whether `cast(to)` keeps the value: an integer in `to`'s range (a
    /// float only when it has no fraction), a bool from 0 or 1, a float in
    /// `to`'s range (rounding to f32 is allowed; NaN and infinities are
    /// floats too). Where it does not, why not.
    pub fn representable(self, to: DType) -> Result<(), String> {
        let (lo, hi) = int_range(to);
        let range = || match to {
            DType::U64 => format!("out of range for {to} (0 to {})", u64::MAX),
            _ => format!("out of range for {to} ({lo} to {hi})"),
        };
        match (to, self) {
            (DType::F64, _) => Ok(()),
            (DType::F32, Scalar::F64(f)) if f.is_finite() && f.abs() > f32::MAX as f64 => {
                Err(format!("out of range for f32 (largest {:e})", f32::MAX))
            }
            (DType::F32, _) => Ok(()),
            (_, Scalar::F32(_) | Scalar::F64(_)) => {
                let f = self.as_f64();
                if !f.is_finite() || f.fract() != 0.0 {
                    Err(format!("not an integer, which {to} needs"))
                } else if to == DType::U64 && f >= 0.0 && f < 2f64.powi(64)
                    || to != DType::U64 && f >= lo as f64 && f <= hi as f64
                {
                    Ok(())
                } else {
                    Err(range())
                }
            }
            (_, Scalar::Bool(_)) => Ok(()),
            (DType::U64, Scalar::Int(v)) if v < 0 => Err(range()),
            (DType::U64, _) => Ok(()),
            (_, Scalar::Int(v)) if (lo..=hi).contains(&v) => Ok(()),
            (_, Scalar::U64(v)) if v <= hi as u64 => Ok(()),
            _ => Err(range()),
        }
    }

    /// Reads one element of dtype `dtype` from the start of `bytes` (native endian).
    pub fn read(dtype: DType, bytes: &[u8]) -> Scalar {
        fn arr<const N: usize>(b: &[u8]) -> [u8; N] {
            b[..N].try_into().expect("slice of the element's size")
        }
        match dtype {
            DType::Bool => Scalar::Bool(bytes[0] != 0),
            DType::I8 => Scalar::Int(bytes[0] as i8 as i64),
            DType::U8 => Scalar::Int(bytes[0] as i64),
            DType::I16 => Scalar::Int(i16::from_ne_bytes(arr(bytes)) as i64),
            DType::U16 => Scalar::Int(u16::from_ne_bytes(arr(bytes)) as i64),
            DType::I32 => Scalar::Int(i32::from_ne_bytes(arr(bytes)) as i64),
            DType::U32 => Scalar::Int(u32::from_ne_bytes(arr(bytes)) as i64),
            DType::I64 => Scalar::Int(i64::from_ne_bytes(arr(bytes))),
            DType::U64 => Scalar::U64(u64::from_ne_bytes(arr(bytes))),
            DType::F32 => Scalar::F32(f32::from_ne_bytes(arr(bytes))),
            DType::F64 => Scalar::F64(f64::from_ne_bytes(arr(bytes))),
        }
    }

    /// Writes the value, converted to `dtype`, into the start of `out`.
    pub fn write(self, dtype: DType, out: &mut [u8]) {
        let v = self.cast(dtype);
        let n = dtype.size();
        match v {
            Scalar::Bool(b) => out[0] = b as u8,
            Scalar::Int(i) => out[..n].copy_from_slice(&i.to_ne_bytes()[..n]),
            Scalar::U64(u) => out[..8].copy_from_slice(&u.to_ne_bytes()),
            Scalar::F32(f) => out[..4].copy_from_slice(&f.to_ne_bytes()),
            Scalar::F64(f) => out[..8].copy_from_slice(&f.to_ne_bytes()),
        }
    }

    /// The value converted to `dtype`, as the bytes an array of `dtype`
    /// holds (in the first `dtype.size()` of the 8).
    pub fn to_bytes(self, dtype: DType) -> [u8; 8] {
        let mut b = [0u8; 8];
        self.write(dtype, &mut b);
        b
    }

    /// The value's bits (for keys: values of one dtype with equal bits are
    /// the same value).
    pub fn bits(self) -> u64 {
        match self {
            Scalar::Bool(b) => b as u64,
            Scalar::Int(v) => v as u64,
            Scalar::U64(v) => v,
            Scalar::F32(f) => f.to_bits() as u64,
            Scalar::F64(f) => f.to_bits(),
        }
    }

    /// The value as an `i64`, for compile-time integers (offsets, ranges).
    pub fn as_i64(self) -> Option<i64> {
        match self {
            Scalar::Int(v) => Some(v),
            Scalar::Bool(b) => Some(b as i64),
            Scalar::U64(v) => i64::try_from(v).ok(),
            _ => None,
        }
    }

    /// Bitwise identity, except that every NaN equals every NaN. This is the
    /// equality the differential tests use (NaN payloads are not specified).
    pub fn same(self, other: Scalar) -> bool {
        match (self, other) {
            (Scalar::F32(a), Scalar::F32(b)) => {
                (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
            }
            (Scalar::F64(a), Scalar::F64(b)) => {
                (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
            }
            (a, b) => a == b,
        }
    }
}

/// The smallest and largest value of an integer dtype (as i64; `u64`'s max
/// does not fit and is never asked for).
pub fn int_range(dtype: DType) -> (i64, i64) {
    match dtype {
        DType::Bool => (0, 1),
        DType::I8 => (i8::MIN as i64, i8::MAX as i64),
        DType::I16 => (i16::MIN as i64, i16::MAX as i64),
        DType::I32 => (i32::MIN as i64, i32::MAX as i64),
        DType::I64 => (i64::MIN, i64::MAX),
        DType::U8 => (0, u8::MAX as i64),
        DType::U16 => (0, u16::MAX as i64),
        DType::U32 => (0, u32::MAX as i64),
        DType::U64 => (0, i64::MAX),
        DType::F32 | DType::F64 => (i64::MIN, i64::MAX),
    }
}

/// Two's complement wrap of 64 bits into a narrower integer dtype.
fn wrap(bits: u64, to: DType) -> i64 {
    match to {
        DType::I8 => bits as i8 as i64,
        DType::I16 => bits as i16 as i64,
        DType::I32 => bits as i32 as i64,
        DType::U8 => bits as u8 as i64,
        DType::U16 => bits as u16 as i64,
        DType::U32 => bits as u32 as i64,
        _ => bits as i64,
    }
}

impl From<f64> for Scalar {
    fn from(v: f64) -> Scalar {
        Scalar::F64(v)
    }
}

impl From<f32> for Scalar {
    fn from(v: f32) -> Scalar {
        Scalar::F32(v)
    }
}

impl From<i64> for Scalar {
    fn from(v: i64) -> Scalar {
        Scalar::Int(v)
    }
}

impl From<i32> for Scalar {
    fn from(v: i32) -> Scalar {
        Scalar::Int(v as i64)
    }
}

impl From<u64> for Scalar {
    fn from(v: u64) -> Scalar {
        Scalar::U64(v)
    }
}

impl From<bool> for Scalar {
    fn from(v: bool) -> Scalar {
        Scalar::Bool(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn representable_values_keep_their_value() {
        assert!(Scalar::Int(300).representable(DType::I8).is_err());
        assert!(Scalar::Int(-128).representable(DType::I8).is_ok());
        assert!(Scalar::F64(1.5).representable(DType::I32).is_err());
        assert!(Scalar::F64(f64::NAN).representable(DType::U8).is_err());
        assert!(Scalar::F64(f64::NAN).representable(DType::F32).is_ok());
        assert!(Scalar::F64(1e40).representable(DType::F32).is_err());
        assert!(Scalar::F64(0.1).representable(DType::F32).is_ok());
        assert!(Scalar::Int(2).representable(DType::Bool).is_err());
        assert!(Scalar::U64(u64::MAX).representable(DType::U64).is_ok());
        assert!(Scalar::Int(-1).representable(DType::U64).is_err());
        assert!(Scalar::F64(255.0).representable(DType::U8).is_ok());
    }

    #[test]
    fn float_to_int_truncates_and_saturates() {
        assert_eq!(Scalar::F64(-1.7).cast(DType::I8), Scalar::Int(-1));
        assert_eq!(Scalar::F64(300.0).cast(DType::U8), Scalar::Int(255));
        assert_eq!(Scalar::F64(-3.0).cast(DType::U8), Scalar::Int(0));
        assert_eq!(Scalar::F64(f64::NAN).cast(DType::I32), Scalar::Int(0));
        assert_eq!(Scalar::F64(1e300).cast(DType::U64), Scalar::U64(u64::MAX));
    }

    #[test]
    fn int_to_narrower_int_wraps() {
        assert_eq!(Scalar::Int(200).cast(DType::I8), Scalar::Int(-56));
        assert_eq!(Scalar::Int(-1).cast(DType::U16), Scalar::Int(65535));
        assert_eq!(Scalar::Int(-1).cast(DType::U64), Scalar::U64(u64::MAX));
        assert_eq!(Scalar::U64(u64::MAX).cast(DType::I64), Scalar::Int(-1));
    }

    #[test]
    fn int_to_f32_rounds_once() {
        // 2^24 + 1 + 2^-? : an i64 that double rounding through f64 gets wrong.
        let v: i64 = (1 << 53) + (1 << 29) + 1;
        assert_eq!(Scalar::Int(v).cast(DType::F32), Scalar::F32(v as f32));
        assert_ne!(v as f32, v as f64 as f32);
    }
}
