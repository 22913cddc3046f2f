//! The vector variant of a tile function: the innermost loop computes
//! several neighbouring points at once in 128-bit lanes.
//!
//! Two kinds of kernels get a variant (`plan`):
//! - float kernels whose work is all in one float dtype (plus bools from
//!   comparing it), in `f32x4` or `f64x2`: every lane runs exactly the
//!   scalar operation sequence on its own point, so results are
//!   bit-identical (no reassociation, no fused multiply-add);
//! - integer kernels whose every value is proven by `analysis::range` to
//!   fit in 16-bit (`i16x8`) or 32-bit (`i32x4`) lanes: the IR's i64
//!   arithmetic then gives the same values in the narrow lanes, and
//!   floor division by a constant becomes a multiply and a shift whose
//!   exactness is checked for the proven range.
//!
//! Values computed in outer loops stay scalar and are splatted where the
//! innermost loop uses them. The executor runs the variant only on boxes
//! whose innermost rows are contiguous and at least a vector wide (for
//! the integer plans, a multiple of a step: `any_width`).

use super::CodegenError;
use super::rowsort::RowSort;
use super::rowsum::RowSum;
use super::translate::{Lowering, data_flags, liveness};
use crate::base::dtype::DType;
use crate::base::ops::{BinaryOp, UnaryOp};
use crate::ir::range;
use crate::ir::{Func, Op, ValueId};
use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Type, Value, types};

/// How many vectors one step of the vector loop computes: the body is
/// emitted this many times, on consecutive runs of lanes, which saves loop
/// overhead (an add, a compare and a branch per step). Float kernels take
/// eight when their body is small (at most `SMALL_BODY` instructions per
/// vector: there the loop's three are a tenth of the work at four copies,
/// W4's 7-point sum 2.86 instructions per point at four, see
/// BENCHMARKS.md) and four otherwise: their sums are chains of dependent
/// adds (floats are not reassociated), and four independent chains hide
/// the adds' latency (W2's nine-point f64 sum: 28 us per call with two).
/// A float loop takes rows of any width (`any_width`), so more copies
/// never cost another call. Integer
/// adds take one cycle; more copies there would only spill.
pub(super) fn unroll(f: &Func, plan: Option<Plan>) -> usize {
    match plan {
        Some(Plan::Float(_)) if body_size(f) <= SMALL_BODY => 8,
        Some(Plan::Float(_)) => 4,
        _ => 2,
    }
}

/// The largest body, in IR instructions per point, that float kernels
/// unroll eight times.
const SMALL_BODY: usize = 24;

/// The live instructions of `f` other than constants: about the vector
/// instructions one copy of the body takes.
fn body_size(f: &Func) -> usize {
    let live = liveness(f);
    (f.insts.iter().enumerate())
        .filter(|(i, inst)| live[*i] && !matches!(inst.op, Op::Const(_)))
        .count()
}

/// Whether the vector loop of `plan` takes rows of any width of at least
/// one vector: its last step ends at the row's end (in a row narrower than
/// a step, single vectors do, the last ending at the row's end), computing
/// the points it overlaps again with the same bits. One call then covers
/// a box, and a step of eight copies costs no more points than one of
/// four. The integer loops keep whole steps, the executor computing a
/// row's rest as one more step ending at its end (their pairs of copies
/// share a narrowing store, and row sums fill their ring buffer a step at
/// a time).
pub(super) fn any_width(plan: Plan) -> bool {
    matches!(plan, Plan::Float(_))
}

