//! Zarr input and output: round trips for every dtype and layout, v2
//! arrays, fill values, and clear errors for broken stores.

use std::path::Path;

use ndarray::{Array3, ArrayD, IxDyn, s};
use stn::{ArrayRef, DType, DynArray, Scalar};
use stn_io::zarr;

/// An array of `dtype` whose elements differ from their neighbours and
/// cover negative values where the dtype has them.
fn sample(dtype: DType, shape: &[usize]) -> DynArray {
    let mut a = DynArray::zeros(dtype, shape);
    let mut m = a.view_mut();
    let mut n = 0i64;
    stn::internals::array::for_each_index(shape, |ix| {
        n += 1;
        let v = (n * 37) % 251 - 100;
        m.set(ix, Scalar::Int(v).cast(dtype));
    });
    a
}

fn err_text(r: stn::Result<impl std::fmt::Debug>) -> String {
    r.expect_err("expected an error").to_string()
}

/// Names in `dir` starting with `.stn-` (leftover temporaries).
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".stn-"))
        .collect()
}

#[test]
fn round_trip_every_dtype() {
    let dir = tempfile::tempdir().unwrap();
    for dtype in DType::ALL {
        let a = sample(dtype, &[5, 7, 3]);
        for (k, chunks) in [None, Some(&[2u64, 3, 2][..]), Some(&[1, 1, 1][..])]
            .into_iter()
            .enumerate()
        {
            let path = dir.path().join(format!("{}-{k}.zarr", dtype.name()));
            zarr::write(&path, a.view(), chunks).unwrap();
            assert!(path.join("zarr.json").is_file());
            assert!(zarr::is_zarr(&path));
            let b = zarr::read(&path).unwrap();
            assert_eq!(a, b, "{dtype:?} chunks {chunks:?}");
            let expect = chunks.map(|c| c.to_vec()).unwrap_or(vec![5, 7, 3]);
            assert_eq!(zarr::chunk_shape(&path).unwrap(), expect);
        }
    }
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn round_trip_non_contiguous_views() {
    let dir = tempfile::tempdir().unwrap();
    let base = Array3::from_shape_fn((6, 9, 4), |(i, j, k)| (i * 100 + j * 10 + k) as i32);
    let views = [
        base.slice(s![..;2, 1..8;3, ..]).into_dyn(),
        base.slice(s![.., ..;-1, 1..3]).into_dyn(),
        base.view().reversed_axes().into_dyn(),
        base.slice(s![2, .., ..;-2]).into_dyn(),
    ];
    for (k, v) in views.iter().enumerate() {
        let path = dir.path().join(format!("v{k}.zarr"));
        zarr::write(&path, ArrayRef::new(v.view()), Some(&vec![2; v.ndim()])).unwrap();
        let back = zarr::read(&path).unwrap().into_typed::<i32>().unwrap();
        assert_eq!(back, v.to_owned(), "view {k}");
    }
    // A broadcast view (zero strides) and a float view with negative strides.
    let row = ndarray::Array1::from_iter((0..5).map(|x| x as f64 * 0.5));
    let b = row.broadcast((3, 5)).unwrap().into_dyn();
    let path = dir.path().join("bcast.zarr");
    zarr::write(&path, ArrayRef::new(b.view()), None).unwrap();
    assert_eq!(
        zarr::read(&path).unwrap().into_typed::<f64>().unwrap(),
        b.to_owned()
    );
}

#[test]
fn round_trip_edge_shapes() {
    let dir = tempfile::tempdir().unwrap();
    for shape in [&[][..], &[1][..], &[0, 4][..], &[13][..], &[3, 1, 2, 1][..]] {
        let a = sample(DType::U16, shape);
        let path = dir.path().join(format!("e{}.zarr", shape.len()));
        zarr::write(&path, a.view(), None).unwrap();
        assert_eq!(zarr::read(&path).unwrap(), a, "shape {shape:?}");
    }
}

#[test]
fn default_chunks_are_megabytes_along_leading_axes() {
    // 8000-byte rows: 262 of them per 2 MiB chunk, whole rows.
    assert_eq!(zarr::default_chunks(&[1000, 1000], 8), vec![262, 1000]);
    // Small arrays are one chunk.
    assert_eq!(zarr::default_chunks(&[10, 20, 3], 4), vec![10, 20, 3]);
    // Planes too big for one chunk: one plane, split along its rows.
    assert_eq!(
        zarr::default_chunks(&[4, 4096, 4096], 1),
        vec![1, 512, 4096]
    );
    // A single huge axis.
    assert_eq!(zarr::default_chunks(&[1 << 30], 1), vec![2 << 20]);
    assert_eq!(zarr::default_chunks(&[0, 5], 2), vec![1, 5]);
    for chunks in [
        zarr::default_chunks(&[1000, 1000], 8),
        zarr::default_chunks(&[7, 300, 500], 4),
    ] {
        assert!(chunks.iter().all(|&c| c > 0));
    }
}

#[test]
fn missing_v3_chunks_read_as_fill_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.zarr");
    let a = sample(DType::F32, &[4, 6]);
    zarr::write(&path, a.view(), Some(&[2, 3])).unwrap();
    let chunk = path.join("c").join("1").join("0");
    assert!(chunk.is_file(), "chunk key encoding: c/1/0");
    std::fs::remove_file(&chunk).unwrap();
    let mut expect = a.into_typed::<f32>().unwrap();
    expect.slice_mut(s![2..4, 0..3]).fill(0.0);
    assert_eq!(
        zarr::read(&path).unwrap().into_typed::<f32>().unwrap(),
        expect
    );
}

