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

pub mod bidi;
pub mod bound_object;
pub mod call;
pub mod coding;
pub mod except_clause;
pub mod facts;
pub mod flow;
pub mod http_client;
pub mod hub_call;
pub mod imports;
pub mod lines;
pub mod literal;
pub mod load_site;
pub mod model;
pub mod names;
pub mod parse;
pub mod partial;
pub mod payload;
pub mod provenance;
pub mod secret_words;
pub mod shell_call;
pub mod shell_words;
pub mod stdlib;
pub mod strings;
pub mod suppress;
pub mod verify;
