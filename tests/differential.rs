//! Differential tests: generated kernels run through the JIT and through
//! the reference interpreter must agree bit for bit.
//!
//! Each case draws a kernel (a random expression tree over 1–3 array inputs
//! with 1–3 core axes, scalar params, lets, reductions including `median`
//! and `rank` and ranges sized by a parameter, every operator and builtin,
//! one output or a tuple of several), input dtypes, shapes (lengths 1 and 2
//! included, broadcast loop axes), memory layouts (reversed, strided,
//! Fortran order), which axes are core axes (`axes`), a boundary mode,
//! cval, thread count and tile size. A failure prints the case's seed:
//! `STN_SEED=<seed> cargo test --test suite differential::` reruns just that case.
//! `STN_CASES=<n>` runs more cases.

use ndarray::{ArrayD, IxDyn, Slice};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use stn::{ArrayRef, DType, DynArray, Element, Engine, Mode, Options, Program, Scalar, Schedule};

/// The first seed and the number of cases: `STN_SEED` runs that one case,
/// `STN_CASES` changes the count.
fn seed_and_cases(default_seed: u64, default_cases: u64) -> (u64, u64) {
    let env = |k: &str| std::env::var(k).ok().and_then(|s| s.parse().ok());
    match env("STN_SEED") {
        Some(seed) => (seed, 1),
        None => (default_seed, env("STN_CASES").unwrap_or(default_cases)),
    }
}

/// `want`, or the nearest value that every one of `dtypes` holds: a cval
/// must keep its value in the dtypes it is written as (docs/language.md §13), so a
/// generated cval is brought into their common range.
fn cval_for(want: Scalar, dtypes: &[DType]) -> Scalar {
    let ints: Vec<DType> = dtypes.iter().copied().filter(|d| !d.is_float()).collect();
    if ints.is_empty() {
        return want;
    }
    let lo = ints
        .iter()
        .map(|&d| stn::internals::scalar::int_range(d).0)
        .max()
        .unwrap();
    let hi = ints
        .iter()
        .map(|&d| stn::internals::scalar::int_range(d).1)
        .min()
        .unwrap();
    match want {
        Scalar::Int(v) => Scalar::Int(v.clamp(lo, hi)),
        _ => Scalar::Int(0),
    }
}

/// Runs `k` with the JIT and with the interpreter and asserts bit-identical
/// outputs; `describe` names the case (seed, kernel, shapes) on failure.
fn assert_engines_agree(
    k: &stn::Kernel,
    views: &[ArrayRef],
    opts: &Options,
    describe: &dyn Fn() -> String,
) {
    let jit = k
        .run_all(views, &opts.clone().engine(Engine::Jit))
        .unwrap_or_else(|e| panic!("{}\n{e}", describe()));
    let int = k
        .run_all(views, &opts.clone().engine(Engine::Interpreter))
        .unwrap_or_else(|e| panic!("{}\n{e}", describe()));
    assert_eq!(jit.len(), int.len(), "{}", describe());
    for (o, (jit, int)) in jit.iter().zip(&int).enumerate() {
        assert_eq!(jit.shape(), int.shape(), "{}", describe());
        let (a, b) = (jit.view(), int.view());
        stn::internals::array::for_each_index(jit.shape(), |ix| {
            let (x, y) = (a.get(ix), b.get(ix));
            assert!(
                x.same(y),
                "{}\noutput {o} at {ix:?}: jit {x:?}, interpreter {y:?}",
                describe()
            );
        });
    }
}

struct Gen {
    rng: StdRng,
    ndim: usize,
    inputs: Vec<String>,
    params: Vec<String>,
    /// Names of reduction variables in scope.
    vars: Vec<String>,
    lets: Vec<String>,
    /// The kernel has the integer parameter `rad` that sizes ranges.
    radius: bool,
}

const DTYPES: [&str; 11] = [
    "bool", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64",
];

impl Gen {
    fn offset(&mut self) -> String {
        if !self.vars.is_empty() && self.rng.random_bool(0.4) {
            let v = self.vars.choose(&mut self.rng).unwrap().clone();
            return match self.rng.random_range(0..3) {
                0 => v,
                1 => format!("{v} - 1"),
                _ => format!("-{v}"),
            };
        }
        let o: i64 = self.rng.random_range(-2..=2);
        if self.rng.random_bool(0.1) {
            format!("1 + {}", o - 1)
        } else {
            o.to_string()
        }
    }

    fn load(&mut self) -> String {
        let x = self.inputs.choose(&mut self.rng).unwrap().clone();
        let offs: Vec<String> = (0..self.ndim).map(|_| self.offset()).collect();
        format!("{x}[{}]", offs.join(", "))
    }

    fn leaf(&mut self) -> String {
        match self.rng.random_range(0..10) {
            0..=4 => self.load(),
            5 => [
                "0",
                "1",
                "2",
                "3",
                "7",
                "100",
                "255",
                "1000000",
                "9223372036854775807",
            ]
            .choose(&mut self.rng)
            .unwrap()
            .to_string(),
            6 => ["0.5", "1.5", "2.25", "1e10", "0.1", "0.0", "3.0"]
                .choose(&mut self.rng)
                .unwrap()
                .to_string(),
            7 if !self.params.is_empty() => self.params.choose(&mut self.rng).unwrap().clone(),
            7 | 8 => {
                let f = if self.rng.random_bool(0.5) {
                    "index"
                } else {
                    "shape"
                };
                format!("{f}({})", self.rng.random_range(0..self.ndim))
            }
            _ if !self.vars.is_empty() => self.vars.choose(&mut self.rng).unwrap().clone(),
            _ if !self.lets.is_empty() => self.lets.choose(&mut self.rng).unwrap().clone(),
            _ => self.load(),
        }
    }

