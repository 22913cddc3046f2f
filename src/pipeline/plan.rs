//! A pipeline specialized for input dtypes: every stage type-checked and
//! compiled for the dtypes it receives, the footprints that tell how far
//! each stage's values are read, and the binding of parameter values.

use std::sync::Arc;

use crate::diag::Diagnostic;
use crate::error::Result;
use crate::exec::boundary::Mode;
use crate::interp::{self, Env, Point};
use crate::ir::{Footprint, Op};
use crate::pipeline::{Arg, Graph};
use crate::program::{Kernel, Specialized};
use crate::types::dtype::DType;
use crate::types::scalar::Scalar;
use crate::types::typed::TExpr;

/// One stage, specialized.
#[derive(Clone)]
pub struct Stage {
    /// The flattened kernel (its own stages are inputs).
    pub kernel: Kernel,
    pub spec: Arc<Specialized>,
    /// One per array input of `spec`.
    pub args: Vec<Arg>,
    /// Per array input, the offsets the stage reads it at; `None` when the
    /// stage never reads it.
    pub reads: Vec<Option<Footprint>>,
    /// Scalar argument expressions over `owner`'s parameters.
    pub params: Vec<TExpr>,
    pub owner: Option<usize>,
    pub name: String,
}

impl Stage {
    pub fn out_dtype(&self) -> DType {
        self.spec.typed.out_dtype
    }

    /// The mode this stage reads its inputs under, given the run's mode:
    /// the kernel itself (the last stage, and with `--steps` the last
    /// stage of every step) reads under the run's mode, as a run of it on
    /// its own would; a stage under its own `boundary`, else the run's.
    pub fn mode(&self, run: Mode) -> Mode {
        match self.owner {
            None => run,
            Some(_) => self.spec.typed.boundary.unwrap_or(run),
        }
    }
}

/// A kernel's pipeline for one signature of input dtypes. Stages come after
/// the stages they read; the last is the kernel itself.
pub struct Pipeline {
    pub stages: Vec<Stage>,
    pub ndim: usize,
    /// How far from an output point the pipeline reads its inputs, per
    /// core axis, through every chain of stages.
    pub footprint: Footprint,
    /// Dtypes of the pipeline's array inputs.
    pub inputs: Vec<DType>,
}

impl Pipeline {
    /// Specializes `graph` (of `kernel`) for input dtypes `dtypes`.
    pub fn new(kernel: &Kernel, graph: &Graph, dtypes: &[DType]) -> Result<Pipeline> {
        let mut stages: Vec<Stage> = Vec::with_capacity(graph.nodes.len());
        for node in &graph.nodes {
            let k = kernel.sibling(node.kernel);
            let arg_dtypes: Vec<DType> = node
                .args
                .iter()
                .map(|a| match *a {
                    Arg::Input(i) => dtypes[i],
                    Arg::Node(j) => stages[j].out_dtype(),
                })
                .collect();
            let spec = k.specialize_flat(&arg_dtypes)?;
            let reads = reads(&spec);
            stages.push(Stage {
                kernel: k,
                spec,
                args: node.args.clone(),
                reads,
                params: node.params.clone(),
                owner: node.owner,
                name: node.name.clone(),
            });
        }
        let last = stages.last().expect("a graph has its kernel");
        let ndim = last.spec.typed.ndim;
        for (node, s) in graph.nodes.iter().zip(&stages) {
            let Some(o) = node.owner else { continue };
            let (have, want) = (s.spec.typed.ndim, stages[o].spec.typed.ndim);
            if have != want {
                let axes = |n: usize| format!("{n} core ax{}", if n == 1 { "is" } else { "es" });
                return Err(kernel.error(
                    Diagnostic::new(
                        format!(
                            "stage `{}` (kernel `{}`) has {}, but kernel `{}` that uses it has {}",
                            s.name,
                            s.kernel.name(),
                            axes(have),
                            stages[o].kernel.name(),
                            axes(want)
                        ),
                        node.span,
                    )
                    .with_note("every stage has its caller's number of core axes"),
                ));
            }
        }
        let footprint = total_footprint(&stages, dtypes.len(), ndim);
        Ok(Pipeline {
            stages,
            ndim,
            footprint,
            inputs: dtypes.to_vec(),
        })
    }

    /// The last stage: the kernel itself.
    pub fn last(&self) -> &Stage {
        self.stages.last().expect("a pipeline has its kernel")
    }

    pub fn out_dtype(&self) -> DType {
        self.last().out_dtype()
    }

    /// Per core axis, how far from a tile any stage is read once boundary
    /// modes fold positions back into the array: the reach with every read
    /// made symmetric (`-m..=m`, `m` its largest offset either way). A
    /// position `p` past an edge maps to within `|p|` of it under `nearest`,
    /// `reflect` and `mirror`, so the rows a slab needs lie within this of it
    /// (out-of-core runs read that many halo rows).
    pub fn folded_reach(&self) -> Vec<usize> {
        let stages: Vec<Stage> = self
            .stages
            .iter()
            .map(|s| {
                let mut s = s.clone();
                for f in s.reads.iter_mut().flatten() {
                    for k in 0..f.lo.len() {
                        let m = f.lo[k].abs().max(f.hi[k].abs());
                        f.lo[k] = -m;
                        f.hi[k] = m;
                    }
                }
                s
            })
            .collect();
        let fp = total_footprint(&stages, self.inputs.len(), self.ndim);
        fp.hi.iter().map(|&h| h.max(0) as usize).collect()
    }

