//! The library API as an embedding program uses it: compile from a string,
//! the specialization cache, typed and dtype-erased calls, `_into` with a
//! caller's strided buffer, options.

use std::sync::Arc;

use ndarray::{Array2, Array3, ArrayD, s};
use stn::{ArrayMut, ArrayRef, Context, DType, DynArray, Engine, Mode, Options, Program};

const SRC: &str = "
kernel blur(x) boundary nearest { (x[0, -1] + x[0, 0] + x[0, 1]) / 3 }
kernel scale(x, k: f32) -> f32 { x[0, 0] * k }
";

#[test]
fn the_cache_compiles_once_per_dtype_signature() {
    let p = Program::from_source("t.stn", SRC).unwrap();
    let k = p.kernel(Some("blur")).unwrap();
    assert!(
        k.signatures().is_empty(),
        "nothing is compiled before the first call"
    );
    let first = stn::internals::specialize(k, &[DType::U8]).unwrap();
    let again = stn::internals::specialize(k, &[DType::U8]).unwrap();
    assert!(
        Arc::ptr_eq(&first, &again),
        "the second call reuses the specialized kernel"
    );
    assert!(
        k.signatures().is_empty(),
        "checked and lowered, not compiled"
    );
    let code = first.compiled().unwrap();
    assert!(Arc::ptr_eq(&code, &again.compiled().unwrap()), "made once");
    let x = Array2::<f32>::zeros((3, 4));
    k.apply_as::<f32, f32, _>(&[x.view()], &Options::new())
        .unwrap();
    assert_eq!(k.signatures(), vec![vec![DType::F32], vec![DType::U8]]);
    // Clones of a kernel share its cache.
    let k2 = p.kernel(Some("blur")).unwrap().clone();
    assert_eq!(k2.signatures().len(), 2);
}

#[test]
fn run_into_a_strided_buffer_equals_run() {
    let p = Program::from_source("t.stn", SRC).unwrap();
    let k = p.kernel(Some("blur")).unwrap();
    let x = Array3::from_shape_fn((2, 5, 7), |(f, i, j)| (f * 100 + i * 7 + j) as i16);
    let want = k.run(&[ArrayRef::new(x.view())], &Options::new()).unwrap();
    // Every other column of a wider buffer, rows reversed.
    let mut buf = Array3::<i16>::from_elem((2, 5, 14), -1);
    let mut view = buf.slice_mut(s![.., ..;-1, ..;2]);
    k.run_into(
        &[ArrayRef::new(x.view())],
        &mut ArrayMut::new(view.view_mut()),
        &Options::new(),
    )
    .unwrap();
    assert_eq!(DynArray::I16(view.to_owned().into_dyn()), want);
    assert!(
        buf.slice(s![.., .., 1..;2]).iter().all(|&v| v == -1),
        "nothing written between the columns"
    );
}

#[test]
fn wrong_output_and_inputs_are_errors() {
    let p = Program::from_source("t.stn", SRC).unwrap();
    let k = p.kernel(Some("scale")).unwrap();
    let x = Array2::<u16>::zeros((3, 4));
    let opts = Options::new().param("k", 2.0);
    let e = k.apply_as::<u16, u16, _>(&[x.view()], &opts).unwrap_err();
    assert_eq!(
        e.to_string(),
        "kernel `scale` returns f32, not u16; use `apply_as::<f32, _, _>`"
    );
    let e = k.run(&[], &opts).unwrap_err();
    assert!(
        e.to_string()
            .contains("takes 1 array input (x), but 0 were given"),
        "{e}"
    );
    let mut small = Array2::<f32>::zeros((3, 3));
    let e = k
        .run_into(
            &[ArrayRef::new(x.view())],
            &mut ArrayMut::new(small.view_mut()),
            &opts,
        )
        .unwrap_err();
    assert!(
        e.to_string().contains("the output array is f32 [3, 3]"),
        "{e}"
    );
    let e = k
        .run(&[ArrayRef::new(x.view())], &Options::new().param("k", true))
        .unwrap_err();
    assert!(
        e.to_string().contains("bad value for parameter `k` (f32)"),
        "{e}"
    );
    assert!(
        Program::from_source("t.stn", "kernel a(x) { x[0] }\nkernel b(x) { x[1] }")
            .unwrap()
            .kernel(None)
            .is_err()
    );
}

