//! In-process benchmarks of issue 3's workloads and of compiling a kernel,
//! through the library API with preallocated outputs (divan). Run with
//! `cargo bench --bench workloads`; the side-by-side comparison with peers
//! is `benches/peers/run.sh`.

use stn::internals::bench::random_array;
use stn::{DType, DynArray, Options, Program};

fn main() {
    divan::main();
}

const SMOOTH: &str = "kernel smooth(x) {
    (x[-1, -1] + x[-1, 0] + x[-1, 1] + x[0, -1] + x[0, 0] + x[0, 1] + x[1, -1] + x[1, 0] + x[1, 1]) // 9
}";
const JACOBI: &str = "kernel jacobi(x) { 0.25 * (x[-1, 0] + x[1, 0] + x[0, -1] + x[0, 1]) }";
const HEAT3D: &str = "kernel heat3d(u) {
    0.4 * u[0, 0, 0] + 0.1 * (u[-1, 0, 0] + u[1, 0, 0] + u[0, -1, 0] + u[0, 1, 0] + u[0, 0, -1] + u[0, 0, 1])
}";

/// Times one kernel run on a fixed input into a preallocated output.
fn workload(bencher: divan::Bencher, src: &str, dtype: DType, shape: &[usize]) {
    let program = Program::from_source("bench.stn", src).unwrap();
    let k = program.kernel(None).unwrap();
    let x = random_array(dtype, shape, 1);
    let mut out = DynArray::zeros(dtype, shape);
    let opts = Options::new();
    k.run_into(&[x.view()], &mut out.view_mut(), &opts).unwrap();
    bencher.bench_local(|| k.run_into(&[x.view()], &mut out.view_mut(), &opts).unwrap());
}

#[divan::bench(sample_count = 20)]
fn w1_int8_smooth_64x1000x1000(b: divan::Bencher) {
    workload(b, SMOOTH, DType::I8, &[64, 1000, 1000]);
}

#[divan::bench(sample_count = 200)]
fn w2_f64_smooth_100x100(b: divan::Bencher) {
    workload(b, SMOOTH, DType::F64, &[100, 100]);
}

#[divan::bench(sample_count = 20)]
fn w3_f32_jacobi_4096x4096(b: divan::Bencher) {
    workload(b, JACOBI, DType::F32, &[4096, 4096]);
}

#[divan::bench(sample_count = 20)]
fn w4_f32_heat3d_256x256x256(b: divan::Bencher) {
    workload(b, HEAT3D, DType::F32, &[256, 256, 256]);
}

/// Parse, check, lower and compile (scalar and vector variants) the seed kernel.
#[divan::bench(sample_count = 50)]
fn compile_smooth_i8() {
    let program = Program::from_source("bench.stn", SMOOTH).unwrap();
    let k = program.kernel(None).unwrap();
    divan::black_box(stn::internals::specialize(k, &[DType::I8]).unwrap());
}
