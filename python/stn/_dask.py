"""Kernels on Dask arrays: one lazy ``map_overlap``, results as if global.

Each block is computed with the halo the kernel's footprint needs along
every core axis it splits (``steps`` times the footprint's reach; loop axes
need none), and only its own points are kept. That makes every point that
is not near the array's edge exact. Near the edge, the block reaches the
array's own edge, and the kernel applies its boundary mode there itself:

- ``wrap``: Dask's ``periodic`` boundary brings the far side of the whole
  array as the halo, so the block's points never see the block's edge;
- every other mode: Dask adds nothing at the array's edges
  (``boundary='none'``), and the kernel's own mode at the block's edge is
  the mode at the array's edge. ``reflect`` and ``mirror`` read at most the
  reach of the footprint back into the array; a block is at least that
  long, so it reads the same elements as the single call would.

Core axes are rechunked so that no chunk is shorter than the halo (Dask
takes a halo from the neighbouring chunk only), and an axis shorter than
that becomes one chunk; an axis in one chunk needs no halo at all. Each
block is told where it sits in the whole array, so ``index(k)`` and
``shape(k)`` see global coordinates. The result is bit-identical to the
single NumPy call for every mode, chunking and number of steps. (With
``wrap``, several steps are chained passes of one step: a halo from the far
side of the array cannot be given its points' global indices.)
"""

import dask.array as da
import numpy as np

from . import _NUMPY


def call(kernel, arrays, boundary, cval, params, steps, threads):
    """``kernel(*arrays, ...)`` where some array is a Dask array."""
    xs = [_as_dask(a) for a in arrays]
    for x in xs:
        if any(np.isnan(n) for n in x.shape):
            raise ValueError(
                "a Dask array with unknown chunk sizes: call x.compute_chunk_sizes() first"
            )
    # Checks the call and compiles for these dtypes before any data exists.
    out_dtype, out_shape, lo, hi, mode = kernel._plan(
        [x.dtype for x in xs], [x.shape for x in xs], boundary, cval, params, steps
    )
    out_dtype = _NUMPY[out_dtype]
    if mode == "wrap" and steps > 1:
        # A wrapped halo holds points from the far side of the array, whose
        # `index(k)` a block cannot give while it computes them as halo:
        # one pass per step, each keeping only its block's own points.
        y = xs[0]
        for _ in range(steps):
            y = call(kernel, [y], mode, cval, params, 1, threads)
        return y
    ndim = len(lo)
    nout = len(out_shape)
    core = tuple(out_shape[nout - ndim:])
    reach = [steps * max(-l, h, 0) for l, h in zip(lo, hi)]

    # Align chunks (from the right, as broadcasting does), then make every
    # chunk of a split core axis at least as long as the halo.
    inds = [list(reversed(range(x.ndim))) for x in xs]
    _, xs = da.core.unify_chunks(*[v for pair in zip(xs, inds) for v in pair], warn=False)
    chunks = [_core_chunks(c, r) for c, r in zip(xs[0].chunks[-ndim:], reach)]
    xs = [_rechunk_core(x, ndim, chunks) for x in xs]

    # Halo per core axis: none where the axis is one chunk.
    halo = [0 if len(c) == 1 else r for c, r in zip(chunks, reach)]
    periodic = mode == "wrap"
    starts = [tuple(np.cumsum((0,) + c[:-1]).tolist()) for c in chunks]
    depth = [{x.ndim - ndim + k: h for k, h in enumerate(halo)} for x in xs]
    bnd = [
        {x.ndim - ndim + k: ("periodic" if periodic and h else "none") for k, h in enumerate(halo)}
        for x in xs
    ]
    return da.map_overlap(
        _block,
        *xs,
        depth=depth,
        boundary=bnd,
        trim=True,
        align_arrays=False,
        allow_rechunk=False,
        dtype=out_dtype,
        meta=np.empty((0,) * nout, out_dtype),
        kernel=kernel,
        options=(mode, cval, params, steps, threads or 1),
        place=(nout - ndim, starts, halo, periodic, core),
        token=f"stn-{kernel.name}",
    )


def _block(*blocks, kernel, options, place, block_id=None):
    """One block with its halo: runs the kernel, told the block's place."""
    mode, cval, params, steps, threads = options
    nloop, starts, halo, periodic, core = place
    origin = []
    for k, (st, h) in enumerate(zip(starts, halo)):
        i = block_id[nloop + k]
        before = h if (periodic or i > 0) else 0
        origin.append(st[i] - before)
    return kernel._run_block(list(blocks), mode, cval, params, steps, threads, origin, list(core))


def _as_dask(a):
    if isinstance(a, da.Array):
        x = a
    else:
        x = da.from_array(np.asarray(a), chunks=-1)
    if x.dtype.kind in "biuf" and not x.dtype.isnative:
        x = x.astype(x.dtype.newbyteorder("="))
    return x


def _core_chunks(chunks, reach):
    """Chunks of a core axis with none shorter than ``reach``: short ones
    merge into their neighbour; an axis no longer than ``reach`` becomes one
    chunk."""
    if reach == 0 or len(chunks) == 1:
        return tuple(chunks)
    if sum(chunks) <= reach:
        return (sum(chunks),)
    out = []
    for c in chunks:
        if out and out[-1] < reach:
            out[-1] += c
        else:
            out.append(c)
    if len(out) > 1 and out[-1] < reach:
        out[-2] += out.pop()
    return tuple(out)


def _rechunk_core(x, ndim, core_chunks):
    want = x.chunks[: x.ndim - ndim] + tuple(core_chunks)
    return x if want == x.chunks else x.rechunk(want)
