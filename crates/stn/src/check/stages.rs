//! Pipelines: kernels that use other kernels of the file as stages
//! (docs/language.md §8).
//!
//! `let b = blur_x(x);` at the top of a kernel's body makes `b` a stage:
//! `blur_x` run on its own over the whole arrays, its output then read
//! like an input. This module resolves those `let`s once per file, before
//! any dtype is known:
//!
//! - `flatten` takes a kernel's stage `let`s out of its body and makes each
//!   stage an extra array input, so that the checker, the lowering and the
//!   code generator see plain kernels and need to know nothing of stages;
//! - `graph` expands a kernel's stages, and theirs, into a [`Graph`]: the
//!   stages in an order where each comes after what it reads, the kernel
//!   itself last. Cycles, unknown kernels, wrong argument counts or kinds,
//!   scalar arguments that depend on the point and oversized pipelines are
//!   spanned diagnostics here.
//!
//! `program::pipeline` specializes a graph for input dtypes and binds
//! parameter values; `exec::model` decides how it runs (tile shapes,
//! steps per pass); `program::stepwise` is the stage-by-stage evaluation
//! that defines what a pipeline means, and `exec` the fused one, which
//! must give the same bytes.

use crate::base::diag::{Diagnostic, Span};
use crate::base::graph::Arg;
use crate::check::kernel::Checker;
use crate::check::module::{KernelSig, Module};
use crate::check::typed::TExpr;
use crate::syntax::ast::{self, ExprKind};

/// The most stages a kernel's pipeline may expand to (counting the kernel
/// itself); stages used by stages multiply, so a short file could ask for
/// millions.
pub const MAX_STAGES: usize = 256;

/// How a cycle's message starts.
pub const CYCLE: &str = "stages form a cycle";

/// One stage of a graph: a kernel (flattened: its own stages are extra
/// inputs) applied to arguments.
#[derive(Clone, Debug)]
pub struct Node {
    /// Index of the kernel in the module (and in the flattened kernels).
    pub kernel: usize,
    /// One per array input of the flattened kernel: its declared arrays,
    /// then its own stages, in order.
    pub args: Vec<Arg>,
    /// One per scalar parameter of the kernel, already converted to the
    /// parameter's dtype; `Param(i)` in them is parameter `i` of `owner`.
    pub params: Vec<TExpr>,
    /// The node whose body declares this stage (whose parameters `params`
    /// read); `None` for the graph's last node, which takes the run's.
    pub owner: Option<usize>,
    /// The stage's name (`b` of `let b = ...`), or the kernel's for the last.
    pub name: String,
    /// The stage's `let`, or the kernel's name for the last node.
    pub span: Span,
}

/// A kernel's pipeline: every node after the nodes it reads; the last is
/// the kernel itself. A kernel without stages is a graph of one node.
#[derive(Clone, Debug)]
pub struct Graph {
    pub nodes: Vec<Node>,
}

impl Graph {
    /// Kernel `index` alone, on its declared arrays: the stand-in graph of
    /// a broken kernel whose stages could not be expanded (never run).
    pub fn lone(sig: &KernelSig, index: usize) -> Graph {
        Graph {
            nodes: vec![Node {
                kernel: index,
                args: (0..sig.inputs.len()).map(Arg::Input).collect(),
                params: Vec::new(),
                owner: None,
                name: sig.name.clone(),
                span: sig.def.name.span,
            }],
        }
    }

    /// Whether the kernel uses stages.
    pub fn is_pipeline(&self) -> bool {
        self.nodes.len() > 1
    }
}

/// Whether `l` declares a stage: its value is a call of a kernel of the file.
fn stage_call<'a>(module: &Module, l: &'a ast::Let) -> Option<(&'a ast::Ident, &'a [ast::Expr])> {
    match &l.value.kind {
        ExprKind::Call { func, args } if module.kernel(&func.name).is_some() => {
            Some((func, args.as_slice()))
        }
        _ => None,
    }
}

/// The kernel as the engine compiles it: its top-level stage `let`s taken
/// out of the body, each stage an array input after the declared ones.
pub fn flatten(module: &Module, sig: &KernelSig) -> KernelSig {
    let mut flat = sig.clone();
    let lets = &mut flat.def.body.lets;
    let mut stages = Vec::new();
    lets.retain(|l| {
        let stage = stage_call(module, l).is_some();
        if stage {
            // Each output it names (not `_`) is an input.
            stages.extend(l.names.iter().filter(|n| n.name != "_").cloned());
        }
        !stage
    });
    for name in stages {
        flat.inputs.push(name.name.clone());
        flat.def.params.push(ast::Param {
            span: name.span,
            name,
            dtype: None,
        });
    }
    flat
}

