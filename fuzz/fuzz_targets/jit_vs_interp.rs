//! Structured random kernels on random shapes, dtypes, strides, boundary
//! modes and thread counts: the compiled result is bit-identical to the
//! interpreter's (NaN payloads aside: any NaN equals any NaN, as in
//! Cranelift's own fuzzgen). Kernels may have a second output (a tuple),
//! a stage (a pipeline), rank reductions, and run several time steps; the
//! fused and stage-by-stage schedules must agree too.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use ndarray::{ArrayD, IxDyn, s};
use stn::{ArrayRef, DType, DynArray, Engine, Error, Mode, Options, Program, Scalar, Schedule};

#[derive(Arbitrary, Debug)]
enum Expr {
    Load(i8, i8),
    Int(i16),
    Float(i16, u8),
    Bin(Box<Expr>, u8, Box<Expr>),
    Neg(Box<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>, Box<Expr>),
    Call(u8, Box<Expr>, Box<Expr>),
    Sum(i8, Box<Expr>),
    /// `median` (kind 0), `rank(k, ...)` otherwise, over a 1-D or 2-D range.
    Rank(u8, i8, i8, Box<Expr>),
    /// A load of the stage `a` (when there is one).
    Stage(i8, i8),
}

#[derive(Arbitrary, Debug)]
struct Case {
    expr: Expr,
    dtype: u8,
    rows: u8,
    cols: u8,
    mode: u8,
    threads: u8,
    view: u8,
    seed: u64,
    out: Option<u8>,
    /// A second output.
    second: Option<Expr>,
    /// A stage kernel `s`, used as `let a = s(x);`.
    stage: Option<Expr>,
    steps: u8,
}

const OPS: [&str; 12] = [
    "+", "-", "*", "/", "//", "%", "&", "|", "^", "<<", ">>", "**",
];
const CALLS: [&str; 4] = ["min", "max", "abs", "sqrt"];
const DTYPES: [DType; 11] = DType::ALL;

fn render(e: &Expr, depth: usize, out: &mut String) {
    if depth > 6 {
        out.push_str("x[0, 0]");
        return;
    }
    match e {
        Expr::Load(i, j) => out.push_str(&format!("x[{}, {}]", i % 4, j % 4)),
        Expr::Int(v) => out.push_str(&format!("({v})")),
        Expr::Float(v, d) => out.push_str(&format!("({v}.{})", d % 100)),
        Expr::Bin(a, op, b) => {
            out.push('(');
            render(a, depth + 1, out);
            out.push_str(&format!(" {} ", OPS[*op as usize % OPS.len()]));
            render(b, depth + 1, out);
            out.push(')');
        }
        Expr::Neg(a) => {
            out.push_str("(-");
            render(a, depth + 1, out);
            out.push(')');
        }
        Expr::If(a, b, t, f) => {
            out.push_str("(if ");
            render(a, depth + 1, out);
            out.push_str(" < ");
            render(b, depth + 1, out);
            out.push_str(" { ");
            render(t, depth + 1, out);
            out.push_str(" } else { ");
            render(f, depth + 1, out);
            out.push_str(" })");
        }
        Expr::Call(f, a, b) => {
            let name = CALLS[*f as usize % CALLS.len()];
            out.push_str(name);
            out.push('(');
            render(a, depth + 1, out);
            if name == "min" || name == "max" {
                out.push_str(", ");
                render(b, depth + 1, out);
            }
            out.push(')');
        }
        Expr::Sum(r, a) => {
            let r = r.rem_euclid(3);
            out.push_str(&format!("sum(i in -{r}..={r}) {{ x[i, 0] + "));
            render(a, depth + 1, out);
            out.push_str(" }");
        }
        Expr::Rank(kind, r, k, a) => {
            let r = r.rem_euclid(3);
            let (ranges, n) = match kind % 2 {
                0 => (format!("i in -{r}..={r}"), 2 * r + 1),
                _ => (format!("i in -{r}..={r}, j in 0..=1"), 2 * (2 * r + 1)),
            };
            let head = match kind % 3 {
                0 => "median(".to_string(),
                _ => format!("rank({}, ", (*k as i64).rem_euclid(2 * n as i64) - n as i64),
            };
            out.push_str(&format!("{head}{ranges}) {{ x[i, 0] + "));
            render(a, depth + 1, out);
            out.push_str(" }");
        }
        Expr::Stage(i, j) if STAGE.with(|s| s.get()) => {
            out.push_str(&format!("a[{}, {}]", i % 3, j % 3));
        }
        Expr::Stage(i, j) => out.push_str(&format!("x[{}, {}]", i % 3, j % 3)),
    }
}

