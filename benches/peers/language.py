#!/usr/bin/env python3
"""The language issue's workloads on stn and its peers, in one run.

- W7: the 2-D acoustic wave equation (examples/wave.stn), f32 (4096, 4096),
  50 steps, two state fields (u, u_prev) and a velocity model, zero
  outside. Numba: an @njit(parallel=True) prange step, called 50 times,
  swapping buffers (the expression in stn's order, so bit-identical).
  Devito 4.8: the same equation as a Devito Operator (OpenMP), in a process
  of its own: Devito sets flush-to-zero when its operators load, which would
  change what runs after it in this process. stn: `stn bench --steps 50`
  (fused time steps).
- W8: 3x3 median, u8 (4802, 6408), `nearest`: scipy.ndimage.median_filter,
  OpenCV medianBlur (BORDER_REPLICATE), stn (examples/median.stn median3).
- W8f: 5x5 median, f32 (2048, 2048), `nearest`: the same peers; stn runs
  median_r with r = 2.

Subjects alternate round by round (each round times every subject once,
in turn), so that a slow minute of a noisy host falls on all of them; the
table gives each subject's median over the rounds, and its ratio to stn in
the same round, as a median with its spread (min to max). Agreement: every
peer's output is compared with `stn run` on the same input (bit-identical,
or the largest relative difference).

Usage: language.py --stn PATH [--rounds N] [--threads N] [--only W7,W8,W8f] [--small]
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EXAMPLES = os.path.join(ROOT, "examples")

ap = argparse.ArgumentParser()
ap.add_argument("--stn")
ap.add_argument("--rounds", type=int, default=5)
ap.add_argument("--threads", type=int, default=os.cpu_count())
ap.add_argument("--only", default="W7,W8,W8f")
ap.add_argument("--small", action="store_true", help="tiny shapes, to check the script")
ap.add_argument("--devito-worker", help=argparse.SUPPRESS)
ARGS = ap.parse_args()
os.environ["NUMBA_NUM_THREADS"] = str(ARGS.threads)
os.environ["OMP_NUM_THREADS"] = str(ARGS.threads)

import numpy as np  # noqa: E402

STEPS = 5 if ARGS.small else 50
WAVE_N = 256 if ARGS.small else 4096


def wave_inputs(n):
    """A Gaussian pulse at rest and a velocity model with c2 in [0.1, 0.3)."""
    rng = np.random.default_rng(7)
    i, j = np.mgrid[0:n, 0:n]
    u0 = np.exp(-((i - n / 3) ** 2 + (j - n / 2) ** 2) / (n / 16) ** 2).astype(np.float32)
    c2 = (0.1 + 0.2 * rng.random((n, n))).astype(np.float32)
    return u0, u0.copy(), c2


# ---- Devito, in its own process ---------------------------------------------

def devito_operator(c2v):
    """W7 as a Devito Operator (OpenMP) on the grid of the velocity model
    `c2v`: the field `u` (time index 0 is t - 1 at t = 1) and the operator.
    Call it only in a process of its own (Devito sets flush-to-zero)."""
    import devito
    from devito import Eq, Function, Grid, Operator, TimeFunction

    devito.configuration["log-level"] = "ERROR"
    devito.configuration["language"] = "openmp"
    n = c2v.shape[0]
    grid = Grid(shape=(n, n), extent=(n - 1.0, n - 1.0), dtype=np.float32)
    u = TimeFunction(name="u", grid=grid, time_order=2, space_order=2)
    c2 = Function(name="c2", grid=grid, space_order=0)
    c2.data[:] = c2v
    # The same stencil (unit spacing); Devito orders the sums its own way.
    eq = Eq(u.forward, 2.0 * u - u.backward + c2 * (u.dx2 + u.dy2))
    return u, Operator([eq])


def devito_worker(path):
    """Runs W7 in Devito on the arrays in `path` (an .npz), `rounds` times;
    prints the times as JSON and saves u after the steps."""
    data = np.load(path)
    u0, up0 = data["u0"], data["up0"]
    u, op = devito_operator(data["c2"])
    times = []
    for _ in range(int(os.environ.get("ROUNDS", "1")) + 1):
        u.data[0, :] = up0  # time index 0 is t - 1 at t = 1
        u.data[1, :] = u0
        start = time.perf_counter()
        op.apply(time_m=1, time_M=STEPS)
        times.append(time.perf_counter() - start)
    out = np.array(u.data[(STEPS + 1) % 3])
    np.save(path + ".u.npy", out)
    print(json.dumps(times[1:]))


def devito_times(work, u0, up0, c2, rounds):
    path = os.path.join(work, "wave.npz")
    np.savez(path, u0=u0, up0=up0, c2=c2)
    env = dict(os.environ, ROUNDS=str(rounds))
    r = subprocess.run([sys.executable, __file__, "--devito-worker", path]
                       + (["--small"] if ARGS.small else []),
                       capture_output=True, text=True, env=env)
    if r.returncode != 0:
        note(f"Devito failed: {r.stderr.strip().splitlines()[-1] if r.stderr else r.returncode}")
        return None, None
    return json.loads(r.stdout.strip().splitlines()[-1]), np.load(path + ".u.npy")


# ---- helpers ----------------------------------------------------------------

def note(msg):
    print(f"note: {msg}", flush=True)


def optional(name):
    try:
        return __import__(name)
    except Exception as e:  # noqa: BLE001 - any import failure skips the peer
        note(f"{name} unavailable ({type(e).__name__}: {e})")
        return None


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def stn_bench(args):
    cmd = [ARGS.stn, "bench", *args, "--threads", str(ARGS.threads), "--repeats", "3"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    m = re.search(r"^stn\s+median\s+([0-9.]+) ms", out, re.M)
    return float(m.group(1)) / 1e3


def stn_run(args, inputs, outputs, work):
    paths = []
    for k, x in enumerate(inputs):
        p = os.path.join(work, f"in{k}.npy")
        np.save(p, x)
        paths += ["-i", p]
    outs = []
    for k in range(outputs):
        outs += ["-o", os.path.join(work, f"out{k}.npy")]
    subprocess.run([ARGS.stn, "run", *args, *paths, *outs, "-q", "--threads", str(ARGS.threads)],
                   check=True)
    return [np.load(os.path.join(work, f"out{k}.npy")) for k in range(outputs)]


def agreement(want, got):
    if got is None:
        return "—"
    if got.shape != want.shape:
        return f"shape {got.shape}"
    if np.array_equal(want, got, equal_nan=want.dtype.kind == "f"):
        return "exact"
    # Normwise: the largest difference over the largest value (a pointwise
    # ratio explodes where the field crosses zero).
    w, g = want.astype(np.float64), got.astype(np.float64)
    rel = np.max(np.abs(w - g)) / max(np.max(np.abs(w)), 1e-300)
    return f"max diff / max {rel:.1e}"


def table(name, desc, times, agree):
    """Rows for one workload: per subject, its median over the rounds and
    its ratio to stn's time in the same rounds."""
    rows = []
    stn_t = times["stn"]
    for subject, ts in times.items():
        ts = [t for t in ts if t is not None]
        if not ts:
            continue
        ratios = [t / s for t, s in zip(times[subject], stn_t) if t is not None]
        rows.append((name, desc, subject, statistics.median(ts), statistics.median(ratios),
                     min(ratios), max(ratios), agree.get(subject, "—")))
    return rows


