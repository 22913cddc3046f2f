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


# Time steppers with an asymmetric reach (2 up, 1 down, 1 left and right):
# one step's halo is (2, 1). `drift` reads global coordinates, so under
# wrap it runs in rounds of one step.
STEPPERS = stn.compile("""
kernel walk(x) { x[-2, 0] * 0.5 + x[0, 1] * 0.25 - x[1, -1] * 0.125 + 1.0 }
kernel drift(x) {
    x[-2, 0] * 0.5 + x[0, 1] * 0.25 - x[1, -1] * 0.125 + f64(index(0) * 3 + index(1)) * 0.01
}
""")

# Chunkings of a (2, 23, 17) array with chunks shorter than the halo of
# several steps, and the steps per round each allows: (6, 6, 6, 5) on the
# first core axis gives 5 // 2 = 2; a chunk of 1 there is shorter than one
# step's halo and merges (the only merge); an axis whole needs no halo.
STEP_CHUNKINGS = [
    (((2,), (6, 6, 6, 5), (4, 4, 4, 5)), 2),
    (((1, 1), (8, 7, 8), (6, 5, 6)), 3),
    (((2,), (1, 3, 2, 17), (1, 16)), 1),
    (((2,), (12, 11), (17,)), 5),
    (((2,), (23,), (3, 3, 3, 3, 3, 2)), 2),
]


def stn_layers(y, name):
    """The HighLevelGraph's layers of kernel `name` and their task count."""
    layers = [k for k in y.__dask_graph__().layers if k.startswith(f"stn-{name}-")]
    tasks = sum(1 for k in dict(y.__dask_graph__())
                if (k[0] if isinstance(k, tuple) else k) in layers)
    return len(layers), tasks


