//! The whole front end on one text: parse, resolve, stage graphs and the
//! dtype-free name checks, collecting every error and warning on the way.
//!
//! `Program::from_source` loads a file from it; `stn check` and `stn lsp`
//! show its diagnostics. One function, so that the editor, the checker and
//! the runner never disagree on what is wrong with a file.

use crate::base::diag::{Diagnostic, Severity, Span};
use crate::base::stack::on_big_stack;
use crate::check::lint;
use crate::check::module::{self, KernelSig, Module};
use crate::check::names;
use crate::check::resolve::Resolved;
use crate::check::stages::{self, Graph};
use crate::syntax::{self, ast};

/// A text through the front end.
#[derive(Clone)]
pub struct Front {
    /// The syntax tree (what the parser could build, on syntax errors).
    pub ast: ast::File,
    /// Its names resolved (`check::resolve`: the one scoped pass).
    pub resolved: Resolved,
    /// Consts and kernel signatures.
    pub module: Module,
    /// Per kernel: its pipeline of stages (a broken kernel's that cannot
    /// be built: the kernel alone, `Graph::lone`).
    pub graphs: Vec<Graph>,
    /// Per kernel: the kernel as compiled (stage `let`s made inputs).
    pub flat: Vec<KernelSig>,
    /// Per kernel, per scalar parameter: whether it is compiled in.
    pub compiled_in: Vec<Vec<bool>>,
    /// Per kernel: whether an error keeps it from being typed (its own,
    /// or one in a kernel it uses as a stage).
    pub broken: Vec<bool>,
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

/// Runs the front end on `text`, item by item: an item with a syntax
/// error is left out and every other one is resolved and checked; a kernel
/// with an error in its signature, its stages or its names is still
/// checked through, and marked `broken` with every kernel that uses it as
/// a stage. Uses of a name whose definition is broken are not reported
/// again (an echo of the mistake at the definition).
pub fn analyze(text: &str) -> Front {
    let (ast, diags) = syntax::parse(text);
    let mut diags = Diagnostics::new(diags);
    // Items a syntax error is in (or that it kept out of the tree) are left
    // out; their names are not echoed.
    let (kept, mut broken_names) = whole_items(&ast, text, &diags.list);
    let resolved = on_big_stack(|| Resolved::build(&ast, text.len()));
    let (module, more) = on_big_stack(|| module::resolve(&kept));
    diags.extend(more);
    diags.extend(on_big_stack(|| lint::warnings(&kept, text, &resolved)));
    broken_names.extend((kept.items.iter()).filter_map(|item| match item {
        ast::Item::Const(c) if !module.consts.contains_key(&c.name.name) => {
            Some(c.name.name.clone())
        }
        _ => None,
    }));
    let echo = |d: &Diagnostic| {
        (broken_names.iter()).any(|n| d.message.contains(format!("`{n}`").as_str()))
    };
    let n = module.kernels.len();
    // Per kernel: whether it cannot be typed (its own error, an echo, or a
    // stage's).
    let mut broken: Vec<bool> = (module.kernels.iter())
        .map(|k| diags.errors_in(k.def.span))
        .collect();
    let mut graphs = Vec::with_capacity(n);
    for (index, broken) in broken.iter_mut().enumerate() {
        match on_big_stack(|| stages::graph(&module, index)) {
            Ok(g) => graphs.push(Some(g)),
            Err(d) => {
                *broken = true;
                graphs.push(None);
                // A cycle shows from each of its kernels: once is enough.
                let cycle = d.message.starts_with(stages::CYCLE) && diags.has_cycle();
                if !echo(&d) && !cycle {
                    diags.push(d);
                }
            }
        }
    }
    let flat: Vec<KernelSig> = (module.kernels.iter())
        .map(|k| stages::flatten(&module, k))
        .collect();
    // Every problem no dtype could fix, in every kernel.
    let mut compiled_in = Vec::with_capacity(n);
    for (k, index) in flat.iter().zip(0..) {
        let names = on_big_stack(|| names::check_names(&module, k, &resolved));
        for d in names.diagnostics {
            if d.is_error() {
                broken[index] = true;
            }
            if !echo(&d) {
                diags.push(d);
            }
        }
        compiled_in.push(names.compiled_in);
    }
    // A kernel is broken when any kernel of its pipeline is.
    let own = broken.clone();
    let graphs: Vec<Graph> = (graphs.into_iter().enumerate())
        .map(|(index, g)| match g {
            Some(g) => {
                broken[index] |= g.nodes.iter().any(|node| own[node.kernel]);
                g
            }
            None => Graph::lone(&module.kernels[index], index),
        })
        .collect();
    Front {
        ast,
        resolved,
        module,
        graphs,
        flat,
        compiled_in,
        broken,
        diagnostics: diags.finish(),
    }
}

/// The items of `ast` that no syntax error is in, and the names of the
/// others (with those of items the parser could not build at all).
fn whole_items(ast: &ast::File, text: &str, diags: &[Diagnostic]) -> (ast::File, Vec<String>) {
    let errors: Vec<Span> = diags
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.span)
        .collect();
    if errors.is_empty() {
        return (ast.clone(), Vec::new());
    }
    let (mut kept, mut broken) = (Vec::new(), Vec::new());
    let mut built = Vec::new();
    for item in &ast.items {
        let (name, span) = match item {
            ast::Item::Kernel(k) => (&k.name, k.span),
            ast::Item::Const(c) => (&c.name, c.span),
        };
        built.push(name.span);
        match errors
            .iter()
            .any(|e| span.start <= e.start && e.start <= span.end)
        {
            true => broken.push(name.name.clone()),
            false => kept.push(item.clone()),
        }
    }
    for name in syntax::declared_names(text) {
        if !built.contains(&name.span) {
            broken.push(name.name);
        }
    }
    (ast::File { items: kept }, broken)
}

/// The diagnostics found so far.
struct Diagnostics {
    list: Vec<Diagnostic>,
}

impl Diagnostics {
    fn new(list: Vec<Diagnostic>) -> Diagnostics {
        Diagnostics { list }
    }

    fn push(&mut self, d: Diagnostic) {
        self.list.push(d);
    }

    fn extend(&mut self, ds: impl IntoIterator<Item = Diagnostic>) {
        self.list.extend(ds);
    }

    /// Whether an error points into `span`.
    fn errors_in(&self, span: Span) -> bool {
        (self.list.iter())
            .any(|d| d.is_error() && span.start <= d.span.start && d.span.end <= span.end)
    }

    fn has_cycle(&self) -> bool {
        self.list
            .iter()
            .any(|d| d.message.starts_with(stages::CYCLE))
    }

    /// In source order, each once (a stage's mistake is found from every
    /// kernel whose pipeline holds it).
    fn finish(mut self) -> Vec<Diagnostic> {
        self.list.sort_by_key(|d| (d.span.start, d.span.end));
        self.list
            .dedup_by(|a, b| a.span == b.span && a.message == b.message);
        self.list
    }
}
