"""Zarr interop with zarr-python, driven by scripts/zarr_interop.sh.

    zarr_interop.py write DIR   # arrays made by zarr-python, with .npy twins
    zarr_interop.py check DIR   # arrays stn wrote, compared with their .npy twins
"""
import pathlib
import sys

import numcodecs
import numpy as np
import zarr

DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16",
          "uint32", "uint64", "float32", "float64"]


def sample(dtype, shape):
    n = np.arange(1, int(np.prod(shape)) + 1, dtype=np.int64)
    v = (n * 37) % 251 - 100
    if dtype == "bool":
        return (v % 3 == 0).reshape(shape)
    if dtype.startswith("float"):
        v = v * 0.25
    return v.astype(dtype).reshape(shape)


def write(out):
    out.mkdir(parents=True, exist_ok=True)
    made = []
    for dtype in DTYPES:
        a = sample(dtype, (13, 10, 3))
        variants = {
            "v3": dict(zarr_format=3),  # zarr-python's default codecs (zstd)
            "v3gzip": dict(zarr_format=3, compressors=zarr.codecs.GzipCodec(level=5)),
            "v3shard": dict(zarr_format=3, shards=(8, 10, 3)),
            "v2blosc": dict(zarr_format=2, compressors=numcodecs.Blosc(cname="lz4", shuffle=1)),
            "v2zstd": dict(zarr_format=2, compressors=numcodecs.Zstd(level=3)),
            "v2gzip": dict(zarr_format=2, compressors=numcodecs.GZip(level=5)),
            "v2raw": dict(zarr_format=2, compressors=None),
        }
        for tag, kw in variants.items():
            if tag == "v3shard":
                chunks = (4, 5, 3)
            else:
                chunks = (4, 4, 2)
            name = f"{dtype}-{tag}"
            z = zarr.create_array(out / f"{name}.zarr", shape=a.shape, chunks=chunks,
                                  dtype=a.dtype, fill_value=0, overwrite=True, **kw)
            z[...] = a
            np.save(out / f"{name}.npy", a)
            made.append(name)
    # Missing chunks: only the first chunk written, fill value 9.
    for fmt in (2, 3):
        a = np.full((6, 6), 9, dtype="int16")
        a[:3, :3] = sample("int16", (3, 3))
        z = zarr.create_array(out / f"fill-v{fmt}.zarr", shape=(6, 6), chunks=(3, 3),
                              dtype="int16", fill_value=9, zarr_format=fmt, overwrite=True)
        z[:3, :3] = a[:3, :3]
        np.save(out / f"fill-v{fmt}.npy", a)
        made.append(f"fill-v{fmt}")
    print(f"zarr-python {zarr.__version__} wrote {len(made)} arrays")


def check(src):
    names = sorted(p.stem for p in src.glob("*.zarr"))
    bad = 0
    for name in names:
        want = np.load(src / f"{name}.npy")
        got = zarr.open_array(src / f"{name}.zarr", mode="r")
        ok = got.dtype == want.dtype and got.shape == want.shape and np.array_equal(got[...], want)
        if not ok:
            bad += 1
            print(f"MISMATCH {name}: zarr-python read {got.dtype}{got.shape}, expected {want.dtype}{want.shape}")
    print(f"zarr-python {zarr.__version__} read {len(names) - bad}/{len(names)} arrays written by stn")
    return 1 if bad or not names else 0


if __name__ == "__main__":
    cmd, d = sys.argv[1], pathlib.Path(sys.argv[2])
    sys.exit(write(d) if cmd == "write" else check(d))
