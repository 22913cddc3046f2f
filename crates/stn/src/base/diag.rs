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

/// How bad a diagnostic is: an error stops the kernel from compiling; a
/// warning is a kernel that compiles but probably does not do what its
/// author meant (an unused `let`, a read that only widens the footprint).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Severity {
    /// The kernel cannot run.
    #[default]
    Error,
    /// The kernel runs; the author should look.
    Warning,
}

impl Severity {
    /// `error` or `warning`, as rendered.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem found in kernel source: what is wrong, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// What is wrong, as one sentence.
    pub message: String,
    /// Where.
    pub span: Span,
    /// Error or warning.
    pub severity: Severity,
    /// Text shown next to the caret; defaults to nothing.
    pub label: Option<String>,
    /// Other places that explain this one (the opener of an unclosed
    /// bracket, the first definition of a duplicate), each with its label.
    pub related: Vec<(Span, String)>,
    /// Extra lines after the snippet (`help: ...`).
    pub notes: Vec<String>,
    /// Edits that fix it, each complete on its own: the language server's
    /// quick fixes, `stn check --message-format json`'s `fixes`.
    pub fixes: Vec<Fix>,
}

/// A machine-applicable fix: replace the text of `span` with
/// `replacement` (an empty span inserts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    /// What the fix does, as an editor shows it (`` replace with `total` ``).
    pub title: String,
    /// The text replaced.
    pub span: Span,
    /// The new text.
    pub replacement: String,
}

