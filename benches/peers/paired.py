#!/usr/bin/env python3
"""The sliding-window issue's workloads, every subject called in turn.

W1 (int8 3x3 // 9), W5 (Halide's two-stage blur), W6 (Jacobi, 16 steps),
W4s (heat3d, 8 steps) and W7 (the 2-D wave, 50 steps, two fields): a numpy
copy of the same bytes, stn through the Python package (`out=`; the auto
schedule, and tiles and strips forced), and the peers of peers.py and
language.py (Numba, Halide, Devito).

The method, for a noisy host: subjects alternate call by call. A round
calls every subject once, in turn, in an order shuffled per round (a
fixed order made the subject called after the copy slower: in two runs
stn's auto schedule, always right after the copy, took 1.15-1.2x the time
of the same schedule forced and called later); the rounds repeat. Each subject's time
in a round is paired with stn's (auto) in the same round, and the table
gives the median time, and the median of the paired ratios with their
spread (the middle half of the rounds: 25th to 75th percentile). A slow
second of the host falls on a round's neighbours alike, so the ratios hold
where the times do not.

Thread pools: Halide's and Numba's workers spin for a while after a call
and would take cores from the subject called next. Every call is preceded
by a pause (`--pause`, 50 ms), longer than their spin. Devito runs in a
process of its own (its operators set flush-to-zero in the process that
loads them); it stays alive and runs one call per request, so it takes its
turn like the others.

Usage: paired.py --stn PATH [--rounds N] [--threads N] [--pause S]
                 [--only W1,W5,W6,W4s,W7] [--small]
"""
import argparse
import json
import os
import random
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

ap = argparse.ArgumentParser()
ap.add_argument("--stn", required=True)
ap.add_argument("--rounds", type=int, default=15)
ap.add_argument("--threads", type=int, default=os.cpu_count())
ap.add_argument("--pause", type=float, default=0.05)
ap.add_argument("--only", default="W1,W5,W6,W4s,W7")
ap.add_argument("--small", action="store_true", help="tiny shapes, to check the script")
ap.add_argument("--devito-serve", help=argparse.SUPPRESS)
ARGS = ap.parse_args()
os.environ["NUMBA_NUM_THREADS"] = str(ARGS.threads)
os.environ["OMP_NUM_THREADS"] = str(ARGS.threads)

import numpy as np  # noqa: E402

# The peer builders of the other two scripts, with this run's options.
sys.path.insert(0, HERE)
_argv = sys.argv
sys.argv = ["peers.py", "--stn", ARGS.stn, "--threads", str(ARGS.threads)] + \
    (["--small"] if ARGS.small else [])
import peers  # noqa: E402
sys.argv = ["language.py", "--stn", ARGS.stn, "--threads", str(ARGS.threads)] + \
    (["--small"] if ARGS.small else [])
import language  # noqa: E402
sys.argv = _argv


def devito_serve(path):
    """Builds W7's Devito operator on the arrays in `path`, then runs it
    once per line read from stdin, printing each call's seconds; saves u
    after the first call."""
    data = np.load(path)
    u0, up0 = data["u0"], data["up0"]
    u, op = language.devito_operator(data["c2"])
    steps = language.STEPS
    first = True
    for _ in sys.stdin:
        u.data[0, :] = up0
        u.data[1, :] = u0
        start = time.perf_counter()
        op.apply(time_m=1, time_M=steps)
        took = time.perf_counter() - start
        if first:
            np.save(path + ".u.npy", np.array(u.data[(steps + 1) % 3]))
            first = False
        print(json.dumps(took), flush=True)


if ARGS.devito_serve:
    devito_serve(ARGS.devito_serve)
    sys.exit(0)

import stn  # noqa: E402


class Devito:
    """W7 in a Devito process of its own, one call per `__call__`."""

    def __init__(self, work, u0, up0, c2):
        import subprocess
        path = os.path.join(work, "wave.npz")
        np.savez(path, u0=u0, up0=up0, c2=c2)
        self.path = path
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--stn", ARGS.stn, "--threads", str(ARGS.threads),
             "--devito-serve", path] + (["--small"] if ARGS.small else []),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def __call__(self):
        self.proc.stdin.write("run\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the Devito process ended")
        return json.loads(line)

    def result(self):
        return np.load(self.path + ".u.npy")

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def stn_kernel(path, name=None):
    prog = stn.load(path)
    return prog[name] if name else prog[list(prog.kernels)[-1]]


def subjects_w1():
    """int8 (64, 1000, 1000), 3x3 sum // 9, border 0."""
    shape = (4, 100, 120) if ARGS.small else (64, 1000, 1000)
    x = np.random.default_rng(1).integers(-128, 128, shape, dtype=np.int8)
    k = stn_kernel(os.path.join(peers.KERNELS, "smooth.stn"))
    out = np.empty_like(x)
    subj = {"stn": lambda: k(x, out=out, threads=ARGS.threads)}
    for name, fn in {**peers.numba_peers("W1"), **peers.halide_peers("W1")}.items():
        if "hand-written" in name or name.startswith("Halide"):
            o = np.empty_like(x)
            subj[name] = (lambda fn=fn, o=o: fn(x, o))
    return x, subj, 1, lambda: out


