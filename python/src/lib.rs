//! `stn._stn`: the compiled half of the `stn` Python package.
//!
//! Python sees four classes: `Program`, `Kernel`, and a resolved call's
//! `Plan` with its `Stage`s. The package's
//! pure-Python half (`stn/__init__.py`, `stn/_dask.py`) wraps them into the
//! public API: keyword options, module objects, Dask arrays, pickling. This
//! half does what needs Rust: NumPy arrays of any dtype viewed in place as
//! `stn::ArrayRef`s (`arrays`), runs with the GIL released, and stn's
//! errors raised as Python exceptions carrying the library's messages
//! (`errors`).

use pyo3::prelude::*;

mod arrays;
mod errors;
mod kernel;

#[pymodule]
fn _stn(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<kernel::Program>()?;
    m.add_class::<kernel::Kernel>()?;
    m.add_class::<kernel::Plan>()?;
    m.add_class::<kernel::Stage>()?;
    let names: Vec<&str> = stn::DType::ALL.iter().map(|d| d.name()).collect();
    m.add("DTYPES", names)?;
    Ok(())
}
