//! `remediate models`: every Hugging Face repository the code downloads,
//! where, and how it is pinned; `--format yaml` prints the revisions file
//! with the missing ids added.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::Result;

use crate::config::{is_commit_sha, Config, ModelPin, ModelRevisions};
use crate::pins::pin_file::{PinFile, UNLOCKED_NOTE};
use crate::pipeline::analysis::{Analyzer, RuleSet};
use crate::pipeline::document::Document;
use crate::pipeline::index::{scan_configs, IndexedFile, ModuleNames, ProjectIndex};
use crate::pipeline::walk::FileKind;
use crate::python::call::text;
use crate::python::hub_call::is_local_path;
use crate::python::hub_call::{self as hub, Repo, RepoType, RevisionArg};
use crate::python::lines::position;
use crate::python::provenance::{self, Candidate};
use crate::rules::{CallSite, FileContext};

/// One download in the code.
#[derive(Debug, Clone)]
pub(crate) struct Usage {
    pub(crate) path: PathBuf,
    pub(crate) line: usize,
    pub(crate) column: usize,
    /// The repository id, when it is a literal, a module-level constant or
    /// a value the project proves.
    pub(crate) id: Option<String>,
    /// How the project proves the id, when it is not written at the call.
    pub(crate) proven_by: Option<String>,
    /// For an id known only at run time: values it may hold, and where
    /// each was seen.
    pub(crate) candidates: Vec<Candidate>,
    /// The id argument as written (`MODEL`, `cfg.name`), or the callee when
    /// there is none (`snapshot_download(**kw)`).
    pub(crate) expression: String,
    /// `None` when `repo_type=` is not a literal.
    pub(crate) repo_type: Option<RepoType>,
    pub(crate) revision: CodeRevision,
    /// A literal `trust_remote_code=True`.
    pub(crate) trust_remote_code: bool,
}

/// The revision the call itself asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CodeRevision {
    Absent,
    /// A literal commit SHA.
    Commit(String),
    /// A literal branch or tag, or `None`.
    Mutable(String),
    /// An expression, shown as written.
    Dynamic(String),
}

/// One file's downloads, or why it could not be read.
type FileUsages = Result<Vec<Usage>, String>;

/// Runs `work` for `0..count` on `jobs` threads with large stacks; results
/// in index order.
fn on_pool<T: Send>(count: usize, jobs: usize, work: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, T)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, count.max(1)) {
            let run = || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let value = work(i);
                results.lock().unwrap_or_else(|e| e.into_inner()).push((i, value));
            };
            let big_stack = std::thread::Builder::new().stack_size(crate::pipeline::pool::WORKER_STACK);
            if big_stack.spawn_scoped(scope, run).is_err() {
                scope.spawn(run);
            }
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, v)| v).collect()
}

pub(crate) fn scan(
    files: &[PathBuf],
    roots: &[PathBuf],
    revisions: Option<&Path>,
    jobs: usize,
) -> (Vec<Usage>, Vec<String>) {
    let (rules, config) = match RuleSet::new(Vec::new()) {
        Ok(rules) => (rules, Config::default()),
        Err(e) => return (Vec::new(), vec![format!("{e:#}")]),
    };
    let names = ModuleNames::new(roots);
    let modules: Vec<String> = files.iter().map(|f| names.of(f)).collect();
    let facts = on_pool(files.len(), jobs, |i| {
        let bytes = std::fs::read(&files[i]).ok()?;
        let source = Document::read(&bytes, FileKind::of_file(&files[i])).ok()?;
        let mut analyzer = Analyzer::new(&rules, &config, config.target_version);
        analyzer.module = modules[i].clone();
        let facts = analyzer.facts(source.text());
        Some(IndexedFile { path: files[i].clone(), module: modules[i].clone(), facts })
    });
    let index = ProjectIndex::new(facts.into_iter().flatten().collect(), scan_configs(roots, revisions));
    let mut results: Vec<(usize, FileUsages)> = on_pool(files.len(), jobs, |i| {
        let mut analyzer = Analyzer::new(&rules, &config, config.target_version);
        analyzer.index = &index;
        analyzer.module = modules[i].clone();
        (i, scan_file(&mut analyzer, &files[i]))
    });
    results.sort_by_key(|(i, _)| *i);
    let mut usages = Vec::new();
    let mut errors = Vec::new();
    for (_, result) in results {
        match result {
            Ok(found) => usages.extend(found),
            Err(e) => errors.push(e),
        }
    }
    (usages, errors)
}

