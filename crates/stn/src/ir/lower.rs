//! Lowering: the typed tree of one kernel to the flat IR.
//!
//! Guarantees: reductions are fully unrolled in docs/language.md §2's order (first
//! variable outermost, left fold); every compile-time subtree becomes one
//! `Const` (folded by the interpreter, so folding cannot disagree with it);
//! identical instructions are shared (CSE), which is exact because every
//! operation is a pure function of its operands; every `Load` carries plain
//! offsets, and `Func::footprint` is their per-axis min and max.

use std::collections::HashMap;

use crate::base::diag::Diagnostic;
use crate::base::dtype::DType;
use crate::check::eval::{self, Env};
use crate::check::typed::{TExpr, TKernel, TKind};
use crate::ir::{Footprint, Func, Inst, Op, ValueId};

/// Unrolling stops with an error past this many instructions.
pub const MAX_INSTS: usize = 100_000;

/// The largest offset an access may have along an axis.
pub const MAX_OFFSET: u64 = 1 << 16;

/// The most points a kernel's neighbourhood (the box of its footprint) may
/// hold: border points are computed from padded copies that cover it.
pub const MAX_FOOTPRINT: u128 = 1 << 22;

/// Lowers `k` to IR.
pub fn lower(k: &TKernel) -> Result<Func, Diagnostic> {
    let mut l = Lower {
        insts: Vec::new(),
        cse: HashMap::new(),
        env: Env::new(k.n_locals, k.n_vars),
        locals: vec![0; k.n_locals],
        footprint: None,
        inputs: &k.inputs,
        params: k.params.iter().map(|p| p.1).collect(),
    };
    let results = l.outputs(&k.body)?;
    // What no output uses goes, and reads only it made do not count.
    let (insts, results) = crate::ir::live::live(std::mem::take(&mut l.insts), &results);
    let footprint = crate::ir::live::footprint(&insts).unwrap_or_else(|| Footprint::zero(k.ndim));
    Ok(Func {
        name: k.name.clone(),
        ndim: k.ndim,
        inputs: k.inputs.clone(),
        params: l.params,
        out_dtypes: k.out_dtypes.clone(),
        insts,
        results,
        footprint,
    })
}

struct Lower<'k> {
    insts: Vec<Inst>,
    /// Debug text of an instruction -> its value, for sharing.
    cse: HashMap<String, ValueId>,
    /// Current values of reduction variables (and locals, for folding).
    env: Env,
    /// The IR value of each `let` slot.
    locals: Vec<ValueId>,
    footprint: Option<Footprint>,
    inputs: &'k [DType],
    params: Vec<DType>,
}

