//! `Program`, `Kernel` and `Plan`: a `.stn` file, its kernels and a
//! resolved call, as Python objects.
//!
//! `Kernel.run` is the one call that computes: it views the NumPy inputs in
//! place, resolves the call (`stn::Call`), allocates the output (or takes
//! the caller's), and runs with the GIL released. `Kernel.plan` resolves a
//! call from dtypes and shapes alone, which is what a Dask graph needs
//! before any data exists: the output's dtype and shape, the footprint,
//! every stage's mode and the step schedule, all decided by the library.

use std::path::PathBuf;

use numpy::PyUntypedArray;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt};
use stn::{ArrayRef, Call, Caller, Context, DType, Error, Mode, Options, Scalar, Schedule};

use crate::arrays;
use crate::errors::{self, Context as Cx};

/// A parsed and resolved `.stn` file, with the text it came from (kept so
/// that kernels can be rebuilt from it in another process).
#[pyclass(frozen, module = "stn._stn")]
pub struct Program {
    program: stn::Program,
}

#[pymethods]
impl Program {
    /// Parses `source`; `file` names it in diagnostics.
    #[staticmethod]
    fn from_source(py: Python<'_>, file: &str, source: &str) -> PyResult<Program> {
        let program = stn::Program::from_source(file, source)
            .map_err(|e| errors::to_py(py, e, Cx::Compile))?;
        Ok(Program { program })
    }

    /// Reads and parses a `.stn` file.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Program> {
        let program =
            stn::Program::from_path(&path).map_err(|e| errors::to_py(py, e, Cx::Compile))?;
        Ok(Program { program })
    }

    #[getter]
    fn file(&self) -> &str {
        self.program.file()
    }

    #[getter]
    fn source(&self) -> &str {
        self.program.source()
    }

    /// The file's warnings, each rendered under its source line.
    fn warnings(&self) -> Vec<String> {
        (self.program.warnings().iter())
            .map(|w| self.program.render(std::slice::from_ref(w)))
            .collect()
    }

    /// The kernels' names, in file order.
    fn kernel_names(&self) -> Vec<String> {
        self.program
            .kernels()
            .iter()
            .map(|k| k.name().to_string())
            .collect()
    }

    /// The kernel called `name`, or with `None` the file's only kernel.
    #[pyo3(signature = (name = None))]
    fn kernel(&self, py: Python<'_>, name: Option<&str>) -> PyResult<Kernel> {
        let kernel = self
            .program
            .kernel(name)
            .map_err(|e| errors::to_py(py, e, Cx::Compile))?;
        Ok(Kernel {
            kernel: kernel.clone(),
        })
    }
}

/// One kernel of a program. Copies share the cache of compiled dtype
/// signatures.
#[pyclass(frozen, module = "stn._stn")]
pub struct Kernel {
    kernel: stn::Kernel,
}

/// A call resolved from dtypes, shapes and options (`stn::Call`).
#[pyclass(frozen, module = "stn._stn")]
pub struct Plan {
    call: Call,
}

/// One stage of a plan, in the order the stages run (the kernel itself
/// last).
#[pyclass(frozen, get_all, module = "stn._stn")]
pub struct Stage {
    /// The stage's name in its caller, or the kernel's own for the last.
    name: String,
    /// The kernel the stage runs.
    kernel: String,
    /// The mode it reads its inputs under in this call.
    mode: &'static str,
    /// The mode its kernel declares, if any.
    declared: Option<&'static str>,
    /// Its own footprint: lowest and highest offset per core axis.
    lo: Vec<i64>,
    hi: Vec<i64>,
    /// The core axes whose `index(k)` it reads.
    index_axes: Vec<usize>,
}

