//! `.npy` files: inputs are memory-mapped and viewed in place (C or
//! Fortran order, any of the 11 dtypes); outputs are created at full size
//! under a temporary name, memory-mapped, filled, and renamed into place.
//!
//! Parsing and validation are `ndarray-npy`'s; this module only picks the
//! element type and keeps the mapping alive as long as the view.

use std::fs::File;
use std::path::{Path, PathBuf};

use memmap2::{Mmap, MmapMut};
use ndarray::{ArrayViewD, ArrayViewMutD};
use ndarray_npy::{ViewMutNpyExt, ViewNpyError, ViewNpyExt, WritableElement, write_zeroed_npy};

use super::describe;
use crate::array::{ArrayMut, ArrayRef};
use crate::error::{Error, Result};
use crate::types::dtype::DType;

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
        let bad = |why: String| Error::Io(format!("cannot read `{}`: {why}", path.display()));
        let file = File::open(path).map_err(|e| bad(describe(&e)))?;
        // SAFETY: the mapping is read-only; stn never writes to its inputs. Another
        // process truncating the file while it runs is outside what we can guard.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| bad(describe(&e)))?;
        let mut found = None;
        let mut unsupported = None;
        for dtype in DType::ALL {
            let r: std::result::Result<(Vec<usize>, usize, Vec<isize>), ViewNpyError> = crate::with_element_type!(dtype, T => {
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
            )));
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

fn npy_error(e: ViewNpyError) -> String {
    match e {
        ViewNpyError::Io(e) => describe(&e),
        ViewNpyError::ParseHeader(e) => format!("not a valid .npy file ({e})"),
        ViewNpyError::NonNativeEndian => "big-endian data is not supported".to_string(),
        ViewNpyError::MissingBytes(n) => {
            format!("the file is truncated ({n} bytes of data missing)")
        }
        ViewNpyError::ExtraBytes(n) => format!("the file has {n} unexpected bytes after the data"),
        ViewNpyError::InvalidData(e) => format!("invalid data ({e})"),
        other => format!("not a valid .npy file ({other})"),
    }
}

/// A `.npy` output being written: a full-size file under a temporary name.
pub struct NpyOutput {
    path: PathBuf,
    temp: tempfile::NamedTempFile,
    map: MmapMut,
    dtype: DType,
    shape: Vec<usize>,
    offset: usize,
}

impl NpyOutput {
    /// Creates the temporary file beside `path`, sized for the array.
    pub fn create(path: &Path, dtype: DType, shape: &[usize]) -> Result<NpyOutput> {
        let bad = |why: String| Error::Io(format!("cannot write `{}`: {why}", path.display()));
        if path.is_dir() {
            return Err(bad("it is a directory".to_string()));
        }
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(".stn-")
            .suffix(".npy.part")
            .tempfile_in(&dir)
            .map_err(|e| bad(describe(&e)))?;
        crate::with_element_type!(dtype, T => zeroed::<T>(temp.as_file(), shape))
            .map_err(|e| bad(e.to_string()))?;
        // SAFETY: the file is ours (just created, unique name) and not shared.
        let mut map = unsafe { MmapMut::map_mut(temp.as_file()) }.map_err(|e| bad(describe(&e)))?;
        let offset = crate::with_element_type!(dtype, T => {
            ArrayViewMutD::<T>::view_mut_npy(&mut map).map(|mut v| v.as_mut_ptr() as usize)
        })
        .map_err(|e| Error::Internal(format!("cannot view the new .npy file: {e}")))?
            - map.as_ptr() as usize;
        Ok(NpyOutput {
            path: path.to_path_buf(),
            temp,
            map,
            dtype,
            shape: shape.to_vec(),
            offset,
        })
    }

    pub fn view_mut(&mut self) -> ArrayMut<'_> {
        let size = self.dtype.size() as isize;
        let mut strides = vec![size; self.shape.len()];
        for k in (0..self.shape.len().saturating_sub(1)).rev() {
            strides[k] = strides[k + 1] * self.shape[k + 1] as isize;
        }
        // SAFETY: a C-order array of `shape` fills the mapping after the header.
        unsafe {
            ArrayMut::from_raw(
                self.map.as_mut_ptr().add(self.offset),
                self.dtype,
                self.shape.clone(),
                strides,
            )
        }
    }

    /// Flushes the data and renames the file to its final name.
    pub fn commit(self) -> Result<()> {
        let bad = |why: String| Error::Io(format!("cannot write `{}`: {why}", self.path.display()));
        self.map.flush().map_err(|e| bad(describe(&e)))?;
        drop(self.map);
        self.temp
            .persist(&self.path)
            .map_err(|e| bad(describe(&e.error)))?;
        Ok(())
    }
}

fn zeroed<T: WritableElement>(
    file: &File,
    shape: &[usize],
) -> std::result::Result<(), ndarray_npy::WriteNpyError> {
    write_zeroed_npy::<T, _>(file, ndarray::IxDyn(shape))
}
