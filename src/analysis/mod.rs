//! Analyses of the IR that justify optimizations without changing results.

pub mod range;