    fn num(&mut self, depth: u32) -> String {
        if depth == 0 || self.rng.random_bool(0.2) {
            return self.leaf();
        }
        let d = depth - 1;
        match self.rng.random_range(0..14) {
            0..=2 => {
                let op = ["+", "-", "*", "/", "//", "%", "**", "+", "-", "*"]
                    .choose(&mut self.rng)
                    .unwrap();
                format!("({} {op} {})", self.num(d), self.num(d))
            }
            3 => {
                let op = ["&", "|", "^", "<<", ">>"].choose(&mut self.rng).unwrap();
                let (a, b) = (self.int_cast(), self.int_cast());
                format!("({a}({}) {op} {b}({}))", self.num(d), self.num(d))
            }
            4 => match self.rng.random_range(0..3) {
                0 => format!("-{}", self.num(d)),
                1 => format!("~{}({})", self.int_cast(), self.num(d)),
                _ => format!("-({})", self.num(d)),
            },
            5 => {
                let f = [
                    "abs", "sqrt", "exp", "log", "sin", "cos", "tan", "tanh", "floor", "ceil",
                    "round",
                ]
                .choose(&mut self.rng)
                .unwrap();
                format!("{f}({})", self.num(d))
            }
            6 => {
                let f = ["min", "max", "hypot", "pow"]
                    .choose(&mut self.rng)
                    .unwrap();
                format!("{f}({}, {})", self.num(d), self.num(d))
            }
            7 => format!("clamp({}, {}, {})", self.num(d), self.num(d), self.num(d)),
            8 => format!("{}({})", DTYPES.choose(&mut self.rng).unwrap(), self.num(d)),
            9 => format!(
                "where({}, {}, {})",
                self.boolean(d),
                self.num(d),
                self.num(d)
            ),
            10 => format!(
                "if {} {{ {} }} else {{ {} }}",
                self.boolean(d),
                self.num(d),
                self.num(d)
            ),
            11 => {
                let op = *["sum", "prod", "min", "max", "median", "rank"]
                    .choose(&mut self.rng)
                    .unwrap();
                let v = format!("r{}", self.vars.len());
                // A range sized by the run-time radius `rad` (docs/language.md §11), or
                // by literals.
                let (lo, hi, n) = match self.radius && self.rng.random_bool(0.3) {
                    true => ("-rad".to_string(), "rad".to_string(), None),
                    false => {
                        let lo: i64 = self.rng.random_range(-2..=0);
                        let hi: i64 = self.rng.random_range(0..=1);
                        (lo.to_string(), hi.to_string(), Some(hi - lo + 1))
                    }
                };
                self.vars.push(v.clone());
                let body = self.num(d);
                self.vars.pop();
                let k = match (op, n) {
                    ("rank", Some(n)) => format!("{}, ", self.rng.random_range(-n..n)),
                    ("rank", None) => ["0, ", "-1, "].choose(&mut self.rng).unwrap().to_string(),
                    _ => String::new(),
                };
                format!("{op}({k}{v} in {lo}..={hi}) {{ {body} }}")
            }
            12 => format!(
                "{}({})",
                DTYPES.choose(&mut self.rng).unwrap(),
                self.boolean(d)
            ),
            _ => self.leaf(),
        }
    }

    fn int_cast(&mut self) -> &'static str {
        ["i8", "i16", "i32", "i64", "u8", "u32", "u64"]
            .choose(&mut self.rng)
            .unwrap()
    }

    fn boolean(&mut self, depth: u32) -> String {
        let d = depth.saturating_sub(1);
        match self.rng.random_range(0..6) {
            0..=2 => {
                let op = ["==", "!=", "<", "<=", ">", ">="]
                    .choose(&mut self.rng)
                    .unwrap();
                format!("({} {op} {})", self.num(d), self.num(d))
            }
            3 if depth > 0 => {
                let op = ["and", "or"].choose(&mut self.rng).unwrap();
                format!("({} {op} {})", self.boolean(d), self.boolean(d))
            }
            4 if depth > 0 => format!("(not {})", self.boolean(d)),
            _ => format!("isnan({})", self.num(d)),
        }
    }
}

struct Case {
    source: String,
    dtypes: Vec<DType>,
    params: Vec<(String, DType)>,
}

fn gen_kernel(rng: &mut StdRng) -> Case {
    let ndim = rng.random_range(1..=3);
    let n_in = rng.random_range(1..=3);
    let inputs: Vec<String> = (0..n_in).map(|i| format!("x{i}")).collect();
    let n_params = rng.random_range(0..=2);
    let mut params: Vec<(String, DType)> = (0..n_params)
        .map(|i| (format!("p{i}"), *DType::ALL.choose(rng).unwrap()))
        .collect();
    let radius = rng.random_bool(0.25);
    let mut g = Gen {
        rng: StdRng::seed_from_u64(rng.random()),
        ndim,
        inputs: inputs.clone(),
        params: params.iter().map(|p| p.0.clone()).collect(),
        vars: Vec::new(),
        lets: Vec::new(),
        radius,
    };
    if radius {
        params.push((
            "rad".to_string(),
            *[DType::I64, DType::U8].choose(rng).unwrap(),
        ));
    }
    let mut body = String::new();
    for i in 0..g.rng.random_range(0..=2) {
        let v = g.num(3);
        body += &format!("    let t{i} = {v};\n");
        g.lets.push(format!("t{i}"));
    }
    // One output, or a tuple of 2 or 3 (docs/language.md §9).
    let outputs = *[1, 1, 1, 2, 3].choose(rng).unwrap();
    let values: Vec<String> = (0..outputs)
        .map(|_| {
            let load = g.load();
            let value = g.num(4);
            format!("{load} + {value}")
        })
        .collect();
    body += &match outputs {
        1 => format!("    {}\n", values[0]),
        _ => format!("    ({})\n", values.join(",\n     ")),
    };
    let mut out_type = || match rng.random_bool(0.5) {
        true => DTYPES.choose(rng).unwrap().to_string(),
        false => "_".to_string(),
    };
    let out = match outputs {
        1 => match out_type().as_str() {
            "_" => String::new(),
            t => format!(" -> {t}"),
        },
        n => format!(
            " -> ({})",
            (0..n).map(|_| out_type()).collect::<Vec<_>>().join(", ")
        ),
    };
    let sig: Vec<String> = inputs
        .iter()
        .cloned()
        .chain(params.iter().map(|(n, d)| format!("{n}: {d}")))
        .collect();
    let source = format!("kernel k({}){out} {{\n{body}}}\n", sig.join(", "));
    let dtypes = (0..n_in)
        .map(|_| *DType::ALL.choose(rng).unwrap())
        .collect();
    Case {
        source,
        dtypes,
        params,
    }
}

