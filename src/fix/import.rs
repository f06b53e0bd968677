//! Adding an import (or any top-of-module line, such as a logger) where
//! Python reads it before the code that needs it, without disturbing what
//! must stay first: in the leading import block, else after the module
//! docstring, else after the shebang, licence comments and the PEP 263
//! encoding line (which must stay on line 1 or 2).
//!
//! In the block, an import goes to its isort group: a standard-library
//! module after the last standard-library import that comes before any
//! other (or, when there is none, on its own line before the first
//! third-party import); a third-party module after the last import of the
//! first group (imports between blank lines) that holds a third-party one,
//! so that it lands before first-party and relative imports in a sorted
//! file; anything else, and any line that is not an import, after the
//! whole block. `from __future__` imports stay first.

use ruff_python_ast::Stmt;
use ruff_text_size::{Ranged, TextSize};

use crate::fix::edit::Edit;
use crate::pipeline::prefilter::find_words;
use crate::python::coding::declaration_end;
use crate::python::imports::{self, import_block, is_future_import};
use crate::python::lines::{line_end, line_start};
use crate::python::model::{Origin, SemanticModel};
use crate::python::parse::text_size;
use crate::python::stdlib;
use crate::rules::FileContext;

/// The edit that adds `statement` (one or more lines, joined by `newline`)
/// to the module's top, or why it cannot go there.
pub(crate) fn add_import(body: &[Stmt], src: &str, newline: &str, statement: &str) -> Result<Edit, String> {
    let block = import_block(body);
    let imports: Vec<&Stmt> = body
        .iter()
        .skip(usize::from(block.docstring.is_some()))
        .take_while(|s| matches!(s, Stmt::Import(_) | Stmt::ImportFrom(_)))
        .collect();
    if let Some(edit) = in_group(&imports, src, newline, statement) {
        return Ok(edit);
    }
    match block.last_import.or(block.docstring) {
        Some(anchor) => insert_after(anchor, src, newline, statement),
        None => Ok(Edit::insert(header_end(src), format!("{statement}{newline}"))),
    }
}

/// The kind of module an import names, in isort's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Future,
    Stdlib,
    ThirdParty,
    /// Relative imports (`from . import x`).
    Local,
}

/// The group of a single-line `import m` / `from m import x` statement;
/// `None` for anything else.
fn group_of_statement(statement: &str) -> Option<Group> {
    if statement.contains(['\n', '\r', ';']) {
        return None;
    }
    let module = match statement.strip_prefix("import ") {
        Some(rest) => rest.split([',', ' ']).next()?,
        None => statement.strip_prefix("from ")?.split(' ').next()?,
    };
    Some(group_of_module(module))
}

fn group_of_module(module: &str) -> Group {
    match module {
        "__future__" => Group::Future,
        _ if module.starts_with('.') => Group::Local,
        _ if stdlib::is_stdlib(module) => Group::Stdlib,
        _ => Group::ThirdParty,
    }
}

fn group_of(statement: &Stmt) -> Group {
    match statement {
        Stmt::ImportFrom(i) if i.level > 0 => Group::Local,
        Stmt::ImportFrom(i) => group_of_module(i.module.as_ref().map_or("", |m| m.as_str())),
        Stmt::Import(i) => i.names.first().map_or(Group::ThirdParty, |a| group_of_module(a.name.as_str())),
        _ => Group::Local,
    }
}

/// The edit that puts `statement` in its group of `imports` (the leading
/// import block), when the module documentation's rules place it there.
fn in_group(imports: &[&Stmt], src: &str, newline: &str, statement: &str) -> Option<Edit> {
    let group = group_of_statement(statement)?;
    let groups: Vec<Group> = imports.iter().map(|s| group_of(s)).collect();
    match group {
        Group::Stdlib => {
            let first_other = groups.iter().position(|g| matches!(g, Group::ThirdParty | Group::Local));
            let before = &groups[..first_other.unwrap_or(groups.len())];
            match (before.iter().rposition(|g| *g == Group::Stdlib), first_other) {
                (Some(last), _) => insert_after(imports[last], src, newline, statement).ok(),
                (None, Some(first)) => own_group_before(imports[first], src, newline, statement),
                (None, None) => None,
            }
        }
        Group::ThirdParty => {
            let runs = runs(imports, src);
            let run = runs.iter().find(|run| run.iter().any(|&i| groups[i] == Group::ThirdParty))?;
            insert_after(imports[*run.last()?], src, newline, statement).ok()
        }
        Group::Future | Group::Local => None,
    }
}