fn scan_file(analyzer: &mut Analyzer<'_>, path: &Path) -> Result<Vec<Usage>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let Ok(source) = Document::read(&bytes, FileKind::of_file(path)) else { return Ok(Vec::new()) };
    let src = source.text();
    if !hub::TRIGGERS.iter().any(|t| src.contains(t)) {
        return Ok(Vec::new());
    }
    let mut usages = Vec::new();
    analyzer.visit_calls(src, hub::LOADER_NAMES, &mut |cx, site| usages.extend(usage(path, cx, site)));
    Ok(usages)
}

fn usage(path: &Path, cx: &FileContext<'_>, site: &CallSite<'_>) -> Option<Usage> {
    let src = cx.src;
    let node = site.call.node;
    let hub = hub::recognise(cx, site)?;
    let (mut id, expression) = match &hub.repo {
        Repo::Id { id, node } => (Some(id.clone()), text(*node, src).to_owned()),
        Repo::Unresolved { node: Some(node) } => (None, text(*node, src).to_owned()),
        Repo::Unresolved { node: None } => (None, format!("{}(...)", text(hub.call.callee, src))),
        Repo::LocalPath | Repo::PackagedBuilder => return None,
    };
    let mut proven_by = None;
    let mut candidates = Vec::new();
    if let Repo::Unresolved { node: Some(node) } = &hub.repo {
        match provenance::proven(cx, *node) {
            Some(proven) if is_local_path(&proven.value) => return None,
            Some(proven) => {
                id = Some(proven.value);
                proven_by = Some(proven.source);
            }
            None => candidates = provenance::candidates(cx, *node),
        }
    }
    let revision = match hub::revision(&hub, src) {
        RevisionArg::Absent => CodeRevision::Absent,
        RevisionArg::Commit { value } => CodeRevision::Commit(value),
        RevisionArg::Mutable { value, .. } => CodeRevision::Mutable(value),
        RevisionArg::Dynamic { node } => CodeRevision::Dynamic(text(node, src).to_owned()),
    };
    let trust_remote_code = hub.call.keyword(src, "trust_remote_code").is_some_and(|v| v.kind() == "true");
    let at = position(src, node.start_byte());
    Some(Usage {
        path: path.to_owned(),
        line: at.line,
        column: at.column,
        id,
        proven_by,
        candidates,
        expression,
        repo_type: hub.repo_type,
        revision,
        trust_remote_code,
    })
}

/// How a download is pinned, given the code and the revisions file.
pub(crate) fn status(usage: &Usage, revisions: &ModelRevisions) -> String {
    let file = revisions.file_hint();
    let kind = |rev: &str| if is_commit_sha(rev) { "commit" } else { "branch or tag" };
    match &usage.revision {
        CodeRevision::Commit(sha) => return format!("pinned in code to commit {sha}"),
        CodeRevision::Dynamic(expr) => return format!("revision set in code by `{expr}`"),
        _ => {}
    }
    let Some(id) = &usage.id else {
        let mut text = "not pinned; the repository id is known only at run time".to_owned();
        if !usage.candidates.is_empty() {
            let seen: Vec<String> = usage.candidates.iter().map(|c| format!("{} ({})", c.value, c.source)).collect();
            text += &format!("; it may be {}", seen.join(", "));
        }
        return text;
    };
    if let Some(pin) = revisions.exact(id) {
        return format!("pinned in {file} to {} {}", kind(&pin.revision.0), pin.revision.0);
    }
    if let Some(pin) = &revisions.default {
        return format!("default in {file}: {} {}", kind(&pin.revision.0), pin.revision.0);
    }
    match &usage.revision {
        CodeRevision::Mutable(value) => format!("{} `{value}` in code; no pin in {file}", kind(value)),
        _ => format!("no pin in code or in {file}"),
    }
}

/// Each id found, once, in order of first appearance, with its repository
/// type and whether any call trusts its remote code. Values a run-time id
/// may hold count too, marked as candidates.
pub(crate) struct FoundId {
    /// Seen only as a value a run-time id may hold.
    pub(crate) candidate: bool,
    pub(crate) id: String,
    pub(crate) repo_type: Option<RepoType>,
    pub(crate) trust_remote_code: bool,
    /// The SHA every call of this id pins in code, if all of them do.
    pub(crate) commit_in_code: Option<String>,
    /// A branch or tag some call names literally.
    pub(crate) ref_in_code: Option<String>,
}

