//! stn: a JIT-compiling stencil language.

pub mod diag;
pub mod ir;
pub mod rt;
pub mod syntax;
pub mod types;
pub mod codegen;
pub mod exec;
pub mod array;
pub mod interp;
pub mod error;
pub mod io;
pub mod program;
pub mod run;
