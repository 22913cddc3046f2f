//! Dead code out: the instructions no output depends on are dropped, so
//! that a `let` the kernel never uses costs nothing and, above all, does
//! not widen the footprint. A dead `let unused = x[5, 5];` once made the
//! border of every output 5 points wider under `fill` (cval where the
//! kernel's value needs no such read), with no word.

use crate::ir::{Footprint, Inst, Op, ValueId};

/// The operands of `op`.
fn operands(op: &Op) -> Vec<ValueId> {
    match op {
        Op::Const(_) | Op::Load { .. } | Op::Param(_) | Op::Index(_) | Op::Shape(_) => Vec::new(),
        Op::Cast(a) | Op::Unary(_, a) => vec![*a],
        Op::Binary(_, a, b) => vec![*a, *b],
        Op::Rank { terms, .. } => terms.clone(),
        Op::Select(c, a, b) => vec![*c, *a, *b],
    }
}

/// `op` with every operand renamed by `new`.
fn renamed(op: Op, new: &[ValueId]) -> Op {
    let n = |v: ValueId| new[v as usize];
    match op {
        Op::Cast(a) => Op::Cast(n(a)),
        Op::Unary(u, a) => Op::Unary(u, n(a)),
        Op::Binary(b, x, y) => Op::Binary(b, n(x), n(y)),
        Op::Rank { k, terms } => Op::Rank {
            k,
            terms: terms.into_iter().map(n).collect(),
        },
        Op::Select(c, a, b) => Op::Select(n(c), n(a), n(b)),
        other => other,
    }
}

/// The instructions `results` depend on, in their order, and `results`
/// renamed to match.
pub fn live(insts: Vec<Inst>, results: &[ValueId]) -> (Vec<Inst>, Vec<ValueId>) {
    let mut used = vec![false; insts.len()];
    for &r in results {
        used[r as usize] = true;
    }
    // Operands come before their users: one pass backwards.
    for i in (0..insts.len()).rev() {
        if used[i] {
            for v in operands(&insts[i].op) {
                used[v as usize] = true;
            }
        }
    }
    let mut new = vec![0 as ValueId; insts.len()];
    let mut out = Vec::with_capacity(insts.len());
    for (i, inst) in insts.into_iter().enumerate() {
        if used[i] {
            new[i] = out.len() as ValueId;
            out.push(Inst {
                op: renamed(inst.op, &new),
                dtype: inst.dtype,
            });
        }
    }
    (out, results.iter().map(|&r| new[r as usize]).collect())
}

/// The footprint of the loads among `insts` (`None` without a load).
pub fn footprint(insts: &[Inst]) -> Option<Footprint> {
    let mut fp: Option<Footprint> = None;
    for inst in insts {
        if let Op::Load { offset, .. } = &inst.op {
            Footprint::include(&mut fp, offset);
        }
    }
    fp
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::dtype::DType;
    use crate::base::ops::BinaryOp;

    #[test]
    fn dead_loads_go_and_do_not_count_in_the_footprint() {
        let load = |o: i64| Inst {
            op: Op::Load {
                input: 0,
                offset: vec![o, o],
            },
            dtype: DType::F32,
        };
        let insts = vec![
            load(5),
            load(0),
            load(1),
            Inst {
                op: Op::Binary(BinaryOp::Add, 1, 2),
                dtype: DType::F32,
            },
        ];
        let (live, results) = live(insts, &[3]);
        assert_eq!(live.len(), 3);
        assert_eq!(results, vec![2]);
        assert_eq!(live[2].op, Op::Binary(BinaryOp::Add, 0, 1));
        let fp = footprint(&live).unwrap();
        assert_eq!((fp.lo, fp.hi), (vec![0, 0], vec![1, 1]));
    }
}
