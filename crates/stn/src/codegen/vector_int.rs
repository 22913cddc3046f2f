//! Integer instructions in narrow vector lanes (`i16x8`, `i32x4`).
//!
//! `vector::int_plan` admits a kernel only when `analysis::range` proves
//! that every value fits the lanes as a signed integer. Every lane then holds
//! the exact value the scalar i64 code computes, so plain lane arithmetic is
//! exact; the only places that need care are conversions that wrap (to a
//! dtype narrower than the value's range), floor division by a constant
//! (a multiply and a shift, exact over the proven range), and the store,
//! which narrows to the output dtype.

use super::CodegenError;
use super::translate::{Lowering, data_flags};
use super::vector::{FLOAT_DIV_LIMIT, magic_32, magic_q15};
use crate::base::dtype::DType;
use crate::base::ops::{BinaryOp, UnaryOp};
use crate::ir::Op;
use crate::ir::range::Range;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{Endianness, InstBuilder, MemFlagsData, Value, types};

impl Lowering<'_, '_> {
    /// Translates innermost-loop instruction `i` in `bits`-bit lanes.
    pub(super) fn vinst_int(&mut self, i: usize, bits: u32) -> Result<Value, CodegenError> {
        let f = self.f;
        let inst = &f.insts[i];
        let vt = self.mask_vec();
        Ok(match &inst.op {
            Op::Load { input, offset } => {
                let (addr, imm) = self.load_address(*input, offset);
                let flags = data_flags();
                let ins = self.b.ins();
                match (inst.dtype, bits) {
                    (DType::I8, 16) => ins.sload8x8(flags, addr, imm),
                    (DType::U8, 16) => ins.uload8x8(flags, addr, imm),
                    (DType::I16, 32) => ins.sload16x4(flags, addr, imm),
                    (DType::U16, 32) => ins.uload16x4(flags, addr, imm),
                    (DType::I16, 16) | (DType::I32, 32) => ins.load(vt, flags, addr, imm),
                    _ => return Err(unsupported(i)),
                }
            }
            Op::Cast(a) => {
                let from = f.insts[*a as usize].dtype;
                let x = self.vector_of(*a);
                self.vcast(x, from, inst.dtype, *a, bits)
            }
            Op::Rank { k, terms } => self.vrank_int(*k, terms),
            Op::Unary(op, a) => {
                let x = self.vector_of(*a);
                let ins = self.b.ins();
                match op {
                    UnaryOp::Neg => ins.ineg(x),
                    UnaryOp::Abs => ins.iabs(x),
                    UnaryOp::BitNot | UnaryOp::Not => ins.bnot(x),
                    _ => return Err(unsupported(i)),
                }
            }
            Op::Binary(op, a, b) => {
                let on_bools = f.insts[*a as usize].dtype == DType::Bool;
                let x = self.vector_of(*a);
                if !on_bools && matches!(op, BinaryOp::FloorDiv | BinaryOp::Mod) {
                    return self.vdiv_const(i, *op, x, *a, *b, bits);
                }
                let y = self.vector_of(*b);
                let ins = self.b.ins();
                match op {
                    BinaryOp::Add => ins.iadd(x, y),
                    BinaryOp::Sub => ins.isub(x, y),
                    BinaryOp::Mul => ins.imul(x, y),
                    BinaryOp::Min => ins.smin(x, y),
                    BinaryOp::Max => ins.smax(x, y),
                    BinaryOp::And | BinaryOp::BitAnd => ins.band(x, y),
                    BinaryOp::Or | BinaryOp::BitOr => ins.bor(x, y),
                    BinaryOp::BitXor => ins.bxor(x, y),
                    BinaryOp::Ne if on_bools => ins.bxor(x, y),
                    BinaryOp::Eq if on_bools => {
                        let d = ins.bxor(x, y);
                        self.b.ins().bnot(d)
                    }
                    // Lanes hold exact values, so a signed compare is right
                    // for unsigned dtypes too.
                    op => match signed_cc(*op) {
                        Some(cc) => ins.icmp(cc, x, y),
                        None => return Err(unsupported(i)),
                    },
                }
            }
            Op::Select(c, a, b) => {
                let (m, x, y) = (self.vector_of(*c), self.vector_of(*a), self.vector_of(*b));
                self.b.ins().bitselect(m, x, y)
            }
            _ => return Err(unsupported(i)),
        })
    }

