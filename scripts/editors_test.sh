#!/usr/bin/env bash
# Tests the editor support under editors/: the tree-sitter grammar and the
# VS Code extension's files. Prints one summary line on success.
#
#  1. installs tree-sitter-cli at the version pinned in
#     editors/tree-sitter-stn/package-lock.json (npm ci);
#  2. regenerates the parser and fails if the committed src/ differs;
#  3. runs the corpus tests (test/corpus/*.txt);
#  4. parses the repository's .stn files: every valid one (examples, benches,
#     fuzz seeds, tests/data/parse/ok, tests/data/check) must parse with no
#     ERROR or MISSING node, and every tests/data/parse/err file must not,
#     except the few rejected for reasons outside a grammar (EXCUSED below);
#  5. checks the VS Code extension's JSON files, regexes and name lists.
#
# The npm package tree-sitter-cli fetches its binary from the tree-sitter
# release pages when installed. Where that fails, the same version is built
# once from crates.io (a few minutes) into a cache outside the repository,
# ${XDG_CACHE_HOME:-~/.cache}/stn/tree-sitter-cli-VERSION; STN_TREE_SITTER
# may name a tree-sitter binary of that version to use instead.
#
# Needs node/npm and a C compiler; cargo only when no binary can be had
# otherwise. Exits 3 (with one line) when the npm registry is unreachable.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
ts_dir="$root/editors/tree-sitter-stn"
vscode_dir="$root/editors/vscode"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
log="$tmp/log"
: >"$log"

fail() {
    cat "$log" >&2
    echo "editors_test.sh: $*" >&2
    exit 1
}

# err files the lalrpop grammar rejects for reasons a grammar cannot see.
EXCUSED=(
    int_too_large.stn   # the lexer: an integer literal must fit in i64
    float_too_large.stn # the lexer: a float literal must not overflow f64
)

# ---- 1. tree-sitter-cli ----

if ! timeout 30 npm ping >/dev/null 2>&1; then
    echo "editors_test.sh: the npm registry is unreachable" >&2
    exit 3
fi

cd "$ts_dir"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >>"$log" 2>&1 || fail "npm ci failed"
version="$(node -p 'require("./node_modules/tree-sitter-cli/package.json").version')"
bin="$ts_dir/node_modules/tree-sitter-cli/tree-sitter"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/stn/tree-sitter-cli-$version"

has_version() { [ -x "$1" ] && [ "$("$1" --version 2>/dev/null | awk '{print $2}')" = "$version" ]; }

if [ -n "${STN_TREE_SITTER:-}" ]; then
    has_version "$STN_TREE_SITTER" || fail "STN_TREE_SITTER=$STN_TREE_SITTER is not tree-sitter $version"
    cp "$STN_TREE_SITTER" "$bin"
elif has_version "$cache/bin/tree-sitter"; then
    cp "$cache/bin/tree-sitter" "$bin"
else
    # The package's own install step: the release binary, where it can be fetched.
    (cd node_modules/tree-sitter-cli && timeout 120 node install.js) >>"$log" 2>&1 || true
    if ! has_version "$bin"; then
        rm -f "$bin"
        command -v cargo >/dev/null || fail "no tree-sitter $version binary and no cargo to build one"
        echo "editors_test.sh: building tree-sitter-cli $version from crates.io into $cache (once)" >&2
        cargo install tree-sitter-cli --version "=$version" --locked --no-default-features \
            --root "$cache" >>"$log" 2>&1 || fail "cargo install tree-sitter-cli@$version failed"
        cp "$cache/bin/tree-sitter" "$bin"
    fi
fi
chmod +x "$bin"
ts() { "$bin" "$@"; }
# An empty tree-sitter config: no parser directories, no warning about them.
echo '{"parser-directories": []}' >"$tmp/config.json"

# ---- 2. the generated parser is up to date ----

cp -r src "$tmp/src.committed"
ts generate >>"$log" 2>&1 || fail "tree-sitter generate failed"
diff -r "$tmp/src.committed" src >"$tmp/src.diff" 2>&1 || {
    head -40 "$tmp/src.diff" >>"$log"
    fail "editors/tree-sitter-stn/src is out of date with grammar.js: run \`npx tree-sitter generate\` there and commit src/"
}

# ---- 3. corpus tests ----

NO_COLOR=1 ts test --config-path "$tmp/config.json" >"$tmp/test.out" 2>&1 || {
    cat "$tmp/test.out" >>"$log"
    fail "tree-sitter test failed"
}
corpus="$(sed -n 's/.*Total parses: \([0-9]*\).*/\1/p' "$tmp/test.out" | tail -1)"

# ---- 4. the repository's .stn files ----

