//! `Program` and `Kernel`: a `.stn` file and its kernels, as Python objects.
//!
//! `Kernel.run` is the one call that computes: it views the NumPy inputs in
//! place, checks the call, allocates the output (or takes the caller's),
//! and runs with the GIL released. `Kernel.plan` answers what a call would
//! make (dtype, shape, footprint) from dtypes and shapes alone, which is
//! what a Dask graph needs before any data exists.

use std::path::PathBuf;

use numpy::PyUntypedArray;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt};
use stn::array::ArrayRef;
use stn::error::Error;
use stn::exec::boundary::Mode;
use stn::pipeline::schedule::Schedule;
use stn::run::RunOptions;
use stn::types::dtype::DType;
use stn::types::scalar::Scalar;

use crate::arrays;
use crate::errors::{self, Context};

/// A parsed and resolved `.stn` file, with the text it came from (kept so
/// that kernels can be rebuilt from it in another process).
#[pyclass(frozen, module = "stn._stn")]
pub struct Program {
    program: stn::program::Program,
    file: String,
    source: String,
}

#[pymethods]
impl Program {
    /// Parses `source`; `file` names it in diagnostics.
    #[staticmethod]
    fn from_source(py: Python<'_>, file: &str, source: &str) -> PyResult<Program> {
        let program = stn::program::Program::from_source(file, source)
            .map_err(|e| errors::to_py(py, e, Context::Compile))?;
        Ok(Program {
            program,
            file: file.to_string(),
            source: source.to_string(),
        })
    }

    /// Reads and parses a `.stn` file.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Program> {
        let source =
            stn::io::read_text(&path).map_err(|e| errors::to_py(py, e, Context::Compile))?;
        Program::from_source(py, &path.display().to_string(), &source)
    }

    #[getter]
    fn file(&self) -> &str {
        &self.file
    }

    #[getter]
    fn source(&self) -> &str {
        &self.source
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
            .map_err(|e| errors::to_py(py, e, Context::Compile))?;
        Ok(Kernel {
            kernel: kernel.clone(),
        })
    }
}

/// One kernel of a program. Copies share the cache of compiled dtype
/// signatures.
#[pyclass(frozen, module = "stn._stn")]
pub struct Kernel {
    kernel: stn::program::Kernel,
}

/// What a call makes, from `Kernel.plan`.
type Plan = (String, Vec<usize>, Vec<i64>, Vec<i64>, String);

/// One stage of a pipeline, from `Kernel.stages`: its name, its kernel's
/// name, the kernel's own `boundary`, its own footprint (lowest and
/// highest offset per core axis) and the core axes whose `index(k)` it
/// reads.
type StageInfo = (
    String,
    String,
    Option<&'static str>,
    Vec<i64>,
    Vec<i64>,
    Vec<usize>,
);

#[pymethods]
impl Kernel {
    #[getter]
    fn name(&self) -> &str {
        self.kernel.name()
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
        self.kernel.sig().boundary.map(Mode::name)
    }

