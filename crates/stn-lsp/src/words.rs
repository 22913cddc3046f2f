//! One line about each word the language gives a meaning to: builtins and
//! reductions (the checker's table, `check::builtins`), boundary modes,
//! dtypes and keywords (docs/language.md §2, §4, §12).
//! Hover shows the line; completion shows it beside the word.

use stn::internals::builtins;
use stn::internals::dtype::DType;
use stn::internals::mode::Mode;

/// What builtin `name` computes (the builtin table's line).
pub fn builtin(name: &str) -> Option<&'static str> {
    builtins::builtin(name).map(|b| b.doc)
}

/// What reduction `name` folds (the reduction table's line).
pub fn reduction(name: &str) -> Option<&'static str> {
    builtins::reduction_doc(name)
}

/// What boundary mode `name` reads outside the array (docs/language.md §4).
pub fn mode(name: &str) -> Option<String> {
    let m = Mode::from_name(name)?;
    let what = match m {
        Mode::Fill => {
            "output points whose footprint leaves the array are set to cval (Numba's @stencil)"
        }
        Mode::Constant => {
            "reads outside the array give cval; every point computed (scipy `constant`)"
        }
        Mode::Nearest => "a a a | a b c d | d d d (scipy `nearest`)",
        Mode::Reflect => "c b a | a b c d | d c b (scipy `reflect`)",
        Mode::Mirror => "d c b | a b c d | c b a (scipy `mirror`)",
        Mode::Wrap => "b c d | a b c d | a b c (scipy `grid-wrap`)",
    };
    Some(match m.name() == name {
        true => format!("boundary `{name}`: {what}"),
        false => format!("boundary `{name}` (`{}`): {what}", m.name()),
    })
}

/// The modes a kernel can name after `boundary`: every mode and each alias
/// that is a plain identifier (`grid-wrap` is a name for the command line).
pub fn mode_names() -> Vec<&'static str> {
    let aliases = Mode::ALIASES.iter().map(|(a, _)| *a);
    Mode::ALL
        .iter()
        .map(|m| m.name())
        .chain(aliases.filter(|a| a.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')))
        .collect()
}

/// What dtype `name` holds.
pub fn dtype(name: &str) -> Option<String> {
    let d = DType::from_name(name)?;
    let what = match d {
        DType::Bool => "booleans, stored as one byte 0 or 1".to_string(),
        d if d.is_float() => format!("{}-bit IEEE 754 floats", d.size() * 8),
        d if d.is_signed() => format!("{}-bit signed integers", d.size() * 8),
        d => format!("{}-bit unsigned integers", d.size() * 8),
    };
    Some(format!(
        "dtype `{name}`: {what}; `{name}(e)` converts e to it"
    ))
}

/// The keywords, for completion and hover.
pub const KEYWORDS: [(&str, &str); 12] = [
    (
        "kernel",
        "kernel NAME(params) [-> DTYPE] [boundary MODE] { ... }: a kernel",
    ),
    (
        "const",
        "const NAME = value;: a number or a table, file-wide",
    ),
    (
        "let",
        "let NAME = expr;: a value named for the rest of the block",
    ),
    ("if", "if c { a } else { b }: a where c is true, else b"),
    ("else", "the other branch of `if`"),
    ("in", "NAME in lo..=hi: a reduction's range"),
    ("and", "a and b: logical and of bools"),
    ("or", "a or b: logical or of bools"),
    ("not", "not a: logical not of a bool"),
    ("true", "the bool true"),
    ("false", "the bool false"),
    ("boundary", "boundary MODE: the kernel's own boundary mode"),
];

/// What keyword `name` introduces.
pub fn keyword(name: &str) -> Option<&'static str> {
    KEYWORDS.iter().find(|(k, _)| *k == name).map(|(_, d)| *d)
}
