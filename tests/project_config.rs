//! Project settings as ruff finds its own: `[tool.remediate]` or
//! `remediate.toml` searched upward, default excludes, per-file ignores,
//! `requires-python`, and errors that name the file and line.

mod common;

use std::path::Path;

use common::{remediate, run_in, Output};

const TRAIN: &str = "import torch\nfrom transformers import AutoModel\n\n\
def load(path):\n    model = AutoModel.from_pretrained(\"gpt2\")\n    state = torch.load(path)\n    return model, state\n";

const PINS: &str = "model_revisions:\n  gpt2:\n    revision: \"607a30d783dfa663caf39e06633721c8d4cfcd7e\"\n";

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn run(dir: &Path, args: &[&str]) -> Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).chain(["--no-cache".to_owned()]).collect();
    run_in(dir, &remediate(), &args)
}

/// A project: settings in pyproject.toml, pins under configs/, code under
/// src/, a virtual environment and a build directory holding findings too.
fn project(settings: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "pyproject.toml", &format!("[project]\nname = \"demo\"\nrequires-python = \">=3.10\"\n\n{settings}"));
    write(root, "configs/model_revisions.yaml", PINS);
    write(root, "src/demo/train.py", TRAIN);
    write(root, "src/demo/tests/test_train.py", "import torch\nstate = torch.load('x.pt')\n");
    write(root, "venv/lib/python3.11/site-packages/pip/x.py", "import torch\nstate = torch.load('x.pt')\n");
    write(root, "build/lib/demo/train.py", TRAIN);
    dir
}

fn finding_lines(out: &Output) -> Vec<String> {
    let mut lines: Vec<String> = out.stdout.lines().map(|l| l.trim_start_matches("./").to_owned()).collect();
    lines.sort();
    lines
}

#[test]
fn a_subdirectory_gives_the_same_fixes_as_the_root() {
    let from_root = project("[tool.remediate]\nselect = [\"hf-revision\", \"torch-load\"]\n");
    let from_sub = project("[tool.remediate]\nselect = [\"hf-revision\", \"torch-load\"]\n");
    let a = run(from_root.path(), &["fix", "src"]);
    let b = run(&from_sub.path().join("src/demo"), &["fix", "."]);
    assert_eq!(a.code, b.code, "{}\n{}", a.stderr, b.stderr);
    let fixed_a = std::fs::read_to_string(from_root.path().join("src/demo/train.py")).unwrap();
    let fixed_b = std::fs::read_to_string(from_sub.path().join("src/demo/train.py")).unwrap();
    assert_ne!(fixed_a, TRAIN, "{}", a.stderr);
    assert!(fixed_a.contains("revision=\"607a30d783dfa663caf39e06633721c8d4cfcd7e\""), "{fixed_a}");
    assert_eq!(fixed_a, fixed_b, "the revisions file is found from the subdirectory too");
}

#[test]
fn default_excludes_skip_a_venv_and_build_but_not_named_files() {
    let dir = project("");
    let out = run(dir.path(), &["check", "--select", "B614", "."]);
    let lines = finding_lines(&out);
    assert_eq!(lines.len(), 2, "{lines:?}\n{}", out.stderr);
    assert!(lines.iter().all(|l| l.starts_with("src/")), "{lines:?}");
    assert!(out.stderr.contains("in 2 file(s) scanned"), "{}", out.stderr);
    let named = "venv/lib/python3.11/site-packages/pip/x.py";
    let out = run(dir.path(), &["check", "--select", "B614", named]);
    assert_eq!(out.code, Some(1), "a file named explicitly is checked: {}", out.stderr);
    assert!(out.stdout.starts_with(named), "{}", out.stdout);
    // A directory named explicitly is walked, as ruff walks it.
    let out = run(dir.path(), &["check", "--select", "B614", "build"]);
    assert_eq!(out.stdout.lines().count(), 1, "{}{}", out.stdout, out.stderr);
}

