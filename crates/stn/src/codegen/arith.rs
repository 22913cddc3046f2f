//! Scalar operations: constants, casts, unary and binary operations.
//!
//! Each function here is the compiled twin of `Scalar::cast` or of
//! `types::ops::{unary, binary}` and must agree with it bit for bit (NaN
//! payloads aside). Where an operation is not a Cranelift instruction with
//! exactly the reference semantics, it calls the `rt` helper the reference
//! itself calls.

use super::CodegenError;
use super::translate::{Lowering, clif_type};
use crate::base::dtype::DType;
use crate::base::ops::{BinaryOp, UnaryOp};
use crate::base::scalar::{Scalar, int_range};
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{AbiParam, InstBuilder, Type, Value, types};
use cranelift_module::{Linkage, Module};

/// `rt`'s name suffix for a compute dtype.
fn rt_suffix(d: DType) -> &'static str {
    match d {
        DType::U64 => "u64",
        DType::F32 => "f32",
        DType::F64 => "f64",
        _ => "i64",
    }
}

/// Multiplier and shift for dividing a value below 2^63 by `c` (>= 2):
/// `t / c == umulhi(t, m) >> shift`. With `l = ceil(log2 c)` and
/// `m = ceil(2^(63 + l) / c)`, `m * c - 2^(63 + l) < c <= 2^l`, which is
/// Granlund and Montgomery's condition (Theorem 4.2) for 63-bit dividends;
/// `m < 2^64`, so it fits a register.
pub(super) fn magic_63(c: u64) -> (u64, u32) {
    debug_assert!(c >= 2);
    let l = 64 - (c - 1).leading_zeros(); // ceil(log2 c)
    let m = (1u128 << (63 + l)).div_ceil(c as u128);
    debug_assert!(m < 1u128 << 64);
    (m as u64, l - 1)
}

fn unsupported(what: impl std::fmt::Debug, d: DType) -> CodegenError {
    CodegenError::InvalidIr(format!("{what:?} on {d}"))
}

impl Lowering<'_, '_> {
    /// The constant `s`, converted to `d`.
    pub(super) fn constant(&mut self, s: Scalar, d: DType) -> Value {
        let ty = clif_type(d);
        match s.cast(d) {
            Scalar::F32(x) => self.b.ins().f32const(x),
            Scalar::F64(x) => self.b.ins().f64const(x),
            Scalar::Bool(x) => self.b.ins().iconst(ty, x as i64),
            Scalar::Int(x) => self.int_const(ty, x),
            Scalar::U64(x) => self.int_const(ty, x as i64),
        }
    }

    /// An integer constant of type `ty`, wrapped to its width.
    fn int_const(&mut self, ty: Type, x: i64) -> Value {
        let bits = ty.bits();
        let masked = if bits == 64 {
            x
        } else {
            x & ((1i64 << bits) - 1)
        };
        self.b.ins().iconst(ty, masked)
    }

    /// Calls the `rt` helper `stn_<name>`, whose arguments and result all have type `ty`.
    pub(super) fn call_rt(
        &mut self,
        name: &str,
        ty: Type,
        args: &[Value],
    ) -> Result<Value, CodegenError> {
        let params = vec![ty; args.len()];
        self.call_helper(name, &params, ty, args)
    }

    /// Calls the `rt` helper `stn_<name>` with arguments of types `params`
    /// and a result of type `ret`.
    pub(super) fn call_helper(
        &mut self,
        name: &str,
        params: &[Type],
        ret: Type,
        args: &[Value],
    ) -> Result<Value, CodegenError> {
        let name = format!("stn_{name}");
        let f = match self.helpers.get(&name) {
            Some(&f) => f,
            None => {
                let mut sig = self.module.make_signature();
                sig.params.extend(params.iter().map(|&t| AbiParam::new(t)));
                sig.returns.push(AbiParam::new(ret));
                let id = self
                    .module
                    .declare_function(&name, Linkage::Import, &sig)
                    .map_err(|e| CodegenError::Cranelift(e.to_string()))?;
                let f = self.module.declare_func_in_func(id, self.b.func);
                self.helpers.insert(name, f);
                f
            }
        };
        let call = self.b.ins().call(f, args);
        Ok(self.b.inst_results(call)[0])
    }

