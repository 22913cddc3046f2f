//! Code generation: IR -> Cranelift -> machine code for one tile.
//!
//! `compile` turns a `Func` into a `Compiled` kernel whose entry point follows
//! the tile calling convention of [`abi`]. The generated function loops over
//! the tile's core axes (axis 0 outermost), computes the kernel at every point
//! and stores it; it matches `ir::eval::eval_point` bit for bit (NaN payloads
//! aside), which the differential tests in `tests/codegen.rs` check.
//!
//! Guarantees of the generated code: no allocation, no bounds checks, no
//! per-element interpretation; values that do not depend on an axis are
//! computed outside that axis' loop. Operations that are not one Cranelift
//! instruction call the very `rt` helpers the interpreter uses.

pub mod abi;
mod arith;
mod float_div;
mod rank;
mod rowsort;
mod rowsum;
mod translate;
mod vector;
mod vector_int;

pub use abi::{TileArgs, TileFn};

use crate::base::rt;
use crate::ir::Func;
use cranelift_codegen::ir::{AbiParam, UserFuncName};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::FunctionBuilderContext;
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Linkage, Module, default_libcall_names};

/// Code generation failures. They are all internal: a `Func` that the
/// lowering produced always compiles.
#[derive(Debug, thiserror::Error)]
pub enum CodegenError {
    /// The `Func` breaks an invariant of `ir` (a lowering bug).
    #[error("malformed IR: {0}")]
    InvalidIr(String),
    /// Cranelift cannot target this machine.
    #[error("the host machine is not supported: {0}")]
    UnsupportedHost(String),
    /// Cranelift rejected the generated function or could not emit it.
    #[error("Cranelift failed: {0}")]
    Cranelift(String),
}

fn cl_err(e: impl std::fmt::Display) -> CodegenError {
    CodegenError::Cranelift(e.to_string())
}

/// How the vector variant's innermost loop walks a row.
#[derive(Clone, Copy)]
struct VectorShape {
    /// Points per vector; with `!any_width`, per step.
    lanes: usize,
    /// Points per step of the unrolled loop.
    per_step: usize,
    /// It takes rows of any width of at least `lanes` (`vector::any_width`);
    /// else only rows of a multiple of `lanes`.
    any_width: bool,
}

/// A compiled kernel: the machine code and the module that owns it.
pub struct Compiled {
    /// Always `Some` until `drop` frees it.
    module: Option<JITModule>,
    entry: TileFn,
    clif: String,
    /// The vector variant and its shape, when the kernel has one (see
    /// `vector`): it needs contiguous innermost rows, and an innermost
    /// extent of at least its lanes (and a multiple of them, unless it
    /// takes any width).
    vector: Option<(TileFn, VectorShape)>,
    /// What the vector variant keeps in a ring buffer to share between
    /// output rows (row sums, sorted rows: `vector::Shared`), in words,
    /// and the rows of the window it shares them over.
    shared: Option<(String, usize)>,
    /// The scalar function's machine code as text.
    asm: String,
}

// SAFETY: after `finalize_definitions` the module's code is immutable, and the
// entry point is a plain function that touches only the memory its arguments
// name, so it may run on any thread, from many at once. `Compiled` never hands
// out the module; only `drop`, which has exclusive access, touches it again.
unsafe impl Send for Compiled {}
unsafe impl Sync for Compiled {}

impl Compiled {
    /// The entry point; it stays valid as long as `self` lives.
    pub fn entry(&self) -> TileFn {
        self.entry
    }

    /// The Cranelift IR of the function, as built (before Cranelift's own
    /// optimizations), for `--emit clif`.
    pub fn clif(&self) -> &str {
        &self.clif
    }

    /// The machine code of the tile function (and of its vector variant) as text, after register
    /// allocation (Cranelift's own listing, in AT&T-like syntax), for
    /// `--emit asm`.
    pub fn asm(&self) -> &str {
        &self.asm
    }

    /// The widest box the vector variant takes: one that keeps shared rows
    /// in a ring buffer of `RING_COLUMNS` points per row (see
    /// `vector::Shared`).
    pub fn ring_columns(&self) -> Option<usize> {
        self.shared.as_ref().map(|_| RING_COLUMNS)
    }

