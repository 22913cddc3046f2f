//! docs/language.md §3 and §4 checked against tables produced independently of stn:
//! CPython / NumPy / scipy.ndimage values written once by
//! `tests/data/semantics/gen.py` (see its header for what each file holds),
//! plus a promotion table written out by hand from docs/language.md §3.
//!
//! Every table runs through the whole engine, twice: compiled code and the
//! reference interpreter.

use std::collections::BTreeMap;

use ndarray::{Array1, Array2, ArrayD, IxDyn};
use stn::{ArrayRef, DType, DynArray, Engine, Mode, Options, Program, Scalar};

fn table(name: &str) -> Vec<Vec<String>> {
    let path = format!("{}/tests/data/semantics/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            l.split('#')
                .next()
                .unwrap()
                .split_whitespace()
                .map(String::from)
                .collect()
        })
        .collect()
}

/// Runs `src`'s only kernel on `inputs` with both engines; asserts they
/// agree bit for bit and returns the result.
fn run_both(src: &str, inputs: &[ArrayRef], opts: Options) -> DynArray {
    let program = Program::from_source("t.stn", src).unwrap_or_else(|e| panic!("{e}"));
    let k = program.kernel(None).unwrap();
    let jit = k
        .run(inputs, &opts.clone().engine(Engine::Jit))
        .unwrap_or_else(|e| panic!("{e}"));
    let int = k
        .run(inputs, &opts.engine(Engine::Interpreter))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(jit.shape(), int.shape());
    let (a, b) = (jit.view(), int.view());
    stn::internals::array::for_each_index(jit.shape(), |ix| {
        assert!(
            a.get(ix).same(b.get(ix)),
            "{src}: jit {:?} != interpreter {:?} at {ix:?}",
            a.get(ix),
            b.get(ix)
        );
    });
    jit
}

fn values(a: &DynArray) -> Vec<Scalar> {
    let v = a.view();
    let mut out = Vec::new();
    stn::internals::array::for_each_index(a.shape(), |ix| out.push(v.get(ix)));
    out
}

fn parse(dtype: DType, text: &str) -> Scalar {
    match dtype {
        DType::F32 => Scalar::F32(text.parse().unwrap()),
        DType::F64 => Scalar::F64(text.parse().unwrap()),
        DType::Bool => Scalar::Bool(text != "0"),
        DType::U64 => Scalar::U64(text.parse().unwrap()),
        _ => Scalar::Int(text.parse().unwrap()),
    }
}

fn array_of(dtype: DType, vals: &[Scalar]) -> DynArray {
    let mut a = DynArray::zeros(dtype, &[vals.len()]);
    let mut m = a.view_mut();
    for (i, v) in vals.iter().enumerate() {
        m.set(&[i], *v);
    }
    a
}

fn check_divmod(file: &str, dtype: DType) {
    let rows = table(file);
    let col = |c: usize| rows.iter().map(|r| parse(dtype, &r[c])).collect::<Vec<_>>();
    let (a, b) = (array_of(dtype, &col(0)), array_of(dtype, &col(1)));
    let inputs = [a.view(), b.view()];
    let fd = values(&run_both(
        "kernel k(a, b) { a[0] // b[0] }",
        &inputs,
        Options::new(),
    ));
    let md = values(&run_both(
        "kernel k(a, b) { a[0] % b[0] }",
        &inputs,
        Options::new(),
    ));
    for (i, r) in rows.iter().enumerate() {
        let (q, m) = (parse(dtype, &r[2]), parse(dtype, &r[3]));
        assert!(
            fd[i].same(q),
            "{} // {}: got {:?}, expected {q:?}",
            r[0],
            r[1],
            fd[i]
        );
        assert!(
            md[i].same(m),
            "{} % {}: got {:?}, expected {m:?}",
            r[0],
            r[1],
            md[i]
        );
    }
}

#[test]
fn int_floordiv_and_mod_follow_python() {
    check_divmod("int_floordiv_mod.txt", DType::I64);
}

