//! `stn lsp`: the server's analyses driven directly (diagnostics, hover,
//! definition and references, completion, semantic tokens), the server
//! driven message by message, and random text that must never make it
//! panic. `tests/lsp/test_server.py` (run by `scripts/lsp_test.sh`) drives
//! the real binary from a real client.

use crate::soup;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use stn::Span;
use stn_lsp::analysis::Analysis;
use stn_lsp::position::{Encoding, LineIndex};
use stn_lsp::server::Server;
use stn_lsp::tokens::{self, Kind};
use stn_lsp::{completion, diagnostics, format, hover};

fn example(name: &str) -> String {
    std::fs::read_to_string(format!("{}/examples/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The byte offset of the `nth` (from 0) occurrence of `needle`, plus `into`.
fn at(src: &str, needle: &str, nth: usize, into: usize) -> usize {
    let mut from = 0;
    for _ in 0..nth {
        from += src[from..].find(needle).unwrap() + needle.len();
    }
    from + src[from..]
        .find(needle)
        .unwrap_or_else(|| panic!("no {needle:?}"))
        + into
}

fn text(src: &str, s: Span) -> &str {
    &src[s.start..s.end]
}

#[test]
fn a_file_with_several_errors_gives_each() {
    let src = "kernel a(x) { y[0, 0] }\n\
               kernel b(x) { foo(x[0, 0]) }\n\
               kernel c(x) { x[0, 0] + z }\n";
    let a = Analysis::new(src);
    let d = a.diagnostics();
    assert!(d.len() >= 3, "{d:?}");
    let spans: Vec<&str> = d.iter().map(|d| text(src, d.span)).collect();
    for name in ["y", "foo", "z"] {
        assert!(spans.contains(&name), "{spans:?}");
    }
    let lines = LineIndex::new(src, Encoding::Utf16);
    let uri: lsp_types::Uri = "file:///k.stn".parse().unwrap();
    let lsp = diagnostics::to_lsp(&uri, src, &lines, d);
    assert!(lsp.iter().all(|d| d.source.as_deref() == Some("stn")));
    let y = lsp.iter().find(|d| d.message.contains("`y`")).unwrap();
    assert_eq!((y.range.start.line, y.range.start.character), (0, 14));
    assert_eq!(y.severity, Some(lsp_types::DiagnosticSeverity::ERROR));
}

#[test]
fn a_syntax_error_hides_neither_names_nor_dtypes_of_other_kernels() {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/diagnostics/one_mistake_per_kernel.stn"
    ))
    .unwrap();
    let a = Analysis::new(src.as_str());
    let found: Vec<&str> = a.diagnostics().iter().map(|d| text(&src, d.span)).collect();
    assert_eq!(found, ["}", "refelct", "totl", "sqrt(x[0, 0]) & 1"]);
    // A whole kernel shows its types; a broken one says why it does not.
    let (_, m) = hover::hover(&a, at(&src, "m * 2", 0, 0)).unwrap();
    assert!(m.contains("u8 → i64") && m.contains("f32 → f32"), "{m}");
    let (_, t) = hover::hover(&a, at(&src, "t[0, 0]", 0, 0)).unwrap();
    assert!(t.contains("types show once this kernel"), "{t}");
    // Hover types and footprints from the IR: no machine code is made.
    let (_, f) = hover::hover(&a, at(&src, "fine(x)", 0, 0)).unwrap();
    assert!(f.contains("footprint"), "{f}");
    let fine = a.kernel("fine").unwrap();
    for d in stn::internals::DTYPE_SEARCH {
        let spec = stn::internals::specialize(fine, &[d]).unwrap();
        assert!(!spec.is_compiled(), "{d}");
    }
    // The footprint hover showed was found for the first dtype that checks.
    assert_eq!(fine.signatures(), Vec::<Vec<stn::DType>>::new());
}

#[test]
fn outline_highlights_rename_and_folds_come_from_the_resolved_names() {
    use stn_lsp::index::SymbolKind;
    use stn_lsp::symbols;
    let src = "const K = 2;\n\
               kernel blur_x(x) { (x[0, -1] + x[0, 0] + x[0, 1]) // 3 }\n\
               kernel blur(x, s: i64) {\n    let b = blur_x(x);\n    let t = b[0, 0] * s;\n    \
               sum(i in -K..=K) {\n        t + b[i, 0]\n    }\n}\n";
    let a = Analysis::new(src);
    assert!(a.diagnostics().is_empty(), "{:?}", a.diagnostics());
    // The outline: items in order, a kernel's parameters, stages and lets.
    let outline = symbols::outline(&a);
    let names: Vec<&str> = outline.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["K", "blur_x", "blur"]);
    let blur: Vec<(&str, SymbolKind)> = (outline[2].children.iter())
        .map(|c| (c.name.as_str(), c.kind))
        .collect();
    assert_eq!(
        blur,
        [
            ("x", SymbolKind::Input),
            ("s", SymbolKind::Param),
            ("b", SymbolKind::Stage),
            ("t", SymbolKind::Let)
        ]
    );
    // Highlights: the definition, then each use.
    let marks = symbols::highlights(&a, at(src, "b[i", 0, 0));
    let texts: Vec<(&str, bool)> = marks.iter().map(|(s, d)| (text(src, *s), *d)).collect();
    assert_eq!(texts, [("b", true), ("b", false), ("b", false)]);
    // Rename: every place, or why not.
    let spans = symbols::rename(&a, at(src, "t +", 0, 0), "total").unwrap();
    assert_eq!(spans.len(), 2);
    let renamed = spans.iter().rev().fold(src.to_string(), |mut s, sp| {
        s.replace_range(sp.start..sp.end, "total");
        s
    });
    assert!(
        Analysis::new(renamed.as_str()).diagnostics().is_empty(),
        "{renamed}"
    );
    let clash = symbols::rename(&a, at(src, "t +", 0, 0), "b").unwrap_err();
    assert_eq!(clash, "`b` is already the name of a stage here");
    let outer = symbols::rename(&a, at(src, "i, 0]", 0, 0), "K").unwrap_err();
    assert_eq!(outer, "`K` is already the name of a const here");
    assert_eq!(
        symbols::rename(&a, at(src, "s;", 0, 0), "sqrt").unwrap_err(),
        "`sqrt` is a builtin function"
    );
    assert!(symbols::rename(&a, at(src, "s;", 0, 0), "2x").is_err());
    // Folds: every item and each block inside a kernel.
    let folds: Vec<&str> = symbols::folds(&a).iter().map(|s| text(src, *s)).collect();
    assert!(
        folds.iter().any(|f| f.starts_with("kernel blur(x")),
        "{folds:?}"
    );
    assert!(
        folds.contains(&"{\n        t + b[i, 0]\n    }"),
        "{folds:?}"
    );
}