# ---- W7 ---------------------------------------------------------------------

def numba_wave():
    numba = optional("numba")
    if numba is None:
        return None
    from numba import njit, prange

    @njit(parallel=True, fastmath=False)
    def step(u, up, c2, out):
        n, m = u.shape
        for i in prange(n):
            for j in range(m):
                c = u[i, j]
                nn = u[i - 1, j] if i > 0 else np.float32(0)
                s = u[i + 1, j] if i + 1 < n else np.float32(0)
                w = u[i, j - 1] if j > 0 else np.float32(0)
                e = u[i, j + 1] if j + 1 < m else np.float32(0)
                lap = nn + s + w + e - np.float32(4.0) * c
                out[i, j] = np.float32(2.0) * c - up[i, j] + c2[i, j] * lap

    def run(u0, up0, c2, steps, bufs):
        a, b, c = bufs
        a[...] = u0
        b[...] = up0
        for _ in range(steps):
            step(a, b, c2, c)
            a, b, c = c, a, b
        return a, b

    return run


def w7(work):
    desc = f"f32 ({WAVE_N},{WAVE_N}) wave, {STEPS} steps, 2 fields, zero outside"
    u0, up0, c2 = wave_inputs(WAVE_N)
    want_u, want_up = stn_run([os.path.join(EXAMPLES, "wave.stn"), "--steps", str(STEPS)],
                              [u0, up0, c2], 2, work)
    times = {"stn --steps fused": [], "Numba prange, step by step": [], "Devito 4.8 (OpenMP)": []}
    agree = {"stn --steps fused": "exact"}
    numba = numba_wave()
    bufs = [np.empty_like(u0) for _ in range(3)]
    if numba is not None:
        u, up = numba(u0, up0, c2, STEPS, bufs)  # compiles
        agree["Numba prange, step by step"] = agreement(want_u, u)
    dev_times, dev_u = devito_times(work, u0, up0, c2, ARGS.rounds)
    if dev_u is not None:
        agree["Devito 4.8 (OpenMP)"] = agreement(want_u, dev_u)
    for r in range(ARGS.rounds):
        times["stn --steps fused"].append(stn_bench(
            [os.path.join(EXAMPLES, "wave.stn"), "--shape", f"{WAVE_N},{WAVE_N}", "--dtype", "f32",
             "--steps", str(STEPS)]))
        times["Numba prange, step by step"].append(
            timed(lambda: numba(u0, up0, c2, STEPS, bufs)) if numba else None)
        times["Devito 4.8 (OpenMP)"].append(dev_times[r] if dev_times else None)
    times["stn"] = times.pop("stn --steps fused")
    agree["stn"] = agree.pop("stn --steps fused")
    return table("W7", desc, times, agree)


