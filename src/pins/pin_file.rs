//! Editing `model_revisions.yaml` as text, so that `models --format yaml`
//! and `lock` keep the user's entries, their order and their comments.
//! Every edit is checked by parsing the result; when the file's layout is
//! one the line editor does not handle (flow mappings, unusual quoting), the
//! whole file is written anew, keeping entries and order but not comments.

use std::path::Path;

use anyhow::{Context, Result};

use crate::config::{ModelPin, ModelRevisions, Revision};

/// The pins file: its text as read and the pins it must hold once edited.
#[derive(Debug)]
pub(crate) struct PinFile {
    /// The text as read; empty for a file that does not exist yet.
    original: String,
    /// What the file holds now, with the edits applied.
    pub(crate) revisions: ModelRevisions,
    /// Edits in the order they were made.
    edits: Vec<PinEdit>,
}

#[derive(Debug, Clone)]
enum PinEdit {
    /// A new entry, with a comment after its revision.
    Add { id: String, pin: ModelPin, note: Option<String> },
    /// A new revision for an existing entry, with a comment that replaces
    /// [`UNLOCKED_NOTE`] (a comment of the user's is kept).
    Update { id: String, revision: String, note: Option<String> },
}

/// The comment `models --format yaml` puts on an entry that is not a
/// commit yet; `lock` replaces it.
pub(crate) const UNLOCKED_NOTE: &str = "not a commit yet: run `remediate lock`";

impl PinFile {
    /// Reads and validates `path`; a missing file is an empty one.
    pub(crate) fn open(path: &Path) -> Result<PinFile> {
        let (original, revisions) = if path.exists() {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            (text, ModelRevisions::load(path)?)
        } else {
            (String::new(), ModelRevisions { path: Some(path.to_owned()), ..ModelRevisions::default() })
        };
        Ok(PinFile { original, revisions, edits: Vec::new() })
    }

    pub(crate) fn original(&self) -> &str {
        &self.original
    }

    /// Adds an entry for `id`, which must not have one yet.
    pub(crate) fn add(&mut self, id: &str, pin: ModelPin, note: Option<&str>) {
        debug_assert!(self.revisions.exact(id).is_none());
        self.revisions.pins.push((id.to_owned(), pin.clone()));
        self.edits.push(PinEdit::Add { id: id.to_owned(), pin, note: note.map(str::to_owned) });
    }

    /// Sets the revision of `id`, adding an entry when it has none.
    pub(crate) fn set_revision(
        &mut self,
        id: &str,
        revision: &str,
        trust_remote_code: Option<bool>,
        note: Option<&str>,
    ) {
        match self.revisions.pins.iter_mut().find(|(k, _)| k == id) {
            Some((_, pin)) => {
                pin.revision = Revision(revision.to_owned());
                self.edits.push(PinEdit::Update {
                    id: id.to_owned(),
                    revision: revision.to_owned(),
                    note: note.map(str::to_owned),
                });
            }
            None => self.add(id, ModelPin::new(revision, trust_remote_code), note),
        }
    }

    /// The file's new text: the original edited line by line when that
    /// gives exactly the pins expected, else the whole file rendered anew.
    pub(crate) fn render(&self) -> String {
        if self.edits.is_empty() && !self.original.trim().is_empty() {
            return self.original.clone();
        }
        edit_in_place(&self.original, &self.edits)
            .filter(|text| parses_to(text, &self.revisions))
            .unwrap_or_else(|| render_whole(&self.revisions, &self.edits))
    }
}

fn parses_to(text: &str, expected: &ModelRevisions) -> bool {
    let Ok(dir) = tempfile::tempdir() else { return false };
    let path = dir.path().join("model_revisions.yaml");
    if std::fs::write(&path, text).is_err() {
        return false;
    }
    ModelRevisions::load(&path).is_ok_and(|r| r.pins == expected.pins && r.default == expected.default)
}

/// A YAML double-quoted scalar (JSON's escaping is valid YAML).
fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

fn entry_lines(id: &str, pin: &ModelPin, note: Option<&str>, indent: &str, step: &str, newline: &str) -> String {
    let note = note.map_or(String::new(), |n| format!("  # {n}"));
    let mut out = format!("{indent}{}:{newline}", quote(id));
    out += &format!("{indent}{step}revision: {}{note}{newline}", quote(&pin.revision.0));
    if let Some(trust) = pin.trust_remote_code {
        out += &format!("{indent}{step}trust_remote_code: {trust}{newline}");
    }
    for (key, value) in &pin.extra {
        // JSON is YAML's flow style: any value fits on the key's line.
        let written = serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned());
        out += &format!("{indent}{step}{}: {written}{newline}", quote(key));
    }
    out
}

