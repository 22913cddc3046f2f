//! The checker: types one kernel for one signature of input dtypes.
//!
//! `check_kernel` resolves every name, checks access arity and that offsets,
//! table indices and ranges are compile-time integers, applies docs/language.md §3's
//! promotion rules and makes every implicit conversion an explicit `Cast`.
//! What it returns is the typed tree that both the interpreter and the
//! lowering consume. It never panics on user input: every problem is a
//! `Diagnostic` with the span of the offending text.

use std::collections::HashMap;
use std::sync::Arc;

use crate::base::diag::{Diagnostic, Span};
use crate::base::dtype::DType;
use crate::base::ops::{BinaryOp, UnaryOp};
use crate::base::scalar::Scalar;
use crate::check::builtins::{self, Typing};
use crate::check::module::{ConstVal, KernelSig, Module};
use crate::check::names;
use crate::check::promote;
use crate::check::resolve::Resolved;
use crate::check::ty::Ty;
use crate::check::typed::{ReduceVar, TExpr, TKernel, TKind};
use crate::syntax::ast::{self, BinOp, ExprKind, UnOp};

use crate::base::graph::MAX_NDIM;

/// The most points a reduction (with the reductions around it) may unroll to.
pub const MAX_UNROLL: u128 = 1 << 18;

type Res<T> = Result<T, Diagnostic>;

#[derive(Clone, Debug)]
enum Binding {
    Local { slot: usize, ty: Ty, konst: bool },
    Var { slot: usize },
}

/// Per-kernel checking state: the typed `let`s and reduction variables,
/// slot counters and the core rank as soon as the first access fixes it.
pub struct Checker<'m> {
    module: &'m Module,
    sig: Option<&'m KernelSig>,
    inputs: Vec<DType>,
    /// The file's names resolved (`check::resolve`; none for a const or a
    /// stage's scalar argument, which read no `let`).
    resolved: Option<&'m Resolved>,
    /// Per `let` and reduction variable (its symbol in `resolved`): its
    /// slot and type, once typed.
    bindings: HashMap<usize, Binding>,
    n_locals: usize,
    n_vars: usize,
    /// Points of all enclosing reductions' ranges, multiplied.
    unrolled: u128,
    ndim: Option<(usize, Span)>,
    /// `index(k)` / `shape(k)` uses, checked against the rank at the end.
    axes: Vec<(i64, Span)>,
    /// Set while typing a stage's scalar argument: the value must not
    /// depend on the point, and these are the caller's `let`s before it.
    scalar_arg: Option<Vec<String>>,
    /// Per scalar parameter, its value where the kernel is compiled for
    /// one (docs/language.md §11: a parameter that sizes a range or an offset).
    known: Vec<Option<Scalar>>,
}

impl<'m> Checker<'m> {
    fn new(
        module: &'m Module,
        sig: Option<&'m KernelSig>,
        inputs: &[DType],
        scalar_arg: Option<Vec<String>>,
    ) -> Checker<'m> {
        Checker {
            module,
            sig,
            inputs: inputs.to_vec(),
            resolved: None,
            bindings: HashMap::new(),
            n_locals: 0,
            n_vars: 0,
            ndim: None,
            axes: Vec::new(),
            unrolled: 1,
            scalar_arg,
            known: Vec::new(),
        }
    }
}

