//! Bad input, run against the real binary: every configuration error exits 2
//! with the file's path (and line:column where YAML has one) and writes
//! nothing; hostile trees (read-only files, links, binary and undecodable
//! files, huge and deeply nested files, syntax errors) are reported file by
//! file while every other file is still fixed.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use common::{python, remediate, run_in, Output};

const FIXABLE: &str = "import torch\n\nstate = torch.load(\"model.pt\")\n";
const FIXED: &str = "import torch\n\nstate = torch.load(\"model.pt\", weights_only=True)\n";

fn run(dir: &Path, args: &[&str]) -> Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    run_in(dir, &remediate(), &args)
}

/// Everything under `root` as it is on disk: each file's bytes, each link's
/// target, and every entry's modification time. Links are not followed.
#[derive(Debug, PartialEq)]
struct Snapshot(BTreeMap<PathBuf, (Vec<u8>, SystemTime)>);

fn snapshot(root: &Path) -> Snapshot {
    fn visit(dir: &Path, root: &Path, out: &mut BTreeMap<PathBuf, (Vec<u8>, SystemTime)>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = fs::symlink_metadata(&path).unwrap();
            let content = if meta.file_type().is_symlink() {
                fs::read_link(&path).unwrap().into_os_string().into_encoded_bytes()
            } else if meta.is_dir() {
                visit(&path, root, out);
                Vec::new()
            } else if meta.is_file() {
                fs::read(&path).unwrap()
            } else {
                b"(special)".to_vec()
            };
            out.insert(path.strip_prefix(root).unwrap().to_path_buf(), (content, meta.modified().unwrap()));
        }
    }
    let mut out = BTreeMap::new();
    visit(root, root, &mut out);
    Snapshot(out)
}

/// A project with two fixable files and default configs, in a scratch dir.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("pkg")).unwrap();
    fs::create_dir_all(dir.path().join("configs")).unwrap();
    fs::write(dir.path().join("train.py"), FIXABLE).unwrap();
    fs::write(dir.path().join("pkg/load.py"), FIXABLE).unwrap();
    fs::write(
        dir.path().join("configs/model_revisions.yaml"),
        "model_revisions:\n  gpt2:\n    revision: 607a30d783dfa663caf39e06633721c8d4cfcd7e\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("configs/timeouts.yaml"),
        "HTTP_TIMEOUTS:\n  connect: 10\n  read: 60\n  write: 10\n  pool: 10\n",
    )
    .unwrap();
    dir
}

fn read(path: impl AsRef<Path>) -> String {
    String::from_utf8_lossy(&fs::read(path).unwrap()).into_owned()
}

fn compiles(path: &Path) -> bool {
    let code = "import sys; p = sys.argv[1]; compile(open(p, 'rb').read(), p, 'exec')";
    python(&["-c", code, &path.to_string_lossy()]).code == Some(0)
}

// ------------------------------------------------------------ configuration

/// One bad configuration: which file, its bytes, and what the error must say.
struct BadConfig {
    name: &'static str,
    revisions: bool,
    text: &'static [u8],
    /// `Some("3:5")`: the message starts `path:3:5:`.
    at: Option<&'static str>,
    says: &'static str,
}

