//! Parser tests as data: every `tests/data/parse/ok/*.stn` must parse cleanly
//! to the tree in its sibling `.ast`; every `tests/data/parse/err/*.stn` must
//! fail with the `line:col: message` in its sibling `.err`.
//!
//! `UPDATE_EXPECT=1 cargo test --test suite parse::` rewrites the expected
//! files (expect-test's snapshots).

use crate::soup;

use expect_test::expect_file;

use rand::SeedableRng;
use rand::rngs::StdRng;
use std::fs;
use std::path::{Path, PathBuf};
use stn::internals::diag::line_col;
use stn::internals::syntax::{dump::dump, parse};

fn data_files(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/parse")
        .join(kind);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "stn"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .stn files in {}", dir.display());
    files
}

fn run_all(kind: &str, ext: &str, render: impl Fn(&Path, &str) -> String) {
    for path in data_files(kind) {
        let src = fs::read_to_string(&path).unwrap();
        expect_file![path.with_extension(ext)].assert_eq(&render(&path, &src));
    }
}

#[test]
fn ok_files_parse_to_expected_trees() {
    run_all("ok", "ast", |path, src| {
        let (file, diags) = parse(src);
        assert!(diags.is_empty(), "{}: {diags:?}", path.display());
        dump(&file)
    });
}

#[test]
fn err_files_give_expected_diagnostics() {
    run_all("err", "err", |path, src| {
        let (_, diags) = parse(src);
        assert!(!diags.is_empty(), "{} parsed without error", path.display());
        diags
            .iter()
            .map(|d| {
                let (line, col) = line_col(src, d.span.start);
                format!("{line}:{col}: {}\n", d.message)
            })
            .collect()
    });
}

#[test]
fn empty_file_has_no_items() {
    for src in ["", "   \n", "# only a comment\n"] {
        let (file, diags) = parse(src);
        assert!(file.items.is_empty() && diags.is_empty(), "{src:?}");
    }
}

#[test]
fn random_soups_never_panic() {
    let seed = soup::seed();
    let mut rng = StdRng::seed_from_u64(seed);
    let seeds: Vec<String> = data_files("ok")
        .iter()
        .map(|p| fs::read_to_string(p).unwrap())
        .collect();
    for i in 0..2000 {
        let src = soup::soup(&mut rng, &seeds);
        let outcome = std::panic::catch_unwind(|| {
            let (file, diags) = parse(&src);
            // A clean parse must print; a failed one must say where.
            let _ = dump(&file);
            for d in &diags {
                assert!(d.span.start <= d.span.end && d.span.end <= src.len());
            }
        });
        assert!(
            outcome.is_ok(),
            "parse panicked on soup {i} with STN_SEED={seed}: {src:?}"
        );
    }
}

/// Runs `f` on a thread with a small stack (1 MiB, less than a Rust
/// thread's default), as a library caller's thread may be.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn deep_kernels_compile_and_run_on_a_small_stack_or_are_refused() {
    use stn::{Engine, Options};
    // A written-out sum of 500 terms: accepted, compiled, interpreted.
    let sum = on_small_stack(|| {
        let src = format!("kernel k(x) {{ x[0]{} }}", " + x[0]".repeat(499));
        let p = stn::Program::from_source("long.stn", &src).unwrap();
        let k = p.kernel(None).unwrap();
        let x = ndarray::Array1::<f64>::from_elem(4, 0.5);
        let jit = k.apply(&[x.view()], &Options::new()).unwrap();
        let oracle = k
            .apply(&[x.view()], &Options::new().engine(Engine::Interpreter))
            .unwrap();
        assert_eq!(jit, oracle);
        jit[0]
    });
    assert_eq!(sum, 250.0);
    // Deeper chains and brackets are refused where they cross the limit.
    for (src, needle) in [
        (
            format!("kernel k(x) {{ x[0]{} }}", " + x[0]".repeat(600)),
            "1:3590",
        ),
        (
            format!(
                "kernel k(x) {{ {}x[0]{} }}",
                "(".repeat(600),
                ")".repeat(600)
            ),
            "1:",
        ),
        (
            format!("kernel k(x) {{ {}x[0] }}", "-".repeat(100_000)),
            "1:",
        ),
    ] {
        let err = on_small_stack(move || {
            stn::Program::from_source("deep.stn", &src)
                .expect_err("refused")
                .to_string()
        });
        assert!(err.contains("nests too deeply"), "{err}");
        assert!(err.contains(&format!("deep.stn:{needle}")), "{err}");
    }
    let big = format!("kernel k(x) {{ x[0] }}{}", " ".repeat(2 << 20));
    let (_, diags) = parse(&big);
    assert!(
        diags[0]
            .message
            .contains("kernel files are limited to 1048576 bytes")
    );
}
