//! Golden tests: every `tests/fixtures/<rule>/<case>.py` is copied to a
//! scratch directory and run through the real binary. Each case is its own
//! test, named `<rule>::<case>`, found when the tests run: a fixture added
//! to any directory under `tests/fixtures/` is a test without editing this
//! file, and `cargo test --test golden torch_load` runs one rule's cases.
//!
//! - `<case>.check.txt`: the expected `remediate check --format full`
//!   output (each finding's line, code frame and fix);
//! - `<case>.fixed.py`: the expected file after `remediate fix` (equal to
//!   the input when nothing is fixable);
//! - `<case>.args` (optional): extra arguments, one line, for both commands;
//!   YAML files in the fixture directory are copied beside the case, so
//!   `--revisions revisions.yaml` works.
//!
//! Every case is also judged externally: the fixed file must compile with
//! CPython (`compile()`, which unlike `ast.parse` rejects a repeated
//! keyword), the printed diff must pass `git apply --check` and produce the
//! same bytes as `fix`, and a second `fix` must change nothing; the plain
//! `check` output must be the first line of each block of the full one.
//! `REMEDIATE_BLESS=1` rewrites the expected files from the actual output.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use common::{python, remediate, run_in};
use libtest_mimic::{Arguments, Trial};

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut cases = Vec::new();
    for dir in fs::read_dir(&root).expect("tests/fixtures exists") {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for file in fs::read_dir(&dir).unwrap() {
            let path = file.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".py") && !name.ends_with(".fixed.py") {
                cases.push(path);
            }
        }
    }
    cases.sort();
    cases
}

/// `torch_load::aliases` for `tests/fixtures/torch_load/aliases.py`.
fn test_name(case: &Path) -> String {
    let dir = case.parent().and_then(Path::file_name).unwrap().to_string_lossy();
    let stem = case.file_name().unwrap().to_string_lossy();
    format!("{dir}::{}", stem.trim_end_matches(".py"))
}

fn main() -> ExitCode {
    let arguments = Arguments::from_args();
    let bless = std::env::var_os("REMEDIATE_BLESS").is_some();
    let cases = cases();
    let mut trials = vec![Trial::test("fixtures_exist", {
        let found = cases.len();
        move || if found > 0 { Ok(()) } else { Err("no fixtures found under tests/fixtures".into()) }
    })];
    trials.extend(
        cases
            .into_iter()
            .map(|case| Trial::test(test_name(&case), move || check_case(&case, bless).map_err(Into::into))),
    );
    libtest_mimic::run(&arguments, trials).exit_code()
}

fn check_case(case: &Path, bless: bool) -> Result<(), String> {
    let dir = case.parent().unwrap();
    let stem = case.file_name().unwrap().to_string_lossy().trim_end_matches(".py").to_owned();
    let file_name = format!("{stem}.py");
    let scratch = tempfile::tempdir().unwrap();
    let work = scratch.path();
    for entry in fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            fs::copy(&p, work.join(p.file_name().unwrap())).unwrap();
        }
    }
    let input = fs::read(case).unwrap();
    fs::write(work.join(&file_name), &input).unwrap();
    let args: Vec<String> = fs::read_to_string(dir.join(format!("{stem}.args")))
        .map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    let with = |command: &str| -> Vec<String> {
        let mut v = vec![command.to_owned(), "--quiet".to_owned()];
        v.extend(args.iter().cloned());
        v.push(file_name.clone());
        v
    };

    let mut full_check = with("check");
    full_check.splice(1..1, ["--format".to_owned(), "full".to_owned()]);
    let check = run_in(work, &remediate(), &full_check);
    compare_or_bless(&dir.join(format!("{stem}.check.txt")), check.stdout.as_bytes(), bless)?;
    let plain = run_in(work, &remediate(), &with("check"));
    let first_lines: Vec<&str> =
        check.stdout.split("\n\n").filter(|block| !block.is_empty()).filter_map(|b| b.lines().next()).collect();
    if plain.stdout.lines().collect::<Vec<_>>() != first_lines {
        return Err(format!("plain check output is not the first line of each full block:\n{}", plain.stdout));
    }

    let diff = run_in(work, &remediate(), &with("diff"));
    if diff.code != Some(0) {
        return Err(format!("diff exited {:?}: {}", diff.code, diff.stderr));
    }
    let fix = run_in(work, &remediate(), &with("fix"));
    if fix.code == Some(2) {
        return Err(format!("fix exited 2: {}", fix.stderr));
    }
    let fixed = fs::read(work.join(&file_name)).unwrap();
    compare_or_bless(&dir.join(format!("{stem}.fixed.py")), &fixed, bless)?;

    if fixed != input {
        let compiled = python(&["-c", COMPILE, &work.join(&file_name).to_string_lossy()]);
        if compiled.code != Some(0) {
            return Err(format!("fixed file does not compile: {}", compiled.stderr));
        }
        apply_diff_to_copy(&input, &file_name, &diff.stdout_bytes, &fixed)?;
    } else if !diff.stdout.is_empty() {
        return Err(format!("diff printed changes but fix changed nothing:\n{}", diff.stdout));
    }
    run_in(work, &remediate(), &with("fix"));
    if fs::read(work.join(&file_name)).unwrap() != fixed {
        return Err("a second fix changed the file again".into());
    }
    Ok(())
}

/// `git apply --check`, then `git apply`, on a fresh copy of the input; the
/// result must be byte-identical to what `fix` wrote.
fn apply_diff_to_copy(input: &[u8], file_name: &str, diff: &[u8], fixed: &[u8]) -> Result<(), String> {
    let scratch = tempfile::tempdir().unwrap();
    let work = scratch.path();
    fs::write(work.join(file_name), input).unwrap();
    fs::write(work.join("fix.patch"), diff).unwrap();
    for extra in [&["--check"][..], &[][..]] {
        let mut args = vec!["apply"];
        args.extend_from_slice(extra);
        args.push("fix.patch");
        let out = run_in(work, Path::new("git"), &args.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        if out.code != Some(0) {
            return Err(format!("git apply {extra:?} failed: {}\n{}", out.stderr, String::from_utf8_lossy(diff)));
        }
    }
    if fs::read(work.join(file_name)).unwrap() != fixed {
        return Err("applying the printed diff does not give what fix wrote".into());
    }
    Ok(())
}

fn compare_or_bless(expected: &Path, actual: &[u8], bless: bool) -> Result<(), String> {
    if bless {
        fs::write(expected, actual).unwrap();
        return Ok(());
    }
    let want = fs::read(expected)
        .map_err(|e| format!("{}: {e} (run with REMEDIATE_BLESS=1 to create it)", expected.display()))?;
    if want != actual {
        return Err(format!(
            "{} differs.\n--- expected\n{}\n--- actual\n{}",
            expected.display(),
            String::from_utf8_lossy(&want),
            String::from_utf8_lossy(actual)
        ));
    }
    Ok(())
}

/// Compiles a file from its bytes, so PEP 263 declarations and BOMs count.
const COMPILE: &str = "import sys; p = sys.argv[1]; compile(open(p, 'rb').read(), p, 'exec')";
