//! The bad-input matrix of `docs/errors.md`: every row is something a user
//! can do wrong, run through the `stn` binary, and checked for one clear
//! message and exit code 2 (usage) or 1, with no panic, no backtrace, no output file and
//! no input changed. The rows here and the ids in `docs/errors.md` must be
//! the same set (`the_docs_list_every_row`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use ndarray::{ArrayD, IxDyn};
use ndarray_npy::WriteNpyExt;
use stn::Error;

/// One thing a user can do wrong.
struct Row {
    /// The id `docs/errors.md` cites.
    id: &'static str,
    /// Files to create in the row's folder (a name ending in `/` is a
    /// folder); names may contain `/`.
    files: Vec<(String, Vec<u8>)>,
    /// The command line after `stn`, split on spaces. `{d}` is the row's
    /// folder, `{ex}` the examples folder, `{ro}` a folder no file can be
    /// created in.
    args: String,
    /// Texts stderr must contain (same placeholders).
    expect: Vec<String>,
    /// Texts stderr must not contain (Rust debug output, say).
    reject: Vec<&'static str>,
    /// A kernel error: stderr has a caret line under the source.
    caret: bool,
    /// The output path the command names, when it is outside the row's
    /// folder (inside it, the folder's snapshot covers it).
    out: Option<&'static str>,
}

/// The rows outside `option-` whose error is a usage error (exit 2): a
/// kernel name the file lacks, and inputs that do not fit the kernel
/// (their count, shapes, axes, channels or dtypes).
const USAGE: [&str; 11] = [
    "kernel-no-such-kernel",
    "kernel-several-unnamed",
    "data-axes-out-of-core",
    "data-broadcast",
    "data-channels-3d-kernel",
    "data-core-shape",
    "data-input-count",
    "data-steps-dtype",
    "data-steps-field-dtype",
    "data-steps-fields",
    "data-too-few-axes",
];

/// 2 for a usage error (every option row and `USAGE`), 1 for the rest.
fn exit_code(id: &str) -> i32 {
    if id.starts_with("option-") || USAGE.contains(&id) {
        2
    } else {
        1
    }
}

fn row(id: &'static str, args: &str, expect: &[&str]) -> Row {
    Row {
        id,
        files: Vec::new(),
        args: args.to_string(),
        expect: expect.iter().map(|s| s.to_string()).collect(),
        reject: Vec::new(),
        caret: false,
        out: None,
    }
}

impl Row {
    /// Adds a file, or replaces the one of that name.
    fn file(mut self, name: &str, bytes: impl Into<Vec<u8>>) -> Row {
        self.files.retain(|(n, _)| n != name);
        self.files.push((name.to_string(), bytes.into()));
        self
    }
    fn dir(self, name: &str) -> Row {
        self.file(&format!("{name}/"), Vec::new())
    }
    fn caret(mut self) -> Row {
        self.caret = true;
        self
    }
    fn reject(mut self, text: &'static str) -> Row {
        self.reject.push(text);
        self
    }
    /// Also expects `text` in the message.
    fn expect(mut self, text: &str) -> Row {
        self.expect.push(text.to_string());
        self
    }
    fn replace_args(mut self, args: &str) -> Row {
        self.args = args.to_string();
        self
    }
    fn out(mut self, path: &'static str) -> Row {
        self.out = Some(path);
        self
    }
}

/// A kernel-text error: `src` in `k.stn` run on a 4x5 i16 array; the
/// message and `k.stn:LINE:COL` with a caret.
fn kernel(id: &'static str, src: &str, message: &str, at: &str) -> Row {
    let mut r = row(
        id,
        "run {d}/k.stn -i {d}/x.npy -o {d}/y.npy",
        &[message, &format!("k.stn:{at}")],
    )
    .file("k.stn", src)
    .file("x.npy", npy::<i16>(&[4, 5]))
    .caret();
    r.expect.retain(|e| !e.is_empty());
    r
}

/// An option error on `examples/heat.stn` (one f64 parameter `alpha`) and
/// a 4x5 f64 array.
fn heat(id: &'static str, options: &str, expect: &[&str]) -> Row {
    row(
        id,
        &format!("run {{ex}}/heat.stn -i {{d}}/u.npy -o {{d}}/v.npy {options}"),
        expect,
    )
    .file("u.npy", npy::<f64>(&[4, 5]))
}

/// A `.npy` file of `shape` holding 0, 1, 2, ...
fn npy<T: ndarray_npy::WritableElement + From<u8>>(shape: &[usize]) -> Vec<u8> {
    let n: usize = shape.iter().product();
    let a = ArrayD::from_shape_vec(
        IxDyn(shape),
        (0..n).map(|i| T::from((i % 100) as u8)).collect(),
    )
    .unwrap();
    let mut out = Vec::new();
    a.write_npy(&mut out).unwrap();
    out
}

/// A `.npy` header for `descr` and `shape` followed by `data`.
fn raw_npy(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
    let h = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    let h = format!("{h}{}\n", " ".repeat(64 - (10 + h.len() + 1) % 64));
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(h.len() as u16).to_le_bytes());
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(data);
    out
}

