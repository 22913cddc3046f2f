//! The library's error type: user mistakes, I/O failures and internal bugs
//! kept apart, each rendered as one clear message.

use std::fmt;

use crate::diag::{self, Diagnostic};

#[derive(Debug)]
pub enum Error {
    /// Problems in kernel source, with spans; `rendered` already shows the
    /// file name, `line:col` and a caret under each span.
    Kernel {
        file: String,
        diagnostics: Vec<Diagnostic>,
        rendered: String,
    },
    /// A bad option, parameter, shape or dtype.
    Usage(String),
    /// A file could not be read or written.
    Io(String),
    /// A bug in stn: never the user's fault.
    Internal(String),
}

impl Error {
    pub fn kernel(file: &str, source: &str, diagnostics: Vec<Diagnostic>) -> Error {
        let rendered = diag::render(file, source, &diagnostics);
        Error::Kernel {
            file: file.to_string(),
            diagnostics,
            rendered,
        }
    }

    pub fn usage(msg: impl Into<String>) -> Error {
        Error::Usage(msg.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Already starts with `error: `; the caller adds nothing.
            Error::Kernel { rendered, .. } => f.write_str(rendered.trim_end()),
            Error::Usage(m) | Error::Io(m) => write!(f, "error: {m}"),
            Error::Internal(m) => write!(f, "error: internal error in stn (please report it): {m}"),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
