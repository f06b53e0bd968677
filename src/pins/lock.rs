//! `remediate lock`: resolve the branch or tag of every repository the code
//! downloads to the commit it points at now, and write that commit into the
//! revisions file. The local Hugging Face cache is read first; the Hub API
//! only for what the cache does not know, and never when offline.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;

use crate::config::is_commit_sha;
use crate::pins::inventory::FoundId;
use crate::pins::pin_file::PinFile;
use crate::python::hub_call::RepoType;

const PUBLIC_HUB: &str = "https://huggingface.co";
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// A revision answer is a few kilobytes; anything far larger is not one.
const MAX_ANSWER_BYTES: u64 = 4 << 20;

/// Where the commits come from, read from the environment once.
pub(crate) struct Resolver {
    cache: PathBuf,
    hub: Option<HubClient>,
}

/// How one id was resolved.
pub(crate) enum Outcome {
    Pinned { from: String, to: String, source: &'static str },
    Failed { reference: String, reason: String },
}

impl Resolver {
    /// `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`;
    /// the Hub at `$HF_ENDPOINT` unless offline (`--offline` or `HF_HUB_OFFLINE`).
    pub(crate) fn from_env(offline: bool) -> Resolver {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        let cache = var("HF_HUB_CACHE")
            .or_else(|| var("HF_HOME").map(|h| h.join("hub")))
            .or_else(|| var("HOME").or_else(|| var("USERPROFILE")).map(|h| h.join(".cache/huggingface/hub")))
            .unwrap_or_else(|| PathBuf::from(".cache/huggingface/hub"));
        let offline = offline || std::env::var("HF_HUB_OFFLINE").is_ok_and(|v| is_true(&v));
        let hub = (!offline).then(HubClient::from_env);
        Resolver { cache, hub }
    }

    pub(crate) fn is_offline(&self) -> bool {
        self.hub.is_none()
    }

