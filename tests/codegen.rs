//! Differential tests of code generation: every compiled tile is compared, bit
//! for bit (any NaN equals any NaN), with `ir::eval::eval_point`.
//!
//! `random_funcs` builds random `Func`s from a seed each; a failure prints the
//! seed and the IR. `STN_SEED=<n>` reruns just that seed, `STN_CASES=<n>`
//! changes how many seeds run.

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use stn::internals::codegen::{self, Compiled, TileArgs};
use stn::internals::ir::eval::eval_point;
use stn::internals::ir::print::print;
use stn::internals::ir::{Footprint, Func, Inst, Op, ValueId};
use stn::internals::ops::{BinaryOp, UnaryOp};
use stn::{DType, Scalar};

// ---------------------------------------------------------------- arrays ---

/// A strided view into a byte buffer: `base + sum_k idx_k * strides[k]`.
#[derive(Clone)]
struct Array {
    dtype: DType,
    buf: Vec<u8>,
    base: usize,
    strides: Vec<i64>,
}

impl Array {
    fn addr(&self, idx: &[i64]) -> usize {
        let off: i64 = idx.iter().zip(&self.strides).map(|(i, s)| i * s).sum();
        (self.base as i64 + off) as usize
    }

    fn get(&self, idx: &[i64]) -> Scalar {
        Scalar::read(self.dtype, &self.buf[self.addr(idx)..])
    }

    fn ptr(&self) -> *const u8 {
        self.buf.as_ptr().wrapping_add(self.base)
    }
}

/// A random layout covering indices `lo[k]..=hi[k]` on every axis: row-major
/// with padding, possibly reversed or broadcast (stride 0) per axis, possibly
/// misaligned. Elements are filled with `fill`.
fn layout(
    rng: &mut StdRng,
    dtype: DType,
    lo: &[i64],
    hi: &[i64],
    broadcast: bool,
    fill: &mut dyn FnMut(&mut StdRng, &mut [u8]),
) -> Array {
    let size = dtype.size() as i64;
    let n = lo.len();
    let mut elem_strides = vec![0i64; n];
    let mut step = 1i64;
    for k in (0..n).rev() {
        let len = hi[k] - lo[k] + 1;
        let r = rng.random_range(0..10);
        elem_strides[k] = match r {
            0 if broadcast => 0,
            1..=2 => -step,
            _ => step,
        };
        step *= len * rng.random_range(1..=2);
    }
    let (mut min, mut max) = (0i64, 0i64);
    for k in 0..n {
        let (a, b) = (elem_strides[k] * lo[k], elem_strides[k] * hi[k]);
        min += a.min(b);
        max += a.max(b);
    }
    let misalign = if rng.random_bool(0.3) {
        rng.random_range(0..size.max(1))
    } else {
        0
    } as usize;
    let count = (max - min + 1) as usize;
    let mut buf = vec![0u8; misalign + count * size as usize + 8];
    rng.fill(&mut buf[..]);
    for j in 0..count {
        let at = misalign + j * size as usize;
        fill(rng, &mut buf[at..at + size as usize]);
    }
    Array {
        dtype,
        buf,
        base: misalign + (-min * size) as usize,
        strides: elem_strides.iter().map(|s| s * size).collect(),
    }
}

/// A contiguous 1-D array of `values`.
fn contiguous(dtype: DType, values: &[Scalar]) -> Array {
    let size = dtype.size();
    let mut buf = vec![0u8; values.len() * size + 8];
    for (j, v) in values.iter().enumerate() {
        v.write(dtype, &mut buf[j * size..]);
    }
    Array {
        dtype,
        buf,
        base: 0,
        strides: vec![size as i64],
    }
}

// ---------------------------------------------------------------- values ---

fn edge_f64() -> Vec<f64> {
    vec![
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        -0.5,
        1.5,
        2.5,
        -2.5,
        0.1,
        3.0,
        -7.0,
        255.5,
        256.0,
        -129.0,
        65535.9,
        2147483648.0,
        -2147483649.0,
        4294967296.0,
        9.2e18,
        9223372036854775807.0,
        -9223372036854775808.0,
        18446744073709551615.0,
        1e19,
        -1e19,
        1e300,
        f64::MIN_POSITIVE,
        f64::MAX,
        f64::MIN,
        f64::NAN,
        -f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ]
}

