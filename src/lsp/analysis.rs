//! One version of one document through the front end: its diagnostics,
//! its symbol index, and on demand the loaded program that hover asks
//! for types and footprints. Every question the server answers is a
//! method here, in byte offsets; `server` converts positions.
//!
//! Nothing here panics on any text or offset: offsets past the end or
//! inside a character are clamped by the callers' conversions and again
//! here where a slice is taken.

use std::cell::OnceCell;

use crate::base::diag::{Diagnostic, Span};
use crate::check::front::{self, Front};
use crate::lsp::index::{Index, Role, SymbolKind};
use crate::program::Program;

/// A document's text and what the front end makes of it.
pub struct Analysis {
    pub text: String,
    pub front: Front,
    pub index: Index,
    /// The file loaded, when it has no errors (built on first use).
    program: OnceCell<Option<Program>>,
}

impl Analysis {
    /// Runs the front end on `text` and indexes the tree it returns.
    pub fn new(text: impl Into<String>) -> Analysis {
        let text = text.into();
        let front = front::analyze(&text);
        let index = Index::build(&front.ast, text.len());
        Analysis {
            text,
            front,
            index,
            program: OnceCell::new(),
        }
    }

    /// Every error and warning, in source order.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.front.diagnostics
    }

    /// The file as `stn run` loads it; `None` while it has errors.
    pub fn program(&self) -> Option<&Program> {
        self.program
            .get_or_init(|| {
                if self.front.has_errors() {
                    return None;
                }
                Program::from_source("document.stn", &self.text).ok()
            })
            .as_ref()
    }

    /// The definition of the name at `offset`.
    pub fn definition(&self, offset: usize) -> Option<Span> {
        let o = self.index.at(offset)?;
        let s = self.index.symbol_of(o)?;
        Some(self.index.symbols[s].def)
    }

    /// Every use of the name at `offset`, and its definition first when
    /// `declaration` is set.
    pub fn references(&self, offset: usize, declaration: bool) -> Vec<Span> {
        let Some(s) = self.index.at(offset).and_then(|o| self.index.symbol_of(o)) else {
            return Vec::new();
        };
        let def = declaration.then_some(self.index.symbols[s].def);
        def.into_iter().chain(self.index.references(s)).collect()
    }

    /// The kernel (index in file order) whose text holds `offset`.
    pub fn kernel_at(&self, offset: usize) -> Option<usize> {
        (self.index.kernels.iter()).position(|&s| {
            let d = self.index.symbols[s].decl;
            d.start <= offset && offset <= d.end
        })
    }

    /// The text of `span`, or nothing when it is not a slice of the text.
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.start..span.end).unwrap_or_default()
    }

    /// Whether the name at `offset` is a kernel (its definition or a stage
    /// call), and which.
    pub fn kernel_named_at(&self, offset: usize) -> Option<usize> {
        let o = self.index.at(offset)?;
        let s = self.index.symbol_of(o)?;
        if self.index.symbols[s].kind != SymbolKind::Kernel {
            return None;
        }
        self.index.kernels.iter().position(|&k| k == s)
    }

    /// Identifiers of the text with what each is, in order; from the tree.
    pub fn roles(&self) -> impl Iterator<Item = (Span, Role)> + '_ {
        self.index.occurrences.iter().map(|o| (o.span, o.role))
    }
}
