//! Float `//` and `%` without a call on the common path.
//!
//! The reference (`rt::floordiv_f64` and friends) is CPython's float
//! divmod: `fmod`, then a correction. Calling it costs more than the rest
//! of a 3x3 stencil together, and a call has no vector form. For ordinary
//! operands the same result comes from a few instructions:
//!
//! - `t = a / b` (rounded) and `q = floor(t)`. The exact quotient's floor
//!   is `q`, or `q - 1` when `t` rounded up onto an integer: if `t` is not
//!   an integer, no integer lies within half an ulp of it.
//! - `r = fma(-q, b, a)` is `a - q b` rounded once, so it has the exact
//!   remainder's sign (the exact value is a nonzero multiple of 2^-1074 or
//!   zero). Where `r` is nonzero and its sign differs from `b`'s, `q` was
//!   one too high.
//! - CPython's result is that exact floor while `|a / b| < 2^50` (2^21 for
//!   f32): its `(a - fmod(a, b)) / b` is within two ulps of an integer, and
//!   it rounds to the nearest. A zero quotient keeps the sign of `a / b`,
//!   as `floor` gives it.
//! - `%` is then `fma(-q, b, a)`: CPython's `fmod(a, b)` (exact) or
//!   `fmod(a, b) + b` (one rounding) is exactly that value rounded once; a
//!   zero remainder takes `b`'s sign.
//!
//! Operands outside that (a non-finite or zero `b`, a NaN, a quotient of
//! 2^50 or more) take a cold branch. The scalar function calls the
//! reference there; the vector variant marks the tile, and the tile is
//! then computed again by the scalar function (`abi::TileFn`). Either way
//! every result is the reference's bit for bit. The vector variant does
//! not branch per vector: it ORs each vector's out-of-range lanes into one
//! mask per call (`Lowering::redo_lanes`), tested once when the tile is
//! done.
//! The fused multiply-add must be a real one: hosts without FMA keep the
//! call (`host_has_fma`).

use super::CodegenError;
use super::translate::Lowering;
use crate::base::dtype::DType;
use crate::base::ops::BinaryOp;
use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::{BlockArg, InstBuilder, Type, Value, types};

/// Whether the host has a fused multiply-add instruction, which
/// `cranelift-native` then enables (`has_fma` on x86-64; always on aarch64).
pub(super) fn host_has_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(target_arch = "aarch64")]
    {
        true
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        false
    }
}

/// The largest quotient magnitude (exclusive) handled inline.
fn limit(d: DType) -> f64 {
    match d {
        DType::F32 => (1u64 << 21) as f64,
        _ => (1u64 << 50) as f64,
    }
}

impl Lowering<'_, '_> {
    /// A float constant of `ty` (a scalar float type or a float vector).
    fn float_const(&mut self, ty: Type, v: f64) -> Value {
        let lane = ty.lane_type();
        let s = if lane == types::F32 {
            self.b.ins().f32const(v as f32)
        } else {
            self.b.ins().f64const(v)
        };
        if ty.is_vector() {
            self.b.ins().splat(ty, s)
        } else {
            s
        }
    }

    /// `x op y` for `op` in `//`, `%` on float values (scalars of dtype `d`,
    /// or vectors of its lanes), exactly as `rt` computes it. `divisor` is
    /// the divisor's value when it is a constant.
    pub(super) fn float_divmod(
        &mut self,
        op: BinaryOp,
        d: DType,
        x: Value,
        y: Value,
        divisor: Option<f64>,
    ) -> Result<Value, CodegenError> {
        let ty = self.b.func.dfg.value_type(x);
        let lane = ty.lane_type();
        let name = format!(
            "{}_{}",
            if op == BinaryOp::FloorDiv {
                "floordiv"
            } else {
                "mod"
            },
            if d == DType::F32 { "f32" } else { "f64" }
        );
        let t = self.b.ins().fdiv(x, y);
        let fl = self.b.ins().floor(t);
        let nfl = self.b.ins().fneg(fl);
        let r = self.b.ins().fma(nfl, y, x);
        let zero = self.float_const(ty, 0.0);
        let one = self.float_const(ty, 1.0);
        // `q` is one too high where `r` is nonzero with the other sign than `y`.
        let too_high = match divisor {
            Some(c) if c > 0.0 => self.b.ins().fcmp(FloatCC::LessThan, r, zero),
            Some(_) => self.b.ins().fcmp(FloatCC::GreaterThan, r, zero),
            None => {
                let rneg = self.b.ins().fcmp(FloatCC::LessThan, r, zero);
                let yneg = self.b.ins().fcmp(FloatCC::LessThan, y, zero);
                let rnz = self.b.ins().fcmp(FloatCC::NotEqual, r, zero);
                let differ = self.b.ins().bxor(rneg, yneg);
                self.b.ins().band(differ, rnz)
            }
        };
        let q = if ty.is_vector() {
            let m = self.as_lanes(ty, too_high);
            let dec = self.b.ins().band(m, one);
            self.b.ins().fsub(fl, dec)
        } else {
            let dec = self.b.ins().select(too_high, one, zero);
            self.b.ins().fsub(fl, dec)
        };
        let fast = if op == BinaryOp::FloorDiv {
            q
        } else {
            let nq = self.b.ins().fneg(q);
            let m = self.b.ins().fma(nq, y, x);
            let is_zero = self.b.ins().fcmp(FloatCC::Equal, m, zero);
            if ty.is_vector() {
                // `y`'s sign bits alone are the zero with its sign (vector
                // `fcopysign` has no x86 lowering).
                let sign = self.float_const(ty, -0.0);
                let signed_zero = self.b.ins().band(y, sign);
                let z = self.as_lanes(ty, is_zero);
                self.b.ins().bitselect(z, signed_zero, m)
            } else {
                let signed_zero = self.b.ins().fcopysign(zero, y);
                self.b.ins().select(is_zero, signed_zero, m)
            }
        };
        // Operands the fast path does not cover go to the reference.
        let at = self.abs(ty, t);
        let lim = self.float_const(ty, limit(d));
        let mut bad = self
            .b
            .ins()
            .fcmp(FloatCC::UnorderedOrGreaterThanOrEqual, at, lim);
        if divisor.is_none() {
            let ay = self.abs(ty, y);
            let inf = self.float_const(ty, f64::INFINITY);
            let y_bad = self
                .b
                .ins()
                .fcmp(FloatCC::UnorderedOrGreaterThanOrEqual, ay, inf);
            bad = self.b.ins().bor(bad, y_bad);
        }
        if ty.is_vector() && self.redo.is_some() {
            self.redo_lanes(bad);
            return Ok(fast);
        }
        let any = if ty.is_vector() {
            self.b.ins().vany_true(bad)
        } else {
            bad
        };
        let slow = self.b.create_block();
        let join = self.b.create_block();
        let result = self.b.append_block_param(join, ty);
        self.b.set_cold_block(slow);
        self.b
            .ins()
            .brif(any, slow, &[], join, &[BlockArg::Value(fast)]);
        self.b.switch_to_block(slow);
        let v = match self.redo {
            // The vector variant only notes that the tile needs the scalar
            // function: a call here would make every register live across
            // it spill in the hot loop.
            Some(slot) => {
                let one = self.b.ins().iconst(types::I32, 1);
                let ptr = cranelift_module::Module::target_config(&*self.module).pointer_type();
                self.b.ins().stack_store(ptr, one, slot, 0);
                fast
            }
            None => self.call_rt(&name, lane, &[x, y])?,
        };
        self.b.ins().jump(join, &[BlockArg::Value(v)]);
        self.b.switch_to_block(join);
        Ok(result)
    }