fn edge_i64() -> Vec<i64> {
    vec![
        0,
        1,
        -1,
        2,
        -2,
        3,
        7,
        -7,
        63,
        64,
        65,
        -64,
        127,
        128,
        -128,
        -129,
        255,
        256,
        32767,
        32768,
        -32769,
        65535,
        65536,
        i32::MAX as i64,
        i32::MIN as i64,
        u32::MAX as i64,
        1 << 32,
        (1 << 53) + 1,
        (1 << 53) + (1 << 29) + 1,
        i64::MAX,
        i64::MIN,
        i64::MIN + 1,
    ]
}

/// Every edge value, converted to `d` (duplicates removed).
fn edges(d: DType) -> Vec<Scalar> {
    let mut out: Vec<Scalar> = Vec::new();
    let all = edge_i64()
        .into_iter()
        .map(Scalar::Int)
        .chain([
            Scalar::U64(u64::MAX),
            Scalar::U64(1 << 63),
            Scalar::U64((1 << 63) + 1),
        ])
        .chain(edge_f64().into_iter().map(Scalar::F64))
        .chain([
            Scalar::F32(f32::MAX),
            Scalar::F32(-f32::MIN_POSITIVE),
            Scalar::F32(16777217.0),
        ]);
    for s in all {
        let v = s.cast(d);
        if !out.iter().any(|o| o.same(v)) {
            out.push(v);
        }
    }
    out
}

fn random_scalar(rng: &mut StdRng, d: DType) -> Scalar {
    let s = match rng.random_range(0..4) {
        0 => Scalar::F64(*edge_f64().choose(rng).unwrap()),
        1 => Scalar::Int(*edge_i64().choose(rng).unwrap()),
        2 => Scalar::Int(rng.random_range(-20..20)),
        _ => match d {
            DType::F32 => Scalar::F32(f32::from_bits(rng.random())),
            DType::F64 if rng.random_bool(0.5) => Scalar::F64(f64::from_bits(rng.random())),
            DType::F64 => Scalar::F64(rng.random_range(-100.0..100.0)),
            _ => Scalar::U64(rng.random()),
        },
    };
    s.cast(d)
}

fn fill_random(dtype: DType) -> impl FnMut(&mut StdRng, &mut [u8]) {
    move |rng, bytes| {
        if dtype == DType::Bool && rng.random_bool(0.2) {
            // Any nonzero byte reads as true.
            bytes[0] = *[2u8, 255, 128].choose(rng).unwrap();
        } else {
            random_scalar(rng, dtype).write(dtype, bytes);
        }
    }
}

// ---------------------------------------------------------------- runner ---

struct Tile {
    extent: Vec<u64>,
    origin: Vec<i64>,
    shape: Vec<i64>,
}

