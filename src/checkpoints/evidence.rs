//! Evidence from real checkpoint files for `fix --checkpoints DIR`: every
//! checkpoint under the directory is audited once, before the rules run, and
//! kept by file name, so that `torch-load` can judge a load whose path names
//! one of them (`torch.load("runs/rng.pt")`,
//! `torch.load(os.path.join(out, "rng.pt"))`) by what the file holds rather
//! than by the code alone.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Result};

use super::{audit_path, Audit, Status, Verdict};

/// The audits of a directory's checkpoints, by file name (`rng.pt`).
#[derive(Clone, Debug, Default)]
pub(crate) struct Evidence {
    by_name: BTreeMap<String, Vec<Audit>>,
}

impl Evidence {
    /// Audits every checkpoint under `dir` (see [`super::audit_paths`]).
    pub(crate) fn audit(dir: &Path) -> Result<Evidence> {
        if !dir.is_dir() {
            bail!("--checkpoints {}: not a directory", dir.display());
        }
        Ok(Evidence::of(audit_path(dir)))
    }

    /// Keeps `audits` by the name of each file.
    pub(crate) fn of(audits: Vec<Audit>) -> Evidence {
        let mut by_name: BTreeMap<String, Vec<Audit>> = BTreeMap::new();
        for audit in audits {
            if let Some(name) = audit.path.file_name().and_then(|n| n.to_str()) {
                by_name.entry(name.to_owned()).or_default().push(audit);
            }
        }
        Evidence { by_name }
    }

    /// The audits of the files called `name`: several when directories hold
    /// files of the same name (`a/best.pt`, `b/best.pt`).
    pub(crate) fn named(&self, name: &str) -> Option<&[Audit]> {
        self.by_name.get(name).map(Vec::as_slice)
    }
}

/// What the files of one name, together, need from a load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Judgement {
    /// Every file loads with `weights_only=True` as it is.
    WeightsOnly,
    /// Every file loads with these globals allowlisted (`module.name`,
    /// numpy's core functions under `numpy.core`, the spelling both numpy
    /// majors import).
    Globals(Vec<String>),
    /// No allowlist makes them load safely: why, naming the file.
    Refused(String),
}

/// Judges the files of one name together: the worst verdict among them
/// decides, and the globals of files that need an allowlist are merged.
pub(crate) fn judge(audits: &[Audit]) -> Judgement {
    let mut globals: Vec<String> = Vec::new();
    for audit in audits {
        match audit.verdict {
            Verdict::WeightsOnly => {}
            Verdict::NeedsAllowlist => match allowlist_globals(audit) {
                Ok(needed) => globals.extend(needed),
                Err(reason) => return Judgement::Refused(reason),
            },
            Verdict::Dangerous | Verdict::Unsupported | Verdict::Unknown => {
                return Judgement::Refused(refusal(audit));
            }
        }
    }
    globals.sort();
    globals.dedup();
    if globals.is_empty() {
        Judgement::WeightsOnly
    } else {
        Judgement::Globals(globals)
    }
}

/// Why a `dangerous`, `unsupported` or `unknown` file gets no fix: its
/// verdict, what it calls, and the audit's reasons.
fn refusal(audit: &Audit) -> String {
    let path = audit.path.display();
    let reasons = audit.reasons.join("; ");
    match audit.verdict {
        Verdict::Dangerous => format!(
            "the checkpoint file {path} is dangerous: {reasons}; loading it without `weights_only=True` runs that code, and no allowlist should admit it: replace the file"
        ),
        verdict => format!(
            "the checkpoint file {path} is {} for a weights-only load ({reasons}); check it with `remediate checkpoints {path}`",
            verdict.as_str()
        ),
    }
}

/// The globals a `needs-allowlist` file needs, as the fix names them;
/// refused when one is a class the saving script defined (`__main__.Config`,
/// which no import provides) or a numpy core name outside `multiarray`.
fn allowlist_globals(audit: &Audit) -> Result<Vec<String>, String> {
    let path = audit.path.display();
    audit
        .globals
        .iter()
        .filter(|g| g.status == Status::NeedsAllowlist)
        .map(|g| {
            let module = g.module.replacen("numpy._core.", "numpy.core.", 1);
            if module == "__main__" {
                return Err(format!(
                    "the checkpoint file {path} holds an instance of `__main__.{}`, a class defined in the script that saved it, which no import provides; define or import it before loading, and allowlist it by hand",
                    g.name
                ));
            }
            if module.starts_with("numpy.core.") && module != "numpy.core.multiarray" {
                return Err(format!(
                    "the checkpoint file {path} needs `{}`; allowlist it by hand with the list `remediate checkpoints {path}` prints",
                    g.qualified()
                ));
            }
            Ok(format!("{module}.{}", g.name))
        })
        .collect()
}
