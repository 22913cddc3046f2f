//! Tiles: how the core index space is cut into work items, and how a tile
//! splits into the interior (run straight on the arrays) and the border
//! (run on padded copies, or filled with cval).
//!
//! A tile is one loop point times a block of rows along core axis 0. Within a
//! tile, the interior is where every access of the footprint lands inside
//! the array; there the compiled code reads the arrays directly and never
//! checks a bound. The rest of the tile is cut into at most `2 * ndim`
//! disjoint boxes.

use std::ops::Range;

use crate::ir::Footprint;

/// An axis-aligned box of core indices: one half-open range per axis.
pub type CoreBox = Vec<Range<usize>>;

/// One work item: the loop points `loops` (C-order flat indices) and, in
/// each, rows `rows` of core axis 0. A tile spans several loop points only
/// when each has fewer core points than a tile holds (many small images);
/// then it covers all their rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tile {
    pub loops: Range<usize>,
    pub rows: Range<usize>,
}

/// Splits the work into tiles of about `points` core points each (at least
/// one row), loop point by loop point.
pub fn tiles(loop_len: usize, core: &[usize], points: usize) -> Vec<Tile> {
    if core.contains(&0) {
        return Vec::new();
    }
    let core_points: usize = core.iter().product();
    let mut out = Vec::new();
    if core_points < points {
        // Whole small images, several per tile.
        let per = points / core_points;
        let mut l = 0;
        while l < loop_len {
            let end = (l + per).min(loop_len);
            out.push(Tile {
                loops: l..end,
                rows: 0..core[0],
            });
            l = end;
        }
        return out;
    }
    let row: usize = core[1..].iter().product();
    let rows = (points / row.max(1)).max(1);
    for loop_flat in 0..loop_len {
        let mut r = 0;
        while r < core[0] {
            let end = (r + rows).min(core[0]);
            out.push(Tile {
                loops: loop_flat..loop_flat + 1,
                rows: r..end,
            });
            r = end;
        }
    }
    out
}

/// The points of an axis of length `n` whose whole footprint `lo..=hi` is
/// inside the axis. Possibly empty (then `start == end`).
pub fn interior_range(n: usize, lo: i64, hi: i64) -> Range<usize> {
    let start = (-lo).clamp(0, n as i64) as usize;
    let end = (n as i64 - hi).clamp(0, n as i64) as usize;
    start..end.max(start)
}

/// Splits `tile` into its interior box (if not empty) and disjoint border
/// boxes that together cover the rest of it.
pub fn split(tile: &CoreBox, core: &[usize], fp: &Footprint) -> (Option<CoreBox>, Vec<CoreBox>) {
    let mut rest = tile.clone();
    let mut border = Vec::new();
    for k in 0..core.len() {
        let inner = interior_range(core[k], fp.lo[k], fp.hi[k]);
        let r = rest[k].clone();
        let below = r.start..inner.start.min(r.end).max(r.start);
        let above = inner.end.max(r.start).min(r.end)..r.end;
        for part in [below, above] {
            if !part.is_empty() {
                let mut b = rest.clone();
                b[k] = part;
                border.push(b);
            }
        }
        rest[k] = inner.start.max(r.start)..inner.end.min(r.end).max(inner.start.max(r.start));
        if rest[k].is_empty() {
            return (None, border);
        }
    }
    (Some(rest), border)
}

/// Elements a padded copy of a border piece may hold, at least: border
/// boxes span whole rows, and a box grown by a wide footprint could need
/// gigabytes in one piece.
const PADDED_ELEMENTS: usize = 1 << 20;