/// Runs `c` over `tile` (its vector variant with `vector`) and compares
/// every output point, and that nothing outside the output points was
/// written.
fn run_and_compare(
    c: &Compiled,
    f: &Func,
    inputs: &[Array],
    outs: &mut [Array],
    tile: &Tile,
    params: &[Scalar],
    vector: bool,
) -> Result<(), String> {
    let n = f.ndim;
    let ptrs: Vec<*const u8> = inputs.iter().map(Array::ptr).collect();
    let in_strides: Vec<i64> = inputs.iter().flat_map(|a| a.strides.clone()).collect();
    let mut pbuf = vec![0u8; 8 * params.len().max(1)];
    for (i, (p, d)) in params.iter().zip(&f.params).enumerate() {
        p.write(*d, &mut pbuf[8 * i..]);
    }
    let before: Vec<Vec<u8>> = outs.iter().map(|o| o.buf.clone()).collect();
    let out_ptrs: Vec<*mut u8> = (outs.iter_mut())
        .map(|o| o.buf.as_mut_ptr().wrapping_add(o.base))
        .collect();
    let out_strides: Vec<i64> = outs.iter().flat_map(|o| o.strides.clone()).collect();
    // No input or output wraps.
    let rings = vec![0u64; 2 * (ptrs.len() + out_ptrs.len())];
    let args = TileArgs {
        inputs: ptrs.as_ptr(),
        in_strides: in_strides.as_ptr(),
        outs: out_ptrs.as_ptr(),
        out_strides: out_strides.as_ptr(),
        extent: tile.extent.as_ptr(),
        origin: tile.origin.as_ptr(),
        shape: tile.shape.as_ptr(),
        params: pbuf.as_ptr(),
        rings: rings.as_ptr(),
    };
    // SAFETY: the arrays were laid out to cover the tile and the footprint
    // (for `vector`, with contiguous rows at least `lanes` wide).
    unsafe {
        match vector {
            true => c.run_tile_vector(&args),
            false => c.run_tile(&args),
        }
    };

    let mut written: Vec<Vec<bool>> = outs.iter().map(|o| vec![false; o.buf.len()]).collect();
    let total: u64 = tile.extent.iter().product();
    for flat in 0..total {
        let mut p = vec![0i64; n];
        let mut r = flat;
        for k in (0..n).rev() {
            p[k] = (r % tile.extent[k]) as i64;
            r /= tile.extent[k];
        }
        let index: Vec<i64> = (0..n).map(|k| tile.origin[k] + p[k]).collect();
        let mut load = |i: usize, off: &[i64]| {
            let at: Vec<i64> = p.iter().zip(off).map(|(a, b)| a + b).collect();
            inputs[i].get(&at)
        };
        let want = eval_point(f, &mut load, params, &index, &tile.shape);
        for (o, out) in outs.iter().enumerate() {
            let got = out.get(&p);
            if !want[o].same(got) {
                let vals: Vec<String> = (0..inputs.len())
                    .map(|i| format!("{:?}", inputs[i].get(&p)))
                    .collect();
                return Err(format!(
                    "point {p:?} (index {index:?}), output {o}: jit {got:?}, eval {:?}; params {params:?}; \
                     inputs at offset 0: [{}]; extent {:?}",
                    want[o],
                    vals.join(", "),
                    tile.extent
                ));
            }
            let a = out.addr(&p);
            written[o][a..a + out.dtype.size()]
                .iter_mut()
                .for_each(|w| *w = true);
        }
    }
    for (o, out) in outs.iter().enumerate() {
        for (j, w) in written[o].iter().enumerate() {
            if !w && out.buf[j] != before[o][j] {
                return Err(format!(
                    "byte {j} of output {o} outside the output points was written"
                ));
            }
        }
    }
    Ok(())
}

// ------------------------------------------------------- random functions ---

struct Gen<'r> {
    rng: &'r mut StdRng,
    f: Func,
    /// Values no instruction uses yet; operands come from here first, so
    /// that most of the DAG reaches the result.
    unused: Vec<ValueId>,
}

