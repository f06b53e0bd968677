//! Shared analysis of Python source, in one place for every rule and
//! command: parsing (`parse`: ruff's CPython-faithful parser for the whole
//! file, tree-sitter for the statements under analysis), the one scope and
//! binding model (`model`), line geometry (`lines`) and encoding
//! declarations (`coding`), the module's imports (`imports`), views of a
//! call (`call`), an `except` clause (`except_clause`), a Hugging Face
//! download (`hub_call`), an HTTP client (`http_client`) and any object
//! judged by the call that made it (`bound_object`), suppression comments
//! (`suppress`), words that mark a secret (`secret_words`), the
//! verification of rewrites (`verify`), shell command words as
//! `shlex.split` reads them (`shell_words`), calls that run a shell and
//! commands that need none (`shell_call`), Python literals written and
//! judged (`literal`), what a `torch.save` stores (`payload`), where a
//! run-time value comes from (`provenance`), Trojan Source
//! bidirectional controls (`bidi`), string literals as Bandit and ruff
//! read them (`strings`), and identifiers as CPython normalizes them
//! (`names`), and callees bound to a `functools.partial` (`partial`).

pub(crate) mod bidi;
pub(crate) mod bound_object;
pub(crate) mod call;
pub(crate) mod coding;
pub(crate) mod except_clause;
pub(crate) mod facts;
pub(crate) mod flow;
pub(crate) mod http_client;
pub(crate) mod hub_call;
pub(crate) mod imports;
pub(crate) mod lines;
pub(crate) mod literal;
pub(crate) mod load_site;
pub(crate) mod model;
pub(crate) mod names;
pub mod parse;
pub(crate) mod partial;
pub(crate) mod payload;
pub(crate) mod provenance;
pub(crate) mod secret_words;
pub(crate) mod shell_call;
pub(crate) mod shell_words;
pub(crate) mod stdlib;
pub(crate) mod strings;
pub(crate) mod suppress;
pub(crate) mod verify;