impl Diagnostic {
    /// An error with `message` at `span`.
    pub fn new(message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            message: message.into(),
            span,
            severity: Severity::Error,
            label: None,
            related: Vec::new(),
            notes: Vec::new(),
            fixes: Vec::new(),
        }
    }

    /// A warning with `message` at `span`.
    pub fn warning(message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::new(message, span)
        }
    }

    /// True for an error (not a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Adds a short label shown under the caret.
    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    /// Adds another place that explains this one, with its label.
    pub fn with_related(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.related.push((span, label.into()));
        self
    }

    /// Adds a note: what to do instead, or why.
    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// Adds a fix: `span`'s text replaced by `replacement`.
    pub fn with_fix(
        mut self,
        title: impl Into<String>,
        span: Span,
        replacement: impl Into<String>,
    ) -> Diagnostic {
        self.fixes.push(Fix {
            title: title.into(),
            span,
            replacement: replacement.into(),
        });
        self
    }

    /// Where one of `candidates` is close to `name` (written at `span`):
    /// the note `` help: did you mean `x`? `` and the fix that writes it.
    pub fn with_suggestion<'a>(
        self,
        name: &str,
        span: Span,
        candidates: impl IntoIterator<Item = &'a str>,
    ) -> Diagnostic {
        match crate::base::suggest::closest(name, candidates) {
            Some(c) => self
                .with_note(format!("help: did you mean `{c}`?"))
                .with_fix(format!("replace with `{c}`"), span, c),
            None => self,
        }
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
/// Related spans follow as their own snippets, marked with `-`. Written by
/// hand rather than with a report crate so the text is stable and easy to
/// assert on in tests.
pub fn render(file_name: &str, source: &str, diags: &[Diagnostic]) -> String {
    render_styled(file_name, source, diags, false)
}

/// `render`, with ANSI colours when `colour` is set (for a terminal): the
/// severity in red or yellow, the gutter in blue, the message in bold.
pub fn render_styled(file_name: &str, source: &str, diags: &[Diagnostic], colour: bool) -> String {
    use anstyle::{AnsiColor, Style};
    let paint = |style: Style, text: &str| -> String {
        if colour {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    };
    let bold = Style::new().bold();
    let blue = Style::new().bold().fg_color(Some(AnsiColor::Blue.into()));
    let mut out = String::new();
    for d in diags {
        let colour_of = |c: AnsiColor| Style::new().bold().fg_color(Some(c.into()));
        let (head, mark) = match d.severity {
            Severity::Error => (colour_of(AnsiColor::Red), '^'),
            Severity::Warning => (colour_of(AnsiColor::Yellow), '^'),
        };
        // One gutter width for every snippet of the diagnostic.
        let lines = std::iter::once(d.span)
            .chain(d.related.iter().map(|r| r.0))
            .map(|s| line_col(source, s.start).0);
        let gutter = " ".repeat(lines.max().unwrap_or(1).to_string().len());
        out.push_str(&paint(head, d.severity.name()));
        out.push_str(&paint(bold, &format!(": {}", d.message)));
        out.push('\n');
        let snip = Snippet {
            source,
            gutter: &gutter,
            blue: |t: &str| paint(blue, t),
        };
        snip.write(&mut out, "-->", file_name, d.span);
        let label = d.label.as_deref().unwrap_or_default();
        snip.mark(
            &mut out,
            d.span,
            &paint(head, &marks(mark, label, d.span, source)),
        );
        for (span, label) in &d.related {
            snip.write(&mut out, ":::", file_name, *span);
            let text = marks('-', label, *span, source);
            snip.mark(&mut out, *span, &paint(blue, &text));
        }
        for n in &d.notes {
            out.push_str(&format!("{gutter} {} note: {n}\n", paint(blue, "=")));
        }
    }
    out
}

/// Whether diagnostics written to standard error are coloured: on a
/// terminal, unless `NO_COLOR` is set to anything (no-color.org);
/// `CLICOLOR_FORCE` (not `0`) colours them anywhere.
pub fn colour_stderr() -> bool {
    use std::io::IsTerminal;
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0");
    if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        return false;
    }
    set("CLICOLOR_FORCE") || std::io::stderr().is_terminal()
}

/// The caret line's text after its padding: `^^^ label`.
fn marks(mark: char, label: &str, span: Span, source: &str) -> String {
    let (_, _, width) = shown(source, span);
    let sep = if label.is_empty() { "" } else { " " };
    format!("{}{sep}{label}", mark.to_string().repeat(width))
}

/// Where a span's first line is, cut for showing: the shown text, the
/// caret's column in it and the caret's width, and the line number.
fn shown(source: &str, span: Span) -> (String, usize, usize) {
    let start = floor_char_boundary(source, span.start.min(source.len()));
    let (_, col) = line_col(source, start);
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[start..]
        .find('\n')
        .map_or(source.len(), |i| start + i);
    let text = source[line_start..line_end].trim_end_matches('\r');
    let end = floor_char_boundary(source, span.end.min(line_end)).max(start);
    let width = source[start..end].chars().count().max(1);
    excerpt(text, col - 1, width)
}

/// Writes the source line of a span under a `--> file:line:col` header.
struct Snippet<'a, B: Fn(&str) -> String> {
    source: &'a str,
    gutter: &'a str,
    blue: B,
}

impl<B: Fn(&str) -> String> Snippet<'_, B> {
    fn write(&self, out: &mut String, arrow: &str, file_name: &str, span: Span) {
        let (line, col) = line_col(self.source, span.start);
        let (text, _, _) = shown(self.source, span);
        let g = self.gutter;
        let blue = &self.blue;
        out.push_str(&format!("{g}{} {file_name}:{line}:{col}\n", blue(arrow)));
        out.push_str(&format!("{g} {}\n", blue("|")));
        let number = format!("{line:>w$}", w = g.len());
        out.push_str(&format!("{} {text}\n", blue(&format!("{number} |"))));
    }

    /// The caret line: padding as wide as the text before the span (tabs
    /// kept, so the caret lines up in any terminal), then `marked`.
    fn mark(&self, out: &mut String, span: Span, marked: &str) {
        let (text, caret_col, _) = shown(self.source, span);
        let pad: String = text
            .chars()
            .take(caret_col)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        out.push_str(&format!(
            "{} {} {pad}{marked}\n",
            self.gutter,
            (self.blue)("|")
        ));
    }
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
