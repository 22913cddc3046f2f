//! Names and arities, checked before any dtype is known.
//!
//! `check_names` walks a kernel's body (stages made inputs by
//! `stages::flatten`), its names resolved by `check::resolve`, and reports
//! every use that no dtype could make right: unknown names, functions and reductions, builtins
//! called with the wrong number of arguments, arrays used as values,
//! scalars indexed, tables not indexed, and accesses whose number of
//! offsets disagrees with the first access. A file is refused with all of
//! them at once, when it is loaded.
//!
//! The checker (`kernel`) finds the same problems again while typing, with
//! the same messages: the diagnostics are built here, once, for both.

use std::ops::RangeInclusive;

use crate::base::diag::{Diagnostic, Span};
use crate::base::dtype::DType;
use crate::base::graph::MAX_NDIM;
use crate::check::builtins;
use crate::check::module::{ConstVal, KernelSig, Module};
use crate::check::resolve::{Resolved, SymbolKind};
use crate::syntax::ast::{self, ExprKind, Reduction};

/// How many arguments function `name` takes: a builtin's count, 1 for a
/// cast; `None` for anything else.
pub fn arity(name: &str) -> Option<RangeInclusive<usize>> {
    if DType::from_name(name).is_some() {
        return Some(1..=1);
    }
    builtins::builtin(name).map(|b| b.arity.clone())
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `` `f` takes 2 arguments, found 3 ``.
pub fn wrong_arity(func: &str, n: &RangeInclusive<usize>, found: usize, span: Span) -> Diagnostic {
    let want = if n.start() == n.end() {
        format!("{} argument{}", n.start(), plural(*n.start()))
    } else if *n.end() == usize::MAX {
        format!("at least {} arguments", n.start())
    } else {
        format!("{} to {} arguments", n.start(), n.end())
    };
    Diagnostic::new(format!("`{func}` takes {want}, found {found}"), span)
}

/// A name that is neither defined nor a kernel (`what`: name, array);
/// `in_scope` are the kernel's names visible there (lets, reduction
/// variables, parameters), offered with the file's consts when one is close.
pub fn unknown(module: &Module, n: &str, span: Span, what: &str, in_scope: &[&str]) -> Diagnostic {
    if module.kernel(n).is_some() {
        return Diagnostic::new(format!("`{n}` is a kernel, not a value"), span);
    }
    let d = Diagnostic::new(format!("unknown {what} `{n}`"), span).with_label("not defined");
    let candidates = in_scope
        .iter()
        .copied()
        .chain(module.consts.keys().map(String::as_str));
    d.with_suggestion(n, span, candidates)
}

/// A call of something that is no builtin, cast or value.
pub fn unknown_function(module: &Module, name: &str, func_span: Span, span: Span) -> Diagnostic {
    if module.kernel(name).is_some() {
        return Diagnostic::new(
            format!("`{name}` is a kernel and cannot be called inside an expression"),
            span,
        )
        .with_note(format!(
            "use it as a stage: `let b = {name}(...);` at the top of the body, then read `b[...]`"
        ));
    }
    if looks_like_dtype(name) {
        return Diagnostic::new(format!("unknown dtype `{name}` in a cast"), func_span)
            .with_note(format!("dtypes are {}", DType::all_names()));
    }
    let kernels: Vec<String> = module
        .kernels
        .iter()
        .map(|k| format!("`{}`", k.name))
        .collect();
    let builtins: Vec<&str> = builtins::builtin_names().collect();
    let candidates = (builtins.iter().copied())
        .chain(DType::ALL.iter().map(|d| d.name()))
        .chain(module.kernels.iter().map(|k| k.name.as_str()));
    let d = Diagnostic::new(format!("unknown function `{name}`"), func_span)
        .with_label("not a builtin, cast or kernel");
    let d = d.with_suggestion(name, func_span, candidates);
    d.with_note(format!(
        "builtins are {}, casts named by a dtype, and this file's kernels as stages ({})",
        builtins.join(" "),
        kernels.join(", ")
    ))
}

fn looks_like_dtype(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('i' | 'u' | 'f' | 'c')) && {
        let rest: String = chars.collect();
        !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit())
    }
}

