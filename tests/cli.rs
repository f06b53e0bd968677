//! The commands end to end, on the bundled example project, through the
//! real binary.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{remediate, run_in};

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// A scratch copy of `examples/distill` and `configs/`, as a user's checkout.
fn example_checkout() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    copy_tree(&root.join("examples/distill"), &dir.path().join("distill"));
    copy_tree(&root.join("configs"), &dir.path().join("configs"));
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            fs::copy(&path, &target).unwrap();
        }
    }
}

fn snapshot(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push((path.clone(), fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn diff_applies_with_git_and_equals_fix() {
    let by_diff = example_checkout();
    let by_fix = example_checkout();
    let diff = run_in(by_diff.path(), &remediate(), &args(&["diff", "distill"]));
    assert_eq!(diff.code, Some(0), "{}", diff.stderr);
    assert!(diff.stdout.contains("+++ b/distill/"), "{}", diff.stdout);
    fs::write(by_diff.path().join("fix.patch"), &diff.stdout_bytes).unwrap();
    let git = |a: &[&str]| run_in(by_diff.path(), Path::new("git"), &args(a));
    assert_eq!(git(&["apply", "--check", "fix.patch"]).code, Some(0));
    assert_eq!(git(&["apply", "fix.patch"]).code, Some(0));
    fs::remove_file(by_diff.path().join("fix.patch")).unwrap();

    let fix = run_in(by_fix.path(), &remediate(), &args(&["fix", "distill"]));
    assert_ne!(fix.code, Some(2), "{}", fix.stderr);
    let strip = |root: &Path| -> Vec<(PathBuf, Vec<u8>)> {
        snapshot(root).into_iter().map(|(p, b)| (p.strip_prefix(root).unwrap().to_owned(), b)).collect()
    };
    assert_eq!(strip(by_diff.path()), strip(by_fix.path()));

    let again = run_in(by_fix.path(), &remediate(), &args(&["diff", "--exit-code", "distill"]));
    assert_eq!(again.code, Some(0), "a second run would still change:\n{}", again.stdout);
    assert!(again.stdout.is_empty());
}

#[test]
fn diff_exit_code_reports_pending_changes() {
    let dir = example_checkout();
    let out = run_in(dir.path(), &remediate(), &args(&["diff", "--exit-code", "--quiet", "distill"]));
    assert_eq!(out.code, Some(1));
}

#[test]
fn check_json_has_the_documented_fields() {
    let dir = example_checkout();
    let out = run_in(dir.path(), &remediate(), &args(&["check", "--format", "json", "distill"]));
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        for key in ["path", "line", "column", "end_line", "rule", "bandit", "message", "fixable", "fix_safety"] {
            assert!(f.get(key).is_some(), "finding lacks {key}: {f}");
        }
        assert!(f["path"].as_str().unwrap().starts_with("distill/"));
        assert!(f["line"].as_u64().unwrap() >= 1 && f["column"].as_u64().unwrap() >= 1);
        // Without --unsafe-fixes, only a safe fix makes a finding fixable.
        assert_eq!(f["fixable"].as_bool().unwrap(), f["fix_safety"] == "safe");
    }
    let summary = &report["summary"];
    assert_eq!(summary["findings"].as_u64().unwrap() as usize, findings.len());
}

#[test]
fn select_and_ignore_accept_ids_and_codes() {
    let dir = example_checkout();
    let count = |extra: &[&str]| -> usize {
        let mut a = vec!["check", "--format", "json", "--no-cache"];
        a.extend_from_slice(extra);
        a.push("distill");
        let out = run_in(dir.path(), &remediate(), &args(&a));
        let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        v["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "torch-load").count()
    };
    let all = count(&[]);
    assert!(all > 0);
    assert_eq!(count(&["--select", "B614"]), all);
    assert_eq!(count(&["--select", "pytorch_load"]), all);
    assert_eq!(count(&["--ignore", "torch-load"]), 0);
}

#[test]
fn unknown_rule_and_unknown_option_exit_2() {
    let dir = example_checkout();
    let out = run_in(dir.path(), &remediate(), &args(&["check", "--select", "B999", "distill"]));
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("unknown rule `B999`"), "{}", out.stderr);
    let out = run_in(dir.path(), &remediate(), &args(&["check", "--frobnicate"]));
    assert_eq!(out.code, Some(2));
}

#[test]
fn clean_tree_exits_0_and_findings_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("ok.py"), "import torch\nx = torch.load('m.pt', weights_only=True)\n").unwrap();
    let out = run_in(dir.path(), &remediate(), &args(&["check", "."]));
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    fs::write(dir.path().join("bad.py"), "import torch\nx = torch.load('m.pt')\n").unwrap();
    let out = run_in(dir.path(), &remediate(), &args(&["check", "."]));
    assert_eq!(out.code, Some(1));
    assert!(out.stdout.starts_with("./bad.py:2:5: torch-load [B614]"), "{}", out.stdout);
    let out = run_in(dir.path(), &remediate(), &args(&["fix", "."]));
    assert_eq!(out.code, Some(0), "everything was fixable: {}", out.stderr);
}