impl Gen<'_> {
    fn push(&mut self, op: Op, dtype: DType) -> ValueId {
        let uses: Vec<ValueId> = match &op {
            Op::Cast(a) | Op::Unary(_, a) => vec![*a],
            Op::Binary(_, a, b) => vec![*a, *b],
            Op::Select(c, a, b) => vec![*c, *a, *b],
            Op::Rank { terms, .. } => terms.clone(),
            _ => vec![],
        };
        self.unused.retain(|v| !uses.contains(v));
        self.f.insts.push(Inst { op, dtype });
        let v = (self.f.insts.len() - 1) as ValueId;
        self.unused.push(v);
        v
    }

    fn pick(&mut self) -> ValueId {
        let len = self.f.insts.len();
        if !self.unused.is_empty() && self.rng.random_bool(0.7) {
            let i = self.rng.random_range(0..self.unused.len());
            self.unused[i]
        } else if self.rng.random_bool(0.6) {
            (len - 1 - self.rng.random_range(0..len.min(4))) as ValueId
        } else {
            self.rng.random_range(0..len) as ValueId
        }
    }

    /// An existing value, cast to `want` if it has another dtype.
    fn operand(&mut self, want: DType) -> ValueId {
        let v = self.pick();
        if self.f.insts[v as usize].dtype == want {
            v
        } else {
            self.push(Op::Cast(v), want)
        }
    }

    fn leaf(&mut self) {
        let n = self.f.ndim;
        match self.rng.random_range(0..7) {
            0..=2 => {
                let input = self.rng.random_range(0..self.f.inputs.len());
                let offset = (0..n)
                    .map(|_| {
                        if self.rng.random_bool(0.5) {
                            0
                        } else {
                            self.rng.random_range(-2..=2)
                        }
                    })
                    .collect();
                let d = self.f.inputs[input];
                self.push(
                    Op::Load {
                        input: input as u32,
                        offset,
                    },
                    d,
                );
            }
            3 if !self.f.params.is_empty() => {
                let p = self.rng.random_range(0..self.f.params.len());
                self.push(Op::Param(p as u32), self.f.params[p]);
            }
            4 => {
                let k = self.rng.random_range(0..n) as u32;
                let op = if self.rng.random_bool(0.5) {
                    Op::Index(k)
                } else {
                    Op::Shape(k)
                };
                self.push(op, DType::I64);
            }
            _ => {
                let d = *DType::ALL.choose(self.rng).unwrap();
                let s = random_scalar(self.rng, d);
                self.push(Op::Const(s), d);
            }
        }
    }

    fn unary(&mut self) {
        use DType::*;
        use UnaryOp::*;
        let (op, ds): (UnaryOp, &[DType]) = *[
            (Neg, &[I64, U64, F32, F64][..]),
            (Not, &[Bool][..]),
            (BitNot, &[Bool, I64, U64][..]),
            (Abs, &[I64, U64, F32, F64][..]),
            (Sqrt, &[F32, F64][..]),
            (Exp, &[F32, F64][..]),
            (Log, &[F32, F64][..]),
            (Sin, &[F32, F64][..]),
            (Cos, &[F32, F64][..]),
            (Tan, &[F32, F64][..]),
            (Tanh, &[F32, F64][..]),
            (Floor, &[F32, F64][..]),
            (Ceil, &[F32, F64][..]),
            (Round, &[F32, F64][..]),
            (IsNan, &[F32, F64][..]),
        ]
        .choose(self.rng)
        .unwrap();
        let d = *ds.choose(self.rng).unwrap();
        let a = self.operand(d);
        self.push(Op::Unary(op, a), if op == IsNan { Bool } else { d });
    }

    fn binary(&mut self) {
        use BinaryOp::*;
        use DType::*;
        const NUM: &[DType] = &[I64, U64, F32, F64];
        const ALL: &[DType] = &[Bool, I64, U64, F32, F64];
        let (op, ds): (BinaryOp, &[DType]) = *[
            (Add, NUM),
            (Sub, NUM),
            (Mul, NUM),
            (Div, &[F32, F64][..]),
            (FloorDiv, NUM),
            (Mod, NUM),
            (Pow, NUM),
            (BitAnd, &[Bool, I64, U64][..]),
            (BitOr, &[Bool, I64, U64][..]),
            (BitXor, &[Bool, I64, U64][..]),
            (Shl, &[I64, U64][..]),
            (Shr, &[I64, U64][..]),
            (Min, ALL),
            (Max, ALL),
            (Hypot, &[F32, F64][..]),
            (Eq, ALL),
            (Ne, ALL),
            (Lt, ALL),
            (Le, ALL),
            (Gt, ALL),
            (Ge, ALL),
            (And, &[Bool][..]),
            (Or, &[Bool][..]),
        ]
        .choose(self.rng)
        .unwrap();
        let d = *ds.choose(self.rng).unwrap();
        let a = self.operand(d);
        let b = self.operand(d);
        let out = if op.is_comparison() || matches!(op, And | Or) {
            Bool
        } else {
            d
        };
        self.push(Op::Binary(op, a, b), out);
    }

    /// `rank(k, ...)` of 2 to 9 terms, often with ties, zeros and NaN
    /// among them (loads of few distinct values make ties likely).
    fn rank(&mut self) {
        use DType::*;
        let d = *[I64, U64, F32, F64].choose(self.rng).unwrap();
        let n = self.rng.random_range(2..=9);
        let terms: Vec<ValueId> = (0..n)
            .map(|_| match self.rng.random_range(0..4) {
                0 => {
                    let z = match d {
                        F32 => *[Scalar::F32(0.0), Scalar::F32(-0.0), Scalar::F32(f32::NAN)]
                            .choose(self.rng)
                            .unwrap(),
                        F64 => *[Scalar::F64(0.0), Scalar::F64(-0.0), Scalar::F64(f64::NAN)]
                            .choose(self.rng)
                            .unwrap(),
                        _ => Scalar::Int(self.rng.random_range(-1..=1)).cast(d),
                    };
                    self.push(Op::Const(z), d)
                }
                _ => self.operand(d),
            })
            .collect();
        let k = self.rng.random_range(0..n) as u32;
        self.push(Op::Rank { k, terms }, d);
    }

    fn select(&mut self) {
        let c = self.operand(DType::Bool);
        let a = self.pick();
        let d = self.f.insts[a as usize].dtype;
        let b = self.operand(d);
        self.push(Op::Select(c, a, b), d);
    }
}

