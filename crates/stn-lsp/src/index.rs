//! The symbol index of one file: the checker's resolved tree
//! (`check::resolve`), and what a bare word is where no tree says it.

use stn::internals::builtins;
use stn::internals::dtype::DType;
use stn::internals::mode::Mode;
pub use stn::internals::resolve::{Occurrence, Resolved as Index, Role, Symbol, SymbolKind};

/// What a bare word is when no tree says it: for highlighting and
/// completion in a file that does not parse.
pub fn classify_word(word: &str) -> Role {
    if builtins::builtin(word).is_some() {
        Role::Builtin
    } else if builtins::is_reduction(word) {
        Role::Reduction
    } else if DType::from_name(word).is_some() {
        Role::DType
    } else if Mode::from_name(word).is_some() {
        Role::Mode
    } else {
        Role::Unknown
    }
}
