//! The rules. Each lives in its own file beside its query in `queries/`; the
//! query finds candidate nodes and names their parts, the rule decides
//! whether a match is a finding and what the fix is.

use std::ops::Range;

use tree_sitter::{Node, Query, Tree};

use crate::config::Config;
use crate::fix::edit::Fix;
use crate::python::imports::Imports;

pub mod bare_except;
pub mod except_continue;
pub mod except_pass;
pub mod hf_remote_code;
pub mod hf_revision;
pub mod http_timeout;
pub mod torch_load;

/// What a rule is, for users and for the registry.
#[derive(Debug)]
pub struct RuleMeta {
    /// Our id, used in `--select`, suppressions and output: `torch-load`.
    pub id: &'static str,
    /// Bandit's test id (`B614`), if Bandit has one.
    pub bandit: Option<&'static str>,
    /// Bandit's test name (`pytorch_load`), accepted by `# nosec`.
    pub bandit_name: Option<&'static str>,
    /// ruff's codes for the same check.
    pub ruff: &'static [&'static str],
    /// `None` when the rule never fixes.
    pub fix_safety: Option<crate::fix::edit::FixSafety>,
    /// How serious a finding is: Bandit's severity for its test.
    pub severity: Severity,
    /// One line for tables.
    pub summary: &'static str,
    /// The user documentation: the rule type's doc comment, verbatim.
    pub doc: &'static str,
    /// The tree-sitter query, from `queries/<rule>.scm`.
    pub query: &'static str,
    /// The words a match needs in code (see [`crate::prefilter`]); a file
    /// in which no enabled rule can match is not parsed.
    pub triggers: crate::pipeline::prefilter::Triggers,
}

/// Bandit's severity scale, used for SARIF levels and annotations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Medium,
    Low,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }

    /// The SARIF result level: `warning` for medium, `note` for low.
    pub fn sarif_level(self) -> &'static str {
        match self {
            Severity::Medium => "warning",
            Severity::Low => "note",
        }
    }

    /// GitHub code scanning's `security-severity` score (its medium and low bands).
    pub fn security_score(self) -> &'static str {
        match self {
            Severity::Medium => "5.5",
            Severity::Low => "3.0",
        }
    }
}

/// Everything a rule may look at in one file.
pub struct FileContext<'a> {
    pub src: &'a str,
    pub tree: &'a Tree,
    pub imports: &'a Imports,
    pub config: &'a Config,
    /// The newline that inserted lines use.
    pub newline: &'a str,
    /// File-wide facts rules compute once instead of once per match.
    pub memo: Memo,
}

/// One value per type, computed on first use, for the file being analysed.
#[derive(Default)]
pub struct Memo(std::cell::RefCell<std::collections::HashMap<std::any::TypeId, std::rc::Rc<dyn std::any::Any>>>);

impl Memo {
    pub fn get<T: std::any::Any>(&self, init: impl FnOnce() -> T) -> std::rc::Rc<T> {
        let key = std::any::TypeId::of::<T>();
        if let Some(found) = self.0.borrow().get(&key) {
            return found.clone().downcast().expect("memo entries are keyed by their type");
        }
        let value = std::rc::Rc::new(init());
        self.0.borrow_mut().insert(key, value.clone());
        value
    }
}

/// The nodes a query match captured, by capture name.
pub struct Captures<'a, 't> {
    pub query: &'a Query,
    pub nodes: &'a [tree_sitter::QueryCapture<'t>],
}

impl<'t> Captures<'_, 't> {
    pub fn get(&self, name: &str) -> Option<Node<'t>> {
        let index = self.query.capture_index_for_name(name)?;
        self.nodes.iter().find(|c| c.index == index).map(|c| c.node)
    }
}

/// What joins a finding's message and the reason it is not fixed.
pub const NOT_FIXED: &str = "; not fixed: ";

