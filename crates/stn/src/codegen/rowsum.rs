//! Row sums shared between output rows, for integer kernels whose core is
//! a separable weighted sum of a rectangle of neighbours: the 3x3 box sum
//! of W1, a 1-2-1 Gaussian, a Sobel derivative.
//!
//! `sum(a_k b_j x[r + k, c + j] for k in K, j in J)` is
//! `sum(a_k h(r + k) for k in K)` with the row sums
//! `h(s) = sum(b_j x[s, c + j] for j in J)`. The sum may be written with
//! `+`, `-`, unary `-` and products by integer constants in any order and
//! grouping (`linear` reads it as one weight per term); it is separable
//! when the weights of its rows are integer multiples of one row
//! (`separate`). The vector
//! variant keeps the row sums of the last `|K|` rows in a ring buffer on
//! its stack (`RING_COLUMNS` lanes per row): every output point computes
//! one new row sum (`|J|` loads), adds the `|K| - 1` kept ones and stores
//! the new one, where the plain code loads and adds `|K| |J|` values (W1:
//! 3 input loads, 2 ring loads, 4 adds and a store per vector instead of 9
//! loads and 8 adds). Weights of 1 cost nothing, -1 a subtraction, powers
//! of two a shift, others a multiply. A box's first row fills the ring
//! first. The loop computes several output rows per pass
//! (`vector::block_rows`), the rows between them passed in registers, and
//! where every row weighs the same, two neighbouring outputs add the rows
//! they share once (`Lowering::combine_block`). Rows are
//! still walked in order, so memory is read sequentially; an earlier
//! variant that carried the sums in registers down strips of columns did
//! fewer instructions but ran 1.5x slower on data larger than the cache.
//!
//! Integer sums may be regrouped only where every grouping gives the same
//! value: `plan` requires the range analysis to prove that each row sum
//! and each partial sum fits the lanes, so no lane wraps. Float sums are
//! never regrouped (docs/language.md §3).

use crate::base::ops::{BinaryOp, UnaryOp};
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
    /// load, or a cast of one), by column.
    pub terms: Vec<Vec<ValueId>>,
    /// Per row offset: its weight `a_k`.
    pub row_weights: Vec<i64>,
    /// Per column, in the order of each row's terms: its weight `b_j`.
    pub col_weights: Vec<i64>,
    /// Every instruction the sum is made of (its adds, terms and loads),
    /// which the variant computes its own way.
    pub parts: Vec<ValueId>,
}

/// The rectangle sum of `f`, if its innermost work is one: the only loads
/// are terms of one sum of `a_k b_j x[o + (k, j)]` over every pair of a
/// contiguous `K` (at least two rows) and a set `J`, each term used once,
/// and every partial sum lies within `lane` by `ranges`.
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
        .filter(|&i| {
            live[i] && matches!(f.insts[i].op, Op::Binary(BinaryOp::Add | BinaryOp::Sub, ..))
        })
        .find_map(|i| rooted(f, live, ranges, lane, &uses, i as ValueId))
}

/// The integer value of a constant instruction.
fn constant(f: &Func, v: ValueId) -> Option<i64> {
    match &f.insts[v as usize].op {
        Op::Const(s) if f.insts[v as usize].dtype.is_int() => s.as_i64(),
        _ => None,
    }
}

/// A weighted sum's terms with their weights, and the instructions it is
/// made of.
type Linear = (Vec<(ValueId, i64)>, Vec<ValueId>);

/// `root` as a weighted sum: its terms (loads, or integer casts of loads)
/// with their weights, and the instructions it is made of. Every value
/// inside it but the constants it multiplies by is used once.
fn linear(f: &Func, uses: &[u32], root: ValueId) -> Option<Linear> {
    let mut terms = Vec::new();
    let mut parts = Vec::new();
    let mut stack = vec![(root, 1i64)];
    while let Some((v, w)) = stack.pop() {
        if v != root && uses[v as usize] != 1 {
            return None;
        }
        parts.push(v);
        match f.insts[v as usize].op {
            Op::Binary(BinaryOp::Add, a, b) => stack.extend([(a, w), (b, w)]),
            Op::Binary(BinaryOp::Sub, a, b) => stack.extend([(a, w), (b, w.checked_neg()?)]),
            Op::Unary(UnaryOp::Neg, a) => stack.push((a, w.checked_neg()?)),
            Op::Binary(BinaryOp::Mul, a, b) => {
                let (c, x) = match (constant(f, a), constant(f, b)) {
                    (Some(c), None) => (c, b),
                    (None, Some(c)) => (c, a),
                    _ => return None,
                };
                stack.push((x, w.checked_mul(c)?));
            }
            Op::Load { .. } => terms.push((v, w)),
            Op::Cast(a) if matches!(f.insts[a as usize].op, Op::Load { .. }) => {
                if uses[a as usize] != 1 || !f.insts[a as usize].dtype.is_integral() {
                    return None;
                }
                parts.push(a);
                terms.push((v, w));
            }
            _ => return None,
        }
    }
    Some((terms, parts))
}

