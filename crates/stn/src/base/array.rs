//! Dtype-erased n-d arrays: how the engine sees its inputs and outputs.
//!
//! A kernel is specialized at run time for whatever dtypes it is given, so
//! the engine works on views that carry their dtype as a value: a pointer to
//! element `[0, .., 0]`, a shape and byte strides (any sign, zero allowed for
//! inputs). `ArrayRef`/`ArrayMut` borrow such memory from an `ndarray` view or
//! a memory-mapped file; `DynArray` owns an `ndarray` array of one of the 11
//! element types.

use std::marker::PhantomData;

use ndarray::{ArrayD, ArrayView, ArrayViewMut, Dimension, IxDyn, ShapeBuilder};

use crate::base::dtype::DType;
use crate::base::scalar::Scalar;

/// A Rust element type that stn arrays can hold.
pub trait Element: Copy + Send + Sync + Default + 'static {
    /// The dtype of arrays of this element type.
    const DTYPE: DType;
}

macro_rules! elements {
    ($($t:ty => $d:ident),*) => { $(impl Element for $t { const DTYPE: DType = DType::$d; })* };
}
elements!(bool => Bool, i8 => I8, i16 => I16, i32 => I32, i64 => I64, u8 => U8, u16 => U16,
          u32 => U32, u64 => U64, f32 => F32, f64 => F64);

/// A read-only, dtype-erased view of an n-d array.
#[derive(Clone, Debug)]
pub struct ArrayRef<'a> {
    ptr: *const u8,
    dtype: DType,
    shape: Vec<usize>,
    /// Byte strides, one per axis.
    strides: Vec<isize>,
    _life: PhantomData<&'a [u8]>,
}

// SAFETY: an `ArrayRef` is a shared borrow of plain numbers.
unsafe impl Send for ArrayRef<'_> {}
unsafe impl Sync for ArrayRef<'_> {}

impl<'a> ArrayRef<'a> {
    /// Views an `ndarray` view of any layout.
    pub fn new<T: Element, D: Dimension>(view: ArrayView<'a, T, D>) -> ArrayRef<'a> {
        let size = std::mem::size_of::<T>() as isize;
        ArrayRef {
            ptr: view.as_ptr() as *const u8,
            dtype: T::DTYPE,
            shape: view.shape().to_vec(),
            strides: view.strides().iter().map(|&s| s * size).collect(),
            _life: PhantomData,
        }
    }

    /// Views raw memory.
    ///
    /// # Safety
    /// Every element reachable from `ptr` through `shape` and the byte
    /// `strides` must be a valid, readable value of `dtype` for `'a`.
    pub unsafe fn from_raw(
        ptr: *const u8,
        dtype: DType,
        shape: Vec<usize>,
        strides: Vec<isize>,
    ) -> ArrayRef<'a> {
        ArrayRef {
            ptr,
            dtype,
            shape,
            strides,
            _life: PhantomData,
        }
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// The length of each axis.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Byte strides.
    pub fn strides(&self) -> &[isize] {
        &self.strides
    }

    /// The address of element `[0, .., 0]`.
    pub fn as_ptr(&self) -> *const u8 {
        self.ptr
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element at `index` (one in-range index per axis).
    pub fn get(&self, index: &[usize]) -> Scalar {
        assert_eq!(index.len(), self.shape.len(), "index rank");
        let mut off = 0isize;
        for ((&i, &n), &s) in index.iter().zip(&self.shape).zip(&self.strides) {
            assert!(i < n, "index {i} out of range for an axis of length {n}");
            off += i as isize * s;
        }
        // SAFETY: the index is in range, so by `from_raw`'s contract (or the
        // borrowed ndarray view) the element is readable.
        let bytes = unsafe { std::slice::from_raw_parts(self.ptr.offset(off), self.dtype.size()) };
        Scalar::read(self.dtype, bytes)
    }

    /// A copy in C order.
    pub fn to_owned(&self) -> DynArray {
        // In logical (C) order; ndarray's own `to_owned` keeps the view's
        // strides, which it then refuses for some (negative strides on
        // length-1 axes).
        let fast = crate::with_element_type!(self.dtype, T => self.typed::<T>().map(|v| {
            let data: Vec<T> = match v.as_slice() {
                Some(s) => s.to_vec(),
                None => v.iter().copied().collect(),
            };
            DynArray::from_typed(
                ArrayD::from_shape_vec(IxDyn(&self.shape), data).expect("C-order data of the shape"),
            )
        }));
        if let Some(a) = fast {
            return a;
        }
        let mut out = DynArray::zeros(self.dtype, &self.shape);
        let mut m = out.view_mut();
        for_each_index(&self.shape, |ix| m.set(ix, self.get(ix)));
        out
    }

    /// Rows `rows` of axis 0 (which must exist), in place.
    pub fn rows(&self, rows: std::ops::Range<usize>) -> ArrayRef<'a> {
        assert!(
            rows.start <= rows.end && rows.end <= self.shape[0],
            "rows {rows:?} of an axis of length {}",
            self.shape[0]
        );
        let mut shape = self.shape.clone();
        shape[0] = rows.len();
        let ptr = if rows.is_empty() {
            self.ptr
        } else {
            self.ptr
                .wrapping_offset(rows.start as isize * self.strides[0])
        };
        // SAFETY: every element of the sub-array is an element of `self`.
        unsafe { ArrayRef::from_raw(ptr, self.dtype, shape, self.strides.clone()) }
    }

    /// The same memory with its axes reordered: axis `k` of the result is
    /// axis `order[k]` of this view (`order` a permutation of the axes).
    pub fn permuted(&self, order: &[usize]) -> ArrayRef<'a> {
        let (shape, strides) = permute(&self.shape, &self.strides, order);
        // SAFETY: the same elements, addressed in another axis order.
        unsafe { ArrayRef::from_raw(self.ptr, self.dtype, shape, strides) }
    }

