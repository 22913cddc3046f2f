//! Programs and kernels: the library's entry points, and the
//! specialization cache.
//!
//! A `Program` is a parsed and resolved `.stn` file. Each of its `Kernel`s
//! is specialized lazily: the first run with a new signature of input dtypes
//! type-checks, lowers and JIT-compiles it; later runs with the same dtypes
//! reuse the machine code. An integer parameter that sizes the kernel (a
//! range bound, an offset) is compiled in, so such a kernel is compiled per
//! value too, in a bounded cache (`cache`). `Kernel::signatures` shows what
//! has been compiled.

#[allow(missing_docs, reason = "internal: reachable only through `internals`")]
pub mod axes;
#[allow(missing_docs, reason = "internal: reachable only through `internals`")]
pub mod cache;
pub mod call;
#[allow(missing_docs, reason = "internal: reachable only through `internals`")]
pub mod describe;
pub mod options;
#[allow(missing_docs, reason = "internal: reachable only through `internals`")]
pub mod pipeline;
pub mod report;
pub mod run;
#[allow(missing_docs, reason = "internal: reachable only through `internals`")]
pub mod stepwise;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::base::diag::Diagnostic;
use crate::base::dtype::DType;
use crate::base::error::{Error, Result};
use crate::base::scalar::Scalar;
use crate::check::front;
use crate::check::kernel;
use crate::check::module::{KernelSig, Module};
use crate::check::stages::Graph;
use crate::check::typed::TKernel;
use crate::codegen::{self, Compiled};
use crate::interp;
use crate::ir::{self, Func};
use crate::program::cache::{Bounded, Key};
use crate::program::pipeline::Pipeline;

/// A `.stn` file, parsed and resolved.
#[derive(Clone)]
pub struct Program {
    src: Arc<Source>,
    kernels: Vec<Kernel>,
}

struct Source {
    file: String,
    text: String,
    /// The front end's warnings.
    warnings: Vec<Diagnostic>,
    module: Module,
    /// Every name resolved (`check::resolve`), for typing.
    resolved: crate::check::resolve::Resolved,
    /// Per kernel: the kernel as compiled (stage `let`s made inputs).
    flat: Vec<KernelSig>,
    /// Per kernel: its pipeline of stages (one node when it has none).
    graphs: Vec<Graph>,
    /// Per kernel (flattened), per scalar parameter: whether it is compiled
    /// in (`names::Names::compiled_in`).
    compiled_in: Vec<Vec<bool>>,
    /// Per kernel: whether an error keeps it from being typed (only in a
    /// `Program::partial` of a file with errors).
    broken: Vec<bool>,
    /// Per kernel: compiled code per dtype signature of the flattened
    /// kernel and values of its compiled-in parameters.
    code: Vec<Mutex<Bounded<Arc<Specialized>>>>,
}

impl Program {
    /// Parses `text`; `file` is the name used in diagnostics.
    pub fn from_source(file: &str, text: &str) -> Result<Program> {
        Program::from_front(file, text, front::analyze(text))
    }

    /// The program of `text` from what the front end made of it (a caller
    /// that has shown `front`'s diagnostics loads it without a second
    /// analysis).
    ///
    /// A file with errors is refused with every error: the front end's and
    /// the dtype errors of each kernel they leave whole
    /// (`report::dtype_errors`).
    pub(crate) fn from_front(file: &str, text: &str, front: front::Front) -> Result<Program> {
        if !front.has_errors() {
            return Ok(Program::partial(file, text, front));
        }
        let mut errors: Vec<Diagnostic> = front.errors().cloned().collect();
        let program = Program::partial(file, text, front);
        errors.extend(report::dtype_errors(&program)?);
        errors.sort_by_key(|d| (d.span.start, d.span.end));
        Err(Error::kernel(file, text, errors))
    }

    /// The program of `text` even when it has errors: its kernels that are
    /// `broken` (`front::Front::broken`) must not be typed or run. What
    /// `stn check` and the language server check dtypes and show types
    /// with, kernel by kernel.
    #[doc(hidden)]
    pub fn partial(file: &str, text: &str, front: front::Front) -> Program {
        let n = front.module.kernels.len();
        let src = Arc::new(Source {
            file: file.to_string(),
            text: text.to_string(),
            warnings: front.warnings().cloned().collect(),
            module: front.module,
            resolved: front.resolved,
            flat: front.flat,
            graphs: front.graphs,
            compiled_in: front.compiled_in,
            broken: front.broken,
            code: (0..n).map(|_| Mutex::default()).collect(),
        });
        let kernels = (0..n)
            .map(|index| Kernel {
                src: Arc::clone(&src),
                index,
                cache: Arc::default(),
            })
            .collect();
        Program { src, kernels }
    }