/// An 8-bit RGB PNG of `w` x `h` pixels.
fn png_rgb(w: u32, h: u32) -> Vec<u8> {
    use image::ImageEncoder;
    let mut out = Vec::new();
    let pixels: Vec<u8> = (0..w * h * 3).map(|i| (i * 7) as u8).collect();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(&pixels, w, h, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

/// A grey 8-bit PNG of `w` x `h` pixels.
fn png(w: u32, h: u32) -> Vec<u8> {
    use image::ImageEncoder;
    let mut out = Vec::new();
    let pixels: Vec<u8> = (0..w * h).map(|i| (i * 7) as u8).collect();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(&pixels, w, h, image::ExtendedColorType::L8)
        .unwrap();
    out
}

/// `zarr.json` of a v3 u8 array of `shape` in chunks of `chunk`, fill value
/// 7, with `codecs` (a JSON list).
fn zarr_json(shape: &str, chunk: &str, codecs: &str) -> String {
    format!(
        r#"{{"zarr_format": 3, "node_type": "array", "shape": {shape}, "data_type": "uint8",
  "chunk_grid": {{"name": "regular", "configuration": {{"chunk_shape": {chunk}}}}},
  "chunk_key_encoding": {{"name": "default", "configuration": {{"separator": "/"}}}},
  "fill_value": 7, "codecs": {codecs}}}"#
    )
}

const RAW: &str = r#"[{"name": "bytes", "configuration": {"endian": "little"}}]"#;
const ZSTD: &str = r#"[{"name": "bytes", "configuration": {"endian": "little"}},
  {"name": "zstd", "configuration": {"level": 3, "checksum": false}}]"#;

const RUN_X: &str = "run {d}/k.stn -i {d}/x.npy -o {d}/y.npy";
const ID: &str = "kernel id(x) { x[0, 0] }\n";

