//! Zarr arrays (v2 and v3 directories on the local filesystem), through the
//! `zarrs` crate.
//!
//! Inputs are read whole into memory; chunks that are absent from the store
//! read as the array's fill value, as Zarr specifies. Outputs are written as
//! Zarr v3 (zstd-compressed chunks) into a temporary directory beside the
//! destination and renamed into place only when every chunk is stored, so a
//! failed write never leaves a half-written array under the final name.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn, ShapeBuilder, Slice};
use zarrs::array::codec::ZstdCodec;
use zarrs::array::{Array, ArrayBuilder, DataType, FillValue, data_type};
use zarrs::filesystem::FilesystemStore;

use crate::{read_error, write_error};
use stn::internals::array::{ArrayRef, DynArray, Element};
use stn::internals::dtype::DType;
use stn::internals::error::{Error, Result};

/// Target size of one chunk of a new array, in bytes (uncompressed).
const CHUNK_BYTES: u64 = 2 << 20;

/// zstd level for new arrays: fast, and most of the ratio of higher levels.
const ZSTD_LEVEL: i32 = 3;

/// Whether `path` names a Zarr array: a directory holding `zarr.json` (v3)
/// or `.zarray` (v2), or a path ending in `.zarr` (an output to create).
pub fn is_zarr(path: &Path) -> bool {
    is_array_dir(path)
        || path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("zarr"))
}

/// Whether `path` is a directory holding a Zarr array's metadata.
pub fn is_array_dir(path: &Path) -> bool {
    path.join("zarr.json").is_file() || path.join(".zarray").is_file()
}

/// Opens the array stored at the root of the directory `path`.
pub fn open(path: &Path) -> Result<Array<FilesystemStore>> {
    if !path.exists() {
        return Err(read_error(path, "No such file or directory"));
    }
    if !path.is_dir() {
        return Err(read_error(
            path,
            "not a Zarr array (a Zarr array is a directory)",
        ));
    }
    if !is_array_dir(path) {
        return Err(read_error(
            path,
            "not a Zarr array (no `zarr.json` or `.zarray` in the directory)",
        ));
    }
    let store = FilesystemStore::new(path).map_err(|e| read_error(path, e.to_string()))?;
    Array::open(Arc::new(store), "/")
        .map_err(|e| read_error(path, format!("invalid Zarr metadata ({e})")))
}

/// The zarrs data type stn writes for `dtype`.
fn zarr_type(dtype: DType) -> DataType {
    match dtype {
        DType::Bool => data_type::bool(),
        DType::I8 => data_type::int8(),
        DType::I16 => data_type::int16(),
        DType::I32 => data_type::int32(),
        DType::I64 => data_type::int64(),
        DType::U8 => data_type::uint8(),
        DType::U16 => data_type::uint16(),
        DType::U32 => data_type::uint32(),
        DType::U64 => data_type::uint64(),
        DType::F32 => data_type::float32(),
        DType::F64 => data_type::float64(),
    }
}

/// The stn dtype of a zarrs data type, if it is one of the 11.
fn stn_type(t: &DataType) -> Option<DType> {
    DType::ALL.into_iter().find(|&d| &zarr_type(d) == t)
}

/// The stn dtype of the opened array at `path`, or an error naming the
/// supported ones.
pub fn dtype_of(path: &Path, array: &Array<FilesystemStore>) -> Result<DType> {
    stn_type(array.data_type()).ok_or_else(|| {
        read_error(
            path,
            format!(
                "unsupported data type `{}`; stn reads bool, int8..int64, uint8..uint64, float32, float64",
                array.data_type()
            ),
        )
    })
}

/// Reads the whole array at `path` into memory.
pub fn read(path: &Path) -> Result<DynArray> {
    let array = open(path)?;
    let dtype = dtype_of(path, &array)?;
    let bytes = array
        .shape()
        .iter()
        .try_fold(dtype.size() as u64, |acc, &n| acc.checked_mul(n));
    if bytes.is_none_or(|b| b > super::decode_limit()) {
        return Err(read_error(
            path,
            format!(
                "reading the array (shape {:?}) whole needs more than the memory limit of {} bytes \
                 (--memory)",
                array.shape(),
                super::decode_limit()
            ),
        ));
    }
    let subset = array.subset_all();
    stn::with_element_type!(dtype, T => {
        array
            .retrieve_array_subset::<ArrayD<T>>(&subset)
            .map(DynArray::from_typed)
            .map_err(|e| retrieve_error(path, e))
    })
}

