//! Every integration test of the runner and the library, as one test
//! binary (one link instead of one per file; `cargo test --test suite
//! lsp::` runs one file's). Each module is a file of `tests/`; the
//! files say what they test.

/// Random token soups, for the parser, formatter and language server.
#[path = "common/soup.rs"]
mod soup;

mod bad_inputs;
mod check;
mod cli;
mod codegen;
mod diagnostics;
mod differential;
mod examples;
mod fmt;
mod fpenv;
mod gallery;
mod guard;
mod images;
mod library;
mod lsp;
mod parse;
mod pipeline;
mod seed;
mod semantics;
mod stream;
mod tidy;
mod zarr;