    /// The typed `ndarray` view, if the dtype is `T`'s.
    pub fn typed<T: Element>(&self) -> Option<ArrayView<'a, T, IxDyn>> {
        if T::DTYPE != self.dtype {
            return None;
        }
        let size = self.dtype.size() as isize;
        if self.strides.iter().any(|s| s % size != 0) {
            return None;
        }
        // ndarray takes non-negative strides from the lowest address: start
        // there, and reverse the axes whose stride was negative.
        let mut low = self.ptr;
        let mut strides = Vec::with_capacity(self.shape.len());
        for (&n, &s) in self.shape.iter().zip(&self.strides) {
            if s < 0 && n > 0 {
                low = low.wrapping_offset((n as isize - 1) * s);
            }
            strides.push(s.abs() / size);
        }
        // SAFETY: same memory, same element type, strides in elements, and
        // `low` is the element with the lowest address.
        let mut view = unsafe {
            ArrayView::from_shape_ptr(
                IxDyn(&self.shape).strides(strides_usize(&strides)),
                low as *const T,
            )
        };
        for (k, &s) in self.strides.iter().enumerate() {
            if s < 0 {
                view.invert_axis(ndarray::Axis(k));
            }
        }
        Some(view)
    }
}

/// `shape` and `strides` in the axis order `order`.
fn permute(shape: &[usize], strides: &[isize], order: &[usize]) -> (Vec<usize>, Vec<isize>) {
    let mut seen = vec![false; shape.len()];
    assert_eq!(order.len(), shape.len(), "a permutation of every axis");
    for &k in order {
        assert!(k < shape.len() && !seen[k], "a permutation of every axis");
        seen[k] = true;
    }
    (
        order.iter().map(|&k| shape[k]).collect(),
        order.iter().map(|&k| strides[k]).collect(),
    )
}

/// ndarray takes custom strides as `usize` and reinterprets them as signed.
fn strides_usize(s: &[isize]) -> IxDyn {
    IxDyn(&s.iter().map(|&v| v as usize).collect::<Vec<_>>())
}

