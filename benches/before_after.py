#!/usr/bin/env python3
"""Two builds of stn side by side: the time of each workload of
`profile.py` (same kernels, shapes, steps and modes) under `stn bench`,
the two binaries called in turn, in an order shuffled per round, so that a
noisy host slows both alike.

Each round runs `stn bench --repeats R` of each binary once and takes its
median; the table gives each binary's median over the rounds and the
ratio new/old per round as a median with its spread (min to max). Use it to
show what a change to the code generator or the executor is worth in time;
`profile.py` gives the instruction counts, which do not depend on the host.

Usage: before_after.py --old PATH --new PATH [--only W1,W3] [--rounds N]
                       [--repeats R] [--threads N]
"""
import argparse
import importlib.util
import os
import random
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def profile_module():
    """`profile.py`: its workload table and `stn bench` command, one
    definition for both scripts."""
    spec = importlib.util.spec_from_file_location("stn_profile", os.path.join(HERE, "profile.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def isa():
    """The vector extensions this host has, as the CPU reports them."""
    with open("/proc/cpuinfo") as f:
        flags = next((ln.split(":", 1)[1].split() for ln in f if ln.startswith("flags")), [])
    have = [x for x in ("avx512f", "avx2", "fma", "avx") if x in flags]
    return "+".join(have) or "no AVX"


def bench(prof, stn, w, repeats, threads):
    cmd, _ = prof.bench_command(stn, w, False, repeats, threads)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    m = re.search(r"^stn\s+median\s+([0-9.]+) ms", out, re.M)
    return float(m.group(1))


def main():
    prof = profile_module()
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", required=True)
    ap.add_argument("--new", required=True)
    ap.add_argument("--only", default=",".join(prof.WORKLOADS))
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    print(f"host: {os.cpu_count()} cores, {isa()}; {args.threads} threads, "
          f"{args.rounds} rounds of `stn bench --repeats {args.repeats}`")
    print("| workload | old (ms) | new (ms) | new / old (median, min..max) |")
    print("|---|---|---|---|")
    for w in args.only.split(","):
        times = {"old": [], "new": []}
        for _ in range(args.rounds):
            order = ["old", "new"]
            random.shuffle(order)
            for which in order:
                stn = args.old if which == "old" else args.new
                times[which].append(bench(prof, stn, w, args.repeats, args.threads))
        ratios = sorted(n / o for n, o in zip(times["new"], times["old"]))
        print(f"| {w} | {statistics.median(times['old']):.4g} | "
              f"{statistics.median(times['new']):.4g} | {statistics.median(ratios):.2f} "
              f"({ratios[0]:.2f}..{ratios[-1]:.2f}) |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
