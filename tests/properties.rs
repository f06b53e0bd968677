//! Property harness: the engine, driven in-process over mutated fixtures and
//! corpus-like snippets, must keep four promises on every input. A quarter of
//! the inputs run with `--target-version py312`, where fixes that need a newer
//! Python than the default py38 are made too.
//!
//! 1. It never panics.
//! 2. A rewrite never turns a file that parses into one that does not:
//!    tree-sitter judges every rewrite, CPython's `compile()` every rewrite of
//!    a file CPython accepts made for the default target (in batches, one
//!    interpreter per batch).
//! 3. A second `fix` over its own output changes nothing.
//! 4. Edits never overlap: the edits of one fix, and of the fixes chosen to be
//!    applied together, are disjoint, and applying them succeeds.
//!
//! Deterministic: the inputs come from a seeded generator
//! (`REMEDIATE_FUZZ_SEED`, default fixed); the run stops after
//! `REMEDIATE_FUZZ_SECONDS` (default 20) or `REMEDIATE_FUZZ_ITERATIONS`,
//! whichever comes first, so only how far it gets depends on the machine.
//! `REMEDIATE_FUZZ_CORPUS=DIR` adds every `.py` file under DIR (up to 256 KB
//! each) to the seeds. A failing input is saved under
//! `target/fuzz-failures/` and named in the assertion message.

use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use remediate::config::{Config, ConfigPaths};
use remediate::fix::edit::{self, Edit, Fix};
use remediate::pipeline::engine::{Engine, Mode, RuleSet};
use remediate::pipeline::source::Source;
use remediate::pipeline::walk::FileKind;
use remediate::python::parse::{compiles, PythonVersion};
use remediate::report::{Diagnostic, Position};

/// splitmix64: small, fast, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Snippets in the shapes the rules care about, with the layouts that make
/// keyword insertion hard.
const SNIPPETS: &[&str] = &[
    "import torch\nstate = torch.load(path)\n",
    "import torch as th\nm = th.load(\n    path,\n    map_location='cpu',  # keep\n)\n",
    "from torch import load as tl\nx = tl(p, map_location=lambda s, l: s)\n",
    "import torch\ndef f(p, **kw):\n    return torch.load(p, **kw)\n",
    "import torch\ntorch.load(p, weights_only=False)\ntorch.load(p, weights_only=flag)\n",
    "import torch\nx = torch.load(open(p,\n    'rb'))\n",
    "import torch\nx = torch.load(p  # why\n)\n",
    "import torch\nx = [torch.load(p) for p in ps]\n",
    "import torch\nif a:\n\tx = torch.load(p)\nelse:\n\tx = None\n",
    "import torch\nx = torch.load(p) if c else torch.load(q, map_location='cpu')\n",
    "import torch\nx = torch.load(p)  # nosec B614\ny = torch.load(q)  # noqa\n",
    "import torch\nx = torch.load(\n    p,\n    # closing comment\n)\n",
    "import torch\nx = torch.load(torch.load(p), map_location=torch.load(q))\n",
    "from transformers import AutoModel\nm = AutoModel.from_pretrained('gpt2')\n",
    "from huggingface_hub import hf_hub_download\nf = hf_hub_download(repo_id='org/m', filename='w.bin')\n",
    "from datasets import load_dataset\nd = load_dataset('squad', split='train')\n",
    "import requests\nr = requests.get(url)\nr = requests.post(url, json=data, timeout=None)\n",
    "import httpx\nc = httpx.Client()\nr = httpx.get(url, **opts)\n",
    "import urllib.request\nurllib.request.urlopen(url)\n",
    "try:\n    import torch\nexcept ImportError:\n    pass\n",
    "for x in xs:\n    try:\n        f(x)\n    except Exception:\n        continue\n",
    "try:\n    f()\nexcept:  # noqa: E722\n    pass\n",
    "try:\n    f()\nexcept (ValueError, TypeError) as e:\n    pass\nfinally:\n    g()\n",
    "async def main():\n    async with httpx.AsyncClient() as c:\n        await c.get(url)\n",
    "x = f'{torch.load(p)}'\ns = \"torch.load(p)\"\n",
    "class M:\n    def load(self):\n        return torch.load(self.p, map_location=\\\n            'cpu')\n",
    "import hashlib\nkey = hashlib.md5(url.encode()).hexdigest()\nh = hashlib.new('sha1', b, **kw)\n",
    "from hashlib import md5 as m\ndef f(password):\n    return m(\n        password,  # why\n    ).digest()\n",
    "import yaml\ncfg = yaml.load(f)\nx = yaml.load(\n    f,\n    Loader=yaml.FullLoader,  # tuples\n)\n",
    "from yaml import load, unsafe_load\nx = load(s, yaml.Loader)\ny = unsafe_load(s)\n",
    "import tarfile\nwith tarfile.open(p) as t:\n    t.extractall(d, members=m)\ntarfile.open(p).extract(n)\n",
    "from tarfile import open as topen\nt = topen(p)\nt.extractall(\n    d,\n)\n",
];