def subjects_pipeline(w):
    desc, kfile, kname, shape, small, npdt, _, steps, bnd = peers.PIPELINES[w]
    shape = small if ARGS.small else shape
    rng = np.random.default_rng(2)
    if npdt == "uint16":
        x = rng.integers(0, 1 << 16, shape, dtype=np.uint16)
    else:
        x = rng.uniform(-1, 1, shape).astype(npdt)
    k = stn_kernel(os.path.join(peers.KERNELS, kfile), kname)
    out = np.empty_like(x)
    kw = dict(threads=ARGS.threads, steps=steps, boundary=bnd)
    subj = {"stn": lambda: k(x, out=out, **kw)}
    for sched in ("tiles", "strips"):
        o = np.empty_like(x)
        subj[f"stn, {sched} forced"] = (lambda o=o, s=sched: k(x, out=o, schedule=s, **kw))
    for name, fn in peers.pipeline_peers(w, steps).items():
        o = np.empty_like(x)
        subj[name] = (lambda fn=fn, o=o: fn(x, o))
    return x, subj, max(steps, 1), lambda: out


def subjects_w7(work):
    u0, up0, c2 = language.wave_inputs(language.WAVE_N)
    steps = language.STEPS
    k = stn_kernel(os.path.join(ROOT, "examples", "wave.stn"))
    outs = (np.empty_like(u0), np.empty_like(u0))
    kw = dict(threads=ARGS.threads, steps=steps)
    subj = {"stn": lambda: k(u0, up0, c2, out=outs, **kw)}
    for sched in ("tiles", "strips"):
        o = (np.empty_like(u0), np.empty_like(u0))
        subj[f"stn, {sched} forced"] = (lambda o=o, s=sched: k(u0, up0, c2, out=o, schedule=s, **kw))
    nb = language.numba_wave()
    if nb is not None:
        bufs = [np.empty_like(u0) for _ in range(3)]
        subj["Numba prange, step by step"] = lambda: nb(u0, up0, c2, steps, bufs)
    dev = None
    if language.optional("devito") is not None:
        dev = Devito(work, u0, up0, c2)
        subj["Devito 4.8 (OpenMP), own process"] = dev
    # Two fields: the copy moves both per step.
    both = np.stack([u0, up0])
    return both, subj, steps, lambda: outs[0], dev


def run_rounds(x, subj, copies):
    """Times every subject once per round, in turn, after a pause each;
    the first round warms up (compiles) and is dropped."""
    src, dst, tmp = x.copy(), np.empty_like(x), np.empty_like(x)
    cp = peers.copies(copies)
    calls = {f"numpy copy of the bytes x {copies} (1 thread)" if copies > 1 else
             "numpy copy of the bytes (1 thread)": lambda: cp(src, dst, tmp), **subj}
    times = {name: [] for name in calls}
    names = list(calls)
    order = random.Random(1)
    for r in range(ARGS.rounds + 1):
        # Each round in its own order, so that no subject always follows
        # the same one (the copy leaves the caches full of dirty lines,
        # a peer its threads spinning).
        order.shuffle(names)
        for name in names:
            fn = calls[name]
            time.sleep(ARGS.pause)
            start = time.perf_counter()
            got = fn()
            took = got if isinstance(got, float) else time.perf_counter() - start
            if r > 0:
                times[name].append(took)
    return times


def quartiles(v):
    q = statistics.quantiles(v, n=4, method="inclusive") if len(v) > 1 else [v[0]] * 3
    return q[0], q[1], q[2]


def table(w, desc, times, agree):
    rows = []
    ref = times["stn"]
    for name, ts in times.items():
        ratios = [t / s for t, s in zip(ts, ref)]
        lo, med, hi = quartiles(ratios)
        rows.append((w, desc, name, statistics.median(ts), med, lo, hi, agree.get(name, "—")))
    return rows


def fmt(t):
    return f"{t * 1e3:.2f} ms" if t >= 1e-3 else f"{t * 1e6:.0f} us"


def main():
    import tempfile
    only = ARGS.only.split(",")
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for w in only:
            dev = None
            if w == "W1":
                desc = "int8 (64,1000,1000) 3x3 // 9, border 0"
                x, subj, n, result = subjects_w1()
            elif w in peers.PIPELINES:
                desc = peers.PIPELINES[w][0]
                x, subj, n, result = subjects_pipeline(w)
            elif w == "W7":
                desc = f"f32 ({language.WAVE_N},{language.WAVE_N}) wave, {language.STEPS} steps, 2 fields"
                x, subj, n, result, dev = subjects_w7(work)
            else:
                raise SystemExit(f"unknown workload {w}")
            print(f"\n{w}: {desc}: {len(subj) + 1} subjects, {ARGS.rounds} rounds", flush=True)
            times = run_rounds(x, subj, n)
            want = result()
            agree = {"stn": "reference"}
            if dev is not None:
                agree["Devito 4.8 (OpenMP), own process"] = language.agreement(want, dev.result())
                dev.close()
            rows += table(w, desc, times, agree)
            for r in rows[-len(times):]:
                print(f"  {r[2]}: {fmt(r[3])}, / stn {r[4]:.2f} ({r[5]:.2f}..{r[6]:.2f})", flush=True)
    print(f"\n{ARGS.threads} threads, {ARGS.rounds} rounds, {ARGS.pause * 1e3:.0f} ms pause before each call\n")
    print("| workload | subject | median | / stn (median of paired ratios) | middle half of the ratios |")
    print("|---|---|---|---|---|")
    for w, desc, name, t, med, lo, hi, ok in rows:
        print(f"| {w} | {name} | {fmt(t)} | {med:.2f} | {lo:.2f}..{hi:.2f} |")


if __name__ == "__main__":
    main()
