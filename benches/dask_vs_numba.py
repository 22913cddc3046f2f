"""The seed's Dask pipeline with its Numba kernel and with stn's, on one
scheduler: wall time of the same graph shape over the same chunks.

    python benches/dask_vs_numba.py [--shape 64,1000,1000] [--chunks 4,-1,-1]
                                    [--scheduler cluster|threads] [--workers 2]
                                    [--threads 1] [--repeats 5]

Needs the stn package (pip install ./python, a release build), dask,
distributed and numba. The input, random int8 frames, is made and kept in
the workers' memory first; each timed run then computes the smoothed
frames and keeps them on the workers (`persist`), so that the time is the
kernel plus Dask's scheduling, not shipping 64 MB back to this process.

Numba's pipeline is the seed's recipe (`@stencil` inside `@guvectorize`,
python/tests/seed_numba.py). The seed calls the gufunc on the Dask array
(`smooth(x)`, Dask's `apply_gufunc`); that graph holds Numba's gufunc
object, which does not pickle, and dask.distributed pickles every graph
(even for an in-process cluster), so it runs as written only on Dask's
local threaded scheduler (`--scheduler threads`, `--workers` threads). On
a LocalCluster of worker processes (`--scheduler cluster`, the default:
`--workers` processes of `--threads` threads) the same gufunc runs through
`map_blocks` of a function of an importable module: one task per chunk, as
in `apply_gufunc`. stn's pipeline is `stn_smooth(x)` on both. The results
are checked equal, byte for byte, before any timing.
"""

import argparse
import pathlib
import statistics
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python" / "tests"))  # seed_numba, also for the workers


def timed(persist, make):
    start = time.perf_counter()
    y = persist(make())
    took = time.perf_counter() - start
    del y
    return took


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shape", default="64,1000,1000")
    ap.add_argument("--chunks", default="4,-1,-1")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1, help="threads per worker")
    ap.add_argument("--scheduler", choices=["cluster", "threads"], default="cluster")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    shape = tuple(int(s) for s in args.shape.split(","))
    chunks = tuple(int(s) for s in args.chunks.split(","))

    import dask.array as da
    import distributed

    import seed_numba
    import stn

    stn_smooth = stn.load(ROOT / "examples" / "smooth.stn").smooth
    x = da.random.default_rng(0).integers(-128, 128, shape, dtype=np.int8, chunks=chunks)
    if args.scheduler == "cluster":
        cluster = distributed.LocalCluster(
            n_workers=args.workers, threads_per_worker=args.threads, processes=True,
            host="127.0.0.1", dashboard_address=None)
        client = distributed.Client(cluster)

        def persist(y):
            y = client.persist(y)
            distributed.wait(y)
            return y

        def close():
            client.close()
            cluster.close()

        numba_label = "Numba, seed recipe per chunk (map_blocks)"
        where = f"LocalCluster, {args.workers} worker processes x {args.threads} threads"
    else:
        def persist(y):
            return y.persist(scheduler="threads", num_workers=args.workers)

        def close():
            pass

        numba_label = "Numba, seed recipe as written (smooth(x))"
        where = f"threaded scheduler, {args.workers} threads"
    try:
        x = persist(x)

        if args.scheduler == "cluster":
            def numba_graph():
                return x.map_blocks(seed_numba.smooth_block, dtype=np.int8)
        else:
            def numba_graph():
                return seed_numba.smooth(x)

        def stn_graph():
            return stn_smooth(x)

        # Warm-up (Numba and stn compile on each worker) and the check.
        same = persist((numba_graph() == stn_graph()).all()).compute()
        assert same, "Numba and stn differ"
        for f in (numba_graph, stn_graph):
            timed(persist, f)
        results = {}
        # Alternate, so that both see the same machine state.
        for _ in range(args.repeats):
            for label, f in ((numba_label, numba_graph), ("stn", stn_graph)):
                results.setdefault(label, []).append(timed(persist, f))
        nbytes = np.prod(shape)
        print(f"shape {shape} int8, chunks {chunks} ({x.npartitions} chunks), {where}, "
              f"{args.repeats} runs each")
        for label, ts in results.items():
            print(f"  {label:45s} min {min(ts):.3f} s  median {statistics.median(ts):.3f} s  "
                  f"({nbytes / min(ts) / 1e9:.2f} GB/s)")
    finally:
        close()


if __name__ == "__main__":
    main()