    /// What the vector variant shares between output rows, in words (for
    /// `stn inspect`); `None` when it shares nothing.
    pub fn shared_rows(&self) -> Option<&str> {
        self.shared.as_ref().map(|s| s.0.as_str())
    }

    /// The rows of the window whose shares the vector variant keeps: a box
    /// computes the shares of all but one of them before its first output
    /// row (the ring's prologue), a cost per box that strips, whose boxes
    /// are a few rows tall, pay at every step (`exec::model::choose`).
    pub fn shared_window(&self) -> Option<usize> {
        self.shared.as_ref().map(|s| s.1)
    }

    /// The vector variant takes rows of at least this many points (and,
    /// unless `any_width`, a multiple of it); 1 when there is none.
    pub fn lanes(&self) -> usize {
        self.vector.map_or(1, |v| v.1.lanes)
    }

    /// The vector variant takes rows of any width of at least `lanes()`.
    pub fn any_width(&self) -> bool {
        self.vector.is_some_and(|v| v.1.any_width)
    }

    /// Points per step of the vector variant's innermost loop; 1 when
    /// there is none.
    pub fn points_per_step(&self) -> usize {
        self.vector.map_or(1, |v| v.1.per_step)
    }

    /// Runs the vector variant over one tile.
    ///
    /// # Safety
    ///
    /// As `run_tile`, and moreover: `self.lanes() > 1`, every loaded input
    /// and the output have an innermost byte stride equal to their element
    /// size, and the innermost extent is at least `self.lanes()` and, unless
    /// `self.any_width()`, a multiple of it.
    ///
    /// Where the variant reports lanes it could not finish (see [`TileFn`]),
    /// the tile is computed again by the scalar function, which overwrites
    /// every point of it with the same or the completed value.
    pub unsafe fn run_tile_vector(&self, args: &TileArgs) {
        let (entry, _) = self.vector.expect("a vector variant");
        // SAFETY: forwarded to the caller; the scalar function takes any
        // tile the vector variant takes.
        unsafe {
            if entry(args) != 0 {
                (self.entry)(args);
            }
        }
    }

    /// Runs the kernel over one tile.
    ///
    /// # Safety
    ///
    /// `args` must satisfy the contract of [`TileArgs`]: every address the
    /// tile computes (see [`abi`]) is valid for reading, or writing for the
    /// output, with the dtypes of the `Func` this was compiled from.
    pub unsafe fn run_tile(&self, args: &TileArgs) {
        // SAFETY: forwarded to the caller. The scalar function finishes
        // every point and returns 0.
        unsafe { (self.entry)(args) };
    }
}

impl Drop for Compiled {
    fn drop(&mut self) {
        if let Some(module) = self.module.take() {
            // SAFETY: the entry point cannot be called any more: `self` is
            // going away and the `TileFn` it handed out is documented to
            // live only as long as `self`.
            unsafe { module.free_memory() }
        }
    }
}

/// Points per row of the ring buffer of shared rows (`vector::Shared`):
/// boxes up to this wide keep them on the stack (rows x planes x 4096 x
/// 4 bytes at most: 128 KiB for 8 rows of 32-bit sums, 144 KiB for the
/// three sorted planes of a 32-bit median's three rows).
pub(crate) const RING_COLUMNS: usize = 4096;

/// What the vector variant of `func` would be, without compiling it:
/// points per step (1 for none) and what it shares between output rows,
/// in words (`stn inspect`'s summary; the same plan `compile` follows).
pub fn vector_summary(func: &Func) -> (usize, Option<String>) {
    match vector::variant(func) {
        Some((_, lanes, unroll, shared)) => (lanes * unroll, shared.map(|s| s.describe())),
        None => (1, None),
    }
}

