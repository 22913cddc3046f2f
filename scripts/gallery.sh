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
# rgb_zeros ROWS COLS FILE: an all-zero u8 .npy of shape (ROWS, COLS, 3).
rgb_zeros() {
    local dict="{'descr': '|u1', 'fortran_order': False, 'shape': ($1, $2, 3), }"
    local pad=$((128 - 10 - ${#dict} - 1))
    {
        printf '\x93NUMPY\x01\x00\x76\x00'
        printf '%s%*s\n' "$dict" "$pad" ''
        head -c $(($1 * $2 * 3)) /dev/zero
    } > "$3"
}
rgb_zeros 256 256 "$work/zeros-rgb.npy"

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

# Colour, filtered per channel: a noisy RGB image and its 3x3 median.
stn run examples/gallery/colour.stn -i target/gallery/zeros-rgb.npy -o docs/gallery/colour.png
stn run examples/median.stn median3 -i docs/gallery/colour.png -o docs/gallery/colour-median.png

# Gray-Scott: two state fields seeded from the scene's bright disc, v shown
# after 0, 1000 and 5000 steps.
stn run examples/gallery/spots.stn seed -i docs/gallery/scene.png -o target/gallery/u0.npy -o target/gallery/v0.npy
stn run examples/gallery/spots.stn show -i target/gallery/v0.npy -o docs/gallery/gray-scott-0000.png
for n in 1000 5000; do
    stn run examples/gray_scott.stn -i target/gallery/u0.npy -i target/gallery/v0.npy -o "target/gallery/u-$n.npy" -o "target/gallery/v-$n.npy" --param du=0.2 --param dv=0.1 --param f=0.037 --param k=0.06 --steps "$n"
    stn run examples/gallery/spots.stn show -i "target/gallery/v-$n.npy" -o "docs/gallery/gray-scott-$(printf %04d "$n").png"
done

if [ "$missing" = 1 ]; then
    echo "gallery.sh: README.md's gallery is out of date with this script" >&2
    exit 1
fi
ls -l "$out"