fn random_func(seed: u64) -> Func {
    let mut rng = StdRng::seed_from_u64(seed);
    let ndim = rng.random_range(1..=3);
    let inputs = (0..rng.random_range(1..=3))
        .map(|_| *DType::ALL.choose(&mut rng).unwrap())
        .collect();
    let params = (0..rng.random_range(0..=2))
        .map(|_| *DType::ALL.choose(&mut rng).unwrap())
        .collect();
    // Mostly one output; sometimes two or three, of any dtypes.
    let n_out = *[1, 1, 1, 2, 3].choose(&mut rng).unwrap();
    let out_dtypes: Vec<DType> = (0..n_out)
        .map(|_| *DType::ALL.choose(&mut rng).unwrap())
        .collect();
    let f = Func {
        name: format!("rand{seed}"),
        ndim,
        inputs,
        params,
        out_dtypes: out_dtypes.clone(),
        insts: Vec::new(),
        results: Vec::new(),
        footprint: Footprint::zero(ndim),
    };
    let mut g = Gen {
        rng: &mut rng,
        f,
        unused: Vec::new(),
    };
    for _ in 0..g.rng.random_range(1..=3) {
        g.leaf();
    }
    for _ in 0..g.rng.random_range(0..=20) {
        match g.rng.random_range(0..11) {
            0..=2 => g.leaf(),
            3..=4 => g.unary(),
            5..=8 => g.binary(),
            9 => g.select(),
            _ => g.rank(),
        }
    }
    // The result folds in what is still unused, so little of the DAG is dead.
    let mut v = g.pick();
    for _ in 0..100 {
        if g.unused.len() <= 1 {
            break;
        }
        let d = match g.f.insts[v as usize].dtype {
            d @ (DType::Bool | DType::U64 | DType::F32 | DType::F64) => d,
            _ => DType::I64,
        };
        if g.f.insts[v as usize].dtype != d {
            v = g.push(Op::Cast(v), d);
        }
        let w = g.operand(d);
        let op = match d {
            DType::Bool => BinaryOp::BitXor,
            d if d.is_float() => *[BinaryOp::Add, BinaryOp::Sub].choose(g.rng).unwrap(),
            _ => *[BinaryOp::Add, BinaryOp::BitXor].choose(g.rng).unwrap(),
        };
        v = g.push(Op::Binary(op, v, w), d);
    }
    // The first output folds that; the others are values picked at random.
    let mut results = vec![g.push(Op::Cast(v), out_dtypes[0])];
    for &d in &out_dtypes[1..] {
        let w = g.pick();
        results.push(g.push(Op::Cast(w), d));
    }
    let mut f = g.f;
    f.results = results;
    for inst in &f.insts {
        if let Op::Load { offset, .. } = &inst.op {
            for (k, &o) in offset.iter().enumerate() {
                f.footprint.lo[k] = f.footprint.lo[k].min(o);
                f.footprint.hi[k] = f.footprint.hi[k].max(o);
            }
        }
    }
    f
}

/// Compiles the function of `seed` and runs it over a few random tiles.
fn check_seed(seed: u64) -> Result<(), String> {
    let f = random_func(seed);
    let c = codegen::compile(&f, false).map_err(|e| e.to_string())?;
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed_da7a);
    let n = f.ndim;
    for _ in 0..4 {
        let extent: Vec<u64> = (0..n)
            .map(|_| match rng.random_range(0..10) {
                0 => 0,
                1..=2 => 1,
                _ => rng.random_range(2..=5),
            })
            .collect();
        let tile = Tile {
            origin: (0..n).map(|_| rng.random_range(-3..10)).collect(),
            shape: extent
                .iter()
                .map(|&e| e as i64 + rng.random_range(0..10))
                .collect(),
            extent,
        };
        let last: Vec<i64> = tile.extent.iter().map(|&e| e.max(1) as i64 - 1).collect();
        let inputs: Vec<Array> = f
            .inputs
            .iter()
            .map(|&d| {
                let lo = f.footprint.lo.clone();
                let hi: Vec<i64> = last
                    .iter()
                    .zip(&f.footprint.hi)
                    .map(|(a, b)| a + b)
                    .collect();
                layout(&mut rng, d, &lo, &hi, true, &mut fill_random(d))
            })
            .collect();
        let mut outs: Vec<Array> = (f.out_dtypes.iter())
            .map(|&d| {
                layout(&mut rng, d, &vec![0; n], &last, false, &mut |_, b| {
                    b.fill(0xa5)
                })
            })
            .collect();
        let params: Vec<Scalar> = f
            .params
            .iter()
            .map(|&d| random_scalar(&mut rng, d))
            .collect();
        run_and_compare(&c, &f, &inputs, &mut outs, &tile, &params, false)?;
    }
    Ok(())
}