/// The byte plan of `f`: every live value is a u8 (or every one an i8)
/// loaded or picked among loaded ones, and the output has that dtype.
fn byte_plan(f: &Func) -> Option<(Plan, usize)> {
    let live = liveness(f);
    let ranges = range::ranges(f);
    let signed = match f.out_dtype() {
        DType::U8 => false,
        DType::I8 => true,
        _ => return None,
    };
    let byte = match signed {
        true => range::Range::new(-128, 127),
        false => range::Range::new(0, 255),
    };
    let data = if signed { DType::I8 } else { DType::U8 };
    let ok = f
        .insts
        .iter()
        .enumerate()
        .filter(|(i, _)| live[*i])
        .all(|(i, inst)| {
            ranges[i].is_some_and(|r| r.within(byte))
                && match &inst.op {
                    Op::Load { .. } => inst.dtype == data,
                    Op::Cast(a) => f.insts[*a as usize].dtype.is_int(),
                    Op::Rank { .. } | Op::Const(_) => true,
                    Op::Binary(op, _, _) => matches!(op, BinaryOp::Min | BinaryOp::Max),
                    _ => false,
                }
        });
    ok.then_some((Plan::Byte { signed }, 16))
}

/// What each input row contributes to every output row whose window
/// covers it, computed once per input row and kept in a ring buffer of
/// the last rows (`Lowering::shared_row`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Shared {
    /// A separable sum's row sums (`rowsum`): one vector per row.
    Sum(RowSum),
    /// A 3x3 median's sorted rows (`rowsort`): three vectors per row.
    Sort(RowSort),
}

impl Shared {
    /// The instruction whose value the shared rows make.
    pub(super) fn root(&self) -> ValueId {
        match self {
            Shared::Sum(s) => s.root,
            Shared::Sort(s) => s.root,
        }
    }

    /// The instructions the variant computes its own way.
    pub(super) fn parts(&self) -> &[ValueId] {
        match self {
            Shared::Sum(s) => &s.parts,
            Shared::Sort(s) => &s.parts,
        }
    }

    /// Per window row, its terms.
    pub(super) fn terms(&self) -> &[Vec<ValueId>] {
        match self {
            Shared::Sum(s) => &s.terms,
            Shared::Sort(s) => &s.terms,
        }
    }

    /// What is shared, in words.
    pub(super) fn describe(&self) -> String {
        let (what, rows) = match self {
            Shared::Sum(s) => ("sum", s.terms.len()),
            Shared::Sort(s) => ("sorted terms", s.terms.len()),
        };
        let block = match self.block_rows() {
            1 => String::new(),
            b => format!("; {b} output rows per pass, the rows between them kept in registers"),
        };
        format!("each input row's {what}, kept for the {rows} output rows that read it{block}")
    }

    /// Output rows one pass of the vector loop computes (the function
    /// `block_rows`).
    pub(super) fn block_rows(&self) -> usize {
        block_rows(self.terms().len())
    }

    /// Vectors kept per row and column.
    pub(super) fn planes(&self) -> usize {
        match self {
            Shared::Sum(_) => 1,
            Shared::Sort(_) => 3,
        }
    }
}

/// Output rows per pass of a loop that shares the rows of a `rows`-row
/// window (`Shared`): 1, or a multiple `B` of `rows`, at least 3. A pass
/// over `B` output rows reads the shares of the window's first
/// `rows - 1` rows from the ring buffer, computes `B` new ones, and
/// stores only the last `rows - 1` of them back: the rows in between pass
/// from one output row to the next in registers. Per output row that is
/// `(rows - 1) / B` ring loads and stores where one row per pass takes
/// `rows - 1` loads and a store, and the loop's compare and branch once
/// per `B` rows (W1: 1.91 instructions per point with one row per pass).
///
/// Passes start at row 0 of a box and step by `B`, a multiple of the
/// ring's `rows` rows, so each relative row of a pass has a fixed ring
/// row (`(r + a) mod rows` is `a`): the ring is one register plus
/// immediate offsets, and every output row and new input row of the pass
/// has a pointer register of its own (x86 has fifteen). Windows of more
/// than five rows keep one row per pass.
pub(super) fn block_rows(rows: usize) -> usize {
    match rows {
        2 => 4,
        3..=5 => rows,
        _ => 1,
    }
}

