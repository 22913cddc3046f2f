//! Row sums shared between output rows, for integer kernels whose core is
//! the sum of a rectangle of neighbours (the 3x3 box sum of W1).
//!
//! `sum(x[r + k, c + j] for k in K, j in J)` is `sum(h(r + k) for k in K)`
//! with the row sums `h(s) = sum(x[s, c + j] for j in J)`. The vector
//! variant keeps the row sums of the last `|K|` rows in a ring buffer on
//! its stack (`RING_COLUMNS` lanes per row): every output point computes
//! one new row sum (`|J|` loads), adds the `|K| - 1` kept ones and stores
//! the new one, where the plain code loads and adds `|K| |J|` values (W1:
//! 3 input loads, 2 ring loads, 4 adds and a store per vector instead of 9
//! loads and 8 adds). A box's first row fills the ring first. Rows are
//! still walked in order, so memory is read sequentially; an earlier
//! variant that carried the sums in registers down strips of columns did
//! fewer instructions but ran 1.5x slower on data larger than the cache.
//!
//! Integer sums may be regrouped only where every grouping gives the same
//! value: `plan` requires the range analysis to prove that each row sum
//! and each partial sum fits the lanes, so no lane wraps. Float sums are
//! never regrouped (SPEC §3).

use crate::base::ops::BinaryOp;
use crate::ir::range::Range;
use crate::ir::{Func, Op, ValueId};

/// The most footprint rows a ring buffer keeps (each row takes
/// `super::RING_COLUMNS` lanes of the variant's stack frame).
const MAX_ROWS: usize = 8;

/// A rectangle sum inside a kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct RowSum {
    /// The instruction whose value is the whole sum.
    pub root: ValueId,
    /// Row offsets `k_min..=k_max` along axis `ndim - 2` (contiguous).
    pub k_min: i64,
    pub k_max: i64,
    /// Per row offset (`k - k_min`): the sum's terms in that row (each a
    /// load, or a cast of one).
    pub terms: Vec<Vec<ValueId>>,
    /// Every instruction the sum is made of (its adds, terms and loads),
    /// which the variant computes its own way.
    pub parts: Vec<ValueId>,
}

/// The rectangle sum of `f`, if its innermost work is one: the only loads
/// are terms of one sum of `x[o + (k, j)]` over every pair of a contiguous
/// `K` (at least two rows) and a set `J`, each term used once, and every
/// partial sum lies within `lane` by `ranges`.
pub(super) fn plan(
    f: &Func,
    live: &[bool],
    ranges: &[Option<Range>],
    lane: Range,
) -> Option<RowSum> {
    if f.ndim < 2 {
        return None;
    }
    let uses = use_counts(f, live);
    // The last add that roots such a sum (later adds may add constants).
    (0..f.insts.len())
        .rev()
        .filter(|&i| live[i] && matches!(f.insts[i].op, Op::Binary(BinaryOp::Add, ..)))
        .find_map(|i| rooted(f, live, ranges, lane, &uses, i as ValueId))
}

fn rooted(
    f: &Func,
    live: &[bool],
    ranges: &[Option<Range>],
    lane: Range,
    uses: &[u32],
    root: ValueId,
) -> Option<RowSum> {
    let mut terms = Vec::new();
    let mut parts = Vec::new();
    let mut stack = vec![root];
    while let Some(v) = stack.pop() {
        parts.push(v);
        match f.insts[v as usize].op {
            Op::Binary(BinaryOp::Add, a, b) => {
                for x in [a, b] {
                    if uses[x as usize] != 1 {
                        return None;
                    }
                    stack.push(x);
                }
            }
            Op::Load { .. } => terms.push(v),
            Op::Cast(a) if matches!(f.insts[a as usize].op, Op::Load { .. }) => {
                if uses[a as usize] != 1 || !f.insts[a as usize].dtype.is_integral() {
                    return None;
                }
                parts.push(a);
                terms.push(v);
            }
            _ => return None,
        }
    }
    // No load outside the sum.
    let loads_in_sum = terms.len();
    let loads = (0..f.insts.len())
        .filter(|&i| live[i] && matches!(f.insts[i].op, Op::Load { .. }))
        .count();
    if loads != loads_in_sum {
        return None;
    }
    let load_of = |t: ValueId| match f.insts[t as usize].op {
        Op::Cast(a) => a,
        _ => t,
    };
    let (input, first) = match &f.insts[load_of(terms[0]) as usize].op {
        Op::Load { input, offset } => (*input, offset.clone()),
        _ => return None,
    };
    let (ra, rb) = (f.ndim - 2, f.ndim - 1);
    let mut cells = Vec::new();
    for &t in &terms {
        let Op::Load { input: i, offset } = &f.insts[load_of(t) as usize].op else {
            return None;
        };
        let same_rest = (0..ra).all(|k| offset[k] == first[k]);
        if *i != input || !same_rest {
            return None;
        }
        cells.push((offset[ra], offset[rb], t));
    }
    let k_min = cells.iter().map(|c| c.0).min()?;
    let k_max = cells.iter().map(|c| c.0).max()?;
    let rows = (k_max - k_min + 1) as usize;
    if !(2..=MAX_ROWS).contains(&rows) {
        return None;
    }
    let mut cols: Vec<i64> = cells.iter().map(|c| c.1).collect();
    cols.sort_unstable();
    cols.dedup();
    if cells.len() != rows * cols.len() {
        return None;
    }
    let mut by_row = vec![Vec::new(); rows];
    for &(k, j, t) in &cells {
        by_row[(k - k_min) as usize].push((j, t));
    }
    for row in &mut by_row {
        row.sort_unstable();
        let js: Vec<i64> = row.iter().map(|x| x.0).collect();
        if js != cols {
            return None;
        }
    }
    // Every grouping stays in the lanes: the sum of any subset of terms
    // lies between the sum of the negative bounds and that of the positive.
    let (mut lo, mut hi) = (0i128, 0i128);
    for &t in &terms {
        let r = ranges[t as usize]?;
        lo += r.lo.min(0);
        hi += r.hi.max(0);
    }
    if !(Range::new(lo, hi).within(lane)) {
        return None;
    }
    Some(RowSum {
        root,
        k_min,
        k_max,
        terms: by_row
            .into_iter()
            .map(|row| row.into_iter().map(|x| x.1).collect())
            .collect(),
        parts,
    })
}

/// How many live instructions use each value.
fn use_counts(f: &Func, live: &[bool]) -> Vec<u32> {
    let mut uses = vec![0u32; f.insts.len()];
    for (i, inst) in f.insts.iter().enumerate() {
        if !live[i] {
            continue;
        }
        match inst.op {
            Op::Cast(a) | Op::Unary(_, a) => uses[a as usize] += 1,
            Op::Binary(_, a, b) => {
                uses[a as usize] += 1;
                uses[b as usize] += 1;
            }
            Op::Select(c, a, b) => {
                for v in [c, a, b] {
                    uses[v as usize] += 1;
                }
            }
            _ => {}
        }
    }
    uses[f.result() as usize] += 1;
    uses
}