#[test]
fn random_funcs() {
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let seeds: Vec<u64> = match env("STN_SEED") {
        Some(s) => vec![s],
        None => (0..env("STN_CASES").unwrap_or(2000)).collect(),
    };
    for seed in seeds {
        if let Err(e) = check_seed(seed) {
            panic!("STN_SEED={seed}: {e}\n{}", print(&random_func(seed)));
        }
    }
}

// ------------------------------------------------------- targeted checks ---

/// `x0[0] op x1[0]` (or `op x0[0]` for a unary `build`) as a 1-D `Func`.
fn func_1d(inputs: &[DType], mut insts: Vec<Inst>, out: DType) -> Func {
    for (i, &d) in inputs.iter().enumerate().rev() {
        insts.insert(
            0,
            Inst {
                op: Op::Load {
                    input: i as u32,
                    offset: vec![0],
                },
                dtype: d,
            },
        );
    }
    Func {
        name: "t".into(),
        ndim: 1,
        inputs: inputs.to_vec(),
        params: vec![],
        out_dtypes: vec![out],
        results: vec![(insts.len() - 1) as ValueId],
        insts,
        footprint: Footprint::zero(1),
    }
}

/// Runs a 1-D `Func` over contiguous inputs, compares with `eval_point` and
/// returns the compiled results.
fn run_1d(f: &Func, columns: &[Vec<Scalar>]) -> Vec<Scalar> {
    let len = columns[0].len();
    let inputs: Vec<Array> = columns
        .iter()
        .zip(&f.inputs)
        .map(|(c, &d)| contiguous(d, c))
        .collect();
    let mut out = [contiguous(f.out_dtype(), &vec![Scalar::Int(0); len])];
    let c = codegen::compile(f, false).unwrap_or_else(|e| panic!("{e}\n{}", print(f)));
    let tile = Tile {
        extent: vec![len as u64],
        origin: vec![0],
        shape: vec![len as i64],
    };
    if let Err(e) = run_and_compare(&c, f, &inputs, &mut out, &tile, &[], false) {
        panic!("{e}\n{}", print(f));
    }
    (0..len as i64).map(|i| out[0].get(&[i])).collect()
}

/// All pairs of `values`, as two columns.
fn pairs(values: &[Scalar]) -> Vec<Vec<Scalar>> {
    let a = values
        .iter()
        .flat_map(|&x| values.iter().map(move |_| x))
        .collect();
    let b = values.iter().flat_map(|_| values.iter().copied()).collect();
    vec![a, b]
}

fn binary_1d(op: BinaryOp, d: DType, values: &[Scalar]) -> Vec<Scalar> {
    let out = if op.is_comparison() { DType::Bool } else { d };
    let f = func_1d(
        &[d, d],
        vec![Inst {
            op: Op::Binary(op, 0, 1),
            dtype: out,
        }],
        out,
    );
    run_1d(&f, &pairs(values))
}

/// `x[0, -1] + 2 * x[0, 0] + x[0, 1]` in `f32`: a small float body, whose
/// vector loop runs steps of several vectors.
fn three_point_f32() -> Func {
    let load = |dx: i64| Inst {
        op: Op::Load {
            input: 0,
            offset: vec![0, dx],
        },
        dtype: DType::F32,
    };
    let inst = |op| Inst {
        op,
        dtype: DType::F32,
    };
    Func {
        name: "t".into(),
        ndim: 2,
        inputs: vec![DType::F32],
        params: vec![],
        out_dtypes: vec![DType::F32],
        insts: vec![
            load(-1),
            load(0),
            load(1),
            inst(Op::Const(Scalar::F32(2.0))),
            inst(Op::Binary(BinaryOp::Mul, 3, 1)),
            inst(Op::Binary(BinaryOp::Add, 0, 4)),
            inst(Op::Binary(BinaryOp::Add, 5, 2)),
        ],
        results: vec![6],
        footprint: Footprint {
            lo: vec![0, -1],
            hi: vec![0, 1],
        },
    }
}