const BAD_CONFIGS: &[BadConfig] = &[
    // model_revisions.yaml
    BadConfig { name: "malformed", revisions: true, text: b"model_revisions:\n  gpt2:\n    revision: main\n   oops: x\n", at: Some("4:4"), says: "did not find expected key, while parsing a block mapping at line 2 column 3" },
    BadConfig { name: "tab indentation", revisions: true, text: b"model_revisions:\n\tgpt2: x\n", at: Some("2:1"), says: "cannot start any token" },
    BadConfig { name: "unterminated quote", revisions: true, text: b"model_revisions:\n  gpt2:\n    revision: \"main\n", at: Some("4:1"), says: "end of stream, while scanning a quoted scalar at line 3 column 15" },
    BadConfig { name: "list instead of mapping", revisions: true, text: b"model_revisions:\n  - gpt2\n", at: Some("2:3"), says: "invalid type: sequence" },
    BadConfig { name: "document is a list", revisions: true, text: b"- a\n- b\n", at: Some("1:1"), says: "invalid type: sequence" },
    BadConfig { name: "pin is a string", revisions: true, text: b"model_revisions:\n  gpt2: main\n", at: Some("2:9"), says: "invalid type: string" },
    BadConfig { name: "revision is a list", revisions: true, text: b"model_revisions:\n  gpt2:\n    revision: [a]\n", at: Some("3:15"), says: "expected a string" },
    BadConfig { name: "trust_remote_code not a bool", revisions: true, text: b"model_revisions:\n  gpt2:\n    revision: main\n    trust_remote_code: \"yes\"\n", at: Some("4:24"), says: "expected a boolean" },
    BadConfig { name: "unknown top-level key", revisions: true, text: b"model_revisions: {}\nrevisions: {}\n", at: Some("2:1"), says: "unknown field `revisions`" },
    BadConfig { name: "unknown pin key", revisions: true, text: b"model_revisions:\n  gpt2:\n    revison: main\n", at: Some("3:5"), says: "revison" },
    BadConfig { name: "missing revision", revisions: true, text: b"model_revisions:\n  gpt2:\n    trust_remote_code: false\n", at: Some("3:5"), says: "missing field `revision`" },
    BadConfig { name: "revision with a space", revisions: true, text: b"model_revisions:\n  gpt2:\n    revision: \"a b\"\n", at: Some("3:5"), says: "invalid revision \"a b\"" },
    BadConfig { name: "revision climbing out", revisions: true, text: b"model_revisions:\n  gpt2:\n    revision: ../main\n", at: Some("3:5"), says: "invalid revision" },
    BadConfig { name: "revision starting with a dash", revisions: true, text: b"model_revisions:\n  gpt2:\n    revision: --force\n", at: Some("3:5"), says: "invalid revision" },
    BadConfig { name: "null revision", revisions: true, text: b"model_revisions:\n  gpt2:\n    revision: null\n", at: Some("3:5"), says: "revision is empty" },
    BadConfig { name: "empty revision", revisions: true, text: b"model_revisions:\n  gpt2:\n    revision:\n", at: Some("3:5"), says: "revision is empty" },
    BadConfig { name: "model id twice", revisions: true, text: b"model_revisions:\n  gpt2:\n    revision: a1\n  gpt2:\n    revision: b2\n", at: Some("2:3"), says: "appears twice" },
    BadConfig { name: "two documents", revisions: true, text: b"model_revisions: {}\n---\nmodel_revisions: {}\n", at: None, says: "more than one document" },
    BadConfig { name: "empty file", revisions: true, text: b"", at: None, says: "the file is empty" },
    BadConfig { name: "only comments", revisions: true, text: b"# pins go here\n\n", at: None, says: "the file is empty" },
    BadConfig { name: "binary", revisions: true, text: b"\x7fELF\x02\x01\x01\x00\x00\xff\xfe", at: None, says: "not UTF-8" },
    BadConfig { name: "NUL bytes", revisions: true, text: b"model_revisions: {}\n\x00\n", at: None, says: "NUL" },
    BadConfig { name: "deep flow nesting", revisions: true, text: DEEP_FLOW.as_bytes(), at: Some("1:82"), says: "nested more than 64 levels" },
    BadConfig { name: "alias bomb", revisions: true, text: BOMB_REVISIONS.as_bytes(), at: Some("2:20"), says: "expected a string" },
    // timeouts.yaml
    BadConfig { name: "malformed", revisions: false, text: b"HTTP_TIMEOUTS:\n  connect: 10\n  read: 5: 6\n", at: Some("3:10"), says: "mapping values are not allowed" },
    BadConfig { name: "negative timeout", revisions: false, text: b"HTTP_TIMEOUTS:\n  connect: 10\n  read: -1\n  write: 1\n  pool: 1\n", at: Some("3:9"), says: "positive number of seconds, got -1" },
    BadConfig { name: "zero timeout", revisions: false, text: b"HTTP_TIMEOUTS:\n  connect: 0\n  read: 1\n  write: 1\n  pool: 1\n", at: Some("2:12"), says: "positive number of seconds, got 0" },
    BadConfig { name: "infinite timeout", revisions: false, text: b"HTTP_TIMEOUTS:\n  connect: .inf\n  read: 1\n  write: 1\n  pool: 1\n", at: Some("2:12"), says: "got inf" },
    BadConfig { name: "timeout over a day", revisions: false, text: b"HTTP_TIMEOUTS:\n  connect: 10\n  read: 1e303\n  write: 1\n  pool: 1\n", at: Some("3:9"), says: "HTTP_TIMEOUTS.read: timeout must be at most 86400 seconds (one day), got 1e303" },
    BadConfig { name: "streaming timeout just over a day", revisions: false, text: b"STREAMING_TIMEOUTS:\n  connect: 10\n  read: 86401\n  write: 1\n  pool: 1\n", at: Some("3:9"), says: "STREAMING_TIMEOUTS.read: timeout must be at most 86400 seconds" },
    BadConfig { name: "NaN timeout", revisions: false, text: b"HTTP_TIMEOUTS:\n  connect: .nan\n  read: 1\n  write: 1\n  pool: 1\n", at: Some("2:12"), says: "got NaN" },
    BadConfig { name: "timeout is a string", revisions: false, text: b"HTTP_TIMEOUTS:\n  connect: ten\n  read: 1\n  write: 1\n  pool: 1\n", at: Some("2:12"), says: "invalid type: string \"ten\"" },
    BadConfig { name: "timeout is a bool", revisions: false, text: b"HTTP_TIMEOUTS:\n  connect: true\n  read: 1\n  write: 1\n  pool: 1\n", at: Some("2:12"), says: "invalid type: boolean" },
    BadConfig { name: "set is a list", revisions: false, text: b"HTTP_TIMEOUTS: [1, 2, 3, 4]\n", at: Some("1:16"), says: "invalid type: sequence" },
    BadConfig { name: "missing keys", revisions: false, text: b"HTTP_TIMEOUTS:\n  connect: 1\n", at: Some("2:3"), says: "missing read, write, pool" },
    BadConfig { name: "unknown key", revisions: false, text: b"HTTP_TIMEOUTS:\n  connect: 1\n  read: 1\n  write: 1\n  pool: 1\n  total: 3\n", at: Some("6:3"), says: "`total`: unknown key" },
    BadConfig { name: "unknown top-level key", revisions: false, text: b"TIMEOUTS:\n  connect: 1\n", at: Some("1:1"), says: "unknown field `TIMEOUTS`" },
    BadConfig { name: "key twice", revisions: false, text: b"HTTP_TIMEOUTS:\n  connect: 1\n  connect: 2\n  read: 1\n  write: 1\n  pool: 1\n", at: Some("3:3"), says: "appears twice" },
    BadConfig { name: "set twice", revisions: false, text: b"HTTP_TIMEOUTS: {connect: 1, read: 1, write: 1, pool: 1}\nHTTP_TIMEOUTS: {connect: 1, read: 1, write: 1, pool: 1}\n", at: Some("1:1"), says: "duplicate field" },
    BadConfig { name: "empty file", revisions: false, text: b"\n\n", at: None, says: "the file is empty" },
    BadConfig { name: "binary", revisions: false, text: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", at: None, says: "not UTF-8" },
    BadConfig { name: "alias bomb", revisions: false, text: BOMB_TIMEOUTS.as_bytes(), at: Some("2:12"), says: "expected a positive number of seconds" },
];

/// 100 000 nested brackets: the YAML scanner's time grows with the square
/// of the depth, so this is refused before parsing.
const DEEP_FLOW: &str = concat!(
    "model_revisions: ",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n"
);

/// "Billion laughs": ten levels of ten aliases each, 10^10 leaves if expanded.
const BOMB_REVISIONS: &str = "model_revisions:\n  gpt2: {revision: [&a0 [x,x,x,x,x,x,x,x,x,x], &a1 [*a0,*a0,*a0,*a0,*a0,*a0,*a0,*a0,*a0,*a0], &a2 [*a1,*a1,*a1,*a1,*a1,*a1,*a1,*a1,*a1,*a1], &a3 [*a2,*a2,*a2,*a2,*a2,*a2,*a2,*a2,*a2,*a2], &a4 [*a3,*a3,*a3,*a3,*a3,*a3,*a3,*a3,*a3,*a3], &a5 [*a4,*a4,*a4,*a4,*a4,*a4,*a4,*a4,*a4,*a4], &a6 [*a5,*a5,*a5,*a5,*a5,*a5,*a5,*a5,*a5,*a5], &a7 [*a6,*a6,*a6,*a6,*a6,*a6,*a6,*a6,*a6,*a6], &a8 [*a7,*a7,*a7,*a7,*a7,*a7,*a7,*a7,*a7,*a7], &a9 [*a8,*a8,*a8,*a8,*a8,*a8,*a8,*a8,*a8,*a8]]}\n";

const BOMB_TIMEOUTS: &str = "HTTP_TIMEOUTS:\n  connect: [&a0 [1,1,1,1,1,1,1,1,1,1], &a1 [*a0,*a0,*a0,*a0,*a0,*a0,*a0,*a0,*a0,*a0], &a2 [*a1,*a1,*a1,*a1,*a1,*a1,*a1,*a1,*a1,*a1], &a3 [*a2,*a2,*a2,*a2,*a2,*a2,*a2,*a2,*a2,*a2], &a4 [*a3,*a3,*a3,*a3,*a3,*a3,*a3,*a3,*a3,*a3], &a5 [*a4,*a4,*a4,*a4,*a4,*a4,*a4,*a4,*a4,*a4], &a6 [*a5,*a5,*a5,*a5,*a5,*a5,*a5,*a5,*a5,*a5], &a7 [*a6,*a6,*a6,*a6,*a6,*a6,*a6,*a6,*a6,*a6], &a8 [*a7,*a7,*a7,*a7,*a7,*a7,*a7,*a7,*a7,*a7], &a9 [*a8,*a8,*a8,*a8,*a8,*a8,*a8,*a8,*a8,*a8]]\n  read: 1\n  write: 1\n  pool: 1\n";

/// Runs `remediate` under a 1 GiB address-space limit, so that a
/// configuration that expands in memory fails the test instead of the machine.
fn run_limited(dir: &Path, args: &[&str]) -> Output {
    let mut script = String::from("ulimit -v 1048576; exec \"$0\"");
    for (i, _) in args.iter().enumerate() {
        script += &format!(" \"${}\"", i + 1);
    }
    let mut all = vec!["-c".to_owned(), script, remediate().to_string_lossy().into_owned()];
    all.extend(args.iter().map(|s| s.to_string()));
    run_in(dir, Path::new("sh"), &all)
}

#[test]
fn every_configuration_error_exits_2_naming_the_place_and_writes_nothing() {
    let mut failures = Vec::new();
    for case in BAD_CONFIGS {
        let (flag, default) = if case.revisions {
            ("--revisions", "configs/model_revisions.yaml")
        } else {
            ("--timeouts", "configs/timeouts.yaml")
        };
        // Named explicitly, and found at the default location.
        for explicit in [true, false] {
            let dir = project();
            let file = if explicit { "bad.yaml" } else { default };
            fs::write(dir.path().join(file), case.text).unwrap();
            let before = snapshot(dir.path());
            let args: Vec<&str> = if explicit { vec!["fix", flag, file, "."] } else { vec!["fix", "."] };
            let out = run_limited(dir.path(), &args);
            let prefix = match case.at {
                Some(at) => format!("remediate: error: {file}:{at}: "),
                None => format!("remediate: error: {file}: "),
            };
            let problem = if out.code != Some(2) {
                Some(format!("exit {:?}", out.code))
            } else if !out.stderr.starts_with(&prefix) || !out.stderr.contains(case.says) {
                Some(format!("expected `{prefix}...{}...`", case.says))
            } else if snapshot(dir.path()) != before {
                Some("files changed".to_owned())
            } else if !out.stdout.is_empty() {
                Some("printed findings".to_owned())
            } else {
                None
            };
            if let Some(problem) = problem {
                failures.push(format!("{} ({file}): {problem}\n  stderr: {}", case.name, out.stderr.trim_end()));
            }
        }
    }
    assert!(failures.is_empty(), "{} case(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn a_missing_or_unreadable_configuration_named_explicitly_is_an_error() {
    let dir = project();
    fs::create_dir(dir.path().join("adir.yaml")).unwrap();
    let before = snapshot(dir.path());
    for (flag, file, says) in [
        ("--revisions", "missing.yaml", "missing.yaml: No such file"),
        ("--timeouts", "missing.yaml", "missing.yaml: No such file"),
        ("--revisions", "adir.yaml", "adir.yaml: not a regular file"),
        ("--timeouts", "/dev/zero", "/dev/zero: not a regular file"),
    ] {
        let out = run(dir.path(), &["fix", flag, file, "."]);
        assert_eq!(out.code, Some(2), "{flag} {file}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{flag} {file}: {}", out.stderr);
    }
    assert_eq!(snapshot(dir.path()), before);
}

#[cfg(unix)]
#[test]
fn a_fifo_named_as_configuration_is_refused_without_blocking() {
    let dir = project();
    let made = std::process::Command::new("mkfifo").arg(dir.path().join("pipe.yaml")).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("mkfifo unavailable; skipped");
        return;
    }
    let out = run(dir.path(), &["check", "--revisions", "pipe.yaml", "."]);
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("pipe.yaml: not a regular file"), "{}", out.stderr);
}

