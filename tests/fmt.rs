//! `stn fmt`: the layout rules as examples (input, then the expected
//! output), the guarantees over every kernel file of the repository and
//! over generated ones, and the command.
//!
//! Every example is also checked for the guarantees: formatting again
//! changes nothing, and the tree is the input's.

use crate::soup;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use stn::internals::syntax::fmt::format;
use stn::internals::syntax::{dump::dump, parse};

/// Formats `src`, checks it gives `expect`, and checks the guarantees.
#[track_caller]
fn check(src: &str, expect: &str) {
    let out = format(src).unwrap_or_else(|d| panic!("does not parse: {d:?}\n{src}"));
    assert_eq!(out, expect, "\n--- got\n{out}--- expected\n{expect}");
    guarantees(src, &out);
}

/// Formatting `out` again changes nothing; `out` parses to `src`'s tree and
/// holds its comments, in order.
#[track_caller]
fn guarantees(src: &str, out: &str) {
    let again = format(out).unwrap_or_else(|d| panic!("output does not parse: {d:?}\n{out}"));
    assert_eq!(
        again, out,
        "not idempotent\n--- first\n{out}--- second\n{again}"
    );
    let (before, _) = parse(src);
    let (after, _) = parse(out);
    assert_eq!(
        dump(&after),
        dump(&before),
        "tree changed\n{src}\n---\n{out}"
    );
    assert_eq!(
        comments(out),
        comments(src),
        "comments changed\n{src}\n---\n{out}"
    );
}

/// The comments of a source that has no `#` but in comments.
fn comments(src: &str) -> Vec<&str> {
    src.lines()
        .filter_map(|l| l.find('#').map(|at| l[at..].trim_end()))
        .collect()
}

#[test]
fn spacing_one_space_around_binary_operators_none_inside_brackets() {
    check(
        "kernel k( x ,s:f32 )->f32 boundary  wrap{let a=-x[ -1,0 ]**2;a*s+~1//2}",
        "kernel k(x, s: f32) -> f32 boundary wrap {
    let a = -x[-1, 0] ** 2;
    a * s + ~1 // 2
}
",
    );
}

#[test]
fn items_are_one_blank_line_apart_consecutive_consts_as_written() {
    check(
        "const A = 1;\nconst B = 2;\n\n\n\nconst C = 3;\nkernel k(x) { x[0] * A }\nkernel j(x) { x[0] }\n",
        "const A = 1;
const B = 2;

const C = 3;

kernel k(x) {
    x[0] * A
}

kernel j(x) {
    x[0]
}
",
    );
}

#[test]
fn comments_stay_at_the_end_of_their_line_or_on_their_own() {
    check(
        "# head\n\n\nconst A = 1;   # one\n# about k\nkernel k(x) {   # open\n  # before a\n  let a = x[0];\n\n\n  # before the value\n  a # value\n  # at the end\n} # closed\n# tail",
        "# head

const A = 1;  # one

# about k
kernel k(x) {  # open
    # before a
    let a = x[0];

    # before the value
    a  # value
    # at the end
}  # closed
# tail
",
    );
}

#[test]
fn a_comment_inside_an_expression_keeps_that_statement_as_written() {
    check(
        "kernel k(x) {\n  let s = x[0] +   # first\n          x[1];\n  s\n}\n",
        "kernel k(x) {
    let s = x[0] +   # first
            x[1];
    s
}
",
    );
    // Only the `let` inside the reduction's body is kept as written.
    check(
        "kernel k(x) { sum(i in -1..=1) { # weights\n  let w = 2 * # two\n    1;\n  x[i]*w } }",
        "kernel k(x) {
    sum(i in -1..=1) {  # weights
        let w = 2 * # two
          1;
        x[i] * w
    }
}
",
    );
}

#[test]
fn long_chains_break_before_their_loosest_operators() {
    check(
        "kernel k(x) { let s = x[-2, -2] + x[-2, -1] + x[-2, 0] + x[-2, 1] + x[-2, 2] + x[-1, -2] * 2 + x[-1, -1] * 2 + x[-1, 0] * 4; s }",
        "kernel k(x) {
    let s = x[-2, -2]
        + x[-2, -1]
        + x[-2, 0]
        + x[-2, 1]
        + x[-2, 2]
        + x[-1, -2] * 2
        + x[-1, -1] * 2
        + x[-1, 0] * 4;
    s
}
",
    );
}

