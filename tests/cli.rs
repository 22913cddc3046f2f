//! The `stn` binary, run as a user runs it: `.npy` files in and out,
//! options, and every user error ending in one message and exit code 1.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ndarray::{Array2, Array3, ArrayD, IxDyn, ShapeBuilder};
use ndarray_npy::{ReadNpyExt, WriteNpyExt, read_npy, write_npy};
use stn::{ArrayRef, DynArray, Options, Program};

fn stn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stn"))
        .args(args)
        .output()
        .expect("the stn binary runs")
}

/// Runs `stn` and asserts it succeeded.
fn stn_ok(args: &[&str]) -> Output {
    let o = stn(args);
    assert!(o.status.success(), "stn {}: {}", args.join(" "), stderr(&o));
    o
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn example(name: &str) -> String {
    format!("{}/examples/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn p(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}

fn write_kernel(dir: &Path, name: &str, src: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, src).unwrap();
    path.display().to_string()
}

/// Asserts a clean user error: exit code `code` (2 for a usage error, 1
/// for the rest), the message, no panic, and no file left in `dir` besides
/// `keep`.
fn assert_user_error(o: &Output, needle: &str, dir: &Path, keep: &[&str], code: i32) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "stderr: {err}");
    assert!(err.contains(needle), "expected {needle:?} in:\n{err}");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    assert!(
        o.stdout.is_empty(),
        "stdout: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    let mut left: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.retain(|f| !keep.contains(&f.as_str()));
    assert!(left.is_empty(), "files left behind: {left:?}");
}

fn noise3(shape: (usize, usize, usize)) -> Array3<i8> {
    Array3::from_shape_fn(shape, |(f, i, j)| {
        ((f * 31 + i * 7 + j * 13) % 256) as u8 as i8
    })
}

#[test]
fn run_smooth_on_int8_matches_the_library() {
    let d = tmp();
    let x = noise3((3, 20, 30));
    write_npy(d.path().join("x.npy"), &x).unwrap();
    let o = stn(&[
        "run",
        &example("smooth.stn"),
        "-i",
        &p(d.path(), "x.npy"),
        "-o",
        &p(d.path(), "y.npy"),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        o.stderr.is_empty(),
        "--quiet prints nothing: {}",
        stderr(&o)
    );
    let y: ArrayD<i8> = read_npy(d.path().join("y.npy")).unwrap();
    let k = Program::from_path(example("smooth.stn")).unwrap();
    let want: ArrayD<i8> = k
        .kernel(None)
        .unwrap()
        .apply(&[x.view()], &Options::new())
        .unwrap()
        .into_dyn();
    assert_eq!(y, want);
}

#[test]
fn every_dtype_in_c_and_fortran_order() {
    let d = tmp();
    let kernel = write_kernel(
        d.path(),
        "shift.stn",
        "kernel shift(x) boundary nearest { x[0, -1] }\n",
    );
    fn check<
        T: ndarray_npy::WritableElement
            + ndarray_npy::ReadableElement
            + stn::Element
            + PartialEq
            + std::fmt::Debug,
    >(
        d: &Path,
        kernel: &str,
        make: impl Fn(usize) -> T,
    ) {
        for fortran in [false, true] {
            let x = Array2::from_shape_vec((3, 4).set_f(fortran), (0..12).map(&make).collect())
                .unwrap();
            let mut f = std::fs::File::create(d.join("in.npy")).unwrap();
            x.write_npy(&mut f).unwrap();
            stn_ok(&[
                "run",
                kernel,
                "-i",
                &p(d, "in.npy"),
                "-o",
                &p(d, "out.npy"),
                "-q",
            ]);
            let y = ArrayD::<T>::read_npy(std::fs::File::open(d.join("out.npy")).unwrap()).unwrap();
            for i in 0..3 {
                for j in 0..4 {
                    assert_eq!(
                        y[[i, j]],
                        x[[i, j.saturating_sub(1)]],
                        "{} fortran={fortran}",
                        std::any::type_name::<T>()
                    );
                }
            }
        }
    }
    check(d.path(), &kernel, |i| i % 3 == 0);
    check(d.path(), &kernel, |i| i as i8 - 5);
    check(d.path(), &kernel, |i| i as i16 * -300);
    check(d.path(), &kernel, |i| i as i32 * 100_000);
    check(d.path(), &kernel, |i| i as i64 * -(1 << 40));
    check(d.path(), &kernel, |i| i as u8 * 20);
    check(d.path(), &kernel, |i| i as u16 * 5000);
    check(d.path(), &kernel, |i| i as u32 * 300_000_000);
    check(d.path(), &kernel, |i| u64::MAX - i as u64);
    check(d.path(), &kernel, |i| i as f32 * 0.1);
    check(d.path(), &kernel, |i| i as f64 * -1e300);
}

#[test]
fn steps_params_cval_and_threads() {
    let d = tmp();
    let u = Array2::from_shape_fn((17, 23), |(i, j)| ((i * j) % 7) as f32);
    write_npy(d.path().join("u.npy"), &u).unwrap();
    let heat = example("heat.stn");
    let run = |extra: &[&str], out: &str| {
        let mut args = vec!["run", &heat, "-i", &p(d.path(), "u.npy"), "-o", out, "-q"]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>();
        args.extend(extra.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = stn(&refs);
        assert!(o.status.success(), "{}", stderr(&o));
        read_npy::<_, ArrayD<f32>>(out).unwrap()
    };
    let three = run(
        &["--param", "alpha=0.2", "--steps", "3", "--threads", "1"],
        &p(d.path(), "a.npy"),
    );
    let three_2t = run(
        &["--param", "alpha=0.2", "--steps", "3", "--threads", "2"],
        &p(d.path(), "b.npy"),
    );
    assert_eq!(three, three_2t, "thread count changes nothing");
    // Three steps equal three single runs fed into each other.
    let k = Program::from_path(&heat).unwrap();
    let k = k.kernel(None).unwrap();
    let opts = Options::new().param("alpha", 0.2);
    let mut v: ArrayD<f32> = u.clone().into_dyn();
    for _ in 0..3 {
        v = k.apply(&[v.view()], &opts).unwrap();
    }
    assert_eq!(three, v);
    // Negative option values, and a boundary override.
    let c = run(
        &[
            "--param",
            "alpha=-0.1",
            "--boundary",
            "constant",
            "--cval",
            "-9",
        ],
        &p(d.path(), "c.npy"),
    );
    let want: ArrayD<f32> = k
        .apply_as::<f32, _, _>(
            &[u.view()],
            &Options::new()
                .param("alpha", -0.1)
                .boundary(stn::Mode::Constant)
                .cval(-9),
        )
        .unwrap()
        .into_dyn();
    assert_eq!(c, want);
    assert_eq!(
        c[[0, 0]],
        u[[0, 0]]
            + (-0.1f64
                * (-9.0 + u[[1, 0]] as f64 - 9.0 + u[[0, 1]] as f64 - 4.0 * u[[0, 0]] as f64))
                as f32
    );
    // `-inf` and `-nan` are values too, not options.
    for cval in ["-inf", "-nan", "nan"] {
        let out = p(d.path(), &format!("cval{cval}.npy"));
        let got = run(
            &["--param", "alpha=0.1", "--boundary", "fill", "--cval", cval],
            &out,
        );
        let edge = got[[0, 0]];
        match cval {
            "-inf" => assert_eq!(edge, f32::NEG_INFINITY),
            _ => assert!(edge.is_nan(), "{cval}: {edge}"),
        }
        // Inside, the cval plays no part.
        let one = k
            .apply(&[u.view()], &Options::new().param("alpha", 0.1))
            .unwrap();
        assert_eq!(got[[5, 5]], one[[5, 5]]);
    }
}

#[test]
fn broadcasting_two_inputs() {
    let d = tmp();
    let kernel = write_kernel(
        d.path(),
        "add.stn",
        "kernel add(a, b) { a[0, 0] + b[0, 1] }\n",
    );
    let a = ArrayD::from_shape_fn(IxDyn(&[2, 1, 3, 4]), |ix| {
        (ix[0] * 100 + ix[2] * 4 + ix[3]) as i32
    });
    let b = ArrayD::from_shape_fn(IxDyn(&[5, 3, 4]), |ix| (ix[0] * 1000) as i32);
    write_npy(d.path().join("a.npy"), &a).unwrap();
    write_npy(d.path().join("b.npy"), &b).unwrap();
    stn_ok(&[
        "run",
        &kernel,
        "-i",
        &p(d.path(), "a.npy"),
        "-i",
        &p(d.path(), "b.npy"),
        "-o",
        &p(d.path(), "c.npy"),
        "--boundary",
        "wrap",
    ]);
    let c: ArrayD<i32> = read_npy(d.path().join("c.npy")).unwrap();
    assert_eq!(c.shape(), &[2, 5, 3, 4]);
    assert_eq!(c[[1, 4, 2, 3]], a[[1, 0, 2, 3]] + b[[4, 2, 0]]);
}

#[test]
fn check_reports_ok_and_errors() {
    let d = tmp();
    let o = stn(&["check", &example("gaussian.stn")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("gaussian: ok for"));
    let o = stn(&["check", &example("life.stn"), "--dtype", "u8"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("life: ok for u8 -> u8 (2 core axes)"));
    let bad = write_kernel(d.path(), "bad.stn", "kernel k(x) {\n    x[0, 0] and 1\n}\n");
    let o = stn(&["check", &bad]);
    assert_user_error(&o, "`and` takes bool operands", d.path(), &["bad.stn"], 1);
}

/// The file of the diagnostics snapshots with one mistake in each of
/// three kernels.
const ONE_MISTAKE_PER_KERNEL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/diagnostics/one_mistake_per_kernel.stn"
);

#[test]
fn check_shows_a_syntax_a_name_and_a_dtype_error_at_once() {
    let o = stn(&["check", ONE_MISTAKE_PER_KERNEL]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    for (message, at) in [
        ("expected an expression; found `}`", ":6:1"),
        ("unknown boundary mode `refelct`", ":8:26"),
        ("unknown name `totl`", ":9:5"),
        ("`&` takes integers or bools, found f64 and i64", ":13:5"),
    ] {
        let line = err.lines().position(|l| l.ends_with(message));
        let line = line.unwrap_or_else(|| panic!("no {message:?} in\n{err}"));
        let place = err.lines().nth(line + 1).unwrap();
        assert!(place.ends_with(at), "{message}: {place}");
    }
    // Only those: the broken kernels' users are not reported.
    assert_eq!(err.matches("error: ").count(), 4, "{err}");
    assert!(!err.contains("uses_"), "{err}");
}

/// One kernel-source error case: the message, and where the caret goes.
fn kernel_error(src: &str, needle: &str, line_col: &str, extra: &[&str]) {
    let d = tmp();
    let kernel = write_kernel(d.path(), "k.stn", src);
    let x = Array2::<i16>::from_elem((4, 5), 3);
    write_npy(d.path().join("x.npy"), &x).unwrap();
    let before = std::fs::read(d.path().join("x.npy")).unwrap();
    let mut args = vec!["run", kernel.as_str(), "-i", "X", "-o", "Y"];
    let (xi, yo) = (p(d.path(), "x.npy"), p(d.path(), "y.npy"));
    args[3] = &xi;
    args[5] = &yo;
    args.extend_from_slice(extra);
    let o = stn(&args);
    assert_user_error(&o, needle, d.path(), &["k.stn", "x.npy"], 1);
    let err = stderr(&o);
    assert!(
        err.contains(&format!("k.stn:{line_col}")),
        "expected k.stn:{line_col} in\n{err}"
    );
    assert!(
        err.lines()
            .any(|l| l.trim_start().starts_with('|') && l.contains('^')),
        "a caret line:\n{err}"
    );
    assert_eq!(
        std::fs::read(d.path().join("x.npy")).unwrap(),
        before,
        "input untouched"
    );
}

#[test]
fn kernel_errors_point_at_the_source() {
    kernel_error(
        "kernel k(x) {\n  x[0, 0] + + }\n",
        "expected an expression; found `+`",
        "2:13",
        &[],
    );
    kernel_error(
        "kernel k(x) {\n  x[0, 0] + y\n}\n",
        "unknown name `y`",
        "2:13",
        &[],
    );
    kernel_error(
        "kernel k(x) {\n  x[0, 0] + x[1]\n}\n",
        "read with 1 offset here, but the kernel has 2 core axes",
        "2:13",
        &[],
    );
    kernel_error(
        "kernel k(x) {\n  x[x[0, 0], 0]\n}\n",
        "an offset must be a compile-time constant",
        "2:5",
        &[],
    );
    kernel_error(
        "kernel k(x) {\n  x[0, 0] and 1\n}\n",
        "`and` takes bool operands",
        "2:3",
        &[],
    );
    kernel_error(
        "kernel k(x) {\n  f16(x[0, 0])\n}\n",
        "unknown dtype `f16` in a cast",
        "2:3",
        &[],
    );
    kernel_error(
        "const K = [1, 2];\nkernel k(x) {\n  x[0, 0] * K[2]\n}\n",
        "out of range for axis 0 of table `K`",
        "3:15",
        &[],
    );
}

#[test]
fn unknown_kernel_and_params() {
    let d = tmp();
    let x = Array2::<f32>::zeros((3, 3));
    write_npy(d.path().join("x.npy"), &x).unwrap();
    let (xi, yo) = (p(d.path(), "x.npy"), p(d.path(), "y.npy"));
    let heat = example("heat.stn");
    let keep = &["x.npy"];
    let run = |extra: &[&str]| {
        let mut args = vec!["run", heat.as_str(), "-i", xi.as_str(), "-o", yo.as_str()];
        args.extend_from_slice(extra);
        stn(&args)
    };
    for (extra, needle) in [
        (&["nosuch"][..], "no kernel named `nosuch`"),
        (&[], "missing parameter `alpha` (f64)"),
        (
            &["--param", "alpha=0.1", "--param", "beta=2"],
            "has no parameter `beta`",
        ),
        (
            &["--param", "alpha=fast"],
            "bad value for parameter `alpha`",
        ),
        (&["--param", "alpha"], "must look like NAME=VALUE"),
        (
            &["--param", "alpha=0.1", "--param", "alpha=0.2"],
            "parameter `alpha` is given twice",
        ),
        (
            &["--param", "alpha=0.1", "--boundary", "bounce"],
            "unknown boundary mode `bounce`",
        ),
        (
            &["--param", "alpha=0.1", "--steps", "0"],
            "--steps must be at least 1",
        ),
        (
            &["--param", "alpha=0.1", "--threads", "0"],
            "--threads must be at least 1",
        ),
        (
            &["--param", "alpha=0.1", "--cval", "abc"],
            "--cval `abc` is not a number",
        ),
    ] {
        assert_user_error(&run(extra), needle, d.path(), keep, 2);
    }
}

#[test]
fn shape_errors() {
    let d = tmp();
    let kernel = write_kernel(
        d.path(),
        "add.stn",
        "kernel add(a, b) { a[0, 0] + b[0, 0] }\n",
    );
    write_npy(d.path().join("a.npy"), &Array3::<u8>::zeros((2, 3, 4))).unwrap();
    write_npy(d.path().join("b.npy"), &Array3::<u8>::zeros((2, 3, 5))).unwrap();
    write_npy(d.path().join("c.npy"), &Array3::<u8>::zeros((3, 3, 4))).unwrap();
    let keep = &["add.stn", "a.npy", "b.npy", "c.npy"];
    let run = |x: &str, y: &str| {
        stn(&[
            "run",
            &kernel,
            "-i",
            &p(d.path(), x),
            "-i",
            &p(d.path(), y),
            "-o",
            &p(d.path(), "out.npy"),
        ])
    };
    assert_user_error(
        &run("a.npy", "b.npy"),
        "the core axes of the inputs differ",
        d.path(),
        keep,
        2,
    );
    assert_user_error(
        &run("a.npy", "c.npy"),
        "do not broadcast",
        d.path(),
        keep,
        2,
    );
    let o = stn(&[
        "run",
        &kernel,
        "-i",
        &p(d.path(), "a.npy"),
        "-o",
        &p(d.path(), "out.npy"),
    ]);
    assert_user_error(&o, "takes 2 array inputs", d.path(), keep, 2);
}

#[test]
fn bad_files() {
    let d = tmp();
    let smooth = example("smooth.stn");
    let out = p(d.path(), "out.npy");
    // Complex numbers: a valid .npy that stn does not support.
    let mut header = b"\x93NUMPY\x01\x00".to_vec();
    let h = "{'descr': '<c16', 'fortran_order': False, 'shape': (2, 2), }";
    let h = format!("{h}{}\n", " ".repeat(64 - (10 + h.len() + 1) % 64));
    header.extend_from_slice(&(h.len() as u16).to_le_bytes());
    header.extend_from_slice(h.as_bytes());
    let mut complex = header.clone();
    complex.extend_from_slice(&[0u8; 64]);
    std::fs::write(d.path().join("complex.npy"), &complex).unwrap();
    std::fs::write(d.path().join("garbage.npy"), b"this is not an npy file").unwrap();
    let mut short = Vec::new();
    Array2::<f64>::zeros((8, 8)).write_npy(&mut short).unwrap();
    short.truncate(short.len() - 100);
    std::fs::write(d.path().join("short.npy"), &short).unwrap();
    let keep = &["complex.npy", "garbage.npy", "short.npy", "ok.npy"];
    for (file, needle, code) in [
        ("complex.npy", "unsupported dtype", 1),
        ("garbage.npy", "not a valid .npy file", 1),
        ("short.npy", "truncated", 1),
        ("missing.npy", "No such file", 1),
    ] {
        let o = stn(&["run", &smooth, "-i", &p(d.path(), file), "-o", &out]);
        assert_user_error(&o, needle, d.path(), keep, code);
    }
    write_npy(d.path().join("ok.npy"), &Array2::<f64>::zeros((4, 4))).unwrap();
    let ok = p(d.path(), "ok.npy");
    let dir = d.path().display().to_string();
    let (xyz, png) = (p(d.path(), "out.xyz"), p(d.path(), "out.png"));
    // An output path stn cannot write, or a format that cannot hold the
    // output's dtype, is an I/O error (1); a format stn does not write, a
    // usage error (2).
    for (kernel, output, needle, code) in [
        (
            smooth.as_str(),
            "/nonexistent-dir/out.npy",
            "cannot write `/nonexistent-dir/out.npy`",
            1,
        ),
        (smooth.as_str(), dir.as_str(), "unsupported format", 2),
        (smooth.as_str(), xyz.as_str(), "unsupported format", 2),
        (smooth.as_str(), png.as_str(), "cannot write f64 to", 1),
        (
            "/nonexistent.stn",
            out.as_str(),
            "cannot read `/nonexistent.stn`",
            1,
        ),
    ] {
        let o = stn(&["run", kernel, "-i", &ok, "-o", output]);
        assert_user_error(&o, needle, d.path(), keep, code);
    }
}

#[test]
fn the_bundled_example_runs() {
    let d = tmp();
    let out = p(d.path(), "smoothed.npy");
    stn_ok(&[
        "run",
        &example("smooth.stn"),
        "-i",
        &example("data/stack.npy"),
        "-o",
        &out,
    ]);
    let y: ArrayD<i8> = read_npy(&out).unwrap();
    assert_eq!(y.shape(), &[8, 128, 128]);
    let x: ArrayD<i8> = read_npy(example("data/stack.npy")).unwrap();
    let want = Program::from_path(example("smooth.stn"))
        .unwrap()
        .kernel(None)
        .unwrap()
        .run(
            &[ArrayRef::new(x.view())],
            &Options::new().engine(stn::Engine::Interpreter),
        )
        .unwrap();
    assert_eq!(DynArray::I8(y), want);
    let _: PathBuf = out.into();
}

#[test]
fn inspect_emits_each_stage() {
    // Something characteristic of each stage's text.
    for (emit, needle) in [
        ("ast", "(kernel gaussian"),
        ("ir", "footprint"),
        ("clif", "function"),
        ("asm", "ret"),
    ] {
        let o = stn(&[
            "inspect",
            &example("gaussian.stn"),
            "--dtype",
            "f32",
            "--emit",
            emit,
        ]);
        assert!(o.status.success(), "--emit {emit}: {}", stderr(&o));
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.contains("compile time:"), "--emit {emit}: {text}");
        assert!(
            text.contains(needle),
            "--emit {emit} lacks `{needle}`: {text}"
        );
    }
}

#[test]
fn bench_prints_times_and_the_copy() {
    let o = stn(&[
        "bench",
        &example("smooth.stn"),
        "--shape",
        "3,20,30",
        "--dtype",
        "i8",
        "--threads",
        "2",
        "--repeats",
        "2",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    for line in [
        "kernel smooth(i8) -> i8 [3, 20, 30], 2 threads, 2 runs",
        "compile time: ",
        "bytes moved: 3600 ",
        "stn   median ",
        "copy  median ",
        "ratio stn/copy: ",
    ] {
        assert!(text.contains(line), "no `{line}` in:\n{text}");
    }
    let o = stn(&[
        "bench",
        &example("smooth.stn"),
        "--shape",
        "3,x",
        "--dtype",
        "i8",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--shape"), "{}", stderr(&o));
}

#[test]
fn image_frames_out_and_back_in() {
    let d = tmp();
    // Threshold the bundled int8 stack into u8 frames, one PNG per frame.
    let kernel = write_kernel(
        d.path(),
        "bin.stn",
        "kernel bin(x) -> u8 { where(x[0, 0] > 0, 255, 0) }\n",
    );
    std::fs::create_dir(d.path().join("frames")).unwrap();
    let pattern = p(d.path(), "frames/{}.png");
    stn_ok(&[
        "run",
        &kernel,
        "-i",
        &example("data/stack.npy"),
        "-o",
        &pattern,
        "-q",
    ]);
    let names: Vec<String> = {
        let mut v: Vec<_> = std::fs::read_dir(d.path().join("frames"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        names,
        (0..8).map(|i| format!("{i}.png")).collect::<Vec<_>>()
    );
    // Read them back as a glob, run the identity into .npy, compare with the library.
    let id = write_kernel(d.path(), "id.stn", "kernel id(x) { x[0, 0] }\n");
    let glob = p(d.path(), "frames/*.png");
    let back = p(d.path(), "back.npy");
    stn_ok(&["run", &id, "-i", &glob, "-o", &back, "-q"]);
    let got: ArrayD<u8> = read_npy(&back).unwrap();
    let x: ArrayD<i8> = read_npy(example("data/stack.npy")).unwrap();
    let want = x.mapv(|v| if v > 0 { 255u8 } else { 0 });
    assert_eq!(got, want);
    // Frames written over the frames read are refused, and left as they were.
    let before = std::fs::read(d.path().join("frames/3.png")).unwrap();
    let o = stn(&["run", &id, "-i", &glob, "-o", &pattern, "-q"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("would replace input") && stderr(&o).contains("0.png"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read(d.path().join("frames/3.png")).unwrap(),
        before
    );
}

#[test]
fn zarr_out_and_back_in() {
    let d = tmp();
    let store = p(d.path(), "smoothed.zarr");
    stn_ok(&[
        "run",
        &example("smooth.stn"),
        "-i",
        &example("data/stack.npy"),
        "-o",
        &store,
        "-q",
    ]);
    assert!(d.path().join("smoothed.zarr/zarr.json").is_file());
    let id = write_kernel(d.path(), "id.stn", "kernel id(x) { x[0, 0] }\n");
    let back = p(d.path(), "back.npy");
    stn_ok(&["run", &id, "-i", &store, "-o", &back, "-q"]);
    let got: ArrayD<i8> = read_npy(&back).unwrap();
    let x: ArrayD<i8> = read_npy(example("data/stack.npy")).unwrap();
    let want: ArrayD<i8> = Program::from_path(example("smooth.stn"))
        .unwrap()
        .kernel(None)
        .unwrap()
        .apply(&[x.view()], &Options::new())
        .unwrap()
        .into_dyn();
    assert_eq!(got, want);
    // A folder that is not a Zarr array is neither read nor replaced.
    std::fs::create_dir(d.path().join("plain")).unwrap();
    let o = stn(&["run", &id, "-i", &p(d.path(), "plain"), "-o", &back, "-q"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unsupported format"), "{}", stderr(&o));
}

#[test]
fn a_pipeline_runs_fused_or_stepwise_to_the_same_bytes() {
    let dir = tmp();
    let x = Array2::from_shape_fn((61, 83), |(i, j)| ((i * 131 + j * 71) % 65521) as u16);
    write_npy(p(dir.path(), "x.npy"), &x).unwrap();
    let blur = example("blur.stn");
    for schedule in ["auto", "stepwise"] {
        stn_ok(&[
            "run",
            &blur,
            "blur",
            "-i",
            &p(dir.path(), "x.npy"),
            "-o",
            &p(dir.path(), &format!("{schedule}.npy")),
            "--schedule",
            schedule,
        ]);
    }
    let a: ArrayD<u16> = read_npy(p(dir.path(), "auto.npy")).unwrap();
    let b: ArrayD<u16> = read_npy(p(dir.path(), "stepwise.npy")).unwrap();
    assert_eq!(a, b);
    // The library's answer is the same.
    let prog = Program::from_path(&blur).unwrap();
    let lib = prog
        .kernel(Some("blur"))
        .unwrap()
        .run(&[ArrayRef::new(x.view())], &Options::new())
        .unwrap();
    assert_eq!(DynArray::from_typed(a), lib);
    let o = stn(&[
        "run",
        &blur,
        "blur",
        "-i",
        &p(dir.path(), "x.npy"),
        "-o",
        &p(dir.path(), "c.npy"),
        "--schedule",
        "fast",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("stepwise"), "{}", stderr(&o));
}

/// `inspect` says what the vector loop shares between output rows: a 3x3
/// integer median each row's sorted terms, W1's box sum each row's sum; a
/// float sum shares nothing (float sums are not regrouped).
#[test]
fn inspect_shows_what_output_rows_share() {
    let shared = |file: &str, kernel: &[&str], dtype: &str| {
        let mut args = vec!["inspect", file];
        args.extend_from_slice(kernel);
        args.extend_from_slice(&["--dtype", dtype]);
        let o = stn_ok(&args);
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        let line = text
            .lines()
            .find(|l| l.starts_with("shared between output rows: "));
        line.map(str::to_string)
    };
    let median = example("median.stn");
    let line = shared(&median, &["median3"], "u8").expect("the median shares rows");
    assert!(
        line.contains("sorted terms") && line.contains("3 output rows"),
        "{line}"
    );
    let line = shared(&example("blur.stn"), &["blur_x"], "u8");
    assert_eq!(line, None);
    let line = shared(&example("smooth.stn"), &[], "u8").expect("W1 shares row sums");
    assert!(
        line.contains("row's sum") && line.contains("3 output rows"),
        "{line}"
    );
    assert_eq!(shared(&example("smooth.stn"), &[], "f32"), None);
    assert_eq!(shared(&median, &["median3"], "f32"), None);
}

#[test]
fn inspect_shows_the_stages_tiles_and_steps_per_pass() {
    let o = stn_ok(&[
        "inspect",
        &example("blur.stn"),
        "blur",
        "--dtype",
        "u16",
        "--shape",
        "4802,6408",
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("schedule: 2 stages fused, in tiles or strips"),
        "{text}"
    );
    assert!(text.contains("0: b = blur_x(x) -> u16"), "{text}");
    assert!(text.contains("1: blur(x, b) -> u16"), "{text}");
    assert!(
        text.contains("reach into the inputs: [-1, 1] x [-1, 1]"),
        "{text}"
    );
    assert!(text.contains("tiles for shape [4802, 6408]"), "{text}");
    assert!(text.contains("strips: "), "{text}");
    // `blur` shares row sums of `b`; strips of a few rows would compute
    // two rows of them again at every step.
    assert!(
        text.contains("fused in: tiles (every strip step would compute the shared rows"),
        "{text}"
    );
    // Where the strips' rows exceed their budget, the reason is given.
    let o = Command::new(env!("CARGO_BIN_EXE_stn"))
        .args(["inspect", &example("blur.stn"), "blur", "--dtype", "u16"])
        .args(["--shape", "4802,6408"])
        .env("STN_STRIP_BYTES", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("fused in: tiles (the strips' sliding rows exceed their budget)"),
        "{text}"
    );
    let o = stn_ok(&[
        "inspect",
        &example("heat.stn"),
        "--dtype",
        "f64",
        "--shape",
        "4096,4096",
        "--steps",
        "16",
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("schedule: one kernel"), "{text}");
    let passes = text
        .lines()
        .find(|l| l.starts_with("steps: 16 in "))
        .unwrap_or_else(|| panic!("{text}"));
    // Several steps per pass: fewer than 16 passes over memory.
    assert!(!passes.contains("in 16 passes"), "{passes}");
}

/// RGB and RGBA PNGs (and a stack of RGB frames): a 2-D kernel filters
/// each channel on its own (docs/language.md §10), equal to the kernel run on that
/// channel alone, and the result is written back as a colour image.
#[test]
fn colour_images_are_filtered_per_channel() {
    use stn_io::image;
    let d = tmp();
    let blur = example("blur.stn");
    for (name, shape) in [
        ("rgb.png", vec![9usize, 11, 3]),
        ("rgba.png", vec![9, 11, 4]),
        ("la.png", vec![6, 7, 2]),
    ] {
        let n: usize = shape.iter().product();
        let px = ArrayD::from_shape_vec(
            IxDyn(&shape),
            (0..n).map(|i| (i * 37 % 251) as u8).collect(),
        )
        .unwrap();
        image::write(&p(d.path(), name), ArrayRef::new(px.view())).unwrap();
        let out = format!("out-{name}");
        stn_ok(&[
            "run",
            &blur,
            "blur",
            "-i",
            &p(d.path(), name),
            "-o",
            &p(d.path(), &out),
            "-q",
        ]);
        let got = image::read(&p(d.path(), &out)).unwrap();
        assert_eq!(got.shape(), shape.as_slice(), "{name}");
        let got = got.into_typed::<u8>().unwrap();
        let program = Program::from_path(&blur).unwrap();
        let k = program.kernel(Some("blur")).unwrap();
        for c in 0..shape[2] {
            let channel = px.index_axis(ndarray::Axis(2), c).to_owned();
            let want = k.apply(&[channel.view()], &Options::new()).unwrap();
            assert_eq!(
                got.index_axis(ndarray::Axis(2), c),
                want,
                "{name} channel {c}"
            );
        }
    }
    // A stack of RGB frames: (N, H, W, 3), per frame and channel.
    let frames = d.path().join("frames");
    std::fs::create_dir(&frames).unwrap();
    let px = ArrayD::from_shape_fn(IxDyn(&[5, 6, 3]), |ix| {
        (ix[0] * 40 + ix[1] * 7 + ix[2] * 80) as u8
    });
    for f in 0..2 {
        image::write(&p(&frames, &format!("{f}.png")), ArrayRef::new(px.view())).unwrap();
    }
    let glob = p(&frames, "*.png");
    stn_ok(&[
        "run",
        &example("smooth.stn"),
        "-i",
        &glob,
        "-o",
        &p(d.path(), "s.npy"),
        "-q",
    ]);
    let got: ArrayD<u8> = read_npy(d.path().join("s.npy")).unwrap();
    assert_eq!(got.shape(), &[2, 5, 6, 3]);
    let program = Program::from_path(example("smooth.stn")).unwrap();
    let k = program.kernel(None).unwrap();
    for c in 0..3 {
        let want = k
            .apply(&[px.index_axis(ndarray::Axis(2), c)], &Options::new())
            .unwrap();
        assert_eq!(
            got.slice(ndarray::s![1, .., .., c]).into_dyn(),
            want.into_dyn(),
            "channel {c}"
        );
    }
}

/// One `-o` per output, and state fields stepped in memory and out of
/// core (slabs, a temporary file per field) to the same bytes.
#[test]
fn several_outputs_and_state_fields_in_memory_and_out_of_core() {
    let d = tmp();
    let u0 = Array2::from_shape_fn((40, 30), |(i, j)| ((i * 7 + j * 3) % 11) as f32 * 0.1);
    let c2 = Array2::from_shape_fn((40, 30), |(i, j)| 0.1 + ((i + j) % 5) as f32 * 0.05);
    write_npy(d.path().join("u0.npy"), &u0).unwrap();
    write_npy(d.path().join("c2.npy"), &c2).unwrap();
    let wave = example("wave.stn");
    let run = |memory: &str, tag: &str| {
        let (u, v) = (format!("u-{tag}.npy"), format!("v-{tag}.npy"));
        stn_ok(&[
            "run",
            &wave,
            "-i",
            &p(d.path(), "u0.npy"),
            "-i",
            &p(d.path(), "u0.npy"),
            "-i",
            &p(d.path(), "c2.npy"),
            "-o",
            &p(d.path(), &u),
            "-o",
            &p(d.path(), &v),
            "--steps",
            "9",
            "--memory",
            memory,
            "-q",
        ]);
        let u: Array2<f32> = read_npy(d.path().join(u)).unwrap();
        let v: Array2<f32> = read_npy(d.path().join(v)).unwrap();
        (u, v)
    };
    let in_memory = run("1G", "mem");
    let out_of_core = run("40K", "ooc");
    assert_eq!(in_memory, out_of_core);
    // The library, step by step.
    let program = Program::from_path(&wave).unwrap();
    let k = program.kernel(None).unwrap();
    let (mut a, mut b) = (u0.clone().into_dyn(), u0.into_dyn());
    for _ in 0..9 {
        let outs = k
            .run_all(
                &[
                    ArrayRef::new(a.view()),
                    ArrayRef::new(b.view()),
                    ArrayRef::new(c2.view()),
                ],
                &Options::new(),
            )
            .unwrap();
        let mut it = outs.into_iter().map(|o| o.into_typed::<f32>().unwrap());
        (a, b) = (it.next().unwrap(), it.next().unwrap());
    }
    assert_eq!(in_memory.0.into_dyn(), a);
    assert_eq!(in_memory.1.into_dyn(), b);
    // No temporary file is left beside the outputs.
    let left: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".npy"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// `--axes`: a transposed layout gives the transposed result, in memory
/// and out of core along a loop axis.
#[test]
fn axes_name_the_core_axes() {
    let d = tmp();
    let x = Array3::from_shape_fn((7, 5, 9), |(i, j, k)| {
        ((i * 31 + j * 17 + k * 7) % 97) as i16
    });
    write_npy(d.path().join("x.npy"), &x).unwrap();
    let smooth = example("smooth.stn");
    // Core axes 0 and 2: axis 1 is a loop axis, as if the array were
    // transposed to (5, 7, 9).
    for memory in ["1G", "2K"] {
        stn_ok(&[
            "run",
            &smooth,
            "-i",
            &p(d.path(), "x.npy"),
            "-o",
            &p(d.path(), "y.npy"),
            "--axes",
            "-3,-1",
            "--memory",
            memory,
            "-q",
        ]);
        let y: Array3<i16> = read_npy(d.path().join("y.npy")).unwrap();
        let t = x.view().permuted_axes([1, 0, 2]);
        let program = Program::from_path(&smooth).unwrap();
        let want = program
            .kernel(None)
            .unwrap()
            .apply(&[t], &Options::new())
            .unwrap();
        assert_eq!(y.view().permuted_axes([1, 0, 2]), want, "--memory {memory}");
    }
    // `inspect` says which axes are core.
    let o = stn_ok(&[
        "inspect", &smooth, "--dtype", "i16", "--shape", "40,5,9", "--axes", "-3,-1",
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("core axes of shape [40, 5, 9]: 0, 2 (loop axes: 1)"),
        "{text}"
    );
}

#[test]
fn shell_completions_and_the_manual_page() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = stn_ok(&["completions", shell]);
        let text = String::from_utf8_lossy(&o.stdout);
        // Every subcommand, and the options (fish names them `-l boundary`).
        for word in ["run", "inspect", "bench", "boundary", "schedule"] {
            assert!(text.contains(word), "{shell}: no {word}");
        }
    }
    // bash reads the script without a syntax error.
    let script = stn_ok(&["completions", "bash"]).stdout;
    let d = tmp();
    std::fs::write(d.path().join("stn.bash"), &script).unwrap();
    let o = Command::new("bash")
        .args(["-n", &p(d.path(), "stn.bash")])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let o = stn(&["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2));
    let man = String::from_utf8(stn_ok(&["man"]).stdout).unwrap();
    assert!(man.contains(".TH stn 1"), "{man}");
    assert!(man.contains("Run stencil kernels"), "{man}");
}
