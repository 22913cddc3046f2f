//! Which format a path names. Reading and writing by slabs is
//! `stream::source` and `stream::sink`.

use std::path::Path;

use super::{image, zarr};
use stn::internals::error::Error;

/// A format stn reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Npy,
    Image,
    Zarr,
}

/// The format `spec` names, from its extension; `None` if unsupported.
pub fn format_of(spec: &str) -> Option<Format> {
    if image::is_image(spec) {
        return Some(Format::Image);
    }
    if zarr::is_zarr(Path::new(spec)) {
        return Some(Format::Zarr);
    }
    let ext = Path::new(spec)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("npy") => Some(Format::Npy),
        _ => None,
    }
}

/// The error for a path in no format stn knows.
pub fn unsupported(spec: &str) -> Error {
    Error::usage(format!(
        "`{spec}`: unsupported format; stn reads and writes .npy, Zarr arrays (a folder, \
         or a new one ending in .zarr), and PNG and TIFF images (a file, a glob like \
         'frames/*.png', or an output pattern like 'out/{{}}.png')"
    ))
}
