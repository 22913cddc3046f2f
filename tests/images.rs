//! PNG and TIFF input and output: round trips, multi-page TIFF, globs,
//! `{}` patterns, and the errors for wrong dtypes and bad files.

use std::path::Path;

use ndarray::{ArrayD, IxDyn, s};
use stn::{ArrayRef, DynArray, Element, Error};
use stn_io::image::{is_image, read, write};

fn ramp<T: Element>(shape: &[usize], f: impl Fn(usize) -> T) -> ArrayD<T> {
    let n: usize = shape.iter().product();
    ArrayD::from_shape_vec(IxDyn(shape), (0..n).map(f).collect()).unwrap()
}

fn u8s(shape: &[usize]) -> ArrayD<u8> {
    ramp(shape, |i| (i * 37 % 256) as u8)
}

fn u16s(shape: &[usize]) -> ArrayD<u16> {
    ramp(shape, |i| (i * 4099 % 65536) as u16)
}

fn p(dir: &Path, name: &str) -> String {
    dir.join(name).to_string_lossy().into_owned()
}

fn message(e: Error) -> String {
    match e {
        Error::Io { message: m, .. } | Error::Usage(m) => m,
        other => panic!("unexpected error kind: {other}"),
    }
}

/// Files in `dir`, sorted, hidden ones (temporaries) included.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn round_trip(name: &str, a: DynArray) {
    let dir = tempfile::tempdir().unwrap();
    let path = p(dir.path(), name);
    write(&path, a.view()).unwrap();
    let back = read(&path).unwrap();
    assert_eq!(back, a, "{name} {:?}", a.shape());
    assert_eq!(listing(dir.path()), vec![name.to_string()]);
}

#[test]
fn is_image_knows_the_extensions() {
    for s in [
        "a.png",
        "A.PNG",
        "x/y.tif",
        "y.TIFF",
        "frames/*.png",
        "out/{}.tif",
    ] {
        assert!(is_image(s), "{s}");
    }
    for s in ["a.npy", "a.zarr", "png", "a.png.bak", "dir/"] {
        assert!(!is_image(s), "{s}");
    }
}

#[test]
fn grey_and_colour_round_trip_through_png_and_tiff() {
    for ext in ["png", "tif", "tiff"] {
        for shape in [&[5, 7][..], &[5, 7, 2], &[5, 7, 3], &[5, 7, 4]] {
            round_trip(&format!("a.{ext}"), DynArray::from_typed(u8s(shape)));
            round_trip(&format!("b.{ext}"), DynArray::from_typed(u16s(shape)));
        }
    }
    let f = ramp(&[4, 6], |i| i as f32 * 0.25 - 1.5);
    round_trip("f.tif", DynArray::from_typed(f));
}

#[test]
fn one_channel_3d_is_written_as_grey() {
    let dir = tempfile::tempdir().unwrap();
    let path = p(dir.path(), "g.png");
    let a = u8s(&[3, 4, 1]);
    write(&path, ArrayRef::new(a.view())).unwrap();
    let back = read(&path).unwrap().into_typed::<u8>().unwrap();
    assert_eq!(back.shape(), &[3, 4]);
    assert_eq!(back.into_shape_with_order(IxDyn(&[3, 4, 1])).unwrap(), a);
}

#[test]
fn any_strides_are_written_in_logical_order() {
    let dir = tempfile::tempdir().unwrap();
    let base = u16s(&[6, 10]);
    // Transposed, reversed and stepped.
    let view = base.slice(s![..;-2, 1..;3]).reversed_axes().into_dyn();
    for name in ["t.png", "t.tif"] {
        let path = p(dir.path(), name);
        write(&path, ArrayRef::new(view.view())).unwrap();
        assert_eq!(read(&path).unwrap(), DynArray::from_typed(view.to_owned()));
    }
}

#[test]
fn multi_page_tiff_stacks_pages_along_axis_0() {
    let grey = u16s(&[3, 5, 6]);
    round_trip("stack.tif", DynArray::from_typed(grey));
    let rgb = u8s(&[2, 4, 5, 3]);
    round_trip("rgb.tiff", DynArray::from_typed(rgb));
}

