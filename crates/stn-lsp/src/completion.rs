//! Completion: what can be written at the cursor.
//!
//! The context comes from the tokens before the cursor, so it works on a
//! file that does not parse: after `boundary` the modes, after `:` or `->`
//! (or inside `-> (...)`) the dtypes, after `kernel`, `const` or `let`
//! nothing (a new name), outside every kernel the keywords that start or
//! finish an item, elsewhere an expression: the names in scope at the
//! cursor (from the symbol index: `let`s before it, parameters, range
//! variables, consts, kernels), builtins, reductions, casts and keywords.
//! While the text has errors the index may miss names, so every name the
//! tokens show is offered too.

use lsp_types::{CompletionItem, CompletionItemKind};

use crate::analysis::Analysis;
use crate::index::{Role, SymbolKind, classify_word};
use crate::position::floor_boundary;
use crate::tokens::{lex, word_at};
use crate::words;
use stn::internals::builtins::{self, BUILTINS, REDUCTIONS};
use stn::internals::dtype::DType;
use stn::internals::syntax::token::Tok;

/// Where the cursor is, as far as completion cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// After `boundary`.
    Mode,
    /// After `:` or `->`.
    DType,
    /// A name being defined: nothing to offer.
    NewName,
    /// Between items.
    TopLevel,
    /// In a comment.
    Comment,
    /// Anywhere an expression goes.
    Expr,
}

/// The context of the cursor at `offset` of `text`.
pub fn context(text: &str, offset: usize) -> Context {
    let offset = floor_boundary(text, offset);
    let line_start = text[..offset].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    if text[line_start..offset].contains('#') {
        return Context::Comment;
    }
    // The word being typed is not context.
    let from = word_at(text, offset).map_or(offset, |w| w.start.min(offset));
    let before: Vec<Tok> = lex(&text[..from])
        .into_iter()
        .filter_map(|(_, t)| t)
        .collect();
    let depth = before.iter().fold(0i64, |d, t| match t {
        Tok::LBrace => d + 1,
        Tok::RBrace => (d - 1).max(0),
        _ => d,
    });
    match before.last() {
        Some(Tok::Boundary) => return Context::Mode,
        Some(Tok::Colon | Tok::Arrow) => return Context::DType,
        Some(Tok::Kernel | Tok::Const | Tok::Let) => return Context::NewName,
        _ => {}
    }
    // Inside `-> (T, _, ...)`.
    let mut back = before.iter().rev();
    for t in back.by_ref() {
        match t {
            Tok::Ident(_) | Tok::Comma => continue,
            Tok::LParen => {
                if back.next() == Some(&Tok::Arrow) {
                    return Context::DType;
                }
                break;
            }
            _ => break,
        }
    }
    match depth {
        0 => Context::TopLevel,
        _ => Context::Expr,
    }
}

fn item(label: &str, kind: CompletionItemKind, detail: impl Into<String>) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: Some(detail.into()),
        ..CompletionItem::default()
    }
}

/// The completions at `offset`.
pub fn complete(a: &Analysis, offset: usize) -> Vec<CompletionItem> {
    let offset = floor_boundary(&a.text, offset);
    match context(&a.text, offset) {
        Context::Comment | Context::NewName => Vec::new(),
        Context::Mode => (words::mode_names().into_iter())
            .map(|m| {
                item(
                    m,
                    CompletionItemKind::ENUM_MEMBER,
                    words::mode(m).unwrap_or_default(),
                )
            })
            .collect(),
        Context::DType => dtypes(),
        Context::TopLevel => ["kernel", "const", "boundary"]
            .into_iter()
            .map(|k| {
                item(
                    k,
                    CompletionItemKind::KEYWORD,
                    words::keyword(k).unwrap_or_default(),
                )
            })
            .collect(),
        Context::Expr => expression(a, offset),
    }
}

fn dtypes() -> Vec<CompletionItem> {
    (DType::ALL.iter())
        .map(|d| {
            item(
                d.name(),
                CompletionItemKind::TYPE_PARAMETER,
                words::dtype(d.name()).unwrap_or_default(),
            )
        })
        .collect()
}

fn expression(a: &Analysis, offset: usize) -> Vec<CompletionItem> {
    let mut out: Vec<CompletionItem> = Vec::new();
    for s in a.index().visible_at(offset) {
        let (kind, detail) = match s.kind {
            SymbolKind::Kernel => (CompletionItemKind::FUNCTION, "kernel (a stage)".to_string()),
            SymbolKind::Const => (CompletionItemKind::CONSTANT, "const".to_string()),
            SymbolKind::Input => (CompletionItemKind::VARIABLE, "array input".to_string()),
            SymbolKind::Param => (
                CompletionItemKind::VARIABLE,
                format!("parameter: {}", a.slice(s.decl)),
            ),
            SymbolKind::Let => (CompletionItemKind::VARIABLE, "let".to_string()),
            SymbolKind::Stage => (CompletionItemKind::VARIABLE, "a stage's output".to_string()),
            SymbolKind::RangeVar => (
                CompletionItemKind::VARIABLE,
                format!("range: {}", a.slice(s.decl)),
            ),
        };
        out.push(item(&s.name, kind, detail));
    }
    if a.front.has_errors() {
        // The tree may be missing or partial: every other name of the text.
        let here = word_at(&a.text, offset);
        for (span, tok) in lex(&a.text) {
            let Some(Tok::Ident(word)) = tok else {
                continue;
            };
            let fresh = Some(span) != here && classify_word(word) == Role::Unknown;
            if fresh && !out.iter().any(|c| c.label == word) {
                out.push(item(word, CompletionItemKind::TEXT, "a name in this file"));
            }
        }
    }
    for b in &BUILTINS {
        out.push(item(b.name, CompletionItemKind::FUNCTION, b.doc));
    }
    // `min` and `max` are builtins too: offered once.
    for (name, doc) in REDUCTIONS
        .iter()
        .filter(|(r, _)| builtins::builtin(r).is_none())
    {
        out.push(item(name, CompletionItemKind::FUNCTION, *doc));
    }
    out.extend(dtypes());
    for (k, detail) in &words::KEYWORDS {
        if !matches!(*k, "kernel" | "const" | "boundary") {
            out.push(item(k, CompletionItemKind::KEYWORD, *detail));
        }
    }
    out
}
