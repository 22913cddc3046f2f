//! The resolved call: everything about running a kernel on arrays of given
//! dtypes and shapes with given options, decided once.
//!
//! [`Call`] holds the kernel's pipeline specialized for the dtypes (and
//! the values of parameters compiled in), the parameter values bound for
//! every stage, each stage's boundary mode, the core axes, the outputs'
//! dtypes and shape, and the step schedule (passes of `k` time steps, with
//! one state field per output). Running it (`run`, `run_into`, `run_with`; `program::run`)
//! decides nothing of that again: the CLI, the streaming runner, the
//! stepwise reference, the interpreter and the Python binding all execute
//! the same resolved value.

use std::sync::Arc;

use crate::base::broadcast::Layout;
use crate::base::dtype::{self, DType};
use crate::base::error::{Error, Result};
use crate::base::mode::Mode;
use crate::base::scalar::{self, Scalar};
use crate::exec::{self, model};
use crate::ir::{Footprint, Op};
use crate::program::axes::Axes;
use crate::program::options::{Caller, Engine, Options, Schedule};
use crate::program::pipeline::Pipeline;
use crate::program::{Kernel, Specialized};

/// A kernel call resolved for input dtypes and shapes and options.
///
/// ```
/// use stn::{DType, Options, Program};
/// let program = Program::from_source("inline.stn", "kernel k(x) { x[-1] + x[1] }")?;
/// let call = program.kernel(None)?.call_for(&[DType::U8], &[vec![4, 100]], &Options::new())?;
/// assert_eq!(call.out_shape(), &[4, 100]);
/// assert_eq!(call.out_dtypes(), &[DType::U8]);
/// assert_eq!((call.footprint().lo.clone(), call.footprint().hi.clone()), (vec![-1], vec![1]));
/// # Ok::<(), stn::Error>(())
/// ```
#[derive(Clone)]
pub struct Call {
    pub(crate) kernel: Kernel,
    pub(crate) pipe: Arc<Pipeline>,
    pub(crate) opts: Options,
    pub(crate) in_dtypes: Vec<DType>,
    pub(crate) in_shapes: Vec<Vec<usize>>,
    /// Every output's shape, in the inputs' axis order.
    pub(crate) out_shape: Vec<usize>,
    /// The views a run works on, where `axes` names core axes that are not
    /// the last ones in order.
    pub(crate) axes: Option<Axes>,
    /// The loop and core shape of the whole arrays (in the views' order).
    pub(crate) layout: Layout,
    /// Per stage, its scalar parameter values.
    pub(crate) values: Vec<Vec<Scalar>>,
    /// The run's boundary mode.
    pub(crate) mode: Mode,
    /// One step's stages, bound: what the executor runs.
    pub(crate) step: Vec<exec::Stage>,
    /// Steps fused per pass over memory.
    pub(crate) per_pass: usize,
    /// Arrays between passes of time steps (one per state field), kept
    /// for the next run of this call (and its clones): a run of many steps
    /// in several passes then allocates (and the kernel zeroes) nothing.
    pub(crate) scratch: Arc<std::sync::Mutex<Option<Vec<crate::base::array::DynArray>>>>,
}

impl std::fmt::Debug for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call")
            .field("kernel", &self.kernel.name())
            .field("inputs", &dtype::names(&self.in_dtypes))
            .field("out_dtypes", &dtype::names(self.out_dtypes()))
            .field("out_shape", &self.out_shape)
            .field("mode", &self.mode)
            .field("steps", &self.opts.steps)
            .field("steps_per_pass", &self.per_pass)
            .finish()
    }
}

