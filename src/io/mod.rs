//! The only modules that touch files: kernel sources and array formats.
//!
//! Outputs are written under a temporary name in the destination folder
//! and renamed into place only when complete, so a failed or interrupted
//! run never leaves a half-written file under the final name.

pub mod format;
pub mod image;
pub mod npy;
pub mod zarr;

use std::path::Path;

use crate::error::{Error, Result};

/// Reads a kernel source file.
pub fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| {
        Error::Io(format!(
            "cannot read `{}`: {}",
            path.display(),
            describe(&e)
        ))
    })
}

/// An I/O error as a short sentence fragment, without Rust's debug noise.
pub fn describe(e: &std::io::Error) -> String {
    let s = e.to_string();
    // "No such file or directory (os error 2)" -> "No such file or directory"
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}