    /// Converts lanes holding exact values of `from` to `to`.
    fn vcast(&mut self, x: Value, from: DType, to: DType, a: u32, bits: u32) -> Value {
        let vt = self.mask_vec();
        if from == DType::Bool {
            // A mask (-1 or 0) to 1 or 0.
            return self.b.ins().ineg(x);
        }
        if to == DType::Bool {
            let zero = self.b.ins().iconst(vt.lane_type(), 0);
            let zero = self.b.ins().splat(vt, zero);
            return self.b.ins().icmp(IntCC::NotEqual, x, zero);
        }
        let target = Range::of_dtype(to).expect("an integer dtype");
        if self.ranges[a as usize].is_some_and(|r| r.within(target)) {
            return x; // the value is unchanged
        }
        // Wrap to `to`'s width, which the plan guarantees is narrower
        // than the lanes (its whole range fits them).
        let width = (to.size() * 8) as i64;
        if to.is_signed() {
            let up = self.b.ins().ishl_imm_s(x, bits as i64 - width);
            self.b.ins().sshr_imm_s(up, bits as i64 - width)
        } else {
            let mask = self.b.ins().iconst(vt.lane_type(), (1i64 << width) - 1);
            let mask = self.b.ins().splat(vt, mask);
            self.b.ins().band(x, mask)
        }
    }

    /// `x // c` or `x % c` for a positive constant `c`, exact over `x`'s
    /// proven range: floor(x / c) = x >= 0 ? t / c : !(t / c) with
    /// t = x ^ (x >> (bits - 1)) >= 0, and `t / c` a multiply and a shift in
    /// 32-bit lanes (16-bit lanes are widened for it).
    fn vdiv_const(
        &mut self,
        i: usize,
        op: BinaryOp,
        x: Value,
        a: u32,
        b: u32,
        bits: u32,
    ) -> Result<Value, CodegenError> {
        let vt = self.mask_vec();
        let c = match &self.f.insts[b as usize].op {
            Op::Const(s) => s
                .as_i64()
                .filter(|&c| c > 0)
                .ok_or_else(|| unsupported(i))?,
            _ => return Err(unsupported(i)),
        };
        let q = if c == 1 {
            x
        } else {
            let r = self.ranges[a as usize].ok_or_else(|| unsupported(i))?;
            let top = r.hi.max(-r.lo - 1).max(0) as u64;
            let biased = if bits == 16 { biased_q15(r, c) } else { None };
            if let Some((0, m, k)) = biased {
                return Ok(self.floor_div_q15_mul(op, x, c, 0, m, k));
            }
            if bits == 16
                && let Some((m, k)) = signed_q15(r, c)
            {
                return Ok(self.floor_div_q15_mul(op, x, c, 0, m, k));
            }
            if let Some((bias, m, k)) = biased {
                return Ok(self.floor_div_q15_mul(op, x, c, bias, m, k));
            }
            if bits == 16
                && let Some((m, k)) = magic_q15(top, c as u64)
            {
                return Ok(self.floor_div_q15(op, x, c, m, k));
            }
            let magic = magic_32(top, c as u64);
            if magic.is_none() && (top as i128) >= FLOAT_DIV_LIMIT {
                return Err(unsupported(i));
            }
            let nonneg = r.lo >= 0;
            let div = |me: &mut Self, v: Value| match magic {
                Some((m, s)) => me.floor_div_32(v, m, s, nonneg),
                None => match reciprocal_up(r, c) {
                    Some(m) => me.floor_div_f32_up(v, m),
                    None => me.floor_div_f32(v, c, nonneg),
                },
            };
            if bits == 32 {
                div(self, x)
            } else {
                let lo = self.b.ins().swiden_low(x);
                let hi = self.b.ins().swiden_high(x);
                let (ql, qh) = (div(self, lo), div(self, hi));
                self.b.ins().snarrow(ql, qh)
            }
        };
        Ok(match op {
            BinaryOp::FloorDiv => q,
            _ => {
                // x - q c, exact modulo 2^bits, and the true remainder fits.
                let cv = self.b.ins().iconst(vt.lane_type(), c);
                let cv = self.b.ins().splat(vt, cv);
                let qc = self.b.ins().imul(q, cv);
                self.b.ins().isub(x, qc)
            }
        })
    }

