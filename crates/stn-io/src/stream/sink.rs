//! Where slabs go: an output array written a range of axis-0 rows at a
//! time, under a temporary name until the whole array is there.
//!
//! - `.npy`: a full-size file under a temporary name beside the output,
//!   written with positioned writes (`pwrite`), renamed at commit.
//! - Zarr: a v3 array in `.NAME.stn-partial` beside the output, with a
//!   journal of the row ranges stored so far; renamed at commit. A run that
//!   was interrupted can be resumed (`resume`): the row ranges in the
//!   journal are not computed again.
//! - A `{}` image pattern: frame files in a temporary folder beside the
//!   outputs, each moved to its final name at commit.
//! - One image file: held in memory and encoded at commit.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ndarray_npy::{WritableElement, write_zeroed_npy};
use zarrs::array::Array;
use zarrs::filesystem::FilesystemStore;

use super::slab::Slab;
use crate::format::{Format, format_of, unsupported};
use crate::{image, write_error, zarr};
use stn::internals::dtype::DType;
use stn::internals::error::{Error, Result};

/// An output array being written by ranges of rows of axis 0.
pub trait Sink: Send {
    /// Rows per storage chunk along axis 0 (slabs are cut on chunk edges).
    fn chunk_rows(&self) -> Option<usize> {
        None
    }
    /// Row ranges an interrupted run already wrote (resumed Zarr outputs).
    fn done(&self) -> &[Range<usize>] {
        &[]
    }
    /// Writes rows `rows` of `slab` as rows `start..` of the output.
    fn write(&mut self, start: usize, slab: &Slab, rows: Range<usize>) -> Result<()>;
    /// Moves the finished output to its final name.
    fn commit(self: Box<Self>) -> Result<()>;
}

/// What makes an interrupted run resumable: a fingerprint of everything
/// the output depends on, and whether to resume.
#[derive(Clone, Copy, Debug, Default)]
pub struct Resume {
    pub key: u64,
    pub resume: bool,
}

/// Creates the output `spec` for an array of `dtype` and `shape`. Checks
/// what can be checked before anything is computed.
pub fn create(spec: &str, dtype: DType, shape: &[usize], resume: Resume) -> Result<Box<dyn Sink>> {
    let format = format_of(spec).ok_or_else(|| unsupported(spec))?;
    if resume.resume && format != Format::Zarr {
        return Err(Error::usage(format!(
            "--resume continues an interrupted Zarr output; `{spec}` is not a Zarr array"
        )));
    }
    let path = Path::new(spec);
    let dir = parent(path);
    if !dir.is_dir() {
        return Err(write_error(
            path,
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("no folder `{}`", dir.display()),
            ),
        ));
    }
    match format {
        Format::Npy => Ok(Box::new(NpySink::create(path, dtype, shape)?)),
        Format::Zarr => Ok(Box::new(ZarrSink::create(path, dtype, shape, resume)?)),
        Format::Image => {
            image::check_write(spec, dtype, shape)?;
            if spec.contains("{}") {
                Ok(Box::new(FramesSink::create(spec, shape[0])?))
            } else {
                Ok(Box::new(ImageSink {
                    spec: spec.to_string(),
                    slab: Slab::zeroed(dtype, shape),
                }))
            }
        }
    }
}

fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A `.npy` output: a full-size temporary file, written through a pipe
/// (`splice::Writer`; `pwrite` where the system refuses).
pub struct NpySink {
    path: PathBuf,
    temp: tempfile::NamedTempFile,
    row_bytes: usize,
    offset: u64,
    writer: super::splice::Writer,
}

impl NpySink {
    pub fn create(path: &Path, dtype: DType, shape: &[usize]) -> Result<NpySink> {
        if path.is_dir() {
            return Err(write_error(path, "it is a directory"));
        }
        let temp = crate::temp_file_in(&parent(path), ".stn-", ".npy.part")
            .map_err(|e| write_error(path, e))?;
        NpySink::init(path.to_path_buf(), temp, dtype, shape)
    }

    /// A temporary `.npy` in `dir` (the intermediate steps of an
    /// out-of-core `--steps` run).
    pub fn temporary(dir: &Path, dtype: DType, shape: &[usize]) -> Result<NpySink> {
        let temp =
            crate::temp_file_in(dir, ".stn-step-", ".npy").map_err(|e| write_error(dir, e))?;
        NpySink::init(temp.path().to_path_buf(), temp, dtype, shape)
    }

