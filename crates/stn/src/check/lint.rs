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
use crate::check::resolve::{Resolved, Role, SymbolKind};
use crate::syntax::ast::{self, ExprKind};

/// Every warning of `file`'s kernels (parsed from `src`, its names
/// `resolved`), in source order.
pub fn warnings(file: &ast::File, src: &str, resolved: &Resolved) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    // Per symbol: whether some use reads it (one pass over the uses).
    let mut read = vec![false; resolved.symbols.len()];
    for o in &resolved.occurrences {
        if let Role::Ref(id) = o.role {
            read[id] = true;
        }
    }
    for item in &file.items {
        if let ast::Item::Kernel(k) = item {
            unused(k, src, resolved, &read, &mut found);
            never_taken(&k.body, src, &mut found);
        }
    }
    found.sort_by_key(|d| d.span.start);
    found
}

/// The parameters, `let`s and stages of kernel `k` that nothing reads
/// (`read`: per symbol of `resolved`).
fn unused(
    k: &ast::KernelDef,
    src: &str,
    resolved: &Resolved,
    read: &[bool],
    found: &mut Vec<Diagnostic>,
) {
    let mut lets = Vec::new();
    block_lets(&k.body, &mut lets);
    for (id, s) in resolved.symbols.iter().enumerate() {
        let inside = k.span.start <= s.def.start && s.def.end <= k.span.end;
        let kept = matches!(
            s.kind,
            SymbolKind::Param | SymbolKind::Input | SymbolKind::Let | SymbolKind::Stage
        );
        if !inside || !kept || s.name.starts_with('_') || s.def == k.name.span {
            continue;
        }
        if read[id] {
            continue;
        }
        let n = &s.name;
        let keep = format!("help: if it is meant, name it `_{n}`");
        let d = match s.kind {
            SymbolKind::Param | SymbolKind::Input => {
                Diagnostic::warning(format!("unused parameter `{n}`"), s.def)
                    .with_label("never read")
            }
            SymbolKind::Stage => Diagnostic::warning(
                format!("unused stage `{n}`: it is computed over the whole array and never read"),
                s.def,
            )
            .with_label("never read"),
            _ => {
                let d = Diagnostic::warning(format!("unused `let {n}`"), s.def)
                    .with_label("never read");
                let value = lets.iter().find(|l| l.span == s.decl).map(|l| &l.value);
                match value.map(|v| reads(v, src)).filter(|r| !r.is_empty()) {
                    Some(r) => d.with_note(format!(
                        "its reads ({}) are left out of the kernel's footprint",
                        r.join(", ")
                    )),
                    None => d,
                }
            }
        };
        let fix = format!("_{n}");
        found.push(
            d.with_note(keep)
                .with_fix(format!("rename to `{fix}`"), s.def, fix),
        );
    }
}

/// Every `let` of `b` and of the blocks inside it.
fn block_lets<'a>(b: &'a ast::Block, out: &mut Vec<&'a ast::Let>) {
    out.extend(&b.lets);
    b.for_each_expr(&mut |e| expr_lets(e, out));
}

fn expr_lets<'a>(e: &'a ast::Expr, out: &mut Vec<&'a ast::Let>) {
    match &e.kind {
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => {
            expr_lets(cond, out);
            block_lets(then, out);
            block_lets(otherwise, out);
        }
        ExprKind::Reduce {
            args, vars, body, ..
        } => {
            for a in args {
                expr_lets(a, out);
            }
            for v in vars {
                expr_lets(&v.lo, out);
                expr_lets(&v.hi, out);
            }
            block_lets(body, out);
        }
        _ => e.for_each_child(&mut |c| expr_lets(c, out)),
    }
}

/// Branches of `b` that are never taken (`if false { .. }`, `where(true,
/// ..)`) and read: a warning each.
fn never_taken(b: &ast::Block, src: &str, found: &mut Vec<Diagnostic>) {
    b.for_each_expr(&mut |e| dead_branches(e, src, found));
}

fn dead_branches(e: &ast::Expr, src: &str, found: &mut Vec<Diagnostic>) {
    let dead: Option<(Span, Vec<String>)> = match &e.kind {
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => match cond.kind {
            ExprKind::Bool(taken) => {
                let dead = if taken { otherwise } else { then };
                Some((dead.span, block_reads(dead, src)))
            }
            _ => None,
        },
        ExprKind::Call { func, args } => match (func.name.as_str(), args.as_slice()) {
            ("where", [cond, a, b]) => match cond.kind {
                ExprKind::Bool(taken) => {
                    let dead = if taken { b } else { a };
                    Some((dead.span, reads(dead, src)))
                }
                _ => None,
            },
            _ => None,
        },
        _ => None,
    };
    if let Some((span, r)) = dead.filter(|(_, r)| !r.is_empty()) {
        found.push(
            Diagnostic::warning(
                "this branch is never taken, but its reads widen the kernel's footprint",
                span,
            )
            .with_label("never taken")
            .with_note(format!("reads {}", r.join(", ")))
            .with_note("help: remove the branch, or make the condition depend on the point"),
        );
    }
    e.for_each_child(&mut |c| dead_branches(c, src, found));
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
