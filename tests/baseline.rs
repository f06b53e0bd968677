//! `--baseline`: findings of an earlier `check --format json`, or of
//! Bandit's own JSON, no longer count; a new one does, even when the old
//! ones have moved to other lines.

mod common;

use std::path::Path;

use common::{remediate, run_in, Output};

const OLD: &str = "import torch\n\n\ndef load(path):\n    return torch.load(path)\n\n\ndef load_again(path):\n    return torch.load(path)\n";

fn run(dir: &Path, args: &[&str]) -> Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).chain(["--no-cache".to_owned()]).collect();
    run_in(dir, &remediate(), &args)
}

/// The old file with lines added above the old findings and one new finding.
fn edited() -> String {
    let new = "import torch\nimport os\n\n\ndef fresh(p):\n    return torch.load(p, map_location='cpu')\n\n";
    new.to_owned() + &OLD["import torch\n".len()..]
}

fn check_with_baseline(dir: &Path, baseline: &str) -> Output {
    std::fs::write(dir.join("train.py"), edited()).unwrap();
    run(dir, &["check", "--select", "B614", "--baseline", baseline, "."])
}

fn assert_only_the_new_finding(out: &Output) {
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", out.stdout);
    assert!(lines[0].contains("train.py:6:12: torch-load"), "{}", out.stdout);
}

#[test]
fn a_json_baseline_hides_old_findings_and_shows_a_new_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("train.py"), OLD).unwrap();
    let out = run(dir.path(), &["check", "--select", "B614", "--format", "json", "."]);
    assert_eq!(out.code, Some(1));
    std::fs::write(dir.path().join("base.json"), &out.stdout).unwrap();
    let same = run(dir.path(), &["check", "--select", "B614", "--baseline", "base.json", "."]);
    assert_eq!(same.code, Some(0), "{}{}", same.stdout, same.stderr);
    assert!(same.stdout.is_empty());
    assert_only_the_new_finding(&check_with_baseline(dir.path(), "base.json"));
}

#[test]
fn identical_lines_are_counted_not_merged() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("train.py"), OLD).unwrap();
    let out = run(dir.path(), &["check", "--select", "B614", "--format", "json", "."]);
    std::fs::write(dir.path().join("base.json"), &out.stdout).unwrap();
    let third = OLD.to_owned() + "\n\ndef third(path):\n    return torch.load(path)\n";
    std::fs::write(dir.path().join("train.py"), third).unwrap();
    let out = run(dir.path(), &["check", "--select", "B614", "--baseline", "base.json", "."]);
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
}

#[test]
fn a_bandit_baseline_hides_what_bandit_reported() {
    let Some(venv) = std::env::var_os("REMEDIATE_VENV") else {
        eprintln!("REMEDIATE_VENV unset: Bandit's JSON is not tested");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("train.py"), OLD).unwrap();
    let bandit = Path::new(&venv).join("bin/bandit");
    let args: Vec<String> =
        ["-q", "-f", "json", "-o", "bandit.json", "-r", "."].iter().map(|s| s.to_string()).collect();
    run_in(dir.path(), &bandit, &args);
    let report = std::fs::read_to_string(dir.path().join("bandit.json")).expect("bandit wrote its report");
    assert!(report.contains("\"B614\""), "{report}");
    assert_only_the_new_finding(&check_with_baseline(dir.path(), "bandit.json"));
}

#[test]
fn a_file_that_is_no_baseline_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("train.py"), OLD).unwrap();
    std::fs::write(dir.path().join("base.json"), "{\"other\": 1}").unwrap();
    let out = run(dir.path(), &["fix", "--baseline", "base.json", "."]);
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("base.json: not a baseline"), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(dir.path().join("train.py")).unwrap(), OLD);
}
