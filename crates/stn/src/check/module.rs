//! A parsed file resolved at the top level: consts evaluated, kernels found.
//!
//! Everything here is independent of dtypes: duplicate names, param and
//! output dtype names, boundary mode names, and the values of `const`s
//! (numbers and tables). Typing a kernel body for a dtype signature is
//! `check::check_kernel`'s job.

use std::collections::HashMap;
use std::sync::Arc;

use crate::base::diag::{Diagnostic, Span};
use crate::base::dtype::DType;
use crate::base::mode::Mode;
use crate::base::scalar::Scalar;
use crate::check::kernel::Checker;
use crate::check::promote;
use crate::check::ty::Ty;
use crate::check::typed::Table;
use crate::syntax::ast::{self, ExprKind};

/// The value of a `const`.
#[derive(Clone, Debug)]
pub enum ConstVal {
    Scalar(Scalar, Ty),
    Table(Arc<Table>),
}

/// A kernel's signature, resolved.
#[derive(Clone, Debug)]
pub struct KernelSig {
    pub name: String,
    /// Array parameters, in order.
    pub inputs: Vec<String>,
    /// Scalar parameters and their dtypes, in order.
    pub params: Vec<(String, DType)>,
    /// One per output: the dtype `->` fixes, or `None` for the default (the
    /// first array input's dtype).
    pub outputs: Vec<Option<DType>>,
    pub boundary: Option<Mode>,
    pub def: ast::KernelDef,
}

#[derive(Clone, Debug, Default)]
pub struct Module {
    pub consts: HashMap<String, ConstVal>,
    pub kernels: Vec<KernelSig>,
}

impl Module {
    pub fn kernel(&self, name: &str) -> Option<&KernelSig> {
        self.kernels.iter().find(|k| k.name == name)
    }
}

/// Resolves a file's items. Returns what it could, plus every problem found.
pub fn resolve(file: &ast::File) -> (Module, Vec<Diagnostic>) {
    let mut module = Module::default();
    let mut diags = Vec::new();
    let mut seen: HashMap<String, Span> = HashMap::new();
    let mut first_def = |name: &ast::Ident, diags: &mut Vec<Diagnostic>| {
        if let Some(prev) = seen.get(&name.name) {
            diags.push(
                Diagnostic::new(format!("`{}` is defined twice", name.name), name.span)
                    .with_label("second definition")
                    .with_related(*prev, "first defined here"),
            );
            false
        } else {
            seen.insert(name.name.clone(), name.span);
            true
        }
    };
    for item in &file.items {
        match item {
            ast::Item::Const(c) => {
                if !first_def(&c.name, &mut diags) {
                    continue;
                }
                match const_value(&module, &c.value) {
                    Ok(v) => {
                        let v = match v {
                            ConstVal::Table(t) => ConstVal::Table(Arc::new(Table {
                                name: c.name.name.clone(),
                                ..(*t).clone()
                            })),
                            s => s,
                        };
                        module.consts.insert(c.name.name.clone(), v);
                    }
                    Err(d) => diags.push(d),
                }
            }
            ast::Item::Kernel(k) => {
                if !first_def(&k.name, &mut diags) {
                    continue;
                }
                // A kernel with a mistake in its signature is kept (a
                // stand-in for each bad part), so that its body and its
                // callers are still checked; the front end marks it broken.
                let (sig, mut d) = signature(k);
                module.kernels.push(sig);
                diags.append(&mut d);
            }
        }
    }
    (module, diags)
}

fn dtype_of(name: &ast::Ident) -> Result<DType, Diagnostic> {
    DType::from_name(&name.name).ok_or_else(|| {
        let d = Diagnostic::new(format!("unknown dtype `{}`", name.name), name.span)
            .with_label("not a dtype");
        let d = d.with_suggestion(&name.name, name.span, DType::ALL.iter().map(|d| d.name()));
        d.with_note(format!("dtypes are {}", DType::all_names()))
    })
}

