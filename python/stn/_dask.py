"""Kernels on Dask arrays: lazy ``map_overlap`` rounds, results as if global.

Each block is computed with the halo the kernel's footprint needs along
every core axis it splits (loop axes need none), and only its own points
are kept. A kernel with stages reads as far as all its stages together
(``Kernel.footprint``), and that is its halo per step. ``steps=N`` runs as
``ceil(N / k)`` rounds, each one ``map_overlap`` whose blocks carry the
halo of ``k`` steps and compute ``k`` steps: one halo exchange per ``k``
steps. ``k`` is the largest number of steps, at most N, whose halo the
chunks can give (``k`` x halo at most the smallest chunk of every split core
axis), at least 1, unless ``steps_per_round`` sets it; the last round does
what is left.

That makes every point that is not near the array's edge exact. Near the
edge, the block reaches the array's own edge, and the kernel applies its
boundary mode there itself:

- ``wrap``: Dask's ``periodic`` boundary brings the far side of the whole
  array as the halo, so the block's points never see the block's edge;
- every other mode: Dask adds nothing at the array's edges
  (``boundary='none'``), and the kernel's own mode at the block's edge is
  the mode at the array's edge. ``reflect`` and ``mirror`` read at most one
  step's reach back into the array; a block is at least that long, so it
  reads the same elements as the single call would.

A pipeline's stages may read under different modes (a stage's own
``boundary``, else the run's): along a split axis, every stage that reads
along it must want the same kind of halo (wrap's or none), else the call
raises ``DaskUnsupportedError``. So does a stage before the last that reads
``index(k)`` along an axis with wrap's halo: the far side's points, computed
as halo, cannot be given their global index. (The last stage of a one-step
round is computed only at the block's own points, so a kernel that reads
``index`` under wrap runs in rounds of one step.)

A kernel with several outputs is computed by one task per block, whose
result (one array per output) each output's block then picks: the
outputs share every task that computes them. With ``steps``, the outputs
of a round are the next round's state fields (its first inputs); the other
inputs are given to every round as they are. ``axes=`` is applied by
transposing the inputs lazily so that the core axes come last, and the
outputs back.

Core axes are rechunked so that no chunk is shorter than one round's halo
(Dask takes a halo from the neighbouring chunk only): short chunks merge
only when even one step's halo does not fit (or ``steps_per_round``'s does
not), and an axis shorter than that becomes one chunk; an axis in one chunk
needs no halo at all. Each block is told where it sits in the whole array,
so ``index(k)`` and ``shape(k)`` see global coordinates. The result is
bit-identical to the single NumPy call for every mode, chunking and number
of steps.
"""

import dask.array as da
import numpy as np

from . import _NUMPY
from ._errors import DaskUnsupportedError


def call(kernel, arrays, boundary, cval, params, steps, threads, schedule=None,
         steps_per_round=None, axes=None):
    """``kernel(*arrays, ...)`` where some array is a Dask array: one Dask
    array per output (a tuple where there are several)."""
    xs = [_as_dask(a) for a in arrays]
    for x in xs:
        if any(np.isnan(n) for n in x.shape):
            raise ValueError(
                "a Dask array with unknown chunk sizes: call x.compute_chunk_sizes() first"
            )
    dtypes = [x.dtype for x in xs]
    # The library resolves the call before any data exists: it checks it,
    # compiles for these dtypes, and decides the outputs, the axis orders,
    # the footprint and every stage's mode.
    plan = kernel._plan(dtypes, [x.shape for x in xs], boundary, cval, params, steps, schedule,
                        axes, threads)
    if axes is not None:
        # The library's axis orders: core axes last, then back.
        views = [x.transpose(o) for x, o in zip(xs, plan.input_orders)]
        outs = _call(kernel, views, boundary, cval, params, steps, threads, schedule,
                     steps_per_round)
        back = tuple(np.argsort(plan.output_order).tolist())
        outs = [o.transpose(back) for o in outs]
    else:
        outs = _call(kernel, xs, boundary, cval, params, steps, threads, schedule,
                     steps_per_round, plan)
    return outs[0] if len(outs) == 1 else tuple(outs)


