//! The rules, one file each, and what they share: their metadata, the
//! trait the engine calls, and the registry. Calls are found once per file
//! (one walk of the tree) and handed, resolved, to every rule that names
//! their callee; a rule that matches something else (an
//! `except` clause) brings its own query.

use ruff_python_ast as ast;

use crate::python::model::{Resolved, SemanticModel};
use crate::report::Finding;

mod context;
mod literal_findings;

pub(crate) mod bare_except;
pub(crate) mod bind_all_interfaces;
pub(crate) mod call_with_shell;
pub(crate) mod chmod_permissive;
pub(crate) mod eval_used;
pub(crate) mod except_continue;
pub(crate) mod except_pass;
pub(crate) mod exec_used;
pub(crate) mod hardcoded_tmp;
pub(crate) mod hf_remote_code;
pub(crate) mod hf_revision;
pub(crate) mod http_timeout;
pub(crate) mod jinja2_autoescape;
pub(crate) mod pickle_load;
pub(crate) mod start_process_with_shell;
pub(crate) mod subprocess_shell;
pub(crate) mod tarfile_extract;
pub(crate) mod torch_load;
pub(crate) mod trojan_source;
pub(crate) mod urlopen_scheme;
pub(crate) mod weak_hash;
pub(crate) mod xml_parse;
pub(crate) mod yaml_load;

#[cfg(test)]
pub(crate) use context::testing;
pub(crate) use context::{CallSite, Captures, FileContext, Memo};

/// What a rule is, for users and for the registry.
#[derive(Debug)]
pub struct RuleMeta {
    /// Our id, used in `--select`, suppressions and output: `torch-load`.
    pub id: &'static str,
    /// Bandit's test id (`B614`), if Bandit has one.
    pub(crate) bandit: Option<&'static str>,
    /// Bandit's test name (`pytorch_load`), accepted by `# nosec`.
    pub(crate) bandit_name: Option<&'static str>,
    /// ruff's codes for the same check.
    pub(crate) ruff: &'static [&'static str],
    /// `None` when the rule never fixes.
    pub(crate) fix_safety: Option<crate::fix::edit::FixSafety>,
    /// How serious a finding is: Bandit's severity for its test.
    pub(crate) severity: Severity,
    /// One line for tables.
    pub(crate) summary: &'static str,
    /// The user documentation: the rule type's doc comment, verbatim.
    pub(crate) doc: &'static str,
    /// The callees whose calls the rule judges: a call reaches
    /// [`Rule::check_call`] when the last name of its callee, as written
    /// (`load` in `th.load`) or as resolved (`tl` bound by `from torch import
    /// load as tl`), is one of these.
    pub(crate) calls: &'static [&'static str],
    /// A rule that matches something other than calls has its own query,
    /// from `queries/<rule>.scm`, and names the statements it can match.
    pub(crate) query: Option<Query>,
    /// The words a match needs in code (see [`crate::prefilter`]); a file
    /// in which no enabled rule can match is not parsed.
    pub(crate) triggers: crate::pipeline::prefilter::Triggers,
}

/// A rule's own query and the statements it can match, so that only
/// those are parsed.
#[derive(Debug)]
pub(crate) struct Query {
    /// The tree-sitter query, from `queries/<rule>.scm`.
    pub(crate) source: &'static str,
    /// What the query matches, as found in the CPython-faithful AST.
    pub(crate) matches: QueryTarget,
}

/// The kinds of node a rule's own query can match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QueryTarget {
    /// `except:` clauses that name no exception type.
    BareHandlers,
    /// `except` clauses whose whole body is one `pass`, `...` or `continue`.
    SwallowingHandlers,
    /// Calls of any callee that pass this keyword argument (`shell=`), for a
    /// rule that judges a keyword rather than a function.
    CallsWithKeyword(&'static str),
    /// String literals (plain, or f-strings) whose value, or one of whose
    /// literal parts, contains one of these texts. The range is the whole
    /// expression, every part of an implicit concatenation included.
    StringsContaining(&'static [&'static str]),
    /// These characters, wherever they are (in strings and comments: in code
    /// they do not parse). Each is read with the statement around it, or
    /// with its own lines between statements.
    Characters(&'static [char]),
}

/// Bandit's severity scale, used for SARIF levels and annotations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Severity {
    High,
    Medium,
    Low,
}