pub(crate) fn distinct_ids(usages: &[Usage]) -> Vec<FoundId> {
    let mut order: Vec<String> = Vec::new();
    let mut by_id: BTreeMap<String, Vec<&Usage>> = BTreeMap::new();
    let mut candidates: Vec<(String, Option<RepoType>)> = Vec::new();
    for u in usages {
        candidates.extend(u.candidates.iter().map(|c| (c.value.clone(), u.repo_type)));
        let Some(id) = &u.id else { continue };
        if !by_id.contains_key(id) {
            order.push(id.clone());
        }
        by_id.entry(id.clone()).or_default().push(u);
    }
    order
        .into_iter()
        .map(|id| {
            let calls = &by_id[&id];
            let commits: Vec<&str> = calls
                .iter()
                .filter_map(|u| match &u.revision {
                    CodeRevision::Commit(sha) => Some(sha.as_str()),
                    _ => None,
                })
                .collect();
            let commit_in_code = (commits.len() == calls.len() && commits.iter().all(|c| *c == commits[0]))
                .then(|| commits[0].to_owned());
            let ref_in_code = calls.iter().find_map(|u| match &u.revision {
                CodeRevision::Mutable(v) if v != "None" && !v.is_empty() => Some(v.clone()),
                _ => None,
            });
            FoundId {
                candidate: false,
                repo_type: calls.iter().find_map(|u| u.repo_type),
                trust_remote_code: calls.iter().any(|u| u.trust_remote_code),
                commit_in_code,
                ref_in_code,
                id,
            }
        })
        .chain(candidate_ids(candidates, &by_id))
        .collect()
}

/// Values run-time ids may hold that no call names itself, once each.
fn candidate_ids(candidates: Vec<(String, Option<RepoType>)>, named: &BTreeMap<String, Vec<&Usage>>) -> Vec<FoundId> {
    let mut found: Vec<FoundId> = Vec::new();
    for (id, repo_type) in candidates {
        if named.contains_key(&id) || found.iter().any(|f| f.id == id) {
            continue;
        }
        found.push(FoundId {
            candidate: true,
            repo_type,
            trust_remote_code: false,
            commit_in_code: None,
            ref_in_code: None,
            id,
        });
    }
    found
}

/// The note on an entry proposed for a value a run-time id may hold.
const CANDIDATE_NOTE: &str = "a value an id known only at run time may hold; not a commit yet: run `remediate lock`";

/// Adds an entry for every id the file lacks: the commit the code pins,
/// else a placeholder branch for `lock` to resolve. Returns how many.
pub(crate) fn add_missing(file: &mut PinFile, found: &[FoundId]) -> usize {
    let mut added = 0;
    for f in found {
        if file.revisions.exact(&f.id).is_some() {
            continue;
        }
        let (revision, note) = match (&f.commit_in_code, &f.ref_in_code) {
            (Some(sha), _) => (sha.clone(), None),
            (None, Some(reference)) => (reference.clone(), Some(UNLOCKED_NOTE)),
            (None, None) if f.candidate => ("main".to_owned(), Some(CANDIDATE_NOTE)),
            (None, None) => ("main".to_owned(), Some(UNLOCKED_NOTE)),
        };
        let pin = ModelPin::new(revision, Some(f.trust_remote_code));
        file.add(&f.id, pin, note);
        added += 1;
    }
    added
}

/// `--format text`: one line per download.
pub(crate) fn render_text(usages: &[Usage], revisions: &ModelRevisions) -> String {
    let mut out = String::new();
    for u in usages {
        let shown = match &u.id {
            Some(id) => id.clone(),
            None => format!("<{}>", u.expression),
        };
        let kind = u.repo_type.map_or("unknown type", |t| match t {
            RepoType::Model => "model",
            RepoType::Dataset => "dataset",
            RepoType::Space => "space",
        });
        out += &format!(
            "{}:{}:{}: {shown} ({kind}): {}\n",
            crate::pipeline::walk::display_path(&u.path),
            u.line,
            u.column,
            status(u, revisions)
        );
    }
    out
}

/// `--format json`.
pub(crate) fn render_json(usages: &[Usage], revisions: &ModelRevisions) -> serde_json::Value {
    let list: Vec<serde_json::Value> = usages
        .iter()
        .map(|u| {
            let in_code = match &u.revision {
                CodeRevision::Absent => serde_json::Value::Null,
                CodeRevision::Commit(v) | CodeRevision::Mutable(v) | CodeRevision::Dynamic(v) => v.clone().into(),
            };
            serde_json::json!({
                "path": crate::pipeline::walk::display_path(&u.path),
                "line": u.line,
                "column": u.column,
                "id": u.id,
                "proven_by": u.proven_by,
                "candidates": u.candidates.iter().map(|c| serde_json::json!({"value": c.value, "source": c.source})).collect::<Vec<_>>(),
                "expression": u.expression,
                "repo_type": u.repo_type.map(|t| t.plural().trim_end_matches('s')),
                "revision_in_code": in_code,
                "trust_remote_code": u.trust_remote_code,
                "status": status(u, revisions),
            })
        })
        .collect();
    serde_json::Value::Array(list)
}