/// `statement` on its own line before `first`, then a blank line: a new
/// group before the block's first third-party import.
fn own_group_before(first: &Stmt, src: &str, newline: &str, statement: &str) -> Option<Edit> {
    let start = first.start().to_usize();
    let line = line_start(src, start);
    src[line..start].is_empty().then(|| Edit::insert(line, format!("{statement}{newline}{newline}")))
}

/// The indexes of `imports` in runs of consecutive lines: a blank or
/// comment line between two imports starts a new run.
fn runs(imports: &[&Stmt], src: &str) -> Vec<Vec<usize>> {
    let mut runs: Vec<Vec<usize>> = Vec::new();
    for (i, statement) in imports.iter().enumerate() {
        let joined = i > 0 && {
            let gap = &src[imports[i - 1].end().to_usize()..statement.start().to_usize()];
            gap.matches('\n').count() <= 1 && !gap.contains('#')
        };
        match (joined, runs.last_mut()) {
            (true, Some(run)) => run.push(i),
            _ => runs.push(vec![i]),
        }
    }
    runs
}

/// How code inserted at `at` names `module.name`, and the import edit (with
/// a note for the fix's title) when one is needed: an existing binding of
/// the module or the name; else the name added to the file's top-level
/// `from module import …` (when the file spells `name` nowhere else); else
/// `import module`, unless `module` already names something else or is
/// imported only conditionally (an optional dependency must stay optional).
pub(crate) fn name_for(
    cx: &FileContext<'_>,
    at: usize,
    module: &str,
    name: &str,
) -> Result<(String, Option<(Edit, String)>), String> {
    let at_size = text_size(at);
    if let Some(reference) = imports::reference(cx.model, module, name, at_size) {
        return Ok((reference, None));
    }
    let body = &cx.model.module.body;
    if !contains_word(cx.src, name) {
        // The file's top-level `from module import …`, directly in the module body.
        let statement = imports::from_import_of(body, module).filter(|s| s.range.end().to_usize() <= at);
        if let Some(last) = statement.and_then(|s| s.names.last()) {
            let edit = Edit::insert(last.range.end().to_usize(), format!(", {name}"));
            return Ok((name.to_owned(), Some((edit, format!("; import `{name}` from `{module}`")))));
        }
    }
    match cx.model.resolve(module, at_size) {
        Some(r) if r.qualified == module && matches!(r.origin, Origin::Imported | Origin::Unbound) => {}
        _ => return Err(format!("`{module}` names something else in this file; fix it by hand")),
    }
    // An import of `module` only under `try`, `if` or in a function means
    // it is optional or deliberately lazy; a new top-level import would
    // make it required.
    if !imports::imports_unconditionally(body, module) {
        return Err(format!(
            "`{module}` is not imported unconditionally at the top of this file; adding `import {module}` could make an optional dependency required"
        ));
    }
    let edit = add_import(body, cx.src, cx.newline, &format!("import {module}"))?;
    Ok((format!("{module}.{name}"), Some((edit, format!("; add `import {module}`")))))
}

/// `word` as a whole identifier anywhere in `src` (code, strings or comments).
pub(crate) fn contains_word(src: &str, word: &str) -> bool {
    crate::pipeline::prefilter::find_words(src.as_bytes(), word).next().is_some()
}

