//! What the lexer skips, recovered: the whitespace and `#` comments between
//! tokens.
//!
//! The text between two consecutive tokens (a *gap*) holds only whitespace
//! and comments, since the lexer skips nothing else and the language has
//! no strings; a comment is `#` to the end of its line. Gap `g` lies before
//! token `g`: gap 0 before the first token, gap `n` after the last of `n`.

use crate::syntax::lexer::Lexer;
use crate::syntax::token::Tok;

/// One `#` comment, without its line break or trailing whitespace.
pub(super) struct Comment<'src> {
    pub text: &'src str,
    /// Nothing but whitespace before it on its line (or it opens the file).
    pub own_line: bool,
    /// At least one empty line between it and what precedes it.
    pub blank_before: bool,
}

/// The tokens of a source that lexed cleanly, and the trivia between them.
pub(super) struct Trivia<'src> {
    pub src: &'src str,
    /// Each token's kind and byte range.
    pub toks: Vec<(usize, Tok<'src>, usize)>,
    pub comments: Vec<Comment<'src>>,
    /// The comments of gap `g` are `comments[first[g]..first[g + 1]]`.
    first: Vec<usize>,
    /// Line breaks in each gap.
    newlines: Vec<u32>,
    /// Line breaks between each gap's last comment (or its start) and its end.
    newlines_after: Vec<u32>,
}

impl<'src> Trivia<'src> {
    /// The trivia of `src`; `None` if it does not lex (the parser has
    /// reported that already).
    pub fn new(src: &'src str) -> Option<Trivia<'src>> {
        let toks = Lexer::new(src).collect::<Result<Vec<_>, _>>().ok()?;
        let mut t = Trivia {
            src,
            comments: Vec::new(),
            first: Vec::with_capacity(toks.len() + 2),
            newlines: Vec::with_capacity(toks.len() + 1),
            newlines_after: Vec::with_capacity(toks.len() + 1),
            toks,
        };
        for g in 0..=t.toks.len() {
            let start = if g == 0 { 0 } else { t.toks[g - 1].2 };
            let end = t.toks.get(g).map_or(src.len(), |tok| tok.0);
            t.first.push(t.comments.len());
            t.scan_gap(&src[start..end], g == 0);
        }
        t.first.push(t.comments.len());
        Some(t)
    }

    fn scan_gap(&mut self, gap: &'src str, file_start: bool) {
        let mut breaks = 0u32;
        let mut total = 0u32;
        let mut first = true;
        let mut rest = gap;
        while let Some(at) = rest.find(['#', '\n']) {
            if rest.as_bytes()[at] == b'\n' {
                breaks += 1;
                total += 1;
                rest = &rest[at + 1..];
                continue;
            }
            let line = &rest[at..];
            let len = line.find('\n').unwrap_or(line.len());
            self.comments.push(Comment {
                text: line[..len].trim_end(),
                own_line: breaks > 0 || file_start || !first,
                blank_before: breaks >= 2,
            });
            first = false;
            breaks = 0;
            rest = &line[len..];
        }
        self.newlines.push(total);
        self.newlines_after.push(breaks);
    }

    /// The comments of gap `g`.
    pub fn comments_in(&self, g: usize) -> &[Comment<'src>] {
        match (self.first.get(g), self.first.get(g + 1)) {
            (Some(&a), Some(&b)) => &self.comments[a..b],
            _ => &[],
        }
    }

    /// How many comments gaps `from..=to` hold together.
    pub fn count(&self, from: usize, to: usize) -> usize {
        if from > to || to + 1 >= self.first.len() {
            return 0;
        }
        self.first[to + 1] - self.first[from]
    }

    /// Whether gap `g` holds a line break.
    pub fn breaks(&self, g: usize) -> bool {
        self.newlines.get(g).is_some_and(|&n| n > 0)
    }

    /// Whether an empty line separates gap `g`'s last comment (or its start)
    /// from the token after it.
    pub fn blank_after(&self, g: usize) -> bool {
        self.newlines_after.get(g).is_some_and(|&n| n >= 2)
    }

    /// The index of the token that starts at byte `pos`.
    pub fn at_start(&self, pos: usize) -> usize {
        self.toks.partition_point(|t| t.0 < pos)
    }

    /// The index of the token that ends at byte `pos`.
    pub fn at_end(&self, pos: usize) -> usize {
        self.toks.partition_point(|t| t.2 < pos)
    }

    pub fn is(&self, i: usize, tok: Tok<'_>) -> bool {
        self.toks.get(i).is_some_and(|t| t.1 == tok)
    }

    /// The source text of token `i`.
    pub fn text(&self, i: usize) -> &'src str {
        self.toks
            .get(i)
            .and_then(|t| self.src.get(t.0..t.2))
            .unwrap_or("")
    }

    /// The source text from the start of token `a` to the end of token `b`.
    pub fn slice(&self, a: usize, b: usize) -> &'src str {
        match (self.toks.get(a), self.toks.get(b)) {
            (Some(x), Some(y)) if x.0 <= y.2 => self.src.get(x.0..y.2).unwrap_or(""),
            _ => "",
        }
    }

    /// The column at which token `i` starts (see `width`).
    pub fn column(&self, i: usize) -> usize {
        let Some(&(pos, _, _)) = self.toks.get(i) else {
            return 0;
        };
        let before = self.src.get(..pos).unwrap_or("");
        width(before.rfind('\n').map_or(before, |at| &before[at + 1..]))
    }
}

/// How many columns `text` (no line break in it) takes: a tab 4, a form
/// feed none, any other character 1.
pub(super) fn width(text: &str) -> usize {
    text.chars()
        .map(|c| match c {
            '\t' => 4,
            '\x0c' => 0,
            _ => 1,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_land_in_their_gaps() {
        let t = Trivia::new("# head\n\nconst A = 1; # tail\n# own\n\n\nconst B = 2;").unwrap();
        assert_eq!(t.comments_in(0).len(), 1);
        assert!(t.comments_in(0)[0].own_line);
        assert!(t.blank_after(0));
        // `;` is token 4; the gap after it holds `# tail` and `# own`.
        let gap = t.comments_in(5);
        assert_eq!(gap.len(), 2);
        assert_eq!(gap[0].text, "# tail");
        assert!(!gap[0].own_line && gap[1].own_line && !gap[1].blank_before);
        assert!(t.blank_after(5));
        assert_eq!(t.count(0, 10), 3);
        assert_eq!(t.count(1, 4), 0);
    }

    #[test]
    fn token_lookup_by_position() {
        let t = Trivia::new("  let a = 1;").unwrap();
        assert_eq!(t.at_start(2), 0);
        assert_eq!(t.at_end(7), 1);
        assert_eq!(t.text(2), "=");
        assert_eq!(t.column(1), 6);
        assert!(!t.breaks(1) && t.comments_in(99).is_empty());
    }
}
