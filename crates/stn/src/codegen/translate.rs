//! The loop nest: one Cranelift function that runs a `Func` over a tile.
//!
//! Shape of the generated code, for `ndim` core axes:
//!
//! ```text
//! entry:    read TileArgs; per-input strides, load offsets (in bytes), params,
//!           shape, and every value that depends on no axis; exit if any
//!           extent is 0
//! loop_k:   (counter, one row pointer per loaded input and the output)
//!           values whose innermost axis is k (e.g. uses of `Index(k)`)
//!           k < ndim-1: enter loop_{k+1} with this row's pointers
//!           k = ndim-1: loads, the rest of the kernel, the store, and the
//!                       latch, all in this one block
//! latch_k:  advance counter and pointers by axis k's strides; loop or leave
//! ```
//!
//! In the vector variant the innermost loop carries its counter alone: it
//! addresses every load and store from the row's start pointers, which the
//! loop does not change, plus the counter scaled and an immediate
//! (`Lowering::col`).
//!
//! All loops run at least once (the entry tests the extents), so hoisting a
//! value into an outer loop or the entry never computes anything that would
//! not have been computed anyway. The innermost loop is a single block so that
//! a vector variant can later sit beside it.

use super::CodegenError;
use super::abi::{PARAM_SLOT, field};
use crate::base::dtype::DType;
use crate::base::ops::BinaryOp;
use crate::base::scalar::Scalar;
use crate::ir::{Func, Op, ValueId};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    Block, BlockArg, FuncRef, Function, InstBuilder, MemFlagsData, Type, Value, types,
};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::JITModule;
use cranelift_module::Module;
use std::collections::HashMap;

/// Checks the structural invariants of `ir` that translation relies on.
/// Dtype rules of individual operations are checked as they are translated.
pub(super) fn check(f: &Func) -> Result<(), CodegenError> {
    let bad = |m: String| Err(CodegenError::InvalidIr(m));
    if !(1..=4).contains(&f.ndim) {
        return bad(format!("ndim {} is not 1 to 4", f.ndim));
    }
    if f.results.is_empty() || f.results.len() != f.out_dtypes.len() {
        return bad(format!(
            "{} results for {} outputs",
            f.results.len(),
            f.out_dtypes.len()
        ));
    }
    for (&r, &d) in f.results.iter().zip(&f.out_dtypes) {
        if r as usize >= f.insts.len() {
            return bad(format!("result v{r} is not defined"));
        }
        if f.insts[r as usize].dtype != d {
            return bad(format!("result v{r}'s dtype is not its output's {d}"));
        }
    }
    for (i, inst) in f.insts.iter().enumerate() {
        let before = |v: ValueId| (v as usize) < i;
        let ok = match &inst.op {
            Op::Const(_) => true,
            Op::Load { input, offset } => {
                f.inputs.get(*input as usize) == Some(&inst.dtype) && offset.len() == f.ndim
            }
            Op::Param(n) => f.params.get(*n as usize) == Some(&inst.dtype),
            Op::Index(k) | Op::Shape(k) => (*k as usize) < f.ndim && inst.dtype == DType::I64,
            Op::Cast(a) | Op::Unary(_, a) => before(*a),
            Op::Binary(_, a, b) => before(*a) && before(*b),
            Op::Select(c, a, b) => {
                before(*c)
                    && before(*a)
                    && before(*b)
                    && f.insts[*c as usize].dtype == DType::Bool
                    && f.insts[*a as usize].dtype == inst.dtype
                    && f.insts[*b as usize].dtype == inst.dtype
            }
            Op::Rank { k, terms } => {
                (*k as usize) < terms.len()
                    && matches!(
                        inst.dtype,
                        DType::I64 | DType::U64 | DType::F32 | DType::F64
                    )
                    && terms
                        .iter()
                        .all(|&t| before(t) && f.insts[t as usize].dtype == inst.dtype)
            }
        };
        if !ok {
            return bad(format!("v{i} = {:?}: {}", inst.op, inst.dtype));
        }
    }
    Ok(())
}

/// The Cranelift type that holds a value of `d` (`Bool` is an `i8`, 0 or 1).
pub(super) fn clif_type(d: DType) -> Type {
    match d {
        DType::Bool | DType::I8 | DType::U8 => types::I8,
        DType::I16 | DType::U16 => types::I16,
        DType::I32 | DType::U32 => types::I32,
        DType::I64 | DType::U64 => types::I64,
        DType::F32 => types::F32,
        DType::F64 => types::F64,
    }
}

/// Flags for loads and stores of array data: never traps (the caller
/// guarantees the address), possibly unaligned.
pub(super) fn data_flags() -> MemFlagsData {
    MemFlagsData::new().with_notrap()
}

/// Flags of loads from the inputs. Inputs are not written while a tile
/// runs (outputs never overlap them: Rust's borrows forbid it, and the
/// Python binding computes into a temporary when they would share memory),
/// and every load's address depends on the innermost loop's counter, so
/// no motion can take it past the loop's guard. Loads marked so are pure to
/// Cranelift's mid-end, which then places each just before its first use:
/// the sum of nine loads keeps two vectors live instead of nine.
pub(super) fn load_flags() -> MemFlagsData {
    data_flags().with_readonly().with_can_move()
}

/// Row pointer slots (`Lowering::slots`): per slot its first row's
/// pointer, its strides per axis and its ring; outputs from `out_slot` on.
struct Slots {
    bases: Vec<Value>,
    strides: Vec<Vec<Value>>,
    wraps: Vec<Option<Ring>>,
    out_slot: usize,
}

/// The loop nest's blocks and what its latches step (`close_loops`).
struct Nest<'v> {
    loops: &'v [Block],
    latches: &'v [Block],
    exit: Block,
    tail: Option<&'v AnyWidth>,
    extents: &'v [Value],
    strides: &'v [Vec<Value>],
    wraps: &'v [Option<Ring>],
    /// Row pointers the outer loops carry (every slot's).
    carried: usize,
    out_slot: usize,
}

/// The ring buffer of shared rows: each relative row's buffer row, the
/// bytes of one plane, of one lane vector.
struct RingAt<'v> {
    rows: &'v [Value],
    plane: i64,
    lane_bytes: i64,
}

/// Where a row loop ends (`Lowering::next_or_last`).
#[derive(Clone, Copy)]
struct RowEnd {
    /// The column of the last iteration: `extent - width`.
    last: Value,
    extent: Value,
    /// Points per iteration.
    width: i64,
    /// Where the loop goes when the row is done.
    done: Block,
}

/// The row loop of a vector variant that takes rows of any width of at
/// least one vector (`Lowering::any_width`).
struct AnyWidth {
    /// The column of a row's last step: its extent less a step.
    last_step: Value,
    /// Entered with column 0: to the steps, or to `short` for a row
    /// narrower than a step.
    enter: Block,
    /// The loop of single vectors, entered with column 0.
    short: Block,
}

/// What the pass over a block of output rows (`Lowering::block_pass`)
/// takes from the loop nest around it.
struct BlockPass<'v> {
    /// Output rows per pass (`vector::block_rows`).
    rows: usize,
    /// Entered from the row loop: sets up the pass.
    pre: Block,
    /// The pass's column loop, entered with column 0.
    inner: Block,
    shared: &'v super::vector::Shared,
    /// The ring buffer, the bytes of one of its rows (all planes) and of
    /// one plane.
    ring: cranelift_codegen::ir::StackSlot,
    ring_row: i64,
    plane: i64,
    lane_bytes: i64,
    out_slot: usize,
    strides: &'v [Vec<Value>],
    wraps: &'v [Option<Ring>],
    extents: &'v [Value],
    /// The row loop, and where it goes when the box is done.
    row_loop: Block,
    done: Block,
}

/// Where an input's rows wrap (`abi::TileArgs::rings`), as values of
/// the function's entry block.
#[derive(Clone, Copy)]
struct Ring {
    start: Value,
    end: Value,
    len: Value,
}

/// The row offset along axis 0 that picks a load's pointer slot: each
/// has its own with two core axes or more, so that each wraps in a ring
/// on its own (with one axis, every load of an input shares one slot).
fn row_key(offset: &[i64]) -> i64 {
    match offset.len() {
        0 | 1 => 0,
        _ => offset[0],
    }
}

