//! The README's tour: every example kernel does what its comment says.

use ndarray::{Array2, Array3, ArrayD};
use stn::program::Program;
use stn::run::{Engine, RunOptions};

fn kernel(name: &str) -> Program {
    Program::from_path(format!("{}/examples/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Runs with both engines, asserts they agree, returns the result.
fn both<T: stn::array::Element + PartialEq + std::fmt::Debug>(
    p: &Program,
    x: ArrayD<T>,
    opts: RunOptions,
) -> ArrayD<T> {
    let k = p.kernel(None).unwrap();
    let a: ArrayD<T> = k
        .apply(&[x.view()], &opts.clone().engine(Engine::Jit))
        .unwrap();
    let b: ArrayD<T> = k
        .apply(&[x.view()], &opts.engine(Engine::Interpreter))
        .unwrap();
    assert_eq!(a, b);
    a
}

#[test]
fn a_glider_crosses_the_torus() {
    let life = kernel("life.stn");
    let mut board = Array2::<u8>::zeros((6, 7));
    for (i, j) in [(0, 1), (1, 2), (2, 0), (2, 1), (2, 2)] {
        board[[i, j]] = 1;
    }
    // Every 4 generations a glider moves one cell down and one right; on a
    // 6x7 torus, 4 * 42 generations bring it back to where it started.
    let after4 = both(
        &life,
        board.clone().into_dyn(),
        RunOptions::default().steps(4),
    );
    let mut moved = Array2::<u8>::zeros((6, 7));
    for (i, j) in [(0, 1), (1, 2), (2, 0), (2, 1), (2, 2)] {
        moved[[(i + 1) % 6, (j + 1) % 7]] = 1;
    }
    assert_eq!(after4, moved.into_dyn());
    let around = both(
        &life,
        board.clone().into_dyn(),
        RunOptions::default().steps(4 * 42),
    );
    assert_eq!(around, board.into_dyn());
}

#[test]
fn gaussian_keeps_constants_and_blurs_a_point() {
    let g = kernel("gaussian.stn");
    let flat = both(
        &g,
        Array2::<f64>::from_elem((5, 6), 7.0).into_dyn(),
        RunOptions::default(),
    );
    assert!(flat.iter().all(|&v| v == 7.0));
    let mut dot = Array2::<u16>::zeros((9, 9));
    dot[[4, 4]] = 256;
    let blurred = both(&g, dot.into_dyn(), RunOptions::default());
    // The 5x5 binomial weights, centred on the dot.
    assert_eq!(blurred[[4, 4]], 36);
    assert_eq!(blurred[[2, 2]], 1);
    assert_eq!(blurred[[4, 2]], 6);
    assert_eq!(blurred.iter().map(|&v| v as u32).sum::<u32>(), 256);
}

#[test]
fn heat_conserves_a_bump_under_nearest() {
    let heat = kernel("heat.stn");
    let mut u = Array2::<f64>::zeros((16, 16));
    u[[8, 8]] = 1000.0;
    let out = both(
        &heat,
        u.into_dyn(),
        RunOptions::default().param("alpha", 0.25).steps(20),
    );
    // Reflecting (nearest) walls: no heat leaves, up to rounding.
    assert!((out.sum() - 1000.0).abs() < 1e-9, "{}", out.sum());
    assert!(out[[8, 8]] < 1000.0 && out[[8, 8]] > 0.0);
}

#[test]
fn laplace3d_of_a_quadratic_is_its_constant() {
    let lap = kernel("laplace3d.stn");
    // u = i^2 + j^2 + k^2 has Laplacian 6 everywhere inside.
    let u = Array3::from_shape_fn((5, 6, 7), |(i, j, k)| (i * i + j * j + k * k) as i32);
    let out = both(&lap, u.into_dyn(), RunOptions::default());
    for i in 1..4 {
        for j in 1..5 {
            for k in 1..6 {
                assert_eq!(out[[i, j, k]], 6);
            }
        }
    }
}