fn rows() -> Vec<Row> {
    let x = || npy::<i16>(&[4, 5]);
    let mut crc = png(5, 4);
    let at = crc.len() - 20;
    crc[at] ^= 0xff;
    let two = "kernel a(x) { x[0, 0] }\nkernel b(x) { x[0, 1] }\n";
    let pu8 = "kernel k(x, n: u8) { x[0, 0] + n }\n";
    vec![
        // ---- kernel errors
        kernel(
            "kernel-syntax",
            "kernel k(x) {\n  x[0, 0] + + }\n",
            "expected an expression; found `+`",
            "2:13",
        ),
        kernel(
            "kernel-unknown-name",
            "kernel k(x) {\n  x[0, 0] + y\n}\n",
            "unknown name `y`",
            "2:13",
        ),
        kernel(
            "kernel-unknown-array",
            "kernel k(x) {\n  y[0, 0]\n}\n",
            "unknown array `y`",
            "2:3",
        ),
        kernel(
            "kernel-access-arity",
            "kernel k(x) {\n  x[0, 0] + x[1]\n}\n",
            "`x` is read with 1 offset here, but the kernel has 2 core axes",
            "2:13",
        ),
        kernel(
            "kernel-offset-not-constant",
            "kernel k(x) {\n  x[x[0, 0], 0]\n}\n",
            "an offset must be a compile-time constant",
            "2:5",
        ),
        kernel(
            "kernel-no-access",
            "kernel k(x) { index(0) }\n",
            "kernel `k` never reads an array with offsets",
            "1:8",
        ),
        kernel(
            "kernel-unknown-dtype",
            "kernel k(x) -> f16 { x[0, 0] }\n",
            "unknown dtype `f16`",
            "1:16",
        ),
        kernel(
            "kernel-unknown-cast",
            "kernel k(x) {\n  f16(x[0, 0])\n}\n",
            "unknown dtype `f16` in a cast",
            "2:3",
        ),
        kernel(
            "kernel-unknown-boundary",
            "kernel k(x) boundary bounce { x[0, 0] }\n",
            "unknown boundary mode `bounce`",
            "1:22",
        ),
        kernel(
            "kernel-reduction-too-large",
            "kernel k(x) {\n  sum(i in -5000..=5000, j in -5000..=5000) { x[i, j] }\n}\n",
            "this reduction is too large: more than 262144 points",
            "2:3",
        ),
        kernel(
            "kernel-footprint-too-large",
            "kernel k(x) { x[100000, 0] }\n",
            "this access reads too far",
            "1:15",
        ),
        kernel(
            "kernel-table-index",
            "const K = [1, 2];\nkernel k(x) {\n  x[0, 0] * K[2]\n}\n",
            "out of range for axis 0 of table `K`",
            "3:15",
        ),
        kernel(
            "kernel-source-too-large",
            &format!("kernel k(x) {{ x[0, 0]{} }}\n", " + 1".repeat(300_000)),
            "kernel files are limited to 1048576 bytes",
            "1:1",
        ),
        kernel(
            "kernel-too-deep",
            &format!("kernel k(x) {{ {}x[0, 0]{} }}\n", "(".repeat(2000), ")".repeat(2000)),
            "this expression nests too deeply: more than 512 levels",
            "1:",
        ),
        kernel(
            "kernel-duplicate",
            "kernel k(x) { x[0, 0] }\nkernel k(x) { x[0, 1] }\n",
            "`k` is defined twice",
            "2:8",
        ),
        kernel(
            "kernel-type-and",
            "kernel k(x) {\n  x[0, 0] and 1\n}\n",
            "`and` takes bool operands, found i16 and i64",
            "2:3",
        ),
        row(
            "kernel-no-such-kernel",
            "run {d}/k.stn c -i {d}/x.npy -o {d}/y.npy",
            &["no kernel named `c`; the file defines `a`, `b`"],
        )
        .file("k.stn", two)
        .file("x.npy", x()),
        row(
            "kernel-several-unnamed",
            RUN_X,
            &["the file defines several kernels (`a`, `b`): name one"],
        )
        .file("k.stn", two)
        .file("x.npy", x()),
        row(
            "kernel-check",
            "check {d}/k.stn",
            &["`and` takes bool operands", "k.stn:1:15"],
        )
        .file("k.stn", "kernel k(x) { x[0, 0] and 1 }\n")
        .caret(),
        kernel(
            "kernel-stage-outputs",
            "kernel g(x) { (x[0, 0], x[0, 1]) }\nkernel k(x) {\n    let a = g(x);\n    a[0, 0]\n}\n",
            "kernel `g` has 2 outputs: name each of them",
            "3:5",
        )
        .replace_args("run {d}/k.stn k -i {d}/x.npy -o {d}/y.npy"),
        kernel(
            "kernel-tuple-let",
            "kernel k(x) {\n    let (a, b) = x[0, 0];\n    a\n}\n",
            "`let (a, b) = ...` names the outputs of a stage",
            "2:18",
        ),
        kernel(
            "kernel-tuple-misplaced",
            "kernel k(x) { (x[0, 0], 1) + 1 }\n",
            "a tuple is only allowed as a kernel's value",
            "1:15",
        ),
        kernel(
            "kernel-output-count",
            "kernel k(x) -> (u8, u8) { x[0, 0] }\n",
            "`->` declares 2 outputs, but kernel `k` has one output",
            "1:16",
        ),
        kernel(
            "kernel-too-many-outputs",
            &format!("kernel k(x) {{ ({}) }}\n", ["x[0, 0]"; 9].join(", ")),
            "kernel `k` has 9 outputs; at most 8",
            "1:15",
        ),
        kernel(
            "kernel-reduction-arguments",
            "kernel k(x) { median(1, i in -1..=1) { x[i, 0] } }\n",
            "`median` takes only ranges, found 1 other argument",
            "1:15",
        ),
        kernel(
            "kernel-rank-index-range",
            "kernel k(x) { rank(9, i in -1..=1) { x[i, 0] } }\n",
            "`rank` index 9 is out of range for 3 terms",
            "1:20",
        ),
        kernel(
            "kernel-rank-index-constant",
            "kernel k(x) { rank(x[0, 0], i in -1..=1) { x[i, 0] } }\n",
            "the index of `rank` must be a compile-time constant",
            "1:20",
        ),
        kernel(
            "kernel-radius-too-large",
            "kernel k(x, r: i64) { sum(i in -r..=r, j in -r..=r) { x[i, j] } }\n",
            "this reduction is too large: more than 262144 points",
            "1:23",
        )
        .replace_args("run {d}/k.stn -i {d}/x.npy -o {d}/y.npy --param r=1000"),
        kernel(
            "kernel-several-errors",
            "kernel a(x) {\n    let s = x[0] +* x[1];\n    s\n}\n\nkernel b(x) {\n    let t = (x[0] + x[1];\n    t\n}\n\nkernel c(x) { totl }\n",
            "expected an expression; found `*`",
            "2:19",
        )
        .expect("k.stn:7:25")
        .expect("this `(` is not closed")
        .replace_args("check {d}/k.stn"),
        kernel(
            "kernel-unclosed",
            "kernel k(x) {\n    min(x[0], (x[1] + 1)\n}\n",
            "expected one of `)`, `,`",
            "3:1",
        )
        .expect("this `(` is not closed")
        .expect("k.stn:2:8"),
        kernel(
            "kernel-missing-semicolon",
            "kernel k(x) {\n    let a = x[0]\n    a + 1\n}\n",
            "missing `;`",
            "2:16",
        ),
        kernel(
            "kernel-assign-in-condition",
            "kernel k(x) {\n    if x[0] = 0 { 1 } else { 2 }\n}\n",
            "did you mean `==`?",
            "2:13",
        ),
        kernel(
            "kernel-did-you-mean",
            "kernel k(x) {\n    let total = x[0] + x[1];\n    totl\n}\n",
            "unknown name `totl`",
            "3:5",
        )
        .expect("did you mean `total`?"),
        kernel(
            "kernel-bool-only",
            "kernel k(x) { x[0] and x[1] }\n",
            "`and` takes bool operands",
            "1:15",
        )
        .expect("for input dtypes f64, f32, i64")
        .replace_args("check {d}/k.stn"),
        // ---- option errors
        row(
            "option-message-format",
            "check --message-format xml {d}/k.stn",
            &["invalid value 'xml' for '--message-format"],
        )
        .file("k.stn", "kernel k(x) { x[0] }\n"),
        heat(
            "option-boundary",
            "--param alpha=0.1 --boundary bounce",
            &["unknown boundary mode `bounce`; modes are fill, constant, nearest"],
        ),
        heat(
            "option-cval",
            "--param alpha=0.1 --cval abc",
            &["--cval `abc` is not a number"],
        ),
        heat(
            "option-param-missing",
            "",
            &["missing parameter `alpha` (f64) of kernel `heat`: pass --param alpha=VALUE"],
        ),
        heat(
            "option-param-unknown",
            "--param alpha=0.1 --param beta=2",
            &["kernel `heat` has no parameter `beta` (it has alpha: f64)"],
        ),
        heat(
            "option-param-repeated",
            "--param alpha=0.1 --param alpha=0.2",
            &["parameter `alpha` is given twice"],
        ),
        heat(
            "option-param-malformed",
            "--param alpha",
            &["--param `alpha` must look like NAME=VALUE"],
        ),
        heat(
            "option-param-not-a-number",
            "--param alpha=fast",
            &["bad value for parameter `alpha`"],
        ),
        row(
            "option-param-out-of-range",
            "run {d}/k.stn -i {d}/x.npy -o {d}/y.npy --param n=300",
            &["bad value for parameter `n` (u8): out of range"],
        )
        .file("k.stn", pu8)
        .file("x.npy", x()),
        row(
            "option-param-f32-range",
            "run {d}/k.stn -i {d}/x.npy -o {d}/y.npy --param a=1e40",
            &["bad value for parameter `a` (f32): out of range for f32"],
        )
        .file("k.stn", "kernel k(x, a: f32) { x[0, 0] * a }\n")
        .file("x.npy", x()),
        row(
            "option-cval-out-of-range",
            "run {d}/k.stn -i {d}/x.npy -o {d}/y.npy --cval 70000",
            &["--cval 70000 is out of range for i16 (-32768 to 32767): under `fill` it is written as i16"],
        )
        .file("k.stn", "kernel k(x) { x[0, 1] }\n")
        .file("x.npy", x()),
        row(
            "option-cval-not-an-integer",
            "run {d}/k.stn -i {d}/x.npy -o {d}/y.npy --boundary constant --cval nan",
            &["--cval NaN is not an integer, which i16 needs: under `constant` it is written as i16"],
        )
        .file("k.stn", "kernel k(x) { x[0, 1] }\n")
        .file("x.npy", x()),
        row(
            "option-param-not-an-integer",
            "run {d}/k.stn -i {d}/x.npy -o {d}/y.npy --param n=1.5",
            &["bad value for parameter `n` (u8): expected an integer"],
        )
        .file("k.stn", pu8)
        .file("x.npy", x()),
        heat(
            "option-threads-zero",
            "--param alpha=0.1 --threads 0",
            &["--threads must be at least 1"],
        ),
        heat(
            "option-steps-zero",
            "--param alpha=0.1 --steps 0",
            &["--steps must be at least 1"],
        ),
        heat(
            "option-steps-not-a-number",
            "--param alpha=0.1 --steps many",
            &["invalid value 'many' for '--steps <STEPS>'"],
        ),
        heat(
            "option-memory",
            "--param alpha=0.1 --memory lots",
            &["--memory `lots` is not a size; give bytes with an optional K, M, G or T"],
        ),
        heat(
            "option-resume-not-zarr",
            "--param alpha=0.1 --resume",
            &["--resume continues an interrupted Zarr output; `{d}/v.npy` is not a Zarr array"],
        ),
        heat(
            "option-unknown",
            "--param alpha=0.1 --frobnicate",
            &["unexpected argument '--frobnicate' found"],
        ),
        row(
            "option-output-format",
            "run {ex}/smooth.stn -i {d}/x.npy -o {d}/y.xyz",
            &["`{d}/y.xyz`: unsupported format; stn reads and writes .npy"],
        )
        .file("x.npy", x()),
        row(
            "option-check-dtype",
            "check {ex}/smooth.stn --dtype f17",
            &["unknown dtype `f17`; dtypes are bool, i8"],
        ),
        row(
            "option-axes-count",
            "run {ex}/smooth.stn -i {d}/x.npy -o {d}/y.npy --axes -1",
            &["--axes names 1 axis, but the kernel has 2 core axes"],
        )
        .file("x.npy", x()),
        row(
            "option-axes-range",
            "run {ex}/smooth.stn -i {d}/x.npy -o {d}/y.npy --axes 0,5",
            &["--axes 0,5 does not fit input 0, which has 2 axes: axis 5 is out of range"],
        )
        .file("x.npy", x()),
        row(
            "option-axes-twice",
            "run {ex}/smooth.stn -i {d}/x.npy -o {d}/y.npy --axes 0,0",
            &["--axes 0,0 does not fit input 0, which has 2 axes: axis 0 is named twice"],
        )
        .file("x.npy", x()),
        row(
            "option-axes-malformed",
            "run {ex}/smooth.stn -i {d}/x.npy -o {d}/y.npy --axes a,b",
            &["--axes `a,b` must be axis numbers separated by commas, e.g. -3,-2"],
        )
        .file("x.npy", x()),
        row(
            "option-output-count",
            "run {d}/k.stn -i {d}/x.npy -o {d}/y.npy",
            &["kernel `k` has 2 outputs: give one -o per output, in order (1 was given)"],
        )
        .file("k.stn", "kernel k(x) { (x[0, 1], x[0, 0]) }\n")
        .file("x.npy", x()),
        row(
            "option-output-repeated",
            "run {d}/k.stn -i {d}/x.npy -o {d}/y.npy -o {d}/y.npy",
            &["-o `{d}/y.npy` is given twice"],
        )
        .file("k.stn", "kernel k(x) { (x[0, 1], x[0, 0]) }\n")
        .file("x.npy", x()),
        row(
            "option-output-is-input",
            "run {ex}/smooth.stn -i {d}/x.npy -o {d}/./x.npy",
            &[
                "output `{d}/./x.npy` would replace input `{d}/x.npy`",
                "stn never writes its inputs; give the output another path",
            ],
        )
        .file("x.npy", x()),
        // ---- data errors
        kernel(
            "data-dtype-op",
            "kernel k(x) { x[0, 0] & 1 }\n",
            "`&` takes integers or bools, found f64 and i64",
            "1:15",
        )
        .file("x.npy", npy::<f64>(&[4, 5])),
        row(
            "data-dtype-unsupported",
            "run {ex}/smooth.stn -i {d}/x.npy -o {d}/y.npy",
            &["cannot read `{d}/x.npy`: unsupported dtype '<c16'; stn reads bool"],
        )
        .file("x.npy", raw_npy("<c16", "(2, 2)", &[0; 64])),
        row(
            "data-big-endian",
            "run {ex}/smooth.stn -i {d}/x.npy -o {d}/y.npy",
            &["cannot read `{d}/x.npy`: big-endian data is not supported"],
        )
        .file("x.npy", raw_npy(">i2", "(4, 5)", &[0; 40])),
        row(
            "data-core-shape",
            "run {d}/k.stn -i {d}/a.npy -i {d}/b.npy -o {d}/y.npy",
            &["the core axes of the inputs differ: input 1 has [4, 5], input 2 has [4, 6]"],
        )
        .file("k.stn", "kernel add(a, b) { a[0, 0] + b[0, 0] }\n")
        .file("a.npy", npy::<u8>(&[4, 5]))
        .file("b.npy", npy::<u8>(&[4, 6])),
        row(
            "data-broadcast",
            "run {d}/k.stn -i {d}/a.npy -i {d}/b.npy -o {d}/y.npy",
            &["do not broadcast"],
        )
        .file("k.stn", "kernel add(a, b) { a[0, 0] + b[0, 0] }\n")
        .file("a.npy", npy::<u8>(&[2, 3, 4]))
        .file("b.npy", npy::<u8>(&[3, 3, 4])),
        row(
            "data-input-count",
            "run {d}/k.stn -i {d}/a.npy -o {d}/y.npy",
            &["kernel `add` takes 2 array inputs (a, b), but 1"],
        )
        .file("k.stn", "kernel add(a, b) { a[0, 0] + b[0, 0] }\n")
        .file("a.npy", npy::<u8>(&[4, 5])),
        row(
            "data-too-few-axes",
            "run {ex}/smooth.stn -i {d}/x.npy -o {d}/y.npy",
            &["input 1 has shape [5], but the kernel needs at least 2 axes"],
        )
        .file("x.npy", npy::<i16>(&[5])),
        row(
            "data-png-f64",
            "run {ex}/smooth.stn -i {d}/x.npy -o {d}/y.png",
            &["cannot write f64 to `{d}/y.png`: PNG holds u8 or u16"],
        )
        .file("x.npy", npy::<f64>(&[4, 5])),
        row(
            "data-tiff-f64",
            "run {ex}/smooth.stn -i {d}/x.npy -o {d}/y.tif",
            &["cannot write f64 to `{d}/y.tif`: TIFF holds u8, u16 or f32"],
        )
        .file("x.npy", npy::<f64>(&[4, 5])),
        row(
            "data-pattern-2d",
            "run {ex}/smooth.stn -i {d}/x.npy -o {d}/{}.png",
            &["a `{}` pattern writes one image per index of axis 0, so it needs an array of at least 3 dimensions"],
        )
        .file("x.npy", npy::<u8>(&[4, 5])),
        row(
            "data-steps-dtype",
            "run {d}/k.stn -i {d}/x.npy -o {d}/y.npy --steps 2",
            &["--steps needs a kernel whose first array input has the output's dtype and shape; `k` maps i16 to f32"],
        )
        .file("k.stn", "kernel k(x) -> f32 { x[0, 0] }\n")
        .file("x.npy", x()),
        row(
            "data-frames-differ",
            "run {ex}/smooth.stn -i {d}/f/*.png -o {d}/y.npy",
            &["all frames must have the same shape and dtype"],
        )
        .file("f/0.png", png(5, 4))
        .file("f/1.png", png(6, 4)),
        row(
            "data-steps-fields",
            "run {d}/k.stn -i {d}/x.npy -o {d}/y.npy -o {d}/z.npy --steps 2",
            &["--steps feeds a kernel's 2 outputs back as its first 2 array inputs, but `k` has 1 array input"],
        )
        .file("k.stn", "kernel k(x) { (x[0, 1], x[0, 0]) }\n")
        .file("x.npy", x()),
        row(
            "data-steps-field-dtype",
            "run {d}/k.stn -i {d}/x.npy -i {d}/f.npy -o {d}/y.npy -o {d}/z.npy --steps 2",
            &["--steps feeds output 1 of `k` back as input `v`, but the output is i16 [4, 5] and the input f32 [4, 5]"],
        )
        .file("k.stn", "kernel k(u, v) { (u[0, 1], v[0, 0]) }\n")
        .file("x.npy", x())
        .file("f.npy", npy::<f32>(&[4, 5])),
        row(
            "data-channels-3d-kernel",
            "run {d}/k.stn -i {d}/rgb.png -o {d}/y.npy",
            &["`{d}/rgb.png` is an image with colour channels (its last axis), and kernel `k` has 3 core axes: name them with --axes, e.g. --axes -4,-3,-2"],
        )
        .file("k.stn", "kernel k(x) { x[0, 0, 1] }\n")
        .file("rgb.png", png_rgb(5, 4)),
        row(
            "data-axes-out-of-core",
            "run {ex}/smooth.stn -i {d}/x.npy -o {d}/y.npy --axes 1,0 --memory 1K",
            &["axis 0 is core axis 1 of it: out-of-core runs cut slabs along core axis 0 or a loop axis"],
        )
        .file("x.npy", npy::<i16>(&[40, 50])),
        // ---- I/O errors
        row(
            "io-input-missing",
            "run {ex}/smooth.stn -i {d}/nothing.npy -o {d}/y.npy",
            &["cannot read `{d}/nothing.npy`: No such file or directory"],
        ),
        row(
            "io-npy-truncated",
            "run {ex}/smooth.stn -i {d}/x.npy -o {d}/y.npy",
            &["cannot read `{d}/x.npy`: the file is truncated (100 bytes of data missing)"],
        )
        .file("x.npy", {
            let mut v = npy::<f64>(&[8, 8]);
            v.truncate(v.len() - 100);
            v
        }),
        row(
            "io-npy-garbage",
            "run {ex}/smooth.stn -i {d}/x.npy -o {d}/y.npy",
            &["cannot read `{d}/x.npy`: not a valid .npy file"],
        )
        .file("x.npy", "this is not an npy file"),
        row(
            "io-npy-huge-shape",
            "run {ex}/smooth.stn -i {d}/x.npy -o {d}/y.npy",
            &["cannot read `{d}/x.npy`: not a valid .npy file (overflow computing length from shape)"],
        )
        .file("x.npy", raw_npy("<i2", "(100000000000, 100000000000)", &[])),
        row(
            "io-png-corrupt",
            "run {ex}/smooth.stn -i {d}/x.png -o {d}/y.npy",
            &["cannot read `{d}/x.png`: not a valid PNG file (CRC error", "`IDAT` chunk"],
        )
        .file("x.png", crc)
        .reject("ChunkType")
        .reject("Format error decoding"),
        row(
            "io-png-not-png",
            "run {ex}/smooth.stn -i {d}/x.png -o {d}/y.npy",
            &["cannot read `{d}/x.png`: not a valid PNG file (Invalid PNG signature)"],
        )
        .file("x.png", "hello")
        .reject("Format error decoding"),
        row(
            "io-png-truncated",
            "run {ex}/smooth.stn -i {d}/x.png -o {d}/y.npy",
            &["cannot read `{d}/x.png`: the file is truncated"],
        )
        .file("x.png", png(5, 4)[..40].to_vec()),
        row(
            "io-glob-no-match",
            "run {ex}/smooth.stn -i {d}/frames/*.png -o {d}/y.npy",
            &["cannot read `{d}/frames/*.png`: no files match"],
        ),
        row(
            "io-zarr-metadata",
            "run {d}/k.stn -i {d}/x.zarr -o {d}/y.npy",
            &["cannot read `{d}/x.zarr`: invalid Zarr metadata (error parsing metadata for zarr.json"],
        )
        .file("k.stn", ID)
        .file("x.zarr/zarr.json", r#"{"zarr_format": 3, "node_type": "array", "shape": [4"#),
        row(
            "io-zarr-not-an-array",
            "run {d}/k.stn -i {d}/x.zarr -o {d}/y.npy",
            &["cannot read `{d}/x.zarr`: not a Zarr array (no `zarr.json` or `.zarray` in the directory)"],
        )
        .file("k.stn", ID)
        .dir("x.zarr"),
        row(
            "io-zarr-chunk-corrupt",
            "run {d}/k.stn -i {d}/x.zarr -o {d}/y.npy",
            &["cannot read `{d}/x.zarr`: a chunk is corrupt: it does not decode with the array's codecs"],
        )
        .file("k.stn", ID)
        .file("x.zarr/zarr.json", zarr_json("[4, 5]", "[4, 5]", ZSTD))
        .file("x.zarr/c/0/0", "garbage"),
        row(
            "io-zarr-chunk-short",
            "run {d}/k.stn -i {d}/x.zarr -o {d}/y.npy",
            &["cannot read `{d}/x.zarr`: a chunk is corrupt"],
        )
        .file("k.stn", ID)
        .file("x.zarr/zarr.json", zarr_json("[4, 5]", "[4, 5]", RAW))
        .file("x.zarr/c/0/0", vec![1u8; 13]),
        row(
            "io-kernel-missing",
            "run {d}/nothing.stn -i {d}/x.npy -o {d}/y.npy",
            &["cannot read `{d}/nothing.stn`: No such file or directory"],
        )
        .file("x.npy", x()),
        row(
            "io-kernel-not-utf8",
            RUN_X,
            &["cannot read `{d}/k.stn`: the file is not UTF-8 text"],
        )
        .file("k.stn", b"kernel k(x) { x[0, 0] } \xff\xfe\n".to_vec())
        .file("x.npy", x()),
        row(
            "io-kernel-is-a-folder",
            RUN_X,
            &["cannot read `{d}/k.stn`: Is a directory"],
        )
        .dir("k.stn")
        .file("x.npy", x()),
        row(
            "io-output-no-folder",
            "run {ex}/smooth.stn -i {d}/x.npy -o {d}/nowhere/y.npy",
            &["cannot write `{d}/nowhere/y.npy`: no folder `{d}/nowhere`"],
        )
        .file("x.npy", x()),
        row(
            "io-output-pattern-no-folder",
            "run {ex}/smooth.stn -i {d}/x.npy -o {d}/nowhere/{}.png",
            &["cannot write `{d}/nowhere/{}.png`: no folder `{d}/nowhere`"],
        )
        .file("x.npy", npy::<u8>(&[2, 4, 5])),
        row(
            "io-output-is-a-folder",
            "run {ex}/smooth.stn -i {d}/x.npy -o {d}/y.npy",
            &["cannot write `{d}/y.npy`: it is a directory"],
        )
        .file("x.npy", x())
        .dir("y.npy"),
        row(
            "io-output-unwritable",
            "run {ex}/smooth.stn -i {d}/x.npy -o {ro}/y.npy",
            &["cannot write `{ro}/y.npy`: cannot create a file in `{ro}`"],
        )
        .file("x.npy", x())
        .out("{ro}/y.npy"),
        row(
            "io-output-unwritable-zarr",
            "run {ex}/smooth.stn -i {d}/x.npy -o {ro}/y.zarr",
            &["cannot write `{ro}/y.zarr`"],
        )
        .file("x.npy", x())
        .out("{ro}/y.zarr"),
    ]
}

/// Every file and folder under `dir`, with the files' bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            let rel = path.strip_prefix(dir).unwrap().to_path_buf();
            if path.is_dir() {
                out.insert(rel, None);
                todo.push(path);
            } else {
                out.insert(rel, Some(std::fs::read(&path).unwrap()));
            }
        }
    }
    out
}