fn random_value(rng: &mut StdRng, dtype: DType) -> Scalar {
    let special = rng.random_bool(0.15);
    match dtype {
        DType::Bool => Scalar::Bool(rng.random()),
        DType::F32 | DType::F64 => {
            let v = if special {
                *[
                    f64::NAN,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    -0.0,
                    1e300,
                    -1e-300,
                    0.5,
                ]
                .choose(rng)
                .unwrap()
            } else {
                rng.random_range(-100.0..100.0)
            };
            Scalar::F64(v).cast(dtype)
        }
        DType::U64 => Scalar::U64(if special {
            rng.random()
        } else {
            rng.random_range(0..10)
        }),
        _ => Scalar::Int(if special {
            rng.random::<i64>()
        } else {
            rng.random_range(-5..10)
        })
        .cast(dtype),
    }
}

/// An array of `shape` with random values in a random memory layout: a
/// view (reversed axes, every other element, or Fortran order) into a parent.
struct Input {
    parent: DynArray,
    offset: isize,
    shape: Vec<usize>,
    strides: Vec<isize>,
}

impl Input {
    fn view(&self) -> ArrayRef<'_> {
        // SAFETY: offset and strides were taken from a view into `parent`,
        // whose heap buffer does not move.
        unsafe {
            ArrayRef::from_raw(
                self.parent.view().as_ptr().offset(self.offset),
                self.parent.dtype(),
                self.shape.clone(),
                self.strides.clone(),
            )
        }
    }
}

fn random_array(rng: &mut StdRng, dtype: DType, shape: &[usize]) -> Input {
    fn build<T: Element>(rng: &mut StdRng, dtype: DType, shape: &[usize]) -> Input {
        let layout = rng.random_range(0..4);
        let parent_shape: Vec<usize> = match layout {
            2 => shape.iter().map(|&n| 2 * n).collect(),
            3 => shape.iter().rev().copied().collect(),
            _ => shape.to_vec(),
        };
        let mut parent = ArrayD::<T>::default(IxDyn(&parent_shape));
        let base = parent.as_ptr() as isize;
        let mut view = parent.view_mut();
        match layout {
            1 => {
                for ax in 0..shape.len() {
                    if rng.random_bool(0.5) {
                        view.invert_axis(ndarray::Axis(ax));
                    }
                }
            }
            2 => {
                for ax in 0..shape.len() {
                    view.slice_axis_inplace(ndarray::Axis(ax), Slice::new(0, None, 2));
                }
            }
            3 => view = view.reversed_axes(),
            _ => {}
        }
        let mut out = stn::ArrayMut::new(view);
        stn::internals::array::for_each_index(shape, |ix| out.set(ix, random_value(rng, dtype)));
        let offset = out.as_mut_ptr() as isize - base;
        let strides = out.strides().to_vec();
        Input {
            parent: DynArray::from_typed(parent),
            offset,
            shape: shape.to_vec(),
            strides,
        }
    }
    stn::with_element_type!(dtype, T => build::<T>(rng, dtype, shape))
}

#[test]
fn jit_equals_interpreter_on_generated_kernels() {
    let (base, cases) = seed_and_cases(0x5eed, 300);
    let (mut ran, mut rejected) = (0, 0);
    for i in 0..cases {
        let seed = base + i;
        let mut rng = StdRng::seed_from_u64(seed);
        let case = gen_kernel(&mut rng);
        let program = Program::from_source("gen.stn", &case.source)
            .unwrap_or_else(|e| panic!("seed {seed}: parse\n{}\n{e}", case.source));
        let k = program.kernel(None).unwrap();
        let t = match k.check(&case.dtypes) {
            Ok(t) => t,
            Err(_) => {
                // Generated kernels may be ill-typed (e.g. a float shifted); those are not cases.
                rejected += 1;
                continue;
            }
        };
        // Shapes: shared core shape, loop axes that broadcast.
        let core: Vec<usize> = (0..t.ndim)
            .map(|_| *[1usize, 2, 3, 4, 5, 7].choose(&mut rng).unwrap())
            .collect();
        let n_loop = rng.random_range(0..=2);
        let loop_shape: Vec<usize> = (0..n_loop).map(|_| rng.random_range(1..=3)).collect();
        // Sometimes the core axes are others than the last (docs/language.md §10): every
        // input keeps every loop axis, and its axes are stored in the order
        // `perm` (stored axis `perm[k]` is axis `k` of loop axes then core).
        let perm: Option<Vec<usize>> = rng.random_bool(0.25).then(|| {
            let mut p: Vec<usize> = (0..n_loop + t.ndim).collect();
            rand::seq::SliceRandom::shuffle(&mut p[..], &mut rng);
            p
        });
        let arrays: Vec<Input> = case
            .dtypes
            .iter()
            .map(|&d| {
                let keep = match perm {
                    Some(_) => n_loop,
                    None => rng.random_range(0..=n_loop),
                };
                let lp: Vec<usize> = loop_shape[n_loop - keep..]
                    .iter()
                    .map(|&n| if rng.random_bool(0.3) { 1 } else { n })
                    .collect();
                let shape = [lp, core.clone()].concat();
                let stored = match &perm {
                    Some(p) => {
                        let mut s = vec![0; shape.len()];
                        for (k, &n) in shape.iter().enumerate() {
                            s[p[k]] = n;
                        }
                        s
                    }
                    None => shape,
                };
                random_array(&mut rng, d, &stored)
            })
            .collect();
        let views: Vec<ArrayRef> = arrays.iter().map(|a| a.view()).collect();
        let want = *[
            Scalar::Int(0),
            Scalar::Int(-3),
            Scalar::F64(1.5),
            Scalar::F64(f64::NAN),
        ]
        .choose(&mut rng)
        .unwrap();
        let written: Vec<DType> = match k.check(&case.dtypes) {
            Ok(sig) => case
                .dtypes
                .iter()
                .copied()
                .chain(sig.outputs.iter().copied())
                .collect(),
            Err(_) => case.dtypes.clone(),
        };
        let mut opts = Options::new()
            .boundary(*Mode::ALL.choose(&mut rng).unwrap())
            .cval(cval_for(want, &written))
            .threads(rng.random_range(1..=3))
            .tile_points(*[1usize, 3, 17, 1 << 16].choose(&mut rng).unwrap());
        for (name, d) in &case.params {
            let v = match name.as_str() {
                // A radius sizes ranges: small, so that footprints stay small.
                "rad" => Scalar::Int(rng.random_range(0..=2)).cast(*d),
                _ => random_value(&mut rng, *d),
            };
            opts = opts.param(name, v);
        }
        if let Some(p) = &perm {
            // The core axes where `perm` stored them, counted from the end
            // or from the start.
            let r = p.len() as isize;
            let axes: Vec<isize> = (p[n_loop..].iter())
                .map(|&a| match rng.random_bool(0.5) {
                    true => a as isize - r,
                    false => a as isize,
                })
                .collect();
            opts = opts.axes(axes);
        }
        let describe = || {
            format!(
                "seed {seed} (rerun: STN_SEED={seed} cargo test --test suite differential::)\n{}\ndtypes {:?}, shapes {:?}, {opts:?}",
                case.source,
                case.dtypes,
                views
                    .iter()
                    .map(|v| (v.shape().to_vec(), v.strides().to_vec()))
                    .collect::<Vec<_>>(),
            )
        };
        assert_engines_agree(k, &views, &opts, &describe);
        ran += 1;
    }
    eprintln!(
        "differential: {ran} kernels agreed, {rejected} generated kernels were ill-typed and skipped"
    );
    assert!(
        ran * 2 >= cases,
        "too many ill-typed kernels: the generator needs fixing ({ran} of {cases} ran)"
    );
}

