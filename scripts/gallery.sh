#!/usr/bin/env bash
# Make the README's gallery: docs/gallery/*.png, drawn by stn from a
# synthetic scene (examples/gallery/scene.stn) and processed by the example
# kernels. Builds stn (release) first. Deterministic and re-runnable: every
# image is rewritten, byte for byte the same.
# Intermediate arrays go to target/gallery/ (ignored by git). Each `stn run`
# line is printed as it runs; it must appear verbatim in README.md's gallery.
# Needs only a Rust toolchain and coreutils.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cargo build --release --locked --quiet
bin="${CARGO_TARGET_DIR:-target}/release/stn"
work=target/gallery
out=docs/gallery
mkdir -p "$work" "$out"

missing=0
stn() {
    local line="stn $*"
    echo "$line"
    grep -qF -- "$line" README.md || { echo "gallery.sh: not in README.md: $line" >&2; missing=1; }
    "$bin" "$@" --quiet
}

# zeros ROWS COLS FILE: an all-zero u8 .npy (version 1.0: a 128-byte header,
# then the data).
zeros() {
    local dict="{'descr': '|u1', 'fortran_order': False, 'shape': ($1, $2), }"
    local pad=$((128 - 10 - ${#dict} - 1))
    {
        printf '\x93NUMPY\x01\x00\x76\x00'
        printf '%s%*s\n' "$dict" "$pad" ''
        head -c $(($1 * $2)) /dev/zero
    } > "$3"
}
zeros 256 256 "$work/zeros.npy"

# The scene.
stn run examples/gallery/scene.stn -i target/gallery/zeros.npy -o docs/gallery/scene.png

# Smoothing.
stn run examples/smooth.stn -i docs/gallery/scene.png -o docs/gallery/smooth.png --boundary nearest
stn run examples/gaussian.stn -i docs/gallery/scene.png -o docs/gallery/gaussian.png --steps 4

# Edges, of the scene and of its Gaussian blur.
stn run examples/gallery/edges.stn -i docs/gallery/scene.png -o docs/gallery/edges.png
stn run examples/gallery/edges.stn -i docs/gallery/gaussian.png -o docs/gallery/edges-gaussian.png

# Life: a board from the scene's bright shapes, then generations 0, 30, 300.
stn run examples/gallery/cells.stn board -i docs/gallery/scene.png -o target/gallery/board.npy
stn run examples/gallery/cells.stn show -i target/gallery/board.npy -o docs/gallery/life-000.png
for n in 30 300; do
    stn run examples/life.stn -i target/gallery/board.npy -o "target/gallery/life-$n.npy" --steps "$n"
    stn run examples/gallery/cells.stn show -i "target/gallery/life-$n.npy" -o "docs/gallery/life-$(printf %03d "$n").png"
done

# Heat: the bright shapes at 255, diffusing for 0, 20, 200 and 2000 steps.
stn run examples/gallery/temperature.stn hot -i docs/gallery/scene.png -o target/gallery/hot.npy
stn run examples/gallery/temperature.stn grey -i target/gallery/hot.npy -o docs/gallery/heat-0000.png
for n in 20 200 2000; do
    stn run examples/heat.stn -i target/gallery/hot.npy -o "target/gallery/heat-$n.npy" --param alpha=0.2 --steps "$n"
    stn run examples/gallery/temperature.stn grey -i "target/gallery/heat-$n.npy" -o "docs/gallery/heat-$(printf %04d "$n").png"
done

if [ "$missing" = 1 ]; then
    echo "gallery.sh: README.md's gallery is out of date with this script" >&2
    exit 1
fi
ls -l "$out"
