"""The seed's recipe, as written there: a Numba @stencil inside a
@guvectorize gufunc, int8 3x3 sum // 9, Numba's fill mode (border 0).

Numba's gufunc objects do not pickle, so a Dask graph for worker
processes refers to them through `smooth_block`, a function of this
importable module (pickled by reference)."""

import numba


@numba.stencil
def _smooth(x):
    return (x[-1, -1] + x[-1, 0] + x[-1, 1] +
            x[ 0, -1] + x[ 0, 0] + x[ 0, 1] +
            x[ 1, -1] + x[ 1, 0] + x[ 1, 1]) // 9


@numba.guvectorize(
    [(numba.int8[:, :], numba.int8[:, :])],
    '(n, m) -> (n, m)'
)
def smooth(x, out):
    out[:] = _smooth(x)


def smooth_block(block):
    """The gufunc on one Dask block (core axes whole)."""
    return smooth(block)
