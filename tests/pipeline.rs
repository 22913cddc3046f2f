//! Pipelines (docs/language.md §8): kernels that use kernels as stages,
//! and `--steps`.
//!
//! The meaning of a pipeline is the chain of separate runs of its stages.
//! These tests check that the fused executor (the default), the stepwise
//! schedule and the interpreter (stage by stage) give the same bytes, on
//! the example of docs/language.md §8 and on generated pipelines: 1 to 4
//! stages as a DAG, stages used by stages, stages with several outputs
//! (`let (a, b) = ...`), declared modes, narrowing output dtypes, scalar
//! arguments, shapes down to 1 and shorter than the total halo, loop axes,
//! thread counts and tile sizes; and time steps with one state field or
//! several (docs/language.md §9). A failure prints the case's seed:
//! `STN_SEED=<seed> cargo test --test suite pipeline::` reruns it; `STN_CASES=<n>`
//! runs more.

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use stn::{ArrayRef, DType, DynArray, Engine, Mode, Options, Program, Scalar, Schedule};

fn seed_and_cases(default_seed: u64, default_cases: u64) -> (u64, u64) {
    let env = |k: &str| std::env::var(k).ok().and_then(|s| s.parse().ok());
    match env("STN_SEED") {
        Some(seed) => (seed, 1),
        None => (default_seed, env("STN_CASES").unwrap_or(default_cases)),
    }
}

/// Asserts two outputs are the same values (NaN equal to NaN).
fn assert_same(a: &DynArray, b: &DynArray, what: &str, describe: &dyn Fn() -> String) {
    assert_eq!(a.dtype(), b.dtype(), "{what}: dtype\n{}", describe());
    assert_eq!(a.shape(), b.shape(), "{what}: shape\n{}", describe());
    let (x, y) = (a.view(), b.view());
    stn::internals::array::for_each_index(a.shape(), |ix| {
        let (p, q) = (x.get(ix), y.get(ix));
        assert!(
            p.same(q),
            "{what} at {ix:?}: {p:?} vs {q:?}\n{}",
            describe()
        );
    });
}

/// Runs `k` fused, stepwise and through the interpreter; all must agree.
/// `o` with `n` steps per pass, or the model's choice for `None`.
fn steps_per_pass(o: Options, n: Option<usize>) -> Options {
    match n {
        Some(n) => o.steps_per_pass(n),
        None => o,
    }
}

/// Fused and stepwise both run compiled code, so they must agree bit for
/// bit, NaN payloads included.
fn check_schedules(
    k: &stn::Kernel,
    views: &[ArrayRef],
    opts: &Options,
    describe: &dyn Fn() -> String,
) -> Vec<DynArray> {
    let run = |o: Options, what: &str| {
        k.run_all(views, &o)
            .unwrap_or_else(|e| panic!("{what}: {e}\n{}", describe()))
    };
    let fused = run(opts.clone(), "fused");
    let stepwise = run(opts.clone().schedule(Schedule::Stepwise), "stepwise");
    let interp = run(opts.clone().engine(Engine::Interpreter), "interpreter");
    for (o, ((f, s), i)) in fused.iter().zip(&stepwise).zip(&interp).enumerate() {
        assert_eq!(
            bits(f),
            bits(s),
            "output {o}: fused vs stepwise bits\n{}",
            describe()
        );
        assert_same(f, i, &format!("output {o}: fused vs interpreter"), describe);
    }
    // Both fused schedules, forced: tiles everywhere, and sliding-window
    // strips wherever the rows allow.
    for schedule in [Schedule::Tiles, Schedule::Strips] {
        let forced = run(opts.clone().schedule(schedule), schedule.name());
        for (o, (f, s)) in forced.iter().zip(&stepwise).enumerate() {
            assert_eq!(
                bits(f),
                bits(s),
                "output {o}: {} vs stepwise bits\n{}",
                schedule.name(),
                describe()
            );
        }
    }
    fused
}

