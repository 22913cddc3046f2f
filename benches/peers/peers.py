#!/usr/bin/env python3
"""Issue 3's workloads W1-W4 on stn and its peers, in one run, on one machine.

Run through run.sh, which makes the venv and builds stn. For every workload:
a numpy copy of the same bytes (input + output), Numba (the seed recipe,
@stencil inside @guvectorize, and a hand-written @njit(parallel=True) prange
loop), scipy.ndimage and OpenCV where they express the kernel, Halide if it
imports, and stn through `stn bench` (its median, and its own rayon copy).

Semantics are stn's default boundary `fill` with cval 0: a point whose 3x3
(3x3x3) neighbourhood leaves the array is 0, as with Numba's @stencil. Peers
that pad instead (scipy, OpenCV, Halide) have their border set to 0 inside the
timed call. Every peer's output is compared with `stn run` on the same input:
`exact` means bit-identical; float peers that sum in another order or in f64
(scipy, OpenCV) are reported with their largest relative difference.

Issue 8's workloads, in a second table: W5, Halide's blur app (uint16
blur_x then blur_y, boundary nearest, a two-stage stn pipeline), and time
steps, W6 (W3's Jacobi, 16 steps) and W4s (W4's heat3d, 8 steps), each
step's output feeding the next. Their floor is a numpy copy of the bytes
per step; stn runs with its auto (fused) schedule and `--schedule stepwise`,
and both are checked against `stn run`.

Times are medians of REPEATS calls after one warm-up call (which also
compiles). Usage: peers.py --stn PATH [--repeats N] [--threads N]
[--only W1,W3,W5,W6,W4s] [--small]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
KERNELS = os.path.join(HERE, "kernels")

ap = argparse.ArgumentParser()
ap.add_argument("--stn", required=True)
ap.add_argument("--repeats", type=int, default=7)
ap.add_argument("--threads", type=int, default=os.cpu_count())
ap.add_argument("--only", default="W1,W2,W3,W4,W5,W6,W4s")
ap.add_argument("--small", action="store_true", help="tiny shapes, to check the script")
ARGS = ap.parse_args()
# Numba reads this at import: the same number of threads as everyone else.
os.environ["NUMBA_NUM_THREADS"] = str(ARGS.threads)
os.environ.setdefault("HL_NUM_THREADS", str(ARGS.threads))

import numpy as np  # noqa: E402


def note(msg):
    print(f"note: {msg}", flush=True)


def optional(name):
    try:
        return __import__(name)
    except Exception as e:  # an import can fail in many ways
        note(f"{name} does not import ({type(e).__name__}: {e}); skipped")
        return None


numba = optional("numba")
ndimage = None
if optional("scipy") is not None:
    from scipy import ndimage
cv2 = optional("cv2")
hl = optional("halide")
if cv2 is not None:
    cv2.setNumThreads(ARGS.threads)

F32 = np.float32


def median_time(fn, inner=1):
    """Median seconds per call over REPEATS samples, after one warm-up call."""
    fn()
    samples = []
    for _ in range(ARGS.repeats):
        t = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t) / inner)
    return statistics.median(samples)


def zero_border(out, axes):
    """Sets the points within 1 of the edge of the last `axes` axes to 0."""
    for a in range(out.ndim - axes, out.ndim):
        idx = [slice(None)] * out.ndim
        idx[a] = 0
        out[tuple(idx)] = 0
        idx[a] = -1
        out[tuple(idx)] = 0


# ---- Numba ---------------------------------------------------------------

def numba_peers(w):
    """{name: fn(x, out)} for workload `w`."""
    if numba is None:
        return {}
    from numba import guvectorize, njit, prange, stencil

    q, c4, c1 = F32(0.25), F32(0.4), F32(0.1)
    if w in ("W1", "W2"):
        @stencil
        def k(a):
            return (a[-1, -1] + a[-1, 0] + a[-1, 1] + a[0, -1] + a[0, 0] + a[0, 1]
                    + a[1, -1] + a[1, 0] + a[1, 1]) // 9

        @njit(parallel=True)
        def hand(x, out):
            n, m = x.shape[-2], x.shape[-1]
            xs = x.reshape((-1, n, m))
            os_ = out.reshape((-1, n, m))
            for f in range(xs.shape[0]):
                for i in prange(1, n - 1):
                    for j in range(1, m - 1):
                        s = (xs[f, i - 1, j - 1] + xs[f, i - 1, j] + xs[f, i - 1, j + 1]
                             + xs[f, i, j - 1] + xs[f, i, j] + xs[f, i, j + 1]
                             + xs[f, i + 1, j - 1] + xs[f, i + 1, j] + xs[f, i + 1, j + 1])
                        os_[f, i, j] = s // 9
                for j in range(m):
                    os_[f, 0, j] = 0
                    os_[f, n - 1, j] = 0
                for i in range(n):
                    os_[f, i, 0] = 0
                    os_[f, i, m - 1] = 0
        ty = "int8" if w == "W1" else "float64"
        core = "(n,m)->(n,m)"
        sig = f"void({ty}[:,:], {ty}[:,:])"
    elif w == "W3":
        @stencil
        def k(a):
            return q * (a[-1, 0] + a[1, 0] + a[0, -1] + a[0, 1])

        @njit(parallel=True)
        def hand(x, out):
            n, m = x.shape
            for i in prange(1, n - 1):
                for j in range(1, m - 1):
                    out[i, j] = q * (x[i - 1, j] + x[i + 1, j] + x[i, j - 1] + x[i, j + 1])
            for j in range(m):
                out[0, j] = 0
                out[n - 1, j] = 0
            for i in range(n):
                out[i, 0] = 0
                out[i, m - 1] = 0
        core, sig = "(n,m)->(n,m)", "void(float32[:,:], float32[:,:])"
    else:
        @stencil
        def k(a):
            return c4 * a[0, 0, 0] + c1 * (a[-1, 0, 0] + a[1, 0, 0] + a[0, -1, 0]
                                          + a[0, 1, 0] + a[0, 0, -1] + a[0, 0, 1])

        @njit(parallel=True)
        def hand(x, out):
            n, m, p = x.shape
            for i in prange(1, n - 1):
                for j in range(1, m - 1):
                    for l in range(1, p - 1):
                        out[i, j, l] = c4 * x[i, j, l] + c1 * (
                            x[i - 1, j, l] + x[i + 1, j, l] + x[i, j - 1, l]
                            + x[i, j + 1, l] + x[i, j, l - 1] + x[i, j, l + 1])
            for i in prange(n):
                for j in range(m):
                    for l in range(p):
                        if i == 0 or i == n - 1 or j == 0 or j == m - 1 or l == 0 or l == p - 1:
                            out[i, j, l] = 0
        core = "(n,m,p)->(n,m,p)"
        sig = "void(float32[:,:,:], float32[:,:,:])"

    @guvectorize([sig], core, target="parallel")
    def seed(x, out):
        out[:] = k(x)

    return {
        "Numba @stencil in @guvectorize (seed recipe)": lambda x, out: seed(x, out),
        "Numba @njit(parallel) prange, hand-written": hand,
    }


# ---- scipy.ndimage and OpenCV ----------------------------------------------

def scipy_peers(w):
    if ndimage is None:
        return {}
    if w in ("W1", "W2"):
        ones = np.ones((3, 3))

        def f(x, out):
            wide = np.int16 if x.dtype == np.int8 else x.dtype
            s = ndimage.correlate(x.astype(wide) if wide != x.dtype else x,
                                  ones[(None,) * (x.ndim - 2)], mode="constant")
            np.floor_divide(s, 9, out=s)
            out[...] = s
            zero_border(out, 2)
        return {"scipy.ndimage.correlate (+ //9 in numpy)": f}
    if w == "W3":
        wts = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], F32) * F32(0.25)
    else:
        wts = np.zeros((3, 3, 3), F32)
        wts[1, 1, 1] = 0.4
        for d in ((0, 1, 1), (2, 1, 1), (1, 0, 1), (1, 2, 1), (1, 1, 0), (1, 1, 2)):
            wts[d] = 0.1

    def g(x, out):
        ndimage.correlate(x, wts, output=out, mode="constant")
        zero_border(out, x.ndim)
    return {"scipy.ndimage.correlate": g}


def opencv_peers(w):
    if cv2 is None or w != "W3":
        return {}
    wts = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], F32) * F32(0.25)

    def f(x, out):
        cv2.filter2D(x, -1, wts, dst=out, borderType=cv2.BORDER_CONSTANT)
        zero_border(out, 2)
    return {"OpenCV filter2D": f}


# ---- Halide ----------------------------------------------------------------

def halide_peers(w):
    """A simple schedule: parallel over the outermost axis, vectorized along
    the innermost (16 lanes for int8, 8 for f32, 4 for f64). The border is
    a select() on the index; the input is clamped so no load leaves it.
    Compiled with strict_float: Halide otherwise reassociates float sums,
    and its results then differ from stn's (and Numba's) by an ulp."""
    if hl is None:
        return {}
    nd = 2 if w in ("W2", "W3") else 3
    ty = {"W1": hl.Int(8), "W2": hl.Float(64), "W3": hl.Float(32), "W4": hl.Float(32)}[w]
    inp = hl.ImageParam(ty, nd, "inp")
    v = [hl.Var(n) for n in "xyz"[:nd]]
    cl = hl.BoundaryConditions.repeat_edge(inp)
    ext = [inp.dim(d).extent() for d in range(nd)]
    # Halide's x is numpy's last axis.
    if w in ("W1", "W2"):
        x, y = v[0], v[1]
        wide = hl.Int(16) if w == "W1" else ty
        s = sum(hl.cast(wide, cl[(x + dx, y + dy) + tuple(v[2:])])
                for dy in (-1, 0, 1) for dx in (-1, 0, 1))
        val = hl.cast(ty, s / 9) if w == "W1" else hl.floor(s / 9.0)
        border = [0, 1]
    elif w == "W3":
        x, y = v
        val = hl.f32(0.25) * (cl[x, y - 1] + cl[x, y + 1] + cl[x - 1, y] + cl[x + 1, y])
        border = [0, 1]
    else:
        x, y, z = v
        val = hl.f32(0.4) * cl[x, y, z] + hl.f32(0.1) * (
            cl[x, y, z - 1] + cl[x, y, z + 1] + cl[x, y - 1, z] + cl[x, y + 1, z]
            + cl[x - 1, y, z] + cl[x + 1, y, z])
        border = [0, 1, 2]
    inside = None
    for d in border:
        c = (v[d] > 0) & (v[d] < ext[d] - 1)
        inside = c if inside is None else inside & c
    f = hl.Func("f")
    f[tuple(v)] = hl.select(inside, val, hl.cast(ty, 0))
    lanes = {"W1": 16, "W2": 4, "W3": 8, "W4": 8}[w]
    f.vectorize(v[0], lanes).parallel(v[-1])
    f.compile_jit(hl.get_jit_target_from_environment().with_feature(hl.TargetFeature.StrictFloat))

    def run(xin, out):
        inp.set(hl.Buffer(xin))
        f.realize(hl.Buffer(out))
    return {f"Halide (parallel outer axis, vectorize x{lanes}, strict_float)": run}


# ---- Issue 8: pipelines (W5) and time steps (W6, W4s) -----------------------

def stepwise(one_step, steps):
    """fn(x, out) applying `one_step(src, dst)` `steps` times, ping-ponging
    through two preallocated buffers; the last step writes `out`."""
    bufs = {}

    def run(x, out):
        if x.shape not in bufs:
            bufs[x.shape] = (np.empty_like(x), np.empty_like(x))
        a, b = bufs[x.shape]
        src = x
        for s in range(steps):
            dst = out if s == steps - 1 else (a if s % 2 == 0 else b)
            one_step(src, dst)
            src = dst
    return run


def copies(n):
    """n numpy copies of the input's bytes, ping-pong (the floor of a run
    that moves the array through memory once per step)."""
    def run(src, dst, tmp):
        a, b = src, dst
        for s in range(n):
            np.copyto(b, a)
            a, b = (b, tmp) if s == 0 else (b, a)
    return run


def blur_numba():
    if numba is None:
        return {}
    from numba import njit, prange

    @njit(inline="always")
    def bx(x, r, jl, j, jr):
        return (x[r, jl] + x[r, j] + x[r, jr]) // 3

    @njit(parallel=True)
    def two_pass(x, tmp, out):
        n, m = x.shape
        for i in prange(n):
            tmp[i, 0] = bx(x, i, 0, 0, min(1, m - 1))
            for j in range(1, m - 1):
                tmp[i, j] = (x[i, j - 1] + x[i, j] + x[i, j + 1]) // 3
            if m > 1:
                tmp[i, m - 1] = bx(x, i, m - 2, m - 1, m - 1)
        for i in prange(n):
            r0, r2 = max(i - 1, 0), min(i + 1, n - 1)
            for j in range(m):
                out[i, j] = (tmp[r0, j] + tmp[i, j] + tmp[r2, j]) // 3

    @njit(parallel=True)
    def fused(x, out):
        n, m = x.shape
        for i in prange(n):
            r0, r2 = max(i - 1, 0), min(i + 1, n - 1)
            j1 = min(1, m - 1)
            out[i, 0] = (bx(x, r0, 0, 0, j1) + bx(x, i, 0, 0, j1) + bx(x, r2, 0, 0, j1)) // 3
            for j in range(1, m - 1):
                out[i, j] = (bx(x, r0, j - 1, j, j + 1) + bx(x, i, j - 1, j, j + 1)
                             + bx(x, r2, j - 1, j, j + 1)) // 3
            if m > 1:
                k = m - 1
                out[i, k] = (bx(x, r0, k - 1, k, k) + bx(x, i, k - 1, k, k)
                             + bx(x, r2, k - 1, k, k)) // 3

    tmps = {}

    def run_two(x, out):
        if x.shape not in tmps:
            tmps[x.shape] = np.empty_like(x)
        two_pass(x, tmps[x.shape], out)
    return {
        "Numba two prange passes (blur_x to a preallocated temporary, then blur_y)": run_two,
        "Numba one prange pass, hand-fused (3 blur_x values per output)": fused,
    }


def blur_halide():
    """Halide's blur app (uint16 in u32 arithmetic, so the sum cannot wrap;
    repeat_edge on the input, which is stn's `nearest` on both stages), with
    several hand schedules, each on fresh Funcs."""
    if hl is None:
        return {}
    tgt = hl.get_jit_target_from_environment()
    V = tgt.natural_vector_size(hl.UInt(16))

    def build(sched):
        inp = hl.ImageParam(hl.UInt(16), 2, "inp")
        cl = hl.BoundaryConditions.repeat_edge(inp)
        x, y, xi, yi, yo = hl.Var("x"), hl.Var("y"), hl.Var("xi"), hl.Var("yi"), hl.Var("yo")
        u32 = lambda e: hl.cast(hl.UInt(32), e)
        bx, by = hl.Func("blur_x"), hl.Func("blur_y")
        bx[x, y] = hl.cast(hl.UInt(16), (u32(cl[x - 1, y]) + u32(cl[x, y]) + u32(cl[x + 1, y])) / 3)
        by[x, y] = hl.cast(hl.UInt(16), (u32(bx[x, y - 1]) + u32(bx[x, y]) + u32(bx[x, y + 1])) / 3)
        if sched == "inline-serial":
            pass  # Halide's default: blur_x inlined, serial loops
        elif sched == "inline":
            by.vectorize(x, V).parallel(y)
        elif sched == "root":
            bx.compute_root().vectorize(x, V).parallel(y)
            by.vectorize(x, V).parallel(y)
        elif sched.startswith("strips"):
            rows = int(sched[6:])
            by.split(y, yo, yi, rows).parallel(yo).vectorize(x, V)
            bx.store_at(by, yo).compute_at(by, yi).vectorize(x, V)
        elif sched == "tile":
            by.tile(x, y, xi, yi, 256, 32).vectorize(xi, V).parallel(y)
            bx.compute_at(by, x).vectorize(x, V)
        by.compile_jit(tgt)

        def run(xin, out):
            inp.set(hl.Buffer(xin))
            by.realize(hl.Buffer(out))
        return run
    names = {
        "inline-serial": "Halide default schedule (blur_x inlined, serial)",
        "inline": f"Halide blur_x inlined, parallel rows, vectorize x{V}",
        "root": f"Halide blur_x compute_root, both parallel rows, vectorize x{V}",
        "strips8": f"Halide strips of 8 rows, blur_x store_at strip, compute_at row (sliding window), x{V} (the app's CPU schedule)",
        "strips32": f"Halide strips of 32 rows, blur_x store_at strip, compute_at row (sliding window), x{V}",
        "tile": f"Halide tile 256x32, blur_x compute_at tile, vectorize x{V}, parallel (the paper's schedule)",
    }
    return {names[k]: build(k) for k in names}


def jacobi_halide_fused(per_pass):
    """`per_pass` Jacobi steps as one Halide Func chain, each step with W3's
    expression and border select (fill 0 on the whole array), with two
    schedules: every step compute_at the output's tile, and strips of rows
    with every step store_at the strip, compute_at the row (sliding window)."""
    if hl is None:
        return {}
    tgt = hl.get_jit_target_from_environment().with_feature(hl.TargetFeature.StrictFloat)
    V = tgt.natural_vector_size(hl.Float(32))

    def build(sched, a, b):
        inp = hl.ImageParam(hl.Float(32), 2, "inp")
        x, y, xi, yi, yo = hl.Var("x"), hl.Var("y"), hl.Var("xi"), hl.Var("yi"), hl.Var("yo")
        inside = ((x > 0) & (x < inp.dim(0).extent() - 1)
                  & (y > 0) & (y < inp.dim(1).extent() - 1))
        prev = hl.BoundaryConditions.repeat_edge(inp)
        fs = []
        for k in range(per_pass):
            f = hl.Func(f"step{k}")
            f[x, y] = hl.select(inside, hl.f32(0.25) * (prev[x, y - 1] + prev[x, y + 1]
                                                        + prev[x - 1, y] + prev[x + 1, y]),
                                hl.f32(0))
            fs.append(f)
            prev = f
        out = fs[-1]
        if sched == "tile":
            out.tile(x, y, xi, yi, a, b).vectorize(xi, V).parallel(y)
            for f in fs[:-1]:
                f.compute_at(out, x).vectorize(x, V)
        else:
            out.split(y, yo, yi, a).parallel(yo).vectorize(x, V)
            for f in fs[:-1]:
                f.store_at(out, yo).compute_at(out, yi).vectorize(x, V)
        out.compile_jit(tgt)

        def run(xin, o):
            inp.set(hl.Buffer(xin))
            out.realize(hl.Buffer(o))
        return run
    return {
        f"Halide {per_pass} steps per pass, tiles 128x128, steps compute_at tile, x{V}, strict_float":
            build("tile", 128, 128),
        f"Halide {per_pass} steps per pass, strips of 128 rows, steps store_at strip / compute_at row, x{V}, strict_float":
            build("strips", 128, 0),
    }


def pipeline_peers(w, steps):
    """{name: fn(x, out)} for an issue 8 workload; `steps` steps per call."""
    peers = {}
    if w == "W5":
        peers.update(blur_numba())
        peers.update(blur_halide())
        return peers
    base = "W3" if w == "W6" else "W4"
    hand = "Numba @njit(parallel) prange, hand-written"
    nb = numba_peers(base)
    if hand in nb:
        peers[f"Numba step by step ({steps} prange passes, ping-pong)"] = stepwise(nb[hand], steps)
    hp = halide_peers(base)
    for name, fn in hp.items():
        peers[f"{name.replace('Halide (', f'Halide step by step ({steps} realizes, ')}"] = stepwise(fn, steps)
    if w == "W6":
        for name, fn in jacobi_halide_fused(8).items():
            peers[name] = stepwise(fn, steps // 8)
    return peers


PIPELINES = {
    # id: (description, kernel file, kernel, shape, small shape, numpy dtype, stn dtype, steps, boundary)
    "W5": ("u16 (4802,6408) Halide's blur: blur_x then blur_y, //3 each, nearest",
           "blur.stn", "blur", (4802, 6408), (101, 301), "uint16", "u16", 1, "nearest"),
    "W6": ("f32 (4096,4096) W3's Jacobi, 16 steps, fill 0",
           "jacobi.stn", None, (4096, 4096), (200, 300), "float32", "f32", 16, None),
    "W4s": ("f32 (256,256,256) W4's 7-point heat3d, 8 steps, fill 0",
            "heat3d.stn", None, (256, 256, 256), (20, 30, 40), "float32", "f32", 8, None),
}


def pipeline_workload(w, rng, work):
    """Rows (workload, name, seconds, floor, rayon floor, agreement) for an
    issue 8 workload. The floor is n numpy copies of the input's bytes for an
    n-step run (one copy for W5: input + output bytes)."""
    desc, kfile, kname, shape, small, npdt, stdt, steps, bnd = PIPELINES[w]
    if ARGS.small:
        shape = small
    kernel = os.path.join(KERNELS, kfile)
    if npdt == "uint16":
        x = rng.integers(0, 1 << 16, shape, dtype=np.uint16)
    else:
        x = rng.uniform(-1, 1, shape).astype(npdt)
    print(f"\n{w}: {desc}" + (f" (small: {shape})" if ARGS.small else ""), flush=True)
    want = stn_run(kernel, x, work, kname, steps, None, bnd)
    step_ref = stn_run(kernel, x, work, kname, steps, "stepwise", bnd)
    auto_t, rcopy, ct = stn_bench(kernel, shape, stdt, kname, steps, "auto", bnd)
    step_t, _, ct2 = stn_bench(kernel, shape, stdt, kname, steps, "stepwise", bnd)
    inner = 100 if x.nbytes < 1 << 20 else 1
    src, dst, tmp = x.copy(), np.empty_like(x), np.empty_like(x)
    n = max(steps, 1)
    cp = copies(n)
    floor = median_time(lambda: cp(src, dst, tmp), inner)
    rfloor = rcopy * n if rcopy else None
    label = "numpy copy of the same bytes (1 thread)" if n == 1 else \
        f"{n} x numpy copy of the same bytes, ping-pong (1 thread)"
    rlabel = f"rayon copy in `stn bench` ({ARGS.threads} threads)" if n == 1 else \
        f"{n} x rayon copy in `stn bench` ({ARGS.threads} threads)"
    rows = [(w, label, floor, floor, rfloor, "—"), (w, rlabel, rfloor, floor, rfloor, "—")]
    try:
        peers = pipeline_peers(w, steps)
    except Exception as e:
        note(f"{w}: peers failed to build ({type(e).__name__}: {e})")
        peers = {}
    for name, fn in peers.items():
        out = np.zeros_like(want)
        try:
            fn(x, out)
            ok = agreement(want, out)
            t = median_time(lambda: fn(x, out), inner)
        except Exception as e:
            note(f"{w}: {name} failed ({type(e).__name__}: {e})")
            continue
        rows.append((w, name, t, floor, rfloor, ok))
        print(f"  {name}: {fmt(t)} ({ok})", flush=True)
    what = "stages fused per tile" if w == "W5" else "steps fused per pass"
    rows.append((w, f"stn bench, auto schedule ({what}; compile {ct} ms)", auto_t, floor, rfloor, "reference"))
    rows.append((w, f"stn bench --schedule stepwise (compile {ct2} ms)", step_t, floor, rfloor,
                 agreement(want, step_ref)))
    print(f"  stn auto: {fmt(auto_t)}, stn stepwise: {fmt(step_t)}", flush=True)
    return rows


def fastest_lines(rows):
    """Per workload: the fastest peer (not a copy, not stn) and stn against it."""
    lines = []
    for w in dict.fromkeys(r[0] for r in rows):
        mine = [r for r in rows if r[0] == w and r[2]]
        peers = [r for r in mine if "copy" not in r[1] and not r[1].startswith("stn")]
        stn = [r for r in mine if r[1].startswith("stn")]
        if not stn:
            continue
        auto = stn[0]
        text = f"- {w}: stn auto {fmt(auto[2])}"
        if len(stn) > 1:
            text += f", stepwise {fmt(stn[1][2])} (stepwise / auto = {stn[1][2] / auto[2]:.2f})"
        if peers:
            best = min(peers, key=lambda r: r[2])
            text += f"; fastest peer: {best[1]}, {fmt(best[2])}: stn auto / it = {auto[2] / best[2]:.2f}"
        hal = [r for r in peers if r[1].startswith("Halide")]
        if hal:
            hb = min(hal, key=lambda r: r[2])
            text += f"; best Halide: {hb[1]}, {fmt(hb[2])}"
        lines.append(text)
    return lines


# ---- stn -------------------------------------------------------------------

def stn_bench(kernel, shape, dtype, name=None, steps=1, schedule=None, boundary=None):
    cmd = [ARGS.stn, "bench", kernel] + ([name] if name else []) + [
           "--shape", ",".join(map(str, shape)),
           "--dtype", dtype, "--threads", str(ARGS.threads), "--repeats", str(ARGS.repeats)]
    cmd += ["--steps", str(steps)] if steps > 1 else []
    cmd += ["--schedule", schedule] if schedule else []
    cmd += ["--boundary", boundary] if boundary else []
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    def grab(label):
        m = re.search(rf"^{label}\s+median\s+([0-9.]+) ms", out, re.M)
        return float(m.group(1)) / 1e3 if m else None
    ct = re.search(r"^compile time:\s+([0-9.]+) ms", out, re.M)
    return grab("stn"), grab("copy"), float(ct.group(1)) if ct else None


def stn_run(kernel, x, work, name=None, steps=1, schedule=None, boundary=None):
    src, dst = os.path.join(work, "in.npy"), os.path.join(work, "out.npy")
    np.save(src, x)
    cmd = [ARGS.stn, "run", kernel] + ([name] if name else []) + [
           "-i", src, "-o", dst, "-q", "--threads", str(ARGS.threads)]
    cmd += ["--steps", str(steps)] if steps > 1 else []
    cmd += ["--schedule", schedule] if schedule else []
    cmd += ["--boundary", boundary] if boundary else []
    subprocess.run(cmd, check=True)
    return np.load(dst)


WORKLOADS = {
    "W1": ("int8 (64,1000,1000) 3x3 sum //9, fill", "smooth.stn", (64, 1000, 1000), "int8", "i8"),
    "W2": ("f64 (100,100) 3x3 sum //9, one call", "smooth.stn", (100, 100), "float64", "f64"),
    "W3": ("f32 (4096,4096) 0.25*(N+S+W+E), fill", "jacobi.stn", (4096, 4096), "float32", "f32"),
    "W4": ("f32 (256,256,256) 0.4*c + 0.1*(6 nbrs), fill", "heat3d.stn", (256, 256, 256), "float32", "f32"),
}


def fmt(t):
    if t is None:
        return "—"
    return f"{t * 1e6:.1f} us" if t < 1e-3 else f"{t * 1e3:.2f} ms"


def agreement(want, got):
    if got.shape != want.shape:
        return f"shape {got.shape}"
    if np.array_equal(got, want):
        return "exact"
    if want.dtype.kind == "f":
        # Relative to the largest value: sums in another order or in f64
        # differ by an ulp or so of the terms, not of the (maybe tiny) sum.
        diff = np.max(np.abs(got.astype(np.float64) - want)) / max(np.max(np.abs(want)), 1e-30)
        if diff < 1e-5:
            return f"close: max diff {diff:.1e} of max value"
    bad = np.count_nonzero(got != want)
    return f"DIFFERS at {bad} points"


def main():
    rng = np.random.default_rng(0)
    rows, prows = [], []
    with tempfile.TemporaryDirectory() as work:
        for w in ARGS.only.split(","):
            if w in PIPELINES:
                prows += pipeline_workload(w, rng, work)
                continue
            desc, kfile, shape, npdt, stdt = WORKLOADS[w]
            if ARGS.small:
                shape = {"W1": (4, 50, 60), "W2": (100, 100), "W3": (200, 300), "W4": (20, 30, 40)}[w]
            kernel = os.path.join(KERNELS, kfile)
            if npdt == "int8":
                x = rng.integers(-128, 128, shape, dtype=np.int8)
            else:
                x = rng.uniform(-1, 1, shape).astype(npdt)
            print(f"\n{w}: {desc}", flush=True)
            want = stn_run(kernel, x, work)
            stn_med, stn_copy, ct = stn_bench(kernel, shape, stdt)
            inner = 100 if x.nbytes < 1 << 20 else 1
            src, dst = x.copy(), np.empty_like(x)
            copy = median_time(lambda: np.copyto(dst, src), inner)
            results = [("numpy copy of the same bytes (1 thread)", copy, "—"),
                       (f"rayon copy in `stn bench` ({ARGS.threads} threads)", stn_copy, "—")]
            peers = {}
            for make in (numba_peers, scipy_peers, opencv_peers, halide_peers):
                try:
                    peers.update(make(w))
                except Exception as e:
                    note(f"{w}: {make.__name__} failed to build ({type(e).__name__}: {e})")
            for name, fn in peers.items():
                out = np.zeros_like(want)
                try:
                    fn(x, out)
                    ok = agreement(want, out)
                    t = median_time(lambda: fn(x, out), inner)
                except Exception as e:
                    note(f"{w}: {name} failed ({type(e).__name__}: {e})")
                    continue
                results.append((name, t, ok))
                print(f"  {name}: {fmt(t)} ({ok})", flush=True)
            results.append((f"stn bench (compile {ct} ms)", stn_med, "reference"))
            for name, t, ok in results:
                rows.append((w, name, t, copy, stn_copy, ok))
    print()
    print(f"Medians of {ARGS.repeats} runs after one warm-up, {ARGS.threads} threads"
          + (" (--small shapes)" if ARGS.small else "") + ".\n")
    if rows:
        print("| workload | implementation | median | / numpy copy | / rayon copy | agrees with stn run |")
        print("|---|---|---|---|---|---|")
        for w, name, t, copy, rcopy, ok in rows:
            r1 = f"{t / copy:.2f}" if t and copy else "—"
            r2 = f"{t / rcopy:.2f}" if t and rcopy else "—"
            print(f"| {w} | {name} | {fmt(t)} | {r1} | {r2} | {ok} |")
        print()
    if prows:
        # Ratios are to n copies for an n-step run (W5: one copy).
        print("| workload | implementation | median | / numpy copy (x steps) | / rayon copy (x steps) "
              "| agrees with stn run |")
        print("|---|---|---|---|---|---|")
        for w, name, t, copy, rcopy, ok in prows:
            r1 = f"{t / copy:.2f}" if t and copy else "—"
            r2 = f"{t / rcopy:.2f}" if t and rcopy else "—"
            print(f"| {w} | {name} | {fmt(t)} | {r1} | {r2} | {ok} |")
        print()
        print("\n".join(fastest_lines(prows)))


if __name__ == "__main__":
    main()
