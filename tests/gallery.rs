//! The README's gallery: the scene and the kernels that `scripts/gallery.sh`
//! runs do what the gallery says, on small arrays, with both engines.

use ndarray::{Array2, ArrayD, Ix2};
use stn::{Element, Engine, Options, Program};

fn program(name: &str) -> Program {
    Program::from_path(format!("{}/examples/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Runs kernel `name` of `p` with both engines, asserts they agree, and
/// returns the 2-D result.
fn both<T: Element, U: Element + PartialEq + std::fmt::Debug>(
    p: &Program,
    name: Option<&str>,
    x: &Array2<T>,
    opts: Options,
) -> Array2<U> {
    let k = p.kernel(name).unwrap();
    let a: ArrayD<U> = k
        .apply_as::<U, _, _>(&[x.view()], &opts.clone().engine(Engine::Jit))
        .unwrap()
        .into_dyn();
    let b: ArrayD<U> = k
        .apply_as::<U, _, _>(&[x.view()], &opts.engine(Engine::Interpreter))
        .unwrap()
        .into_dyn();
    assert_eq!(a, b);
    a.into_dimensionality::<Ix2>().unwrap()
}

/// `examples/gallery/scene.stn`, point by point, in Rust's wrapping i64.
fn scene_at(i: i64, j: i64, rows: i64, cols: i64) -> u8 {
    let (u, v) = (i * 256 / rows, j * 256 / cols);
    let h0 = i.wrapping_mul(73856093) ^ j.wrapping_mul(19349663);
    let h1 = (h0 ^ (h0 >> 15)).wrapping_mul(2246822519);
    let h2 = h1 ^ (h1 >> 13);
    let noise = ((h2 >> 7) & 31) - 16;
    let da = (u - 88) * (u - 88) + (v - 92) * (v - 92);
    let db = (u - 178) * (u - 178) + (v - 186) * (v - 186);
    let base = if da <= 52 * 52 {
        210
    } else if db <= 34 * 34 {
        20
    } else if db <= 46 * 46 {
        235
    } else if (156..228).contains(&u) && (20..112).contains(&v) {
        160
    } else if (16..40).contains(&u) && (150..244).contains(&v) {
        120
    } else {
        30 + v / 4 + u / 8
    };
    (base + noise).clamp(0, 255) as u8
}

/// The scene at `rows` x `cols`, drawn by stn.
fn scene(rows: usize, cols: usize) -> Array2<u8> {
    let zeros = Array2::<u8>::zeros((rows, cols));
    both(&program("gallery/scene.stn"), None, &zeros, Options::new())
}

#[test]
fn the_scene_has_its_shapes_and_noise_at_any_size() {
    for (rows, cols) in [(64, 64), (48, 80)] {
        let s = scene(rows, cols);
        let want = Array2::from_shape_fn((rows, cols), |(i, j)| {
            scene_at(i as i64, j as i64, rows as i64, cols as i64)
        });
        assert_eq!(s, want, "{rows}x{cols}");
    }
    // At 64x64 the layout grid is 4x the pixel grid. The centre of the
    // bright disc is 210 plus noise in -16..15, and the noise is spread.
    let s = scene(64, 64);
    let disc: Vec<u8> = (16..29)
        .flat_map(|i| (17..30).map(move |j| (i, j)))
        .map(|(i, j)| s[[i, j]])
        .collect();
    assert!(disc.iter().all(|&v| (194..=225).contains(&v)), "{disc:?}");
    let mut levels = disc.clone();
    levels.sort();
    levels.dedup();
    assert!(levels.len() >= 20, "{levels:?}");
    // One point in each region: dark disc, ring, rectangle, bar, background.
    for ((i, j), base) in [
        ((44, 46), 20),
        ((54, 46), 235),
        ((48, 16), 160),
        ((7, 48), 120),
        ((2, 2), 33),
    ] {
        let v = i32::from(s[[i, j]]);
        assert!((base - 16..base + 16).contains(&v), "({i}, {j}): {v}");
    }
}

#[test]
fn sobel_is_zero_on_flat_ground_and_saturates_on_a_step() {
    let sobel = program("gallery/edges.stn");
    // A step from 0 to 255 between columns 7 and 8: |gx| = 4 * 255, halved
    // is over 255 and must saturate, not wrap.
    let step = Array2::from_shape_fn((12, 16), |(_, j)| if j < 8 { 0u8 } else { 255 });
    let e: Array2<u8> = both(&sobel, None, &step, Options::new());
    for ((_, j), &v) in e.indexed_iter() {
        let want = if j == 7 || j == 8 { 255 } else { 0 };
        assert_eq!(v, want, "column {j}");
    }
    // A disc of 200 on 50: zero wherever the 3x3 neighbourhood is flat
    // (with `nearest` edges), large on the rim.
    let n = 32;
    let inside = |i: i64, j: i64| (i - 15) * (i - 15) + (j - 16) * (j - 16) <= 64;
    let disc = Array2::from_shape_fn((n, n), |(i, j)| {
        if inside(i as i64, j as i64) {
            200u8
        } else {
            50
        }
    });
    let e: Array2<u8> = both(&sobel, None, &disc, Options::new());
    let clamp = |k: i64| k.clamp(0, n as i64 - 1) as usize;
    let mut rim = 0;
    for ((i, j), &v) in e.indexed_iter() {
        let (i, j) = (i as i64, j as i64);
        let centre = disc[[i as usize, j as usize]];
        let flat =
            (-1..=1).all(|di| (-1..=1).all(|dj| disc[[clamp(i + di), clamp(j + dj)]] == centre));
        if flat {
            assert_eq!(v, 0, "({i}, {j})");
        } else {
            rim += 1;
        }
    }
    assert!(rim > 40, "{rim}");
    for (i, j) in [(7, 16), (23, 16), (15, 8), (15, 24)] {
        assert!(e[[i, j]] > 100, "({i}, {j}): {}", e[[i, j]]);
    }
}

/// One generation of Conway's life on a torus.
fn life_step(b: &Array2<u8>) -> Array2<u8> {
    let (r, c) = b.dim();
    Array2::from_shape_fn((r, c), |(i, j)| {
        let mut n = 0;
        for di in [r - 1, 0, 1] {
            for dj in [c - 1, 0, 1] {
                if (di, dj) != (0, 0) {
                    n += b[[(i + di) % r, (j + dj) % c]];
                }
            }
        }
        u8::from(n == 3 || (b[[i, j]] == 1 && n == 2))
    })
}

#[test]
fn life_runs_on_a_board_made_from_the_scene() {
    let cells = program("gallery/cells.stn");
    let s = scene(48, 48);
    let board: Array2<u8> = both(&cells, Some("board"), &s, Options::new());
    // Live exactly where the scene is bright (>= 141) and odd.
    assert_eq!(board, s.mapv(|v| u8::from(v >= 141 && v % 2 == 1)));
    let live = board.iter().filter(|&&v| v == 1).count();
    assert!(live > 100, "{live}");

    let steps = 12;
    let later: Array2<u8> = both(
        &program("life.stn"),
        None,
        &board,
        Options::new().steps(steps),
    );
    let mut want = board.clone();
    for _ in 0..steps {
        want = life_step(&want);
    }
    assert_eq!(later, want);
    assert!(later.iter().all(|&v| v <= 1));
    assert_ne!(later, board);

    let shown: Array2<u8> = both(&cells, Some("show"), &later, Options::new());
    assert_eq!(shown, later.mapv(|v| v * 255));
}

#[test]
fn heat_spreads_the_bright_shapes_and_keeps_their_heat() {
    let temperature = program("gallery/temperature.stn");
    let s = scene(40, 40);
    let hot: Array2<f64> = both(&temperature, Some("hot"), &s, Options::new());
    assert_eq!(hot, s.mapv(|v| if v >= 141 { 255.0 } else { 0.0 }));
    let total = hot.sum();
    assert!(total > 100.0 * 255.0, "{total}");

    let u: Array2<f64> = both(
        &program("heat.stn"),
        None,
        &hot,
        Options::new().param("alpha", 0.2).steps(30),
    );
    // Insulating (`nearest`) walls keep the heat; with alpha <= 1/4 every
    // new value is a weighted mean of old ones, so it stays in 0..=255.
    assert!(
        (u.sum() - total).abs() < 1e-9 * total,
        "{} {total}",
        u.sum()
    );
    assert!(u.iter().all(|&v| (0.0..=255.0).contains(&v)));
    // Heat reached cold points and left hot ones.
    assert!(hot.iter().zip(&u).any(|(&h, &v)| h == 0.0 && v > 1.0));
    assert!(hot.iter().zip(&u).any(|(&h, &v)| h == 255.0 && v < 254.0));

    let grey: Array2<u8> = both(&temperature, Some("grey"), &u, Options::new());
    assert_eq!(
        grey,
        u.mapv(|v| v.round_ties_even().clamp(0.0, 255.0) as u8)
    );
}
