//! Sorted rows shared between output rows, for the median of a 3x3
//! window of integers (W8's `median(i in -1..=1, j in -1..=1) { x[i, j] }`).
//!
//! The median of nine (`rank::MEDIAN_OF_9`) first sorts the three terms of
//! each window row, then merges the three sorted rows. The row below an
//! output point is the middle row of the next output row's window and the
//! top row of the one after, so its sorted triple serves three output
//! rows. The vector variant keeps the sorted triples (least, middle,
//! greatest: three planes) of the last two rows in a ring buffer on its
//! stack, as `rowsum` keeps row sums: every output point loads and sorts
//! one new row (3 loads, 6 min/max), stores it and merges it with the two
//! kept ones (12 min/max), where the plain network loads nine terms and
//! takes 30 min/max. The loop computes several output rows per pass
//! (`vector::block_rows`), and two neighbouring outputs take the min and
//! max of the two rows they share once (`rank::vmerge_pair`): 20 min/max
//! for the pair's merges where there were 24. Min and max of integers are
//! associative, so every lane is what the plain network gives.
//!
//! Float medians keep the plain network: their NaN and -0.0 checks are
//! per term.

use crate::ir::{Func, Op, ValueId};

/// The window's terms per row, the rows in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct RowSort {
    /// The rank instruction.
    pub root: ValueId,
    /// Per window row (`k_min..=k_min + 2` along axis `ndim - 2`): its
    /// three terms (loads, or integer casts of loads), in the rank's order.
    pub terms: Vec<Vec<ValueId>>,
    /// Every instruction the median is made of (the rank, its terms and
    /// their loads), which the variant computes its own way.
    pub parts: Vec<ValueId>,
}

/// The row-sorted median of `f`: a live `rank 4` of nine terms, each a
/// load (or an integer cast of one) of the same input used by the rank
/// alone, the terms three by three on three consecutive rows, each row's
/// columns the same ones in the same order.
pub(super) fn plan(f: &Func, live: &[bool]) -> Option<RowSort> {
    if f.ndim < 2 || f.results.len() != 1 {
        return None;
    }
    let uses = super::rowsum::use_counts(f, live);
    let (root, terms) = (0..f.insts.len()).find_map(|i| match &f.insts[i].op {
        Op::Rank { k: 4, terms } if live[i] && terms.len() == 9 => Some((i as ValueId, terms)),
        _ => None,
    })?;
    let mut parts = vec![root];
    let mut cells = Vec::new();
    for &t in terms {
        if uses[t as usize] != 1 {
            return None;
        }
        parts.push(t);
        let load = match f.insts[t as usize].op {
            Op::Cast(a) if f.insts[a as usize].dtype.is_integral() => {
                if uses[a as usize] != 1 {
                    return None;
                }
                parts.push(a);
                a
            }
            _ => t,
        };
        let Op::Load { input, offset } = &f.insts[load as usize].op else {
            return None;
        };
        cells.push((*input, offset.clone()));
    }
    let (ra, rb) = (f.ndim - 2, f.ndim - 1);
    let (input, first) = &cells[0];
    for (a, row) in cells.chunks(3).enumerate() {
        for (p, (i, offset)) in row.iter().enumerate() {
            let same_rest = (0..ra).all(|k| offset[k] == first[k]);
            let on_row = offset[ra] == first[ra] + a as i64;
            let same_column = offset[rb] == cells[p].1[rb];
            if i != input || !same_rest || !on_row || !same_column {
                return None;
            }
        }
    }
    Some(RowSort {
        root,
        terms: terms.chunks(3).map(<[ValueId]>::to_vec).collect(),
        parts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::dtype::DType;
    use crate::ir::{Footprint, Inst};

    /// `median` of u8 loads at `offsets` (row, column), each cast to i64
    /// as lowering makes it, the result cast back to u8.
    fn median_of(offsets: &[(i64, i64)]) -> Func {
        let mut insts = Vec::new();
        let mut terms = Vec::new();
        for &(r, c) in offsets {
            let load = Op::Load {
                input: 0,
                offset: vec![r, c],
            };
            insts.push(Inst {
                op: load,
                dtype: DType::U8,
            });
            let cast = Op::Cast(insts.len() as ValueId - 1);
            insts.push(Inst {
                op: cast,
                dtype: DType::I64,
            });
            terms.push(insts.len() as ValueId - 1);
        }
        let rank = Op::Rank { k: 4, terms };
        insts.push(Inst {
            op: rank,
            dtype: DType::I64,
        });
        let out = Op::Cast(insts.len() as ValueId - 1);
        insts.push(Inst {
            op: out,
            dtype: DType::U8,
        });
        Func {
            name: "m".into(),
            ndim: 2,
            inputs: vec![DType::U8],
            params: vec![],
            out_dtypes: vec![DType::U8],
            results: vec![insts.len() as ValueId - 1],
            insts,
            footprint: Footprint::zero(2),
        }
    }

    fn window(rows: [i64; 3], cols: [i64; 3]) -> Vec<(i64, i64)> {
        rows.iter()
            .flat_map(|&r| cols.iter().map(move |&c| (r, c)))
            .collect()
    }

    #[test]
    fn a_3x3_median_sorts_each_row_once() {
        let f = median_of(&window([-1, 0, 1], [-1, 0, 1]));
        let plan = plan(&f, &vec![true; f.insts.len()]).expect("W8's median");
        assert_eq!(plan.root, 18);
        assert_eq!(
            plan.terms,
            vec![vec![1, 3, 5], vec![7, 9, 11], vec![13, 15, 17]]
        );
        assert_eq!(plan.parts.len(), 19);
        // Any three consecutive rows, any three columns in any order.
        let f = median_of(&window([2, 3, 4], [5, -2, 0]));
        assert!(plan_of(&f).is_some());
    }

    fn plan_of(f: &Func) -> Option<RowSort> {
        plan(f, &vec![true; f.insts.len()])
    }

    #[test]
    fn other_windows_keep_the_plain_network() {
        // Rows out of order, a gap between rows, columns that differ by row.
        assert!(plan_of(&median_of(&window([1, 0, -1], [-1, 0, 1]))).is_none());
        assert!(plan_of(&median_of(&window([-1, 0, 2], [-1, 0, 1]))).is_none());
        let mut cells = window([-1, 0, 1], [-1, 0, 1]);
        cells.swap(3, 4);
        assert!(plan_of(&median_of(&cells)).is_none());
        // Not nine terms.
        assert!(plan_of(&median_of(&cells[..8])).is_none());
    }
}
