//! The checker: a parsed file resolved (consts, kernel signatures, stage
//! `let`s), and each kernel typed for one signature of input dtypes.

pub mod builtins;
pub mod eval;
pub mod front;
pub mod kernel;
pub mod lint;
pub mod module;
pub mod names;
pub mod promote;
pub mod resolve;
pub mod stages;
pub mod ty;
pub mod typed;