/// Every element's bits, NaN payloads included.
fn bits(a: &DynArray) -> Vec<u64> {
    let mut out = Vec::new();
    let v = a.view();
    stn::internals::array::for_each_index(a.shape(), |ix| {
        out.push(match v.get(ix) {
            Scalar::Bool(b) => b as u64,
            Scalar::Int(i) => i as u64,
            Scalar::U64(u) => u,
            Scalar::F32(f) => f.to_bits() as u64,
            Scalar::F64(f) => f.to_bits(),
        })
    });
    out
}

const BLUR: &str = "
kernel blur_x(x) { (x[0, -1] + x[0, 0] + x[0, 1]) // 3 }

kernel blur(x) boundary nearest {
    let b = blur_x(x);                  # a stage: blur_x over the whole array
    (b[-1, 0] + b[0, 0] + b[1, 0]) // 3
}
";

fn ramp_u16(shape: &[usize]) -> DynArray {
    let n: usize = shape.iter().product();
    let v: Vec<u16> = (0..n).map(|i| (i * 7919 % 65521) as u16).collect();
    DynArray::from_typed(ndarray::ArrayD::from_shape_vec(shape.to_vec(), v).unwrap())
}

#[test]
fn the_spec_blur_is_the_chain_of_its_stages() {
    let p = Program::from_source("blur.stn", BLUR).unwrap();
    let blur = p.kernel(Some("blur")).unwrap();
    let blur_x = p.kernel(Some("blur_x")).unwrap();
    for shape in [[37usize, 53], [1, 1], [2, 1], [1, 9], [300, 700]] {
        let x = ramp_u16(&shape);
        let describe = || format!("shape {shape:?}");
        let fused = check_schedules(blur, &[x.view()], &Options::new(), &describe).remove(0);
        // The chain of separate runs: blur_x under the run's mode (blur
        // declares nearest), then blur's own expression over its output.
        let b = blur_x
            .run(&[x.view()], &Options::new().boundary(Mode::Nearest))
            .unwrap();
        let own = Program::from_source(
            "blur_y.stn",
            "kernel blur_y(b) boundary nearest { (b[-1, 0] + b[0, 0] + b[1, 0]) // 3 }",
        )
        .unwrap();
        let chain = own
            .kernel(None)
            .unwrap()
            .run(&[b.view()], &Options::new())
            .unwrap();
        assert_eq!(fused, chain, "{}", describe());
    }
}

#[test]
fn a_stage_reads_under_its_own_mode_and_the_kernel_under_the_runs() {
    // `wrap` on the stage needs the far side of the array in every tile at
    // the edges; `fill` on the kernel uses its own footprint only.
    let src = "
        kernel shift(x) boundary wrap { x[0, -2] - x[1, 3] }
        kernel k(x) {
            let s = shift(x);
            s[-1, 0] * 2 + s[0, 1] + x[0, 0]
        }";
    let p = Program::from_source("modes.stn", src).unwrap();
    let k = p.kernel(Some("k")).unwrap();
    for shape in [[9usize, 11], [1, 3], [3, 2], [64, 5]] {
        let n: usize = shape.iter().product();
        let v: Vec<i32> = (0..n as i32).map(|i| i * i - 7 * i).collect();
        let x = DynArray::from_typed(ndarray::ArrayD::from_shape_vec(shape.to_vec(), v).unwrap());
        for mode in [Mode::Fill, Mode::Constant, Mode::Reflect, Mode::Mirror] {
            for tile in [0, 1, 4] {
                let opts = Options::new()
                    .tile_points(tile)
                    .boundary(mode)
                    .cval(Scalar::Int(-5));
                check_schedules(k, &[x.view()], &opts, &|| {
                    format!("shape {shape:?} mode {mode:?} tile {tile}")
                });
            }
        }
    }
}

#[test]
fn steps_fused_per_pass_equal_steps_one_by_one() {
    let src = "
        kernel jacobi(x) boundary nearest {
            0.25 * (x[-1, 0] + x[1, 0] + x[0, -1] + x[0, 1])
        }";
    let p = Program::from_source("jacobi.stn", src).unwrap();
    let k = p.kernel(None).unwrap();
    for shape in [[17usize, 23], [1, 1], [2, 3], [40, 130]] {
        let n: usize = shape.iter().product();
        let v: Vec<f32> = (0..n).map(|i| ((i * 37) % 101) as f32 * 0.37).collect();
        let x = DynArray::from_typed(ndarray::ArrayD::from_shape_vec(shape.to_vec(), v).unwrap());
        for steps in [1, 2, 3, 7, 40] {
            for per_pass in [None, Some(2), Some(3), Some(5), Some(16)] {
                // The kernel's own `nearest`, and `--boundary` overriding
                // it in every step.
                for boundary in [None, Some(Mode::Wrap), Some(Mode::Fill)] {
                    let opts =
                        steps_per_pass(Options::new().steps(steps), per_pass).boundary(boundary);
                    check_schedules(k, &[x.view()], &opts, &|| {
                        format!("shape {shape:?} steps {steps} per pass {per_pass:?} {boundary:?}")
                    });
                }
            }
        }
    }
}

/// A generated file: stage kernels, then `main`, which uses some of them
/// (and they each other) as stages.
struct Gen {
    rng: StdRng,
    ndim: usize,
}

const MODES: [&str; 6] = ["fill", "constant", "nearest", "reflect", "mirror", "wrap"];

impl Gen {
    fn offset(&mut self) -> String {
        self.rng.random_range(-2i64..=2).to_string()
    }

    fn load(&mut self, arrays: &[String]) -> String {
        let a = arrays.choose(&mut self.rng).unwrap().clone();
        let offs: Vec<String> = (0..self.ndim).map(|_| self.offset()).collect();
        format!("{a}[{}]", offs.join(", "))
    }

    fn expr(&mut self, arrays: &[String], scalars: &[String], depth: u32) -> String {
        if depth == 0 || self.rng.random_bool(0.25) {
            return match self.rng.random_range(0..8) {
                0 => ["1", "2", "3", "7", "-1", "0.5", "1.5"]
                    .choose(&mut self.rng)
                    .unwrap()
                    .to_string(),
                1 if !scalars.is_empty() => scalars.choose(&mut self.rng).unwrap().clone(),
                _ => self.load(arrays),
            };
        }
        let a = self.expr(arrays, scalars, depth - 1);
        let b = self.expr(arrays, scalars, depth - 1);
        match self.rng.random_range(0..11) {
            0 | 1 => format!("({a} + {b})"),
            2 => format!("({a} - {b})"),
            3 => format!("({a} * {b})"),
            4 => format!("({a} // {b})"),
            5 => format!("({a} % {b})"),
            6 => format!("min({a}, {b})"),
            7 => format!("max({a}, {b})"),
            8 => format!("where({a} > {b}, {a}, {b})"),
            9 => {
                let d = ["f32", "i16", "u8", "i64", "f64"]
                    .choose(&mut self.rng)
                    .unwrap();
                format!("{d}({a})")
            }
            _ => format!("abs({a})"),
        }
    }

    /// A kernel named `name` over arrays `params` with `outputs` outputs;
    /// `stages` are earlier kernels it may call.
    fn kernel(
        &mut self,
        name: &str,
        params: &[String],
        scalar: bool,
        stages: &[Stage],
        outputs: usize,
    ) -> String {
        let mut arrays: Vec<String> = params.to_vec();
        let mut scalars = Vec::new();
        if scalar {
            scalars.push("s".to_string());
        }
        let mut lets = String::new();
        let uses = if stages.is_empty() {
            0
        } else {
            self.rng.random_range(0..=2.min(stages.len()))
        };
        for u in 0..uses {
            let st = stages.choose(&mut self.rng).unwrap().clone();
            let mut args: Vec<String> = (0..st.arrays)
                .map(|_| arrays.choose(&mut self.rng).unwrap().clone())
                .collect();
            if st.scalar {
                let v = if scalar && self.rng.random_bool(0.5) {
                    "s + 1".to_string()
                } else {
                    self.rng.random_range(-3i64..=3).to_string()
                };
                args.push(v);
            }
            let names = match st.outputs {
                1 => {
                    let t = format!("t{u}");
                    arrays.push(t.clone());
                    t
                }
                n => {
                    // Each output named, or `_` (the first always named).
                    let names: Vec<String> = (0..n)
                        .map(|o| match o > 0 && self.rng.random_bool(0.3) {
                            true => "_".to_string(),
                            false => {
                                let t = format!("t{u}_{o}");
                                arrays.push(t.clone());
                                t
                            }
                        })
                        .collect();
                    format!("({})", names.join(", "))
                }
            };
            lets.push_str(&format!(
                "    let {names} = {}({});\n",
                st.name,
                args.join(", ")
            ));
        }
        let values: Vec<String> = (0..outputs)
            .map(|_| self.expr(&arrays, &scalars, 3))
            .collect();
        let body = match outputs {
            1 => values[0].clone(),
            _ => format!("({})", values.join(", ")),
        };
        let mut head = params.join(", ");
        if scalar {
            head.push_str(", s: i64");
        }
        let out_type = |rng: &mut StdRng, keep: &str| match rng.random_bool(0.3) {
            true => ["u8", "i16", "f32", "i32", "f64"]
                .choose(rng)
                .unwrap()
                .to_string(),
            false => keep.to_string(),
        };
        let out = match outputs {
            1 => match out_type(&mut self.rng, "").as_str() {
                "" => String::new(),
                t => format!(" -> {t}"),
            },
            n => format!(
                " -> ({})",
                (0..n)
                    .map(|_| out_type(&mut self.rng, "_"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let mode = if self.rng.random_bool(0.4) {
            format!(" boundary {}", MODES.choose(&mut self.rng).unwrap())
        } else {
            String::new()
        };
        format!("kernel {name}({head}){out}{mode} {{\n{lets}    {body}\n}}\n")
    }

    /// Stage kernels, then `main` over `inputs` arrays with `outputs`
    /// outputs, which uses at least one stage.
    fn file(&mut self, inputs: usize, outputs: usize) -> String {
        let mut src = String::new();
        let mut stages: Vec<Stage> = Vec::new();
        for i in 0..self.rng.random_range(1..=3) {
            let n = self.rng.random_range(1..=2);
            let params: Vec<String> = (0..n).map(|j| format!("a{j}")).collect();
            let scalar = self.rng.random_bool(0.3);
            let outs = if self.rng.random_bool(0.3) { 2 } else { 1 };
            let name = format!("k{i}");
            src.push_str(&self.kernel(&name, &params, scalar, &stages.clone(), outs));
            stages.push(Stage {
                name,
                arrays: n,
                scalar,
                outputs: outs,
            });
        }
        let params: Vec<String> = (0..inputs).map(|j| format!("x{j}")).collect();
        loop {
            let k = self.kernel("main", &params, false, &stages, outputs);
            if k.contains("let ") {
                src.push_str(&k);
                return src;
            }
        }
    }
}

/// A generated stage kernel: its name, array count, whether it takes a
/// scalar `s: i64`, and its number of outputs.
#[derive(Clone)]
struct Stage {
    name: String,
    arrays: usize,
    scalar: bool,
    outputs: usize,
}

fn random_array(rng: &mut StdRng, dtype: DType, shape: &[usize]) -> DynArray {
    let n: usize = shape.iter().product();
    let vals: Vec<Scalar> = (0..n)
        .map(|_| match dtype {
            DType::F32 | DType::F64 => Scalar::F64(rng.random_range(-40.0..40.0)),
            DType::Bool => Scalar::Bool(rng.random_bool(0.5)),
            _ => Scalar::Int(rng.random_range(-300i64..300)),
        })
        .collect();
    let mut a = DynArray::zeros(dtype, shape);
    let mut v = a.view_mut();
    let mut it = vals.into_iter();
    stn::internals::array::for_each_index(shape, |ix| v.set(ix, it.next().unwrap().cast(dtype)));
    a
}

#[test]
fn generated_pipelines_agree_fused_stepwise_and_interpreted() {
    let (first, cases) = seed_and_cases(0x5eed_0008, 150);
    let dtypes = [
        DType::I8,
        DType::U8,
        DType::I16,
        DType::U16,
        DType::I32,
        DType::I64,
        DType::F32,
        DType::F64,
    ];
    let mut ran = 0;
    for seed in first..first + cases {
        let mut g = Gen {
            rng: StdRng::seed_from_u64(seed),
            ndim: 1,
        };
        g.ndim = *[1usize, 2, 2, 2, 3].choose(&mut g.rng).unwrap();
        let inputs = g.rng.random_range(1..=2);
        let outputs = if g.rng.random_bool(0.25) { 2 } else { 1 };
        let src = g.file(inputs, outputs);
        let describe = |extra: &str| format!("STN_SEED={seed}\n{src}\n{extra}");
        let p = match Program::from_source("gen.stn", &src) {
            Ok(p) => p,
            // A kernel of the file whose body the generator made without
            // an array access: refused at load, whatever the dtypes.
            Err(e) if e.to_string().contains("never reads an array") => continue,
            Err(e) => panic!("{}\n{e}", describe("")),
        };
        let k = p.kernel(Some("main")).unwrap();
        // Axis 0 sometimes long enough for strips between its ends.
        let core: Vec<usize> = (0..g.ndim)
            .map(|a| {
                let long = if a == 0 && g.ndim < 3 { 40 } else { 21 };
                *[1usize, 2, 3, 5, 8, 13, 21, long]
                    .choose(&mut g.rng)
                    .unwrap()
            })
            .collect();
        let loops: Vec<usize> = if g.rng.random_bool(0.3) {
            vec![g.rng.random_range(1..=3)]
        } else {
            Vec::new()
        };
        let arrays: Vec<DynArray> = (0..inputs)
            .map(|i| {
                let d = *dtypes.choose(&mut g.rng).unwrap();
                // The second input broadcasts along the loop axis.
                let shape: Vec<usize> = if i == 1 && !loops.is_empty() {
                    core.clone()
                } else {
                    [loops.clone(), core.clone()].concat()
                };
                random_array(&mut g.rng, d, &shape)
            })
            .collect();
        let views: Vec<ArrayRef> = arrays.iter().map(|a| a.view()).collect();
        let dt: Vec<DType> = arrays.iter().map(|a| a.dtype()).collect();
        if let Err(e) = k.check(&dt) {
            // Some generated bodies do not type-check for some dtypes
            // (none should for all); the error must be a kernel error.
            assert!(
                matches!(e, stn::Error::Kernel { .. }),
                "{}\n{e}",
                describe("")
            );
            continue;
        }
        let opts = Options::new()
            .boundary(
                *[
                    Mode::Fill,
                    Mode::Constant,
                    Mode::Nearest,
                    Mode::Reflect,
                    Mode::Mirror,
                    Mode::Wrap,
                ]
                .choose(&mut g.rng)
                .unwrap(),
            )
            .cval(Scalar::Int(g.rng.random_range(-3..=3)))
            .threads(g.rng.random_range(1..=3))
            .tile_points(*[0usize, 1, 2, 5, 17, 64].choose(&mut g.rng).unwrap());
        // A cval must keep its value in every dtype it is written as
        // (docs/language.md §13); where the stages' dtypes refuse this one, 0
        // fits them all.
        let opts = match k.call(&views, &opts) {
            Err(e) if e.to_string().contains("cval") => opts.cval(0),
            _ => opts,
        };
        let extra = format!(
            "dtypes {dt:?} shapes {:?} {opts:?}",
            arrays
                .iter()
                .map(|a| a.shape().to_vec())
                .collect::<Vec<_>>(),
        );
        check_schedules(k, &views, &opts, &|| describe(&extra));
        ran += 1;
    }
    // Most generated pipelines type-check; the count guards the generator.
    assert!(ran * 10 >= cases * 7, "only {ran} of {cases} cases ran");
}

/// A core shape for the step generators: short axes, axis 0 of a 1-d or
/// 2-d kernel sometimes long enough for strips between its ends.
fn step_shape(g: &mut Gen) -> Vec<usize> {
    (0..g.ndim)
        .map(|a| {
            let long = if a == 0 && g.ndim < 3 { 30 } else { 11 };
            *[1usize, 2, 3, 6, 11, long].choose(&mut g.rng).unwrap()
        })
        .collect()
}

#[test]
fn generated_steps_agree() {
    let (first, cases) = seed_and_cases(0x5eed_1008, 40);
    let mut ran = 0;
    for seed in first..first + cases {
        let mut g = Gen {
            rng: StdRng::seed_from_u64(seed),
            ndim: 2,
        };
        g.ndim = *[1usize, 2, 2, 3].choose(&mut g.rng).unwrap();
        // Output dtype = input dtype: no `->`, one input.
        let mut src = g.file(1, 1);
        if let Some(at) = src.rfind("kernel main(x0)") {
            let end = src[at..].find('{').unwrap() + at;
            let mode = MODES.choose(&mut g.rng).unwrap();
            src.replace_range(at..end, &format!("kernel main(x0) boundary {mode} "));
        }
        let describe = |extra: &str| format!("STN_SEED={seed}\n{src}\n{extra}");
        let p = match Program::from_source("gen.stn", &src) {
            Ok(p) => p,
            // A kernel of the file whose body the generator made without
            // an array access: refused at load, whatever the dtypes.
            Err(e) if e.to_string().contains("never reads an array") => continue,
            Err(e) => panic!("{}\n{e}", describe("")),
        };
        let k = p.kernel(Some("main")).unwrap();
        let d = *[DType::I16, DType::I32, DType::F32, DType::F64, DType::U8]
            .choose(&mut g.rng)
            .unwrap();
        if k.check(&[d]).is_err() {
            continue;
        }
        ran += 1;
        let core = step_shape(&mut g);
        let x = random_array(&mut g.rng, d, &core);
        for steps in [1usize, 2, 3, 7, 40] {
            let opts = Options::new()
                .steps(steps)
                .boundary(if g.rng.random_bool(0.5) {
                    Some(*Mode::ALL.choose(&mut g.rng).unwrap())
                } else {
                    None
                })
                .threads(g.rng.random_range(1..=2))
                .tile_points(*[0usize, 1, 4, 30].choose(&mut g.rng).unwrap());
            let opts = steps_per_pass(opts, *[None, Some(2), Some(3)].choose(&mut g.rng).unwrap());
            let extra = format!("dtype {d} shape {core:?} {opts:?}");
            check_schedules(k, &[x.view()], &opts, &|| describe(&extra));
        }
    }
    assert!(ran * 10 >= cases * 7, "only {ran} of {cases} cases ran");
}

/// Time steps with two state fields (docs/language.md §9), and sometimes a constant
/// third input: fused, stepwise and interpreted agree, and equal the steps
/// run one call at a time, each call's outputs the next one's first inputs.
#[test]
fn generated_state_fields_agree() {
    let (first, cases) = seed_and_cases(0x5eed_2008, 30);
    let mut ran = 0;
    for seed in first..first + cases {
        let mut g = Gen {
            rng: StdRng::seed_from_u64(seed),
            ndim: 2,
        };
        g.ndim = *[1usize, 2, 2, 3].choose(&mut g.rng).unwrap();
        let inputs = g.rng.random_range(2..=3);
        let mut src = g.file(inputs, 2);
        // Both outputs of the input's dtype: no `->`.
        let at = src.rfind("kernel main(").unwrap();
        let open = src[at..].find(')').unwrap() + at + 1;
        let end = src[at..].find('{').unwrap() + at;
        let mode = MODES.choose(&mut g.rng).unwrap();
        src.replace_range(open..end, &format!(" boundary {mode} "));
        let describe = |extra: &str| format!("STN_SEED={seed}\n{src}\n{extra}");
        let p = match Program::from_source("gen.stn", &src) {
            Ok(p) => p,
            Err(e) if e.to_string().contains("never reads an array") => continue,
            Err(e) => panic!("{}\n{e}", describe("")),
        };
        let k = p.kernel(Some("main")).unwrap();
        let d = *[DType::I16, DType::I32, DType::F32, DType::F64, DType::U8]
            .choose(&mut g.rng)
            .unwrap();
        let mut dtypes = vec![d, d];
        if inputs == 3 {
            dtypes.push(
                *[DType::U8, DType::F32, DType::I64]
                    .choose(&mut g.rng)
                    .unwrap(),
            );
        }
        if k.check(&dtypes).is_err() {
            continue;
        }
        ran += 1;
        let core = step_shape(&mut g);
        let arrays: Vec<DynArray> = dtypes
            .iter()
            .map(|&d| random_array(&mut g.rng, d, &core))
            .collect();
        let views: Vec<ArrayRef> = arrays.iter().map(|a| a.view()).collect();
        for steps in [1usize, 2, 5, 13] {
            let opts = Options::new()
                .steps(steps)
                .threads(g.rng.random_range(1..=2))
                .tile_points(*[0usize, 1, 4, 30].choose(&mut g.rng).unwrap());
            let opts = steps_per_pass(opts, *[None, Some(2), Some(3)].choose(&mut g.rng).unwrap());
            let extra = format!("dtypes {dtypes:?} shape {core:?} {opts:?}");
            let fused = check_schedules(k, &views, &opts, &|| describe(&extra));
            // One call per step.
            let mut state: Vec<DynArray> = arrays[..2].to_vec();
            for _ in 0..steps {
                let mut args: Vec<ArrayRef> = state.iter().map(|a| a.view()).collect();
                args.extend(views[2..].iter().cloned());
                state = k
                    .run_all(&args, &opts.clone().steps(1))
                    .unwrap_or_else(|e| panic!("{e}\n{}", describe(&extra)));
            }
            for (o, (f, s)) in fused.iter().zip(&state).enumerate() {
                assert_eq!(
                    bits(f),
                    bits(s),
                    "field {o}: steps vs calls\n{}",
                    describe(&extra)
                );
            }
        }
    }
    assert!(ran * 10 >= cases * 6, "only {ran} of {cases} cases ran");
}

#[test]
fn stages_see_the_whole_arrays_index_and_shape_in_a_region() {
    // A Dask block: index() and shape() are the whole array's.
    let src = "
        kernel pos(x) -> i64 { index(0) * 100 + index(1) + shape(1) * x[0, 1] }
        kernel k(x) boundary mirror {
            let p = pos(x);
            p[-1, 0] - p[1, 1] + index(1)
        }";
    let p = Program::from_source("region.stn", src).unwrap();
    let k = p.kernel(Some("k")).unwrap();
    let x = DynArray::from_typed(ndarray::ArrayD::from_shape_fn(
        ndarray::IxDyn(&[13, 9]),
        |ix| (ix[0] * 3 + ix[1]) as i16,
    ));
    for tile in [0, 1, 5] {
        let opts = Options::new().tile_points(tile);
        check_schedules(k, &[x.view()], &opts, &|| format!("tile {tile}"));
    }
}

#[test]
fn strided_views_empty_axes_and_broadcast_loops_run_the_same_everywhere() {
    let p = Program::from_source("blur.stn", BLUR).unwrap();
    let blur = p.kernel(Some("blur")).unwrap();
    let base = ramp_u16(&[3, 14, 11]);
    let typed = base.clone().into_typed::<u16>().unwrap();
    // Reversed and transposed views of a 3-d stack: loop axis 0.
    let mut rev = typed.view();
    rev.invert_axis(ndarray::Axis(2));
    let t = typed.view().permuted_axes(vec![0, 2, 1]);
    for v in [rev, t] {
        let x = ArrayRef::new(v);
        for mode in [Mode::Wrap, Mode::Reflect, Mode::Constant] {
            let opts = Options::new().boundary(mode);
            check_schedules(blur, std::slice::from_ref(&x), &opts, &|| {
                format!("mode {mode:?}")
            });
        }
    }
    // Empty axes: nothing to compute, the right shape.
    for shape in [[0usize, 5], [4, 0]] {
        let x = ramp_u16(&shape);
        let out = check_schedules(blur, &[x.view()], &Options::new(), &|| {
            format!("shape {shape:?}")
        });
        assert_eq!(out[0].shape(), &shape);
    }
    let x = ramp_u16(&[0, 3, 4]);
    let out = check_schedules(blur, &[x.view()], &Options::new(), &|| "loop 0".into());
    assert_eq!(out[0].shape(), &[0, 3, 4]);
}
