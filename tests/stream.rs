//! Out-of-core runs: cutting a run into slabs with halos, in a memory budget
//! small enough to force many slabs, gives the bytes of the in-memory run,
//! for every boundary mode, footprint, axis length and slab size.

use std::path::Path;

use ndarray::{ArrayD, IxDyn};
use stn::{DynArray, Element, Mode, Options, Program, Schedule};
use stn_io::npy::NpyInput;
use stn_io::stream::{self, StreamOptions, sink, source};

/// Deterministic pseudo-random values of `T` from `seed`.
fn data<T: Element>(shape: &[usize], seed: u64, f: impl Fn(u64) -> T) -> DynArray {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    DynArray::from_typed(ArrayD::from_shape_fn(IxDyn(shape), |_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        f(x)
    }))
}

fn write_npy(path: &Path, a: &DynArray) {
    stn::dyn_dispatch!(a, t => ndarray_npy::write_npy(path, t).unwrap());
}

fn read_npy(path: &Path) -> DynArray {
    NpyInput::open(path).unwrap().view().to_owned()
}

/// Runs `kernel` on `inputs` through `.npy` files in slabs of `slab_rows`
/// output rows (several of them) and returns the output.
fn streamed(
    src: &str,
    inputs: &[DynArray],
    opts: &Options,
    slab_rows: usize,
    dir: &Path,
) -> DynArray {
    let program = Program::from_source("test.stn", src).unwrap();
    // The file's last kernel (the others may be its stages).
    let kernel = program.kernels().last().unwrap();
    // Every input as .npy (memory-mapped: slabs are views) and as Zarr
    // (read slab by slab by a reader thread).
    let open = |ext: &str| -> Vec<Box<dyn source::Source>> {
        inputs
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let p = dir.join(format!("in{i}.{ext}"));
                if !p.exists() {
                    match ext {
                        "npy" => write_npy(&p, a),
                        _ => stn_io::zarr::write(&p, a.view(), None).unwrap(),
                    }
                }
                source::open(&p.to_string_lossy()).unwrap()
            })
            .collect()
    };
    let call = stream::call(kernel, &open("npy"), opts).unwrap();
    let plan = stream::plan_rows(&call, &open("npy"), slab_rows).unwrap();
    assert!(plan.slabs() > 1, "{plan:?}");
    let mut outputs = Vec::new();
    for name in ["out.npy", "out.zarr"] {
        let out = dir.join(name);
        let sink = sink::create(
            &out.to_string_lossy(),
            plan.out_dtypes[0],
            &plan.out_shape,
            sink::Resume::default(),
        )
        .unwrap();
        let sopts = StreamOptions {
            memory: usize::MAX,
            temp_dir: dir.to_path_buf(),
            progress: None,
        };
        let ext = name.rsplit('.').next().unwrap();
        stream::run(&call, open(ext), vec![sink], &plan, &sopts).unwrap();
        outputs.push(if name.ends_with("npy") {
            read_npy(&out)
        } else {
            stn_io::zarr::read(&out).unwrap()
        });
    }
    assert_eq!(outputs[0], outputs[1], "viewed and read slabs differ");
    outputs.pop().unwrap()
}

fn in_memory(src: &str, inputs: &[DynArray], opts: &Options) -> DynArray {
    let program = Program::from_source("test.stn", src).unwrap();
    let views: Vec<_> = inputs.iter().map(|a| a.view()).collect();
    program.kernels().last().unwrap().run(&views, opts).unwrap()
}

fn check(src: &str, inputs: &[DynArray], opts: Options, slab_rows: usize) {
    let dir = tempfile::tempdir().unwrap();
    let expect = in_memory(src, inputs, &opts);
    let got = streamed(src, inputs, &opts, slab_rows, dir.path());
    assert_eq!(
        got,
        expect,
        "kernel {src}\noptions {opts:?}, slab rows {slab_rows}, shapes {:?}",
        inputs
            .iter()
            .map(|a| a.shape().to_vec())
            .collect::<Vec<_>>()
    );
}

const ASYMMETRIC: &str = "kernel k(x) { x[-2, 0] * 3 + x[1, -1] - x[0, 2] + x[3, 1] }";

