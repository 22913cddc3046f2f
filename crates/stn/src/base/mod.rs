//! The shared vocabulary every other layer speaks: spans and diagnostics,
//! the error type, dtypes, scalars and the operations on them, boundary
//! modes, and the dtype-erased arrays the engine reads and writes.
//!
//! Nothing here knows about kernels or code; only `host` reads files (the
//! machine's memory and caches, and a kernel file's text).

pub mod array;
pub mod broadcast;
pub mod diag;
pub mod dtype;
pub mod error;
pub mod fpenv;
pub mod graph;
#[allow(missing_docs, reason = "internal: reachable only through `internals`")]
pub mod host;
pub mod mode;
#[allow(missing_docs, reason = "internal: reachable only through `internals`")]
pub mod ops;
#[allow(missing_docs, reason = "internal: reachable only through `internals`")]
pub mod parallel;
#[allow(missing_docs, reason = "internal: reachable only through `internals`")]
pub mod parse;
#[allow(missing_docs, reason = "internal: reachable only through `internals`")]
pub mod rt;
pub mod scalar;
#[allow(missing_docs, reason = "internal: reachable only through `internals`")]
pub mod stack;
pub mod suggest;