/// The edit that adds `statement` after `anchor`'s line; or, when more code follows it on that line
/// (`from x import y; DOC = """...`), before it, where the new line cannot
/// land inside that code.
pub(crate) fn insert_after(anchor: &Stmt, src: &str, newline: &str, statement: &str) -> Result<Edit, String> {
    let end = anchor.end().to_usize();
    let rest = src[end..line_end(src, end)].trim_start_matches([' ', '\t', '\x0c']);
    if rest.is_empty() || rest.starts_with('#') {
        return Ok(Edit::insert(line_end(src, end), format!("{newline}{statement}")));
    }
    let start = anchor.start().to_usize();
    let line = line_start(src, start);
    let begins_line = src[line..start].trim_matches([' ', '\t', '\x0c']).is_empty();
    let is_import = matches!(anchor, Stmt::Import(_) | Stmt::ImportFrom(_));
    if !is_import || is_future_import(anchor) || !begins_line {
        return Err("the module's last import shares its line with other code; add the import by hand".into());
    }
    Ok(Edit::insert(line, format!("{statement}{newline}")))
}

/// How inserted code at `at` names `module.name` from the standard library
/// (always importable, so a new import never adds a dependency), and the
/// import edit when one is needed, in the file's style: an existing binding
/// (`ast.literal_eval` after `import ast`, `literal_eval` after `from ast
/// import literal_eval`); else the name added to the file's top-level `from
/// module import ...` when the file spells it nowhere; else `import module`.
/// Refused when `module` names something else where the code goes.
pub(crate) fn stdlib_name(
    model: &SemanticModel<'_>,
    src: &str,
    newline: &str,
    module: &str,
    name: &str,
    at: TextSize,
) -> Result<(String, Option<Edit>), String> {
    if let Some(reference) = imports::reference(model, module, name, at) {
        return Ok((reference, None));
    }
    let body = &model.module.body;
    let spelled = find_words(src.as_bytes(), name).next().is_some();
    let holder = model.top_level_statement(at).map_or(at, |s| s.start());
    let from_import = imports::from_import_of(body, module).filter(|s| s.end() <= holder);
    if let (false, Some(last)) = (spelled, from_import.and_then(|s| s.names.last())) {
        return Ok((name.to_owned(), Some(Edit::insert(last.end().to_usize(), format!(", {name}")))));
    }
    match model.resolve(module, at) {
        Some(r) if r.qualified == module && matches!(r.origin, Origin::Imported | Origin::Unbound) => {}
        _ => return Err(format!("`{module}` names something else here; fix it by hand")),
    }
    let edit = add_import(body, src, newline, &format!("import {module}"))?;
    Ok((format!("{module}.{name}"), Some(edit)))
}