    /// The file's warnings: kernels that run but probably not as meant
    /// (an unused `let`, a read that only widens the footprint).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.src.warnings
    }

    /// Reads and parses a `.stn` file.
    pub fn from_path(path: impl AsRef<std::path::Path>) -> Result<Program> {
        let path = path.as_ref();
        let text = crate::base::host::read_text(path)?;
        Program::from_source(&path.display().to_string(), &text)
    }

    /// The name of the file, as diagnostics show it.
    pub fn file(&self) -> &str {
        &self.src.file
    }

    /// The file's text.
    pub fn source(&self) -> &str {
        &self.src.text
    }

    /// `diagnostics` of this file rendered under their source lines, as
    /// the runner prints them (a warning of `warnings`, say).
    pub fn render(&self, diagnostics: &[Diagnostic]) -> String {
        crate::base::diag::render(&self.src.file, &self.src.text, diagnostics)
    }

    /// The kernels, in file order.
    pub fn kernels(&self) -> &[Kernel] {
        &self.kernels
    }

    /// The kernel called `name`, or with `None` the file's only kernel.
    pub fn kernel(&self, name: Option<&str>) -> Result<&Kernel> {
        let names = || {
            self.kernels
                .iter()
                .map(|k| format!("`{}`", k.name()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match name {
            Some(n) => self.kernels.iter().find(|k| k.name() == n).ok_or_else(|| {
                Error::usage(format!(
                    "no kernel named `{n}`; the file defines {}",
                    names()
                ))
            }),
            None => match self.kernels.as_slice() {
                [k] => Ok(k),
                [] => Err(Error::usage("the file defines no kernel")),
                _ => Err(Error::usage(format!(
                    "the file defines several kernels ({}): name one",
                    names()
                ))),
            },
        }
    }
}

/// One kernel of a program, with its cache of specializations. Cloning
/// shares the cache.
#[derive(Clone)]
pub struct Kernel {
    src: Arc<Source>,
    index: usize,
    /// Pipelines by the dtypes of the kernel's declared array inputs (and
    /// its parameters' values, where some stage compiles one in).
    cache: Arc<Mutex<Bounded<Arc<Pipeline>>>>,
}

/// A kernel typed and lowered for one signature of input dtypes; its
/// machine code is made on first use (`compiled`), so that checking,
/// hover, footprints and `inspect --emit ast|ir` never run Cranelift.
pub struct Specialized {
    /// The typed tree (the interpreter runs it).
    pub typed: TKernel,
    /// The IR.
    pub func: Func,
    /// Time spent checking and lowering.
    lower_time: Duration,
    /// The machine code and the time it took, once made (an internal error
    /// is kept too: the same IR fails the same way).
    code: std::sync::OnceLock<std::result::Result<(Arc<Compiled>, Duration), String>>,
}

impl Specialized {
    /// The IR's machine code for the host, made on the first call.
    pub fn compiled(&self) -> Result<Arc<Compiled>> {
        let code = self.code.get_or_init(|| {
            let start = Instant::now();
            match codegen::compile(&self.func, false) {
                Ok(c) => Ok((Arc::new(c), start.elapsed())),
                Err(e) => Err(format!("code generation failed: {e}")),
            }
        });
        match code {
            Ok((c, _)) => Ok(Arc::clone(c)),
            Err(e) => Err(Error::Internal(e.clone())),
        }
    }

    /// The machine code made afresh with its listings (the Cranelift IR
    /// and the machine code as text: `stn inspect --emit clif|asm`).
    pub fn listing(&self) -> Result<Compiled> {
        codegen::compile(&self.func, true)
            .map_err(|e| Error::Internal(format!("code generation failed: {e}")))
    }

    /// Whether the machine code has been made.
    pub fn is_compiled(&self) -> bool {
        self.code.get().is_some_and(|c| c.is_ok())
    }

    /// Time spent checking and lowering, and making the machine code if
    /// it has been made.
    pub fn compile_time(&self) -> Duration {
        match self.code.get() {
            Some(Ok((_, t))) => self.lower_time + *t,
            _ => self.lower_time,
        }
    }

    /// The IR in its text form (`stn inspect --emit ir`).
    pub fn ir_text(&self) -> String {
        ir::print::print(&self.func)
    }
}

/// What a kernel makes of inputs of given dtypes: the output dtypes and
/// the number of core axes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    /// The input dtypes.
    pub inputs: Vec<DType>,
    /// The output dtypes, one per output (docs/language.md §9).
    pub outputs: Vec<DType>,
    /// The number of core axes.
    pub ndim: usize,
}

/// The order in which uniform dtype signatures are tried when none is
/// given (`stn check`, a binding asking for the number of core axes): f64
/// first, so that its error is the one shown when none works.
pub const DTYPE_SEARCH: [DType; 11] = [
    DType::F64,
    DType::F32,
    DType::I64,
    DType::I32,
    DType::I16,
    DType::I8,
    DType::U64,
    DType::U32,
    DType::U16,
    DType::U8,
    DType::Bool,
];

impl std::fmt::Debug for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kernel")
            .field("name", &self.name())
            .field("inputs", &self.inputs())
            .field("params", &self.params())
            .field("signatures", &self.signatures())
            .finish()
    }
}

