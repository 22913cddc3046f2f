//! A stable text form of the IR, for `stn inspect --emit ir` and snapshots.
//!
//! ```text
//! func blur(x0: u8; p0: f64) -> u8, ndim 2, footprint [-1..1, 0..0]
//!   v0:u8 = load x0[-1, 0]
//!   v1:i64 = cast v0
//!   v2:f64 = param p0
//!   v3:i64 = add v1, v1
//!   return v3
//! ```
//!
//! Every instruction is printed, live or not; floats print in Rust's
//! shortest round-trip form (`NaN`, `inf`, `-0.0`).

use crate::base::ops::{BinaryOp, UnaryOp};
use crate::base::scalar::Scalar;
use crate::ir::{Func, Op};
use std::fmt::Write;

/// The text form of `func`; one instruction per line.
pub fn print(func: &Func) -> String {
    let mut s = String::new();
    let list = |prefix: &str, ds: &[crate::base::dtype::DType]| {
        ds.iter()
            .enumerate()
            .map(|(i, d)| format!("{prefix}{i}: {d}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let fp: Vec<String> = (func.footprint.lo.iter().zip(&func.footprint.hi))
        .map(|(lo, hi)| format!("{lo}..{hi}"))
        .collect();
    let _ = writeln!(
        s,
        "func {}({}; {}) -> {}, ndim {}, footprint [{}]",
        func.name,
        list("x", &func.inputs),
        list("p", &func.params),
        func.out_dtypes
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        func.ndim,
        fp.join(", ")
    );
    for (i, inst) in func.insts.iter().enumerate() {
        let _ = writeln!(s, "  v{i}:{} = {}", inst.dtype, op_text(&inst.op));
    }
    let results: Vec<String> = func.results.iter().map(|v| format!("v{v}")).collect();
    let _ = writeln!(s, "  return {}", results.join(", "));
    s
}

fn op_text(op: &Op) -> String {
    match op {
        Op::Const(c) => format!("const {}", scalar_text(*c)),
        Op::Load { input, offset } => {
            let o: Vec<String> = offset.iter().map(i64::to_string).collect();
            format!("load x{input}[{}]", o.join(", "))
        }
        Op::Param(n) => format!("param p{n}"),
        Op::Index(k) => format!("index {k}"),
        Op::Shape(k) => format!("shape {k}"),
        Op::Cast(a) => format!("cast v{a}"),
        Op::Unary(op, a) => format!("{} v{a}", unary_name(*op)),
        Op::Binary(op, a, b) => format!("{} v{a}, v{b}", binary_name(*op)),
        Op::Select(c, a, b) => format!("select v{c}, v{a}, v{b}"),
        Op::Rank { k, terms } => {
            let t: Vec<String> = terms.iter().map(|v| format!("v{v}")).collect();
            format!("rank {k}, [{}]", t.join(", "))
        }
    }
}

fn scalar_text(s: Scalar) -> String {
    match s {
        Scalar::Bool(b) => b.to_string(),
        Scalar::Int(v) => v.to_string(),
        Scalar::U64(v) => v.to_string(),
        Scalar::F32(v) => format!("{v:?}"),
        Scalar::F64(v) => format!("{v:?}"),
    }
}

/// The mnemonic of a unary operation.
pub fn unary_name(op: UnaryOp) -> &'static str {
    use UnaryOp::*;
    match op {
        Neg => "neg",
        Not => "not",
        BitNot => "bitnot",
        Abs => "abs",
        Sqrt => "sqrt",
        Exp => "exp",
        Log => "log",
        Sin => "sin",
        Cos => "cos",
        Tan => "tan",
        Tanh => "tanh",
        Floor => "floor",
        Ceil => "ceil",
        Round => "round",
        IsNan => "isnan",
    }
}

/// The mnemonic of a binary operation.
pub fn binary_name(op: BinaryOp) -> &'static str {
    use BinaryOp::*;
    match op {
        Add => "add",
        Sub => "sub",
        Mul => "mul",
        Div => "div",
        FloorDiv => "floordiv",
        Mod => "mod",
        Pow => "pow",
        BitAnd => "bitand",
        BitOr => "bitor",
        BitXor => "bitxor",
        Shl => "shl",
        Shr => "shr",
        Min => "min",
        Max => "max",
        Hypot => "hypot",
        Eq => "eq",
        Ne => "ne",
        Lt => "lt",
        Le => "le",
        Gt => "gt",
        Ge => "ge",
        And => "and",
        Or => "or",
    }
}
