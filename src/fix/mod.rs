//! Fixes as plain data and the helpers every rule shares to make them:
//! edits (`edit`: a byte range of the decoded text and its replacement),
//! keyword arguments added in any layout (`keyword`), an argument
//! removed (`argument`), imports and other
//! top-of-module lines (`import`), the logging fix of the except rules
//! (`logging`), and suppression directives at the end of a line
//! (`comment`). One engine applies and verifies them.

pub(crate) mod argument;
pub(crate) mod comment;
pub mod edit;
pub(crate) mod import;
pub(crate) mod keyword;
pub(crate) mod line_length;
pub(crate) mod logging;
pub(crate) mod statement;