impl std::fmt::Debug for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Program")
            .field("file", &self.src.file)
            .field("kernels", &self.kernels)
            .finish()
    }
}

impl Kernel {
    /// The kernel's signature as written.
    pub(crate) fn sig(&self) -> &KernelSig {
        &self.src.module.kernels[self.index]
    }

    /// The kernel's name.
    pub fn name(&self) -> &str {
        &self.sig().name
    }

    /// Names of the array inputs, in order.
    pub fn inputs(&self) -> &[String] {
        &self.sig().inputs
    }

    /// Scalar parameters and their dtypes, in order.
    pub fn params(&self) -> &[(String, DType)] {
        &self.sig().params
    }

    /// The mode the kernel declares (`boundary MODE`), if any.
    pub fn boundary(&self) -> Option<crate::base::mode::Mode> {
        self.sig().boundary
    }

    /// Per output, the dtype the kernel declares (`-> DTYPE`, `-> (T, _)`),
    /// if any: one entry for a kernel with one output.
    pub fn outputs(&self) -> &[Option<DType>] {
        &self.sig().outputs
    }

    /// Whether some stage of the kernel compiles a parameter in
    /// (docs/language.md §11): its pipelines then depend on the parameters'
    /// values.
    fn valued(&self) -> bool {
        (self.graph().nodes.iter()).any(|n| self.src.compiled_in[n.kernel].contains(&true))
    }

    /// Values for the parameters where a check needs some and none were
    /// given (`stn check`, `Kernel::check`): 1 for integers (the smallest
    /// radius that reads a neighbour), 0 or false otherwise. Only a
    /// compiled-in parameter's value changes what a check finds.
    pub(crate) fn probe_values(&self) -> Vec<Scalar> {
        (self.params().iter())
            .map(|(_, d)| match d {
                DType::Bool => Scalar::Bool(false),
                d if d.is_int() => Scalar::Int(1).cast(*d),
                d => Scalar::F64(0.0).cast(*d),
            })
            .collect()
    }

    /// The kernel's own documentation, for a binding's `help()`: the `#`
    /// comment lines right above its definition, then where it is and the
    /// definition as written.
    pub fn doc(&self) -> String {
        let text = self.src.text.as_str();
        let span = self.src.module.kernels[self.index].def.span;
        let first = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
        let mut comments: Vec<&str> = (text[..first].lines().rev())
            .map_while(|l| l.trim().strip_prefix('#'))
            .map(|c| c.strip_prefix(' ').unwrap_or(c))
            .collect();
        comments.reverse();
        let (line, _) = crate::base::diag::line_col(text, span.start);
        let mut doc = comments.join("\n");
        if !doc.is_empty() {
            doc.push_str("\n\n");
        }
        let def = text.get(first..span.end).unwrap_or_default();
        doc + &format!("Defined in {}, line {line}:\n\n{def}\n", self.src.file)
    }

    /// The text of the file the kernel is in.
    pub fn source_text(&self) -> &str {
        &self.src.text
    }

