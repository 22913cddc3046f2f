"""Kernels on Dask arrays: lazy, and on a LocalCluster of worker processes
exactly the bytes of the single NumPy call, whatever the chunks, in every
boundary mode; the seed's Numba recipe agrees where its semantics overlap."""

import collections

import dask
import dask.array as da
import numpy as np
import pytest

import seed_numba
import stn
from conftest import EXAMPLES, MODES, random_array, same

KERNELS = stn.compile("""
# Asymmetric footprint; index() and shape() must see global coordinates.
kernel wide(x) -> i32 {
    x[-2, 0] * 3 + x[0, 3] - x[1, -1] + index(0) * 7 + index(1) * 11 + shape(0) + shape(1)
}
# Floats whose exact bits depend on the order of the terms.
kernel blur(x) -> f32 {
    sum(i in -1..=1, j in -2..=2) { f32(x[i, j]) * 0.1 } - f32(index(1)) * 0.01
}
kernel mix(a, b, s: f32) -> f32 { a[0, -1] * s + f32(b[1, 0]) - a[-1, 1] }
""")
SMOOTH = stn.load(EXAMPLES / "smooth.stn").smooth
LAPLACE = stn.load(EXAMPLES / "laplace3d.stn").laplace3d

# Chunkings of a (2, 23, 17) array that split core axes: evenly, unevenly,
# with chunks shorter than the halo at the edges and inside, one axis whole.
CHUNKINGS = [
    (1, 8, 6),
    (2, 7, 17),
    ((2,), (1, 1, 8, 1, 12), (2, 1, 10, 4)),
    ((1, 1), (23,), (1, 16)),
    ((2,), (20, 3), (3, 14)),
]


def run(client, y):
    return client.compute(y).result()


def test_every_mode_and_chunking_on_a_cluster_equals_numpy(client):
    rng = np.random.default_rng(1)
    x = random_array(rng, "int8", (2, 23, 17))
    lazies, wants = [], []
    for mode in MODES:
        for k, steps in [(SMOOTH, 1), (SMOOTH, 3), (KERNELS.wide, 1), (KERNELS.blur, 1)]:
            want = k(x, boundary=mode, cval=5, steps=steps)
            for chunks in CHUNKINGS:
                lazies.append(k(da.from_array(x, chunks=chunks), boundary=mode, cval=5,
                                steps=steps))
                wants.append((want, mode, k.name, steps, chunks))
    for got, (want, *case) in zip(client.gather(client.compute(lazies)), wants):
        assert same(got, want), case


def test_three_core_axes_and_two_inputs_on_a_cluster(client):
    rng = np.random.default_rng(11)
    v = random_array(rng, "float64", (2, 9, 8, 7))
    a = random_array(rng, "float32", (4, 1, 10, 9))
    b = random_array(rng, "uint16", (3, 10, 9))
    lazies, wants = [], []
    for mode in MODES:
        lazies.append(LAPLACE(da.from_array(v, chunks=(1, 5, 4, 4)), boundary=mode))
        wants.append((LAPLACE(v, boundary=mode), mode))
        want = KERNELS.mix(a, b, s=1.5, boundary=mode, cval=2)
        for da_a, da_b in [(da.from_array(a, chunks=(2, 1, 5, 4)), b),
                           (a, da.from_array(b, chunks=(1, 6, 2))),
                           (da.from_array(a, chunks=(1, 1, 5, 5)),
                            da.from_array(b, chunks=(3, 2, 9)))]:
            lazies.append(KERNELS.mix(da_a, da_b, s=1.5, boundary=mode, cval=2))
            wants.append((want, mode))
    for got, (want, mode) in zip(client.gather(client.compute(lazies)), wants):
        assert same(got, want), mode


def test_the_seeds_numba_recipe_agrees(client):
    # The seed's pipeline: int8 frames, core axes whole, Numba's fill mode
    # (border 0). stn gives the same bytes, on NumPy and on Dask, with any
    # chunks; Numba's gufunc needs each frame in one chunk.
    rng = np.random.default_rng(12)
    x = random_array(rng, "int8", (6, 40, 31))
    numba_np = seed_numba.smooth(x)
    numba_da = run(client, da.from_array(x, chunks=(3, -1, -1)).map_blocks(
        seed_numba.smooth_block, dtype=np.int8))
    assert same(numba_da, numba_np)
    assert same(SMOOTH(x), numba_np)
    for chunks in [(2, -1, -1), (1, 7, 5), (3, 40, 2), (6, 1, 31)]:
        assert same(run(client, SMOOTH(da.from_array(x, chunks=chunks))), numba_np), chunks


def test_lazy_dtype_meta_and_chunks_known_without_computing():
    def boom(block):
        raise AssertionError("computed")

    x = da.zeros((4, 30, 20), chunks=(1, 10, 10), dtype=np.uint8).map_blocks(boom, dtype=np.uint8)
    y = KERNELS.wide(x, boundary="mirror")
    assert isinstance(y, da.Array)
    assert y.dtype == np.int32 and y.shape == x.shape
    assert type(y._meta) is np.ndarray and y._meta.dtype == np.int32
    assert y.chunks == x.chunks
    z = KERNELS.mix(x, x, s=2)
    assert z.dtype == np.float32 and z._meta.dtype == np.float32
    # Errors come at the call, not at compute time.
    with pytest.raises(TypeError, match="missing parameter `s`"):
        KERNELS.mix(x, x)
    with pytest.raises(TypeError, match="out= is not supported"):
        SMOOTH(x, out=np.empty(x.shape, np.uint8))


def test_graph_size_is_one_task_per_chunk_plus_the_overlap():
    def tasks(y):
        return collections.Counter(
            (k[0] if isinstance(k, tuple) else k).rsplit("-", 1)[0]
            for k in dict(y.__dask_graph__()))

    # Core axes whole: no halo, no overlap tasks, one task per chunk.
    x = da.zeros((64, 100, 100), chunks=(8, -1, -1), dtype=np.int8)
    n_in = len(dict(x.__dask_graph__()))
    y = SMOOTH(x)
    assert len(dict(y.__dask_graph__())) == n_in + 8
    assert tasks(y)["stn-smooth"] == 8
    # Core axes split: one kernel task per chunk; the overlap takes at most
    # one piece from each of the 3^2 neighbours and joins them (one task),
    # and trimming is one task per chunk.
    for shape in [(4, 20, 16), (8, 40, 32)]:
        x = da.zeros(shape, chunks=(2, 5, 4), dtype=np.int8)
        y = SMOOTH(x)
        n = x.npartitions
        t = tasks(y)
        assert y.npartitions == n
        assert t["stn-smooth"] == n
        assert len(dict(y.__dask_graph__())) <= len(dict(x.__dask_graph__())) + n * (3 + 9)
    # Several steps need a wider halo, not more tasks.
    y3 = SMOOTH(x, steps=3)
    assert len(dict(y3.__dask_graph__())) == len(dict(y.__dask_graph__()))


def test_threads_scheduler_and_pickled_kernels():
    x = random_array(np.random.default_rng(13), "uint16", (3, 21, 19))
    d = da.from_array(x, chunks=(2, 6, 5))
    for mode in MODES:
        y = KERNELS.blur(d, boundary=mode, cval=3)
        assert same(y.compute(scheduler="threads"), KERNELS.blur(x, boundary=mode, cval=3))
        assert same(dask.compute(y, scheduler="sync")[0], KERNELS.blur(x, boundary=mode, cval=3))
