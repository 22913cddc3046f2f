//! Where slabs come from: an input array read a range of axis-0 rows at a
//! time, whatever its format.
//!
//! - C-order `.npy` files are read with positioned reads (`pread`), so the
//!   process never maps more of the file than one slab; other `.npy`
//!   layouts (Fortran order) are memory-mapped and copied row range by row
//!   range.
//! - Zarr arrays are read through `zarrs`, which decodes the chunks a row
//!   range touches.
//! - A glob of images is read one frame file per row.
//! - Single image files (and multi-page TIFFs) are decoded whole.

use std::fs::File;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ndarray::ArrayD;
use zarrs::array::Array;
use zarrs::filesystem::FilesystemStore;

use super::slab::{check_bools, copy_to_bytes, row_bytes};
use crate::format::{Format, format_of, unsupported};
use crate::npy::NpyInput;
use crate::{image, zarr};
use stn::internals::array::{ArrayRef, DynArray};
use stn::internals::dtype::DType;
use stn::internals::error::describe;
use stn::internals::error::{Error, Result};

/// An input array, read by ranges of rows of axis 0 (the whole array as
/// one row when it has no axes).
pub trait Source: Send + Sync {
    /// The name the user gave, for messages.
    fn name(&self) -> &str;
    fn dtype(&self) -> DType;
    fn shape(&self) -> &[usize];
    /// Rows per storage chunk along axis 0, where the storage is chunked.
    fn chunk_rows(&self) -> Option<usize> {
        None
    }
    /// Reads rows `rows` into `dst`, which holds exactly those rows in C
    /// order. For `bool` arrays every byte written is 0 or 1.
    fn read_into(&self, rows: Range<usize>, dst: &mut [u8]) -> Result<()>;
    /// Bytes this source keeps in memory for the whole run.
    fn resident_bytes(&self) -> usize {
        0
    }
    /// The whole array in place, where it is memory-mapped or held in
    /// memory: slabs are then views, not copies.
    fn map(&self) -> Option<ArrayRef<'_>> {
        None
    }
    /// For mapped sources: rows `rows` are done with; drop them from this
    /// process's memory (they are read again from the file if touched).
    fn release(&self, _rows: Range<usize>) {}
    /// Whether the last axis is an image's colour channels (grey + alpha,
    /// RGB, RGBA), which a 2-D kernel filters one by one (docs/language.md §10).
    fn channels(&self) -> bool {
        false
    }
    /// The files (or Zarr folders) the source reads: its name, but for a
    /// stack of frames.
    fn paths(&self) -> Vec<PathBuf> {
        vec![PathBuf::from(self.name())]
    }
}

/// Opens the input `spec` (a path, or for images a glob).
pub fn open(spec: &str) -> Result<Box<dyn Source>> {
    match format_of(spec) {
        Some(Format::Npy) => {
            let input = NpyInput::open(Path::new(spec))?;
            match input.c_order_data_offset() {
                Some(offset) => Ok(Box::new(NpyFile::new(spec, input, offset)?)),
                None => Ok(Box::new(Memory::npy(spec, input))),
            }
        }
        Some(Format::Image) => match image::glob_paths(spec)? {
            Some(paths) => Ok(Box::new(Frames::open(spec, paths)?)),
            None => {
                let (array, channels) = image::read_channels(spec)?;
                let mut m = Memory::array(spec, array);
                m.channels = channels;
                Ok(Box::new(m))
            }
        },
        Some(Format::Zarr) => Ok(Box::new(Zarr::open(spec)?)),
        None => Err(unsupported(spec)),
    }
}

/// Rows of axis 0 (1 for an array without axes).
pub fn rows_of(shape: &[usize]) -> usize {
    shape.first().copied().unwrap_or(1)
}

/// A C-order `.npy` file: memory-mapped, and read with `pread` where a
/// slab is copied.
struct NpyFile {
    name: String,
    input: NpyInput,
    file: File,
    dtype: DType,
    shape: Vec<usize>,
    offset: u64,
}