#[test]
fn rules_prints_the_documentation_from_the_source() {
    let out = run_in(Path::new("."), &remediate(), &args(&["rules", "torch-load"]));
    assert_eq!(out.code, Some(0));
    let source = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules/torch_load.rs")).unwrap();
    for section in ["## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety"] {
        assert!(out.stdout.contains(section), "missing {section}");
        assert!(source.contains(&format!("/// {section}")));
    }
    let table = run_in(Path::new("."), &remediate(), &args(&["rules"]));
    assert!(table.stdout.lines().any(|l| l.starts_with("torch-load") && l.contains("B614") && l.contains("safe")));
}

/// Runs `remediate args` in `dir` with standard output (and, with
/// `stderr_too`, standard error) a pipe whose reader has already gone, as
/// after `| head -1` has read its line: a FIFO opened for reading and
/// writing, then closed for reading.
fn run_into_closed_pipe(dir: &Path, list: &[&str], stderr_too: bool) -> common::Output {
    let fifo = dir.join("closed.fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let redirect = if stderr_too { ">&4 2>&4" } else { ">&4" };
    let script = format!("p=$1; shift; exec 3<>\"$p\" 4>\"$p\"; exec 3<&-; \"$@\" {redirect}");
    let mut all = vec!["-c".to_owned(), script, "sh".to_owned(), fifo.to_string_lossy().into_owned()];
    all.push(remediate().to_string_lossy().into_owned());
    all.extend(list.iter().map(|s| s.to_string()));
    let out = run_in(dir, Path::new("sh"), &all);
    fs::remove_file(&fifo).unwrap();
    out
}

#[test]
fn every_command_treats_a_closed_pipe_as_success() {
    let hf_cache = tempfile::tempdir().unwrap();
    std::env::set_var("HF_HUB_CACHE", hf_cache.path());
    let commands: &[&[&str]] = &[
        &["rules"],
        &["rules", "--format", "json"],
        &["rules", "torch-load"],
        &["check", "distill"],
        &["check", "--format", "json", "distill"],
        &["check", "--format", "sarif", "distill"],
        &["check", "--format", "github", "distill"],
        &["check", "--format", "markdown", "distill"],
        &["diff", "distill"],
        &["diff", "--format", "json", "distill"],
        &["fix", "distill"],
        &["models", "distill"],
        &["models", "--format", "json", "distill"],
        &["models", "--format", "yaml", "distill"],
        &["lock", "--offline", "distill"],
    ];
    let mut failures = Vec::new();
    // `lock` prints a line for each id it could not pin: without pins, all of them.
    let checkout = |command: &[&str]| {
        let dir = example_checkout();
        if command[0] == "lock" {
            fs::remove_file(dir.path().join("configs/model_revisions.yaml")).unwrap();
        }
        dir
    };
    for command in commands {
        // The exit code the command has when its output is read to the end.
        let read = checkout(command);
        let normal = run_in(read.path(), &remediate(), &args(command));
        assert!(!normal.stdout.is_empty(), "{command:?} prints nothing to test with");
        for stderr_too in [false, true] {
            let closed = checkout(command);
            let out = run_into_closed_pipe(closed.path(), command, stderr_too);
            if out.code != normal.code || out.stderr.contains("Broken pipe") || out.stderr.contains("panicked") {
                failures.push(format!(
                    "{command:?} (stderr closed too: {stderr_too}): exit {:?}, read to the end {:?}\n{}",
                    out.code, normal.code, out.stderr
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_reader_that_stops_early_ends_output_quietly() {
    let dir = example_checkout();
    let script = format!("\"{}\" rules | head -n 1; echo \"exit=${{PIPESTATUS[0]}}\"", remediate().display());
    let out = run_in(dir.path(), Path::new("bash"), &args(&["-c", &script]));
    assert_eq!(out.stdout.lines().last(), Some("exit=0"), "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
}

const FIXABLE: &str = "import torch\nstate = torch.load('m.pt')\n";

/// Names as `git diff` must quote them, and two it writes plainly.
#[cfg(unix)]
fn odd_names() -> Vec<std::ffi::OsString> {
    use std::os::unix::ffi::OsStringExt;
    [
        &b"back\\slash.py"[..],
        b"new\nline.py",
        b"tab\there.py",
        b"quo\"te.py",
        b"latin1-\xe9.py",
        "café.py".as_bytes(),
        b"sp ace.py",
        b"dir with space/in.py",
    ]
    .iter()
    .map(|b| std::ffi::OsString::from_vec(b.to_vec()))
    .collect()
}

#[cfg(unix)]
#[test]
fn diffs_of_odd_file_names_apply_with_git_to_the_right_file() {
    for name in odd_names() {
        let shown = name.to_string_lossy().escape_debug().to_string();
        let by_diff = tempfile::tempdir().unwrap();
        let by_fix = tempfile::tempdir().unwrap();
        for root in [by_diff.path(), by_fix.path()] {
            let path = root.join(&name);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, FIXABLE).unwrap();
            fs::write(root.join("plain.py"), FIXABLE).unwrap();
        }
        let diff = run_in(by_diff.path(), &remediate(), &args(&["diff", "."]));
        assert_eq!(diff.code, Some(0), "{shown}: {}", diff.stderr);
        // Named explicitly, the file gets the same header.
        let named = std::process::Command::new(remediate())
            .args([std::ffi::OsString::from("diff"), name.clone()])
            .current_dir(by_diff.path())
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert!(named.stdout.starts_with(b"--- "), "{shown}: {}", String::from_utf8_lossy(&named.stderr));
        assert!(
            diff.stdout_bytes.windows(named.stdout.len()).any(|w| w == named.stdout),
            "{shown}: named and walked differ"
        );
        let patch = by_diff.path().join("fix.patch");
        fs::write(&patch, &diff.stdout_bytes).unwrap();
        for extra in [&["--check"][..], &[][..]] {
            let mut git = vec!["apply"];
            git.extend_from_slice(extra);
            git.push("fix.patch");
            let out = run_in(by_diff.path(), Path::new("git"), &args(&git));
            assert_eq!(out.code, Some(0), "{shown}: git {git:?}: {}\n{}", out.stderr, diff.stdout);
        }
        fs::remove_file(&patch).unwrap();
        let fix = run_in(by_fix.path(), &remediate(), &args(&["fix", "."]));
        assert_eq!(fix.code, Some(0), "{shown}: {}", fix.stderr);
        let relative = |root: &Path| -> Vec<(PathBuf, Vec<u8>)> {
            snapshot(root).into_iter().map(|(p, b)| (p.strip_prefix(root).unwrap().to_owned(), b)).collect()
        };
        assert_eq!(relative(by_diff.path()), relative(by_fix.path()), "{shown}: git apply patched other files");
        assert_ne!(fs::read(by_fix.path().join(&name)).unwrap(), FIXABLE.as_bytes(), "{shown}: not fixed");
    }
}

/// A file named twice, under two spellings, or as a file and through its
/// directory, is processed and printed once.
#[test]
fn a_file_named_twice_is_processed_once() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("pkg")).unwrap();
    fs::write(dir.path().join("pkg/a.py"), FIXABLE).unwrap();
    fs::write(dir.path().join("b.py"), FIXABLE).unwrap();
    let names = ["pkg/a.py", "pkg/a.py", "./pkg/a.py", "pkg", "pkg/", ".", "b.py"];
    let mut list = vec!["diff"];
    list.extend(names);
    let diff = run_in(dir.path(), &remediate(), &args(&list));
    assert_eq!(diff.code, Some(0), "{}", diff.stderr);
    assert_eq!(diff.stdout.matches("+++ ").count(), 2, "{}", diff.stdout);
    assert_eq!(diff.stdout.matches("--- a/pkg/a.py\n").count(), 1, "{}", diff.stdout);
    list[0] = "check";
    let check = run_in(dir.path(), &remediate(), &args(&list));
    assert_eq!(check.stdout.lines().count(), 2, "{}", check.stdout);
    list[0] = "fix";
    let fix = run_in(dir.path(), &remediate(), &args(&list));
    assert_eq!(fix.code, Some(0), "{}", fix.stderr);
    assert!(fix.stderr.contains("fixed 2 finding(s) in 2 file(s)"), "{}", fix.stderr);
}

/// `link/`, `link/.`: a symbolic link to a directory named with a trailing
/// slash is still a link, and is not followed.
#[cfg(unix)]
#[test]
fn a_linked_directory_named_with_a_trailing_slash_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("real")).unwrap();
    fs::write(dir.path().join("real/a.py"), FIXABLE).unwrap();
    std::os::unix::fs::symlink("real", dir.path().join("link")).unwrap();
    for named in ["link/", "link//", "link/."] {
        for command in ["check", "diff", "fix"] {
            let out = run_in(dir.path(), &remediate(), &args(&[command, named]));
            assert_eq!(out.code, Some(2), "{command} {named}: {}{}", out.stdout, out.stderr);
            assert!(out.stderr.contains("is a symbolic link, and links are never followed"), "{}", out.stderr);
            assert!(out.stdout.is_empty(), "{command} {named}: {}", out.stdout);
            assert_eq!(fs::read_to_string(dir.path().join("real/a.py")).unwrap(), FIXABLE);
        }
    }
}
