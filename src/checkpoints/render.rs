//! Reports over audits: text, JSON and SARIF 2.1.0. Pure functions: the caller prints.

use std::path::Path;

use serde_json::{json, Value};

use super::{Audit, Global, Source, Verdict};

/// One line per file, `path: verdict (format): reasons`, and under a
/// `needs-allowlist` file the Python that loads it, indented.
pub fn text(audits: &[Audit]) -> String {
    let mut out = String::new();
    for audit in audits {
        let mut line = format!("{}: {} ({})", audit.path.display(), audit.verdict.as_str(), audit.format.as_str());
        if !audit.reasons.is_empty() {
            line.push_str(": ");
            line.push_str(&audit.reasons.join("; "));
        }
        out.push_str(&line);
        out.push('\n');
        if let Some(allowlist) = audit.allowlist() {
            for code in allowlist.python().lines() {
                out.push_str("    ");
                out.push_str(code);
                out.push('\n');
            }
            if !allowlist.unresolved.is_empty() {
                let names = allowlist.unresolved.join(", ");
                out.push_str(&format!("    # defined in the saving script's __main__, define or import: {names}\n"));
            }
        }
    }
    out
}

/// `N checkpoints: a weights-only, b needs-allowlist...; k need attention`, for stderr.
pub fn summary(audits: &[Audit]) -> String {
    let counts: Vec<String> = Verdict::ALL
        .iter()
        .map(|v| (v, audits.iter().filter(|a| a.verdict == *v).count()))
        .filter(|(_, n)| *n > 0)
        .map(|(v, n)| format!("{n} {}", v.as_str()))
        .collect();
    let attention = audits.iter().filter(|a| a.needs_attention()).count();
    let files = if audits.len() == 1 { "checkpoint" } else { "checkpoints" };
    format!("{} {files}: {}; {attention} need attention", audits.len(), counts.join(", "))
}

/// `{"checkpoints": [...], "summary": {...}}`. Field names are stable; fields may be added.
pub fn json(audits: &[Audit]) -> Value {
    let mut by_verdict = serde_json::Map::new();
    for verdict in Verdict::ALL {
        by_verdict.insert(verdict.as_str().into(), json!(audits.iter().filter(|a| a.verdict == verdict).count()));
    }
    json!({
        "checkpoints": audits.iter().map(audit_json).collect::<Vec<_>>(),
        "summary": {
            "files": audits.len(),
            "attention": audits.iter().filter(|a| a.needs_attention()).count(),
            "by_verdict": by_verdict,
        },
    })
}

fn audit_json(audit: &Audit) -> Value {
    let allowlist = audit.allowlist().map(|a| {
        json!({
            "imports": a.imports,
            "entries": a.entries,
            "list": a.list(),
            "with": a.with_statement(),
            "unresolved": a.unresolved,
        })
    });
    json!({
        "path": audit.path.to_string_lossy(),
        "format": audit.format.as_str(),
        "verdict": audit.verdict.as_str(),
        "attention": audit.needs_attention(),
        "protocol": audit.protocol,
        "reasons": audit.reasons,
        "globals": audit.globals.iter().map(global_json).collect::<Vec<_>>(),
        "allowlist": allowlist,
    })
}

fn global_json(global: &Global) -> Value {
    let mut value = json!({
        "name": global.qualified(),
        "module": global.module,
        "attribute": global.name,
        "written": global.written,
        "uses": global.uses.names(),
        "status": global.status.as_str(),
        "reason": global.reason,
    });
    let source = match &global.source {
        Source::Opcode(opcode) => json!(opcode),
        Source::Extension(code) => {
            value["extension"] = json!(code);
            json!("extension")
        }
        Source::Unresolved => json!("computed"),
        Source::DtypeOf(code) => {
            value["dtype"] = json!(code);
            json!("dtype")
        }
    };
    value["source"] = source;
    value
}