/// State while one `Func` is translated; `arith` adds the per-operation parts.
pub(super) struct Lowering<'a, 'b> {
    pub(super) f: &'a Func,
    pub(super) b: FunctionBuilder<'b>,
    pub(super) module: &'a mut JITModule,
    pub(super) helpers: HashMap<String, FuncRef>,
    vals: Vec<Option<Value>>,
    /// Row pointer slots: one per loaded input and row offset along axis 0
    /// (see `row_key`), then the outputs.
    slot_of_input: HashMap<(u32, i64), usize>,
    /// Byte displacement of each distinct (input, offset) load; `None` for 0.
    disp: HashMap<(u32, Vec<i64>), Option<Value>>,
    /// Per axis: the loop counter and the slots' pointers in the current row.
    /// In the vector variant the innermost loop carries its counter alone:
    /// its entry holds the pointers at the row's start (see `col`).
    counters: Vec<Value>,
    rows: Vec<Vec<Value>>,
    /// In the vector variant's column loops: the column counter, in points.
    /// Every load and store there is addressed as a row start (hoisted out
    /// of the loop) plus the counter scaled by the element size plus an
    /// immediate, one x86 address; so the loop advances one register, not
    /// one pointer per input row and output.
    col: Option<Value>,
    /// Points from `col` to the vector copy being emitted (`j * lanes`).
    pub(super) copy: i64,
    /// Whether each vector copy gets its own column register: for float
    /// sums whose copies read overlapping columns (f64 lanes with any
    /// horizontal reach). Loads are pure, so two copies reading one address
    /// would share one load, and a load with two uses cannot be folded into
    /// the arithmetic: a `vaddpd` from memory becomes a load and an add.
    /// One register per copy keeps every load folded.
    own_columns: bool,
    origin: Vec<Option<Value>>,
    shape_ptr: Value,
    params_ptr: Value,
    /// Points per innermost iteration: 1, or the vector variant's lanes.
    pub(super) lanes: usize,
    /// The loop level of each instruction (see `levels`).
    level: Vec<i32>,
    /// Scalars splatted for use in vector code, by value.
    pub(super) splats: HashMap<u32, Value>,
    /// How the innermost loop is vectorized, when `lanes > 1`.
    pub(super) plan: Option<super::vector::Plan>,
    /// Vector copies per step of the innermost loop (`vector::variant`).
    pub(super) unroll: usize,
    /// The innermost loop takes rows of any width of at least one vector:
    /// a row's last step (or, in a row narrower than a step, its last
    /// vector) ends at the row's end, computing some points again with
    /// the same bits (`vector::any_width`).
    any_width: bool,
    /// Work shared between output rows (row sums, sorted rows), kept in
    /// a ring buffer.
    shared: Option<super::vector::Shared>,
    /// The vector code being emitted is the last copy of a step, or the
    /// loop of single vectors: the copy after which no copy of the same
    /// step reads further columns (`rank::checked_terms`).
    pub(super) last_copy: bool,
    /// Value ranges (`analysis::range`), for integer vector code.
    pub(super) ranges: Vec<Option<crate::ir::range::Range>>,
    /// In the vector variant: a 4-byte slot set to 1 where some lanes need
    /// the scalar function (see `abi::TileFn`), returned at the end.
    pub(super) redo: Option<cranelift_codegen::ir::StackSlot>,
    /// In the vector variant: per mask type, the OR of every lane the
    /// inline float `//` left to the scalar function (`redo_lanes`).
    redo_masks: Vec<(Type, cranelift_frontend::Variable)>,
}

/// Builds the tile function for `f` into `func` (whose signature is set).
pub(super) fn build(
    f: &Func,
    module: &mut JITModule,
    func: &mut Function,
    fctx: &mut FunctionBuilderContext,
    lanes: usize,
) -> Result<(), CodegenError> {
    let ptr = module.target_config().pointer_type();
    let config = module.target_config();
    let b = FunctionBuilder::new(func, fctx);
    let variant = if lanes > 1 {
        super::vector::variant(f)
    } else {
        None
    };
    let mut l = Lowering {
        f,
        b,
        module,
        helpers: HashMap::new(),
        vals: vec![None; f.insts.len()],
        slot_of_input: HashMap::new(),
        disp: HashMap::new(),
        counters: Vec::new(),
        rows: Vec::new(),
        col: None,
        copy: 0,
        own_columns: false,
        origin: vec![None; f.ndim],
        shape_ptr: Value::from_u32(0),
        params_ptr: Value::from_u32(0),
        lanes,
        level: levels(f),
        splats: HashMap::new(),
        plan: variant.as_ref().map(|v| v.0),
        unroll: variant.as_ref().map_or(1, |v| v.2),
        any_width: variant
            .as_ref()
            .is_some_and(|v| super::vector::any_width(v.0) && v.3.is_none()),
        shared: variant.and_then(|v| v.3),
        ranges: crate::ir::range::ranges(f),
        redo: None,
        last_copy: false,
        redo_masks: Vec::new(),
    };
    l.own_columns = own_columns(f, l.plan, lanes);
    l.body(ptr)?;
    l.b.seal_all_blocks();
    l.b.finalize(config);
    Ok(())
}

impl Lowering<'_, '_> {
    fn body(&mut self, ptr: Type) -> Result<(), CodegenError> {
        let f = self.f;
        let n = f.ndim;
        let live = liveness(f);
        let level = self.level.clone();

        let args = self.entry(ptr);

        let Slots {
            bases,
            strides,
            wraps,
            out_slot,
        } = self.slots(ptr, args, &live);
        let extents = self.extents_and_origin(ptr, args, &live);
        self.emit_level(-1, &live, &level)?;
        let shared_rows = self.shared.clone();
        let lane_bytes = (self.mask_vec().lane_bits() / 8) as i64;
        // One plane of a ring buffer row: a vector per column.
        let plane = super::RING_COLUMNS as i64 * lane_bytes;
        let ring = shared_rows.as_ref().map(|rs| {
            use cranelift_codegen::ir::{StackSlotData, StackSlotKind};
            self.b.create_sized_stack_slot(StackSlotData::new(
                StackSlotKind::ExplicitSlot,
                (rs.terms().len() * rs.planes()) as u32 * plane as u32,
                4,
            ))
        });
        // Per relative row: the ring buffer row holding its share (`Shared`).
        let mut ring_rows: Vec<Value> = Vec::new();
        // The pass over several output rows at once (`vector::block_rows`):
        // its rows, the block that sets it up, and its column loop.
        let blocked = shared_rows
            .as_ref()
            .map(|rs| rs.block_rows())
            .filter(|&b| b > 1)
            .map(|rows| {
                let inner = self.b.create_block();
                self.b.append_block_param(inner, types::I64);
                (rows, self.b.create_block(), inner)
            });

        let loops: Vec<_> = (0..n).map(|_| self.b.create_block()).collect();
        let latches: Vec<_> = (0..n.saturating_sub(1))
            .map(|_| self.b.create_block())
            .collect();
        let exit = self.b.create_block();
        // The vector variant's innermost loop carries its column alone.
        let indexed = self.lanes > 1;
        let tail = self
            .any_width
            .then(|| self.any_width_blocks(extents[n - 1]));
        let inner = tail.as_ref().map_or(loops[n - 1], |t| t.enter);
        for (k, &lp) in loops.iter().enumerate() {
            self.b.append_block_param(lp, types::I64);
            if indexed && k + 1 == n {
                continue;
            }
            for _ in &bases {
                self.b.append_block_param(lp, ptr);
            }
        }

        let empty = self.any_empty(&extents);
        let zero = self.b.ins().iconst(types::I64, 0);
        let start = block_args(zero, if indexed && n == 1 { &[] } else { &bases });
        let first = if n == 1 { inner } else { loops[0] };
        self.b.ins().brif(empty, exit, &[], first, &start);
        if let Some(t) = &tail {
            // Steps where one fits, else single vectors.
            self.b.switch_to_block(t.enter);
            let c = self.b.block_params(t.enter)[0];
            let step = (self.lanes * self.unroll) as i64;
            let fits =
                (self.b.ins()).icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, extents[n - 1], step);
            let at = block_args(c, &[]);
            self.b.ins().brif(fits, loops[n - 1], &at, t.short, &at);
        }

