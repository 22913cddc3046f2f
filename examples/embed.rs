//! Embedding stn in a Rust program: compile a kernel from a string, run it
//! on an `ndarray` array, look at the specialization cache.
//!
//! Run with `cargo run --example embed`.

use ndarray::{Array2, Array3};
use stn::{ArrayMut, ArrayRef, Mode, Options, Program};

const SOURCE: &str = "
kernel smooth(x) {
    (x[-1, -1] + x[-1, 0] + x[-1, 1] +
     x[ 0, -1] + x[ 0, 0] + x[ 0, 1] +
     x[ 1, -1] + x[ 1, 0] + x[ 1, 1]) // 9
}

kernel scale(x, k: f32) -> f32 { x[0, 0] * k }
";

fn main() -> Result<(), stn::Error> {
    let program = Program::from_source("inline.stn", SOURCE)?;
    let smooth = program.kernel(Some("smooth"))?;

    // Typed convenience: int8 in, int8 out, with a leading loop axis.
    let frames = Array3::<i8>::from_shape_fn((2, 5, 6), |(f, i, j)| (f * 30 + i * 6 + j) as i8);
    let out = smooth.apply(&[frames.view()], &Options::new())?; // an Array3<i8>
    println!(
        "smooth, fill with cval 0:\n{}",
        out.index_axis(ndarray::Axis(0), 0)
    );

    // Other dtypes compile new specializations; the cache shows which exist.
    let f = Array2::<f64>::from_shape_fn((4, 4), |(i, j)| (i * 4 + j) as f64);
    let opts = Options::new().boundary(Mode::Reflect);
    let g = smooth.apply(&[f.view()], &opts)?;
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
        &Options::new().param("k", 0.5f32),
    )?;
    println!("scale(u16 -> f32) into a transposed buffer:\n{y}");

    // A call resolved once and run many times: what it makes is known
    // before it runs.
    let call = smooth.call(&[ArrayRef::new(frames.view())], &Options::new())?;
    println!(
        "smooth on {:?} int8: {:?} {:?}, footprint {:?}..={:?}",
        frames.shape(),
        call.out_dtypes(),
        call.out_shape(),
        call.footprint().lo,
        call.footprint().hi
    );
    for _ in 0..3 {
        call.run(&[ArrayRef::new(frames.view())])?;
    }
    Ok(())
}
