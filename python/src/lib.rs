//! `stn._stn`: the compiled half of the `stn` Python package.
//!
//! Python sees two classes, `Program` and `Kernel`. The package's
//! pure-Python half (`stn/__init__.py`, `stn/_dask.py`) wraps them into the
//! public API: keyword options, module objects, Dask arrays, pickling. This
//! half does what needs Rust: NumPy arrays of any dtype viewed in place as
//! `stn::array::ArrayRef`s (`arrays`), runs with the GIL released, and stn's
//! errors raised as Python exceptions carrying the CLI's messages
//! (`errors`).

use pyo3::prelude::*;

mod arrays;
mod errors;
mod kernel;

#[pymodule]
fn _stn(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<kernel::Program>()?;
    m.add_class::<kernel::Kernel>()?;
    let names: Vec<&str> = stn::types::dtype::DType::ALL
        .iter()
        .map(|d| d.name())
        .collect();
    m.add("DTYPES", names)?;
    Ok(())
}
