//! A pipeline specialized for input dtypes: every stage type-checked and
//! compiled for the dtypes it receives, the footprints that tell how far
//! each stage's values are read, and the binding of parameter values.

use std::sync::Arc;

use crate::base::diag::Diagnostic;
use crate::base::dtype::DType;
use crate::base::error::Result;
use crate::base::graph::Arg;
use crate::base::mode::Mode;
use crate::base::scalar::Scalar;
use crate::check::eval::{self, Env, Point};
use crate::check::stages::{Graph, Node};
use crate::check::typed::TExpr;
use crate::exec::graph::{self, Wired};
use crate::ir::{Footprint, Op};
use crate::program::{Kernel, Specialized};

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

impl Wired for Stage {
    fn args(&self) -> &[Arg] {
        &self.args
    }
    fn reads(&self) -> &[Option<Footprint>] {
        &self.reads
    }
}

impl Stage {
    /// The stage's output dtypes, one per output.
    pub fn out_dtypes(&self) -> &[DType] {
        &self.spec.typed.out_dtypes
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
    /// Specializes `graph` (of `kernel`) for input dtypes `dtypes` and the
    /// run's parameter values `values` (only compiled-in ones matter).
    pub fn new(
        kernel: &Kernel,
        graph: &Graph,
        dtypes: &[DType],
        values: &[Scalar],
    ) -> Result<Pipeline> {
        let values = bind(&graph.nodes, values);
        let mut stages: Vec<Stage> = Vec::with_capacity(graph.nodes.len());
        for (node, values) in graph.nodes.iter().zip(&values) {
            let k = kernel.sibling(node.kernel);
            let arg_dtypes: Vec<DType> = node
                .args
                .iter()
                .map(|a| match *a {
                    Arg::Input(i) => dtypes[i],
                    Arg::Node(j, o) => stages[j].out_dtypes()[o],
                })
                .collect();
            let spec = k.specialize_flat(&arg_dtypes, values)?;
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
        let footprint = graph::footprint(&stages, ndim);
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

    /// The output dtypes, one per output.
    pub fn out_dtypes(&self) -> &[DType] {
        self.last().out_dtypes()
    }

    /// Time spent compiling the stages (each distinct one once).
    pub fn compile_time(&self) -> std::time::Duration {
        let mut seen: Vec<*const Specialized> = Vec::new();
        let mut t = std::time::Duration::ZERO;
        for s in &self.stages {
            let p = Arc::as_ptr(&s.spec);
            if !seen.contains(&p) {
                seen.push(p);
                t += s.spec.compile_time();
            }
        }
        t
    }

    /// Per core axis, how far from a tile any stage is read once boundary
    /// modes fold positions back into the array (`graph::folded_reach`):
    /// the halo rows an out-of-core slab reads.
    pub fn folded_reach(&self) -> Vec<usize> {
        graph::folded_reach(&self.stages, self.ndim)
    }

    /// Whether the kernel uses stages.
    pub fn is_pipeline(&self) -> bool {
        self.stages.len() > 1
    }

    /// The scalar parameter values of every stage, given the run's values
    /// for the last stage's parameters (already of their dtypes).
    pub fn bind(&self, run: &[Scalar]) -> Vec<Vec<Scalar>> {
        let wiring = self.stages.iter().map(|s| (s.params.as_slice(), s.owner));
        bind_each(wiring, run)
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

/// The scalar parameter values of every node of a graph, given the run's
/// values for the last node's parameters (already of their dtypes).
pub fn bind(nodes: &[Node], run: &[Scalar]) -> Vec<Vec<Scalar>> {
    bind_each(nodes.iter().map(|n| (n.params.as_slice(), n.owner)), run)
}

/// `bind` for nodes given by their parameter expressions and owners.
fn bind_each<'a>(
    wiring: impl DoubleEndedIterator<Item = (&'a [TExpr], Option<usize>)> + ExactSizeIterator,
    run: &[Scalar],
) -> Vec<Vec<Scalar>> {
    let mut values: Vec<Vec<Scalar>> = vec![Vec::new(); wiring.len()];
    // Owners come after the stages they declare.
    for (j, (params, owner)) in wiring.enumerate().rev() {
        values[j] = match owner {
            None => run.to_vec(),
            Some(o) => {
                let owner = &values[o];
                params
                    .iter()
                    .map(|e| {
                        eval::eval(e, &mut Env::new(0, 0), Some(&Params(owner)))
                            .expect("the checker let only point-free values through")
                    })
                    .collect()
            }
        };
    }
    values
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
