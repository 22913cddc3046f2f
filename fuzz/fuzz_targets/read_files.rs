//! Arbitrary bytes as a `.npy` file, a Zarr array's metadata, a PNG or a
//! TIFF: opening and reading every row gives a clean error or an array,
//! never a panic or an abort.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stn_io::stream::slab::Slab;
use stn_io::stream::source;

fuzz_target!(|data: &[u8]| {
    // What the runner's --memory does: arrays held whole stay within it.
    stn_io::set_decode_limit(256 << 20);
    let Some((&kind, body)) = data.split_first() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let spec = match kind % 5 {
        0 => "x.npy",
        1 => "x.png",
        2 => "x.tif",
        3 => "x.zarr/zarr.json",
        _ => "x.zarr/.zarray",
    };
    let path = dir.path().join(spec);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, body).unwrap();
    let open = if spec.starts_with("x.zarr") {
        dir.path().join("x.zarr")
    } else {
        path
    };
    let Ok(src) = source::open(&open.to_string_lossy()) else {
        return;
    };
    // Read what the header claims, where that is small enough to hold.
    let elems: Option<usize> = src
        .shape()
        .iter()
        .try_fold(1usize, |a, &n| a.checked_mul(n));
    if elems.is_none_or(|n| n * src.dtype().size() > 64 << 20) {
        return;
    }
    let mut slab = Slab::zeroed(src.dtype(), src.shape());
    let _ = slab.read_all(src.as_ref());
});