#[test]
fn hover_on_a_kernel_shows_signature_footprint_and_boundary() {
    let src = example("blur.stn");
    let a = Analysis::new(src.as_str());
    // The definition and the stage call both show it.
    let (span, h) = hover::hover(&a, at(&src, "kernel blur_x", 0, 9)).unwrap();
    assert_eq!(text(&src, span), "blur_x");
    assert!(h.contains("kernel blur_x(x)"), "{h}");
    assert!(h.contains("footprint: [0, 0] x [-1, 1]"), "{h}");
    let (_, call) = hover::hover(&a, at(&src, "blur_x(x);", 0, 1)).unwrap();
    assert_eq!(call, h);
    let (_, blur) = hover::hover(&a, at(&src, "kernel blur(", 0, 8)).unwrap();
    assert!(blur.contains("kernel blur(x) boundary nearest"), "{blur}");
    assert!(
        blur.contains("for f64 inputs: (f64) -> f64, 2 core axes"),
        "{blur}"
    );
    assert!(
        blur.contains("footprint: [-1, 1] x [-1, 1] (halo 1 x 1)"),
        "{blur}"
    );
    assert!(blur.contains("boundary: nearest (declared)"), "{blur}");
    // A stage's output: its stage, the stage's footprint and schedule.
    let (_, out) = hover::hover(&a, at(&src, "let b = blur_x", 0, 4)).unwrap();
    assert!(
        out.contains("stage `blur_x`, footprint [0, 0] x [-1, 1]"),
        "{out}"
    );
    assert!(out.contains("tiles or sliding-window strips"), "{out}");
}