/// A float expression of the shape the vector variant takes (one float
/// dtype, comparisons, selects), so that vector code, scalar tails and
/// border boxes are all exercised.
fn float_expr(rng: &mut StdRng, inputs: &[String], ndim: usize, depth: u32) -> String {
    let leaf = |rng: &mut StdRng| -> String {
        match rng.random_range(0..4) {
            0..=1 => {
                let x = inputs.choose(rng).unwrap();
                let offs: Vec<String> = (0..ndim)
                    .map(|_| rng.random_range(-2..=2).to_string())
                    .collect();
                format!("{x}[{}]", offs.join(", "))
            }
            2 => ["0.5", "1", "-2.25", "3.0", "1e30", "0.1"]
                .choose(rng)
                .unwrap()
                .to_string(),
            _ => "p".to_string(),
        }
    };
    if depth == 0 || rng.random_bool(0.2) {
        return leaf(rng);
    }
    let d = depth - 1;
    let e = |rng: &mut StdRng| float_expr(rng, inputs, ndim, d);
    let cmp = |rng: &mut StdRng, a: String, b: String| {
        format!(
            "({a} {} {b})",
            ["==", "!=", "<", "<=", ">", ">="].choose(rng).unwrap()
        )
    };
    match rng.random_range(0..9) {
        0..=2 => {
            let op = ["+", "-", "*", "/", "//", "%"].choose(rng).unwrap();
            format!("({} {op} {})", e(rng), e(rng))
        }
        3 => format!(
            "{}({}, {})",
            ["min", "max"].choose(rng).unwrap(),
            e(rng),
            e(rng)
        ),
        4 => format!(
            "{}({})",
            ["-", "abs", "sqrt", "floor", "ceil", "round"]
                .choose(rng)
                .unwrap(),
            e(rng)
        ),
        5 => {
            let (a, b) = (e(rng), e(rng));
            let c = cmp(rng, a, b);
            format!("where({c}, {}, {})", e(rng), e(rng))
        }
        6 => {
            let (a, b, c2) = (e(rng), e(rng), e(rng));
            let c = cmp(rng, a, b);
            let join = ["and", "or"].choose(rng).unwrap();
            format!(
                "if {c} {join} not isnan({c2}) {{ {} }} else {{ {} }}",
                e(rng),
                e(rng)
            )
        }
        _ => leaf(rng),
    }
}

#[test]
fn vector_code_equals_interpreter_on_float_kernels() {
    let (base, cases) = seed_and_cases(0xf10a7, 200);
    let mut vectorized = 0;
    for i in 0..cases {
        let seed = base + i;
        let mut rng = StdRng::seed_from_u64(seed);
        let dtype = if rng.random_bool(0.5) {
            DType::F32
        } else {
            DType::F64
        };
        let ndim = rng.random_range(1..=3);
        let n_in = rng.random_range(1..=2);
        let inputs: Vec<String> = (0..n_in).map(|i| format!("x{i}")).collect();
        let body = float_expr(&mut rng, &inputs, ndim, 4);
        let zero = vec!["0"; ndim].join(", ");
        let source = format!(
            "kernel k({}, p: {dtype}) -> {dtype} {{\n    x0[{zero}] + {body}\n}}\n",
            inputs.join(", ")
        );
        let program = Program::from_source("gen.stn", &source)
            .unwrap_or_else(|e| panic!("seed {seed}\n{source}\n{e}"));
        let k = program.kernel(None).unwrap();
        let dtypes = vec![dtype; n_in];
        let spec = stn::internals::specialize(k, &dtypes)
            .unwrap_or_else(|e| panic!("seed {seed}\n{source}\n{e}"));
        vectorized += (spec.compiled().unwrap().lanes() > 1) as u32;
        let core: Vec<usize> = (0..ndim)
            .map(|_| *[1usize, 2, 3, 5, 8, 13].choose(&mut rng).unwrap())
            .collect();
        let arrays: Vec<Input> = dtypes
            .iter()
            .map(|&d| random_array(&mut rng, d, &core))
            .collect();
        let views: Vec<ArrayRef> = arrays.iter().map(|a| a.view()).collect();
        let opts = Options::new()
            .boundary(*Mode::ALL.choose(&mut rng).unwrap())
            .cval(Scalar::F64(-1.5))
            .threads(rng.random_range(1..=2))
            .tile_points(*[1usize, 5, 64, 1 << 16].choose(&mut rng).unwrap())
            .param("p", random_value(&mut rng, dtype));
        assert_engines_agree(k, &views, &opts, &|| {
            format!(
                "seed {seed} (rerun: STN_SEED={seed} cargo test --test suite differential::vector)\n{source}\nshape {core:?}, {opts:?}"
            )
        });
    }
    eprintln!("vector differential: {vectorized} of {cases} kernels had a vector variant");
    assert!(
        vectorized as u64 * 10 >= cases * 9,
        "the generator should make vectorizable kernels"
    );
}

