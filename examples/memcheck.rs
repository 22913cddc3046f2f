//! Runs kernels through every boundary mode on edge-case arrays (smaller
//! than the footprint, 0-length axes, negative and Fortran strides), for
//! `scripts/memcheck.sh` to watch under valgrind's memcheck. Exits 1 if a
//! compiled result differs from the interpreter's.

use ndarray::{Array, ArrayD, IxDyn, s};
use stn::{Engine, Mode, Options, Program};

const KERNELS: &str = "
kernel smooth(x) { (x[-1,-1] + x[-1,0] + x[-1,1] + x[0,-1] + x[0,0] + x[0,1] + x[1,-1] + x[1,0] + x[1,1]) // 9 }
kernel lopsided(x) { x[-2, 0] * 3 + x[1, -1] - x[0, 3] + x[2, 1] }
kernel heat(u) { u[0,0] + 0.2 * (u[-1,0] + u[1,0] + u[0,-1] + u[0,1] - 4.0 * u[0,0]) }
";

fn main() {
    let program = Program::from_source("memcheck.stn", KERNELS).expect("kernels compile");
    let mut runs = 0;
    let mut bad = 0;
    for name in ["smooth", "lopsided", "heat"] {
        let k = program.kernel(Some(name)).expect("kernel");
        for shape in [[1, 1], [2, 3], [3, 17], [9, 40], [0, 4], [4, 0]] {
            let a: ArrayD<f32> = Array::from_shape_fn(IxDyn(&shape), |ix| {
                ((ix[0] * 7 + ix[1] * 3) % 11) as f32 - 5.0
            });
            let t = a.t().to_owned();
            let views = [
                a.view(),
                a.slice(s![..;-1, ..]).into_dyn(),
                t.t().into_dyn(),
            ];
            for v in views {
                for mode in Mode::ALL {
                    let opts = Options::new().boundary(mode).cval(2.0).threads(2);
                    let jit: ArrayD<f32> =
                        k.apply_as::<f32, _, _>(&[v.view()], &opts).expect("runs");
                    let oracle: ArrayD<f32> = k
                        .apply_as::<f32, _, _>(&[v.view()], &opts.engine(Engine::Interpreter))
                        .expect("runs");
                    runs += 1;
                    if jit
                        .iter()
                        .map(|x| x.to_bits())
                        .ne(oracle.iter().map(|x| x.to_bits()))
                    {
                        eprintln!("{name} {shape:?} {mode}: differs from the interpreter");
                        bad += 1;
                    }
                }
            }
        }
    }
    println!("memcheck example: {runs} runs, {bad} differing");
    if bad > 0 {
        std::process::exit(1);
    }
}