/// The vector variant of `f`: its plan, lanes, copies per step, and the
/// work it shares between output rows (`Shared`), if any.
pub(super) fn variant(f: &Func) -> Option<(Plan, usize, usize, Option<Shared>)> {
    let (plan, lanes) = self::plan(f)?;
    let live = liveness(f);
    let sort = || super::rowsort::plan(f, &live).map(Shared::Sort);
    let shared = match plan {
        Plan::Int(bits) if f.results.len() == 1 => {
            super::rowsum::plan(f, &live, &range::ranges(f), lane_range(bits))
                .map(Shared::Sum)
                .or_else(sort)
        }
        Plan::Byte { .. } => sort(),
        _ => None,
    };
    let unroll = unroll(f, Some(plan));
    Some((plan, lanes, unroll, shared))
}

/// How a kernel's innermost loop is vectorized.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Plan {
    /// Lanes of this float dtype.
    Float(DType),
    /// Signed integer lanes of this many bits (16 or 32); bools are masks.
    Int(u32),
    /// 8-bit lanes (`i8x16`) for kernels that only load, order and store
    /// bytes (`min`, `max`, `median`, `rank` of u8 or i8 data): the values
    /// are the loaded bytes themselves, compared unsigned or signed.
    Byte {
        /// The bytes are i8 (else u8).
        signed: bool,
    },
}

/// The vector plan of `f` and its lanes, or `None` if it has no variant.
pub(super) fn plan(f: &Func) -> Option<(Plan, usize)> {
    // Every output is stored in the lanes' format: they must share a dtype.
    let same = f.out_dtypes.iter().all(|&d| d == f.out_dtype());
    if !same {
        return None;
    }
    float_plan(f)
        .or_else(|| byte_plan(f))
        .or_else(|| int_plan(f))
}

fn float_plan(f: &Func) -> Option<(Plan, usize)> {
    let float = f.out_dtype();
    let lanes = match float {
        DType::F32 => 4,
        DType::F64 => 2,
        _ => return None,
    };
    let ok = f.insts.iter().all(|inst| {
        let d = inst.dtype;
        let dtype_ok = d == float || d == DType::Bool;
        dtype_ok
            && match &inst.op {
                Op::Const(_) | Op::Load { .. } | Op::Param(_) => true,
                Op::Index(_) | Op::Shape(_) | Op::Cast(_) => false,
                Op::Unary(op, _) => matches!(
                    op,
                    UnaryOp::Neg
                        | UnaryOp::Abs
                        | UnaryOp::Sqrt
                        | UnaryOp::Floor
                        | UnaryOp::Ceil
                        | UnaryOp::Round
                        | UnaryOp::IsNan
                        | UnaryOp::Not
                ),
                Op::Binary(op, a, _) => {
                    if f.insts[*a as usize].dtype == DType::Bool {
                        bool_op(*op)
                    } else {
                        matches!(
                            op,
                            BinaryOp::Add
                                | BinaryOp::Sub
                                | BinaryOp::Mul
                                | BinaryOp::Div
                                | BinaryOp::Min
                                | BinaryOp::Max
                        ) || op.is_comparison()
                            || super::translate::inline_float_divmod(*op, d)
                    }
                }
                Op::Select(..) => true,
                // A network of integer keys (`rank`).
                Op::Rank { .. } => true,
            }
    });
    ok.then_some((Plan::Float(float), lanes))
}

fn bool_op(op: BinaryOp) -> bool {
    matches!(
        op,
        BinaryOp::And
            | BinaryOp::Or
            | BinaryOp::BitAnd
            | BinaryOp::BitOr
            | BinaryOp::BitXor
            | BinaryOp::Ne
            | BinaryOp::Eq
    )
}

fn int_plan(f: &Func) -> Option<(Plan, usize)> {
    int_plan_in(f, 16).or_else(|| int_plan_in(f, 32))
}