    /// `x // c` or `x % c` in i16x8 lanes by the rounding fixed-point
    /// multiply: `t = x + bias c`, `q = q15(t, m) >> k - bias`. x86's
    /// `pmulhrsw` is `(t m + 2^14) >> 15` with an arithmetic shift, a floor,
    /// and so is the arithmetic shift after it: `q15(t, m) >> k` is
    /// `floor((t m + 2^14) / 2^(15 + k))`, which `signed_q15` (bias 0, two
    /// instructions) or `biased_q15` (t non-negative, four) checked equal to
    /// `floor(t / c)` on every value of the range. With `m > 0` the one
    /// product `pmulhrsw` saturates (-2^15 times -2^15) never occurs.
    fn floor_div_q15_mul(
        &mut self,
        op: BinaryOp,
        x: Value,
        c: i64,
        bias: i64,
        m: i16,
        k: u32,
    ) -> Value {
        let splat = |me: &mut Self, v: i64| {
            let s = me.b.ins().iconst(types::I16, v);
            me.b.ins().splat(types::I16X8, s)
        };
        let t = if bias > 0 {
            let b = splat(self, bias * c);
            self.b.ins().iadd(x, b)
        } else {
            x
        };
        let mv = splat(self, m as i64);
        let p = if x86_pmulhrsw() {
            self.b.ins().x86_pmulhrsw(t, mv)
        } else {
            self.b.ins().sqmul_round_sat(t, mv)
        };
        let q = if k > 0 {
            self.b.ins().sshr_imm_s(p, k as i64)
        } else {
            p
        };
        let q = if bias > 0 {
            let b = splat(self, bias);
            self.b.ins().isub(q, b)
        } else {
            q
        };
        match op {
            BinaryOp::FloorDiv => q,
            _ => {
                let cv = splat(self, c);
                let qc = self.b.ins().imul(q, cv);
                self.b.ins().isub(x, qc)
            }
        }
    }

    /// `x // c` or `x % c` in i16x8 lanes with the rounding fixed-point
    /// multiply: t = x ^ (x >> 15), q = q15(t, m) >> k, floor = q ^ (x >> 15).
    fn floor_div_q15(&mut self, op: BinaryOp, x: Value, c: i64, m: i16, k: u32) -> Value {
        let sign = self.b.ins().sshr_imm_s(x, 15);
        let t = self.b.ins().bxor(x, sign);
        let mv = self.b.ins().iconst(types::I16, m as i64);
        let mv = self.b.ins().splat(types::I16X8, mv);
        let p = self.b.ins().sqmul_round_sat(t, mv);
        let q = if k > 0 {
            self.b.ins().ushr_imm_s(p, k as i64)
        } else {
            p
        };
        let q = self.b.ins().bxor(q, sign);
        match op {
            BinaryOp::FloorDiv => q,
            _ => {
                let cv = self.b.ins().iconst(types::I16, c);
                let cv = self.b.ins().splat(types::I16X8, cv);
                let qc = self.b.ins().imul(q, cv);
                self.b.ins().isub(x, qc)
            }
        }
    }

    /// Floor division of i32x4 lanes by the constant whose magic is `(m, s)`;
    /// lanes proven `nonneg` need no sign folding.
    fn floor_div_32(&mut self, x: Value, m: u32, s: u32, nonneg: bool) -> Value {
        if nonneg {
            let mv = self.b.ins().iconst(types::I32, m as i64);
            let mv = self.b.ins().splat(types::I32X4, mv);
            let p = self.b.ins().imul(x, mv);
            return self.b.ins().ushr_imm_s(p, s as i64);
        }
        let sign = self.b.ins().sshr_imm_s(x, 31);
        let t = self.b.ins().bxor(x, sign);
        let mv = self.b.ins().iconst(types::I32, m as i64);
        let mv = self.b.ins().splat(types::I32X4, mv);
        let p = self.b.ins().imul(t, mv);
        let q = self.b.ins().ushr_imm_s(p, s as i64);
        self.b.ins().bxor(q, sign)
    }

    /// Floor division of i32x4 lanes `|x| < FLOAT_DIV_LIMIT` by `c` in f32
    /// lanes (exact there, see `vector::FLOAT_DIV_LIMIT`). When the lanes
    /// are never negative, the quotient `(x + 0.5) / c` is positive and
    /// truncation is the floor.
    fn floor_div_f32(&mut self, x: Value, c: i64, nonneg: bool) -> Value {
        let f = self.b.ins().fcvt_from_sint(types::F32X4, x);
        let half = self.b.ins().f32const(0.5);
        let half = self.b.ins().splat(types::F32X4, half);
        let f = self.b.ins().fadd(f, half);
        let inv = self.b.ins().f32const(1.0 / c as f32);
        let inv = self.b.ins().splat(types::F32X4, inv);
        let p = self.b.ins().fmul(f, inv);
        let q = if nonneg { p } else { self.b.ins().floor(p) };
        // The value is an integer (or, unfloored, truncates to one) well
        // inside i32: the plain truncating conversion is exact, and needs
        // none of the saturating form's NaN and overflow fix-ups.
        if cfg!(target_arch = "x86_64") {
            self.b.ins().x86_cvtt2dq(types::I32X4, q)
        } else {
            self.b.ins().fcvt_to_sint_sat(types::I32X4, q)
        }
    }