/// The offset after leading comment lines (shebang, licence header) and
/// after the PEP 263 encoding line wherever it is on line 1 or 2.
fn header_end(src: &str) -> usize {
    let mut pos = 0;
    while pos < src.len() && src[pos..].starts_with('#') {
        pos = src[pos..].find('\n').map_or(src.len(), |i| pos + i + 1);
    }
    pos.max(declaration_end(src).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fix::edit::apply;
    use crate::python::model::SemanticModel;
    use crate::python::parse::{parse_module, PythonVersion};

    fn added(src: &str) -> Result<String, String> {
        let parsed = parse_module(src, PythonVersion::latest());
        let edit = add_import(&parsed.syntax().body, src, "\n", "import logging")?;
        Ok(apply(src, &[edit]).unwrap())
    }

    #[test]
    fn after_the_imports_the_docstring_or_the_header() {
        assert_eq!(added("import os\nx = 1\n").unwrap(), "import os\nimport logging\nx = 1\n");
        assert_eq!(added("'''doc'''\nx = 1\n").unwrap(), "'''doc'''\nimport logging\nx = 1\n");
        assert_eq!(
            added("#!/usr/bin/env python\n# licence\nx = 1\n").unwrap(),
            "#!/usr/bin/env python\n# licence\nimport logging\nx = 1\n"
        );
        assert_eq!(added("import os  # why\nx = 1\n").unwrap(), "import os  # why\nimport logging\nx = 1\n");
    }

    fn adding(src: &str, statement: &str) -> String {
        let parsed = parse_module(src, PythonVersion::latest());
        let edit = add_import(&parsed.syntax().body, src, "\n", statement).unwrap();
        apply(src, &[edit]).unwrap()
    }

    #[test]
    fn imports_join_their_isort_group() {
        let src = "import os\nimport sys\n\nimport numpy as np\nimport torch\n\nfrom mypkg import data\nfrom . import utils\n\nx = 1\n";
        assert_eq!(
            adding(src, "import logging"),
            "import os\nimport sys\nimport logging\n\nimport numpy as np\nimport torch\n\nfrom mypkg import data\nfrom . import utils\n\nx = 1\n"
        );
        assert_eq!(
            adding(src, "from torch.serialization import add_safe_globals"),
            "import os\nimport sys\n\nimport numpy as np\nimport torch\nfrom torch.serialization import add_safe_globals\n\nfrom mypkg import data\nfrom . import utils\n\nx = 1\n"
        );
        // No standard-library import yet: a group of its own, first.
        assert_eq!(
            adding("from __future__ import annotations\nimport torch\nx = 1\n", "import logging"),
            "from __future__ import annotations\nimport logging\n\nimport torch\nx = 1\n"
        );
        // Lines that are not a lone import still go after the whole block.
        assert_eq!(
            adding("import os\nimport torch\nx = 1\n", "import logging\nlogger = logging.getLogger(__name__)"),
            "import os\nimport torch\nimport logging\nlogger = logging.getLogger(__name__)\nx = 1\n"
        );
        assert_eq!(adding("import torch\n", "import jinja2"), "import torch\nimport jinja2\n");
    }

    #[test]
    fn whole_words_only() {
        assert!(contains_word("x = Timeout(1)", "Timeout"));
        assert!(!contains_word("x = ReadTimeout(1)", "Timeout"));
        assert!(!contains_word("x = Timeouts", "Timeout"));
    }

    #[test]
    fn encoding_lines_stay_on_line_one_or_two() {
        assert_eq!(
            added("\n# -*- coding: latin-1 -*-\nx = 1\n").unwrap(),
            "\n# -*- coding: latin-1 -*-\nimport logging\nx = 1\n"
        );
        assert_eq!(
            added("\n   # coding: latin-1\nx = 1\n").unwrap(),
            "\n   # coding: latin-1\nimport logging\nx = 1\n"
        );
    }

    fn stdlib(src: &str) -> Result<(String, String), String> {
        let parsed = parse_module(src, PythonVersion::latest());
        let model = SemanticModel::build(parsed.syntax(), src);
        let at = TextSize::try_from(src.find("HERE").unwrap()).unwrap();
        let (name, edit) = stdlib_name(&model, src, "\n", "ast", "literal_eval", at)?;
        Ok((name, edit.map_or_else(|| src.to_owned(), |e| apply(src, &[e]).unwrap())))
    }

    #[test]
    fn stdlib_names_follow_the_file() {
        let (name, out) = stdlib("import os\nHERE\n").unwrap();
        assert_eq!((name.as_str(), out.as_str()), ("ast.literal_eval", "import os\nimport ast\nHERE\n"));
        assert_eq!(stdlib("import ast as a\nHERE\n").unwrap().0, "a.literal_eval");
        let (name, out) = stdlib("from ast import parse\nHERE\n").unwrap();
        assert_eq!((name.as_str(), out.as_str()), ("literal_eval", "from ast import parse, literal_eval\nHERE\n"));
        assert_eq!(stdlib("from ast import parse\nliteral_eval = 1\nHERE\n").unwrap().0, "ast.literal_eval");
        assert!(stdlib("ast = 1\nHERE\n").is_err());
        assert!(stdlib("def f(ast):\n    HERE\n").is_err());
        assert_eq!(stdlib("def f():\n    import ast\ndef g():\n    HERE\n").unwrap().0, "ast.literal_eval");
    }

    #[test]
    fn never_inside_code_that_shares_the_last_import_line() {
        let src = "import os\nfrom httpx import Client; DOC = \"\"\"\ntext\n\"\"\"\n";
        assert_eq!(
            added(src).unwrap(),
            "import os\nimport logging\nfrom httpx import Client; DOC = \"\"\"\ntext\n\"\"\"\n"
        );
        assert!(added("from __future__ import annotations; X = 1\n").is_err());
    }
}