fn render_whole(revisions: &ModelRevisions, edits: &[PinEdit]) -> String {
    let note_of = |id: &str| {
        edits.iter().rev().find_map(|e| match e {
            PinEdit::Add { id: edited, note, .. } | PinEdit::Update { id: edited, note, .. } if edited == id => {
                note.as_deref()
            }
            _ => None,
        })
    };
    let mut out =
        String::from("# Hugging Face revision pins: repository id -> revision (a commit SHA, tag or branch).\n");
    out += "model_revisions:\n";
    for (id, pin) in &revisions.pins {
        out += &entry_lines(id, pin, note_of(id), "  ", "  ", "\n");
    }
    if let Some(default) = &revisions.default {
        out += &entry_lines("default", default, None, "  ", "  ", "\n").replacen("\"default\"", "default", 1);
    }
    out
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '\t']).len()
}

fn is_content(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#')
}

/// The key of a block-mapping line (`  "org/m":` → `org/m`), if the line is
/// one whose value continues on the next lines.
fn block_key(line: &str) -> Option<String> {
    let t = line.trim();
    let (key, rest) = if let Some(q) = t.strip_prefix('"') {
        let end = q.find('"')?;
        if q[..end].contains('\\') {
            return None;
        }
        (q[..end].to_owned(), &q[end + 1..])
    } else if let Some(q) = t.strip_prefix('\'') {
        let end = q.find('\'')?;
        (q[..end].to_owned(), &q[end + 1..])
    } else {
        let end = t.find(':')?;
        (t[..end].trim_end().to_owned(), &t[end..])
    };
    let rest = rest.trim_start().strip_prefix(':')?.trim();
    (rest.is_empty() || rest.starts_with('#')).then_some(key)
}