#[pymethods]
impl Plan {
    /// The outputs' dtypes (stn's names), one per output.
    #[getter]
    fn out_dtypes(&self) -> Vec<&'static str> {
        self.call.out_dtypes().iter().map(|d| d.name()).collect()
    }

    /// Per input, the axis order the kernel reads it in: loop axes, then
    /// core axes (the identity unless `axes=` named others).
    #[getter]
    fn input_orders(&self) -> Vec<Vec<usize>> {
        (0..self.call.in_dtypes().len())
            .map(|i| self.call.input_order(i))
            .collect()
    }

    /// The outputs' axis order, as `input_orders`.
    #[getter]
    fn output_order(&self) -> Vec<usize> {
        self.call.output_order()
    }

    /// The output's shape.
    #[getter]
    fn out_shape(&self) -> Vec<usize> {
        self.call.out_shape().to_vec()
    }

    /// The lowest offset one step reads per core axis, through every stage.
    #[getter]
    fn lo(&self) -> Vec<i64> {
        self.call.footprint().lo.clone()
    }

    /// The highest offset one step reads per core axis, through every stage.
    #[getter]
    fn hi(&self) -> Vec<i64> {
        self.call.footprint().hi.clone()
    }

    /// One step's halo per core axis, through every stage
    /// (`Footprint::halo`).
    #[getter]
    fn halo(&self) -> Vec<usize> {
        self.call.footprint().halo()
    }

    /// The run's boundary mode.
    #[getter]
    fn mode(&self) -> &'static str {
        self.call.mode().name()
    }

    /// The stages, in the order they run.
    #[getter]
    fn stages(&self) -> Vec<Stage> {
        self.call
            .stages()
            .into_iter()
            .map(|s| Stage {
                name: s.name,
                kernel: s.kernel,
                mode: s.mode.name(),
                declared: s.declared.map(Mode::name),
                lo: s.footprint.lo,
                hi: s.footprint.hi,
                index_axes: s.index_axes,
            })
            .collect()
    }

    /// The passes the steps run in with `per_pass` steps each (a Dask
    /// round's steps), by their steps.
    fn passes(&self, per_pass: usize) -> Vec<usize> {
        self.call.passes_with(per_pass)
    }
}

#[pymethods]
impl Kernel {
    #[getter]
    fn name(&self) -> &str {
        self.kernel.name()
    }

    /// The kernel's comments and definition, for its `help()`.
    #[getter]
    fn doc(&self) -> String {
        self.kernel.doc()
    }

    /// Names of the array inputs, in order.
    #[getter]
    fn inputs(&self) -> Vec<String> {
        self.kernel.inputs().to_vec()
    }

    /// Scalar parameters as `(name, dtype)`, in order.
    #[getter]
    fn params(&self) -> Vec<(String, &'static str)> {
        self.kernel
            .params()
            .iter()
            .map(|(n, d)| (n.clone(), d.name()))
            .collect()
    }