impl NpyFile {
    fn new(spec: &str, input: NpyInput, offset: usize) -> Result<NpyFile> {
        let file = File::open(input.path())
            .map_err(|e| Error::io(format!("cannot read `{spec}`: {}", describe(&e)), e))?;
        let view = input.view();
        let (dtype, shape) = (view.dtype(), view.shape().to_vec());
        Ok(NpyFile {
            name: spec.to_string(),
            input,
            file,
            dtype,
            shape,
            offset: offset as u64,
        })
    }
}

impl Source for NpyFile {
    fn name(&self) -> &str {
        &self.name
    }

    fn dtype(&self) -> DType {
        self.dtype
    }

    fn shape(&self) -> &[usize] {
        &self.shape
    }

    fn read_into(&self, rows: Range<usize>, dst: &mut [u8]) -> Result<()> {
        let at = self.offset + (rows.start * row_bytes(self.dtype, &self.shape)) as u64;
        self.file
            .read_exact_at(dst, at)
            .map_err(|e| Error::io(format!("cannot read `{}`: {}", self.name, describe(&e)), e))?;
        if self.dtype == DType::Bool {
            check_bools(dst, &format!("`{}`", self.name))?;
        }
        Ok(())
    }

    fn map(&self) -> Option<ArrayRef<'_>> {
        Some(self.input.view())
    }

    fn release(&self, rows: Range<usize>) {
        let rb = row_bytes(self.dtype, &self.shape);
        self.input.release(rows.start * rb..rows.end * rb);
    }
}

/// An array held whole: a decoded image, or a memory-mapped `.npy` file
/// in Fortran order.
struct Memory {
    name: String,
    held: Held,
    shape: Vec<usize>,
    /// An image with colour channels.
    channels: bool,
}

enum Held {
    Array(DynArray),
    Npy(NpyInput),
}

impl Memory {
    fn array(spec: &str, array: DynArray) -> Memory {
        Memory {
            name: spec.to_string(),
            shape: array.shape().to_vec(),
            held: Held::Array(array),
            channels: false,
        }
    }

    fn npy(spec: &str, input: NpyInput) -> Memory {
        Memory {
            name: spec.to_string(),
            shape: input.view().shape().to_vec(),
            held: Held::Npy(input),
            channels: false,
        }
    }

    fn view(&self) -> ArrayRef<'_> {
        match &self.held {
            Held::Array(a) => a.view(),
            Held::Npy(n) => n.view(),
        }
    }
}

impl Source for Memory {
    fn name(&self) -> &str {
        &self.name
    }

    fn dtype(&self) -> DType {
        self.view().dtype()
    }

    fn shape(&self) -> &[usize] {
        &self.shape
    }

    fn channels(&self) -> bool {
        self.channels
    }

    fn read_into(&self, rows: Range<usize>, dst: &mut [u8]) -> Result<()> {
        let view = self.view();
        let part = if view.shape().is_empty() {
            view
        } else {
            view.rows(rows)
        };
        copy_to_bytes(&part, dst);
        Ok(())
    }

    fn map(&self) -> Option<ArrayRef<'_>> {
        Some(self.view())
    }

    fn resident_bytes(&self) -> usize {
        match &self.held {
            Held::Array(a) => a.shape().iter().product::<usize>() * a.dtype().size(),
            // Mapped pages are the page cache's; they count while touched.
            Held::Npy(_) => 0,
        }
    }
}

/// A sorted glob of image files, one frame per row of axis 0.
struct Frames {
    name: String,
    paths: Vec<PathBuf>,
    dtype: DType,
    /// `[frames, frame shape..]`.
    shape: Vec<usize>,
    /// The frames have colour channels.
    channels: bool,
}

impl Frames {
    fn open(spec: &str, paths: Vec<PathBuf>) -> Result<Frames> {
        let (first, channels) = image::read_file_channels(&paths[0])?;
        let mut shape = vec![paths.len()];
        shape.extend_from_slice(first.shape());
        Ok(Frames {
            name: spec.to_string(),
            dtype: first.dtype(),
            paths,
            shape,
            channels,
        })
    }
}

impl Source for Frames {
    fn name(&self) -> &str {
        &self.name
    }

    fn dtype(&self) -> DType {
        self.dtype
    }

    fn shape(&self) -> &[usize] {
        &self.shape
    }

