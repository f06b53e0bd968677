//! Shared analysis of Python source, in one place for every rule and
//! command: parsing (`parse`: ruff's CPython-faithful parser for the whole
//! file, tree-sitter for the statements under analysis), the one scope and
//! binding model (`model`), line geometry (`lines`) and encoding
//! declarations (`coding`), the module's imports (`imports`), views of a
//! call (`call`), an `except` clause (`except_clause`), a Hugging Face
//! download (`hub_call`) and an HTTP client (`http_client`), suppression
//! comments (`suppress`), the verification of rewrites (`verify`), shell
//! command words as `shlex.split` reads them (`shell_words`), Trojan
//! Source bidirectional controls (`bidi`), and string literals as Bandit
//! and ruff read them (`strings`).

pub mod bidi;
pub mod call;
pub mod coding;
pub mod except_clause;
pub mod flow;
pub mod http_client;
pub mod hub_call;
pub mod imports;
pub mod lines;
pub mod model;
pub mod parse;
pub mod shell_words;
pub mod strings;
pub mod suppress;
pub mod verify;
