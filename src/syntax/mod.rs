//! The front end: text to syntax tree.
pub mod ast;
