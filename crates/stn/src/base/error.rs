//! The library's error type: user mistakes, I/O failures and internal bugs
//! kept apart, each rendered as one clear message.
//!
//! - User errors (`Kernel`, `Usage`): the kernel text or the options are
//!   wrong; the message says what to change.
//! - Runtime failures (`Io`): a file could not be read or written (missing,
//!   corrupt, no permission); nothing in stn or the call is wrong. The
//!   system's `std::io::Error` is kept as the source, so a caller can tell
//!   "not found" from "permission denied" by its kind; a file whose content
//!   is wrong carries an `InvalidData` error.
//! - Bugs (`Internal`, and panics, which the runner's hook reports with
//!   `panic_message`): never the user's fault; the message says "this is a
//!   bug in stn" and how to report it.
//!
//! Messages are sentences without a leading `error: `; the runner adds it.
//! `docs/errors.md` lists the user and runtime errors, each with the test
//! that checks its message.

use std::fmt;

use crate::base::diag::{self, Diagnostic};

/// Everything that can go wrong in stn, by whose it is to fix.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Problems in kernel source, with spans; `rendered` shows the file
    /// name, `line:col` and a caret under each span.
    Kernel {
        /// The file name the diagnostics name.
        file: String,
        /// The text the spans point into.
        source: String,
        /// Every problem found, each with its span.
        diagnostics: Vec<Diagnostic>,
        /// The diagnostics rendered under their source lines.
        rendered: String,
    },
    /// A bad option, parameter, shape or dtype.
    Usage(String),
    /// A file could not be read or written.
    Io {
        /// Which file, and why, as one sentence.
        message: String,
        /// The system's error (`InvalidData` for a file whose content is wrong).
        source: std::io::Error,
    },
    /// A bug in stn: never the user's fault.
    Internal(String),
}

impl Error {
    /// Kernel errors in `source` (named `file`), rendered under their lines.
    pub fn kernel(file: &str, source: &str, diagnostics: Vec<Diagnostic>) -> Error {
        let rendered = diag::render(file, source, &diagnostics);
        Error::Kernel {
            file: file.to_string(),
            source: source.to_string(),
            diagnostics,
            rendered,
        }
    }

    /// A bad option, parameter, shape or dtype.
    pub fn usage(msg: impl Into<String>) -> Error {
        Error::Usage(msg.into())
    }

    /// A file could not be read or written: `message` says which and why.
    pub fn io(message: impl Into<String>, source: impl IoCause) -> Error {
        Error::Io {
            message: message.into(),
            source: source.into_io_error(),
        }
    }
}

/// What made a file unusable: the system's error, or a sentence about its
/// content (kept as an `InvalidData` error).
pub trait IoCause {
    /// The cause as a `std::io::Error`.
    fn into_io_error(self) -> std::io::Error;
}

impl IoCause for std::io::Error {
    fn into_io_error(self) -> std::io::Error {
        self
    }
}

impl IoCause for String {
    fn into_io_error(self) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidData, self)
    }
}

impl IoCause for &str {
    fn into_io_error(self) -> std::io::Error {
        self.to_string().into_io_error()
    }
}

/// An I/O error as a short sentence fragment, without Rust's debug noise:
/// "No such file or directory (os error 2)" -> "No such file or directory".
pub fn describe(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Kernel { rendered, .. } => {
                let text = rendered.trim_end();
                f.write_str(text.strip_prefix("error: ").unwrap_or(text))
            }
            Error::Usage(m) | Error::Io { message: m, .. } => f.write_str(m),
            Error::Internal(m) => write!(f, "internal error: {m} ({REPORT_A_BUG})"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// What every report of a bug ends with: that it is one, and how to report
/// it.
pub const REPORT_A_BUG: &str = "this is a bug in stn, not a problem with your kernel or data; \
     please report it with the kernel file, the command line and this message";

/// The runner's line for a panic: where it happened and what it said, as a
/// bug report, without the standard hook's "panicked" text or backtrace
/// hint.
pub fn panic_message(info: &std::panic::PanicHookInfo<'_>) -> String {
    let payload = info.payload();
    let what = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic with no message");
    let what = what.replace('\n', " ");
    let at = match info.location() {
        Some(at) => format!(" (at {}:{})", at.file(), at.line()),
        None => String::new(),
    };
    format!("error: {}", Error::Internal(format!("{what}{at}")))
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_keep_their_kind_and_say_which_file() {
        let e = Error::io(
            "cannot read `x.npy`: No such file or directory",
            std::io::Error::from(std::io::ErrorKind::NotFound),
        );
        let source = std::error::Error::source(&e).unwrap();
        let io = source.downcast_ref::<std::io::Error>().unwrap();
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
        assert_eq!(
            e.to_string(),
            "cannot read `x.npy`: No such file or directory"
        );
        let bad = Error::io(
            "cannot read `x.png`: not a valid PNG file",
            "not a valid PNG file",
        );
        assert!(
            matches!(&bad, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::InvalidData)
        );
    }

    #[test]
    fn messages_have_no_error_prefix() {
        assert_eq!(Error::usage("bad").to_string(), "bad");
        let bug = Error::Internal("x".into()).to_string();
        assert!(
            bug.starts_with("internal error: x (this is a bug in stn"),
            "{bug}"
        );
    }
}
