//! `check --statistics`: one line per rule, its count agreeing with the
//! findings `check --format json` lists.

mod common;

use std::collections::BTreeMap;

use common::{remediate, run_in};

#[test]
fn statistics_count_what_check_lists() {
    let dir = tempfile::tempdir().unwrap();
    let code = "import requests\nimport torch\n\ndef f(p):\n    a = torch.load(p)\n    b = torch.load(p)\n    requests.get(p)\n    try:\n        pass\n    except:\n        pass\n    return a, b\n";
    std::fs::write(dir.path().join("m.py"), code).unwrap();
    let run = |args: &[&str]| {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).chain(["--no-cache".to_owned()]).collect();
        run_in(dir.path(), &remediate(), &args)
    };
    let listed = run(&["check", "--format", "json", "."]);
    let report: serde_json::Value = serde_json::from_str(&listed.stdout).unwrap();
    let mut expected: BTreeMap<String, usize> = BTreeMap::new();
    for f in report["findings"].as_array().unwrap() {
        *expected.entry(f["rule"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    assert!(expected.len() >= 3 && expected["torch-load"] == 2, "{expected:?}");
    let text = run(&["check", "--statistics", "."]);
    assert_eq!(text.code, Some(1));
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for line in text.stdout.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields.len(), 3, "{line}");
        let id = fields[2].trim_start_matches("[*] ").trim();
        seen.insert(id.to_owned(), fields[0].trim().parse().unwrap());
    }
    assert_eq!(seen, expected);
    assert!(text.stdout.lines().next().unwrap().starts_with("2\tB614"), "most frequent first: {}", text.stdout);
    let json = run(&["check", "--statistics", "--format", "json", "."]);
    let counts: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let total: u64 = counts.as_array().unwrap().iter().map(|c| c["count"].as_u64().unwrap()).sum();
    assert_eq!(total as usize, expected.values().sum::<usize>());
}

#[test]
fn show_fixes_lists_what_fix_changed_per_file_and_rule() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.py"), "import torch\nx = torch.load('a')\ny = torch.load('b')\n").unwrap();
    std::fs::write(dir.path().join("b.py"), "x = 1\n").unwrap();
    let run = |args: &[&str]| {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).chain(["--no-cache".to_owned()]).collect();
        run_in(dir.path(), &remediate(), &args)
    };
    let out = run(&["fix", "--show-fixes", "--select", "B614", "a.py", "b.py"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "Fixed:\na.py:\n    2 \u{d7} B614 (torch-load)\n");
    let fixed = std::fs::read_to_string(dir.path().join("a.py")).unwrap();
    assert_eq!(fixed.matches("weights_only=True").count(), 2, "{fixed}");
    let again = run(&["fix", "--show-fixes", "a.py"]);
    assert_eq!(again.stdout, "No fixes applied\n");
}