#[test]
fn steps_equal_repeated_runs_on_both_engines() {
    let p = Program::from_source("t.stn", SRC).unwrap();
    let k = p.kernel(Some("blur")).unwrap();
    let x = Array2::from_shape_fn((6, 9), |(i, j)| ((i * 9 + j) * 37 % 101) as f64);
    let mut want: ArrayD<f64> = x.clone().into_dyn();
    for _ in 0..4 {
        want = k.apply(&[want.view()], &Options::new()).unwrap();
    }
    for engine in [Engine::Jit, Engine::Interpreter] {
        let got: ArrayD<f64> = k
            .apply_as::<f64, _, _>(&[x.view()], &Options::new().steps(4).engine(engine))
            .unwrap()
            .into_dyn();
        assert_eq!(got, want, "{engine:?}");
    }
    // A kernel that changes the dtype cannot be stepped.
    let s = p.kernel(Some("scale")).unwrap();
    let e = s
        .run(
            &[ArrayRef::new(x.view())],
            &Options::new().param("k", 1.0).steps(2),
        )
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("`Options::steps` needs a kernel whose first array input has the output's dtype and shape"),
        "{e}"
    );
}

#[test]
fn options_override_the_kernels_boundary() {
    let p = Program::from_source("t.stn", SRC).unwrap();
    let k = p.kernel(Some("blur")).unwrap();
    let x = Array2::from_shape_fn((1, 3), |(_, j)| (j * 3) as f32);
    let nearest: ArrayD<f32> = k
        .apply_as::<f32, _, _>(&[x.view()], &Options::new())
        .unwrap()
        .into_dyn();
    assert_eq!(nearest.as_slice().unwrap(), &[1.0, 3.0, 5.0]);
    let constant: ArrayD<f32> = k
        .apply_as::<f32, _, _>(
            &[x.view()],
            &Options::new().boundary(Mode::Constant).cval(30),
        )
        .unwrap()
        .into_dyn();
    assert_eq!(constant.as_slice().unwrap(), &[11.0, 3.0, 13.0]);
    let fill: ArrayD<f32> = k
        .apply_as::<f32, _, _>(&[x.view()], &Options::new().boundary(Mode::Fill).cval(-1))
        .unwrap()
        .into_dyn();
    assert_eq!(fill.as_slice().unwrap(), &[-1.0, 3.0, -1.0]);
}

#[test]
fn wide_footprints_compute_border_points_piece_by_piece() {
    // Border boxes of this kernel span whole rows 2000 columns past the
    // edge; their padded copies are cut into pieces, and every point is
    // still the interpreter's.
    let p = Program::from_source(
        "t.stn",
        "kernel k(x) { x[0, 0] + 2.0 * x[-300, 1] - x[5, 2000] + x[0, -1500] }",
    )
    .unwrap();
    let k = p.kernel(None).unwrap();
    let x = Array2::from_shape_fn((320, 2600), |(i, j)| ((i * 31 + j * 17) % 97) as f32);
    for mode in [Mode::Wrap, Mode::Reflect, Mode::Constant, Mode::Fill] {
        let opts = Options::new().boundary(mode).cval(-1.0);
        let jit: ArrayD<f32> = k
            .apply_as::<f32, _, _>(&[x.view()], &opts.clone())
            .unwrap()
            .into_dyn();
        let oracle: ArrayD<f32> = k
            .apply_as::<f32, _, _>(&[x.view()], &opts.engine(Engine::Interpreter))
            .unwrap()
            .into_dyn();
        assert_eq!(jit, oracle, "{mode}");
    }
}

#[test]
fn kernels_that_read_too_far_are_refused_with_a_span() {
    let src = "kernel k(x) {\n    x[0, 0] + x[70000, 0]\n}";
    let p = Program::from_source("far.stn", src).unwrap();
    let err = stn::internals::specialize(p.kernel(None).unwrap(), &[DType::F64])
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("this access reads too far"), "{err}");
    assert!(err.contains("far.stn:2:15"), "{err}");
    // A neighbourhood of more than 2^22 points, with small offsets each.
    let src = "kernel k(x) { x[-1100, -1100] + x[1100, 1100] }";
    let program = Program::from_source("wide.stn", src).unwrap();
    let err = stn::internals::specialize(program.kernel(None).unwrap(), &[DType::F64])
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("neighbourhoods to 4194304 points"), "{err}");
}