    fn paths(&self) -> Vec<PathBuf> {
        self.paths.clone()
    }

    fn channels(&self) -> bool {
        self.channels
    }

    fn chunk_rows(&self) -> Option<usize> {
        Some(1)
    }

    fn read_into(&self, rows: Range<usize>, dst: &mut [u8]) -> Result<()> {
        let rb = row_bytes(self.dtype, &self.shape);
        for (k, i) in rows.enumerate() {
            let frame = image::read_file(&self.paths[i])?;
            if frame.dtype() != self.dtype || frame.shape() != &self.shape[1..] {
                return Err(image::frame_mismatch(
                    &self.name,
                    &self.paths,
                    i,
                    &image::describe_shape(&self.shape[1..], self.dtype),
                    &image::describe_shape(frame.shape(), frame.dtype()),
                ));
            }
            copy_to_bytes(&frame.view(), &mut dst[k * rb..(k + 1) * rb]);
        }
        Ok(())
    }
}

/// A Zarr array (v2 or v3).
struct Zarr {
    name: String,
    array: Array<FilesystemStore>,
    dtype: DType,
    shape: Vec<usize>,
    chunk_rows: Option<usize>,
}

impl Zarr {
    fn open(spec: &str) -> Result<Zarr> {
        let path = Path::new(spec);
        let array = zarr::open(path)?;
        let dtype = zarr::dtype_of(path, &array)?;
        let shape: Vec<usize> = array.shape().iter().map(|&n| n as usize).collect();
        let chunk_rows = zarr::chunk_shape_of(path, &array)?
            .first()
            .map(|&c| c as usize);
        Ok(Zarr {
            name: spec.to_string(),
            array,
            dtype,
            shape,
            chunk_rows,
        })
    }
}

impl Source for Zarr {
    fn name(&self) -> &str {
        &self.name
    }

    fn dtype(&self) -> DType {
        self.dtype
    }

    fn shape(&self) -> &[usize] {
        &self.shape
    }

    fn chunk_rows(&self) -> Option<usize> {
        self.chunk_rows
    }

    fn read_into(&self, rows: Range<usize>, dst: &mut [u8]) -> Result<()> {
        let mut ranges: Vec<Range<u64>> = self.shape.iter().map(|&n| 0..n as u64).collect();
        if let Some(r) = ranges.first_mut() {
            *r = rows.start as u64..rows.end as u64;
        }
        let part = stn::with_element_type!(self.dtype, T => self
            .array
            .retrieve_array_subset::<ArrayD<T>>(&ranges)
            .map(DynArray::from_typed))
        .map_err(|e| zarr::retrieve_error(Path::new(&self.name), e))?;
        copy_to_bytes(&part.view(), dst);
        Ok(())
    }
}

/// A source that is the finished output of an earlier step, kept in a
/// temporary `.npy` file (out-of-core `--steps`).
pub fn temp_npy(path: &Path, keep: Arc<tempfile::TempPath>) -> Result<Box<dyn Source>> {
    let spec = path.to_string_lossy().into_owned();
    let input = NpyInput::open(path)?;
    let offset = input
        .c_order_data_offset()
        .ok_or_else(|| Error::Internal("a temporary step file is not in C order".into()))?;
    Ok(Box::new(Kept {
        inner: NpyFile::new(&spec, input, offset)?,
        _keep: keep,
    }))
}

/// A source that keeps its temporary file alive.
struct Kept {
    inner: NpyFile,
    _keep: Arc<tempfile::TempPath>,
}

impl Source for Kept {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn dtype(&self) -> DType {
        self.inner.dtype()
    }

    fn shape(&self) -> &[usize] {
        self.inner.shape()
    }

    fn read_into(&self, rows: Range<usize>, dst: &mut [u8]) -> Result<()> {
        self.inner.read_into(rows, dst)
    }

    fn map(&self) -> Option<ArrayRef<'_>> {
        self.inner.map()
    }

    fn release(&self, rows: Range<usize>) {
        self.inner.release(rows)
    }

    fn channels(&self) -> bool {
        self.inner.channels()
    }

    fn paths(&self) -> Vec<PathBuf> {
        self.inner.paths()
    }
}