/// A kernel's signature, and every problem with it. A parameter of an
/// unknown dtype stands as an `f64`, a bad `->` as default dtypes and an
/// unknown mode as none: the kernel still resolves, but never runs.
fn signature(k: &ast::KernelDef) -> (KernelSig, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut inputs = Vec::new();
    let mut params = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for p in &k.params {
        if names.contains(&p.name.name.as_str()) {
            diags.push(Diagnostic::new(
                format!("parameter `{}` is declared twice", p.name.name),
                p.name.span,
            ));
            continue;
        }
        names.push(&p.name.name);
        match &p.dtype {
            None => inputs.push(p.name.name.clone()),
            Some(d) => match dtype_of(d) {
                Ok(dt) => params.push((p.name.name.clone(), dt)),
                Err(e) => {
                    diags.push(e);
                    params.push((p.name.name.clone(), DType::F64));
                }
            },
        }
    }
    if inputs.is_empty() && diags.is_empty() {
        diags.push(
            Diagnostic::new(format!("kernel `{}` has no array parameter", k.name.name), k.name.span)
                .with_note("a kernel needs at least one array input (a parameter without a dtype) to take its shape from"),
        );
    }
    let outputs = match outputs(k) {
        Ok(o) => o,
        Err(e) => {
            diags.push(e);
            let n = match &k.body.value.kind {
                ExprKind::Tuple(items) => items.len(),
                _ => 1,
            };
            vec![None; n]
        }
    };
    let boundary = match &k.boundary {
        None => None,
        Some(m) => match Mode::from_name(&m.name) {
            Some(mode) => Some(mode),
            None => {
                let d = Diagnostic::new(format!("unknown boundary mode `{}`", m.name), m.span)
                    .with_label("not a mode");
                let d = d.with_suggestion(&m.name, m.span, Mode::names());
                diags.push(d.with_note(format!("modes are {}", Mode::all_names())));
                None
            }
        },
    };
    let sig = KernelSig {
        name: k.name.name.clone(),
        inputs,
        params,
        outputs,
        boundary,
        def: k.clone(),
    };
    (sig, diags)
}

/// The most outputs a kernel may have.
pub const MAX_OUTPUTS: usize = 8;

/// A kernel's outputs: as many as its value's tuple has (one for a plain
/// value), each with the dtype `->` gives it, if any.
fn outputs(k: &ast::KernelDef) -> Result<Vec<Option<DType>>, Diagnostic> {
    let value = &k.body.value;
    let n = match &value.kind {
        ExprKind::Tuple(items) => items.len(),
        _ => 1,
    };
    if n > MAX_OUTPUTS {
        return Err(Diagnostic::new(
            format!(
                "kernel `{}` has {n} outputs; at most {MAX_OUTPUTS}",
                k.name.name
            ),
            value.span,
        ));
    }
    let Some(out) = &k.output else {
        return Ok(vec![None; n]);
    };
    let declared = out.types.len();
    if out.tuple != (n > 1) || declared != n {
        let what = |c: usize| match c {
            1 => "one output".to_string(),
            c => format!("{c} outputs"),
        };
        let hint = match n {
            1 => "write one dtype after `->`, or a tuple `(a, b)` as the value".to_string(),
            n => format!(
                "write `-> ({})`, with `_` for a default dtype",
                vec!["_"; n].join(", ")
            ),
        };
        return Err(Diagnostic::new(
            format!(
                "`->` declares {}, but kernel `{}` has {}",
                what(if out.tuple { declared } else { 1 }),
                k.name.name,
                what(n)
            ),
            out.span,
        )
        .with_note(hint));
    }
    out.types
        .iter()
        .map(|t| match t.name.as_str() {
            "_" => Ok(None),
            _ => dtype_of(t).map(Some),
        })
        .collect()
}

/// Evaluates a const definition's right-hand side: a number, or a nested
/// list of numbers (a table). Earlier consts may be used.
fn const_value(module: &Module, e: &ast::Expr) -> Result<ConstVal, Diagnostic> {
    if let ExprKind::List(_) = &e.kind {
        let mut shape = Vec::new();
        let mut items = Vec::new();
        flatten(module, e, 0, &mut shape, &mut items)?;
        let ty = items
            .iter()
            .map(|(_, t)| *t)
            .reduce(promote::common)
            .expect("tables are not empty");
        let data = items.into_iter().map(|(v, _)| v.cast(ty.dtype)).collect();
        return Ok(ConstVal::Table(Arc::new(Table {
            name: String::new(),
            shape,
            data,
            ty,
        })));
    }
    let (v, ty) = Checker::const_scalar(module, e)?;
    Ok(ConstVal::Scalar(v, ty))
}

fn flatten(
    module: &Module,
    e: &ast::Expr,
    depth: usize,
    shape: &mut Vec<usize>,
    out: &mut Vec<(Scalar, Ty)>,
) -> Result<(), Diagnostic> {
    match &e.kind {
        ExprKind::List(elems) => {
            if elems.is_empty() {
                return Err(Diagnostic::new("a const table cannot be empty", e.span));
            }
            if shape.len() == depth {
                if depth > 0 && !out.is_empty() {
                    return Err(ragged(e.span));
                }
                shape.push(elems.len());
            } else if shape.len() < depth || shape[depth] != elems.len() {
                return Err(ragged(e.span));
            }
            for el in elems {
                flatten(module, el, depth + 1, shape, out)?;
            }
            Ok(())
        }
        _ => {
            if shape.len() != depth {
                return Err(ragged(e.span));
            }
            out.push(Checker::const_scalar(module, e)?);
            Ok(())
        }
    }
}

fn ragged(span: Span) -> Diagnostic {
    Diagnostic::new(
        "a const table must be rectangular: every row the same length",
        span,
    )
}