#[test]
fn slabs_with_halos_equal_the_in_memory_run_in_every_mode() {
    for mode in Mode::ALL {
        for rows in [1, 2, 3, 9, 23] {
            let x = data(&[rows, 7], rows as u64, |v| (v % 200) as i32 - 100);
            for slab in [1, 2, 3, 5] {
                if rows <= slab {
                    continue;
                }
                check(
                    ASYMMETRIC,
                    std::slice::from_ref(&x),
                    Options::new().boundary(mode).cval(7),
                    slab,
                );
            }
        }
    }
}

#[test]
fn index_and_shape_see_the_whole_array() {
    let src = "kernel k(x) { x[0, 0] + index(0) * 1000 + shape(0) * 100000 + x[-1, 0] - x[1, 0] }";
    let x = data(&[17, 5], 3, |v| (v % 50) as i64);
    for mode in [Mode::Fill, Mode::Wrap, Mode::Constant] {
        check(
            src,
            std::slice::from_ref(&x),
            Options::new().boundary(mode),
            4,
        );
    }
}

#[test]
fn three_dimensional_cores_and_float_data() {
    let src = "kernel k(x) { 0.4 * x[0,0,0] + 0.1 * (x[-1,0,0] + x[1,0,0] + x[0,-1,0] + x[0,1,0] + x[0,0,-1] + x[0,0,1]) }";
    let x = data(&[11, 6, 5], 5, |v| (v % 1000) as f32 / 7.0);
    for mode in Mode::ALL {
        check(
            src,
            std::slice::from_ref(&x),
            Options::new().boundary(mode),
            3,
        );
    }
}

#[test]
fn loop_axis_slabs_need_no_halo_and_broadcast_inputs_are_read_whole() {
    // A 2-D kernel over a stack of frames: axis 0 is a loop axis.
    let smooth = "kernel k(x) { (x[-1,-1] + x[-1,0] + x[-1,1] + x[0,-1] + x[0,0] + x[0,1] + x[1,-1] + x[1,0] + x[1,1]) // 9 }";
    let stack = data(&[10, 6, 8], 9, |v| (v % 256) as u8 as i8);
    for mode in Mode::ALL {
        check(
            smooth,
            std::slice::from_ref(&stack),
            Options::new().boundary(mode),
            3,
        );
    }
    // Two inputs, the second broadcast along the loop axis.
    let two = "kernel k(x, w) { x[0, 1] * w[0, 0] + x[0, -1] }";
    let x = data(&[9, 4, 6], 11, |v| (v % 100) as i16);
    let w = data(&[4, 6], 12, |v| (v % 5) as i16);
    check(two, &[x, w], Options::new().boundary(Mode::Reflect), 2);
}

const PIPELINE: &str = "
    kernel down(x) boundary reflect { x[-1, 0] - x[2, 1] }
    kernel across(a, x) { a[0, -1] * 2 + x[1, 0] }
    kernel k(x) {
        let d = down(x);
        let c = across(d, x);
        c[-2, 0] + d[1, 1] - x[0, 0]
    }";

#[test]
fn pipelines_stream_in_slabs_with_the_halo_of_all_their_stages() {
    for mode in [
        Mode::Fill,
        Mode::Constant,
        Mode::Nearest,
        Mode::Reflect,
        Mode::Mirror,
    ] {
        for rows in [2, 5, 17] {
            let x = data(&[rows, 6], rows as u64, |v| (v % 90) as i32 - 45);
            for slab in [1, 2, 4] {
                if rows <= slab {
                    continue;
                }
                check(
                    PIPELINE,
                    std::slice::from_ref(&x),
                    Options::new().boundary(mode).cval(-3),
                    slab,
                );
                check(
                    PIPELINE,
                    std::slice::from_ref(&x),
                    Options::new().boundary(mode).steps(3),
                    slab,
                );
            }
        }
    }
}