#[test]
fn hover_on_a_let_shows_its_dtype_per_input_dtype() {
    let src = example("gray_scott.stn");
    let a = Analysis::new(src.as_str());
    let (_, h) = hover::hover(&a, at(&src, "let uvv", 0, 5)).unwrap();
    assert!(
        h.contains("u8 → i64 · i32 → i64 · f32 → f32 · f64 → f64"),
        "{h}"
    );
    // A scalar parameter, a const and a range variable.
    let (_, du) = hover::hover(&a, at(&src, "du * lu", 0, 0)).unwrap();
    assert!(
        du.contains("du: f32") && du.contains("given at run time"),
        "{du}"
    );
    let src = "const R = 2;\nkernel k(x) { let w = x[0] * 0.5; let h = 0.5; sum(i in -R..=R) { x[i] * w * h } }\n";
    let a = Analysis::new(src);
    let (_, r) = hover::hover(&a, at(src, "R..", 0, 0)).unwrap();
    assert!(r.contains("value: 2"), "{r}");
    let (_, i) = hover::hover(&a, at(src, "x[i]", 0, 2)).unwrap();
    assert!(i.contains("i in -R..=R") && i.contains("i64"), "{i}");
    let (_, w) = hover::hover(&a, at(src, "* w", 0, 2)).unwrap();
    assert!(w.contains("u8 → f64") && w.contains("f32 → f32"), "{w}");
    let (_, h) = hover::hover(&a, at(src, "* h", 0, 2)).unwrap();
    assert!(h.contains("whatever the inputs': f64 (a literal's"), "{h}");
}

#[test]
fn hover_on_words_of_the_language() {
    let src = "kernel k(x, s: f32) boundary wrap { sum(i in -1..=1) { sqrt(x[i]) } }";
    let a = Analysis::new(src);
    let word = |w: &str| hover::hover(&a, at(src, w, 0, 1)).unwrap().1;
    assert!(word("sqrt").starts_with("sqrt(a)"));
    assert!(word("sum").starts_with("sum(i in"));
    assert!(word("wrap").contains("scipy `grid-wrap`"));
    assert!(word("f32").contains("32-bit IEEE 754 floats"));
    assert!(word("boundary").starts_with("boundary MODE"));
}

#[test]
fn definitions_and_references_follow_the_scopes() {
    let src = "const K = 3;\n\
               kernel two(x) -> (f64, f64) { (x[0], x[0] * K) }\n\
               kernel k(x, r: i64) {\n\
                   let (a, _) = two(x);\n\
                   let b = a[0] + K;\n\
                   let b = b * 2;\n\
                   sum(i in -r..=r) { let t = a[i]; t + b + i } + b\n\
               }\n";
    let a = Analysis::new(src);
    assert!(a.diagnostics().is_empty(), "{:?}", a.diagnostics());
    let def = |offset| a.definition(offset).map(|s| s.start);
    // A tuple let's name, used as an array.
    assert_eq!(def(at(src, "a[0]", 0, 0)), Some(at(src, "(a, _)", 0, 1)));
    assert_eq!(def(at(src, "a[i]", 0, 0)), Some(at(src, "(a, _)", 0, 1)));
    // Shadowing: the second `b` reads the first; later uses read the second.
    assert_eq!(def(at(src, "b * 2", 0, 0)), Some(at(src, "let b", 0, 4)));
    assert_eq!(def(at(src, "t + b", 0, 4)), Some(at(src, "let b", 1, 4)));
    assert_eq!(def(at(src, "} + b", 0, 4)), Some(at(src, "let b", 1, 4)));
    // A range variable, a parameter, a const, a stage's kernel.
    assert_eq!(def(at(src, "+ i }", 0, 2)), Some(at(src, "i in", 0, 0)));
    assert_eq!(def(at(src, "-r..", 0, 1)), Some(at(src, "r: i64", 0, 0)));
    assert_eq!(def(at(src, "+ K", 0, 2)), Some(at(src, "K = 3", 0, 0)));
    assert_eq!(
        def(at(src, "two(x);", 0, 1)),
        Some(at(src, "two(x) ->", 0, 0))
    );
    // `x` of `two` is not `x` of `k`.
    assert_eq!(def(at(src, "two(x);", 0, 4)), Some(at(src, "k(x", 0, 2)));
    // The cursor just past a name still finds it.
    assert_eq!(def(at(src, "t + b", 0, 1)), Some(at(src, "let t", 0, 4)));
    let refs = |offset, decl| -> Vec<usize> {
        a.references(offset, decl).iter().map(|s| s.start).collect()
    };
    assert_eq!(
        refs(at(src, "K = 3", 0, 0), true),
        vec![
            at(src, "K = 3", 0, 0),
            at(src, "* K", 0, 2),
            at(src, "+ K", 0, 2)
        ]
    );
    assert_eq!(
        refs(at(src, "let b", 1, 4), false),
        vec![at(src, "t + b", 0, 4), at(src, "} + b", 0, 4)]
    );
    assert_eq!(refs(at(src, "(a, _)", 0, 1), false).len(), 2);
    // Nothing for a builtin or a keyword.
    assert!(refs(at(src, "sum", 0, 0), true).is_empty());
    assert_eq!(def(at(src, "kernel k", 0, 1)), None);
}

