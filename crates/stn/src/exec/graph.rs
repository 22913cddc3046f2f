//! What a list of stages reads: how far the last stage's output point
//! reaches each stage and each input, through every chain of stages.
//!
//! A list of stages comes in an order where each stage comes after the
//! stages it reads, the last one writing the output. These analyses need
//! only where each stage's arguments come from and the offsets it reads
//! them at (`Wired`), so the program's pipelines and the executor's stages
//! share them.

use crate::base::graph::Arg;
use crate::ir::Footprint;

/// What the graph analyses need of a stage.
pub trait Wired {
    /// Where each array argument comes from.
    fn args(&self) -> &[Arg];
    /// Per argument, the offsets it is read at (`None`: never).
    fn reads(&self) -> &[Option<Footprint>];
}

/// How far the last stage's output point reaches each stage (`reach[j]`)
/// and, through them, the inputs: offsets add along a chain, and the
/// widest chain counts.
pub fn reaches<S: Wired>(
    stages: &[S],
    ndim: usize,
) -> (Vec<Option<Footprint>>, Vec<Option<Footprint>>) {
    let mut reach: Vec<Option<Footprint>> = vec![None; stages.len()];
    let mut inputs: Vec<Option<Footprint>> = Vec::new();
    if let Some(r) = reach.last_mut() {
        *r = Some(Footprint::zero(ndim));
    }
    for j in (0..stages.len()).rev() {
        let Some(rj) = reach[j].clone() else { continue };
        for (a, read) in stages[j].args().iter().zip(stages[j].reads()) {
            let Some(f) = read else { continue };
            let grown = Footprint {
                lo: rj.lo.iter().zip(&f.lo).map(|(a, b)| a + b).collect(),
                hi: rj.hi.iter().zip(&f.hi).map(|(a, b)| a + b).collect(),
            };
            let slot = match *a {
                Arg::Node(t, _) => &mut reach[t],
                Arg::Input(i) => {
                    if inputs.len() <= i {
                        inputs.resize(i + 1, None);
                    }
                    &mut inputs[i]
                }
            };
            *slot = Some(match slot.take() {
                None => grown,
                Some(old) => union(&old, &grown),
            });
        }
    }
    (reach, inputs)
}

fn union(a: &Footprint, b: &Footprint) -> Footprint {
    Footprint {
        lo: a.lo.iter().zip(&b.lo).map(|(x, y)| *x.min(y)).collect(),
        hi: a.hi.iter().zip(&b.hi).map(|(x, y)| *x.max(y)).collect(),
    }
}

/// How far the stages read their inputs around an output point, per core
/// axis: the union of the reaches into every input.
pub fn footprint<S: Wired>(stages: &[S], ndim: usize) -> Footprint {
    let (_, inputs) = reaches(stages, ndim);
    inputs
        .into_iter()
        .flatten()
        .reduce(|a, b| union(&a, &b))
        .unwrap_or_else(|| Footprint::zero(ndim))
}

/// Per core axis, how far from a tile any stage is read once boundary
/// modes fold positions back into the array: the reach with every read
/// made symmetric (`-m..=m`, `m` its largest offset either way). A position
/// `p` past an edge maps to within `|p|` of it under `nearest`, `reflect`
/// and `mirror`, so the rows a slab needs lie within this of it
/// (out-of-core runs read that many halo rows).
pub fn folded_reach<S: Wired>(stages: &[S], ndim: usize) -> Vec<usize> {
    struct Folded<'a> {
        args: &'a [Arg],
        reads: Vec<Option<Footprint>>,
    }
    impl Wired for Folded<'_> {
        fn args(&self) -> &[Arg] {
            self.args
        }
        fn reads(&self) -> &[Option<Footprint>] {
            &self.reads
        }
    }
    let folded: Vec<Folded> = stages
        .iter()
        .map(|s| Folded {
            args: s.args(),
            reads: s
                .reads()
                .iter()
                .map(|r| {
                    r.as_ref().map(|f| {
                        let m: Vec<i64> = (0..f.lo.len())
                            .map(|k| f.lo[k].abs().max(f.hi[k].abs()))
                            .collect();
                        Footprint {
                            lo: m.iter().map(|v| -v).collect(),
                            hi: m,
                        }
                    })
                })
                .collect(),
        })
        .collect();
    let fp = footprint(&folded, ndim);
    fp.hi.iter().map(|&h| h.max(0) as usize).collect()
}

/// The arguments of copy `c` of a step of `n` stages whose inputs
/// `0..fields` are the state (`--steps`, one field per output of the last
/// stage): copy 0 reads the inputs; a later copy reads output `i` of the
/// previous copy's last stage where the step read input `i < fields`, the
/// other inputs as given, and its own stages where the step read its
/// stages.
pub fn shift_args(args: &[Arg], c: usize, n: usize, fields: usize) -> Vec<Arg> {
    args.iter()
        .map(|&a| match a {
            Arg::Node(j, o) => Arg::Node(j + c * n, o),
            Arg::Input(i) if c > 0 && i < fields => Arg::Node(c * n - 1, i),
            Arg::Input(_) => a,
        })
        .collect()
}

/// The list of `steps` copies of `stages` (one step with `fields` state
/// fields), each copy's state the outputs of the one before.
pub fn repeat<S: Clone + Wired>(
    stages: &[S],
    steps: usize,
    fields: usize,
    with_args: impl Fn(&S, Vec<Arg>) -> S,
) -> Vec<S> {
    let n = stages.len();
    let mut out = Vec::with_capacity(n * steps);
    for c in 0..steps {
        for s in stages {
            out.push(with_args(s, shift_args(s.args(), c, n, fields)));
        }
    }
    out
}