/// A writable, dtype-erased view of an n-d array. Distinct indices must
/// address distinct, non-overlapping elements.
#[derive(Debug)]
pub struct ArrayMut<'a> {
    ptr: *mut u8,
    dtype: DType,
    shape: Vec<usize>,
    strides: Vec<isize>,
    _life: PhantomData<&'a mut [u8]>,
}

// SAFETY: an `ArrayMut` is a unique borrow of plain numbers.
unsafe impl Send for ArrayMut<'_> {}
unsafe impl Sync for ArrayMut<'_> {}

impl<'a> ArrayMut<'a> {
    /// Views an `ndarray` mutable view of any layout.
    pub fn new<T: Element, D: Dimension>(mut view: ArrayViewMut<'a, T, D>) -> ArrayMut<'a> {
        let size = std::mem::size_of::<T>() as isize;
        ArrayMut {
            ptr: view.as_mut_ptr() as *mut u8,
            dtype: T::DTYPE,
            shape: view.shape().to_vec(),
            strides: view.strides().iter().map(|&s| s * size).collect(),
            _life: PhantomData,
        }
    }

    /// Views raw writable memory.
    ///
    /// # Safety
    /// As `ArrayRef::from_raw`, plus: the elements are writable, and no two
    /// indices address overlapping bytes.
    pub unsafe fn from_raw(
        ptr: *mut u8,
        dtype: DType,
        shape: Vec<usize>,
        strides: Vec<isize>,
    ) -> ArrayMut<'a> {
        ArrayMut {
            ptr,
            dtype,
            shape,
            strides,
            _life: PhantomData,
        }
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// The length of each axis.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Byte strides.
    pub fn strides(&self) -> &[isize] {
        &self.strides
    }

    /// The address of element `[0, .., 0]`.
    pub fn as_mut_ptr(&mut self) -> *mut u8 {
        self.ptr
    }

    /// Rows `rows` of axis 0 (which must exist), in place.
    pub fn rows(&mut self, rows: std::ops::Range<usize>) -> ArrayMut<'_> {
        assert!(
            rows.start <= rows.end && rows.end <= self.shape[0],
            "rows {rows:?} of an axis of length {}",
            self.shape[0]
        );
        let mut shape = self.shape.clone();
        shape[0] = rows.len();
        let ptr = if rows.is_empty() {
            self.ptr
        } else {
            self.ptr
                .wrapping_offset(rows.start as isize * self.strides[0])
        };
        // SAFETY: every element of the sub-array is an element of `self`,
        // borrowed uniquely for the shorter lifetime.
        unsafe { ArrayMut::from_raw(ptr, self.dtype, shape, self.strides.clone()) }
    }

    /// The same memory with its axes reordered (see `ArrayRef::permuted`).
    pub fn permuted(&mut self, order: &[usize]) -> ArrayMut<'_> {
        let (shape, strides) = permute(&self.shape, &self.strides, order);
        // SAFETY: the same elements, addressed in another axis order,
        // borrowed uniquely for the shorter lifetime.
        unsafe { ArrayMut::from_raw(self.ptr, self.dtype, shape, strides) }
    }

    /// A read-only view of the same memory.
    pub fn as_ref(&self) -> ArrayRef<'_> {
        // SAFETY: same memory, borrowed shared for the shorter lifetime.
        unsafe {
            ArrayRef::from_raw(
                self.ptr,
                self.dtype,
                self.shape.clone(),
                self.strides.clone(),
            )
        }
    }

    /// A shorter-lived writable view of the same memory.
    pub fn reborrow(&mut self) -> ArrayMut<'_> {
        // SAFETY: same memory, borrowed uniquely for the shorter lifetime.
        unsafe {
            ArrayMut::from_raw(
                self.ptr,
                self.dtype,
                self.shape.clone(),
                self.strides.clone(),
            )
        }
    }

    /// Writes `value` (already of this array's dtype) at `index`.
    pub fn set(&mut self, index: &[usize], value: Scalar) {
        assert_eq!(index.len(), self.shape.len(), "index rank");
        let mut off = 0isize;
        for ((&i, &n), &s) in index.iter().zip(&self.shape).zip(&self.strides) {
            assert!(i < n, "index {i} out of range for an axis of length {n}");
            off += i as isize * s;
        }
        // SAFETY: in range and writable by construction.
        let bytes =
            unsafe { std::slice::from_raw_parts_mut(self.ptr.offset(off), self.dtype.size()) };
        value.write(self.dtype, bytes);
    }
}