    /// The name of the file the kernel is in, as diagnostics show it.
    pub fn file(&self) -> &str {
        &self.src.file
    }

    /// The kernel's stages and how they connect.
    /// Whether an error in the file keeps this kernel from being typed
    /// (never, in a program that loaded).
    #[doc(hidden)]
    pub fn is_broken(&self) -> bool {
        self.src.broken[self.index]
    }

    pub(crate) fn graph(&self) -> &Graph {
        &self.src.graphs[self.index]
    }

    /// Kernel `index` of the same file (a stage of this one).
    pub(crate) fn sibling(&self, index: usize) -> Kernel {
        Kernel {
            src: Arc::clone(&self.src),
            index,
            cache: Arc::default(),
        }
    }

    /// Type-checks the kernel, and every stage it uses, for inputs of
    /// `dtypes` (`stn check`), and says what it makes of them.
    pub fn check(&self, dtypes: &[DType]) -> Result<Signature> {
        let t = self.check_typed(dtypes)?;
        Ok(Signature {
            inputs: dtypes.to_vec(),
            outputs: t.out_dtypes.clone(),
            ndim: t.ndim,
        })
    }

    /// `check` for every uniform signature, in `DTYPE_SEARCH` order.
    pub fn check_uniform(&self) -> Vec<(DType, Result<Signature>)> {
        let n = self.inputs().len();
        DTYPE_SEARCH
            .iter()
            .map(|&d| (d, self.check(&vec![d; n])))
            .collect()
    }

    /// A dtype signature the kernel type-checks for: the first compiled
    /// one, else the first uniform one in `DTYPE_SEARCH` order (the first
    /// error when none works). What a binding uses to learn what does not
    /// depend on dtypes (the number of core axes, the footprint).
    pub fn some_signature(&self) -> Result<Vec<DType>> {
        if let Some(s) = self.signatures().into_iter().next() {
            return Ok(s);
        }
        let n = self.inputs().len();
        let mut first = None;
        for d in DTYPE_SEARCH {
            match self.check(&vec![d; n]) {
                Ok(_) => return Ok(vec![d; n]),
                Err(e) => {
                    first.get_or_insert(e);
                }
            }
        }
        Err(first.expect("at least one dtype was tried"))
    }

    /// The kernel's own typed tree for `dtypes`, its stages checked too,
    /// with `probe_values` for the parameters: the pipeline, specialized
    /// once and cached (no machine code is made), and each stage's
    /// footprint as the interpreter finds it.
    pub(crate) fn check_typed(&self, dtypes: &[DType]) -> Result<TKernel> {
        let pipe = self.pipeline(dtypes, &self.probe_values())?;
        for st in &pipe.stages {
            interp::footprint(&st.spec.typed).map_err(|e| self.error(e.into_diagnostic()))?;
        }
        Ok(pipe.last().spec.typed.clone())
    }

    fn arity(&self, dtypes: &[DType]) -> Result<()> {
        if dtypes.len() != self.inputs().len() {
            return Err(Error::usage(format!(
                "kernel `{}` takes {} array input{} ({}), but {} {} given",
                self.name(),
                self.inputs().len(),
                if self.inputs().len() == 1 { "" } else { "s" },
                self.inputs().join(", "),
                dtypes.len(),
                if dtypes.len() == 1 { "was" } else { "were" }
            )));
        }
        Ok(())
    }

    /// The kernel as compiled: its stages are extra array inputs.
    fn flat(&self) -> &KernelSig {
        &self.src.flat[self.index]
    }

    /// Per parameter of the flattened kernel, its value in `values` where
    /// it is compiled in.
    fn known(&self, values: &[Scalar]) -> Vec<Option<Scalar>> {
        (self.src.compiled_in[self.index].iter().zip(values))
            .map(|(&c, &v)| c.then_some(v))
            .collect()
    }

    pub(crate) fn error(&self, d: crate::base::diag::Diagnostic) -> Error {
        Error::kernel(&self.src.file, &self.src.text, vec![d])
    }