fn labels(items: &[lsp_types::CompletionItem]) -> Vec<&str> {
    items.iter().map(|c| c.label.as_str()).collect()
}

#[test]
fn completion_offers_what_fits_the_cursor() {
    let src = "const C = 1;\n\
               kernel s(x) { x[0] }\n\
               kernel k(x, g: f32) boundary nearest {\n\
                   let a = x[0];\n\
                   let b = a + C;\n\
                   sum(i in -1..=1) { a + b }\n\
               }\n";
    let a = Analysis::new(src);
    // Inside the `let a` statement: `a` is not visible yet, params are.
    let c = completion::complete(&a, at(src, "x[0];", 0, 0));
    let l = labels(&c);
    for want in ["x", "g", "C", "s", "k", "sqrt", "median", "f32", "if"] {
        assert!(l.contains(&want), "{want} missing from {l:?}");
    }
    assert!(
        !l.contains(&"a") && !l.contains(&"b") && !l.contains(&"i"),
        "{l:?}"
    );
    // In the reduction: the lets before it and the range variable.
    let l2 = completion::complete(&a, at(src, "a + b }", 0, 0));
    for want in ["a", "b", "i", "x"] {
        assert!(labels(&l2).contains(&want), "{want} missing");
    }
    // Modes after `boundary`, dtypes after `:` and `->`.
    let modes = completion::complete(&a, at(src, "nearest", 0, 0));
    assert_eq!(
        labels(&modes),
        [
            "fill", "constant", "nearest", "reflect", "mirror", "wrap", "periodic"
        ]
    );
    let ty = completion::complete(&a, at(src, "f32)", 0, 1));
    assert!(labels(&ty).contains(&"u16") && !labels(&ty).contains(&"x"));
    let src2 = "kernel k(x) -> (f32, ";
    let ty = completion::complete(&Analysis::new(src2), src2.len());
    assert!(labels(&ty).contains(&"f64"));
    // A file mid-edit: the names its tokens show.
    let mid = "kernel k(x, gain: f32) {\n    let y = x[0] * gain;\n    let z = y + ga";
    let c = completion::complete(&Analysis::new(mid), mid.len());
    let l = labels(&c);
    for want in ["gain", "y", "x", "sqrt"] {
        assert!(l.contains(&want), "{want} missing from {l:?}");
    }
    assert!(!l.contains(&"ga"), "{l:?}");
    // Nothing in a comment or where a name is being made.
    assert!(completion::complete(&Analysis::new("# sq"), 4).is_empty());
    assert!(completion::complete(&Analysis::new("kernel "), 7).is_empty());
}

