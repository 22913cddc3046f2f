//! stn: a JIT-compiling stencil language.

pub mod diag;
pub mod ir;
pub mod rt;
pub mod syntax;
pub mod types;
pub mod exec;
