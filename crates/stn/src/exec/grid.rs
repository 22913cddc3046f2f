//! Stage values inside a tile: which indices a stage is needed at, and the
//! dense buffer ("grid") that holds them.
//!
//! A stage read by a later one at offsets `lo..=hi` is needed at the later
//! stage's region grown by them, each position mapped through the reader's
//! boundary mode (`map_runs`): `wrap` asks for the far side, `reflect` for
//! the mirrored rows, `constant` and `fill` for nothing outside the array.
//! Per axis that is a sorted list of disjoint runs of in-array indices, and
//! a stage is stored densely over the product of its runs: runs of
//! consecutive indices are consecutive slots.

use std::cell::RefCell;
use std::ops::Range;

use smallvec::SmallVec;

use crate::base::array::for_each_index;
use crate::base::mode::{Mode, map_index};
use crate::exec::tile::CoreBox;

/// Sorted, disjoint, non-adjacent runs of indices along one axis: one
/// inside the array, one more per far side that `wrap` reads, inline (a
/// tile finds them per stage, and allocating them cost more than finding
/// them).
pub type Runs = SmallVec<[Range<usize>; 3]>;

/// One value per core axis, inline.
pub type PerAxis<T> = SmallVec<[T; 4]>;

/// A stage's values over the product of its runs.
pub struct Grid {
    pub buf: Vec<u8>,
    runs: PerAxis<Runs>,
    /// Per axis, the slot of each run's first index.
    starts: PerAxis<SmallVec<[usize; 3]>>,
    /// Byte strides over slots, C order.
    pub strides: PerAxis<i64>,
    /// A sliding grid of two axes or more: the rows of its ring, row `i`
    /// in slot `i mod ring` (0: not a ring).
    ring: usize,
}

impl Grid {
    /// An uninitialized grid of `size`-byte values over the product of
    /// `runs`, its buffer taken from this thread's pool.
    pub fn new(size: usize, runs: &[Runs]) -> Grid {
        let runs: PerAxis<Runs> = runs.iter().cloned().collect();
        let counts: PerAxis<usize> = runs
            .iter()
            .map(|r| r.iter().map(|x| x.len()).sum())
            .collect();
        let starts = runs
            .iter()
            .map(|rs| {
                let mut at = 0;
                rs.iter()
                    .map(|r| {
                        let s = at;
                        at += r.len();
                        s
                    })
                    .collect()
            })
            .collect();
        let mut strides: PerAxis<i64> = smallvec::smallvec![size as i64; counts.len()];
        for k in (0..counts.len().saturating_sub(1)).rev() {
            strides[k] = strides[k + 1] * counts[k + 1] as i64;
        }
        let bytes = counts.iter().product::<usize>() * size;
        Grid {
            buf: take_buffer(bytes),
            runs,
            starts,
            strides,
            ring: 0,
        }
    }

    /// A sliding grid (`exec::strip`): one run of rows along axis 0, empty
    /// at row `first`, that `slide` moves down the array, with room for
    /// `capacity` rows of the product of `rest` (the runs of the other
    /// axes). With other axes its rows are a ring: row `i` is kept in slot
    /// `i mod capacity`, and the compiled code wraps the rows it reads
    /// (`abi::TileArgs::rings`), so no row ever moves. A grid of one axis
    /// (whose rows are points of the vector loop) moves its rows instead.
    pub fn sliding(size: usize, first: usize, capacity: usize, rest: &[Runs]) -> Grid {
        let runs: PerAxis<Runs> = std::iter::once(std::iter::once(0..0).collect::<Runs>())
            .chain(rest.iter().cloned())
            .collect();
        let mut g = Grid::new(size, &runs);
        let bytes = capacity * g.strides[0] as usize;
        if g.buf.len() < bytes {
            g.buf.resize(bytes, 0);
        }
        g.runs[0] = std::iter::once(first..first).collect();
        if !rest.is_empty() {
            g.ring = capacity;
        }
        g
    }

    /// The rows a sliding grid holds.
    pub fn rows(&self) -> Range<usize> {
        self.runs[0][0].clone()
    }

    /// Rows `rows` cut where a ring wraps: the parts whose slots are
    /// consecutive (one part for a grid that is not a ring).
    pub fn unwrapped(&self, rows: Range<usize>) -> SmallVec<[Range<usize>; 2]> {
        let mut out = SmallVec::new();
        let mut at = rows.start;
        while at < rows.end {
            let end = match self.ring {
                0 => rows.end,
                r => rows.end.min(at + r - at % r),
            };
            out.push(at..end);
            at = end;
        }
        out
    }

