//! Source spans and diagnostics, and the one place they are rendered.
//!
//! Every stage of the front end returns what it could build plus a list of
//! `Diagnostic`s; none of them prints or panics. The runner renders them once,
//! at the edge, with the file name, `line:col` and a caret under the span.

use std::fmt;

/// A byte range in a kernel source text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
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
    pub message: String,
    pub span: Span,
    /// Text shown next to the caret; defaults to nothing.
    pub label: Option<String>,
    /// Extra lines after the snippet (`help: ...`).
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn new(message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            message: message.into(),
            span,
            label: None,
            notes: Vec::new(),
        }
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

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

/// Renders diagnostics as plain text: `error: msg`, then ` --> file:line:col`,
/// then the source line with a caret under the span. Uses ariadne's ASCII
/// renderer so the output is the same on every terminal and in every log.
pub fn render(file_name: &str, source: &str, diags: &[Diagnostic]) -> String {
    use ariadne::{CharSet, Config, Label, Report, ReportKind, Source};
    let mut out = Vec::new();
    for d in diags {
        let start = floor_char_boundary(source, d.span.start.min(source.len()));
        let end = floor_char_boundary(source, d.span.end.min(source.len())).max(start);
        // ariadne counts in chars; convert byte offsets.
        let cstart = source[..start].chars().count();
        let cend = cstart + source[start..end].chars().count();
        let (line, col) = line_col(source, start);
        let label_text = d.label.clone().unwrap_or_else(|| "here".to_string());
        let mut report =
            Report::build(ReportKind::Error, (file_name, cstart..cend.max(cstart + 1)))
                .with_config(
                    Config::default()
                        .with_color(false)
                        .with_char_set(CharSet::Ascii),
                )
                .with_message(format!("{} ({file_name}:{line}:{col})", d.message))
                .with_label(
                    Label::new((file_name, cstart..cend.max(cstart + 1))).with_message(label_text),
                );
        for n in &d.notes {
            report = report.with_note(n);
        }
        let _ = report
            .finish()
            .write((file_name, Source::from(source)), &mut out);
    }
    String::from_utf8_lossy(&out).into_owned()
}
