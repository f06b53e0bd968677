//! The checkpoint audit against the real torch.
//!
//! `tests/runtime/make_checkpoints.py` writes checkpoints of realistic payloads
//! with torch, once under numpy 2.x and once under numpy 1.x; the library
//! audits them in-process; `tests/runtime/judge_checkpoints.py` then loads
//! every file under both numpy versions (so a file saved with one is loaded
//! with the other too) and the verdicts are checked against what torch did:
//! - `torch.load(f, weights_only=True)` succeeds exactly for `weights-only` files;
//! - with the printed allowlist it succeeds for `needs-allowlist` files;
//! - `unsupported` and `dangerous` files stay refused with every safe global
//!   allowlisted, and the allowlist never holds a dangerous global;
//! - malicious payloads never run during the audit or the weights-only loads,
//!   and do run when loaded unsafely (the control that proves them live).
//!
//! Needs `REMEDIATE_RUNTIME_PYTHON` (the venv of `scripts/python-env.sh runtime`)
//! and numpy 1.x beside it (`REMEDIATE_RUNTIME_NUMPY1`, default `<venv>/../numpy1`).
//! Without them the tests skip with a message, unless `CI` is set: then they fail.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use remediate::checkpoints::{self, allowlist_snippet, Audit, Format, Source, Status, Verdict};
use serde_json::{json, Value};

/// The Python with torch, and numpy 1.x's install directory.
struct Runtime {
    python: PathBuf,
    numpy1: PathBuf,
}

fn runtime() -> Option<Runtime> {
    let python = std::env::var_os("REMEDIATE_RUNTIME_PYTHON").filter(|p| !p.is_empty()).map(PathBuf::from);
    let numpy1 = std::env::var_os("REMEDIATE_RUNTIME_NUMPY1").map(PathBuf::from).or_else(|| {
        let venv = python.as_deref()?.parent()?.parent()?;
        Some(venv.parent()?.join("numpy1"))
    });
    let problem = match (&python, &numpy1) {
        (None, _) => "REMEDIATE_RUNTIME_PYTHON is not set (scripts/python-env.sh runtime makes the venv)".to_owned(),
        (Some(p), _) if !p.exists() => format!("REMEDIATE_RUNTIME_PYTHON={} does not exist", p.display()),
        (_, Some(n)) if n.join("numpy").is_dir() => {
            return Some(Runtime { python: python?, numpy1: numpy1? });
        }
        (_, n) => format!("numpy 1.x not found at {:?} (set REMEDIATE_RUNTIME_NUMPY1)", n),
    };
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    assert!(!ci, "CI is set and the runtime Python is missing: {problem}");
    eprintln!("skipping the checkpoint runtime tests: {problem}");
    None
}

/// One file the generator wrote, and its audit.
struct Case {
    name: String,
    /// `np1` or `np2`: the numpy it was saved under.
    saved_with: String,
    marker: Option<PathBuf>,
    audit: Audit,
}

/// What torch did with each file under one numpy version: attempt name → outcome.
struct Judged {
    numpy: String,
    outcomes: BTreeMap<PathBuf, BTreeMap<String, String>>,
}

struct Fixture {
    dir: PathBuf,
    cases: Vec<Case>,
    judged: Vec<Judged>,
    /// Markers present after the audit and every weights-only load.
    markers_before_control: Vec<PathBuf>,
    /// Markers present after the unsafe control loads.
    markers_after_control: Vec<PathBuf>,
}

fn runtime_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/runtime")
}

fn python_path(runtime: &Runtime, numpy1: bool) -> OsString {
    let mut paths = vec![runtime_dir()];
    if numpy1 {
        paths.insert(0, runtime.numpy1.clone());
    }
    std::env::join_paths(paths).expect("PYTHONPATH")
}

/// Runs a script of tests/runtime and parses the JSON it prints.
fn run_python(runtime: &Runtime, numpy1: bool, args: &[&Path]) -> Value {
    let out = Command::new(&runtime.python)
        .args(args)
        .env("PYTHONPATH", python_path(runtime, numpy1))
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", runtime.python.display()));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?} failed: {stderr}", args);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{:?} printed no JSON ({e}): {stderr}", args))
}