/// Calls `f` with every index of `shape`, in C order (last axis fastest).
pub fn for_each_index(shape: &[usize], mut f: impl FnMut(&[usize])) {
    if shape.contains(&0) {
        return;
    }
    // Inline: boxes and rows of the executor are walked per tile.
    let mut ix: smallvec::SmallVec<[usize; 8]> = smallvec::smallvec![0; shape.len()];
    loop {
        f(&ix);
        let mut k = shape.len();
        loop {
            if k == 0 {
                return;
            }
            k -= 1;
            ix[k] += 1;
            if ix[k] < shape[k] {
                break;
            }
            ix[k] = 0;
        }
    }
}

/// An owned n-d array of any supported dtype.
#[derive(Clone, Debug, PartialEq)]
pub enum DynArray {
    /// An array of `bool`.
    Bool(ArrayD<bool>),
    /// An array of `i8`.
    I8(ArrayD<i8>),
    /// An array of `i16`.
    I16(ArrayD<i16>),
    /// An array of `i32`.
    I32(ArrayD<i32>),
    /// An array of `i64`.
    I64(ArrayD<i64>),
    /// An array of `u8`.
    U8(ArrayD<u8>),
    /// An array of `u16`.
    U16(ArrayD<u16>),
    /// An array of `u32`.
    U32(ArrayD<u32>),
    /// An array of `u64`.
    U64(ArrayD<u64>),
    /// An array of `f32`.
    F32(ArrayD<f32>),
    /// An array of `f64`.
    F64(ArrayD<f64>),
}

/// Runs `$body` with `$a` bound to the typed array inside a `DynArray`.
#[macro_export]
#[doc(hidden)]
macro_rules! dyn_dispatch {
    ($arr:expr, $a:ident => $body:expr) => {
        match $arr {
            $crate::DynArray::Bool($a) => $body,
            $crate::DynArray::I8($a) => $body,
            $crate::DynArray::I16($a) => $body,
            $crate::DynArray::I32($a) => $body,
            $crate::DynArray::I64($a) => $body,
            $crate::DynArray::U8($a) => $body,
            $crate::DynArray::U16($a) => $body,
            $crate::DynArray::U32($a) => $body,
            $crate::DynArray::U64($a) => $body,
            $crate::DynArray::F32($a) => $body,
            $crate::DynArray::F64($a) => $body,
        }
    };
}

/// Runs `$body` with `$t` as the Rust element type of the `DType` `$dtype`.
#[macro_export]
#[doc(hidden)]
macro_rules! with_element_type {
    ($dtype:expr, $t:ident => $body:expr) => {
        match $dtype {
            $crate::DType::Bool => {
                type $t = bool;
                $body
            }
            $crate::DType::I8 => {
                type $t = i8;
                $body
            }
            $crate::DType::I16 => {
                type $t = i16;
                $body
            }
            $crate::DType::I32 => {
                type $t = i32;
                $body
            }
            $crate::DType::I64 => {
                type $t = i64;
                $body
            }
            $crate::DType::U8 => {
                type $t = u8;
                $body
            }
            $crate::DType::U16 => {
                type $t = u16;
                $body
            }
            $crate::DType::U32 => {
                type $t = u32;
                $body
            }
            $crate::DType::U64 => {
                type $t = u64;
                $body
            }
            $crate::DType::F32 => {
                type $t = f32;
                $body
            }
            $crate::DType::F64 => {
                type $t = f64;
                $body
            }
        }
    };
}