/// Whether `f`'s innermost work fits `bits`-bit signed lanes exactly.
fn int_plan_in(f: &Func, bits: u32) -> Option<(Plan, usize)> {
    let live = liveness(f);
    let ranges = range::ranges(f);
    let live_insts = || f.insts.iter().enumerate().filter(|(i, _)| live[*i]);
    let out = f.out_dtype().size();
    // 16-bit lanes load 1-byte data (and i16); 32-bit lanes load 2- or
    // 4-byte data. Each load reads exactly the lanes' bytes.
    let loads_ok = live_insts()
        .filter(|(_, inst)| matches!(inst.op, Op::Load { .. }))
        .all(|(_, inst)| {
            if bits == 16 {
                matches!(inst.dtype, DType::I8 | DType::U8 | DType::I16)
            } else {
                matches!(inst.dtype, DType::I16 | DType::U16 | DType::I32)
            }
        });
    let out_ok = if bits == 16 {
        out <= 2
    } else {
        out == 2 || out == 4
    };
    if !loads_ok || !out_ok || !f.out_dtype().is_int() {
        return None;
    }
    let lane = lane_range(bits);
    let ok = live_insts().all(|(i, inst)| {
        let fits = ranges[i].is_some_and(|r| r.within(lane));
        fits && match &inst.op {
            Op::Const(_) | Op::Load { .. } => true,
            Op::Param(_) | Op::Index(_) | Op::Shape(_) => false,
            // Exact values in every lane: a min/max network.
            Op::Rank { .. } => true,
            Op::Cast(a) => f.insts[*a as usize].dtype.is_integral(),
            Op::Unary(op, _) => matches!(
                op,
                UnaryOp::Neg | UnaryOp::Abs | UnaryOp::BitNot | UnaryOp::Not
            ),
            Op::Binary(op, a, b) => {
                let x = &f.insts[*a as usize];
                if x.dtype == DType::Bool {
                    bool_op(*op)
                } else {
                    match op {
                        BinaryOp::FloorDiv | BinaryOp::Mod => {
                            let t = ranges[*a as usize].map_or(i128::MAX, |r| r.hi.max(-r.lo - 1));
                            const_divisor(f, *b).is_some_and(|c| {
                                c == 1
                                    || (t >= 0
                                        && (magic_32(t as u64, c).is_some() || t < FLOAT_DIV_LIMIT))
                            })
                        }
                        _ => {
                            matches!(
                                op,
                                BinaryOp::Add
                                    | BinaryOp::Sub
                                    | BinaryOp::Mul
                                    | BinaryOp::Min
                                    | BinaryOp::Max
                                    | BinaryOp::BitAnd
                                    | BinaryOp::BitOr
                                    | BinaryOp::BitXor
                            ) || op.is_comparison()
                        }
                    }
                }
            }
            Op::Select(..) => true,
        }
    });
    ok.then_some((Plan::Int(bits), if bits == 16 { 8 } else { 4 }))
}

/// Floor division of integers `|t| < FLOAT_DIV_LIMIT` by a constant `c`
/// in f32 lanes is exact as `floor((t + 0.5) * fl(1/c))`, which covers the
/// dividends that a 32-bit multiply-shift cannot (sums of 16-bit values):
/// `(t + 0.5) / c` lies at least `0.5 / c` from every integer (the
/// fraction of `t / c` is a multiple of `1 / c`), `t + 0.5` is exact in
/// f32, and the two roundings (of `1 / c` and of the product) move it by
/// less than `|t + 0.5| / c * 2^-22.9`, which is under `0.5 / c` while
/// `|t + 0.5| < 2^21.9`. `float_div_is_exact` in the tests checks it value
/// by value for small divisors.
pub(super) const FLOAT_DIV_LIMIT: i128 = 1 << 21;

