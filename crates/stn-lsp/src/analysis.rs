//! One version of one document through the front end: its diagnostics,
//! its symbol index, and on demand the loaded program that hover asks
//! for types and footprints. Every question the server answers is a
//! method here, in byte offsets; `server` converts positions.
//!
//! Nothing here panics on any text or offset: offsets past the end or
//! inside a character are clamped by the callers' conversions and again
//! here where a slice is taken.

use std::cell::OnceCell;

use crate::index::{Index, Role, SymbolKind};
use stn::internals::diag::{Diagnostic, Span};
use stn::internals::front::{self, Front};
use stn::internals::report;
use stn::{Kernel, Program};

/// A document's text and what the front end makes of it.
pub struct Analysis {
    pub text: String,
    pub front: Front,
    /// The file's kernels, typed kernel by kernel: those that no error
    /// keeps from it (`Kernel::is_broken`).
    program: Program,
    /// Every error and warning: the front end's, then the dtype errors of
    /// the kernels it leaves whole, as `stn check` reports them (built on
    /// first use).
    diagnostics: OnceCell<Vec<Diagnostic>>,
}

impl Analysis {
    /// Runs the front end on `text` and indexes the tree it returns.
    pub fn new(text: impl Into<String>) -> Analysis {
        let text = text.into();
        let front = front::analyze(&text);
        let program = Program::partial("document.stn", &text, front.clone());
        Analysis {
            text,
            front,
            program,
            diagnostics: OnceCell::new(),
        }
    }

    /// Every error and warning, in source order.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        self.diagnostics.get_or_init(|| {
            let mut all = self.front.diagnostics.clone();
            // An internal error while checking dtypes shows as nothing
            // more; `stn check` reports it.
            all.extend(report::dtype_errors(&self.program).unwrap_or_default());
            all.sort_by_key(|d| (d.span.start, d.span.end));
            all
        })
    }

    /// The text's names as the checker resolves them (`check::resolve`).
    pub fn index(&self) -> &Index {
        &self.front.resolved
    }

    /// The file's kernel called `name`, when no error keeps it from being
    /// typed.
    pub fn kernel(&self, name: &str) -> Option<&Kernel> {
        (self.program.kernels().iter()).find(|k| k.name() == name && !k.is_broken())
    }

    /// The definition of the name at `offset`.
    pub fn definition(&self, offset: usize) -> Option<Span> {
        let o = self.index().at(offset)?;
        let s = self.index().symbol_of(o)?;
        Some(self.index().symbols[s].def)
    }

    /// Every use of the name at `offset`, and its definition first when
    /// `declaration` is set.
    pub fn references(&self, offset: usize, declaration: bool) -> Vec<Span> {
        let Some(s) = self
            .index()
            .at(offset)
            .and_then(|o| self.index().symbol_of(o))
        else {
            return Vec::new();
        };
        let def = declaration.then_some(self.index().symbols[s].def);
        def.into_iter().chain(self.index().references(s)).collect()
    }

    /// The kernel (index in file order) whose text holds `offset`.
    pub fn kernel_at(&self, offset: usize) -> Option<usize> {
        (self.index().kernels.iter()).position(|&s| {
            let d = self.index().symbols[s].decl;
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
        let o = self.index().at(offset)?;
        let s = self.index().symbol_of(o)?;
        if self.index().symbols[s].kind != SymbolKind::Kernel {
            return None;
        }
        self.index().kernels.iter().position(|&k| k == s)
    }

    /// Identifiers of the text with what each is, in order; from the tree.
    pub fn roles(&self) -> impl Iterator<Item = (Span, Role)> + '_ {
        self.index().occurrences.iter().map(|o| (o.span, o.role))
    }
}
