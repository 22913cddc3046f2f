//! Expressions: on one line when they fit, else broken by the rules in the
//! module doc of `fmt`.
//!
//! A layout is a list of lines. The first is a fragment that continues the
//! line the caller has begun (at column `At::col`); the others are whole
//! lines, indented. Every choice depends only on the tree, the width and
//! the line breaks the user wrote beside operators and list separators, and
//! the output keeps each break it makes at such a place: so formatting
//! twice changes nothing.

use super::{INDENT, Printer, WIDTH, spaces};
use crate::syntax::ast::{BinOp, Block, Expr, ExprKind, UnOp};
use crate::syntax::token::Tok;

/// Where a layout starts and what must follow it.
#[derive(Clone, Copy)]
pub(super) struct At {
    /// Column of the first character.
    pub col: usize,
    /// Indentation of the line the expression starts on: continuation lines
    /// and block contents go one level deeper, closing brackets at it.
    pub indent: usize,
    /// Characters that follow the last line (`;`, `)`, ` // 9`).
    pub tail: usize,
}

/// A one-line rendering under construction, abandoned once it is longer
/// than `limit`.
struct Flat {
    out: String,
    limit: usize,
}

/// How tightly an operator binds (grammar/stn.lalrpop's order).
fn precedence(op: BinOp) -> u8 {
    match op {
        BinOp::Or => 1,
        BinOp::And => 2,
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 4,
        BinOp::BitOr => 5,
        BinOp::BitXor => 6,
        BinOp::BitAnd => 7,
        BinOp::Shl | BinOp::Shr => 8,
        BinOp::Add | BinOp::Sub => 9,
        BinOp::Mul | BinOp::Div | BinOp::FloorDiv | BinOp::Mod => 10,
        BinOp::Pow => 12,
    }
}

fn prefix(op: UnOp) -> &'static str {
    match op {
        UnOp::Neg => "-",
        UnOp::BitNot => "~",
        UnOp::Not => "not ",
    }
}

