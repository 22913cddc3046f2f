//! Tiles: how the core index space is cut into work items, and how a tile
//! splits into the interior (run straight on the arrays) and the border
//! (run on padded copies, or filled with cval).
//!
//! A tile is a box of core points at one or more loop points. Within a
//! tile, the interior is where every access of the footprint lands inside
//! the array; there the compiled code reads the arrays directly and never
//! checks a bound. The rest of the tile is cut into at most `2 * ndim`
//! disjoint boxes.

use std::ops::Range;

use crate::base::broadcast::Layout;
use crate::ir::Footprint;

/// An axis-aligned box of core indices: one half-open range per axis (at
/// most `MAX_NDIM`, inline: boxes are made per call of compiled code).
pub type CoreBox = smallvec::SmallVec<[Range<usize>; 4]>;

/// One work item: the output box `bx` (one range per core axis) at each of
/// the loop points `loops` (C-order flat indices). A tile spans several
/// loop points only when each has fewer core points than a tile holds
/// (many small images); then it covers all their points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tile {
    pub loops: Range<usize>,
    pub bx: CoreBox,
}

/// Tile size for one stage when the caller says 0 (automatic): as large
/// as possible, so that fewer halo rows are read twice, but with at least
/// 8 tiles per thread to balance the load; between 2^16 and 2^20 points,
/// and at most 2^18 for kernels with 3 or more core axes, whose halo is
/// whole planes that must stay in cache. (Measured on W1, W3, W4 of
/// `benches/peers`; see BENCHMARKS.md.)
pub fn auto_points(layout: &Layout, threads: usize) -> usize {
    let total: usize = layout
        .loop_len()
        .saturating_mul(layout.core.iter().product());
    let cap = if layout.core.len() >= 3 {
        1 << 18
    } else {
        1 << 20
    };
    (total / (8 * threads.max(1))).clamp(1 << 16, cap)
}

/// Splits rows `rows` of axis 0 of `loop_len` core blocks of shape `core`
/// into row tiles of about `points` points each (at least one row), loop
/// point by loop point; whole small blocks are grouped.
pub fn row_tiles(loop_len: usize, core: &[usize], points: usize, rows: Range<usize>) -> Vec<Tile> {
    if core.contains(&0) || rows.is_empty() {
        return Vec::new();
    }
    let whole = |rows: Range<usize>| -> CoreBox {
        std::iter::once(rows)
            .chain(core[1..].iter().map(|&n| 0..n))
            .collect()
    };
    let block: usize = rows.len() * core[1..].iter().product::<usize>();
    let mut out = Vec::new();
    if block < points {
        // Whole small blocks, several per tile.
        let per = points / block;
        let mut l = 0;
        while l < loop_len {
            let end = (l + per).min(loop_len);
            out.push(Tile {
                loops: l..end,
                bx: whole(rows.clone()),
            });
            l = end;
        }
        return out;
    }
    let row: usize = core[1..].iter().product();
    let step = (points / row.max(1)).max(1);
    for l in 0..loop_len {
        for r in rows.clone().step_by(step) {
            out.push(Tile {
                loops: l..l + 1,
                bx: whole(r..(r + step).min(rows.end)),
            });
        }
    }
    out
}

/// Cuts rows `rows` of axis 0 and the whole of the other axes (lengths
/// `extent`) into boxes of `tile` points per axis (the last of each axis
/// shorter), at every loop point.
pub fn boxes(loop_len: usize, extent: &[usize], rows: Range<usize>, tile: &[usize]) -> Vec<Tile> {
    let cuts: Vec<Vec<Range<usize>>> = (0..extent.len())
        .map(|k| {
            let r = if k == 0 { rows.clone() } else { 0..extent[k] };
            let step = tile.get(k).copied().unwrap_or(r.len()).max(1);
            r.clone()
                .step_by(step)
                .map(|s| s..(s + step).min(r.end))
                .collect()
        })
        .collect();
    let counts: Vec<usize> = cuts.iter().map(|c| c.len()).collect();
    let mut per_loop: Vec<CoreBox> = Vec::new();
    crate::base::array::for_each_index(&counts, |ix| {
        per_loop.push(
            ix.iter()
                .enumerate()
                .map(|(k, &i)| cuts[k][i].clone())
                .collect(),
        );
    });
    (0..loop_len)
        .flat_map(|l| {
            per_loop.iter().map(move |b| Tile {
                loops: l..l + 1,
                bx: b.clone(),
            })
        })
        .collect()
}

/// Tiles of about `points` points for fused runs (tests): whole rows of
/// the innermost axes where they fit, else a block of the innermost.
pub fn small_tile(core: &[usize], points: usize) -> Vec<usize> {
    let mut tile: Vec<usize> = core.iter().map(|&c| c.max(1)).collect();
    let mut k = 0;
    while k < tile.len() && tile.iter().product::<usize>() > points.max(1) {
        let rest: usize = tile[k + 1..].iter().product();
        tile[k] = (points / rest.max(1)).max(1).min(tile[k]);
        if rest > points {
            tile[k] = 1;
        }
        k += 1;
    }
    tile
}

/// The points of an axis of length `n` whose whole footprint `lo..=hi` is
/// inside the axis. Possibly empty (then `start == end`).
pub fn interior_range(n: usize, lo: i64, hi: i64) -> Range<usize> {
    let start = (-lo).clamp(0, n as i64) as usize;
    let end = (n as i64 - hi).clamp(0, n as i64) as usize;
    start..end.max(start)
}

/// At most two border boxes per core axis, inline.
pub type Border = smallvec::SmallVec<[CoreBox; 8]>;

