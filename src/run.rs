//! Running a kernel: options, parameter values, time steps, and the choice
//! between compiled code and the reference interpreter.

use std::sync::Arc;

use ndarray::{ArrayD, ArrayView, Dimension};

use crate::array::{ArrayMut, ArrayRef, DynArray, Element};
use crate::codegen::Compiled;
use crate::codegen::abi::TileArgs;
use crate::error::{Error, Result};
use crate::exec::boundary::Mode;
use crate::exec::broadcast::Layout;
use crate::exec::fused::{self, FusedError, FusedStage};
use crate::exec::{self, ExecOptions, KernelShape, Region, TileKernel, Window};
use crate::interp;
use crate::pipeline::plan::Pipeline;
use crate::pipeline::schedule::{self, Schedule};
use crate::pipeline::stepwise;
use crate::program::{Kernel, Specialized};
use crate::types::dtype::DType;
use crate::types::scalar::Scalar;

/// Which engine computes the points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Engine {
    /// JIT-compiled tiles on a thread pool.
    #[default]
    Jit,
    /// The reference interpreter, one point at a time (the test oracle).
    Interpreter,
}

/// How to run a kernel.
#[derive(Clone)]
pub struct RunOptions {
    /// Boundary mode; `None` uses the kernel's own `boundary`, else `fill`.
    pub boundary: Option<Mode>,
    /// The constant of `fill` and `constant`.
    pub cval: Scalar,
    /// Scalar parameters by name.
    pub params: Vec<(String, Scalar)>,
    /// Worker threads; `None` uses every core.
    pub threads: Option<usize>,
    /// Apply the kernel this many times, each output feeding the next step.
    pub steps: usize,
    /// About this many core points per tile; 0 (the default) chooses by
    /// the array size and thread count (`exec::auto_tile_points`).
    pub tile_points: usize,
    pub engine: Engine,
    /// Fused (the default) or stage by stage (`--schedule stepwise`).
    pub schedule: Schedule,
    /// Steps fused per pass over memory for `steps`; 0 (the default)
    /// chooses from the footprint and cache sizes.
    pub steps_per_pass: usize,
    /// Set when the inputs are a block of larger arrays: the position and
    /// shape that `index(k)` and `shape(k)` see (see `exec::Region`).
    pub region: Option<Region>,
    /// Called with the number of tiles finished so far (progress bars).
    pub progress: Option<Arc<dyn Fn(u64) + Send + Sync>>,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            boundary: None,
            cval: Scalar::Int(0),
            params: Vec::new(),
            threads: None,
            steps: 1,
            tile_points: 0,
            engine: Engine::Jit,
            schedule: Schedule::Auto,
            steps_per_pass: 0,
            region: None,
            progress: None,
        }
    }
}

impl RunOptions {
    pub fn boundary(mut self, mode: Mode) -> Self {
        self.boundary = Some(mode);
        self
    }

    pub fn cval(mut self, v: impl Into<Scalar>) -> Self {
        self.cval = v.into();
        self
    }

    pub fn param(mut self, name: &str, v: impl Into<Scalar>) -> Self {
        self.params.push((name.to_string(), v.into()));
        self
    }

    pub fn threads(mut self, n: usize) -> Self {
        self.threads = Some(n);
        self
    }

    pub fn steps(mut self, n: usize) -> Self {
        self.steps = n;
        self
    }

    pub fn engine(mut self, e: Engine) -> Self {
        self.engine = e;
        self
    }

    pub fn schedule(mut self, s: Schedule) -> Self {
        self.schedule = s;
        self
    }

    /// The inputs are a block of larger arrays: core index 0 is `origin`
    /// of the whole, whose core shape is `shape`.
    pub fn region(mut self, origin: Vec<i64>, shape: Vec<usize>) -> Self {
        self.region = Some(Region { origin, shape });
        self
    }
}

// SAFETY (of the impl's contract): `Compiled`'s entry reads and writes only
// through the pointers in `args`, which the executor makes valid.
impl TileKernel for Compiled {
    unsafe fn run_tile(&self, args: &TileArgs) {
        // SAFETY: forwarded from the caller.
        unsafe { Compiled::run_tile(self, args) }
    }