    /// `|v|`. On vectors, an AND with a constant: Cranelift's vector
    /// `fabs` builds its mask in two instructions at every use.
    fn abs(&mut self, ty: Type, v: Value) -> Value {
        if !ty.is_vector() {
            return self.b.ins().fabs(v);
        }
        let lane_bits = ty.lane_bits() as usize;
        let mask = (u64::MAX >> (65 - lane_bits)).to_le_bytes();
        let bytes: Vec<u8> = (0..ty.lane_count())
            .flat_map(|_| mask[..lane_bits / 8].to_vec())
            .collect();
        let c = self.b.func.dfg.constants.insert(bytes.into());
        let mask = self.b.ins().vconst(ty, c);
        self.b.ins().band(v, mask)
    }
}

/// The fast path of `float_divmod` in Rust, for the tests: `None` where
/// the generated code calls the reference.
#[cfg(test)]
fn fast_floordiv(a: f64, b: f64) -> Option<f64> {
    let t = a / b;
    // Written so that NaN fails too.
    let inside = t.abs() < limit(DType::F64) && b.abs() < f64::INFINITY;
    if !inside {
        return None;
    }
    let fl = t.floor();
    let r = (-fl).mul_add(b, a);
    let too_high = r != 0.0 && ((r < 0.0) != (b < 0.0));
    Some(fl - if too_high { 1.0 } else { 0.0 })
}

#[cfg(test)]
fn fast_mod(a: f64, b: f64) -> Option<f64> {
    let q = fast_floordiv(a, b)?;
    let m = (-q).mul_add(b, a);
    Some(if m == 0.0 { 0.0f64.copysign(b) } else { m })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::rt;

    /// Dividends near every multiple of the divisor, and special values.
    fn cases(b: f64, seed: u64) -> Vec<f64> {
        let mut v = vec![0.0, -0.0, 1e-310, -1e-310, f64::MIN_POSITIVE, 1.0, -1.0];
        let mut s = seed;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for _ in 0..20_000 {
            let k = (next() % 4000) as f64 - 2000.0;
            let base = k * b;
            v.extend([base, base.next_up(), base.next_down()]);
            let u = f64::from_bits(next() >> 2) % 1e6;
            v.extend([u, -u, u * b, u / b]);
        }
        for e in [49, 50, 51, 52, 53, 60] {
            let big = (1u64 << e) as f64 * b.abs();
            v.extend([big, -big, big.next_down(), big.next_up()]);
        }
        v
    }

    #[test]
    fn fast_path_is_the_reference_where_it_applies() {
        let mut inline = 0;
        for (i, b) in [9.0, 3.0, 0.1, -0.1, 2.5, -7.0, 1e-300, 1e300, 0.7, 1.0]
            .into_iter()
            .enumerate()
        {
            for a in cases(b, 0x9e37_79b9_7f4a_7c15 ^ i as u64) {
                if let Some(q) = fast_floordiv(a, b) {
                    inline += 1;
                    let want = rt::floordiv_f64(a, b);
                    assert_eq!(q.to_bits(), want.to_bits(), "{a:e} // {b:e}");
                    let m = fast_mod(a, b).unwrap();
                    let want = rt::mod_f64(a, b);
                    assert_eq!(m.to_bits(), want.to_bits(), "{a:e} % {b:e}");
                }
            }
        }
        assert!(inline > 500_000, "{inline}");
    }

    #[test]
    fn operands_outside_the_fast_path_are_refused() {
        for (a, b) in [
            (1.0, 0.0),
            (f64::INFINITY, 3.0),
            (f64::NAN, 3.0),
            (1.0, f64::INFINITY),
            (1e300, 1e-300),
        ] {
            assert_eq!(fast_floordiv(a, b), None, "{a} // {b}");
        }
    }
}