#[test]
fn an_out_of_core_pipeline_that_wraps_along_axis_0_says_so() {
    let src = "kernel s(x) boundary wrap { x[-1, 0] } kernel k(x) { let t = s(x); t[0, 0] }";
    let x = data(&[9, 4], 3, |v| (v % 50) as i32);
    let dir = tempfile::tempdir().unwrap();
    let program = Program::from_source("wrap.stn", src).unwrap();
    let kernel = program.kernels().last().unwrap();
    let p = dir.path().join("in.npy");
    write_npy(&p, &x);
    let sources = vec![source::open(&p.to_string_lossy()).unwrap()];
    let opts = Options::new();
    let call = stream::call(kernel, &sources, &opts).unwrap();
    let plan = stream::plan_rows(&call, &sources, 2).unwrap();
    let out = dir.path().join("out.npy");
    let sink = sink::create(
        &out.to_string_lossy(),
        plan.out_dtypes[0],
        &plan.out_shape,
        sink::Resume::default(),
    )
    .unwrap();
    let sopts = StreamOptions {
        memory: usize::MAX,
        temp_dir: dir.path().to_path_buf(),
        progress: None,
    };
    let e = stream::run(&call, sources, vec![sink], &plan, &sopts).unwrap_err();
    assert!(e.to_string().contains("raise --memory"), "{e}");
    assert!(!out.exists());
    // In memory the same run works.
    assert_eq!(
        in_memory(src, std::slice::from_ref(&x), &opts).shape(),
        &[9, 4]
    );
}

#[test]
fn strips_and_tiles_forced_inside_slabs_equal_the_stepwise_run() {
    // Slabs of 16 to 40 rows of a 90-row array: strips have interior rows
    // to slide over in each slab, and the rows near a slab's ends (its
    // halo) run as tiles. Each schedule forced must give the stepwise
    // bytes, for a pipeline and for steps.
    let heat =
        "kernel heat(u) { u[0,0] + 0.2 * (u[-1,0] + u[1,0] + u[0,-1] + u[0,1] - 4.0 * u[0,0]) }";
    let x = data(&[90, 33], 7, |v| (v % 90) as i32 - 45);
    let u = data(&[90, 33], 11, |v| (v % 97) as f64);
    let dir = tempfile::tempdir().unwrap();
    for (src, input, steps) in [(PIPELINE, &x, 1), (heat, &u, 6)] {
        for mode in [Mode::Fill, Mode::Nearest, Mode::Reflect] {
            let opts = |s: Schedule| Options::new().boundary(mode).steps(steps).schedule(s);
            let expect = in_memory(src, std::slice::from_ref(input), &opts(Schedule::Stepwise));
            for schedule in [Schedule::Strips, Schedule::Tiles] {
                for slab in [16, 40] {
                    let sub = dir
                        .path()
                        .join(format!("{steps}-{mode:?}-{schedule:?}-{slab}"));
                    std::fs::create_dir(&sub).unwrap();
                    let got = streamed(
                        src,
                        std::slice::from_ref(input),
                        &opts(schedule),
                        slab,
                        &sub,
                    );
                    assert_eq!(got, expect, "{src} {mode:?} {schedule:?}, slabs of {slab}");
                }
            }
        }
    }
}

#[test]
fn time_steps_out_of_core_pass_through_temporary_files() {
    let heat =
        "kernel heat(u) { u[0,0] + 0.2 * (u[-1,0] + u[1,0] + u[0,-1] + u[0,1] - 4.0 * u[0,0]) }";
    let u = data(&[21, 9], 13, |v| (v % 97) as f64);
    for mode in [Mode::Fill, Mode::Wrap, Mode::Nearest] {
        check(
            heat,
            std::slice::from_ref(&u),
            Options::new().boundary(mode).steps(5),
            4,
        );
    }
    // No temporary step file is left behind.
    let dir = tempfile::tempdir().unwrap();
    streamed(
        heat,
        std::slice::from_ref(&u),
        &Options::new().steps(3),
        4,
        dir.path(),
    );
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["in0.npy", "in0.zarr", "out.npy", "out.zarr"]);
}

#[test]
fn a_budget_below_one_row_is_a_clear_error() {
    let program = Program::from_source("test.stn", ASYMMETRIC).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.npy");
    write_npy(&p, &data(&[50, 1000], 1, |v| v as f64));
    let sources = vec![source::open(&p.to_string_lossy()).unwrap()];
    let call = stream::call(program.kernel(None).unwrap(), &sources, &Options::new()).unwrap();
    let err = stream::plan(&call, &sources, None, 10_000)
        .unwrap_err()
        .to_string();
    assert!(err.contains("--memory 9.8 KiB is too small"), "{err}");
}