    fn init(
        path: PathBuf,
        temp: tempfile::NamedTempFile,
        dtype: DType,
        shape: &[usize],
    ) -> Result<NpySink> {
        stn::with_element_type!(dtype, T => zeroed::<T>(temp.as_file(), shape))
            .map_err(|e| write_error(&path, e))?;
        let len = temp
            .as_file()
            .metadata()
            .map_err(|e| write_error(&path, e))?
            .len();
        let data = (shape.iter().product::<usize>() * dtype.size()) as u64;
        Ok(NpySink {
            path,
            temp,
            row_bytes: super::slab::row_bytes(dtype, shape),
            offset: len - data,
            writer: super::splice::Writer::new(),
        })
    }

    /// Closes the finished temporary file and hands it over to be read
    /// (and deleted when the last reader is done).
    pub fn into_temp(self) -> (PathBuf, Arc<tempfile::TempPath>) {
        let path = self.temp.path().to_path_buf();
        (path, Arc::new(self.temp.into_temp_path()))
    }
}

fn zeroed<T: WritableElement>(file: &File, shape: &[usize]) -> Result<(), String> {
    write_zeroed_npy::<T, _>(file, ndarray::IxDyn(shape)).map_err(|e| e.to_string())
}

impl Sink for NpySink {
    fn write(&mut self, start: usize, slab: &Slab, rows: Range<usize>) -> Result<()> {
        let at = self.offset + (start * self.row_bytes) as u64;
        self.writer
            .write_all_at(self.temp.as_file(), slab.row_range_bytes(rows), at)
            .map_err(|e| write_error(&self.path, e))
    }

    fn commit(self: Box<Self>) -> Result<()> {
        let path = self.path;
        self.temp
            .persist(&path)
            .map_err(|e| write_error(&path, e.error))?;
        Ok(())
    }
}

/// A Zarr v3 output in `.NAME.stn-partial`, with a journal of the rows
/// written so far.
struct ZarrSink {
    path: PathBuf,
    partial: PathBuf,
    array: Array<FilesystemStore>,
    dtype: DType,
    journal: File,
    done: Vec<Range<usize>>,
    chunk_rows: Option<usize>,
}

/// The journal's name inside the partial array; removed at commit.
const JOURNAL: &str = "stn-journal.txt";

impl ZarrSink {
    fn create(path: &Path, dtype: DType, shape: &[usize], resume: Resume) -> Result<ZarrSink> {
        if path.exists() && !zarr::is_array_dir(path) {
            return Err(write_error(
                path,
                "it exists and is not a Zarr array; not replacing it",
            ));
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out.zarr".to_string());
        let partial = parent(path).join(format!(".{name}.stn-partial"));
        let header = format!("stn-journal 1 {:016x}", resume.key);
        let journal_path = partial.join(JOURNAL);
        let mut done = Vec::new();
        let resumed = resume.resume && journal_path.is_file();
        let array = if resumed {
            let text = std::fs::read_to_string(&journal_path).map_err(|e| write_error(path, e))?;
            let mut lines = text.lines();
            if lines.next() != Some(header.as_str()) {
                return Err(Error::usage(format!(
                    "cannot resume `{}`: the interrupted run in `{}` had another kernel, \
                     inputs or options; run without --resume to start over",
                    path.display(),
                    partial.display()
                )));
            }
            for line in lines {
                let mut it = line.split_whitespace();
                if let (Some("rows"), Some(a), Some(b)) = (it.next(), it.next(), it.next())
                    && let (Ok(a), Ok(b)) = (a.parse(), b.parse())
                {
                    done.push(a..b);
                }
            }
            zarr::open(&partial)?
        } else {
            if partial.exists() {
                std::fs::remove_dir_all(&partial).map_err(|e| write_error(path, e))?;
            }
            std::fs::create_dir(&partial).map_err(|e| write_error(path, e))?;
            let array = zarr::create(&partial, dtype, shape).map_err(|e| write_error(path, e))?;
            let mut f = File::create(&journal_path).map_err(|e| write_error(path, e))?;
            writeln!(f, "{header}")
                .and_then(|_| f.sync_data())
                .map_err(|e| write_error(path, e))?;
            array
        };
        let journal = OpenOptions::new()
            .append(true)
            .open(&journal_path)
            .map_err(|e| write_error(path, e))?;
        let chunk_rows = zarr::chunk_shape_of(&partial, &array)?
            .first()
            .map(|&c| c as usize);
        Ok(ZarrSink {
            path: path.to_path_buf(),
            partial,
            array,
            dtype,
            journal,
            done,
            chunk_rows,
        })
    }
}

impl Sink for ZarrSink {
    fn chunk_rows(&self) -> Option<usize> {
        self.chunk_rows
    }