#[test]
fn a_3d_stack_into_png_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let a = u8s(&[3, 5, 6]);
    let m = message(write(&p(dir.path(), "s.png"), ArrayRef::new(a.view())).unwrap_err());
    assert!(m.contains("s.png") && m.contains("{}"), "{m}");
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn pattern_output_is_zero_padded_and_globs_read_it_back_sorted() {
    let dir = tempfile::tempdir().unwrap();
    let a = u8s(&[11, 4, 5]);
    write(&p(dir.path(), "f{}.png"), ArrayRef::new(a.view())).unwrap();
    let names = listing(dir.path());
    assert_eq!(names.len(), 11);
    assert_eq!(names[0], "f00.png");
    assert_eq!(names[10], "f10.png");
    let back = read(&p(dir.path(), "f*.png")).unwrap();
    assert_eq!(back, DynArray::from_typed(a));

    // Fewer than 10 frames: one digit; a single frame: "0".
    let one = tempfile::tempdir().unwrap();
    let b = u16s(&[1, 3, 3, 3]);
    write(&p(one.path(), "{}.tif"), ArrayRef::new(b.view())).unwrap();
    assert_eq!(listing(one.path()), vec!["0.tif".to_string()]);
    assert_eq!(
        read(&p(one.path(), "0.tif")).unwrap(),
        DynArray::from_typed(b.index_axis_move(ndarray::Axis(0), 0))
    );
}

#[test]
fn glob_is_sorted_by_path() {
    let dir = tempfile::tempdir().unwrap();
    // Written out of order.
    for (name, v) in [("c.png", 3u8), ("a.png", 1), ("b.png", 2)] {
        let a = ArrayD::from_elem(IxDyn(&[2, 2]), v);
        write(&p(dir.path(), name), ArrayRef::new(a.view())).unwrap();
    }
    let back = read(&p(dir.path(), "*.png"))
        .unwrap()
        .into_typed::<u8>()
        .unwrap();
    assert_eq!(back.shape(), &[3, 2, 2]);
    let firsts: Vec<u8> = (0..3).map(|i| back[[i, 0, 0]]).collect();
    assert_eq!(firsts, vec![1, 2, 3]);
}

#[test]
fn mismatched_frames_name_the_first_odd_file() {
    let dir = tempfile::tempdir().unwrap();
    write(&p(dir.path(), "a.png"), ArrayRef::new(u8s(&[4, 4]).view())).unwrap();
    write(&p(dir.path(), "b.png"), ArrayRef::new(u8s(&[4, 4]).view())).unwrap();
    write(&p(dir.path(), "c.png"), ArrayRef::new(u8s(&[4, 5]).view())).unwrap();
    write(&p(dir.path(), "d.png"), ArrayRef::new(u16s(&[4, 4]).view())).unwrap();
    let m = message(read(&p(dir.path(), "*.png")).unwrap_err());
    assert!(m.contains("c.png") && !m.contains("d.png"), "{m}");
    assert!(m.contains("4x5 u8") && m.contains("4x4 u8"), "{m}");

    std::fs::remove_file(dir.path().join("c.png")).unwrap();
    let m = message(read(&p(dir.path(), "*.png")).unwrap_err());
    assert!(m.contains("d.png") && m.contains("u16"), "{m}");
}

#[test]
fn a_glob_with_no_match_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let spec = p(dir.path(), "*.png");
    let m = message(read(&spec).unwrap_err());
    assert!(m.contains(&spec) && m.contains("no files match"), "{m}");
}

#[test]
fn wrong_dtypes_are_refused_with_the_allowed_ones() {
    let dir = tempfile::tempdir().unwrap();
    let f = ramp(&[3, 3], |i| i as f64);
    let path = p(dir.path(), "out.png");
    let m = message(write(&path, ArrayRef::new(f.view())).unwrap_err());
    assert_eq!(
        m,
        format!(
            "cannot write f64 to `{path}`: PNG holds u8 or u16 (cast in the kernel, e.g. `-> u8`)"
        )
    );
    let i = ramp(&[3, 3], |i| i as i16);
    let path = p(dir.path(), "out.tif");
    let m = message(write(&path, ArrayRef::new(i.view())).unwrap_err());
    assert!(m.contains("i16") && m.contains("u8, u16 or f32"), "{m}");
    let m = message(
        write(
            &p(dir.path(), "o.png"),
            ArrayRef::new(f.map(|&v| v as f32).view()),
        )
        .unwrap_err(),
    );
    assert!(m.contains("f32"), "{m}");
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn corrupt_and_truncated_files_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = p(dir.path(), "good.png");
    write(&good, ArrayRef::new(u8s(&[40, 50, 3]).view())).unwrap();
    let bytes = std::fs::read(&good).unwrap();

    let truncated = p(dir.path(), "truncated.png");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let m = message(read(&truncated).unwrap_err());
    assert!(
        m.starts_with(&format!("cannot read `{truncated}`: ")),
        "{m}"
    );

    let corrupt = p(dir.path(), "corrupt.png");
    let mut bad = bytes.clone();
    for b in &mut bad[40..80] {
        *b ^= 0x5a;
    }
    std::fs::write(&corrupt, &bad).unwrap();
    let m = message(read(&corrupt).unwrap_err());
    assert!(m.starts_with(&format!("cannot read `{corrupt}`: ")), "{m}");

    let garbage = p(dir.path(), "garbage.tif");
    std::fs::write(&garbage, b"this is not a tiff file at all").unwrap();
    let m = message(read(&garbage).unwrap_err());
    assert!(m.starts_with(&format!("cannot read `{garbage}`: ")), "{m}");

    let tif = p(dir.path(), "short.tif");
    write(&tif, ArrayRef::new(u16s(&[30, 30]).view())).unwrap();
    let bytes = std::fs::read(&tif).unwrap();
    std::fs::write(&tif, &bytes[..bytes.len() / 3]).unwrap();
    let m = message(read(&tif).unwrap_err());
    assert!(m.starts_with(&format!("cannot read `{tif}`: ")), "{m}");

    let missing = p(dir.path(), "missing.png");
    let m = message(read(&missing).unwrap_err());
    assert!(
        m.contains("missing.png") && m.contains("No such file"),
        "{m}"
    );
}

