//! Source spans and diagnostics, and the one place they are rendered.
//!
//! Every stage of the front end returns what it could build plus a list of
//! `Diagnostic`s; none of them prints or panics. The runner renders them once,
//! at the edge, with the file name, `line:col` and a caret under the span.

use std::fmt;

/// A byte range in a kernel source text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// Byte offset of the first character.
    pub start: usize,
    /// Byte offset just past the last character.
    pub end: usize,
}

impl Span {
    /// The bytes `start..end`.
    pub const fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// One problem found in kernel source: what is wrong, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// What is wrong, as one sentence.
    pub message: String,
    /// Where.
    pub span: Span,
    /// Text shown next to the caret; defaults to nothing.
    pub label: Option<String>,
    /// Extra lines after the snippet (`help: ...`).
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// A diagnostic with `message` at `span`.
    pub fn new(message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            message: message.into(),
            span,
            label: None,
            notes: Vec::new(),
        }
    }

    /// Adds a short label shown under the caret.
    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    /// Adds a note: what to do instead, or why.
    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source[..floor_char_boundary(source, offset)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Renders diagnostics as plain text, the way rustc does:
///
/// ```text
/// error: unknown name `y`
///  --> blur.stn:2:5
///   |
/// 2 |     y[0, 0] + 1
///   |     ^ not defined
///   = note: ...
/// ```
///
/// Written by hand (about 30 lines) rather than with a report crate so the
/// text is stable, free of colour codes and easy to assert on in tests.
pub fn render(file_name: &str, source: &str, diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let start = floor_char_boundary(source, d.span.start.min(source.len()));
        let (line, col) = line_col(source, start);
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[start..]
            .find('\n')
            .map_or(source.len(), |i| start + i);
        let text = source[line_start..line_end].trim_end_matches('\r');
        let end = floor_char_boundary(source, d.span.end.min(line_end)).max(start);
        let width = source[start..end].chars().count().max(1);
        let (text, caret_col, width) = excerpt(text, col - 1, width);
        let gutter = " ".repeat(line.to_string().len());
        out.push_str(&format!("error: {}\n", d.message));
        out.push_str(&format!("{gutter}--> {file_name}:{line}:{col}\n"));
        out.push_str(&format!("{gutter} |\n"));
        out.push_str(&format!("{line} | {text}\n"));
        let pad: String = text
            .chars()
            .take(caret_col)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let label = d
            .label
            .as_deref()
            .map(|l| format!(" {l}"))
            .unwrap_or_default();
        out.push_str(&format!("{gutter} | {pad}{}{label}\n", "^".repeat(width)));
        for n in &d.notes {
            out.push_str(&format!("{gutter} = note: {n}\n"));
        }
    }
    out
}

/// Source lines longer than this many characters are shown cut down to
/// the part around the caret (a generated one-line kernel must not fill
/// the terminal with megabytes of source).
const MAX_SHOWN: usize = 120;

/// The part of `line` to show for a caret `width` characters wide at
/// character `col`: the whole line when it is short, otherwise a window
/// around the caret with `...` where text is left out. Returns the text,
/// the caret's column in it and the caret's width (cut to the window).
fn excerpt(line: &str, col: usize, width: usize) -> (String, usize, usize) {
    let len = line.chars().count();
    if len <= MAX_SHOWN {
        return (line.to_string(), col, width);
    }
    const BEFORE: usize = 40;
    let from = col.saturating_sub(BEFORE);
    let to = (from + MAX_SHOWN).min(len);
    let mut text: String = line.chars().skip(from).take(to - from).collect();
    let mut caret = col - from;
    if from > 0 {
        text.insert_str(0, "...");
        caret += 3;
    }
    if to < len {
        text.push_str("...");
    }
    (text, caret, width.min(to.saturating_sub(col)).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_points_at_the_span() {
        let src = "kernel k(x) {\n    y[0] + 1\n}\n";
        let d = Diagnostic::new("unknown name `y`", Span::new(18, 19)).with_label("not defined");
        let text = render("k.stn", src, &[d]);
        assert_eq!(
            text,
            "error: unknown name `y`\n --> k.stn:2:5\n  |\n2 |     y[0] + 1\n  |     ^ not defined\n"
        );
    }
}
