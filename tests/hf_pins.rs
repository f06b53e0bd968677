//! The revisions file end to end: validation errors, the `models`
//! inventory, and `lock` from a fake Hugging Face cache and from a Hub
//! stand-in this test serves on 127.0.0.1.

mod common;

use std::collections::HashMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use common::{remediate, Output};

const SHA_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const SHA_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const SHA_C: &str = "cccccccccccccccccccccccccccccccccccccccc";
const TOKEN: &str = "hf_secret_token_for_tests";

const CODE: &str = r#"from datasets import load_dataset
from transformers import AutoModel, AutoTokenizer

MODEL = "org/model"


def load(path):
    tokenizer = AutoTokenizer.from_pretrained(MODEL)
    model = AutoModel.from_pretrained("org/tagged", revision="v1.0", trust_remote_code=True)
    data = load_dataset("org/data", split="train")
    local = AutoModel.from_pretrained("./checkpoints/final")
    dynamic = AutoModel.from_pretrained(path)
    return tokenizer, model, data, local, dynamic
"#;

/// Runs the binary in `dir` with a clean Hugging Face environment: the cache
/// is `cache`, nothing is read from the real home, and no proxy is used.
fn run(dir: &Path, cache: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(remediate());
    command.args(args).current_dir(dir).env("NO_COLOR", "1").env("HF_HUB_CACHE", cache).env("HOME", dir);
    for var in [
        "HF_HOME",
        "HF_ENDPOINT",
        "HF_TOKEN",
        "HF_HUB_OFFLINE",
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        command.env_remove(var);
    }
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().expect("running remediate");
    Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stdout_bytes: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("train.py"), CODE).unwrap();
    fs::create_dir_all(dir.path().join("cache")).unwrap();
    dir
}

/// A stand-in for the Hub's revision API on 127.0.0.1: answers the paths in
/// `answers` with `{"sha": ...}`, anything else with 404, and records each
/// request's path and Authorization header.
/// Each request's path and Authorization header, in arrival order.
type RequestLog = Arc<Mutex<Vec<(String, Option<String>)>>>;

struct FakeHub {
    endpoint: String,
    requests: RequestLog,
}

impl FakeHub {
    fn start(answers: &[(&str, &str)]) -> FakeHub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let answers: HashMap<String, String> = answers.iter().map(|(p, s)| (p.to_string(), s.to_string())).collect();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                let path = request_line.split_whitespace().nth(1).unwrap_or_default().to_owned();
                let mut auth = None;
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
                        break;
                    }
                    if let Some((name, value)) = header.split_once(':') {
                        if name.eq_ignore_ascii_case("authorization") {
                            auth = Some(value.trim().to_owned());
                        }
                    }
                }
                seen.lock().unwrap().push((path.clone(), auth));
                let (status, body) = match answers.get(&path) {
                    Some(sha) => ("200 OK", format!("{{\"id\": \"x\", \"sha\": \"{sha}\"}}")),
                    None => ("404 Not Found", "{\"error\": \"Repository not found\"}".to_owned()),
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        FakeHub { endpoint, requests }
    }

    fn paths(&self) -> Vec<String> {
        self.requests.lock().unwrap().iter().map(|(p, _)| p.clone()).collect()
    }
}

#[test]
fn invalid_revisions_file_is_an_error_with_its_location_and_nothing_is_written() {
    let cases = [
        ("model_revisions:\n  gpt2:\n    revison: main\n", "pins.yaml:3:5"),
        ("model_revisions:\n  gpt2:\n    revision: main\n    trust_remote_code: maybe\n", "pins.yaml:4:"),
        ("model_revisions:\n  \"\":\n    revision: main\n", "empty model id"),
        ("model_revisions:\n  gpt2:\n    revision: \"\"\n", "pins.yaml:3:"),
        ("model_revisions:\n  gpt2:\n    revision: [main]\n", "pins.yaml:3:"),
        ("models:\n  gpt2:\n    revision: main\n", "pins.yaml:1:"),
    ];
    for (yaml, expected) in cases {
        let dir = project();
        fs::write(dir.path().join("pins.yaml"), yaml).unwrap();
        for command in ["fix", "models", "lock"] {
            let out =
                run(dir.path(), &dir.path().join("cache"), &[], &[command, "--revisions", "pins.yaml", "train.py"]);
            assert_eq!(out.code, Some(2), "{command} with {yaml:?}: {}", out.stderr);
            assert!(out.stderr.contains(expected), "{command} with {yaml:?}: {}", out.stderr);
            assert_eq!(fs::read_to_string(dir.path().join("train.py")).unwrap(), CODE);
            assert_eq!(fs::read_to_string(dir.path().join("pins.yaml")).unwrap(), yaml);
        }
    }
}

