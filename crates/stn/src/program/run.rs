//! Running a resolved call: its passes of time steps over memory, each
//! pass fused by the executor or stage by stage (the reference), and the
//! typed and dtype-erased conveniences on `Kernel`.

use std::borrow::Cow;

use ndarray::{Array, ArrayView, Dimension};

use crate::base::array::{ArrayMut, ArrayRef, DynArray, Element};
use crate::base::dtype::DType;
use crate::base::error::{Error, Result};
use crate::exec::{self, ExecError, Window};
use crate::program::Kernel;
use crate::program::call::Call;
use crate::program::options::{Context, Options, Schedule};
use crate::program::stepwise;

impl Call {
    /// Runs the call on `inputs` (of the dtypes and shapes it was resolved
    /// for) and returns a new C-order array: for a kernel with one output
    /// (see `run_all`).
    pub fn run(&self, inputs: &[ArrayRef<'_>]) -> Result<DynArray> {
        self.one_output("run_all")?;
        Ok(self.run_all(inputs)?.remove(0))
    }

    /// Runs the call and returns one new C-order array per output.
    pub fn run_all(&self, inputs: &[ArrayRef<'_>]) -> Result<Vec<DynArray>> {
        let mut outs: Vec<DynArray> = (self.out_dtypes().iter())
            .map(|&d| DynArray::zeros(d, self.out_shape()))
            .collect();
        let mut views: Vec<ArrayMut> = outs.iter_mut().map(|o| o.view_mut()).collect();
        self.run_with(inputs, &mut views, &Context::default())?;
        drop(views);
        Ok(outs)
    }

    /// Runs the call into `out`, which must have the output's dtype and
    /// shape (any strides): for a kernel with one output (see
    /// `run_into_all`).
    pub fn run_into(&self, inputs: &[ArrayRef<'_>], out: &mut ArrayMut<'_>) -> Result<()> {
        self.one_output("run_into_all")?;
        self.run_with(inputs, std::slice::from_mut(out), &Context::default())
    }

    /// Runs the call into `outs`, one per output, each of its output's
    /// dtype and the output shape (any strides).
    pub fn run_into_all(&self, inputs: &[ArrayRef<'_>], outs: &mut [ArrayMut<'_>]) -> Result<()> {
        self.run_with(inputs, outs, &Context::default())
    }

    /// Runs the call into `outs` (one per output) in context `cx` (a block
    /// of larger arrays, progress).
    pub fn run_with(
        &self,
        inputs: &[ArrayRef<'_>],
        outs: &mut [ArrayMut<'_>],
        cx: &Context,
    ) -> Result<()> {
        self.check_inputs(inputs, true)?;
        self.check_outputs(outs)?;
        if let Some(r) = &cx.region {
            let ndim = self.ndim();
            if r.origin.len() != ndim || r.shape.len() != ndim {
                return Err(Error::usage(format!(
                    "the region has {} origin and {} shape entries, but kernel `{}` has {ndim} core axes",
                    r.origin.len(),
                    r.shape.len(),
                    self.kernel.name()
                )));
            }
        }
        let inputs = self.input_views(inputs);
        let mut outs = self.output_views(outs);
        self.steps_into(&inputs, &mut outs, cx)
    }

    /// An error unless the kernel has one output: `run` and `run_into`
    /// return one array, where `instead` returns them all.
    fn one_output(&self, instead: &str) -> Result<()> {
        match self.outputs() {
            1 => Ok(()),
            n => Err(Error::usage(format!(
                "kernel `{}` has {n} outputs: use `{instead}`, which gives them all",
                self.kernel.name()
            ))),
        }
    }

    /// Checks `outs` against the outputs' dtypes and shape.
    fn check_outputs(&self, outs: &[ArrayMut<'_>]) -> Result<()> {
        if outs.len() != self.outputs() {
            return Err(Error::usage(format!(
                "kernel `{}` has {} output{}, but {} array{} given for them",
                self.kernel.name(),
                self.outputs(),
                if self.outputs() == 1 { "" } else { "s" },
                outs.len(),
                if outs.len() == 1 { " was" } else { "s were" }
            )));
        }
        for (o, (out, &d)) in outs.iter().zip(self.out_dtypes()).enumerate() {
            if out.dtype() != d || out.shape() != self.out_shape() {
                let which = match self.outputs() {
                    1 => "the output array".to_string(),
                    _ => format!("output array {o}"),
                };
                return Err(Error::usage(format!(
                    "{which} is {} {:?}, but kernel `{}` makes {d} {:?}",
                    out.dtype(),
                    out.shape(),
                    self.kernel.name(),
                    self.out_shape()
                )));
            }
        }
        Ok(())
    }

    /// The inputs as the executor sees them: core axes last.
    pub(crate) fn input_views<'a>(&self, inputs: &[ArrayRef<'a>]) -> Vec<ArrayRef<'a>> {
        match &self.axes {
            Some(a) => (inputs.iter().zip(&a.inputs))
                .map(|(x, o)| x.permuted(o))
                .collect(),
            None => inputs.to_vec(),
        }
    }

    /// The outputs as the executor sees them: core axes last.
    pub(crate) fn output_views<'a>(&self, outs: &'a mut [ArrayMut<'_>]) -> Vec<ArrayMut<'a>> {
        match &self.axes {
            Some(a) => outs.iter_mut().map(|o| o.permuted(&a.output)).collect(),
            None => outs.iter_mut().map(|o| o.reborrow()).collect(),
        }
    }

    /// One step over a slab of larger arrays (out-of-core runs): computes
    /// output rows `window.rows` of the slab into `outs`, which hold just
    /// those rows.
    #[doc(hidden)]
    pub fn run_window(
        &self,
        inputs: &[ArrayRef<'_>],
        outs: &mut [ArrayMut<'_>],
        window: Window,
        cx: &Context,
    ) -> Result<()> {
        self.check_inputs(inputs, false)?;
        let one = self.step_stages(1);
        let inputs = self.input_views(inputs);
        let mut outs = self.output_views(outs);
        self.pass(&one, &inputs, &mut outs, cx, Some(window))
    }

    /// One step on a part of the arrays along a loop axis (out-of-core runs
    /// whose axis 0 is a loop axis): `inputs` and `outs` are rows of the
    /// whole ones.
    #[doc(hidden)]
    pub fn run_part(
        &self,
        inputs: &[ArrayRef<'_>],
        outs: &mut [ArrayMut<'_>],
        cx: &Context,
    ) -> Result<()> {
        self.check_inputs(inputs, false)?;
        let one = self.step_stages(1);
        let inputs = self.input_views(inputs);
        let mut outs = self.output_views(outs);
        self.pass(&one, &inputs, &mut outs, cx, None)
    }

    /// Checks `inputs` against the dtypes (and, if `exact`, the shapes) the
    /// call was resolved for.
    fn check_inputs(&self, inputs: &[ArrayRef<'_>], exact: bool) -> Result<()> {
        let dtypes: Vec<DType> = inputs.iter().map(|a| a.dtype()).collect();
        let shapes_ok = !exact
            || inputs
                .iter()
                .zip(&self.in_shapes)
                .all(|(a, s)| a.shape() == s.as_slice());
        if dtypes != self.in_dtypes || !shapes_ok {
            let show = |d: &[DType], s: Vec<&[usize]>| {
                d.iter()
                    .zip(s)
                    .map(|(d, s)| format!("{d} {s:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(Error::usage(format!(
                "this call of kernel `{}` was resolved for inputs {}, but was given {}",
                self.kernel.name(),
                show(
                    &self.in_dtypes,
                    self.in_shapes.iter().map(|s| s.as_slice()).collect()
                ),
                show(&dtypes, inputs.iter().map(|a| a.shape()).collect())
            )));
        }
        Ok(())
    }

    /// The stages of a pass of `n` steps (one step's borrowed: a small
    /// call should not copy its stages).
    pub(crate) fn step_stages(&self, n: usize) -> Cow<'_, [exec::Stage]> {
        match n {
            1 => Cow::Borrowed(&self.step),
            n => Cow::Owned(exec::Stage::repeat(&self.step, n)),
        }
    }

    /// Every pass of the step schedule, on views with the core axes last:
    /// the first reads the inputs, the last writes `outs`, and the passes
    /// between ping-pong between `outs` and one set of temporary arrays
    /// (one per state field), so that the last pass lands in `outs`. The
    /// temporaries are kept for the call's next run. Inputs past the state
    /// fields are read as given by every pass.
    fn steps_into(
        &self,
        inputs: &[ArrayRef<'_>],
        outs: &mut [ArrayMut<'_>],
        cx: &Context,
    ) -> Result<()> {
        let passes = self.passes();
        if passes.len() == 1 {
            return self.pass(&self.step_stages(passes[0]), inputs, outs, cx, None);
        }
        let fields = self.outputs();
        let shape = self.layout.out_shape();
        let mut temp: Vec<DynArray> = (self.scratch.lock().unwrap_or_else(|p| p.into_inner()))
            .take()
            .unwrap_or_else(|| {
                (self.out_dtypes().iter())
                    .map(|&d| DynArray::zeros(d, &shape))
                    .collect()
            });
        let full = self.step_stages(self.per_pass);
        let n_passes = passes.len();
        for (k, &n) in passes.iter().enumerate() {
            let rest;
            let stages = if n == self.per_pass {
                &full
            } else {
                rest = self.step_stages(n);
                &rest
            };
            // Counted back from the last pass (into `outs`), passes write
            // `outs` and the temporaries in turn; a pass reads what the one
            // before wrote.
            let constants = inputs[fields..].iter().cloned();
            if (n_passes - 1 - k).is_multiple_of(2) {
                let src: Vec<ArrayRef> = match k {
                    0 => inputs[..fields].to_vec(),
                    _ => temp.iter().map(|b| b.view()).collect(),
                };
                let src: Vec<ArrayRef> = src.into_iter().chain(constants).collect();
                self.pass(stages, &src, outs, cx, None)?;
            } else {
                let src: Vec<ArrayRef> = match k {
                    0 => inputs[..fields].to_vec(),
                    _ => outs.iter().map(|o| o.as_ref()).collect(),
                };
                let src: Vec<ArrayRef> = src.into_iter().chain(constants).collect();
                let mut views: Vec<ArrayMut> = temp.iter_mut().map(|b| b.view_mut()).collect();
                self.pass(stages, &src, &mut views, cx, None)?;
            }
        }
        *self.scratch.lock().unwrap_or_else(|p| p.into_inner()) = Some(temp);
        Ok(())
    }

    /// One pass over memory: `stages` fused by the executor, or, for
    /// stage-by-stage runs (and the interpreter), each stage on its own.
    /// The views have their core axes last.
    fn pass(
        &self,
        stages: &[exec::Stage],
        inputs: &[ArrayRef<'_>],
        outs: &mut [ArrayMut<'_>],
        cx: &Context,
        window: Option<Window>,
    ) -> Result<()> {
        if self.stepwise() && window.is_none() {
            return stepwise::run(self, inputs, outs, cx);
        }
        let ecx = exec::Context {
            threads: self.opts.threads,
            tile_points: self.opts.tile_points,
            window,
            region: cx.region.as_ref(),
            progress: cx.progress.as_deref(),
            fusion: match self.opts.schedule {
                Schedule::Tiles => exec::Fusion::Tiles,
                Schedule::Strips => exec::Fusion::Strips,
                Schedule::Auto | Schedule::Stepwise => exec::Fusion::Auto,
            },
        };
        exec::execute(stages, self.opts.cval, inputs, outs, &ecx).map_err(|e| match e {
            ExecError::OutsideWindow => Error::usage(format!(
                "kernel `{}` does not fit in --memory, and its stages read the far side of axis 0 (`wrap`), \
                 which out-of-core pipelines cannot do yet: raise --memory",
                self.kernel.name()
            )),
        })
    }
}

impl Kernel {
    /// Resolves a call of the kernel on `inputs` with `opts`: checks them
    /// and compiles what the inputs' dtypes need.
    pub fn call(&self, inputs: &[ArrayRef<'_>], opts: &Options) -> Result<Call> {
        let dtypes: Vec<DType> = inputs.iter().map(|a| a.dtype()).collect();
        let shapes: Vec<Vec<usize>> = inputs.iter().map(|a| a.shape().to_vec()).collect();
        Call::new(self, &dtypes, &shapes, opts)
    }

    /// Resolves a call on inputs of these dtypes and shapes, before any
    /// data exists (a Dask graph, a file not read yet).
    pub fn call_for(
        &self,
        dtypes: &[DType],
        shapes: &[Vec<usize>],
        opts: &Options,
    ) -> Result<Call> {
        if dtypes.len() != shapes.len() {
            return Err(Error::usage(format!(
                "{} dtypes but {} shapes were given",
                dtypes.len(),
                shapes.len()
            )));
        }
        Call::new(self, dtypes, shapes, opts)
    }

    /// Runs the kernel and returns a new C-order array.
    ///
    /// ```
    /// use stn::{ArrayRef, DynArray, Options, Program};
    /// let program = Program::from_source("inline.stn", "kernel k(x) { x[0] * 2 }")?;
    /// let k = program.kernel(None)?;
    /// let x = ndarray::arr1(&[1u16, 2, 3]);
    /// let y = k.run(&[ArrayRef::new(x.view())], &Options::new())?;
    /// assert_eq!(y, DynArray::from_typed(ndarray::arr1(&[2u16, 4, 6]).into_dyn()));
    /// # Ok::<(), stn::Error>(())
    /// ```
    pub fn run(&self, inputs: &[ArrayRef<'_>], opts: &Options) -> Result<DynArray> {
        self.call(inputs, opts)?.run(inputs)
    }

    /// Runs a kernel with several outputs (docs/language.md §9) and returns one new
    /// C-order array per output.
    ///
    /// ```
    /// use stn::{ArrayRef, Options, Program};
    /// let src = "kernel pm(x) -> (_, _) { (x[-1] + x[1], x[1] - x[-1]) }";
    /// let program = Program::from_source("inline.stn", src)?;
    /// let x = ndarray::arr1(&[1i32, 2, 4, 8]);
    /// let outs = program.kernel(None)?.run_all(&[ArrayRef::new(x.view())], &Options::new())?;
    /// assert_eq!(outs.len(), 2);
    /// # Ok::<(), stn::Error>(())
    /// ```
    pub fn run_all(&self, inputs: &[ArrayRef<'_>], opts: &Options) -> Result<Vec<DynArray>> {
        self.call(inputs, opts)?.run_all(inputs)
    }

    /// Runs the kernel into `out`, which must have the output's dtype and
    /// shape (any strides).
    pub fn run_into(
        &self,
        inputs: &[ArrayRef<'_>],
        out: &mut ArrayMut<'_>,
        opts: &Options,
    ) -> Result<()> {
        self.call(inputs, opts)?.run_into(inputs, out)
    }

    /// Typed convenience: runs on views of one element type and returns an
    /// array of that type with the inputs' dimensionality (an error if the
    /// kernel's output dtype is another; see `apply_as`).
    ///
    /// ```
    /// use stn::{Options, Program};
    /// let program = Program::from_source("inline.stn", "kernel k(x) { x[0, -1] + x[0, 1] }")?;
    /// let k = program.kernel(None)?;
    /// let x = ndarray::Array2::<i16>::from_shape_fn((2, 4), |(i, j)| (10 * i + j) as i16);
    /// let y = k.apply(&[x.view()], &Options::new())?; // an Array2<i16>
    /// assert_eq!(y, ndarray::arr2(&[[0, 2, 4, 0], [0, 22, 24, 0]]));
    /// # Ok::<(), stn::Error>(())
    /// ```
    pub fn apply<T: Element, D: Dimension>(
        &self,
        inputs: &[ArrayView<'_, T, D>],
        opts: &Options,
    ) -> Result<Array<T, D>> {
        self.apply_as::<T, T, D>(inputs, opts)
    }

    /// Like `apply`, for a kernel whose output dtype (`-> U`) differs from
    /// its inputs': `k.apply_as::<f32, _, _>(&[x.view()], &opts)`.
    pub fn apply_as<U: Element, T: Element, D: Dimension>(
        &self,
        inputs: &[ArrayView<'_, T, D>],
        opts: &Options,
    ) -> Result<Array<U, D>> {
        let views: Vec<ArrayRef> = inputs.iter().map(|v| ArrayRef::new(v.view())).collect();
        let out = self.run(&views, opts)?;
        let dtype = out.dtype();
        let typed = out.into_typed::<U>().ok_or_else(|| {
            Error::usage(format!(
                "kernel `{}` returns {dtype}, not {}; use `apply_as::<{dtype}, _, _>`",
                self.name(),
                U::DTYPE,
            ))
        })?;
        typed
            .into_dimensionality::<D>()
            .map_err(|e| Error::Internal(format!("the output's dimensionality: {e}")))
    }
}