/// Fragments the mutator inserts: punctuation, our own keywords, splats,
/// unicode, comments.
const FRAGMENTS: &[&str] = &[
    ",",
    ", ",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ":",
    "=",
    "\n",
    "\r\n",
    "\t",
    "    ",
    "\\\n",
    "#",
    "  # note\n",
    "# (\n",
    "'",
    "\"",
    "\"\"\"",
    "**kwargs",
    "*args",
    ", **kw",
    "**kw, ",
    "weights_only=True",
    "weights_only=False",
    "weights_only=True, ",
    "timeout=None",
    "timeout=5, ",
    "revision='main'",
    "pickle_module=pickle, ",
    "usedforsecurity=False",
    "Loader=yaml.FullLoader, ",
    "filter='data'",
    "**({'filter': 'data'} if hasattr(tarfile, 'data_filter') else {})",
    "torch.load(",
    "torch.load(p)",
    "requests.get(u)",
    "from_pretrained(",
    "lambda: 0",
    "données",
    "'héllo wörld ✓ 😀'",
    "ŝ = 1\n",
    "\u{feff}",
    "\u{a0}",
    "pass\n",
    "except:\n",
    "try:\n",
    "nosec",
    "noqa",
    "# remediate: ignore\n",
    "async ",
    "await ",
    "\r",
    "\x0c",
    "\x0c    ",
    "torch.𝐥𝐨𝐚𝐝(p)",
    "ｒｅｑｕｅｓｔｓ.get(u)",
    "import functools\nget = functools.partial(requests.get, timeout=5)\nget(u)\n",
    "functools.partial(session.put, timeout=t)(u)",
    "functools.partial(torch.load, weights_only=True)(p)",
    "functools.partial(requests.post)(u)",
];

fn seeds() -> Vec<String> {
    let mut seeds: Vec<String> = SNIPPETS.iter().map(|s| s.to_string()).collect();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    collect_py(&fixtures, &mut seeds);
    if let Some(dir) = std::env::var_os("REMEDIATE_FUZZ_CORPUS") {
        collect_py(Path::new(&dir), &mut seeds);
    }
    seeds
}

