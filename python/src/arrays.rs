//! NumPy arrays seen by stn without copying.
//!
//! An array of one of stn's 11 dtypes (native byte order) becomes an
//! `ArrayRef` over its own memory, with its shape and byte strides as they
//! are: views, transposes and negative strides included. The Python half
//! hands over only aligned arrays (it copies the rare unaligned or
//! byte-swapped one), so the engine's typed paths may read them.

use numpy::IxDyn;
use numpy::ndarray::ArrayViewD;
use numpy::prelude::*;
use numpy::{PyArrayDyn, PyUntypedArray};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use stn::OutputBuffer;
use stn::{ArrayMut, ArrayRef, DType};

/// The stn dtype of a NumPy dtype, if it is one of the 11.
pub fn dtype_of(arr: &Bound<'_, PyUntypedArray>) -> Option<DType> {
    let py = arr.py();
    let d = arr.dtype();
    DType::ALL
        .into_iter()
        .find(|&t| stn::with_element_type!(t, T => d.is_equiv_to(&numpy::dtype::<T>(py))))
}

fn unsupported(arr: &Bound<'_, PyUntypedArray>) -> PyErr {
    let name = arr.dtype().str().map(|s| s.to_string()).unwrap_or_default();
    PyTypeError::new_err(format!(
        "unsupported dtype {name}; stn reads bool, int8..int64, uint8..uint64, float32, float64 (native byte order)"
    ))
}

/// The array as a NumPy array of a dtype stn reads.
pub fn numpy_array<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyUntypedArray>> {
    let arr = obj
        .cast::<PyUntypedArray>()
        .map_err(|_| PyTypeError::new_err("expected a numpy.ndarray"))?;
    Ok(arr.clone())
}

fn data_ptr(arr: &Bound<'_, PyUntypedArray>, dtype: DType) -> *mut u8 {
    stn::with_element_type!(dtype, T => arr
        .cast::<PyArrayDyn<T>>()
        .map(|a| a.data().cast::<u8>())
        .expect("the dtype was matched"))
}

/// Views `arr` in place. The view is valid while `arr` is alive: the caller
/// keeps its reference for as long as it uses the view.
pub fn view<'a>(arr: &'a Bound<'_, PyUntypedArray>) -> PyResult<ArrayRef<'a>> {
    let dtype = dtype_of(arr).ok_or_else(|| unsupported(arr))?;
    if !arr.is_aligned() {
        // `--steps` copies inputs through typed (aligned) views.
        return Err(PyValueError::new_err(
            "unaligned input array: pass a copy (the stn package does)",
        ));
    }
    // SAFETY: NumPy guarantees that every element reachable through the
    // array's shape and byte strides lies in its buffer, which lives as
    // long as the array object `arr` borrows.
    Ok(unsafe {
        ArrayRef::from_raw(
            data_ptr(arr, dtype),
            dtype,
            arr.shape().to_vec(),
            arr.strides().to_vec(),
        )
    })
}

/// Views a writable `arr` in place, for output.
pub fn view_mut<'a>(arr: &'a Bound<'_, PyUntypedArray>) -> PyResult<ArrayMut<'a>> {
    let dtype = dtype_of(arr).ok_or_else(|| unsupported(arr))?;
    let writeable: bool = arr.getattr("flags")?.getattr("writeable")?.extract()?;
    if !writeable {
        return Err(PyValueError::new_err("the output array is read-only"));
    }
    let overlapping = arr
        .shape()
        .iter()
        .zip(arr.strides())
        .any(|(&n, &s)| n > 1 && s == 0);
    if overlapping {
        return Err(PyValueError::new_err(
            "the output array has a stride of 0 (a broadcast view): its elements overlap",
        ));
    }
    // SAFETY: as `view`; the array is writable, and (strides not 0, as
    // NumPy never makes other self-overlapping views) distinct indices are
    // distinct elements.
    Ok(unsafe {
        ArrayMut::from_raw(
            data_ptr(arr, dtype),
            dtype,
            arr.shape().to_vec(),
            arr.strides().to_vec(),
        )
    })
}

/// The owner of a large new array's memory (its `base`): when NumPy lets
/// go of it, the memory is kept for the next new array (`OutputBuffer`).
#[pyclass(frozen, module = "stn._stn")]
pub struct Buffer {
    /// Held for its `Drop`, which keeps the memory for the next array.
    _memory: OutputBuffer,
}

/// A new, uninitialized C-order array; the caller writes every element.
/// A large one lies in an `OutputBuffer`, reused from an array NumPy has
/// freed where one of the same size is kept: fresh memory costs the kernel
/// a zeroing pass on first touch, an `out=` array does not.
pub fn empty<'py>(
    py: Python<'py>,
    dtype: DType,
    shape: &[usize],
) -> PyResult<Bound<'py, PyUntypedArray>> {
    let bytes = shape
        .iter()
        .try_fold(dtype.size(), |b, &n| b.checked_mul(n));
    let memory = bytes.and_then(OutputBuffer::new);
    stn::with_element_type!(dtype, T => {
        let a = match memory {
            Some(memory) => {
                let ptr = memory.as_mut_ptr().cast::<T>();
                let owner = Bound::new(py, Buffer { _memory: memory })?;
                // SAFETY: the buffer holds at least `shape`'s elements of
                // `T` in C order, aligned (to 2 MiB), and only this array
                // will point into it; `owner`, the array's base, keeps it
                // mapped until NumPy drops the array and every view of it.
                // Nothing reads an element (the bytes may be a dropped
                // array's, not a valid `bool`) before the caller writes it.
                unsafe {
                    let view = ArrayViewD::<T>::from_shape_ptr(IxDyn(shape), ptr);
                    PyArrayDyn::<T>::borrow_from_array(&view, owner.into_any())
                }
            }
            // SAFETY: the elements are plain numbers; the caller fills them
            // before Python can read them.
            None => unsafe { PyArrayDyn::<T>::new(py, IxDyn(shape), false) },
        };
        Ok(a.into_any().cast_into::<PyUntypedArray>().expect("an ndarray"))
    })
}
