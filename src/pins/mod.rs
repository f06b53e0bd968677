//! The Hugging Face pins file and the commands that keep it: the inventory
//! of downloads (`remediate models`), resolving references to commits
//! (`remediate lock`), and editing the YAML in place (`pin_file`).

pub mod inventory;
pub mod lock;
pub mod pin_file;
pub mod pin_module;