#[test]
fn the_memory_budget_sets_the_slab_size() {
    let program = Program::from_source("test.stn", ASYMMETRIC).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.npy");
    write_npy(&p, &data(&[1000, 100], 1, |v| v as u16));
    let sources = vec![source::open(&p.to_string_lossy()).unwrap()];
    let k = program.kernel(None).unwrap();
    let opts = Options::new();
    // Everything fits: one slab.
    let plan = stream::plan(
        &stream::call(k, &sources, &opts).unwrap(),
        &sources,
        None,
        1 << 20,
    )
    .unwrap();
    assert_eq!((plan.slab_rows, plan.slabs()), (1000, 1));
    // 400 bytes per row of input and output; three slabs in flight with
    // their 5 halo rows: 60 000 bytes make slabs of 50 - 5 = 45 rows.
    let plan = stream::plan(
        &stream::call(k, &sources, &opts).unwrap(),
        &sources,
        None,
        60_000,
    )
    .unwrap();
    assert_eq!((plan.slab_rows, plan.halo), (45, (2, 3)));
    // Chunked storage rounds slabs down to whole chunks.
    let plan = stream::plan(
        &stream::call(k, &sources, &opts).unwrap(),
        &sources,
        Some(20),
        60_000,
    )
    .unwrap();
    assert_eq!(plan.slab_rows, 40);
}

// The runner, as a user runs it.

fn stn(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_stn"))
        .args(args)
        .output()
        .expect("the stn binary runs")
}

fn stn_ok(args: &[&str]) -> std::process::Output {
    let o = stn(args);
    assert!(
        o.status.success(),
        "stn {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

const SMOOTH: &str = "kernel smooth(x) { (x[-1,-1] + x[-1,0] + x[-1,1] + x[0,-1] + x[0,0] + x[0,1] + x[1,-1] + x[1,0] + x[1,1]) // 9 }";

#[test]
fn runner_streams_every_format_when_memory_is_short() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let kernel = d.join("k.stn");
    std::fs::write(&kernel, SMOOTH).unwrap();
    let x = data(&[12, 40, 30], 21, |v| v as u8);
    write_npy(&d.join("x.npy"), &x);
    let expect = in_memory(
        SMOOTH,
        std::slice::from_ref(&x),
        &Options::new().boundary(Mode::Wrap),
    );
    let k = s(&kernel);
    // .npy in, Zarr, frames and .npy out, 3 frames (3 x 2400 bytes) at a time.
    std::fs::create_dir_all(d.join("frames")).unwrap();
    let input = s(&d.join("x.npy"));
    for out in ["y.npy", "y.zarr", "frames/{}.png"] {
        let output = s(&d.join(out));
        stn_ok(&[
            "run",
            &k,
            "-i",
            &input,
            "-o",
            &output,
            "--boundary",
            "wrap",
            "--memory",
            "15K",
        ]);
    }
    assert_eq!(read_npy(&d.join("y.npy")), expect);
    assert_eq!(stn_io::zarr::read(&d.join("y.zarr")).unwrap(), expect);
    assert_eq!(
        stn_io::image::read(&s(&d.join("frames/*.png"))).unwrap(),
        expect
    );
    // And back: Zarr and frames in, streamed, give the same bytes again.
    for input in ["y.zarr", "frames/*.png"] {
        let out = d.join("again.npy");
        stn_ok(&[
            "run",
            &k,
            "-i",
            &s(&d.join(input)),
            "-o",
            &s(&out),
            "--memory",
            "15K",
        ]);
        let twice = in_memory(SMOOTH, std::slice::from_ref(&expect), &Options::new());
        assert_eq!(read_npy(&out), twice, "{input}");
    }
    // Outputs are as readable as any new file (not tempfile's private 0600).
    use std::os::unix::fs::PermissionsExt;
    let plain = d.join("plain");
    std::fs::write(&plain, b"").unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    for out in ["y.npy", "frames/00.png", "again.npy"] {
        assert_eq!(mode(&d.join(out)), mode(&plain), "{out}");
    }
    assert_eq!(mode(&d.join("y.zarr")), mode(&d.join("frames")));
    std::fs::remove_file(&plain).unwrap();
    // Nothing temporary is left.
    let mut names: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["again.npy", "frames", "k.stn", "x.npy", "y.npy", "y.zarr"]
    );
}

#[test]
fn runner_memory_errors_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let kernel = d.join("k.stn");
    std::fs::write(&kernel, ASYMMETRIC).unwrap();
    write_npy(&d.join("x.npy"), &data(&[100, 1000], 1, |v| v as f32));
    let (k, x, y) = (s(&kernel), s(&d.join("x.npy")), s(&d.join("y.npy")));
    // Usage errors: exit 2.
    for (memory, needle) in [
        ("lots", "--memory `lots` is not a size"),
        ("0", "--memory `0` is not a size"),
        ("10K", "--memory 10.0 KiB is too small for this run"),
    ] {
        let o = stn(&["run", &k, "-i", &x, "-o", &y, "--memory", memory]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(needle), "{needle:?} in {err}");
        assert!(!d.join("y.npy").exists());
    }
    let o = stn(&["run", &k, "-i", &x, "-o", &y, "--resume"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--resume continues an interrupted Zarr output"),
        "{err}"
    );
}