/// Expands kernel `index`'s stages into a graph, checking every call.
pub fn graph(module: &Module, index: usize) -> Result<Graph, Diagnostic> {
    let mut b = Builder {
        module,
        nodes: Vec::new(),
        stack: Vec::new(),
    };
    let sig = &module.kernels[index];
    let inputs = (0..sig.inputs.len()).map(Arg::Input).collect();
    b.expand(
        index,
        inputs,
        Vec::new(),
        sig.name.clone(),
        sig.def.name.span,
    )?;
    Ok(Graph { nodes: b.nodes })
}

/// A stage `let` whose names do not match its kernel's outputs.
fn tuple_arity(l: &ast::Let, kernel: &str, outputs: usize) -> Diagnostic {
    let names: Vec<String> = (0..outputs.max(2)).map(|i| format!("o{i}")).collect();
    match (l.tuple, outputs) {
        (false, n) => Diagnostic::new(
            format!("kernel `{kernel}` has {n} outputs: name each of them"),
            l.span,
        )
        .with_note(format!(
            "write `let ({}) = {kernel}(...);`, with `_` for an output you do not use",
            names[..n].join(", ")
        )),
        (true, 1) => Diagnostic::new(
            format!(
                "kernel `{kernel}` has one output, but `let` names {}",
                l.names.len()
            ),
            l.span,
        )
        .with_note(format!("write `let o = {kernel}(...);`")),
        (true, n) => Diagnostic::new(
            format!(
                "kernel `{kernel}` has {n} outputs, but `let` names {}",
                l.names.len()
            ),
            l.span,
        )
        .with_note(format!(
            "write `let ({}) = {kernel}(...);`, with `_` for an output you do not use",
            names[..n].join(", ")
        )),
    }
}

struct Builder<'m> {
    module: &'m Module,
    nodes: Vec<Node>,
    /// Kernels being expanded, outermost first, with the call that entered
    /// each (for naming a cycle).
    stack: Vec<usize>,
}

