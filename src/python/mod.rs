//! Shared analysis of Python source: what names refer to (`imports`), the
//! parts of a call (`call`), of an `except` clause (`except_clause`), of a
//! Hugging Face download (`hub_call`), where an HTTP client comes from
//! (`http_client`), and suppression comments (`suppress`). Rules read these
//! instead of re-deriving them.

pub mod call;
pub mod except_clause;
pub mod http_client;
pub mod hub_call;
pub mod imports;
pub mod suppress;