    /// `Scalar::cast` from `from` to `to`.
    pub(super) fn cast(&mut self, v: Value, from: DType, to: DType) -> Value {
        if from == to {
            return v;
        }
        let ty = clif_type(to);
        if to == DType::Bool {
            // Anything nonzero is true; NaN too (`une`).
            return if from.is_float() {
                let zero = self.float_zero(from);
                self.b.ins().fcmp(FloatCC::NotEqual, v, zero)
            } else {
                self.b.ins().icmp_imm_s(IntCC::NotEqual, v, 0)
            };
        }
        if to.is_float() {
            return match from {
                DType::F32 => self.b.ins().fpromote(ty, v),
                DType::F64 => self.b.ins().fdemote(ty, v),
                // One rounding, straight from the integer.
                DType::U64 => self.b.ins().fcvt_from_uint(ty, v),
                _ => {
                    let w = self.widen(v, from);
                    self.b.ins().fcvt_from_sint(ty, w)
                }
            };
        }
        if from.is_float() {
            // Rust `as`: truncate toward zero, saturate, NaN to 0.
            return match to {
                DType::U64 => self.b.ins().fcvt_to_uint_sat(types::I64, v),
                DType::I64 => self.b.ins().fcvt_to_sint_sat(types::I64, v),
                narrow => {
                    let t = self.b.ins().fcvt_to_sint_sat(types::I64, v);
                    let (lo, hi) = int_range(narrow);
                    let lo = self.b.ins().iconst(types::I64, lo);
                    let hi = self.b.ins().iconst(types::I64, hi);
                    let t = self.b.ins().smax(t, lo);
                    let t = self.b.ins().smin(t, hi);
                    self.b.ins().ireduce(ty, t)
                }
            };
        }
        // Integer (or bool) to integer: wrap, or extend by the source's sign.
        let (fw, tw) = (clif_type(from).bits(), ty.bits());
        if tw < fw {
            self.b.ins().ireduce(ty, v)
        } else if tw == fw {
            v
        } else if from.is_signed() {
            self.b.ins().sextend(ty, v)
        } else {
            self.b.ins().uextend(ty, v)
        }
    }

    /// An integer or bool as an `i64` of the same value.
    fn widen(&mut self, v: Value, from: DType) -> Value {
        match from {
            DType::I64 | DType::U64 => v,
            d if d.is_signed() => self.b.ins().sextend(types::I64, v),
            _ => self.b.ins().uextend(types::I64, v),
        }
    }

    fn float_zero(&mut self, d: DType) -> Value {
        if d == DType::F32 {
            self.b.ins().f32const(0.0)
        } else {
            self.b.ins().f64const(0.0)
        }
    }

    /// `ops::unary`: operand of dtype `d`, result of dtype `out`.
    pub(super) fn unary(
        &mut self,
        op: UnaryOp,
        d: DType,
        out: DType,
        v: Value,
    ) -> Result<Value, CodegenError> {
        use DType as D;
        use UnaryOp as U;
        let expected = if op == U::IsNan { D::Bool } else { d };
        if out != expected {
            return Err(unsupported(op, out));
        }
        let ins = self.b.ins();
        Ok(match (op, d) {
            (U::Neg, D::I64 | D::U64) => ins.ineg(v),
            (U::Neg, D::F32 | D::F64) => ins.fneg(v),
            (U::Not | U::BitNot, D::Bool) => ins.bxor_imm_s(v, 1),
            (U::BitNot, D::I64 | D::U64) => ins.bnot(v),
            (U::Abs, D::I64) => ins.iabs(v),
            (U::Abs, D::U64) => v,
            (U::Abs, D::F32 | D::F64) => ins.fabs(v),
            (U::IsNan, D::F32 | D::F64) => ins.fcmp(FloatCC::Unordered, v, v),
            (U::Sqrt, D::F32 | D::F64) => ins.sqrt(v),
            (U::Floor, D::F32 | D::F64) => ins.floor(v),
            (U::Ceil, D::F32 | D::F64) => ins.ceil(v),
            (U::Round, D::F32 | D::F64) => ins.nearest(v),
            (U::Exp | U::Log | U::Sin | U::Cos | U::Tan | U::Tanh, D::F32 | D::F64) => {
                let name = format!("{}_{}", format!("{op:?}").to_lowercase(), rt_suffix(d));
                return self.call_rt(&name, clif_type(d), &[v]);
            }
            _ => return Err(unsupported(op, d)),
        })
    }