#[test]
fn semantic_tokens_decode_to_the_kinds() {
    let src = "# a comment\nconst K = 2;\nkernel k(x, s: f32) boundary wrap {\n    let é = 0;\n    sqrt(x[0]) * s + K  # tail\n}\n";
    let a = Analysis::new(src);
    let toks = tokens::tokens(&a);
    let kind_of = |piece: &str, nth: usize| {
        let start = at(src, piece, nth, 0);
        toks.iter()
            .find(|t| t.span.start == start)
            .map(|t| (t.kind, t.modifiers))
    };
    assert_eq!(kind_of("# a comment", 0), Some((Kind::Comment, 0)));
    assert_eq!(kind_of("# tail", 0), Some((Kind::Comment, 0)));
    assert_eq!(kind_of("const", 0), Some((Kind::Keyword, 0)));
    assert_eq!(
        kind_of("K", 0),
        Some((Kind::Variable, tokens::DECLARATION | tokens::READONLY))
    );
    assert_eq!(kind_of("K", 1), Some((Kind::Variable, tokens::READONLY)));
    assert_eq!(
        kind_of("k(", 0),
        Some((Kind::Function, tokens::DECLARATION))
    );
    assert_eq!(
        kind_of("s:", 0),
        Some((Kind::Parameter, tokens::DECLARATION))
    );
    assert_eq!(kind_of("f32", 0), Some((Kind::Type, 0)));
    assert_eq!(kind_of("wrap", 0), Some((Kind::EnumMember, 0)));
    assert_eq!(
        kind_of("sqrt", 0),
        Some((Kind::Function, tokens::DEFAULT_LIBRARY))
    );
    assert_eq!(kind_of("2;", 0), Some((Kind::Number, 0)));
    assert_eq!(kind_of("* s", 0), Some((Kind::Operator, 0)));
    // Encoded relative to each other, lengths in the encoding's units.
    for enc in [Encoding::Utf8, Encoding::Utf16] {
        let lines = LineIndex::new(src, enc);
        let data = tokens::encode(src, &lines, &toks);
        let (mut line, mut col) = (0, 0);
        let mut found = Vec::new();
        for t in &data {
            line += t.delta_line;
            col = if t.delta_line == 0 {
                col + t.delta_start
            } else {
                t.delta_start
            };
            found.push((line, col, t.length, t.token_type));
        }
        // `let é = 0;`: `é` (no token: a lexical error) is 2 bytes, 1
        // UTF-16 unit; `=` follows it.
        let e_len = if enc == Encoding::Utf8 { 2 } else { 1 };
        assert!(
            found.contains(&(3, 9 + e_len, 1, Kind::Operator as u32)),
            "{found:?}"
        );
        assert_eq!(found[0], (0, 0, 11, Kind::Comment as u32));
    }
}

#[test]
fn formatting_leaves_a_broken_file_alone() {
    assert_eq!(format::format("kernel k(x) {"), None);
    let messy = "kernel   k(x)   {x[0]+1}\n";
    if let Some(f) = format::format(messy) {
        assert_eq!(format::format(&f), None, "formatting is not stable: {f:?}");
    }
}

/// A server initialized with `encodings` offered.
fn server(encodings: &[&str]) -> Server {
    let init: lsp_types::InitializeParams = serde_json::from_value(json!({
        "capabilities": { "general": { "positionEncodings": encodings } }
    }))
    .unwrap();
    Server::new(&init)
}

fn send(s: &mut Server, msg: Value) -> Vec<Value> {
    let msg: lsp_server::Message = serde_json::from_value(msg).unwrap();
    s.handle(msg)
        .into_iter()
        .map(|m| serde_json::to_value(m).unwrap())
        .collect()
}

fn request(s: &mut Server, method: &str, params: Value) -> Value {
    let out = send(
        s,
        json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}),
    );
    assert_eq!(out.len(), 1, "{out:?}");
    out[0].clone()
}