/// A folder in which no file can be created: a read-only one, or, where
/// permissions do not stop this user (root), `/sys`.
fn unwritable(parent: &Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    let ro = parent.join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    if std::fs::File::create(ro.join("probe")).is_err() {
        return ro.display().to_string();
    }
    std::fs::remove_file(ro.join("probe")).unwrap();
    assert!(
        Path::new("/sys").is_dir(),
        "this user can write a read-only folder and there is no /sys to use instead"
    );
    "/sys".to_string()
}

/// Runs one row; `Err` says what was wrong.
fn check(r: &Row) -> Result<(), String> {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("d");
    std::fs::create_dir(&d).unwrap();
    let ro = if r.args.contains("{ro}") {
        unwritable(tmp.path())
    } else {
        String::new()
    };
    let ex = format!("{}/examples", env!("CARGO_MANIFEST_DIR"));
    let fill = |s: &str| {
        s.replace("{d}", &d.display().to_string())
            .replace("{ex}", &ex)
            .replace("{ro}", &ro)
    };
    for (name, bytes) in &r.files {
        let path = d.join(name);
        if name.ends_with('/') {
            std::fs::create_dir_all(&path).unwrap();
        } else {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, bytes).unwrap();
        }
    }
    let before = snapshot(&d);
    let args: Vec<String> = r.args.split_whitespace().map(fill).collect();
    let o = Command::new(env!("CARGO_BIN_EXE_stn"))
        .args(&args)
        // A panic must not print a backtrace even when one is asked for.
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("the stn binary runs");
    let err = String::from_utf8_lossy(&o.stderr);
    let mut wrong = Vec::new();
    let code = exit_code(r.id);
    if o.status.code() != Some(code) {
        wrong.push(format!("exit status {:?}, not {code}", o.status.code()));
    }
    if !o.stdout.is_empty() {
        wrong.push(format!("stdout: {}", String::from_utf8_lossy(&o.stdout)));
    }
    if !err.starts_with("error: ") {
        wrong.push("stderr does not start with `error: `".into());
    }
    for e in &r.expect {
        if !err.contains(&fill(e)) {
            wrong.push(format!("no {:?}", fill(e)));
        }
    }
    for bad in [
        "panicked",
        "backtrace",
        "RUST_BACKTRACE",
        "this is a bug in stn",
    ]
    .iter()
    .chain(&r.reject)
    {
        if err.to_lowercase().contains(&bad.to_lowercase()) {
            wrong.push(format!("stderr contains {bad:?}"));
        }
    }
    if err.len() > 4096 {
        wrong.push(format!("stderr is {} bytes long", err.len()));
    }
    if r.caret
        && !err
            .lines()
            .any(|l| l.trim_start().starts_with('|') && l.contains('^'))
    {
        wrong.push("no caret line".into());
    }
    let after = snapshot(&d);
    if after != before {
        let changed: Vec<_> = before
            .keys()
            .chain(after.keys())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter(|k| before.get(*k) != after.get(*k))
            .collect();
        wrong.push(format!("files added, changed or removed: {changed:?}"));
    }
    if let Some(out) = r.out
        && Path::new(&fill(out)).symlink_metadata().is_ok()
    {
        wrong.push(format!("`{}` exists", fill(out)));
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "stn {}\n  {}\n--- stderr:\n{}",
            args.join(" "),
            wrong.join("\n  "),
            err.chars().take(2000).collect::<String>()
        ))
    }
}

