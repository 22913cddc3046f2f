//! Sliding-window strips: the fused schedule in which, within a strip of
//! output rows, no value of any stage is computed twice.
//!
//! A strip is a box of output rows `r0..r1` (and a tile of the other
//! axes) far enough from the array's ends along axis 0 that no stage reads
//! a row its boundary mode folds (`exec::execute` leaves the rows near the
//! ends to tiles). Each stage is needed on one run of rows; the schedule
//! walks down the strip `chunk` output rows at a time, and at each step
//! computes every stage `lead` rows ahead of the output (its readers' reach
//! below it, summed along the chain), only the rows it has not computed
//! yet. A stage's values live in a sliding grid (`Grid::sliding`) that
//! drops the rows no reader will read again: a handful of rows per stage,
//! in L1/L2, where a tile keeps whole tiles of every stage in L3.
//!
//! Every point is computed by the box engine from the same operand values
//! as under tiles, so strips, tiles and the stepwise schedule give the
//! same bits.

use std::ops::Range;

use smallvec::SmallVec;

use crate::base::graph::Arg;
use crate::exec::Stage;
use crate::exec::engine::{Dst, Src};
use crate::exec::grid::{Grid, PerAxis, Runs, for_each_run_box};
use crate::exec::tile::CoreBox;

/// The walk down one strip: per stage, the rows it is needed at, how far
/// ahead of the output rows it runs, and who reads it how far back.
pub struct Walk {
    /// Per stage, the rows it is needed at (`None`: not needed).
    pub span: Vec<Option<Range<usize>>>,
    /// Per stage, how many rows ahead of the output rows it is computed:
    /// the most its readers read below their own rows, plus their lead.
    pub lead: Vec<i64>,
    /// Per stage, its needed readers and the lowest row offset they read
    /// it at.
    pub readers: Vec<Vec<(usize, i64)>>,
    /// Per stage, the farthest row offset (either way) its needed readers
    /// read it at.
    pub reach: Vec<usize>,
    /// Output rows per step.
    pub chunk: usize,
}

impl Walk {
    /// The walk for `stages` needed at `span` rows (the last one at the
    /// strip's rows), `chunk` output rows per step.
    pub fn new(stages: &[Stage], span: Vec<Option<Range<usize>>>, chunk: usize) -> Walk {
        let n = stages.len();
        let (lead, readers) = leads(stages, |j| span[j].is_some());
        debug_assert_eq!(span.len(), n);
        let mut reach = vec![0usize; n];
        for r in (0..n).filter(|&r| span[r].is_some()) {
            for (a, read) in stages[r].args.iter().zip(&stages[r].reads) {
                if let (Arg::Node(j, _), Some(f)) = (a, read) {
                    let far = f.lo[0].unsigned_abs().max(f.hi[0].unsigned_abs());
                    reach[*j] = reach[*j].max(far as usize);
                }
            }
        }
        Walk {
            span,
            lead,
            readers,
            reach,
            chunk: chunk.max(1),
        }
    }

    /// Calls `f(j, keep, rows)` for every stage `j` and step, in the order
    /// they must run: stage `j` computes `rows` (possibly empty), after
    /// dropping its rows before `keep`.
    pub fn steps(&self, mut f: impl FnMut(usize, usize, Range<usize>)) {
        let n = self.span.len();
        let Some(last) = self.span[n - 1].clone() else {
            return;
        };
        let c = self.chunk as i64;
        let mut end: Vec<usize> = (self.span.iter())
            .map(|s| s.as_ref().map_or(0, |s| s.start))
            .collect();
        let mut keep = end.clone();
        let mut t = (0..n)
            .filter_map(|j| Some(self.span[j].as_ref()?.start as i64 - self.lead[j]))
            .min()
            .unwrap_or(0);
        while end[n - 1] < last.end {
            // What each stage's readers still read, before they move on.
            for j in 0..n {
                let Some(s) = &self.span[j] else { continue };
                let low = (self.readers[j].iter())
                    .map(|&(r, lo)| end[r] as i64 + lo)
                    .min()
                    .unwrap_or(end[j] as i64);
                keep[j] = keep[j].max(low.clamp(s.start as i64, end[j] as i64) as usize);
            }
            for j in 0..n {
                let Some(s) = &self.span[j] else { continue };
                let to = (t + c + self.lead[j]).clamp(end[j] as i64, s.end as i64) as usize;
                f(j, keep[j], end[j]..to);
                end[j] = to;
            }
            t += c;
        }
    }

    /// Per stage, the most rows its sliding grid holds at once.
    pub fn capacity(&self) -> Vec<usize> {
        let mut cap = vec![0; self.span.len()];
        self.steps(|j, keep, rows| cap[j] = cap[j].max(rows.end - keep));
        cap
    }
}

/// Per stage, its lead (see `Walk::lead`) and its readers with the lowest
/// row offset each reads it at, counting only stages `needed`.
pub fn leads(
    stages: &[Stage],
    needed: impl Fn(usize) -> bool,
) -> (Vec<i64>, Vec<Vec<(usize, i64)>>) {
    let n = stages.len();
    let mut lead = vec![0i64; n];
    let mut readers: Vec<Vec<(usize, i64)>> = vec![Vec::new(); n];
    for r in (0..n).rev().filter(|&r| needed(r)) {
        for (a, read) in stages[r].args.iter().zip(&stages[r].reads) {
            let (Arg::Node(j, _), Some(f)) = (a, read) else {
                continue;
            };
            lead[*j] = lead[*j].max(lead[r] + f.hi[0]);
            match readers[*j].iter_mut().find(|(x, _)| *x == r) {
                Some((_, lo)) => *lo = (*lo).min(f.lo[0]),
                None => readers[*j].push((r, f.lo[0])),
            }
        }
    }
    (lead, readers)
}