#[test]
fn int_floordiv_and_mod_by_a_constant_follow_python() {
    // A literal divisor takes a different code path (inline, no call).
    let rows = table("int_floordiv_mod.txt");
    let mut by_divisor: BTreeMap<i64, Vec<&Vec<String>>> = BTreeMap::new();
    for r in &rows {
        by_divisor.entry(r[1].parse().unwrap()).or_default().push(r);
    }
    for (b, rows) in by_divisor {
        if b == i64::MIN {
            continue; // not writable as a literal
        }
        let a = array_of(
            DType::I64,
            &rows
                .iter()
                .map(|r| parse(DType::I64, &r[0]))
                .collect::<Vec<_>>(),
        );
        let lit = if b < 0 {
            format!("({b})")
        } else {
            b.to_string()
        };
        let fd = values(&run_both(
            &format!("kernel k(a) {{ a[0] // {lit} }}"),
            &[a.view()],
            Options::new(),
        ));
        let md = values(&run_both(
            &format!("kernel k(a) {{ a[0] % {lit} }}"),
            &[a.view()],
            Options::new(),
        ));
        for (i, r) in rows.iter().enumerate() {
            assert_eq!(fd[i], parse(DType::I64, &r[2]), "{} // {b}", r[0]);
            assert_eq!(md[i], parse(DType::I64, &r[3]), "{} % {b}", r[0]);
        }
    }
}

#[test]
fn int_floordiv_and_mod_by_many_constants_agree_with_the_interpreter() {
    // Inline division by a constant multiplies by a magic number; check it
    // over many divisors and dividends, edge values included.
    let mut xs: Vec<Scalar> = [
        0,
        1,
        -1,
        2,
        -2,
        8,
        -8,
        9,
        -9,
        10,
        -10,
        i64::MAX,
        i64::MIN,
        i64::MIN + 1,
        i64::MAX - 1,
    ]
    .into_iter()
    .map(Scalar::Int)
    .collect();
    let mut state = 0x9e3779b97f4a7c15u64;
    for _ in 0..200 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        xs.push(Scalar::Int(state as i64 >> (state % 60)));
    }
    let a = array_of(DType::I64, &xs);
    let mut divisors: Vec<i64> = (2..=40).collect();
    for k in 2..63 {
        divisors.extend([(1i64 << k) - 1, 1 << k, (1 << k) + 1]);
    }
    divisors.extend([i64::MAX, -2, -3, -7, -1024, i64::MIN + 1]);
    for c in divisors {
        let lit = if c < 0 {
            format!("({c})")
        } else {
            c.to_string()
        };
        // `run_both` asserts JIT == interpreter bit for bit.
        run_both(
            &format!("kernel k(a) {{ a[0] // {lit} }}"),
            &[a.view()],
            Options::new(),
        );
        run_both(
            &format!("kernel k(a) {{ a[0] % {lit} }}"),
            &[a.view()],
            Options::new(),
        );
    }
}

#[test]
fn float64_floordiv_and_mod_follow_numpy() {
    check_divmod("float_floordiv_mod.txt", DType::F64);
}

#[test]
fn float32_floordiv_and_mod_follow_numpy() {
    check_divmod("float32_floordiv_mod.txt", DType::F32);
}

fn check_casts(file: &str) {
    // Group rows by (source, destination) so each kernel compiles once.
    let mut groups: BTreeMap<(String, String), Vec<(String, String)>> = BTreeMap::new();
    for r in table(file) {
        groups
            .entry((r[0].clone(), r[2].clone()))
            .or_default()
            .push((r[1].clone(), r[3].clone()));
    }
    assert!(groups.len() >= 10, "{file} looks truncated");
    for ((src, dst), rows) in groups {
        let (s, d) = (
            DType::from_name(&src).unwrap(),
            DType::from_name(&dst).unwrap(),
        );
        let input = array_of(s, &rows.iter().map(|r| parse(s, &r.0)).collect::<Vec<_>>());
        let out = values(&run_both(
            &format!("kernel k(x) -> {dst} {{ x[0] }}"),
            &[input.view()],
            Options::new(),
        ));
        for (i, (v, want)) in rows.iter().enumerate() {
            assert!(
                out[i].same(parse(d, want)),
                "{src} {v} -> {dst}: got {:?}, expected {want}",
                out[i]
            );
        }
    }
}

