//! A compact, stable text form of the syntax tree, one item per line, for
//! snapshot tests and `--emit ast`. Spans are left out.
//!
//! ```text
//! (const K [[1 2] [3 4]])
//! (kernel blur (x s:f32) -> f32 boundary wrap {(let a (* s (index x (- 1)))) (+ a 1)})
//! ```
//!
//! Expressions are s-expressions: `(op lhs rhs)`, `(- e)`, `(index x i j)`,
//! `(call f a b)`, `(if c {then} {else})`, `(reduce sum (i lo hi) {body})`;
//! a block is `{lets... value}`; a list is `[a b]`.

use super::ast::*;
use std::fmt::Write;

/// The whole file, one line per item, each line ending in `\n`.
pub fn dump(file: &File) -> String {
    let mut out = String::new();
    for item in &file.items {
        match item {
            Item::Const(c) => {
                out.push_str("(const ");
                out.push_str(&c.name.name);
                out.push(' ');
                expr(&mut out, &c.value);
                out.push(')');
            }
            Item::Kernel(k) => kernel(&mut out, k),
        }
        out.push('\n');
    }
    out
}

/// One expression, on one line.
pub fn dump_expr(e: &Expr) -> String {
    let mut out = String::new();
    expr(&mut out, e);
    out
}

fn kernel(out: &mut String, k: &KernelDef) {
    out.push_str("(kernel ");
    out.push_str(&k.name.name);
    out.push_str(" (");
    for (i, p) in k.params.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&p.name.name);
        if let Some(t) = &p.dtype {
            out.push(':');
            out.push_str(&t.name);
        }
    }
    out.push(')');
    if let Some(t) = &k.output {
        out.push_str(" -> ");
        let names: Vec<&str> = t.types.iter().map(|n| n.name.as_str()).collect();
        match t.tuple {
            false => out.push_str(names[0]),
            true => {
                let _ = write!(out, "({})", names.join(" "));
            }
        }
    }
    if let Some(m) = &k.boundary {
        out.push_str(" boundary ");
        out.push_str(&m.name);
    }
    out.push(' ');
    block(out, &k.body);
    out.push(')');
}

fn block(out: &mut String, b: &Block) {
    out.push('{');
    for l in &b.lets {
        out.push_str("(let ");
        let names: Vec<&str> = l.names.iter().map(|n| n.name.as_str()).collect();
        match l.tuple {
            false => out.push_str(names[0]),
            true => {
                let _ = write!(out, "({})", names.join(" "));
            }
        }
        out.push(' ');
        expr(out, &l.value);
        out.push_str(") ");
    }
    expr(out, &b.value);
    out.push('}');
}

fn exprs(out: &mut String, es: &[Expr]) {
    for e in es {
        out.push(' ');
        expr(out, e);
    }
}

fn expr(out: &mut String, e: &Expr) {
    match &e.kind {
        ExprKind::Int(v) => {
            let _ = write!(out, "{v}");
        }
        // `{:?}` always shows a float as a float (`1.0`, not `1`).
        ExprKind::Float(v) => {
            let _ = write!(out, "{v:?}");
        }
        ExprKind::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        ExprKind::Name(n) => out.push_str(n),
        ExprKind::Index { base, indices } => {
            out.push_str("(index ");
            out.push_str(&base.name);
            exprs(out, indices);
            out.push(')');
        }
        ExprKind::Unary { op, operand } => {
            out.push('(');
            out.push_str(op.symbol());
            out.push(' ');
            expr(out, operand);
            out.push(')');
        }
        ExprKind::Binary { op, lhs, rhs } => {
            out.push('(');
            out.push_str(op.symbol());
            out.push(' ');
            expr(out, lhs);
            out.push(' ');
            expr(out, rhs);
            out.push(')');
        }
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => {
            out.push_str("(if ");
            expr(out, cond);
            out.push(' ');
            block(out, then);
            out.push(' ');
            block(out, otherwise);
            out.push(')');
        }
        ExprKind::Call { func, args } => {
            out.push_str("(call ");
            out.push_str(&func.name);
            exprs(out, args);
            out.push(')');
        }
        ExprKind::Reduce {
            op,
            args,
            vars,
            body,
        } => {
            out.push_str("(reduce ");
            out.push_str(&op.name);
            exprs(out, args);
            for v in vars {
                out.push_str(" (");
                out.push_str(&v.name.name);
                out.push(' ');
                expr(out, &v.lo);
                out.push(' ');
                expr(out, &v.hi);
                out.push(')');
            }
            out.push(' ');
            block(out, body);
            out.push(')');
        }
        ExprKind::Tuple(items) => {
            out.push_str("(tuple");
            exprs(out, items);
            out.push(')');
        }
        ExprKind::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                expr(out, item);
            }
            out.push(']');
        }
    }
}
