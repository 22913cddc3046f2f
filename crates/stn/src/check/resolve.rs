//! The one scoped pass: a file's syntax tree resolved. Every definition,
//! every use of a name and the definition it resolves to, and where each
//! definition can be seen. Lint (unused names), the name checks, the
//! language server (definitions, references, hover, highlighting,
//! completion) read it; nothing else walks scopes.
//!
//! Scoping follows the checker: kernels and consts are seen file-wide,
//! parameters in their kernel, a `let` after its statement to the end of
//! its block (nested blocks included), a reduction variable after its
//! range to the end of the reduction. A use resolves to the innermost
//! definition of its name that it can see; uses of builtins, reductions,
//! dtypes and modes are recorded too, so that hover and highlighting know
//! every identifier the tree has.

use crate::base::diag::Span;
use crate::base::dtype::DType;
use crate::check::builtins;
use crate::syntax::ast::{self, ExprKind, Item};

/// What a definition defines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    Kernel,
    Const,
    /// An array parameter.
    Input,
    /// A scalar parameter (`name: dtype`).
    Param,
    /// A `let` of a value.
    Let,
    /// A `let` naming a stage's output (`let b = blur_x(x);`).
    Stage,
    /// A reduction variable (`i in -1..=1`).
    RangeVar,
}

/// One definition.
#[derive(Clone, Debug)]
pub struct Symbol {
    pub name: String,
    pub kind: SymbolKind,
    /// The defining identifier.
    pub def: Span,
    /// Where the name can be used.
    pub visible: Span,
    /// The kernel it belongs to (index into the file's kernels), if any.
    pub kernel: Option<usize>,
    /// The whole defining construct: the `let` statement, the range, the
    /// parameter, the item.
    pub decl: Span,
}

/// What an identifier in the text is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The definition of symbol `n`.
    Def(usize),
    /// A use of symbol `n`.
    Ref(usize),
    /// A builtin function.
    Builtin,
    /// A reduction (`sum`, `median`, ...).
    Reduction,
    /// A dtype (a parameter's, an output's, a cast).
    DType,
    /// A boundary mode.
    Mode,
    /// A name nothing defines.
    Unknown,
}

/// One identifier of the text and what it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Occurrence {
    pub span: Span,
    pub role: Role,
}

/// Definitions and identifiers of one file.
#[derive(Clone, Debug, Default)]
pub struct Resolved {
    pub symbols: Vec<Symbol>,
    /// Every identifier, sorted by position.
    pub occurrences: Vec<Occurrence>,
    /// The kernels' definitions, in file order (kernel index -> symbol).
    pub kernels: Vec<usize>,
}

impl Resolved {
    /// Resolves `file` (of a text of `len` bytes): every name, as the
    /// language scopes it.
    pub fn build(file: &ast::File, len: usize) -> Resolved {
        let mut b = Builder {
            index: Resolved::default(),
            scopes: Vec::new(),
            kernel: None,
        };
        let whole = Span::new(0, len);
        // Items first, so that a use before the definition resolves.
        for item in &file.items {
            match item {
                Item::Const(c) => {
                    b.define(&c.name, SymbolKind::Const, whole, c.span);
                }
                Item::Kernel(k) => {
                    let id = b.define(&k.name, SymbolKind::Kernel, whole, k.span);
                    b.index.kernels.push(id);
                }
            }
        }
        let file_scope = b.scopes.clone();
        for item in &file.items {
            b.scopes.clone_from(&file_scope);
            match item {
                Item::Const(c) => b.expr(&c.value),
                Item::Kernel(k) => b.kernel(k),
            }
        }
        b.index
            .occurrences
            .sort_by_key(|o| (o.span.start, o.span.end));
        b.index
    }

    /// The identifier at byte `offset` (touching it on either side).
    pub fn at(&self, offset: usize) -> Option<Occurrence> {
        let i = self.occurrences.partition_point(|o| o.span.end < offset);
        self.occurrences[i..]
            .iter()
            .take_while(|o| o.span.start <= offset)
            .copied()
            .next()
    }

    /// The symbol an occurrence defines or uses.
    pub fn symbol_of(&self, o: Occurrence) -> Option<usize> {
        match o.role {
            Role::Def(s) | Role::Ref(s) => Some(s),
            _ => None,
        }
    }

    /// The uses of symbol `s`.
    pub fn references(&self, s: usize) -> impl Iterator<Item = Span> + '_ {
        self.occurrences
            .iter()
            .filter(move |o| o.role == Role::Ref(s))
            .map(|o| o.span)
    }

    /// The symbols visible at `offset`, innermost first, each name once.
    pub fn visible_at(&self, offset: usize) -> Vec<&Symbol> {
        let mut seen: Vec<&Symbol> = self
            .symbols
            .iter()
            .filter(|s| s.visible.start <= offset && offset <= s.visible.end)
            .collect();
        seen.sort_by_key(|s| s.visible.end - s.visible.start);
        let mut out: Vec<&Symbol> = Vec::new();
        for s in seen {
            if !out.iter().any(|o| o.name == s.name) {
                out.push(s);
            }
        }
        out
    }

    /// The symbol the identifier at `span` defines or uses, if any.
    pub fn symbol_at(&self, span: Span) -> Option<usize> {
        let i = self
            .occurrences
            .partition_point(|o| o.span.start < span.start);
        (self.occurrences[i..].iter())
            .take_while(|o| o.span.start == span.start)
            .find(|o| o.span == span)
            .and_then(|&o| self.symbol_of(o))
    }

    /// The innermost definition of `name` among `scopes`.
    fn resolve(&self, scopes: &[usize], name: &str) -> Option<usize> {
        scopes
            .iter()
            .rev()
            .copied()
            .find(|&s| self.symbols[s].name == name)
    }
}

