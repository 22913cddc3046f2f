//! The evaluator of typed trees: what a typed expression is worth at a
//! point, or as a constant.
//!
//! This is the language's meaning, written once: the checker folds
//! compile-time expressions with it, the lowering folds constants with it
//! (so folding cannot disagree with it), and the reference interpreter
//! (`interp`) evaluates every output point with it.

use crate::base::diag::{Diagnostic, Span};
use crate::base::ops;
use crate::base::scalar::Scalar;
use crate::check::typed::{TExpr, TKind};

/// Why an expression could not be evaluated.
#[derive(Clone, Debug, PartialEq)]
pub enum EvalError {
    /// It reads data (an array, a param, `index`, `shape`) but no point was given.
    NotConst(Span),
    /// A const table index out of range.
    TableIndex { span: Span, message: String },
}

impl EvalError {
    pub fn into_diagnostic(self) -> Diagnostic {
        match self {
            EvalError::NotConst(span) => {
                Diagnostic::new("this must be a compile-time constant", span)
                    .with_note("constants are built from literals, consts and reduction variables")
            }
            EvalError::TableIndex { span, message } => Diagnostic::new(message, span),
        }
    }
}

/// What a point gives the expressions that read data.
pub trait Point {
    fn load(&self, input: usize, offsets: &[i64]) -> Scalar;
    fn param(&self, n: usize) -> Scalar;
    fn index(&self, axis: usize) -> i64;
    fn shape(&self, axis: usize) -> i64;
}

/// Values of `let` slots and reduction variables.
pub struct Env {
    pub locals: Vec<Scalar>,
    pub vars: Vec<i64>,
}

impl Env {
    pub fn new(n_locals: usize, n_vars: usize) -> Env {
        Env {
            locals: vec![Scalar::Bool(false); n_locals],
            vars: vec![0; n_vars],
        }
    }
}

/// Evaluates a compile-time expression with every reduction variable at 0
/// (the checker only folds expressions that use none).
pub fn eval_const(e: &TExpr, n_locals: usize, n_vars: usize) -> Result<Scalar, EvalError> {
    eval(e, &mut Env::new(n_locals, n_vars), None)
}

/// Evaluates `e` at `point` (or as a constant when `point` is `None`).
pub fn eval(e: &TExpr, env: &mut Env, point: Option<&dyn Point>) -> Result<Scalar, EvalError> {
    Ok(match &e.kind {
        TKind::Lit(v) => *v,
        TKind::Table { table, index } => {
            let mut flat = 0usize;
            for (k, ix) in index.iter().enumerate() {
                let i = eval(ix, env, point)?.as_i64().unwrap_or(-1);
                let n = table.shape[k];
                if i < 0 || i as usize >= n {
                    return Err(EvalError::TableIndex {
                        span: ix.span,
                        message: format!(
                            "index {i} is out of range for axis {k} of table `{}` (length {n})",
                            table.name
                        ),
                    });
                }
                flat = flat * n + i as usize;
            }
            table.data[flat]
        }
        TKind::Load { input, offsets } => {
            let p = point.ok_or(EvalError::NotConst(e.span))?;
            let offs = offsets
                .iter()
                .map(|o| Ok(eval(o, env, point)?.as_i64().unwrap_or(0)))
                .collect::<Result<Vec<_>, _>>()?;
            p.load(*input, &offs)
        }
        TKind::Param(n) => point.ok_or(EvalError::NotConst(e.span))?.param(*n),
        TKind::Index(k) => Scalar::Int(point.ok_or(EvalError::NotConst(e.span))?.index(*k)),
        TKind::Shape(k) => Scalar::Int(point.ok_or(EvalError::NotConst(e.span))?.shape(*k)),
        TKind::Local(slot) => env.locals[*slot],
        TKind::Var(slot) => Scalar::Int(env.vars[*slot]),
        TKind::Cast(a) => eval(a, env, point)?.cast(e.ty.dtype),
        TKind::Unary(op, a) => ops::unary(*op, eval(a, env, point)?),
        TKind::Binary(op, a, b) => {
            let x = eval(a, env, point)?;
            let y = eval(b, env, point)?;
            ops::binary(*op, x, y)
        }
        TKind::Select(c, a, b) => {
            let c = eval(c, env, point)?;
            let x = eval(a, env, point)?;
            let y = eval(b, env, point)?;
            if c == Scalar::Bool(true) { x } else { y }
        }
        TKind::Let { slot, value, body } => {
            let v = eval(value, env, point)?;
            env.locals[*slot] = v;
            eval(body, env, point)?
        }
        TKind::Reduce { op, vars, body } => {
            let mut ranges = Vec::new();
            for v in vars {
                let lo = eval(&v.lo, env, point)?.as_i64().unwrap_or(0);
                let hi = eval(&v.hi, env, point)?.as_i64().unwrap_or(0);
                ranges.push((v.slot, lo, hi));
            }
            let mut acc = None;
            reduce_loop(&ranges, 0, env, &mut |env| {
                let t = eval(body, env, point)?;
                acc = Some(match acc {
                    None => t,
                    Some(a) => ops::binary(*op, a, t),
                });
                Ok(())
            })?;
            acc.expect("the checker rejects empty ranges")
        }
        TKind::Rank { k, vars, body } => {
            let mut ranges = Vec::new();
            for v in vars {
                let lo = eval(&v.lo, env, point)?.as_i64().unwrap_or(0);
                let hi = eval(&v.hi, env, point)?.as_i64().unwrap_or(0);
                ranges.push((v.slot, lo, hi));
            }
            let order = ops::rank_dtype(e.ty.dtype);
            let mut terms = Vec::new();
            reduce_loop(&ranges, 0, env, &mut |env| {
                terms.push(eval(body, env, point)?.cast(order));
                Ok(())
            })?;
            ops::rank(&terms, *k).cast(e.ty.dtype)
        }
        // The checker allows a tuple only as a kernel's value, which
        // `eval_outputs` evaluates item by item.
        TKind::Tuple(items) => eval(&items[0], env, point)?,
    })
}

/// Evaluates a kernel's body at `point`: its `let`s, then each of its
/// outputs.
pub fn eval_outputs(
    e: &TExpr,
    env: &mut Env,
    point: Option<&dyn Point>,
) -> Result<Vec<Scalar>, EvalError> {
    match &e.kind {
        TKind::Let { slot, value, body } => {
            let v = eval(value, env, point)?;
            env.locals[*slot] = v;
            eval_outputs(body, env, point)
        }
        TKind::Tuple(items) => items.iter().map(|t| eval(t, env, point)).collect(),
        _ => Ok(vec![eval(e, env, point)?]),
    }
}

/// Runs `f` at every point of the ranges' cartesian product, first range outermost.
pub fn reduce_loop(
    ranges: &[(usize, i64, i64)],
    k: usize,
    env: &mut Env,
    f: &mut dyn FnMut(&mut Env) -> Result<(), EvalError>,
) -> Result<(), EvalError> {
    if k == ranges.len() {
        return f(env);
    }
    let (slot, lo, hi) = ranges[k];
    for v in lo..=hi {
        env.vars[slot] = v;
        reduce_loop(ranges, k + 1, env, f)?;
    }
    Ok(())
}