/// Compiles `func` for the host machine. With `listing`, the result keeps
/// the Cranelift IR and the machine code as text (`clif`, `asm`: `stn
/// inspect --emit clif|asm`); without, neither is made.
pub fn compile(func: &Func, listing: bool) -> Result<Compiled, CodegenError> {
    translate::check(func)?;
    let mut flags = settings::builder();
    flags.set("opt_level", "speed").map_err(cl_err)?;
    flags.set("is_pic", "false").map_err(cl_err)?;
    flags
        .set("use_colocated_libcalls", "false")
        .map_err(cl_err)?;
    let isa = cranelift_native::builder()
        .map_err(|e| CodegenError::UnsupportedHost(e.to_string()))?
        .finish(settings::Flags::new(flags))
        .map_err(cl_err)?;
    let mut builder = JITBuilder::with_isa(isa, default_libcall_names());
    for (name, addr) in rt::symbols() {
        builder.symbol(name, addr);
    }
    let mut module = JITModule::new(builder);
    match define(func, &mut module, listing) {
        Ok(Defined {
            entry,
            clif,
            asm,
            vector,
            shared,
        }) => Ok(Compiled {
            module: Some(module),
            entry,
            clif,
            vector,
            shared,
            asm,
        }),
        Err(e) => {
            // SAFETY: nothing from this module was handed out.
            unsafe { module.free_memory() };
            Err(e)
        }
    }
}

/// What `define` made: entry points and texts.
struct Defined {
    entry: TileFn,
    clif: String,
    asm: String,
    vector: Option<(TileFn, VectorShape)>,
    shared: Option<(String, usize)>,
}

/// Builds, compiles and links the tile function, and its vector variant
/// when the kernel has one, into `module`.
fn define(func: &Func, module: &mut JITModule, listing: bool) -> Result<Defined, CodegenError> {
    let (scalar, clif, mut asm) = declare(func, module, "stn_tile", 1, listing)?;
    let variant = vector::variant(func);
    let shared = variant
        .as_ref()
        .and_then(|v| v.3.as_ref().map(|s| (s.describe(), s.terms().len())));
    let vector = match variant {
        Some((plan, lanes, unroll, rowsum)) => {
            let variant_rowsum_free = rowsum.is_none();
            let (id, _, vasm) = declare(func, module, "stn_tile_vector", lanes, listing)?;
            let per_step = lanes * unroll;
            if listing {
                asm = format!(
                    "; scalar tile function\n{asm}\n; vector variant, {per_step} points per step\n{vasm}"
                );
            }
            let any_width = vector::any_width(plan) && variant_rowsum_free;
            let lanes = if any_width { lanes } else { per_step };
            let shape = VectorShape {
                lanes,
                per_step,
                any_width,
            };
            Some((id, shape))
        }
        None => None,
    };
    module.finalize_definitions().map_err(cl_err)?;
    let entry = |id| {
        let code = module.get_finalized_function(id);
        // SAFETY: the function was built with the signature `TileFn` names:
        // one pointer argument, a u32 result, the platform's C calling convention.
        unsafe { std::mem::transmute::<*const u8, TileFn>(code) }
    };
    Ok(Defined {
        entry: entry(scalar),
        clif,
        asm,
        vector: vector.map(|(id, v)| (entry(id), v)),
        shared,
    })
}

/// Builds and defines one tile function with `lanes` points per innermost
/// iteration; returns its id, and with `listing` its CLIF text and its
/// machine code listing (empty without).
fn declare(
    func: &Func,
    module: &mut JITModule,
    name: &str,
    lanes: usize,
    listing: bool,
) -> Result<(cranelift_module::FuncId, String, String), CodegenError> {
    let mut ctx = module.make_context();
    ctx.set_disasm(listing);
    let ptr = module.target_config().pointer_type();
    ctx.func.signature.params.push(AbiParam::new(ptr));
    ctx.func
        .signature
        .returns
        .push(AbiParam::new(cranelift_codegen::ir::types::I32));
    let id = module
        .declare_function(name, Linkage::Local, &ctx.func.signature)
        .map_err(cl_err)?;
    ctx.func.name = UserFuncName::user(0, id.as_u32());
    let mut fctx = FunctionBuilderContext::new();
    translate::build(func, module, &mut ctx.func, &mut fctx, lanes)?;
    let clif = match listing {
        true => ctx.func.display().to_string(),
        false => String::new(),
    };
    module.define_function(id, &mut ctx).map_err(|e| match e {
        cranelift_module::ModuleError::Compilation(e) => {
            CodegenError::Cranelift(format!("{e:?}\n{}", ctx.func.display()))
        }
        e => cl_err(e),
    })?;
    let asm = ctx
        .compiled_code()
        .and_then(|c| c.vcode.clone())
        .unwrap_or_default();
    Ok((id, clif, asm))
}
