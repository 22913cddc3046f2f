//! What hover shows (markdown), by what the name under the cursor is:
//!
//! - a kernel: its header as written, the uniform input dtypes it checks
//!   for, its outputs, core axes and footprint for the first of them
//!   (`DTYPE_SEARCH` order: f64 first) as `stn inspect` prints them, and
//!   its boundary mode;
//! - a `let`, a stage's output, a parameter: its dtype for inputs of each
//!   of a few dtypes (u8, i32, f32, f64), from the kernel's typed tree;
//! - a reduction variable: its range; a const: its value;
//! - a builtin, reduction, mode, dtype or keyword: one line about it.
//!
//! Types need a file without errors; until then a name shows what the
//! syntax alone says.

use std::fmt::Write;

use crate::analysis::Analysis;
use crate::index::{Role, Symbol, SymbolKind, classify_word};
use crate::tokens::word_at;
use crate::words;
use stn::Kernel;
use stn::internals::describe;
use stn::internals::diag::Span;
use stn::internals::dtype::{self, DType};
use stn::internals::module::ConstVal;
use stn::internals::scalar::Scalar;
use stn::internals::ty::Ty;
use stn::internals::typed::{TExpr, TKind};
use stn::internals::typed_kernel as typed;

/// The input dtypes a variable's hover shows its type for.
pub const SHOWN_DTYPES: [DType; 4] = [DType::U8, DType::I32, DType::F32, DType::F64];

/// Hover text for the name at `offset`, and the name's span.
pub fn hover(a: &Analysis, offset: usize) -> Option<(Span, String)> {
    let Some(o) = a.index().at(offset) else {
        // No tree: a keyword, or a word of a file that does not parse.
        let span = word_at(&a.text, offset)?;
        let word = a.slice(span);
        let text = words::keyword(word)
            .map(str::to_string)
            .or_else(|| word_line(classify_word(word), word))?;
        return Some((span, text));
    };
    let word = a.slice(o.span);
    let text = match o.role {
        Role::Def(s) | Role::Ref(s) => symbol(a, &a.index().symbols[s]),
        role => word_line(role, word)?,
    };
    Some((o.span, text))
}

/// The line about a builtin, reduction, dtype or mode.
fn word_line(role: Role, word: &str) -> Option<String> {
    match role {
        Role::Builtin => words::builtin(word).map(str::to_string),
        Role::Reduction => words::reduction(word).map(str::to_string),
        Role::DType => words::dtype(word),
        Role::Mode => words::mode(word),
        _ => None,
    }
}

/// The first line of a construct's text, cut to a readable length.
fn first_line(a: &Analysis, span: Span) -> String {
    let text = a.slice(span);
    let line = text.lines().next().unwrap_or_default().trim_end();
    let mut out: String = line.chars().take(100).collect();
    if out.len() < text.trim_end().len() {
        out.push_str(" ...");
    }
    out
}

fn code(text: &str) -> String {
    format!("```stn\n{text}\n```\n")
}

fn symbol(a: &Analysis, s: &Symbol) -> String {
    let kernel_name = |k: Option<usize>| {
        k.and_then(|k| a.index().kernels.get(k))
            .map_or("", |&s| a.index().symbols[s].name.as_str())
    };
    match s.kind {
        SymbolKind::Kernel => kernel(a, s),
        SymbolKind::Const => constant(a, s),
        SymbolKind::RangeVar => format!(
            "{}reduction variable: i64, known at compile time; the body is unrolled for each value",
            code(a.slice(s.decl))
        ),
        SymbolKind::Input => format!(
            "{}array input of `{}`: its dtype is the data's",
            code(&s.name),
            kernel_name(s.kernel)
        ),
        SymbolKind::Param => {
            let mut out = format!(
                "{}scalar parameter of `{}`, given at run time",
                code(a.slice(s.decl)),
                kernel_name(s.kernel)
            );
            if compiled_in(a, s) {
                out.push_str(
                    "; it sizes a range or an offset, so the kernel is compiled for each value",
                );
            }
            out
        }
        SymbolKind::Let | SymbolKind::Stage => {
            let what = match s.kind {
                SymbolKind::Stage => "an output of a stage",
                _ => "a value",
            };
            let mut out = format!("{}`{}`: {what}\n\n", code(&first_line(a, s.decl)), s.name);
            out.push_str(&types(a, s));
            if s.kind == SymbolKind::Stage {
                out.push_str(&schedule(a, s));
            }
            out
        }
    }
}

