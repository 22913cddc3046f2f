//! Warnings: kernels that compile and run but probably not as their author
//! meant. Found on the syntax tree alone (no dtype is needed), for every
//! kernel of a file:
//!
//! - a `let` never read (a stage `let` never read runs a whole stage for
//!   nothing); its reads are not part of the footprint (`ir::live`), which
//!   the warning says, since that is what a reader of the kernel would
//!   otherwise assume;
//! - a parameter never read (an array input still takes part in
//!   broadcasting, so the output's shape can depend on it);
//! - a branch never taken (`if false { x[9] } else { .. }`, `where(true,
//!   ..)`) that reads: its reads only widen the footprint, so under `fill`
//!   more of the output's border is `cval` than the kernel's live reads
//!   would make it.
//!
//! As in Rust, a name starting with `_` is never warned about: that is how
//! to keep one on purpose.

use crate::base::diag::{Diagnostic, Span};
use crate::syntax::ast::{self, ExprKind};

/// Every warning of `file`'s kernels (parsed from `src`), in source order.
pub fn warnings(file: &ast::File, src: &str) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for item in &file.items {
        if let ast::Item::Kernel(k) = item {
            kernel(k, src, &mut found);
        }
    }
    found.sort_by_key(|d| d.span.start);
    found
}

/// What a name in scope is, for the warning when it is never read.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Param,
    Let,
    /// A `let` whose value is a call of another kernel of the file.
    Stage,
    /// A reduction variable: never warned about (`sum(i in 0..=2) { 1 }`
    /// counts).
    Range,
}

struct Binding<'a> {
    name: &'a ast::Ident,
    kind: Kind,
    /// The `let`'s value, for the reads it would have made.
    value: Option<&'a ast::Expr>,
    read: bool,
}

struct Walk<'a> {
    src: &'a str,
    scopes: Vec<Binding<'a>>,
    found: &'a mut Vec<Diagnostic>,
}

fn kernel(k: &ast::KernelDef, src: &str, found: &mut Vec<Diagnostic>) {
    let mut w = Walk {
        src,
        scopes: Vec::new(),
        found,
    };
    for p in &k.params {
        w.scopes.push(Binding {
            name: &p.name,
            kind: Kind::Param,
            value: None,
            read: false,
        });
    }
    w.block(&k.body);
    w.close(0);
}

impl<'a> Walk<'a> {
    fn block(&mut self, b: &'a ast::Block) {
        let depth = self.scopes.len();
        for l in &b.lets {
            self.expr(&l.value);
            let stage = matches!(&l.value.kind, ExprKind::Call { func, .. }
                if crate::check::names::arity(&func.name).is_none());
            for n in &l.names {
                self.scopes.push(Binding {
                    name: n,
                    kind: if stage { Kind::Stage } else { Kind::Let },
                    value: Some(&l.value),
                    read: false,
                });
            }
        }
        self.expr(&b.value);
        self.close(depth);
    }

    /// Leaves the scopes above `depth`, warning about what was never read.
    fn close(&mut self, depth: usize) {
        for b in self.scopes.drain(depth..) {
            if b.read || b.kind == Kind::Range || b.name.name.starts_with('_') {
                continue;
            }
            let n = &b.name.name;
            let keep = format!("help: if it is meant, name it `_{n}`");
            let d = match b.kind {
                Kind::Param => Diagnostic::warning(format!("unused parameter `{n}`"), b.name.span)
                    .with_label("never read"),
                Kind::Stage => Diagnostic::warning(
                    format!(
                        "unused stage `{n}`: it is computed over the whole array and never read"
                    ),
                    b.name.span,
                )
                .with_label("never read"),
                _ => {
                    let d = Diagnostic::warning(format!("unused `let {n}`"), b.name.span)
                        .with_label("never read");
                    match b
                        .value
                        .map(|v| reads(v, self.src))
                        .filter(|r| !r.is_empty())
                    {
                        Some(r) => d.with_note(format!(
                            "its reads ({}) are left out of the kernel's footprint",
                            r.join(", ")
                        )),
                        None => d,
                    }
                }
            };
            self.found.push(d.with_note(keep));
        }
    }

    /// A branch that is never taken: a warning when it reads.
    fn never_taken(&mut self, span: Span, reads: impl Fn(&str) -> Vec<String>) {
        let r = reads(self.src);
        if r.is_empty() {
            return;
        }
        self.found.push(
            Diagnostic::warning(
                "this branch is never taken, but its reads widen the kernel's footprint",
                span,
            )
            .with_label("never taken")
            .with_note(format!("reads {}", r.join(", ")))
            .with_note("help: remove the branch, or make the condition depend on the point"),
        );
    }

    fn read(&mut self, name: &str) {
        if let Some(b) = self.scopes.iter_mut().rev().find(|b| b.name.name == name) {
            b.read = true;
        }
    }

    fn exprs(&mut self, es: &'a [ast::Expr]) {
        for e in es {
            self.expr(e);
        }
    }

    fn expr(&mut self, e: &'a ast::Expr) {
        match &e.kind {
            ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_) => {}
            ExprKind::Name(n) => self.read(n),
            ExprKind::Index { base, indices } => {
                self.read(&base.name);
                self.exprs(indices);
            }
            ExprKind::Unary { operand, .. } => self.expr(operand),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                self.expr(cond);
                if let ExprKind::Bool(taken) = cond.kind {
                    let dead = if taken { otherwise } else { then };
                    self.never_taken(dead.span, |src| block_reads(dead, src));
                }
                self.block(then);
                self.block(otherwise);
            }
            ExprKind::Call { func, args } => {
                if let ("where", [cond, a, b]) = (func.name.as_str(), args.as_slice())
                    && let ExprKind::Bool(taken) = cond.kind
                {
                    let dead = if taken { b } else { a };
                    self.never_taken(dead.span, |src| reads(dead, src));
                }
                self.exprs(args)
            }
            ExprKind::Reduce {
                args, vars, body, ..
            } => {
                self.exprs(args);
                let depth = self.scopes.len();
                for v in vars {
                    self.expr(&v.lo);
                    self.expr(&v.hi);
                    self.scopes.push(Binding {
                        name: &v.name,
                        kind: Kind::Range,
                        value: None,
                        read: false,
                    });
                }
                self.block(body);
                self.close(depth);
            }
            ExprKind::Tuple(items) | ExprKind::List(items) => self.exprs(items),
        }
    }
}

/// The reads in a block, as `reads`.
fn block_reads(b: &ast::Block, src: &str) -> Vec<String> {
    let mut all = Vec::new();
    b.for_each_expr(&mut |e| all.extend(reads(e, src)));
    all.dedup();
    all
}

/// The reads in `e` as written (`x[5, 5]`), at most four.
fn reads(e: &ast::Expr, src: &str) -> Vec<String> {
    fn walk(e: &ast::Expr, out: &mut Vec<Span>) {
        if let ExprKind::Index { .. } = e.kind {
            out.push(e.span);
        }
        e.for_each_child(&mut |c| walk(c, out));
    }
    let mut out = Vec::new();
    walk(e, &mut out);
    let mut shown: Vec<String> = (out.into_iter())
        .filter_map(|s| src.get(s.start..s.end))
        .map(|text| format!("`{text}`"))
        .collect();
    shown.dedup();
    if shown.len() > 4 {
        shown.truncate(4);
        shown.push("...".to_string());
    }
    shown
}