#[test]
fn casts_match_numpy_astype() {
    check_casts("casts.txt");
}

#[test]
fn out_of_range_float_to_int_casts_saturate() {
    check_casts("casts_saturating.txt");
}

fn mode(name: &str) -> Mode {
    Mode::from_name(name).unwrap_or_else(|| panic!("mode {name}"))
}

#[test]
fn boundary_modes_match_scipy_in_1d() {
    let mut by_offset: BTreeMap<i64, Vec<Vec<String>>> = BTreeMap::new();
    for r in table("boundary_1d.txt") {
        by_offset.entry(r[2].parse().unwrap()).or_default().push(r);
    }
    for (o, rows) in by_offset {
        let src = format!("kernel k(x) {{ x[{o}] }}");
        for r in rows {
            let n: usize = r[1].parse().unwrap();
            let x = Array1::from_shape_fn(n, |i| i as f64);
            let opts = Options::new().boundary(mode(&r[0])).cval(-1.0);
            let got = values(&run_both(&src, &[ArrayRef::new(x.view())], opts));
            let want: Vec<Scalar> = r[3..]
                .iter()
                .map(|v| Scalar::F64(v.parse().unwrap()))
                .collect();
            assert_eq!(got, want, "mode {} n {n} offset {o}", r[0]);
        }
    }
}

#[test]
fn boundary_modes_match_scipy_in_2d() {
    let mut by_offset: BTreeMap<(i64, i64), Vec<Vec<String>>> = BTreeMap::new();
    for r in table("boundary_2d.txt") {
        by_offset
            .entry((r[3].parse().unwrap(), r[4].parse().unwrap()))
            .or_default()
            .push(r);
    }
    for ((di, dj), rows) in by_offset {
        let src = format!("kernel k(x) {{ x[{di}, {dj}] }}");
        for r in rows {
            let (rr, cc): (usize, usize) = (r[1].parse().unwrap(), r[2].parse().unwrap());
            let x = Array2::from_shape_fn((rr, cc), |(i, j)| (i * cc + j) as f64);
            // Small tiles so that interior and border boxes both occur.
            let opts = Options::new()
                .tile_points(3)
                .boundary(mode(&r[0]))
                .cval(-1.0);
            let got = values(&run_both(&src, &[ArrayRef::new(x.view())], opts));
            let want: Vec<Scalar> = r[5..]
                .iter()
                .map(|v| Scalar::F64(v.parse().unwrap()))
                .collect();
            assert_eq!(
                got, want,
                "mode {} shape ({rr}, {cc}) offset ({di}, {dj})",
                r[0]
            );
        }
    }
}

