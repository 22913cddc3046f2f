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

Times are medians of REPEATS calls after one warm-up call (which also
compiles). Usage: peers.py --stn PATH [--repeats N] [--threads N] [--only W1,W3]
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
ap.add_argument("--only", default="W1,W2,W3,W4")
ap.add_argument("--small", action="store_true", help="tiny shapes, to check the script")
ARGS = ap.parse_args()
# Numba reads this at import: the same number of threads as everyone else.
os.environ["NUMBA_NUM_THREADS"] = str(ARGS.threads)

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


# ---- stn -------------------------------------------------------------------

def stn_bench(kernel, shape, dtype):
    cmd = [ARGS.stn, "bench", kernel, "--shape", ",".join(map(str, shape)),
           "--dtype", dtype, "--threads", str(ARGS.threads), "--repeats", str(ARGS.repeats)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    def grab(label):
        m = re.search(rf"^{label}\s+median\s+([0-9.]+) ms", out, re.M)
        return float(m.group(1)) / 1e3 if m else None
    ct = re.search(r"^compile time:\s+([0-9.]+) ms", out, re.M)
    return grab("stn"), grab("copy"), float(ct.group(1)) if ct else None


def stn_run(kernel, x, work):
    src, dst = os.path.join(work, "in.npy"), os.path.join(work, "out.npy")
    np.save(src, x)
    subprocess.run([ARGS.stn, "run", kernel, "-i", src, "-o", dst, "-q",
                    "--threads", str(ARGS.threads)], check=True)
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
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for w in ARGS.only.split(","):
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
    print(f"Medians of {ARGS.repeats} runs after one warm-up, {ARGS.threads} threads.\n")
    print("| workload | implementation | median | / numpy copy | / rayon copy | agrees with stn run |")
    print("|---|---|---|---|---|---|")
    for w, name, t, copy, rcopy, ok in rows:
        r1 = f"{t / copy:.2f}" if t and copy else "—"
        r2 = f"{t / rcopy:.2f}" if t and rcopy else "—"
        print(f"| {w} | {name} | {fmt(t)} | {r1} | {r2} | {ok} |")


if __name__ == "__main__":
    main()