/// Walks the tree with the stack of definitions in scope.
struct Builder {
    index: Resolved,
    /// Symbols in scope, innermost last.
    scopes: Vec<usize>,
    kernel: Option<usize>,
}

impl Builder {
    fn define(&mut self, name: &ast::Ident, kind: SymbolKind, visible: Span, decl: Span) -> usize {
        let id = self.index.symbols.len();
        self.index.symbols.push(Symbol {
            name: name.name.clone(),
            kind,
            def: name.span,
            visible,
            kernel: self.kernel,
            decl,
        });
        self.index.occurrences.push(Occurrence {
            span: name.span,
            role: Role::Def(id),
        });
        self.scopes.push(id);
        id
    }

    fn mark(&mut self, span: Span, role: Role) {
        self.index.occurrences.push(Occurrence { span, role });
    }

    /// A use of `name`: a definition in scope, else whatever else the name
    /// can be (a function's name is looked up by `func`).
    fn use_name(&mut self, name: &str, span: Span) {
        let role = match self.index.resolve(&self.scopes, name) {
            Some(s) => Role::Ref(s),
            None => Role::Unknown,
        };
        self.mark(span, role);
    }

    fn kernel(&mut self, k: &ast::KernelDef) {
        self.kernel = self
            .index
            .kernels
            .iter()
            .position(|&s| self.index.symbols[s].def == k.name.span);
        for p in &k.params {
            let kind = match &p.dtype {
                Some(d) => {
                    self.mark(d.span, Role::DType);
                    SymbolKind::Param
                }
                None => SymbolKind::Input,
            };
            self.define(&p.name, kind, k.span, p.span);
        }
        if let Some(out) = &k.output {
            for t in out.types.iter().filter(|t| t.name != "_") {
                self.mark(t.span, Role::DType);
            }
        }
        if let Some(m) = &k.boundary {
            self.mark(m.span, Role::Mode);
        }
        self.block(&k.body);
        self.kernel = None;
    }

    fn block(&mut self, b: &ast::Block) {
        let depth = self.scopes.len();
        for l in &b.lets {
            self.expr(&l.value);
            let stage = matches!(&l.value.kind, ExprKind::Call { func, .. }
                if self.index.resolve(&self.scopes, &func.name)
                    .is_some_and(|s| self.index.symbols[s].kind == SymbolKind::Kernel));
            let kind = if stage {
                SymbolKind::Stage
            } else {
                SymbolKind::Let
            };
            let visible = Span::new(l.span.end, b.span.end);
            for n in l.names.iter().filter(|n| n.name != "_") {
                self.define(n, kind, visible, l.span);
            }
        }
        self.expr(&b.value);
        self.scopes.truncate(depth);
    }

    fn expr(&mut self, e: &ast::Expr) {
        match &e.kind {
            ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_) => {}
            ExprKind::Name(n) => self.use_name(n, e.span),
            ExprKind::Index { base, indices } => {
                self.use_name(&base.name, base.span);
                indices.iter().for_each(|i| self.expr(i));
            }
            ExprKind::Unary { .. } | ExprKind::Binary { .. } => {
                e.for_each_child(&mut |c| self.expr(c));
            }
            ExprKind::If { cond, .. } => {
                self.expr(cond);
                for b in e.blocks() {
                    self.block(b);
                }
            }
            ExprKind::Call { func, args } => {
                self.func(func);
                args.iter().for_each(|a| self.expr(a));
            }
            ExprKind::Reduce { .. } => {
                let Some(r) = e.reduction() else { return };
                let (op, args, vars, body) = (r.op, r.args, r.vars, r.body);
                let role = if builtins::is_reduction(&op.name) {
                    Role::Reduction
                } else {
                    Role::Unknown
                };
                self.mark(op.span, role);
                args.iter().for_each(|a| self.expr(a));
                let depth = self.scopes.len();
                for v in vars {
                    self.expr(&v.lo);
                    self.expr(&v.hi);
                    let visible = Span::new(v.span.end, e.span.end);
                    self.define(&v.name, SymbolKind::RangeVar, visible, v.span);
                }
                self.block(body);
                self.scopes.truncate(depth);
            }
            ExprKind::Tuple(items) | ExprKind::List(items) => {
                items.iter().for_each(|i| self.expr(i));
            }
        }
    }

    /// The name of a call: a kernel (a stage), a builtin or a cast.
    fn func(&mut self, func: &ast::Ident) {
        let name = func.name.as_str();
        if let Some(s) = self.index.resolve(&self.scopes, name)
            && self.index.symbols[s].kind == SymbolKind::Kernel
        {
            self.mark(func.span, Role::Ref(s));
        } else if builtins::builtin(name).is_some() {
            self.mark(func.span, Role::Builtin);
        } else if DType::from_name(name).is_some() {
            self.mark(func.span, Role::DType);
        } else {
            self.use_name(name, func.span);
        }
    }
}