    /// The commit `reference` (a branch or tag) of `id` points at.
    pub(crate) fn resolve(
        &self,
        repo_type: RepoType,
        id: &str,
        reference: &str,
    ) -> Result<(String, &'static str), String> {
        if let Some(sha) = from_cache(&self.cache, repo_type, id, reference) {
            return Ok((sha, "the local cache"));
        }
        match &self.hub {
            Some(hub) => hub.resolve(repo_type, id, reference).map(|sha| (sha, "the Hub")),
            None => Err(format!("not in the local cache ({}) and offline", self.cache.display())),
        }
    }
}

/// huggingface_hub's reading of a boolean environment variable.
fn is_true(value: &str) -> bool {
    matches!(value.trim().to_ascii_uppercase().as_str(), "1" | "ON" | "YES" | "TRUE")
}

/// `<cache>/models--org--name/refs/<reference>` holds the commit SHA.
fn from_cache(cache: &Path, repo_type: RepoType, id: &str, reference: &str) -> Option<String> {
    if reference.split('/').any(|part| part.is_empty() || part == "." || part == "..") {
        return None;
    }
    let folder = format!("{}--{}", repo_type.plural(), id.replace('/', "--"));
    let sha = std::fs::read_to_string(cache.join(folder).join("refs").join(reference)).ok()?;
    let sha = sha.trim();
    (sha.len() == 40 && is_commit_sha(sha)).then(|| sha.to_ascii_lowercase())
}

/// A blocking client for the Hub's revision API.
struct HubClient {
    agent: ureq::Agent,
    endpoint: String,
    /// Sent as a bearer token; never printed.
    token: Option<String>,
}

impl HubClient {
    fn from_env() -> HubClient {
        let endpoint =
            std::env::var("HF_ENDPOINT").ok().filter(|e| !e.trim().is_empty()).unwrap_or_else(|| PUBLIC_HUB.to_owned());
        let token = std::env::var("HF_TOKEN").ok().filter(|t| !t.trim().is_empty());
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_recv_response(Some(READ_TIMEOUT))
            .timeout_recv_body(Some(READ_TIMEOUT))
            .http_status_as_error(false)
            .user_agent(concat!("remediate/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        HubClient { agent, endpoint: endpoint.trim_end_matches('/').to_owned(), token }
    }

    /// `GET /api/<models|datasets|spaces>/<id>/revision/<reference>` → `sha`.
    fn resolve(&self, repo_type: RepoType, id: &str, reference: &str) -> Result<String, String> {
        let url = format!("{}/api/{}/{id}/revision/{}", self.endpoint, repo_type.plural(), encode(reference));
        let mut request = self.agent.get(&url);
        if let Some(token) = &self.token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let mut response = request.call().map_err(|e| format!("{url}: {}", describe(&e)))?;
        let status = response.status().as_u16();
        match status {
            200 => {}
            401 | 403 => {
                return Err(format!("{url}: HTTP {status}: private or gated; set HF_TOKEN to a token with access"))
            }
            404 => return Err(format!("{url}: HTTP 404: no such repository or revision")),
            _ => return Err(format!("{url}: HTTP {status}")),
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER_BYTES)
            .read_to_string()
            .map_err(|e| format!("{url}: reading the answer: {}", describe(&e)))?;
        let answer: serde_json::Value =
            serde_json::from_str(&body).map_err(|e| format!("{url}: the answer is not JSON: {e}"))?;
        match answer.get("sha").and_then(|s| s.as_str()) {
            Some(sha) if sha.len() == 40 && is_commit_sha(sha) => Ok(sha.to_ascii_lowercase()),
            _ => Err(format!("{url}: the answer has no commit `sha`")),
        }
    }
}

fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(_) => "timed out".to_owned(),
        other => other.to_string(),
    }
}

/// Percent-encodes a revision for a URL path segment (`refs/pr/1` → `refs%2Fpr%2F1`).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Which reference each id should be locked from: its entry's branch or
/// tag, else one the code names, else `main`. `None` when it is locked.
fn reference_for(file: &PinFile, found: &FoundId) -> Option<String> {
    match file.revisions.exact(&found.id) {
        Some(pin) if pin.revision.is_commit_sha() => None,
        Some(pin) => Some(pin.revision.0.clone()),
        None if found.commit_in_code.is_some() => None,
        None => Some(found.ref_in_code.clone().unwrap_or_else(|| "main".to_owned())),
    }
}

/// Locks every id that lacks a commit; returns each attempt in order.
pub(crate) fn lock(file: &mut PinFile, found: &[FoundId], resolver: &Resolver) -> Vec<(String, Outcome)> {
    let mut outcomes = Vec::new();
    for f in found {
        let Some(reference) = reference_for(file, f) else { continue };
        let repo_type = f.repo_type.unwrap_or(RepoType::Model);
        match resolver.resolve(repo_type, &f.id, &reference) {
            Ok((sha, source)) => {
                let trust = file.revisions.exact(&f.id).map_or(Some(f.trust_remote_code), |p| p.trust_remote_code);
                file.set_revision(&f.id, &sha, trust, Some(&format!("from {reference}")));
                outcomes.push((f.id.clone(), Outcome::Pinned { from: reference, to: sha, source }));
            }
            Err(reason) => outcomes.push((f.id.clone(), Outcome::Failed { reference, reason })),
        }
    }
    outcomes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_refs_are_read_by_repo_type() {
        let dir = tempfile::tempdir().unwrap();
        let sha = "0123456789abcdef0123456789abcdef01234567";
        let refs = dir.path().join("datasets--org--data/refs");
        std::fs::create_dir_all(refs.join("pr")).unwrap();
        std::fs::write(refs.join("main"), format!("{sha}\n")).unwrap();
        std::fs::write(refs.join("pr/1"), "not a sha").unwrap();
        assert_eq!(from_cache(dir.path(), RepoType::Dataset, "org/data", "main").as_deref(), Some(sha));
        assert_eq!(from_cache(dir.path(), RepoType::Model, "org/data", "main"), None);
        assert_eq!(from_cache(dir.path(), RepoType::Dataset, "org/data", "pr/1"), None);
        assert_eq!(from_cache(dir.path(), RepoType::Dataset, "org/data", "../refs/main"), None);
    }

    #[test]
    fn revisions_are_encoded_as_one_segment() {
        assert_eq!(encode("refs/pr/1"), "refs%2Fpr%2F1");
        assert_eq!(encode("v1.0"), "v1.0");
    }
}
