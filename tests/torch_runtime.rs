//! `torch-load` fixes judged by real torch: a small project
//! (`tests/runtime/torch_project`) saves the checkpoints training code writes
//! (a state dict, numpy RNG state, `argparse.Namespace`, a dataclass config,
//! numpy scalars, a lightning-style dict) with real `torch.save`; `remediate
//! fix` rewrites its loads; every fixed load must then read its checkpoint
//! with weights-only in effect, refuse a pickle that calls `os.system`, and
//! `remediate checkpoints` must agree with torch on every file. Checkpoints
//! are written under numpy 2.x and under numpy 1.x (the overlay beside the
//! runtime venv) and read under the other.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{remediate, run_in, runtime_python};

fn numpy1(python: &Path) -> Option<PathBuf> {
    let overlay = std::env::var_os("REMEDIATE_RUNTIME_NUMPY1").map(PathBuf::from).or_else(|| {
        let venv = python.parent()?.parent()?;
        Some(venv.parent()?.join("numpy1"))
    })?;
    overlay.is_dir().then_some(overlay)
}

fn drive(python: &Path, dir: &Path, mode: &str, numpy1: Option<&Path>) -> String {
    let mut command = Command::new(python);
    command.args(["drive.py", "out", mode]).current_dir(dir);
    if let Some(overlay) = numpy1 {
        command.env("PYTHONPATH", overlay);
    }
    let out = command.output().expect("running the runtime python");
    assert!(out.status.success(), "drive.py {mode}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/runtime/torch_project");
    for name in ["ckpt.py", "config.py", "drive.py"] {
        fs::copy(source.join(name), dir.path().join(name)).unwrap();
    }
    fs::create_dir_all(dir.path().join("out/evil")).unwrap();
    let fixed = run_in(dir.path(), &remediate(), &["fix".into(), "ckpt.py".into()]);
    assert_eq!(fixed.code, Some(0), "{}{}", fixed.stdout, fixed.stderr);
    dir
}

fn check(python: &Path, save_with: Option<&Path>, load_with: Option<&Path>) {
    let dir = project();
    let text = fs::read_to_string(dir.path().join("ckpt.py")).unwrap();
    assert_eq!(text.matches("weights_only=True").count(), 5, "every load is fixed safely:\n{text}");
    assert_eq!(text.matches("safe_globals(").count(), 3, "three loads need an allowlist:\n{text}");
    drive(python, dir.path(), "save", save_with);
    for name in ["weights.pt", "run.pt", "scalars.pt", "lightning.ckpt"] {
        fs::copy(dir.path().join("out/malicious.pt"), dir.path().join("out/evil").join(name)).unwrap();
    }
    let loaded: serde_json::Value = serde_json::from_str(drive(python, dir.path(), "load", load_with).trim()).unwrap();
    assert_eq!(loaded["training"], 3);
    assert_eq!(loaded["run"], 0.5);
    assert_eq!(loaded["scalars"], 0.25);
    assert_eq!(loaded["lightning"], 10);
    assert_eq!(loaded["refused"].as_array().unwrap().len(), 5, "{loaded}");
    assert_eq!(loaded["pwned"], false);
    let audit =
        run_in(dir.path(), &remediate(), &["checkpoints".into(), "--format".into(), "json".into(), "out".into()]);
    assert_eq!(audit.code, Some(1), "{}", audit.stderr);
    let audit: serde_json::Value = serde_json::from_str(&audit.stdout).unwrap();
    let text = audit.to_string();
    for (name, verdict) in loaded["torch"].as_object().unwrap() {
        let ours = if verdict == "refused" { "dangerous" } else { verdict.as_str().unwrap() };
        assert!(
            text.contains(&format!("\"out/{name}\"")) && verdict_of(&audit, name) == ours,
            "{name}: torch {verdict}, remediate {}",
            verdict_of(&audit, name)
        );
    }
}

fn verdict_of(audit: &serde_json::Value, name: &str) -> String {
    let files = audit["checkpoints"].as_array().cloned().unwrap_or_default();
    files
        .iter()
        .find(|f| f["path"].as_str().is_some_and(|p| p == format!("out/{name}")))
        .and_then(|f| f["verdict"].as_str())
        .unwrap_or("missing")
        .to_owned()
}

#[test]
fn fixed_loads_read_checkpoints_written_with_numpy_2() {
    let Some(python) = runtime_python("torch runtime tests") else { return };
    check(&python, None, None);
}

#[test]
fn fixed_loads_read_checkpoints_across_numpy_majors() {
    let Some(python) = runtime_python("torch runtime tests") else { return };
    let Some(overlay) = numpy1(&python) else {
        eprintln!("skipping: no numpy 1.x overlay beside the runtime venv");
        return;
    };
    check(&python, Some(&overlay), None);
    check(&python, None, Some(&overlay));
}
