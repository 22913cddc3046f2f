//! The library's error type: user mistakes, I/O failures and internal bugs
//! kept apart, each rendered as one clear message.
//!
//! - User errors (`Kernel`, `Usage`): the kernel text or the options are
//!   wrong; the message says what to change.
//! - Runtime failures (`Io`): a file could not be read or written (missing,
//!   corrupt, no permission); nothing in stn or the command is wrong.
//! - Bugs (`Internal`, and panics, which the runner's hook reports with
//!   `panic_message`): never the user's fault; the message says "this is a
//!   bug in stn" and how to report it. `docs/errors.md` lists the user and
//!   runtime errors, each with the test that checks its message.

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
            Error::Internal(m) => f.write_str(&bug_report(m)),
        }
    }
}

/// What every report of a bug ends with: that it is one, and how to report
/// it.
pub const REPORT_A_BUG: &str = "this is a bug in stn, not a problem with your kernel or data; \
     please report it with the kernel file, the command line and this message";

/// The one-line message for a bug in stn: `Error::Internal`'s text and the
/// runner's panic hook's.
pub fn bug_report(what: impl fmt::Display) -> String {
    format!("error: internal error: {what} ({REPORT_A_BUG})")
}

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
    match info.location() {
        Some(at) => bug_report(format_args!("{what} (at {}:{})", at.file(), at.line())),
        None => bug_report(what),
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