#[test]
fn user_line_breaks_in_a_chain_are_kept_before_the_operator() {
    // examples/smooth.stn: the 3x3 grid survives; the sum breaks inside its
    // parentheses rather than before `// 9`.
    check(
        "kernel smooth(x) {
    (x[-1, -1] + x[-1, 0] + x[-1, 1] +
     x[ 0, -1] + x[ 0, 0] + x[ 0, 1] +
     x[ 1, -1] + x[ 1, 0] + x[ 1, 1]) // 9
}
",
        "kernel smooth(x) {
    (x[-1, -1] + x[-1, 0] + x[-1, 1]
        + x[0, -1] + x[0, 0] + x[0, 1]
        + x[1, -1] + x[1, 0] + x[1, 1]) // 9
}
",
    );
}

#[test]
fn if_on_one_line_when_it_fits_and_has_no_let() {
    check(
        "kernel k(x) { if x[0]>0 {1} else if x[0]<0 {-1} else {0} }",
        "kernel k(x) {
    if x[0] > 0 { 1 } else if x[0] < 0 { -1 } else { 0 }
}
",
    );
    check(
        "kernel k(x) { let v = if x[0] > 0 { let w = x[0] * 2; w } else if x[0] < 0 { -1 } else { 0 }; v }",
        "kernel k(x) {
    let v = if x[0] > 0 {
        let w = x[0] * 2;
        w
    } else if x[0] < 0 {
        -1
    } else {
        0
    };
    v
}
",
    );
}

#[test]
fn reductions_on_one_line_when_they_fit_and_have_no_let() {
    check(
        "kernel k(x) { sum(i in -1 ..= 1, j in -1..=1,) { x[i, j] } // 9 }",
        "kernel k(x) {
    sum(i in -1..=1, j in -1..=1) { x[i, j] } // 9
}
",
    );
    check(
        "kernel k(x) { rank(1, i in -1..=1) { let v = x[i]; v * v } }",
        "kernel k(x) {
    rank(1, i in -1..=1) {
        let v = x[i];
        v * v
    }
}
",
    );
}

#[test]
fn tuples_and_several_outputs() {
    check(
        "kernel g(x) -> ( f32 , _ , ) { ( x[0] , x[1] , ) }\nkernel m(x) { let ( a , b , _ ) = g(x); a[0] + b[0] }",
        "kernel g(x) -> (f32, _) {
    (x[0], x[1])
}

kernel m(x) {
    let (a, b, _) = g(x);
    a[0] + b[0]
}
",
    );
    // A tuple the user broke (or too long) gets one item per line.
    check(
        "kernel w(u, p) {\n    (2.0 * u[0, 0] - p[0, 0],\n     u[0, 0])\n}\n",
        "kernel w(u, p) {
    (
        2.0 * u[0, 0] - p[0, 0],
        u[0, 0],
    )
}
",
    );
}

#[test]
fn const_tables_one_line_or_one_aligned_row_per_line() {
    check(
        "const K = [ [1,2] , [3,4], ];\nconst DEEP = [[[1], [2]], [[-3], [4]]];\nconst E = [];",
        "const K = [[1, 2], [3, 4]];
const DEEP = [[[1], [2]], [[-3], [4]]];
const E = [];
",
    );
    check(
        "const K = [[1, 4, 6, 4, 1],\n  [4, 16, 24, 16, 4],\n [6, 24, -36, 24, 6]];",
        "const K = [
    [1,  4,   6,  4, 1],
    [4, 16,  24, 16, 4],
    [6, 24, -36, 24, 6],
];
",
    );
}

#[test]
fn long_calls_get_one_argument_per_line() {
    check(
        "kernel k(x, a: f32) { where(x[0, 0] > a and x[0, 1] > a and x[1, 0] > a, x[0, 0] * 2.0 + x[0, 1] * 3.0 + x[1, 1] * 4.0, 0.0) }",
        "kernel k(x, a: f32) {
    where(
        x[0, 0] > a and x[0, 1] > a and x[1, 0] > a,
        x[0, 0] * 2.0 + x[0, 1] * 3.0 + x[1, 1] * 4.0,
        0.0,
    )
}
",
    );
}