    /// `ops::binary`: operands of dtype `d`, result of dtype `out`.
    pub(super) fn binary(
        &mut self,
        op: BinaryOp,
        d: DType,
        out: DType,
        x: Value,
        y: Value,
    ) -> Result<Value, CodegenError> {
        use BinaryOp as B;
        use DType as D;
        let boolean = op.is_comparison() || matches!(op, B::And | B::Or);
        if out != (if boolean { D::Bool } else { d }) {
            return Err(unsupported(op, out));
        }
        let ty = clif_type(d);
        Ok(match d {
            D::Bool => {
                let ins = self.b.ins();
                match op {
                    B::And | B::BitAnd | B::Min => ins.band(x, y),
                    B::Or | B::BitOr | B::Max => ins.bor(x, y),
                    B::BitXor | B::Ne => ins.bxor(x, y),
                    B::Eq | B::Lt | B::Le | B::Gt | B::Ge => ins.icmp(int_cc(op, false), x, y),
                    _ => return Err(unsupported(op, d)),
                }
            }
            D::I64 | D::U64 => {
                let signed = d == D::I64;
                match op {
                    B::Add => self.b.ins().iadd(x, y),
                    B::Sub => self.b.ins().isub(x, y),
                    B::Mul => self.b.ins().imul(x, y),
                    B::BitAnd => self.b.ins().band(x, y),
                    B::BitOr => self.b.ins().bor(x, y),
                    B::BitXor => self.b.ins().bxor(x, y),
                    B::Min if signed => self.b.ins().smin(x, y),
                    B::Min => self.b.ins().umin(x, y),
                    B::Max if signed => self.b.ins().smax(x, y),
                    B::Max => self.b.ins().umax(x, y),
                    B::Shl => self.shift(x, y, false, false),
                    B::Shr => self.shift(x, y, true, signed),
                    B::FloorDiv | B::Mod | B::Pow => {
                        let name = format!("{}_{}", rt_name(op), rt_suffix(d));
                        return self.call_rt(&name, ty, &[x, y]);
                    }
                    op if op.is_comparison() => self.b.ins().icmp(int_cc(op, signed), x, y),
                    _ => return Err(unsupported(op, d)),
                }
            }
            D::F32 | D::F64 => match op {
                B::Add => self.b.ins().fadd(x, y),
                B::Sub => self.b.ins().fsub(x, y),
                B::Mul => self.b.ins().fmul(x, y),
                B::Div => self.b.ins().fdiv(x, y),
                // Cranelift's `fmin`/`fmax` are IEEE 754-2019 minimum and
                // maximum, as `rt::min_f64` and friends. Which NaN they give
                // differs between scalar and vector code, so a NaN operand
                // is passed through, `x`'s first, as the vector code does:
                // a point's bits must not depend on which code computed it.
                B::Min | B::Max => {
                    let ins = self.b.ins();
                    let r = if op == B::Min {
                        ins.fmin(x, y)
                    } else {
                        ins.fmax(x, y)
                    };
                    let ny = self.b.ins().fcmp(FloatCC::Unordered, y, y);
                    let r = self.b.ins().select(ny, y, r);
                    let nx = self.b.ins().fcmp(FloatCC::Unordered, x, x);
                    self.b.ins().select(nx, x, r)
                }
                B::FloorDiv | B::Mod | B::Pow | B::Hypot => {
                    let name = format!("{}_{}", rt_name(op), rt_suffix(d));
                    return self.call_rt(&name, ty, &[x, y]);
                }
                op if op.is_comparison() => self.b.ins().fcmp(float_cc(op), x, y),
                _ => return Err(unsupported(op, d)),
            },
            _ => return Err(unsupported(op, d)),
        })
    }

