//! Checker tests as data: each `tests/data/check/*.stn` names the input
//! dtypes on its first line (`# dtypes: i8 f32`); its last kernel is
//! specialized for them. The sibling `.out` holds either a summary (`ok: ...`
//! with output dtype, core axes and footprint) or the rendered diagnostic,
//! exactly as the runner prints it.
//!
//! `UPDATE_EXPECT=1 cargo test --test suite check::` rewrites the expected
//! files (expect-test's snapshots).

use std::fs;
use std::path::Path;

use expect_test::expect_file;

use stn::{DType, Program};

fn outcome(name: &str, src: &str) -> String {
    let dtypes: Vec<DType> = src
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("# dtypes:"))
        .unwrap_or_else(|| panic!("{name}: first line must be `# dtypes: ...`"))
        .split_whitespace()
        .map(|d| DType::from_name(d).unwrap_or_else(|| panic!("{name}: dtype {d}")))
        .collect();
    let program = match Program::from_source(name, src) {
        Ok(p) => p,
        Err(e) => return format!("error: {e}\n"),
    };
    let k = program.kernels().last().expect("a kernel");
    match stn::internals::specialize(k, &dtypes) {
        Err(e) => format!("error: {e}\n"),
        Ok(s) => {
            let fp = &s.func.footprint;
            // The interpreter computes the footprint on its own; they must agree.
            assert_eq!(
                &stn::internals::interp::footprint(&s.typed).unwrap(),
                fp,
                "{name}: footprints differ"
            );
            let axes: Vec<String> = (0..fp.ndim())
                .map(|a| format!("[{}, {}]", fp.lo[a], fp.hi[a]))
                .collect();
            let names: Vec<&str> = dtypes.iter().map(|d| d.name()).collect();
            format!(
                "ok: {}({}) -> {}, {} core axes, footprint {}\n",
                k.name(),
                names.join(", "),
                stn::internals::describe::outputs_text(&s.typed.out_dtypes),
                s.typed.ndim,
                axes.join(" x ")
            )
        }
    }
}

#[test]
fn checker_cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/check");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "stn"))
        .collect();
    files.sort();
    assert!(files.len() > 30);
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let src = fs::read_to_string(&path).unwrap();
        let got = outcome(&name, &src);
        // Names say which outcome a case is about.
        assert_eq!(
            name.starts_with("ok_"),
            got.starts_with("ok:"),
            "{name}: {got}"
        );
        expect_file![path.with_extension("out")].assert_eq(&got);
    }
}