cd "$root"
: >"$tmp/accept"
for d in examples benches fuzz/seeds tests/data/parse/ok tests/data/check; do
    [ -d "$d" ] && find "$root/$d" -name '*.stn' -type f | sort >>"$tmp/accept"
done
: >"$tmp/reject"
excused=0
for f in tests/data/parse/err/*.stn; do
    name="$(basename "$f")"
    if printf '%s\n' "${EXCUSED[@]}" | grep -qx "$name"; then
        excused=$((excused + 1))
    else
        echo "$root/$f" >>"$tmp/reject"
    fi
done
[ "$excused" -eq "${#EXCUSED[@]}" ] || fail "EXCUSED names a file that is not in tests/data/parse/err"

cd "$ts_dir"
cat "$tmp/accept" "$tmp/reject" >"$tmp/all"
# Exits 1 when any file has errors (the err files do); the JSON tells which.
ts parse --quiet --json-summary --config-path "$tmp/config.json" --paths "$tmp/all" \
    >"$tmp/parse.out" 2>>"$log" || true
counts="$(node - "$tmp" <<'JS'
const fs = require('fs');
const tmp = process.argv[2];
const out = fs.readFileSync(`${tmp}/parse.out`, 'utf8');
const summary = JSON.parse(out.slice(out.indexOf('\n{') + 1));
const ok = new Map(summary.parse_summaries.map((s) => [s.file, s.successful]));
const lines = (f) => fs.readFileSync(`${tmp}/${f}`, 'utf8').split('\n').filter(Boolean);
let bad = 0;
const accept = lines('accept');
const reject = lines('reject');
for (const f of accept) {
  if (ok.get(f) !== true) { console.error(`should parse, has ERROR/MISSING: ${f}`); bad++; }
}
for (const f of reject) {
  if (ok.get(f) !== false) { console.error(`should not parse, has no ERROR/MISSING: ${f}`); bad++; }
}
if (bad) process.exit(1);
console.log(`${accept.length} ${reject.length}`);
JS
)" || fail "the grammar disagrees with the lalrpop grammar on the files above"
read -r accepted rejected <<<"$counts"

# ---- 5. the VS Code extension ----

cd "$vscode_dir"
node - "$ts_dir/queries/highlights.scm" <<'JS' || fail "editors/vscode is not consistent"
const fs = require('fs');
const read = (f) => JSON.parse(fs.readFileSync(f, 'utf8'));
const pkg = read('package.json');
read('language-configuration.json');
const grammar = read('syntaxes/stn.tmLanguage.json');
const assert = (c, m) => { if (!c) { console.error(m); process.exit(1); } };

const lang = pkg.contributes.languages.find((l) => l.id === 'stn');
assert(lang && lang.extensions.includes('.stn'), 'package.json: no language stn for .stn');
const g = pkg.contributes.grammars.find((x) => x.language === 'stn');
assert(g && g.scopeName === grammar.scopeName && fs.existsSync(g.path), 'package.json: grammar contribution');
assert(fs.existsSync(lang.configuration), 'package.json: language configuration missing');
assert(pkg.contributes.configuration.properties['stn.server.path'].default === 'stn', 'stn.server.path default');
assert(pkg.activationEvents.includes('onLanguage:stn'), 'activation on language stn');
assert(pkg.dependencies['vscode-languageclient'], 'vscode-languageclient dependency');
assert(fs.existsSync(pkg.main), `main ${pkg.main} missing`);

// Every regex compiles (the grammar keeps to what Oniguruma and JS share).
let regexes = 0;
const walk = (node) => {
  if (Array.isArray(node)) return node.forEach(walk);
  if (node && typeof node === 'object') {
    for (const key of ['match', 'begin', 'end']) {
      if (typeof node[key] === 'string') {
        try { new RegExp(node[key]); regexes++; } catch (e) { assert(false, `bad regex ${node[key]}: ${e.message}`); }
      }
    }
    Object.values(node).forEach(walk);
  }
};
walk(grammar);
assert(regexes > 10, 'too few regexes in the TextMate grammar');

// The name lists (dtypes, builtins, reductions, modes) agree with highlights.scm.
const scm = fs.readFileSync(process.argv[2], 'utf8');
const text = JSON.stringify(grammar);
const names = new Set();
for (const m of scm.matchAll(/#any-of\?[^)]*/g)) {
  for (const n of m[0].matchAll(/"([a-z0-9_]+)"/g)) names.add(n[1]);
}
for (const n of names) assert(new RegExp(`[(:|]${n}[|)]`).test(text), `TextMate grammar lacks ${n} (in highlights.scm)`);
JS
node --check extension.js >>"$log" 2>&1 || fail "extension.js does not parse"

echo "editors: tree-sitter-cli $version, corpus $corpus tests, $accepted files accepted, $rejected rejected (${#EXCUSED[@]} excused), vscode files valid"
