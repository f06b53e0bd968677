//! `remediate suppress`: the comments it writes silence the findings for
//! `remediate check` and for the real Bandit (and, with `--noqa`, ruff),
//! go only where a comment can stand, merge into the directives a line has,
//! keep the file's bytes otherwise, and a second run changes nothing.

mod common;

use std::path::{Path, PathBuf};

use common::{python, remediate, run_in, Output};

const REASON: &str = "accepted risk, see SEC-12";

fn run(dir: &Path, args: &[&str]) -> Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).chain(["--no-cache".to_owned()]).collect();
    run_in(dir, &remediate(), &args)
}

fn suppress(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["suppress", "--reason", REASON];
    args.extend_from_slice(extra);
    run(dir, &args)
}

/// A scratch project holding `m.py` with `source`.
fn project(source: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.py");
    std::fs::write(&path, source).unwrap();
    (dir, path)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// CPython compiles the file.
fn assert_compiles(path: &Path) {
    let script = "import sys; p = sys.argv[1]; compile(open(p, 'rb').read(), p, 'exec')";
    let out = python(&["-c", script, &path.to_string_lossy()]);
    assert_eq!(out.code, Some(0), "{}: {}", path.display(), out.stderr);
}

/// `check` reports nothing in `dir`.
fn assert_check_clean(dir: &Path) {
    let out = run(dir, &["check", "."]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn a_multi_line_call_gets_the_comment_on_its_first_line() {
    let (dir, path) = project("import requests\n\nr = requests.get(\n    'https://x',\n    params={'a': 1},\n)\n");
    let out = suppress(dir.path(), &["."]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    assert_eq!(
        read(&path),
        format!("import requests\n\nr = requests.get(  # nosec B113  # {REASON}\n    'https://x',\n    params={{'a': 1}},\n)\n")
    );
    assert!(out.stdout.contains("m.py: 1 comment(s) added for 1 finding(s)"), "{}", out.stdout);
    assert!(out.stderr.contains("1 comment(s) added for 1 finding(s) in 1 file(s)"), "{}", out.stderr);
    assert_check_clean(dir.path());
    assert_compiles(&path);
}

#[test]
fn codes_merge_into_an_existing_nosec_and_the_text_after_it_stays() {
    let source =
        "import requests, torch\n\nm = torch.load(requests.get(u).content)  # type: ignore  # nosec B113 cached\n";
    let (dir, path) = project(source);
    let out = suppress(dir.path(), &["m.py"]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    assert_eq!(
        read(&path),
        format!(
            "import requests, torch\n\nm = torch.load(requests.get(u).content)  # type: ignore  # nosec B113, B614 cached  # {REASON}\n"
        )
    );
    assert_check_clean(dir.path());
}

#[test]
fn noqa_and_nosec_stand_side_by_side_and_noqa_codes_merge() {
    let source = "import requests\nrequests.get(u)  # noqa: E501\nrequests.post(u)\n";
    let (dir, path) = project(source);
    let out = suppress(dir.path(), &["--noqa", "."]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    assert_eq!(
        read(&path),
        format!(
            "import requests\nrequests.get(u)  # noqa: E501, S113  # nosec B113  # {REASON}\n\
             requests.post(u)  # nosec B113  # noqa: S113  # {REASON}\n"
        )
    );
    assert_check_clean(dir.path());
}

#[test]
fn a_line_ending_inside_a_string_is_skipped_for_the_next_line_of_the_finding() {
    let source = "import torch\nm = torch.load('''a\nb''')\n";
    let (dir, path) = project(source);
    let out = suppress(dir.path(), &["."]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    assert_eq!(read(&path), format!("import torch\nm = torch.load('''a\nb''')  # nosec B614  # {REASON}\n"));
    assert_check_clean(dir.path());
    assert_compiles(&path);
}

#[test]
fn a_finding_no_line_of_which_can_take_a_comment_is_reported_and_left() {
    let source = "import torch\nm = torch.load(p), '''a\nb'''\nn = torch.load(p) + \\\n    1\nk = torch.load(p)\n";
    let (dir, path) = project(source);
    let out = suppress(dir.path(), &["."]);
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("m.py:2:5: torch-load [B614] not suppressed: line 2 ends inside a multi-line string"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("m.py:4:5: torch-load [B614] not suppressed: line 4 ends with a line-continuation backslash"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("2 finding(s) could not be suppressed"), "{}", out.stderr);
    let expected = source.replace("k = torch.load(p)\n", &format!("k = torch.load(p)  # nosec B614  # {REASON}\n"));
    assert_eq!(read(&path), expected);
    assert_compiles(&path);
    let check = run(dir.path(), &["check", "."]);
    assert_eq!(check.stdout.lines().count(), 2, "{}", check.stdout);
}

#[test]
fn a_continued_call_takes_the_comment_on_a_line_that_can_hold_it() {
    let source = "import torch\nm = torch.load(p, \\\n    map_location='cpu')\n";
    let (dir, path) = project(source);
    let out = suppress(dir.path(), &["."]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    assert_eq!(
        read(&path),
        format!("import torch\nm = torch.load(p, \\\n    map_location='cpu')  # nosec B614  # {REASON}\n")
    );
    assert_check_clean(dir.path());
}

#[test]
fn crlf_bom_and_permissions_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.py");
    std::fs::write(&path, b"\xEF\xBB\xBFimport torch\r\nm = torch.load(p)\r\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o750)).unwrap();
    }
    let out = suppress(dir.path(), &["."]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    let expected = format!("\u{FEFF}import torch\r\nm = torch.load(p)  # nosec B614  # {REASON}\r\n");
    assert_eq!(std::fs::read(&path).unwrap(), expected.as_bytes());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777, 0o750);
    }
    assert_compiles(&path);
}

#[test]
fn a_second_run_changes_nothing() {
    let (dir, path) = project(FIXTURE);
    let first = suppress(dir.path(), &["--noqa", "."]);
    assert_eq!(first.code, Some(0), "{}{}", first.stdout, first.stderr);
    let once = read(&path);
    assert_ne!(once, FIXTURE);
    let second = suppress(dir.path(), &["--noqa", "."]);
    assert_eq!(second.code, Some(0), "{}{}", second.stdout, second.stderr);
    assert!(second.stderr.contains("0 comment(s) added for 0 finding(s) in 0 file(s)"), "{}", second.stderr);
    assert!(second.stdout.is_empty(), "{}", second.stdout);
    assert_eq!(read(&path), once);
}

#[test]
fn notebooks_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let cell = r#"{"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": ["import torch\n", "m = torch.load(p)\n"]}"#;
    let notebook = format!(r#"{{"cells": [{cell}], "metadata": {{}}, "nbformat": 4, "nbformat_minor": 5}}"#);
    std::fs::write(dir.path().join("n.ipynb"), &notebook).unwrap();
    let out = suppress(dir.path(), &["."]);
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("not suppressed: `suppress` does not edit notebooks"), "{}", out.stdout);
    assert_eq!(std::fs::read_to_string(dir.path().join("n.ipynb")).unwrap(), notebook);
}

#[test]
fn a_reason_that_is_a_directive_or_spans_lines_is_refused() {
    let (dir, path) = project("import torch\nm = torch.load(p)\n");
    for reason in ["noqa", "ok # noqa", "two\nlines", " "] {
        let out = run(dir.path(), &["suppress", "--reason", reason, "."]);
        assert_eq!(out.code, Some(2), "{reason:?}: {}", out.stderr);
        assert!(out.stderr.contains("--reason"), "{}", out.stderr);
    }
    let stdin = run(dir.path(), &["suppress", "--reason", "ok", "-"]);
    assert_eq!(stdin.code, Some(2), "{}", stdin.stderr);
    assert!(stdin.stderr.contains("does not read standard input"), "{}", stdin.stderr);
    assert_eq!(read(&path), "import torch\nm = torch.load(p)\n");
}

/// Several rule kinds, multi-line calls, existing directives, a rule
/// without a Bandit id, and a `# nosec` list Bandit reads only in part
/// (of `B113,B101` Bandit reads only B101, and so does `remediate`).
const FIXTURE: &str = r#"import hashlib
import subprocess

import requests
import torch
import yaml
from transformers import AutoModel


def load(url, path, text):
    r = requests.get(
        url,
        params={"a": 1},
    )
    model = torch.load(path)  # nosec B113
    x = requests.post(url)  # noqa: E501
    y = torch.load("""a
b""")
    z = 1 + \
        torch.load(path)
    h = hashlib.md5(b"x")
    c = yaml.load(text)  # type: ignore
    subprocess.run("ls " + path, shell=True)
    m = AutoModel.from_pretrained("gpt2", trust_remote_code=True)
    q = requests.put(url)  # nosec B113,B101
    w = requests.get("""https://a
b""")
    t = "/tmp/cache"
    try:
        pass
    except Exception:
        pass
    return r, model, x, y, z, h, c, m, q, w, t
"#;

/// The tools venv's `tool`, when `$REMEDIATE_VENV` is set.
fn venv_tool(tool: &str) -> Option<PathBuf> {
    let venv = std::env::var_os("REMEDIATE_VENV")?;
    let path = Path::new(&venv).join("bin").join(tool);
    assert!(path.exists(), "{} is missing", path.display());
    Some(path)
}

/// The Bandit test ids Bandit reports in `dir`.
fn bandit_ids(bandit: &Path, dir: &Path) -> Vec<String> {
    let args: Vec<String> = ["-q", "-f", "json", "-r", "."].iter().map(|s| s.to_string()).collect();
    let out = run_in(dir, bandit, &args);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
    let mut ids: Vec<String> =
        report["results"].as_array().unwrap().iter().map(|r| r["test_id"].as_str().unwrap().to_owned()).collect();
    ids.sort();
    ids
}

/// ruff's `S` codes (and E722) reported in `dir`.
fn ruff_codes(ruff: &Path, dir: &Path) -> Vec<String> {
    let args: Vec<String> = ["check", "--no-cache", "--select", "S,E722", "--output-format", "json", "."]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let out = run_in(dir, ruff, &args);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
    let mut codes: Vec<String> =
        report.as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap_or_default().to_owned()).collect();
    codes.sort();
    codes
}

#[test]
fn bandit_remediate_and_ruff_report_nothing_afterwards() {
    let Some(bandit) = venv_tool("bandit") else {
        eprintln!("skipping: REMEDIATE_VENV is not set, so Bandit cannot judge the comments");
        return;
    };
    let ruff = venv_tool("ruff").unwrap();
    let (dir, path) = project(FIXTURE);
    let before = bandit_ids(&bandit, dir.path());
    for id in ["B108", "B110", "B113", "B324", "B506", "B602", "B614", "B615"] {
        assert!(before.iter().any(|b| b == id), "Bandit reports {id} before: {before:?}");
    }
    assert!(before.iter().filter(|b| *b == "B113").count() >= 3, "{before:?}");
    let ruff_before = ruff_codes(&ruff, dir.path());
    assert!(!ruff_before.is_empty());
    let out = suppress(dir.path(), &["--noqa", "."]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    // B404 (`import subprocess`) is a Bandit test `remediate` has no rule for.
    assert_eq!(bandit_ids(&bandit, dir.path()), ["B404"], "{}", read(&path));
    assert_eq!(ruff_codes(&ruff, dir.path()), Vec::<String>::new(), "{}", read(&path));
    assert_check_clean(dir.path());
    assert_compiles(&path);
    let text = read(&path);
    assert!(text.contains("# nosec B113,B101, B113"), "{text}");
    assert!(text.contains("# remediate: ignore[hf-remote-code]"), "{text}");
}

/// Bandit judges a string with the lines of the call around it and reads
/// the first `# nosec` there: below a `# nosec B101` on the call's first
/// line, a comment after the string would be ignored, so none is written
/// and the finding is reported; without it, the comment goes there.
#[test]
fn a_string_under_a_nosec_of_its_statement_is_refused_as_bandit_would_ignore_it() {
    let refused = "os.makedirs(  # nosec B101\n    \"\"\"/tmp/x\n\"\"\")\n";
    let placed = "os.makedirs(\n    \"\"\"/tmp/y\n\"\"\")\n";
    let (dir, path) = project(&format!("import os\n{refused}{placed}"));
    let out = suppress(dir.path(), &["."]);
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    let why = "line 3 cannot take a comment, and Bandit would read the `# nosec` on line 2 instead of one on line 4";
    assert!(out.stdout.contains(&format!("m.py:3:5: hardcoded-tmp [B108] not suppressed: {why}")), "{}", out.stdout);
    let suppressed = placed.replace("\"\"\")\n", &format!("\"\"\")  # nosec B108  # {REASON}\n"));
    assert_eq!(read(&path), format!("import os\n{refused}{suppressed}"));
    if let Some(bandit) = venv_tool("bandit") {
        assert_eq!(bandit_ids(&bandit, dir.path()), ["B108"], "only the refused one");
    }
}
