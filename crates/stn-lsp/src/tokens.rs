//! Semantic tokens: every token of the text with what it is, from the
//! lexer, the names typed by the symbol index; comments, which the lexer
//! skips, from the gaps between tokens. Also the lexer's view that
//! completion and hover fall back on when the text does not parse.

use logos::Logos;
use lsp_types::{SemanticToken, SemanticTokenModifier, SemanticTokenType};

use crate::analysis::Analysis;
use crate::index::{Role, SymbolKind, classify_word};
use crate::position::{LineIndex, floor_boundary};
use stn::internals::diag::Span;
use stn::internals::syntax::token::Tok;

/// The token types of the legend, in the order of `Kind`'s values.
pub const TYPES: [SemanticTokenType; 9] = [
    SemanticTokenType::KEYWORD,
    SemanticTokenType::FUNCTION,
    SemanticTokenType::PARAMETER,
    SemanticTokenType::VARIABLE,
    SemanticTokenType::TYPE,
    SemanticTokenType::ENUM_MEMBER,
    SemanticTokenType::NUMBER,
    SemanticTokenType::OPERATOR,
    SemanticTokenType::COMMENT,
];

/// The modifiers of the legend, bit `i` for entry `i`.
pub const MODIFIERS: [SemanticTokenModifier; 3] = [
    SemanticTokenModifier::DECLARATION,
    SemanticTokenModifier::READONLY,
    SemanticTokenModifier::DEFAULT_LIBRARY,
];

/// A token's type: its place in `TYPES`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Keyword,
    Function,
    Parameter,
    Variable,
    Type,
    EnumMember,
    Number,
    Operator,
    Comment,
}

pub const DECLARATION: u32 = 1;
pub const READONLY: u32 = 2;
pub const DEFAULT_LIBRARY: u32 = 4;

/// One highlighted piece of text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub span: Span,
    pub kind: Kind,
    /// `DECLARATION | READONLY | DEFAULT_LIBRARY` bits.
    pub modifiers: u32,
}

/// Every token of the text, with `None` for a piece that is no token.
pub fn lex(text: &str) -> Vec<(Span, Option<Tok<'_>>)> {
    Tok::lexer(text)
        .spanned()
        .map(|(t, r)| (Span::new(r.start, r.end), t.ok()))
        .collect()
}

/// The identifier at or touching `offset`.
pub fn word_at(text: &str, offset: usize) -> Option<Span> {
    let at = floor_boundary(text, offset);
    let ident = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
    let bytes = text.as_bytes();
    let start = at - bytes[..at].iter().rev().take_while(|b| ident(b)).count();
    let end = at + bytes[at..].iter().take_while(|b| ident(b)).count();
    (start < end && !bytes[start].is_ascii_digit()).then_some(Span::new(start, end))
}

/// The semantic tokens of the document, in order.
pub fn tokens(a: &Analysis) -> Vec<Token> {
    let lexed = lex(&a.text);
    let roles: Vec<(Span, Role)> = a.roles().collect();
    let declared = declared_names(&lexed);
    let mut out = Vec::with_capacity(lexed.len());
    let mut last_end = 0;
    for (i, &(span, tok)) in lexed.iter().enumerate() {
        comments(&a.text, Span::new(last_end, span.start), &mut out);
        last_end = span.end;
        let Some(tok) = tok else { continue };
        let prev = i.checked_sub(1).and_then(|j| lexed[j].1);
        let next = lexed.get(i + 1).and_then(|t| t.1);
        let (kind, modifiers) = match tok {
            Tok::Ident(word) => {
                let known = roles
                    .binary_search_by_key(&(span.start, span.end), |(s, _)| (s.start, s.end))
                    .ok()
                    .map(|j| roles[j].1);
                match known {
                    Some(role) => of_role(a, role),
                    None => guess(word, prev, next, &declared),
                }
            }
            Tok::Int(_) | Tok::Float(_) => (Kind::Number, 0),
            Tok::Kernel
            | Tok::Const
            | Tok::Let
            | Tok::If
            | Tok::Else
            | Tok::In
            | Tok::And
            | Tok::Or
            | Tok::Not
            | Tok::True
            | Tok::False
            | Tok::Boundary => (Kind::Keyword, 0),
            Tok::LParen
            | Tok::RParen
            | Tok::LBracket
            | Tok::RBracket
            | Tok::LBrace
            | Tok::RBrace
            | Tok::Comma
            | Tok::Semi
            | Tok::Colon => continue,
            _ => (Kind::Operator, 0),
        };
        out.push(Token {
            span,
            kind,
            modifiers,
        });
    }
    comments(&a.text, Span::new(last_end, a.text.len()), &mut out);
    out
}

