//! Byte offsets and LSP positions, both ways.
//!
//! The front end speaks byte offsets; LSP speaks (line, column) with the
//! column counted in the code units of the negotiated encoding: UTF-16 by
//! default, UTF-8 when the client offers it (then a column is a byte
//! count), UTF-32 (characters). Every conversion clamps: a position past
//! the end of its line is the line's end, a line past the last is the end
//! of the text, a column inside a character is the character's start, so
//! no position a client sends can point outside the text or into a
//! character.

use lsp_types::{Position, PositionEncodingKind, Range};

use stn::internals::diag::Span;

/// How a column counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Encoding {
    /// Bytes of UTF-8.
    Utf8,
    /// UTF-16 code units: LSP's default.
    #[default]
    Utf16,
    /// Characters.
    Utf32,
}

impl Encoding {
    /// The encoding to use among those a client offers (in its order of
    /// preference): UTF-8 when offered, since it needs no conversion; else
    /// UTF-16, which every client understands.
    pub fn negotiate(offered: Option<&[PositionEncodingKind]>) -> Encoding {
        match offered {
            Some(kinds) if kinds.contains(&PositionEncodingKind::UTF8) => Encoding::Utf8,
            _ => Encoding::Utf16,
        }
    }

    /// The encoding's name in the protocol.
    pub fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
            Encoding::Utf32 => PositionEncodingKind::UTF32,
        }
    }

    /// Code units of `c`.
    fn units(self, c: char) -> u32 {
        match self {
            Encoding::Utf8 => c.len_utf8() as u32,
            Encoding::Utf16 => c.len_utf16() as u32,
            Encoding::Utf32 => 1,
        }
    }

    /// Code units of `s`.
    pub fn len(self, s: &str) -> u32 {
        match self {
            Encoding::Utf8 => s.len() as u32,
            _ => s.chars().map(|c| self.units(c)).sum(),
        }
    }
}

/// Where each line of a text starts, for converting offsets.
#[derive(Clone, Debug)]
pub struct LineIndex {
    /// Byte offset of each line's first character; `starts[0]` is 0.
    starts: Vec<usize>,
    encoding: Encoding,
}

impl LineIndex {
    /// The lines of `text`, broken at `\n`, `\r\n` and a lone `\r` (the
    /// three line ends LSP counts).
    pub fn new(text: &str, encoding: Encoding) -> LineIndex {
        let mut starts = vec![0];
        let bytes = text.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            let end = b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
            if end {
                starts.push(i + 1);
            }
        }
        LineIndex { starts, encoding }
    }

    /// The encoding columns are counted in.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The LSP position of byte `offset` of `text` (clamped to the text
    /// and down to a character boundary).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = floor_boundary(text, offset.min(text.len()));
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let column = self.encoding.len(&text[start..offset]);
        Position::new(line as u32, column)
    }

    /// The byte offset of LSP position `pos` in `text`, clamped as the
    /// module says.
    pub fn offset(&self, text: &str, pos: Position) -> usize {
        let Some(&start) = self.starts.get(pos.line as usize) else {
            return text.len();
        };
        let end = self.line_end(text, pos.line as usize);
        let mut units = 0;
        for (i, c) in text[start..end].char_indices() {
            if units >= pos.character {
                return start + i;
            }
            units += self.encoding.units(c);
            if units > pos.character {
                // Inside a character: its start.
                return start + i;
            }
        }
        end
    }

    /// The LSP range of a span.
    pub fn range(&self, text: &str, span: Span) -> Range {
        Range::new(
            self.position(text, span.start),
            self.position(text, span.end),
        )
    }

    /// The span of an LSP range (its ends in order).
    pub fn span(&self, text: &str, range: Range) -> Span {
        let a = self.offset(text, range.start);
        let b = self.offset(text, range.end);
        Span::new(a.min(b), a.max(b))
    }

    /// Byte offset of the end of line `line`, before its line break.
    fn line_end(&self, text: &str, line: usize) -> usize {
        let next = self.starts.get(line + 1).copied().unwrap_or(text.len());
        let body = &text[self.starts[line]..next];
        let trimmed = body
            .strip_suffix("\r\n")
            .or_else(|| body.strip_suffix('\n'))
            .or_else(|| body.strip_suffix('\r'))
            .unwrap_or(body);
        self.starts[line] + trimmed.len()
    }
}

/// The largest character boundary of `s` at or before `i`.
pub fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns_count_surrogate_pairs() {
        let text = "a\u{1F600}b\né\r\nx";
        let idx = LineIndex::new(text, Encoding::Utf16);
        // `b` is after one 1-unit char and one 2-unit char.
        assert_eq!(idx.position(text, 5), Position::new(0, 3));
        assert_eq!(idx.offset(text, Position::new(0, 3)), 5);
        // Inside the surrogate pair: the emoji's start.
        assert_eq!(idx.offset(text, Position::new(0, 2)), 1);
        // Past the end of a CRLF line: before the `\r`.
        assert_eq!(idx.offset(text, Position::new(1, 99)), 9);
        assert_eq!(idx.offset(text, Position::new(2, 0)), 11);
        assert_eq!(idx.offset(text, Position::new(7, 0)), text.len());
        // An offset inside a character goes back to its start.
        assert_eq!(idx.position(text, 3), Position::new(0, 1));
    }

    #[test]
    fn utf8_columns_are_bytes() {
        let text = "é = 1";
        let idx = LineIndex::new(text, Encoding::Utf8);
        assert_eq!(idx.position(text, 2), Position::new(0, 2));
        assert_eq!(idx.offset(text, Position::new(0, 1)), 0);
        assert_eq!(idx.offset(text, Position::new(0, 2)), 2);
    }
}