/// How the stage whose output `s` names is run: its kernel's footprint,
/// and the schedule rule (the choice itself needs a shape).
fn schedule(a: &Analysis, s: &Symbol) -> String {
    use stn::internals::syntax::ast::{ExprKind, Item};
    let callee = (a.front.ast.items.iter())
        .filter_map(|item| match item {
            Item::Kernel(k) => Some(&k.body.lets),
            Item::Const(_) => None,
        })
        .flatten()
        .find(|l| l.span == s.decl)
        .and_then(|l| match &l.value.kind {
            ExprKind::Call { func, .. } => Some(func.name.clone()),
            _ => None,
        });
    let Some(callee) = callee else {
        return String::new();
    };
    let reach = (a.kernel(&callee))
        .and_then(|k| k.footprint(&k.some_signature().ok()?).ok())
        .map(|f| format!(", footprint {}", describe::footprint_text(&f)))
        .unwrap_or_default();
    format!(
        "\n\nstage `{callee}`{reach}. Schedule: fused with the kernel's other stages, \
         in tiles or sliding-window strips chosen per call from the shape and the cache \
         sizes (`stn inspect --shape` shows the choice and why); `schedule=\"stepwise\"` \
         runs it as a pass of its own"
    )
}

/// Whether scalar parameter `s` is compiled in.
fn compiled_in(a: &Analysis, s: &Symbol) -> bool {
    let Some(k) = s.kernel else { return false };
    let Some(sig) = a.front.module.kernels.get(k) else {
        return false;
    };
    let Some(i) = sig.params.iter().position(|(n, _)| *n == s.name) else {
        return false;
    };
    (a.front.compiled_in.get(k)).is_some_and(|c| c.get(i) == Some(&true))
}

/// The program's kernel that symbol index `k` (file order) names.
fn loaded(a: &Analysis, k: Option<usize>) -> Option<&Kernel> {
    let name = &a.index().symbols[*a.index().kernels.get(k?)?].name;
    a.kernel(name)
}

/// `let`'s or a stage output's dtype for each of `SHOWN_DTYPES` as every
/// input's dtype.
fn types(a: &Analysis, s: &Symbol) -> String {
    let Some(k) = loaded(a, s.kernel) else {
        return "types show once this kernel and its stages have no errors".to_string();
    };
    let n = k.inputs().len();
    let mut rows = Vec::new();
    for d in SHOWN_DTYPES {
        let ty = match typed(k, &vec![d; n]) {
            Err(_) => "does not check".to_string(),
            Ok(t) => {
                let found = match s.kind {
                    SymbolKind::Stage => (t.input_names.iter().position(|x| *x == s.name))
                        .and_then(|i| t.inputs.get(i))
                        .map(|&d| Ty::strong(d)),
                    _ => find_let(&t.body, s.decl),
                };
                found.map_or("unused".to_string(), ty_text)
            }
        };
        rows.push((d, ty));
    }
    if rows.iter().all(|r| r.1 == rows[0].1) {
        return format!("dtype, whatever the inputs': {}", rows[0].1);
    }
    let rows: Vec<String> = rows.iter().map(|(d, ty)| format!("{d} → {ty}")).collect();
    format!("dtype, for inputs all of: {}", rows.join(" · "))
}

fn ty_text(ty: Ty) -> String {
    match ty.weak {
        true => format!(
            "{} (a literal's: it takes the other operand's type)",
            ty.dtype
        ),
        false => ty.dtype.to_string(),
    }
}