#[test]
fn a_parenthesized_operand_breaks_inside_its_parentheses() {
    check(
        "kernel h(u, alpha: f64) { alpha * (u[-1, 0] + u[1, 0] + u[0, -1] + u[0, 1] + u[0, 2] + u[2, 0] + u[-2, 0] + u[0, -2] + u[3, 0] - 9.0 * u[0, 0]) }",
        "kernel h(u, alpha: f64) {
    alpha * (u[-1, 0]
        + u[1, 0]
        + u[0, -1]
        + u[0, 1]
        + u[0, 2]
        + u[2, 0]
        + u[-2, 0]
        + u[0, -2]
        + u[3, 0]
        - 9.0 * u[0, 0])
}
",
    );
}

#[test]
fn parentheses_are_kept_as_written_and_none_added() {
    check(
        "kernel k(x) { let a = 2 ** -1; let b = -x[0] ** 2; let c = (-x[0]) ** 2; let d = (a * b) + c; let e = (a < b) == (c < d); let f = not (e and true); ((f)) }",
        "kernel k(x) {
    let a = 2 ** -1;
    let b = -x[0] ** 2;
    let c = (-x[0]) ** 2;
    let d = (a * b) + c;
    let e = (a < b) == (c < d);
    let f = not (e and true);
    ((f))
}
",
    );
}

#[test]
fn literals_are_kept_as_written() {
    check(
        "kernel k(x) { x[0] * 1e-3 + 0.50 + 2.5E+4 + true }",
        "kernel k(x) {
    x[0] * 1e-3 + 0.50 + 2.5E+4 + true
}
",
    );
}

#[test]
fn refuses_text_that_does_not_parse() {
    let diags = format("kernel k(x) { x[0] ").unwrap_err();
    assert!(!diags.is_empty());
    assert!(format("kernel k(x) { $ }").is_err());
}

fn stn_files(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "stn"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_kernel_file_keeps_its_tree_and_comments_and_is_stable() {
    let mut files = stn_files("examples");
    files.extend(stn_files("examples/gallery"));
    files.extend(stn_files("tests/data/parse/ok"));
    assert!(files.len() > 20);
    for path in files {
        let src = fs::read_to_string(&path).unwrap();
        let out = format(&src).unwrap_or_else(|d| panic!("{}: {d:?}", path.display()));
        guarantees(&src, &out);
    }
}

#[test]
fn the_examples_are_formatted() {
    let mut files = stn_files("examples");
    files.extend(stn_files("examples/gallery"));
    for path in files {
        let src = fs::read_to_string(&path).unwrap();
        let out = format(&src).unwrap();
        assert_eq!(out, src, "`stn fmt {}` would change it", path.display());
    }
}

/// A kernel file written as tokens, for `spell` to join.
struct Gen<'r> {
    rng: &'r mut StdRng,
    toks: Vec<String>,
    /// Chance of a line break, and of a comment, between two tokens.
    breaks: f64,
    comments: f64,
}

/// Binding strength of what `Gen::expr` returns, as crates/stn/crates/stn/grammar/stn.lalrpop
/// orders them: `or` 1 ... `**` 12, atoms 13.
const ATOM: u8 = 13;

