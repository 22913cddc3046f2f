//! stn's errors as Python exceptions.
//!
//! The message is the library's (what the `stn` CLI prints after its
//! `error: `):
//! kernel errors keep their rendered source span (`file:line:col` and a
//! caret). The type follows what a Python user expects: problems in kernel
//! text raise `stn.KernelError` (a `ValueError`), or `stn.KernelTypeError`
//! (also a `TypeError`) when the kernel does not type-check for the dtypes
//! it was called with; a wrong number of arrays or wrong parameter names
//! raise `TypeError`, like a Python function called with the wrong
//! arguments; other bad options, shapes and values raise `ValueError`;
//! files `OSError` (`FileNotFoundError` and `PermissionError` where the
//! system says so); bugs in stn `RuntimeError`.

use pyo3::exceptions::{
    PyFileNotFoundError, PyOSError, PyPermissionError, PyRuntimeError, PyTypeError, PyValueError,
};
use pyo3::prelude::*;
use pyo3::types::PyType;
use stn::Error;

/// Where an error arose, which decides between `ValueError` and `TypeError`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// Loading or compiling a file: kernel errors are syntax or name errors.
    Compile,
    /// Calling a kernel; `arguments` is set when the caller passed the wrong
    /// number of arrays or the wrong parameter names (a `TypeError`).
    Call { arguments: bool },
}

/// `e` as a Python exception.
pub fn to_py(py: Python<'_>, e: Error, cx: Context) -> PyErr {
    let msg = e.to_string();
    match (e, cx) {
        (
            Error::Kernel {
                file,
                diagnostics,
                rendered,
                ..
            },
            cx,
        ) => {
            let name = match cx {
                Context::Compile => "KernelError",
                Context::Call { .. } => "KernelTypeError",
            };
            let err = ours(py, name, msg);
            // Where the first problem is: `file`, `line` and `column` (from
            // 1) as the message's `-->` line shows them, `span` as byte
            // offsets into the source.
            let value = err.value(py);
            let (line, column) = position(&rendered).unzip();
            let span = diagnostics.first().map(|d| (d.span.start, d.span.end));
            let set = || -> PyResult<()> {
                value.setattr("file", file)?;
                value.setattr("line", line)?;
                value.setattr("column", column)?;
                value.setattr("span", span)
            };
            let _ = set();
            err
        }
        (Error::Usage(_), Context::Call { arguments: true }) => PyTypeError::new_err(msg),
        (Error::Usage(_), _) => PyValueError::new_err(msg),
        (Error::Io { source, .. }, _) => match source.kind() {
            std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(msg),
            std::io::ErrorKind::PermissionDenied => PyPermissionError::new_err(msg),
            _ => PyOSError::new_err(msg),
        },
        // Internal errors, and kinds added later: a bug to report.
        _ => PyRuntimeError::new_err(msg),
    }
}

/// The line and column of the first ` --> FILE:LINE:COL` of a rendered
/// kernel error.
fn position(rendered: &str) -> Option<(usize, usize)> {
    let at = rendered
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("--> "))?;
    let mut parts = at.rsplitn(3, ':');
    let column = parts.next()?.trim().parse().ok()?;
    let line = parts.next()?.trim().parse().ok()?;
    Some((line, column))
}

/// An exception class defined by the package (`stn/_errors.py`).
fn ours(py: Python<'_>, name: &str, msg: String) -> PyErr {
    let ty = py
        .import("stn._errors")
        .and_then(|m| m.getattr(name))
        .and_then(|t| t.cast_into::<PyType>().map_err(PyErr::from));
    match ty {
        Ok(ty) => PyErr::from_type(ty, msg),
        // The package is broken; still say what went wrong.
        Err(_) => PyValueError::new_err(msg),
    }
}