/// A stage `let` inside `if` or a reduction.
pub fn nested_stage(kernel: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        format!(
            "stage `{kernel}` must be declared in the kernel's top-level body, not inside `if` or a reduction"
        ),
        span,
    )
    .with_note("a stage is the kernel run over the whole array, so it cannot depend on the point")
}

/// A reduction given the wrong number of plain arguments before its
/// ranges (`rank` takes its index, the others none).
pub fn reduction_args(op: &ast::Ident, found: usize, span: Span) -> Diagnostic {
    match op.name.as_str() {
        "rank" => Diagnostic::new(
            format!("`rank` takes its index before the ranges, found {found} arguments there"),
            span,
        )
        .with_note(
            "write `rank(k, i in -1..=1) { ... }`: k = 0 is the least term, -1 the greatest",
        ),
        other => Diagnostic::new(
            format!(
                "`{other}` takes only ranges, found {found} other argument{}",
                if found == 1 { "" } else { "s" }
            ),
            span,
        )
        .with_note(format!("write `{other}(i in -1..=1) {{ ... }}`")),
    }
}

/// `let (a, b) = ...` whose value is not a stage with several outputs.
pub fn tuple_let(l: &ast::Let) -> Diagnostic {
    Diagnostic::new(
        "`let (a, b) = ...` names the outputs of a stage: its value must be a call of a kernel of this file with that many outputs",
        l.value.span,
    )
}

/// A tuple anywhere but as a kernel's value.
pub fn misplaced_tuple(span: Span) -> Diagnostic {
    Diagnostic::new(
        "a tuple is only allowed as a kernel's value (its several outputs)",
        span,
    )
}

/// A reduction that is not one.
pub fn unknown_reduction(op: &ast::Ident) -> Diagnostic {
    let d = Diagnostic::new(format!("unknown reduction `{}`", op.name), op.span);
    let d = d.with_suggestion(&op.name, op.span, builtins::reduction_names());
    let names: Vec<&str> = builtins::reduction_names().collect();
    d.with_note(format!("reductions are {}", names.join(", ")))
}

/// An array used as a value.
pub fn array_as_value(n: &str, rank: usize, span: Span) -> Diagnostic {
    let zeros = vec!["0"; rank].join(", ");
    Diagnostic::new(format!("array `{n}` must be read with offsets"), span)
        .with_label("an array, not a value")
        .with_note(format!(
            "write `{n}[{zeros}]` for the element at the output point"
        ))
}

/// A table used without an index.
pub fn table_as_value(n: &str, axes: usize, span: Span) -> Diagnostic {
    Diagnostic::new(format!("`{n}` is a table and must be indexed"), span).with_note(format!(
        "it has {axes} ax{}: write `{n}[{}]`",
        if axes == 1 { "is" } else { "es" },
        vec!["0"; axes].join(", ")
    ))
}

/// A local value or reduction variable indexed.
pub fn value_indexed(n: &str, span: Span) -> Diagnostic {
    Diagnostic::new(format!("`{n}` is a value, not an array or table"), span)
}

/// A scalar parameter or const indexed.
pub fn scalar_indexed(n: &str, span: Span) -> Diagnostic {
    Diagnostic::new(format!("`{n}` is a scalar and cannot be indexed"), span)
}

/// An access whose number of offsets no kernel can have.
pub fn bad_rank(offsets: usize, span: Span) -> Diagnostic {
    Diagnostic::new(
        format!("an access has {offsets} offsets; kernels have 1 to {MAX_NDIM} core axes"),
        span,
    )
}

/// An access with another number of offsets than the first.
pub fn rank_mismatch(n: &str, offsets: usize, rank: usize, span: Span) -> Diagnostic {
    Diagnostic::new(
        format!(
            "`{n}` is read with {offsets} offset{} here, but the kernel has {rank} core axes",
            plural(offsets)
        ),
        span,
    )
    .with_label(format!("expected {rank} offsets"))
    .with_note("every access uses one offset per core axis, the same number for every array")
}

/// A table indexed with the wrong number of indices.
pub fn table_rank(n: &str, axes: usize, indices: usize, span: Span) -> Diagnostic {
    Diagnostic::new(
        format!("table `{n}` has {axes} axes but is indexed with {indices}"),
        span,
    )
}