/// A float vector loop takes rows of any width of at least one vector:
/// whole steps, then one more step or single vectors ending at the row's
/// end. Every width from one vector to three steps and a vector gives the
/// reference's values and writes nothing past the row.
#[test]
fn float_vector_rows_of_every_width_equal_the_reference() {
    let f = three_point_f32();
    let c = codegen::compile(&f, false).unwrap_or_else(|e| panic!("{e}\n{}", print(&f)));
    let (lanes, step) = (c.lanes(), c.points_per_step());
    assert!(
        c.any_width() && lanes == 4 && step > lanes,
        "{lanes} {step}"
    );
    let mut rng = StdRng::seed_from_u64(7);
    for width in lanes..=3 * step + lanes {
        let rows = 3;
        // Contiguous rows with one column of halo on each side.
        let pitch = (width + 2) as i64 * 4;
        let mut buf = vec![0u8; rows * (width + 2) * 4];
        for v in buf.chunks_mut(4) {
            v.copy_from_slice(&rng.random_range(-100.0f32..100.0).to_le_bytes());
        }
        let input = Array {
            dtype: DType::F32,
            buf,
            base: 4,
            strides: vec![pitch, 4],
        };
        // Output rows with guard bytes after each row.
        let out_pitch = (width + 3) as i64 * 4;
        let mut out = [Array {
            dtype: DType::F32,
            buf: vec![0xa5; rows * (width + 3) * 4],
            base: 0,
            strides: vec![out_pitch, 4],
        }];
        let tile = Tile {
            extent: vec![rows as u64, width as u64],
            origin: vec![0, 0],
            shape: vec![rows as i64, width as i64],
        };
        if let Err(e) = run_and_compare(&c, &f, &[input], &mut out, &tile, &[], true) {
            panic!("width {width}: {e}");
        }
    }
}

#[test]
fn casts_between_all_dtype_pairs() {
    for from in DType::ALL {
        let values = edges(from);
        for to in DType::ALL {
            let f = func_1d(
                &[from],
                vec![Inst {
                    op: Op::Cast(0),
                    dtype: to,
                }],
                to,
            );
            let got = run_1d(&f, std::slice::from_ref(&values));
            for (v, g) in values.iter().zip(got) {
                assert!(v.cast(to).same(g), "{from} -> {to}: {v:?} gave {g:?}");
            }
        }
    }
}

#[test]
fn floordiv_and_mod_follow_python_signs() {
    let ints = [7i64, -7, 2, -2, 0, 1, -1, i64::MIN, i64::MAX].map(Scalar::Int);
    let floats = [
        7.0,
        -7.0,
        2.0,
        -2.0,
        0.0,
        -0.0,
        0.1,
        1.0,
        f64::INFINITY,
        f64::NAN,
    ]
    .map(Scalar::F64);
    for d in [DType::I64, DType::U64, DType::F32, DType::F64] {
        let src: &[Scalar] = if d.is_float() { &floats } else { &ints };
        let values: Vec<Scalar> = src.iter().map(|v| v.cast(d)).collect();
        binary_1d(BinaryOp::FloorDiv, d, &values);
        binary_1d(BinaryOp::Mod, d, &values);
    }
    // Pack q = a // b and r = a % b into one result, q * 1000 + r.
    let v = [-7, 2, 7, -2, 5, 0].map(Scalar::Int);
    let i64_inst = |op| Inst {
        op,
        dtype: DType::I64,
    };
    let f = func_1d(
        &[DType::I64, DType::I64],
        vec![
            i64_inst(Op::Binary(BinaryOp::FloorDiv, 0, 1)),
            i64_inst(Op::Binary(BinaryOp::Mod, 0, 1)),
            i64_inst(Op::Const(Scalar::Int(1000))),
            i64_inst(Op::Binary(BinaryOp::Mul, 2, 4)),
            i64_inst(Op::Binary(BinaryOp::Add, 5, 3)),
        ],
        DType::I64,
    );
    let got = run_1d(&f, &[vec![v[0], v[2], v[4]], vec![v[1], v[3], v[5]]]);
    // -7 // 2 = -4 r 1; 7 // -2 = -4 r -1; 5 // 0 = 0 r 0.
    assert_eq!(
        got,
        [Scalar::Int(-3999), Scalar::Int(-4001), Scalar::Int(0)]
    );
    let fd = binary_1d(
        BinaryOp::FloorDiv,
        DType::F64,
        &[Scalar::F64(1.0), Scalar::F64(0.1)],
    );
    assert_eq!(fd[1], Scalar::F64(9.0), "1.0 // 0.1");
}

