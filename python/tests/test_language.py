"""The language of docs/language.md §9-§12 from Python: several outputs,
state fields for time steps (the wave example against a NumPy loop, on
NumPy and on a Dask LocalCluster), core axes (`axes=`), run-time radii, and
rank filters against scipy.ndimage for every mode and dtype."""

import re

import numpy as np
import pytest
import scipy.ndimage as ndi

import stn
from conftest import DTYPES, EXAMPLES, MODES, random_array

WAVE = stn.load(EXAMPLES / "wave.stn").wave
MEDIAN = stn.load(EXAMPLES / "median.stn")
GRAD = stn.load(EXAMPLES / "gradient.stn")

# scipy's names of stn's modes: stn's `wrap` is scipy's `grid-wrap`; scipy
# has no `fill` (the output border set to cval).
SCIPY_MODE = {"constant": "constant", "nearest": "nearest", "reflect": "reflect",
              "mirror": "mirror", "wrap": "grid-wrap"}


def wave_inputs(n=64, seed=7):
    rng = np.random.default_rng(seed)
    i, j = np.mgrid[0:n, 0:n]
    u0 = np.exp(-((i - n / 3) ** 2 + (j - n / 2) ** 2) / 20.0).astype(np.float32)
    c2 = (0.1 + 0.2 * rng.random((n, n))).astype(np.float32)
    return u0, u0.copy(), c2


def numpy_wave(u, u_prev, c2, steps):
    """The wave example's expression, step by step, in float32 as stn
    evaluates it (zero outside the grid)."""
    two, four = np.float32(2.0), np.float32(4.0)
    for _ in range(steps):
        p = np.pad(u, 1)
        lap = p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:] - four * u
        u, u_prev = two * u - u_prev + c2 * lap, u
    return u, u_prev


def test_the_wave_example_equals_numpy_step_by_step_for_100_steps():
    u0, up0, c2 = wave_inputs()
    u, up = u0, up0
    for step in range(1, 101):
        u, up = numpy_wave(u, up, c2, 1)
        if step in (1, 2, 7, 50, 100):
            got = WAVE(u0, up0, c2, steps=step)
            assert isinstance(got, tuple) and len(got) == 2
            assert got[0].dtype == np.float32
            assert np.array_equal(got[0], u), step
            assert np.array_equal(got[1], up), step
    # The same as 100 calls of one step each.
    a, b = u0, up0
    for _ in range(100):
        a, b = WAVE(a, b, c2)
    assert np.array_equal(a, u) and np.array_equal(b, up)