/// A kernel that reads no array with offsets: its core axes are unknown.
pub fn no_access(sig: &KernelSig) -> Diagnostic {
    Diagnostic::new(
        format!("kernel `{}` never reads an array with offsets", sig.name),
        sig.def.name.span,
    )
    .with_note("the number of core axes comes from accesses like `x[0, 0]`")
}

/// What the name pass finds in a kernel.
pub struct Names {
    /// Every name and arity problem, in source order.
    pub diagnostics: Vec<Diagnostic>,
    /// Per scalar parameter: whether it is an integer that sizes something
    /// the kernel is compiled with (a range bound, an offset, a table index,
    /// `rank`'s index, an axis): the kernel is then compiled per value of it
    /// (docs/language.md §11).
    pub compiled_in: Vec<bool>,
}

/// The name pass over `sig`'s body (a flattened kernel), its names as
/// `resolved` resolves them.
pub fn check_names(module: &Module, sig: &KernelSig, resolved: &Resolved) -> Names {
    let mut w = Walk {
        module,
        sig,
        resolved,
        bad: Vec::new(),
        rank: None,
        found: Vec::new(),
        konst: 0,
        compiled_in: vec![false; sig.params.len()],
    };
    w.block(&sig.def.body, true);
    // A kernel without arrays is told so by its signature's check.
    if w.rank.is_none() && w.found.is_empty() && !sig.inputs.is_empty() {
        w.found.push(no_access(sig));
    }
    w.found.sort_by_key(|d| d.span.start);
    Names {
        diagnostics: w.found,
        compiled_in: w.compiled_in,
    }
}

struct Walk<'m> {
    module: &'m Module,
    sig: &'m KernelSig,
    /// Every name's definition (`check::resolve`).
    resolved: &'m Resolved,
    /// The `let`s (symbols) whose value had a problem: their uses say
    /// nothing more.
    bad: Vec<usize>,
    /// The number of offsets of the first array access.
    rank: Option<usize>,
    found: Vec<Diagnostic>,
    /// Above 0 inside something the kernel is compiled with.
    konst: usize,
    compiled_in: Vec<bool>,
}