/// An integer expression of the shapes the narrow-lane vector code takes:
/// small-dtype loads, sums, products, floor division and modulo by
/// constants, min/max, comparisons and selects, wrapping casts.
fn int_expr(rng: &mut StdRng, inputs: &[String], ndim: usize, depth: u32) -> String {
    let leaf = |rng: &mut StdRng| -> String {
        if rng.random_bool(0.75) {
            let x = inputs.choose(rng).unwrap();
            let offs: Vec<String> = (0..ndim)
                .map(|_| rng.random_range(-2..=2).to_string())
                .collect();
            format!("{x}[{}]", offs.join(", "))
        } else {
            ["0", "1", "2", "3", "-5", "100", "7"]
                .choose(rng)
                .unwrap()
                .to_string()
        }
    };
    if depth == 0 || rng.random_bool(0.15) {
        return leaf(rng);
    }
    let d = depth - 1;
    let e = |rng: &mut StdRng| int_expr(rng, inputs, ndim, d);
    match rng.random_range(0..10) {
        0..=2 => {
            let op = ["+", "-", "*", "+"].choose(rng).unwrap();
            format!("({} {op} {})", e(rng), e(rng))
        }
        3 => {
            let op = ["//", "%"].choose(rng).unwrap();
            let c = [1, 2, 3, 4, 5, 7, 9, 10, 16, 25, 100, 255, 1000]
                .choose(rng)
                .unwrap();
            format!("({} {op} {c})", e(rng))
        }
        4 => format!(
            "{}({}, {})",
            ["min", "max"].choose(rng).unwrap(),
            e(rng),
            e(rng)
        ),
        5 => format!(
            "{}({})",
            ["-", "abs", "i8", "u8", "i16"].choose(rng).unwrap(),
            e(rng)
        ),
        6 => {
            let cmp = ["==", "!=", "<", "<=", ">", ">="].choose(rng).unwrap();
            format!("where({} {cmp} {}, {}, {})", e(rng), e(rng), e(rng), e(rng))
        }
        7 => format!("sum(r in -1..=1) {{ {} }}", e(rng)),
        8 => {
            let (a, b) = (e(rng), e(rng));
            format!("i64(({a} > 0) and not ({b} < 2))")
        }
        _ => leaf(rng),
    }
}

#[test]
fn narrow_lane_code_equals_interpreter_on_integer_kernels() {
    let (base, cases) = seed_and_cases(0x1a7e5, 300);
    let mut vectorized = 0;
    for i in 0..cases {
        let seed = base + i;
        let mut rng = StdRng::seed_from_u64(seed);
        let ndim = rng.random_range(1..=3);
        let n_in = rng.random_range(1..=2);
        let inputs: Vec<String> = (0..n_in).map(|i| format!("x{i}")).collect();
        let body = int_expr(&mut rng, &inputs, ndim, 3);
        let out = ["i8", "u8", "i16", "u16", "i32"].choose(&mut rng).unwrap();
        let source = format!(
            "kernel k({}) -> {out} {{\n    {body}\n}}\n",
            inputs.join(", ")
        );
        let dtypes: Vec<DType> = (0..n_in)
            .map(|_| {
                *[DType::I8, DType::U8, DType::I16, DType::U16, DType::I32]
                    .choose(&mut rng)
                    .unwrap()
            })
            .collect();
        let program = match Program::from_source("gen.stn", &source) {
            Ok(p) => p,
            // A body the generator made of literals only.
            Err(e) if e.to_string().contains("never reads an array") => continue,
            Err(e) => panic!("seed {seed}\n{source}\n{e}"),
        };
        let k = program.kernel(None).unwrap();
        let Ok(spec) = stn::internals::specialize(k, &dtypes) else {
            continue;
        };
        vectorized += (spec.compiled().unwrap().lanes() > 1) as u32;
        let core: Vec<usize> = (0..ndim)
            .map(|_| *[1usize, 2, 3, 7, 8, 9, 17].choose(&mut rng).unwrap())
            .collect();
        let arrays: Vec<Input> = dtypes
            .iter()
            .map(|&d| random_array(&mut rng, d, &core))
            .collect();
        let views: Vec<ArrayRef> = arrays.iter().map(|a| a.view()).collect();
        let opts = Options::new()
            .boundary(*Mode::ALL.choose(&mut rng).unwrap())
            .cval(cval_for(
                Scalar::Int(rng.random_range(-3..300)),
                &dtypes
                    .iter()
                    .copied()
                    .chain(spec.typed.out_dtypes.iter().copied())
                    .collect::<Vec<_>>(),
            ))
            .threads(rng.random_range(1..=2))
            .tile_points(*[1usize, 5, 64, 1 << 16].choose(&mut rng).unwrap());
        assert_engines_agree(k, &views, &opts, &|| {
            format!(
                "seed {seed} (rerun: STN_SEED={seed} cargo test --test suite differential::narrow)\n{source}\ndtypes {dtypes:?}, shape {core:?}, {opts:?}, lanes {}",
                spec.compiled().unwrap().lanes()
            )
        });
    }
    eprintln!("narrow-lane differential: {vectorized} of {cases} kernels had a vector variant");
    assert!(
        vectorized as u64 * 3 >= cases,
        "the generator should make vectorizable kernels"
    );
}