    /// Integer `//` or `%` by a constant divisor `c`, inline (no call):
    /// truncating division, then Python's floor adjustment when the
    /// remainder and the divisor differ in sign. `c` must be nonzero, and
    /// not -1 for `I64` (where `sdiv` could trap on `i64::MIN`); the caller
    /// leaves those to `rt`.
    pub(super) fn div_by_const(&mut self, op: BinaryOp, d: DType, x: Value, c: i64) -> Value {
        let ty = types::I64;
        let cv = self.b.ins().iconst(ty, c);
        if d == DType::U64 {
            return match op {
                BinaryOp::FloorDiv => self.b.ins().udiv(x, cv),
                _ => self.b.ins().urem(x, cv),
            };
        }
        if c == 1 {
            return match op {
                BinaryOp::FloorDiv => x,
                _ => self.b.ins().iconst(ty, 0),
            };
        }
        let q = if c > 1 {
            // floor(x / c) = x >= 0 ? x / c : !(!x / c), and `!x` of a
            // negative x is non-negative: one unsigned division of a 63-bit
            // value, done as a multiply by a magic number.
            let sign = self.b.ins().sshr_imm_u(x, 63i64);
            let t = self.b.ins().bxor(x, sign);
            let (m, shift) = magic_63(c as u64);
            let m = self.b.ins().iconst(ty, m as i64);
            let hi = self.b.ins().umulhi(t, m);
            let q = self.b.ins().ushr_imm_u(hi, shift as i64);
            self.b.ins().bxor(q, sign)
        } else {
            // Negative divisors: truncating division, then the floor fix
            // when the remainder is positive (the divisor's sign differs).
            let q = self.b.ins().sdiv(x, cv);
            let qc = self.b.ins().imul(q, cv);
            let r = self.b.ins().isub(x, qc);
            let adjust = self.b.ins().icmp_imm_s(IntCC::SignedGreaterThan, r, 0);
            let adjust = self.b.ins().uextend(ty, adjust);
            self.b.ins().isub(q, adjust)
        };
        match op {
            BinaryOp::FloorDiv => q,
            _ => {
                let qc = self.b.ins().imul(q, cv);
                self.b.ins().isub(x, qc)
            }
        }
    }

    /// `rt::{shl,shr}_{i64,u64}` inline: counts outside 0..=63 give 0, or the
    /// sign fill for an arithmetic right shift.
    fn shift(&mut self, x: Value, n: Value, right: bool, signed: bool) -> Value {
        let zero = self.b.ins().iconst(types::I64, 0);
        if right && signed {
            // Counts outside 0..=63, negative ones included (huge unsigned),
            // shift by 63: the sign fill.
            let c63 = self.b.ins().iconst(types::I64, 63);
            let s = self.b.ins().umin(n, c63);
            return self.b.ins().sshr(x, s);
        }
        // Cranelift masks the count to 0..=63; the select handles the rest,
        // negative counts included (they are huge unsigned).
        let shifted = if right {
            self.b.ins().ushr(x, n)
        } else {
            self.b.ins().ishl(x, n)
        };
        let in_range = self.b.ins().icmp_imm_s(IntCC::UnsignedLessThan, n, 64);
        self.b.ins().select(in_range, shifted, zero)
    }
}

fn rt_name(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::FloorDiv => "floordiv",
        BinaryOp::Mod => "mod",
        BinaryOp::Pow => "pow",
        _ => "hypot",
    }
}

fn int_cc(op: BinaryOp, signed: bool) -> IntCC {
    match (op, signed) {
        (BinaryOp::Eq, _) => IntCC::Equal,
        (BinaryOp::Ne, _) => IntCC::NotEqual,
        (BinaryOp::Lt, true) => IntCC::SignedLessThan,
        (BinaryOp::Le, true) => IntCC::SignedLessThanOrEqual,
        (BinaryOp::Gt, true) => IntCC::SignedGreaterThan,
        (BinaryOp::Ge, true) => IntCC::SignedGreaterThanOrEqual,
        (BinaryOp::Lt, false) => IntCC::UnsignedLessThan,
        (BinaryOp::Le, false) => IntCC::UnsignedLessThanOrEqual,
        (BinaryOp::Gt, false) => IntCC::UnsignedGreaterThan,
        (_, false) => IntCC::UnsignedGreaterThanOrEqual,
        (_, true) => IntCC::SignedGreaterThanOrEqual,
    }
}

/// Ordered comparisons (false on NaN), except `Ne`, which is true on NaN.
fn float_cc(op: BinaryOp) -> FloatCC {
    match op {
        BinaryOp::Eq => FloatCC::Equal,
        BinaryOp::Ne => FloatCC::NotEqual,
        BinaryOp::Lt => FloatCC::LessThan,
        BinaryOp::Le => FloatCC::LessThanOrEqual,
        BinaryOp::Gt => FloatCC::GreaterThan,
        _ => FloatCC::GreaterThanOrEqual,
    }
}