#[test]
fn blocks_with_a_halo_and_a_region_give_the_whole_arrays_points() {
    // How Dask runs a kernel: each block with the halo its footprint needs,
    // `index` and `shape` told where the block sits in the whole.
    let p = Program::from_source(
        "t.stn",
        "kernel pos(x) -> i64 boundary nearest {
             x[-1, 0] + x[0, 2] + 1000 * index(0) + 100000 * index(1)
             + 10000000 * shape(0) + 1000000000 * shape(1)
         }",
    )
    .unwrap();
    let k = p.kernel(None).unwrap();
    let x = Array3::from_shape_fn((2, 9, 11), |(f, i, j)| (f * 300 + i * 11 + j) as i16);
    for engine in [Engine::Jit, Engine::Interpreter] {
        let opts = Options::new().engine(engine);
        let whole: ArrayD<i64> = k
            .apply_as::<i64, _, _>(&[x.view()], &opts)
            .unwrap()
            .into_dyn();
        let blocks: [(std::ops::Range<usize>, std::ops::Range<usize>); 4] =
            [(0..4, 0..5), (4..9, 5..11), (3..6, 2..3), (0..9, 0..11)];
        for (rows, cols) in blocks {
            // Halo: 1 row before, 2 columns after, clipped to the array.
            let r0 = rows.start.saturating_sub(1);
            let c1 = (cols.end + 2).min(11);
            let block = x.slice(s![.., r0..rows.end, cols.start..c1]);
            let cx = Context::default().region(vec![r0 as i64, cols.start as i64], vec![9, 11]);
            let inputs = [ArrayRef::new(block)];
            let call = k.call(&inputs, &opts).unwrap();
            let mut got = DynArray::zeros(DType::I64, call.out_shape());
            call.run_with(&inputs, &mut [got.view_mut()], &cx).unwrap();
            let got = got.into_typed::<i64>().unwrap();
            let got = got.slice(s![.., rows.start - r0.., ..cols.len()]);
            assert_eq!(
                got,
                whole.slice(s![.., rows.clone(), cols.clone()]),
                "{engine:?} {rows:?} {cols:?}"
            );
        }
    }
    // The region must name every core axis.
    let inputs = [ArrayRef::new(x.view())];
    let call = k.call(&inputs, &Options::new()).unwrap();
    let mut out = DynArray::zeros(DType::I64, call.out_shape());
    let e = call
        .run_with(
            &inputs,
            &mut [out.view_mut()],
            &Context::default().region(vec![0], vec![9]),
        )
        .unwrap_err();
    assert!(
        e.to_string().contains("kernel `pos` has 2 core axes"),
        "{e}"
    );
}

#[test]
fn loading_a_file_reports_every_error_no_dtype_could_fix() {
    // Three mistakes in two kernels, none of which depends on dtypes: all
    // are reported when the file is loaded, before any call.
    let src = "
kernel a(x) { x[0, 0] + totl }
kernel b(x, n: i32) { sqrt(x[0, 0], 2) + frob(n) }
";
    let e = Program::from_source("three.stn", src).unwrap_err();
    let stn::Error::Kernel { diagnostics, .. } = &e else {
        panic!("a kernel error: {e}");
    };
    let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        vec![
            "unknown name `totl`",
            "`sqrt` takes 1 argument, found 2",
            "unknown function `frob`"
        ]
    );
    let text = e.to_string();
    assert!(
        text.contains("three.stn:2:25") && text.contains("three.stn:3:23"),
        "{text}"
    );
    // A kernel that only fails for some dtypes loads; the call says why.
    let p = Program::from_source("bits.stn", "kernel k(x) { x[0] & 1 }").unwrap();
    let f = ndarray::arr1(&[1.5f32]);
    let e = p
        .kernel(None)
        .unwrap()
        .run(&[ArrayRef::new(f.view())], &Options::new())
        .unwrap_err();
    assert!(e.to_string().contains("`&` takes integers or bools"), "{e}");
}