#[test]
fn the_server_answers_message_by_message() {
    let uri = "file:///w/k.stn";
    let mut s = server(&["utf-16"]);
    assert_eq!(
        s.capabilities().position_encoding.unwrap().as_str(),
        "utf-16"
    );
    assert_eq!(
        server(&["utf-16", "utf-8"])
            .capabilities()
            .position_encoding
            .unwrap()
            .as_str(),
        "utf-8"
    );
    let out = send(
        &mut s,
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
            "textDocument": {"uri": uri, "languageId": "stn", "version": 1, "text": "kernel k(x) { x[0] + y }"}
        }}),
    );
    assert_eq!(out[0]["method"], "textDocument/publishDiagnostics");
    assert_eq!(
        out[0]["params"]["diagnostics"][0]["range"]["start"]["character"],
        21
    );
    // The file changes: the diagnostics follow, in UTF-16 columns (the
    // emoji is two code units).
    let out = send(
        &mut s,
        json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{"text": "kernel k(x) { x[0] + 🙂 }"}]
        }}),
    );
    let range = &out[0]["params"]["diagnostics"][0]["range"];
    assert_eq!(
        (&range["start"]["character"], &range["end"]["character"]),
        (&json!(21), &json!(23))
    );
    assert_eq!(out[0]["params"]["version"], 2);
    // An edit of a range: the emoji becomes a name defined before.
    let out = send(
        &mut s,
        json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": 3},
            "contentChanges": [
                {"range": {"start": {"line": 0, "character": 21}, "end": {"line": 0, "character": 23}}, "text": "a"},
                {"range": {"start": {"line": 0, "character": 14}, "end": {"line": 0, "character": 14}}, "text": "let a = 1; "}
            ]
        }}),
    );
    assert_eq!(out[0]["params"]["diagnostics"], json!([]), "{out:?}");
    let pos = |line: u32, character: u32| json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}});
    let r = request(&mut s, "textDocument/definition", pos(0, 32));
    assert_eq!(r["result"]["range"]["start"]["character"], 18, "{r}");
    let r = request(&mut s, "textDocument/hover", pos(0, 33));
    assert!(
        r["result"]["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("i64 (a literal"),
        "{r}"
    );
    // Positions past the end, past the line, inside a surrogate pair.
    for (line, ch) in [(0, 999), (9, 0), (0, 22), (u32::MAX, u32::MAX)] {
        for method in [
            "textDocument/hover",
            "textDocument/definition",
            "textDocument/completion",
        ] {
            let r = request(&mut s, method, pos(line, ch));
            assert!(r.get("error").is_none(), "{method} at {line}:{ch}: {r}");
        }
    }
    let r = request(
        &mut s,
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": uri}}),
    );
    assert!(r["result"]["data"].as_array().unwrap().len() > 10);
    // Rename, or why not; the outline.
    let rename = |s: &mut Server, to: &str| {
        let mut p = pos(0, 18);
        p["newName"] = json!(to);
        request(s, "textDocument/rename", p)
    };
    let r = rename(&mut s, "b");
    assert_eq!(
        r["result"]["changes"][uri].as_array().unwrap().len(),
        2,
        "{r}"
    );
    let r = rename(&mut s, "x");
    assert_eq!(r["error"]["code"], -32600, "{r}");
    assert_eq!(
        r["error"]["message"],
        "`x` is already the name of an array parameter here"
    );
    let r = request(
        &mut s,
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    assert_eq!(r["result"][0]["name"], "k", "{r}");
    assert_eq!(r["result"][0]["children"][1]["name"], "a", "{r}");
    // Unknown methods and bad parameters are errors, not crashes.
    let r = request(&mut s, "textDocument/codeLens", json!({}));
    assert_eq!(r["error"]["code"], -32601);
    let r = request(&mut s, "textDocument/rename", json!({}));
    assert_eq!(r["error"]["code"], -32602);
    let r = request(&mut s, "textDocument/hover", json!({"nonsense": true}));
    assert_eq!(r["error"]["code"], -32602);
    // An unopened document: an empty answer.
    let r = request(
        &mut s,
        "textDocument/hover",
        json!({"textDocument": {"uri": "file:///none.stn"}, "position": {"line": 0, "character": 0}}),
    );
    assert_eq!(r["result"], Value::Null);
    // Closing clears the diagnostics.
    let out = send(
        &mut s,
        json!({"jsonrpc": "2.0", "method": "textDocument/didClose", "params": {"textDocument": {"uri": uri}}}),
    );
    assert_eq!(out[0]["params"]["diagnostics"], json!([]));
}

#[test]
fn random_text_never_panics() {
    let seed = soup::seed();
    let mut rng = StdRng::seed_from_u64(seed);
    let seeds: Vec<String> = [
        "blur.stn",
        "gray_scott.stn",
        "median.stn",
        "heat.stn",
        "wave.stn",
    ]
    .iter()
    .map(|f| example(f))
    .collect();
    let uri: lsp_types::Uri = "file:///soup.stn".parse().unwrap();
    for i in 0..300 {
        let src = soup::soup(&mut rng, &seeds);
        let mut offsets: Vec<usize> = (0..4)
            .map(|_| rng.random_range(0..=src.len() + 3))
            .collect();
        offsets.extend([0, src.len(), src.len() + 10]);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let a = Analysis::new(src.as_str());
            stn_lsp::symbols::outline(&a);
            assert!(
                stn_lsp::symbols::folds(&a)
                    .iter()
                    .all(|s| s.end <= src.len())
            );
            for enc in [Encoding::Utf8, Encoding::Utf16] {
                let lines = LineIndex::new(&src, enc);
                diagnostics::to_lsp(&uri, &src, &lines, a.diagnostics());
                tokens::encode(&src, &lines, &tokens::tokens(&a));
                for &o in &offsets {
                    let p = lines.position(&src, o);
                    assert!(lines.offset(&src, p) <= src.len());
                }
            }
            for &o in &offsets {
                // Hover checks kernels for several dtypes: only on small
                // files.
                if src.len() < 400 || i % 10 == 0 {
                    hover::hover(&a, o);
                }
                completion::complete(&a, o);
                if let Some(d) = a.definition(o) {
                    assert!(d.end <= src.len());
                }
                a.references(o, true);
                stn_lsp::symbols::highlights(&a, o);
                stn_lsp::signature::signature_help(&a, o);
                if let Ok(spans) = stn_lsp::symbols::rename(&a, o, "renamed") {
                    assert!(spans.iter().all(|s| s.end <= src.len()));
                }
            }
            format::format(&src);
        }));
        assert!(
            outcome.is_ok(),
            "lsp panicked on soup {i} with STN_SEED={seed}: {src:?}"
        );
    }
}