    /// Time spent compiling the stages (each distinct one once).
    pub fn compile_time(&self) -> std::time::Duration {
        let mut seen: Vec<*const Specialized> = Vec::new();
        let mut t = std::time::Duration::ZERO;
        for s in &self.stages {
            let p = Arc::as_ptr(&s.spec);
            if !seen.contains(&p) {
                seen.push(p);
                t += s.spec.compile_time;
            }
        }
        t
    }

    /// Whether the kernel uses stages.
    pub fn is_pipeline(&self) -> bool {
        self.stages.len() > 1
    }

    /// The scalar parameter values of every stage, given the run's values
    /// for the last stage's parameters (already of their dtypes).
    pub fn bind(&self, run: &[Scalar]) -> Vec<Vec<Scalar>> {
        let mut values: Vec<Vec<Scalar>> = vec![Vec::new(); self.stages.len()];
        for (j, s) in self.stages.iter().enumerate().rev() {
            values[j] = match s.owner {
                None => run.to_vec(),
                Some(o) => {
                    let owner = &values[o];
                    s.params
                        .iter()
                        .map(|e| {
                            interp::eval(e, &mut Env::new(0, 0), Some(&Params(owner)))
                                .expect("the checker let only point-free values through")
                        })
                        .collect()
                }
            };
        }
        values
    }

    /// The pipeline of `steps` copies of this one, each copy's input the
    /// output of the one before (`--steps`). Needs one array input whose
    /// dtype is the output's.
    pub fn repeat(&self, steps: usize) -> Pipeline {
        let n = self.stages.len();
        let mut stages = Vec::with_capacity(n * steps);
        for c in 0..steps {
            for s in &self.stages {
                let mut s = s.clone();
                let shift = |a: Arg| match a {
                    Arg::Node(j) => Arg::Node(j + c * n),
                    Arg::Input(_) if c == 0 => a,
                    Arg::Input(_) => Arg::Node(c * n - 1),
                };
                s.args = s.args.into_iter().map(shift).collect();
                s.owner = s.owner.map(|o| o + c * n);
                stages.push(s);
            }
        }
        let footprint = total_footprint(&stages, self.inputs.len(), self.ndim);
        Pipeline {
            stages,
            ndim: self.ndim,
            footprint,
            inputs: self.inputs.clone(),
        }
    }

    /// Each stage as `name = kernel` (or the kernel's name for the last).
    pub fn stage_names(&self) -> Vec<String> {
        self.stages
            .iter()
            .map(|s| {
                if s.name == s.kernel.name() {
                    s.name.clone()
                } else {
                    format!("{} = {}", s.name, s.kernel.name())
                }
            })
            .collect()
    }
}

/// Parameter values for evaluating scalar arguments; they read nothing else.
struct Params<'a>(&'a [Scalar]);

impl Point for Params<'_> {
    fn load(&self, _: usize, _: &[i64]) -> Scalar {
        Scalar::Int(0)
    }
    fn param(&self, n: usize) -> Scalar {
        self.0[n]
    }
    fn index(&self, _: usize) -> i64 {
        0
    }
    fn shape(&self, _: usize) -> i64 {
        0
    }
}

/// Per array input of a compiled stage, the box of offsets it is read at.
fn reads(spec: &Specialized) -> Vec<Option<Footprint>> {
    let mut out: Vec<Option<Footprint>> = vec![None; spec.func.inputs.len()];
    for inst in &spec.func.insts {
        if let Op::Load { input, offset } = &inst.op {
            let f = out[*input as usize].get_or_insert_with(|| Footprint {
                lo: offset.clone(),
                hi: offset.clone(),
            });
            for (k, &o) in offset.iter().enumerate() {
                f.lo[k] = f.lo[k].min(o);
                f.hi[k] = f.hi[k].max(o);
            }
        }
    }
    out
}

/// How far the last stage's output point reaches each stage (`reach[j]`)
/// and, through them, the inputs: offsets add along a chain, and the
/// widest chain counts.
pub fn reaches(stages: &[Stage], ndim: usize) -> (Vec<Option<Footprint>>, Vec<Option<Footprint>>) {
    let mut reach: Vec<Option<Footprint>> = vec![None; stages.len()];
    let mut inputs: Vec<Option<Footprint>> = Vec::new();
    if let Some(r) = reach.last_mut() {
        *r = Some(Footprint::zero(ndim));
    }
    for j in (0..stages.len()).rev() {
        let Some(rj) = reach[j].clone() else { continue };
        for (a, read) in stages[j].args.iter().zip(&stages[j].reads) {
            let Some(f) = read else { continue };
            let grown = Footprint {
                lo: rj.lo.iter().zip(&f.lo).map(|(a, b)| a + b).collect(),
                hi: rj.hi.iter().zip(&f.hi).map(|(a, b)| a + b).collect(),
            };
            let slot = match *a {
                Arg::Node(t) => &mut reach[t],
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

fn total_footprint(stages: &[Stage], n_inputs: usize, ndim: usize) -> Footprint {
    let (_, inputs) = reaches(stages, ndim);
    let mut fp: Option<Footprint> = None;
    for f in inputs.into_iter().take(n_inputs).flatten() {
        fp = Some(match fp {
            None => f,
            Some(old) => union(&old, &f),
        });
    }
    fp.unwrap_or_else(|| Footprint::zero(ndim))
}