def test_the_wave_example_on_a_local_cluster_equals_numpy(client):
    import dask.array as da

    u0, up0, c2 = wave_inputs(96, seed=3)
    want = WAVE(u0, up0, c2, steps=40)
    chunks = (32, 40)
    got = WAVE(da.from_array(u0, chunks=chunks), da.from_array(up0, chunks=chunks),
               da.from_array(c2, chunks=chunks), steps=40, steps_per_round=6)
    assert isinstance(got, tuple) and len(got) == 2
    # One task per block and round computes both fields.
    graph = dict(got[0].__dask_graph__())
    kernel_tasks = [k for k in graph
                    if isinstance(k, tuple) and re.fullmatch(r"stn-wave-[0-9a-f]+", k[0])]
    rounds = -(-40 // 6)
    assert len(kernel_tasks) == rounds * got[0].npartitions
    u, up = client.compute(got, sync=True)
    assert np.array_equal(u, want[0]) and np.array_equal(up, want[1])


def test_two_outputs_return_a_tuple_and_fill_out_tuples():
    x = random_array(np.random.default_rng(1), "uint8", (2, 9, 11))
    gx, gy = GRAD.grad(x)
    xp = np.pad(x.astype(np.float32), ((0, 0), (1, 1), (1, 1)), mode="edge")
    half = np.float32(0.5)
    assert np.array_equal(gx, half * (xp[:, 1:-1, 2:] - xp[:, 1:-1, :-2]))
    assert np.array_equal(gy, half * (xp[:, 2:, 1:-1] - xp[:, :-2, 1:-1]))
    assert GRAD.grad.nout == 2
    assert GRAD.grad.signature == "(n,m)->(n,m),(n,m)"
    ox, oy = np.empty_like(gx), np.empty_like(gy)
    res = GRAD.grad(x, out=(ox, oy))
    assert res[0] is ox and res[1] is oy
    assert np.array_equal(ox, gx) and np.array_equal(oy, gy)
    with pytest.raises(TypeError, match="out= must be a tuple of 2"):
        GRAD.grad(x, out=ox)
    # A stage with two outputs.
    mag = GRAD.magnitude(x)
    assert np.array_equal(mag, np.sqrt(gx * gx + gy * gy))


@pytest.mark.parametrize("dtype", DTYPES)
def test_rank_filters_equal_scipy_for_every_mode_and_dtype(dtype):
    rng = np.random.default_rng(DTYPES.index(dtype) + 100)
    med3, erode, dilate = MEDIAN.median3, MEDIAN.erode, MEDIAN.dilate
    # Axes shorter than the footprint too (1 and 2).
    for shape in [(9, 13), (1, 5), (2, 2), (4, 1)]:
        x = random_array(rng, dtype, shape)
        if dtype.startswith("float"):
            # Ties of both signs of zero are where stn's order (the
            # earlier term first) is defined and scipy's is not.
            x[np.abs(x) < 1.0] = 0.0
        if dtype in ("int64", "uint64"):
            # scipy's rank filters round 64-bit integers through float64
            # (2**63 - 1 comes back as 2**63); stn's result is always one
            # of the terms. Compared where both are exact.
            x >>= 11
        for mode, smode in SCIPY_MODE.items():
            cval = 1 if dtype == "bool" else 3
            kw = dict(boundary=mode, cval=cval)
            assert np.array_equal(med3(x, **kw),
                                  ndi.median_filter(x, 3, mode=smode, cval=cval)), (mode, shape)
            assert np.array_equal(erode(x, **kw),
                                  ndi.rank_filter(x, 0, 3, mode=smode, cval=cval)), (mode, shape)
            assert np.array_equal(dilate(x, **kw),
                                  ndi.rank_filter(x, -1, 3, mode=smode, cval=cval)), (mode, shape)
            r = MEDIAN.median_r(x, r=2, **kw)
            assert np.array_equal(r, ndi.median_filter(x, 5, mode=smode, cval=cval)), (mode, shape)


def test_rank_orders_nan_last_and_the_earlier_zero_first():
    k = stn.compile("kernel k(x) { rank(1, i in 0..=2) { x[i] } }").k
    x = np.array([0.0, -0.0, np.nan, 1.0, 0.0], np.float64)
    y = k(x, boundary="wrap")
    # Point 0 reads [0.0, -0.0, nan]: sorted 0.0, -0.0 (equal, earlier first), nan.
    assert y[0] == 0.0 and np.signbit(y[0])
    # Point 1 reads [-0.0, nan, 1.0]: -0.0, 1.0, nan.
    assert y[1] == 1.0
    assert np.isnan(k(np.array([np.nan, np.nan, 1.0]), boundary="wrap")[0])


def test_a_radius_parameter_sizes_the_kernel_per_value():
    box = stn.load(EXAMPLES / "boxr.stn").boxr
    x = random_array(np.random.default_rng(5), "int32", (12, 14)) % 1000
    for r in [0, 1, 3]:
        want = ndi.correlate(x.astype(np.int64), np.ones((2 * r + 1,) * 2, np.int64),
                             mode="reflect") // (2 * r + 1) ** 2
        assert np.array_equal(box(x, r=r), want.astype(np.int32)), r
    assert box.footprint(np.int32) == ((-1, 1), (-1, 1))  # measured at r = 1


def test_axes_name_the_core_axes_and_channels_stay_apart():
    smooth = stn.load(EXAMPLES / "smooth.stn").smooth
    rgb = random_array(np.random.default_rng(9), "uint8", (10, 12, 3))
    per_channel = smooth(rgb, axes=(-3, -2), boundary="nearest")
    assert per_channel.shape == rgb.shape
    for c in range(3):
        assert np.array_equal(per_channel[..., c], smooth(rgb[..., c], boundary="nearest"))
    # The same with axes counted from the start, and on a transposed volume.
    assert np.array_equal(smooth(rgb, axes=(0, 1), boundary="nearest"), per_channel)
    vol = random_array(np.random.default_rng(2), "int16", (5, 6, 7))
    got = smooth(vol, axes=(0, 2))
    want = np.stack([smooth(vol[:, j, :]) for j in range(6)], axis=1)
    assert np.array_equal(got, want)
    with pytest.raises(ValueError, match="`axes=` names 1 axis, but the kernel has 2"):
        smooth(vol, axes=(0,))


def test_axes_on_dask_equal_numpy(client):
    import dask.array as da

    smooth = stn.load(EXAMPLES / "smooth.stn").smooth
    vol = random_array(np.random.default_rng(4), "uint16", (20, 6, 18))
    want = smooth(vol, axes=(0, 2), boundary="reflect")
    got = smooth(da.from_array(vol, chunks=(7, 2, 5)), axes=(0, 2), boundary="reflect")
    assert np.array_equal(client.compute(got, sync=True), want)
