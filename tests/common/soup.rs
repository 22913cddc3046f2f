//! Random text for the front end's never-panic tests (the parser, the
//! formatter, the language server): valid files with pieces spliced in or
//! cut out, raw bytes, and streams of the language's pieces.
//!
//! Each test includes this file with `#[path = "common/soup.rs"] mod soup;`.

use rand::Rng;
use rand::rngs::StdRng;

/// Tokens, near-tokens and awkward characters to splice in.
pub const PIECES: &[&str] = &[
    "kernel",
    "const",
    "let",
    "if",
    "else",
    "in",
    "and",
    "or",
    "not",
    "true",
    "false",
    "boundary",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ";",
    ":",
    "=",
    "->",
    "..=",
    "+",
    "-",
    "*",
    "/",
    "//",
    "%",
    "**",
    "&",
    "|",
    "^",
    "~",
    "<<",
    ">>",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "x",
    "f32",
    "sum",
    "0",
    "1",
    "2.5",
    "1e3",
    "99999999999999999999",
    "#c\n",
    " ",
    "\n",
    "$",
    "é",
    ".",
    "k",
    "s",
    "wrap",
    "a",
    "-1",
    "i",
    "K",
    "sqrt",
    "(a, _)",
    "#",
    "🙂",
    "\r\n",
    "\r",
    "9999999999999999999999",
];

/// The seed of a random test: `STN_SEED` when set (to rerun a failure),
/// else a fresh one. It is printed, so a failing test's output shows it.
pub fn seed() -> u64 {
    let seed = std::env::var("STN_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("STN_SEED={seed}");
    seed
}

/// One random text: a third of them one of `seeds` (valid files) with one
/// to three pieces spliced in or cut out, a fifth raw bytes made valid
/// UTF-8 lossily, the rest up to 60 pieces with or without spaces.
pub fn soup(rng: &mut StdRng, seeds: &[String]) -> String {
    let kind = rng.random_range(0..10);
    if kind < 4 && !seeds.is_empty() {
        let mut s = seeds[rng.random_range(0..seeds.len())].clone();
        for _ in 0..rng.random_range(1..4) {
            let at = rng.random_range(0..=s.len());
            let at = (0..=at).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0);
            if rng.random_bool(0.5) {
                s.insert_str(at, PIECES[rng.random_range(0..PIECES.len())]);
            } else {
                let end = (at..=s.len().min(at + 8))
                    .rev()
                    .find(|&i| s.is_char_boundary(i))
                    .unwrap_or(at);
                s.replace_range(at..end, "");
            }
        }
        s
    } else if kind < 6 {
        let bytes: Vec<u8> = (0..rng.random_range(0..60)).map(|_| rng.random()).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        let sep = if rng.random_bool(0.5) { " " } else { "" };
        (0..rng.random_range(0..60))
            .map(|_| PIECES[rng.random_range(0..PIECES.len())])
            .collect::<Vec<_>>()
            .join(sep)
    }
}