#[test]
fn a_package_named_like_a_default_exclude_is_source_and_is_walked() {
    let dir = project("");
    write(dir.path(), "src/demo/dist/__init__.py", "");
    write(dir.path(), "src/demo/dist/utils.py", "import torch\nstate = torch.load('x.pt')\n");
    let out = run(dir.path(), &["check", "--select", "B614", "."]);
    let lines = finding_lines(&out);
    assert!(lines.iter().any(|l| l.starts_with("src/demo/dist/utils.py:")), "{lines:?}");
    assert!(!lines.iter().any(|l| l.starts_with("build/") || l.starts_with("venv/")), "{lines:?}");
    // Excluded by the project's own list, it is skipped like any other.
    let dir = project("[tool.remediate]\nexclude = [\"dist\"]\n");
    write(dir.path(), "src/demo/dist/__init__.py", "");
    write(dir.path(), "src/demo/dist/utils.py", "import torch\nstate = torch.load('x.pt')\n");
    let out = run(dir.path(), &["check", "--select", "B614", "."]);
    assert!(!finding_lines(&out).iter().any(|l| l.contains("/dist/")), "{}", out.stdout);
}

#[test]
fn force_exclude_applies_to_named_files_and_extend_exclude_adds() {
    let dir = project("[tool.remediate]\nforce-exclude = true\nextend-exclude = [\"src/demo/tests/\"]\n");
    let out = run(dir.path(), &["check", "--select", "B614", "venv/lib/python3.11/site-packages/pip/x.py"]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    let out = run(dir.path(), &["check", "--select", "B614"]);
    let lines = finding_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with("src/demo/train.py:"), "{lines:?}");
}

#[test]
fn per_file_ignores_turn_rules_off_for_matching_files_only() {
    let dir = project("[tool.remediate]\n[tool.remediate.per-file-ignores]\n\"**/tests/*.py\" = [\"torch-load\"]\n");
    let out = run(dir.path(), &["check", "--select", "B614,hf-revision", "src"]);
    let lines = finding_lines(&out);
    assert!(lines.iter().all(|l| !l.contains("test_train.py")), "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("train.py") && l.contains("B614")), "{lines:?}");
    // The rule is off for fix too: the test file is left as it was.
    run(dir.path(), &["fix", "--select", "B614", "src"]);
    let test = std::fs::read_to_string(dir.path().join("src/demo/tests/test_train.py")).unwrap();
    assert_eq!(test, "import torch\nstate = torch.load('x.pt')\n");
    let fixed = std::fs::read_to_string(dir.path().join("src/demo/train.py")).unwrap();
    assert!(fixed.contains("weights_only=True"), "{fixed}");
}

#[test]
fn bad_settings_name_file_and_line_exit_2_and_touch_nothing() {
    for (settings, expected) in [
        ("[tool.remediate]\nunsafe-fixes = true\nselec = [\"B614\"]\n", "pyproject.toml:7:1: unknown field `selec`"),
        ("[tool.remediate]\nunsafe-fixes = \"yes\"\n", "pyproject.toml:6:16:"),
        ("[tool.remediate]\nignore = [\"B999\"]\n", "pyproject.toml:6:10: unknown rule `B999`"),
        ("[tool.remediate]\ntarget-version = \"py27\"\n", "pyproject.toml:6:18: `py27` is not a target version"),
    ] {
        let dir = project(settings);
        for command in ["fix", "check", "config"] {
            let out = run(&dir.path().join("src"), &[command]);
            assert_eq!(out.code, Some(2), "{command} {settings}: {}", out.stderr);
            assert!(out.stderr.contains(expected), "{settings}: {}", out.stderr);
        }
        assert_eq!(std::fs::read_to_string(dir.path().join("src/demo/train.py")).unwrap(), TRAIN);
    }
}

#[test]
fn target_version_comes_from_requires_python_and_the_command_line_wins() {
    let dir = project("");
    let out = run(&dir.path().join("src"), &["config"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains("target-version = \"py310\"  # requires-python in "), "{}", out.stdout);
    assert!(out.stdout.contains("revisions = \""), "{}", out.stdout);
    let out = run(&dir.path().join("src"), &["config", "--target-version", "py312"]);
    assert!(out.stdout.contains("target-version = \"py312\"  # command line"), "{}", out.stdout);
}

#[test]
fn remediate_toml_wins_and_its_paths_are_relative_to_it() {
    let dir = project("[tool.remediate]\nselect = [\"B113\"]\n");
    write(dir.path(), "remediate.toml", "select = [\"B614\"]\nrevisions = \"configs/model_revisions.yaml\"\n");
    let out = run(&dir.path().join("src/demo"), &["config"]);
    assert!(out.stdout.contains("select = [\"B614\"]  # "), "{}", out.stdout);
    assert!(out.stdout.contains("remediate.toml"), "{}", out.stdout);
    let out = run(&dir.path().join("src/demo"), &["check", "."]);
    let lines = finding_lines(&out);
    assert!(!lines.is_empty() && lines.iter().all(|l| l.contains("[B614]")), "{lines:?}");
}

/// A monorepo whose packages carry their own settings: from the root, each
/// file gets the settings of the nearest settings file above it, as from
/// inside its package.
fn monorepo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "pyproject.toml", "[tool.remediate]\nignore = [\"hf-revision\"]\n");
    write(root, "tools/run.py", TRAIN);
    // Its own revisions file, relative to its settings file.
    write(root, "pkg_a/pyproject.toml", "[project]\nname = \"a\"\n\n[tool.remediate]\nrevisions = \"pins.yaml\"\n");
    write(root, "pkg_a/pins.yaml", PINS);
    write(root, "pkg_a/src/a/train.py", TRAIN);
    write(root, "pkg_b/remediate.toml", "select = [\"torch-load\"]\nextend-exclude = [\"generated\"]\n");
    write(root, "pkg_b/b/train.py", TRAIN);
    write(root, "pkg_b/generated/train.py", TRAIN);
    dir
}