/// Writes a Zarr v2 array by hand: `.zarray` and uncompressed chunk files.
fn write_v2(path: &Path, zarray: &str, chunks: &[(&str, Vec<u8>)]) {
    std::fs::create_dir_all(path).unwrap();
    std::fs::write(path.join(".zarray"), zarray).unwrap();
    for (key, bytes) in chunks {
        std::fs::write(path.join(key), bytes).unwrap();
    }
}

fn v2_meta(dtype: &str, shape: &str, chunks: &str, fill: &str) -> String {
    format!(
        r#"{{"zarr_format": 2, "shape": {shape}, "chunks": {chunks}, "dtype": "{dtype}",
            "compressor": null, "fill_value": {fill}, "filters": null, "order": "C"}}"#
    )
}

#[test]
fn reads_v2_arrays() {
    let dir = tempfile::tempdir().unwrap();

    // Little-endian i32, 3x4 in 2x2 chunks; chunk 1.0 is missing (fill 7).
    let path = dir.path().join("i32.zarr");
    let chunk = |vals: [i32; 4]| {
        vals.iter()
            .flat_map(|v| v.to_le_bytes())
            .collect::<Vec<u8>>()
    };
    write_v2(
        &path,
        &v2_meta("<i4", "[3, 4]", "[2, 2]", "7"),
        &[
            ("0.0", chunk([0, 1, 10, 11])),
            ("0.1", chunk([2, 3, 12, 13])),
            ("1.1", chunk([22, 23, -1, -1])),
        ],
    );
    assert!(zarr::is_zarr(&path));
    let got = zarr::read(&path).unwrap().into_typed::<i32>().unwrap();
    let want = ArrayD::from_shape_vec(
        IxDyn(&[3, 4]),
        vec![0, 1, 2, 3, 10, 11, 12, 13, 7, 7, 22, 23],
    )
    .unwrap();
    assert_eq!(got, want);
    assert_eq!(zarr::chunk_shape(&path).unwrap(), vec![2, 2]);

    // Big-endian u16, one chunk.
    let path = dir.path().join("u16be");
    let vals: [u16; 3] = [1, 0x0102, 65535];
    write_v2(
        &path,
        &v2_meta(">u2", "[3]", "[3]", "0"),
        &[("0", vals.iter().flat_map(|v| v.to_be_bytes()).collect())],
    );
    assert!(zarr::is_zarr(&path), "a v2 directory without .zarr suffix");
    assert_eq!(
        zarr::read(&path)
            .unwrap()
            .into_typed::<u16>()
            .unwrap()
            .as_slice()
            .unwrap(),
        &vals
    );

    // Bool and f64 with every chunk missing.
    let path = dir.path().join("b.zarr");
    write_v2(
        &path,
        &v2_meta("|b1", "[2, 2]", "[1, 2]", "false"),
        &[("1.0", vec![1, 0])],
    );
    let b = zarr::read(&path).unwrap().into_typed::<bool>().unwrap();
    assert_eq!(b.as_slice().unwrap(), &[false, false, true, false]);
    let path = dir.path().join("f.zarr");
    write_v2(&path, &v2_meta("<f8", "[2, 3]", "[2, 2]", "1.5"), &[]);
    let f = zarr::read(&path).unwrap().into_typed::<f64>().unwrap();
    assert!(f.iter().all(|&x| x == 1.5));
}