impl Gen<'_> {
    fn tok(&mut self, t: &str) {
        self.toks.push(t.to_string());
    }

    fn pick(&mut self, choices: &[&str]) {
        let t = choices[self.rng.random_range(0..choices.len())];
        self.tok(t);
    }

    /// An expression whose loosest operator binds at least as tightly as
    /// `need`; parentheses where needed, and now and then where not.
    fn expr(&mut self, depth: u32, need: u8) {
        let start = self.toks.len();
        let got = self.bare(depth);
        if got < need || self.rng.random_bool(0.08) {
            self.toks.insert(start, "(".to_string());
            self.tok(")");
        }
    }

    fn bare(&mut self, depth: u32) -> u8 {
        const BINARY: &[(&str, u8)] = &[
            ("or", 1),
            ("and", 2),
            ("==", 4),
            ("<", 4),
            (">=", 4),
            ("|", 5),
            ("^", 6),
            ("&", 7),
            ("<<", 8),
            ("+", 9),
            ("-", 9),
            ("*", 10),
            ("//", 10),
            ("%", 10),
            ("/", 10),
            ("**", 12),
        ];
        let pick = if depth == 0 {
            0
        } else {
            self.rng.random_range(0..12)
        };
        match pick {
            0..=1 => {
                match self.rng.random_range(0..5) {
                    0 => {
                        let v = self.rng.random_range(0..100);
                        self.tok(&v.to_string())
                    }
                    1 => self.pick(&["0.5", "1e-3", "2.50", "true"]),
                    2 => self.pick(&["s", "K", "N"]),
                    _ => {
                        self.tok("x");
                        self.tok("[");
                        for n in 0..2 {
                            if n > 0 {
                                self.tok(",");
                            }
                            if self.rng.random_bool(0.3) {
                                self.tok("-");
                            }
                            self.pick(&["0", "1", "2", "i", "N"]);
                        }
                        self.tok("]");
                    }
                }
                ATOM
            }
            2..=6 => {
                let (op, level) = BINARY[self.rng.random_range(0..BINARY.len())];
                let (lhs, rhs) = match level {
                    4 => (5, 5),
                    12 => (ATOM, 11),
                    l => (l, l + 1),
                };
                self.expr(depth - 1, lhs);
                self.tok(op);
                self.expr(depth - 1, rhs);
                level
            }
            7 => {
                let (op, level, operand) =
                    [("-", 11, 11), ("~", 11, 11), ("not", 3, 3)][self.rng.random_range(0..3)];
                self.tok(op);
                self.expr(depth - 1, operand);
                level
            }
            8 => {
                self.pick(&["min", "where", "f32"]);
                self.tok("(");
                for n in 0..self.rng.random_range(1..4) {
                    if n > 0 {
                        self.tok(",");
                    }
                    self.expr(depth - 1, 0);
                }
                if self.rng.random_bool(0.2) {
                    self.tok(",");
                }
                self.tok(")");
                ATOM
            }
            9 => {
                self.if_expr(depth);
                ATOM
            }
            10 => {
                self.pick(&["sum", "max"]);
                self.tok("(");
                for n in 0..self.rng.random_range(1..3) {
                    if n > 0 {
                        self.tok(",");
                    }
                    self.tok(["i", "j"][n]);
                    self.tok("in");
                    self.tok("-");
                    self.tok("1");
                    self.tok("..=");
                    self.tok("1");
                }
                self.tok(")");
                self.block(depth - 1);
                ATOM
            }
            _ => {
                self.tok("(");
                for n in 0..self.rng.random_range(2..4) {
                    if n > 0 {
                        self.tok(",");
                    }
                    self.expr(depth - 1, 0);
                }
                self.tok(")");
                ATOM
            }
        }
    }

    /// `if c { ... } else { ... }`, or `else if` and on.
    fn if_expr(&mut self, depth: u32) {
        self.tok("if");
        self.expr(depth - 1, 0);
        self.block(depth - 1);
        self.tok("else");
        if depth > 1 && self.rng.random_bool(0.3) {
            self.if_expr(depth - 1);
        } else {
            self.block(depth - 1);
        }
    }

    fn block(&mut self, depth: u32) {
        self.tok("{");
        for n in 0..self.rng.random_range(0..3) {
            self.tok("let");
            self.tok(["a", "b", "c"][n]);
            self.tok("=");
            self.expr(depth, 0);
            self.tok(";");
        }
        self.expr(depth, 0);
        self.tok("}");
    }

    fn file(&mut self) {
        if self.rng.random_bool(0.5) {
            self.tok("const");
            self.tok("K");
            self.tok("=");
            self.tok("[");
            for r in 0..self.rng.random_range(1..4) {
                if r > 0 {
                    self.tok(",");
                }
                self.tok("[");
                for c in 0..3 {
                    if c > 0 {
                        self.tok(",");
                    }
                    if self.rng.random_bool(0.3) {
                        self.tok("-");
                    }
                    let v = self.rng.random_range(0..200);
                    self.tok(&v.to_string());
                }
                self.tok("]");
            }
            self.tok("]");
            self.tok(";");
        }
        self.tok("kernel");
        self.tok("k");
        self.tok("(");
        self.tok("x");
        self.tok(",");
        self.tok("s");
        self.tok(":");
        self.tok("f32");
        self.tok(")");
        if self.rng.random_bool(0.3) {
            self.tok("->");
            self.tok("f32");
        }
        let depth = self.rng.random_range(1..6);
        self.block(depth);
    }

    /// The tokens joined by random whitespace and numbered comments;
    /// returns the text and how many comments it has.
    fn spell(&mut self) -> (String, usize) {
        let mut out = String::new();
        let mut comments = 0;
        let toks = std::mem::take(&mut self.toks);
        for t in &toks {
            let glue = |a: char, b: char| {
                (a.is_alphanumeric() || a == '_') && (b.is_alphanumeric() || b == '_')
                    || "+-*/%&|^~<>=!.".contains(a) && "+-*/%&|^~<>=!.".contains(b)
            };
            if let (Some(a), Some(b)) = (out.chars().last(), t.chars().next()) {
                let sep = if self.rng.random_bool(self.breaks) {
                    ["\n", "\n\n    ", "\n        "][self.rng.random_range(0..3)]
                } else {
                    ["", "", " ", " ", " ", "   "][self.rng.random_range(0..6)]
                };
                out.push_str(if sep.is_empty() && glue(a, b) {
                    " "
                } else {
                    sep
                });
            }
            if self.rng.random_bool(self.comments) {
                out.push_str(&format!(" # c{comments}\n"));
                comments += 1;
            }
            out.push_str(t);
        }
        if self.rng.random_bool(0.3) {
            out.push_str(&format!(" # c{comments}"));
            comments += 1;
        }
        (out, comments)
    }
}

