//! Signature help: the call the cursor is in (a builtin, a reduction, a
//! cast or a stage), its parameters, and which one the cursor is at. From
//! the tokens before the cursor, so it works while the call is being
//! typed and does not parse yet.

use stn::internals::builtins;
use stn::internals::dtype::DType;
use stn::internals::syntax::token::Tok;

use crate::analysis::Analysis;
use crate::index::SymbolKind;
use crate::tokens::lex;

/// A call's signature as an editor shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    /// `clamp(a, lo, hi)`.
    pub label: String,
    /// Each parameter's text, in order (`...` for more of the same).
    pub params: Vec<String>,
    /// The parameter the cursor is at (the last one once past the end).
    pub active: usize,
    /// What the call computes.
    pub doc: String,
}

/// The signature of the call whose parentheses hold `offset`.
pub fn signature_help(a: &Analysis, offset: usize) -> Option<Signature> {
    let tokens = lex(&a.text);
    let before: Vec<&Tok> = (tokens.iter())
        .filter(|(s, _)| s.end <= offset)
        .filter_map(|(_, t)| t.as_ref())
        .collect();
    // The innermost `(` not closed before the cursor, and the commas at
    // its level since.
    let (mut depth, mut commas) = (0usize, 0usize);
    let mut open = None;
    for (i, t) in before.iter().enumerate().rev() {
        match t {
            Tok::RParen | Tok::RBracket | Tok::RBrace => depth += 1,
            Tok::LParen if depth == 0 => {
                open = Some(i);
                break;
            }
            Tok::LBracket | Tok::LBrace if depth == 0 => return None,
            Tok::LParen | Tok::LBracket | Tok::LBrace => depth -= 1,
            Tok::Comma if depth == 0 => commas += 1,
            _ => {}
        }
    }
    let open = open?;
    let Tok::Ident(name) = before.get(open.checked_sub(1)?)? else {
        return None;
    };
    // A kernel's own parameter list is no call.
    if open >= 2 && matches!(before[open - 2], Tok::Kernel) {
        return None;
    }
    let (label, doc) = describe(a, name)?;
    let params = params_of(&label);
    let active = commas.min(params.len().saturating_sub(1));
    Some(Signature {
        label,
        params,
        active,
        doc,
    })
}

/// The call's label (`name(params)`) and what it computes.
fn describe(a: &Analysis, name: &str) -> Option<(String, String)> {
    let split = |line: &str| {
        let (label, doc) = line.split_once("): ")?;
        Some((format!("{label})"), doc.to_string()))
    };
    if let Some(b) = builtins::builtin(name) {
        return split(b.doc);
    }
    if let Some(doc) = builtins::reduction_doc(name) {
        let (label, doc) = doc.split_once(" { e }: ")?;
        return Some((label.to_string(), doc.to_string()));
    }
    if let Some(d) = DType::from_name(name) {
        return Some((format!("{name}(a)"), format!("a converted to {}", d.name())));
    }
    // A stage: a kernel of the file, its parameters as written.
    let s = (a.index().symbols.iter()).find(|s| s.kind == SymbolKind::Kernel && s.name == name)?;
    let k = a
        .index()
        .kernels
        .iter()
        .position(|&k| a.index().symbols[k].def == s.def);
    let params: Vec<&str> = (a.index().symbols.iter())
        .filter(|p| p.kernel == k && matches!(p.kind, SymbolKind::Input | SymbolKind::Param))
        .map(|p| a.slice(p.decl))
        .collect();
    Some((
        format!("{name}({})", params.join(", ")),
        format!("kernel `{name}` as a stage: run over the whole array"),
    ))
}

/// The parameters of a label `name(a, b, ...)`, split at its top-level
/// commas.
fn params_of(label: &str) -> Vec<String> {
    let Some(inner) = label
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
    else {
        return Vec::new();
    };
    if inner.is_empty() {
        return Vec::new();
    }
    inner.split(", ").map(str::to_string).collect()
}
