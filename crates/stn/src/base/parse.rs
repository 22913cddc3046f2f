//! Values given as text (on a command line, by a binding, in an environment
//! variable): numbers, sizes, shapes, `NAME=VALUE` parameters, and the
//! names of modes, dtypes and schedules. The CLI and the Python binding
//! both parse through here, so every spelling and every message is the
//! same wherever a value comes from.

use crate::base::dtype::DType;
use crate::base::error::{Error, Result};
use crate::base::mode::Mode;
use crate::base::scalar::Scalar;
use crate::base::suggest;

/// A number: an integer when the text is one (`i64`, else `u64`), else a
/// float (`nan`, `inf` and `-inf` included), or `true`/`false`.
pub fn number(text: &str) -> Option<Scalar> {
    let t = text.trim();
    if let Ok(v) = t.parse::<i64>() {
        return Some(Scalar::Int(v));
    }
    if let Ok(v) = t.parse::<u64>() {
        return Some(Scalar::U64(v));
    }
    match t.parse::<f64>() {
        Ok(v) => Some(Scalar::F64(v)),
        Err(_) => match t {
            "true" | "True" => Some(Scalar::Bool(true)),
            "false" | "False" => Some(Scalar::Bool(false)),
            _ => None,
        },
    }
}

/// A `NAME=VALUE` parameter.
pub fn param(text: &str) -> Result<(String, Scalar)> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| Error::usage(format!("--param `{text}` must look like NAME=VALUE")))?;
    let v = number(value).ok_or_else(|| {
        Error::usage(format!(
            "bad value for parameter `{name}`: `{value}` is not a number"
        ))
    })?;
    Ok((name.trim().to_string(), v))
}

/// A memory size: a number of bytes with an optional K, M, G or T suffix
/// (powers of 1024; `B`/`iB` may follow), e.g. `512M`, `1.5G`.
pub fn size(text: &str) -> Option<usize> {
    let t = text.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let (num, scale) = match t.char_indices().last()? {
        (i, 'k' | 'K') => (&t[..i], 1u64 << 10),
        (i, 'm' | 'M') => (&t[..i], 1 << 20),
        (i, 'g' | 'G') => (&t[..i], 1 << 30),
        (i, 't' | 'T') => (&t[..i], 1 << 40),
        _ => (t, 1),
    };
    let v: f64 = num.trim().parse().ok()?;
    if !v.is_finite() || v < 0.0 {
        return None;
    }
    let bytes = v * scale as f64;
    (bytes < usize::MAX as f64).then_some(bytes as usize)
}

/// An array shape: sizes separated by commas, e.g. `64,1000,1000`.
pub fn shape(text: &str) -> Result<Vec<usize>> {
    text.split(',')
        .map(|n| n.trim().parse::<usize>())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| {
            Error::usage(format!(
                "--shape `{text}` must be sizes separated by commas, e.g. 64,1000,1000"
            ))
        })
}

/// Core axes as `--axes` gives them: integers separated by commas,
/// negative ones counting from the end (`-3,-2`).
pub fn axes(text: &str) -> Result<Vec<isize>> {
    text.split(',')
        .map(|n| n.trim().parse::<isize>())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| {
            Error::usage(format!(
                "--axes `{text}` must be axis numbers separated by commas, e.g. -3,-2"
            ))
        })
}

/// A boundary mode by name.
pub fn mode(name: &str) -> Result<Mode> {
    Mode::from_name(name).ok_or_else(|| {
        let hint = suggest::closest(name, Mode::names())
            .map(|m| format!(" (did you mean `{m}`?)"))
            .unwrap_or_default();
        Error::usage(format!(
            "unknown boundary mode `{name}`{hint}; modes are {}",
            Mode::all_names()
        ))
    })
}

/// A dtype by name (`i8`, `f32`, ...).
pub fn dtype(name: &str) -> Result<DType> {
    DType::from_name(name).ok_or_else(|| {
        let hint = suggest::closest(name, DType::ALL.iter().map(|d| d.name()))
            .map(|d| format!(" (did you mean `{d}`?)"))
            .unwrap_or_default();
        Error::usage(format!(
            "unknown dtype `{name}`{hint}; dtypes are {}",
            DType::all_names()
        ))
    })
}

impl std::str::FromStr for Mode {
    type Err = Error;

    /// A mode by name: `"reflect".parse::<Mode>()`.
    fn from_str(s: &str) -> Result<Mode> {
        mode(s)
    }
}

impl std::str::FromStr for DType {
    type Err = Error;

    /// A dtype by name: `"f32".parse::<DType>()`.
    fn from_str(s: &str) -> Result<DType> {
        dtype(s)
    }
}

/// `1.5 GiB`, `512 MiB`, `100 B`.
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes_parse_with_binary_suffixes() {
        assert_eq!(size("512M"), Some(512 << 20));
        assert_eq!(size("1.5G"), Some(3 << 29));
        assert_eq!(size("2GiB"), Some(2 << 30));
        assert_eq!(size("100"), Some(100));
        assert_eq!(size("64k"), Some(64 << 10));
        assert_eq!(size("lots"), None);
        assert_eq!(size("-1G"), None);
    }

    #[test]
    fn names_and_numbers() {
        assert_eq!(number("-9"), Some(Scalar::Int(-9)));
        assert_eq!(number("18446744073709551615"), Some(Scalar::U64(u64::MAX)));
        assert!(matches!(number("-inf"), Some(Scalar::F64(v)) if v == f64::NEG_INFINITY));
        assert_eq!(number("x"), None);
        assert_eq!(param("n = 3").unwrap(), ("n".to_string(), Scalar::Int(3)));
        assert_eq!(mode("wrap").unwrap(), Mode::Wrap);
        assert_eq!(mode("periodic").unwrap(), Mode::Wrap);
        let e = mode("cyclic").unwrap_err().to_string();
        assert!(
            e.ends_with("modes are fill, constant, nearest, reflect, mirror, wrap"),
            "{e}"
        );
        assert!(
            dtype("f16")
                .unwrap_err()
                .to_string()
                .contains("dtypes are bool, i8")
        );
        assert_eq!(shape("2, 3").unwrap(), vec![2, 3]);
    }
}