#[test]
fn a_failing_pattern_write_leaves_no_files() {
    let dir = tempfile::tempdir().unwrap();
    // Frame 2's file name is an existing directory: frames 0 and 1 are
    // written first and must be removed again.
    std::fs::create_dir(dir.path().join("2.png")).unwrap();
    let a = u8s(&[4, 3, 3]);
    let m = message(write(&p(dir.path(), "{}.png"), ArrayRef::new(a.view())).unwrap_err());
    assert!(m.contains("2.png"), "{m}");
    assert_eq!(listing(dir.path()), vec!["2.png".to_string()]);

    // A folder that does not exist: nothing anywhere.
    let m = message(write(&p(dir.path(), "nope/{}.tif"), ArrayRef::new(a.view())).unwrap_err());
    assert!(m.contains("nope"), "{m}");
    assert_eq!(listing(dir.path()), vec!["2.png".to_string()]);
}

#[test]
fn a_pattern_needs_a_frame_axis() {
    let dir = tempfile::tempdir().unwrap();
    let m =
        message(write(&p(dir.path(), "{}.png"), ArrayRef::new(u8s(&[3, 3]).view())).unwrap_err());
    assert!(m.contains("axis 0"), "{m}");
    let empty = u8s(&[0, 3, 3]);
    let m = message(write(&p(dir.path(), "{}.png"), ArrayRef::new(empty.view())).unwrap_err());
    assert!(m.contains("no frames"), "{m}");
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn images_written_by_the_image_crate_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ext.png");
    let img = image::RgbImage::from_fn(5, 3, |x, y| image::Rgb([x as u8, y as u8, 7]));
    img.save(&path).unwrap();
    let a = read(&path.to_string_lossy())
        .unwrap()
        .into_typed::<u8>()
        .unwrap();
    assert_eq!(a.shape(), &[3, 5, 3]);
    assert_eq!(a[[2, 4, 0]], 4);
    assert_eq!(a[[2, 4, 1]], 2);
    assert_eq!(a[[2, 4, 2]], 7);
}

#[test]
fn sixteen_bit_images_from_the_image_crate_keep_their_values() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["ext16.png", "ext16.tif"] {
        let path = dir.path().join(name);
        let img: image::ImageBuffer<image::Luma<u16>, Vec<u16>> =
            image::ImageBuffer::from_fn(4, 2, |x, y| {
                image::Luma([(x * 1000 + y * 300 + 1) as u16])
            });
        img.save(&path).unwrap();
        let a = read(&path.to_string_lossy())
            .unwrap()
            .into_typed::<u16>()
            .unwrap();
        assert_eq!(a.shape(), &[2, 4]);
        assert_eq!(a[[1, 3]], 3301, "{name}");
        assert_eq!(a[[0, 1]], 1001, "{name}");
    }
}

/// CRC-32 (IEEE) of PNG chunks, bit by bit: enough for a test file.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn a_header_claiming_more_than_memory_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    // A valid PNG signature and IHDR for 1,000,000 x 1,000,000 RGBA 16-bit
    // pixels (8 TB decoded), in a file of a few dozen bytes.
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&1_000_000u32.to_be_bytes());
    ihdr.extend_from_slice(&1_000_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[16, 6, 0, 0, 0]);
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    // The start of a zlib stream: the decoder stops at the first IDAT.
    let idat = b"IDAT\x78\x9c";
    png.extend_from_slice(&2u32.to_be_bytes());
    png.extend_from_slice(idat);
    png.extend_from_slice(&crc32(idat).to_be_bytes());
    png.extend_from_slice(&0u32.to_be_bytes());
    png.extend_from_slice(b"IEND");
    png.extend_from_slice(&crc32(b"IEND").to_be_bytes());
    let path = p(dir.path(), "huge.png");
    std::fs::write(&path, &png).unwrap();
    let e = message(read(&path).unwrap_err());
    assert!(
        e.contains("huge.png") && e.contains("more than the memory limit"),
        "{e}"
    );
}
