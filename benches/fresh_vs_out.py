#!/usr/bin/env python3
"""A kernel call that returns a new array, next to the same call with
`out=` into a preallocated one, through stn's Python package.

W1 (smooth.stn, int8 (64, 1000, 1000)), W3 (one Jacobi step, float32
(4096, 4096)) and W5 (blur.stn's two-stage blur, uint16 (4802, 6408),
boundary nearest). The two calls alternate within a round (which goes first
alternates too); every round gives one ratio new / out=, and the table
shows the median times and the median ratio with its spread (the middle
half of the rounds: 25th to 75th percentile). The first round warms up
(compiles) and is dropped. In the first row the new result is dropped at
once (a loop of `y = k(x)`): the next one may reuse its memory. In the
second every new result is kept alive (at most 8 rounds), so each one is
fresh memory that the kernel zeroes on first touch. Beside them, NumPy's
own pair: `x.copy()` into a fresh array against `np.copyto` into a
preallocated one.

Per call it also counts the minor page faults (getrusage) and, once per
workload, how much of a new result is backed by transparent huge pages
(AnonHugePages in /proc/self/smaps, Linux only).

Needs the `stn` package built optimized into the running Python, e.g. as
scripts/python_test.sh builds its venv but without `--profile dev`:

    MATURIN_PEP517_ARGS="--locked" target/python/venv/bin/python -m pip install \
        --no-build-isolation --no-deps --force-reinstall ./python
    target/python/venv/bin/python benches/fresh_vs_out.py [--rounds 15] [--threads 2]
        [--only W1,W3,W5] [--small]
"""
import argparse
import os
import platform
import re
import resource
import statistics
import time

import numpy as np

import stn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERNELS = os.path.join(ROOT, "benches", "peers", "kernels")
JACOBI = "kernel jacobi(x) { 0.25 * (x[-1, 0] + x[1, 0] + x[0, -1] + x[0, 1]) }"

ap = argparse.ArgumentParser()
ap.add_argument("--rounds", type=int, default=15)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--only", default="W1,W3,W5")
ap.add_argument("--small", action="store_true", help="tiny shapes, to check the script")
ARGS = ap.parse_args()


def isa():
    """The host's CPU model and its widest x86 vector extension."""
    flags, model = set(), platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "flags" and not flags:
                    flags = set(value.split())
                elif key.strip() == "model name":
                    model = value.strip()
    except OSError:
        pass
    vec = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    return f"{model}; {vec}; {os.cpu_count()} cores"


def huge_kib(arr):
    """KiB of `arr`'s mappings backed by transparent huge pages, and their
    resident KiB (None off Linux)."""
    lo, hi = arr.ctypes.data, arr.ctypes.data + arr.nbytes
    huge = rss = 0
    inside = False
    try:
        with open("/proc/self/smaps") as f:
            for line in f:
                m = re.match(r"([0-9a-f]+)-([0-9a-f]+) ", line)
                if m:
                    inside = int(m[1], 16) < hi and int(m[2], 16) > lo
                elif inside and line.startswith("AnonHugePages:"):
                    huge += int(line.split()[1])
                elif inside and line.startswith("Rss:"):
                    rss += int(line.split()[1])
    except OSError:
        return None
    return huge, rss


def minflt():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def workloads():
    rng = np.random.default_rng(1)
    t = ARGS.threads
    if "W1" in ARGS.only:
        shape = (4, 100, 120) if ARGS.small else (64, 1000, 1000)
        x = rng.integers(-128, 128, shape, dtype=np.int8)
        k = stn.load(os.path.join(KERNELS, "smooth.stn"))["smooth"]
        yield "W1 smooth.stn", x, lambda out=None: k(x, out=out, threads=t)
    if "W3" in ARGS.only:
        shape = (200, 300) if ARGS.small else (4096, 4096)
        x = rng.uniform(-1, 1, shape).astype(np.float32)
        k = stn.compile(JACOBI)["jacobi"]
        yield "W3 jacobi", x, lambda out=None: k(x, out=out, threads=t)
    if "W5" in ARGS.only:
        shape = (101, 301) if ARGS.small else (4802, 6408)
        x = rng.integers(0, 1 << 16, shape, dtype=np.uint16)
        k = stn.load(os.path.join(KERNELS, "blur.stn"))["blur"]
        yield ("W5 blur.stn blur, nearest", x,
               lambda out=None: k(x, out=out, threads=t, boundary="nearest"))


def paired(new, into, rounds, keep=False):
    """Rounds of (new seconds, out= seconds, new's faults), alternating.
    With `keep`, every new result stays alive to the end, so that none can
    be written into memory a freed one leaves."""
    rows, kept = [], []
    for r in range(rounds + 1):
        got = {}
        for which in (("new", "out") if r % 2 else ("out", "new")):
            f0 = minflt()
            t0 = time.perf_counter()
            res = new() if which == "new" else into()
            got[which] = time.perf_counter() - t0
            got[which + " faults"] = minflt() - f0
            if keep and which == "new":
                kept.append(res)
            del res
        if r:
            rows.append((got["new"], got["out"], got["new faults"]))
    return rows


def line(name, rows, extra=""):
    new = statistics.median(r[0] for r in rows)
    out = statistics.median(r[1] for r in rows)
    ratios = sorted(r[0] / r[1] for r in rows)
    q = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
    faults = statistics.median(r[2] for r in rows)
    print(f"{name:50} {new * 1e3:8.2f} {out * 1e3:8.2f} {q[1]:7.2f}x  "
          f"{q[0]:.2f}-{q[2]:.2f}  {faults:8.0f}  {extra}")


def main():
    print(f"host: {isa()}; threads={ARGS.threads}; {ARGS.rounds} paired rounds; "
          f"THP: {open('/sys/kernel/mm/transparent_hugepage/enabled').read().strip()}"
          if os.path.exists("/sys/kernel/mm/transparent_hugepage/enabled") else "")
    print(f"{'workload':50} {'new ms':>8} {'out= ms':>8} {'new/out':>8}  {'IQR':9}  "
          f"{'faults':>8}  huge/resident KiB of a new result")
    for name, x, call in workloads():
        name = f"{name}: {x.dtype} ({','.join(map(str, x.shape))})"
        out = call()
        assert np.array_equal(call(), out), "a new result differs from the first"
        check = np.empty_like(out)
        call(out=check)
        assert np.array_equal(out, check), "new result and out= result differ"
        hk = huge_kib(out)
        del out
        rows = paired(call, lambda: call(out=check), ARGS.rounds)
        line(name, rows, f"{hk[0]}/{hk[1]}" if hk else "")
        rows = paired(call, lambda: call(out=check), min(ARGS.rounds, 8), keep=True)
        line("  the same, every new result kept alive", rows)
        dst = np.empty_like(x)
        rows = paired(lambda: x.copy(), lambda: np.copyto(dst, x), ARGS.rounds)
        line("  numpy: x.copy() / np.copyto(dst, x)", rows)


if __name__ == "__main__":
    main()