        for k in 0..n {
            self.b.switch_to_block(loops[k]);
            let params = self.b.block_params(loops[k]).to_vec();
            self.counters.push(params[0]);
            if indexed && k + 1 == n {
                let starts = match k {
                    0 => bases.clone(),
                    _ => self.rows[k - 1].clone(),
                };
                self.rows.push(starts);
                self.col = Some(params[0]);
            } else {
                self.rows.push(params[1..].to_vec());
            }
            let shared = shared_rows.as_ref().filter(|_| k + 1 == n);
            if shared.is_none() {
                self.last_copy = k + 1 == n && self.unroll == 1;
                self.emit_level(k as i32, &live, &level)?;
                self.last_copy = false;
            }
            if let (Some(rs), Some(slot), true) = (&shared_rows, ring, k + 2 == n) {
                let ring_row = plane * rs.planes() as i64;
                ring_rows = self.ring_rows(rs.terms().len(), slot, ring_row, ptr);
                self.ring_prologue(rs, &ring_rows, extents[n - 1], plane, lane_bytes)?;
            }
            if k + 1 < n {
                let zero = self.b.ins().iconst(types::I64, 0);
                let carried = if indexed && k + 2 == n {
                    &[][..]
                } else {
                    &self.rows[k][..]
                };
                let next = block_args(zero, carried);
                let to = if k + 2 == n { inner } else { loops[k + 1] };
                match blocked {
                    // A pass over a block of rows where that many are left.
                    Some((rows, pre, _)) if k + 2 == n => {
                        let left = self.b.ins().isub(extents[k], self.counters[k]);
                        let fits = (self.b.ins()).icmp_imm_s(
                            IntCC::UnsignedGreaterThanOrEqual,
                            left,
                            rows as i64,
                        );
                        self.b.ins().brif(fits, pre, &[], to, &next);
                    }
                    _ => {
                        self.b.ins().jump(to, &next);
                    }
                }
            } else if let Some(rs) = shared {
                let at = RingAt {
                    rows: &ring_rows,
                    plane,
                    lane_bytes,
                };
                self.shared_step(rs, &at, out_slot, &live, &level)?;
            } else if self.lanes > 1 {
                self.vector_step(k, out_slot, &live, &level)?;
            } else {
                for (o, &r) in f.results.iter().enumerate() {
                    let at = self.rows[k][out_slot + o];
                    let v = self.value(r);
                    self.b.ins().store(data_flags(), v, at, 0);
                }
            }
        }
        let nest = Nest {
            loops: &loops,
            latches: &latches,
            exit,
            tail: tail.as_ref(),
            extents: &extents,
            strides: &strides,
            wraps: &wraps,
            carried: bases.len(),
            out_slot,
        };
        self.close_loops(&nest, &live, &level)?;
        // The pass over several rows, once every block of the loop nest is
        // closed (Cranelift's builder leaves no block unfinished).
        if let (Some(rs), Some((rows, pre, inner)), Some(slot)) = (&shared_rows, blocked, ring) {
            let pass = BlockPass {
                rows,
                pre,
                inner,
                shared: rs,
                ring: slot,
                ring_row: plane * rs.planes() as i64,
                plane,
                lane_bytes,
                out_slot,
                strides: &strides,
                wraps: &wraps,
                extents: &extents,
                row_loop: loops[n - 2],
                done: if n > 2 { latches[n - 3] } else { exit },
            };
            self.block_pass(&pass, &live, &level, ptr)?;
        }
        self.b.switch_to_block(exit);
        self.return_status(ptr);
        Ok(())
    }

    /// The latches of the loop nest, innermost first (the innermost one
    /// closes its own block): each counter and carried row pointer
    /// stepped, wrapped into its ring along axis 0, and the branch back or
    /// out; rows of any width end in their last step and single vectors.
    fn close_loops(
        &mut self,
        nest: &Nest<'_>,
        live: &[bool],
        level: &[i32],
    ) -> Result<(), CodegenError> {
        let n = self.f.ndim;
        let indexed = self.lanes > 1;
        let Nest {
            loops,
            latches,
            exit,
            tail,
            extents,
            strides,
            wraps,
            out_slot,
            ..
        } = *nest;
        for k in (0..n).rev() {
            if k + 1 < n {
                self.b.switch_to_block(latches[k]);
            }
            let step = match (k + 1 == n, self.lanes) {
                (false, _) | (true, 1) => 1,
                (true, lanes) => (lanes * self.unroll) as i64,
            };
            let i = self.b.ins().iadd_imm_s(self.counters[k], step);
            let carried = if indexed && k + 1 == n {
                0
            } else {
                nest.carried
            };
            let moved: Vec<Value> = (0..carried)
                .map(|s| {
                    let by = if step == 1 {
                        strides[s][k]
                    } else {
                        self.b.ins().imul_imm_s(strides[s][k], step)
                    };
                    let p = self.b.ins().iadd(self.rows[k][s], by);
                    match wraps.get(s).copied().flatten() {
                        Some(ring) if k == 0 => self.wrap_down(p, ring),
                        _ => p,
                    }
                })
                .collect();
            let done = if k > 0 { latches[k - 1] } else { exit };
            if let (Some(t), true) = (tail, k + 1 == n) {
                let row = RowEnd {
                    last: t.last_step,
                    extent: extents[k],
                    width: (self.lanes * self.unroll) as i64,
                    done,
                };
                self.next_or_last(row, i, loops[k], Some(t.short));
                let (short, extent) = (t.short, extents[k]);
                self.short_row(short, extent, done, out_slot, live, level)?;
                continue;
            }
            let more = self.b.ins().icmp(IntCC::UnsignedLessThan, i, extents[k]);
            let again = block_args(i, &moved);
            self.b.ins().brif(more, loops[k], &again, done, &[]);
        }
        Ok(())
    }

    /// The entry block, its argument block pointer returned; the vector
    /// variant's redo flag (`redo`) starts at 0.
    fn entry(&mut self, ptr: Type) -> Value {
        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        let args = self.b.block_params(entry)[0];
        if self.lanes > 1 {
            use cranelift_codegen::ir::{StackSlotData, StackSlotKind};
            let slot = self.b.create_sized_stack_slot(StackSlotData::new(
                StackSlotKind::ExplicitSlot,
                4,
                2,
            ));
            let zero = self.b.ins().iconst(types::I32, 0);
            self.b.ins().stack_store(ptr, zero, slot, 0);
            self.redo = Some(slot);
        }
        args
    }

    /// Rows of any width (`AnyWidth`): where a row of `extent` points
    /// starts its last step, and the blocks that choose steps or single
    /// vectors.
    fn any_width_blocks(&mut self, extent: Value) -> AnyWidth {
        let step = (self.lanes * self.unroll) as i64;
        let last_step = self.last_start(extent, step);
        let enter = self.b.create_block();
        self.b.append_block_param(enter, types::I64);
        let short = self.b.create_block();
        self.b.append_block_param(short, types::I64);
        AnyWidth {
            last_step,
            enter,
            short,
        }
    }

    /// Whether some extent is 0 (the box is empty).
    fn any_empty(&mut self, extents: &[Value]) -> Value {
        let mut empty = self.b.ins().icmp_imm_s(IntCC::Equal, extents[0], 0);
        for &e in &extents[1..] {
            let z = self.b.ins().icmp_imm_s(IntCC::Equal, e, 0);
            empty = self.b.ins().bor(empty, z);
        }
        empty
    }

    /// One load of field `off` of the tile's argument block.
    fn arg(&mut self, ptr: Type, args: Value, off: i32) -> Value {
        self.b.ins().load(ptr, MemFlagsData::trusted(), args, off)
    }

    /// Row pointer slots and their strides per axis, inputs' then one per
    /// output. With two core axes or more, each row offset along axis 0 of
    /// an input has its own slot, wrapped into the input's ring
    /// (`abi::TileArgs::rings`) where it starts and at each step along
    /// axis 0; the displacements of the loads from their slot are made
    /// here too (`disp`).
    fn slots(&mut self, ptr: Type, args: Value, live: &[bool]) -> Slots {
        let f = self.f;
        let n = f.ndim;
        let mut bases = Vec::new();
        let mut strides: Vec<Vec<Value>> = Vec::new();
        let mut wraps: Vec<Option<Ring>> = Vec::new();
        let inputs = self.arg(ptr, args, field::INPUTS);
        let in_strides = self.arg(ptr, args, field::IN_STRIDES);
        let ring_table = (n >= 2).then(|| self.arg(ptr, args, field::RINGS));
        let mut per_input: HashMap<u32, (Value, Vec<Value>, Option<Ring>)> = HashMap::new();
        for (i, inst) in f.insts.iter().enumerate() {
            let Op::Load { input, offset } = &inst.op else {
                continue;
            };
            if !live[i] {
                continue;
            }
            let row = row_key(offset);
            let slot = match self.slot_of_input.get(&(*input, row)) {
                Some(&s) => s,
                None => {
                    let (base, st, ring) = match per_input.get(input) {
                        Some(x) => x.clone(),
                        None => {
                            let at = (*input as usize * 8) as i32;
                            let base = self.b.ins().load(ptr, MemFlagsData::trusted(), inputs, at);
                            let size = f.inputs[*input as usize].size() as i64;
                            let st: Vec<Value> = (0..n)
                                .map(|k| self.stride(in_strides, *input as usize, k, size))
                                .collect();
                            let ring = ring_table.map(|t| self.ring(t, *input as usize));
                            per_input.insert(*input, (base, st.clone(), ring));
                            (base, st, ring)
                        }
                    };
                    let mut p = base;
                    if let Some(ring) = ring {
                        if row != 0 {
                            let by = self.b.ins().imul_imm_s(st[0], row);
                            p = self.b.ins().iadd(p, by);
                        }
                        p = self.wrap_up(p, ring);
                        p = self.wrap_down(p, ring);
                    }
                    let s = bases.len();
                    self.slot_of_input.insert((*input, row), s);
                    bases.push(p);
                    strides.push(st);
                    wraps.push(ring);
                    s
                }
            };
            let (key, _) = self.disp_key(*input, offset);
            if !self.disp.contains_key(&key) {
                let mut d: Option<Value> = None;
                for (k, &o) in key.1.iter().enumerate() {
                    if o != 0 {
                        let t = self.b.ins().imul_imm_s(strides[slot][k], o);
                        d = Some(match d {
                            Some(d) => self.b.ins().iadd(d, t),
                            None => t,
                        });
                    }
                }
                self.disp.insert(key, d);
            }
        }
        // One slot per output, after the inputs'.
        let out_slot = bases.len();
        let outs = self.arg(ptr, args, field::OUTS);
        let out_strides = self.arg(ptr, args, field::OUT_STRIDES);
        for o in 0..f.results.len() {
            let at = (o * 8) as i32;
            bases.push(self.b.ins().load(ptr, MemFlagsData::trusted(), outs, at));
            // Output rows wrap in their ring too (`abi::TileArgs::rings`):
            // a box of rows may cross a sliding grid's end.
            let ring = ring_table.map(|t| self.ring(t, f.inputs.len() + o));
            wraps.push(ring);
            let size = f.out_dtypes[o].size() as i64;
            strides.push(
                (0..n)
                    .map(|k| self.stride(out_strides, o, k, size))
                    .collect(),
            );
        }
        Slots {
            bases,
            strides,
            wraps,
            out_slot,
        }
    }

    /// The box's extent per axis; the origin of each axis an `index` reads,
    /// the shape and parameter pointers, loaded into `self`.
    fn extents_and_origin(&mut self, ptr: Type, args: Value, live: &[bool]) -> Vec<Value> {
        let f = self.f;
        let n = f.ndim;
        let extent_ptr = self.arg(ptr, args, field::EXTENT);
        let extents: Vec<Value> = (0..n)
            .map(|k| {
                let at = (k * 8) as i32;
                self.b
                    .ins()
                    .load(types::I64, MemFlagsData::trusted(), extent_ptr, at)
            })
            .collect();
        let origin_ptr = self.arg(ptr, args, field::ORIGIN);
        for (i, inst) in f.insts.iter().enumerate() {
            if let Op::Index(k) = inst.op
                && live[i]
                && self.origin[k as usize].is_none()
            {
                let at = (k as usize * 8) as i32;
                let o = self
                    .b
                    .ins()
                    .load(types::I64, MemFlagsData::trusted(), origin_ptr, at);
                self.origin[k as usize] = Some(o);
            }
        }
        self.shape_ptr = self.arg(ptr, args, field::SHAPE);
        self.params_ptr = self.arg(ptr, args, field::PARAMS);
        extents
    }

    /// One step of a row that shares rows, one row per pass: per copy, the
    /// new row's share combined with the ring buffer's earlier rows, and
    /// stored into it.
    fn shared_step(
        &mut self,
        rs: &super::vector::Shared,
        ring: &RingAt<'_>,
        out_slot: usize,
        live: &[bool],
        level: &[i32],
    ) -> Result<(), CodegenError> {
        let f = self.f;
        let (ring_rows, plane, lane_bytes) = (ring.rows, ring.plane, ring.lane_bytes);
        // combined with the ring buffer's earlier rows, and stored
        // into it.
        let last = rs.terms().len() - 1;
        let mut pending = vec![None; f.results.len()];
        for j in 0..self.unroll {
            self.copy = (j * self.lanes) as i64;
            let h = self.shared_row(rs, last)?;
            let vt = self.mask_vec();
            let mut rows = Vec::new();
            for &r in &ring_rows[..last] {
                let row = (0..rs.planes())
                    .map(|p| {
                        let (at, imm) =
                            self.at_column(r, p as i32 * plane as i32, lane_bytes as usize);
                        self.b.ins().load(vt, data_flags(), at, imm)
                    })
                    .collect();
                rows.push(row);
            }
            rows.push(h.clone());
            let value = self.combine_rows(rs, rows);
            self.store_shared(rs, value, (live, level), (out_slot, j), &mut pending)?;
            // The new row goes into the ring after the result: no
            // store then lies between a ring load and its one use,
            // and Cranelift folds the load into the instruction.
            for (p, &v) in h.iter().enumerate() {
                let imm = p as i32 * plane as i32;
                let (at, imm) = self.at_column(ring_rows[last], imm, lane_bytes as usize);
                self.b.ins().store(data_flags(), v, at, imm);
            }
        }
        self.copy = 0;
        Ok(())
    }

    /// One step of the vector loop: the body runs `vector::unroll` times,
    /// on consecutive runs of `lanes` points (copy 0 is emitted by the
    /// loop level). Each copy's result is stored before the next copy's
    /// loads: Cranelift places arithmetic just before its first use, so a
    /// store after all copies would keep every copy's loaded vectors live at
    /// once (W1 spilled nine).
    fn vector_step(
        &mut self,
        k: usize,
        out_slot: usize,
        live: &[bool],
        level: &[i32],
    ) -> Result<(), CodegenError> {
        let f = self.f;
        // The vector body runs `vector::unroll` times per step, on
        // consecutive runs of `lanes` points (copy 0 is emitted
        // above). Each copy's result is stored before the next
        // copy's loads: Cranelift places arithmetic just before its
        // first use, so a store after all copies would keep every
        // copy's loaded vectors live at once (W1 spilled nine).
        let unroll = self.unroll;
        let mut pending = vec![None; f.results.len()];
        for j in 0..unroll {
            if j > 0 {
                self.copy = (j * self.lanes) as i64;
                self.last_copy = j + 1 == unroll;
                self.emit_level(k as i32, live, level)?;
                self.last_copy = false;
            }
            for (o, &r) in f.results.iter().enumerate() {
                let v = self.vector_of(r);
                self.store_copy(o, out_slot + o, v, j, &mut pending);
            }
        }
        self.copy = 0;
        Ok(())
    }

    /// The function's end: the status (1 where a vector step handed its box
    /// to the scalar function) returned.
    fn return_status(&mut self, ptr: Type) {
        let mut status = match self.redo {
            Some(slot) => self.b.ins().stack_load(ptr, types::I32, slot, 0),
            None => self.b.ins().iconst(types::I32, 0),
        };
        for (_, var) in std::mem::take(&mut self.redo_masks) {
            let mask = self.b.use_var(var);
            let any = self.b.ins().vany_true(mask);
            let any = self.b.ins().uextend(types::I32, any);
            status = self.b.ins().bor(status, any);
        }
        self.b.ins().return_(&[status]);
    }

    /// The latch of row loop `lp` whose last iteration starts at column
    /// `row.last` (the extent less the `row.width` points of one
    /// iteration): on to `next` while it is at most `last`. Then, where
    /// `next` is short of the extent, the rest: one more iteration at
    /// `last` (computing some points again) or, with `short` and a rest
    /// under half an iteration, the single-vector loop `short` from
    /// `next`. Then on to `row.done`.
    fn next_or_last(&mut self, row: RowEnd, next: Value, lp: Block, short: Option<Block>) {
        let RowEnd {
            last,
            extent,
            width,
            done,
        } = row;
        let fix = self.b.create_block();
        let more = self
            .b
            .ins()
            .icmp(IntCC::UnsignedLessThanOrEqual, next, last);
        self.b
            .ins()
            .brif(more, lp, &block_args(next, &[]), fix, &[]);
        self.b.switch_to_block(fix);
        let rest = self.b.ins().icmp(IntCC::UnsignedLessThan, next, extent);
        let at_last = block_args(last, &[]);
        let Some(short) = short else {
            self.b.ins().brif(rest, lp, &at_last, done, &[]);
            return;
        };
        let choose = self.b.create_block();
        self.b.ins().brif(rest, choose, &[], done, &[]);
        self.b.switch_to_block(choose);
        // The single vectors start no later than the row's last vector.
        let last_vector = self.b.ins().iadd_imm_s(extent, -(self.lanes as i64));
        let from = self.b.ins().umin(next, last_vector);
        let at_next = block_args(from, &[]);
        let half = self.b.ins().iadd_imm_s(last, width / 2);
        let big = self
            .b
            .ins()
            .icmp(IntCC::UnsignedLessThanOrEqual, next, half);
        self.b.ins().brif(big, lp, &at_last, short, &at_next);
    }

    /// `extent - by`, for a row of at least `by` columns: where a row's
    /// last iteration of `by` columns starts. Written `umin(extent - by,
    /// extent)` so that Cranelift keeps it in a register through the loop:
    /// it recomputes an add of a constant in every block that uses it,
    /// which there took the counter's register and cost a move and a jump
    /// per step.
    fn last_start(&mut self, extent: Value, by: i64) -> Value {
        let last = self.b.ins().iadd_imm_s(extent, -by);
        self.b.ins().umin(last, extent)
    }

    /// The loop of single vectors from the column `short` is entered with
    /// (0 in a row narrower than a step, at least a vector wide; or where
    /// the steps left less than half a step) to the row's end; then on to
    /// `done`.
    fn short_row(
        &mut self,
        short: Block,
        extent: Value,
        done: Block,
        out_slot: usize,
        live: &[bool],
        level: &[i32],
    ) -> Result<(), CodegenError> {
        let k = self.f.ndim - 1;
        self.b.switch_to_block(short);
        let c = self.b.block_params(short)[0];
        let last = self.last_start(extent, self.lanes as i64);
        let (counter, col) = (self.counters[k], self.col);
        (self.counters[k], self.col, self.copy) = (c, Some(c), 0);
        // Splats made in the steps' block do not dominate this one.
        self.splats.clear();
        self.last_copy = true;
        self.emit_level(k as i32, live, level)?;
        self.last_copy = false;
        let mut pending = vec![None; self.f.results.len()];
        for (o, &r) in self.f.results.iter().enumerate() {
            let v = self.vector_of(r);
            self.store_copy(o, out_slot + o, v, 0, &mut pending);
        }
        (self.counters[k], self.col) = (counter, col);
        let next = self.b.ins().iadd_imm_s(c, self.lanes as i64);
        let row = RowEnd {
            last,
            extent,
            width: self.lanes as i64,
            done,
        };
        self.next_or_last(row, next, short, None);
        Ok(())
    }

    /// Notes the lanes of `mask` (a vector compare's result) as needing the
    /// scalar function. They are ORed into one mask per call, tested once
    /// at its end: a test and branch per vector cost as much as the rest of
    /// a float `//` (the SSA builder carries the mask through the loops; it
    /// starts as zero).
    pub(super) fn redo_lanes(&mut self, mask: Value) {
        let ty = self.b.func.dfg.value_type(mask);
        let var = match self.redo_masks.iter().find(|m| m.0 == ty) {
            Some(&(_, var)) => var,
            None => {
                let var = self.b.declare_var(ty);
                self.redo_masks.push((ty, var));
                var
            }
        };
        let seen = self.b.use_var(var);
        let seen = self.b.ins().bor(seen, mask);
        self.b.def_var(var, seen);
    }

    /// The ring input `a`'s rows wrap around in (`abi::TileArgs::rings`):
    /// its first address, its end and its byte length.
    fn ring(&mut self, table: Value, a: usize) -> Ring {
        let at = (a * 16) as i32;
        let flags = MemFlagsData::trusted();
        let start = self.b.ins().load(types::I64, flags, table, at);
        let len = self.b.ins().load(types::I64, flags, table, at + 8);
        let end = self.b.ins().iadd(start, len);
        Ring { start, end, len }
    }

    /// `p` a ring length back where it lies at or past the ring's end (an
    /// unsigned compare: no ring is start 0 and length 0, which never
    /// moves `p`).
    fn wrap_down(&mut self, p: Value, ring: Ring) -> Value {
        let past = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, p, ring.end);
        let back = self.b.ins().isub(p, ring.len);
        self.b.ins().select(past, back, p)
    }

    /// `p` a ring length on where it lies before the ring's start.
    fn wrap_up(&mut self, p: Value, ring: Ring) -> Value {
        let before = self.b.ins().icmp(IntCC::UnsignedLessThan, p, ring.start);
        let on = self.b.ins().iadd(p, ring.len);
        self.b.ins().select(before, on, p)
    }

    /// The byte stride of array `a` (an input or an output, as `table`
    /// lists them) along core axis `k`. The vector variant is called only
    /// on contiguous rows (`exec::call`): there the innermost stride is the
    /// element size, a constant, so that the row's addresses are immediate
    /// offsets and no register holds a stride.
    fn stride(&mut self, table: Value, a: usize, k: usize, size: i64) -> Value {
        let n = self.f.ndim;
        if self.lanes > 1 && k + 1 == n {
            return self.b.ins().iconst(types::I64, size);
        }
        let at = ((a * n + k) * 8) as i32;
        self.b
            .ins()
            .load(types::I64, MemFlagsData::trusted(), table, at)
    }

    /// At the start of an output row: where the ring buffer keeps the share
    /// (row sum, sorted terms) of each of the `rows` rows the footprint
    /// covers, the first at relative row 0. Row `r + a` is kept in ring row
    /// `(r + a) mod rows`, so the row the next output row no longer needs
    /// is the one the new row overwrites.
    fn ring_rows(
        &mut self,
        rows: usize,
        slot: cranelift_codegen::ir::StackSlot,
        ring_row: i64,
        ptr: Type,
    ) -> Vec<Value> {
        let rows = rows as i64;
        let r = *self.counters.last().expect("in the row loop");
        let base = self.b.ins().stack_addr(ptr, slot, 0);
        (0..rows)
            .map(|a| self.ring_row_at(r, a, rows, base, ring_row))
            .collect()
    }

    /// Where the ring buffer at `base` keeps the share of row `r + a`:
    /// ring row `(r + a) mod rows`, `ring_row` bytes each.
    fn ring_row_at(&mut self, r: Value, a: i64, rows: i64, base: Value, ring_row: i64) -> Value {
        let t = self.b.ins().iadd_imm_s(r, a);
        let q = self.b.ins().urem_imm_s(t, rows);
        let by = self.b.ins().imul_imm_s(q, ring_row);
        self.b.ins().iadd(base, by)
    }

    /// The pass over `p.rows` output rows at once (`vector::block_rows`),
    /// emitted into `p.pre` and `p.inner` and back to the row loop, after
    /// the rest of the loop nest. Per column step it loads the shares of
    /// the window's first rows from the ring, computes each output row's
    /// new share and result in turn, and stores the last rows' shares
    /// for the next pass. The comparators and sums are the one-row
    /// loop's, on the same values.
    fn block_pass(
        &mut self,
        p: &BlockPass<'_>,
        live: &[bool],
        level: &[i32],
        ptr: Type,
    ) -> Result<(), CodegenError> {
        let f = self.f;
        let n = f.ndim;
        let k = n - 2;
        let saved_rows = self.rows[n - 1].clone();
        let saved_col = self.col;
        // Splats made in the one-row loop do not dominate this one.
        let saved_splats = std::mem::take(&mut self.splats);
        let r = self.counters[k];
        let window = p.shared.terms().len();
        let last = window - 1;

        // Every pointer slot at each row of the pass (and the next pass's
        // first), and the ring rows its last shares go to.
        self.b.switch_to_block(p.pre);
        let mut at_row = vec![self.rows[k].clone()];
        for t in 1..=p.rows {
            let prev = at_row[t - 1].clone();
            let next = (prev.iter().enumerate())
                .map(|(s, &q)| {
                    let q = self.b.ins().iadd(q, p.strides[s][k]);
                    match p.wraps.get(s).copied().flatten() {
                        Some(ring) if k == 0 => self.wrap_down(q, ring),
                        _ => q,
                    }
                })
                .collect();
            at_row.push(next);
        }
        // Passes start at multiples of `p.rows`, a multiple of the ring's
        // rows: relative row `a` of the window is in ring row `a`.
        let base = self.b.ins().stack_addr(ptr, p.ring, 0);
        let ring_at = |a: usize, pl: usize| (a as i64 * p.ring_row + pl as i64 * p.plane) as i32;
        let zero = self.b.ins().iconst(types::I64, 0);
        self.b.ins().jump(p.inner, &block_args(zero, &[]));

        self.b.switch_to_block(p.inner);
        let col = self.b.block_params(p.inner)[0];
        self.col = Some(col);
        let vt = self.mask_vec();
        let mut pending = vec![vec![None; f.results.len()]; p.rows];
        for j in 0..self.unroll {
            self.copy = (j * self.lanes) as i64;
            // Per relative row: its share. The kept ones are loaded
            // before this copy stores any.
            let mut shares: Vec<Vec<Value>> = Vec::new();
            for a in 0..last {
                let share = (0..p.shared.planes())
                    .map(|pl| {
                        let (at, imm) = self.at_column(base, ring_at(a, pl), p.lane_bytes as usize);
                        self.b.ins().load(vt, data_flags(), at, imm)
                    })
                    .collect();
                shares.push(share);
            }
            for t in 0..p.rows {
                self.rows[n - 1] = at_row[t].clone();
                let h = self.shared_row(p.shared, last)?;
                shares.push(h);
                let value = self.combine_block(p.shared, &shares, t, p.rows);
                let at = (p.out_slot, j);
                self.store_shared(p.shared, value, (live, level), at, &mut pending[t])?;
            }
            for a in 0..last {
                for (pl, &v) in shares[p.rows + a].iter().enumerate() {
                    let (at, imm) = self.at_column(base, ring_at(a, pl), p.lane_bytes as usize);
                    self.b.ins().store(data_flags(), v, at, imm);
                }
            }
        }
        self.copy = 0;
        let step = (self.lanes * self.unroll) as i64;
        let next = self.b.ins().iadd_imm_s(col, step);
        let more = self
            .b
            .ins()
            .icmp(IntCC::UnsignedLessThan, next, p.extents[n - 1]);
        let row_done = self.b.create_block();
        (self.b.ins()).brif(more, p.inner, &block_args(next, &[]), row_done, &[]);
        self.b.switch_to_block(row_done);
        let i = self.b.ins().iadd_imm_s(r, p.rows as i64);
        let more = self.b.ins().icmp(IntCC::UnsignedLessThan, i, p.extents[k]);
        let again = block_args(i, &at_row[p.rows]);
        self.b.ins().brif(more, p.row_loop, &again, p.done, &[]);

        self.rows[n - 1] = saved_rows;
        self.col = saved_col;
        self.splats = saved_splats;
        Ok(())
    }

    /// On the box's first output row only: a loop over its columns that
    /// stores the share of every footprint row but the last into the ring.
    fn ring_prologue(
        &mut self,
        rs: &super::vector::Shared,
        ring_rows: &[Value],
        width: Value,
        plane: i64,
        lane_bytes: i64,
    ) -> Result<(), CodegenError> {
        let r = *self.counters.last().expect("in the row loop");
        let row = self.rows.last().expect("in the row loop").clone();
        let head = self.b.create_block();
        let body = self.b.create_block();
        let after = self.b.create_block();
        self.b.append_block_param(body, types::I64);
        let first = self.b.ins().icmp_imm_s(IntCC::Equal, r, 0);
        self.b.ins().brif(first, head, &[], after, &[]);
        self.b.switch_to_block(head);
        let zero = self.b.ins().iconst(types::I64, 0);
        self.b.ins().jump(body, &block_args(zero, &[]));
        self.b.switch_to_block(body);
        let col = self.b.block_params(body)[0];
        let step = self.lanes * self.unroll;
        // The row's start pointers, addressed by the column (see `col`).
        self.rows.push(row);
        self.col = Some(col);
        for j in 0..self.unroll {
            self.copy = (j * self.lanes) as i64;
            for (a, &ring_row) in ring_rows[..rs.terms().len() - 1].iter().enumerate() {
                let h = self.shared_row(rs, a)?;
                for (p, &v) in h.iter().enumerate() {
                    let imm = p as i32 * plane as i32;
                    let (to, imm) = self.at_column(ring_row, imm, lane_bytes as usize);
                    self.b.ins().store(data_flags(), v, to, imm);
                }
            }
        }
        self.rows.pop();
        (self.col, self.copy) = (None, 0);
        let next = self.b.ins().iadd_imm_s(col, step as i64);
        let more = self.b.ins().icmp(IntCC::UnsignedLessThan, next, width);
        self.b
            .ins()
            .brif(more, body, &block_args(next, &[]), after, &[]);
        self.b.switch_to_block(after);
        Ok(())
    }

    /// What window row `a` contributes, in vector lanes at the current
    /// innermost pointers: its row sum, or its sorted terms.
    fn shared_row(
        &mut self,
        rs: &super::vector::Shared,
        a: usize,
    ) -> Result<Vec<Value>, CodegenError> {
        let mut terms = Vec::new();
        for &t in &rs.terms()[a] {
            if let Op::Cast(x) = self.f.insts[t as usize].op {
                let v = self.vinst(x as usize)?;
                self.vals[x as usize] = Some(v);
            }
            let v = self.vinst(t as usize)?;
            self.vals[t as usize] = Some(v);
            terms.push(v);
        }
        Ok(match rs {
            super::vector::Shared::Sum(s) => {
                let items = terms.into_iter().zip(s.col_weights.iter().copied());
                vec![self.weighted_sum(items.collect())]
            }
            super::vector::Shared::Sort(_) => self.vsort_row(terms),
        })
    }

    /// The root's value from every window row's share, the rows in order.
    fn combine_rows(&mut self, rs: &super::vector::Shared, rows: Vec<Vec<Value>>) -> Value {
        match rs {
            super::vector::Shared::Sum(s) => {
                let items = rows.into_iter().map(|r| r[0]);
                self.weighted_sum(items.zip(s.row_weights.iter().copied()).collect())
            }
            super::vector::Shared::Sort(_) => self.vmerge_rows(rows),
        }
    }

    /// With the shared root's `value` for one vector copy: the rest of the
    /// innermost body (what follows the root, the parts aside), and the
    /// result stored for copy `at.1` at output slot `at.0` (pairs of copies
    /// narrowed together through `pending`, `store_copy`).
    fn store_shared(
        &mut self,
        rs: &super::vector::Shared,
        value: Value,
        (live, level): (&[bool], &[i32]),
        at: (usize, usize),
        pending: &mut [Option<Value>],
    ) -> Result<(), CodegenError> {
        let f = self.f;
        let inner = (f.ndim - 1) as i32;
        self.vals[rs.root() as usize] = Some(value);
        for i in 0..f.insts.len() {
            let part = rs.parts().contains(&(i as ValueId));
            if live[i] && level[i] == inner && !part {
                let v = self.vinst(i)?;
                self.vals[i] = Some(v);
            }
        }
        let v = self.vector_of(f.result());
        self.store_copy(0, at.0, v, at.1, pending);
        Ok(())
    }

    /// Output row `t` of a pass over `rows` output rows
    /// (`Lowering::block_pass`), from the shares of the pass's relative
    /// rows `shares[t..]`. Output rows `t` and `t + 1` (`t` even) read
    /// window rows `t + 1 ..= t + K - 1` both: where min, max and sums
    /// may be regrouped (a median of integers; a sum whose rows all have
    /// one weight), each combines those rows first, written alike for
    /// both, so that Cranelift computes them once. Integer lanes are
    /// exact, min and max associative and the sum proven not to wrap in
    /// any grouping (`rowsum::plan`), so every lane keeps its value.
    fn combine_block(
        &mut self,
        rs: &super::vector::Shared,
        shares: &[Vec<Value>],
        t: usize,
        rows: usize,
    ) -> Value {
        let window = rs.terms().len();
        let paired = t % 2 == 1 || t + 1 < rows;
        // The rows both outputs of a pair read, and the one of this output.
        let (both, own) = match t % 2 {
            0 => (&shares[t + 1..t + window], &shares[t]),
            _ => (&shares[t..t + window - 1], &shares[t + window - 1]),
        };
        match rs {
            super::vector::Shared::Sum(s)
                if paired && s.row_weights.iter().all(|&w| w == s.row_weights[0]) =>
            {
                let w = s.row_weights[0];
                let items = both.iter().map(|r| (r[0], w)).collect();
                let shared = self.weighted_sum(items);
                self.weighted(Some(shared), own[0], w)
            }
            super::vector::Shared::Sort(_) if paired => {
                let (a, b) = (&both[0], &both[1]);
                let lo = self.vminmax(a[0], b[0]).1;
                let hi = self.vminmax(a[2], b[2]).0;
                let (mn, mx) = self.vminmax(a[1], b[1]);
                self.vmerge_pair(own, lo, (mn, mx), hi)
            }
            _ => self.combine_rows(rs, shares[t..t + window].to_vec()),
        }
    }

    /// `sum(w v)` over `items` in integer lanes, positive weights first so
    /// that negative ones subtract rather than negate. The row sum plan
    /// proved that no lane wraps in any order.
    fn weighted_sum(&mut self, mut items: Vec<(Value, i64)>) -> Value {
        items.sort_by_key(|&(_, w)| w < 0);
        let mut sum = None;
        for (v, w) in items {
            sum = Some(self.weighted(sum, v, w));
        }
        sum.expect("a sum has terms")
    }

    /// `sum + w v` in integer lanes (`v` alone without `sum`): a weight of
    /// -1 subtracts, a power of two (or its negation) shifts.
    fn weighted(&mut self, sum: Option<Value>, v: Value, w: i64) -> Value {
        let m = w.unsigned_abs();
        let scaled = match m {
            1 => v,
            _ if m.is_power_of_two() => self.b.ins().ishl_imm_u(v, i64::from(m.trailing_zeros())),
            _ => {
                let ty = self.b.func.dfg.value_type(v);
                let c = self.b.ins().iconst(ty.lane_type(), m as i64);
                let c = self.b.ins().splat(ty, c);
                self.b.ins().imul(v, c)
            }
        };
        match (sum, w < 0) {
            (Some(s), false) => self.b.ins().iadd(s, scaled),
            (Some(s), true) => self.b.ins().isub(s, scaled),
            (None, false) => scaled,
            (None, true) => self.b.ins().ineg(scaled),
        }
    }

    /// Translates the live instructions of one loop level, in order.
    fn emit_level(&mut self, lv: i32, live: &[bool], level: &[i32]) -> Result<(), CodegenError> {
        for i in 0..self.f.insts.len() {
            if live[i] && level[i] == lv {
                let v = if self.lanes > 1 && lv == self.f.ndim as i32 - 1 {
                    self.vinst(i)?
                } else {
                    self.inst(i)?
                };
                self.vals[i] = Some(v);
            }
        }
        Ok(())
    }

    /// The address input `input` is read at, `offset` from the current point.
    /// The address input `input` is read at, `offset` from the current
    /// point, as a register plus an immediate byte offset.
    pub(super) fn load_address(&mut self, input: u32, offset: &[i64]) -> (Value, i32) {
        let row = self.rows[self.f.ndim - 1][self.slot_of_input[&(input, row_key(offset))]];
        let (key, imm) = self.disp_key(input, offset);
        let base = match self.disp[&key] {
            Some(disp) => self.b.ins().iadd(row, disp),
            None => row,
        };
        let size = self.f.inputs[input as usize].size();
        self.at_column(base, imm, size)
    }

    /// The address of output `o` (pointer slot `slot`) at the current point.
    pub(super) fn out_address(&mut self, o: usize, slot: usize) -> (Value, i32) {
        let row = self.rows[self.f.ndim - 1][slot];
        let size = self.f.out_dtypes[o].size();
        self.at_column(row, 0, size)
    }

    /// `row + imm` in scalar code, where `row` points at the point itself;
    /// in the vector variant's column loops `row` points at the row's start
    /// and the column and the vector copy are added (`col`): the row start
    /// is invariant in the loop, so Cranelift hoists it, and the sum is one
    /// x86 address (base, index scaled by the element size, immediate).
    fn at_column(&mut self, row: Value, imm: i32, size: usize) -> (Value, i32) {
        let Some(col) = self.col else {
            return (row, imm);
        };
        let (col, copy) = match self.own_columns && self.copy != 0 {
            true => (self.b.ins().iadd_imm_s(col, self.copy), 0),
            false => (col, self.copy),
        };
        let index = match size {
            1 => col,
            _ => self
                .b
                .ins()
                .ishl_imm_u(col, i64::from(size.trailing_zeros())),
        };
        let at = self.b.ins().iadd(row, index);
        (at, imm + (copy * size as i64) as i32)
    }

    /// The key of a load's register displacement, and its immediate part.
    /// In the vector variant the innermost stride is the element size, so
    /// the innermost offset becomes an immediate and loads along a row share
    /// one address register.
    fn disp_key(&self, input: u32, offset: &[i64]) -> ((u32, Vec<i64>), i32) {
        let mut offset = offset.to_vec();
        if offset.len() >= 2 {
            // Axis 0's offset is the slot's (`row_key`).
            offset[0] = 0;
        }
        let last = offset.len() - 1;
        let size = self.f.inputs[input as usize].size() as i64;
        let imm = offset[last]
            .checked_mul(size)
            .and_then(|b| i32::try_from(b).ok());
        match imm {
            Some(imm) if self.lanes > 1 => {
                offset[last] = 0;
                ((input, offset), imm)
            }
            _ => ((input, offset), 0),
        }
    }

    /// Whether value `v` is a vector (computed in a vector innermost loop).
    pub(super) fn is_vector(&self, v: ValueId) -> bool {
        self.lanes > 1 && self.level[v as usize] == self.f.ndim as i32 - 1
    }

    pub(super) fn value(&self, v: ValueId) -> Value {
        self.vals[v as usize].expect("operands are translated before their users")
    }

    fn inst(&mut self, i: usize) -> Result<Value, CodegenError> {
        let f = self.f;
        let inst = &f.insts[i];
        let d = inst.dtype;
        let ty = clif_type(d);
        Ok(match &inst.op {
            Op::Const(s) => self.constant(*s, d),
            Op::Load { input, offset } => {
                let (addr, imm) = self.load_address(*input, offset);
                let v = self.b.ins().load(ty, load_flags(), addr, imm);
                self.normalize(v, d)
            }
            Op::Param(n) => {
                let at = (*n as usize * PARAM_SLOT) as i32;
                let v = self
                    .b
                    .ins()
                    .load(ty, MemFlagsData::trusted(), self.params_ptr, at);
                self.normalize(v, d)
            }
            Op::Index(k) => {
                let o = self.origin[*k as usize].expect("origin of a live index is read");
                self.b.ins().iadd(o, self.counters[*k as usize])
            }
            Op::Shape(k) => {
                let at = (*k as usize * 8) as i32;
                self.b
                    .ins()
                    .load(types::I64, MemFlagsData::trusted(), self.shape_ptr, at)
            }
            Op::Cast(a) => {
                let from = f.insts[*a as usize].dtype;
                let v = self.value(*a);
                self.cast(v, from, d)
            }
            Op::Unary(op, a) => {
                let from = f.insts[*a as usize].dtype;
                let v = self.value(*a);
                self.unary(*op, from, d, v)?
            }
            Op::Binary(op, a, b) => {
                let from = f.insts[*a as usize].dtype;
                if f.insts[*b as usize].dtype != from {
                    return Err(CodegenError::InvalidIr(format!(
                        "v{i}: operands of {op:?} differ in dtype"
                    )));
                }
                let x = self.value(*a);
                if let Some(c) = const_divisor(f, *op, *b) {
                    return Ok(self.div_by_const(*op, from, x, c));
                }
                let y = self.value(*b);
                if inline_float_divmod(*op, from) {
                    return self.float_divmod(*op, from, x, y, float_divisor(f, *b));
                }
                self.binary(*op, from, d, x, y)?
            }
            Op::Select(c, a, b) => {
                let (c, x, y) = (self.value(*c), self.value(*a), self.value(*b));
                self.b.ins().select(c, x, y)
            }
            Op::Rank { k, terms } => self.rank(d, *k, terms)?,
        })
    }

    /// `Op::Rank` in scalar code: the terms stored in a stack array, ordered
    /// by the `rt` helper the interpreter uses too.
    fn rank(&mut self, d: DType, k: u32, terms: &[ValueId]) -> Result<Value, CodegenError> {
        use cranelift_codegen::ir::{StackSlotData, StackSlotKind};
        let size = d.size();
        let slot = self.b.create_sized_stack_slot(StackSlotData::new(
            StackSlotKind::ExplicitSlot,
            (terms.len() * size) as u32,
            3,
        ));
        let ptr = self.module.target_config().pointer_type();
        for (i, &t) in terms.iter().enumerate() {
            let v = self.value(t);
            self.b.ins().stack_store(ptr, v, slot, (i * size) as i32);
        }
        let addr = self.b.ins().stack_addr(ptr, slot, 0);
        let n = self.b.ins().iconst(types::I64, terms.len() as i64);
        let k = self.b.ins().iconst(types::I64, k as i64);
        let name = format!("rank_{}", d.name());
        self.call_helper(
            &name,
            &[ptr, types::I64, types::I64],
            clif_type(d),
            &[addr, n, k],
        )
    }

    /// A `bool` read from memory is true for any nonzero byte, as
    /// `Scalar::read` has it; in registers it is 0 or 1.
    fn normalize(&mut self, v: Value, d: DType) -> Value {
        if d == DType::Bool {
            self.b.ins().icmp_imm_s(IntCC::NotEqual, v, 0)
        } else {
            v
        }
    }
}

