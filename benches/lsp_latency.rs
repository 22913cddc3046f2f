//! How long `stn lsp` takes to answer, per kind of request, on the
//! largest example file: `cargo bench --bench lsp_latency`. A measurement,
//! not a check: timings belong in benchmarks, not in tests.
//!
//! Diagnostics run the whole front end and check every kernel that no
//! error touches for every uniform dtype (no machine code is made); hover
//! loads the program once per analysis.

use stn_lsp::analysis::Analysis;
use stn_lsp::position::{Encoding, LineIndex};
use stn_lsp::{completion, format, hover, tokens};

/// The `.stn` file of `examples/` (and its folders) with the most bytes.
fn largest_example() -> std::path::PathBuf {
    let mut todo = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples"
    ))];
    let mut best = (0, std::path::PathBuf::new());
    while let Some(dir) = todo.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "stn") {
                let len = std::fs::metadata(&p).unwrap().len();
                if len > best.0 {
                    best = (len, p);
                }
            }
        }
    }
    best.1
}

/// How long the server takes to answer on the largest example, per kind
/// of request: the median of 20 runs, each on a fresh analysis (as after
/// an edit).
fn main() {
    use std::time::{Duration, Instant};
    let path = largest_example();
    let src = std::fs::read_to_string(&path).unwrap();
    let lines = LineIndex::new(&src, Encoding::Utf16);
    let kernel = src.find("kernel ").unwrap() + 8;
    let last_let = src.rfind("let ").unwrap() + 4;
    let end_of_body = src.rfind('}').unwrap();
    let median = |f: &dyn Fn()| {
        let mut times: Vec<Duration> = (0..20)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect();
        times.sort();
        times[times.len() / 2]
    };
    // The server analyses on every change; requests then use that
    // analysis. Hover loads the program once per analysis (then compiles
    // the kernel for its footprint): measured on a fresh one, as after an
    // edit, so its row includes the analysis.
    let a = Analysis::new(src.as_str());
    type Row<'a> = (&'a str, Box<dyn Fn() + 'a>);
    let rows: [Row; 6] = [
        (
            "diagnostics (analysis on a change)",
            Box::new(|| {
                std::hint::black_box(Analysis::new(src.as_str()).diagnostics().len());
            }),
        ),
        (
            "hover on a kernel, after a change",
            Box::new(|| drop(hover::hover(&Analysis::new(src.as_str()), kernel))),
        ),
        (
            "hover on a let, after a change",
            Box::new(|| drop(hover::hover(&Analysis::new(src.as_str()), last_let))),
        ),
        (
            "completion",
            Box::new(|| drop(completion::complete(&a, end_of_body))),
        ),
        (
            "semantic tokens",
            Box::new(|| drop(tokens::encode(&src, &lines, &tokens::tokens(&a)))),
        ),
        ("formatting", Box::new(|| drop(format::format(&src)))),
    ];
    println!("{} ({} bytes), median of 20:", path.display(), src.len());
    for (what, f) in &rows {
        println!(
            "  {what:<40} {:>9.3} ms",
            median(f.as_ref()).as_secs_f64() * 1e3
        );
    }
}