    fn lanes(&self) -> usize {
        Compiled::lanes(self)
    }

    fn ring_columns(&self) -> Option<usize> {
        Compiled::ring_columns(self)
    }

    unsafe fn run_tile_vector(&self, args: &TileArgs) {
        // SAFETY: forwarded from the caller, who checked layout and extent.
        unsafe { Compiled::run_tile_vector(self, args) }
    }
}

/// The executor's options for a run under `mode`.
fn exec_options(opts: &RunOptions, mode: Mode, window: Option<Window>) -> ExecOptions {
    ExecOptions {
        mode,
        cval: opts.cval,
        threads: opts.threads,
        tile_points: opts.tile_points,
        progress: opts.progress.clone(),
        window,
        region: opts.region.clone(),
    }
}

/// Worker threads a run uses.
fn threads(opts: &RunOptions) -> usize {
    opts.threads
        .unwrap_or_else(rayon::current_num_threads)
        .max(1)
}

/// Scalar parameter values as the compiled code reads them: 8 bytes each.
fn param_bytes(dtypes: &[(String, DType)], values: &[Scalar]) -> Vec<u8> {
    let mut bytes = vec![0u8; 8 * values.len()];
    for (i, (p, (_, d))) in values.iter().zip(dtypes).enumerate() {
        p.write(*d, &mut bytes[8 * i..8 * i + d.size()]);
    }
    bytes
}

/// Tiles of about `points` points for fused runs (tests): whole rows of
/// the innermost axes where they fit, else a block of the innermost.
fn small_tile(core: &[usize], points: usize) -> Vec<usize> {
    let mut tile: Vec<usize> = core.iter().map(|&c| c.max(1)).collect();
    let mut k = 0;
    while k < tile.len() && tile.iter().product::<usize>() > points.max(1) {
        let rest: usize = tile[k + 1..].iter().product();
        tile[k] = (points / rest.max(1)).max(1).min(tile[k]);
        if rest > points {
            tile[k] = 1;
        }
        k += 1;
    }
    tile
}

/// Parses a number as given on a command line: an integer when the text is
/// one, else a float (`nan`, `inf` and `-inf` included).
pub fn parse_number(text: &str) -> Option<Scalar> {
    let t = text.trim();
    if let Ok(v) = t.parse::<i64>() {
        return Some(Scalar::Int(v));
    }
    if let Ok(v) = t.parse::<u64>() {
        return Some(Scalar::U64(v));
    }
    match t.parse::<f64>() {
        Ok(v) => Some(Scalar::F64(v)),
        Err(_) => match t {
            "true" | "True" => Some(Scalar::Bool(true)),
            "false" | "False" => Some(Scalar::Bool(false)),
            _ => None,
        },
    }
}

/// Converts a parameter value to the parameter's dtype: integers must be
/// integers that fit, floats take any number.
pub fn param_value(name: &str, dtype: DType, v: Scalar) -> Result<Scalar> {
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
                    let (lo, hi) = crate::types::scalar::int_range(d);
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
        (d, v) => Ok(v.cast(d)),
    }
}