/// The divisor of an integer `//` or `%` when it is a constant the inline
/// sequence handles (nonzero; not -1 for signed), as its 64 bits.
fn const_divisor(f: &Func, op: BinaryOp, b: ValueId) -> Option<i64> {
    if !matches!(op, BinaryOp::FloorDiv | BinaryOp::Mod) {
        return None;
    }
    let inst = &f.insts[b as usize];
    match (&inst.op, inst.dtype) {
        (Op::Const(s), DType::I64) => match s.cast(DType::I64) {
            Scalar::Int(c) if c != 0 && c != -1 => Some(c),
            _ => None,
        },
        (Op::Const(s), DType::U64) => match s.cast(DType::U64) {
            Scalar::U64(c) if c != 0 => Some(c as i64),
            _ => None,
        },
        _ => None,
    }
}

/// Whether float `//` or `%` on dtype `d` is inlined (`float_div`).
pub(super) fn inline_float_divmod(op: BinaryOp, d: DType) -> bool {
    matches!(op, BinaryOp::FloorDiv | BinaryOp::Mod)
        && d.is_float()
        && super::float_div::host_has_fma()
}

/// The divisor of a float `//` or `%` when it is a finite nonzero
/// constant (the inline sequence then needs no check of it).
pub(super) fn float_divisor(f: &Func, b: ValueId) -> Option<f64> {
    match &f.insts[b as usize].op {
        Op::Const(s) => match s.cast(DType::F64) {
            Scalar::F64(c) if c.is_finite() && c != 0.0 => Some(c),
            _ => None,
        },
        _ => None,
    }
}

