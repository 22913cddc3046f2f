"""Shared fixtures: the `stn` CLI binary (the oracle for NumPy calls) and a
Dask LocalCluster of worker processes on loopback."""

import os
import pathlib
import subprocess

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

# Every stn dtype, as NumPy names them.
DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float32", "float64"]
MODES = ["fill", "constant", "nearest", "reflect", "mirror", "wrap"]


def random_array(rng, dtype, shape):
    """Values that exercise a dtype: full integer ranges, floats with
    negative, tiny and large values (no NaN: NaN != NaN in comparisons)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.integers(0, 2, shape).astype(bool)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
    return (rng.standard_normal(shape) * 10.0 ** rng.integers(-3, 4, shape)).astype(dtype)


def same(a, b):
    """Bit-identical arrays: dtype, shape and bytes."""
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.fixture(scope="session")
def stn_bin():
    """The `stn` CLI built by cargo (STN_BIN, else CARGO_TARGET_DIR or target/)."""
    candidates = []
    if os.environ.get("STN_BIN"):
        candidates.append(pathlib.Path(os.environ["STN_BIN"]))
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    candidates += [target / "debug" / "stn", target / "release" / "stn"]
    for c in candidates:
        if c.is_file():
            return c
    pytest.fail("no stn binary: run `cargo build` first, or set STN_BIN")


@pytest.fixture
def cli(stn_bin, tmp_path):
    """Runs `stn ARGS...`; returns (exit code, stdout, stderr)."""

    def run(*args):
        p = subprocess.run([str(stn_bin), *map(str, args)], capture_output=True, text=True,
                           cwd=tmp_path)
        return p.returncode, p.stdout, p.stderr

    return run


@pytest.fixture(scope="session")
def client():
    """A dask.distributed Client on a LocalCluster of 3 worker processes,
    one thread each, on loopback."""
    import distributed

    cluster = distributed.LocalCluster(n_workers=3, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()