    /// The output dtype the kernel declares (`-> DTYPE`), if any.
    #[getter]
    fn output(&self) -> Option<&'static str> {
        self.kernel.sig().output.map(DType::name)
    }

    /// The number of core axes, known without any call when the kernel
    /// type-checks for some uniform dtype (it does not depend on dtypes).
    fn core_ndim(&self) -> Option<usize> {
        if let Some(s) = self.kernel.signatures().first()
            && let Ok(spec) = self.kernel.specialize(s)
        {
            return Some(spec.typed.ndim);
        }
        let n = self.kernel.inputs().len();
        [DType::I64, DType::F64, DType::Bool, DType::U64]
            .into_iter()
            .find_map(|d| self.kernel.check(&vec![d; n]).ok())
            .map(|t| t.ndim)
    }

    /// The footprint for inputs of these dtypes (compiling the kernel for
    /// them): the lowest and the highest offset read along each core axis.
    fn footprint(&self, py: Python<'_>, dtypes: Vec<String>) -> PyResult<(Vec<i64>, Vec<i64>)> {
        // A pipeline reads as far as all its stages together.
        let pipe = self.pipeline_for(py, &dtypes)?;
        let fp = &pipe.footprint;
        Ok((fp.lo.clone(), fp.hi.clone()))
    }

    /// The stages of the pipeline for inputs of these dtypes, in the order
    /// they run; the last is the kernel itself (a kernel without stages
    /// has just that one).
    fn stages(&self, py: Python<'_>, dtypes: Vec<String>) -> PyResult<Vec<StageInfo>> {
        let pipe = self.pipeline_for(py, &dtypes)?;
        Ok(pipe
            .stages
            .iter()
            .map(|s| {
                let func = &s.spec.func;
                let mut index: Vec<usize> = func
                    .insts
                    .iter()
                    .filter_map(|i| match i.op {
                        stn::ir::Op::Index(k) => Some(k as usize),
                        _ => None,
                    })
                    .collect();
                index.sort_unstable();
                index.dedup();
                (
                    s.name.clone(),
                    s.kernel.name().to_string(),
                    s.spec.typed.boundary.map(Mode::name),
                    func.footprint.lo.clone(),
                    func.footprint.hi.clone(),
                    index,
                )
            })
            .collect())
    }

    /// The compiled signatures so far: input dtypes and the output dtype.
    fn signatures(&self) -> Vec<(Vec<&'static str>, &'static str)> {
        self.kernel
            .signatures()
            .into_iter()
            .filter_map(|s| {
                let spec = self.kernel.specialize(&s).ok()?;
                Some((
                    s.iter().map(|d| d.name()).collect(),
                    spec.typed.out_dtype.name(),
                ))
            })
            .collect()
    }

    /// Checks a call on arrays of these dtypes and shapes (compiling the
    /// kernel for the dtypes) and returns what it makes: the output dtype
    /// and shape, the footprint (lowest and highest offset per core axis)
    /// and the boundary mode it runs with.
    #[pyo3(signature = (dtypes, shapes, boundary = None, cval = None, params = Vec::new(), steps = 1,
                        schedule = None))]
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
    ) -> PyResult<Plan> {
        let inputs: Vec<ArrayRef> = dtypes
            .iter()
            .zip(&shapes)
            .map(|(d, s)| {
                let d = DType::from_name(d)
                    .ok_or_else(|| PyValueError::new_err(format!("unknown dtype `{d}`")))?;
                Ok(arrays::placeholder(d, s))
            })
            .collect::<PyResult<_>>()?;
        let opts = options(boundary, cval, &params, steps, schedule, None, None, None)?;
        let cx = self.context(inputs.len(), &params);
        let (pipe, layout) = py
            .detach(|| self.kernel.prepare(&inputs, &opts))
            .map_err(|e| errors::to_py(py, e, cx))?;
        let fp = &pipe.footprint;
        Ok((
            pipe.out_dtype().name().to_string(),
            layout.out_shape(),
            fp.lo.clone(),
            fp.hi.clone(),
            self.kernel.mode(&pipe, &opts).name().to_string(),
        ))
    }

    /// Runs the kernel on NumPy arrays, into `out` or a new C-order array,
    /// which it returns. `origin` and `shape` place the inputs in larger
    /// arrays (a Dask block): what `index(k)` and `shape(k)` see.
    #[pyo3(signature = (inputs, out = None, boundary = None, cval = None, params = Vec::new(),
                        steps = 1, threads = None, origin = None, shape = None, schedule = None))]
    #[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
    fn run<'py>(
        &self,
        py: Python<'py>,
        inputs: Vec<Bound<'py, PyAny>>,
        out: Option<Bound<'py, PyAny>>,
        boundary: Option<&str>,
        cval: Option<&Bound<'py, PyAny>>,
        params: Vec<(String, Bound<'py, PyAny>)>,
        steps: usize,
        threads: Option<usize>,
        origin: Option<Vec<i64>>,
        shape: Option<Vec<usize>>,
        schedule: Option<&str>,
    ) -> PyResult<Bound<'py, PyUntypedArray>> {
        let arrs: Vec<Bound<PyUntypedArray>> = inputs
            .iter()
            .map(arrays::numpy_array)
            .collect::<PyResult<_>>()?;
        let views: Vec<ArrayRef> = arrs.iter().map(arrays::view).collect::<PyResult<_>>()?;
        let opts = options(
            boundary, cval, &params, steps, schedule, threads, origin, shape,
        )?;
        let cx = self.context(views.len(), &params);
        let err = |e: Error| errors::to_py(py, e, cx);
        let out = match out {
            Some(o) => arrays::numpy_array(&o)?,
            None => {
                let (pipe, layout) = py
                    .detach(|| self.kernel.prepare(&views, &opts))
                    .map_err(err)?;
                arrays::empty(py, pipe.out_dtype(), &layout.out_shape())
            }
        };
        let mut target = arrays::view_mut(&out)?;
        py.detach(|| self.kernel.run_into(&views, &mut target, &opts))
            .map_err(err)?;
        Ok(out)
    }

    fn __repr__(&self) -> String {
        format!("<stn._stn.Kernel {}>", self.kernel.name())
    }
}