#[test]
fn every_bad_input_is_one_message_and_exit_code_1() {
    let rows = rows();
    let failures: Vec<String> = rows
        .iter()
        .filter_map(|r| check(r).err().map(|e| format!("[{}] {e}", r.id)))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n\n")
    );
}

#[test]
fn row_ids_are_unique_and_categorised() {
    let mut seen = BTreeSet::new();
    for r in rows() {
        assert!(seen.insert(r.id), "`{}` twice", r.id);
        assert!(
            ["kernel-", "option-", "data-", "io-"]
                .iter()
                .any(|p| r.id.starts_with(p)),
            "`{}` has no category prefix",
            r.id
        );
    }
}

/// The ids `docs/errors.md` cites in the last column of its tables.
fn documented_ids() -> BTreeSet<String> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/errors.md"))
        .expect("docs/errors.md");
    doc.lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("|---"))
        .filter_map(|l| {
            let last = l.trim_end().trim_end_matches('|').rsplit('|').next()?;
            let id = last.trim().strip_prefix('`')?.strip_suffix('`')?;
            Some(id.to_string())
        })
        .collect()
}

#[test]
fn the_docs_list_every_row() {
    let tested: BTreeSet<String> = rows().iter().map(|r| r.id.to_string()).collect();
    let documented = documented_ids();
    let undocumented: Vec<_> = tested.difference(&documented).collect();
    let untested: Vec<_> = documented.difference(&tested).collect();
    assert!(
        undocumented.is_empty() && untested.is_empty(),
        "rows missing from docs/errors.md: {undocumented:?}; ids in docs/errors.md with no row: {untested:?}"
    );
}