/// One stage of a call, as a binding or a tool needs to know it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageInfo {
    /// The stage's name in its caller (`b` of `let b = blur_x(x);`), or the
    /// kernel's own name for the last stage.
    pub name: String,
    /// The kernel the stage runs.
    pub kernel: String,
    /// The mode it reads its inputs under in this call.
    pub mode: Mode,
    /// The mode the kernel declares (`boundary MODE`), if any.
    pub declared: Option<Mode>,
    /// Its own footprint: the lowest and highest offset it reads per core axis.
    pub footprint: Footprint,
    /// The core axes whose `index(k)` it reads.
    pub index_axes: Vec<usize>,
}

impl Call {
    /// Resolves a call of `kernel` on inputs of `dtypes` and `shapes`.
    pub(crate) fn new(
        kernel: &Kernel,
        dtypes: &[DType],
        shapes: &[Vec<usize>],
        opts: &Options,
    ) -> Result<Call> {
        opts.validate()?;
        let caller = opts.caller;
        let params = param_values(kernel, &opts.params, caller)?;
        let pipe = kernel.pipeline(dtypes, &params)?;
        let ranks: Vec<usize> = shapes.iter().map(|s| s.len()).collect();
        let axes = match &opts.axes {
            Some(named) => Axes::resolve(named, pipe.ndim, &ranks, caller)?,
            None => None,
        };
        let views: Vec<Vec<usize>> = match &axes {
            Some(a) => (shapes.iter().zip(&a.inputs))
                .map(|(s, o)| Axes::view_shape(o, s))
                .collect(),
            None => shapes.to_vec(),
        };
        let refs: Vec<&[usize]> = views.iter().map(|s| s.as_slice()).collect();
        let layout =
            Layout::of_shapes(&refs, pipe.ndim).map_err(|e| Error::usage(e.to_string()))?;
        let out_shape = match &axes {
            Some(a) => Axes::array_shape(&a.output, &layout.out_shape()),
            None => layout.out_shape(),
        };
        if opts.steps > 1 {
            check_fields(kernel, &pipe, dtypes, shapes, &out_shape, caller)?;
        }
        let mode = opts
            .boundary
            .or(pipe.last().spec.typed.boundary)
            .unwrap_or(Mode::Fill);
        let values = pipe.bind(&params);
        let step = step_stages(&pipe, mode, &values)?;
        check_cval(opts.cval, &step, caller)?;
        let mut call = Call {
            kernel: kernel.clone(),
            pipe,
            opts: opts.clone(),
            in_dtypes: dtypes.to_vec(),
            in_shapes: shapes.to_vec(),
            out_shape,
            axes,
            layout,
            values,
            mode,
            step,
            per_pass: 1,
            scratch: Arc::default(),
        };
        call.per_pass = call.choose_steps_per_pass();
        Ok(call)
    }

    /// Steps per pass: one for a single step and stage-by-stage runs, the
    /// option where given, else the model's choice.
    fn choose_steps_per_pass(&self) -> usize {
        let o = &self.opts;
        if o.steps == 1 || self.stepwise() {
            1
        } else if let Some(n) = o.steps_per_pass {
            n.min(o.steps)
        } else {
            model::steps_per_pass(
                &self.step,
                o.steps,
                &self.layout.core,
                self.layout.loop_len(),
                self.threads(),
            )
        }
    }

    /// The options the call was resolved from.
    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// Whether every stage and step runs as a whole-array pass of its own.
    pub fn stepwise(&self) -> bool {
        self.opts.engine == Engine::Interpreter || self.opts.schedule == Schedule::Stepwise
    }

    /// Worker threads the call runs on.
    pub(crate) fn threads(&self) -> usize {
        self.opts
            .threads
            .unwrap_or_else(rayon::current_num_threads)
            .max(1)
    }

    /// The constant of `fill` and `constant`.
    pub fn cval(&self) -> crate::base::scalar::Scalar {
        self.opts.cval
    }

    /// Whether the kernel uses stages.
    pub fn is_pipeline(&self) -> bool {
        self.pipe.is_pipeline()
    }

