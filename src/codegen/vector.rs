//! The vector variant of a tile function: the innermost loop computes
//! several neighbouring points at once in 128-bit lanes (`f32x4`, `f64x2`).
//!
//! Only kernels whose innermost work is all in one float dtype (plus bools
//! from comparing it) get a variant: then every lane runs exactly the scalar
//! operation sequence on its own point, so results are bit-identical to the
//! scalar code (no reassociation, no fused multiply-add). Values computed in
//! outer loops stay scalar and are splatted where the innermost loop uses
//! them. The executor runs the variant only on boxes whose innermost rows are
//! contiguous and whose innermost extent is a multiple of the lanes; the
//! remaining columns go to the scalar function.

use super::CodegenError;
use super::translate::{Lowering, data_flags};
use crate::ir::{BinaryOp, Func, Op, UnaryOp};
use crate::types::dtype::DType;
use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Type, Value, types};

/// Lanes of the vector variant of `f`, or `None` if it has none.
pub(super) fn lanes(f: &Func) -> Option<usize> {
    let float = f.out_dtype;
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
                    let on_bools = f.insts[*a as usize].dtype == DType::Bool;
                    if on_bools {
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
                    } else {
                        matches!(
                            op,
                            BinaryOp::Add
                                | BinaryOp::Sub
                                | BinaryOp::Mul
                                | BinaryOp::Div
                                | BinaryOp::Min
                                | BinaryOp::Max
                                | BinaryOp::Eq
                                | BinaryOp::Ne
                                | BinaryOp::Lt
                                | BinaryOp::Le
                                | BinaryOp::Gt
                                | BinaryOp::Ge
                        )
                    }
                }
                Op::Select(..) => true,
            }
    });
    ok.then_some(lanes)
}

impl Lowering<'_, '_> {
    fn float_vec(&self) -> Type {
        match self.f.out_dtype {
            DType::F32 => types::F32X4,
            _ => types::F64X2,
        }
    }

    /// Bools are lane masks as wide as the float lanes (all ones = true).
    fn mask_vec(&self) -> Type {
        match self.f.out_dtype {
            DType::F32 => types::I32X4,
            _ => types::I64X2,
        }
    }

    fn vec_type(&self, d: DType) -> Type {
        if d == DType::Bool {
            self.mask_vec()
        } else {
            self.float_vec()
        }
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
        } else {
            let t = self.float_vec();
            self.b.ins().splat(t, x)
        };
        self.splats.insert(v, s);
        s
    }

    /// Translates innermost-loop instruction `i` to vector code.
    pub(super) fn vinst(&mut self, i: usize) -> Result<Value, CodegenError> {
        let f = self.f;
        let inst = &f.insts[i];
        let vt = self.vec_type(inst.dtype);
        Ok(match &inst.op {
            Op::Load { input, offset } => {
                let addr = self.load_address(*input, offset);
                self.b.ins().load(vt, data_flags(), addr, 0)
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
                        BinaryOp::Min => ins.fmin(x, y),
                        BinaryOp::Max => ins.fmax(x, y),
                        op => match float_cc(*op) {
                            Some(cc) => ins.fcmp(cc, x, y),
                            None => return Err(unsupported(i)),
                        },
                    }
                }
            }
            Op::Select(c, a, b) => {
                let (m, x, y) = (self.vector_of(*c), self.vector_of(*a), self.vector_of(*b));
                let m = if vt == self.mask_vec() {
                    m
                } else {
                    self.b.ins().bitcast(
                        vt,
                        MemFlagsData::new()
                            .with_endianness(cranelift_codegen::ir::Endianness::Little),
                        m,
                    )
                };
                self.b.ins().bitselect(m, x, y)
            }
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