fn block_args(first: Value, rest: &[Value]) -> Vec<BlockArg> {
    std::iter::once(first)
        .chain(rest.iter().copied())
        .map(BlockArg::Value)
        .collect()
}

/// Whether the vector copies of `f` need their own column registers (see
/// `Lowering::own_columns`): float lanes whose loads columns span a whole
/// vector (so that copies would share loads), and which Cranelift can fold
/// into the arithmetic. It folds a load only into its one user, and only
/// if no value the load feeds, however indirectly, has two uses
/// (`ValueUseState::Multiple` spreads down the whole tree): so every live
/// value has at most one use, and every operation is one instruction that
/// uses its operands once (no `//`, `%`, `min`, `max` or rank, whose code
/// reads an operand twice).
fn own_columns(f: &Func, plan: Option<super::vector::Plan>, lanes: usize) -> bool {
    use crate::base::ops::UnaryOp;
    if !matches!(plan, Some(super::vector::Plan::Float(_))) {
        return false;
    }
    let live = liveness(f);
    let mut uses = vec![0usize; f.insts.len()];
    for &r in &f.results {
        uses[r as usize] += 1;
    }
    let mut cols = (i64::MAX, i64::MIN);
    for (_, inst) in f.insts.iter().enumerate().filter(|(i, _)| live[*i]) {
        match &inst.op {
            Op::Load { offset, .. } => {
                let c = offset[offset.len() - 1];
                cols = (cols.0.min(c), cols.1.max(c));
            }
            Op::Const(_) | Op::Param(_) => {}
            Op::Unary(UnaryOp::Neg, a) => uses[*a as usize] += 1,
            Op::Binary(BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div, a, b) => {
                uses[*a as usize] += 1;
                uses[*b as usize] += 1;
            }
            _ => return false,
        }
    }
    let single = (0..f.insts.len()).all(|i| {
        !live[i]
            || uses[i] <= 1
            || !matches!(
                f.insts[i].op,
                Op::Load { .. } | Op::Binary(..) | Op::Unary(..)
            )
    });
    single && cols.1 >= cols.0 && cols.1 - cols.0 >= lanes as i64
}

