//! The Python distribution, end to end: the wheel that maturin builds from
//! pyproject.toml gives a fresh virtualenv the `remediate` command with no Rust
//! toolchain on PATH, and the hooks of `pre-commit-mirror/` install that wheel
//! from a local wheelhouse, as they would from PyPI.
//!
//! The end-to-end test needs maturin and pre-commit (`scripts/python-env.sh
//! packaging` installs the pinned versions) and a release build of the binary,
//! so it takes minutes. Without `CI` set it is skipped, with the reason, when
//! those tools cannot be installed; under `CI=true` it always runs.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

struct Output {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Output {
    /// Both streams, for assertion messages.
    fn all(&self) -> String {
        format!("exit {:?}\n--- stdout\n{}--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

fn run(command: &mut Command) -> Output {
    let out = command.output().unwrap_or_else(|e| panic!("running {command:?}: {e}"));
    Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `command` and panics, with its output, unless it exits 0.
fn succeed(command: &mut Command) -> Output {
    let out = run(command);
    assert_eq!(out.code, Some(0), "{command:?} failed\n{}", out.all());
    out
}

/// The value of `key = "value"` on a line of a TOML file (enough for the
/// flat keys checked here).
fn toml_string(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (k, v) = line.split_once('=')?;
        (k.trim() == key).then(|| v.trim().trim_matches('"').to_string())
    })
}

/// The version pinned as `name==version` anywhere in `text`.
fn pin(text: &str, name: &str) -> Option<String> {
    let at = text.find(&format!("{name}=="))? + name.len() + 2;
    let rest = &text[at..];
    let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '.')).unwrap_or(rest.len());
    Some(rest[..end].to_string())
}

fn hooks(path: &str) -> serde_yaml::Value {
    serde_yaml::from_str(&read(path)).unwrap_or_else(|e| panic!("parsing {path}: {e}"))
}

#[test]
fn package_metadata_and_hooks_agree() {
    let pyproject = read("pyproject.toml");
    assert_eq!(toml_string(&pyproject, "name").as_deref(), Some("remediate-ml"));
    assert_eq!(toml_string(&pyproject, "bindings").as_deref(), Some("bin"));
    assert_eq!(toml_string(&pyproject, "locked").as_deref(), Some("true"));
    // The maturin that tests build with is the one pip builds with.
    let tools = read("scripts/python-packaging.txt");
    assert!(pin(&pyproject, "maturin").is_some(), "[build-system] must pin maturin");
    assert_eq!(pin(&pyproject, "maturin"), pin(&tools, "maturin"), "pyproject.toml vs scripts/python-packaging.txt");

    // The mirror installs the wheel of this very version.
    let mirror = read("pre-commit-mirror/pyproject.toml");
    assert_eq!(toml_string(&mirror, "version").as_deref(), Some(VERSION), "pre-commit-mirror/pyproject.toml version");
    assert_eq!(pin(&mirror, "remediate-ml").as_deref(), Some(VERSION), "pre-commit-mirror/pyproject.toml dependency");

    // Same ids, names and entries from source and from the mirror, so a user
    // can switch between the two without touching their configuration.
    let source = hooks(".pre-commit-hooks.yaml");
    assert_eq!(source, hooks("pre-commit-mirror/.pre-commit-hooks.yaml"));
    let ids: Vec<&str> = source
        .as_sequence()
        .expect("a list of hooks")
        .iter()
        .map(|hook| hook["id"].as_str().expect("every hook has an id"))
        .collect();
    assert_eq!(ids, ["remediate", "remediate-fix"]);
}

#[test]
fn ci_example_installs_a_pinned_release_with_pinned_actions() {
    let workflow = read("examples/github-code-scanning.yml");
    assert_eq!(pin(&workflow, "remediate-ml").as_deref(), Some(VERSION), "the release the example installs");
    assert!(!workflow.contains("cargo install"), "the example installs the wheel, not a source build");
    let uses: Vec<&str> = workflow
        .lines()
        .filter_map(|line| line.trim().strip_prefix("- uses:").or(line.trim().strip_prefix("uses:")))
        .collect();
    assert!(!uses.is_empty());
    for action in uses {
        // owner/repo[/path]@<40 hex digits> # vX.Y.Z
        let (reference, comment) = action.split_once(" # ").unwrap_or((action, ""));
        let sha = reference.trim().rsplit_once('@').map(|(_, sha)| sha).unwrap_or_default();
        assert!(sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()), "{action}: not pinned by commit");
        assert!(comment.trim().starts_with('v'), "{action}: the release belongs in a comment");
    }
}

