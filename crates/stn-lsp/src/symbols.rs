//! Answers about a document's symbols, all from the checker's resolved
//! names (`check::resolve`): the outline (kernels with their parameters
//! and `let`s, consts), the highlights of a name's definition and uses,
//! rename with its validation, and folding ranges of items and blocks. In
//! byte offsets; `server` converts positions.

use stn::internals::builtins;
use stn::internals::diag::Span;
use stn::internals::dtype::DType;
use stn::internals::mode::Mode;
use stn::internals::syntax::ast::{self, Item};

use crate::analysis::Analysis;
use crate::index::SymbolKind;
use crate::tokens::lex;
use crate::words;

/// One entry of the outline: a kernel (its parameters, stages and `let`s
/// as children) or a const.
#[derive(Clone, Debug, PartialEq)]
pub struct Outline {
    pub name: String,
    pub kind: SymbolKind,
    /// The defining identifier.
    pub def: Span,
    /// The whole item or statement.
    pub decl: Span,
    pub children: Vec<Outline>,
}

/// The file's kernels and consts in order, each kernel with its
/// parameters, stages and `let`s (reduction variables left out).
pub fn outline(a: &Analysis) -> Vec<Outline> {
    let symbols = &a.index().symbols;
    let entry = |id: usize, children| Outline {
        name: symbols[id].name.clone(),
        kind: symbols[id].kind,
        def: symbols[id].def,
        decl: symbols[id].decl,
        children,
    };
    let mut out: Vec<Outline> = (0..symbols.len())
        .filter(|&id| symbols[id].kernel.is_none())
        .map(|id| {
            let k = a.index().kernels.iter().position(|&s| s == id);
            let children = (0..symbols.len())
                .filter(|&c| k.is_some() && symbols[c].kernel == k)
                .filter(|&c| symbols[c].kind != SymbolKind::RangeVar)
                .map(|c| entry(c, Vec::new()))
                .collect();
            entry(id, children)
        })
        .collect();
    out.sort_by_key(|o| o.def.start);
    out
}

/// The definition of the name at `offset` and every use of it, each with
/// whether it is the definition.
pub fn highlights(a: &Analysis, offset: usize) -> Vec<(Span, bool)> {
    let Some(def) = a.definition(offset) else {
        return Vec::new();
    };
    (a.references(offset, true).into_iter())
        .map(|s| (s, s == def))
        .collect()
}

/// The edits that rename the symbol at `offset` to `to` (its definition
/// and every use), or why it cannot be renamed to that.
pub fn rename(a: &Analysis, offset: usize, to: &str) -> Result<Vec<Span>, String> {
    let Some(def) = a.definition(offset) else {
        return Err("no name of this file here to rename".to_string());
    };
    let id = a
        .index()
        .symbol_at(def)
        .expect("a definition has its symbol");
    let sym = &a.index().symbols[id];
    if let Some(what) = reserved(to) {
        return Err(format!("`{to}` is {what}"));
    }
    if !is_identifier(to) {
        return Err(format!(
            "`{to}` is not a name: letters, digits and `_`, not first a digit"
        ));
    }
    let spans = a.references(offset, true);
    if to == sym.name {
        return Ok(spans);
    }
    // The new name may neither be seen where the symbol is used (it would
    // take those uses) nor hide another symbol's uses where the renamed
    // one is seen.
    let places: Vec<usize> = spans.iter().map(|s| s.start).collect();
    for (other, s) in a.index().symbols.iter().enumerate() {
        if other == id || s.name != to {
            continue;
        }
        let seen_here = places
            .iter()
            .any(|&p| s.visible.start <= p && p <= s.visible.end);
        let hidden = a
            .index()
            .references(other)
            .any(|u| sym.visible.start <= u.start && u.start <= sym.visible.end);
        if seen_here || hidden {
            return Err(format!(
                "`{to}` is already the name of {} here",
                describe(s.kind)
            ));
        }
    }
    Ok(spans)
}

/// Folding ranges: every item, and every block inside a kernel
/// (`if` branches, reduction bodies), as byte spans; the server keeps
/// those of several lines.
pub fn folds(a: &Analysis) -> Vec<Span> {
    let mut out = Vec::new();
    for item in &a.front.ast.items {
        match item {
            Item::Const(c) => out.push(c.span),
            Item::Kernel(k) => {
                out.push(k.span);
                block_folds(&k.body, &mut out);
            }
        }
    }
    out
}

fn block_folds(b: &ast::Block, out: &mut Vec<Span>) {
    b.for_each_expr(&mut |e| expr_folds(e, out));
}

fn expr_folds(e: &ast::Expr, out: &mut Vec<Span>) {
    for b in e.blocks() {
        out.push(b.span);
        block_folds(b, out);
    }
    if e.blocks().is_empty() {
        e.for_each_child(&mut |c| expr_folds(c, out));
    } else if let ast::ExprKind::If { cond, .. } = &e.kind {
        expr_folds(cond, out);
    }
}

/// Whether `name` is one identifier token.
fn is_identifier(name: &str) -> bool {
    matches!(lex(name).as_slice(), [(s, Some(stn::internals::syntax::token::Tok::Ident(_)))]
        if s.start == 0 && s.end == name.len())
}

/// What `name` already is in the language, if anything.
fn reserved(name: &str) -> Option<&'static str> {
    if words::keyword(name).is_some() {
        Some("a keyword")
    } else if builtins::builtin(name).is_some() {
        Some("a builtin function")
    } else if builtins::is_reduction(name) {
        Some("a reduction")
    } else if DType::from_name(name).is_some() {
        Some("a dtype")
    } else if Mode::from_name(name).is_some() {
        Some("a boundary mode")
    } else {
        None
    }
}

fn describe(kind: SymbolKind) -> &'static str {
    match kind {
        SymbolKind::Kernel => "a kernel",
        SymbolKind::Const => "a const",
        SymbolKind::Input => "an array parameter",
        SymbolKind::Param => "a scalar parameter",
        SymbolKind::Let => "a `let`",
        SymbolKind::Stage => "a stage",
        SymbolKind::RangeVar => "a reduction variable",
    }
}