/// The error for chunks of the array at `path` that could not be read: a
/// chunk that does not decode is called corrupt, not left as the codec's
/// bare message ("Unknown frame descriptor").
pub fn retrieve_error(path: &Path, e: zarrs::array::ArrayError) -> Error {
    use zarrs::array::{ArrayError as E, CodecError as C};
    match &e {
        E::StorageError(s) | E::CodecError(C::StorageError(s)) => read_error(path, s.to_string()),
        E::CodecError(c) => read_error(
            path,
            format!("a chunk is corrupt: it does not decode with the array's codecs ({c})"),
        ),
        E::UnexpectedChunkDecodedSize(..)
        | E::InvalidBytesInputSize(..)
        | E::UnexpectedChunkDecodedShape(..) => {
            read_error(path, format!("a chunk is corrupt ({e})"))
        }
        _ => read_error(path, e.to_string()),
    }
}

/// The shape of the regular chunks (for sharded arrays: of the shards) of
/// the array at `path`.
pub fn chunk_shape(path: &Path) -> Result<Vec<u64>> {
    chunk_shape_of(path, &open(path)?)
}

/// The regular chunk shape of the opened array at `path`.
pub fn chunk_shape_of(path: &Path, array: &Array<FilesystemStore>) -> Result<Vec<u64>> {
    let origin = vec![0; array.dimensionality()];
    let shape = array
        .chunk_shape(&origin)
        .map_err(|e| read_error(path, e.to_string()))?;
    Ok(shape.iter().map(|n| n.get()).collect())
}

/// A default chunk shape for an array of `shape` with `elem` bytes per
/// element: whole trailing axes while a chunk stays within `CHUNK_BYTES`,
/// then as many steps of the next axis as fit, and 1 along the rest.
pub fn default_chunks(shape: &[u64], elem: u64) -> Vec<u64> {
    let mut chunks = vec![1; shape.len()];
    let mut bytes = elem.max(1);
    for k in (0..shape.len()).rev() {
        let n = shape[k].max(1);
        if bytes.saturating_mul(n) <= CHUNK_BYTES {
            chunks[k] = n;
            bytes *= n;
        } else {
            chunks[k] = (CHUNK_BYTES / bytes).clamp(1, n);
            break;
        }
    }
    chunks
}

/// Writes `array` as a new Zarr v3 array at `path`, replacing an existing
/// Zarr array there only once the new one is complete. `chunks` defaults to
/// [`default_chunks`].
pub fn write(path: &Path, array: ArrayRef<'_>, chunks: Option<&[u64]>) -> Result<()> {
    let shape: Vec<u64> = array.shape().iter().map(|&n| n as u64).collect();
    let chunks = match chunks {
        Some(c) => {
            if c.len() != shape.len() {
                return Err(Error::usage(format!(
                    "chunk shape {c:?} for `{}` has {} axes, but the array has {}",
                    path.display(),
                    c.len(),
                    shape.len()
                )));
            }
            if c.contains(&0) {
                return Err(Error::usage(format!(
                    "chunk shape {c:?} for `{}` has a zero extent",
                    path.display()
                )));
            }
            c.to_vec()
        }
        None => default_chunks(&shape, array.dtype().size() as u64),
    };
    if path.exists() && !(path.is_file() || is_array_dir(path)) {
        return Err(write_error(
            path,
            "it exists and is not a Zarr array; not replacing it",
        ));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let temp = crate::temp_dir_in(&dir, ".stn-", ".zarr.part").map_err(|e| write_error(path, e))?;

    let zarr = create_chunked(temp.path(), array.dtype(), &shape, &chunks)
        .map_err(|e| write_error(path, e))?;
    stn::with_element_type!(array.dtype(), T => store_all::<T>(&zarr, &array, &chunks))
        .map_err(|e| write_error(path, e))?;
    replace(&temp.keep(), path)
}

/// Creates an empty Zarr v3 array (default chunks, zstd) in the existing
/// directory `dir` and stores its metadata.
pub fn create(
    dir: &Path,
    dtype: DType,
    shape: &[usize],
) -> std::result::Result<Array<FilesystemStore>, String> {
    let shape: Vec<u64> = shape.iter().map(|&n| n as u64).collect();
    let chunks = default_chunks(&shape, dtype.size() as u64);
    create_chunked(dir, dtype, &shape, &chunks)
}

fn create_chunked(
    dir: &Path,
    dtype: DType,
    shape: &[u64],
    chunks: &[u64],
) -> std::result::Result<Array<FilesystemStore>, String> {
    let store = FilesystemStore::new(dir).map_err(|e| e.to_string())?;
    let zarr = ArrayBuilder::new(
        shape.to_vec(),
        chunks.to_vec(),
        zarr_type(dtype),
        FillValue::from(vec![0u8; dtype.size()]),
    )
    .bytes_to_bytes_codecs(vec![Arc::new(ZstdCodec::new(ZSTD_LEVEL, false))])
    .build(Arc::new(store), "/")
    .map_err(|e| e.to_string())?;
    zarr.store_metadata().map_err(|e| e.to_string())?;
    Ok(zarr)
}

/// Stores every chunk of `zarr` from `array` (of element type `T`).
fn store_all<T: Element + zarrs::array::Element>(
    zarr: &Array<FilesystemStore>,
    array: &ArrayRef<'_>,
    chunks: &[u64],
) -> std::result::Result<(), String> {
    let owned;
    let view: ArrayViewD<'_, T> = match typed_view::<T>(array) {
        Some(v) => v,
        None => {
            owned = array.to_owned().into_typed::<T>().expect("dtype matches T");
            owned.view()
        }
    };
    let grid: Vec<u64> = zarr
        .shape()
        .iter()
        .zip(chunks)
        .map(|(&n, &c)| n.div_ceil(c))
        .collect();
    let count: u64 = grid.iter().product();
    stn::internals::parallel::try_for_each(count, |linear| {
        // Chunk index in C order, then its ranges clipped to the array.
        let mut rest = linear;
        let mut ranges: Vec<Range<u64>> = vec![0..0; grid.len()];
        for k in (0..grid.len()).rev() {
            let i = rest % grid[k];
            rest /= grid[k];
            let start = i * chunks[k];
            ranges[k] = start..(start + chunks[k]).min(zarr.shape()[k]);
        }
        let part = view.slice_each_axis(|ax| {
            let r = &ranges[ax.axis.index()];
            Slice::from(r.start as usize..r.end as usize)
        });
        zarr.store_array_subset(&ranges, &part)
            .map_err(|e| e.to_string())
    })
}

