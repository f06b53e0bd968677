//! `tarfile-extract` against CPython's `tarfile`: `tests/runtime/tar_unpack.py`
//! is fixed with `remediate fix --unsafe-fixes`, once for the default target
//! (py38: the guarded keyword) and once with `--target-version py312` (the
//! plain keyword), and `tests/runtime/judge_tar.py` extracts a benign archive
//! and one holding `../escape.txt` with the original and both fixes:
//! - the original writes `escape.txt` outside the destination (the control);
//! - both fixes refuse it (`OutsideDestinationError`) and extract the benign
//!   archive as the original does;
//! - on a patch release from before PEP 706 (simulated: no `data_filter`,
//!   and `filter=` is a `TypeError`) the guarded fix still runs and extracts
//!   as before, while the plain keyword fails: why the guard is written for
//!   targets below 3.12.
//!
//! The judge is `$REMEDIATE_PYTHON` (default `python3`); it must have the
//! extraction filters (3.12+, or 3.8.17+, 3.9.17+, 3.10.12+, 3.11.4+).

mod common;

use std::path::{Path, PathBuf};

use common::{python, remediate, run_in};
use serde_json::Value;

fn runtime_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/runtime")
}

/// A copy of the unpacker fixed with `extra` arguments.
fn fixed_copy(dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let path = dir.join(name);
    std::fs::copy(runtime_dir().join("tar_unpack.py"), &path).unwrap();
    let mut args: Vec<String> =
        ["fix", "--quiet", "--unsafe-fixes", "--select", "tarfile-extract"].map(String::from).to_vec();
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(name.to_owned());
    let out = run_in(dir, &remediate(), &args);
    assert_eq!(out.code, Some(0), "remediate fix {extra:?}: {}", out.stderr);
    path
}

fn judge(dir: &Path, old_release: bool, modules: &[&Path]) -> Value {
    let script = runtime_dir().join("judge_tar.py");
    let mut args = vec![script.to_string_lossy().into_owned(), dir.to_string_lossy().into_owned()];
    if old_release {
        args.push("--old-release".into());
    }
    args.extend(modules.iter().map(|m| m.to_string_lossy().into_owned()));
    let out = python(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.code, Some(0), "judge_tar.py failed:\n{}", out.stderr);
    serde_json::from_str(&out.stdout).unwrap()
}

#[test]
fn fixed_unpackers_refuse_an_escaping_member() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let original = dir.join("original.py");
    std::fs::copy(runtime_dir().join("tar_unpack.py"), &original).unwrap();
    let guarded = fixed_copy(dir, "guarded.py", &[]);
    let plain = fixed_copy(dir, "plain.py", &["--target-version", "py312"]);
    let guarded_text = std::fs::read_to_string(&guarded).unwrap();
    assert!(guarded_text.contains("hasattr(tarfile, \"data_filter\")"), "{guarded_text}");
    assert!(std::fs::read_to_string(&plain).unwrap().contains("tar.extractall(dest, filter=\"data\")"));

    let report = judge(dir, false, &[&original, &guarded, &plain]);
    assert_eq!(report["data_filter"], true, "the judge Python lacks the extraction filters: {report}");
    let results = &report["results"];
    let original = &results["original.py"];
    assert_eq!(original["malicious"]["escaped"], true, "control: the original extracts ../escape.txt");
    for fixed in ["guarded.py", "plain.py"] {
        let malicious = &results[fixed]["malicious"];
        assert_eq!(malicious["outcome"], "OutsideDestinationError", "{fixed}: {malicious}");
        assert_eq!(malicious["escaped"], false, "{fixed} let the member escape");
        assert_eq!(results[fixed]["benign"], original["benign"], "{fixed} extracts a benign archive differently");
    }
    assert_eq!(original["benign"]["outcome"], "ok");

    let old = judge(dir, true, &[dir.join("original.py").as_path(), &guarded, &plain]);
    assert_eq!(old["data_filter"], false);
    let old = &old["results"];
    assert_eq!(old["guarded.py"]["malicious"], old["original.py"]["malicious"], "the guard changes an old release");
    assert_eq!(old["guarded.py"]["benign"], old["original.py"]["benign"]);
    assert_eq!(old["plain.py"]["benign"]["outcome"], "TypeError", "the plain keyword should fail on an old release");
}