/// Applies the edits to the text line by line; `None` when the layout is
/// not the plain block style this understands.
fn edit_in_place(original: &str, edits: &[PinEdit]) -> Option<String> {
    if original.trim().is_empty() {
        return None;
    }
    let newline = if original.contains("\r\n") { "\r\n" } else { "\n" };
    let mut lines: Vec<String> = original.lines().map(str::to_owned).collect();
    let header = lines
        .iter()
        .position(|l| l.starts_with("model_revisions") && block_key(l).as_deref() == Some("model_revisions"))?;
    let block_end =
        (header + 1..lines.len()).find(|&i| is_content(&lines[i]) && indent_of(&lines[i]) == 0).unwrap_or(lines.len());
    let first_entry = (header + 1..block_end).find(|&i| is_content(&lines[i]));
    let indent_width = first_entry.map_or(2, |i| indent_of(&lines[i]));
    let indent = first_entry.map_or("  ".to_owned(), |i| lines[i][..indent_width].to_owned());
    // The entries: (line index, key), at the mapping's own indentation.
    let entries = |lines: &[String], end: usize| -> Vec<(usize, Option<String>)> {
        (header + 1..end)
            .filter(|&i| is_content(&lines[i]) && indent_of(&lines[i]) == indent_width)
            .map(|i| (i, block_key(&lines[i])))
            .collect()
    };
    let mut block_end = block_end;
    for edit in edits {
        let current = entries(&lines, block_end);
        if current.iter().any(|(_, key)| key.is_none()) {
            return None;
        }
        match edit {
            PinEdit::Update { id, revision, note } => {
                let position = current.iter().position(|(_, key)| key.as_deref() == Some(id))?;
                let start = current[position].0 + 1;
                let end = current.get(position + 1).map_or(block_end, |(i, _)| *i);
                let line =
                    (start..end).find(|&i| is_content(&lines[i]) && lines[i].trim_start().starts_with("revision:"))?;
                let text = &lines[line];
                let value_start = text.find("revision:")? + "revision:".len();
                let after = &text[value_start..];
                // The comment with the blanks before it, as written.
                let mut comment =
                    after.find(" #").map_or(String::new(), |c| after[after[..c].trim_end().len()..].to_owned());
                let ours = comment.trim().strip_prefix('#').is_some_and(|c| c.trim() == UNLOCKED_NOTE);
                if let (Some(note), true) = (note, comment.is_empty() || ours) {
                    comment = format!("  # {note}");
                }
                lines[line] = format!("{} {}{}", &text[..value_start], quote(revision), comment);
            }
            PinEdit::Add { id, pin, note } => {
                let step = if indent.contains('\t') { "\t" } else { "  " };
                let text = entry_lines(id, pin, note.as_deref(), &indent, step, "\n");
                // New entries go before `default`, else after the last entry.
                let at = match current.iter().find(|(_, key)| key.as_deref() == Some("default")) {
                    Some((i, _)) => *i,
                    None => (header..block_end).rev().find(|&i| is_content(&lines[i])).map_or(header + 1, |i| i + 1),
                };
                let added: Vec<String> = text.lines().map(str::to_owned).collect();
                block_end += added.len();
                lines.splice(at..at, added);
            }
        }
    }
    Some(lines.join(newline) + newline)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pin(rev: &str) -> ModelPin {
        ModelPin::new(rev, Some(false))
    }

    fn file(text: &str) -> (tempfile::TempDir, PinFile) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model_revisions.yaml");
        std::fs::write(&path, text).unwrap();
        let file = PinFile::open(&path).unwrap();
        (dir, file)
    }

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn updates_keep_comments_order_and_quotes() {
        let (_d, mut f) = file(
            "# pins\nmodel_revisions:\n  # production\n  \"b/m\":\n    revision: main  # follow main\n    trust_remote_code: false\n  a/m:\n    revision: v1\n  default:\n    revision: main\n",
        );
        f.set_revision("b/m", SHA, None, Some("from main"));
        f.set_revision("a/m", SHA, None, Some("from v1"));
        f.add("c/m", pin("main"), Some("not pinned yet"));
        assert_eq!(
            f.render(),
            format!(
                "# pins\nmodel_revisions:\n  # production\n  \"b/m\":\n    revision: \"{SHA}\"  # follow main\n    trust_remote_code: false\n  a/m:\n    revision: \"{SHA}\"  # from v1\n  \"c/m\":\n    revision: \"main\"  # not pinned yet\n    trust_remote_code: false\n  default:\n    revision: main\n"
            )
        );
    }

    #[test]
    fn lock_replaces_its_own_note_only() {
        let note = UNLOCKED_NOTE;
        let (_d, mut f) =
            file(&format!("model_revisions:\n  a:\n    revision: main  # {note}\n  b:\n    revision: main  # mine\n"));
        f.set_revision("a", SHA, None, Some("from main"));
        f.set_revision("b", SHA, None, Some("from main"));
        assert_eq!(
            f.render(),
            format!(
                "model_revisions:\n  a:\n    revision: \"{SHA}\"  # from main\n  b:\n    revision: \"{SHA}\"  # mine\n"
            )
        );
    }

    #[test]
    fn appends_after_the_last_entry_without_default() {
        let (_d, mut f) = file("model_revisions:\n    gpt2:\n        revision: main\n\n# trailing note\n");
        f.set_revision("org/x", SHA, Some(true), None);
        let text = f.render();
        assert!(
            text.starts_with("model_revisions:\n    gpt2:\n        revision: main\n    \"org/x\":\n      revision:"),
            "{text}"
        );
        assert!(text.ends_with("# trailing note\n"), "{text}");
    }

    #[test]
    fn flow_style_is_rewritten_whole_in_order() {
        let (_d, mut f) = file("model_revisions: {gpt2: {revision: main}, a/b: {revision: v2}}\n");
        f.set_revision("gpt2", SHA, None, None);
        f.add("z/z", pin("main"), None);
        let text = f.render();
        assert!(parses_to(&text, &f.revisions), "{text}");
        let order: Vec<_> = f.revisions.pins.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(order, ["gpt2", "a/b", "z/z"]);
        assert!(text.find("gpt2").unwrap() < text.find("a/b").unwrap());
    }

    #[test]
    fn a_whole_rewrite_keeps_the_users_own_keys() {
        let text = "model_revisions: {gpt2: {revision: main, notes: \"eval only: see #12\", owners: [a, b]}}\n";
        let (_d, mut f) = file(text);
        f.set_revision("gpt2", SHA, None, None);
        let written = f.render();
        assert!(parses_to(&written, &f.revisions), "{written}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model_revisions.yaml");
        std::fs::write(&path, &written).unwrap();
        let loaded = ModelRevisions::load(&path).unwrap();
        let extra = &loaded.exact("gpt2").unwrap().extra;
        assert_eq!(extra[0], ("notes".to_owned(), serde_yaml::Value::from("eval only: see #12")));
        assert_eq!(extra[1].0, "owners");
    }

    #[test]
    fn a_new_file_is_rendered_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = PinFile::open(&dir.path().join("none.yaml")).unwrap();
        f.add("1234567", pin("1234567"), None);
        let text = f.render();
        assert!(parses_to(&text, &f.revisions), "{text}");
        assert!(text.contains("\"1234567\":\n    revision: \"1234567\""), "{text}");
    }
}