/// A SARIF rule: id, level, GitHub security severity, one-line and full descriptions.
struct Rule {
    id: &'static str,
    level: &'static str,
    security_severity: &'static str,
    summary: &'static str,
    help: &'static str,
}

const RULES: &[Rule] = &[
    Rule {
        id: "checkpoint-dangerous",
        level: "error",
        security_severity: "9.0",
        summary: "Checkpoint names a global that runs code or touches the system",
        help: "Loading this file without weights_only=True runs what its pickle names (a shell command, \
               Python source, a file or network call). Do not load it; torch's weights-only loader refuses it, \
               and no allowlist should include these globals.",
    },
    Rule {
        id: "checkpoint-allowlist",
        level: "warning",
        security_severity: "5.0",
        summary: "Checkpoint loads with weights_only=True only with an allowlist",
        help: "The pickle names globals outside torch's default weights-only set (numpy arrays and RNG states, \
               argparse.Namespace, dataclasses...). Load it inside the printed \
               `with torch.serialization.safe_globals([...]):`, which names exactly those globals.",
    },
    Rule {
        id: "checkpoint-unsupported",
        level: "warning",
        security_severity: "5.0",
        summary: "torch.load(weights_only=True) refuses the checkpoint whatever the allowlist",
        help: "The file uses a format, opcode or container torch's weights-only loader does not accept \
               (legacy tar format, TorchScript, a plain pickle, pickle protocol 4 and above, a dict subclass). \
               Re-save its contents with torch.save and plain containers, or as safetensors.",
    },
    Rule {
        id: "checkpoint-unreadable",
        level: "warning",
        security_severity: "5.0",
        summary: "Checkpoint could not be audited",
        help: "The file is truncated, compressed, not a checkpoint, or its outcome depends on what a call \
               returns at load time. Inspect it before loading.",
    },
];

fn rule_for(verdict: Verdict) -> Option<usize> {
    let id = match verdict {
        Verdict::WeightsOnly => return None,
        Verdict::Dangerous => "checkpoint-dangerous",
        Verdict::NeedsAllowlist => "checkpoint-allowlist",
        Verdict::Unsupported => "checkpoint-unsupported",
        Verdict::Unknown => "checkpoint-unreadable",
    };
    RULES.iter().position(|r| r.id == id)
}

const SARIF_SCHEMA: &str = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// One run, one result per file that needs attention.
pub fn sarif(audits: &[Audit]) -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": { "text": r.summary },
                "fullDescription": { "text": r.help },
                "help": { "text": r.help },
                "defaultConfiguration": { "level": r.level },
                "properties": { "tags": ["security"], "security-severity": r.security_severity },
            })
        })
        .collect();
    let results: Vec<Value> = audits.iter().filter_map(sarif_result).collect();
    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "remediate",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    })
}

fn sarif_result(audit: &Audit) -> Option<Value> {
    let index = rule_for(audit.verdict)?;
    let rule = &RULES[index];
    let mut message = format!("{} ({}): {}", audit.verdict.as_str(), audit.format.as_str(), audit.reasons.join("; "));
    let allowlist = audit.allowlist();
    if let Some(allowlist) = &allowlist {
        message.push_str("\n\n");
        message.push_str(&allowlist.python());
    }
    Some(json!({
        "ruleId": rule.id,
        "ruleIndex": index,
        "level": rule.level,
        "message": { "text": message },
        "locations": [{ "physicalLocation": { "artifactLocation": artifact_location(&audit.path) } }],
        "properties": {
            "format": audit.format.as_str(),
            "verdict": audit.verdict.as_str(),
            "globals": audit.globals.iter().map(Global::qualified).collect::<Vec<_>>(),
            "allowlist": allowlist.map(|a| a.python()),
        },
    }))
}