/// The typed view of `array`, for any strides that are whole elements
/// (negative and zero included: ndarray takes only non-negative strides in
/// `from_shape_ptr`, so negative axes are built forward and then inverted).
fn typed_view<'a, T: Element>(array: &ArrayRef<'a>) -> Option<ArrayViewD<'a, T>> {
    let size = std::mem::size_of::<T>() as isize;
    if array.dtype() != T::DTYPE || array.strides().iter().any(|s| s % size != 0) {
        return None;
    }
    let mut offset = 0isize;
    let mut strides = Vec::with_capacity(array.shape().len());
    for (&n, &s) in array.shape().iter().zip(array.strides()) {
        if s < 0 && n > 0 {
            offset += (n as isize - 1) * s;
        }
        strides.push(s.unsigned_abs() / size as usize);
    }
    if array.shape().contains(&0) {
        offset = 0;
    }
    // SAFETY: `array` addresses valid elements of type `T` (its dtype) at
    // `ptr + Σ i_k * stride_k` for in-range indices; the same set of
    // addresses is `ptr + offset + Σ i_k * |stride_k|` with the negative
    // axes counted backwards, which `invert_axis` below restores. The view
    // lives as long as the borrow `'a` of `array`.
    let mut view = unsafe {
        let ptr = array.as_ptr().offset(offset) as *const T;
        ArrayViewD::from_shape_ptr(IxDyn(array.shape()).strides(IxDyn(&strides)), ptr)
    };
    for (k, &s) in array.strides().iter().enumerate() {
        if s < 0 {
            view.invert_axis(Axis(k));
        }
    }
    Some(view)
}

/// Moves the finished array in the directory `temp` to `path`. An existing
/// array or file at `path` is first moved aside under a temporary name, and
/// removed only once the new one is in place. On failure `temp` is removed.
pub fn replace(temp: &Path, path: &Path) -> Result<()> {
    let fail = |e: std::io::Error| {
        let _ = std::fs::remove_dir_all(temp);
        write_error(path, e)
    };
    if path.symlink_metadata().is_err() {
        return std::fs::rename(temp, path).map_err(fail);
    }
    let mut old = temp.as_os_str().to_owned();
    old.push(".old");
    let old = PathBuf::from(old);
    std::fs::rename(path, &old).map_err(fail)?;
    if let Err(e) = std::fs::rename(temp, path) {
        // Put the previous contents back; the new array is removed.
        let _ = std::fs::rename(&old, path);
        return Err(fail(e));
    }
    if old.is_dir() {
        let _ = std::fs::remove_dir_all(&old);
    } else {
        let _ = std::fs::remove_file(&old);
    }
    Ok(())
}