#[test]
fn generated_kernels_keep_their_tree_and_comments_and_are_stable() {
    let seed = soup::seed();
    let mut rng = StdRng::seed_from_u64(seed);
    for case in 0..500 {
        let breaks = [0.0, 0.03, 0.2][case % 3];
        let chance = [0.0, 0.005, 0.03][case / 3 % 3];
        let mut g = Gen {
            rng: &mut rng,
            toks: Vec::new(),
            breaks,
            comments: chance,
        };
        g.file();
        let (src, n) = g.spell();
        let out = format(&src).unwrap_or_else(|d| {
            panic!("case {case} (STN_SEED={seed}) does not parse: {d:?}\n{src}")
        });
        let numbered: Vec<String> = (0..n).map(|i| format!("# c{i}")).collect();
        assert_eq!(
            comments(&out),
            numbered,
            "case {case} (STN_SEED={seed})\n{src}\n---\n{out}"
        );
        guarantees(&src, &out);
    }
}

#[test]
fn random_soups_never_panic() {
    let seed = soup::seed();
    let mut rng = StdRng::seed_from_u64(seed);
    let seeds: Vec<String> = stn_files("tests/data/parse/ok")
        .iter()
        .map(|p| fs::read_to_string(p).unwrap())
        .collect();
    for _ in 0..2000 {
        let src = soup::soup(&mut rng, &seeds);
        if let Ok(out) = format(&src) {
            guarantees(&src, &out);
        }
    }
}

// ---- the command ----

fn stn(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stn"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the stn binary runs");
    {
        use std::io::Write;
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    }
    child.wait_with_output().unwrap()
}

const UGLY: &str = "kernel k(x){x[0]+x[1]}\n";
const PRETTY: &str = "kernel k(x) {\n    x[0] + x[1]\n}\n";

#[test]
fn cli_stdin_to_stdout() {
    let o = stn(&["fmt"], Some(UGLY));
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&o.stdout), PRETTY);
    let o = stn(&["fmt", "--check"], Some(UGLY));
    assert_eq!(o.status.code(), Some(1));
    let o = stn(&["fmt", "--check"], Some(PRETTY));
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty());
}

#[test]
fn cli_check_lists_unformatted_files_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ugly = dir.path().join("ugly.stn");
    let pretty = dir.path().join("pretty.stn");
    fs::write(&ugly, UGLY).unwrap();
    fs::write(&pretty, PRETTY).unwrap();
    let (u, p) = (ugly.to_str().unwrap(), pretty.to_str().unwrap());
    let o = stn(&["fmt", "--check", u, p], None);
    assert_eq!(o.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(stdout, format!("would reformat: {u}\n"));
    assert_eq!(fs::read_to_string(&ugly).unwrap(), UGLY);
    let o = stn(&["fmt", "--check", p], None);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn cli_rewrites_files_in_place_and_leaves_a_broken_one_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let ugly = dir.path().join("ugly.stn");
    let broken = dir.path().join("broken.stn");
    fs::write(&ugly, UGLY).unwrap();
    fs::write(&broken, "kernel k(x) { x[0] +  }\n").unwrap();
    let o = stn(
        &["fmt", ugly.to_str().unwrap(), broken.to_str().unwrap()],
        None,
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("broken.stn:1:"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(fs::read_to_string(&ugly).unwrap(), PRETTY);
    assert_eq!(
        fs::read_to_string(&broken).unwrap(),
        "kernel k(x) { x[0] +  }\n"
    );
    // Nothing else is left in the folder.
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
    let o = stn(&["fmt", ugly.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn cli_usage_errors_exit_2() {
    let o = stn(&["fmt", "--nope"], None);
    assert_eq!(o.status.code(), Some(2));
}
