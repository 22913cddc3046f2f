#!/usr/bin/env python3
"""Wall time of `stn run` on the seed workload next to plain copies.

smooth.stn over an int8 (64, 1000, 1000) .npy (64 MB in, 64 MB out), with 1
and 2 threads, beside `cp` of the same file and a byte-for-byte copy through
user space (`dd bs=4M`, which cannot use reflinks or copy offload). Prints
best-of-N seconds and the ratio to each copy, and the kernel's compile time.
Standard library only. Usage: python3 benches/run_vs_copy.py [REPEATS]
"""
import os
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPEATS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
STN = os.path.join(ROOT, "target", "release", "stn")
KERNEL = os.path.join(ROOT, "examples", "smooth.stn")


def best(cmd):
    times = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as work:
        src = os.path.join(work, "stack.npy")
        hdr = "{'descr': '|i1', 'fortran_order': False, 'shape': (64, 1000, 1000), }"
        hdr += " " * (64 - (10 + len(hdr) + 1) % 64) + "\n"
        with open(src, "wb") as f:
            f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode())
            f.write(os.urandom(64 * 1000 * 1000))
        out = lambda name: os.path.join(work, name)
        rows = [
            ("cp", best(["cp", src, out("cp.npy")])),
            ("dd bs=4M (byte copy)", best(["dd", f"if={src}", f"of={out('dd.npy')}", "bs=4M"])),
        ]
        for threads in (1, 2):
            cmd = [STN, "run", KERNEL, "-i", src, "-o", out(f"t{threads}.npy"), "--threads", str(threads), "-q"]
            rows.append((f"stn run --threads {threads}", best(cmd)))
        with open(out("t1.npy"), "rb") as a, open(out("t2.npy"), "rb") as b:
            assert a.read() == b.read(), "outputs differ between 1 and 2 threads"
        inspect = subprocess.run([STN, "inspect", KERNEL, "--dtype", "i8"], check=True, capture_output=True, text=True)
        compile_ms = [l for l in inspect.stdout.splitlines() if l.startswith("compile time")][0]
    cp, dd = rows[0][1], rows[1][1]
    print(f"smooth.stn on int8 (64, 1000, 1000): 64 MB in, 64 MB out; best of {REPEATS}; {os.cpu_count()} cores")
    print(f"{'':26} {'seconds':>8} {'vs cp':>7} {'vs dd':>7}")
    for name, t in rows:
        print(f"{name:26} {t:8.3f} {t / cp:6.1f}x {t / dd:6.2f}x")
    print(f"{compile_ms} (check + lower + Cranelift, release build)")


if __name__ == "__main__":
    main()
