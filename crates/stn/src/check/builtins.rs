//! The builtin functions and the reductions: one table each, the one
//! place a builtin is defined. Its name, how many arguments it takes, the
//! line that says what it computes, and how it is typed. The checker types
//! a call by the table's `Typing`; the name pass checks arities and offers
//! "did you mean" from it; the language server's completion and hover
//! show its lines; `tests/editors.rs` keeps the tree-sitter and TextMate
//! grammars' lists equal to it.

use std::ops::RangeInclusive;

use crate::base::ops::{BinaryOp, UnaryOp};

/// How the checker types a call of a builtin (`check::kernel`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Typing {
    /// A float function of one argument: integers are promoted to a float
    /// first (docs/language.md §3).
    Float(UnaryOp),
    /// `abs`: the operand's dtype (wrapping for the least signed integer).
    Abs,
    /// `isnan`: a bool; false for integers.
    IsNan,
    /// `min`, `max`: folded left over the arguments' common dtype.
    Fold(BinaryOp),
    /// `clamp(a, lo, hi)`: `min(max(a, lo), hi)`.
    Clamp,
    /// `pow(a, b)`: as `a ** b`.
    Pow,
    /// `hypot(a, b)`: in floats.
    Hypot,
    /// `where(c, a, b)`: as `if`, both branches computed.
    Where,
    /// `index(k)`, `shape(k)`: an i64 of core axis `k`, a constant.
    Axis,
}

/// One builtin function.
#[derive(Clone, Debug)]
pub struct Builtin {
    /// The name it is called by.
    pub name: &'static str,
    /// How many arguments it takes.
    pub arity: RangeInclusive<usize>,
    /// One line: its call and what it computes (hover, completion).
    pub doc: &'static str,
    /// How the checker types it.
    pub typing: Typing,
}

const fn b(
    name: &'static str,
    arity: RangeInclusive<usize>,
    doc: &'static str,
    typing: Typing,
) -> Builtin {
    Builtin {
        name,
        arity,
        doc,
        typing,
    }
}

/// Every builtin function, in the order the docs list them.
pub const BUILTINS: [Builtin; 20] = [
    b("abs", 1..=1, "abs(a): the absolute value", Typing::Abs),
    b(
        "min",
        2..=usize::MAX,
        "min(a, b, ...): the least argument (a NaN operand passes through)",
        Typing::Fold(BinaryOp::Min),
    ),
    b(
        "max",
        2..=usize::MAX,
        "max(a, b, ...): the greatest argument (a NaN operand passes through)",
        Typing::Fold(BinaryOp::Max),
    ),
    b(
        "clamp",
        3..=3,
        "clamp(a, lo, hi): a limited to lo..=hi",
        Typing::Clamp,
    ),
    b(
        "sqrt",
        1..=1,
        "sqrt(a): the square root, in floats",
        Typing::Float(UnaryOp::Sqrt),
    ),
    b(
        "exp",
        1..=1,
        "exp(a): e to the power a, in floats",
        Typing::Float(UnaryOp::Exp),
    ),
    b(
        "log",
        1..=1,
        "log(a): the natural logarithm, in floats",
        Typing::Float(UnaryOp::Log),
    ),
    b(
        "sin",
        1..=1,
        "sin(a): the sine of a in radians, in floats",
        Typing::Float(UnaryOp::Sin),
    ),
    b(
        "cos",
        1..=1,
        "cos(a): the cosine of a in radians, in floats",
        Typing::Float(UnaryOp::Cos),
    ),
    b(
        "tan",
        1..=1,
        "tan(a): the tangent of a in radians, in floats",
        Typing::Float(UnaryOp::Tan),
    ),
    b(
        "tanh",
        1..=1,
        "tanh(a): the hyperbolic tangent, in floats",
        Typing::Float(UnaryOp::Tanh),
    ),
    b(
        "floor",
        1..=1,
        "floor(a): the greatest integer not above a",
        Typing::Float(UnaryOp::Floor),
    ),
    b(
        "ceil",
        1..=1,
        "ceil(a): the least integer not below a",
        Typing::Float(UnaryOp::Ceil),
    ),
    b(
        "round",
        1..=1,
        "round(a): a rounded to the nearest integer, ties to even",
        Typing::Float(UnaryOp::Round),
    ),
    b(
        "pow",
        2..=2,
        "pow(a, b): a to the power b, as `a ** b`",
        Typing::Pow,
    ),
    b(
        "hypot",
        2..=2,
        "hypot(a, b): sqrt(a * a + b * b) without overflow, in floats",
        Typing::Hypot,
    ),
    b(
        "isnan",
        1..=1,
        "isnan(a): true where a is NaN (false for integers)",
        Typing::IsNan,
    ),
    b(
        "where",
        3..=3,
        "where(c, a, b): a where c is true, else b (both computed)",
        Typing::Where,
    ),
    b(
        "index",
        1..=1,
        "index(k): the output point's absolute index on core axis k",
        Typing::Axis,
    ),
    b(
        "shape",
        1..=1,
        "shape(k): the length of core axis k",
        Typing::Axis,
    ),
];

/// The builtin called `name`.
pub fn builtin(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

/// The builtins' names, in order.
pub fn builtin_names() -> impl Iterator<Item = &'static str> {
    BUILTINS.iter().map(|b| b.name)
}

/// The reductions and what each folds.
pub const REDUCTIONS: [(&str, &str); 6] = [
    (
        "sum",
        "sum(i in lo..=hi, ...) { e }: the sum of e over the ranges, folded left",
    ),
    (
        "prod",
        "prod(i in lo..=hi, ...) { e }: the product of e over the ranges, folded left",
    ),
    (
        "min",
        "min(i in lo..=hi, ...) { e }: the least e over the ranges",
    ),
    (
        "max",
        "max(i in lo..=hi, ...) { e }: the greatest e over the ranges",
    ),
    (
        "median",
        "median(i in lo..=hi, ...) { e }: the term at index n // 2 of the n terms sorted (scipy's median_filter)",
    ),
    (
        "rank",
        "rank(k, i in lo..=hi, ...) { e }: the term at index k of the terms sorted; -1 is the greatest (scipy's rank_filter)",
    ),
];

/// Whether `name` is a reduction.
pub fn is_reduction(name: &str) -> bool {
    REDUCTIONS.iter().any(|(r, _)| *r == name)
}

/// The reductions' names, in order.
pub fn reduction_names() -> impl Iterator<Item = &'static str> {
    REDUCTIONS.iter().map(|(r, _)| *r)
}

/// What reduction `name` folds.
pub fn reduction_doc(name: &str) -> Option<&'static str> {
    REDUCTIONS.iter().find(|(r, _)| *r == name).map(|(_, d)| *d)
}