impl Printer<'_> {
    /// `e` (with the parentheses the user wrote around it) laid out at `at`.
    /// `floor` is the first token that may be one of those parentheses (past
    /// the `(` of a call whose only argument `e` is).
    pub(super) fn expr(&self, e: &Expr, floor: usize, at: At) -> Vec<String> {
        if let Some(line) = self.flat_fit(e, floor, at.col, at.tail) {
            return vec![line];
        }
        let (k, _, _) = self.outer(e, floor);
        let inner = At {
            col: at.col + k,
            tail: at.tail + k,
            ..at
        };
        let mut lines = self.bare(e, inner);
        if k > 0 {
            lines[0].insert_str(0, &"(".repeat(k));
            push_last(&mut lines, &")".repeat(k));
        }
        lines
    }

    /// `e` on one line, if it can be (no comment, no user break, no `let`
    /// inside) and fits between column `col` and `tail` characters before
    /// the width.
    pub(super) fn flat_fit(
        &self,
        e: &Expr,
        floor: usize,
        col: usize,
        tail: usize,
    ) -> Option<String> {
        let (k, i, j) = self.outer(e, floor);
        if !self.plain(i - k, j + k) {
            return None;
        }
        let mut f = Flat {
            out: String::new(),
            limit: WIDTH.saturating_sub(col + tail),
        };
        self.render(e, floor, &mut f).then_some(f.out)
    }

    /// `e` on one line whatever its length, `let`s included: for the
    /// places that never break (indices, reduction headers).
    fn forced(&self, e: &Expr, floor: usize, out: &mut String) {
        let mut f = Flat {
            out: std::mem::take(out),
            limit: usize::MAX,
        };
        self.render(e, floor, &mut f);
        *out = f.out;
    }

    /// Whether tokens `a..=b` hold neither a comment nor a user break.
    fn plain(&self, a: usize, b: usize) -> bool {
        self.t.count(a + 1, b) == 0 && !self.has_break(a, b)
    }

    fn render(&self, e: &Expr, floor: usize, f: &mut Flat) -> bool {
        if f.out.len() > f.limit {
            return false;
        }
        let (k, i, _) = self.outer(e, floor);
        for _ in 0..k {
            f.out.push('(');
        }
        let ok = self.render_bare(e, i, f);
        for _ in 0..k {
            f.out.push(')');
        }
        ok && f.out.len() <= f.limit
    }

    /// `e` without its own parentheses; `i` is its first token.
    fn render_bare(&self, e: &Expr, i: usize, f: &mut Flat) -> bool {
        let force = f.limit == usize::MAX;
        match &e.kind {
            ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_) | ExprKind::Name(_) => {
                // The literal as written: `1e-3` stays `1e-3`.
                f.out.push_str(self.t.text(i));
                true
            }
            ExprKind::Index { base, indices } => {
                f.out.push_str(&base.name);
                self.render_list(f, "[", indices, 0, "]")
            }
            ExprKind::Unary { op, operand } => {
                f.out.push_str(prefix(*op));
                self.render(operand, 0, f)
            }
            ExprKind::Binary { op, lhs, rhs } => {
                if !self.render(lhs, 0, f) {
                    return false;
                }
                f.out.push(' ');
                f.out.push_str(op.symbol());
                f.out.push(' ');
                self.render(rhs, 0, f)
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                f.out.push_str("if ");
                if !self.render(cond, 0, f) || !self.render_block(then, f, force) {
                    return false;
                }
                f.out.push_str(" else");
                match self.else_if(otherwise) {
                    Some(inner) => {
                        f.out.push(' ');
                        self.render(inner, 0, f)
                    }
                    None => self.render_block(otherwise, f, force),
                }
            }
            ExprKind::Call { func, args } => {
                f.out.push_str(&func.name);
                self.render_list(f, "(", args, i + 2, ")")
            }
            ExprKind::Reduce { .. } => {
                let Some(r) = e.reduction() else { return false };
                let (op, args, vars, body) = (r.op, r.args, r.vars, r.body);
                f.out.push_str(&op.name);
                f.out.push('(');
                for (n, a) in args.iter().enumerate() {
                    if n > 0 {
                        f.out.push_str(", ");
                    }
                    if !self.render(a, i + 2, f) {
                        return false;
                    }
                }
                for (n, v) in vars.iter().enumerate() {
                    if n > 0 || !args.is_empty() {
                        f.out.push_str(", ");
                    }
                    f.out.push_str(&v.name.name);
                    f.out.push_str(" in ");
                    if !self.render(&v.lo, 0, f) {
                        return false;
                    }
                    f.out.push_str("..=");
                    if !self.render(&v.hi, 0, f) {
                        return false;
                    }
                }
                f.out.push(')');
                self.render_block(body, f, force)
            }
            ExprKind::Tuple(items) => self.render_list(f, "(", items, 0, ")"),
            ExprKind::List(items) => self.render_list(f, "[", items, 0, "]"),
        }
    }

    fn render_list(
        &self,
        f: &mut Flat,
        open: &str,
        items: &[Expr],
        floor: usize,
        close: &str,
    ) -> bool {
        f.out.push_str(open);
        for (n, item) in items.iter().enumerate() {
            if n > 0 {
                f.out.push_str(", ");
            }
            if !self.render(item, floor, f) {
                return false;
            }
        }
        f.out.push_str(close);
        true
    }

    /// ` { value }`, or with `force`, ` { let a = ...; value }`.
    fn render_block(&self, b: &Block, f: &mut Flat, force: bool) -> bool {
        if !b.lets.is_empty() && !force {
            return false;
        }
        f.out.push_str(" { ");
        for l in &b.lets {
            f.out.push_str("let ");
            f.out.push_str(&self.let_names(l));
            f.out.push_str(" = ");
            self.render(&l.value, 0, f);
            f.out.push_str("; ");
        }
        let ok = self.render(&b.value, 0, f);
        f.out.push_str(" }");
        ok
    }

    /// `e`, without its own parentheses, broken over lines.
    fn bare(&self, e: &Expr, at: At) -> Vec<String> {
        let i = self.t.at_start(e.span.start);
        match &e.kind {
            ExprKind::Binary { .. } => self.chain(e, at),
            ExprKind::Unary { op, operand } => {
                let p = prefix(*op);
                let mut lines = self.expr(
                    operand,
                    0,
                    At {
                        col: at.col + p.len(),
                        ..at
                    },
                );
                lines[0].insert_str(0, p);
                lines
            }
            ExprKind::Call { func, args } if !args.is_empty() => {
                self.list(&format!("{}(", func.name), args, i + 2, ")", at)
            }
            ExprKind::Tuple(items) => self.list("(", items, 0, ")", at),
            ExprKind::List(items) if !items.is_empty() => self.list("[", items, 0, "]", at),
            ExprKind::If { .. } => self.if_lines(e, at),
            ExprKind::Reduce { .. } => self.reduce_lines(e, i, at),
            _ => {
                let mut f = Flat {
                    out: String::new(),
                    limit: usize::MAX,
                };
                self.render_bare(e, i, &mut f);
                vec![f.out]
            }
        }
    }

    /// A reduction over several lines: its head, its body's block, `}`.
    fn reduce_lines(&self, e: &Expr, i: usize, at: At) -> Vec<String> {
        let Some(r) = e.reduction() else {
            return Vec::new();
        };
        let (op, args, vars, body) = (r.op, r.args, r.vars, r.body);
        let mut head = format!("{}(", op.name);
        for (n, a) in args.iter().enumerate() {
            if n > 0 {
                head.push_str(", ");
            }
            self.forced(a, i + 2, &mut head);
        }
        for (n, v) in vars.iter().enumerate() {
            if n > 0 || !args.is_empty() {
                head.push_str(", ");
            }
            head.push_str(&v.name.name);
            head.push_str(" in ");
            self.forced(&v.lo, 0, &mut head);
            head.push_str("..=");
            self.forced(&v.hi, 0, &mut head);
        }
        head.push_str(") {");
        let mut lines = vec![head];
        self.block_body(body, at.indent + INDENT, &mut lines);
        lines.push(format!("{}}}", spaces(at.indent)));
        lines
    }

    /// `if c {`, the block, `} else {` (or `} else if ... {`), `}`.
    fn if_lines(&self, e: &Expr, at: At) -> Vec<String> {
        let ExprKind::If {
            cond,
            then,
            otherwise,
        } = &e.kind
        else {
            return vec![];
        };
        let mut lines = self.expr(
            cond,
            0,
            At {
                col: at.col + 3,
                indent: at.indent,
                tail: 2,
            },
        );
        lines[0].insert_str(0, "if ");
        push_last(&mut lines, " {");
        self.block_body(then, at.indent + INDENT, &mut lines);
        let pad = spaces(at.indent);
        match self.else_if(otherwise) {
            Some(inner) => {
                let mut rest = self.if_lines(
                    inner,
                    At {
                        col: at.indent + "} else ".len(),
                        ..at
                    },
                );
                if let Some(first) = rest.first_mut() {
                    first.insert_str(0, &format!("{pad}}} else "));
                }
                lines.extend(rest);
            }
            None => {
                lines.push(format!("{pad}}} else {{"));
                self.block_body(otherwise, at.indent + INDENT, &mut lines);
                lines.push(format!("{pad}}}"));
            }
        }
        lines
    }

    /// The `if` of an `else if`, which the tree keeps as a block without
    /// braces.
    pub(super) fn else_if<'e>(&self, b: &'e Block) -> Option<&'e Expr> {
        let starts_if = self.t.is(self.t.at_start(b.span.start), Tok::If);
        (b.lets.is_empty() && starts_if && matches!(b.value.kind, ExprKind::If { .. }))
            .then_some(&*b.value)
    }

    /// `open`, one item per line with a trailing comma, `close`; a table
    /// (a list of equally long lists of numbers) gets its columns aligned.
    fn list(&self, open: &str, items: &[Expr], floor: usize, close: &str, at: At) -> Vec<String> {
        let inner = at.indent + INDENT;
        let mut lines = vec![open.to_string()];
        match self.table(items, inner) {
            Some(rows) => lines.extend(rows),
            None => {
                for item in items {
                    let mut l = self.expr(
                        item,
                        floor,
                        At {
                            col: inner,
                            indent: inner,
                            tail: 1,
                        },
                    );
                    l[0].insert_str(0, &spaces(inner));
                    push_last(&mut l, ",");
                    lines.extend(l);
                }
            }
        }
        lines.push(format!("{}{close}", spaces(at.indent)));
        lines
    }

    /// The rows of a table with right-aligned columns, one per line, if
    /// `items` is one and every row fits.
    fn table(&self, items: &[Expr], indent: usize) -> Option<Vec<String>> {
        let mut cells: Vec<Vec<String>> = Vec::with_capacity(items.len());
        for row in items {
            let ExprKind::List(row_items) = &row.kind else {
                return None;
            };
            let (k, i, j) = self.outer(row, 0);
            let same_len = cells.first().is_none_or(|c| c.len() == row_items.len());
            if k > 0 || row_items.is_empty() || !same_len || !self.plain(i, j) {
                return None;
            }
            let mut texts = Vec::with_capacity(row_items.len());
            for cell in row_items {
                if matches!(cell.kind, ExprKind::List(_)) {
                    return None;
                }
                texts.push(self.flat_fit(cell, 0, indent, 0)?);
            }
            cells.push(texts);
        }
        let columns = cells.first()?.len();
        let widths: Vec<usize> = (0..columns)
            .map(|c| cells.iter().map(|r| r[c].len()).max().unwrap_or(0))
            .collect();
        let rows: Vec<String> = cells
            .iter()
            .map(|r| {
                let padded: Vec<String> = r
                    .iter()
                    .zip(&widths)
                    .map(|(t, &w)| format!("{t:>w$}"))
                    .collect();
                format!("{}[{}],", spaces(indent), padded.join(", "))
            })
            .collect();
        rows.iter().all(|r| r.len() <= WIDTH).then_some(rows)
    }

    /// A chain of operators of one precedence (`a + b - c`), broken before
    /// its operators: where the user broke it, else by `hug` or before
    /// every one. Parts of a user-broken chain that do not fit are broken
    /// before every operator in them.
    fn chain(&self, e: &Expr, at: At) -> Vec<String> {
        let (operands, ops) = self.flatten(e);
        let last = operands.len() - 1;
        let breaks: Vec<usize> = (1..=last)
            .filter(|&n| self.is_broken(ops[n - 1].1))
            .collect();
        if breaks.is_empty() {
            if let [lhs, rhs] = operands[..]
                && let Some(lines) = self.hug(lhs, ops[0].0, rhs, at)
            {
                return lines;
            }
            return self.each(&operands, &ops, 0, last, at, at.indent);
        }
        let cont = at.indent + INDENT;
        let mut lines: Vec<String> = Vec::new();
        let starts = std::iter::once(0).chain(breaks.iter().copied());
        let ends = breaks.iter().map(|&b| b - 1).chain(std::iter::once(last));
        for (s, t) in starts.zip(ends) {
            let tail = if t == last { at.tail } else { 0 };
            let seg_at = if s == 0 {
                At { tail, ..at }
            } else {
                At {
                    col: cont + ops[s - 1].0.symbol().len() + 1,
                    indent: cont,
                    tail,
                }
            };
            let mut seg = match self.flat_run(&operands[s..=t], &ops[s..t], seg_at) {
                Some(line) => vec![line],
                None => self.each(&operands, &ops, s, t, seg_at, at.indent),
            };
            if s > 0 {
                seg[0].insert_str(0, &format!("{}{} ", spaces(cont), ops[s - 1].0.symbol()));
            }
            lines.extend(seg);
        }
        lines
    }

    /// Operands `s..=t` of a chain, one per line, each continuation line
    /// starting with its operator one level deeper than `chain_indent`.
    fn each(
        &self,
        operands: &[&Expr],
        ops: &[(BinOp, usize)],
        s: usize,
        t: usize,
        first: At,
        chain_indent: usize,
    ) -> Vec<String> {
        let cont = chain_indent + INDENT;
        let tail = |n: usize| if n == t { first.tail } else { 0 };
        let mut lines = self.expr(
            operands[s],
            0,
            At {
                tail: tail(s),
                ..first
            },
        );
        for n in s + 1..=t {
            let sym = ops[n - 1].0.symbol();
            let mut l = self.expr(
                operands[n],
                0,
                At {
                    col: cont + sym.len() + 1,
                    indent: cont,
                    tail: tail(n),
                },
            );
            l[0].insert_str(0, &format!("{}{sym} ", spaces(cont)));
            lines.extend(l);
        }
        lines
    }

    /// Operands of a chain with their operators on one line, if they fit.
    fn flat_run(&self, operands: &[&Expr], ops: &[(BinOp, usize)], at: At) -> Option<String> {
        let (first, last) = (operands.first()?, operands.last()?);
        let (k, i, _) = self.outer(first, 0);
        let (m, _, j) = self.outer(last, 0);
        if !self.plain(i - k, j + m) {
            return None;
        }
        let mut f = Flat {
            out: String::new(),
            limit: WIDTH.saturating_sub(at.col + at.tail),
        };
        for (n, o) in operands.iter().enumerate() {
            if n > 0 {
                f.out.push(' ');
                f.out.push_str(ops[n - 1].0.symbol());
                f.out.push(' ');
            }
            if !self.render(o, 0, &mut f) {
                return None;
            }
        }
        Some(f.out)
    }

    /// Two operands, one of which breaks inside its own brackets while the
    /// other stays beside it: `(a + ... + i) // 9`, `c * (a + ... + e)`.
    fn hug(&self, lhs: &Expr, op: BinOp, rhs: &Expr, at: At) -> Option<Vec<String>> {
        let sym = op.symbol();
        if self.huggable(lhs)
            && let Some(r) = self.flat_fit(rhs, 0, 0, 0)
            && at.col + r.len() + sym.len() + 2 + at.tail < WIDTH
        {
            let suffix = format!(" {sym} {r}");
            let tail = at.tail + suffix.len();
            let mut lines = self.expr(lhs, 0, At { tail, ..at });
            push_last(&mut lines, &suffix);
            return Some(lines);
        }
        if self.huggable(rhs)
            && let Some(l) = self.flat_fit(lhs, 0, at.col, 0)
            && at.col + l.len() + sym.len() + 2 < WIDTH
        {
            let prefix = format!("{l} {sym} ");
            let col = at.col + prefix.len();
            let mut lines = self.expr(rhs, 0, At { col, ..at });
            lines[0].insert_str(0, &prefix);
            return Some(lines);
        }
        None
    }

    /// Whether `e` breaks inside brackets of its own.
    fn huggable(&self, e: &Expr) -> bool {
        self.outer(e, 0).0 > 0
            || match &e.kind {
                ExprKind::Call { args, .. } => !args.is_empty(),
                ExprKind::List(items) => !items.is_empty(),
                ExprKind::Tuple(_) | ExprKind::If { .. } | ExprKind::Reduce { .. } => true,
                _ => false,
            }
    }

    /// The operands of the chain `e` heads and its operators, each with its
    /// token: `a - b + c` gives `[a, b, c]` and `[-, +]`. Parenthesized
    /// operands end the chain; `**` chains to the right; comparisons do not
    /// chain.
    pub(super) fn flatten<'e>(&self, e: &'e Expr) -> (Vec<&'e Expr>, Vec<(BinOp, usize)>) {
        let mut operands = Vec::new();
        let mut ops = Vec::new();
        let ExprKind::Binary { op, .. } = &e.kind else {
            return (vec![e], ops);
        };
        let level = precedence(*op);
        if *op == BinOp::Pow {
            let mut cur = e;
            while let ExprKind::Binary {
                op: BinOp::Pow,
                lhs,
                rhs,
            } = &cur.kind
            {
                operands.push(&**lhs);
                ops.push((BinOp::Pow, self.op_token(lhs)));
                let grouped = self.outer(rhs, 0).0 > 0;
                if grouped || !matches!(rhs.kind, ExprKind::Binary { op: BinOp::Pow, .. }) {
                    operands.push(&**rhs);
                    break;
                }
                cur = rhs;
            }
            return (operands, ops);
        }
        let mut rhs_first = Vec::new();
        let mut cur = e;
        while let ExprKind::Binary { op, lhs, rhs } = &cur.kind {
            if precedence(*op) != level || (!std::ptr::eq(cur, e) && self.outer(cur, 0).0 > 0) {
                break;
            }
            rhs_first.push((&**rhs, *op, self.op_token(lhs)));
            cur = lhs;
            if op.is_comparison() {
                break;
            }
        }
        operands.push(cur);
        for (rhs, op, tok) in rhs_first.into_iter().rev() {
            ops.push((op, tok));
            operands.push(rhs);
        }
        (operands, ops)
    }

    /// The operator token after the left operand `lhs`.
    pub(super) fn op_token(&self, lhs: &Expr) -> usize {
        let (k, _, j) = self.outer(lhs, 0);
        j + k + 1
    }
}

/// Appends `s` to the last line.
pub(super) fn push_last(lines: &mut [String], s: &str) {
    if let Some(last) = lines.last_mut() {
        last.push_str(s);
    }
}