# ---- W8 ---------------------------------------------------------------------

def w8(work, name, shape, dtype, size):
    rng = np.random.default_rng(3)
    if dtype == "uint8":
        x = rng.integers(0, 256, shape, dtype=np.uint8)
        args = [os.path.join(EXAMPLES, "median.stn"), "median3"]
        bench = args + ["--shape", ",".join(map(str, shape)), "--dtype", "u8"]
    else:
        x = (rng.standard_normal(shape) * 100).astype(np.float32)
        args = [os.path.join(EXAMPLES, "median.stn"), "median_r", "--param", f"r={size // 2}"]
        bench = args + ["--shape", ",".join(map(str, shape)), "--dtype", "f32"]
    desc = f"{dtype} {shape} {size}x{size} median, nearest"
    (want,) = stn_run(args, [x], 1, work)
    ndi = optional("scipy.ndimage") and __import__("scipy.ndimage", fromlist=["x"])
    cv2 = optional("cv2")
    if cv2 is not None:
        cv2.setNumThreads(ARGS.threads)
    times = {"stn": [], "scipy median_filter": [], "OpenCV medianBlur": []}
    agree = {"stn": "exact"}
    if ndi is not None:
        agree["scipy median_filter"] = agreement(want, ndi.median_filter(x, size, mode="nearest"))
    if cv2 is not None:
        agree["OpenCV medianBlur"] = agreement(want, cv2.medianBlur(x, size))
    # scipy takes seconds per call: a round times it once in three.
    for r in range(ARGS.rounds):
        times["stn"].append(stn_bench(bench))
        times["scipy median_filter"].append(
            timed(lambda: ndi.median_filter(x, size, mode="nearest"))
            if ndi is not None and (r % 3 == 0 or ARGS.small) else None)
        if cv2 is not None:
            cv2.medianBlur(x, size)
            times["OpenCV medianBlur"].append(
                statistics.median(timed(lambda: cv2.medianBlur(x, size)) for _ in range(5)))
        else:
            times["OpenCV medianBlur"].append(None)
    return table(name, desc, times, agree)


def fmt(t):
    return f"{t * 1e3:.2f} ms" if t < 1 else f"{t:.2f} s"


def main():
    if ARGS.devito_worker:
        devito_worker(ARGS.devito_worker)
        return
    if not ARGS.stn:
        sys.exit("--stn PATH is needed")
    only = set(ARGS.only.split(","))
    rows = []
    with tempfile.TemporaryDirectory() as work:
        if "W7" in only:
            rows += w7(work)
        if "W8" in only:
            rows += w8(work, "W8", (480, 640) if ARGS.small else (4802, 6408), "uint8", 3)
        if "W8f" in only:
            rows += w8(work, "W8f", (256, 256) if ARGS.small else (2048, 2048), "float32", 5)
    print(f"\n{ARGS.rounds} alternating rounds, {ARGS.threads} threads; ratio = subject / stn "
          "in the same round (median, min..max)\n")
    print("| workload | implementation | median | / stn | spread | agrees with stn run |")
    print("|---|---|---|---|---|---|")
    for name, desc, subject, t, ratio, lo, hi, agree in rows:
        print(f"| {name}: {desc} | {subject} | {fmt(t)} | {ratio:.2f} | {lo:.2f}..{hi:.2f} | {agree} |")


if __name__ == "__main__":
    main()