/// Float `//` and `%` run inline in vector lanes, with a call to the
/// reference only for operands it does not cover (`codegen::float_div`).
/// The data sits on, and one ulp either side of, multiples of the divisor,
/// where a rounded quotient lands on the wrong integer, and around the
/// largest quotients done inline; every result must be the interpreter's.
#[test]
fn float_floor_division_and_modulo_equal_the_reference() {
    let (base, cases) = seed_and_cases(0xf1_d1f, 80);
    for i in 0..cases {
        let seed = base + i;
        let mut rng = StdRng::seed_from_u64(seed);
        let dtype = *[DType::F32, DType::F64].choose(&mut rng).unwrap();
        let c: f64 = *[9.0, 3.0, 0.1, -0.1, 2.5, -7.0, 1e-30, 1e30, 0.7]
            .choose(&mut rng)
            .unwrap();
        let op = ["//", "%"].choose(&mut rng).unwrap();
        let by_array = rng.random_bool(0.3);
        let source = if by_array {
            format!("kernel k(x, y) {{ x[0, 0] {op} y[0, 1] }}\n")
        } else {
            format!("kernel k(x) {{ (x[0, -1] + x[0, 0]) {op} {c:e} }}\n")
        };
        let k = Program::from_source("div.stn", &source).unwrap();
        let k = k.kernel(None).unwrap();
        let n_in = if by_array { 2 } else { 1 };
        let spec = stn::internals::specialize(k, &vec![dtype; n_in]).unwrap();
        assert!(
            spec.compiled().unwrap().lanes() > 1,
            "no vector variant\n{source}"
        );
        let shape = [rng.random_range(1..5usize), rng.random_range(2..70usize)];
        let n = shape[0] * shape[1];
        let top = if dtype == DType::F32 { 21 } else { 50 };
        let value = |rng: &mut StdRng| -> f64 {
            let q = rng.random_range(-3000i64..3000) as f64;
            match rng.random_range(0..12) {
                0 => q * c,
                1 => (q * c).next_up(),
                2 => (q * c).next_down(),
                3 => {
                    let big = (1u64 << (top + rng.random_range(-1..=1))) as f64 * c.abs();
                    if rng.random_bool(0.5) {
                        big
                    } else {
                        -big.next_down()
                    }
                }
                4 => *[0.0, -0.0, f64::INFINITY, f64::NAN, 1e-310, -1.0]
                    .choose(rng)
                    .unwrap(),
                _ => rng.random_range(-1e4..1e4) * c,
            }
        };
        let array = |rng: &mut StdRng| -> DynArray {
            let v: Vec<f64> = (0..n).map(|_| value(rng)).collect();
            let a = ArrayD::from_shape_vec(IxDyn(&shape), v).unwrap();
            match dtype {
                DType::F32 => DynArray::from_typed(a.mapv(|x| x as f32)),
                _ => DynArray::from_typed(a),
            }
        };
        let x = array(&mut rng);
        let y = match dtype {
            DType::F32 => DynArray::from_typed(ArrayD::from_shape_fn(IxDyn(&shape), |_| {
                *[c as f32, 0.0, -3.0, f32::INFINITY, f32::NAN, 1e-3]
                    .choose(&mut rng)
                    .unwrap()
            })),
            _ => DynArray::from_typed(ArrayD::from_shape_fn(IxDyn(&shape), |_| {
                *[c, 0.0, -3.0, f64::INFINITY, f64::NAN, 1e-3]
                    .choose(&mut rng)
                    .unwrap()
            })),
        };
        let views: Vec<ArrayRef> = if by_array {
            vec![x.view(), y.view()]
        } else {
            vec![x.view()]
        };
        let opts = Options::new()
            .boundary(*Mode::ALL.choose(&mut rng).unwrap())
            .tile_points(*[1usize, 7, 1 << 16].choose(&mut rng).unwrap());
        assert_engines_agree(k, &views, &opts, &|| {
            format!("STN_SEED={seed}\n{source}dtype {dtype}, shape {shape:?}")
        });
    }
}