impl Walk<'_> {
    /// A block; `top` for the kernel's body, whose value may be a tuple.
    fn block(&mut self, b: &ast::Block, top: bool) {
        for l in &b.lets {
            let before = self.found.len();
            match &l.value.kind {
                // Stages at the top of the body were flattened away.
                ExprKind::Call { func, .. } if self.module.kernel(&func.name).is_some() => {
                    self.found.push(nested_stage(&func.name, l.value.span));
                }
                _ if l.tuple => {
                    self.found.push(tuple_let(l));
                    self.expr(&l.value);
                }
                _ => self.expr(&l.value),
            }
            if self.found.len() > before {
                let ids = l
                    .names
                    .iter()
                    .filter_map(|n| self.resolved.symbol_at(n.span));
                self.bad.extend(ids);
            }
        }
        match &b.value.kind {
            ExprKind::Tuple(items) if top => {
                for item in items {
                    self.expr(item);
                }
            }
            _ => self.expr(&b.value),
        }
    }

    /// `e`, which the kernel is compiled with (a bound, an offset, ...).
    fn compiled(&mut self, e: &ast::Expr) {
        self.konst += 1;
        self.expr(e);
        self.konst -= 1;
    }

    /// Whether the name used at `span` is a let or reduction variable, and
    /// if so whether its value had a problem.
    fn local(&self, span: Span) -> Option<bool> {
        let id = self.resolved.symbol_at(span)?;
        // A stage `let` inside a block is refused (`nested_stage`) and so bad.
        let local = matches!(
            self.resolved.symbols[id].kind,
            SymbolKind::Let | SymbolKind::RangeVar
        );
        (local || self.bad.contains(&id)).then(|| self.bad.contains(&id))
    }

    /// The kernel's names visible at `span`: lets and reduction variables
    /// in scope, scalar parameters and array inputs (stages too).
    fn visible(&self, span: Span) -> Vec<&str> {
        (self.resolved.visible_at(span.start).into_iter())
            .filter(|s| !matches!(s.kind, SymbolKind::Kernel | SymbolKind::Const))
            .map(|s| s.name.as_str())
            .collect()
    }

    fn expr(&mut self, e: &ast::Expr) {
        match &e.kind {
            ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_) | ExprKind::List(_) => {}
            ExprKind::Name(n) => self.name(n, e.span),
            ExprKind::Index { base, indices } => {
                for ix in indices {
                    self.compiled(ix);
                }
                self.index(base, indices.len(), e.span);
            }
            ExprKind::Unary { .. } | ExprKind::Binary { .. } => {
                e.for_each_child(&mut |c| self.expr(c));
            }
            ExprKind::If { cond, .. } => {
                self.expr(cond);
                for b in e.blocks() {
                    self.block(b, false);
                }
            }
            ExprKind::Call { func, args } => {
                match arity(&func.name) {
                    Some(n) if !n.contains(&args.len()) => {
                        self.found
                            .push(wrong_arity(&func.name, &n, args.len(), e.span));
                    }
                    Some(_) => {}
                    // A stage's call at the top of the body was flattened
                    // away; any other call of a kernel is refused here, and
                    // its arguments (arrays, maybe) say nothing more.
                    None => {
                        self.found.push(unknown_function(
                            self.module,
                            &func.name,
                            func.span,
                            e.span,
                        ));
                        return;
                    }
                }
                // The axis of `index` and `shape` is compiled in.
                let axis = matches!(func.name.as_str(), "index" | "shape");
                for a in args {
                    match axis {
                        true => self.compiled(a),
                        false => self.expr(a),
                    }
                }
            }
            ExprKind::Reduce { .. } => {
                let Some(Reduction {
                    op,
                    args,
                    vars,
                    body,
                }) = e.reduction()
                else {
                    return;
                };
                if !builtins::is_reduction(&op.name) {
                    self.found.push(unknown_reduction(op));
                } else if args.len() != usize::from(op.name == "rank") {
                    self.found.push(reduction_args(op, args.len(), e.span));
                }
                for a in args {
                    self.compiled(a);
                }
                for v in vars {
                    self.compiled(&v.lo);
                    self.compiled(&v.hi);
                }
                self.block(body, false);
            }
            ExprKind::Tuple(items) => {
                self.found.push(misplaced_tuple(e.span));
                for item in items {
                    self.expr(item);
                }
            }
        }
    }

    fn name(&mut self, n: &str, span: Span) {
        if self.local(span).is_some() {
            return;
        }
        if let Some(i) = self.sig.params.iter().position(|(p, _)| p == n) {
            if self.konst > 0 && self.sig.params[i].1.is_int() {
                self.compiled_in[i] = true;
            }
            return;
        }
        if self.sig.inputs.iter().any(|i| i == n) {
            self.found
                .push(array_as_value(n, self.rank.unwrap_or(2), span));
            return;
        }
        match self.module.consts.get(n) {
            Some(ConstVal::Scalar(..)) => {}
            Some(ConstVal::Table(t)) => self.found.push(table_as_value(n, t.shape.len(), span)),
            None => {
                let d = unknown(self.module, n, span, "name", &self.visible(span));
                self.found.push(d);
            }
        }
    }

    fn index(&mut self, base: &ast::Ident, offsets: usize, span: Span) {
        let n = base.name.as_str();
        if let Some(bad) = self.local(base.span) {
            if !bad {
                self.found.push(value_indexed(n, base.span));
            }
            return;
        }
        if self.sig.inputs.iter().any(|i| i == n) {
            match self.rank {
                None if offsets == 0 || offsets > MAX_NDIM => {
                    self.found.push(bad_rank(offsets, span));
                }
                None => self.rank = Some(offsets),
                Some(r) if r != offsets => self.found.push(rank_mismatch(n, offsets, r, span)),
                Some(_) => {}
            }
            return;
        }
        match self.module.consts.get(n) {
            Some(ConstVal::Table(t)) if t.shape.len() != offsets => {
                self.found.push(table_rank(n, t.shape.len(), offsets, span));
            }
            Some(ConstVal::Table(_)) => {}
            Some(ConstVal::Scalar(..)) => self.found.push(scalar_indexed(n, base.span)),
            None if self.sig.params.iter().any(|(p, _)| p == n) => {
                self.found.push(scalar_indexed(n, base.span));
            }
            None => {
                let d = unknown(self.module, n, base.span, "array", &self.visible(base.span));
                self.found.push(d);
            }
        }
    }
}