#[test]
fn is_zarr_by_contents_or_suffix() {
    let dir = tempfile::tempdir().unwrap();
    assert!(zarr::is_zarr(&dir.path().join("new.zarr")));
    assert!(zarr::is_zarr(Path::new("out/x.ZARR")));
    assert!(!zarr::is_zarr(&dir.path().join("x.npy")));
    assert!(!zarr::is_zarr(dir.path()));
}

#[test]
fn bad_metadata_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.zarr");
    std::fs::create_dir(&path).unwrap();
    std::fs::write(path.join("zarr.json"), "{ not json").unwrap();
    let e = err_text(zarr::read(&path));
    assert!(e.contains("bad.zarr") && e.contains("metadata"), "{e}");
    assert!(e.starts_with("cannot read `"), "{e}");

    // Well-formed JSON that is not array metadata.
    std::fs::write(
        path.join("zarr.json"),
        r#"{"zarr_format": 3, "node_type": "array"}"#,
    )
    .unwrap();
    let e = err_text(zarr::read(&path));
    assert!(e.contains("bad.zarr"), "{e}");

    // Unsupported data types, v2 and v3.
    let path = dir.path().join("f2v2.zarr");
    write_v2(&path, &v2_meta("<f2", "[2]", "[2]", "0"), &[]);
    let e = err_text(zarr::read(&path));
    assert!(
        e.contains("f2v2.zarr") && e.contains("unsupported data type"),
        "{e}"
    );
    let path = dir.path().join("f16.zarr");
    let a = sample(DType::U16, &[3]);
    zarr::write(&path, a.view(), None).unwrap();
    let meta = std::fs::read_to_string(path.join("zarr.json")).unwrap();
    std::fs::write(path.join("zarr.json"), meta.replace("uint16", "float16")).unwrap();
    let e = err_text(zarr::read(&path));
    assert!(
        e.contains("f16.zarr") && e.contains("unsupported data type"),
        "{e}"
    );

    // Not a Zarr array at all.
    let e = err_text(zarr::read(dir.path()));
    assert!(e.contains("not a Zarr array"), "{e}");
    let e = err_text(zarr::read(&dir.path().join("missing.zarr")));
    assert!(
        e.contains("missing.zarr") && e.contains("No such file"),
        "{e}"
    );
    assert!(zarr::chunk_shape(&dir.path().join("missing.zarr")).is_err());
}

#[test]
fn corrupt_or_truncated_chunks_are_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let a = sample(DType::I64, &[8, 8]);

    let path = dir.path().join("garbage.zarr");
    zarr::write(&path, a.view(), Some(&[4, 4])).unwrap();
    std::fs::write(path.join("c").join("0").join("1"), b"this is not zstd").unwrap();
    let e = err_text(zarr::read(&path));
    assert!(e.contains("garbage.zarr"), "{e}");

    let path = dir.path().join("short.zarr");
    zarr::write(&path, a.view(), Some(&[4, 4])).unwrap();
    let chunk = path.join("c").join("1").join("1");
    let bytes = std::fs::read(&chunk).unwrap();
    std::fs::write(&chunk, &bytes[..bytes.len() / 2]).unwrap();
    let e = err_text(zarr::read(&path));
    assert!(e.contains("short.zarr"), "{e}");

    // An uncompressed v2 chunk of the wrong length.
    let path = dir.path().join("v2short.zarr");
    write_v2(
        &path,
        &v2_meta("<i2", "[4]", "[4]", "0"),
        &[("0", vec![1, 0, 2])],
    );
    let e = err_text(zarr::read(&path));
    assert!(e.contains("v2short.zarr"), "{e}");
}

