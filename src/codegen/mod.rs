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
mod translate;

pub use abi::{TileArgs, TileFn};

use crate::ir::Func;
use crate::rt;
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

/// A compiled kernel: the machine code and the module that owns it.
pub struct Compiled {
    /// Always `Some` until `drop` frees it.
    module: Option<JITModule>,
    entry: TileFn,
    clif: String,
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

    /// The machine code as text, after register allocation (Cranelift's
    /// own listing, in AT&T-like syntax), for `--emit asm`.
    pub fn asm(&self) -> &str {
        &self.asm
    }

    /// Runs the kernel over one tile.
    ///
    /// # Safety
    ///
    /// `args` must satisfy the contract of [`TileArgs`]: every address the
    /// tile computes (see [`abi`]) is valid for reading, or writing for the
    /// output, with the dtypes of the `Func` this was compiled from.
    pub unsafe fn run_tile(&self, args: &TileArgs) {
        // SAFETY: forwarded to the caller.
        unsafe { (self.entry)(args) }
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

/// Compiles `func` for the host machine.
pub fn compile(func: &Func) -> Result<Compiled, CodegenError> {
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
    match define(func, &mut module) {
        Ok((entry, clif, asm)) => Ok(Compiled {
            module: Some(module),
            entry,
            clif,
            asm,
        }),
        Err(e) => {
            // SAFETY: nothing from this module was handed out.
            unsafe { module.free_memory() };
            Err(e)
        }
    }
}

/// Builds, compiles and links the tile function into `module`; returns the
/// entry point, the CLIF as built and the disassembly.
fn define(func: &Func, module: &mut JITModule) -> Result<(TileFn, String, String), CodegenError> {
    let mut ctx = module.make_context();
    let ptr = module.target_config().pointer_type();
    ctx.func.signature.params.push(AbiParam::new(ptr));
    let id = module
        .declare_function("stn_tile", Linkage::Local, &ctx.func.signature)
        .map_err(cl_err)?;
    ctx.func.name = UserFuncName::user(0, id.as_u32());
    let mut fctx = FunctionBuilderContext::new();
    translate::build(func, module, &mut ctx.func, &mut fctx)?;
    let clif = ctx.func.display().to_string();
    // Cranelift keeps a listing of the code it emits only when asked.
    ctx.set_disasm(true);
    module.define_function(id, &mut ctx).map_err(|e| match e {
        cranelift_module::ModuleError::Compilation(e) => {
            CodegenError::Cranelift(format!("{e:?}\n{clif}"))
        }
        e => cl_err(e),
    })?;
    let asm = ctx
        .compiled_code()
        .and_then(|c| c.vcode.clone())
        .unwrap_or_default();
    module.finalize_definitions().map_err(cl_err)?;
    let code = module.get_finalized_function(id);
    // SAFETY: the function was built with the signature `TileFn` names: one
    // pointer argument, no results, the platform's C calling convention.
    let entry = unsafe { std::mem::transmute::<*const u8, TileFn>(code) };
    Ok((entry, clif, asm))
}