impl Builder<'_> {
    /// Adds kernel `k` applied to `inputs` (its declared arrays) with
    /// scalar arguments `params`, after the nodes of its own stages; returns
    /// its node.
    fn expand(
        &mut self,
        k: usize,
        inputs: Vec<Arg>,
        params: Vec<TExpr>,
        name: String,
        span: Span,
    ) -> Result<usize, Diagnostic> {
        let module = self.module;
        let sig = &module.kernels[k];
        self.stack.push(k);
        // Names an argument can refer to: the declared arrays, then stages.
        let mut scope: Vec<(String, Arg)> =
            sig.inputs.iter().cloned().zip(inputs.clone()).collect();
        let mut locals: Vec<String> = Vec::new();
        let mut children = Vec::new();
        let mut args = inputs;
        for l in &sig.def.body.lets {
            let Some((func, call_args)) = stage_call(module, l) else {
                locals.push(l.name().name.clone());
                continue;
            };
            let callee = module
                .kernels
                .iter()
                .position(|c| c.name == func.name)
                .expect("stage_call found it");
            let outputs = module.kernels[callee].outputs.len();
            if l.tuple != (outputs > 1) || l.names.len() != outputs {
                return Err(tuple_arity(l, &func.name, outputs));
            }
            for name in l.names.iter().filter(|n| n.name != "_") {
                let taken = sig.params.iter().any(|(p, _)| *p == name.name)
                    || scope.iter().any(|(n, _)| *n == name.name)
                    || locals.contains(&name.name)
                    || l.names.iter().filter(|m| m.name == name.name).count() > 1;
                if taken {
                    return Err(Diagnostic::new(
                        format!(
                            "`{}` is already defined in kernel `{}`",
                            name.name, sig.name
                        ),
                        name.span,
                    )
                    .with_note("a stage needs a name of its own"));
                }
            }
            if let Some(at) = self.stack.iter().position(|&s| s == callee) {
                let cycle: Vec<&str> = self.stack[at..]
                    .iter()
                    .map(|&s| module.kernels[s].name.as_str())
                    .chain([func.name.as_str()])
                    .collect();
                return Err(Diagnostic::new(
                    format!("{CYCLE}: {}", cycle.join(" -> ")),
                    l.value.span,
                )
                .with_label("this stage closes the cycle")
                .with_note("a kernel cannot use itself as a stage, directly or through others; use --steps to repeat a kernel"));
            }
            let (c_inputs, c_params) =
                self.arguments(sig, &locals, callee, func, call_args, l.value.span, &scope)?;
            let label = match l.tuple {
                false => l.name().name.clone(),
                true => format!(
                    "({})",
                    l.names
                        .iter()
                        .map(|n| n.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            let child = self.expand(callee, c_inputs, c_params, label, l.span)?;
            children.push(child);
            for (o, name) in l.names.iter().enumerate() {
                if name.name != "_" {
                    scope.push((name.name.clone(), Arg::Node(child, o)));
                    args.push(Arg::Node(child, o));
                }
            }
        }
        if self.nodes.len() >= MAX_STAGES {
            return Err(Diagnostic::new(
                format!("this pipeline has more than {MAX_STAGES} stages"),
                span,
            )
            .with_note("stages used by stages multiply; share a stage by naming it once"));
        }
        self.stack.pop();
        let id = self.nodes.len();
        for &c in &children {
            self.nodes[c].owner = Some(id);
        }
        self.nodes.push(Node {
            kernel: k,
            args,
            params,
            owner: None,
            name,
            span,
        });
        Ok(id)
    }

    /// Checks a stage call's arguments against the callee's parameters
    /// (positional, in declaration order): arrays take an array or an
    /// earlier stage by name, scalars a value that does not depend on the
    /// point.
    #[allow(clippy::too_many_arguments)]
    fn arguments(
        &self,
        owner: &KernelSig,
        locals: &[String],
        callee: usize,
        func: &ast::Ident,
        args: &[ast::Expr],
        call_span: Span,
        scope: &[(String, Arg)],
    ) -> Result<(Vec<Arg>, Vec<TExpr>), Diagnostic> {
        let c = &self.module.kernels[callee];
        let declared = &c.def.params;
        if args.len() != declared.len() {
            let list: Vec<String> = declared
                .iter()
                .map(|p| match &p.dtype {
                    None => p.name.name.clone(),
                    Some(d) => format!("{}: {}", p.name.name, d.name),
                })
                .collect();
            return Err(Diagnostic::new(
                format!(
                    "kernel `{}` takes {} argument{} ({}), but {} {} given",
                    c.name,
                    declared.len(),
                    if declared.len() == 1 { "" } else { "s" },
                    list.join(", "),
                    args.len(),
                    if args.len() == 1 { "was" } else { "were" }
                ),
                call_span,
            )
            .with_label(format!("`{}` called here", func.name)));
        }
        let mut inputs = Vec::new();
        let mut params = Vec::new();
        for (p, a) in declared.iter().zip(args) {
            let array = match &a.kind {
                ExprKind::Name(n) => scope.iter().find(|(s, _)| s == n).map(|(_, arg)| *arg),
                _ => None,
            };
            match (&p.dtype, array) {
                (None, Some(arg)) => inputs.push(arg),
                (None, None) => {
                    return Err(Diagnostic::new(
                        format!(
                            "`{}` of kernel `{}` is an array parameter: pass an array or a stage by name",
                            p.name.name, c.name
                        ),
                        a.span,
                    )
                    .with_label("not an array")
                    .with_note(format!(
                        "arrays here are {}",
                        if scope.is_empty() {
                            "none".to_string()
                        } else {
                            scope
                                .iter()
                                .map(|(n, _)| format!("`{n}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        }
                    )));
                }
                (Some(_), Some(_)) => {
                    let n = match &a.kind {
                        ExprKind::Name(n) => n.as_str(),
                        _ => "",
                    };
                    return Err(Diagnostic::new(
                        format!(
                            "`{}` of kernel `{}` is a scalar parameter, but `{n}` is an array",
                            p.name.name, c.name
                        ),
                        a.span,
                    )
                    .with_label("depends on the point")
                    .with_note("scalar arguments may use literals, consts and the calling kernel's scalar parameters"));
                }
                (Some(_), None) => {
                    let dtype = c
                        .params
                        .iter()
                        .find(|(n, _)| *n == p.name.name)
                        .map(|(_, d)| *d)
                        .expect("declared scalar parameters are resolved");
                    // Stages are array inputs of the flattened kernel:
                    // reading one here is caught as reading the point.
                    let flat = flatten(self.module, owner);
                    params.push(Checker::stage_scalar(self.module, &flat, locals, a, dtype)?);
                }
            }
        }
        Ok((inputs, params))
    }
}