#[test]
fn writes_replace_only_after_success() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.zarr");
    let a = sample(DType::U8, &[4, 5]);
    let b = sample(DType::F64, &[3, 3, 3]);
    zarr::write(&path, a.view(), None).unwrap();
    zarr::write(&path, b.view(), Some(&[2, 2, 2])).unwrap();
    assert_eq!(zarr::read(&path).unwrap(), b);
    assert!(leftovers(dir.path()).is_empty());

    // Failing writes leave the previous array as it was, and no temporaries.
    let e = err_text(zarr::write(&path, a.view(), Some(&[2])));
    assert!(e.contains("out.zarr") && e.contains("axes"), "{e}");
    let e = err_text(zarr::write(&path, a.view(), Some(&[2, 0])));
    assert!(e.contains("zero"), "{e}");
    assert_eq!(zarr::read(&path).unwrap(), b);
    assert!(leftovers(dir.path()).is_empty());

    // A directory that is not a Zarr array is never replaced.
    let other = dir.path().join("data.zarr");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("keep.txt"), "mine").unwrap();
    let e = err_text(zarr::write(&other, a.view(), None));
    assert!(
        e.contains("data.zarr") && e.contains("not a Zarr array"),
        "{e}"
    );
    assert!(other.join("keep.txt").is_file());

    // A missing parent directory: an error, nothing created.
    let deep = dir.path().join("no").join("such").join("x.zarr");
    let e = err_text(zarr::write(&deep, a.view(), None));
    assert!(
        e.starts_with("cannot write `") && e.contains("x.zarr"),
        "{e}"
    );
    assert!(!dir.path().join("no").exists());
    assert!(leftovers(dir.path()).is_empty());
}

/// Interop with zarr-python, run by `scripts/zarr_interop.sh`: reads the
/// arrays zarr-python wrote under `$STN_ZARR_INTEROP/py` (each `NAME.zarr`
/// with a `NAME.npy` twin), then writes stn's own under `$STN_ZARR_INTEROP/stn`
/// for zarr-python to check. Ignored by a plain `cargo test` (it needs
/// zarr-python's arrays); run with `--ignored` and no variable, it fails.
#[test]
#[ignore = "run by scripts/zarr_interop.sh, which gives it zarr-python's arrays"]
fn python_interop() {
    let root = std::env::var_os("STN_ZARR_INTEROP")
        .expect("STN_ZARR_INTEROP names the folder scripts/zarr_interop.sh fills");
    let root = Path::new(&root);
    let mut names: Vec<_> = std::fs::read_dir(root.join("py"))
        .expect("the data zarr-python wrote")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "zarr"))
        .collect();
    names.sort();
    let mut bad = Vec::new();
    for path in &names {
        let npy = stn_io::npy::NpyInput::open(&path.with_extension("npy")).unwrap();
        let want = npy.view().to_owned();
        match zarr::read(path) {
            Ok(got) if got == want => {}
            Ok(got) => bad.push(format!(
                "MISMATCH {}: {:?}{:?}",
                path.display(),
                got.dtype(),
                got.shape()
            )),
            Err(e) => bad.push(format!("MISMATCH {}: {e}", path.display())),
        }
    }
    for b in &bad {
        eprintln!("{b}");
    }
    eprintln!(
        "stn read {}/{} arrays written by zarr-python",
        names.len() - bad.len(),
        names.len()
    );

    let out = root.join("stn");
    std::fs::create_dir_all(&out).unwrap();
    let mut written = 0;
    for dtype in DType::ALL {
        let a = sample(dtype, &[13, 10, 3]);
        for (tag, chunks) in [("default", None), ("small", Some(&[4u64, 3, 2][..]))] {
            let name = format!("{}-{tag}", dtype.name());
            zarr::write(&out.join(format!("{name}.zarr")), a.view(), chunks).unwrap();
            let path = out.join(format!("{name}.npy"));
            stn::dyn_dispatch!(&a, t => ndarray_npy::write_npy(&path, t).unwrap());
            written += 1;
        }
    }
    eprintln!("stn wrote {written} arrays");
    assert!(bad.is_empty() && !names.is_empty());
}