/// The type of the value of the `let` whose statement is `decl`: the
/// first `Let` node, in the tree's order, whose value lies in `decl` (a
/// `let` nested in that value comes after it).
fn find_let(e: &TExpr, decl: Span) -> Option<Ty> {
    let inside = |s: Span| decl.start <= s.start && s.end <= decl.end;
    let sub: Vec<&TExpr> = match &e.kind {
        TKind::Let { value, .. } if inside(value.span) => return Some(value.ty),
        TKind::Let { value, body, .. } => vec![value, body],
        TKind::Lit(_) | TKind::Param(_) | TKind::Index(_) | TKind::Shape(_) => vec![],
        TKind::Local(_) | TKind::Var(_) => vec![],
        TKind::Table { index, .. } => index.iter().collect(),
        TKind::Load { offsets, .. } => offsets.iter().collect(),
        TKind::Cast(x) | TKind::Unary(_, x) => vec![x],
        TKind::Binary(_, x, y) => vec![x, y],
        TKind::Select(c, x, y) => vec![c, x, y],
        TKind::Reduce { vars, body, .. } | TKind::Rank { vars, body, .. } => {
            let bounds = vars.iter().flat_map(|v| [&v.lo, &v.hi]);
            bounds.chain(std::iter::once(&**body)).collect()
        }
        TKind::Tuple(items) => items.iter().collect(),
    };
    sub.into_iter().find_map(|x| find_let(x, decl))
}

fn kernel(a: &Analysis, s: &Symbol) -> String {
    // The header as written: from `kernel` to the body's brace.
    let header = a.slice(s.decl).split('{').next().unwrap_or_default();
    let header = header.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = code(&header);
    let ki = a
        .index()
        .kernels
        .iter()
        .position(|&k| a.index().symbols[k].def == s.def);
    let Some(k) = loaded(a, ki) else {
        out.push_str("\ntypes and footprint show once the file has no errors");
        return out;
    };
    let results = k.check_uniform();
    let ok: Vec<DType> = (results.iter())
        .filter(|(_, r)| r.is_ok())
        .map(|(d, _)| *d)
        .collect();
    if ok.is_empty() {
        let e = results.into_iter().find_map(|(_, r)| r.err());
        let why = e.map(|e| e.to_string()).unwrap_or_default();
        let first = why.lines().next().unwrap_or_default();
        let _ = write!(out, "\nchecks for no dtype: {first}");
        return out;
    }
    let names: Vec<&str> = ok.iter().map(|d| d.name()).collect();
    let _ = writeln!(out, "\nchecks for inputs of: {}", names.join(" "));
    let d = ok[0];
    let sig = vec![d; k.inputs().len()];
    if let Ok(sig) = k.check(&sig) {
        let _ = writeln!(
            out,
            "\nfor {} inputs: ({}) -> {}, {} core axes",
            d,
            dtype::names(&sig.inputs),
            describe::outputs_text(&sig.outputs),
            sig.ndim
        );
    }
    if let Ok(f) = k.footprint(&sig) {
        let halo: Vec<String> = f.halo().iter().map(|h| h.to_string()).collect();
        let _ = writeln!(
            out,
            "\nfootprint: {} (halo {})",
            describe::footprint_text(&f),
            halo.join(" x ")
        );
    }
    let _ = match k.boundary() {
        Some(m) => write!(out, "\nboundary: {m} (declared)"),
        None => write!(
            out,
            "\nboundary: none declared; the run's mode applies (`fill` by default)"
        ),
    };
    out
}

fn constant(a: &Analysis, s: &Symbol) -> String {
    let mut out = code(&first_line(a, s.decl));
    match a.front.module.consts.get(&s.name) {
        Some(ConstVal::Scalar(v, ty)) => {
            let _ = write!(out, "\nvalue: {} ({})", scalar_text(*v), ty_text(*ty));
        }
        Some(ConstVal::Table(t)) => {
            let shape: Vec<String> = t.shape.iter().map(|n| n.to_string()).collect();
            let _ = write!(
                out,
                "\ntable of {} x {}, indexed absolutely",
                shape.join(" x "),
                ty_text(t.ty)
            );
        }
        None => out.push_str("\nvalue shows once the file has no errors"),
    }
    out
}

fn scalar_text(v: Scalar) -> String {
    match v {
        Scalar::Bool(b) => b.to_string(),
        Scalar::Int(i) => i.to_string(),
        Scalar::U64(u) => u.to_string(),
        Scalar::F32(f) => format!("{f:?}"),
        Scalar::F64(f) => format!("{f:?}"),
    }
}
