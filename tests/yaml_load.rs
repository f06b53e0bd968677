//! `yaml-load` against the real PyYAML: `tests/runtime/yaml_loaders.py` is
//! fixed with `remediate fix --unsafe-fixes`, and `tests/runtime/judge_yaml.py`
//! runs every loader, original and fixed, on a plain document and on
//! documents with Python tags (`!!python/tuple`, and an
//! `!!python/object/apply:` payload that creates a marker file when it runs).
//! What the rule's *Fix safety* section claims is checked here:
//! - without a `Loader`, PyYAML 6 raises `TypeError` on every document, so
//!   the safe fix changes no working call; the fixed call returns for the
//!   plain document what `FullLoader` (PyYAML 5's default) returns;
//! - every fixed loader returns the same value as the original for the plain
//!   document, refuses Python tags with `ConstructorError`, and never runs
//!   the payload, which the unsafe originals do run (the control).
//!
//! Needs `REMEDIATE_RUNTIME_PYTHON` (the venv of `scripts/python-env.sh
//! runtime`, with pyyaml); without it the test is skipped, unless `CI` is set.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{remediate, run_in};
use serde_json::Value;

fn runtime_python() -> Option<PathBuf> {
    match std::env::var_os("REMEDIATE_RUNTIME_PYTHON").filter(|p| !p.is_empty()) {
        Some(path) => Some(PathBuf::from(path)),
        None if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0") => {
            panic!("REMEDIATE_RUNTIME_PYTHON must be set under CI")
        }
        None => {
            eprintln!("skipping the PyYAML runtime test: REMEDIATE_RUNTIME_PYTHON is not set");
            None
        }
    }
}

fn runtime_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/runtime")
}

#[test]
fn fixed_loaders_refuse_python_tags_and_keep_plain_documents() {
    let Some(python) = runtime_python() else { return };
    let work = tempfile::tempdir().unwrap();
    let original = work.path().join("original.py");
    let fixed = work.path().join("fixed.py");
    std::fs::copy(runtime_dir().join("yaml_loaders.py"), &original).unwrap();
    std::fs::copy(&original, &fixed).unwrap();
    let args = ["fix", "--quiet", "--unsafe-fixes", "--select", "yaml-load", "fixed.py"].map(String::from);
    let out = run_in(work.path(), &remediate(), &args);
    assert_eq!(out.code, Some(0), "remediate fix: {}", out.stderr);
    let fixed_text = std::fs::read_to_string(&fixed).unwrap();
    assert!(!fixed_text.contains("yaml.load(") && !fixed_text.contains("unsafe_load(text)"), "{fixed_text}");

    let judged = Command::new(&python)
        .arg(runtime_dir().join("judge_yaml.py"))
        .args([&original, &fixed, &work.path().to_path_buf()])
        .output()
        .expect("running the runtime python");
    assert!(judged.status.success(), "judge_yaml.py failed:\n{}", String::from_utf8_lossy(&judged.stderr));
    let report: Value = serde_json::from_slice(&judged.stdout).unwrap();
    let results = &report["results"];
    let outcome = |label: &str, function: &str, doc: &str| results[label][function][doc].clone();
    let error = |o: &Value| o["error"].as_str().map(str::to_owned);
    assert!(report["pyyaml"].as_str().is_some_and(|v| v.starts_with("6.")), "{report}");

    // PyYAML 6: `yaml.load(text)` without a Loader never worked.
    for doc in ["plain", "python_tuple", "python_apply"] {
        assert_eq!(error(&outcome("original", "no_loader", doc)).as_deref(), Some("TypeError"), "{doc}");
    }
    // The fixed call gives what PyYAML 5's default, FullLoader, gives.
    assert_eq!(outcome("fixed", "no_loader", "plain")["value"], outcome("original", "full_loader", "plain")["value"]);

    let functions = ["no_loader", "full_loader", "unsafe_loader", "plain_loader", "full_shortcut", "unsafe_shortcut"];
    for function in functions {
        let fixed_plain = outcome("fixed", function, "plain");
        assert!(fixed_plain["value"].is_string(), "{function}: {fixed_plain}");
        if function != "no_loader" {
            assert_eq!(fixed_plain["value"], outcome("original", function, "plain")["value"], "{function}");
        }
        for doc in ["python_tuple", "python_apply"] {
            let o = outcome("fixed", function, doc);
            assert_eq!(error(&o).as_deref(), Some("ConstructorError"), "fixed {function} on {doc}: {o}");
            assert_eq!(o["ran"], false, "fixed {function} ran the payload");
        }
    }
    // The control: the documents are live, and the originals honoured them.
    for function in ["full_loader", "unsafe_loader", "plain_loader", "full_shortcut", "unsafe_shortcut"] {
        let tuple = outcome("original", function, "python_tuple");
        assert_eq!(tuple["value"], "{'shape': (3, 224, 224)}", "original {function}: {tuple}");
    }
    for function in ["unsafe_loader", "plain_loader", "unsafe_shortcut"] {
        assert_eq!(outcome("original", function, "python_apply")["ran"], true, "original {function} did not run it");
    }
}
