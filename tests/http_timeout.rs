//! The http-timeout rule end to end: the plan's capture proxy, the timeouts
//! configuration and its environment overrides.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::{python, remediate};

const PROXY: &str = "examples/distill/capture/proxy_server.py";
const UNSAFE: &str = "httpx.AsyncClient(timeout=None)";

/// A scratch copy of the proxy beside the repository's configs/timeouts.yaml.
fn proxy_workspace() -> (tempfile::TempDir, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("configs")).unwrap();
    fs::copy(root.join("configs/timeouts.yaml"), dir.path().join("configs/timeouts.yaml")).unwrap();
    let original = fs::read_to_string(root.join(PROXY)).unwrap();
    assert_eq!(original.matches(UNSAFE).count(), 1, "the example changed");
    fs::write(dir.path().join("proxy_server.py"), &original).unwrap();
    (dir, original)
}

fn run(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    let mut command = Command::new(remediate());
    command.args(args).current_dir(dir).env("NO_COLOR", "1");
    for var in ["HTTP", "STREAMING"]
        .iter()
        .flat_map(|s| ["CONNECT", "READ", "WRITE", "POOL"].map(move |k| format!("REMEDIATE_{s}_{k}_TIMEOUT")))
    {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    command.output().unwrap()
}

#[test]
fn proxy_gets_the_plans_streaming_timeouts_inline() {
    let (dir, original) = proxy_workspace();
    let out = run(dir.path(), &[], &["fix", "--select", "http-timeout", "proxy_server.py"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let fixed = fs::read_to_string(dir.path().join("proxy_server.py")).unwrap();
    let want = original
        .replace(UNSAFE, "httpx.AsyncClient(timeout=httpx.Timeout(connect=10.0, read=300.0, write=10.0, pool=10.0))");
    assert_eq!(fixed, want);
    let path = dir.path().join("proxy_server.py");
    let compiled =
        python(&["-c", "import sys; compile(open(sys.argv[1]).read(), sys.argv[1], 'exec')", &path.to_string_lossy()]);
    assert_eq!(compiled.code, Some(0), "{}", compiled.stderr);
    let again = run(dir.path(), &[], &["fix", "--select", "http-timeout", "proxy_server.py"]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(fs::read_to_string(&path).unwrap(), want);
}

#[test]
fn proxy_finding_is_at_the_call() {
    let (dir, _) = proxy_workspace();
    let out = run(dir.path(), &[], &["check", "--select", "B113", "--format", "json", "proxy_server.py"]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!((findings[0]["line"].as_u64(), findings[0]["column"].as_u64()), (Some(24), Some(16)));
    assert_eq!(findings[0]["rule"], "http-timeout");
    assert_eq!(findings[0]["ruff"], "S113");
}

#[test]
fn environment_overrides_one_value() {
    let (dir, original) = proxy_workspace();
    let env = [("REMEDIATE_STREAMING_READ_TIMEOUT", "120"), ("REMEDIATE_HTTP_READ_TIMEOUT", "5")];
    let out = run(dir.path(), &env, &["fix", "--select", "http-timeout", "proxy_server.py"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let fixed = fs::read_to_string(dir.path().join("proxy_server.py")).unwrap();
    let want = original
        .replace(UNSAFE, "httpx.AsyncClient(timeout=httpx.Timeout(connect=10.0, read=120.0, write=10.0, pool=10.0))");
    assert_eq!(fixed, want);
}

#[test]
fn invalid_environment_value_is_a_usage_error() {
    let (dir, original) = proxy_workspace();
    for bad in ["-3", "0", "soon"] {
        let out = run(dir.path(), &[("REMEDIATE_STREAMING_CONNECT_TIMEOUT", bad)], &["fix", "proxy_server.py"]);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("REMEDIATE_STREAMING_CONNECT_TIMEOUT"), "{stderr}");
    }
    assert_eq!(fs::read_to_string(dir.path().join("proxy_server.py")).unwrap(), original);
}

#[test]
fn invalid_config_names_file_and_line() {
    let (dir, _) = proxy_workspace();
    let cases = [
        (
            "STREAMING_TIMEOUTS:\n  connect: 10\n  read: -300\n  write: 10\n  pool: 10\n",
            ":3:",
            "STREAMING_TIMEOUTS.read",
        ),
        ("HTTP_TIMEOUTS:\n  connect: 10\n  read: 60\n  write: 10\n  pool: 10\n  total: 80\n", ":6:", "total"),
        ("HTTP_TIMEOUTS:\n  connect: ten\n  read: 60\n  write: 10\n  pool: 10\n", ":2:", "connect"),
        ("HTTP_TIMEOUT:\n  connect: 1\n", ":1:", "HTTP_TIMEOUT"),
    ];
    for (yaml, at, names) in cases {
        fs::write(dir.path().join("configs/timeouts.yaml"), yaml).unwrap();
        let out = run(dir.path(), &[], &["check", "proxy_server.py"]);
        assert_eq!(out.status.code(), Some(2), "{yaml}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&format!("timeouts.yaml{at}")) && stderr.contains(names), "{stderr}");
    }
}