/// Zarr says a chunk that is not stored reads as the fill value: not an
/// error (the one "missing file" that is not one).
#[test]
fn a_missing_zarr_chunk_reads_as_the_fill_value() {
    let d = tempfile::tempdir().unwrap();
    let z = d.path().join("x.zarr");
    std::fs::create_dir_all(z.join("c/0")).unwrap();
    std::fs::write(z.join("zarr.json"), zarr_json("[4, 5]", "[2, 5]", RAW)).unwrap();
    // Rows 0 and 1 are stored; rows 2 and 3 (chunk c/1/0) are not.
    std::fs::write(z.join("c/0/0"), (0u8..10).collect::<Vec<_>>()).unwrap();
    std::fs::write(d.path().join("k.stn"), ID).unwrap();
    let y = d.path().join("y.npy");
    let o = Command::new(env!("CARGO_BIN_EXE_stn"))
        .arg("run")
        .arg(d.path().join("k.stn"))
        .arg("-i")
        .arg(&z)
        .arg("-o")
        .arg(&y)
        .arg("-q")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let got: ArrayD<u8> = ndarray_npy::read_npy(&y).unwrap();
    let want = ArrayD::from_shape_fn(IxDyn(&[4, 5]), |ix| {
        if ix[0] < 2 {
            (ix[0] * 5 + ix[1]) as u8
        } else {
            7
        }
    });
    assert_eq!(got, want);
}