/// Weighted sums of a rectangle of neighbours share row sums between
/// output rows (`codegen::rowsum`) when their weights are separable: each
/// row's sum is kept in a ring buffer and reused by the next rows.
/// Generated rectangles (2-4 rows, any set of columns), weights (all 1, or
/// `a_k b_j` written with `*`, `-` and unary minus, or such a grid with one
/// weight changed), dtypes, divisions and shapes, including rows wider than
/// the ring buffer (which the executor splits), boxes of one row and a loop
/// axis. Every case with a vector variant must share its row sums exactly
/// when its weights are separable, and agree with the interpreter.
#[test]
fn shared_row_sums_equal_the_interpreter() {
    let (base, cases) = seed_and_cases(0x5_0a5, 80);
    let mut shared = 0u64;
    for i in 0..cases {
        let seed = base + i;
        let mut rng = StdRng::seed_from_u64(seed);
        let dtype = *[DType::I8, DType::U8, DType::I16, DType::U16]
            .choose(&mut rng)
            .unwrap();
        let k0 = rng.random_range(-2i64..=0);
        let rows = rng.random_range(2i64..=4);
        let mut cols: Vec<i64> = (-2..=2).filter(|_| rng.random_bool(0.5)).collect();
        if cols.is_empty() {
            cols.push(rng.random_range(-2..=2));
        }
        let weighted = rng.random_bool(0.5);
        let mut pick = |from: &[i64]| {
            if weighted {
                *from.choose(&mut rng).unwrap()
            } else {
                1
            }
        };
        let a: Vec<i64> = (0..rows).map(|_| pick(&[1, 1, 2, -1, 3, -2])).collect();
        let b: Vec<i64> = cols.iter().map(|_| pick(&[1, 1, 2, -1, -2, 4])).collect();
        let mut w: Vec<Vec<i64>> = a
            .iter()
            .map(|ak| b.iter().map(|bj| ak * bj).collect())
            .collect();
        if weighted && rng.random_bool(0.25) {
            let (r, c) = (
                rng.random_range(0..rows as usize),
                rng.random_range(0..cols.len()),
            );
            w[r][c] += *[1, -1, 2].choose(&mut rng).unwrap();
        }
        // Rank one (every 2x2 minor zero) and no zero weight.
        let separable = w.iter().flatten().all(|&x| x != 0)
            && (0..w.len()).all(|r| (0..b.len()).all(|c| w[r][c] * w[0][0] == w[r][0] * w[0][c]));
        let mut terms = Vec::new();
        for (r, k) in (k0..k0 + rows).enumerate() {
            for (c, &j) in cols.iter().enumerate() {
                terms.push((w[r][c], format!("x[{k}, {j}]")));
            }
        }
        // Shuffled: the sum's order must not matter to the plan.
        for t in (1..terms.len()).rev() {
            terms.swap(t, rng.random_range(0..=t));
        }
        // Each weight written one of the ways a user would.
        let mut sum = String::new();
        for (t, (wt, x)) in terms.iter().enumerate() {
            let m = wt.abs();
            let factor = match (m, rng.random_range(0..2)) {
                (1, _) => x.clone(),
                (_, 0) => format!("{m} * {x}"),
                _ => format!("{x} * {m}"),
            };
            sum += &match (t, *wt < 0) {
                (0, false) => factor,
                (0, true) => format!("-{factor}"),
                (_, false) => format!(" + {factor}"),
                (_, true) => format!(" - {factor}"),
            };
        }
        let tail = *["", " // 9", " % 7", " // 3 + 1", " - 5"]
            .choose(&mut rng)
            .unwrap();
        let out = if rng.random_bool(0.5) {
            format!(
                " -> {}",
                ["i32", "i16", dtype.name()].choose(&mut rng).unwrap()
            )
        } else {
            String::new()
        };
        let source = format!("kernel k(x){out} {{ ({sum}){tail} }}\n");
        let k = Program::from_source("rows.stn", &source).unwrap();
        let k = k.kernel(None).unwrap();
        let spec = stn::internals::specialize(k, &[dtype])
            .unwrap_or_else(|e| panic!("STN_SEED={seed}\n{source}{e}"));
        // Without a vector variant (e.g. i8 data into an i32 output, which
        // no lane width both loads and stores) the scalar code runs.
        if spec.compiled().unwrap().lanes() > 1 {
            assert_eq!(
                spec.compiled().unwrap().ring_columns().is_some(),
                separable,
                "STN_SEED={seed}: separable {separable}, weights {w:?}\n{source}"
            );
            shared += u64::from(separable);
        }
        let wide = rng.random_bool(0.4);
        let mut shape = vec![
            rng.random_range(1..30usize),
            if wide {
                rng.random_range(4097..4300usize)
            } else {
                rng.random_range(1..80usize)
            },
        ];
        if rng.random_bool(0.3) {
            shape.insert(0, rng.random_range(1..4usize));
        }
        let x = random_array(&mut rng, dtype, &shape);
        let opts = Options::new()
            .boundary(*Mode::ALL.choose(&mut rng).unwrap())
            .threads(rng.random_range(1..=2))
            .tile_points(*[1usize, 7, 300, 1 << 16].choose(&mut rng).unwrap());
        assert_engines_agree(k, &[x.view()], &opts, &|| {
            format!("STN_SEED={seed}\n{source}dtype {dtype}, shape {shape:?}, {opts:?}")
        });
    }
    eprintln!("shared row sums: {shared} of {cases} kernels");
    assert!(
        shared * 5 >= cases * 2,
        "the generator should make such kernels: {shared} of {cases}"
    );
}

/// 3x3 medians of integers share each input row's sorted triple between
/// output rows (`codegen::rowsort`), and compute output rows in passes of
/// several rows whose neighbouring outputs merge the rows they both read
/// once. Random data over each dtype's whole range (ties are rare: the
/// merge's every comparator matters), rows from one to several passes and
/// a rest, widths from one vector to several steps, every mode, small and
/// large tiles, one and two threads, and up to three steps in every
/// schedule.
#[test]
fn shared_sorted_rows_equal_the_interpreter() {
    let (base, cases) = seed_and_cases(0x3_5077, 60);
    let mut shared = 0u64;
    for i in 0..cases {
        let seed = base + i;
        let mut rng = StdRng::seed_from_u64(seed);
        let dtype = *[DType::U8, DType::I8, DType::I16, DType::U16, DType::I32]
            .choose(&mut rng)
            .unwrap();
        let head = ["median(", "rank(4, "].choose(&mut rng).unwrap();
        let k0 = rng.random_range(-2i64..=0);
        let source = format!(
            "kernel k(x) {{ {head}i in {k0}..={}, j in -1..=1) {{ x[i, j] }} }}\n",
            k0 + 2
        );
        let k = Program::from_source("median.stn", &source).unwrap();
        let k = k.kernel(None).unwrap();
        let spec = stn::internals::specialize(k, &[dtype])
            .unwrap_or_else(|e| panic!("STN_SEED={seed}\n{source}{e}"));
        shared += u64::from(spec.compiled().unwrap().ring_columns().is_some());
        // Taller arrays stepped several times run in sliding-window
        // strips, whose rows wrap in rings.
        let steps = rng.random_range(1..=3usize);
        let rows = if steps > 1 { 60 } else { 14 };
        // Rows wider than the ring buffer, which the executor splits.
        let wide = rng.random_bool(0.5);
        let width = match wide {
            true => rng.random_range(4097..=4200usize),
            false => rng.random_range(1..=90usize),
        };
        let rows = if wide { rows.min(20) } else { rows };
        let shape = [rng.random_range(1..=rows), width];
        let x = random_array(&mut rng, dtype, &shape);
        let opts = Options::new()
            .boundary(*Mode::ALL.choose(&mut rng).unwrap())
            .threads(rng.random_range(1..=2))
            .steps(steps)
            .schedule(*Schedule::ALL.choose(&mut rng).unwrap())
            .tile_points(*[7usize, 300, 1 << 16].choose(&mut rng).unwrap());
        assert_engines_agree(k, &[x.view()], &opts, &|| {
            format!("STN_SEED={seed}\n{source}dtype {dtype}, shape {shape:?}, {opts:?}")
        });
    }
    assert_eq!(shared, cases, "every such median shares its sorted rows");
}

