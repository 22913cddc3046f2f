//! Guard pages: inputs and outputs are placed flush against unmapped pages
//! (`PROT_NONE`), before and after, so that any read or write the generated
//! code makes outside an array faults instead of passing unnoticed. Every
//! result must also equal the interpreter's.

use stn::{ArrayMut, ArrayRef, DType, Engine, Mode, Options, Program, Scalar};

/// `len` bytes of memory with an inaccessible page right before and right
/// after: the bytes start exactly at the end of the first guard page (`at
/// the start`) or end exactly at the start of the second (`at the end`).
struct Guarded {
    map: *mut u8,
    map_len: usize,
    data: *mut u8,
}

impl Guarded {
    fn new(len: usize, flush_end: bool) -> Guarded {
        let page = 4096;
        let body = len.div_ceil(page).max(1) * page;
        let map_len = body + 2 * page;
        // SAFETY: a fresh private anonymous mapping; the guard pages are
        // made inaccessible and never touched by the test itself.
        unsafe {
            let map = libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            assert_ne!(map, libc::MAP_FAILED);
            let map = map as *mut u8;
            assert_eq!(libc::mprotect(map as *mut _, page, libc::PROT_NONE), 0);
            assert_eq!(
                libc::mprotect(map.add(page + body) as *mut _, page, libc::PROT_NONE),
                0
            );
            let data = if flush_end {
                map.add(page + body - len)
            } else {
                map.add(page)
            };
            Guarded { map, map_len, data }
        }
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`.
        unsafe { libc::munmap(self.map as *mut _, self.map_len) };
    }
}

/// C-order byte strides, or reversed along axis 0 (negative stride).
fn layout(shape: &[usize], size: usize, reversed: bool) -> (Vec<isize>, isize) {
    let mut strides = vec![size as isize; shape.len()];
    for k in (0..shape.len() - 1).rev() {
        strides[k] = strides[k + 1] * shape[k + 1] as isize;
    }
    let mut offset = 0;
    if reversed && shape[0] > 0 {
        offset = (shape[0] as isize - 1) * strides[0];
        strides[0] = -strides[0];
    }
    (strides, offset)
}

fn check(src: &str, dtype: DType, shape: &[usize]) {
    let program = Program::from_source("guard.stn", src).unwrap();
    let kernel = program.kernel(None).unwrap();
    let out_dtype = stn::internals::specialize(kernel, &[dtype])
        .unwrap()
        .typed
        .out_dtype();
    let n: usize = shape.iter().product();
    for flush_end in [false, true] {
        for reversed in [false, true] {
            let input = Guarded::new(n * dtype.size(), flush_end);
            let (strides, offset) = layout(shape, dtype.size(), reversed);
            // SAFETY: the body of the guarded mapping holds `n` elements;
            // `offset` and `strides` address exactly them.
            let x = unsafe {
                for i in 0..n {
                    let v = Scalar::Int(((i * 37 + 11) % 201) as i64 - 100).cast(dtype);
                    let mut b = [0u8; 8];
                    v.write(dtype, &mut b[..dtype.size()]);
                    std::ptr::copy_nonoverlapping(
                        b.as_ptr(),
                        input.data.add(i * dtype.size()),
                        dtype.size(),
                    );
                }
                ArrayRef::from_raw(input.data.offset(offset), dtype, shape.to_vec(), strides)
            };
            for mode in Mode::ALL {
                let opts = Options::new().boundary(mode).cval(3);
                let out = Guarded::new(n * out_dtype.size(), flush_end);
                let (ostrides, ooffset) = layout(shape, out_dtype.size(), reversed);
                // SAFETY: as for the input.
                let mut y = unsafe {
                    ArrayMut::from_raw(
                        out.data.offset(ooffset),
                        out_dtype,
                        shape.to_vec(),
                        ostrides,
                    )
                };
                kernel
                    .run_into(std::slice::from_ref(&x), &mut y, &opts)
                    .unwrap();
                let expect = kernel
                    .run(std::slice::from_ref(&x), &opts.engine(Engine::Interpreter))
                    .unwrap();
                let got = y.as_ref().to_owned();
                assert_eq!(
                    got, expect,
                    "{src} {dtype} {shape:?} {mode} flush_end={flush_end} reversed={reversed}"
                );
            }
        }
    }
}

#[test]
fn no_access_leaves_the_arrays() {
    let smooth = "kernel k(x) { (x[-1,-1] + x[-1,0] + x[-1,1] + x[0,-1] + x[0,0] + x[0,1] + x[1,-1] + x[1,0] + x[1,1]) // 9 }";
    let lopsided = "kernel k(x) { x[-2, 0] * 3 + x[1, -1] - x[0, 3] + x[2, 1] }";
    let row = "kernel k(x) { x[0, -1] + 2 * x[0, 0] + x[0, 1] }";
    for shape in [[1, 1], [2, 3], [3, 17], [7, 64], [5, 33], [40, 1], [0, 5]] {
        for dtype in [DType::I8, DType::U16, DType::F32, DType::F64] {
            check(smooth, dtype, &shape);
            check(row, dtype, &shape);
        }
        check(lopsided, DType::I32, &shape);
    }
    let cube = "kernel k(x) { 0.4 * x[0,0,0] + 0.1 * (x[-1,0,0] + x[1,0,0] + x[0,-1,0] + x[0,1,0] + x[0,0,-1] + x[0,0,1]) }";
    for shape in [[1, 1, 1], [2, 3, 5], [4, 6, 9]] {
        check(cube, DType::F32, &shape);
    }
}
