//! Identifiers as CPython reads them: the tokenizer normalizes every
//! non-ASCII identifier with NFKC (PEP 3131), so `torch.𝐥𝐨𝐚𝐝` is
//! `torch.load` and `ｔｉｍｅｏｕｔ=5` passes `timeout`. ruff's parser does the
//! same for the semantic model; names read from tree-sitter's tree (callees,
//! keyword names) go through [`nfkc`] before they are compared. Edits still
//! use the tree's byte ranges, so the original spelling is what is edited.

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;

/// `name` as CPython binds it: unchanged when ASCII (almost always),
/// NFKC-normalized otherwise.
pub(crate) fn nfkc(name: &str) -> Cow<'_, str> {
    if name.is_ascii() {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(name.nfkc().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compatibility_forms_fold_to_ascii() {
        assert_eq!(nfkc("load"), "load");
        assert!(matches!(nfkc("load"), Cow::Borrowed(_)));
        assert_eq!(nfkc("\u{1d425}\u{1d428}\u{1d41a}\u{1d41d}"), "load");
        assert_eq!(nfkc("\u{ff54}imeout"), "timeout");
        assert_eq!(nfkc("données"), "données");
    }
}
