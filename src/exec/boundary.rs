//! Boundary modes (SPEC §4): what a kernel reads outside the array.
//!
//! `map_index` is the one definition of each mode as scipy.ndimage's filters
//! apply it, for any distance outside and any axis length, including axes
//! shorter than the footprint. The interpreter calls it per access; the
//! executor calls it to fill the padded scratch tiles it runs border points on.

use std::fmt;

/// How out-of-range reads, or the points that would make them, are handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Output points whose footprint leaves the array are set to cval (Numba).
    Fill,
    /// Reads outside the array give cval (scipy `constant`).
    Constant,
    /// `a a a | a b c d | d d d` (scipy `nearest`).
    Nearest,
    /// `c b a | a b c d | d c b` (scipy `reflect`).
    Reflect,
    /// `d c b | a b c d | c b a` (scipy `mirror`).
    Mirror,
    /// `b c d | a b c d | a b c` (scipy `wrap` / `grid-wrap`).
    Wrap,
}

impl Mode {
    pub const ALL: [Mode; 6] = [
        Mode::Fill,
        Mode::Constant,
        Mode::Nearest,
        Mode::Reflect,
        Mode::Mirror,
        Mode::Wrap,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Fill => "fill",
            Mode::Constant => "constant",
            Mode::Nearest => "nearest",
            Mode::Reflect => "reflect",
            Mode::Mirror => "mirror",
            Mode::Wrap => "wrap",
        }
    }

    pub fn from_name(name: &str) -> Option<Mode> {
        Mode::ALL.iter().copied().find(|m| m.name() == name)
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The in-range index that position `i` of an axis of length `n` reads
/// under `mode`, or `None` where it reads cval (`Constant`; `Fill` never reads
/// outside, and is treated like `Constant` here). `n` must be at least 1.
pub fn map_index(i: i64, n: usize, mode: Mode) -> Option<usize> {
    let n = n as i64;
    if (0..n).contains(&i) {
        return Some(i as usize);
    }
    let j = match mode {
        Mode::Fill | Mode::Constant => return None,
        Mode::Nearest => i.clamp(0, n - 1),
        Mode::Wrap => i.rem_euclid(n),
        Mode::Reflect => {
            // Period 2n; the second half runs backwards, edges repeated.
            let k = i.rem_euclid(2 * n);
            if k < n { k } else { 2 * n - 1 - k }
        }
        Mode::Mirror => {
            if n == 1 {
                0
            } else {
                // Period 2n - 2; edges not repeated.
                let k = i.rem_euclid(2 * n - 2);
                if k < n { k } else { 2 * n - 2 - k }
            }
        }
    };
    Some(j as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(mode: Mode, n: usize, range: std::ops::RangeInclusive<i64>) -> Vec<Option<usize>> {
        range.map(|i| map_index(i, n, mode)).collect()
    }

    #[test]
    fn modes_match_the_spec_pictures() {
        // Pictures of SPEC §4 on `a b c d`, three cells out on each side.
        let s = |v: Vec<Option<usize>>| {
            v.into_iter()
                .map(|i| (b'a' + i.unwrap() as u8) as char)
                .collect::<String>()
        };
        assert_eq!(s(line(Mode::Nearest, 4, -3..=6)), "aaaabcdddd");
        assert_eq!(s(line(Mode::Reflect, 4, -3..=6)), "cbaabcddcb");
        assert_eq!(s(line(Mode::Mirror, 4, -3..=6)), "dcbabcdcba");
        assert_eq!(s(line(Mode::Wrap, 4, -3..=6)), "bcdabcdabc");
        assert_eq!(map_index(-1, 4, Mode::Constant), None);
    }
}
