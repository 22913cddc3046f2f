"""Writes examples/data/stack.npy: 8 frames of 128x128 int8 noise over a ramp.

Uses only the standard library (the .npy header is written by hand), so the
bundled example needs nothing installed. Deterministic: seeded.
"""
import random
import struct
from pathlib import Path

random.seed(7)
hdr = "{'descr': '|i1', 'fortran_order': False, 'shape': (8, 128, 128), }"
hdr += " " * (64 - (10 + len(hdr) + 1) % 64) + "\n"
data = bytearray()
for f in range(8):
    for i in range(128):
        for j in range(128):
            v = ((i * 3 + j * 5 + f * 11) % 64) - 32 + random.randint(-60, 60)
            data.append(v & 0xFF)
out = Path(__file__).with_name("stack.npy")
out.write_bytes(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode() + bytes(data))