    /// Per core axis, how far from a tile any stage is read once boundary
    /// modes fold positions back into the array: the halo rows an
    /// out-of-core slab reads.
    #[doc(hidden)]
    pub fn folded_reach(&self) -> Vec<usize> {
        self.pipe.folded_reach()
    }

    /// The kernel called.
    pub fn kernel(&self) -> &Kernel {
        &self.kernel
    }

    /// The inputs' dtypes.
    pub fn in_dtypes(&self) -> &[DType] {
        &self.in_dtypes
    }

    /// The inputs' shapes.
    pub fn in_shapes(&self) -> &[Vec<usize>] {
        &self.in_shapes
    }

    /// The outputs' dtypes, one per output (docs/language.md §9).
    pub fn out_dtypes(&self) -> &[DType] {
        self.pipe.out_dtypes()
    }

    /// The number of outputs.
    pub fn outputs(&self) -> usize {
        self.out_dtypes().len()
    }

    /// Every output's shape: the broadcast loop axes, then the core axes
    /// (with `axes`, the core axes where the inputs have them).
    pub fn out_shape(&self) -> &[usize] {
        &self.out_shape
    }

    /// The axis order input `i` is read in: axis `k` of the view the
    /// executor works on (loop axes, then core axes) is axis `order[k]` of
    /// the input. The identity unless `axes` named core axes.
    pub fn input_order(&self, i: usize) -> Vec<usize> {
        match &self.axes {
            Some(a) => a.inputs[i].clone(),
            None => (0..self.in_shapes[i].len()).collect(),
        }
    }

    /// The axis order of the outputs, as `input_order` for the inputs.
    pub fn output_order(&self) -> Vec<usize> {
        match &self.axes {
            Some(a) => a.output.clone(),
            None => (0..self.out_shape.len()).collect(),
        }
    }

    /// The positions of the core axes in the outputs, in core-axis order:
    /// the last `ndim` unless `axes` named others.
    pub fn core_axes(&self) -> Vec<usize> {
        let nd = self.ndim();
        match &self.axes {
            Some(a) => a.output[a.output.len() - nd..].to_vec(),
            None => (self.out_shape.len() - nd..self.out_shape.len()).collect(),
        }
    }

    /// The number of core axes.
    pub fn ndim(&self) -> usize {
        self.pipe.ndim
    }

    /// The run's boundary mode: the option, else the kernel's own, else
    /// `fill`. The kernel reads its inputs under it; a stage reads its
    /// inputs under its own declared mode, else this one.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// How far one step reads its inputs around an output point, per core
    /// axis, through every chain of stages: the halo of a block.
    pub fn footprint(&self) -> &Footprint {
        &self.pipe.footprint
    }

    /// Time steps (1 without `steps`).
    pub fn steps(&self) -> usize {
        self.opts.steps
    }

    /// Steps fused per pass over memory.
    pub fn steps_per_pass(&self) -> usize {
        self.per_pass
    }

    /// The passes over memory the steps run in: their lengths in steps
    /// (`model::passes`).
    pub fn passes(&self) -> Vec<usize> {
        model::passes(self.opts.steps, self.per_pass)
    }

    /// The passes the steps would run in with `per_pass` steps each (a
    /// Dask round, say), by their steps.
    pub fn passes_with(&self, per_pass: usize) -> Vec<usize> {
        model::passes(self.opts.steps, per_pass)
    }

    /// The stages, in the order they run; the last is the kernel itself.
    pub fn stages(&self) -> Vec<StageInfo> {
        self.pipe
            .stages
            .iter()
            .zip(&self.step)
            .map(|(s, e)| {
                let mut index_axes: Vec<usize> = s
                    .spec
                    .func
                    .insts
                    .iter()
                    .filter_map(|i| match i.op {
                        Op::Index(k) => Some(k as usize),
                        _ => None,
                    })
                    .collect();
                index_axes.sort_unstable();
                index_axes.dedup();
                StageInfo {
                    name: s.name.clone(),
                    kernel: s.kernel.name().to_string(),
                    mode: e.mode,
                    declared: s.spec.typed.boundary,
                    footprint: s.spec.func.footprint.clone(),
                    index_axes,
                }
            })
            .collect()
    }