/// Arrays of at least this many bytes ask for transparent huge pages.
const HUGE_PAGES_FROM: usize = 8 << 20;

/// Asks Linux to back `bytes` at `ptr` (fresh, untouched memory) with
/// transparent huge pages where it can. Where THP is in `madvise` mode,
/// a large array otherwise takes one page fault per 4 KiB on first touch:
/// 16 thousand faults for 64 MiB, tens of milliseconds on a VM, more than
/// a kernel's pass over the data. Only advice: nothing changes if refused.
fn advise_huge_pages(ptr: *mut u8, bytes: usize) {
    #[cfg(target_os = "linux")]
    {
        const PAGE: usize = 4096;
        let start = (ptr as usize).next_multiple_of(PAGE);
        let end = (ptr as usize + bytes) & !(PAGE - 1);
        if end > start {
            // SAFETY: the range lies inside an allocation this process
            // owns; MADV_HUGEPAGE changes no content, only how pages are
            // backed, and its failure is harmless.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (ptr, bytes);
}

/// The transparent huge page size of x86-64 (and of arm64 with 4 KiB pages).
const HUGE_PAGE: usize = 2 << 20;

/// Freed `OutputBuffer`s kept for reuse: at most this many bytes in all.
const KEEP_BYTES: usize = 256 << 20;

/// Memory for a large new output array (the Python package's `k(x)`).
///
/// Fresh memory costs a pass of its own: the kernel zeroes every page on
/// first touch (on a 2-core AVX2 VM, about 6 ms per 64 MiB on one core,
/// about a 5-point stencil's whole run over it; many times that where the
/// hypervisor has taken the guest's free memory back), which an `out=`
/// array written again does not pay. So a dropped buffer is not unmapped
/// but kept, up to `KEEP_BYTES` in all (the oldest go first), and the next
/// buffer of the same size in whole huge pages is that memory again: a
/// loop of `y = k(x)` writes into pages already mapped, as with `out=`. A
/// new mapping starts on a huge-page boundary and spans whole huge pages,
/// all advised to be huge (where only the aligned middle of a `malloc`ed
/// array is, the rest takes one fault per 4 KiB).
///
/// The contents are unspecified (zeros, or a dropped array's bytes): the
/// caller writes every element before anything reads it.
pub struct OutputBuffer {
    ptr: std::ptr::NonNull<u8>,
    /// The mapping's length, a multiple of `HUGE_PAGE`.
    len: usize,
}

// SAFETY: the buffer owns its mapping alone and hands out only raw
// pointers; plain memory may be written from any thread.
unsafe impl Send for OutputBuffer {}
// SAFETY: `&OutputBuffer` reads nothing through the pointer.
unsafe impl Sync for OutputBuffer {}

/// Kept mappings as (address, length), the oldest first.
static KEPT: std::sync::Mutex<std::collections::VecDeque<(usize, usize)>> =
    std::sync::Mutex::new(std::collections::VecDeque::new());

fn kept() -> std::sync::MutexGuard<'static, std::collections::VecDeque<(usize, usize)>> {
    KEPT.lock().unwrap_or_else(|p| p.into_inner())
}

impl OutputBuffer {
    /// At least `bytes` bytes, aligned to 2 MiB; `None` below
    /// `HUGE_PAGES_FROM` bytes (the system allocator serves those well),
    /// off Linux, or if the memory cannot be mapped: the caller then
    /// allocates as it would have.
    pub fn new(bytes: usize) -> Option<OutputBuffer> {
        if bytes < HUGE_PAGES_FROM || !cfg!(target_os = "linux") {
            return None;
        }
        let len = bytes.checked_next_multiple_of(HUGE_PAGE)?;
        let reused = {
            let mut kept = kept();
            let i = kept.iter().rposition(|&(_, l)| l == len);
            i.and_then(|i| kept.remove(i))
        };
        let addr = match reused {
            Some((addr, _)) => addr,
            None => map_aligned(len)?,
        };
        let ptr = std::ptr::NonNull::new(addr as *mut u8)?;
        Some(OutputBuffer { ptr, len })
    }

    /// The first byte.
    pub fn as_mut_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }
}