/// A relative path against the run's source root; an absolute one as a `file:` URI.
fn artifact_location(path: &Path) -> Value {
    let shown = path.to_string_lossy().replace('\\', "/");
    let shown = shown.strip_prefix("./").unwrap_or(&shown);
    if path.is_absolute() {
        let slash = if shown.starts_with('/') { "" } else { "/" };
        json!({ "uri": format!("file://{slash}{}", percent_encode(shown)) })
    } else {
        json!({ "uri": percent_encode(shown), "uriBaseId": "%SRCROOT%" })
    }
}

/// Percent-encodes every byte but unreserved characters, `/` and a drive's `:`.
fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for (i, b) in path.bytes().enumerate() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) || (b == b':' && i == 1) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{Format, Status, Uses};
    use super::*;
    use std::path::PathBuf;

    fn audit(path: &str, verdict: Verdict, globals: Vec<Global>, reasons: &[&str]) -> Audit {
        Audit {
            path: PathBuf::from(path),
            format: Format::TorchZip,
            verdict,
            protocol: Some(2),
            globals,
            reasons: reasons.iter().map(|r| r.to_string()).collect(),
        }
    }

    fn global(module: &str, name: &str, status: Status) -> Global {
        Global {
            module: module.into(),
            name: name.into(),
            written: None,
            source: Source::Opcode("GLOBAL"),
            uses: Uses { called: true, ..Uses::default() },
            status,
            reason: None,
        }
    }

    fn sample() -> Vec<Audit> {
        vec![
            audit("ok.pt", Verdict::WeightsOnly, vec![], &[]),
            audit(
                "runs/args x.pt",
                Verdict::NeedsAllowlist,
                vec![global("argparse", "Namespace", Status::NeedsAllowlist)],
                &["needs argparse.Namespace"],
            ),
            audit(
                "/tmp/evil.pkl",
                Verdict::Dangerous,
                vec![global("posix", "system", Status::Dangerous)],
                &["posix.system (called): runs"],
            ),
        ]
    }

    #[test]
    fn text_has_one_line_per_file_and_the_snippet() {
        let expected = "ok.pt: weights-only (torch-zip)\n\
            runs/args x.pt: needs-allowlist (torch-zip): needs argparse.Namespace\n    \
            import torch\n    \
            from argparse import Namespace\n    \
            with torch.serialization.safe_globals([Namespace]):\n\
            /tmp/evil.pkl: dangerous (torch-zip): posix.system (called): runs\n";
        assert_eq!(text(&sample()), expected);
        assert_eq!(
            summary(&sample()),
            "3 checkpoints: 1 weights-only, 1 needs-allowlist, 1 dangerous; 2 need attention"
        );
    }

    #[test]
    fn json_fields() {
        let value = json(&sample());
        assert_eq!(value["summary"]["attention"], 2);
        assert_eq!(value["summary"]["by_verdict"]["unknown"], 0);
        let second = &value["checkpoints"][1];
        assert_eq!(second["verdict"], "needs-allowlist");
        assert_eq!(second["globals"][0]["name"], "argparse.Namespace");
        assert_eq!(second["globals"][0]["uses"], json!(["called"]));
        assert_eq!(second["globals"][0]["source"], "GLOBAL");
        assert_eq!(second["allowlist"]["list"], "[Namespace]");
        assert_eq!(value["checkpoints"][2]["allowlist"], Value::Null);
    }

    #[test]
    fn sarif_has_one_result_per_file_needing_attention() {
        let value = sarif(&sample());
        assert_eq!(value["version"], "2.1.0");
        let results = value["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), 2);
        assert_eq!(results[0]["ruleId"], "checkpoint-allowlist");
        assert_eq!(results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "runs/args%20x.pt");
        assert!(results[0]["message"]["text"].as_str().unwrap().contains("safe_globals([Namespace])"));
        assert_eq!(results[1]["ruleId"], "checkpoint-dangerous");
        assert_eq!(results[1]["level"], "error");
        assert_eq!(results[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "file:///tmp/evil.pkl");
        let rules = value["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(rules[results[1]["ruleIndex"].as_u64().unwrap() as usize]["id"], "checkpoint-dangerous");
    }
}