    /// Time spent compiling the stages.
    pub fn compile_time(&self) -> std::time::Duration {
        self.pipe.compile_time()
    }
}

/// The stages of one step of `pipe` as the executor runs them, under run
/// mode `mode`, with every stage's parameter `values`.
pub(crate) fn step_stages(
    pipe: &Pipeline,
    mode: Mode,
    values: &[Vec<Scalar>],
) -> Result<Vec<exec::Stage>> {
    pipe.stages
        .iter()
        .zip(values)
        .map(|(s, v)| exec_stage(&s.spec, s.args.clone(), s.reads.clone(), s.mode(mode), v))
        .collect()
}

/// A stage as the executor runs it: `spec`'s code (made here if it was
/// not yet) reading `args` at `reads`, under `mode`, with parameter
/// `values`.
pub(crate) fn exec_stage(
    spec: &Specialized,
    args: Vec<crate::base::graph::Arg>,
    reads: Vec<Option<Footprint>>,
    mode: Mode,
    values: &[Scalar],
) -> Result<exec::Stage> {
    Ok(exec::Stage {
        code: spec.compiled()?,
        args,
        reads,
        footprint: spec.func.footprint.clone(),
        in_dtypes: spec.func.inputs.clone(),
        out_dtypes: spec.func.out_dtypes.clone(),
        mode,
        params: param_bytes(&spec.func.params, values),
        loads: spec
            .func
            .insts
            .iter()
            .filter(|i| matches!(i.op, Op::Load { .. }))
            .count(),
    })
}

/// Checks that a kernel can step (`steps` > 1): with n outputs, its first
/// n inputs are the state (docs/language.md §9), and output i has input i's dtype and
/// shape.
fn check_fields(
    kernel: &Kernel,
    pipe: &Pipeline,
    dtypes: &[DType],
    shapes: &[Vec<usize>],
    out_shape: &[usize],
    caller: Caller,
) -> Result<()> {
    let outs = pipe.out_dtypes();
    let steps = caller.option("steps");
    if outs.len() == 1 {
        if dtypes.is_empty() || outs[0] != dtypes[0] || out_shape != shapes[0] {
            return Err(Error::usage(format!(
                "{steps} needs a kernel whose first array input has the output's dtype and shape; `{}` maps {} to {}",
                kernel.name(),
                dtype::names(dtypes),
                outs[0]
            )));
        }
        return Ok(());
    }
    if dtypes.len() < outs.len() {
        return Err(Error::usage(format!(
            "{steps} feeds a kernel's {n} outputs back as its first {n} array inputs, but `{}` has {} array input{}",
            kernel.name(),
            dtypes.len(),
            if dtypes.len() == 1 { "" } else { "s" },
            n = outs.len()
        )));
    }
    for (i, (&o, name)) in outs.iter().zip(kernel.inputs()).enumerate() {
        if o != dtypes[i] || out_shape != shapes[i] {
            return Err(Error::usage(format!(
                "{steps} feeds output {i} of `{}` back as input `{name}`, but the output is {o} {out_shape:?} and the input {} {:?}",
                kernel.name(),
                dtypes[i],
                shapes[i]
            )));
        }
    }
    Ok(())
}

/// Checks that `cval` keeps its value in every dtype a run of `step`
/// converts it to: a `fill` stage's output, a `constant` stage's inputs
/// (docs/language.md §13: never a silent wrap).
fn check_cval(cval: Scalar, step: &[exec::Stage], caller: Caller) -> Result<()> {
    for s in step {
        let dtypes: Vec<DType> = match s.mode {
            Mode::Fill => s.out_dtypes.clone(),
            Mode::Constant => s
                .in_dtypes
                .iter()
                .zip(&s.reads)
                .filter(|(_, r)| r.is_some())
                .map(|(d, _)| *d)
                .collect(),
            _ => Vec::new(),
        };
        for d in dtypes {
            if let Err(why) = cval.representable(d) {
                return Err(Error::usage(format!(
                    "{} {} is {why}: under `{}` it is written as {d}",
                    caller.option("cval"),
                    scalar_text(cval),
                    s.mode
                )));
            }
        }
    }
    Ok(())
}