impl Kernel {
    /// The pipeline for inputs of the dtypes named `dtypes` (compiling it),
    /// with errors as Python exceptions.
    fn pipeline_for(
        &self,
        py: Python<'_>,
        dtypes: &[String],
    ) -> PyResult<std::sync::Arc<stn::pipeline::plan::Pipeline>> {
        let dtypes = dtypes
            .iter()
            .map(|d| {
                DType::from_name(d)
                    .ok_or_else(|| PyValueError::new_err(format!("unknown dtype `{d}`")))
            })
            .collect::<PyResult<Vec<_>>>()?;
        let cx = Context::Call {
            arguments: dtypes.len() != self.kernel.inputs().len(),
        };
        py.detach(|| self.kernel.pipeline(&dtypes))
            .map_err(|e| errors::to_py(py, e, cx))
    }

    /// The context of a call with `n` arrays and these parameters: a
    /// wrong count of arrays or wrong parameter names are argument errors.
    fn context(&self, n: usize, params: &[(String, Bound<'_, PyAny>)]) -> Context {
        let declared = self.kernel.params();
        let names_ok = params
            .iter()
            .all(|(g, _)| declared.iter().any(|(d, _)| d == g))
            && declared
                .iter()
                .all(|(d, _)| params.iter().any(|(g, _)| g == d));
        Context::Call {
            arguments: n != self.kernel.inputs().len() || !names_ok,
        }
    }
}

/// The options of a call; the messages for bad values are the CLI's.
#[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
fn options(
    boundary: Option<&str>,
    cval: Option<&Bound<'_, PyAny>>,
    params: &[(String, Bound<'_, PyAny>)],
    steps: usize,
    schedule: Option<&str>,
    threads: Option<usize>,
    origin: Option<Vec<i64>>,
    shape: Option<Vec<usize>>,
) -> PyResult<RunOptions> {
    let mut opts = RunOptions {
        steps,
        threads,
        ..RunOptions::default()
    };
    if let Some(b) = boundary {
        opts.boundary = Some(Mode::from_name(b).ok_or_else(|| {
            PyValueError::new_err(format!(
                "unknown boundary mode `{b}`; modes are fill, constant, nearest, reflect, mirror, wrap"
            ))
        })?);
    }
    if let Some(s) = schedule {
        opts.schedule = Schedule::from_name(s).ok_or_else(|| {
            PyValueError::new_err(format!(
                "unknown schedule `{s}`; schedules are auto, stepwise"
            ))
        })?;
    }
    if let Some(c) = cval {
        opts.cval = scalar(c)?
            .ok_or_else(|| PyTypeError::new_err(format!("cval `{c}` is not a number")))?;
    }
    for (name, v) in params {
        let s = scalar(v)?.ok_or_else(|| {
            PyTypeError::new_err(format!(
                "bad value for parameter `{name}`: `{v}` is not a number"
            ))
        })?;
        opts.params.push((name.clone(), s));
    }
    if threads == Some(0) {
        return Err(PyValueError::new_err("threads must be at least 1"));
    }
    match (origin, shape) {
        (Some(o), Some(s)) => {
            opts.region = Some(stn::exec::Region {
                origin: o,
                shape: s,
            })
        }
        (None, None) => {}
        _ => {
            return Err(PyValueError::new_err("origin and shape are given together"));
        }
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
