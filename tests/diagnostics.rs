//! Rendered diagnostics as snapshots: what a user sees for every kind of
//! error and warning, plain (a pipe or `NO_COLOR`) and coloured (a
//! terminal).
//!
//! Each `tests/data/diagnostics/*.stn` is checked as `stn check` checks it
//! (every error and warning of the file, then the dtypes); its sibling
//! `.txt` holds the plain rendering, then the coloured one with the escape
//! character written `\e`. Every syntax error of `tests/data/parse/err` is
//! rendered the same way into `parse_errors.txt`, and the checker's errors
//! (`tests/data/check`, whose `.out` files hold them plain) coloured into
//! `check_errors_coloured.txt`.
//!
//! `UPDATE_EXPECT=1 cargo test --test suite diagnostics::` rewrites the
//! expected files (expect-test's snapshots, as for the parser and the
//! checker).

use std::fs;
use std::path::{Path, PathBuf};

use expect_test::expect_file;

use stn::internals::diag::render_styled;
use stn::internals::report;
use stn::{DType, Diagnostic, Program};

fn files(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "stn"))
        .collect();
    files.sort();
    files
}

/// A path of the repository, absolute (`expect_file!` takes a relative
/// one from this file's folder).
fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// The diagnostics `stn check` shows for `src`.
fn checked(name: &str, src: &str) -> Vec<Diagnostic> {
    let r = report::check(name, src, &[]).expect("no usage or I/O error");
    r.diagnostics.into_iter().map(|(d, _)| d).collect()
}

fn both(name: &str, src: &str, diags: &[Diagnostic]) -> String {
    let plain = render_styled(name, src, diags, false);
    let coloured = render_styled(name, src, diags, true).replace('\x1b', "\\e");
    format!("{plain}--- coloured\n{coloured}")
}

#[test]
fn each_case_renders_as_its_snapshot() {
    for path in files("tests/data/diagnostics") {
        let src = fs::read_to_string(&path).unwrap();
        let diags = checked(&name(&path), &src);
        assert!(!diags.is_empty(), "{}: no diagnostic", path.display());
        expect_file![path.with_extension("txt")].assert_eq(&both(&name(&path), &src, &diags));
    }
}

#[test]
fn every_syntax_error_renders_plain_and_coloured() {
    let mut all = String::new();
    for path in files("tests/data/parse/err") {
        let src = fs::read_to_string(&path).unwrap();
        let diags = checked(&name(&path), &src);
        assert!(!diags.is_empty(), "{}: no diagnostic", path.display());
        all.push_str(&format!(
            "=== {}\n{}",
            name(&path),
            both(&name(&path), &src, &diags)
        ));
    }
    expect_file![data("tests/data/diagnostics/parse_errors.txt")].assert_eq(&all);
}

#[test]
fn every_checker_error_renders_coloured() {
    let mut all = String::new();
    for path in files("tests/data/check") {
        let src = fs::read_to_string(&path).unwrap();
        let dtypes: Vec<DType> = (src.lines().next())
            .and_then(|l| l.strip_prefix("# dtypes:"))
            .map(|l| l.split_whitespace().filter_map(DType::from_name).collect())
            .unwrap_or_default();
        let err = match Program::from_source(&name(&path), &src) {
            Err(e) => e,
            Ok(p) => match stn::internals::specialize(p.kernels().last().unwrap(), &dtypes) {
                Err(e) => e,
                Ok(_) => continue,
            },
        };
        let stn::Error::Kernel { diagnostics, .. } = err else {
            panic!("{}: {err}", path.display())
        };
        let coloured = render_styled(&name(&path), &src, &diagnostics, true);
        all.push_str(&format!(
            "=== {}\n{}",
            name(&path),
            coloured.replace('\x1b', "\\e")
        ));
    }
    expect_file![data("tests/data/diagnostics/check_errors_coloured.txt")].assert_eq(&all);
}

#[test]
fn warnings_do_not_stop_a_kernel_from_loading_or_running() {
    let src = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/diagnostics/warnings.stn"),
    )
    .unwrap();
    let p = Program::from_source("warnings.stn", &src).unwrap();
    let kinds: Vec<&str> = p.warnings().iter().map(|d| d.message.as_str()).collect();
    assert_eq!(kinds.len(), 4, "{kinds:?}");
    assert!(
        kinds
            .iter()
            .any(|m| m.starts_with("this branch is never taken"))
    );
    assert!(
        kinds
            .iter()
            .any(|m| m.starts_with("unused parameter `alpha`"))
    );
    assert!(kinds.iter().any(|m| m.starts_with("unused stage `b`")));
    assert!(kinds.iter().any(|m| m.starts_with("unused `let unused`")));
    // The dead `let`'s read is not part of the footprint: no row is lost
    // to `fill`. The branch never taken still reads `x[0, 3]`, as its
    // warning says: the last three columns are fill's 0.
    let k = p.kernel(Some("k")).unwrap();
    let x = ndarray::Array2::<f64>::from_elem((10, 10), 1.0);
    let opts = stn::Options::new()
        .boundary(stn::Mode::Fill)
        .param("alpha", 1.0)
        .param("_scale", 1.0);
    let y = k.apply(&[x.view()], &opts).unwrap();
    let cols = |c: std::ops::Range<usize>| y.slice(ndarray::s![.., c]).to_owned();
    assert!(cols(0..7).iter().all(|&v| v == 2.0), "{y}");
    assert!(cols(7..10).iter().all(|&v| v == 0.0), "{y}");
}