/// Splits `tile` into its interior box (if not empty) and disjoint border
/// boxes that together cover the rest of it. Along the innermost axis a
/// border box is at least `min_width` points wide where the tile allows
/// (taking interior points with it): the vector variant needs rows of a
/// whole step, and a border column one point wide would otherwise run as
/// scalar code down the whole tile (W8's 3x3 median: a fifth of its
/// instructions). Interior points in a border box get the same bits from
/// its padded copy, which holds their values.
pub fn split(
    tile: &CoreBox,
    core: &[usize],
    fp: &Footprint,
    min_width: usize,
) -> (Option<CoreBox>, Border) {
    let mut rest = tile.clone();
    let mut border = Border::new();
    let last = core.len() - 1;
    for k in 0..core.len() {
        let mut inner = interior_range(core[k], fp.lo[k], fp.hi[k]);
        let r = rest[k].clone();
        if k == last && min_width > 1 {
            let below = inner.start > r.start;
            if below {
                inner.start = inner.start.max(r.start + min_width).min(r.end);
            }
            if inner.end < r.end {
                inner.end = inner.end.min(r.end.saturating_sub(min_width));
            }
            if inner.end <= inner.start {
                // No room for an interior between step-wide borders: one
                // border box across the tile.
                inner = match below {
                    true => r.end..r.end,
                    false => r.start..r.start,
                };
            }
        }
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
    if padded(&size) <= limit {
        // Most border boxes: one piece.
        return vec![bx.clone()];
    }
    while padded(&size) > limit {
        let Some(k) = (0..size.len())
            .filter(|&k| size[k] > 1)
            .max_by_key(|&k| size[k])
        else {
            break;
        };
        size[k] = size[k].div_ceil(2);
    }
    let mut out: Vec<CoreBox> = vec![CoreBox::new()];
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
                let tile: CoreBox = smallvec::smallvec![rows, 0..core[1]];
                let (inner, border) = split(&tile, &core, &fp, 1);
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
    fn border_boxes_widen_to_a_step_and_still_cover_the_tile_once() {
        let fp = Footprint {
            lo: vec![-1, -1],
            hi: vec![1, 2],
        };
        for width in [1usize, 3, 5, 9, 16, 40] {
            for min_width in [1usize, 4, 16] {
                let core = [6usize, width];
                let tile: CoreBox = smallvec::smallvec![0..6, 0..width];
                let (inner, border) = split(&tile, &core, &fp, min_width);
                let mut seen = vec![0u8; 6 * width];
                for b in inner.iter().chain(&border) {
                    for i in b[0].clone() {
                        for j in b[1].clone() {
                            seen[i * width + j] += 1;
                        }
                    }
                }
                assert!(seen.iter().all(|&c| c == 1), "{width} {min_width}");
                // The interior box holds only interior points; a border box
                // along the rows is a step wide, or the whole row.
                if let Some(b) = &inner {
                    assert!(b[1].start >= 1 && b[1].end + 2 <= width);
                    assert!(b[0].start >= 1 && b[0].end < 6);
                }
                for b in border
                    .iter()
                    .filter(|b| b[0] != (0..6) || b[1] != (0..width))
                {
                    let along_rows = b[0].len() < 6 || b[1].len() < width;
                    if along_rows && b[0] != (0..1) && b[0] != (5..6) {
                        assert!(b[1].len() >= min_width.min(width), "{b:?} {min_width}");
                    }
                }
            }
        }
    }

    #[test]
    fn tiles_are_row_blocks() {
        let rows = |t: &Tile| t.bx[0].clone();
        let t = row_tiles(2, &[5, 10], 20, 0..5);
        assert_eq!(t.len(), 6);
        assert_eq!((t[0].loops.clone(), rows(&t[0])), (0..1, 0..2));
        assert_eq!((t[2].loops.clone(), rows(&t[2])), (0..1, 4..5));
        assert_eq!(t[2].bx[1], 0..10);
        // A window of rows starts the cuts.
        let t = row_tiles(1, &[9, 10], 30, 4..9);
        assert_eq!(t.iter().map(rows).collect::<Vec<_>>(), vec![4..7, 7..9]);
        // Small images are grouped, whole.
        let t = row_tiles(7, &[2, 3], 13, 0..2);
        assert_eq!(
            t.iter().map(|t| t.loops.clone()).collect::<Vec<_>>(),
            vec![0..2, 2..4, 4..6, 6..7]
        );
        assert!(t.iter().all(|t| t.bx.as_slice() == [0..2, 0..3]));
        assert!(row_tiles(3, &[0, 4], 20, 0..0).is_empty());
    }

    #[test]
    fn boxes_cover_the_rows_at_every_loop_point() {
        let b = boxes(2, &[5, 7], 1..5, &[3, 4]);
        assert_eq!(b.len(), 8);
        assert_eq!(b[0].bx.as_slice(), [1..4, 0..4]);
        assert_eq!(b[3].bx.as_slice(), [4..5, 4..7]);
        assert_eq!(b[4].loops, 1..2);
        assert_eq!(small_tile(&[10, 100], 250), vec![2, 100]);
        assert_eq!(small_tile(&[10, 100], 50), vec![1, 50]);
    }

    #[test]
    fn border_pieces_cover_the_box_once_and_bound_the_padded_copy() {
        let fp = Footprint {
            lo: vec![-2000, -3],
            hi: vec![2000, 3],
        };
        let bx: CoreBox = smallvec::smallvec![0..2000, 0..1_000_000];
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
        pieces(&smallvec::smallvec![0..1, 0..1000], &fp).len()
    }
}
