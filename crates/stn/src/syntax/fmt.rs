//! `stn fmt`: one layout for `.stn` files, comments kept.
//!
//! [`format`] guarantees, for any text that parses: the result parses to the
//! same tree (`dump` equal), holds every comment of the input in the same
//! order, and is its own result (`format(format(s)) == format(s)`). Text
//! that does not parse is refused with the parser's diagnostics. It never
//! panics, and its time is about linear in the text: every node is laid
//! out once, and a one-line attempt stops at the width.
//!
//! The layout, for a Rust or Python reader:
//!
//! - 4 spaces per level; lines of at most 100 columns where the rules below
//!   can make them so; one blank line between items (consecutive `const`s
//!   keep the user's choice), and at most one where the user left blank
//!   lines between `let`s or comments; none after `{` or before `}`.
//! - `kernel name(a, b: f32) -> (f32, _) boundary wrap {` on one line, the
//!   body's `let`s one per line, the value last, `}` on its own line.
//!   `const K = [[1, 2], [3, 4]];` on one line when it fits.
//! - One space around binary operators; unary `-` and `~` tight, `not x`;
//!   `x[-1, 0]`, `f(a, b)`, `i in -1..=1`; literals as written (`1e-3`).
//! - An `if` or a reduction stays on one line when it fits and has no `let`
//!   (`if c { a } else { b }`, `sum(i in -1..=1) { x[i] }`); otherwise
//!   `{`, its lines one level deeper, and `} else {` / `}`.
//! - **Parentheses**: every pair the user wrote is kept and none is added,
//!   so the tree cannot change (`(a * b) + c` stays as written).
//! - **Line breaks the user chose are kept** where a list or a chain of
//!   operators may break (the 3x3 grid of a stencil sum, one table row per
//!   line); others are dropped. A chain of one precedence (`a + b - c`)
//!   that is too long or broken by the user breaks before its operators,
//!   continuation lines one level deeper: at the user's breaks, and every
//!   part that still does not fit before each of its operators. Two
//!   operands, one of which can break inside its own brackets, hug
//!   instead: `(a + ... + i) // 9` breaks inside the parentheses.
//! - A call, tuple or list that is too long or broken by the user gets one
//!   item per line with a trailing comma, the closing bracket on its own
//!   line; a table (a list of equally long lists of plain values) one row
//!   per line with right-aligned columns. One-line lists lose trailing commas.
//! - Indices, reduction headers and kernel headers never break.
//! - **Comments**: a comment after code on its line stays at the end of that
//!   line, two spaces after it; a comment on its own line stays on its own
//!   line, indented as the next item, `let` or value (or the block's last
//!   line). A `let`, value, `const` or kernel header with a comment inside
//!   it (between the terms of a sum, say) is kept as the user wrote it,
//!   re-indented; blocks inside it are not part of it, so a comment in the
//!   body of an `if` or a reduction keeps only that body's `let` or value
//!   as written.

mod expr;
mod trivia;

use crate::base::diag::Diagnostic;
use crate::syntax::ast::{Block, Expr, ExprKind, File, Item, KernelDef, Let};
use crate::syntax::token::Tok;
use expr::{At, push_last};
use trivia::Trivia;

/// The widest line the layout aims for.
const WIDTH: usize = 100;
/// Spaces per level.
const INDENT: usize = 4;

/// `src` in the canonical layout, or the parser's diagnostics if it does
/// not parse.
pub fn format(src: &str) -> Result<String, Vec<Diagnostic>> {
    let (file, diags) = crate::syntax::parse(src);
    if !diags.is_empty() {
        return Err(diags);
    }
    let Some(t) = Trivia::new(src) else {
        // The parser lexes the same text; it would have complained.
        return Ok(src.to_string());
    };
    let mut p = Printer {
        marks: vec![0; t.toks.len() + 1],
        t,
    };
    p.mark_file(&file);
    Ok(p.file(&file))
}

fn spaces(n: usize) -> String {
    " ".repeat(n)
}

struct Printer<'src> {
    t: Trivia<'src>,
    /// `marks[i]`: how many of tokens `..i` are places the user broke a
    /// line (an operator with a line break beside it, the opening bracket
    /// of a list with one after a separator).
    marks: Vec<u32>,
}

