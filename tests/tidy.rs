//! Tidy: the structure ARCHITECTURE.md declares is the structure of the
//! code.
//!
//! - **Layers.** ARCHITECTURE.md's `layers` block lists the top-level
//!   modules of the library (`crates/stn/src/`), lowest first. A module may use modules of lower
//!   layers only: every `crate::NAME` path in a file of module `M` must name
//!   `M` itself or a module of a lower layer. Modules on one line are
//!   independent of each other.
//! - **Threads and files.** Threads start only in the files of the
//!   `threads` block, and files are opened only in those of the `files`
//!   block (ARCHITECTURE.md says why each is there), in every crate of the
//!   workspace.
//! - **The engine on IR alone.** `exec` uses nothing of `check` or
//!   `syntax`: the stage graph it runs is in `base::graph` and the IR.
//! - **A code map that is true.** Every source file of the workspace is
//!   named in ARCHITECTURE.md's code map: its path, or its name in its
//!   folder's row.
//! - **One builtin table.** The tree-sitter and TextMate grammars under
//!   `editors/` list the builtins, reductions and dtypes of the checker's
//!   table (`check::builtins`), in its order.
//! - **The binding on the public API.** The Python binding (`python/src`)
//!   uses no `stn::internals`.
//! - **A lean library.** The library crate depends on none of the CLI's,
//!   the language server's or the formats' crates, directly or not
//!   (`cargo tree`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The lines of the fenced block ```` ```text NAME ```` of ARCHITECTURE.md.
fn block(name: &str) -> Vec<String> {
    let doc = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let open = format!("```text {name}");
    let start = doc
        .find(&open)
        .unwrap_or_else(|| panic!("ARCHITECTURE.md has no `{open}` block"));
    doc[start + open.len()..]
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with("```"))
        .map(|l| l.split('#').next().unwrap().trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// Top-level module name -> layer number, from the `layers` block.
fn layers() -> BTreeMap<String, usize> {
    let mut map = BTreeMap::new();
    for (i, line) in block("layers").iter().enumerate() {
        for m in line.split_whitespace() {
            assert!(map.insert(m.to_string(), i).is_none(), "`{m}` listed twice");
        }
    }
    map
}

/// The library crate's sources.
fn lib_src() -> PathBuf {
    root().join("crates/stn/src")
}

/// Every `.rs` file under `dir`, relative to it.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// The code of `text` without comments (line comments, doc comments).
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter_map(|(i, l)| {
        let code = match l.find("//") {
            Some(at) => &l[..at],
            None => l,
        };
        (!code.trim().is_empty()).then_some((i + 1, code))
    })
}

/// The top-level module a file of the library belongs to (`None` for the crate
/// root and the runner).
fn module_of(file: &Path) -> Option<String> {
    let first = file.components().next()?.as_os_str().to_str()?;
    match first {
        "lib.rs" | "main.rs" => None,
        f => Some(f.trim_end_matches(".rs").to_string()),
    }
}

/// The imports of `text` (a file of module `own`) that the layering
/// forbids, as `line: crate::NAME`.
fn forbidden_imports(own: &str, text: &str, layers: &BTreeMap<String, usize>) -> Vec<String> {
    let mut bad = Vec::new();
    let Some(&mine) = layers.get(own) else {
        return vec![format!("module `{own}` is missing from the layers block")];
    };
    for (n, code) in code_lines(text) {
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            // `$crate::` in a macro names the crate's public root.
            let in_macro = rest[..at].ends_with('$');
            let after = &rest[at + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            rest = after;
            if name == own || name.is_empty() || in_macro {
                continue;
            }
            match layers.get(&name) {
                Some(&l) if l < mine => {}
                Some(_) => bad.push(format!("{n}: crate::{name}")),
                // A macro exported at the crate root (`crate::with_element_type!`).
                None if after[name.len()..].starts_with('!') => {}
                None => bad.push(format!("{n}: crate::{name} (not in the layers block)")),
            }
        }
    }
    bad
}