def rounds(steps, k):
    return -(-steps // min(k, steps))


def steps_cases(x, cases):
    """Lazy `steps` calls and the NumPy results they must equal; checks the
    number of rounds (`drift` under wrap: one step per round)."""
    lazies, wants = [], []
    for kern, n, mode, (chunks, k) in cases:
        want = kern(x, steps=n, boundary=mode, cval=2)
        y = kern(da.from_array(x, chunks=chunks), steps=n, boundary=mode, cval=2)
        k_here = 1 if (kern.name == "drift" and mode == "wrap") else k
        assert stn_layers(y, kern.name)[0] == rounds(n, k_here), (kern.name, n, mode, chunks)
        if chunks[1][0] != 1:
            assert y.chunks == da.from_array(x, chunks=chunks).chunks  # nothing merged
        lazies.append(y)
        wants.append((want, kern.name, n, mode, chunks))
    return lazies, wants


def test_steps_in_rounds_on_a_cluster_equal_numpy(client):
    x = np.random.default_rng(40).standard_normal((2, 23, 17))
    c = STEP_CHUNKINGS
    other = {1: "fill", 2: "nearest", 3: "reflect", 7: "mirror", 40: "constant"}
    cases = [(kern, n, mode, ch) for n in (1, 2, 3, 7, 40) for mode in ("wrap", other[n])
             for kern in (STEPPERS.walk, STEPPERS.drift) for ch in (c[1], c[2], c[3])
             if n < 40 or ch is c[3]]
    lazies, wants = steps_cases(x, cases)
    for got, (want, *case) in zip(client.gather(client.compute(lazies)), wants):
        assert same(got, want), case


def test_steps_in_rounds_every_mode_and_chunking():
    # The same on threads (a cluster adds only transport, checked above).
    x = np.random.default_rng(44).standard_normal((2, 23, 17))
    cases = [(kern, n, mode, ch) for n in (1, 2, 3, 7) for mode in MODES
             for kern in (STEPPERS.walk, STEPPERS.drift) for ch in STEP_CHUNKINGS]
    cases += [(STEPPERS.walk, 40, mode, ch) for mode in ("mirror", "wrap")
              for ch in STEP_CHUNKINGS]
    lazies, wants = steps_cases(x, cases)
    for got, (want, *case) in zip(dask.compute(*lazies, scheduler="threads"), wants):
        assert same(got, want), case


def test_graph_has_one_task_per_chunk_per_round():
    x = da.zeros((4, 20, 16), chunks=(2, 5, 4), dtype=np.int8)
    n_in = len(dict(x.__dask_graph__()))
    n = x.npartitions
    y1 = SMOOTH(x)
    per_round = len(dict(y1.__dask_graph__())) - n_in
    # The smooth's halo is 1: chunks of 4 give rounds of 4 steps.
    for steps, k in [(1, 1), (3, 3), (4, 4), (5, 4), (40, 4)]:
        y = SMOOTH(x, steps=steps)
        assert y.chunks == x.chunks
        r = rounds(steps, k)
        assert stn_layers(y, "smooth") == (r, r * n), steps
        assert len(dict(y.__dask_graph__())) == n_in + r * per_round, steps
    # Forced: fewer steps per round, or more, merging chunks to fit the halo.
    y = SMOOTH(x, steps=40, steps_per_round=3)
    assert y.chunks == x.chunks and stn_layers(y, "smooth") == (14, 14 * n)
    y = SMOOTH(x, steps=40, steps_per_round=8)
    assert y.chunks == ((2, 2), (10, 10), (8, 8))
    assert stn_layers(y, "smooth") == (5, 5 * y.npartitions)
    y = SMOOTH(x, steps=3, steps_per_round=100)  # at most the steps asked for
    assert stn_layers(y, "smooth") == (1, n)
    # Core axes whole: no halo, one round whatever the steps.
    z = da.zeros((8, 30, 30), chunks=(1, -1, -1), dtype=np.int8)
    assert stn_layers(SMOOTH(z, steps=50), "smooth") == (1, 8)
    with pytest.raises(ValueError, match="steps_per_round must be at least 1"):
        SMOOTH(x, steps=4, steps_per_round=0)
    with pytest.raises(ValueError, match="steps_per_round must be at least 1"):
        SMOOTH(x, steps=4, steps_per_round=-1)
    # Threads are checked where the call is resolved, as on NumPy arrays.
    with pytest.raises(ValueError, match="`threads=` must be at least 1"):
        SMOOTH(x, threads=0)


def test_forced_steps_per_round_on_a_cluster(client):
    x = random_array(np.random.default_rng(41), "int16", (2, 16, 14))
    lazies, wants = [], []
    for mode in ("constant", "wrap"):
        want = SMOOTH(x, steps=7, boundary=mode, cval=-3)
        for per_round in (1, 3, 7):
            lazies.append(SMOOTH(da.from_array(x, chunks=(1, 4, 5)), steps=7, boundary=mode,
                                 cval=-3, steps_per_round=per_round))
            wants.append((want, mode, per_round))
    for got, (want, *case) in zip(client.gather(client.compute(lazies)), wants):
        assert same(got, want), case


# Halide's two-stage blur and a pipeline with a stage read twice, a stage
# with its own mode and a scalar argument (test_numpy.PIPELINES); `axes`
# reads axis 1 under wrap in its stage and axis 0 under the run's mode.
PIPES = stn.compile("""
kernel blur_x(x) { (x[0, -1] + x[0, 0] + x[0, 1]) // 3 }
kernel blur(x) boundary nearest {
    let b = blur_x(x);
    (b[-1, 0] + b[0, 0] + b[1, 0]) // 3
}
kernel dx(x) boundary reflect { x[0, 1] - x[0, -2] }
kernel dy(x) { x[1, 0] - x[-1, 0] }
kernel scale(x, s: f32) -> f32 { x[0, 0] * s + x[-1, 1] }
kernel grad(x, s: f32) -> f32 {
    let gx = dx(x);
    let gy = dy(x);
    let m = scale(gx, s * 2);
    m[0, 0] + f32(gy[0, 1]) - f32(gx[-1, 0])
}
kernel roll(x) boundary wrap { x[0, -1] * 2 + x[0, 2] }
kernel axes(x) { let r = roll(x); r[-1, 0] - r[1, 0] + x[0, 0] }
kernel both(x) { let r = roll(x); r[-1, 0] - r[1, 1] }
kernel ix(x) { x[0, 1] + index(1) }
kernel pix(x) { let b = ix(x); b[0, -1] + b[0, 1] }
""")


def test_pipelines_on_a_cluster_equal_numpy(client):
    rng = np.random.default_rng(42)
    u = random_array(rng, "uint8", (2, 23, 17))
    f = rng.standard_normal((2, 23, 17)).astype(np.float32)
    assert PIPES.blur.footprint(np.uint8) == ((-1, 1), (-1, 1))
    assert PIPES.grad.footprint(np.float32) == ((-1, 1), (-2, 2))
    lazies, wants = [], []
    for mode in [None, *MODES]:
        for kern, x, kw in [(PIPES.blur, u, {}), (PIPES.grad, f, {"s": 0.5})]:
            for steps, chunkings in [(1, CHUNKINGS), (3, [c for c, _ in STEP_CHUNKINGS])]:
                if kern is PIPES.grad and mode == "wrap":
                    continue  # `dx` reads under reflect: refused, see below
                want = kern(x, boundary=mode, steps=steps, **kw)
                for i, chunks in enumerate(chunkings):
                    for schedule in ("auto", "stepwise")[: 2 if i == 0 else 1]:
                        lazies.append(kern(da.from_array(x, chunks=chunks), boundary=mode,
                                           steps=steps, schedule=schedule, **kw))
                        wants.append((want, kern.name, mode, steps, chunks, schedule))
        # Per axis, one kind of halo: wrap's on core axis 1 (only `roll`
        # reads along it), the run's on core axis 0 (only `axes` does).
        want = PIPES.axes(u, boundary=mode)
        for chunks in CHUNKINGS:
            lazies.append(PIPES.axes(da.from_array(u, chunks=chunks), boundary=mode))
            wants.append((want, "axes", mode, 1, chunks, "auto"))
    for got, (want, *case) in zip(client.gather(client.compute(lazies)), wants):
        assert same(got, want), case


def test_stages_wanting_different_halos_on_a_split_axis_raise():
    x = random_array(np.random.default_rng(43), "int16", (20, 18))
    # `roll` reads axis 1 under wrap, `both` under nearest: wrong either way.
    with pytest.raises(stn.DaskUnsupportedError,
                       match=r"kernel `both` on Dask: its stages read core axis 1 under modes "
                             r"that need different halos \(`r = roll` wrap, `both` nearest\)") as e:
        PIPES.both(da.from_array(x, chunks=(5, 6)), boundary="nearest")
    assert isinstance(e.value, NotImplementedError)
    assert "put core axis 1 in one chunk" in str(e.value)
    # Axis 1 whole needs no halo on it: computed, and right.
    for mode in ("nearest", "fill", "wrap"):
        y = PIPES.both(da.from_array(x, chunks=(5, -1)), boundary=mode)
        assert same(y.compute(scheduler="sync"), PIPES.both(x, boundary=mode)), mode
    # `grad`'s stage `dx` reads axis 1 under its own reflect.
    with pytest.raises(stn.DaskUnsupportedError, match=r"\(`gx = dx` reflect, `m = scale` wrap, "
                       r"`grad` wrap\)"):
        PIPES.grad(da.from_array(x.astype(np.float32), chunks=(5, 6)), s=1, boundary="wrap")
    # Under wrap the halos agree.
    y = PIPES.both(da.from_array(x, chunks=(5, 6)), boundary="wrap", steps=1)
    assert same(y.compute(scheduler="sync"), PIPES.both(x, boundary="wrap"))
    # A stage before the last computed on wrap's halo cannot see global indices.
    with pytest.raises(stn.DaskUnsupportedError, match=r"stage `b` reads index\(1\) under wrap"):
        PIPES.pix(da.from_array(x, chunks=(5, 6)), boundary="wrap")
    for chunks in [(5, -1), (5, 6)]:
        mode = "wrap" if chunks[1] == -1 else "reflect"
        y = PIPES.pix(da.from_array(x, chunks=chunks), boundary=mode)
        assert same(y.compute(scheduler="sync"), PIPES.pix(x, boundary=mode)), chunks
