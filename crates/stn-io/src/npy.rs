//! `.npy` inputs: memory-mapped and validated (C or Fortran order, any of
//! the 11 dtypes). Outputs are written by `stream::sink::NpySink`.
//!
//! Parsing and validation are `ndarray-npy`'s; this module only picks the
//! element type and keeps the mapping alive as long as the view.

use std::fs::File;
use std::path::{Path, PathBuf};

use memmap2::Mmap;
use ndarray::ArrayViewD;
use ndarray_npy::{ViewNpyError, ViewNpyExt};

use stn::internals::array::ArrayRef;
use stn::internals::dtype::DType;
use stn::internals::error::{Error, Result};
use stn::internals::error::{IoCause, describe};

/// A memory-mapped `.npy` input.
pub struct NpyInput {
    path: PathBuf,
    map: Mmap,
    dtype: DType,
    shape: Vec<usize>,
    /// Byte offset of element `[0, .., 0]` in the mapping, and byte strides.
    offset: usize,
    strides: Vec<isize>,
}

impl NpyInput {
    /// Opens and validates `path`.
    pub fn open(path: &Path) -> Result<NpyInput> {
        let bad = |why: std::io::Error| {
            Error::io(
                format!("cannot read `{}`: {}", path.display(), describe(&why)),
                why,
            )
        };
        let file = File::open(path).map_err(bad)?;
        // SAFETY: the mapping is read-only; stn never writes to its inputs. Another
        // process truncating the file while it runs is outside what we can guard.
        let map = unsafe { Mmap::map(&file) }.map_err(bad)?;
        let mut found = None;
        let mut unsupported = None;
        for dtype in DType::ALL {
            let r: std::result::Result<(Vec<usize>, usize, Vec<isize>), ViewNpyError> = stn::with_element_type!(dtype, T => {
                ArrayViewD::<T>::view_npy(&map).map(|v| {
                    let size = std::mem::size_of::<T>() as isize;
                    let offset = v.as_ptr() as usize - map.as_ptr() as usize;
                    (v.shape().to_vec(), offset, v.strides().iter().map(|s| s * size).collect())
                })
            });
            match r {
                Ok(x) => {
                    found = Some((dtype, x));
                    break;
                }
                Err(ViewNpyError::WrongDescriptor(d)) => unsupported = Some(d.to_string()),
                Err(e) => return Err(bad(npy_error(e))),
            }
        }
        let Some((dtype, (shape, offset, strides))) = found else {
            return Err(bad(format!(
                "unsupported dtype {}; stn reads bool, int8..int64, uint8..uint64, float32, float64",
                unsupported.unwrap_or_default()
            )
            .into_io_error()));
        };
        Ok(NpyInput {
            path: path.to_path_buf(),
            map,
            dtype,
            shape,
            offset,
            strides,
        })
    }

    /// Byte offset of the data in the file when it is in C order (then
    /// rows of axis 0 are contiguous runs of bytes).
    pub fn c_order_data_offset(&self) -> Option<usize> {
        let size = self.dtype.size() as isize;
        let mut expect = size;
        for (&n, &s) in self.shape.iter().zip(&self.strides).rev() {
            if n > 1 && s != expect {
                return None;
            }
            expect *= n as isize;
        }
        Some(self.offset)
    }

    /// Drops data bytes `bytes` (counted from the start of the data) from
    /// this process's memory; they are read again from the file if touched.
    /// Only a hint: errors are ignored.
    pub fn release(&self, bytes: std::ops::Range<usize>) {
        let start = (self.offset + bytes.start).min(self.map.len());
        let len = (self.offset + bytes.end).min(self.map.len()) - start;
        if len > 0 {
            // SAFETY: the mapping is read-only and shared: dropped pages
            // read back the same bytes from the file on the next touch.
            let _ = unsafe {
                self.map
                    .unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, len)
            };
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn view(&self) -> ArrayRef<'_> {
        // SAFETY: ndarray-npy validated that shape and strides address
        // elements of `dtype` inside the mapping, which lives as long as `self`.
        unsafe {
            ArrayRef::from_raw(
                self.map.as_ptr().add(self.offset),
                self.dtype,
                self.shape.clone(),
                self.strides.clone(),
            )
        }
    }
}

fn npy_error(e: ViewNpyError) -> std::io::Error {
    let why = match e {
        ViewNpyError::Io(e) => return e,
        ViewNpyError::ParseHeader(e) => format!("not a valid .npy file ({e})"),
        ViewNpyError::NonNativeEndian => "big-endian data is not supported".to_string(),
        ViewNpyError::MissingBytes(n) => {
            format!("the file is truncated ({n} bytes of data missing)")
        }
        ViewNpyError::ExtraBytes(n) => format!("the file has {n} unexpected bytes after the data"),
        ViewNpyError::InvalidData(e) => format!("invalid data ({e})"),
        other => format!("not a valid .npy file ({other})"),
    };
    why.into_io_error()
}