/// A name the index resolved.
fn of_role(a: &Analysis, role: Role) -> (Kind, u32) {
    let sym = |s: usize, decl: u32| {
        let kind = a.index().symbols[s].kind;
        match kind {
            SymbolKind::Kernel => (Kind::Function, decl),
            SymbolKind::Const => (Kind::Variable, decl | READONLY),
            SymbolKind::Input | SymbolKind::Param => (Kind::Parameter, decl),
            SymbolKind::Let | SymbolKind::Stage | SymbolKind::RangeVar => (Kind::Variable, decl),
        }
    };
    match role {
        Role::Def(s) => sym(s, DECLARATION),
        Role::Ref(s) => sym(s, 0),
        Role::Builtin | Role::Reduction => (Kind::Function, DEFAULT_LIBRARY),
        Role::DType => (Kind::Type, 0),
        Role::Mode => (Kind::EnumMember, 0),
        Role::Unknown => (Kind::Variable, 0),
    }
}

/// Names declared by `kernel NAME` and `const NAME`, from tokens alone.
fn declared_names<'t>(lexed: &[(Span, Option<Tok<'t>>)]) -> Vec<(&'t str, Kind, u32)> {
    let mut out = Vec::new();
    for w in lexed.windows(2) {
        match (w[0].1, w[1].1) {
            (Some(Tok::Kernel), Some(Tok::Ident(n))) => out.push((n, Kind::Function, 0)),
            (Some(Tok::Const), Some(Tok::Ident(n))) => out.push((n, Kind::Variable, READONLY)),
            _ => {}
        }
    }
    out
}

/// A name no tree explains (the text does not parse): what the tokens
/// around it and the word itself suggest.
fn guess(
    word: &str,
    prev: Option<Tok>,
    next: Option<Tok>,
    declared: &[(&str, Kind, u32)],
) -> (Kind, u32) {
    match prev {
        Some(Tok::Kernel) => return (Kind::Function, DECLARATION),
        Some(Tok::Const) => return (Kind::Variable, DECLARATION | READONLY),
        Some(Tok::Boundary) => return (Kind::EnumMember, 0),
        Some(Tok::Colon | Tok::Arrow) => return (Kind::Type, 0),
        _ => {}
    }
    if let Some(&(_, kind, m)) = declared.iter().find(|(n, _, _)| *n == word) {
        return (kind, m);
    }
    let call = next == Some(Tok::LParen);
    match classify_word(word) {
        Role::Builtin | Role::Reduction if call => (Kind::Function, DEFAULT_LIBRARY),
        Role::DType => (Kind::Type, 0),
        _ => (Kind::Variable, 0),
    }
}

/// The comments in `gap`, text between two tokens: whitespace, `#` to the
/// end of the line.
fn comments(text: &str, gap: Span, out: &mut Vec<Token>) {
    let Some(g) = text.get(gap.start..gap.end) else {
        return;
    };
    let mut from = 0;
    while let Some(at) = g[from..].find('#') {
        let start = from + at;
        let end = g[start..].find(['\n', '\r']).map_or(g.len(), |e| start + e);
        out.push(Token {
            span: Span::new(gap.start + start, gap.start + end),
            kind: Kind::Comment,
            modifiers: 0,
        });
        from = end;
    }
}

/// The tokens in LSP's relative form: each token's line and start
/// relative to the previous one, lengths in the negotiated encoding.
pub fn encode(text: &str, lines: &LineIndex, tokens: &[Token]) -> Vec<SemanticToken> {
    let mut out = Vec::with_capacity(tokens.len());
    let (mut line, mut col) = (0, 0);
    for t in tokens {
        let start = lines.position(text, t.span.start);
        let end = floor_boundary(text, t.span.end);
        let piece = text
            .get(floor_boundary(text, t.span.start)..end)
            .unwrap_or_default();
        let delta_line = start.line - line;
        let delta_start = match delta_line {
            0 => start.character - col,
            _ => start.character,
        };
        out.push(SemanticToken {
            delta_line,
            delta_start,
            length: lines.encoding().len(piece),
            token_type: t.kind as u32,
            token_modifiers_bitset: t.modifiers,
        });
        (line, col) = (start.line, start.character);
    }
    out
}