fn fixture() -> Option<&'static Fixture> {
    static FIXTURE: OnceLock<Option<Fixture>> = OnceLock::new();
    FIXTURE.get_or_init(|| runtime().map(|runtime| build_fixture(&runtime))).as_ref()
}

fn build_fixture(runtime: &Runtime) -> Fixture {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("checkpoints-runtime");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating the checkpoint directory");
    let generator = runtime_dir().join("make_checkpoints.py");
    let mut cases = Vec::new();
    for (tag, numpy1) in [("np2", false), ("np1", true)] {
        let manifest = run_python(runtime, numpy1, &[&generator, &dir, Path::new(tag)]);
        for file in manifest["files"].as_array().expect("files") {
            let path = PathBuf::from(file["path"].as_str().expect("path"));
            cases.push(Case {
                name: file["case"].as_str().expect("case").to_owned(),
                saved_with: tag.to_owned(),
                marker: file["marker"].as_str().map(PathBuf::from),
                audit: checkpoints::audit_file(&path),
            });
        }
    }
    let request = judge_request(&cases);
    let request_path = dir.join("judge-request.json");
    std::fs::write(&request_path, request.to_string()).expect("writing the judge request");
    let judge = runtime_dir().join("judge_checkpoints.py");
    let judged = [false, true].map(|numpy1| judged(run_python(runtime, numpy1, &[&judge, &request_path]))).into();
    let markers = |cases: &[Case]| cases.iter().filter_map(|c| c.marker.clone()).filter(|m| m.exists()).collect();
    let markers_before_control = markers(&cases);

    let control: Vec<&Path> = cases.iter().filter(|c| c.marker.is_some()).map(|c| c.audit.path.as_path()).collect();
    let control_path = dir.join("control-request.json");
    std::fs::write(&control_path, json!({ "files": [], "unsafe_control": control }).to_string()).expect("writing");
    run_python(runtime, false, &[&judge, &control_path]);
    let markers_after_control = markers(&cases);
    Fixture { dir, cases, judged, markers_before_control, markers_after_control }
}

/// Every file but safetensors (torch.load needs the safetensors package for those), with its attempts.
fn judge_request(cases: &[Case]) -> Value {
    let mut files = Vec::new();
    for case in cases.iter().filter(|c| c.audit.format != Format::Safetensors) {
        let mut attempts = json!({ "bare": null });
        if let Some(allowlist) = case.audit.allowlist() {
            attempts["allowlisted"] = json!(allowlist.python());
            let mut without_dtypes = allowlist.clone();
            without_dtypes.entries.retain(|e| !e.starts_with("type(np.dtype("));
            if without_dtypes.entries.len() < allowlist.entries.len() {
                attempts["without_dtypes"] = json!(without_dtypes.python());
            }
        }
        if matches!(case.audit.verdict, Verdict::Unsupported | Verdict::Dangerous) {
            // Every global the file needs but the dangerous ones.
            attempts["all_safe_globals"] = json!(allowlist_snippet(&case.audit.globals).python());
        }
        files.push(json!({ "path": case.audit.path, "attempts": attempts }));
    }
    json!({ "files": files })
}

fn judged(report: Value) -> Judged {
    let numpy = report["numpy"].as_str().unwrap_or("?").to_owned();
    let mut outcomes = BTreeMap::new();
    for result in report["results"].as_array().expect("results") {
        let attempts = result["attempts"].as_object().expect("attempts");
        let attempts = attempts.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned())).collect();
        outcomes.insert(PathBuf::from(result["path"].as_str().expect("path")), attempts);
    }
    Judged { numpy, outcomes }
}

impl Fixture {
    /// `(case, judged, attempt outcome)` for every judged file, under each numpy, that made this attempt.
    fn outcomes<'a>(&'a self, attempt: &'a str) -> impl Iterator<Item = (&'a Case, &'a Judged, &'a str)> + 'a {
        self.judged.iter().flat_map(move |judged| {
            self.cases.iter().filter_map(move |case| {
                let outcome = judged.outcomes.get(&case.audit.path)?.get(attempt)?;
                Some((case, judged, outcome.as_str()))
            })
        })
    }
}

