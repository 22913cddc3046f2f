//! The seed example: `smooth` on int8 equals a direct Rust transcription of
//! what Numba's `@stencil` inside `@guvectorize` computes: the nine
//! neighbours summed in int64, floor-divided by 9, cast back to int8, and
//! the one-cell border set to cval 0.

use ndarray::{Array3, ArrayView3};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use stn::{Engine, Options, Program};

fn numba_smooth(x: ArrayView3<i8>) -> Array3<i8> {
    let (f, n, m) = x.dim();
    let mut out = Array3::<i8>::zeros((f, n, m));
    for k in 0..f {
        for i in 1..n.saturating_sub(1) {
            for j in 1..m.saturating_sub(1) {
                let mut s: i64 = 0;
                for di in [-1i64, 0, 1] {
                    for dj in [-1i64, 0, 1] {
                        s += x[[k, (i as i64 + di) as usize, (j as i64 + dj) as usize]] as i64;
                    }
                }
                // Python floor division, then int8's wrapping store.
                out[[k, i, j]] = s.div_euclid(9) as i8;
            }
        }
    }
    out
}

#[test]
fn smooth_on_int8_equals_numbas_rule() {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/smooth.stn"))
        .unwrap();
    let program = Program::from_source("smooth.stn", &src).unwrap();
    let smooth = program.kernel(None).unwrap();
    let mut rng = StdRng::seed_from_u64(2);
    for shape in [
        (3, 37, 41),
        (2, 1, 5),
        (1, 2, 2),
        (1, 3, 3),
        (2, 3, 1),
        (1, 64, 300),
    ] {
        let x = Array3::<i8>::from_shape_fn(shape, |_| rng.random());
        let want = numba_smooth(x.view());
        for (threads, tile_points) in [(1, 1 << 16), (2, 7), (3, 100)] {
            for engine in [Engine::Jit, Engine::Interpreter] {
                let opts = Options::new()
                    .threads(threads)
                    .tile_points(tile_points)
                    .engine(engine);
                let got: ndarray::ArrayD<i8> = smooth
                    .apply_as::<i8, _, _>(&[x.view()], &opts)
                    .unwrap()
                    .into_dyn();
                assert_eq!(
                    got.into_dimensionality::<ndarray::Ix3>().unwrap(),
                    want,
                    "{shape:?} {threads} {tile_points} {engine:?}"
                );
            }
        }
    }
    assert_eq!(smooth.signatures(), vec![vec![stn::DType::I8]]);
}

#[test]
fn floor_division_rounds_toward_minus_infinity() {
    // All -1: the sum -9 // 9 = -1; -8 // 9 would be -1 too (not 0 as in C).
    let x = Array3::<i8>::from_elem((1, 3, 3), -1);
    let mut y = x.clone();
    y[[0, 0, 0]] = 0;
    let program =
        Program::from_path(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/smooth.stn")).unwrap();
    let k = program.kernel(None).unwrap();
    let a: ndarray::ArrayD<i8> = k
        .apply_as::<i8, _, _>(&[x.view()], &Options::new())
        .unwrap()
        .into_dyn();
    let b: ndarray::ArrayD<i8> = k
        .apply_as::<i8, _, _>(&[y.view()], &Options::new())
        .unwrap()
        .into_dyn();
    assert_eq!(a[[0, 1, 1]], -1);
    assert_eq!(b[[0, 1, 1]], -1);
}