#[test]
fn shifts_by_out_of_range_counts() {
    let values = [
        1,
        -1,
        -8,
        0x1234,
        i64::MIN,
        i64::MAX,
        0,
        63,
        64,
        65,
        127,
        -64,
        1 << 40,
    ]
    .map(Scalar::Int);
    for d in [DType::I64, DType::U64] {
        let vs: Vec<Scalar> = values.iter().map(|v| v.cast(d)).collect();
        binary_1d(BinaryOp::Shl, d, &vs);
        binary_1d(BinaryOp::Shr, d, &vs);
    }
    let f = |op| {
        func_1d(
            &[DType::I64, DType::I64],
            vec![Inst {
                op: Op::Binary(op, 0, 1),
                dtype: DType::I64,
            }],
            DType::I64,
        )
    };
    let cols = vec![
        [-8, -8, 8, 1, 1].map(Scalar::Int).to_vec(),
        [100, -1, 64, 64, 63].map(Scalar::Int).to_vec(),
    ];
    // A negative value shifted right by a count outside 0..=63, negative
    // counts included, is -1: NumPy's and Numba's sign fill.
    assert_eq!(
        run_1d(&f(BinaryOp::Shr), &cols),
        [-1, -1, 0, 0, 0].map(Scalar::Int)
    );
    assert_eq!(
        run_1d(&f(BinaryOp::Shl), &cols),
        [0, 0, 0, 0, i64::MIN].map(Scalar::Int)
    );
}

#[test]
fn min_max_with_nan_and_signed_zeros() {
    for d in [DType::F32, DType::F64] {
        let vs: Vec<Scalar> = [
            f64::NAN,
            -0.0,
            0.0,
            1.0,
            -1.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ]
        .map(|x| Scalar::F64(x).cast(d))
        .to_vec();
        let lo = binary_1d(BinaryOp::Min, d, &vs);
        let hi = binary_1d(BinaryOp::Max, d, &vs);
        // (-0, +0) is pair 1 * 7 + 2 = 9; (+0, -0) is 15.
        for i in [9, 15] {
            assert!(
                matches!(lo[i], Scalar::F32(x) if x.to_bits() == (-0.0f32).to_bits())
                    || matches!(lo[i], Scalar::F64(x) if x.to_bits() == (-0.0f64).to_bits())
            );
            assert!(
                matches!(hi[i], Scalar::F32(x) if x.to_bits() == 0)
                    || matches!(hi[i], Scalar::F64(x) if x.to_bits() == 0)
            );
        }
        // Any NaN operand gives NaN.
        for i in (0..7).chain((0..7).map(|j| 7 * j)) {
            assert!(
                matches!(lo[i], Scalar::F32(x) if x.is_nan())
                    || matches!(lo[i], Scalar::F64(x) if x.is_nan())
            );
        }
    }
    for d in [DType::Bool, DType::I64, DType::U64] {
        let vs = edges(d);
        binary_1d(BinaryOp::Min, d, &vs);
        binary_1d(BinaryOp::Max, d, &vs);
    }
}

#[test]
fn comparisons_on_nan_are_false_except_ne() {
    let vs: Vec<Scalar> = [f64::NAN, 1.0].map(Scalar::F64).to_vec();
    for (op, nan_result) in [
        (BinaryOp::Eq, false),
        (BinaryOp::Ne, true),
        (BinaryOp::Lt, false),
        (BinaryOp::Le, false),
        (BinaryOp::Gt, false),
        (BinaryOp::Ge, false),
    ] {
        let got = binary_1d(op, DType::F64, &vs);
        assert_eq!(got[1], Scalar::Bool(nan_result), "{op:?}");
    }
}

#[test]
fn ir_prints_in_a_stable_form() {
    let f = func_1d(
        &[DType::U8],
        vec![
            Inst {
                op: Op::Cast(0),
                dtype: DType::I64,
            },
            Inst {
                op: Op::Const(Scalar::F64(-0.0)),
                dtype: DType::F64,
            },
            Inst {
                op: Op::Binary(BinaryOp::Add, 1, 1),
                dtype: DType::I64,
            },
            Inst {
                op: Op::Cast(3),
                dtype: DType::U8,
            },
        ],
        DType::U8,
    );
    let text = print(&f);
    assert_eq!(
        text,
        "func t(x0: u8; ) -> u8, ndim 1, footprint [0..0]\n  v0:u8 = load x0[0]\n  v1:i64 = cast v0\n  \
         v2:f64 = const -0.0\n  v3:i64 = add v1, v1\n  v4:u8 = cast v3\n  return v4\n"
    );
    let c = codegen::compile(&f, true).unwrap();
    assert!(c.clif().contains("function"));
}