fn describe(case: &Case, judged: &Judged) -> String {
    format!(
        "{} (saved with {}, loaded with numpy {}): verdict {} {:?}",
        case.name,
        case.saved_with,
        judged.numpy,
        case.audit.verdict.as_str(),
        case.audit.reasons
    )
}

fn report(failures: Vec<String>) {
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn weights_only_verdicts_are_exactly_the_files_torch_loads() {
    let Some(fixture) = fixture() else { return };
    let mut failures = Vec::new();
    let mut judged = 0;
    for (case, run, outcome) in fixture.outcomes("bare") {
        judged += 1;
        if (outcome == "ok") != (case.audit.verdict == Verdict::WeightsOnly) {
            failures.push(format!("{}\n    torch: {outcome}", describe(case, run)));
        }
    }
    assert!(judged >= 2 * 2 * 25, "only {judged} loads judged");
    report(failures);
}

#[test]
fn allowlists_load_under_numpy_1_and_2_whichever_saved_the_file() {
    let Some(fixture) = fixture() else { return };
    let mut failures = Vec::new();
    let allowlisted: Vec<_> = fixture.outcomes("allowlisted").collect();
    let needing = fixture.cases.iter().filter(|c| c.audit.verdict == Verdict::NeedsAllowlist).count();
    assert_eq!(allowlisted.len(), 2 * needing, "every needs-allowlist file is tried under both numpy versions");
    for (case, run, outcome) in allowlisted {
        if outcome != "ok" {
            let python = case.audit.allowlist().map(|a| a.python()).unwrap_or_default();
            failures.push(format!("{}\n    torch: {outcome}\n    allowlist:\n{python}", describe(case, run)));
        }
    }
    report(failures);
}

#[test]
fn numpy_dtype_classes_are_needed_in_the_allowlist() {
    let Some(fixture) = fixture() else { return };
    let without: Vec<_> = fixture.outcomes("without_dtypes").collect();
    assert!(without.iter().any(|(case, _, _)| case.name == "training"), "the RNG-state checkpoint has a dtype entry");
    for (case, run, outcome) in without {
        assert!(outcome.contains("DType"), "{}: loads without its dtype classes: {outcome}", describe(case, run));
    }
    let training = fixture.cases.iter().find(|c| c.name == "training").expect("training case");
    let dtype = training.audit.globals.iter().find(|g| g.qualified() == "numpy.dtypes.UInt32DType");
    let dtype = dtype.expect("numpy.dtypes.UInt32DType listed for the numpy RNG state");
    assert_eq!(dtype.source, Source::DtypeOf("u4".into()));
    assert!(dtype.uses.built);
}

#[test]
fn unsupported_and_dangerous_files_stay_refused_with_every_safe_global_allowlisted() {
    let Some(fixture) = fixture() else { return };
    let mut failures = Vec::new();
    for (case, run, outcome) in fixture.outcomes("all_safe_globals") {
        let python = allowlist_snippet(&case.audit.globals).python();
        if outcome == "ok" {
            failures.push(format!("{}\n    loaded with:\n{python}", describe(case, run)));
        }
        if case.audit.verdict == Verdict::Dangerous {
            let dangerous: Vec<_> = case.audit.globals.iter().filter(|g| g.status == Status::Dangerous).collect();
            let named = |g: &&checkpoints::Global| python.contains(&g.qualified()) || python.contains(&g.module);
            if !allowlist_snippet(
                &case.audit.globals.iter().filter(|g| g.status == Status::Dangerous).cloned().collect::<Vec<_>>(),
            )
            .entries
            .is_empty()
                || dangerous.iter().any(named)
            {
                failures.push(format!("{}: the allowlist names a dangerous global:\n{python}", describe(case, run)));
            }
            // A torch file is refused for the dangerous global itself, not for something left out of the
            // allowlist. (A plain pickle is refused earlier, for its opcodes.)
            let torch_format = matches!(case.audit.format, Format::TorchZip | Format::TorchLegacy);
            if torch_format && !dangerous.iter().any(|g| outcome.contains(&g.module)) {
                failures.push(format!("{}\n    refused for another reason: {outcome}", describe(case, run)));
            }
        }
    }
    report(failures);
}

#[test]
fn malicious_payloads_never_run_during_the_audit_or_weights_only_loads() {
    let Some(fixture) = fixture() else { return };
    let malicious: Vec<_> = fixture.cases.iter().filter(|c| c.marker.is_some()).collect();
    assert!(malicious.len() >= 8, "malicious payloads generated: {}", malicious.len());
    for case in &malicious {
        assert_eq!(case.audit.verdict, Verdict::Dangerous, "{}", describe_audit(case));
        assert!(case.audit.allowlist().is_none());
    }
    assert!(fixture.markers_before_control.is_empty(), "payloads ran: {:?}", fixture.markers_before_control);
    // The control: the same files loaded without weights_only run their payload.
    assert_eq!(fixture.markers_after_control.len(), malicious.len(), "payloads are live");
}

fn describe_audit(case: &Case) -> String {
    format!("{} ({}): {} {:?}", case.name, case.saved_with, case.audit.verdict.as_str(), case.audit.reasons)
}

/// The payload table: what each realistic checkpoint needs, whichever numpy saved it.
#[test]
fn verdict_table() {
    let Some(fixture) = fixture() else { return };
    let expected = [
        ("state_dict", Verdict::WeightsOnly),
        ("parameters", Verdict::WeightsOnly),
        ("training", Verdict::NeedsAllowlist),
        ("training_no_numpy", Verdict::WeightsOnly),
        ("namespace", Verdict::NeedsAllowlist),
        ("dataclass", Verdict::NeedsAllowlist),
        ("numpy_scalars", Verdict::NeedsAllowlist),
        ("numpy_array", Verdict::NeedsAllowlist),
        ("path", Verdict::NeedsAllowlist),
        ("builtins", Verdict::NeedsAllowlist),
        ("stdlib_types", Verdict::NeedsAllowlist),
        ("defaultdict", Verdict::Unsupported),
        ("deque", Verdict::Unsupported),
        // What numpy's RNG constructors return receives BUILD: its type is not in the file.
        ("numpy_generator", Verdict::Unknown),
        ("counter", Verdict::WeightsOnly),
        ("lightning", Verdict::WeightsOnly),
        ("lightning_attributedict", Verdict::Unsupported),
        ("lightning_precision", Verdict::NeedsAllowlist),
        ("whole_model", Verdict::NeedsAllowlist),
        ("legacy", Verdict::WeightsOnly),
        ("legacy_numpy", Verdict::NeedsAllowlist),
        ("protocol4", Verdict::Unsupported),
        ("torchscript", Verdict::Unsupported),
        ("truncated", Verdict::Unknown),
        ("safetensors", Verdict::WeightsOnly),
        ("legacy_tar", Verdict::Unsupported),
        ("plain_pickle", Verdict::Unsupported),
        ("malicious", Verdict::Dangerous),
        ("malicious_protocol0", Verdict::Dangerous),
        ("malicious_torch", Verdict::Dangerous),
        ("malicious_legacy", Verdict::Dangerous),
    ];
    let mut failures = Vec::new();
    for (name, verdict) in expected {
        let cases: Vec<_> = fixture.cases.iter().filter(|c| c.name == name).collect();
        if cases.len() != 2 {
            failures.push(format!("{name}: {} files, expected one per numpy", cases.len()));
        }
        for case in cases.iter().filter(|c| c.audit.verdict != verdict) {
            failures.push(format!("{}: expected {}", describe_audit(case), verdict.as_str()));
        }
    }
    assert_eq!(fixture.cases.len(), 2 * expected.len(), "a generated case is missing from the table");
    report(failures);
}

#[test]
fn a_directory_walk_finds_every_checkpoint() {
    let Some(fixture) = fixture() else { return };
    let walked: Vec<PathBuf> = checkpoints::audit_path(&fixture.dir).into_iter().map(|a| a.path).collect();
    let mut generated: Vec<PathBuf> = fixture.cases.iter().map(|c| c.audit.path.clone()).collect();
    generated.sort();
    assert_eq!(walked, generated);
}