    /// The kernel's own `boundary` mode, if it declares one.
    #[getter]
    fn boundary(&self) -> Option<&'static str> {
        self.kernel.boundary().map(Mode::name)
    }

    /// Per output, the dtype the kernel declares (`-> DTYPE`,
    /// `-> (T, _)`), if any.
    #[getter]
    fn outputs(&self) -> Vec<Option<&'static str>> {
        self.kernel
            .outputs()
            .iter()
            .map(|o| o.map(DType::name))
            .collect()
    }

    /// The number of core axes, known without any call when the kernel
    /// type-checks for some dtype (it does not depend on dtypes).
    fn core_ndim(&self) -> Option<usize> {
        let sig = self.kernel.some_signature().ok()?;
        self.kernel.check(&sig).ok().map(|s| s.ndim)
    }

    /// The footprint for inputs of these dtypes (compiling the kernel for
    /// them; with none, for a signature it type-checks for): the lowest and
    /// the highest offset read along each core axis, through every stage.
    fn footprint(
        &self,
        py: Python<'_>,
        dtypes: Vec<String>,
    ) -> PyResult<(Vec<i64>, Vec<i64>, Vec<usize>)> {
        let dtypes = if dtypes.is_empty() {
            self.kernel
                .some_signature()
                .map_err(|e| errors::to_py(py, e, Cx::Compile))?
        } else {
            parse_dtypes(&dtypes)?
        };
        let cx = Cx::Call {
            arguments: dtypes.len() != self.kernel.inputs().len(),
        };
        let fp = py
            .detach(|| self.kernel.footprint(&dtypes))
            .map_err(|e| errors::to_py(py, e, cx))?;
        let halo = fp.halo();
        Ok((fp.lo, fp.hi, halo))
    }

    /// The compiled signatures so far: input dtypes and output dtypes.
    fn signatures(&self) -> Vec<(Vec<&'static str>, Vec<&'static str>)> {
        self.kernel
            .signatures()
            .into_iter()
            .filter_map(|s| {
                let outs = self.kernel.check(&s).ok()?.outputs;
                let names = |d: &[DType]| d.iter().map(|d| d.name()).collect();
                Some((names(&s), names(&outs)))
            })
            .collect()
    }

    /// Resolves a call on arrays of these dtypes and shapes (compiling the
    /// kernel for the dtypes).
    #[pyo3(signature = (dtypes, shapes, boundary = None, cval = None, params = Vec::new(), steps = 1,
                        schedule = None, axes = None, threads = None))]
    #[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
    fn plan(
        &self,
        py: Python<'_>,
        dtypes: Vec<String>,
        shapes: Vec<Vec<usize>>,
        boundary: Option<&str>,
        cval: Option<&Bound<'_, PyAny>>,
        params: Vec<(String, Bound<'_, PyAny>)>,
        steps: usize,
        schedule: Option<&str>,
        axes: Option<Vec<isize>>,
        threads: Option<usize>,
    ) -> PyResult<Plan> {
        let dtypes = parse_dtypes(&dtypes)?;
        let mut opts = options(py, boundary, cval, &params, steps, schedule, threads)?;
        if let Some(a) = axes {
            opts = opts.axes(a);
        }
        let cx = self.context(dtypes.len(), &params);
        let call = py
            .detach(|| self.kernel.call_for(&dtypes, &shapes, &opts))
            .map_err(|e| errors::to_py(py, e, cx))?;
        Ok(Plan { call })
    }

    /// Runs the kernel on NumPy arrays, into `out` (one array per output)
    /// or new C-order arrays, which it returns as a list. `origin` and
    /// `shape` place the inputs in larger arrays (a Dask block): what
    /// `index(k)` and `shape(k)` see.
    #[pyo3(signature = (inputs, out = None, boundary = None, cval = None, params = Vec::new(),
                        steps = 1, threads = None, origin = None, shape = None, schedule = None,
                        axes = None))]
    #[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
    fn run<'py>(
        &self,
        py: Python<'py>,
        inputs: Vec<Bound<'py, PyAny>>,
        out: Option<Vec<Bound<'py, PyAny>>>,
        boundary: Option<&str>,
        cval: Option<&Bound<'py, PyAny>>,
        params: Vec<(String, Bound<'py, PyAny>)>,
        steps: usize,
        threads: Option<usize>,
        origin: Option<Vec<i64>>,
        shape: Option<Vec<usize>>,
        schedule: Option<&str>,
        axes: Option<Vec<isize>>,
    ) -> PyResult<Vec<Bound<'py, PyUntypedArray>>> {
        let arrs: Vec<Bound<PyUntypedArray>> = inputs
            .iter()
            .map(arrays::numpy_array)
            .collect::<PyResult<_>>()?;
        let views: Vec<ArrayRef> = arrs.iter().map(arrays::view).collect::<PyResult<_>>()?;
        let mut opts = options(py, boundary, cval, &params, steps, schedule, threads)?;
        if let Some(a) = axes {
            opts = opts.axes(a);
        }
        let context = match (origin, shape) {
            (Some(o), Some(s)) => Context::default().region(o, s),
            (None, None) => Context::default(),
            _ => return Err(PyValueError::new_err("origin and shape are given together")),
        };
        let cx = self.context(views.len(), &params);
        let err = |e: Error| errors::to_py(py, e, cx);
        let call = py.detach(|| self.kernel.call(&views, &opts)).map_err(err)?;
        let outs: Vec<Bound<PyUntypedArray>> = match out {
            Some(o) => o.iter().map(arrays::numpy_array).collect::<PyResult<_>>()?,
            None => (call.out_dtypes().iter())
                .map(|&d| arrays::empty(py, d, call.out_shape()))
                .collect::<PyResult<_>>()?,
        };
        let mut targets = outs
            .iter()
            .map(arrays::view_mut)
            .collect::<PyResult<Vec<_>>>()?;
        py.detach(|| call.run_with(&views, &mut targets, &context))
            .map_err(err)?;
        drop(targets);
        Ok(outs)
    }

    fn __repr__(&self) -> String {
        format!("<stn._stn.Kernel {}>", self.kernel.name())
    }
}

