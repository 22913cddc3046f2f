//! stn: a JIT-compiling stencil language.
//!
//! A kernel is written once, without dtypes, in a `.stn` file or string:
//!
//! ```
//! use ndarray::Array2;
//! use stn::program::Program;
//! use stn::run::RunOptions;
//!
//! let program = Program::from_source("inline.stn", "kernel k(x) { x[0, -1] + x[0, 1] }")?;
//! let k = program.kernel(None)?;
//! let x = Array2::<i16>::from_shape_fn((2, 4), |(i, j)| (10 * i + j) as i16);
//! // The first call with i16 input type-checks and JIT-compiles; later calls reuse it.
//! let y: ndarray::ArrayD<i16> = k.apply(&[x.view()], &RunOptions::default())?;
//! // Default boundary `fill`: points whose neighbourhood leaves the array get cval 0.
//! assert_eq!(y.as_slice().unwrap(), &[0, 2, 4, 0, 0, 22, 24, 0]);
//! assert_eq!(k.signatures(), vec![vec![stn::types::dtype::DType::I16]]);
//! # Ok::<(), stn::error::Error>(())
//! ```
//!
//! The pipeline, in order (see ARCHITECTURE.md): [`syntax`] parses,
//! [`types`] resolves and type-checks for one dtype signature, [`ir`] lowers,
//! [`codegen`] compiles with Cranelift, [`exec`] runs tiles in parallel.
//! [`interp`] is the reference interpreter the compiled code is tested
//! against. [`program`] and [`run`] are the public entry points.

pub mod analysis;
pub mod array;
pub mod bench;
pub mod codegen;
pub mod diag;
pub mod error;
pub mod exec;
pub mod interp;
pub mod io;
pub mod ir;
pub mod pipeline;
pub mod program;
pub mod rt;
pub mod run;
pub mod stream;
pub mod syntax;
pub mod types;

/// Runs `f` on a thread with a large stack and waits for it. The passes
/// over a kernel's tree recurse once per level (up to `syntax::MAX_DEPTH`
/// levels); a caller's thread may have as little as 2 MiB of stack, a
/// debug build needs several times that at the deepest trees, and only
/// touched pages of the stack cost memory.
pub(crate) fn on_big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    const STACK: usize = 256 << 20;
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(STACK)
            .spawn_scoped(s, f)
            .expect("the system cannot start a thread")
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}