    /// Floor division of non-negative i32x4 lanes by a constant in f32
    /// lanes: the product with `m`, the least f32 above `1 / c`
    /// (`reciprocal_up`, checked on every value of the range), truncated.
    /// Three instructions where `floor_div_f32` takes four.
    fn floor_div_f32_up(&mut self, x: Value, m: f32) -> Value {
        let f = self.b.ins().fcvt_from_sint(types::F32X4, x);
        let mv = self.b.ins().f32const(m);
        let mv = self.b.ins().splat(types::F32X4, mv);
        let p = self.b.ins().fmul(f, mv);
        // As in `floor_div_f32`: an integer well inside i32, truncated.
        if cfg!(target_arch = "x86_64") {
            self.b.ins().x86_cvtt2dq(types::I32X4, p)
        } else {
            self.b.ins().fcvt_to_sint_sat(types::I32X4, p)
        }
    }

    /// Narrows result lanes to the output dtype's width for the store. The
    /// result's range lies within the output dtype, so saturating narrowing
    /// is exact.
    pub(super) fn narrow_to_output(&mut self, x: Value) -> Value {
        let out = self.f.out_dtype();
        let lane_bytes = self.mask_vec().lane_bits() / 8;
        if out.size() as u32 == lane_bytes {
            return x;
        }
        let n = if out.is_signed() {
            self.b.ins().snarrow(x, x)
        } else {
            self.b.ins().unarrow(x, x)
        };
        // The low half holds the lanes; store just those 8 bytes.
        let flags = MemFlagsData::new().with_endianness(Endianness::Little);
        let wide = self.b.ins().bitcast(types::I64X2, flags, n);
        self.b.ins().extractlane(wide, 0)
    }
}

impl Lowering<'_, '_> {
    /// Translates innermost-loop instruction `i` in 8-bit lanes
    /// (`vector::Plan::Byte`): every value is one of the bytes loaded, so
    /// casts are no-ops and ordering is unsigned (u8) or signed (i8).
    pub(super) fn vinst_byte(&mut self, i: usize, signed: bool) -> Result<Value, CodegenError> {
        let inst = &self.f.insts[i];
        let vt = self.mask_vec();
        Ok(match &inst.op {
            Op::Load { input, offset } => {
                let (addr, imm) = self.load_address(*input, offset);
                self.b.ins().load(vt, data_flags(), addr, imm)
            }
            Op::Cast(a) => self.vector_of(*a),
            Op::Rank { k, terms } => self.vrank_int(*k, terms),
            Op::Binary(op, a, b) => {
                let (x, y) = (self.vector_of(*a), self.vector_of(*b));
                let ins = self.b.ins();
                match (op, signed) {
                    (BinaryOp::Min, false) => ins.umin(x, y),
                    (BinaryOp::Max, false) => ins.umax(x, y),
                    (BinaryOp::Min, true) => ins.smin(x, y),
                    (BinaryOp::Max, true) => ins.smax(x, y),
                    _ => return Err(unsupported(i)),
                }
            }
            _ => return Err(unsupported(i)),
        })
    }
}

fn signed_cc(op: BinaryOp) -> Option<IntCC> {
    Some(match op {
        BinaryOp::Eq => IntCC::Equal,
        BinaryOp::Ne => IntCC::NotEqual,
        BinaryOp::Lt => IntCC::SignedLessThan,
        BinaryOp::Le => IntCC::SignedLessThanOrEqual,
        BinaryOp::Gt => IntCC::SignedGreaterThan,
        BinaryOp::Ge => IntCC::SignedGreaterThanOrEqual,
        _ => return None,
    })
}

fn unsupported(i: usize) -> CodegenError {
    CodegenError::InvalidIr(format!("v{i} has no integer vector form"))
}