def _call(kernel, xs, boundary, cval, params, steps, threads, schedule, steps_per_round,
          plan=None):
    """`call` on arrays whose core axes are last: a list of outputs."""
    if plan is None:
        plan = kernel._plan([x.dtype for x in xs], [x.shape for x in xs], boundary, cval,
                            params, steps, schedule)
    out_dtypes = [_NUMPY[d] for d in plan.out_dtypes]
    out_shape = plan.out_shape
    mode = plan.mode
    ndim = len(plan.lo)
    nout = len(out_shape)
    core = tuple(out_shape[nout - ndim:])
    # One step's halo per core axis (a pipeline's: all its stages').
    halo = list(plan.halo)

    # Align chunks (from the right, as broadcasting does), then make every
    # chunk of a split core axis at least as long as one round's halo.
    inds = [list(reversed(range(x.ndim))) for x in xs]
    _, xs = da.core.unify_chunks(*[v for pair in zip(xs, inds) for v in pair], warn=False)
    least = 1 if steps_per_round is None else min(steps_per_round, steps)
    chunks = [_core_chunks(c, least * h) for c, h in zip(xs[0].chunks[-ndim:], halo)]
    xs = [_rechunk_core(x, ndim, chunks) for x in xs]
    split = [len(c) > 1 and h > 0 for c, h in zip(chunks, halo)]

    stages = plan.stages
    periodic = _periodic(kernel, stages, split)
    k = _steps_per_round(kernel, stages, steps, steps_per_round, chunks, halo, split, periodic)

    starts = [tuple(np.cumsum((0,) + c[:-1]).tolist()) for c in chunks]
    out_chunks = da.core.broadcast_chunks(*[x.chunks for x in xs])
    for n in plan.passes(k):
        # Halo per core axis: none where the axis is one chunk.
        depth = [n * h if s else 0 for h, s in zip(halo, split)]
        ov = [x if not any(depth) else da.overlap.overlap(
            x,
            depth={x.ndim - ndim + a: d for a, d in enumerate(depth)},
            boundary={x.ndim - ndim + a: ("periodic" if p and d else "none")
                      for a, (p, d) in enumerate(zip(periodic, depth))},
        ) for x in xs]
        # One task per block computes every output; with several, each
        # output picks its own from the task's tuple.
        one = len(out_dtypes) == 1
        dt = out_dtypes[0] if one else np.dtype(object)
        both = da.map_blocks(
            _block,
            *ov,
            chunks=out_chunks,
            dtype=dt,
            meta=np.empty((0,) * nout, dt),
            kernel=kernel,
            options=(mode, cval, params, n, threads or 1, schedule),
            place=(nout - ndim, starts, depth, periodic, core, [len(c) for c in chunks]),
            token=f"stn-{kernel.name}",
        )
        outs = [both] if one else [
            both.map_blocks(_pick, o, chunks=out_chunks, dtype=dt,
                            meta=np.empty((0,) * nout, dt), token=f"stn-{kernel.name}-output{o}")
            for o, dt in enumerate(out_dtypes)]
        # The outputs are the next round's state fields.
        xs = outs + xs[len(outs):]
    return outs


def _block(*blocks, kernel, options, place, block_id=None):
    """One block with its halo: runs the kernel, told the block's place,
    and keeps the block's own points of every output."""
    mode, cval, params, steps, threads, schedule = options
    nloop, starts, depth, periodic, core, counts = place
    origin = []
    keep = [slice(None)] * nloop
    for a, (st, d, p, c) in enumerate(zip(starts, depth, periodic, counts)):
        i = block_id[nloop + a]
        before = d if (p or i > 0) else 0
        after = d if (p or i + 1 < c) else 0
        origin.append(st[i] - before)
        keep.append(slice(before, -after if after else None))
    outs = kernel._run_block(list(blocks), mode, cval, params, steps, threads, origin,
                             list(core), schedule)
    kept = tuple(o[tuple(keep)] for o in outs)
    return kept[0] if len(kept) == 1 else kept


def _pick(both, o):
    """Output ``o`` of a block's outputs."""
    return both[o]


def _periodic(kernel, stages, split):
    """Per core axis, whether its halo is wrap's (Dask's ``periodic``); an
    error where the stages reading along a split axis disagree."""
    out = []
    for a, s in enumerate(split):
        readers = [st for st in stages if st.lo[a] < 0 or st.hi[a] > 0]
        wrapped = {st.mode == "wrap" for st in readers}
        if s and len(wrapped) > 1:
            names = ", ".join(
                f"`{st.name if st.name == st.kernel else st.name + ' = ' + st.kernel}` {st.mode}"
                for st in readers
            )
            raise DaskUnsupportedError(
                f"kernel `{kernel.name}` on Dask: its stages read core axis {a} under modes "
                f"that need different halos ({names}): wrap takes the array's far side, the "
                f"others none; put core axis {a} in one chunk, or call it on a NumPy array"
            )
        out.append(bool(s) and wrapped == {True})
    return out


def _steps_per_round(kernel, stages, steps, forced, chunks, halo, split, periodic):
    """Steps per round: forced, else the most whose halo the chunks give.
    One where a stage reading ``index`` would be computed on wrap's halo."""
    wrapped = {a for a, p in enumerate(periodic) if p}
    for j, st in enumerate(stages):
        axes = sorted(wrapped.intersection(st.index_axes))
        if axes and j + 1 < len(stages):
            raise DaskUnsupportedError(
                f"kernel `{kernel.name}` on Dask: stage `{st.name}` reads index({axes[0]}) "
                f"under wrap, and its points in the halo from the array's far side cannot "
                f"be given their global index; put core axis {axes[0]} in one chunk, or "
                f"call it on a NumPy array"
            )
        if axes:
            return 1
    if forced is not None:
        return min(forced, steps)
    k = steps
    for c, h, s in zip(chunks, halo, split):
        if s:
            k = min(k, min(c) // h)
    return max(k, 1)


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
        last = out.pop()
        out[-1] += last
    return tuple(out)


def _rechunk_core(x, ndim, core_chunks):
    want = x.chunks[: x.ndim - ndim] + tuple(core_chunks)
    return x if want == x.chunks else x.rechunk(want)
