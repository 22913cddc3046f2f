//! Formatting: the document as `syntax::fmt` lays it out, as one edit
//! replacing the whole text. A text that does not parse is left alone:
//! no edit, and no error (the diagnostics already say what is wrong).

/// The formatted text, or `None` when it does not parse or is already
/// formatted.
pub fn format(text: &str) -> Option<String> {
    let formatted = stn::internals::syntax::fmt::format(text).ok()?;
    (formatted != text).then_some(formatted)
}