/// The weights `w[k][j]` as `a_k b_j`, with `b` in lowest terms and most
/// of `a` positive (fewer negations): `None` unless every row is an integer
/// multiple of one row and no weight is zero.
fn separate(w: &[Vec<i64>]) -> Option<(Vec<i64>, Vec<i64>)> {
    let first = w.first()?;
    if w.iter().flatten().any(|&x| x == 0) {
        return None;
    }
    let g = first.iter().fold(0i64, |g, &x| gcd(g, x.abs()));
    let sign = first[0].signum();
    let b: Vec<i64> = first.iter().map(|&x| x / g * sign).collect();
    let a = w
        .iter()
        .map(|row| {
            let a = row[0] / b[0];
            let exact = row
                .iter()
                .zip(&b)
                .all(|(&x, &bj)| a.checked_mul(bj) == Some(x));
            exact.then_some(a)
        })
        .collect::<Option<Vec<i64>>>()?;
    if a.iter().filter(|&&x| x < 0).count() * 2 > a.len() {
        let flip = |v: Vec<i64>| v.into_iter().map(|x| -x).collect();
        return Some((flip(a), flip(b)));
    }
    Some((a, b))
}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

fn rooted(
    f: &Func,
    live: &[bool],
    ranges: &[Option<Range>],
    lane: Range,
    uses: &[u32],
    root: ValueId,
) -> Option<RowSum> {
    let (terms, parts) = linear(f, uses, root)?;
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
    let (input, first) = match &f.insts[load_of(terms[0].0) as usize].op {
        Op::Load { input, offset } => (*input, offset.clone()),
        _ => return None,
    };
    let (ra, rb) = (f.ndim - 2, f.ndim - 1);
    let mut cells = Vec::new();
    for &(t, w) in &terms {
        let Op::Load { input: i, offset } = &f.insts[load_of(t) as usize].op else {
            return None;
        };
        let same_rest = (0..ra).all(|k| offset[k] == first[k]);
        if *i != input || !same_rest {
            return None;
        }
        cells.push((offset[ra], offset[rb], t, w));
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
    for &(k, j, t, w) in &cells {
        by_row[(k - k_min) as usize].push((j, t, w));
    }
    for row in &mut by_row {
        row.sort_unstable();
        let js: Vec<i64> = row.iter().map(|x| x.0).collect();
        if js != cols {
            return None;
        }
    }
    let weights: Vec<Vec<i64>> = by_row
        .iter()
        .map(|row| row.iter().map(|x| x.2).collect())
        .collect();
    let (row_weights, col_weights) = separate(&weights)?;
    // Every grouping stays in the lanes. Each partial sum and weighted
    // row sum is a sum of a subset of the weighted terms, so it lies
    // between the sum of their negative bounds and that of their positive
    // ones; a row sum is a weighted row sum divided by `a_k`, so its
    // magnitude is at most the larger of the two.
    let (mut lo, mut hi) = (0i128, 0i128);
    for &(t, w) in &terms {
        let r = ranges[t as usize]?;
        let (a, b) = (r.lo * i128::from(w), r.hi * i128::from(w));
        lo += a.min(b).min(0);
        hi += a.max(b).max(0);
    }
    let most = lo.abs().max(hi);
    if !(Range::new(-most, most).within(lane)) {
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
        row_weights,
        col_weights,
        parts,
    })
}

/// How many live instructions (and the results) use each value, rank
/// terms included.
pub(super) fn use_counts(f: &Func, live: &[bool]) -> Vec<u32> {
    let mut uses = vec![0u32; f.insts.len()];
    for (i, inst) in f.insts.iter().enumerate() {
        if !live[i] {
            continue;
        }
        let operands: Vec<ValueId> = match &inst.op {
            Op::Cast(a) | Op::Unary(_, a) => vec![*a],
            Op::Binary(_, a, b) => vec![*a, *b],
            Op::Select(c, a, b) => vec![*c, *a, *b],
            Op::Rank { terms, .. } => terms.clone(),
            _ => vec![],
        };
        for v in operands {
            uses[v as usize] += 1;
        }
    }
    for &r in &f.results {
        uses[r as usize] += 1;
    }
    uses
}

#[cfg(test)]
mod tests {
    use super::separate;

    #[test]
    fn separable_weights_factor_into_rows_and_columns() {
        let gauss = [vec![1, 2, 1], vec![2, 4, 2], vec![1, 2, 1]];
        assert_eq!(separate(&gauss), Some((vec![1, 2, 1], vec![1, 2, 1])));
        // Sobel's x derivative: rows 1, 2, 1 of the columns -1, 1.
        let sobel = [vec![-1, 1], vec![-2, 2], vec![-1, 1]];
        assert_eq!(separate(&sobel), Some((vec![1, 2, 1], vec![-1, 1])));
        // Mostly negative rows are flipped onto the columns.
        let down = [vec![-1, -1], vec![-1, -1], vec![1, 1]];
        assert_eq!(separate(&down), Some((vec![1, 1, -1], vec![-1, -1])));
        let scaled = [vec![2, 4], vec![3, 6]];
        assert_eq!(separate(&scaled), Some((vec![2, 3], vec![1, 2])));
    }

    #[test]
    fn other_weights_do_not_factor() {
        assert_eq!(separate(&[vec![1, 1], vec![1, 2]]), None);
        assert_eq!(separate(&[vec![2, 4], vec![1, 3]]), None);
        assert_eq!(separate(&[vec![1, 0], vec![1, 0]]), None);
        // 2 and 3 are not integer multiples of one row with integer weights
        // unless the row is (2, 3) itself: that one does.
        assert_eq!(
            separate(&[vec![2, 3], vec![4, 6]]),
            Some((vec![1, 2], vec![2, 3]))
        );
    }
}