#[test]
fn every_import_follows_the_declared_layers() {
    let layers = layers();
    let src = lib_src();
    let mut bad = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for file in sources(&src) {
        let Some(own) = module_of(&file) else {
            continue;
        };
        seen.insert(own.clone());
        let text = std::fs::read_to_string(src.join(&file)).unwrap();
        for b in forbidden_imports(&own, &text, &layers) {
            bad.push(format!("crates/stn/src/{}:{b}", file.display()));
        }
    }
    assert!(
        bad.is_empty(),
        "imports against ARCHITECTURE.md's layers (a module uses only lower layers):\n{}",
        bad.join("\n")
    );
    let declared: std::collections::BTreeSet<String> = layers.keys().cloned().collect();
    assert_eq!(
        seen, declared,
        "the layers block and the top-level modules of crates/stn/src/ differ"
    );
}

#[test]
fn the_check_catches_an_import_against_the_layers() {
    let layers = layers();
    // `base` is the lowest layer: it may not use the executor; the executor
    // may use `base`.
    let text =
        "use crate::base::dtype::DType;\nuse crate::exec::tile;\n// crate::program in a comment\n";
    assert_eq!(
        forbidden_imports("base", text, &layers),
        vec!["2: crate::exec".to_string()]
    );
    assert!(forbidden_imports("exec", "use crate::base::dtype::DType;", &layers).is_empty());
    // Two modules of one layer may not use each other.
    assert_eq!(
        forbidden_imports("codegen", "let v = crate::interp::run(k);", &layers),
        vec!["1: crate::interp".to_string()]
    );
}

/// The source folders of the workspace's crates, relative to the root.
fn source_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![PathBuf::from("src")];
    for e in std::fs::read_dir(root().join("crates")).unwrap() {
        dirs.push(Path::new("crates").join(e.unwrap().file_name()).join("src"));
    }
    dirs.sort();
    dirs
}

/// Files of the workspace's crates whose code contains any of `needles`,
/// relative to the root.
fn files_using(needles: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for dir in source_dirs() {
        for file in sources(&root().join(&dir)) {
            let text = std::fs::read_to_string(root().join(&dir).join(&file)).unwrap();
            if code_lines(&text).any(|(_, c)| needles.iter().any(|n| c.contains(n))) {
                out.push(dir.join(file).display().to_string());
            }
        }
    }
    out
}

#[test]
fn threads_start_only_where_the_architecture_says() {
    let allowed = block("threads");
    let found = files_using(&[
        "thread::spawn",
        "thread::scope",
        "thread::Builder",
        "ThreadPoolBuilder",
        "par_iter(",
        "into_par_iter(",
        ".spawn(",
        "spawn_scoped(",
    ]);
    let stray: Vec<&String> = found.iter().filter(|f| !allowed.contains(f)).collect();
    assert!(
        stray.is_empty(),
        "threads start outside ARCHITECTURE.md's `threads` files: {stray:?}"
    );
}

#[test]
fn files_are_touched_only_where_the_architecture_says() {
    let allowed = block("files");
    let found = files_using(&[
        "std::fs",
        "fs::",
        "File::",
        "OpenOptions",
        "Mmap",
        "tempfile::",
    ]);
    let stray: Vec<String> = found
        .into_iter()
        .filter(|f| !allowed.iter().any(|a| f == a || f.starts_with(a.as_str())))
        .collect();
    assert!(
        stray.is_empty(),
        "files are touched outside ARCHITECTURE.md's `files` places: {stray:?}"
    );
}