/// A line of a block or of the file, with its comments around it.
enum Stmt<'a> {
    Item(&'a Item),
    Let(&'a Let),
    Value(&'a Expr),
}

impl Printer<'_> {
    /// The parentheses around `e` (not counting tokens before `floor`) and
    /// its own first and last tokens.
    fn outer(&self, e: &Expr, floor: usize) -> (usize, usize, usize) {
        let (i, j) = (self.t.at_start(e.span.start), self.t.at_end(e.span.end));
        let mut k = 0;
        while i > k + floor
            && self.t.is(i - k - 1, Tok::LParen)
            && self.t.is(j + k + 1, Tok::RParen)
        {
            k += 1;
        }
        (k, i, j)
    }

    fn is_broken(&self, tok: usize) -> bool {
        self.has_break(tok, tok)
    }

    fn has_break(&self, a: usize, b: usize) -> bool {
        let n = self.marks.len() - 1;
        self.marks[(b + 1).min(n)] > self.marks[a.min(n)]
    }

    /// Records the user's line breaks at the places a layout may break.
    fn mark_file(&mut self, file: &File) {
        let mut marked = vec![false; self.t.toks.len()];
        for item in &file.items {
            match item {
                Item::Const(c) => self.mark(&c.value, 0, &mut marked),
                Item::Kernel(k) => self.mark_block(&k.body, &mut marked),
            }
        }
        for (i, m) in marked.iter().enumerate() {
            self.marks[i + 1] = self.marks[i] + u32::from(*m);
        }
    }

    fn mark_block(&self, b: &Block, marked: &mut [bool]) {
        for l in &b.lets {
            self.mark(&l.value, 0, marked);
        }
        self.mark(&b.value, 0, marked);
    }

    fn mark(&self, e: &Expr, floor: usize, marked: &mut [bool]) {
        let t = &self.t;
        let (_, i, j) = self.outer(e, floor);
        let list = |items: &[Expr], open: usize, floor: usize, marked: &mut [bool]| {
            let mut broken = t.breaks(open + 1) || t.breaks(j);
            for item in items {
                let (k, _, end) = self.outer(item, floor);
                let after = end + k + 1;
                if t.is(after, Tok::Comma) {
                    broken |= t.breaks(after) || t.breaks(after + 1);
                }
                self.mark(item, floor, marked);
            }
            if broken && !items.is_empty() {
                marked[open] = true;
            }
        };
        match &e.kind {
            ExprKind::Binary { lhs, rhs, .. } => {
                let op = self.op_token(lhs);
                if t.breaks(op) || t.breaks(op + 1) {
                    marked[op] = true;
                }
                self.mark(lhs, 0, marked);
                self.mark(rhs, 0, marked);
            }
            ExprKind::Unary { operand, .. } => self.mark(operand, 0, marked),
            ExprKind::Call { args, .. } => list(args, i + 1, i + 2, marked),
            ExprKind::Tuple(items) | ExprKind::List(items) => list(items, i, 0, marked),
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                self.mark(cond, 0, marked);
                self.mark_block(then, marked);
                match self.else_if(otherwise) {
                    Some(inner) => self.mark(inner, 0, marked),
                    None => self.mark_block(otherwise, marked),
                }
            }
            ExprKind::Reduce { body, .. } => self.mark_block(body, marked),
            _ => {}
        }
    }

    /// The whole file.
    fn file(&self, file: &File) -> String {
        let stmts: Vec<Stmt> = file.items.iter().map(Stmt::Item).collect();
        let mut lines = Vec::new();
        self.sequence(&stmts, 0, self.t.toks.len(), &mut lines);
        if lines.is_empty() {
            return String::new();
        }
        let mut out = lines.join("\n");
        out.push('\n');
        out
    }

    /// The lines inside a block's braces, at `indent`.
    fn block_body(&self, b: &Block, indent: usize, lines: &mut Vec<String>) {
        let mut stmts: Vec<Stmt> = b.lets.iter().map(Stmt::Let).collect();
        stmts.push(Stmt::Value(&b.value));
        self.sequence(&stmts, indent, self.t.at_end(b.span.end), lines);
    }

    /// Statements one after another, each preceded by the comments of the
    /// gap before it; then the comments of `end_gap`.
    fn sequence(&self, stmts: &[Stmt], indent: usize, end_gap: usize, lines: &mut Vec<String>) {
        let start = lines.len();
        let mut prev_const = false;
        for (n, s) in stmts.iter().enumerate() {
            let (a, _) = self.range(s);
            let is_const = matches!(s, Stmt::Item(Item::Const(_)));
            let separate = matches!(s, Stmt::Item(_)) && n > 0 && !(prev_const && is_const);
            self.gap(a, indent, lines, start, separate);
            lines.extend(self.stmt(s, indent));
            prev_const = is_const;
        }
        self.gap(end_gap, indent, lines, start, false);
        // No blank line before `}` or the end of the file.
        while lines.len() > start && lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
    }

    /// The comments of gap `g`: the first at the end of the last line if the
    /// user wrote it there, the others on their own lines at `indent`.
    /// `separate` puts a blank line before them (between items).
    fn gap(&self, g: usize, indent: usize, lines: &mut Vec<String>, start: usize, separate: bool) {
        let mut separate = separate;
        for (n, c) in self.t.comments_in(g).iter().enumerate() {
            if n == 0 && !c.own_line && !lines.is_empty() {
                push_last(lines, &format!("  {}", c.text));
                continue;
            }
            if separate || c.blank_before {
                blank(lines, start);
            }
            separate = false;
            lines.push(format!("{}{}", spaces(indent), c.text));
        }
        if separate || self.t.blank_after(g) {
            blank(lines, start);
        }
    }

    /// The first and last token of a statement.
    fn range(&self, s: &Stmt) -> (usize, usize) {
        let span = match s {
            Stmt::Item(Item::Const(c)) => c.span,
            Stmt::Item(Item::Kernel(k)) => k.span,
            Stmt::Let(l) => l.span,
            Stmt::Value(e) => {
                let (k, i, j) = self.outer(e, 0);
                return (i - k, j + k);
            }
        };
        (self.t.at_start(span.start), self.t.at_end(span.end))
    }

    /// One statement's lines, each indented.
    fn stmt(&self, s: &Stmt, indent: usize) -> Vec<String> {
        let (a, b) = self.range(s);
        let pad = spaces(indent);
        let (head, value) = match s {
            Stmt::Item(Item::Kernel(k)) => return self.kernel(k),
            Stmt::Item(Item::Const(c)) => (format!("const {} = ", c.name.name), &c.value),
            Stmt::Let(l) => (format!("let {} = ", self.let_names(l)), &l.value),
            Stmt::Value(e) => (String::new(), *e),
        };
        if self.inner_comments(a, b, value) {
            return self.verbatim(a, b, indent);
        }
        let semi = usize::from(!matches!(s, Stmt::Value(_)));
        let mut lines = self.expr(
            value,
            0,
            At {
                col: indent + head.len(),
                indent,
                tail: semi,
            },
        );
        lines[0].insert_str(0, &format!("{pad}{head}"));
        if semi == 1 {
            push_last(&mut lines, ";");
        }
        lines
    }

    fn kernel(&self, k: &KernelDef) -> Vec<String> {
        let first = self.t.at_start(k.span.start);
        let brace = self.t.at_start(k.body.span.start);
        let mut lines = if self.t.count(first + 1, brace) > 0 {
            self.verbatim(first, brace, 0)
        } else {
            let params: Vec<String> = (k.params.iter())
                .map(|p| match &p.dtype {
                    Some(t) => format!("{}: {}", p.name.name, t.name),
                    None => p.name.name.clone(),
                })
                .collect();
            let mut head = format!("kernel {}({})", k.name.name, params.join(", "));
            if let Some(out) = &k.output {
                let names: Vec<&str> = out.types.iter().map(|t| t.name.as_str()).collect();
                match out.tuple {
                    true => head.push_str(&format!(" -> ({})", names.join(", "))),
                    false => head.push_str(&format!(" -> {}", names.join(", "))),
                }
            }
            if let Some(mode) = &k.boundary {
                head.push_str(&format!(" boundary {}", mode.name));
            }
            head.push_str(" {");
            vec![head]
        };
        self.block_body(&k.body, INDENT, &mut lines);
        lines.push("}".to_string());
        lines
    }

    /// `a` or `(a, b)`.
    fn let_names(&self, l: &Let) -> String {
        let names: Vec<&str> = l.names.iter().map(|n| n.name.as_str()).collect();
        match l.tuple {
            true => format!("({})", names.join(", ")),
            false => names.join(", "),
        }
    }

    /// Whether tokens `a..=b` (a statement holding `value`) have a comment
    /// between them outside the blocks that are laid out on their own.
    fn inner_comments(&self, a: usize, b: usize, value: &Expr) -> bool {
        let mut blocks = Vec::new();
        self.blocks(value, &mut blocks);
        let inside: usize = blocks.iter().map(|&(o, c)| self.t.count(o + 1, c)).sum();
        self.t.count(a + 1, b) > inside
    }

    /// The braces of the blocks in `e` that the layout prints line by line,
    /// outermost only.
    fn blocks(&self, e: &Expr, out: &mut Vec<(usize, usize)>) {
        let braces = |b: &Block| (self.t.at_start(b.span.start), self.t.at_end(b.span.end));
        match &e.kind {
            ExprKind::Binary { lhs, rhs, .. } => {
                self.blocks(lhs, out);
                self.blocks(rhs, out);
            }
            ExprKind::Unary { operand, .. } => self.blocks(operand, out),
            ExprKind::Call { args: items, .. } | ExprKind::Tuple(items) | ExprKind::List(items) => {
                for item in items {
                    self.blocks(item, out);
                }
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                self.blocks(cond, out);
                out.push(braces(then));
                match self.else_if(otherwise) {
                    Some(inner) => self.blocks(inner, out),
                    None => out.push(braces(otherwise)),
                }
            }
            ExprKind::Reduce { body, .. } => out.push(braces(body)),
            _ => {}
        }
    }

    /// Tokens `a..=b` as the user wrote them, the first line at `indent` and
    /// the others moved by as much (never left of `indent`; leading tabs
    /// count 4 columns and become spaces).
    fn verbatim(&self, a: usize, b: usize, indent: usize) -> Vec<String> {
        let col = self.t.column(a);
        let pad = spaces(indent);
        let mut lines = Vec::new();
        for (n, line) in self.t.slice(a, b).split('\n').enumerate() {
            let line = line.trim_end();
            if n == 0 {
                lines.push(format!("{pad}{line}"));
            } else if line.is_empty() {
                lines.push(String::new());
            } else {
                let rest = line.trim_start_matches([' ', '\t', '\x0c']);
                let lead = trivia::width(&line[..line.len() - rest.len()]);
                lines.push(format!("{pad}{}{rest}", spaces(lead.saturating_sub(col))));
            }
        }
        lines
    }
}

