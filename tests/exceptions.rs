//! The exception-handler rules end to end: their fixes are opt-in, and the
//! code they write runs and logs what used to be swallowed.

mod common;

use std::fs;

use common::{python, remediate, run_in};

const SWALLOWING: &str = r#"import sys

try:
    1 / 0
except Exception:
    pass


class Config:
    try:
        {}["missing"]
    except:
        pass


def parse_all(items):
    out = []
    for item in items:
        try:
            out.append(int(item))
        except Exception: continue
    return out


def cleanup():
    try:
        raise OSError("busy")
    except BaseException:
        ...


parse_all(["1", "x"])
cleanup()
"#;

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn fixes_are_applied_only_with_unsafe_fixes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jobs.py");
    fs::write(&file, SWALLOWING).unwrap();

    let diff = run_in(dir.path(), &remediate(), &args(&["diff", "jobs.py"]));
    assert_eq!(diff.code, Some(0), "{}", diff.stderr);
    assert!(diff.stdout.is_empty(), "diff without --unsafe-fixes printed:\n{}", diff.stdout);
    run_in(dir.path(), &remediate(), &args(&["fix", "jobs.py"]));
    assert_eq!(fs::read_to_string(&file).unwrap(), SWALLOWING);

    let check = run_in(dir.path(), &remediate(), &args(&["check", "jobs.py"]));
    assert_eq!(check.code, Some(1));
    assert_eq!(check.stdout.matches("(unsafe fix available)").count(), 5, "{}", check.stdout);

    let diff = run_in(dir.path(), &remediate(), &args(&["diff", "--unsafe-fixes", "jobs.py"]));
    assert!(diff.stdout.contains("+logger = logging.getLogger(__name__)"), "{}", diff.stdout);
}

#[test]
fn fixed_handlers_log_the_exception_when_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jobs.py");
    fs::write(&file, SWALLOWING).unwrap();
    let fix = run_in(dir.path(), &remediate(), &args(&["fix", "--unsafe-fixes", "jobs.py"]));
    assert_ne!(fix.code, Some(2), "{}", fix.stderr);
    let fixed = fs::read_to_string(&file).unwrap();
    // Four handlers needed a logger; it is defined once, before the first.
    assert_eq!(fixed.matches("getLogger(").count(), 1, "{fixed}");
    assert_eq!(fixed.matches("import logging").count(), 1, "{fixed}");
    assert!(!fixed.contains("except:"), "{fixed}");

    let program = "import logging, runpy, sys; \
        logging.basicConfig(level=logging.DEBUG, stream=sys.stdout, format='%(levelname)s %(message)s'); \
        runpy.run_path(sys.argv[1])";
    let run = python(&["-c", program, &file.to_string_lossy()]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    for expected in [
        "DEBUG Ignored exception at module level: ZeroDivisionError('division by zero')",
        "DEBUG Ignored exception in class Config: KeyError('missing')",
        "DEBUG Skipping iteration after exception in parse_all(): ValueError(",
        "DEBUG Ignored exception in cleanup(): OSError('busy')",
        "Traceback (most recent call last):",
    ] {
        assert!(run.stdout.contains(expected), "missing {expected:?} in:\n{}", run.stdout);
    }

    let again = run_in(dir.path(), &remediate(), &args(&["fix", "--unsafe-fixes", "jobs.py"]));
    assert_ne!(again.code, Some(2));
    assert_eq!(fs::read_to_string(&file).unwrap(), fixed, "a second fix changed the file");
}