#[test]
fn quoted_and_unquoted_revisions_that_look_like_numbers_are_kept_as_written() {
    // An all-digit short SHA is a YAML integer unless quoted; it must not
    // become a different string (or an error).
    let dir = project();
    fs::write(
        dir.path().join("pins.yaml"),
        "model_revisions:\n  a:\n    revision: 1234567\n  b:\n    revision: 12345e7\n  c:\n    revision: \"0012345\"\n",
    )
    .unwrap();
    let out = run(dir.path(), &["check", "--revisions", "pins.yaml", "train.py"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
}

// ------------------------------------------------------------ command line

#[test]
fn unknown_options_and_commands_exit_2_with_a_clear_message() {
    let dir = project();
    let before = snapshot(dir.path());
    for (args, says) in [
        (&["fix", "--frobnicate", "."][..], "unexpected argument '--frobnicate'"),
        (&["frobnicate"][..], "unrecognized subcommand 'frobnicate'"),
        (&["fix", "--jobs", "many", "."][..], "invalid value 'many'"),
        (&["check", "--format", "xml", "."][..], "invalid value 'xml'"),
        (&["fix", "--select", "no-such-rule", "."][..], "unknown rule `no-such-rule`"),
    ] {
        let out = run(dir.path(), args);
        assert_eq!(out.code, Some(2), "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
    }
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn a_missing_path_is_an_error_naming_it_and_the_other_paths_are_still_fixed() {
    let dir = project();
    let out = run(dir.path(), &["fix", "no/such/dir", "train.py", "gone.py", "pkg"]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("no/such/dir: No such file"), "{}", out.stderr);
    assert!(out.stderr.contains("gone.py: No such file"), "{}", out.stderr);
    assert_eq!(read(dir.path().join("train.py")), FIXED);
    assert_eq!(read(dir.path().join("pkg/load.py")), FIXED);
}

// ------------------------------------------------------------ fix hazards

#[test]
fn a_read_only_file_is_reported_and_every_other_file_is_fixed() {
    let dir = project();
    let locked = dir.path().join("pkg/locked.py");
    fs::write(&locked, FIXABLE).unwrap();
    let mut perms = fs::metadata(&locked).unwrap().permissions();
    perms.set_readonly(true);
    fs::set_permissions(&locked, perms).unwrap();
    let before = snapshot(dir.path())[&PathBuf::from("pkg/locked.py")].clone();

    let out = run(dir.path(), &["fix", "."]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("pkg/locked.py: is read-only; not rewritten"), "{}", out.stderr);
    // Its finding is still listed, as not fixed.
    assert!(out.stdout.contains("pkg/locked.py:3:9: torch-load"), "{}", out.stdout);
    assert_eq!(snapshot(dir.path())[&PathBuf::from("pkg/locked.py")], before);
    assert_eq!(read(dir.path().join("train.py")), FIXED);
    assert_eq!(read(dir.path().join("pkg/load.py")), FIXED);
}

#[cfg(unix)]
#[test]
fn a_hard_linked_file_is_reported_and_not_split() {
    let dir = project();
    fs::hard_link(dir.path().join("train.py"), dir.path().join("pkg/copy.py")).unwrap();
    let out = run(dir.path(), &["fix", "."]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("has 2 hard links"), "{}", out.stderr);
    assert_eq!(read(dir.path().join("train.py")), FIXABLE);
    assert_eq!(read(dir.path().join("pkg/copy.py")), FIXABLE);
    assert_eq!(read(dir.path().join("pkg/load.py")), FIXED);
}

impl std::ops::Index<&PathBuf> for Snapshot {
    type Output = (Vec<u8>, SystemTime);
    fn index(&self, path: &PathBuf) -> &Self::Output {
        &self.0[path]
    }
}

/// root/real.py, root/inlink.py → real.py, root/outlink.py → a file outside,
/// root/linkdir → a directory outside, root/broken.py → nothing.
#[cfg(unix)]
fn linked_tree() -> (tempfile::TempDir, PathBuf, PathBuf) {
    use std::os::unix::fs::symlink;
    let base = tempfile::tempdir().unwrap();
    let root = base.path().join("root");
    let outside = base.path().join("outside");
    fs::create_dir_all(&root).unwrap();
    fs::create_dir_all(&outside).unwrap();
    fs::write(root.join("real.py"), FIXABLE).unwrap();
    fs::write(outside.join("target.py"), FIXABLE).unwrap();
    symlink("real.py", root.join("inlink.py")).unwrap();
    symlink("../outside/target.py", root.join("outlink.py")).unwrap();
    symlink("../outside", root.join("linkdir")).unwrap();
    symlink("nowhere.py", root.join("broken.py")).unwrap();
    (base, root, outside)
}

#[cfg(unix)]
#[test]
fn links_in_a_walked_tree_are_never_followed_nor_written_through() {
    let (base, root, outside) = linked_tree();
    let outside_before = snapshot(&outside);
    let check = run(base.path(), &["check", "root"]);
    assert_eq!(check.code, Some(1), "{}", check.stderr);
    assert_eq!(check.stdout.lines().count(), 1, "only real.py: {}", check.stdout);
    assert!(check.stdout.starts_with("root/real.py:3:9:"), "{}", check.stdout);

    let fix = run(base.path(), &["fix", "root"]);
    assert_eq!(fix.code, Some(0), "{}", fix.stderr);
    assert_eq!(read(root.join("real.py")), FIXED);
    for link in ["inlink.py", "outlink.py", "linkdir", "broken.py"] {
        assert!(fs::symlink_metadata(root.join(link)).unwrap().file_type().is_symlink(), "{link}");
    }
    assert_eq!(fs::read_link(root.join("inlink.py")).unwrap(), Path::new("real.py"));
    assert_eq!(snapshot(&outside), outside_before);
}

/// Named on the command line, a link is an error (exit 2) naming its
/// target, for `check` as for `fix`: the same arguments always cover the
/// same files, and nothing outside the named paths is read.
#[cfg(unix)]
#[test]
fn a_link_named_on_the_command_line_is_an_error_and_the_rest_is_processed() {
    let (base, root, outside) = linked_tree();
    let outside_before = snapshot(&outside);
    for command in ["check", "diff", "fix"] {
        let out = run(base.path(), &[command, "root/outlink.py", "root/linkdir", "root/inlink.py", "root/real.py"]);
        assert_eq!(out.code, Some(2), "{command}: {}", out.stderr);
        for (link, target) in
            [("outlink.py", "../outside/target.py"), ("linkdir", "../outside"), ("inlink.py", "real.py")]
        {
            let says = format!(
                "root/{link}: is a symbolic link, and links are never followed; name its target `{target}` instead"
            );
            assert!(out.stderr.contains(&says), "{command}: {}", out.stderr);
        }
        assert!(!out.stdout.contains("outlink") && !out.stdout.contains("linkdir"), "{command}: {}", out.stdout);
    }
    // `fix` still fixed the regular file it was given.
    assert_eq!(read(root.join("real.py")), FIXED);
    assert!(fs::symlink_metadata(root.join("outlink.py")).unwrap().file_type().is_symlink());
    assert_eq!(snapshot(&outside), outside_before);
}

#[cfg(unix)]
#[test]
fn fifos_are_passed_over_in_a_walk_and_refused_when_named() {
    let dir = project();
    let made = std::process::Command::new("mkfifo").arg(dir.path().join("pipe.py")).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("mkfifo unavailable; skipped");
        return;
    }
    let walked = run(dir.path(), &["fix", "."]);
    assert_eq!(walked.code, Some(0), "{}", walked.stderr);
    let named = run(dir.path(), &["check", "pipe.py", "train.py"]);
    assert_eq!(named.code, Some(2), "{}", named.stderr);
    assert!(named.stderr.contains("pipe.py: not a regular file or a directory; skipped"), "{}", named.stderr);
}

#[test]
fn binary_and_undecodable_files_are_skipped_with_a_warning() {
    let dir = project();
    let cases: [(&str, &[u8], &str); 4] = [
        ("nul.py", b"import torch\nx = torch.load(p)\0\n", "nul.py: skipped: contains NUL bytes"),
        ("binary.py", b"\x7fELF\x02\x01\x01\x00torch.load(\xff\xfe", "binary.py: skipped: contains NUL bytes"),
        ("latin.py", b"import torch\n# caf\xe9\nx = torch.load(p)\n", "latin.py:2:6: skipped: not valid UTF-8"),
        (
            "hz.py",
            b"# coding: hz\nimport torch\nx = torch.load(p)\n",
            "hz.py:1: skipped: declared encoding `hz` is not supported",
        ),
    ];
    for (name, bytes, _) in cases {
        fs::write(dir.path().join(name), bytes).unwrap();
    }
    let before = snapshot(dir.path());
    let out = run(dir.path(), &["fix", "."]);
    // Skipped files are warnings: what was fixable got fixed, nothing remains.
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    for (name, bytes, says) in cases {
        assert!(out.stderr.contains(&format!("warning: ./{says}")), "{name}: {}", out.stderr);
        assert_eq!(fs::read(dir.path().join(name)).unwrap(), bytes, "{name}");
        assert_eq!(snapshot(dir.path()).0[Path::new(name)], before.0[Path::new(name)], "{name}");
    }
    assert!(out.stderr.contains("4 file(s) skipped"), "{}", out.stderr);
    assert_eq!(read(dir.path().join("train.py")), FIXED);
}

#[test]
fn a_file_with_a_syntax_error_is_reported_and_untouched() {
    let dir = project();
    let broken = b"import torch\n\nstate = torch.load(\"a.pt\")\n\ndef f(:\n    return torch.load(p)\n";
    fs::write(dir.path().join("broken.py"), broken).unwrap();
    let out = run(dir.path(), &["fix", "."]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("error: ./broken.py:5:"), "{}", out.stderr);
    assert!(out.stderr.contains("the file is not rewritten"), "{}", out.stderr);
    // The finding before the error is still reported, unfixed.
    assert!(out.stdout.contains("./broken.py:3:9: torch-load"), "{}", out.stdout);
    assert!(out.stdout.contains("does not parse cleanly"), "{}", out.stdout);
    assert_eq!(fs::read(dir.path().join("broken.py")).unwrap(), broken);
    assert_eq!(read(dir.path().join("train.py")), FIXED);
}

/// A generated module of several megabytes, as code generators write them:
/// long embedded data, long tables, and fixable calls throughout.
#[test]
fn a_file_of_several_megabytes_is_fixed_completely() {
    let dir = project();
    let mut text = String::from("\"\"\"Generated.\"\"\"\nimport torch\n\n");
    let blob = format!("    \"{}\",\n", "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0123456789+/".repeat(40));
    let row = format!("    ({}),\n", (0..20).map(|i| i.to_string()).collect::<Vec<_>>().join(", "));
    let mut functions = 0;
    while text.len() < 5_000_000 {
        text.push_str(&format!(
            "BLOB_{functions} = [\n{}]\nTABLE_{functions} = [\n{}]\n\n",
            blob.repeat(20),
            row.repeat(20)
        ));
        text.push_str(&format!(
            "def load_{functions}(path):\n    return torch.load(\n        path,\n        map_location=\"cpu\",\n    )\n\n"
        ));
        functions += 1;
    }
    let path = dir.path().join("generated.py");
    fs::write(&path, &text).unwrap();

    let out = run(dir.path(), &["fix", "--quiet", "generated.py"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let fixed = read(&path);
    assert_eq!(fixed.matches("weights_only=True,\n").count(), functions);
    assert_eq!(fixed.len(), text.len() + functions * "        weights_only=True,\n".len());
    assert!(compiles(&path));
    let again = run(dir.path(), &["fix", "--quiet", "generated.py"]);
    assert_eq!(again.code, Some(0));
    assert_eq!(read(&path), fixed);
}

#[test]
fn deep_nesting_never_overflows_the_stack() {
    let dir = project();
    let depth = 10_000;
    // Past CPython's limits (200 nested brackets, 99 indentation levels,
    // about 3,000 levels of nested expressions): CPython refuses these, so
    // they are reported as not parsing and never rewritten; reading them
    // must still not overflow anything.
    let refused = [
        ("parens.py", format!("import torch\nx = {}torch.load(p){}\n", "(".repeat(depth), ")".repeat(depth))),
        ("brackets.py", format!("import torch\nx = {}torch.load(p){}\n", "[".repeat(depth), "]".repeat(depth))),
        ("braces.py", format!("import torch\nx = {}torch.load(p){}\n", "{".repeat(depth), "}".repeat(depth))),
        ("calls.py", format!("import torch\nx = {}p{}\n", "f(".repeat(depth), ", torch.load(q))".repeat(depth))),
        ("chain.py", format!("import torch\nx = torch{}.load(p)\ny = torch.load(q)\n", ".a".repeat(100_000))),
        ("unary.py", format!("import torch\nx = {}torch.load(p)\n", "-".repeat(depth))),
        ("too_deep.py", {
            let mut s = String::from("import torch\n");
            for level in 0..3_000 {
                s += &format!("{}if x:\n", " ".repeat(level));
            }
            s + &" ".repeat(3_000) + "y = torch.load(p)\n"
        }),
    ];
    // As deep as CPython allows: fixed like any file.
    let fixed = [
        ("parens_ok.py", format!("import torch\nx = {}torch.load(p){}\n", "(".repeat(199), ")".repeat(199))),
        ("calls_ok.py", format!("import torch\nx = {}p{}\n", "f(".repeat(190), ", torch.load(q))".repeat(190))),
        ("chain_ok.py", format!("import torch\nx = torch{}.load(p)\ny = torch.load(q)\n", ".a".repeat(2_000))),
        ("unary_ok.py", format!("import torch\nx = {}torch.load(p)\n", "-".repeat(2_000))),
        ("strings.py", format!("import torch\nx = {}\ny = torch.load(q)\n", "'a' ".repeat(depth))),
        ("ifs.py", {
            let mut s = String::from("import torch\n");
            for level in 0..99 {
                s += &format!("{}if x{level}:\n", " ".repeat(level));
            }
            s + &" ".repeat(99) + "y = torch.load(p)\n"
        }),
    ];
    for (name, text) in refused.iter().chain(&fixed) {
        fs::write(dir.path().join(name), text).unwrap();
    }
    let mut args = vec!["fix", "--quiet"];
    args.extend(refused.iter().chain(&fixed).map(|(name, _)| *name));
    let out = run(dir.path(), &args);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(!out.stderr.contains("overflow") && !out.stderr.contains("internal error"), "{}", out.stderr);
    for (name, text) in &refused {
        assert!(
            out.stderr.contains(&format!("{name}:")) && out.stderr.contains("could not parse"),
            "{name}: {}",
            out.stderr
        );
        assert_eq!(&read(dir.path().join(name)), text, "{name} was rewritten");
    }
    for (name, text) in &fixed {
        let after = read(dir.path().join(name));
        assert_ne!(&after, text, "{name} was not fixed");
        let expected = if *name == "calls_ok.py" { 190 } else { 1 };
        assert_eq!(after.matches("weights_only=True").count(), expected, "{name}");
        assert!(compiles(&dir.path().join(name)), "{name}");
    }
    let again = run(dir.path(), &args);
    assert_eq!(again.code, Some(1), "{}", again.stderr);
    let fixed_names: Vec<&str> = fixed.iter().map(|(n, _)| *n).collect();
    assert!(
        !again.stdout.lines().any(|l| l.contains("torch-load") && fixed_names.iter().any(|n| l.starts_with(n))),
        "second fix left findings: {}",
        again.stdout
    );
}

// ------------------------------------------------------------ writes

/// The `.remediate-` temporaries in a tree.
fn temporaries(root: &Path) -> Vec<PathBuf> {
    snapshot(root)
        .0
        .into_keys()
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(".remediate-")))
        .collect()
}

/// `fix` killed at any moment leaves every file either as it was or fully
/// fixed, and no copy of a file behind once a later `fix` has run: a killed
/// run's temporaries are unnamed, or removed by the next run.
#[test]
fn a_killed_fix_leaves_no_copies_behind() {
    let dir = project();
    let padding = format!("DATA = [\n{}]\n", format!("    \"{}\",\n", "x".repeat(70)).repeat(12_000));
    let original = format!("{FIXABLE}{padding}");
    let fixed = format!("{FIXED}{padding}");
    for i in 0..24 {
        fs::write(dir.path().join(format!("pkg/big_{i:02}.py")), &original).unwrap();
    }
    for delay in [40, 120, 250, 400] {
        let mut child = std::process::Command::new(remediate())
            .args(["fix", "--no-cache", "--quiet", "-j", "1", "."])
            .current_dir(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay));
        let _ = child.kill();
        child.wait().unwrap();
        for i in 0..24 {
            let text = read(dir.path().join(format!("pkg/big_{i:02}.py")));
            assert!(text == original || text == fixed, "pkg/big_{i:02}.py is neither the original nor the fix");
        }
        // A temporary left in the instant between naming it and renaming it
        // would be an hour old by the time anyone looked again.
        for temp in temporaries(dir.path()) {
            let file = fs::OpenOptions::new().write(true).open(dir.path().join(&temp)).unwrap();
            file.set_modified(SystemTime::now() - std::time::Duration::from_secs(3600)).unwrap();
        }
    }
    let out = run(dir.path(), &["fix", "--no-cache", "."]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(temporaries(dir.path()), Vec::<PathBuf>::new());
    for i in 0..24 {
        assert_eq!(read(dir.path().join(format!("pkg/big_{i:02}.py"))), fixed);
    }
}

/// Over `ulimit -f`, the write fails with an error naming the file, the file
/// is left as it was, and every other file is still fixed. The kernel's
/// SIGXFSZ used to kill the process without a word.
#[test]
fn a_write_over_the_file_size_limit_is_an_error_naming_the_file() {
    let dir = project();
    let big = format!("{FIXABLE}{}", "# padding to pass the limit\n".repeat(400));
    fs::write(dir.path().join("pkg/big.py"), &big).unwrap();
    let script = "ulimit -f 4 && exec \"$0\" fix --no-cache .";
    let bash_args = ["-c".to_owned(), script.to_owned(), remediate().display().to_string()];
    let out = run_in(dir.path(), Path::new("bash"), &bash_args);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("pkg/big.py: writing the fixed text: File too large"), "{}", out.stderr);
    assert_eq!(read(dir.path().join("pkg/big.py")), big);
    assert_eq!(read(dir.path().join("train.py")), FIXED);
    assert_eq!(read(dir.path().join("pkg/load.py")), FIXED);
    assert_eq!(temporaries(dir.path()), Vec::<PathBuf>::new());
}

/// `fix --report PATH` checks that it can write PATH before it rewrites any
/// file: a report it cannot write is an error, and the tree is untouched.
#[test]
fn an_unwritable_report_stops_fix_before_any_file_is_rewritten() {
    let dir = project();
    fs::write(dir.path().join("old-report.md"), "# kept\n").unwrap();
    let mut perms = fs::metadata(dir.path().join("old-report.md")).unwrap().permissions();
    perms.set_readonly(true);
    fs::set_permissions(dir.path().join("old-report.md"), perms).unwrap();
    let before = snapshot(dir.path());
    for (report, says) in [
        ("no/such/dir/body.md", "No such file or directory"),
        ("pkg", "is a directory"),
        ("old-report.md", "is read-only"),
    ] {
        let out = run(dir.path(), &["fix", "--report", report, "."]);
        assert_eq!(out.code, Some(2), "{report}: {}", out.stderr);
        assert!(out.stderr.starts_with("remediate: error: --report: "), "{report}: {}", out.stderr);
        assert!(out.stderr.contains(report) && out.stderr.contains(says), "{report}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{report}: {}", out.stdout);
        assert_eq!(snapshot(dir.path()), before, "{report}: files changed");
    }
    let out = run(dir.path(), &["fix", "--report", "body.md", "."]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(read(dir.path().join("body.md")).starts_with("# Fix 2 security findings"));
    assert_eq!(read(dir.path().join("train.py")), FIXED);
}

// ------------------------------------------------------------ CPython's reading

/// A fresh project holding `odd.py` with `bytes`, after `remediate fix
/// --no-cache` with `args`: the run, and the file's bytes afterwards.
fn fix_odd_file(bytes: &[u8], args: &[&str]) -> (tempfile::TempDir, Output, Vec<u8>) {
    let dir = project();
    fs::write(dir.path().join("odd.py"), bytes).unwrap();
    let mut all = vec!["fix", "--no-cache"];
    all.extend_from_slice(args);
    all.push("odd.py");
    let out = run(dir.path(), &all);
    let after = fs::read(dir.path().join("odd.py")).unwrap();
    (dir, out, after)
}

/// Runs `odd.py` with the judging CPython, from its directory (so stub
/// modules written beside it are imported).
fn run_odd_file(dir: &Path) -> Output {
    let program = std::env::var("REMEDIATE_PYTHON").unwrap_or_else(|_| "python3".into());
    run_in(dir, Path::new(&program), &["odd.py".to_owned()])
}

/// A second `fix` over the result changes nothing.
fn assert_fixed_point(dir: &Path, args: &[&str]) {
    let before = fs::read(dir.join("odd.py")).unwrap();
    let mut all = vec!["fix", "--no-cache"];
    all.extend_from_slice(args);
    all.push("odd.py");
    run(dir, &all);
    assert_eq!(fs::read(dir.join("odd.py")).unwrap(), before, "a second fix changed odd.py");
}

/// A lone `\r` ends a line for CPython: the call after `# note\r` is code,
/// found and fixed; a keyword after `# why\r` inside the argument list is
/// passed, so the fix does not pass it again.
#[test]
fn a_lone_carriage_return_ends_the_line_as_cpython_reads_it() {
    let text = b"import torch\n# note\rstate = torch.load(p)\nx = torch.load(p,  # why\r    weights_only=True)\n";
    let dir = project();
    fs::write(dir.path().join("odd.py"), text).unwrap();
    let out = run(dir.path(), &["check", "--no-cache", "odd.py"]);
    let findings: Vec<&str> = out.stdout.lines().filter(|l| l.contains("torch-load")).collect();
    assert_eq!(findings, ["odd.py:3:9: torch-load [B614] `torch.load` without `weights_only=True` can run arbitrary code from a malicious checkpoint (fixable)"], "{}", out.stdout);
    let (dir, out, after) = fix_odd_file(text, &[]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    assert_eq!(
        after,
        b"import torch\n# note\rstate = torch.load(p, weights_only=True)\nx = torch.load(p,  # why\r    weights_only=True)\n"
    );
    assert!(compiles(&dir.path().join("odd.py")));
    assert_fixed_point(dir.path(), &[]);
}

/// An import added by a fix never lands in code that shares the last import
/// line: after `import os; DOC = """`, it would become part of the string.
#[test]
fn an_added_import_never_lands_inside_a_string_that_starts_on_the_last_import_line() {
    let text = "import os; DOC = \"\"\"\nimport sys\n\"\"\"\ntry:\n    os.getcwd(1)\nexcept Exception:\n    pass\nprint(repr(DOC))\n";
    let (dir, out, after) = fix_odd_file(text.as_bytes(), &["--unsafe-fixes"]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    let after = String::from_utf8(after).unwrap();
    assert!(after.contains("import logging") && after.contains("except Exception as exc:"), "{after}");
    let ran = run_odd_file(dir.path());
    assert_eq!(ran.code, Some(0), "{after}\n{}", ran.stderr);
    assert_eq!(ran.stdout, "'\\nimport sys\\n'\n", "{after}");
    assert_fixed_point(dir.path(), &["--unsafe-fixes"]);
}

/// A stand-in for httpx that checks what the fix passes: `Timeout` must be
/// the library's class, bound when the call runs.
const HTTPX_STUB: &str = "class Timeout:\n    def __init__(self, *, connect, read, write, pool):\n        self.read = read\n\
class Client:\n    def __init__(self, timeout=5.0):\n        assert isinstance(timeout, Timeout), timeout\n        self.timeout = timeout\n";

/// `httpx.Timeout(...)` is spelled with a name bound when the call runs: not
/// an alias imported later in the file, not a `Timeout` the module rebinds.
#[test]
fn the_timeout_class_is_named_by_a_binding_live_when_the_call_runs() {
    let cases = [
        "import httpx\nc = httpx.Client(timeout=None)\nimport httpx as hx\nprint(c.timeout.read)\n",
        "import httpx\nfrom httpx import Timeout\nTimeout = 30\nc = httpx.Client(timeout=None)\nprint(c.timeout.read)\n",
        "from httpx import Client, Timeout\ndef Timeout(s):\n    return s\nc = Client(timeout=None)\nprint(c.timeout.read)\n",
    ];
    for text in cases {
        let (dir, out, after) = fix_odd_file(text.as_bytes(), &[]);
        let after = String::from_utf8(after).unwrap();
        assert_ne!(after, text, "not fixed: {}{}", out.stdout, out.stderr);
        fs::write(dir.path().join("httpx.py"), HTTPX_STUB).unwrap();
        let ran = run_odd_file(dir.path());
        assert_eq!((ran.code, ran.stdout.as_str()), (Some(0), "60.0\n"), "{after}\n{}", ran.stderr);
        assert_fixed_point(dir.path(), &[]);
    }
}

/// Text inserted inside an f-string's replacement field never uses the
/// f-string's own quote: Python 3.11 (the default target's judge here) ends
/// the string there.
#[test]
fn a_keyword_inside_an_f_string_field_uses_the_other_quote() {
    let text = "from transformers import AutoModel\nNAME = 'gpt2'\nm = f\"{AutoModel.from_pretrained(NAME)}\"\nn = f'{AutoModel.from_pretrained(NAME)}'\n";
    let (dir, out, after) = fix_odd_file(text.as_bytes(), &[]);
    let after = String::from_utf8(after).unwrap();
    assert_eq!(after.matches("revision=").count(), 2, "{after}\n{}{}", out.stdout, out.stderr);
    assert!(compiles(&dir.path().join("odd.py")), "{after}");
    assert_fixed_point(dir.path(), &[]);
}

/// A coding line on line 2 (after a blank line, or indented) keeps its
/// place when a fix adds imports: CPython reads it only on line 1 or 2.
#[test]
fn a_coding_line_after_a_blank_line_or_indented_stays_where_cpython_reads_it() {
    for head in [
        &b"\n# -*- coding: latin-1 -*-\n"[..],
        b"  # coding: latin-1\n",
        b"#!/usr/bin/env python\n  # vim: set fileencoding=latin-1 :\n",
    ] {
        let mut text = head.to_vec();
        text.extend_from_slice(b"try:\n    int('x')\nexcept Exception:\n    pass\nprint(ascii('\xe9t\xe9'))\n");
        let (dir, out, after) = fix_odd_file(&text, &["--unsafe-fixes"]);
        assert_ne!(after, text, "not fixed: {}{}", out.stdout, out.stderr);
        assert!(after.starts_with(head), "{}", String::from_utf8_lossy(&after));
        let ran = run_odd_file(dir.path());
        assert_eq!(
            (ran.code, ran.stdout.as_str()),
            (Some(0), "'\\xe9t\\xe9'\n"),
            "{}\n{}",
            String::from_utf8_lossy(&after),
            ran.stderr
        );
        assert_fixed_point(dir.path(), &["--unsafe-fixes"]);
    }
}

/// A form feed before an indented `continue` resets CPython's column count:
/// the logging line the except fix adds must still be indented like the
/// body.
#[test]
fn a_form_feed_before_the_handler_body_keeps_the_fix_indented() {
    let text =
        "for x in [1, 2]:\n    try:\n        int('x')\n    except Exception:\n\x0c        continue\nprint('done')\n";
    let (dir, out, after) = fix_odd_file(text.as_bytes(), &["--unsafe-fixes"]);
    let after = String::from_utf8(after).unwrap();
    assert!(after.contains("except Exception as exc:"), "not fixed: {}{}", out.stdout, out.stderr);
    let ran = run_odd_file(dir.path());
    assert_eq!((ran.code, ran.stdout.as_str()), (Some(0), "done\n"), "{after}\n{}", ran.stderr);
    assert_fixed_point(dir.path(), &["--unsafe-fixes"]);
}

/// The except fix's logger is bound before the first statement that can
/// run the handler: here a function the module calls at import time, above
/// the module's own `logger = ...`.
#[test]
fn the_logger_is_bound_before_a_handler_that_runs_at_import_time() {
    let text = "import logging\ndef setup():\n    try:\n        int('x')\n    except Exception:\n        pass\nsetup()\nlogger = logging.getLogger(__name__)\nprint('imported')\n";
    let (dir, out, after) = fix_odd_file(text.as_bytes(), &["--unsafe-fixes"]);
    let after = String::from_utf8(after).unwrap();
    assert!(after.contains("except Exception as exc:"), "not fixed: {}{}", out.stdout, out.stderr);
    let ran = run_odd_file(dir.path());
    assert_eq!((ran.code, ran.stdout.as_str()), (Some(0), "imported\n"), "{after}\n{}", ran.stderr);
    assert_fixed_point(dir.path(), &["--unsafe-fixes"]);
}

/// Logging from inside the logging machinery recurses, and from `__del__`
/// may run during shutdown: such handlers are reported, not fixed.
#[test]
fn handlers_inside_the_logging_machinery_or_del_are_reported_not_fixed() {
    let text = "import logging\nclass Quiet(logging.Filter):\n    def filter(self, record):\n        try:\n            return record.levelno > 10\n        except Exception:\n            pass\n\
class Plain(logging.Formatter):\n    def format(self, record):\n        try:\n            return str(record.msg)\n        except Exception:\n            pass\n\
class Handle:\n    def __del__(self):\n        try:\n            self.close()\n        except Exception:\n            pass\n";
    let (_dir, out, after) = fix_odd_file(text.as_bytes(), &["--unsafe-fixes"]);
    assert_eq!(after, text.as_bytes(), "{}", out.stdout);
    let reported: Vec<&str> =
        out.stdout.lines().filter(|l| l.contains("except-pass") && l.contains("not fixed")).collect();
    assert_eq!(reported.len(), 3, "{}", out.stdout);
}

/// In a file mixing `\r\n` and `\n`, the edited line keeps its own ending.
#[test]
fn in_mixed_line_endings_the_edited_line_keeps_its_ending() {
    let text = b"import torch\r\nx = 1\nstate = torch.load(p)\r\ny = torch.load(q)\nz = 2\r\n";
    let (dir, out, after) = fix_odd_file(text, &[]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    assert_eq!(
        after,
        b"import torch\r\nx = 1\nstate = torch.load(p, weights_only=True)\r\ny = torch.load(q, weights_only=True)\nz = 2\r\n"
    );
    assert!(compiles(&dir.path().join("odd.py")));
}

/// Every codec PEP 263 allows is read and written back: a cp1252 file is
/// fixed, and its other bytes are the same.
#[test]
fn a_cp1252_file_is_fixed_and_its_bytes_kept() {
    let text = b"# coding: cp1252\nimport torch\nQUOTE = '\x93\x80\x94'\nstate = torch.load(p)\n";
    let (dir, out, after) = fix_odd_file(text, &[]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    assert_eq!(
        after,
        b"# coding: cp1252\nimport torch\nQUOTE = '\x93\x80\x94'\nstate = torch.load(p, weights_only=True)\n"
    );
    assert!(compiles(&dir.path().join("odd.py")));
}

// ------------------------------------------------------------ result cache

/// Runs `program check` with the cache in `cache`, killed after 20 s.
/// A binary just written may be briefly busy (another test's fork holding
/// it open): exit 126 is retried.
fn check_with_cache(dir: &Path, program: &Path, cache: &Path) -> std::process::Output {
    let script = "exec timeout 20 \"$0\" check train.py";
    let run = || {
        std::process::Command::new("sh")
            .args(["-c", script, &program.to_string_lossy()])
            .current_dir(dir)
            .env("REMEDIATE_CACHE_DIR", cache)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    let mut out = run();
    for _ in 0..5 {
        if out.status.code() != Some(126) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
        out = run();
    }
    out
}

/// A FIFO where the cache file should be is never opened: `check` neither
/// blocks nor fails.
#[test]
fn a_fifo_in_the_cache_directory_never_blocks_check() {
    let dir = project();
    let cache = dir.path().join("cache");
    let first = check_with_cache(dir.path(), &remediate(), &cache);
    assert_eq!(first.status.code(), Some(1));
    let files: Vec<PathBuf> = fs::read_dir(&cache).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    fs::remove_file(&files[0]).unwrap();
    let made = std::process::Command::new("mkfifo").arg(&files[0]).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("mkfifo unavailable; skipped");
        return;
    }
    let second = check_with_cache(dir.path(), &remediate(), &cache);
    assert_eq!(second.status.code(), Some(1), "{}", String::from_utf8_lossy(&second.stderr));
    assert!(String::from_utf8_lossy(&second.stdout).contains("train.py:3:9: torch-load"));
}

/// A different binary with the same version, size and modification time
/// does not trust the first one's cache: the cache is keyed by the bytes.
#[test]
fn a_different_binary_of_the_same_size_and_time_starts_its_own_cache() {
    let dir = project();
    let cache = dir.path().join("cache");
    let bytes = fs::read(remediate()).unwrap();
    let mut other = bytes.clone();
    // The last byte lies in the section header table, which the loader
    // never reads: the copy runs the same, with different bytes.
    *other.last_mut().unwrap() ^= 0x01;
    let (a, b) = (dir.path().join("remediate-a"), dir.path().join("remediate-b"));
    fs::write(&a, &bytes).unwrap();
    fs::write(&b, &other).unwrap();
    let modified = fs::metadata(remediate()).unwrap().modified().unwrap();
    for path in [&a, &b] {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
        fs::File::options().write(true).open(path).unwrap().set_modified(modified).unwrap();
    }
    assert_eq!(check_with_cache(dir.path(), &a, &cache).status.code(), Some(1));
    let out = check_with_cache(dir.path(), &b, &cache);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(fs::read_dir(&cache).unwrap().count(), 2, "both binaries used one cache file");
}

/// CPython reads identifiers under NFKC: `torch.𝐥𝐨𝐚𝐝` is `torch.load` and is
/// found and fixed (the original spelling kept), and a keyword spelled
/// with compatibility letters is passed, so it is not passed again.
#[test]
fn nfkc_equivalent_identifiers_are_the_names_cpython_reads() {
    let text = "import torch\nimport requests as \u{1d42b}q\nstate = torch.\u{1d425}\u{1d428}\u{1d41a}\u{1d41d}(p)\n\
x = \u{ff54}orch.load(q, \u{1d430}eights_only=True)\nr = rq.get(u)\ns = requests.get(u, \u{ff54}imeout=5)\n";
    let (dir, out, after) = fix_odd_file(text.as_bytes(), &[]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    let after = String::from_utf8(after).unwrap();
    assert_eq!(
        after,
        "import torch\nimport requests as \u{1d42b}q\nstate = torch.\u{1d425}\u{1d428}\u{1d41a}\u{1d41d}(p, weights_only=True)\n\
x = \u{ff54}orch.load(q, \u{1d430}eights_only=True)\nr = rq.get(u, timeout=(10.0, 60.0))\ns = requests.get(u, \u{ff54}imeout=5)\n",
        "{}",
        out.stdout
    );
    assert!(compiles(&dir.path().join("odd.py")), "{after}");
    assert_fixed_point(dir.path(), &[]);
}