/// One problem in one place, with the fix when there is a safe way to make it.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static RuleMeta,
    /// The flagged node's bytes in the decoded text.
    pub range: Range<usize>,
    /// 0-based lines the node spans (suppressions on any of them count).
    pub rows: (usize, usize),
    pub message: String,
    pub fix: Option<Fix>,
    /// Why no fix is offered, each also appended to `message`.
    pub reasons: Vec<String>,
}

impl Finding {
    pub fn new(rule: &'static RuleMeta, node: Node<'_>, message: impl Into<String>) -> Finding {
        Finding {
            rule,
            range: node.byte_range(),
            rows: (node.start_position().row, node.end_position().row),
            message: message.into(),
            fix: None,
            reasons: Vec::new(),
        }
    }

    pub fn with_fix(mut self, fix: Fix) -> Finding {
        self.fix = Some(fix);
        self
    }

    /// Appends the reason no fix is offered, so the user knows what to review.
    pub fn not_fixed(mut self, reason: impl AsRef<str>) -> Finding {
        self.message = format!("{}{NOT_FIXED}{}", self.message, reason.as_ref());
        self.reasons.push(reason.as_ref().to_owned());
        self.fix = None;
        self
    }
}

/// A rule: its metadata and its decision for each match of its query.
pub trait Rule: Sync + Send {
    fn meta(&self) -> &'static RuleMeta;
    fn check(&self, cx: &FileContext<'_>, captures: &Captures<'_, '_>) -> Option<Finding>;
}

/// Every rule, in the order `remediate rules` lists them.
pub fn all() -> Vec<&'static dyn Rule> {
    vec![
        &torch_load::TorchLoad,
        &hf_revision::HfRevision,
        &hf_remote_code::HfRemoteCode,
        &http_timeout::HttpTimeout,
        &bare_except::BareExcept,
        &except_pass::ExceptPass,
        &except_continue::ExceptContinue,
    ]
}

/// Declares a rule type whose `///` doc comment is also the text
/// `remediate rules` prints, so the two cannot drift apart.
#[macro_export]
macro_rules! documented_rule {
    ($(#[doc = $doc:literal])* pub struct $name:ident;) => {
        $(#[doc = $doc])*
        pub struct $name;
        impl $name {
            pub const DOC: &'static str = concat!($($doc, "\n"),*);
        }
    };
}

impl RuleMeta {
    /// The doc comment as Markdown, without the one-space indent `///` leaves.
    pub fn documentation(&self) -> String {
        self.doc.lines().map(|l| l.strip_prefix(' ').unwrap_or(l)).collect::<Vec<_>>().join("\n")
    }

    /// Does `token` (an id, a Bandit id or test name, a ruff code) name this rule?
    pub fn is_named_by(&self, token: &str) -> bool {
        let t = token.trim();
        t.eq_ignore_ascii_case(self.id)
            || self.bandit.is_some_and(|b| b.eq_ignore_ascii_case(t))
            || self.bandit_name.is_some_and(|b| b.eq_ignore_ascii_case(t))
            || self.ruff.iter().any(|r| r.eq_ignore_ascii_case(t))
    }
}

/// The rules `--select` and `--ignore` leave enabled; an unknown name is an error.
pub fn selected(select: &[String], ignore: &[String]) -> anyhow::Result<Vec<&'static dyn Rule>> {
    let rules = all();
    for token in select.iter().chain(ignore).filter(|t| !t.trim().is_empty()) {
        if !rules.iter().any(|r| r.meta().is_named_by(token)) {
            anyhow::bail!("unknown rule `{token}` (see `remediate rules`)");
        }
    }
    let named = |r: &&'static dyn Rule, list: &[String]| list.iter().any(|t| r.meta().is_named_by(t));
    let select_all = select.iter().all(|t| t.trim().is_empty());
    Ok(rules.into_iter().filter(|r| (select_all || named(r, select)) && !named(r, ignore)).collect())
}
