//! stn: a JIT-compiling stencil language.

pub mod codegen;
pub mod diag;
pub mod exec;
pub mod ir;
pub mod rt;
pub mod syntax;
pub mod types;
