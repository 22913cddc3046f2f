//! stn: a JIT-compiling stencil language.
//!
//! A kernel is written once, without dtypes, in a `.stn` file or string,
//! and called on `ndarray` arrays of any dtype and any number of leading
//! ("loop") axes:
//!
//! ```
//! use ndarray::Array2;
//! use stn::{DType, Mode, Options, Program};
//!
//! let program = Program::from_source("inline.stn", "kernel k(x) { x[0, -1] + x[0, 1] }")?;
//! let k = program.kernel(Some("k"))?;
//! let x = Array2::<i16>::from_shape_fn((2, 4), |(i, j)| (10 * i + j) as i16);
//! // The first call with i16 input type-checks and JIT-compiles; later calls reuse it.
//! let y = k.apply(&[x.view()], &Options::new())?;
//! // Default boundary `fill`: points whose neighbourhood leaves the array get cval 0.
//! assert_eq!(y, ndarray::arr2(&[[0, 2, 4, 0], [0, 22, 24, 0]]));
//! // scipy.ndimage's modes, and any other option, through the builder.
//! let z = k.apply(&[x.view()], &Options::new().boundary(Mode::Nearest))?;
//! assert_eq!(z.row(0).to_vec(), vec![1, 2, 4, 5]);
//! assert_eq!(k.signatures(), vec![vec![DType::I16]]);
//! # Ok::<(), stn::Error>(())
//! ```
//!
//! The API:
//!
//! - [`Program`] is a parsed and checked file; [`Kernel`] one of its
//!   kernels, with its cache of compiled dtype signatures.
//! - [`Options`] says how to run (boundary [`Mode`], cval, parameters,
//!   threads, time steps, [`Schedule`]).
//! - [`Kernel::apply`] is the typed convenience; [`Kernel::run`] and
//!   [`Kernel::run_into`] take dtype-erased views ([`ArrayRef`],
//!   [`ArrayMut`]) of any dtype and return a [`DynArray`].
//! - [`Kernel::call`] resolves a call once ([`Call`]: the pipeline
//!   specialized, parameters bound, every stage's mode, the step schedule)
//!   for running it many times, or for asking what it would make
//!   ([`Call::out_shape`], [`Call::footprint`], [`Call::stages`]).
//! - Every failure is an [`Error`]: kernel text (with spans), usage, I/O
//!   (with the system's error as its source), or a bug in stn;
//!   [`Program::render`] shows diagnostics under their source lines.
//! - [`OutputBuffer`] is memory for new outputs that a binding hands to
//!   its own arrays (huge pages, reused from the last one dropped).
//!
//! ARCHITECTURE.md maps the pipeline inside: syntax, checker, IR, code
//! generation (Cranelift) and the reference interpreter, the executor,
//! programs and calls, formats and streaming.

#![warn(missing_docs)]

// The layers, lowest first (ARCHITECTURE.md; `tests/tidy.rs` keeps them
// true). The public API is re-exported below, the rest is reachable only
// through `internals`; modules that hold none of the public API are
// exempt from `missing_docs` (those that do are documented in full).
mod base;
#[allow(missing_docs, reason = "internal: reachable only through `internals`")]
mod bench;
#[allow(missing_docs, reason = "internal: reachable only through `internals`")]
mod check;
#[allow(missing_docs, reason = "internal: reachable only through `internals`")]
mod codegen;
#[allow(missing_docs, reason = "internal: reachable only through `internals`")]
mod exec;
#[allow(missing_docs, reason = "internal: reachable only through `internals`")]
mod interp;
mod ir;
mod program;
#[allow(missing_docs, reason = "internal: reachable only through `internals`")]
mod syntax;

pub use base::array::{ArrayMut, ArrayRef, DynArray, Element, OutputBuffer};
pub use base::broadcast::Region;
pub use base::diag::{Diagnostic, Span};
pub use base::dtype::DType;
pub use base::error::{Error, Result};
pub use base::mode::Mode;
pub use base::scalar::Scalar;
pub use ir::Footprint;
pub use program::call::{Call, StageInfo};
pub use program::options::{Caller, Context, Engine, Options, Schedule};
pub use program::{Kernel, Program, Signature};

/// The crate's insides, for the `stn` runner, the Python binding, the fuzz
/// targets, the benchmarks and the tests: not a stable API.
#[doc(hidden)]
pub mod internals {
    pub use crate::base::{
        array, broadcast, diag, dtype, error, host, mode, ops, parallel, parse, rt, scalar, stack,
        suggest,
    };
    pub use crate::check::{
        builtins, eval, front, kernel, module, names, promote, resolve, stages, ty, typed,
    };
    pub use crate::program::{
        DTYPE_SEARCH, Specialized, describe, pipeline, report, specialize, typed as typed_kernel,
    };

    /// `stn bench`.
    pub mod bench {
        pub use crate::bench::{Report, bench, median, random_array, time_copy};
    }
    /// Code generation.
    pub mod codegen {
        pub use crate::codegen::{CodegenError, Compiled, TileArgs, TileFn, abi, compile};
    }
    /// The executor.
    pub mod exec {
        pub use crate::exec::{
            Context, ExecError, Stage, Window, call, engine, execute, graph, grid, model, tile,
        };
    }
    /// The reference interpreter.
    pub mod interp {
        pub use crate::interp::{footprint, run};
    }
    /// The IR.
    pub mod ir {
        pub use crate::ir::{Footprint, Func, Inst, Op, ValueId, eval, lower, print, range};
    }
    /// The parser.
    pub mod syntax {
        pub use crate::syntax::{MAX_DEPTH, MAX_SOURCE_BYTES, ast, dump, fmt, lexer, parse, token};
    }
}