#[test]
fn an_internal_error_says_it_is_a_bug_and_how_to_report_it() {
    // The library's messages have no `error: ` prefix: the runner adds it.
    let text = Error::Internal("code generation failed: x".into()).to_string();
    assert!(
        text.starts_with("internal error: code generation failed: x"),
        "{text}"
    );
    assert!(text.contains("this is a bug in stn"), "{text}");
    assert!(
        text.contains("please report it with the kernel file, the command line"),
        "{text}"
    );
    assert!(!text.contains('\n'), "one line: {text}");
    // User errors and runtime failures do not say so.
    for e in [
        Error::usage("--threads must be at least 1"),
        Error::io(
            "cannot read `x.npy`: No such file or directory",
            std::io::Error::from(std::io::ErrorKind::NotFound),
        ),
        Error::kernel(
            "k.stn",
            "kernel k(x) { y }",
            vec![stn::Diagnostic::new(
                "unknown name `y`",
                stn::Span::new(14, 15),
            )],
        ),
    ] {
        let text = e.to_string();
        assert!(!text.starts_with("error: "), "{text}");
        assert!(!text.contains("bug"), "{text}");
    }
}

/// The runner's panic hook prints `panic_message`; no command makes the
/// binary panic (that would be a bug to fix), so the line is checked
/// here on a panic in a thread of this test.
#[test]
fn the_panic_line_says_it_is_a_bug() {
    type Hook = dyn Fn(&std::panic::PanicHookInfo<'_>) + Send + Sync;
    let prev: Arc<Hook> = Arc::from(std::panic::take_hook());
    let seen = Arc::new(Mutex::new(None));
    {
        let (prev, seen) = (prev.clone(), seen.clone());
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() == Some("panic-probe") {
                *seen.lock().unwrap() = Some(stn::internals::error::panic_message(info));
            } else {
                prev(info)
            }
        }));
    }
    let joined = std::thread::Builder::new()
        .name("panic-probe".into())
        .spawn(|| {
            let v = [1, 2, 3];
            let i = v.len() + std::hint::black_box(4);
            v[i]
        })
        .unwrap()
        .join();
    std::panic::set_hook(Box::new(move |info| prev(info)));
    assert!(joined.is_err(), "the probe panicked");
    let line = seen.lock().unwrap().take().expect("the hook saw the panic");
    assert!(
        line.starts_with(
            "error: internal error: index out of bounds: the len is 3 but the index is 7 (at "
        ),
        "{line}"
    );
    assert!(line.contains("bad_inputs.rs:"), "where: {line}");
    assert!(line.contains("this is a bug in stn"), "{line}");
    assert!(
        line.contains("please report it with the kernel file, the command line"),
        "{line}"
    );
    assert!(!line.contains('\n'), "one line: {line}");
    assert!(
        !line.contains("panicked") && !line.contains("RUST_BACKTRACE"),
        "{line}"
    );
}