impl Lower<'_> {
    fn emit(
        &mut self,
        op: Op,
        dtype: DType,
        span: crate::base::diag::Span,
    ) -> Result<ValueId, Diagnostic> {
        let inst = Inst { op, dtype };
        let key = format!("{inst:?}");
        if let Some(&v) = self.cse.get(&key) {
            return Ok(v);
        }
        if self.insts.len() >= MAX_INSTS {
            return Err(Diagnostic::new(
                format!(
                    "the kernel is too large: more than {MAX_INSTS} operations after unrolling reductions"
                ),
                span,
            ));
        }
        let v = self.insts.len() as ValueId;
        self.insts.push(inst);
        self.cse.insert(key, v);
        Ok(v)
    }

    fn fold(&mut self, e: &TExpr) -> Result<crate::base::scalar::Scalar, Diagnostic> {
        eval::eval(e, &mut self.env, None).map_err(|err| err.into_diagnostic())
    }

    /// The kernel's outputs: its `let`s, then each item of its tuple (or
    /// its one value).
    fn outputs(&mut self, e: &TExpr) -> Result<Vec<ValueId>, Diagnostic> {
        match &e.kind {
            TKind::Let { slot, value, body } => {
                self.bind(*slot, value)?;
                self.outputs(body)
            }
            TKind::Tuple(items) => items.iter().map(|t| self.expr(t)).collect(),
            _ => Ok(vec![self.expr(e)?]),
        }
    }

    /// Binds `let` slot `slot` to `value`.
    fn bind(&mut self, slot: usize, value: &TExpr) -> Result<(), Diagnostic> {
        let v = self.expr(value)?;
        self.locals[slot] = v;
        if value.konst {
            // Folding a later use of the slot needs its value.
            self.env.locals[slot] = self.fold(value)?;
        }
        Ok(())
    }

    fn expr(&mut self, e: &TExpr) -> Result<ValueId, Diagnostic> {
        if e.konst {
            let v = self.fold(e)?;
            return self.emit(Op::Const(v), e.ty.dtype, e.span);
        }
        let dtype = e.ty.dtype;
        match &e.kind {
            TKind::Lit(v) => self.emit(Op::Const(*v), dtype, e.span),
            TKind::Table { .. } | TKind::Var(_) => {
                let v = self.fold(e)?;
                self.emit(Op::Const(v), dtype, e.span)
            }
            TKind::Load { input, offsets } => {
                let mut offset = Vec::with_capacity(offsets.len());
                for o in offsets {
                    offset.push(self.fold(o)?.as_i64().unwrap_or(0));
                }
                let fp = Footprint::include(&mut self.footprint, &offset);
                let points = fp
                    .lo
                    .iter()
                    .zip(&fp.hi)
                    .map(|(&lo, &hi)| (hi as i128 - lo as i128 + 1) as u128)
                    .product::<u128>();
                if offset.iter().any(|o| o.unsigned_abs() > MAX_OFFSET) || points > MAX_FOOTPRINT {
                    let reach: Vec<String> = fp
                        .lo
                        .iter()
                        .zip(&fp.hi)
                        .map(|(lo, hi)| format!("{lo}..={hi}"))
                        .collect();
                    return Err(Diagnostic::new(
                        format!(
                            "this access reads too far: the kernel's neighbourhood is now [{}], \
                             but offsets are limited to ±{MAX_OFFSET} and neighbourhoods to \
                             {MAX_FOOTPRINT} points",
                            reach.join(", ")
                        ),
                        e.span,
                    ));
                }
                let dtype = self.inputs[*input];
                self.emit(
                    Op::Load {
                        input: *input as u32,
                        offset,
                    },
                    dtype,
                    e.span,
                )
            }
            TKind::Param(n) => {
                let dtype = self.params[*n];
                self.emit(Op::Param(*n as u32), dtype, e.span)
            }
            TKind::Index(k) => self.emit(Op::Index(*k as u32), DType::I64, e.span),
            TKind::Shape(k) => self.emit(Op::Shape(*k as u32), DType::I64, e.span),
            TKind::Local(slot) => Ok(self.locals[*slot]),
            TKind::Cast(a) => {
                let v = self.expr(a)?;
                if a.ty.dtype == dtype {
                    Ok(v)
                } else {
                    self.emit(Op::Cast(v), dtype, e.span)
                }
            }
            TKind::Unary(op, a) => {
                let v = self.expr(a)?;
                self.emit(Op::Unary(*op, v), dtype, e.span)
            }
            TKind::Binary(op, a, b) => {
                let x = self.expr(a)?;
                let y = self.expr(b)?;
                self.emit(Op::Binary(*op, x, y), dtype, e.span)
            }
            TKind::Select(c, a, b) => {
                let c = self.expr(c)?;
                let x = self.expr(a)?;
                let y = self.expr(b)?;
                self.emit(Op::Select(c, x, y), dtype, e.span)
            }
            TKind::Let { slot, value, body } => {
                self.bind(*slot, value)?;
                self.expr(body)
            }
            TKind::Tuple(_) => Err(Diagnostic::new(
                "a tuple is only allowed as a kernel's value (its several outputs)",
                e.span,
            )),
            TKind::Rank { k, vars, body } => {
                let mut ranges = Vec::new();
                for v in vars {
                    let lo = self.fold(&v.lo)?.as_i64().unwrap_or(0);
                    let hi = self.fold(&v.hi)?.as_i64().unwrap_or(0);
                    ranges.push((v.slot, lo, hi));
                }
                // Terms are ordered in a dtype that holds them all exactly.
                let order = crate::base::ops::rank_dtype(dtype);
                let mut terms = Vec::new();
                self.unroll(&ranges, 0, &mut |l| {
                    let t = l.expr(body)?;
                    let t = match order == dtype {
                        true => t,
                        false => l.emit(Op::Cast(t), order, e.span)?,
                    };
                    terms.push(t);
                    Ok(())
                })?;
                let r = self.emit(
                    Op::Rank {
                        k: *k as u32,
                        terms,
                    },
                    order,
                    e.span,
                )?;
                match order == dtype {
                    true => Ok(r),
                    false => self.emit(Op::Cast(r), dtype, e.span),
                }
            }
            TKind::Reduce { op, vars, body } => {
                let mut ranges = Vec::new();
                for v in vars {
                    let lo = self.fold(&v.lo)?.as_i64().unwrap_or(0);
                    let hi = self.fold(&v.hi)?.as_i64().unwrap_or(0);
                    ranges.push((v.slot, lo, hi));
                }
                let mut acc = None;
                self.unroll(&ranges, 0, &mut |l| {
                    let t = l.expr(body)?;
                    acc = Some(match acc {
                        None => t,
                        Some(a) => l.emit(Op::Binary(*op, a, t), dtype, e.span)?,
                    });
                    Ok(())
                })?;
                Ok(acc.expect("the checker rejects empty ranges"))
            }
        }
    }

    fn unroll(
        &mut self,
        ranges: &[(usize, i64, i64)],
        k: usize,
        f: &mut dyn FnMut(&mut Self) -> Result<(), Diagnostic>,
    ) -> Result<(), Diagnostic> {
        if k == ranges.len() {
            return f(self);
        }
        let (slot, lo, hi) = ranges[k];
        for v in lo..=hi {
            self.env.vars[slot] = v;
            self.unroll(ranges, k + 1, f)?;
        }
        Ok(())
    }
}