/// The bias, multiplier and shift of `floor_div_q15_mul` for values in
/// `r` divided by `c`: `bias = ceil(-lo / c)` (0 for non-negative values),
/// where `hi + bias c` still fits 15 bits and `magic_q15` finds a pair
/// exact (by exhaustion) on `0..=hi + bias c`.
fn biased_q15(r: crate::ir::range::Range, c: i64) -> Option<(i64, i16, u32)> {
    if c < 2 || r.lo < -(1 << 15) || r.hi > i16::MAX as i128 {
        return None;
    }
    let bias = if r.lo < 0 {
        ((-r.lo) as u64).div_ceil(c as u64) as i64
    } else {
        0
    };
    let top = r.hi as i64 + bias * c;
    if !(0..=i16::MAX as i64).contains(&top) {
        return None;
    }
    let (m, k) = magic_q15(top as u64, c as u64)?;
    Some((bias, m, k))
}

/// The multiplier and shift of `floor_div_q15_mul` without a bias for values in `r`
/// divided by `c`: the first pair, by increasing shift, for which
/// `((x m + 2^14) >> 15) >> k == floor(x / c)` holds for every `x` of the
/// range (checked one by one: at most 2^16 values).
pub(super) fn signed_q15(r: crate::ir::range::Range, c: i64) -> Option<(i16, u32)> {
    if c < 2 || r.lo < -(1 << 15) || r.hi > i16::MAX as i128 || r.lo > r.hi {
        return None;
    }
    let (lo, hi) = (r.lo as i64, r.hi as i64);
    for k in 0..15u32 {
        let base = (1i64 << (15 + k)) / c;
        for m in base.saturating_sub(1)..=base + 2 {
            if !(1..=i16::MAX as i64).contains(&m) {
                continue;
            }
            if (lo..=hi).all(|x| ((x * m + (1 << 14)) >> 15) >> k == x.div_euclid(c)) {
                return Some((m as i16, k));
            }
        }
    }
    None
}

/// The multiplier of `floor_div_f32_up` for values in `r` divided by `c`:
/// the least f32 above `1 / c`, if the range is non-negative, below
/// 2^20, and `trunc(fl(t m)) == t / c` holds for every `t` of it (checked
/// one by one: the product of a multiple of `c` is at least its quotient,
/// and the others stay below the next integer while the range is small).
pub(super) fn reciprocal_up(r: crate::ir::range::Range, c: i64) -> Option<f32> {
    if c < 2 || r.lo < 0 || r.hi >= 1 << 20 || c >= 1 << 24 {
        return None;
    }
    let mut m = (1.0 / c as f64) as f32;
    // `m c` is exact in f64 (24 and 24 bits); step to the least above 1/c.
    while (m as f64) * (c as f64) <= 1.0 {
        m = f32::from_bits(m.to_bits() + 1);
    }
    let exact = (0..=r.hi as i64).all(|t| ((t as f32) * m) as i64 == t / c);
    exact.then_some(m)
}

/// Whether x86's `pmulhrsw` can be emitted as is (SSSE3): without the
/// saturation fix-up that `sqmul_round_sat` adds, which non-negative
/// operands never need.
fn x86_pmulhrsw() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("ssse3")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::range::Range;

    /// x86's `pmulhrsw` on one lane, as Intel defines it.
    fn pmulhrsw(a: i16, b: i16) -> i16 {
        let t = ((a as i32 * b as i32) >> 14) + 1;
        (t >> 1) as i16
    }

    #[test]
    fn signed_q15_floors_w1s_sums_as_pmulhrsw_and_a_shift() {
        // Nine i8 terms: -1152..=1143, divided by 9.
        let (m, k) = signed_q15(Range::new(-1152, 1143), 9).expect("a pair for // 9");
        for x in -1152i16..=1143 {
            assert_eq!(pmulhrsw(x, m) >> k, x.div_euclid(9), "x {x}");
        }
        // Every divisor up to 64 on the range of sums of three i8.
        for c in 2..=64i64 {
            if let Some((m, k)) = signed_q15(Range::new(-384, 381), c) {
                for x in -384i16..=381 {
                    assert_eq!(pmulhrsw(x, m) >> k, x.div_euclid(c as i16), "x {x}, c {c}");
                }
            }
        }
    }

    #[test]
    fn reciprocal_up_divides_sums_of_three_u16_by_three() {
        let top = 3 * 65535;
        let m = reciprocal_up(Range::new(0, top), 3).expect("// 3 on 0..=196605");
        assert!(m as f64 > 1.0 / 3.0);
        for q in [0i64, 1, 2, 100, 65534, 65535] {
            for t in [3 * q, 3 * q + 1, 3 * q + 2] {
                assert_eq!(((t as f32) * m) as i64, q, "t {t}");
            }
        }
        // Negative dividends take the other forms.
        assert!(reciprocal_up(Range::new(-3, top), 3).is_none());
    }
}