/// An empty line, unless there is one already or nothing since `start`.
fn blank(lines: &mut Vec<String>, start: usize) {
    if lines.len() > start && lines.last().is_some_and(|l| !l.is_empty()) {
        lines.push(String::new());
    }
}

#[cfg(test)]
mod tests {
    use super::format;

    fn fmt(src: &str) -> String {
        format(src).unwrap_or_else(|d| panic!("{src}: {d:?}"))
    }

    #[test]
    fn refuses_what_does_not_parse() {
        assert!(format("kernel k(x) { x[0] ").is_err());
        assert!(format("kernel k(x) { $ }").is_err());
    }

    #[test]
    fn empty_and_comment_only_files() {
        assert_eq!(fmt(""), "");
        assert_eq!(fmt("  \n\n"), "");
        assert_eq!(fmt("# a\n\n\n# b   \n"), "# a\n\n# b\n");
    }

    #[test]
    fn spacing_is_normalised() {
        assert_eq!(
            fmt("kernel k( x ,s:f32 )->f32 boundary  wrap{let a=-x[ -1,0 ]**2;a*s}"),
            "kernel k(x, s: f32) -> f32 boundary wrap {\n    let a = -x[-1, 0] ** 2;\n    a * s\n}\n"
        );
    }

    #[test]
    fn crlf_and_tabs_become_lf_and_spaces() {
        let src = "# a\r\nkernel k(x) {\r\n\tlet a = x[0] +  # b\r\n\t\tx[1];\r\n\ta\r\n}\r\n";
        let out = fmt(src);
        assert_eq!(
            out,
            "# a\nkernel k(x) {\n    let a = x[0] +  # b\n        x[1];\n    a\n}\n"
        );
        assert_eq!(fmt(&out), out);
    }

    #[test]
    fn call_parentheses_are_not_grouping() {
        assert_eq!(
            fmt("kernel k(x) { f32((x[0])) + f32(x[0]) }"),
            "kernel k(x) {\n    f32((x[0])) + f32(x[0])\n}\n"
        );
    }
}