#[test]
fn a_killed_zarr_run_resumes_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let kernel = d.join("blur.stn");
    // 49 loads per point on one thread: slow enough to be caught mid-run.
    std::fs::write(
        &kernel,
        "kernel blur(x) { sum(i in -3..=3, j in -3..=3) { x[i, j] } / 49.0 }",
    )
    .unwrap();
    write_npy(
        &d.join("x.npy"),
        &data(&[192, 128, 128], 5, |v| (v % 1000) as f64),
    );
    let (k, x) = (s(&kernel), s(&d.join("x.npy")));
    let out = d.join("y.zarr");
    let partial = d.join(".y.zarr.stn-partial");
    let args = |o: &Path| {
        vec![
            "run".to_string(),
            k.clone(),
            "-i".into(),
            x.clone(),
            "-o".into(),
            s(o),
            "--boundary".into(),
            "reflect".into(),
            "--threads".into(),
            "1".into(),
            "--memory".into(),
            "4M".into(),
        ]
    };
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_stn"))
        .args(args(&out))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it (SIGKILL) once it has written two slabs.
    let journal = partial.join("stn-journal.txt");
    let start = std::time::Instant::now();
    loop {
        let lines = std::fs::read_to_string(&journal)
            .map(|t| t.lines().filter(|l| l.starts_with("rows ")).count())
            .unwrap_or(0);
        if lines >= 2 {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be interrupted"
        );
        assert!(start.elapsed().as_secs() < 120, "no progress");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!out.exists(), "nothing under the final name");
    assert!(partial.is_dir(), "a resumable store is left");

    let mut resumed = args(&out);
    resumed.push("--resume".into());
    let refs: Vec<&str> = resumed.iter().map(String::as_str).collect();
    let o = stn_ok(&refs);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("resuming"), "{err}");
    assert!(!partial.exists());

    let whole = d.join("whole.zarr");
    let refs: Vec<String> = args(&whole);
    let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
    stn_ok(&refs);
    let a = stn_io::zarr::read(&out).unwrap();
    assert_eq!(a, stn_io::zarr::read(&whole).unwrap());
    assert_eq!(a.shape(), &[192, 128, 128]);
}

#[test]
fn every_dtype_streams_through_npy_and_zarr() {
    use stn::DType;
    let shift = "kernel k(x) { x[1, -1] }";
    for dtype in DType::ALL {
        let ints = data(&[9, 4], dtype as u64, |v| (v % 251) as i64 - 120);
        let mut x = DynArray::zeros(dtype, &[9, 4]);
        let (src, mut dst) = (ints.view(), x.view_mut());
        stn::internals::array::for_each_index(&[9, 4], |ix| dst.set(ix, src.get(ix).cast(dtype)));
        for mode in [Mode::Wrap, Mode::Constant] {
            check(
                shift,
                std::slice::from_ref(&x),
                Options::new().boundary(mode).cval(1),
                2,
            );
        }
    }
}

#[test]
fn a_single_image_larger_than_the_memory_budget_is_refused_before_decoding() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A real 300x200 grey PNG: 60 000 bytes decoded.
    let img = data(&[200, 300], 3, |v| v as u8);
    let png = d.join("one.png");
    stn_io::image::write(&s(&png), img.view()).unwrap();
    let kernel = d.join("k.stn");
    std::fs::write(&kernel, "kernel k(x) { x[0, 0] }").unwrap();
    let o = stn(&[
        "run",
        &s(&kernel),
        "-i",
        &s(&png),
        "-o",
        &s(&d.join("y.npy")),
        "--memory",
        "50K",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("more than the memory limit of 51200 bytes (--memory)"),
        "{err}"
    );
    stn_ok(&[
        "run",
        &s(&kernel),
        "-i",
        &s(&png),
        "-o",
        &s(&d.join("y.npy")),
        "--memory",
        "1M",
    ]);
    assert_eq!(read_npy(&d.join("y.npy")), img);
}