/// Rows a sliding grid's buffer has for `cap` rows kept: a few times
/// more, so that rows move to the front only now and then.
/// `STN_STRIP_ROOM` sets the factor (tuning).
fn room(cap: usize) -> usize {
    static FACTOR: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let f = *FACTOR.get_or_init(|| {
        std::env::var("STN_STRIP_ROOM")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|&f| f > 0)
            .unwrap_or(2)
    });
    cap * f
}

impl super::Job<'_> {
    /// Computes strip `bx` at loop point `loop_flat`, `chunk` output rows
    /// at a time (see the module's comment).
    pub(super) fn strip(&self, loop_flat: usize, bx: &CoreBox, chunk: usize) {
        let Some(needs) = self.needs(bx) else {
            self.outside
                .store(true, std::sync::atomic::Ordering::Relaxed);
            return;
        };
        let n = self.stages.len();
        // Along axis 0 a stage is needed on one run in a strip; the hull
        // is safe to compute (the strip's rows were chosen so). A stage
        // needed nowhere along some axis is not computed (as under tiles).
        let span: Vec<Option<Range<usize>>> = (needs.iter())
            .map(|nj| {
                let nj = nj.as_ref()?;
                if nj.iter().any(|r| r.is_empty()) {
                    return None;
                }
                Some(nj[0].first()?.start..nj[0].last()?.end)
            })
            .collect();
        let walk = Walk::new(self.stages, span, chunk);
        let cap = walk.capacity();
        let (in_bases, mut out) = self.bases(loop_flat);
        let mut grids: Vec<Vec<Grid>> = (0..n)
            .map(|j| match (&walk.span[j], &needs[j]) {
                (Some(s), Some(nj)) if j + 1 < n => {
                    // A ring (two axes or more) wraps each read once: it
                    // holds at least as many rows as any read reaches.
                    let rows = match nj.len() {
                        1 => room(cap[j]),
                        _ => cap[j].max(walk.reach[j] + 1),
                    };
                    (self.stages[j].out_dtypes.iter())
                        .map(|d| Grid::sliding(d.size(), s.start, rows, &nj[1..]))
                        .collect()
                }
                _ => Vec::new(),
            })
            .collect();
        walk.steps(|j, keep, rows| {
            if rows.is_empty() {
                return;
            }
            let (done, rest) = grids.split_at_mut(j);
            let srcs: SmallVec<[Src; 8]> = (self.stages[j].args.iter())
                .map(|a| match *a {
                    Arg::Input(i) => Src::Array {
                        base: in_bases[i],
                        strides: &self.in_strides[i],
                    },
                    Arg::Node(t, o) => done[t].get(o).map_or(Src::Absent, Src::Grid),
                })
                .collect();
            let engine = self.engine(j);
            if j + 1 == n {
                let mut b = bx.clone();
                b[0] = rows;
                engine.compute(&b, &srcs, &mut out);
                return;
            }
            let made = &mut rest[0];
            made.iter_mut().for_each(|g| g.slide(keep, rows.end));
            let nj = needs[j].as_ref().expect("a stage computed is needed");
            let runs: PerAxis<Runs> = std::iter::once(std::iter::once(rows).collect())
                .chain(nj[1..].iter().cloned())
                .collect();
            // The compiled code wraps the rows it writes into the ring
            // (`abi::TileArgs::rings`): a box of rows may cross its end.
            for_each_run_box(&runs, |r| {
                let mut dst: SmallVec<[Dst; 4]> = made.iter_mut().map(Dst::Grid).collect();
                engine.compute(r, &srcs, &mut dst);
            });
        });
        grids.into_iter().flatten().for_each(Grid::release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A walk over three stages in a chain, each reading the one before
    /// at rows -1..=1, and the output rows 10..30.
    fn chain(chunk: usize) -> Walk {
        Walk {
            span: vec![Some(8..32), Some(9..31), Some(10..30)],
            lead: vec![2, 1, 0],
            readers: vec![vec![(1, -1)], vec![(2, -1)], vec![]],
            reach: vec![1, 1, 0],
            chunk,
        }
    }

    #[test]
    fn every_row_is_computed_once_after_the_rows_it_reads() {
        for chunk in [1, 3, 7, 40] {
            let w = chain(chunk);
            // Per stage, the rows its grid holds.
            let mut held: Vec<Range<usize>> = (w.span.iter())
                .map(|s| s.as_ref().map_or(0..0, |s| s.start..s.start))
                .collect();
            w.steps(|j, keep, rows| {
                assert_eq!(rows.start, held[j].end, "rows follow on");
                assert!(keep >= held[j].start, "rows once dropped stay dropped");
                held[j] = keep.min(rows.start)..rows.end;
                if j > 0 && !rows.is_empty() {
                    // Reads rows.start - 1 ..= rows.end of stage j - 1:
                    // computed and still held.
                    let below = &held[j - 1];
                    assert!(
                        below.start < rows.start && below.end > rows.end,
                        "{below:?} {rows:?}"
                    );
                }
            });
            let done: Vec<Range<usize>> = held;
            for (d, s) in done.iter().zip(&w.span) {
                assert_eq!(d.end, s.as_ref().unwrap().end);
            }
        }
    }

    #[test]
    fn a_sliding_grid_holds_a_few_rows() {
        // Per step: the chunk plus the rows the reader reads around it.
        assert_eq!(chain(1).capacity()[..2], [3, 3]);
        assert_eq!(chain(4).capacity()[..2], [6, 6]);
    }
}