    /// The kernel's pipeline for input dtypes `dtypes` and parameter
    /// values `values` (of the parameters' dtypes): every stage typed and
    /// lowered, its machine code made when a call first needs it.
    pub(crate) fn pipeline(&self, dtypes: &[DType], values: &[Scalar]) -> Result<Arc<Pipeline>> {
        self.arity(dtypes)?;
        let key = match self.valued() {
            true => Key::new(dtypes, values),
            false => Key::new(dtypes, &[]),
        };
        if let Some(p) = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(p);
        }
        let p = Arc::new(Pipeline::new(self, self.graph(), dtypes, values)?);
        (self.cache.lock().unwrap_or_else(|p| p.into_inner())).insert(key, Arc::clone(&p));
        Ok(p)
    }

    /// The kernel's own code for input dtypes `dtypes` (for a pipeline,
    /// the last stage, compiled with its stages' dtypes), with
    /// `probe_values` for the parameters.
    pub(crate) fn specialize(&self, dtypes: &[DType]) -> Result<Arc<Specialized>> {
        let p = self.pipeline(dtypes, &self.probe_values())?;
        Ok(Arc::clone(&p.last().spec))
    }

    /// The specialization of the flattened kernel for the dtypes of all its
    /// array inputs (declared ones, then stages) and its parameter values
    /// `values`, typed and lowered on first use (its machine code is made
    /// when a call first needs it: `Specialized::compiled`).
    pub(crate) fn specialize_flat(
        &self,
        dtypes: &[DType],
        values: &[Scalar],
    ) -> Result<Arc<Specialized>> {
        let known = self.known(values);
        let key = Key::new(dtypes, &known.iter().flatten().copied().collect::<Vec<_>>());
        let mut cache = self.src.code[self.index]
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(s) = cache.get(&key) {
            return Ok(s);
        }
        // The compile stages, in order. `STN_TRACE=1` prints each stage's
        // time and the IR it produced.
        let start = Instant::now();
        let (typed, func) = crate::base::stack::on_big_stack(|| {
            let (module, resolved) = (&self.src.module, &self.src.resolved);
            let typed = kernel::check_kernel(module, self.flat(), dtypes, &known, resolved)?;
            let checked = start.elapsed();
            let func = ir::lower::lower(&typed)?;
            Ok((typed, (func, checked)))
        })
        .map_err(|d| self.error(d))?;
        let (func, checked) = func;
        let lowered = start.elapsed();
        if std::env::var_os("STN_TRACE").is_some() {
            let ms = |d: Duration| d.as_secs_f64() * 1e3;
            eprintln!(
                "stn: {}({}): check {:.3} ms, lower {:.3} ms ({} instructions)",
                self.name(),
                crate::base::dtype::names(dtypes),
                ms(checked),
                ms(lowered - checked),
                func.insts.len(),
            );
            eprintln!("{}", ir::print::print(&func));
        }
        let s = Arc::new(Specialized {
            typed,
            func,
            lower_time: lowered,
            code: std::sync::OnceLock::new(),
        });
        cache.insert(key, Arc::clone(&s));
        Ok(s)
    }

    /// How far the kernel reads its inputs around an output point, per
    /// core axis, through every chain of its stages, for inputs of
    /// `dtypes` (compiling for them): the halo a block of larger arrays
    /// needs per step. A kernel sized by a parameter (docs/language.md §11) is measured
    /// at `probe_values`; a call (`Call::footprint`) knows the real one.
    pub fn footprint(&self, dtypes: &[DType]) -> Result<crate::ir::Footprint> {
        Ok(self
            .pipeline(dtypes, &self.probe_values())?
            .footprint
            .clone())
    }

    /// The dtype signatures compiled so far (run, not only checked),
    /// sorted, each once.
    pub fn signatures(&self) -> Vec<Vec<DType>> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let mut v: Vec<_> = (cache.iter())
            .filter(|(_, pipe)| pipe.last().spec.is_compiled())
            .map(|(k, _)| k.dtypes.clone())
            .collect();
        v.sort_by_key(|s| s.iter().map(|d| d.name()).collect::<Vec<_>>());
        v.dedup();
        v
    }
}

/// The typed tree of `kernel` for input dtypes `dtypes` (its stages
/// checked too): what the checker makes of it, for tests of the checker.
pub fn typed(kernel: &Kernel, dtypes: &[DType]) -> Result<TKernel> {
    kernel.check_typed(dtypes)
}

/// The kernel's own code for input dtypes `dtypes`, compiled on first use:
/// for tests and tools that look at the generated code.
pub fn specialize(kernel: &Kernel, dtypes: &[DType]) -> Result<Arc<Specialized>> {
    kernel.specialize(dtypes)
}