/// Multiplier and shift with `t / c == q15(t, m) >> k` for every `0 <= t
/// <= top`, where `q15(t, m) = (t m + 2^14) >> 15` is the rounding
/// fixed-point multiply of 16-bit lanes (`sqmul_round_sat`, x86 `pmulhrsw`).
/// Candidates near `2^(15 + k) / c` are tried and each is checked for every
/// `t` in range (at most 2^15 values), so a returned pair is exact by
/// exhaustion, not by a bound.
pub(super) fn magic_q15(top: u64, c: u64) -> Option<(i16, u32)> {
    if c < 2 || top > i16::MAX as u64 {
        return None;
    }
    for k in 0..15u32 {
        let base = (1u64 << (15 + k)) / c;
        for m in base.saturating_sub(1)..=base + 2 {
            if m == 0 || m > i16::MAX as u64 {
                continue;
            }
            if (0..=top).all(|t| ((t * m + (1 << 14)) >> 15) >> k == t / c) {
                return Some((m as i16, k));
            }
        }
    }
    None
}

pub(super) fn lane_range(bits: u32) -> range::Range {
    range::Range::new(-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
}

/// A positive constant divisor.
fn const_divisor(f: &Func, b: u32) -> Option<u64> {
    match &f.insts[b as usize].op {
        Op::Const(s) => s.as_i64().filter(|&c| c > 0).map(|c| c as u64),
        _ => None,
    }
}

/// Multiplier and shift with `t / c == (t * m) >> s` for every `0 <= t <=
/// top`, with `t * m` below 2^32 so that it fits a 32-bit lane. With `m =
/// ceil(2^s / c)` and `e = m c - 2^s`, the quotient is exact when `top * e <
/// 2^s` (writing `t = q c + r`, the error `t e / 2^s` stays below 1 / c).
/// The smallest such `s` is used; small ranges are also checked exhaustively.
pub(super) fn magic_32(top: u64, c: u64) -> Option<(u32, u32)> {
    if c < 2 {
        return None;
    }
    for s in 0..=32u32 {
        let p = 1u64 << s;
        let m = p.div_ceil(c);
        let e = m * c - p;
        let fits = (top as u128) * (m as u128) < (1u128 << 32);
        if (top as u128) * (e as u128) < p as u128 && fits {
            // Belt and braces: small ranges are checked value by value.
            let checked = top > 1 << 16 || (0..=top).all(|t| (t * m) >> s == t / c);
            return checked.then_some((m as u32, s));
        }
    }
    None
}

impl Lowering<'_, '_> {
    fn float_vec(&self) -> Type {
        match self.f.out_dtype() {
            DType::F32 => types::F32X4,
            _ => types::F64X2,
        }
    }

    /// Mask `m` as a value of vector type `vt` (same bits), for `bitselect`.
    pub(super) fn as_lanes(&mut self, vt: Type, m: Value) -> Value {
        if self.b.func.dfg.value_type(m) == vt {
            return m;
        }
        self.b.ins().bitcast(
            vt,
            MemFlagsData::new().with_endianness(cranelift_codegen::ir::Endianness::Little),
            m,
        )
    }

    /// Bools are lane masks as wide as the lanes (all ones = true); in
    /// integer plans this is also the type of every integer value.
    pub(super) fn mask_vec(&self) -> Type {
        match self.plan {
            Some(Plan::Byte { .. }) => types::I8X16,
            Some(Plan::Int(16)) => types::I16X8,
            Some(Plan::Int(_)) => types::I32X4,
            _ => match self.f.out_dtype() {
                DType::F32 => types::I32X4,
                _ => types::I64X2,
            },
        }
    }

    fn vec_type(&self, d: DType) -> Type {
        if d == DType::Bool || matches!(self.plan, Some(Plan::Int(_) | Plan::Byte { .. })) {
            self.mask_vec()
        } else {
            self.float_vec()
        }
    }

    /// Stores vector copy `j`'s result `a` of output `o` (pointer slot
    /// `slot`). Where the lanes narrow to the output dtype, an even copy's
    /// result waits in `pending` for the next copy's, and the two are
    /// narrowed into one vector and stored together: one narrowing and one
    /// whole store for two copies instead of two each.
    pub(super) fn store_copy(
        &mut self,
        o: usize,
        slot: usize,
        a: Value,
        j: usize,
        pending: &mut [Option<Value>],
    ) {
        let out = self.f.out_dtypes[o];
        let pairs = matches!(self.plan, Some(Plan::Int(_)))
            && out.size() as u32 * 2 * 8 == self.mask_vec().lane_bits()
            && self.unroll.is_multiple_of(2);
        if !pairs {
            let (at, imm) = self.out_address(o, slot);
            return self.vstore(a, at, imm);
        }
        let Some(first) = pending[o].take() else {
            pending[o] = Some(a);
            return;
        };
        let both = if out.is_signed() {
            self.b.ins().snarrow(first, a)
        } else {
            self.b.ins().unarrow(first, a)
        };
        // The pair starts at the previous copy's points.
        let copy = self.copy;
        self.copy = ((j - 1) * self.lanes) as i64;
        let (at, imm) = self.out_address(o, slot);
        self.copy = copy;
        self.b.ins().store(data_flags(), both, at, imm);
    }

    /// Stores one result vector at `at`, in the output dtype.
    pub(super) fn vstore(&mut self, a: Value, at: Value, imm: i32) {
        let a = match self.plan {
            Some(Plan::Int(_)) => self.narrow_to_output(a),
            _ => a,
        };
        self.b.ins().store(data_flags(), a, at, imm);
    }

    /// Value `v` as a vector: itself if computed in the innermost loop,
    /// else its scalar splatted (a bool becomes a lane mask).
    pub(super) fn vector_of(&mut self, v: u32) -> Value {
        if self.is_vector(v) {
            return self.value(v);
        }
        if let Some(&s) = self.splats.get(&v) {
            return s;
        }
        let d = self.f.insts[v as usize].dtype;
        let x = self.value(v);
        let s = if d == DType::Bool {
            let lane = self.mask_vec().lane_type();
            let wide = self.b.ins().uextend(lane, x);
            let m = self.b.ins().ineg(wide);
            let t = self.mask_vec();
            self.b.ins().splat(t, m)
        } else if let Some(Plan::Int(_) | Plan::Byte { .. }) = self.plan {
            let lane = self.mask_vec().lane_type();
            let have = super::translate::clif_type(d).bits();
            let x = if have > lane.bits() {
                self.b.ins().ireduce(lane, x)
            } else if have < lane.bits() && d.is_signed() {
                self.b.ins().sextend(lane, x)
            } else if have < lane.bits() {
                self.b.ins().uextend(lane, x)
            } else {
                x
            };
            let t = self.mask_vec();
            self.b.ins().splat(t, x)
        } else {
            let t = self.float_vec();
            self.b.ins().splat(t, x)
        };
        self.splats.insert(v, s);
        s
    }

    /// Translates innermost-loop instruction `i` to vector code.
    pub(super) fn vinst(&mut self, i: usize) -> Result<Value, CodegenError> {
        match self.plan {
            Some(Plan::Int(bits)) => return self.vinst_int(i, bits),
            Some(Plan::Byte { signed }) => return self.vinst_byte(i, signed),
            _ => {}
        }
        let f = self.f;
        let inst = &f.insts[i];
        let vt = self.vec_type(inst.dtype);
        Ok(match &inst.op {
            Op::Load { input, offset } => {
                let (addr, imm) = self.load_address(*input, offset);
                self.b
                    .ins()
                    .load(vt, super::translate::load_flags(), addr, imm)
            }
            Op::Unary(op, a) => {
                let x = self.vector_of(*a);
                let ins = self.b.ins();
                match op {
                    UnaryOp::Neg => ins.fneg(x),
                    UnaryOp::Abs => ins.fabs(x),
                    UnaryOp::Sqrt => ins.sqrt(x),
                    UnaryOp::Floor => ins.floor(x),
                    UnaryOp::Ceil => ins.ceil(x),
                    UnaryOp::Round => ins.nearest(x),
                    UnaryOp::IsNan => ins.fcmp(FloatCC::Unordered, x, x),
                    UnaryOp::Not => ins.bnot(x),
                    _ => return Err(unsupported(i)),
                }
            }
            Op::Binary(op, a, b) => {
                let on_bools = f.insts[*a as usize].dtype == DType::Bool;
                let (x, y) = (self.vector_of(*a), self.vector_of(*b));
                let ins = self.b.ins();
                if on_bools {
                    match op {
                        BinaryOp::And | BinaryOp::BitAnd => ins.band(x, y),
                        BinaryOp::Or | BinaryOp::BitOr => ins.bor(x, y),
                        BinaryOp::BitXor | BinaryOp::Ne => ins.bxor(x, y),
                        BinaryOp::Eq => {
                            let d = ins.bxor(x, y);
                            self.b.ins().bnot(d)
                        }
                        _ => return Err(unsupported(i)),
                    }
                } else {
                    match op {
                        BinaryOp::Add => ins.fadd(x, y),
                        BinaryOp::Sub => ins.fsub(x, y),
                        BinaryOp::Mul => ins.fmul(x, y),
                        BinaryOp::Div => ins.fdiv(x, y),
                        BinaryOp::FloorDiv | BinaryOp::Mod => {
                            let c = super::translate::float_divisor(f, *b);
                            return self.float_divmod(*op, inst.dtype, x, y, c);
                        }
                        // A NaN operand passes through, `x`'s first, as in
                        // the scalar code (see `arith`).
                        BinaryOp::Min | BinaryOp::Max => {
                            let r = if *op == BinaryOp::Min {
                                ins.fmin(x, y)
                            } else {
                                ins.fmax(x, y)
                            };
                            let ny = self.b.ins().fcmp(FloatCC::Unordered, y, y);
                            let ny = self.as_lanes(vt, ny);
                            let r = self.b.ins().bitselect(ny, y, r);
                            let nx = self.b.ins().fcmp(FloatCC::Unordered, x, x);
                            let nx = self.as_lanes(vt, nx);
                            self.b.ins().bitselect(nx, x, r)
                        }
                        op => match float_cc(*op) {
                            Some(cc) => ins.fcmp(cc, x, y),
                            None => return Err(unsupported(i)),
                        },
                    }
                }
            }
            Op::Select(c, a, b) => {
                let (m, x, y) = (self.vector_of(*c), self.vector_of(*a), self.vector_of(*b));
                let m = self.as_lanes(vt, m);
                self.b.ins().bitselect(m, x, y)
            }
            Op::Rank { k, terms } => return self.vrank_float(inst.dtype, *k, terms),
            // Constants, params, and anything else live outside the
            // innermost loop; `lanes` admits nothing more.
            _ => return Err(unsupported(i)),
        })
    }
}

fn float_cc(op: BinaryOp) -> Option<FloatCC> {
    Some(match op {
        BinaryOp::Eq => FloatCC::Equal,
        BinaryOp::Ne => FloatCC::NotEqual,
        BinaryOp::Lt => FloatCC::LessThan,
        BinaryOp::Le => FloatCC::LessThanOrEqual,
        BinaryOp::Gt => FloatCC::GreaterThan,
        BinaryOp::Ge => FloatCC::GreaterThanOrEqual,
        _ => return None,
    })
}

fn unsupported(i: usize) -> CodegenError {
    CodegenError::InvalidIr(format!("v{i} has no vector form"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `floor((t + 0.5) * fl(1/c))` in f32, as the vector code computes it.
    fn float_floor_div(t: i32, c: i64) -> i32 {
        ((t as f32 + 0.5) * (1.0 / c as f32)).floor() as i32
    }

    #[test]
    fn float_div_is_exact() {
        let lim = FLOAT_DIV_LIMIT as i32;
        for c in [2i64, 3, 9, 10] {
            for t in -lim + 1..lim {
                assert_eq!(float_floor_div(t, c), t.div_euclid(c as i32), "{t} // {c}");
            }
        }
        for c in [5i64, 7, 25, 255, 1000, 65535, 1 << 20] {
            for t in (-lim + 1..lim).step_by(3) {
                assert_eq!(float_floor_div(t, c), t.div_euclid(c as i32), "{t} // {c}");
            }
        }
    }
}