impl Drop for OutputBuffer {
    fn drop(&mut self) {
        let mut gone = Vec::new();
        {
            let mut kept = kept();
            kept.push_back((self.ptr.as_ptr() as usize, self.len));
            let mut total: usize = kept.iter().map(|&(_, l)| l).sum();
            while total > KEEP_BYTES {
                let (addr, len) = kept.pop_front().expect("the total counts the kept");
                total -= len;
                gone.push((addr, len));
            }
        }
        for (addr, len) in gone {
            unmap(addr, len);
        }
    }
}

/// A new private anonymous mapping of `len` bytes (a multiple of
/// `HUGE_PAGE`) that starts on a huge-page boundary, advised to be huge.
#[cfg(target_os = "linux")]
fn map_aligned(len: usize) -> Option<usize> {
    let span = len.checked_add(HUGE_PAGE)?;
    // SAFETY: a new anonymous mapping where the kernel chooses touches no
    // memory of this process.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            span,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return None;
    }
    let start = p as usize;
    let aligned = start.next_multiple_of(HUGE_PAGE);
    // The mapping is page-aligned, so both trimmed ends are whole pages.
    unmap(start, aligned - start);
    unmap(aligned + len, start + span - (aligned + len));
    advise_huge_pages(aligned as *mut u8, len);
    Some(aligned)
}

#[cfg(not(target_os = "linux"))]
fn map_aligned(_len: usize) -> Option<usize> {
    None
}