#[test]
fn the_library_depends_on_no_cli_server_or_format_crate() {
    let out = std::process::Command::new(env!("CARGO"))
        .args(["tree", "--locked", "--offline", "-p", "stn", "-e", "normal"])
        .args(["--prefix", "none", "--format", "{p}"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8(out.stdout).unwrap();
    let crates: std::collections::BTreeSet<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(
        crates.contains("cranelift-codegen") && crates.contains("rayon"),
        "{tree}"
    );
    for heavy in [
        "clap",
        "clap_mangen",
        "clap_complete",
        "indicatif",
        "lsp-server",
        "lsp-types",
        "serde_json",
        "zarrs",
        "image",
        "tiff",
        "tempfile",
        "glob",
    ] {
        assert!(
            !crates.contains(heavy),
            "the library depends on {heavy}:\n{tree}"
        );
    }
}

#[test]
fn the_engine_uses_nothing_of_the_checker_or_the_parser() {
    let src = lib_src();
    let mut bad = Vec::new();
    for file in sources(&src) {
        if module_of(&file).as_deref() != Some("exec") {
            continue;
        }
        let text = std::fs::read_to_string(src.join(&file)).unwrap();
        for (n, code) in code_lines(&text) {
            if code.contains("crate::check") || code.contains("crate::syntax") {
                bad.push(format!(
                    "crates/stn/src/{}:{n}: {}",
                    file.display(),
                    code.trim()
                ));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "the engine reaches into the checker:\n{}",
        bad.join("\n")
    );
}

/// The quoted words of `text` from `start` to the next `)`.
fn quoted_words(text: &str, start: usize) -> Vec<String> {
    let end = start + text[start..].find(')').unwrap();
    text[start..end]
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// The words of the alternation `\\b(a|b|c)` that starts with `first|`.
fn alternation(text: &str, first: &str) -> Vec<String> {
    let at = text.find(&format!("({first}|")).unwrap() + 1;
    let end = at + text[at..].find(')').unwrap();
    text[at..end].split('|').map(str::to_string).collect()
}

#[test]
fn the_editor_grammars_name_the_checkers_builtins() {
    use stn::internals::builtins;
    let builtins: Vec<String> = builtins::builtin_names().map(str::to_string).collect();
    let reductions: Vec<String> = builtins::reduction_names().map(str::to_string).collect();
    let dtypes: Vec<String> = stn::DType::ALL
        .iter()
        .map(|d| d.name().to_string())
        .collect();
    let scm =
        std::fs::read_to_string(root().join("editors/tree-sitter-stn/queries/highlights.scm"))
            .unwrap();
    let at = |needle: &str, nth: usize| {
        let mut from = 0;
        for _ in 0..nth {
            from += scm[from..].find(needle).unwrap() + needle.len();
        }
        from + scm[from..].find(needle).unwrap()
    };
    assert_eq!(quoted_words(&scm, at("(#any-of? @type.builtin", 0)), dtypes);
    assert_eq!(
        quoted_words(&scm, at("(#any-of? @function.builtin", 0)),
        builtins
    );
    let not_called = quoted_words(&scm, at("(#not-any-of? @function.call", 0));
    assert_eq!(not_called, [dtypes.clone(), builtins.clone()].concat());
    assert_eq!(
        quoted_words(&scm, at("(#any-of? @function.builtin", 1)),
        reductions
    );
    assert_eq!(
        quoted_words(&scm, at("(#not-any-of? @function.call", 1)),
        reductions
    );
    let tm = std::fs::read_to_string(root().join("editors/vscode/syntaxes/stn.tmLanguage.json"))
        .unwrap();
    assert_eq!(alternation(&tm, "abs"), builtins);
    assert_eq!(alternation(&tm, "sum"), reductions);
}

#[test]
fn the_code_map_lists_every_source_file() {
    let doc = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    // The code map's rows: (path, what the row says).
    let rows: Vec<(&str, &str)> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once("` | "))
        .collect();
    let mut missing = Vec::new();
    for dir in source_dirs() {
        for file in sources(&root().join(&dir)) {
            let path = dir.join(&file).display().to_string();
            let listed = rows.iter().any(|(p, text)| {
                *p == path
                    || path
                        .strip_prefix(*p)
                        .is_some_and(|rest| text.contains(&format!("`{rest}`")))
            });
            if !listed {
                missing.push(path);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md's code map lacks {missing:?}"
    );
}

#[test]
fn the_python_binding_uses_the_public_api_alone() {
    let src = root().join("python/src");
    let mut bad = Vec::new();
    for file in sources(&src) {
        let text = std::fs::read_to_string(src.join(&file)).unwrap();
        for (n, code) in code_lines(&text) {
            if code.contains("internals") {
                bad.push(format!("python/src/{}:{n}", file.display()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "the binding reaches past the public API: {bad:?}"
    );
}