/// `CI` set to anything but empty, `0` or `false`.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
}

/// The venv with the pinned maturin and pre-commit, or why there is none.
fn packaging_tools() -> Result<PathBuf, String> {
    let out = run(Command::new("bash").arg(root().join("scripts/python-env.sh")).arg("packaging"));
    if out.code != Some(0) {
        return Err(format!("scripts/python-env.sh packaging failed:\n{}", out.stderr));
    }
    let venv = out.stdout.lines().last().unwrap_or_default().trim();
    Ok(PathBuf::from(venv))
}

/// PATH without the directories that hold `cargo` or `rustc`: what is
/// installed must run without a Rust toolchain.
fn path_without_rust() -> OsString {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let kept = std::env::split_paths(&path).filter(|dir| !dir.join("cargo").exists() && !dir.join("rustc").exists());
    std::env::join_paths(kept).expect("PATH entries")
}

/// A command with no pip configuration from the environment: packages come
/// only from the wheelhouse, never from an index.
fn offline(program: impl AsRef<std::ffi::OsStr>, wheelhouse: &Path) -> Command {
    let mut command = Command::new(program);
    command
        .env("PATH", path_without_rust())
        .env("PIP_NO_INDEX", "1")
        .env("PIP_FIND_LINKS", wheelhouse)
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .env_remove("PIP_INDEX_URL")
        .env_remove("PIP_EXTRA_INDEX_URL")
        .env_remove("PIP_REQUIRE_VIRTUALENV")
        .env_remove("VIRTUAL_ENV")
        .env("NO_COLOR", "1");
    command
}

const FINDING: &str = "import torch\n\nmodel = torch.load(\"checkpoint.pt\")\n";

fn git(dir: &Path, args: &[&str]) {
    succeed(
        Command::new("git")
            .args(["-c", "user.name=remediate tests", "-c", "user.email=tests@remediate.invalid"])
            .args(["-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"])
            .args(args)
            .current_dir(dir),
    );
}