#[test]
fn programs_kernels_and_calls_print_what_they_are() {
    let p = Program::from_source("t.stn", SRC).unwrap();
    let text = format!("{p:?}");
    assert!(
        text.contains("t.stn") && text.contains("blur") && text.contains("scale"),
        "{text}"
    );
    let k = p.kernel(Some("scale")).unwrap();
    let call = k
        .call_for(
            &[DType::U16],
            &[vec![3, 4]],
            &Options::new().param("k", 2.0),
        )
        .unwrap();
    let text = format!("{call:?}");
    assert!(
        text.contains("out_dtypes: \"f32\"") && text.contains("[3, 4]"),
        "{text}"
    );
}

#[test]
fn io_errors_keep_the_system_error_as_their_source() {
    let e = Program::from_path("/no/such/kernel.stn").unwrap_err();
    let source = std::error::Error::source(&e).expect("an io source");
    let io = source.downcast_ref::<std::io::Error>().unwrap();
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    assert!(
        e.to_string()
            .starts_with("cannot read `/no/such/kernel.stn`"),
        "{e}"
    );
}

#[test]
fn the_readme_library_example_does_what_it_says() {
    let program = Program::from_source("inline.stn", "kernel k(x) { x[-1] + x[1] }").unwrap();
    let k = program.kernel(None).unwrap();
    let x = ndarray::arr1(&[1i64, 2, 3, 4]);
    let y = k
        .apply(&[x.view()], &Options::new().boundary(Mode::Nearest))
        .unwrap();
    assert_eq!(y, ndarray::arr1(&[3, 4, 6, 7]));
    assert_eq!(k.signatures(), vec![vec![DType::I64]]);
}

#[test]
fn a_refused_file_names_the_mistake_of_every_kernel() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/diagnostics/one_mistake_per_kernel.stn"
    );
    let Err(stn::Error::Kernel { diagnostics, .. }) = Program::from_path(path) else {
        panic!("the file has errors");
    };
    let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "expected an expression; found `}`",
            "unknown boundary mode `refelct`",
            "unknown name `totl`",
            "`&` takes integers or bools, found f64 and i64",
        ]
    );
}

#[test]
fn checking_and_footprints_make_no_machine_code_a_run_does() {
    let program = Program::from_source("k.stn", "kernel k(x) { x[-1, 0] + x[1, 1] }").unwrap();
    let k = program.kernel(None).unwrap();
    k.check(&[DType::F32]).unwrap();
    let fp = k.footprint(&[DType::F32]).unwrap();
    assert_eq!((fp.lo.clone(), fp.hi.clone()), (vec![-1, 0], vec![1, 1]));
    let spec = stn::internals::specialize(k, &[DType::F32]).unwrap();
    assert!(
        !spec.is_compiled(),
        "check and footprint compiled the kernel"
    );
    let x = Array2::<f32>::ones((4, 5));
    k.apply(&[x.view()], &Options::new()).unwrap();
    assert!(
        spec.is_compiled(),
        "the run shares the specialization and compiles it"
    );
}

#[test]
fn counts_of_zero_are_refused_in_the_callers_spelling() {
    let program = Program::from_source("k.stn", "kernel k(x) { x[0] + x[1] }").unwrap();
    let k = program.kernel(None).unwrap();
    let x = ndarray::Array1::<f32>::ones(8);
    for (opts, want) in [
        (
            Options::new().threads(0),
            "`Options::threads` must be at least 1",
        ),
        (
            Options::new().steps(0),
            "`Options::steps` must be at least 1",
        ),
        (
            Options::new().steps(2).steps_per_pass(0),
            "`Options::steps_per_pass` must be at least 1",
        ),
        (
            Options::new().threads(0).caller(stn::Caller::Python),
            "`threads=` must be at least 1",
        ),
    ] {
        let e = k.apply(&[x.view()], &opts).unwrap_err();
        assert!(matches!(e, stn::Error::Usage(_)), "{e}");
        assert_eq!(e.to_string(), want);
    }
}
