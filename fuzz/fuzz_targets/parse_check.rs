//! Arbitrary bytes as a kernel file: parsing, checking, compiling and the
//! language server's analyses never panic, and every diagnostic's span lies
//! inside the source.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stn::{DType, Error, Program};

fn spans_inside(e: &Error, len: usize) {
    if let Error::Kernel { diagnostics, .. } = e {
        assert!(!diagnostics.is_empty());
        for d in diagnostics {
            assert!(
                d.span.start <= d.span.end && d.span.end <= len,
                "{d:?} in {len} bytes"
            );
        }
    }
}

/// `stn lsp`'s answers on `text`: diagnostics, semantic tokens, and
/// hover, completion, definition and references at a few offsets (past
/// the end and inside characters too), in both position encodings.
fn lsp(text: &str) {
    use stn_lsp::position::{Encoding, LineIndex};
    use stn_lsp::tokens;
    use stn_lsp::{analysis::Analysis, completion, diagnostics, format, hover};
    let a = Analysis::new(text);
    let uri: lsp_types::Uri = "file:///fuzz.stn".parse().expect("a valid URI");
    let toks = tokens::tokens(&a);
    for enc in [Encoding::Utf8, Encoding::Utf16] {
        let lines = LineIndex::new(text, enc);
        diagnostics::to_lsp(&uri, text, &lines, a.diagnostics());
        tokens::encode(text, &lines, &toks);
    }
    let n = text.len();
    for offset in [0, n / 3, n / 2 + 1, n, n + 1] {
        hover::hover(&a, offset);
        completion::complete(&a, offset);
        if let Some(d) = a.definition(offset) {
            assert!(d.end <= n, "{d:?} in {n} bytes");
        }
        a.references(offset, true);
    }
    format::format(text);
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    lsp(text);
    match Program::from_source("fuzz.stn", text) {
        Err(e) => {
            assert!(matches!(e, Error::Kernel { .. }), "{e}");
            spans_inside(&e, text.len());
        }
        Ok(p) => {
            for k in p.kernels() {
                for dtype in [DType::F64, DType::I8, DType::U16, DType::Bool] {
                    if let Err(e) = stn::internals::specialize(k, &vec![dtype; k.inputs().len()]) {
                        assert!(!matches!(e, Error::Internal(_)), "{e}");
                        spans_inside(&e, text.len());
                    }
                }
            }
        }
    }
});