/// docs/language.md §3's promotion rules, written out by hand: the dtype `a + b`
/// computes in, for array operands of the given dtypes.
#[test]
fn promotion_of_mixed_dtypes() {
    use DType::*;
    let cases: &[(DType, DType, DType)] = &[
        (I8, I8, I64),
        (I8, U8, I64),
        (U8, U8, I64),
        (I32, U32, I64),
        (I64, I64, I64),
        (Bool, Bool, I64),
        (Bool, I8, I64),
        (U64, U64, U64),
        (U64, U8, U64),
        (U64, U32, U64),
        (U64, Bool, U64),
        (U64, I8, F64),
        (U64, I64, F64),
        (F32, F32, F32),
        (F32, Bool, F32),
        // An integer of 8 or 16 bits keeps f32; a wider one does not
        // (NumPy's `result_type`, which Numba follows).
        (F32, I8, F32),
        (F32, U8, F32),
        (F32, I16, F32),
        (F32, U16, F32),
        (F32, I32, F64),
        (F32, U32, F64),
        (F32, I64, F64),
        (F32, F64, F64),
        (F64, I64, F64),
        (F64, U64, F64),
    ];
    let program = Program::from_source(
        "t.stn",
        "kernel add(a, b) -> f64 { a[0] + b[0] }\nkernel div(a, b) -> f64 { a[0] / b[0] }",
    )
    .unwrap();
    let (add, div) = (
        program.kernel(Some("add")).unwrap(),
        program.kernel(Some("div")).unwrap(),
    );
    for &(a, b, want) in cases {
        for (x, y) in [(a, b), (b, a)] {
            assert_eq!(
                stn::internals::typed::value_type(
                    &stn::internals::typed_kernel(add, &[x, y]).unwrap()
                ),
                want,
                "{x} + {y}"
            );
        }
        // True division: the float of the same promotion.
        let want_div = if want.is_float() { want } else { F64 };
        assert_eq!(
            stn::internals::typed::value_type(&stn::internals::typed_kernel(div, &[a, b]).unwrap()),
            want_div,
            "{a} / {b}"
        );
    }
    // Literals are weak: they take the array's type.
    let lit = Program::from_source(
        "t.stn",
        "kernel a(x) -> f64 { x[0] * 0.25 }\nkernel b(x) -> f64 { x[0] + 1 }\nkernel c(x) -> f64 { x[0] + 1.5 }",
    )
    .unwrap();
    let ty = |k: &str, d: DType| {
        stn::internals::typed::value_type(
            &stn::internals::typed_kernel(lit.kernel(Some(k)).unwrap(), &[d]).unwrap(),
        )
    };
    assert_eq!(ty("a", F32), F32);
    assert_eq!(ty("a", F64), F64);
    assert_eq!(ty("b", I8), I64);
    assert_eq!(ty("b", U64), U64);
    assert_eq!(ty("c", I16), F64);
    assert_eq!(ty("c", F32), F32);
}

#[test]
fn mixed_dtype_arithmetic_runs_in_the_promoted_type() {
    // u64 + i8 is computed in f64: 2**64 - 1 rounds to 2**64 and back to u64 saturates.
    let a = ArrayD::from_elem(IxDyn(&[1]), u64::MAX);
    let b = ArrayD::from_elem(IxDyn(&[1]), 0i8);
    let out = run_both(
        "kernel k(a, b) -> f64 { a[0] + b[0] }",
        &[ArrayRef::new(a.view()), ArrayRef::new(b.view())],
        Options::new(),
    );
    assert_eq!(values(&out), vec![Scalar::F64(18446744073709551616.0)]);
    // i8 + i8 is computed in i64: no wrap at 127.
    let c = ArrayD::from_elem(IxDyn(&[1]), 100i8);
    let out = run_both(
        "kernel k(a) -> i16 { a[0] + a[0] }",
        &[ArrayRef::new(c.view())],
        Options::new(),
    );
    assert_eq!(values(&out), vec![Scalar::Int(200)]);
}

/// A `let` no output uses is dropped with its reads: it neither widens the
/// footprint nor, under `fill`, the border set to cval.
#[test]
fn an_unused_let_does_not_widen_the_footprint() {
    let p = Program::from_source(
        "dead.stn",
        "kernel k(x) {\n    let unused = x[5, 5];\n    x[0, 0]\n}\n",
    )
    .unwrap();
    let k = p.kernel(None).unwrap();
    let x = Array2::from_shape_fn((10, 10), |(i, j)| (i * 10 + j) as f32);
    for engine in [Engine::Jit, Engine::Interpreter] {
        let opts = Options::new().boundary(Mode::Fill).engine(engine);
        let y = k.apply(&[x.view()], &opts).unwrap();
        assert_eq!(y, x, "{engine:?}");
    }
    let xd = DynArray::from_typed(x.clone().into_dyn());
    let call = k.call(&[xd.view()], &Options::new()).unwrap();
    let fp = call.footprint();
    assert_eq!((fp.lo.clone(), fp.hi.clone()), (vec![0, 0], vec![0, 0]));
}