impl Severity {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }

    /// The SARIF result level: `error` for high, `warning` for medium, `note` for low.
    pub(crate) fn sarif_level(self) -> &'static str {
        match self {
            Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low => "note",
        }
    }

    /// GitHub code scanning's `security-severity` score (its high, medium and low bands).
    pub(crate) fn security_score(self) -> &'static str {
        match self {
            Severity::High => "8.0",
            Severity::Medium => "5.5",
            Severity::Low => "3.0",
        }
    }
}

/// A rule: its metadata and its decisions. Public only so that tests can
/// hand `rules::all()` to `RuleSet::new`; its methods take crate-internal types.
#[allow(private_interfaces)]
pub trait Rule: Sync + Send {
    fn meta(&self) -> &'static RuleMeta;

    /// A call whose callee [`RuleMeta::calls`] names: a finding or nothing.
    fn check_call(&self, _cx: &FileContext<'_>, _site: &CallSite<'_>) -> Option<Finding> {
        None
    }

    /// Before any tree-sitter parse: can a call whose callee [`RuleMeta::calls`]
    /// names, and that resolves to `callee` in the CPython-faithful AST, be a
    /// finding? `false` only where [`Rule::check_call`] would certainly return
    /// nothing, so the call's statement need not be parsed for it.
    fn may_judge(
        &self,
        _model: &SemanticModel<'_>,
        _call: &ast::ExprCall,
        _callee: Option<&Resolved>,
        _memo: &Memo,
    ) -> bool {
        true
    }

    /// A match of the rule's own query.
    fn check_match(&self, _cx: &FileContext<'_>, _captures: &Captures<'_, '_>) -> Option<Finding> {
        None
    }

    /// Can the rule's findings depend on other files (the project index)?
    /// For readers of the rule: the pipeline notices every read of the
    /// index itself, and analyses a file whose analysis read it again once
    /// the whole index is built.
    fn reads_index(&self) -> bool {
        false
    }
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
        &weak_hash::WeakHash,
        &yaml_load::YamlLoad,
        &tarfile_extract::TarfileExtract,
        &subprocess_shell::SubprocessShell,
        &call_with_shell::CallWithShell,
        &start_process_with_shell::StartProcessWithShell,
        &jinja2_autoescape::Jinja2Autoescape,
        &pickle_load::PickleLoad,
        &eval_used::EvalUsed,
        &exec_used::ExecUsed,
        &hardcoded_tmp::HardcodedTmp,
        &bind_all_interfaces::BindAllInterfaces,
        &chmod_permissive::ChmodPermissive,
        &urlopen_scheme::UrlopenScheme,
        &xml_parse::CELEMENTTREE,
        &xml_parse::ELEMENTTREE,
        &xml_parse::EXPATREADER,
        &xml_parse::EXPATBUILDER,
        &xml_parse::SAX,
        &xml_parse::MINIDOM,
        &xml_parse::PULLDOM,
        &trojan_source::TrojanSource,
    ]
}

/// Declares a rule type whose `///` doc comment is also the text
/// `remediate rules` prints, so the two cannot drift apart.
#[macro_export]
macro_rules! documented_rule {
    ($(#[doc = $doc:literal])* $vis:vis struct $name:ident;) => {
        $(#[doc = $doc])*
        $vis struct $name;
        impl $name {
            pub(crate) const DOC: &'static str = concat!($($doc, "\n"),*);
        }
    };
}

impl RuleMeta {
    /// The doc comment as Markdown, without the one-space indent `///` leaves.
    pub(crate) fn documentation(&self) -> String {
        self.doc.lines().map(|l| l.strip_prefix(' ').unwrap_or(l)).collect::<Vec<_>>().join("\n")
    }

    /// Does `token` (an id, a Bandit id or test name, a ruff code) name this rule?
    pub(crate) fn is_named_by(&self, token: &str) -> bool {
        let t = token.trim();
        t.eq_ignore_ascii_case(self.id)
            || self.bandit.is_some_and(|b| b.eq_ignore_ascii_case(t))
            || self.bandit_name.is_some_and(|b| b.eq_ignore_ascii_case(t))
            || self.ruff.iter().any(|r| r.eq_ignore_ascii_case(t))
    }
}

/// The rules `--select` and `--ignore` leave enabled; an unknown name is an error.
pub(crate) fn selected(select: &[String], ignore: &[String]) -> anyhow::Result<Vec<&'static dyn Rule>> {
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