thread_local! {
    /// Whether the kernel being rendered has the stage `a`.
    static STAGE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Same values, any NaN equal to any NaN.
fn same(a: &DynArray, b: &DynArray) -> bool {
    if a.shape() != b.shape() || a.dtype() != b.dtype() {
        return false;
    }
    let (va, vb) = (a.view(), b.view());
    let mut ok = true;
    stn::internals::array::for_each_index(a.shape(), |ix| {
        let (x, y) = (va.get(ix), vb.get(ix));
        let nan = |s: Scalar| {
            matches!(s, Scalar::F32(v) if v.is_nan()) || matches!(s, Scalar::F64(v) if v.is_nan())
        };
        if !(x == y || (nan(x) && nan(y))) && format!("{x:?}") != format!("{y:?}") {
            ok = false;
        }
    });
    ok
}

fuzz_target!(|case: Case| {
    let mut src = String::new();
    if let Some(stage) = &case.stage {
        STAGE.with(|s| s.set(false));
        let mut body = String::new();
        render(stage, 0, &mut body);
        src.push_str(&format!("kernel s(x) {{ x[0, 0] + {body} }}\n"));
    }
    STAGE.with(|s| s.set(case.stage.is_some()));
    let mut body = String::new();
    render(&case.expr, 0, &mut body);
    let mut out = match case.out {
        Some(d) => format!(" -> {}", DTYPES[d as usize % DTYPES.len()]),
        None => String::new(),
    };
    if let Some(second) = &case.second {
        let mut other = String::new();
        render(second, 0, &mut other);
        body = format!("({body}, {other})");
        if !out.is_empty() {
            out = format!("{}, _)", out.replace("-> ", "-> ("));
        }
    }
    let lets = if case.stage.is_some() {
        "let a = s(x); "
    } else {
        ""
    };
    src.push_str(&format!("kernel k(x){out} {{ {lets}{body} }}"));
    let Ok(program) = Program::from_source("fuzz.stn", &src) else {
        return;
    };
    let kernel = program.kernel(Some("k")).unwrap();
    let dtype = DTYPES[case.dtype as usize % DTYPES.len()];
    match stn::internals::specialize(kernel, &[dtype]) {
        Ok(_) => {}
        Err(Error::Internal(e)) => panic!("{src}: {e}"),
        Err(_) => return,
    }
    let shape = [case.rows as usize % 9 + 1, case.cols as usize % 40 + 1];
    let mut x = case.seed | 1;
    let ints: ArrayD<i64> = ArrayD::from_shape_fn(IxDyn(&shape), |_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % 300) as i64 - 150
    });
    let mut data = DynArray::zeros(dtype, &shape);
    {
        let (src_v, mut dst) = (DynArray::from_typed(ints), data.view_mut());
        let v = src_v.view();
        stn::internals::array::for_each_index(&shape, |ix| dst.set(ix, v.get(ix).cast(dtype)));
    }
    let typed = data.clone();
    let view: ArrayRef = match case.view % 3 {
        0 => typed.view(),
        1 => stn::with_element_type!(dtype, T => {
            let a = typed_array::<T>(&data);
            return run(&src, kernel, ArrayRef::new(a.slice(s![..;-1, ..])), &case);
        }),
        _ => stn::with_element_type!(dtype, T => {
            let a = typed_array::<T>(&data);
            return run(&src, kernel, ArrayRef::new(a.t()), &case);
        }),
    };
    run(&src, kernel, view, &case);
});

fn typed_array<T: stn::Element>(d: &DynArray) -> ndarray::Array2<T> {
    d.clone()
        .into_typed::<T>()
        .unwrap()
        .into_dimensionality()
        .unwrap()
}

fn run(src: &str, kernel: &stn::Kernel, x: ArrayRef<'_>, case: &Case) {
    let mode = Mode::ALL[case.mode as usize % 6];
    // Time steps where the one output keeps the input's dtype.
    let steps = match (&case.out, &case.second) {
        (None, None) => case.steps as usize % 3 + 1,
        _ => 1,
    };
    let opts = Options::new()
        .boundary(mode)
        .cval(3)
        .steps(steps)
        .threads(case.threads as usize % 3 + 1)
        .tile_points([0, 1, 5, 30][(case.seed >> 8) as usize % 4]);
    let inputs = std::slice::from_ref(&x);
    // Fused as the model chooses, in tiles, or in sliding-window strips.
    let fused = [Schedule::Auto, Schedule::Tiles, Schedule::Strips][case.seed as usize % 3];
    let jit = kernel.run_all(inputs, &opts.clone().schedule(fused));
    let oracle = kernel.run_all(inputs, &opts.clone().engine(Engine::Interpreter));
    let stepwise = kernel.run_all(inputs, &opts.clone().schedule(Schedule::Stepwise));
    match (jit, oracle, stepwise) {
        (Ok(a), Ok(b), Ok(c)) => {
            for ((a, b), c) in a.iter().zip(&b).zip(&c) {
                assert!(
                    same(a, b) && same(a, c),
                    "{src} {mode} steps {steps} {:?}\njit {a:?}\noracle {b:?}\nstepwise {c:?}",
                    x.shape()
                );
            }
        }
        (Err(a), Err(b), Err(c)) => {
            assert_eq!(a.to_string(), b.to_string());
            assert_eq!(a.to_string(), c.to_string());
        }
        (a, b, c) => panic!("{src}: jit {a:?} vs interpreter {b:?} vs stepwise {c:?}"),
    }
}
