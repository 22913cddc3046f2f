//! The whole front end on one text: parse, resolve, stage graphs and the
//! dtype-free name checks, collecting every error and warning on the way.
//!
//! `Program::from_source` loads a file from it; `stn check` and `stn lsp`
//! show its diagnostics. One function, so that the editor, the checker and
//! the runner never disagree on what is wrong with a file.

use crate::base::diag::{Diagnostic, Severity};
use crate::base::stack::on_big_stack;
use crate::check::lint;
use crate::check::module::{self, KernelSig, Module};
use crate::check::names;
use crate::check::stages::{self, Graph};
use crate::syntax::{self, ast};

/// A text through the front end.
pub struct Front {
    /// The syntax tree (what the parser could build, on syntax errors).
    pub ast: ast::File,
    /// Consts and kernel signatures.
    pub module: Module,
    /// Per kernel: its pipeline of stages (empty when any error was found).
    pub graphs: Vec<Graph>,
    /// Per kernel: the kernel as compiled (stage `let`s made inputs).
    pub flat: Vec<KernelSig>,
    /// Per kernel, per scalar parameter: whether it is compiled in.
    pub compiled_in: Vec<Vec<bool>>,
    /// Every error and warning found, in source order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Front {
    /// True when some diagnostic is an error (warnings do not count).
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The errors alone.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }

    /// The warnings alone.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
    }
}

/// Runs the front end on `text`. Syntax errors hide the later checks (a
/// broken item would make every use of its names an error too); otherwise
/// every kernel is checked, so a file with three mistakes shows three.
pub fn analyze(text: &str) -> Front {
    let (ast, diags) = syntax::parse(text);
    let mut front = Front {
        ast,
        module: Module::default(),
        graphs: Vec::new(),
        flat: Vec::new(),
        compiled_in: Vec::new(),
        diagnostics: diags,
    };
    if front.has_errors() {
        return front;
    }
    let (module, mut diags) = on_big_stack(|| module::resolve(&front.ast));
    diags.extend(on_big_stack(|| lint::warnings(&front.ast, text)));
    // Items whose definition has an error are left out of the module; the
    // other kernels are still checked, without the echoes of those names.
    let broken: Vec<String> = (front.ast.items.iter())
        .map(|item| match item {
            ast::Item::Kernel(k) => &k.name.name,
            ast::Item::Const(c) => &c.name.name,
        })
        .filter(|n| module.kernel(n).is_none() && !module.consts.contains_key(*n))
        .map(|n| format!("`{n}`"))
        .collect();
    let echo = |d: &Diagnostic| broken.iter().any(|n| d.message.contains(n.as_str()));
    let n = module.kernels.len();
    let mut graphs = Vec::with_capacity(n);
    let mut graphed = vec![false; n];
    for (index, ok) in graphed.iter_mut().enumerate() {
        match on_big_stack(|| stages::graph(&module, index)) {
            Ok(g) => {
                graphs.push(g);
                *ok = true;
            }
            Err(d) if echo(&d) => {}
            // A cycle shows from each of its kernels: once is enough.
            Err(d)
                if d.message.starts_with(stages::CYCLE)
                    && diags.iter().any(|e| e.message.starts_with(stages::CYCLE)) => {}
            Err(d) => diags.push(d),
        }
    }
    let flat: Vec<KernelSig> = module
        .kernels
        .iter()
        .map(|k| stages::flatten(&module, k))
        .collect();
    // Every problem no dtype could fix, in every kernel whose stages are
    // known.
    for (k, graphed) in flat.iter().zip(graphed) {
        if graphed {
            let names = on_big_stack(|| names::check_names(&module, k));
            diags.extend(names.diagnostics.into_iter().filter(|d| !echo(d)));
            front.compiled_in.push(names.compiled_in);
        } else {
            front.compiled_in.push(Vec::new());
        }
    }
    diags.sort_by_key(|d| (d.span.start, d.span.end));
    front.diagnostics = diags;
    if !front.has_errors() {
        front.graphs = graphs;
    }
    front.module = module;
    front.flat = flat;
    front
}