/// Cuts a border box into pieces whose padded copies (the piece grown by
/// the footprint) hold at most `max(PADDED_ELEMENTS, 2 x the footprint's
/// box)` elements, halving the longest side until they do.
pub fn pieces(bx: &CoreBox, fp: &Footprint) -> Vec<CoreBox> {
    let span: Vec<usize> = (0..bx.len())
        .map(|k| (fp.hi[k] - fp.lo[k]) as usize)
        .collect();
    let limit = PADDED_ELEMENTS.max(2 * span.iter().map(|s| s + 1).product::<usize>());
    let mut size: Vec<usize> = bx.iter().map(|r| r.len().max(1)).collect();
    let padded = |size: &[usize]| -> usize {
        size.iter()
            .zip(&span)
            .map(|(c, s)| c + s)
            .fold(1usize, |a, b| a.saturating_mul(b))
    };
    while padded(&size) > limit {
        let Some(k) = (0..size.len())
            .filter(|&k| size[k] > 1)
            .max_by_key(|&k| size[k])
        else {
            break;
        };
        size[k] = size[k].div_ceil(2);
    }
    let mut out = vec![Vec::new()];
    for (r, &c) in bx.iter().zip(&size) {
        let mut next = Vec::new();
        for prefix in &out {
            let mut start = r.start;
            while start < r.end {
                let end = (start + c).min(r.end);
                let mut p: CoreBox = prefix.clone();
                p.push(start..end);
                next.push(p);
                start = end;
            }
        }
        out = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(b: &CoreBox) -> usize {
        b.iter().map(|r| r.len()).product()
    }

    #[test]
    fn split_covers_the_tile_exactly_once() {
        let fp = Footprint {
            lo: vec![-1, -2],
            hi: vec![1, 0],
        };
        for core in [[5usize, 7], [1, 1], [2, 3], [3, 1]] {
            for rows in [0..core[0], 0..1.min(core[0])] {
                let tile = vec![rows, 0..core[1]];
                let (inner, border) = split(&tile, &core, &fp);
                let mut seen = vec![0u8; core[0] * core[1]];
                for b in inner.iter().chain(&border) {
                    for i in b[0].clone() {
                        for j in b[1].clone() {
                            seen[i * core[1] + j] += 1;
                        }
                    }
                }
                let total: usize = inner.iter().chain(&border).map(count).sum();
                assert_eq!(total, count(&tile), "{core:?}");
                for i in tile[0].clone() {
                    for j in 0..core[1] {
                        assert_eq!(seen[i * core[1] + j], 1);
                        let interior = i >= 1 && i + 1 < core[0] && j >= 2;
                        let in_inner = inner
                            .as_ref()
                            .is_some_and(|b| b[0].contains(&i) && b[1].contains(&j));
                        assert_eq!(interior, in_inner, "{core:?} ({i},{j})");
                    }
                }
            }
        }
    }

    #[test]
    fn tiles_are_row_blocks() {
        let t = tiles(2, &[5, 10], 20);
        assert_eq!(t.len(), 6);
        assert_eq!(
            t[0],
            Tile {
                loops: 0..1,
                rows: 0..2
            }
        );
        assert_eq!(
            t[2],
            Tile {
                loops: 0..1,
                rows: 4..5
            }
        );
        // Small images are grouped, whole.
        let t = tiles(7, &[2, 3], 13);
        assert_eq!(
            t,
            vec![
                Tile {
                    loops: 0..2,
                    rows: 0..2
                },
                Tile {
                    loops: 2..4,
                    rows: 0..2
                },
                Tile {
                    loops: 4..6,
                    rows: 0..2
                },
                Tile {
                    loops: 6..7,
                    rows: 0..2
                }
            ]
        );
        assert!(tiles(3, &[0, 4], 20).is_empty());
    }

    #[test]
    fn border_pieces_cover_the_box_once_and_bound_the_padded_copy() {
        let fp = Footprint {
            lo: vec![-2000, -3],
            hi: vec![2000, 3],
        };
        let bx: CoreBox = vec![0..2000, 0..1_000_000];
        let pieces = pieces(&bx, &fp);
        let mut covered = 0;
        for p in &pieces {
            let padded = (p[0].len() + 4000) * (p[1].len() + 6);
            assert!(padded <= 2 * 4001 * 7 || padded <= 1 << 20, "{p:?}");
            covered += p[0].len() * p[1].len();
        }
        assert_eq!(covered, 2000 * 1_000_000);
        // A small box stays whole.
        assert_eq!(pieces_of_small(), 1);
    }

    fn pieces_of_small() -> usize {
        let fp = Footprint {
            lo: vec![-1, -1],
            hi: vec![1, 1],
        };
        pieces(&vec![0..1, 0..1000], &fp).len()
    }
}
