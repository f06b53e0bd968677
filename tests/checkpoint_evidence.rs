//! `--checkpoints DIR`: real checkpoint files decide the `torch-load` fix of
//! the loads that name them. Checkpoints are written with real `torch.save`
//! (the runtime venv), the project is fixed, and the fixed load is run with
//! real torch.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::{remediate, run_in, runtime_python};

/// Loads `runs/rng.pt` (a numpy RNG state) and `runs/evil.pt` (a REDUCE of
/// `os.system`); nothing in the code saves either.
const LOADS: &str = r#"import torch


def resume():
    state = torch.load("runs/rng.pt")
    return state["rng"][0]


def inspect():
    return torch.load("runs/evil.pt")


if __name__ == "__main__":
    print(resume())
"#;

const WRITE: &str = r#"import os
import numpy as np
import torch

np.random.seed(0)
torch.save({"model": {"w": torch.zeros(2)}, "rng": np.random.get_state()}, "runs/rng.pt")


class Evil:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


torch.save({"x": Evil()}, "runs/evil.pt")
"#;

fn project(python: &Path, code: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("runs")).unwrap();
    fs::write(dir.path().join("load.py"), code).unwrap();
    fs::write(dir.path().join("write.py"), WRITE).unwrap();
    let out = Command::new(python).arg("write.py").current_dir(dir.path()).output().unwrap();
    assert!(out.status.success(), "write.py: {}", String::from_utf8_lossy(&out.stderr));
    fs::remove_file(dir.path().join("write.py")).unwrap();
    dir
}

fn remediate_in(dir: &Path, args: &[&str]) -> common::Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).chain(["--no-cache".into()]).collect();
    run_in(dir, &remediate(), &args)
}

#[test]
fn audited_files_choose_the_allowlist_of_the_loads_that_name_them() {
    let Some(python) = runtime_python("checkpoint evidence") else { return };
    let dir = project(&python, LOADS);

    // The code alone shows no save: the load gets the plain fix, which the
    // real file refuses.
    let plain = remediate_in(dir.path(), &["diff", "load.py"]);
    assert!(plain.stdout.contains(r#"+    state = torch.load("runs/rng.pt", weights_only=True)"#), "{}", plain.stdout);
    assert!(!plain.stdout.contains("safe_globals"), "{}", plain.stdout);

    let fixed = remediate_in(dir.path(), &["fix", "--checkpoints", "runs", "load.py"]);
    assert_eq!(fixed.code, Some(1), "the dangerous file's load remains: {}{}", fixed.stdout, fixed.stderr);
    let text = fs::read_to_string(dir.path().join("load.py")).unwrap();
    assert!(text.contains("torch.serialization.safe_globals(") && text.contains("numpy.ndarray,"), "{text}");
    assert!(text.contains(r#"torch.load("runs/rng.pt", weights_only=True)"#), "{text}");
    assert!(text.contains(r#"return torch.load("runs/evil.pt")"#), "the dangerous file's load is not fixed:\n{text}");
    assert!(
        fixed.stdout.contains("runs/evil.pt is dangerous") && fixed.stdout.contains("system"),
        "the finding names the file and what it calls: {}",
        fixed.stdout
    );

    // The fixed load reads the real file with weights-only in effect.
    let run = Command::new(&python).arg("load.py").current_dir(dir.path()).output().unwrap();
    assert!(run.status.success(), "{text}\n{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(String::from_utf8_lossy(&run.stdout).trim(), "MT19937");
    assert!(!dir.path().join("pwned").exists());
}

#[test]
fn files_and_saves_that_disagree_get_no_fix() {
    let Some(python) = runtime_python("checkpoint evidence") else { return };
    // The code saves a plain state dict under the same name; the file on
    // disk holds a numpy RNG state.
    let code = LOADS.replace(
        "def inspect():",
        "def save(model):\n    torch.save({\"model\": model.state_dict()}, \"runs/rng.pt\")\n\n\ndef inspect():",
    );
    let dir = project(&python, &code);
    let without = remediate_in(dir.path(), &["diff", "load.py"]);
    assert!(without.stdout.contains(r#"torch.load("runs/rng.pt", weights_only=True)"#), "{}", without.stdout);
    let with = remediate_in(dir.path(), &["check", "--checkpoints", "runs", "load.py"]);
    let line = with.stdout.lines().find(|l| l.starts_with("load.py:5:")).unwrap_or_else(|| panic!("{}", with.stdout));
    assert!(line.contains("not fixed"), "{line}");
    assert!(line.contains("runs/rng.pt") && line.contains("load.py:10"), "names the file and the save: {line}");
}
