#!/usr/bin/env python3
"""Where each workload's time goes, by callgrind: instructions per point
and bytes per point from memory, for one steady call of `stn bench`.

For each workload (W1-W8f of BENCHMARKS.md, at the shapes the benchmarks
use unless `--small`), `stn bench --repeats 1 --threads 1`
runs under callgrind with its cache simulation; `--dump-after` writes one
profile per call of the executor, and the last one (a warm call: the
output buffers were written once already) is read. Columns:

- instructions per point (per point and step for time-stepped runs) of the
  whole call, and of the compiled code alone (the entries callgrind finds
  in no object file, `[???]`: the JIT's functions);
- the compiled code's share of the call;
- bytes per point from memory: the simulated last-level cache's read and
  write misses (`--LL`, 32 MiB by default as this host's L3), times 64.
  callgrind does not model write-allocate reads or prefetching, so a copy
  of n bytes shows n read and n written, not more.

One thread, so that every instruction is counted in one place; the
2-thread runs of BENCHMARKS.md divide the same work between two cores.

Usage: profile.py --stn target/release/stn [--only W1,W2,...] [--small]
                  [--ll BYTES]
"""
import argparse
import glob
import math
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
KERNELS = os.path.join(HERE, "peers", "kernels")
# The executor's entry point for one call, as callgrind names it.
ENTRY = "stn::program::run::<impl stn::program::call::Call>::run_with"

# id: (kernel file, kernel or None, dtype, shape, small shape, steps, boundary or None,
#      parameters)
MEDIAN = os.path.join(ROOT, "examples", "median.stn")
WORKLOADS = {
    "W1": ("smooth.stn", None, "i8", (64, 1000, 1000), (4, 100, 120), 1, None, ()),
    "W2": ("smooth.stn", None, "f64", (100, 100), (100, 100), 1, None, ()),
    "W3": ("jacobi.stn", None, "f32", (4096, 4096), (200, 300), 1, None, ()),
    "W4": ("heat3d.stn", None, "f32", (256, 256, 256), (20, 30, 40), 1, None, ()),
    "W4s": ("heat3d.stn", None, "f32", (256, 256, 256), (20, 30, 40), 8, None, ()),
    "W5": ("blur.stn", "blur", "u16", (4802, 6408), (101, 301), 1, "nearest", ()),
    "W6": ("jacobi.stn", None, "f32", (4096, 4096), (200, 300), 16, None, ()),
    "W7": (os.path.join(ROOT, "examples", "wave.stn"), None, "f32", (4096, 4096), (256, 256),
           10, None, ()),
    "W8": (MEDIAN, "median3", "u8", (4802, 6408), (480, 640), 1, None, ()),
    "W8f": (MEDIAN, "median_r", "f32", (2048, 2048), (256, 256), 1, None, ("r=2",)),
}


def annotate(path):
    """(total Ir, Ir of code outside any object file, DLmr + DLmw) of one
    callgrind dump."""
    out = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", path],
                         capture_output=True, text=True, check=True).stdout
    events, total, jit = None, None, 0
    for line in out.splitlines():
        if line.startswith("Events shown:"):
            events = line.split(":", 1)[1].split()
            continue
        if events is None:
            continue
        # Counts (`1,234`, or `.` for none), each but `.` followed by its
        # share (`( 1.60%)`), then the function.
        cols = re.sub(r"\(\s*[\d.]+%\)", " ", line).split()
        vals = []
        for c in cols:
            if re.fullmatch(r"[\d,]+", c):
                vals.append(int(c.replace(",", "")))
            elif c == ".":
                vals.append(0)
            else:
                break
        if len(vals) != len(events):
            continue
        row = dict(zip(events, vals))
        if "PROGRAM TOTALS" in line:
            total = row
        elif line.rstrip().endswith("[???]"):
            jit += row["Ir"]
    misses = total.get("DLmr", 0) + total.get("DLmw", 0)
    return total["Ir"], jit, misses


def bench_command(stn, w, small, repeats, threads):
    """`stn bench` of workload `w`, and the points (times steps) it computes."""
    kfile, kname, dtype, shape, small_shape, steps, bnd, params = WORKLOADS[w]
    shape = small_shape if small else shape
    kernel = kfile if os.path.isabs(kfile) else os.path.join(KERNELS, kfile)
    cmd = [stn, "bench", kernel, "--shape", ",".join(map(str, shape)), "--dtype", dtype,
           "--repeats", str(repeats), "--threads", str(threads)]
    if kname:
        cmd.append(kname)
    if steps > 1:
        cmd += ["--steps", str(steps)]
    if bnd:
        cmd += ["--boundary", bnd]
    for p in params:
        cmd += ["--param", p]
    return cmd, math.prod(shape) * steps


def profile(stn, w, small, ll):
    cmd, points = bench_command(stn, w, small, 1, 1)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cg.out")
        subprocess.run(["valgrind", "--tool=callgrind", "--cache-sim=yes",
                        f"--LL={ll},16,64", f"--callgrind-out-file={out}",
                        "--collect-atstart=no", f"--toggle-collect={ENTRY}",
                        f"--dump-after={ENTRY}", *cmd],
                       capture_output=True, text=True, check=True)
        dumps = sorted(glob.glob(out + ".*"), key=lambda p: int(p.rsplit(".", 1)[1]))
        ir, jit, misses = annotate(dumps[-1])
    return ir / points, jit / points, misses * 64 / points


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stn", required=True)
    ap.add_argument("--only", default=",".join(WORKLOADS))
    ap.add_argument("--small", action="store_true", help="tiny shapes, to check the script")
    ap.add_argument("--ll", type=int, default=32 << 20, help="simulated last-level cache bytes")
    args = ap.parse_args()
    print("| workload | instructions per point | in compiled code | compiled share "
          "| bytes per point from memory |")
    print("|---|---|---|---|---|")
    for w in args.only.split(","):
        per, jit, mem = profile(args.stn, w, args.small, args.ll)
        print(f"| {w} | {per:.2f} | {jit:.2f} | {jit / per:.0%} | {mem:.2f} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
