"""New result arrays: a large one lies in memory that stn maps itself and
reuses once NumPy frees it (stn's `OutputBuffer`), so a new result must
equal the `out=` result whatever the memory held before, and stay valid
for as long as NumPy holds the array or a view of it."""

import gc

import numpy as np

import stn
from conftest import EXAMPLES, same

JACOBI = stn.compile("kernel jacobi(x) { 0.25 * (x[-1, 0] + x[1, 0] + x[0, -1] + x[0, 1]) }")["jacobi"]
SMOOTH = stn.load(EXAMPLES / "smooth.stn")["smooth"]
WAVE = stn.load(EXAMPLES / "wave.stn")["wave"]
BLUR = stn.compile("kernel blur_x(x) { (x[0, -1] + x[0, 0] + x[0, 1]) // 3 }\n"
                   "kernel blur(x) boundary nearest {\n"
                   "    let b = blur_x(x);\n"
                   "    (b[-1, 0] + b[0, 0] + b[1, 0]) // 3\n"
                   "}\n")["blur"]


def into(k, *xs, **kw):
    out = np.empty(xs[0].shape, xs[0].dtype)
    k(*xs, out=out, **kw)
    return out


def test_large_new_results_equal_out_through_reused_memory():
    rng = np.random.default_rng(0)
    # 16 MiB each (float32 (2048, 2048), int8 (16, 1024, 1024), uint16
    # (2048, 4096)): large enough for stn's own memory, the same size in
    # huge pages, so each result may land where a freed one of another
    # dtype was.
    f = rng.uniform(-1, 1, (2048, 2048)).astype(np.float32)
    i8 = rng.integers(-128, 128, (16, 1024, 1024), dtype=np.int8)
    u16 = rng.integers(0, 1 << 16, (2048, 4096), dtype=np.uint16)
    cases = [(JACOBI, f, {}), (SMOOTH, i8, {}), (BLUR, u16, {"boundary": "nearest"})]
    for round_ in range(3):
        for k, x, kw in cases:
            for threads in (1, 2):
                want = into(k, x, threads=threads, **kw)
                got = k(x, threads=threads, **kw)
                assert same(got, want), (k.name, round_, threads)
                assert got.flags.c_contiguous and got.flags.writeable
                del got


def test_stale_bytes_never_show():
    # A freed result full of 0x7f bytes, then a new one of the same size
    # whose true values are all 0: every byte must be written again.
    x = np.full((4096, 4096), 0x7F, np.int8)
    first = SMOOTH(x[None], threads=2)
    first[...] = 0x7F
    del first
    gc.collect()
    got = SMOOTH(np.zeros((1, 4096, 4096), np.int8), threads=2)
    assert not got.any()


def test_views_keep_a_new_result_alive():
    x = np.random.default_rng(1).uniform(-1, 1, (2048, 2048)).astype(np.float32)
    want = into(JACOBI, x)
    view = JACOBI(x)[100:200, ::3]
    gc.collect()
    # A new result that could take the freed memory, if it had been freed.
    other = JACOBI(x * 2)
    assert same(view, want[100:200, ::3])
    assert same(other, into(JACOBI, x * 2))
    assert not np.shares_memory(view, other)


def test_several_large_outputs_are_distinct():
    rng = np.random.default_rng(2)
    u, up = (rng.uniform(-1, 1, (2048, 2048)).astype(np.float32) for _ in range(2))
    c2 = np.full_like(u, 0.2)
    for _ in range(2):
        a, b = WAVE(u, up, c2, threads=2)
        oa, ob = np.empty_like(u), np.empty_like(u)
        WAVE(u, up, c2, out=(oa, ob), threads=2)
        assert same(a, oa) and same(b, ob)
        assert not np.shares_memory(a, b)
        del a, b
