//! The syntax tree: what the parser builds, before any name or type is known.
//!
//! Every node carries the `Span` of the text it came from, so that each later
//! stage can point at the source when it reports a problem. Names of dtypes,
//! boundary modes, builtins and reductions are kept as plain identifiers here;
//! the checker resolves them, so that "unknown dtype" is a spanned diagnostic
//! like any other.

use crate::base::diag::Span;

/// A parsed `.stn` file: consts and kernels, in source order.
#[derive(Clone, Debug, PartialEq)]
pub struct File {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Const(ConstDef),
    Kernel(KernelDef),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// `const NAME = value;` where value is a number expression or a nested list.
#[derive(Clone, Debug, PartialEq)]
pub struct ConstDef {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

/// `kernel NAME(params) [-> DTYPE | -> (DTYPE, _, ...)] [boundary MODE] { ... }`
#[derive(Clone, Debug, PartialEq)]
pub struct KernelDef {
    pub name: Ident,
    pub params: Vec<Param>,
    /// The dtypes after `->`, unresolved.
    pub output: Option<Output>,
    /// The mode after `boundary`, unresolved.
    pub boundary: Option<Ident>,
    pub body: Block,
    pub span: Span,
}

/// `-> DTYPE`, or `-> (DTYPE, _, ...)` for a kernel with several outputs;
/// `_` keeps an output's default dtype.
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    pub types: Vec<Ident>,
    /// Written in parentheses (a tuple of outputs).
    pub tuple: bool,
    pub span: Span,
}

/// `NAME` (an array input) or `NAME: DTYPE` (a scalar given at run time).
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub dtype: Option<Ident>,
    pub span: Span,
}

/// `{ let a = ...; let b = ...; value }`
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub lets: Vec<Let>,
    pub value: Box<Expr>,
    pub span: Span,
}

/// `let NAME = value;`, or `let (a, b) = stage(...);` naming the outputs
/// of a stage with several (`_` drops one).
#[derive(Clone, Debug, PartialEq)]
pub struct Let {
    /// One name, or the names of a tuple.
    pub names: Vec<Ident>,
    /// Written in parentheses.
    pub tuple: bool,
    pub value: Expr,
    pub span: Span,
}

impl Let {
    /// The name a plain `let` binds (the first name of a tuple).
    pub fn name(&self) -> &Ident {
        &self.names[0]
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// An integer literal; always non-negative (a `-` is a unary operator).
    Int(i64),
    Float(f64),
    Bool(bool),
    Name(String),
    /// `x[i, j]`: relative access to an array, or absolute lookup in a const table.
    Index {
        base: Ident,
        indices: Vec<Expr>,
    },
    Unary {
        op: UnOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `if c { a } else { b }`; an `else if` chain nests in `otherwise`'s value.
    If {
        cond: Box<Expr>,
        then: Block,
        otherwise: Block,
    },
    /// A builtin (`min(a, b)`), a cast (`f32(e)`), or a stage (another kernel).
    Call {
        func: Ident,
        args: Vec<Expr>,
    },
    /// `sum(i in -1..=1, j in 0..=2) { body }`; `op` is `sum`, `prod`,
    /// `min`, `max`, `median`, or `rank` with its index first:
    /// `rank(1, i in -1..=1) { ... }`.
    Reduce {
        op: Ident,
        /// Plain arguments before the ranges: `rank`'s index.
        args: Vec<Expr>,
        vars: Vec<RangeVar>,
        body: Block,
    },
    /// `(a, b)`: a kernel's several outputs.
    Tuple(Vec<Expr>),
    /// `[a, b, c]`: only meaningful as (part of) a `const` table.
    List(Vec<Expr>),
}

/// `NAME in lo..=hi`
#[derive(Clone, Debug, PartialEq)]
pub struct RangeVar {
    pub name: Ident,
    pub lo: Expr,
    pub hi: Expr,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    /// `-e`
    Neg,
    /// `not e` (bool only)
    Not,
    /// `~e` (bitwise complement of integers; logical not of bool)
    BitNot,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    BitOr,
    BitXor,
    BitAnd,
    Shl,
    Shr,
    Add,
    Sub,
    Mul,
    /// `/`: true division
    Div,
    /// `//`: floor division
    FloorDiv,
    /// `%`: Python modulo (sign of the divisor)
    Mod,
    /// `**`
    Pow,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::BitOr => "|",
            BinOp::BitXor => "^",
            BinOp::BitAnd => "&",
            BinOp::Shl => "<<",
            BinOp::Shr => ">>",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::FloorDiv => "//",
            BinOp::Mod => "%",
            BinOp::Pow => "**",
        }
    }

    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
        )
    }
}

impl UnOp {
    pub fn symbol(self) -> &'static str {
        match self {
            UnOp::Neg => "-",
            UnOp::Not => "not",
            UnOp::BitNot => "~",
        }
    }
}

impl Block {
    /// Calls `f` on the block's `let` values, then its value.
    pub fn for_each_expr<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        for l in &self.lets {
            f(&l.value);
        }
        f(&self.value);
    }
}

/// A reduction's parts, borrowed (`Expr::reduction`).
pub struct Reduction<'a> {
    pub op: &'a Ident,
    pub args: &'a [Expr],
    pub vars: &'a [RangeVar],
    pub body: &'a Block,
}

impl Expr {
    /// The parts of a reduction; `None` for anything else.
    pub fn reduction(&self) -> Option<Reduction<'_>> {
        match &self.kind {
            ExprKind::Reduce {
                op,
                args,
                vars,
                body,
            } => Some(Reduction {
                op,
                args,
                vars,
                body,
            }),
            _ => None,
        }
    }

    /// The blocks directly inside: an `if`'s two branches, a reduction's
    /// body; none for anything else.
    pub fn blocks(&self) -> Vec<&Block> {
        match &self.kind {
            ExprKind::If {
                then, otherwise, ..
            } => vec![then, otherwise],
            ExprKind::Reduce { body, .. } => vec![body],
            _ => Vec::new(),
        }
    }

    /// Calls `f` on each direct sub-expression, in source order: operands,
    /// indices, arguments, a range's bounds, and the `let` values and
    /// value of each block inside. For walks that need no scopes.
    pub fn for_each_child<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        match &self.kind {
            ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_) | ExprKind::Name(_) => {}
            ExprKind::Index { indices: items, .. }
            | ExprKind::Call { args: items, .. }
            | ExprKind::Tuple(items)
            | ExprKind::List(items) => items.iter().for_each(f),
            ExprKind::Unary { operand, .. } => f(operand),
            ExprKind::Binary { lhs, rhs, .. } => {
                f(lhs);
                f(rhs);
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                f(cond);
                then.for_each_expr(f);
                otherwise.for_each_expr(f);
            }
            ExprKind::Reduce {
                args, vars, body, ..
            } => {
                args.iter().for_each(&mut *f);
                for v in vars {
                    f(&v.lo);
                    f(&v.hi);
                }
                body.for_each_expr(f);
            }
        }
    }

    pub fn new(kind: ExprKind, span: Span) -> Expr {
        Expr { kind, span }
    }

    pub fn binary(op: BinOp, lhs: Expr, rhs: Expr, span: Span) -> Expr {
        Expr::new(
            ExprKind::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            },
            span,
        )
    }

    pub fn unary(op: UnOp, operand: Expr, span: Span) -> Expr {
        Expr::new(
            ExprKind::Unary {
                op,
                operand: Box::new(operand),
            },
            span,
        )
    }
}
