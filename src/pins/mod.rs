//! The Hugging Face pins file and the commands that keep it: the inventory
//! of downloads (`remediate models`), resolving references to commits
//! (`remediate lock`), and editing the YAML in place (`pin_file`).

pub(crate) mod inventory;
pub(crate) mod lock;
pub(crate) mod pin_file;
pub(crate) mod pin_module;
