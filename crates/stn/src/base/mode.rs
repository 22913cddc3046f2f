//! Boundary modes (docs/language.md §4): what a kernel reads outside the array.
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
    /// Every mode, in docs/language.md §4's order.
    pub const ALL: [Mode; 6] = [
        Mode::Fill,
        Mode::Constant,
        Mode::Nearest,
        Mode::Reflect,
        Mode::Mirror,
        Mode::Wrap,
    ];

    /// The mode's name (`fill`, `reflect`, ...).
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

    /// Every mode's name, as a list for messages: `fill, constant, ...`.
    pub fn all_names() -> String {
        Mode::ALL.map(Mode::name).join(", ")
    }

    /// Other names of modes: scipy.ndimage's filters call `wrap`
    /// `grid-wrap` too, `reflect` `grid-mirror` and `constant`
    /// `grid-constant` (the same extensions: their `wrap`, `reflect` and
    /// `constant` are stn's); `periodic` is the simulation name of `wrap`.
    pub const ALIASES: [(&'static str, Mode); 4] = [
        ("grid-wrap", Mode::Wrap),
        ("periodic", Mode::Wrap),
        ("grid-mirror", Mode::Reflect),
        ("grid-constant", Mode::Constant),
    ];

    /// Every name a mode is known by, aliases included.
    pub fn names() -> impl Iterator<Item = &'static str> {
        (Mode::ALL.iter().map(|m| m.name())).chain(Mode::ALIASES.iter().map(|a| a.0))
    }

    /// The mode called `name` (or one of its `ALIASES`).
    pub fn from_name(name: &str) -> Option<Mode> {
        (Mode::ALL.iter().copied().find(|m| m.name() == name)).or_else(|| {
            (Mode::ALIASES.iter())
                .find(|(a, _)| *a == name)
                .map(|&(_, m)| m)
        })
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

/// A stretch of positions along an axis and what they read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    /// The first position's place in the stretch asked for.
    pub at: usize,
    /// Positions in the run.
    pub len: usize,
    /// The index the first position reads and the step to the next (-1, 0
    /// or 1); `None` where the run reads cval.
    pub src: Option<(usize, i64)>,
}

/// Positions `positions` of an axis of length `n` (at least 1) under
/// `mode`, as runs of positions that read indices at equal steps, or cval:
/// what a reader of whole rows (a slab's halo) needs to read or fill.
pub fn runs(positions: std::ops::Range<i64>, n: usize, mode: Mode) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    for (t, p) in positions.enumerate() {
        let m = map_index(p, n, mode);
        if let Some(r) = out.last_mut() {
            let next = match r.src {
                Some((first, step)) => m.map(|i| (i as i64 - first as i64, step)),
                None => None,
            };
            let joins = match (r.src, m, next) {
                (None, None, _) => true,
                (Some(_), Some(_), Some((d, _))) if r.len == 1 => d.abs() <= 1,
                (Some(_), Some(_), Some((d, step))) => d == step * r.len as i64,
                _ => false,
            };
            if joins {
                if r.len == 1
                    && let (Some((first, _)), Some(i)) = (r.src, m)
                {
                    r.src = Some((first, i as i64 - first as i64));
                }
                r.len += 1;
                continue;
            }
        }
        out.push(Run {
            at: t,
            len: 1,
            src: m.map(|i| (i, 0)),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_are_found_by_name_and_by_scipys_names() {
        for m in Mode::ALL {
            assert_eq!(Mode::from_name(m.name()), Some(m));
        }
        assert_eq!(Mode::from_name("grid-wrap"), Some(Mode::Wrap));
        assert_eq!(Mode::from_name("periodic"), Some(Mode::Wrap));
        assert_eq!(Mode::from_name("grid-mirror"), Some(Mode::Reflect));
        assert_eq!(Mode::from_name("grid-constant"), Some(Mode::Constant));
        assert_eq!(Mode::from_name("bounce"), None);
    }

    #[test]
    fn runs_join_rows_read_in_order() {
        let r = |at, len, src| Run { at, len, src };
        // Two rows before a 5-row axis under reflect, then the axis.
        assert_eq!(
            runs(-2..5, 5, Mode::Reflect),
            vec![r(0, 2, Some((1, -1))), r(2, 5, Some((0, 1)))]
        );
        assert_eq!(
            runs(3..7, 5, Mode::Constant),
            vec![r(0, 2, Some((3, 1))), r(2, 2, None)]
        );
        assert_eq!(
            runs(-1..2, 5, Mode::Wrap),
            vec![r(0, 1, Some((4, 0))), r(1, 2, Some((0, 1)))]
        );
        assert_eq!(runs(5..8, 5, Mode::Nearest), vec![r(0, 3, Some((4, 0)))]);
    }

    fn line(mode: Mode, n: usize, range: std::ops::RangeInclusive<i64>) -> Vec<Option<usize>> {
        range.map(|i| map_index(i, n, mode)).collect()
    }

    #[test]
    fn modes_match_the_spec_pictures() {
        // Pictures of docs/language.md §4 on `a b c d`, three cells out on each side.
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
