//! Helpers shared by the integration tests: running the real binary and the
//! external judges (CPython, git).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Output {
    pub code: Option<i32>,
    pub stdout: String,
    /// stdout exactly as written (diffs of Latin-1 files are not UTF-8).
    pub stdout_bytes: Vec<u8>,
    pub stderr: String,
}

/// The binary under test.
pub fn remediate() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_remediate"))
}

/// Runs `program args...` in `dir` with colour off and a scratch result cache.
pub fn run_in(dir: &Path, program: &Path, args: &[String]) -> Output {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("REMEDIATE_CACHE_DIR", std::env::temp_dir().join("remediate-test-cache"))
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", program.display()));
    Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stdout_bytes: out.stdout.clone(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The Python used as a judge: `$REMEDIATE_PYTHON`, else `python3`.
pub fn python(args: &[&str]) -> Output {
    let program = std::env::var("REMEDIATE_PYTHON").unwrap_or_else(|_| "python3".into());
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    run_in(Path::new("."), Path::new(&program), &args)
}

/// The Python with the real libraries (`$REMEDIATE_RUNTIME_PYTHON`, made by
/// `scripts/python-env.sh runtime`). Unset, the caller skips with a
/// message, except under CI, where a missing runtime fails the test.
pub fn runtime_python(what: &str) -> Option<PathBuf> {
    let python = std::env::var_os("REMEDIATE_RUNTIME_PYTHON").filter(|p| !p.is_empty()).map(PathBuf::from);
    if let Some(python) = python.filter(|p| p.exists()) {
        return Some(python);
    }
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    assert!(!ci, "CI is set and REMEDIATE_RUNTIME_PYTHON is missing: {what} needs it");
    eprintln!("skipping {what}: REMEDIATE_RUNTIME_PYTHON is not set (scripts/python-env.sh runtime makes it)");
    None
}

/// `code` without whitespace or magic trailing commas, so that a call the
/// fix split one argument per line (as black would) compares equal to the
/// same call on one line: `contains_call(&fixed, "f(a, b=1)")`.
#[allow(dead_code)]
pub fn contains_call(code: &str, call: &str) -> bool {
    let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>().replace(",)", ")");
    squash(code).contains(&squash(call))
}