/// Sums of 16-bit values divided by constants: past what a 32-bit
/// multiply-shift divides exactly, so the vector code divides in f32 lanes
/// (floor for signed sums, truncation for unsigned ones). Every case must
/// have a vector variant and agree with the interpreter on data that
/// includes the dtype's extremes.
#[test]
fn sums_of_16_bit_values_divide_exactly_in_vector_lanes() {
    let (base, cases) = seed_and_cases(0xd1_7000, 60);
    for i in 0..cases {
        let seed = base + i;
        let mut rng = StdRng::seed_from_u64(seed);
        let dtype = *[DType::U16, DType::I16].choose(&mut rng).unwrap();
        let terms = *[3usize, 5, 9, 25].choose(&mut rng).unwrap();
        let c = *[3i64, 5, 7, 9, 10, 11, 25, 255, 1000, 4097]
            .choose(&mut rng)
            .unwrap();
        let op = ["//", "%"].choose(&mut rng).unwrap();
        let sum: Vec<String> = (0..terms)
            .map(|t| format!("x[{}, {}]", t as i64 % 5 - 2, t as i64 / 5 - 2))
            .collect();
        let out = if *op == "%" { "i32" } else { dtype.name() };
        let source = format!(
            "kernel k(x) -> {out} {{ ({}) {op} {c} }}\n",
            sum.join(" + ")
        );
        let k = Program::from_source("div.stn", &source).unwrap();
        let k = k.kernel(None).unwrap();
        let spec = stn::internals::specialize(k, &[dtype]).unwrap();
        assert!(
            spec.compiled().unwrap().lanes() > 1,
            "no vector variant\n{source}"
        );
        let shape = [rng.random_range(1..9usize), rng.random_range(4..40usize)];
        let n = shape[0] * shape[1];
        let (lo, hi) = if dtype == DType::U16 {
            (0i64, 65535)
        } else {
            (-32768, 32767)
        };
        let values: Vec<i64> = (0..n)
            .map(|_| match rng.random_range(0..4) {
                0 => lo,
                1 => hi,
                _ => rng.random_range(lo..=hi),
            })
            .collect();
        let x = match dtype {
            DType::U16 => DynArray::from_typed(
                ArrayD::from_shape_vec(IxDyn(&shape), values.iter().map(|&v| v as u16).collect())
                    .unwrap(),
            ),
            _ => DynArray::from_typed(
                ArrayD::from_shape_vec(IxDyn(&shape), values.iter().map(|&v| v as i16).collect())
                    .unwrap(),
            ),
        };
        let opts = Options::new()
            .boundary(*Mode::ALL.choose(&mut rng).unwrap())
            .tile_points(*[1usize, 7, 1 << 16].choose(&mut rng).unwrap());
        assert_engines_agree(k, &[x.view()], &opts, &|| {
            format!("STN_SEED={seed}\n{source}dtype {dtype}, shape {shape:?}, {opts:?}")
        });
    }
}

/// Rank reductions (`median`, `rank`) in every dtype on data full of ties,
/// both zeros, NaNs and infinities: the vector networks (and the scalar
/// function a box falls back to where the keys cannot decide) equal the
/// interpreter's stable sort bit for bit, NaN payloads aside.
#[test]
fn rank_reductions_equal_the_interpreter_on_ties_zeros_and_nan() {
    let (base, cases) = seed_and_cases(0x5eed_7a4c, 120);
    for i in 0..cases {
        let seed = base + i;
        let mut rng = StdRng::seed_from_u64(seed);
        let d = *DType::ALL.choose(&mut rng).unwrap();
        let r = rng.random_range(1..=2i64);
        let k = rng.random_range(-(2 * r + 1) * (2 * r + 1)..(2 * r + 1) * (2 * r + 1));
        let head = [
            "median(".to_string(),
            format!("rank({k}, "),
            "rank(0, ".to_string(),
            "rank(-1, ".to_string(),
        ]
        .choose(&mut rng)
        .unwrap()
        .clone();
        let src =
            format!("kernel k(x) {{ {head}i in -{r}..={r}, j in -{r}..={r}) {{ x[i, j] }} }}\n");
        let program = Program::from_source("rank.stn", &src).unwrap();
        let k = program.kernel(None).unwrap();
        let shape = [rng.random_range(1..=9usize), rng.random_range(1..=40usize)];
        let pool: Vec<Scalar> = match d {
            DType::F32 | DType::F64 => [
                0.0,
                -0.0,
                f64::NAN,
                -f64::NAN,
                1.0,
                -1.0,
                2.5,
                f64::INFINITY,
                f64::NEG_INFINITY,
            ]
            .iter()
            .map(|&v| Scalar::F64(v).cast(d))
            .collect(),
            DType::Bool => vec![Scalar::Bool(false), Scalar::Bool(true)],
            _ => (-3..=3).map(|v| Scalar::Int(v).cast(d)).collect(),
        };
        let mut x = DynArray::zeros(d, &shape);
        let mut v = x.view_mut();
        // Mostly one value, so that a box's keys decide; sometimes any.
        let common = *pool.choose(&mut rng).unwrap();
        let mix = rng.random_bool(0.5);
        stn::internals::array::for_each_index(&shape, |ix| {
            let s = if mix || rng.random_bool(0.2) {
                *pool.choose(&mut rng).unwrap()
            } else {
                common
            };
            v.set(ix, s)
        });
        let opts = Options::new()
            .boundary(*Mode::ALL.choose(&mut rng).unwrap())
            .cval(Scalar::Int(0))
            .threads(rng.random_range(1..=2))
            .tile_points(*[3usize, 64, 1 << 16].choose(&mut rng).unwrap());
        let describe =
            || format!("seed {seed} (STN_SEED={seed})\n{src}dtype {d}, shape {shape:?}, {opts:?}");
        assert_engines_agree(k, &[x.view()], &opts, &describe);
    }
}