    /// The ring as compiled code takes it (`abi::TileArgs::rings`) for a
    /// pointer `at` to row `row` (`address`): the address of slot 0 at
    /// `at`'s place in the other axes (which may lie outside the row's
    /// slots: a reader's position need not be held), and the ring's byte
    /// length, so that the ring's bounds fall on whole rows of `at`; zeros
    /// for a grid that is not a ring.
    pub fn ring_bounds(&self, at: *const u8, row: i64) -> [u64; 2] {
        match self.ring {
            0 => [0, 0],
            r => {
                let slot = row.rem_euclid(r as i64);
                let first = at.wrapping_offset(-(slot * self.strides[0]) as isize);
                [first as u64, (r as i64 * self.strides[0]) as u64]
            }
        }
    }

    /// Makes room in a sliding grid for rows up to `end`, where rows before
    /// `keep` may be dropped. A ring drops them and reuses their slots.
    /// Otherwise rows stay where they are while the buffer has room past
    /// them; when it has not, the rows kept move to its front (so the grid
    /// stays dense, its strides the same): a buffer of several times the
    /// rows kept moves few rows per row computed.
    pub fn slide(&mut self, keep: usize, end: usize) {
        let r = self.rows();
        let keep = keep.clamp(r.start, r.end);
        let row = self.strides[0] as usize;
        let room = match self.ring {
            0 => self.buf.len() / row.max(1),
            ring => ring,
        };
        assert!(
            end >= r.end && (row == 0 || end - keep <= room),
            "a sliding grid holds the rows its readers keep"
        );
        if self.ring > 0 {
            self.runs[0][0] = keep..end;
            return;
        }
        if end - r.start <= room {
            self.runs[0][0] = r.start..end;
            return;
        }
        self.buf
            .copy_within((keep - r.start) * row..(r.end - r.start) * row, 0);
        self.runs[0][0] = keep..end;
    }

    /// The slot of index `i` along axis `k`, if the grid holds it.
    pub fn slot(&self, k: usize, i: usize) -> Option<usize> {
        let runs = &self.runs[k];
        if k == 0 && self.ring > 0 {
            return runs[0].contains(&i).then_some(i % self.ring);
        }
        let r = runs.partition_point(|r| r.end <= i);
        (r < runs.len() && runs[r].contains(&i)).then(|| self.starts[k][r] + (i - runs[r].start))
    }

    /// The address that position `p` would have if the run holding
    /// position `anchor` (per axis) went on linearly: for pointers the
    /// compiled code offsets from. Along a ring's axis 0 it is the slot of
    /// row `p[0]` (held or not: the compiled code wraps what it reads).
    pub fn address(&self, anchor: &[usize], p: &[i64]) -> *const u8 {
        let mut off = 0i64;
        for k in 0..anchor.len() {
            if k == 0 && self.ring > 0 {
                off += p[0].rem_euclid(self.ring as i64) * self.strides[0];
                continue;
            }
            let slot = self.slot(k, anchor[k]).expect("the anchor is in the grid") as i64;
            off += (slot + p[k] - anchor[k] as i64) * self.strides[k];
        }
        self.buf.as_ptr().wrapping_offset(off as isize)
    }

    /// Gives the buffer back to this thread's pool.
    pub fn release(self) {
        POOL.with(|p| p.borrow_mut().push(self.buf));
    }
}