/// Types `sig`'s body for arrays of dtypes `inputs` (one per array
/// parameter, in order), the scalar parameters in `known` (one per
/// parameter, or none) compiled in as constants; its names as `resolved`
/// resolves them.
pub fn check_kernel(
    module: &Module,
    sig: &KernelSig,
    inputs: &[DType],
    known: &[Option<Scalar>],
    resolved: &Resolved,
) -> Res<TKernel> {
    let def = &sig.def;
    if inputs.len() != sig.inputs.len() {
        return Err(Diagnostic::new(
            format!(
                "kernel `{}` takes {} array input{}, but {} {} given",
                sig.name,
                sig.inputs.len(),
                plural(sig.inputs.len()),
                inputs.len(),
                if inputs.len() == 1 { "was" } else { "were" }
            ),
            def.name.span,
        ));
    }
    let mut c = Checker::new(module, Some(sig), inputs, None);
    c.known = known.to_vec();
    c.resolved = Some(resolved);
    let out_dtypes: Vec<DType> = sig.outputs.iter().map(|o| o.unwrap_or(inputs[0])).collect();
    let body = c.outputs(&def.body, &out_dtypes)?;
    let Some((ndim, _)) = c.ndim else {
        return Err(names::no_access(sig));
    };
    for &(axis, span) in &c.axes {
        if axis < 0 || axis as usize >= ndim {
            return Err(Diagnostic::new(
                format!("axis {axis} is out of range: the kernel has {ndim} core axes"),
                span,
            ));
        }
    }
    Ok(TKernel {
        name: sig.name.clone(),
        ndim,
        inputs: inputs.to_vec(),
        input_names: sig.inputs.clone(),
        params: sig.params.clone(),
        out_dtypes,
        boundary: sig.boundary,
        body,
        n_locals: c.n_locals,
        n_vars: c.n_vars,
    })
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Wraps `e` in a conversion to `ty` unless it already has that dtype.
fn cast_to(e: TExpr, ty: Ty, span: Span) -> TExpr {
    if e.ty.dtype == ty.dtype {
        return TExpr {
            ty: Ty {
                dtype: ty.dtype,
                weak: e.ty.weak && ty.weak,
            },
            ..e
        };
    }
    let konst = e.konst;
    TExpr {
        kind: TKind::Cast(Box::new(e)),
        ty,
        konst,
        span,
    }
}

fn node(kind: TKind, ty: Ty, konst: bool, span: Span) -> TExpr {
    TExpr {
        kind,
        ty,
        konst,
        span,
    }
}

/// `op` applied to `a` converted to `ty`, the operation's compute type.
fn unary_node(op: UnaryOp, a: TExpr, ty: Ty, span: Span) -> TExpr {
    let konst = a.konst;
    let a = cast_to(a, ty, span);
    node(TKind::Unary(op, Box::new(a)), ty, konst, span)
}

impl<'m> Checker<'m> {
    /// Evaluates a `const` definition's scalar right-hand side: literals,
    /// earlier consts and operations on them.
    pub fn const_scalar(module: &Module, e: &ast::Expr) -> Res<(Scalar, Ty)> {
        let mut c = Checker::new(module, None, &[], None);
        let t = c.expr(e)?;
        let v = c.fold(&t)?;
        Ok((v, t.ty))
    }

    /// Types the scalar argument `e` of a stage called in `owner`'s body,
    /// converted to the callee's parameter dtype `to`. It may use
    /// literals, consts and `owner`'s scalar parameters, not the point:
    /// `locals` are `owner`'s `let`s before the stage, named in the error.
    pub fn stage_scalar(
        module: &Module,
        owner: &KernelSig,
        locals: &[String],
        e: &ast::Expr,
        to: DType,
    ) -> Res<TExpr> {
        let mut c = Checker::new(module, Some(owner), &[], Some(locals.to_vec()));
        let t = c.expr(e)?;
        let span = t.span;
        Ok(cast_to(t, Ty::strong(to), span))
    }

    /// The error for a scalar argument that reads the point (`what`).
    fn point_dependent(&self, what: &str, span: Span) -> Diagnostic {
        Diagnostic::new(
            format!("a stage's scalar argument must not depend on the point, but it reads {what}"),
            span,
        )
        .with_label("depends on the point")
        .with_note(
            "scalar arguments may use literals, consts and the calling kernel's scalar parameters",
        )
    }

    /// The value of a compile-time expression that uses no reduction variable.
    fn fold(&self, t: &TExpr) -> Res<Scalar> {
        if !t.konst {
            return Err(
                Diagnostic::new("this must be a compile-time constant", t.span)
                    .with_note("constants are built from literals, consts and reduction variables"),
            );
        }
        crate::check::eval::eval_const(t, self.n_locals, self.n_vars)
            .map_err(|e| e.into_diagnostic())
    }

    /// What the name used at `span` is bound to: a typed `let` or a
    /// reduction variable (`None` for anything else).
    fn lookup(&self, span: Span) -> Option<&Binding> {
        let id = self.resolved?.symbol_at(span)?;
        self.bindings.get(&id)
    }

    /// Binds the symbol `name` defines.
    fn bind(&mut self, name: &ast::Ident, b: Binding) {
        if let Some(id) = self.resolved.and_then(|r| r.symbol_at(name.span)) {
            self.bindings.insert(id, b);
        }
    }

    fn input_index(&self, name: &str) -> Option<usize> {
        self.sig?.inputs.iter().position(|n| n == name)
    }

    fn param_index(&self, name: &str) -> Option<usize> {
        self.sig?.params.iter().position(|(n, _)| n == name)
    }

    /// The kernel's body: its `let`s, then its value, or the tuple of its
    /// outputs, each cast to its output dtype.
    fn outputs(&mut self, b: &ast::Block, out_dtypes: &[DType]) -> Res<TExpr> {
        self.block_with(b, |c, value| match &value.kind {
            ExprKind::Tuple(items) => {
                let mut typed = Vec::with_capacity(items.len());
                for (item, &d) in items.iter().zip(out_dtypes) {
                    let t = c.expr(item)?;
                    let span = t.span;
                    typed.push(cast_to(t, Ty::strong(d), span));
                }
                let konst = typed.iter().all(|t| t.konst);
                let ty = typed[0].ty;
                Ok(node(TKind::Tuple(typed), ty, konst, value.span))
            }
            _ => {
                let t = c.expr(value)?;
                let span = t.span;
                Ok(cast_to(t, Ty::strong(out_dtypes[0]), span))
            }
        })
    }

    fn block(&mut self, b: &ast::Block) -> Res<TExpr> {
        self.block_with(b, |c, value| c.expr(value))
    }

    /// A block's `let`s, then its value as `value` types it.
    fn block_with(
        &mut self,
        b: &ast::Block,
        value: impl FnOnce(&mut Self, &ast::Expr) -> Res<TExpr>,
    ) -> Res<TExpr> {
        let mut lets = Vec::new();
        for l in &b.lets {
            if let ExprKind::Call { func, .. } = &l.value.kind
                && self.module.kernel(&func.name).is_some()
            {
                return Err(names::nested_stage(&func.name, l.value.span));
            }
            if l.tuple {
                return Err(names::tuple_let(l));
            }
            let value = self.expr(&l.value)?;
            let slot = self.n_locals;
            self.n_locals += 1;
            self.bind(
                l.name(),
                Binding::Local {
                    slot,
                    ty: value.ty,
                    konst: value.konst,
                },
            );
            lets.push((slot, value, l.span));
        }
        let mut body = value(self, &b.value)?;
        for (slot, value, span) in lets.into_iter().rev() {
            let ty = body.ty;
            let konst = body.konst && value.konst;
            body = node(
                TKind::Let {
                    slot,
                    value: Box::new(value),
                    body: Box::new(body),
                },
                ty,
                konst,
                span.to(b.span),
            );
        }
        Ok(body)
    }

    fn expr(&mut self, e: &ast::Expr) -> Res<TExpr> {
        let span = e.span;
        match &e.kind {
            ExprKind::Int(v) => Ok(node(
                TKind::Lit(Scalar::Int(*v)),
                Ty::weak(DType::I64),
                true,
                span,
            )),
            ExprKind::Float(v) => Ok(node(
                TKind::Lit(Scalar::F64(*v)),
                Ty::weak(DType::F64),
                true,
                span,
            )),
            ExprKind::Bool(v) => Ok(node(
                TKind::Lit(Scalar::Bool(*v)),
                Ty::weak(DType::Bool),
                true,
                span,
            )),
            ExprKind::Name(n) => self.name(n, span),
            ExprKind::Index { base, indices } => self.index(base, indices, span),
            ExprKind::Unary { op, operand } => {
                let a = self.expr(operand)?;
                self.unary(*op, a, span)
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let a = self.expr(lhs)?;
                let b = self.expr(rhs)?;
                self.binary(*op, a, b, span)
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                let c = self.expr(cond)?;
                let a = self.block(then)?;
                let b = self.block(otherwise)?;
                self.select(c, a, b, span, "if")
            }
            ExprKind::Call { func, args } => self.call(func, args, span),
            ExprKind::Reduce {
                op,
                args,
                vars,
                body,
            } => self.reduce(op, args, vars, body, span),
            ExprKind::Tuple(_) => Err(names::misplaced_tuple(span)),
            ExprKind::List(_) => Err(Diagnostic::new(
                "a list is only allowed as the value of a `const`",
                span,
            )),
        }
    }

    fn name(&mut self, n: &str, span: Span) -> Res<TExpr> {
        match self.lookup(span) {
            Some(&Binding::Local { slot, ty, konst }) => {
                return Ok(node(TKind::Local(slot), ty, konst, span));
            }
            Some(&Binding::Var { slot }) => {
                return Ok(node(TKind::Var(slot), Ty::weak(DType::I64), true, span));
            }
            None => {}
        }
        if let Some(i) = self.param_index(n) {
            let dtype = self.sig.expect("params imply a kernel").params[i].1;
            if let Some(Some(v)) = self.known.get(i) {
                // Compiled in: this specialization is for this value.
                return Ok(node(
                    TKind::Lit(v.cast(dtype)),
                    Ty::strong(dtype),
                    true,
                    span,
                ));
            }
            return Ok(node(TKind::Param(i), Ty::strong(dtype), false, span));
        }
        if self.input_index(n).is_some() && self.scalar_arg.is_some() {
            return Err(self.point_dependent(&format!("array `{n}`"), span));
        }
        if let Some(locals) = &self.scalar_arg
            && locals.iter().any(|l| l == n)
        {
            return Err(Diagnostic::new(
                format!("`{n}` is a local value; a stage's scalar argument cannot use it"),
                span,
            )
            .with_note("scalar arguments may use literals, consts and the calling kernel's scalar parameters"));
        }
        if self.input_index(n).is_some() {
            let rank = self.ndim.map_or(2, |(d, _)| d);
            return Err(names::array_as_value(n, rank, span));
        }
        match self.module.consts.get(n) {
            Some(ConstVal::Scalar(v, ty)) => Ok(node(TKind::Lit(*v), *ty, true, span)),
            Some(ConstVal::Table(t)) => Err(names::table_as_value(n, t.shape.len(), span)),
            None => Err(names::unknown(self.module, n, span, "name", &[])),
        }
    }

    fn offsets(&mut self, indices: &[ast::Expr], what: &str) -> Res<Vec<TExpr>> {
        let mut out = Vec::new();
        for ix in indices {
            let t = self.expr(ix)?;
            if !t.konst {
                return Err(Diagnostic::new(
                    format!("{what} must be a compile-time constant"),
                    t.span,
                )
                .with_label("depends on the data")
                .with_note("use literals, consts, integer parameters and reduction variables, e.g. `x[i - 1, 0]`"));
            }
            if !t.ty.dtype.is_int() {
                return Err(Diagnostic::new(
                    format!("{what} must be an integer, found {}", t.ty.dtype),
                    t.span,
                ));
            }
            let span = t.span;
            out.push(cast_to(t, Ty::weak(DType::I64), span));
        }
        Ok(out)
    }

    fn index(&mut self, base: &ast::Ident, indices: &[ast::Expr], span: Span) -> Res<TExpr> {
        let n = base.name.as_str();
        if let Some(Binding::Local { .. } | Binding::Var { .. }) = self.lookup(base.span) {
            return Err(names::value_indexed(n, base.span));
        }
        if self.scalar_arg.is_some() && self.input_index(n).is_some() {
            return Err(self.point_dependent(&format!("array `{n}`"), span));
        }
        if let Some(input) = self.input_index(n) {
            let offsets = self.offsets(indices, "an offset")?;
            match self.ndim {
                None => {
                    if offsets.is_empty() || offsets.len() > MAX_NDIM {
                        return Err(names::bad_rank(offsets.len(), span));
                    }
                    self.ndim = Some((offsets.len(), span));
                }
                Some((d, _)) if d != offsets.len() => {
                    return Err(names::rank_mismatch(n, offsets.len(), d, span));
                }
                Some(_) => {}
            }
            let dtype = self.inputs[input];
            return Ok(node(
                TKind::Load { input, offsets },
                Ty::strong(dtype),
                false,
                span,
            ));
        }
        if let Some(ConstVal::Table(t)) = self.module.consts.get(n) {
            let t = Arc::clone(t);
            let index = self.offsets(indices, "a table index")?;
            if index.len() != t.shape.len() {
                return Err(names::table_rank(n, t.shape.len(), index.len(), span));
            }
            let ty = t.ty;
            return Ok(node(TKind::Table { table: t, index }, ty, true, span));
        }
        if self.param_index(n).is_some() || self.module.consts.contains_key(n) {
            return Err(names::scalar_indexed(n, base.span));
        }
        Err(names::unknown(self.module, n, base.span, "array", &[]))
    }

    fn unary(&mut self, op: UnOp, a: TExpr, span: Span) -> Res<TExpr> {
        match op {
            UnOp::Neg => {
                let ty = promote::arith1(a.ty);
                Ok(unary_node(UnaryOp::Neg, a, ty, span))
            }
            UnOp::Not => {
                expect_bool(&a, "the operand of `not`")?;
                let ty = a.ty;
                Ok(unary_node(UnaryOp::Not, a, ty, span))
            }
            UnOp::BitNot => {
                if !a.ty.dtype.is_int() {
                    return Err(type_error("`~` takes an integer", &[&a], span));
                }
                let ty = promote::arith1(a.ty);
                Ok(unary_node(UnaryOp::BitNot, a, ty, span))
            }
        }
    }

    fn binary(&mut self, op: BinOp, a: TExpr, b: TExpr, span: Span) -> Res<TExpr> {
        let konst = a.konst && b.konst;
        let sym = op.symbol();
        let (bop, ty, result) = match op {
            BinOp::Or | BinOp::And => {
                if a.ty.dtype != DType::Bool || b.ty.dtype != DType::Bool {
                    return Err(type_error(
                        &format!("`{sym}` takes bool operands"),
                        &[&a, &b],
                        span,
                    )
                    .with_note("compare first, e.g. `x[0, 0] > 0`; use `&` and `|` for bits"));
                }
                let bop = if op == BinOp::Or {
                    BinaryOp::Or
                } else {
                    BinaryOp::And
                };
                let ty = promote::common(a.ty, b.ty);
                (bop, ty, ty)
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let ty = promote::common(a.ty, b.ty);
                let bop = match op {
                    BinOp::Eq => BinaryOp::Eq,
                    BinOp::Ne => BinaryOp::Ne,
                    BinOp::Lt => BinaryOp::Lt,
                    BinOp::Le => BinaryOp::Le,
                    BinOp::Gt => BinaryOp::Gt,
                    _ => BinaryOp::Ge,
                };
                (
                    bop,
                    ty,
                    Ty {
                        dtype: DType::Bool,
                        weak: ty.weak,
                    },
                )
            }
            BinOp::BitOr | BinOp::BitXor | BinOp::BitAnd => {
                let bop = match op {
                    BinOp::BitOr => BinaryOp::BitOr,
                    BinOp::BitXor => BinaryOp::BitXor,
                    _ => BinaryOp::BitAnd,
                };
                let ty = promote::common(a.ty, b.ty);
                if !ty.dtype.is_integral() || !a.ty.dtype.is_integral() || !b.ty.dtype.is_integral()
                {
                    return Err(type_error(
                        &format!("`{sym}` takes integers or bools"),
                        &[&a, &b],
                        span,
                    ));
                }
                (bop, ty, ty)
            }
            BinOp::Shl | BinOp::Shr => {
                let ty = promote::arith(a.ty, b.ty);
                if !ty.dtype.is_int() || !a.ty.dtype.is_integral() || !b.ty.dtype.is_integral() {
                    return Err(type_error(
                        &format!("`{sym}` takes integers"),
                        &[&a, &b],
                        span,
                    ));
                }
                let bop = if op == BinOp::Shl {
                    BinaryOp::Shl
                } else {
                    BinaryOp::Shr
                };
                (bop, ty, ty)
            }
            BinOp::Div => {
                let ty = promote::to_float(promote::arith(a.ty, b.ty));
                (BinaryOp::Div, ty, ty)
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::FloorDiv | BinOp::Mod | BinOp::Pow => {
                let ty = promote::arith(a.ty, b.ty);
                let bop = match op {
                    BinOp::Add => BinaryOp::Add,
                    BinOp::Sub => BinaryOp::Sub,
                    BinOp::Mul => BinaryOp::Mul,
                    BinOp::FloorDiv => BinaryOp::FloorDiv,
                    BinOp::Mod => BinaryOp::Mod,
                    _ => BinaryOp::Pow,
                };
                (bop, ty, ty)
            }
        };
        Ok(self.bin_node(bop, a, b, ty, result, konst, span))
    }

    #[allow(clippy::too_many_arguments)]
    fn bin_node(
        &self,
        op: BinaryOp,
        a: TExpr,
        b: TExpr,
        ty: Ty,
        result: Ty,
        konst: bool,
        span: Span,
    ) -> TExpr {
        let a = cast_to(a, ty, span);
        let b = cast_to(b, ty, span);
        node(
            TKind::Binary(op, Box::new(a), Box::new(b)),
            result,
            konst,
            span,
        )
    }

    fn select(&mut self, c: TExpr, a: TExpr, b: TExpr, span: Span, what: &str) -> Res<TExpr> {
        expect_bool(&c, &format!("the condition of `{what}`"))?;
        let ty = promote::common(a.ty, b.ty);
        let konst = c.konst && a.konst && b.konst;
        let a = cast_to(a, ty, span);
        let b = cast_to(b, ty, span);
        Ok(node(
            TKind::Select(Box::new(c), Box::new(a), Box::new(b)),
            ty,
            konst,
            span,
        ))
    }

    /// Types the arguments of a builtin or cast, after checking their
    /// number (`names::arity`).
    fn args(&mut self, func: &ast::Ident, args: &[ast::Expr], span: Span) -> Res<Vec<TExpr>> {
        let n = names::arity(&func.name).expect("a builtin or a cast");
        if !n.contains(&args.len()) {
            return Err(names::wrong_arity(&func.name, &n, args.len(), span));
        }
        args.iter().map(|a| self.expr(a)).collect()
    }

    fn call(&mut self, func: &ast::Ident, args: &[ast::Expr], span: Span) -> Res<TExpr> {
        let name = func.name.as_str();
        if let Some(dtype) = DType::from_name(name) {
            let mut a = self.args(func, args, span)?;
            let a = a.remove(0);
            let konst = a.konst;
            return Ok(node(
                TKind::Cast(Box::new(a)),
                Ty::strong(dtype),
                konst,
                span,
            ));
        }
        let Some(builtin) = builtins::builtin(name) else {
            return Err(names::unknown_function(self.module, name, func.span, span));
        };
        match builtin.typing {
            Typing::Float(op) => {
                let a = self.args(func, args, span)?.remove(0);
                let ty = promote::to_float(promote::arith1(a.ty));
                Ok(unary_node(op, a, ty, span))
            }
            Typing::Abs => {
                let a = self.args(func, args, span)?.remove(0);
                let ty = promote::arith1(a.ty);
                Ok(unary_node(UnaryOp::Abs, a, ty, span))
            }
            Typing::IsNan => {
                let a = self.args(func, args, span)?.remove(0);
                let weak = a.ty.weak;
                if a.ty.dtype.is_float() {
                    let ty = a.ty;
                    let mut t = unary_node(UnaryOp::IsNan, a, ty, span);
                    t.ty = Ty {
                        dtype: DType::Bool,
                        weak,
                    };
                    Ok(t)
                } else {
                    // Integers are never NaN; the operand has no effects to keep.
                    Ok(node(
                        TKind::Lit(Scalar::Bool(false)),
                        Ty {
                            dtype: DType::Bool,
                            weak,
                        },
                        true,
                        span,
                    ))
                }
            }
            Typing::Fold(op) => {
                let mut it = self.args(func, args, span)?.into_iter();
                let mut acc = it.next().expect("at least two arguments");
                for b in it {
                    let ty = promote::common(acc.ty, b.ty);
                    let konst = acc.konst && b.konst;
                    acc = self.bin_node(op, acc, b, ty, ty, konst, span);
                }
                Ok(acc)
            }
            Typing::Clamp => {
                let mut a = self.args(func, args, span)?.into_iter();
                let (x, lo, hi) = (a.next().unwrap(), a.next().unwrap(), a.next().unwrap());
                let ty = promote::common(promote::common(x.ty, lo.ty), hi.ty);
                let k1 = x.konst && lo.konst;
                let m = self.bin_node(BinaryOp::Max, x, lo, ty, ty, k1, span);
                let k2 = m.konst && hi.konst;
                Ok(self.bin_node(BinaryOp::Min, m, hi, ty, ty, k2, span))
            }
            Typing::Pow => {
                let mut a = self.args(func, args, span)?.into_iter();
                let (x, y) = (a.next().unwrap(), a.next().unwrap());
                self.binary(BinOp::Pow, x, y, span)
            }
            Typing::Hypot => {
                let mut a = self.args(func, args, span)?.into_iter();
                let (x, y) = (a.next().unwrap(), a.next().unwrap());
                let ty = promote::to_float(promote::arith(x.ty, y.ty));
                let konst = x.konst && y.konst;
                Ok(self.bin_node(BinaryOp::Hypot, x, y, ty, ty, konst, span))
            }
            Typing::Where => {
                let mut a = self.args(func, args, span)?.into_iter();
                let (c, x, y) = (a.next().unwrap(), a.next().unwrap(), a.next().unwrap());
                self.select(c, x, y, span, "where")
            }
            Typing::Axis if self.scalar_arg.is_some() => {
                Err(self.point_dependent(&format!("`{name}(...)`"), span))
            }
            Typing::Axis => {
                let a = self.args(func, args, span)?.remove(0);
                if a.ty.dtype.is_float() || a.ty.dtype == DType::Bool {
                    return Err(Diagnostic::new(
                        format!("the axis of `{name}` must be an integer"),
                        a.span,
                    ));
                }
                let axis = self.fold(&a).map_err(|_| {
                    Diagnostic::new(format!("the axis of `{name}` must be a constant"), a.span)
                })?;
                let axis = axis.as_i64().unwrap_or(-1);
                self.axes.push((axis, a.span));
                let k = axis.max(0) as usize;
                let kind = if name == "index" {
                    TKind::Index(k)
                } else {
                    TKind::Shape(k)
                };
                Ok(node(kind, Ty::strong(DType::I64), false, span))
            }
        }
    }

    fn reduce(
        &mut self,
        op: &ast::Ident,
        args: &[ast::Expr],
        vars: &[ast::RangeVar],
        body: &ast::Block,
        span: Span,
    ) -> Res<TExpr> {
        let bop = match op.name.as_str() {
            "sum" => Some(BinaryOp::Add),
            "prod" => Some(BinaryOp::Mul),
            "min" => Some(BinaryOp::Min),
            "max" => Some(BinaryOp::Max),
            "median" | "rank" => None,
            _ => return Err(names::unknown_reduction(op)),
        };
        let want_args = usize::from(op.name == "rank");
        if args.len() != want_args {
            return Err(names::reduction_args(op, args.len(), span));
        }
        // `rank`'s index, counted from the end when negative.
        let rank = match args.first() {
            None => None,
            Some(a) => {
                let t = self.expr(a)?;
                if !t.ty.dtype.is_int() {
                    return Err(Diagnostic::new(
                        "the index of `rank` must be an integer",
                        t.span,
                    ));
                }
                let k = self.fold(&t).map_err(|_| {
                    Diagnostic::new(
                        "the index of `rank` must be a compile-time constant",
                        t.span,
                    )
                })?;
                Some((k.as_i64().unwrap_or(0), t.span))
            }
        };
        let mut rvars = Vec::new();
        let mut points: u128 = 1;
        for v in vars {
            let bound = |c: &mut Checker, e: &ast::Expr| -> Res<(TExpr, i64)> {
                let t = c.expr(e)?;
                if !t.ty.dtype.is_int() {
                    return Err(Diagnostic::new("a range bound must be an integer", t.span));
                }
                let value = c.fold(&t).map_err(|_| {
                    Diagnostic::new("a range bound must be a compile-time constant", t.span)
                        .with_note("ranges are unrolled when the kernel is compiled: use literals, consts and integer parameters")
                })?;
                Ok((t, value.as_i64().unwrap_or(0)))
            };
            let (lo, l) = bound(self, &v.lo)?;
            let (hi, h) = bound(self, &v.hi)?;
            if l > h {
                return Err(Diagnostic::new(
                    format!("the range {l}..={h} is empty"),
                    v.span,
                ));
            }
            points *= (h as i128 - l as i128 + 1) as u128;
            if points.saturating_mul(self.unrolled) > MAX_UNROLL {
                return Err(Diagnostic::new(
                    format!("this reduction is too large: more than {MAX_UNROLL} points, counting enclosing reductions"),
                    span,
                )
                .with_note("reductions are unrolled at compile time"));
            }
            let slot = self.n_vars;
            self.n_vars += 1;
            rvars.push(ReduceVar {
                slot,
                lo,
                hi,
                span: v.span,
            });
            self.bind(&v.name, Binding::Var { slot });
        }
        let outer = self.unrolled;
        self.unrolled = self.unrolled.saturating_mul(points);
        let b = self.block(body);
        self.unrolled = outer;
        let b = b?;
        let konst = b.konst;
        let Some(bop) = bop else {
            // `median` and `rank`: the term of one index of the sorted
            // terms, in the terms' own type.
            let n = points as i64;
            let k = match rank {
                None => n / 2,
                Some((k, _)) if k < 0 => n + k,
                Some((k, _)) => k,
            };
            if !(0..n).contains(&k) {
                let (given, at) = rank.expect("median's index is in range");
                return Err(Diagnostic::new(
                    format!("`rank` index {given} is out of range for {n} terms"),
                    at,
                )
                .with_note(format!(
                    "indices run from 0 (the least) to {} (the greatest); negative ones count from the end",
                    n - 1
                )));
            }
            let ty = b.ty;
            return Ok(node(
                TKind::Rank {
                    k: k as usize,
                    vars: rvars,
                    body: Box::new(b),
                },
                ty,
                konst,
                span,
            ));
        };
        let ty = match bop {
            BinaryOp::Add | BinaryOp::Mul => promote::arith1(b.ty),
            // `min`/`max` compute in the common type (an i8 body folds in i64).
            _ => promote::common(b.ty, b.ty),
        };
        let b = cast_to(b, ty, span);
        Ok(node(
            TKind::Reduce {
                op: bop,
                vars: rvars,
                body: Box::new(b),
            },
            ty,
            konst,
            span,
        ))
    }
}

fn expect_bool(a: &TExpr, what: &str) -> Res<()> {
    if a.ty.dtype != DType::Bool {
        return Err(Diagnostic::new(
            format!("{what} must be a bool, found {}", a.ty.dtype),
            a.span,
        )
        .with_label(format!("this is {}", a.ty.dtype))
        .with_note("compare to get a bool, e.g. `x[0, 0] != 0`"));
    }
    Ok(())
}

fn type_error(what: &str, operands: &[&TExpr], span: Span) -> Diagnostic {
    let found: Vec<String> = operands.iter().map(|t| t.ty.dtype.to_string()).collect();
    Diagnostic::new(format!("{what}, found {}", found.join(" and ")), span)
}