#[test]
fn models_lists_each_download_and_its_pin() {
    let dir = project();
    fs::write(dir.path().join("pins.yaml"), "model_revisions:\n  org/model:\n    revision: main\n").unwrap();
    let out = run(dir.path(), &dir.path().join("cache"), &[], &["models", "--revisions", "pins.yaml", "train.py"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "train.py:8:17: org/model (model): pinned in pins.yaml to branch or tag main\n\
         train.py:9:13: org/tagged (model): branch or tag `v1.0` in code; no pin in pins.yaml\n\
         train.py:10:12: org/data (dataset): no pin in code or in pins.yaml\n\
         train.py:12:15: <path> (model): not pinned; the repository id is known only at run time\n"
    );
}

#[test]
fn models_yaml_keeps_the_file_and_adds_missing_ids() {
    let dir = project();
    let existing = "# Our pins.\nmodel_revisions:\n  # the tokenizer\n  org/model:\n    revision: main  # for now\n";
    fs::write(dir.path().join("pins.yaml"), existing).unwrap();
    let out = run(
        dir.path(),
        &dir.path().join("cache"),
        &[],
        &["models", "--revisions", "pins.yaml", "--format", "yaml", "train.py"],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(
        out.stdout,
        format!(
            "{existing}  \"org/tagged\":\n    revision: \"v1.0\"  # not a commit yet: run `remediate lock`\n    trust_remote_code: true\n  \
             \"org/data\":\n    revision: \"main\"  # not a commit yet: run `remediate lock`\n    trust_remote_code: false\n"
        )
    );
    assert_eq!(fs::read_to_string(dir.path().join("pins.yaml")).unwrap(), existing, "models only prints");
}

#[test]
fn lock_reads_the_local_cache_and_offline_makes_no_request() {
    let dir = project();
    let cache = dir.path().join("cache");
    for (folder, reference, sha) in [
        ("models--org--model", "main", SHA_A),
        ("models--org--tagged", "v1.0", SHA_B),
        ("datasets--org--data", "main", SHA_C),
    ] {
        let refs = cache.join(folder).join("refs");
        fs::create_dir_all(&refs).unwrap();
        fs::write(refs.join(reference), format!("{sha}\n")).unwrap();
    }
    // A model folder for the dataset id must not be mistaken for it.
    fs::create_dir_all(cache.join("models--org--data/refs")).unwrap();
    fs::write(cache.join("models--org--data/refs/main"), SHA_A).unwrap();
    let hub = FakeHub::start(&[]);
    let env = [("HF_ENDPOINT", hub.endpoint.as_str())];
    let out = run(dir.path(), &cache, &env, &["lock", "--offline", "--revisions", "configs/pins.yaml", "train.py"]);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert!(hub.paths().is_empty(), "offline lock made requests: {:?}", hub.paths());
    let written = fs::read_to_string(dir.path().join("configs/pins.yaml")).unwrap();
    for (id, sha) in [("org/model", SHA_A), ("org/tagged", SHA_B), ("org/data", SHA_C)] {
        assert!(written.contains(&format!("\"{id}\":\n    revision: \"{sha}\"")), "{id} in:\n{written}");
    }
    assert!(
        out.stdout.contains(&format!("pinned org/tagged: v1.0 -> {SHA_B} (from the local cache)")),
        "{}",
        out.stdout
    );

    // With the file locked, fix pins the code from it.
    let fixed = run(dir.path(), &cache, &[], &["fix", "--revisions", "configs/pins.yaml", "train.py"]);
    assert_eq!(fixed.code, Some(1), "the dynamic id remains: {}", fixed.stderr);
    let code = fs::read_to_string(dir.path().join("train.py")).unwrap();
    assert!(
        common::contains_call(&code, &format!("from_pretrained(MODEL, revision=\"{SHA_A}\", trust_remote_code=False)")),
        "{code}"
    );
    assert!(common::contains_call(&code, &format!("revision=\"{SHA_B}\", trust_remote_code=True)")), "{code}");
    assert!(
        common::contains_call(&code, &format!("load_dataset(\"org/data\", split=\"train\", revision=\"{SHA_C}\")")),
        "{code}"
    );
    assert!(code.contains("from_pretrained(\"./checkpoints/final\")"), "{code}");
}

#[test]
fn lock_regenerates_the_pin_module_so_check_finds_it_current() {
    let dir = project();
    let cache = dir.path().join("cache");
    let refs = cache.join("models--org--model/refs");
    fs::create_dir_all(&refs).unwrap();
    fs::write(refs.join("main"), format!("{SHA_A}\n")).unwrap();
    fs::create_dir_all(dir.path().join("configs")).unwrap();
    let pins = format!("model_revisions:\n  default:\n    revision: \"{SHA_B}\"\n");
    fs::write(dir.path().join("configs/pins.yaml"), pins).unwrap();
    let args = ["--revisions", "configs/pins.yaml", "--pin-module", "training.pins"];
    let stale = run(dir.path(), &cache, &[], &[&["check"][..], &args, &["train.py"]].concat());
    assert!(stale.stderr.contains("the pin module does not exist yet"), "{}", stale.stderr);

    let out = run(dir.path(), &cache, &[], &[&["lock", "--offline"][..], &args, &["train.py"]].concat());
    let module = fs::read_to_string(dir.path().join("training/pins.py")).unwrap();
    assert!(module.contains(SHA_A) && module.contains(SHA_B), "{}\n{module}", out.stderr);
    let after = run(dir.path(), &cache, &[], &[&["check"][..], &args, &["train.py"]].concat());
    assert!(!after.stderr.contains("the pin module"), "{}", after.stderr);
}

#[test]
fn hub_offline_environment_variable_makes_no_request() {
    let dir = project();
    let hub = FakeHub::start(&[("/api/models/org/model/revision/main", SHA_A)]);
    let env = [("HF_ENDPOINT", hub.endpoint.as_str()), ("HF_HUB_OFFLINE", "1")];
    let out = run(dir.path(), &dir.path().join("cache"), &env, &["lock", "--revisions", "pins.yaml", "train.py"]);
    assert_eq!(out.code, Some(1), "nothing could be pinned: {}", out.stderr);
    assert!(hub.paths().is_empty(), "HF_HUB_OFFLINE=1 lock made requests: {:?}", hub.paths());
    assert!(out.stdout.contains("not pinned org/model (main): not in the local cache"), "{}", out.stdout);
    assert!(out.stderr.contains("(offline)"), "{}", out.stderr);
}

#[test]
fn lock_asks_the_hub_keeps_the_file_and_never_prints_the_token() {
    let dir = project();
    let existing = "# Pins, reviewed by the platform team.\nmodel_revisions:\n  org/model:\n    revision: main  # tracking main\n    trust_remote_code: false\n  org/pinned:\n    revision: 1234567890abcdef1234567890abcdef12345678\n  default:\n    revision: main\n";
    fs::write(dir.path().join("pins.yaml"), existing).unwrap();
    let hub = FakeHub::start(&[
        ("/api/models/org/model/revision/main", SHA_A),
        ("/api/models/org/tagged/revision/v1.0", SHA_B),
    ]);
    let env = [("HF_ENDPOINT", hub.endpoint.as_str()), ("HF_TOKEN", TOKEN)];
    let out = run(dir.path(), &dir.path().join("cache"), &env, &["lock", "--revisions", "pins.yaml", "train.py"]);
    assert_eq!(out.code, Some(1), "org/data is not on the fake Hub: {}\n{}", out.stdout, out.stderr);
    assert_eq!(
        hub.paths(),
        [
            "/api/models/org/model/revision/main",
            "/api/models/org/tagged/revision/v1.0",
            "/api/datasets/org/data/revision/main"
        ]
    );
    let auth: Vec<Option<String>> = hub.requests.lock().unwrap().iter().map(|(_, a)| a.clone()).collect();
    assert!(auth.iter().all(|a| a.as_deref() == Some(&format!("Bearer {TOKEN}"))), "{auth:?}");
    assert!(!out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN));
    assert!(out.stdout.contains("not pinned org/data (main)"), "{}", out.stdout);
    assert!(out.stdout.contains("HTTP 404"), "{}", out.stdout);
    assert_eq!(
        fs::read_to_string(dir.path().join("pins.yaml")).unwrap(),
        format!(
            "# Pins, reviewed by the platform team.\nmodel_revisions:\n  org/model:\n    revision: \"{SHA_A}\"  # tracking main\n    trust_remote_code: false\n  \
             org/pinned:\n    revision: 1234567890abcdef1234567890abcdef12345678\n  \"org/tagged\":\n    revision: \"{SHA_B}\"  # from v1.0\n    trust_remote_code: true\n  \
             default:\n    revision: main\n"
        )
    );
    // A second lock asks only for what is still missing.
    let again = run(dir.path(), &dir.path().join("cache"), &env, &["lock", "--revisions", "pins.yaml", "train.py"]);
    assert_eq!(again.code, Some(1));
    assert_eq!(hub.paths().len(), 4, "{:?}", hub.paths());
}