fn fixture_count() -> usize {
    let mut fixtures = Vec::new();
    collect_py(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"), &mut fixtures);
    fixtures.len()
}

fn collect_py(dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let Ok(meta) = fs::symlink_metadata(&path) else { continue };
        if meta.is_dir() {
            collect_py(&path, out);
        } else if meta.is_file() && path.extension().is_some_and(|e| e == "py") && meta.len() <= 256 * 1024 {
            // Mutations work on text; a Latin-1 fixture is taken as its
            // UTF-8 reading, which still exercises the rest.
            if let Ok(bytes) = fs::read(&path) {
                out.push(String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
}

/// A position worth mutating: next to punctuation half of the time.
fn position(rng: &mut Rng, text: &str) -> usize {
    if !text.is_empty() && rng.chance(50) {
        let interesting: Vec<usize> = text.match_indices(|c: char| "(),=:\n#[]*".contains(c)).map(|(i, _)| i).collect();
        if !interesting.is_empty() {
            let i = *rng.pick(&interesting);
            return if rng.chance(50) { i } else { i + 1 };
        }
    }
    let mut at = rng.below(text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Coding declarations CPython honours on line 1 or 2, and the shapes that
/// make them easy to push down or miss: after a blank line, indented.
const CODING_LINES: &[&str] = &[
    "# -*- coding: utf-8 -*-\n",
    "# coding: latin-1\n",
    "# vim: set fileencoding=cp1252 :\n",
    "\n# -*- coding: utf-8 -*-\n",
    "    # coding: latin-1\n",
    "\n  # coding=cp1252\n",
    "#!/usr/bin/env python\n# coding: utf-8\n",
];

/// f-string shapes whose quotes and nesting differ between Python versions.
const F_STRINGS: &[&str] = &[
    "f\"{torch.load(p)}\"",
    "f'{requests.get(u)}'",
    "f\"{torch.load(p, map_location=\"cpu\")}\"",
    "f'{requests.get(u, params={'a': 1})}'",
    "f\"{f\"{torch.load(p)}\"}\"",
    "f'''{torch.load(\n    p)}'''",
    "f\"{x!r:>{w}} {hashlib.md5(b).hexdigest()}\"",
];

/// Letters CPython folds to ASCII under NFKC: mathematical bold and
/// fullwidth forms of `a`.
const NFKC_ALPHABETS: &[u32] = &[0x1D41A, 0xFF41];

/// Names the rules resolve, worth spelling with NFKC-equivalent letters.
const RESOLVED_NAMES: &[&str] = &[
    "torch",
    "load",
    "requests",
    "get",
    "post",
    "timeout",
    "weights_only",
    "hashlib",
    "md5",
    "yaml",
    "from_pretrained",
    "revision",
    "tarfile",
    "extractall",
    "functools",
    "partial",
];

/// `name` with some of its lowercase letters replaced by an NFKC-equivalent
/// form.
fn nfkc_spelling(rng: &mut Rng, name: &str) -> String {
    let base = *rng.pick(NFKC_ALPHABETS);
    let all = rng.chance(30);
    name.chars()
        .map(|c| {
            if c.is_ascii_lowercase() && (all || rng.chance(40)) {
                char::from_u32(base + (c as u32 - 'a' as u32)).unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

/// Line-ending, form-feed, coding-line, f-string and Unicode-identifier
/// mutations: where tree-sitter and CPython read files differently.
fn mutate_layout(rng: &mut Rng, text: &mut String) {
    match rng.below(7) {
        0 => {
            // A lone `\r`: ends a line for CPython, not for every parser.
            let at = position(rng, text);
            text.insert_str(at, rng.pick::<&str>(&["\r", "  # note\r", "\rx = torch.load(p)\r", "# (\r"]));
        }
        1 => {
            // Mixed endings: some `\n` become `\r\n`, or a lone `\r`.
            let lone = rng.chance(30);
            let mut out = String::with_capacity(text.len() + 16);
            for (i, piece) in text.split('\n').enumerate() {
                if i > 0 {
                    let after_cr = out.ends_with('\r');
                    out.push_str(match rng.below(3) {
                        0 if !after_cr => "\r\n",
                        1 if lone && !after_cr => "\r",
                        _ => "\n",
                    });
                }
                out.push_str(piece);
            }
            *text = out;
        }
        2 => {
            // A form feed at the start of a line, before its indentation.
            let starts: Vec<usize> = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
            let at = *rng.pick(&starts);
            text.insert_str(at, rng.pick::<&str>(&["\x0c", "\x0c\n", "  \x0c"]));
        }
        3 => text.insert_str(0, rng.pick::<&str>(CODING_LINES)),
        4 => {
            let at = position(rng, text);
            text.insert_str(at, rng.pick::<&str>(F_STRINGS));
        }
        5 => {
            // Swap the quotes of one single-line f-string, which nests the
            // same quotes when its fields hold strings.
            let starts: Vec<usize> =
                text.match_indices("f'").chain(text.match_indices("f\"")).map(|(i, _)| i).collect();
            if starts.is_empty() {
                return;
            }
            let i = *rng.pick(&starts);
            let (old, new) = if &text[i + 1..i + 2] == "'" { ('\'', "\"") } else { ('"', "'") };
            let line_end = text[i..].find('\n').map_or(text.len(), |e| i + e);
            if let Some(end) = text[i + 2..line_end].rfind(old).map(|e| i + 2 + e) {
                text.replace_range(end..end + 1, new);
                text.replace_range(i + 1..i + 2, new);
            }
        }
        _ => {
            // A resolved name spelled with NFKC-equivalent letters.
            let name = *rng.pick(RESOLVED_NAMES);
            let hits: Vec<usize> = text.match_indices(name).map(|(i, _)| i).collect();
            if !hits.is_empty() {
                let at = *rng.pick(&hits);
                let spelled = nfkc_spelling(rng, name);
                text.replace_range(at..at + name.len(), &spelled);
            }
        }
    }
}

fn mutate(rng: &mut Rng, text: &mut String, seeds: &[String]) {
    match rng.below(15) {
        12..=14 => mutate_layout(rng, text),
        0..=3 => {
            let at = position(rng, text);
            let fragment = *rng.pick::<&str>(FRAGMENTS);
            text.insert_str(at, fragment);
        }
        4 => {
            // Delete a short run of characters.
            let at = position(rng, text);
            let len = text[at..].chars().take(1 + rng.below(4)).map(char::len_utf8).sum::<usize>();
            text.replace_range(at..at + len, "");
        }
        5 => {
            // Delete, duplicate or swap in a line from another seed.
            let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_owned).collect();
            if lines.is_empty() {
                return;
            }
            let i = rng.below(lines.len());
            match rng.below(3) {
                0 => {
                    lines.remove(i);
                }
                1 => {
                    let l = lines[i].clone();
                    lines.insert(i, l);
                }
                _ => {
                    let other = rng.pick(seeds);
                    if let Some(l) = other.split_inclusive('\n').nth(rng.below(other.lines().count().max(1))) {
                        lines.insert(i, l.to_owned());
                    }
                }
            }
            *text = lines.concat();
        }
        6 => *text = text.replace("\r\n", "\n").replace('\n', "\r\n"),
        7 => *text = text.replace("    ", "\t"),
        8 => text.insert(0, '\u{feff}'),
        9 => {
            // Nest an expression in calls, parentheses or brackets.
            let depth = 1 + rng.below(40);
            let (open, close) = *rng.pick(&[("torch.load(", ")"), ("(", ")"), ("[", "]"), ("f(x, ", ", k=1)")]);
            let at = position(rng, text);
            let inner = format!("{}p{}", open.repeat(depth), close.repeat(depth));
            text.insert_str(at, &inner);
        }
        10 => {
            // A keyword argument named like ours right after an open paren.
            if let Some((i, _)) = text.match_indices('(').nth(rng.below(text.matches('(').count().max(1))) {
                let kw =
                    rng.pick(&["weights_only=True, ", "weights_only=False, ", "timeout=3, ", "revision=r, ", "**o, "]);
                text.insert_str(i + 1, kw);
            }
        }
        _ => {
            // Splice the tail of another seed.
            let other = rng.pick(seeds);
            let at = position(rng, text);
            let mut from = rng.below(other.len() + 1);
            while !other.is_char_boundary(from) {
                from -= 1;
            }
            text.insert_str(at, &other[from..]);
        }
    }
}

fn config(dir: &Path) -> Config {
    let revisions = dir.join("model_revisions.yaml");
    fs::write(
        &revisions,
        "model_revisions:\n  gpt2:\n    revision: 607a30d783dfa663caf39e06633721c8d4cfcd7e\n  org/m:\n    revision: v1.0\n  default:\n    revision: main\n",
    )
    .unwrap();
    let timeouts = dir.join("timeouts.yaml");
    fs::write(&timeouts, "HTTP_TIMEOUTS:\n  connect: 10\n  read: 60\n  write: 10\n  pool: 10\n").unwrap();
    Config::load(&ConfigPaths { revisions: Some(revisions), timeouts: Some(timeouts) }).unwrap()
}

/// Does the text compile as CPython reads it (its grammar for the newest
/// Python, its tokenizer's limits)? The rewrites are also judged by CPython
/// itself, in batches.
fn parses(bytes: &[u8]) -> bool {
    Source::decode(bytes).is_ok_and(|s| compiles(&s.text))
}

/// The byte offset of a 1-based line and character column; lines end at
/// `\n`, `\r\n` or a lone `\r`, as CPython counts them.
fn offset(text: &str, p: Position) -> Option<usize> {
    let bytes = text.as_bytes();
    let ends =
        (0..bytes.len()).filter(|&i| bytes[i] == b'\n' || (bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n')));
    let line_start = if p.line == 1 { 0 } else { ends.clone().nth(p.line - 2).map(|i| i + 1)? };
    let rest = &text[line_start..];
    let within = rest.char_indices().map(|(i, _)| i).chain([rest.len()]).nth(p.column - 1)?;
    Some(line_start + within)
}

/// Promise 4, over the fixes `check` offers in the original text.
fn edits_are_disjoint(text: &str, diagnostics: &[Diagnostic]) -> Result<(), String> {
    let mut fixes = Vec::new();
    for d in diagnostics.iter().filter(|d| d.fixable()) {
        let mut edits = Vec::new();
        for e in &d.edits {
            let (Some(start), Some(end)) = (offset(text, e.start), offset(text, e.end)) else {
                return Err(format!("{}: an edit lies outside the text", d.rule.id));
            };
            if start > end {
                return Err(format!("{}: an edit ends before it starts", d.rule.id));
            }
            edits.push(Edit::replace(start..end, e.text.clone()));
        }
        if edits.is_empty() {
            return Err(format!("{}: a fix without edits", d.rule.id));
        }
        if let Some((a, b)) = first_conflict(&edits) {
            return Err(format!("{}: one fix's edits overlap: {a:?} and {b:?}", d.rule.id));
        }
        fixes.push(Fix::safe(edits));
    }
    let chosen = edit::choose_compatible(fixes.iter());
    let together: Vec<Edit> = chosen.iter().flat_map(|&i| fixes[i].edits.iter().cloned()).collect();
    if let Some((a, b)) = first_conflict(&together) {
        return Err(format!("fixes chosen together overlap: {a:?} and {b:?}"));
    }
    if edit::apply(text, &together).is_none() {
        return Err("the chosen edits do not apply".into());
    }
    Ok(())
}

fn first_conflict(edits: &[Edit]) -> Option<(Edit, Edit)> {
    for (i, a) in edits.iter().enumerate() {
        for b in &edits[i + 1..] {
            let shared = a.range.start < b.range.end && b.range.start < a.range.end;
            if shared || a.range.start == b.range.start {
                return Some((a.clone(), b.clone()));
            }
        }
    }
    None
}

/// Newline conventions survive a rewrite: no bare `\n` appears in a file
/// that had only `\r\n`, and no `\r` in a file that had none.
fn newlines_kept(before: &[u8], after: &[u8]) -> bool {
    let bare_lf = |b: &[u8]| b.iter().enumerate().any(|(i, &c)| c == b'\n' && (i == 0 || b[i - 1] != b'\r'));
    let has_lf = before.contains(&b'\n');
    (!has_lf || bare_lf(before) || !bare_lf(after)) && (before.contains(&b'\r') || !after.contains(&b'\r'))
}

struct Failures {
    dir: PathBuf,
    found: Vec<String>,
}

impl Failures {
    fn record(&mut self, kind: &str, input: &[u8], detail: String) {
        if self.found.len() >= 20 {
            return;
        }
        fs::create_dir_all(&self.dir).unwrap();
        let path = self.dir.join(format!("{kind}-{}.py", self.found.len()));
        fs::write(&path, input).unwrap();
        self.found.push(format!("{kind}: {detail} (input saved to {})", path.display()));
    }
}

/// Original/rewrite pairs waiting for CPython's verdict.
struct CompileBatch {
    dir: tempfile::TempDir,
    pairs: Vec<(PathBuf, PathBuf)>,
    judged: usize,
}

impl CompileBatch {
    fn add(&mut self, original: &[u8], fixed: &[u8]) {
        let n = self.judged + self.pairs.len();
        let a = self.dir.path().join(format!("{n}.orig.py"));
        let b = self.dir.path().join(format!("{n}.fixed.py"));
        fs::write(&a, original).unwrap();
        fs::write(&b, fixed).unwrap();
        self.pairs.push((a, b));
    }

    /// Every rewrite of a file CPython compiles must compile too. (A file
    /// the faithful parser refuses is never rewritten: checked per input.)
    fn judge(&mut self, failures: &mut Failures) {
        if self.pairs.is_empty() {
            return;
        }
        const JUDGE: &str = "import sys, warnings\nwarnings.simplefilter('ignore')\n\
def ok(p):\n    try:\n        compile(open(p, 'rb').read(), p, 'exec')\n        return True\n    except (SyntaxError, ValueError):\n        return False\n\
for line in sys.stdin:\n    a, b = line.rstrip('\\n').split('\\t')\n    if ok(a) and not ok(b):\n        print(b)\n";
        let list: String = self.pairs.iter().map(|(a, b)| format!("{}\t{}\n", a.display(), b.display())).collect();
        let program = std::env::var("REMEDIATE_PYTHON").unwrap_or_else(|_| "python3".into());
        let child = std::process::Command::new(program)
            .args(["-c", JUDGE])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn();
        let Ok(mut child) = child else {
            eprintln!("python3 not found: CPython judging skipped");
            self.pairs.clear();
            return;
        };
        use std::io::Write;
        child.stdin.take().unwrap().write_all(list.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "the CPython judge failed");
        for bad in String::from_utf8_lossy(&out.stdout).lines() {
            let fixed = fs::read(bad).unwrap();
            let original = fs::read(bad.replace(".fixed.py", ".orig.py")).unwrap();
            failures.record(
                "cpython-rejects-rewrite",
                &original,
                format!("rewrite saved beside it:\n{}", String::from_utf8_lossy(&fixed)),
            );
        }
        self.judged += self.pairs.len();
        for (a, b) in self.pairs.drain(..) {
            let _ = fs::remove_file(a);
            let _ = fs::remove_file(b);
        }
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
fn engine_keeps_its_promises_on_mutated_inputs() {
    let seconds = env_number("REMEDIATE_FUZZ_SECONDS", 20);
    let max_iterations = env_number("REMEDIATE_FUZZ_ITERATIONS", u64::MAX);
    let seed = env_number("REMEDIATE_FUZZ_SEED", 0x5EED);
    let scratch = tempfile::tempdir().unwrap();
    let config = config(scratch.path());
    let rules = RuleSet::new(remediate::rules::all()).unwrap();
    // The default target, and a newer one under which fixes that need a
    // newer Python (`usedforsecurity`, a plain `filter=`) are made too.
    let targets = [config.target_version, PythonVersion::PY312];
    let mut engines: Vec<Engine<'_>> = targets.iter().map(|&t| Engine::for_target(&rules, &config, t)).collect();
    let seeds = seeds();
    // Snippets and fixtures are where the findings are: half the inputs start
    // from one of them however large the added corpus.
    let builtin = seeds.len().min(SNIPPETS.len() + fixture_count());
    let mut rng = Rng(seed);
    let mut failures =
        Failures { dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures"), found: Vec::new() };
    let mut batch = CompileBatch { dir: tempfile::tempdir().unwrap(), pairs: Vec::new(), judged: 0 };
    let (mut executions, mut rewrites, mut clean_inputs) = (0u64, 0u64, 0u64);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let quiet_hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));

    while Instant::now() < deadline && executions < max_iterations && failures.found.len() < 20 {
        let pool = if rng.chance(50) { &seeds[..builtin] } else { &seeds[..] };
        let mut text = rng.pick(pool).clone();
        for _ in 0..1 + rng.below(4) {
            mutate(&mut rng, &mut text, &seeds);
        }
        let input = text.into_bytes();
        let mode = Mode::Fix { unsafe_fixes: rng.chance(50) };
        let which = usize::from(rng.chance(25));
        let engine = &mut engines[which];
        executions += 1;

        let run = panic::catch_unwind(AssertUnwindSafe(|| {
            (engine.run(&input, FileKind::Source, Mode::Check), engine.run(&input, FileKind::Source, mode))
        }));
        let Ok((checked, fixed)) = run else {
            failures.record("panic", &input, "the engine panicked".into());
            *engine = Engine::for_target(&rules, &config, targets[which]);
            continue;
        };
        let clean = parses(&input);
        clean_inputs += u64::from(clean);
        if let Ok(source) = Source::decode(&input) {
            if let Err(e) = edits_are_disjoint(&source.text, &checked.diagnostics) {
                failures.record("overlapping-edits", &input, e);
            }
        }
        let Some(output) = fixed.fixed_bytes else { continue };
        rewrites += 1;
        if !clean {
            failures.record("rewrote-unparsed-file", &input, "a file with a syntax error was rewritten".into());
            continue;
        }
        if !parses(&output) {
            failures.record("rewrite-does-not-parse", &input, String::from_utf8_lossy(&output).into_owned());
            continue;
        }
        if !newlines_kept(&input, &output) {
            failures.record("newlines-changed", &input, String::from_utf8_lossy(&output).into_owned());
        }
        let again = panic::catch_unwind(AssertUnwindSafe(|| engine.run(&output, FileKind::Source, mode)));
        match again {
            Err(_) => {
                failures.record("panic-on-second-fix", &output, "the engine panicked".into());
                *engine = Engine::for_target(&rules, &config, targets[which]);
            }
            Ok(second) if second.fixed_bytes.is_some() => {
                failures.record("second-fix-changes", &input, String::from_utf8_lossy(&output).into_owned());
            }
            Ok(_) => {}
        }
        // The judge is the test venv's CPython (3.11): a rewrite made for a
        // newer target may rightly use syntax it rejects (a `\u` escape in an
        // f-string's replacement field), so only default-target rewrites go
        // to it; the in-process verifier judged the others for py312.
        if which == 0 {
            batch.add(&input, &output);
        }
        if batch.pairs.len() >= 200 {
            batch.judge(&mut failures);
        }
    }
    batch.judge(&mut failures);
    panic::set_hook(quiet_hook);
    eprintln!(
        "property harness: {executions} inputs ({clean_inputs} parse cleanly), {rewrites} rewrites, \
         {} judged by CPython, {} seeds, seed {seed:#x}, {seconds} s budget",
        batch.judged,
        seeds.len()
    );
    assert!(executions > 0, "no input was tried");
    assert!(failures.found.is_empty(), "{} failure(s):\n{}", failures.found.len(), failures.found.join("\n\n"));
}
