//! `-` and `--stdin-filename`: the file comes from standard input, under
//! the name given. `fix -` prints the fixed file (the same bytes `fix` would
//! write) and writes nothing; `check -` and `diff -` name the file as given;
//! a file that does not parse comes back unchanged.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{remediate, run_in, Output};

/// Runs the binary in `dir` with `input` on standard input.
fn run_stdin(dir: &Path, args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(remediate())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("REMEDIATE_CACHE_DIR", std::env::temp_dir().join("remediate-test-cache"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running remediate");
    // A run that refuses its arguments exits without reading: a closed pipe then.
    let _ = child.stdin.take().unwrap().write_all(input);
    let out = child.wait_with_output().unwrap();
    Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stdout_bytes: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn run(dir: &Path, args: &[&str]) -> Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    run_in(dir, &remediate(), &args)
}

const TRAIN: &str = "import torch\nimport requests\n\n\ndef load(path):\n    state = torch.load(path)\n    \
                     return requests.get(\"https://example.com\"), state\n";

/// Every file under `dir`, relative, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = walk(dir).iter().map(|p| p.strip_prefix(dir).unwrap().display().to_string()).collect();
    files.sort();
    files
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn fix_from_stdin_prints_what_fix_writes_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    let before = listing(dir.path());
    let piped = run_stdin(dir.path(), &["fix", "--stdin-filename", "src/train.py"], TRAIN.as_bytes());
    assert_eq!(piped.code, Some(0), "{}", piped.stderr);
    assert_eq!(listing(dir.path()), before, "nothing is written to disk");
    // The same file on disk, fixed in place, has exactly those bytes.
    std::fs::write(dir.path().join("src/train.py"), TRAIN).unwrap();
    assert_eq!(run(dir.path(), &["fix", "src/train.py"]).code, Some(0));
    let on_disk = std::fs::read(dir.path().join("src/train.py")).unwrap();
    assert_eq!(piped.stdout_bytes, on_disk);
    assert!(piped.stdout.contains("weights_only=True") && piped.stdout.contains("timeout="), "{}", piped.stdout);
    let compiled = common::python(&["-c", "import sys; compile(sys.argv[1], 'train.py', 'exec')", &piped.stdout]);
    assert_eq!(compiled.code, Some(0), "{}", compiled.stderr);
    // `-` alone works too, and what remains goes to standard error.
    let dash = run_stdin(dir.path(), &["fix", "-", "--select", "B113"], TRAIN.as_bytes());
    assert_eq!(dash.code, Some(0), "{}", dash.stderr);
    assert!(dash.stdout.contains("timeout=") && dash.stdout.contains("torch.load(path)"), "{}", dash.stdout);
}

#[test]
fn fix_from_stdin_echoes_a_clean_file_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let clean = "import os\r\nprint(os.getcwd())\r\n";
    let out = run_stdin(dir.path(), &["fix", "-"], clean.as_bytes());
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, clean);
}

#[test]
fn check_from_stdin_reports_the_name_given_and_its_settings() {
    let dir = tempfile::tempdir().unwrap();
    let settings = "[tool.remediate]\n[tool.remediate.per-file-ignores]\n\"**/tests/*.py\" = [\"torch-load\"]\n";
    std::fs::write(dir.path().join("pyproject.toml"), settings).unwrap();
    let out = run_stdin(dir.path(), &["check", "--stdin-filename", "pkg/model.py"], TRAIN.as_bytes());
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines.iter().any(|l| l.starts_with("pkg/model.py:6:13: torch-load [B614]")), "{}", out.stdout);
    assert!(lines.iter().any(|l| l.starts_with("pkg/model.py:7:12: http-timeout [B113]")), "{}", out.stdout);
    // The project's per-file ignores apply to the name.
    let ignored = run_stdin(dir.path(), &["check", "--stdin-filename", "pkg/tests/test_model.py"], TRAIN.as_bytes());
    assert!(!ignored.stdout.contains("B614"), "{}", ignored.stdout);
    assert!(ignored.stdout.contains("pkg/tests/test_model.py:7:12: http-timeout [B113]"), "{}", ignored.stdout);
    let json = run_stdin(dir.path(), &["check", "-", "--format", "json"], TRAIN.as_bytes());
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["summary"]["findings"], 2, "{}", json.stdout);
}