impl Kernel {
    /// Matches `given` against the kernel's scalar parameters, by name.
    fn param_values(&self, given: &[(String, Scalar)]) -> Result<Vec<Scalar>> {
        let declared = self.params();
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
                    self.name()
                )));
            }
            if given[..i].iter().any(|(n, _)| n == name) {
                return Err(Error::usage(format!("parameter `{name}` is given twice")));
            }
        }
        declared
            .iter()
            .map(|(name, dtype)| match given.iter().find(|(n, _)| n == name) {
                Some((_, v)) => param_value(name, *dtype, *v),
                None => Err(Error::usage(format!(
                    "missing parameter `{name}` ({dtype}) of kernel `{}`: pass --param {name}=VALUE",
                    self.name()
                ))),
            })
            .collect()
    }

    /// Checks inputs and options and returns the kernel's pipeline for the
    /// inputs' dtypes (compiling what it needs) and the broadcast layout.
    pub fn prepare(
        &self,
        inputs: &[ArrayRef<'_>],
        opts: &RunOptions,
    ) -> Result<(Arc<Pipeline>, Layout)> {
        let dtypes: Vec<DType> = inputs.iter().map(|a| a.dtype()).collect();
        let pipe = self.pipeline(&dtypes)?;
        self.param_values(&opts.params)?;
        let layout = Layout::new(inputs, pipe.ndim).map_err(|e| Error::usage(e.to_string()))?;
        if opts.steps == 0 {
            return Err(Error::usage("--steps must be at least 1"));
        }
        if let Some(r) = &opts.region {
            let ndim = pipe.ndim;
            if r.origin.len() != ndim || r.shape.len() != ndim {
                return Err(Error::usage(format!(
                    "the region has {} origin and {} shape entries, but kernel `{}` has {ndim} core axes",
                    r.origin.len(),
                    r.shape.len(),
                    self.name()
                )));
            }
        }
        if opts.steps > 1
            && (inputs.len() != 1
                || pipe.out_dtype() != dtypes[0]
                || layout.out_shape() != inputs[0].shape())
        {
            return Err(Error::usage(format!(
                "--steps needs a kernel with one array input whose dtype and shape equal the output's; `{}` maps {} to {}",
                self.name(),
                crate::types::dtype::names(&dtypes),
                pipe.out_dtype()
            )));
        }
        Ok((pipe, layout))
    }

    /// Runs the kernel and returns a new C-order array.
    pub fn run(&self, inputs: &[ArrayRef<'_>], opts: &RunOptions) -> Result<DynArray> {
        let (pipe, layout) = self.prepare(inputs, opts)?;
        let mut out = DynArray::zeros(pipe.out_dtype(), &layout.out_shape());
        self.run_into(inputs, &mut out.view_mut(), opts)?;
        Ok(out)
    }

    /// Runs the kernel into `out`, which must have the output's dtype and
    /// shape (any strides).
    pub fn run_into(
        &self,
        inputs: &[ArrayRef<'_>],
        out: &mut ArrayMut<'_>,
        opts: &RunOptions,
    ) -> Result<()> {
        let (pipe, layout) = self.prepare(inputs, opts)?;
        if out.dtype() != pipe.out_dtype() || out.shape() != layout.out_shape().as_slice() {
            return Err(Error::usage(format!(
                "the output array is {} {:?}, but kernel `{}` makes {} {:?}",
                out.dtype(),
                out.shape(),
                self.name(),
                pipe.out_dtype(),
                layout.out_shape()
            )));
        }
        let params = self.param_values(&opts.params)?;
        let mode = self.mode(&pipe, opts);
        let stepwise = opts.engine == Engine::Interpreter || opts.schedule == Schedule::Stepwise;
        let per_pass = if opts.steps == 1 || stepwise {
            1
        } else if opts.steps_per_pass > 0 {
            opts.steps_per_pass.min(opts.steps)
        } else {
            schedule::steps_per_pass(
                &pipe,
                opts.steps,
                &layout.core,
                layout.loop_len(),
                threads(opts),
            )
        };
        if opts.steps == 1 {
            return self.pass(&pipe, inputs, &layout, &params, mode, out, opts, None);
        }
        // Time stepping: passes of `per_pass` steps (fewer in the last),
        // the first reading the input, the last writing `out`, the others
        // ping-ponging between two temporary arrays made when needed.
        let fused = (per_pass > 1).then(|| pipe.repeat(per_pass));
        let passes = opts.steps.div_ceil(per_pass);
        let mut bufs: [Option<DynArray>; 2] = [None, None];
        for k in 0..passes {
            let now = per_pass.min(opts.steps - k * per_pass);
            let rest;
            let p: &Pipeline = match (&fused, now) {
                (_, 1) => &pipe,
                (Some(f), n) if n == per_pass => f,
                (_, n) => {
                    rest = pipe.repeat(n);
                    &rest
                }
            };
            let last = k + 1 == passes;
            let mut dst = match last {
                true => None,
                false => Some(
                    bufs[k % 2]
                        .take()
                        .unwrap_or_else(|| DynArray::zeros(pipe.out_dtype(), &layout.out_shape())),
                ),
            };
            let src = match k {
                0 => inputs[0].clone(),
                _ => bufs[(k - 1) % 2]
                    .as_ref()
                    .expect("the previous pass wrote it")
                    .view(),
            };
            match &mut dst {
                None => return self.pass(p, &[src], &layout, &params, mode, out, opts, None),
                Some(d) => self.pass(
                    p,
                    &[src],
                    &layout,
                    &params,
                    mode,
                    &mut d.view_mut(),
                    opts,
                    None,
                )?,
            }
            bufs[k % 2] = dst;
        }
        Ok(())
    }

    /// The run's boundary mode: the option, else the kernel's own, else
    /// `fill`. The kernel reads its inputs under it; a stage reads its
    /// inputs under its own declared mode, else this one.
    pub fn mode(&self, pipe: &Pipeline, opts: &RunOptions) -> Mode {
        opts.boundary
            .or(pipe.last().spec.typed.boundary)
            .unwrap_or(Mode::Fill)
    }

    /// One step over a slab of larger arrays (out-of-core runs, see
    /// `exec::Window`): computes output rows `window.rows` of the slab into
    /// `out`, which holds just those rows.
    /// `opts.steps` is ignored; the JIT engine always runs.
    pub fn run_window(
        &self,
        inputs: &[ArrayRef<'_>],
        out: &mut ArrayMut<'_>,
        opts: &RunOptions,
        window: Window,
    ) -> Result<()> {
        let one = RunOptions {
            steps: 1,
            engine: Engine::Jit,
            schedule: Schedule::Auto,
            ..opts.clone()
        };
        let (pipe, layout) = self.prepare(inputs, &one)?;
        let mut shape = layout.out_shape();
        if !layout.loop_shape.is_empty() || shape.is_empty() || window.rows.end > shape[0] {
            return Err(Error::Internal(format!(
                "window {window:?} of a slab of shape {shape:?}"
            )));
        }
        shape[0] = window.rows.len();
        if out.dtype() != pipe.out_dtype() || out.shape() != shape.as_slice() {
            return Err(Error::Internal(format!(
                "slab output is {} {:?}, the window makes {} {:?}",
                out.dtype(),
                out.shape(),
                pipe.out_dtype(),
                shape
            )));
        }
        let params = self.param_values(&one.params)?;
        let mode = self.mode(&pipe, &one);
        self.pass(
            &pipe,
            inputs,
            &layout,
            &params,
            mode,
            out,
            &one,
            Some(window),
        )
    }

    /// One pass over memory: the pipeline `pipe` (fused, or stage by stage
    /// when asked or when the interpreter runs), or the one kernel.
    #[allow(clippy::too_many_arguments)]
    fn pass(
        &self,
        pipe: &Pipeline,
        inputs: &[ArrayRef<'_>],
        layout: &Layout,
        params: &[Scalar],
        mode: Mode,
        out: &mut ArrayMut<'_>,
        opts: &RunOptions,
        window: Option<Window>,
    ) -> Result<()> {
        let bound = pipe.bind(params);
        let stepwise = opts.engine == Engine::Interpreter || opts.schedule == Schedule::Stepwise;
        if !pipe.is_pipeline() {
            let s = pipe.last();
            return s
                .kernel
                .step(&s.spec, inputs, layout, params, mode, out, opts, window);
        }
        if stepwise && window.is_none() {
            return stepwise::run(pipe, inputs, &bound, mode, out, opts);
        }
        let stages: Vec<FusedStage<'_>> = pipe
            .stages
            .iter()
            .enumerate()
            .map(|(j, s)| FusedStage {
                kernel: &s.spec.compiled,
                args: s.args.clone(),
                reads: s.reads.clone(),
                footprint: s.spec.func.footprint.clone(),
                in_dtypes: s.spec.func.inputs.clone(),
                out_dtype: s.out_dtype(),
                mode: s.mode(mode),
                params: param_bytes(s.kernel.params(), &bound[j]),
            })
            .collect();
        let tile = schedule::tile_shape(pipe, &layout.core, layout.loop_len(), threads(opts));
        let eo = exec_options(opts, mode, window);
        let tile = match opts.tile_points {
            0 => tile,
            n => small_tile(&layout.core, n),
        };
        fused::execute(&stages, inputs, layout, &tile, out, &eo).map_err(|e| match e {
            FusedError::OutsideWindow => Error::usage(format!(
                "kernel `{}` does not fit in --memory, and its stages read the far side of axis 0 (`wrap`), \
                 which out-of-core pipelines cannot do yet: raise --memory",
                self.name()
            )),
        })
    }

    /// Runs one stage (a kernel without stages) on its own: the interpreter
    /// or compiled tiles.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn stage_step(
        &self,
        spec: &Specialized,
        inputs: &[ArrayRef<'_>],
        layout: &Layout,
        params: &[Scalar],
        mode: Mode,
        out: &mut ArrayMut<'_>,
        opts: &RunOptions,
    ) -> Result<()> {
        self.step(spec, inputs, layout, params, mode, out, opts, None)
    }

    #[allow(clippy::too_many_arguments)]
    fn step(
        &self,
        spec: &Specialized,
        inputs: &[ArrayRef<'_>],
        layout: &Layout,
        params: &[Scalar],
        mode: Mode,
        out: &mut ArrayMut<'_>,
        opts: &RunOptions,
        window: Option<Window>,
    ) -> Result<()> {
        match opts.engine {
            Engine::Interpreter => interp::run(
                &spec.typed,
                inputs,
                params,
                mode,
                opts.cval,
                opts.region.as_ref(),
                out,
            )
            .map_err(|e| Error::Internal(e.into_diagnostic().message)),
            Engine::Jit => {
                let bytes = param_bytes(self.params(), params);
                let ks = KernelShape {
                    ndim: spec.func.ndim,
                    inputs: spec.func.inputs.clone(),
                    out_dtype: spec.func.out_dtype,
                    footprint: spec.func.footprint.clone(),
                    loads: spec
                        .func
                        .insts
                        .iter()
                        .filter(|i| matches!(i.op, crate::ir::Op::Load { .. }))
                        .count(),
                };
                let eo = exec_options(opts, mode, window);
                exec::execute(&spec.compiled, &ks, inputs, layout, &bytes, out, &eo);
                Ok(())
            }
        }
    }

    /// Typed convenience: runs on views of one element type and returns
    /// the output as `U` (an error if the kernel's output dtype is not `U`).
    pub fn apply<T: Element, U: Element, D: Dimension>(
        &self,
        inputs: &[ArrayView<'_, T, D>],
        opts: &RunOptions,
    ) -> Result<ArrayD<U>> {
        let views: Vec<ArrayRef> = inputs.iter().map(|v| ArrayRef::new(v.view())).collect();
        let out = self.run(&views, opts)?;
        let dtype = out.dtype();
        out.into_typed::<U>().ok_or_else(|| {
            Error::usage(format!(
                "kernel `{}` returns {dtype}, not {}",
                self.name(),
                U::DTYPE
            ))
        })
    }
}

impl From<f64> for Scalar {
    fn from(v: f64) -> Scalar {
        Scalar::F64(v)
    }
}

impl From<f32> for Scalar {
    fn from(v: f32) -> Scalar {
        Scalar::F32(v)
    }
}

impl From<i64> for Scalar {
    fn from(v: i64) -> Scalar {
        Scalar::Int(v)
    }
}

impl From<i32> for Scalar {
    fn from(v: i32) -> Scalar {
        Scalar::Int(v as i64)
    }
}

impl From<bool> for Scalar {
    fn from(v: bool) -> Scalar {
        Scalar::Bool(v)
    }
}
