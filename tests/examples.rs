//! The README's tour: every example kernel does what its comment says.

use ndarray::{Array2, Array3, ArrayD};
use stn::{Engine, Options, Program};

fn kernel(name: &str) -> Program {
    Program::from_path(format!("{}/examples/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Runs with both engines, asserts they agree, returns the result.
fn both<T: stn::Element + PartialEq + std::fmt::Debug>(
    p: &Program,
    x: ArrayD<T>,
    opts: Options,
) -> ArrayD<T> {
    let k = p.kernel(None).unwrap();
    let a: ArrayD<T> = k
        .apply_as::<T, _, _>(&[x.view()], &opts.clone().engine(Engine::Jit))
        .unwrap()
        .into_dyn();
    let b: ArrayD<T> = k
        .apply_as::<T, _, _>(&[x.view()], &opts.engine(Engine::Interpreter))
        .unwrap()
        .into_dyn();
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
    let after4 = both(&life, board.clone().into_dyn(), Options::new().steps(4));
    let mut moved = Array2::<u8>::zeros((6, 7));
    for (i, j) in [(0, 1), (1, 2), (2, 0), (2, 1), (2, 2)] {
        moved[[(i + 1) % 6, (j + 1) % 7]] = 1;
    }
    assert_eq!(after4, moved.into_dyn());
    let around = both(
        &life,
        board.clone().into_dyn(),
        Options::new().steps(4 * 42),
    );
    assert_eq!(around, board.into_dyn());
}

#[test]
fn gaussian_keeps_constants_and_blurs_a_point() {
    let g = kernel("gaussian.stn");
    let flat = both(
        &g,
        Array2::<f64>::from_elem((5, 6), 7.0).into_dyn(),
        Options::new(),
    );
    assert!(flat.iter().all(|&v| v == 7.0));
    let mut dot = Array2::<u16>::zeros((9, 9));
    dot[[4, 4]] = 256;
    let blurred = both(&g, dot.into_dyn(), Options::new());
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
        Options::new().param("alpha", 0.25).steps(20),
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
    let out = both(&lap, u.into_dyn(), Options::new());
    for i in 1..4 {
        for j in 1..5 {
            for k in 1..6 {
                assert_eq!(out[[i, j, k]], 6);
            }
        }
    }
}

/// Runs kernel `name` of `p` fused, stepwise and with the interpreter;
/// asserts they agree and returns the result.
fn pipeline<
    T: stn::Element + PartialEq + std::fmt::Debug,
    U: stn::Element + PartialEq + std::fmt::Debug,
>(
    p: &Program,
    name: &str,
    x: ArrayD<T>,
    opts: Options,
) -> ArrayD<U> {
    use stn::Schedule;
    let k = p.kernel(Some(name)).unwrap();
    let fused: ArrayD<U> = k
        .apply_as::<U, _, _>(&[x.view()], &opts)
        .unwrap()
        .into_dyn();
    let stepwise: ArrayD<U> = k
        .apply_as::<U, _, _>(&[x.view()], &opts.clone().schedule(Schedule::Stepwise))
        .unwrap()
        .into_dyn();
    let interp: ArrayD<U> = k
        .apply_as::<U, _, _>(&[x.view()], &opts.engine(Engine::Interpreter))
        .unwrap()
        .into_dyn();
    assert_eq!(fused, stepwise);
    assert_eq!(fused, interp);
    fused
}

#[test]
fn the_two_stage_blur_keeps_constants_and_spreads_a_point() {
    let p = kernel("blur.stn");
    let flat: ArrayD<u16> = pipeline(
        &p,
        "blur",
        Array2::<u16>::from_elem((7, 9), 900).into_dyn(),
        Options::new(),
    );
    assert!(flat.iter().all(|&v| v == 900));
    let mut dot = Array2::<u16>::zeros((7, 9));
    dot[[3, 4]] = 900;
    let out: ArrayD<u16> = pipeline(&p, "blur", dot.into_dyn(), Options::new());
    // 900 // 3 // 3 over the 3x3 box around the point, 0 elsewhere.
    for ((i, j), &v) in out
        .into_dimensionality::<ndarray::Ix2>()
        .unwrap()
        .indexed_iter()
    {
        let inside = (2..=4).contains(&i) && (3..=5).contains(&j);
        assert_eq!(v, if inside { 100 } else { 0 }, "({i}, {j})");
    }
}

#[test]
fn unsharp_keeps_flat_images_and_steepens_an_edge() {
    let p = kernel("unsharp.stn");
    let opts = Options::new().param("amount", 1.0f32);
    let flat: ArrayD<f32> = pipeline(
        &p,
        "unsharp",
        Array2::<u8>::from_elem((6, 8), 50).into_dyn(),
        opts.clone(),
    );
    assert!(flat.iter().all(|&v| v == 50.0));
    // A step from 0 to 100 between columns 3 and 4: sharpening overshoots
    // on both sides of the edge and leaves flat parts alone.
    let step = Array2::from_shape_fn((6, 8), |(_, j)| if j < 4 { 0u8 } else { 100 });
    let out: ArrayD<f32> = pipeline(&p, "unsharp", step.into_dyn(), opts);
    let row: Vec<f32> = (0..8).map(|j| out[[2, j]]).collect();
    assert_eq!(row, vec![0.0, 0.0, 0.0, -25.0, 125.0, 100.0, 100.0, 100.0]);
}

#[test]
fn sobel_of_a_ramp_is_its_slope_times_eight() {
    let p = kernel("sobel.stn");
    // x = 3 j: the x derivative (1 2 1 weights, central difference) is 24
    // inside; the y derivative is 0.
    let ramp = Array2::from_shape_fn((5, 7), |(_, j)| (3 * j) as i16);
    let out: ArrayD<f32> = pipeline(&p, "sobel", ramp.into_dyn(), Options::new());
    for i in 0..5 {
        for j in 1..6 {
            assert_eq!(out[[i, j]], 24.0, "({i}, {j})");
        }
        // At the edges `nearest` repeats the edge column: half the slope.
        assert_eq!(out[[i, 0]], 12.0);
        assert_eq!(out[[i, 6]], 12.0);
    }
}

#[test]
fn heat_steps_fused_per_pass_equal_steps_one_by_one() {
    let heat = kernel("heat.stn");
    let u = Array2::from_shape_fn((40, 33), |(i, j)| ((i * 7 + j * 3) % 11) as f64);
    let k = heat.kernel(None).unwrap();
    let opts = Options::new().param("alpha", 0.2).steps(37);
    let fused: ArrayD<f64> = k
        .apply_as::<f64, _, _>(&[u.view()], &opts)
        .unwrap()
        .into_dyn();
    let stepwise: ArrayD<f64> = k
        .apply_as::<f64, _, _>(&[u.view()], &opts.schedule(stn::Schedule::Stepwise))
        .unwrap()
        .into_dyn();
    assert_eq!(fused, stepwise);
}