#[test]
fn quick_fixes_apply_the_diagnostics_fixes() {
    let uri = "file:///w/fix.stn";
    let mut s = server(&["utf-16"]);
    let text = "kernel k(x) boundary refelct {\n    let unused = 1;\n    x[0]\n}\n";
    send(
        &mut s,
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
            "textDocument": {"uri": uri, "languageId": "stn", "version": 1, "text": text}
        }}),
    );
    let actions = |s: &mut Server, line: u32| {
        let range = json!({"start": {"line": line, "character": 0}, "end": {"line": line, "character": 40}});
        request(
            s,
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": range, "context": {"diagnostics": []}}),
        )
    };
    let r = actions(&mut s, 0);
    let fix = &r["result"][0];
    assert_eq!(fix["title"], "replace with `reflect`", "{r}");
    assert_eq!(fix["kind"], "quickfix");
    let edit = &fix["edit"]["changes"][uri][0];
    assert_eq!(edit["newText"], "reflect");
    assert_eq!(edit["range"]["start"], json!({"line": 0, "character": 21}));
    let r = actions(&mut s, 1);
    assert_eq!(r["result"][0]["title"], "rename to `_unused`", "{r}");
    // A line with no diagnostic: no fixes.
    let r = actions(&mut s, 2);
    assert_eq!(r["result"], json!([]), "{r}");
    // No signature help in a kernel's own parameter list: it is no call.
    let p = json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 9}});
    let r = request(&mut s, "textDocument/signatureHelp", p);
    assert_eq!(r["result"], Value::Null, "{r}");
}

#[test]
fn signature_help_names_the_call_and_the_argument_at_the_cursor() {
    use stn_lsp::signature::signature_help;
    // A call being typed (the file does not parse yet): a builtin, a
    // reduction, a stage, and a cast.
    let src = "kernel s(x, a: f32) { x[0, 0] * a }\n\
               kernel k(x) {\n    let b = s(x, 2.0);\n    clamp(x[0, 0], min(1, ";
    let a = Analysis::new(src);
    let sig = signature_help(&a, src.len()).unwrap();
    assert_eq!(sig.label, "min(a, b, ...)");
    assert_eq!(sig.active, 1);
    let at = |needle: &str, into: usize| src.find(needle).unwrap() + into;
    let sig = signature_help(&a, at("min(", 0)).unwrap();
    assert_eq!((sig.label.as_str(), sig.active), ("clamp(a, lo, hi)", 1));
    assert_eq!(sig.params, ["a", "lo", "hi"]);
    assert!(sig.doc.contains("limited"), "{}", sig.doc);
    // Inside brackets, the offsets of an access: no call.
    assert_eq!(signature_help(&a, at("[0, 0],", 2)), None);
    let sig = signature_help(&a, at("2.0)", 0)).unwrap();
    assert_eq!((sig.label.as_str(), sig.active), ("s(x, a: f32)", 1));
    assert_eq!(signature_help(&a, at("x, a: f32", 1)), None);
    let src = "kernel k(x) { rank(1, i in -1..=1) { f32(x[i]) } }";
    let a = Analysis::new(src);
    let sig = signature_help(&a, src.find("i in").unwrap()).unwrap();
    assert_eq!(sig.label, "rank(k, i in lo..=hi, ...)");
    assert_eq!(sig.active, 1);
    let sig = signature_help(&a, src.find("x[i]").unwrap()).unwrap();
    assert_eq!(sig.label, "f32(a)");
}
