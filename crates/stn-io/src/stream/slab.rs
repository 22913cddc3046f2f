//! Slabs: owned C-order arrays kept as raw bytes, so that sources can read
//! into them and sinks write from them without knowing the element type.

use std::ops::Range;

use stn::internals::array::{ArrayMut, ArrayRef};
use stn::internals::dtype::DType;
use stn::internals::error::{Error, Result};

/// An owned C-order array of any dtype. The bytes live in `u64` words, so
/// every element is aligned for its type (typed `ndarray` views of a slab
/// are sound). A `bool` slab holds only 0 and 1: whoever writes its bytes
/// checks them with [`check_bools`].
pub struct Slab {
    dtype: DType,
    shape: Vec<usize>,
    words: Vec<u64>,
}

impl Slab {
    /// A zero-filled slab.
    pub fn zeroed(dtype: DType, shape: &[usize]) -> Slab {
        let bytes = shape.iter().product::<usize>() * dtype.size();
        Slab {
            dtype,
            shape: shape.to_vec(),
            words: vec![0; bytes.div_ceil(8)],
        }
    }

    pub fn dtype(&self) -> DType {
        self.dtype
    }

    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Bytes of one index of axis 0 (of the whole array for a 0-d slab).
    pub fn row_bytes(&self) -> usize {
        row_bytes(self.dtype, &self.shape)
    }

    pub fn bytes(&self) -> &[u8] {
        let len = self.shape.iter().product::<usize>() * self.dtype.size();
        // SAFETY: the words hold at least `len` initialized bytes.
        unsafe { std::slice::from_raw_parts(self.words.as_ptr() as *const u8, len) }
    }

    /// The bytes, for a source to fill. A source that fills a `bool` slab
    /// must pass what it wrote through [`check_bools`] before the slab is
    /// viewed.
    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        let len = self.shape.iter().product::<usize>() * self.dtype.size();
        // SAFETY: as `bytes`, uniquely borrowed.
        unsafe { std::slice::from_raw_parts_mut(self.words.as_mut_ptr() as *mut u8, len) }
    }

    /// Reads the whole of `source` (which must have this slab's dtype and
    /// shape) into the slab.
    pub fn read_all(&mut self, source: &dyn super::source::Source) -> Result<()> {
        if source.dtype() != self.dtype || source.shape() != self.shape.as_slice() {
            return Err(Error::Internal(format!(
                "reading {} {:?} into a slab of {} {:?}",
                source.dtype(),
                source.shape(),
                self.dtype,
                self.shape
            )));
        }
        let rows = super::source::rows_of(&self.shape);
        source.read_into(0..rows, self.bytes_mut())
    }

    pub fn view(&self) -> ArrayRef<'_> {
        // SAFETY: C-order elements of `dtype` inside the words, all valid
        // values (the bool contract above).
        unsafe {
            ArrayRef::from_raw(
                self.words.as_ptr() as *const u8,
                self.dtype,
                self.shape.clone(),
                c_strides(self.dtype, &self.shape),
            )
        }
    }

    pub fn view_mut(&mut self) -> ArrayMut<'_> {
        // SAFETY: as `view`, uniquely borrowed.
        unsafe {
            ArrayMut::from_raw(
                self.words.as_mut_ptr() as *mut u8,
                self.dtype,
                self.shape.clone(),
                c_strides(self.dtype, &self.shape),
            )
        }
    }

    /// Rows `rows` of axis 0, in place.
    pub fn rows(&self, rows: Range<usize>) -> ArrayRef<'_> {
        if self.shape.is_empty() {
            return self.view();
        }
        self.view().rows(rows)
    }

    /// The bytes of rows `rows` of axis 0.
    pub fn row_range_bytes(&self, rows: Range<usize>) -> &[u8] {
        let rb = self.row_bytes();
        &self.bytes()[rows.start * rb..rows.end * rb]
    }
}

/// Bytes of one index of axis 0 of a C-order array (of the whole array when
/// it has no axes).
pub fn row_bytes(dtype: DType, shape: &[usize]) -> usize {
    shape.iter().skip(1).product::<usize>() * dtype.size()
}

/// Byte strides of a C-order array.
pub fn c_strides(dtype: DType, shape: &[usize]) -> Vec<isize> {
    let mut strides = vec![dtype.size() as isize; shape.len()];
    for k in (0..shape.len().saturating_sub(1)).rev() {
        strides[k] = strides[k + 1] * shape[k + 1] as isize;
    }
    strides
}

/// Checks that bytes read into a `bool` array are 0 or 1; on failure zeroes
/// them (so the slab stays valid) and says where the bad byte was.
pub fn check_bools(bytes: &mut [u8], what: &str) -> Result<()> {
    match bytes.iter().position(|&b| b > 1) {
        None => Ok(()),
        Some(i) => {
            let b = bytes[i];
            bytes.fill(0);
            let why = format!("cannot read {what}: byte {b} is not a valid bool (0 or 1)");
            Err(Error::io(why.clone(), why))
        }
    }
}

/// Copies `view` (any layout) into `dst`, in C order.
pub fn copy_to_bytes(view: &ArrayRef<'_>, dst: &mut [u8]) {
    let owned = view.to_owned();
    stn::dyn_dispatch!(&owned, a => {
        let a = a.as_standard_layout();
        let src = a.as_slice().expect("standard layout");
        // SAFETY: plain numbers (bool included) viewed as their bytes.
        let bytes = unsafe {
            std::slice::from_raw_parts(src.as_ptr().cast::<u8>(), std::mem::size_of_val(src))
        };
        dst.copy_from_slice(bytes);
    });
}