#[test]
fn a_notebook_from_stdin_is_read_as_a_notebook() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/notebooks/explore.ipynb");
    let bytes = std::fs::read(&fixture).unwrap();
    let out = run_stdin(dir.path(), &["check", "--stdin-filename", "explore.ipynb"], &bytes);
    assert!(out.stdout.contains("explore.ipynb:cell 3:line 5:col 9: torch-load [B614]"), "{}", out.stdout);
    let piped = run_stdin(dir.path(), &["fix", "--stdin-filename", "explore.ipynb"], &bytes);
    std::fs::copy(&fixture, dir.path().join("explore.ipynb")).unwrap();
    run(dir.path(), &["fix", "explore.ipynb"]);
    assert_eq!(piped.stdout_bytes, std::fs::read(dir.path().join("explore.ipynb")).unwrap());
    assert_ne!(piped.stdout_bytes, bytes, "the notebook was fixed");
}

#[test]
fn diff_from_stdin_applies_to_the_named_file() {
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| Command::new("git").args(args).current_dir(dir.path()).output().unwrap();
    assert!(git(&["init", "-q"]).status.success());
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/train.py"), TRAIN).unwrap();
    let out = run_stdin(dir.path(), &["diff", "--stdin-filename", "src/train.py"], TRAIN.as_bytes());
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.starts_with("--- a/src/train.py\n+++ b/src/train.py\n"), "{}", out.stdout);
    std::fs::write(dir.path().join("patch.diff"), &out.stdout_bytes).unwrap();
    let check = git(&["apply", "--check", "patch.diff"]);
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
}

#[test]
fn a_syntax_error_from_stdin_exits_1_and_comes_back_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let broken = "import torch\ndef load(:\n    return torch.load(path)\n";
    let fixed = run_stdin(dir.path(), &["fix", "--stdin-filename", "src/broken.py"], broken.as_bytes());
    assert_eq!(fixed.code, Some(1), "{}", fixed.stderr);
    assert_eq!(fixed.stdout, broken, "the input comes back as it was");
    assert!(fixed.stderr.contains("src/broken.py:2:"), "{}", fixed.stderr);
    assert!(listing(dir.path()).is_empty(), "nothing is written");
    let checked = run_stdin(dir.path(), &["check", "-"], broken.as_bytes());
    assert_eq!(checked.code, Some(1), "{}", checked.stderr);
    let diffed = run_stdin(dir.path(), &["diff", "-"], broken.as_bytes());
    assert_eq!(diffed.stdout, "", "no diff of a file that does not parse");
}

#[test]
fn dash_with_other_paths_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.py"), TRAIN).unwrap();
    let out = run_stdin(dir.path(), &["fix", "-", "a.py"], TRAIN.as_bytes());
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(dir.path().join("a.py")).unwrap(), TRAIN, "nothing is fixed");
    let named = run_stdin(dir.path(), &["check", "--stdin-filename", "x.py", "a.py"], TRAIN.as_bytes());
    assert_eq!(named.code, Some(2), "{}", named.stderr);
}

#[test]
fn stdin_filename_with_an_explicit_path_is_a_usage_error_even_for_dot() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.py"), TRAIN).unwrap();
    let out = run_stdin(dir.path(), &["check", "--stdin-filename", "x.py", "."], TRAIN.as_bytes());
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("--stdin-filename"), "{}", out.stderr);
}

#[test]
fn config_shows_the_settings_of_the_stdin_filename() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub/pyproject.toml"), "[tool.remediate]\nignore = [\"torch-load\"]\n").unwrap();
    let out = run_stdin(dir.path(), &["config", "--stdin-filename", "sub/x.py"], b"");
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains("ignore = [\"torch-load\"]  # sub/pyproject.toml"), "{}", out.stdout);
    let checked = run_stdin(dir.path(), &["check", "--stdin-filename", "sub/x.py"], TRAIN.as_bytes());
    assert!(!checked.stdout.contains("B614") && checked.stdout.contains("B113"), "{}", checked.stdout);
}
