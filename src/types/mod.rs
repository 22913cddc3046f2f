//! Dtypes, scalar values and their semantics, and the checker that types a
//! kernel for one dtype signature.

pub mod check;
pub mod dtype;
pub mod module;
pub mod ops;
pub mod promote;
pub mod scalar;
pub mod typed;
