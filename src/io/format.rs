//! Which format a path names, and opening inputs / creating outputs in it.
//!
//! `.npy` inputs are memory-mapped and outputs written in place into a
//! full-size temporary file. Images (PNG, TIFF, globs, `{}` patterns) and
//! Zarr arrays (v2 and v3 in, v3 out) are read whole into memory, and outputs
//! are computed in memory and written at `commit`, under a temporary name
//! first.

use std::path::{Path, PathBuf};

use super::npy::{NpyInput, NpyOutput};
use super::{image, zarr};
use crate::array::{ArrayMut, ArrayRef, DynArray};
use crate::error::{Error, Result};
use crate::types::dtype::DType;

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

fn unsupported(spec: &str) -> Error {
    Error::usage(format!(
        "`{spec}`: unsupported format; stn reads and writes .npy, Zarr arrays (a folder, \
         or a new one ending in .zarr), and PNG and TIFF images (a file, a glob like \
         'frames/*.png', or an output pattern like 'out/{{}}.png')"
    ))
}

/// An opened input array.
pub enum Input {
    Npy(NpyInput),
    Memory(DynArray),
}

impl Input {
    /// Opens `spec` (a path, or for images a glob).
    pub fn open(spec: &str) -> Result<Input> {
        match format_of(spec) {
            Some(Format::Npy) => Ok(Input::Npy(NpyInput::open(Path::new(spec))?)),
            Some(Format::Image) => Ok(Input::Memory(image::read(spec)?)),
            Some(Format::Zarr) => Ok(Input::Memory(zarr::read(Path::new(spec))?)),
            None => Err(unsupported(spec)),
        }
    }

    pub fn view(&self) -> ArrayRef<'_> {
        match self {
            Input::Npy(n) => n.view(),
            Input::Memory(a) => a.view(),
        }
    }
}

/// An output being produced; nothing appears under its final name before
/// `commit`.
pub enum Output {
    Npy(NpyOutput),
    Image { spec: String, array: DynArray },
    Zarr { path: PathBuf, array: DynArray },
}

impl Output {
    /// Prepares `spec` for an array of `dtype` and `shape`. Checks what can
    /// be checked before computing (format, folder).
    pub fn create(spec: &str, dtype: DType, shape: &[usize]) -> Result<Output> {
        match format_of(spec) {
            Some(Format::Npy) => Ok(Output::Npy(NpyOutput::create(
                Path::new(spec),
                dtype,
                shape,
            )?)),
            Some(format) => {
                let dir: PathBuf = match Path::new(spec).parent() {
                    Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                    _ => PathBuf::from("."),
                };
                if !dir.is_dir() {
                    return Err(Error::Io(format!(
                        "cannot write `{spec}`: no folder `{}`",
                        dir.display()
                    )));
                }
                let array = DynArray::zeros(dtype, shape);
                Ok(match format {
                    Format::Zarr => Output::Zarr {
                        path: PathBuf::from(spec),
                        array,
                    },
                    _ => Output::Image {
                        spec: spec.to_string(),
                        array,
                    },
                })
            }
            None => Err(unsupported(spec)),
        }
    }

    pub fn view_mut(&mut self) -> ArrayMut<'_> {
        match self {
            Output::Npy(n) => n.view_mut(),
            Output::Image { array, .. } | Output::Zarr { array, .. } => array.view_mut(),
        }
    }

    /// Writes what is still in memory and moves everything into place.
    pub fn commit(self) -> Result<()> {
        match self {
            Output::Npy(n) => n.commit(),
            Output::Image { spec, array } => image::write(&spec, array.view()),
            Output::Zarr { path, array } => zarr::write(&path, array.view(), None),
        }
    }
}
