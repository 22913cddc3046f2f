//! The executor: runs a compiled kernel over n-d arrays in tiles, in parallel.
pub mod boundary;