/// Which instructions the result depends on.
pub(super) fn liveness(f: &Func) -> Vec<bool> {
    let mut live = vec![false; f.insts.len()];
    for &r in &f.results {
        live[r as usize] = true;
    }
    for i in (0..f.insts.len()).rev() {
        if !live[i] {
            continue;
        }
        match f.insts[i].op {
            Op::Cast(a) | Op::Unary(_, a) => live[a as usize] = true,
            Op::Binary(_, a, b) => {
                live[a as usize] = true;
                live[b as usize] = true;
            }
            Op::Select(c, a, b) => {
                for v in [c, a, b] {
                    live[v as usize] = true;
                }
            }
            Op::Rank { ref terms, .. } => {
                for &t in terms {
                    live[t as usize] = true;
                }
            }
            _ => {}
        }
    }
    live
}

/// The loop each instruction belongs in: the innermost axis it depends on,
/// or -1 for the entry block (depends on no axis).
pub(super) fn levels(f: &Func) -> Vec<i32> {
    let mut level = Vec::with_capacity(f.insts.len());
    for inst in &f.insts {
        let l = match inst.op {
            Op::Const(_) | Op::Param(_) | Op::Shape(_) => -1,
            Op::Index(k) => k as i32,
            Op::Load { .. } => f.ndim as i32 - 1,
            Op::Cast(a) | Op::Unary(_, a) => level[a as usize],
            Op::Binary(_, a, b) => level[a as usize].max(level[b as usize]),
            Op::Select(c, a, b) => level[c as usize]
                .max(level[a as usize])
                .max(level[b as usize]),
            Op::Rank { ref terms, .. } => {
                terms.iter().map(|&t| level[t as usize]).max().unwrap_or(-1)
            }
        };
        level.push(l);
    }
    level
}