/// Unmaps `len` bytes at `addr`: a part of a mapping `map_aligned` made
/// that nothing refers to any more.
fn unmap(addr: usize, len: usize) {
    #[cfg(target_os = "linux")]
    if len > 0 {
        // SAFETY: the caller hands over the range, which no reference or
        // pointer in use points into.
        unsafe {
            libc::munmap(addr as *mut libc::c_void, len);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (addr, len);
}

impl DynArray {
    /// A zero-filled array in C order. Large ones ask for huge pages.
    pub fn zeros(dtype: DType, shape: &[usize]) -> DynArray {
        let mut a = DynArray::zeroed(dtype, shape);
        let bytes = shape.iter().product::<usize>() * dtype.size();
        if bytes >= HUGE_PAGES_FROM {
            advise_huge_pages(a.view_mut().as_mut_ptr(), bytes);
        }
        a
    }

    fn zeroed(dtype: DType, shape: &[usize]) -> DynArray {
        let s = IxDyn(shape);
        match dtype {
            DType::Bool => DynArray::Bool(ArrayD::default(s)),
            DType::I8 => DynArray::I8(ArrayD::zeros(s)),
            DType::I16 => DynArray::I16(ArrayD::zeros(s)),
            DType::I32 => DynArray::I32(ArrayD::zeros(s)),
            DType::I64 => DynArray::I64(ArrayD::zeros(s)),
            DType::U8 => DynArray::U8(ArrayD::zeros(s)),
            DType::U16 => DynArray::U16(ArrayD::zeros(s)),
            DType::U32 => DynArray::U32(ArrayD::zeros(s)),
            DType::U64 => DynArray::U64(ArrayD::zeros(s)),
            DType::F32 => DynArray::F32(ArrayD::zeros(s)),
            DType::F64 => DynArray::F64(ArrayD::zeros(s)),
        }
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        match self {
            DynArray::Bool(_) => DType::Bool,
            DynArray::I8(_) => DType::I8,
            DynArray::I16(_) => DType::I16,
            DynArray::I32(_) => DType::I32,
            DynArray::I64(_) => DType::I64,
            DynArray::U8(_) => DType::U8,
            DynArray::U16(_) => DType::U16,
            DynArray::U32(_) => DType::U32,
            DynArray::U64(_) => DType::U64,
            DynArray::F32(_) => DType::F32,
            DynArray::F64(_) => DType::F64,
        }
    }

    /// The length of each axis.
    pub fn shape(&self) -> &[usize] {
        dyn_dispatch!(self, a => a.shape())
    }

    /// A dtype-erased view of the whole array.
    pub fn view(&self) -> ArrayRef<'_> {
        dyn_dispatch!(self, a => ArrayRef::new(a.view()))
    }

    /// A dtype-erased mutable view of the whole array.
    pub fn view_mut(&mut self) -> ArrayMut<'_> {
        dyn_dispatch!(self, a => ArrayMut::new(a.view_mut()))
    }

    /// The typed array, if the dtype is `T`'s.
    pub fn into_typed<T: Element>(self) -> Option<ArrayD<T>> {
        fn cast<A: 'static, B: 'static>(a: ArrayD<A>) -> Option<ArrayD<B>> {
            (Box::new(a) as Box<dyn std::any::Any>)
                .downcast::<ArrayD<B>>()
                .ok()
                .map(|b| *b)
        }
        dyn_dispatch!(self, a => cast(a))
    }

    /// Wraps a typed array.
    pub fn from_typed<T: Element>(a: ArrayD<T>) -> DynArray {
        fn cast<A: 'static, B: 'static>(a: ArrayD<A>) -> ArrayD<B> {
            *(Box::new(a) as Box<dyn std::any::Any>)
                .downcast::<ArrayD<B>>()
                .expect("dtype matches T")
        }
        match T::DTYPE {
            DType::Bool => DynArray::Bool(cast(a)),
            DType::I8 => DynArray::I8(cast(a)),
            DType::I16 => DynArray::I16(cast(a)),
            DType::I32 => DynArray::I32(cast(a)),
            DType::I64 => DynArray::I64(cast(a)),
            DType::U8 => DynArray::U8(cast(a)),
            DType::U16 => DynArray::U16(cast(a)),
            DType::U32 => DynArray::U32(cast(a)),
            DType::U64 => DynArray::U64(cast(a)),
            DType::F32 => DynArray::F32(cast(a)),
            DType::F64 => DynArray::F64(cast(a)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, s};

    #[test]
    fn typed_views_keep_any_strides() {
        let a = Array2::from_shape_fn((3, 4), |(i, j)| (i * 10 + j) as i16);
        for v in [
            a.view(),
            a.slice(s![..;-1, ..]),
            a.slice(s![.., ..;-2]),
            a.t(),
        ] {
            let r = ArrayRef::new(v.view());
            assert_eq!(r.typed::<i16>().unwrap(), v.into_dyn());
        }
        assert!(ArrayRef::new(a.view()).typed::<u16>().is_none());
    }

    #[test]
    fn output_buffers_are_aligned_and_reused() {
        assert!(OutputBuffer::new(HUGE_PAGES_FROM - 1).is_none());
        // A size no other test asks for: 11 MiB + 1 is 12 MiB in huge pages.
        let bytes = (11 << 20) + 1;
        let a = OutputBuffer::new(bytes);
        if !cfg!(target_os = "linux") {
            return assert!(a.is_none());
        }
        let a = a.expect("12 MiB mapped");
        assert_eq!(a.as_mut_ptr() as usize % HUGE_PAGE, 0);
        // SAFETY: the buffer holds at least `bytes` writable bytes.
        unsafe { std::ptr::write_bytes(a.as_mut_ptr(), 7, bytes) };
        let at = a.as_mut_ptr();
        drop(a);
        let b = OutputBuffer::new(12 << 20).expect("the kept buffer");
        assert_eq!(b.as_mut_ptr(), at, "the dropped buffer is reused");
        // SAFETY: as above; the bytes are the dropped buffer's.
        assert_eq!(unsafe { *b.as_mut_ptr().add(bytes - 1) }, 7);
    }
}