/// A kernel on one very long line (generated ones are) shows the part of
/// the line around the caret, not megabytes of source.
#[test]
fn a_long_source_line_is_cut_around_the_caret() {
    let src = format!(
        "kernel k(x) {{ {}y + 1{} }}",
        "1 + ".repeat(10_000),
        " + 1".repeat(10_000)
    );
    let at = src.find('y').unwrap();
    let d = stn::Diagnostic::new("unknown name `y`", stn::Span::new(at, at + 1));
    let text = stn::internals::diag::render("k.stn", &src, &[d]);
    assert!(text.len() < 400, "{text}");
    assert!(text.contains(&format!("k.stn:1:{}", at + 1)), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    let (shown, caret) = (lines[3], lines[4]);
    assert!(
        shown.starts_with("1 | ...") && shown.ends_with("..."),
        "{text}"
    );
    assert_eq!(
        caret.find('^'),
        shown.find('y'),
        "the caret under `y`:\n{text}"
    );
    // Short lines are shown whole.
    let d = stn::Diagnostic::new("unknown name `y`", stn::Span::new(14, 15));
    let text = stn::internals::diag::render("k.stn", "kernel k(x) { y }", &[d]);
    assert!(
        text.contains("1 | kernel k(x) { y }\n  |               ^\n"),
        "{text}"
    );
}
