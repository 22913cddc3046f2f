//! Arbitrary bytes as a kernel file: parsing, checking and compiling never
//! panic, and every diagnostic's span lies inside the source.
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

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
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