#[test]
fn colour_follows_no_color_and_clicolor_force() {
    let bin = env!("CARGO_BIN_EXE_stn");
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/diagnostics/warnings.stn");
    let run = |envs: &[(&str, &str)]| {
        let mut c = std::process::Command::new(bin);
        c.arg("check")
            .arg(&file)
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE");
        for (k, v) in envs {
            c.env(k, v);
        }
        let o = c.output().unwrap();
        assert!(o.status.success(), "{o:?}");
        String::from_utf8(o.stderr).unwrap()
    };
    // A pipe is no terminal: plain.
    assert!(!run(&[]).contains('\x1b'));
    assert!(run(&[("CLICOLOR_FORCE", "1")]).contains("\x1b["));
    assert!(!run(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).contains('\x1b'));
}

#[test]
fn check_speaks_json_for_tools() {
    let bin = env!("CARGO_BIN_EXE_stn");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/diagnostics");
    let o = std::process::Command::new(bin)
        .args(["check", "--message-format", "json"])
        .arg(dir.join("several_errors.stn"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4, "{lines:#?}");
    let lines_at: Vec<u64> = lines
        .iter()
        .map(|l| l["start"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines_at, [3, 8, 12, 15]);
    assert!(lines.iter().all(|l| l["severity"] == "error"));
    // The unclosed `(` points back at its opener.
    assert_eq!(lines[1]["related"][0]["start"]["column"], 13);
    assert_eq!(lines[1]["related"][0]["label"], "this `(` is not closed");
    // A kernel that checks: its dtypes, one object per kernel.
    let o = std::process::Command::new(bin)
        .args(["check", "--message-format", "json"])
        .arg(dir.join("warnings.stn"))
        .output()
        .unwrap();
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    let objs: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let warnings: Vec<&serde_json::Value> =
        objs.iter().filter(|o| o["severity"] == "warning").collect();
    assert_eq!(warnings.len(), 4);
    // Each unused name comes with its machine-applicable fix.
    let unused = (warnings.iter())
        .find(|w| w["message"].as_str().unwrap().starts_with("unused `let"))
        .unwrap();
    let fix = &unused["fixes"][0];
    assert!(
        fix["title"].as_str().unwrap().starts_with("rename to `_"),
        "{fix}"
    );
    assert_eq!(fix["start"], unused["start"], "{fix}");
    assert!(
        fix["replacement"].as_str().unwrap().starts_with('_'),
        "{fix}"
    );
    let k = objs
        .iter()
        .find(|o| o["type"] == "kernel" && o["name"] == "k")
        .unwrap();
    assert!(k["ok"].as_array().unwrap().iter().any(|d| d == "f32"));
}

/// `src` with the fixes of `diags` applied: the errors' where an error
/// has one (a typo's fix can make an unused-name warning moot), else the
/// warnings'. Fixes of one round do not overlap.
fn fixed(src: &str, diags: &[Diagnostic]) -> String {
    let errors = diags.iter().any(|d| d.is_error() && !d.fixes.is_empty());
    let mut fixes: Vec<&stn::internals::diag::Fix> = (diags.iter())
        .filter(|d| d.is_error() == errors)
        .flat_map(|d| &d.fixes)
        .collect();
    fixes.sort_by_key(|f| std::cmp::Reverse(f.span.start));
    fixes.dedup_by_key(|f| f.span);
    let mut out = src.to_string();
    for f in fixes {
        out.replace_range(f.span.start..f.span.end, &f.replacement);
    }
    out
}

#[test]
fn fixing_again_and_again_ends_with_nothing_left_to_fix() {
    let mut applied = 0;
    for path in files("tests/data/diagnostics")
        .into_iter()
        .chain(files("tests/data/parse/err"))
    {
        let mut src = fs::read_to_string(&path).unwrap();
        let mut diags = checked(&name(&path), &src);
        if diags.iter().all(|d| d.fixes.is_empty()) {
            continue;
        }
        applied += 1;
        // Each round fixes what it can and the file is checked again;
        // errors first, then warnings: two rounds at most.
        for _ in 0..2 {
            src = fixed(&src, &diags);
            diags = checked(&name(&path), &src);
        }
        let left: Vec<&str> = (diags.iter())
            .filter(|d| !d.fixes.is_empty())
            .map(|d| d.message.as_str())
            .collect();
        assert!(left.is_empty(), "{}: {left:?} after\n{src}", path.display());
        assert_eq!(fixed(&src, &diags), src, "{}", path.display());
    }
    assert!(applied >= 4, "only {applied} files have fixes");
}
