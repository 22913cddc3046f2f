//! Embedding stn in a Rust program: compile a kernel from a string, run it
//! on an `ndarray` array, look at the specialization cache.
//!
//! Run with `cargo run --example embed`.

use ndarray::{Array2, Array3};
use stn::array::{ArrayMut, ArrayRef};
use stn::exec::boundary::Mode;
use stn::program::Program;
use stn::run::RunOptions;

const SOURCE: &str = "
kernel smooth(x) {
    (x[-1, -1] + x[-1, 0] + x[-1, 1] +
     x[ 0, -1] + x[ 0, 0] + x[ 0, 1] +
     x[ 1, -1] + x[ 1, 0] + x[ 1, 1]) // 9
}

kernel scale(x, k: f32) -> f32 { x[0, 0] * k }
";

fn main() -> Result<(), stn::error::Error> {
    let program = Program::from_source("inline.stn", SOURCE)?;
    let smooth = program.kernel(Some("smooth"))?;

    // Typed convenience: int8 in, int8 out, with a leading loop axis.
    let frames = Array3::<i8>::from_shape_fn((2, 5, 6), |(f, i, j)| (f * 30 + i * 6 + j) as i8);
    let out: ndarray::ArrayD<i8> = smooth.apply(&[frames.view()], &RunOptions::default())?;
    println!(
        "smooth, fill with cval 0:\n{}",
        out.index_axis(ndarray::Axis(0), 0)
    );

    // Other dtypes compile new specializations; the cache shows which exist.
    let f = Array2::<f64>::from_shape_fn((4, 4), |(i, j)| (i * 4 + j) as f64);
    let opts = RunOptions::default().boundary(Mode::Reflect);
    let g: ndarray::ArrayD<f64> = smooth.apply(&[f.view()], &opts)?;
    println!("smooth on f64 with reflect:\n{g}");
    println!("compiled signatures of `smooth`: {:?}", smooth.signatures());

    // The dtype-erased form, writing into a caller's (transposed) buffer.
    let scale = program.kernel(Some("scale"))?;
    let x = Array2::<u16>::from_shape_fn((3, 4), |(i, j)| (i * 10 + j) as u16);
    let mut y = Array2::<f32>::zeros((4, 3));
    let mut yt = y.view_mut().reversed_axes();
    scale.run_into(
        &[ArrayRef::new(x.view())],
        &mut ArrayMut::new(yt.view_mut()),
        &RunOptions::default().param("k", 0.5f32),
    )?;
    println!("scale(u16 -> f32) into a transposed buffer:\n{y}");
    Ok(())
}