#[test]
fn wheel_installs_without_rust_and_hooks_install_it() {
    let tools = match packaging_tools() {
        Ok(venv) => venv,
        Err(reason) if !in_ci() => {
            eprintln!("skipped: packaging tools unavailable ({reason})");
            return;
        }
        Err(reason) => panic!("CI is set, and {reason}"),
    };
    let scratch = tempfile::tempdir().unwrap();
    let wheelhouse = scratch.path().join("wheelhouse");

    // 1. The wheel, as a release would build it.
    let started = Instant::now();
    let mut maturin = Command::new(tools.join("bin/maturin"));
    maturin.args(["build", "--release", "--out"]).arg(&wheelhouse).current_dir(root());
    // Cargo gives this test its package's variables; build scripts that watch
    // them (ring's) would rebuild, here and again in the next `cargo test`.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let set_for_tests =
            ["CARGO_PKG_", "CARGO_MANIFEST_", "CARGO_BIN_", "CARGO_CFG_"].iter().any(|p| name.starts_with(p))
                || [
                    "CARGO_CRATE_NAME",
                    "CARGO_PRIMARY_PACKAGE",
                    "CARGO_TARGET_TMPDIR",
                    "CARGO_RUSTC_CURRENT_DIR",
                    "OUT_DIR",
                ]
                .contains(&name.as_ref());
        if set_for_tests {
            maturin.env_remove(name.as_ref());
        }
    }
    succeed(&mut maturin);
    eprintln!("maturin build --release: {:.1} s", started.elapsed().as_secs_f64());
    let wheels: Vec<PathBuf> = fs::read_dir(&wheelhouse).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(wheels.len(), 1, "{wheels:?}");
    let wheel = &wheels[0];
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with(&format!("remediate_ml-{VERSION}-py3-none-")), "{name}");

    // Its metadata, as PyPI and pip read it.
    let metadata = succeed(
        Command::new(tools.join("bin/python"))
            .args(["-c", "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); n = z.namelist(); print('\\n'.join(n)); print(z.read(next(p for p in n if p.endswith('.dist-info/METADATA'))).decode())"])
            .arg(wheel),
    )
    .stdout;
    for expected in [
        format!("remediate_ml-{VERSION}.data/scripts/remediate\n"),
        "Name: remediate-ml\n".into(),
        format!("Version: {VERSION}\n"),
        "Requires-Python: >=3.8\n".into(),
        "License-Expression: Apache-2.0\n".into(),
        "License-File: LICENSE\n".into(),
        "Description-Content-Type: text/markdown".into(),
        "`remediate` finds and **fixes**".into(),
    ] {
        assert!(metadata.contains(&expected), "{expected:?} missing from the wheel:\n{metadata}");
    }

    // 2. A fresh virtualenv gets the command from the wheel alone.
    let venv = scratch.path().join("venv");
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    succeed(Command::new(python).args(["-m", "venv"]).arg(&venv));
    succeed(offline(venv.join("bin/python"), &wheelhouse).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        &format!("remediate-ml=={VERSION}"),
    ]));
    let installed = venv.join("bin/remediate");
    let version = succeed(offline(&installed, &wheelhouse).arg("--version"));
    assert_eq!(version.stdout.trim(), format!("remediate {VERSION}"));

    let project = scratch.path().join("project");
    fs::create_dir(&project).unwrap();
    fs::write(project.join("train.py"), FINDING).unwrap();
    let check = run(offline(&installed, &wheelhouse)
        .arg("check")
        .current_dir(&project)
        .env("REMEDIATE_CACHE_DIR", scratch.path().join("cache")));
    assert_eq!(check.code, Some(1), "{}", check.all());
    assert!(check.stdout.contains("train.py:3:9: torch-load [B614]"), "{}", check.all());

    // 3. The mirror's hooks, from a git repository as pre-commit clones them;
    // pip finds remediate-ml and the hook package's build backend in the
    // wheelhouse and nowhere else.
    let setuptools = pin(&read("scripts/python-packaging.txt"), "setuptools")
        .expect("setuptools pinned in scripts/python-packaging.txt");
    succeed(
        Command::new(tools.join("bin/python"))
            .args(["-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "--dest"])
            .arg(&wheelhouse)
            .arg(format!("setuptools=={setuptools}")),
    );
    let hooks_repo = scratch.path().join("remediate-pre-commit");
    fs::create_dir(&hooks_repo).unwrap();
    for file in [".pre-commit-hooks.yaml", "pyproject.toml", "README.md"] {
        fs::copy(root().join("pre-commit-mirror").join(file), hooks_repo.join(file)).unwrap();
    }
    git(&hooks_repo, &["init", "--quiet"]);
    git(&hooks_repo, &["add", "."]);
    git(&hooks_repo, &["commit", "--quiet", "-m", "hooks"]);

    git(&project, &["init", "--quiet"]);
    git(&project, &["add", "train.py"]);
    let pre_commit = |hook: &str| {
        run(offline(tools.join("bin/pre-commit"), &wheelhouse)
            .arg("try-repo")
            .arg(&hooks_repo)
            .args([hook, "--all-files"])
            .current_dir(&project)
            .env("PRE_COMMIT_HOME", scratch.path().join("pre-commit-home"))
            .env("REMEDIATE_CACHE_DIR", scratch.path().join("cache")))
    };
    let started = Instant::now();
    let check = pre_commit("remediate");
    eprintln!(
        "pre-commit, first run of the remediate hook (environment installed from the wheel): {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(check.code, Some(1), "{}", check.all());
    assert!(check.stdout.contains("Installing environment"), "{}", check.all());
    assert!(check.stdout.contains("train.py:3:9: torch-load [B614]"), "{}", check.all());

    let fix = pre_commit("remediate-fix");
    assert_eq!(fix.code, Some(1), "the hook fails when it changed files\n{}", fix.all());
    assert!(fix.stdout.contains("files were modified by this hook"), "{}", fix.all());
    let fixed = fs::read_to_string(project.join("train.py")).unwrap();
    assert_eq!(fixed, "import torch\n\nmodel = torch.load(\"checkpoint.pt\", weights_only=True)\n");
}
