//! Fixes a reviewer takes as they are: lines within the project's line
//! length, as its formatter writes them (judged by `ruff format`), and new
//! imports in the group where isort would put them.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{remediate, run_in};

fn run(dir: &Path, args: &[&str]) -> common::Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    run_in(dir, &remediate(), &args)
}

/// `ruff` of the tools venv (`$REMEDIATE_VENV`); skipped without it, except under CI.
fn ruff() -> Option<PathBuf> {
    let venv = std::env::var_os("REMEDIATE_VENV").map(PathBuf::from);
    let ruff = venv.map(|v| v.join("bin").join("ruff")).filter(|r| r.exists());
    if ruff.is_none() {
        assert!(std::env::var_os("CI").is_none(), "CI is set and REMEDIATE_VENV is missing");
        eprintln!("skipping the ruff format check: REMEDIATE_VENV is not set");
    }
    ruff
}

/// Fixes `source` as `m.py` in a project with `pyproject`; the fixed text.
fn fixed(pyproject: Option<&str>, source: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    if let Some(pyproject) = pyproject {
        std::fs::write(dir.path().join("pyproject.toml"), pyproject).unwrap();
    }
    std::fs::write(dir.path().join("m.py"), source).unwrap();
    let out = run(dir.path(), &["fix", "--unsafe-fixes", "m.py"]);
    assert_ne!(out.code, Some(2), "{}", out.stderr);
    let text = std::fs::read_to_string(dir.path().join("m.py")).unwrap();
    (dir, text)
}

const LONG_CALLS: &str = "\
import requests
import torch


def load(path):
    state = torch.load(path, map_location=\"cpu\")  # the checkpoint
    return torch.load(path, map_location=torch.device(\"cpu\"))


resp = requests.get(\"https://example.com/api/v1/models\", params={\"q\": 1})
short = torch.load(p)
inside = [torch.load(path, map_location=\"cpu\", mmap=True)]
";

#[test]
fn calls_past_the_line_length_get_one_argument_per_line_as_the_formatter_writes_them() {
    let (dir, text) = fixed(Some("[tool.ruff]\nline-length = 60\n"), LONG_CALLS);
    let expected_state = "    state = torch.load(  # the checkpoint\n";
    assert!(!text.contains(expected_state), "a comment after `)` stays after it:\n{text}");
    assert!(
        text.contains(
            "    state = torch.load(\n        path,\n        map_location=\"cpu\",\n        weights_only=True,\n    )  # the checkpoint\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "resp = requests.get(\n    \"https://example.com/api/v1/models\",\n    params={\"q\": 1},\n    timeout="
        ),
        "{text}"
    );
    assert!(text.contains("short = torch.load(p, weights_only=True)\n"), "{text}");
    // Inside brackets black splits the outer pair first: left long.
    assert!(text.contains("inside = [torch.load(path, map_location=\"cpu\", mmap=True, weights_only=True)]"), "{text}");
    if let Some(ruff) = ruff() {
        // Only the line left long (the list) is the formatter's business.
        std::fs::write(dir.path().join("m.py"), text.replace("inside = [", "# ").replace(")]\n", ")\n")).unwrap();
        let out = Command::new(ruff).args(["format", "--diff", "m.py"]).current_dir(dir.path()).output().unwrap();
        assert!(out.status.success(), "ruff format would change the fix:\n{}", String::from_utf8_lossy(&out.stdout));
    }
}

#[test]
fn the_default_line_length_is_88_and_black_is_read_too() {
    let (_, text) = fixed(None, LONG_CALLS);
    assert!(text.contains("    state = torch.load(path, map_location=\"cpu\", weights_only=True)  # the checkpoint\n"));
    let (_, text) = fixed(Some("[tool.black]\nline-length = 60\n"), LONG_CALLS);
    assert!(text.contains("    state = torch.load(\n        path,\n"), "{text}");
}

/// Fixes each `(name, source)` in one project; the fixed texts, each
/// compiled by CPython.
fn fixed_files(files: &[(&str, &str)]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    for (name, source) in files {
        std::fs::write(dir.path().join(name), source).unwrap();
    }
    let out = run(dir.path(), &["fix", "--unsafe-fixes", "."]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    files
        .iter()
        .map(|(name, _)| {
            let path = dir.path().join(name);
            let compiled = common::python(&["-m", "py_compile", path.to_str().unwrap()]);
            assert_eq!(compiled.code, Some(0), "{name}: {}", compiled.stderr);
            std::fs::read_to_string(path).unwrap()
        })
        .collect()
}

const SWALLOW: &str = "\n\ndef f(data):\n    try:\n        g()\n    except Exception:\n        pass\n";

#[test]
fn the_except_fix_reuses_the_module_logger_whatever_its_name_or_library() {
    let cases = [
        (
            "loguru.py_",
            "from loguru import logger\n",
            "logger.opt(exception=exc).debug(\"Ignored exception in f(): {!r}\", exc)",
        ),
        ("structlog_.py", "import structlog\n\nlog = structlog.get_logger()\n", "log.debug("),
        ("verbose.py", "from litellm._logging import verbose_logger\n", "verbose_logger.debug("),
        ("annotated.py", "import logging\n\n_logger: logging.Logger = logging.getLogger(__name__)\n", "_logger.debug("),
    ];
    let files: Vec<(String, String)> =
        cases.iter().map(|(name, head, _)| (name.replace(".py_", "_.py"), format!("{head}{SWALLOW}"))).collect();
    let files: Vec<(&str, &str)> = files.iter().map(|(n, s)| (n.as_str(), s.as_str())).collect();
    for ((_, head, call), text) in cases.iter().zip(fixed_files(&files)) {
        assert!(text.contains(call), "{text}");
        assert!(text.starts_with(head), "no new logger or import:\n{text}");
        assert!(!text.contains("_logger_1") && text.matches("getLogger").count() <= 1, "{text}");
    }
}

#[test]
fn new_imports_join_the_standard_library_group() {
    let source = "import os\n\nimport torch\n\nfrom mypkg import data\n\n\ndef f():\n    try:\n        torch.zeros(1)\n    except Exception:\n        pass\n";
    let text = &fixed_files(&[("m.py", source)])[0];
    assert!(
        text.starts_with("import os\nimport logging\n\nimport torch\n\nfrom mypkg import data\nlogger = logging.getLogger(__name__)\n"),
        "{text}"
    );
}