/// A value as a user would have written it.
fn scalar_text(v: Scalar) -> String {
    match v {
        Scalar::Bool(b) => b.to_string(),
        Scalar::Int(i) => i.to_string(),
        Scalar::U64(u) => u.to_string(),
        Scalar::F32(f) => f.to_string(),
        Scalar::F64(f) => f.to_string(),
    }
}

/// Scalar parameter values as the compiled code reads them: 8 bytes each.
fn param_bytes(dtypes: &[DType], values: &[Scalar]) -> Vec<u8> {
    let mut bytes = vec![0u8; 8 * values.len()];
    for (i, (p, d)) in values.iter().zip(dtypes).enumerate() {
        p.write(*d, &mut bytes[8 * i..8 * i + d.size()]);
    }
    bytes
}

/// Matches `given` against the kernel's scalar parameters, by name, and
/// converts each value to its parameter's dtype.
fn param_values(
    kernel: &Kernel,
    given: &[(String, Scalar)],
    caller: Caller,
) -> Result<Vec<Scalar>> {
    let declared = kernel.params();
    for (i, (name, _)) in given.iter().enumerate() {
        if !declared.iter().any(|(n, _)| n == name) {
            let list = if declared.is_empty() {
                "it has none".to_string()
            } else {
                format!(
                    "it has {}",
                    declared
                        .iter()
                        .map(|(n, d)| format!("{n}: {d}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            return Err(Error::usage(format!(
                "kernel `{}` has no parameter `{name}` ({list})",
                kernel.name()
            )));
        }
        if given[..i].iter().any(|(n, _)| n == name) {
            return Err(Error::usage(format!("parameter `{name}` is given twice")));
        }
    }
    declared
        .iter()
        .map(
            |(name, dtype)| match given.iter().find(|(n, _)| n == name) {
                Some((_, v)) => param_value(name, *dtype, *v),
                None => Err(Error::usage(format!(
                    "missing parameter `{name}` ({dtype}) of kernel `{}`: pass {}",
                    kernel.name(),
                    caller.param(name)
                ))),
            },
        )
        .collect()
}

/// Converts a parameter value to the parameter's dtype: integers must be
/// integers that fit, floats take any number.
pub(crate) fn param_value(name: &str, dtype: DType, v: Scalar) -> Result<Scalar> {
    let bad =
        |why: &str| Error::usage(format!("bad value for parameter `{name}` ({dtype}): {why}"));
    match (dtype, v) {
        (DType::Bool, Scalar::Bool(_)) => Ok(v),
        (DType::Bool, _) => Err(bad("expected true or false")),
        (d, Scalar::F32(_) | Scalar::F64(_)) if d.is_int() => Err(bad("expected an integer")),
        (d, Scalar::Bool(_)) if d.is_int() || d.is_float() => Err(bad("expected a number")),
        (d, Scalar::Int(_) | Scalar::U64(_)) if d.is_int() => {
            let fits = match v {
                Scalar::Int(i) => {
                    let (lo, hi) = scalar::int_range(d);
                    d == DType::U64 && i >= 0 || (lo..=hi).contains(&i)
                }
                Scalar::U64(_) => d == DType::U64,
                _ => false,
            };
            if fits {
                Ok(v.cast(d))
            } else {
                Err(bad("out of range"))
            }
        }
        (d, v) => match v.representable(d) {
            Ok(()) => Ok(v.cast(d)),
            Err(why) => Err(bad(&why)),
        },
    }
}