    fn done(&self) -> &[Range<usize>] {
        &self.done
    }

    fn write(&mut self, start: usize, slab: &Slab, rows: Range<usize>) -> Result<()> {
        let view = slab.rows(rows.clone());
        let shape = self.array.shape().to_vec();
        let mut ranges: Vec<Range<u64>> = shape.iter().map(|&n| 0..n).collect();
        if let Some(r) = ranges.first_mut() {
            *r = start as u64..(start + rows.len()) as u64;
        }
        stn::with_element_type!(self.dtype, T => {
            let typed = view.typed::<T>().expect("slab views are typed");
            self.array.store_array_subset(&ranges, &typed)
        })
        .map_err(|e| write_error(&self.path, e.to_string()))?;
        // The journal line is written only once the chunks are stored: a
        // range it lists is complete.
        writeln!(self.journal, "rows {} {}", start, start + rows.len())
            .and_then(|_| self.journal.sync_data())
            .map_err(|e| write_error(&self.path, e))
    }

    fn commit(self: Box<Self>) -> Result<()> {
        drop(self.journal);
        std::fs::remove_file(self.partial.join(JOURNAL))
            .map_err(|e| write_error(&self.path, e.to_string()))?;
        zarr::replace(&self.partial, &self.path)
    }
}

/// Frames of a `{}` pattern, written into a temporary folder and moved to
/// their final names at commit.
struct FramesSink {
    spec: String,
    frames: usize,
    staging: tempfile::TempDir,
    ext: String,
}

impl FramesSink {
    fn create(spec: &str, frames: usize) -> Result<FramesSink> {
        let first = image::frame_path(spec, 0, frames);
        let dir = parent(&first);
        if !dir.is_dir() {
            return Err(write_error(
                &first,
                format!("no folder `{}`", dir.display()),
            ));
        }
        let staging = crate::temp_dir_in(&dir, ".stn-", ".frames.part")
            .map_err(|e| write_error(&first, e))?;
        let ext = first
            .extension()
            .map(|e| e.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(FramesSink {
            spec: spec.to_string(),
            frames,
            staging,
            ext,
        })
    }

    fn staged(&self, i: usize) -> PathBuf {
        self.staging.path().join(format!("{i}.{}", self.ext))
    }
}

impl Sink for FramesSink {
    fn chunk_rows(&self) -> Option<usize> {
        Some(1)
    }

    fn write(&mut self, start: usize, slab: &Slab, rows: Range<usize>) -> Result<()> {
        for (k, r) in rows.enumerate() {
            let frame = slab.rows(r..r + 1);
            let frame = frame_of(&frame);
            image::write_file(&self.staged(start + k), &frame)?;
        }
        Ok(())
    }

    fn commit(self: Box<Self>) -> Result<()> {
        for i in 0..self.frames {
            let to = image::frame_path(&self.spec, i, self.frames);
            if to.is_dir() {
                return Err(write_error(&to, "it is a directory"));
            }
            std::fs::rename(self.staged(i), &to).map_err(|e| write_error(&to, e))?;
        }
        Ok(())
    }
}

/// A one-row view without its axis 0.
fn frame_of<'a>(row: &stn::internals::array::ArrayRef<'a>) -> stn::internals::array::ArrayRef<'a> {
    // SAFETY: the same elements as `row`, which has exactly one index on
    // axis 0.
    unsafe {
        stn::internals::array::ArrayRef::from_raw(
            row.as_ptr(),
            row.dtype(),
            row.shape()[1..].to_vec(),
            row.strides()[1..].to_vec(),
        )
    }
}

/// One image file: the array is held in memory and encoded at commit.
struct ImageSink {
    spec: String,
    slab: Slab,
}

impl Sink for ImageSink {
    fn write(&mut self, start: usize, slab: &Slab, rows: Range<usize>) -> Result<()> {
        let rb = self.slab.row_bytes();
        let src = slab.row_range_bytes(rows.clone());
        self.slab.bytes_mut()[start * rb..start * rb + src.len()].copy_from_slice(src);
        Ok(())
    }

    fn commit(self: Box<Self>) -> Result<()> {
        image::write(&self.spec, self.slab.view())
    }
}