thread_local! {
    /// Buffers for grids, reused across tiles (only grown).
    static POOL: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

fn take_buffer(bytes: usize) -> Vec<u8> {
    let mut b = POOL.with(|p| p.borrow_mut().pop()).unwrap_or_default();
    if b.len() < bytes {
        b.resize(bytes, 0);
    }
    b
}

/// The in-array indices that positions `r + lo ..= r + hi` for every run
/// `r` read along an axis of length `n` under `mode`.
pub fn map_runs(runs: &Runs, lo: i64, hi: i64, n: usize, mode: Mode) -> Runs {
    let mut out = Runs::new();
    for r in runs {
        let a = r.start as i64 + lo;
        let b = r.end as i64 + hi;
        let (ia, ib) = (a.clamp(0, n as i64) as usize, b.clamp(0, n as i64) as usize);
        if ia < ib {
            out.push(ia..ib);
        }
        if matches!(mode, Mode::Fill | Mode::Constant) {
            continue;
        }
        for p in (a..b.min(0)).chain((a.max(n as i64))..b) {
            if let Some(i) = map_index(p, n, mode) {
                out.push(i..i + 1);
            }
        }
    }
    merge(out)
}

/// Sorts runs and joins those that overlap or touch.
pub fn merge(mut runs: Runs) -> Runs {
    runs.retain(|r| r.start < r.end);
    runs.sort_by_key(|r| r.start);
    let mut out = Runs::new();
    for r in runs {
        match out.last_mut() {
            Some(l) if r.start <= l.end => l.end = l.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// Calls `f` with every box of the product of per-axis runs.
pub fn for_each_run_box(runs: &[Runs], mut f: impl FnMut(&CoreBox)) {
    let counts: PerAxis<usize> = runs.iter().map(|r| r.len()).collect();
    for_each_index(&counts, |ix| {
        let b: CoreBox = ix
            .iter()
            .enumerate()
            .map(|(k, &i)| runs[k][i].clone())
            .collect();
        f(&b);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use smallvec::smallvec;

    #[test]
    fn runs_follow_the_modes() {
        let r: Runs = std::iter::once(0..3).collect();
        assert_eq!(map_runs(&r, -1, 1, 10, Mode::Fill).to_vec(), vec![0..4]);
        assert_eq!(
            map_runs(&r, -2, 1, 10, Mode::Wrap).to_vec(),
            vec![0..4, 8..10]
        );
        assert_eq!(map_runs(&r, -2, 0, 10, Mode::Reflect).to_vec(), vec![0..3]);
        assert_eq!(map_runs(&r, -2, 0, 10, Mode::Mirror).to_vec(), vec![0..3]);
        let one = |r: Range<usize>| -> Runs { std::iter::once(r).collect() };
        assert_eq!(map_runs(&one(9..10), 0, 3, 10, Mode::Nearest), one(9..10));
        // An axis shorter than the reach: everything, once.
        assert_eq!(map_runs(&one(0..2), -5, 5, 2, Mode::Reflect), one(0..2));
        assert_eq!(
            merge(smallvec![4..6, 0..2, 2..3, 5..9]).to_vec(),
            vec![0..3, 4..9]
        );
    }

    #[test]
    fn a_sliding_grid_of_one_axis_moves_its_rows_only_when_out_of_room() {
        // One byte per point, room for 4 points.
        let mut g = Grid::sliding(1, 10, 4, &[]);
        g.buf.truncate(4);
        g.slide(10, 13);
        g.buf[..3].copy_from_slice(&[10, 11, 12]);
        // Room for point 13 without moving: point 10 stays, unread.
        g.slide(12, 14);
        assert_eq!(g.rows(), 10..14);
        assert_eq!(g.slot(0, 12), Some(2));
        // Point 15 does not fit: points 12 and 13 move to the front.
        g.buf[3] = 13;
        g.slide(12, 16);
        assert_eq!(g.rows(), 12..16);
        assert_eq!(&g.buf[..2], &[12, 13]);
        assert_eq!(g.slot(0, 13), Some(1));
        g.release();
    }

    #[test]
    fn a_sliding_grid_of_rows_reuses_the_slots_of_rows_dropped() {
        // Rows of 2 one-byte points, a ring of 3 rows.
        let mut g = Grid::sliding(1, 10, 3, &[smallvec![0..2]]);
        g.slide(10, 13);
        assert_eq!((g.slot(0, 10), g.slot(0, 12)), (Some(1), Some(0)));
        // Rows 13 and 14 take the slots of rows 10 and 11: nothing moves.
        g.slide(12, 15);
        assert_eq!(g.rows(), 12..15);
        assert_eq!(
            (g.slot(0, 13), g.slot(0, 14), g.slot(0, 11)),
            (Some(1), Some(2), None)
        );
        // Rows 13..17 cross the ring's end after row 14 (slot 2).
        assert_eq!(g.unwrapped(13..17).to_vec(), vec![13..15, 15..17]);
        // The ring for a pointer to row 13, column 1: slot 0 at column 1.
        let at = g.address(&[13, 1], &[13, 1]);
        let base = g.buf.as_ptr() as u64;
        assert_eq!(at as u64, base + 2 + 1);
        assert_eq!(g.ring_bounds(at, 13), [base + 1, 6]);
        g.release();
    }

    #[test]
    fn slots_number_the_runs_densely() {
        let g = Grid::new(2, &[smallvec![0..2, 5..7], smallvec![3..4]]);
        assert_eq!(g.slot(0, 5), Some(2));
        assert_eq!(g.slot(0, 3), None);
        assert_eq!(g.strides.to_vec(), vec![2, 2]);
        g.release();
    }
}