#[test]
fn nested_settings_govern_their_subtree_from_the_root_as_from_inside() {
    let dir = monorepo();
    let root = dir.path();
    let whole = finding_lines(&run(root, &["check", "."]));
    let mut parts = Vec::new();
    for package in ["pkg_a", "pkg_b"] {
        let out = run(&root.join(package), &["check", "."]);
        parts.extend(finding_lines(&out).into_iter().map(|l| format!("{package}/{l}")));
    }
    parts.extend(finding_lines(&run(root, &["check", "tools"])));
    parts.sort();
    assert_eq!(whole, parts);
    let has = |needle: &str| whole.iter().any(|l| l.contains(needle));
    assert!(has("tools/run.py:6:13: torch-load") && !has("tools/run.py:5:13: hf-revision"), "{whole:?}");
    assert!(has("pkg_a/src/a/train.py:5:13: hf-revision"), "pkg_a does not ignore hf-revision: {whole:?}");
    assert!(has("pkg_b/b/train.py:6:13: torch-load") && !has("pkg_b/b/train.py:5"), "{whole:?}");
    assert!(!has("pkg_b/generated"), "pkg_b excludes generated/: {whole:?}");
}

#[test]
fn nested_settings_bring_their_own_revisions_to_fix() {
    let dir = monorepo();
    let out = run(dir.path(), &["fix", "."]);
    assert!(matches!(out.code, Some(0 | 1)), "{}", out.stderr);
    let fixed = std::fs::read_to_string(dir.path().join("pkg_a/src/a/train.py")).unwrap();
    assert!(fixed.contains("revision=\"607a30d783dfa663caf39e06633721c8d4cfcd7e\""), "{fixed}");
    assert_eq!(std::fs::read_to_string(dir.path().join("pkg_b/generated/train.py")).unwrap(), TRAIN);
}