impl Kernel {
    /// The context of a call with `n` arrays and these parameters: a
    /// wrong count of arrays or wrong parameter names are argument errors.
    fn context(&self, n: usize, params: &[(String, Bound<'_, PyAny>)]) -> Cx {
        let declared = self.kernel.params();
        let names_ok = params
            .iter()
            .all(|(g, _)| declared.iter().any(|(d, _)| d == g))
            && declared
                .iter()
                .all(|(d, _)| params.iter().any(|(g, _)| g == d));
        Cx::Call {
            arguments: n != self.kernel.inputs().len() || !names_ok,
        }
    }
}

/// Dtypes by their stn names.
fn parse_dtypes(names: &[String]) -> PyResult<Vec<DType>> {
    names
        .iter()
        .map(|d| {
            d.parse::<DType>()
                .map_err(|e| PyValueError::new_err(e.to_string()))
        })
        .collect()
}

/// The options of a call, named in messages as Python keywords.
fn options(
    py: Python<'_>,
    boundary: Option<&str>,
    cval: Option<&Bound<'_, PyAny>>,
    params: &[(String, Bound<'_, PyAny>)],
    steps: usize,
    schedule: Option<&str>,
    threads: Option<usize>,
) -> PyResult<Options> {
    let usage = |e: Error| errors::to_py(py, e, Cx::Call { arguments: false });
    let mut opts = Options::new().caller(Caller::Python).steps(steps);
    if let Some(b) = boundary {
        opts = opts.boundary(b.parse::<Mode>().map_err(usage)?);
    }
    if let Some(s) = schedule {
        opts = opts.schedule(s.parse::<Schedule>().map_err(usage)?);
    }
    if let Some(c) = cval {
        opts = opts.cval(
            scalar(c)?
                .ok_or_else(|| PyTypeError::new_err(format!("cval `{c}` is not a number")))?,
        );
    }
    for (name, v) in params {
        let s = scalar(v)?.ok_or_else(|| {
            PyTypeError::new_err(format!(
                "bad value for parameter `{name}`: `{v}` is not a number"
            ))
        })?;
        opts = opts.param(name, s);
    }
    if let Some(n) = threads {
        opts = opts.threads(n);
    }
    Ok(opts)
}

/// A Python number as the CLI would parse its text: `bool`, an integer
/// (`i64`, else `u64`, else a float, as for `--param n=1e30`), or a float.
/// `None` if it is not a number.
fn scalar(v: &Bound<'_, PyAny>) -> PyResult<Option<Scalar>> {
    if v.is_instance_of::<PyBool>() {
        return Ok(Some(Scalar::Bool(v.extract()?)));
    }
    if v.is_instance_of::<PyInt>() {
        if let Ok(i) = v.extract::<i64>() {
            return Ok(Some(Scalar::Int(i)));
        }
        if let Ok(u) = v.extract::<u64>() {
            return Ok(Some(Scalar::U64(u)));
        }
        return Ok(Some(Scalar::F64(v.extract::<f64>()?)));
    }
    if v.is_instance_of::<PyFloat>() {
        return Ok(Some(Scalar::F64(v.extract()?)));
    }
    Ok(None)
}
