//! The jinja2 fix against the real jinja2: a program renders a value holding
//! `<b>`, `&` and quotes through three environments (an HTML template loaded
//! by name, a text template loaded by name, a template from a string).
//! `remediate fix --unsafe-fixes` must add `autoescape=select_autoescape()`
//! to the first only; run before and after, only the HTML output changes,
//! to escaped HTML. The same edit applied by hand to all three shows why the
//! others are left alone: the string template's output gets HTML-escaped
//! (a corrupted prompt), the text template's does not change at all.
//!
//! Needs `REMEDIATE_RUNTIME_PYTHON` (a Python with jinja2); without it the
//! test is skipped with a message, unless `CI` is set.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{remediate, run_in};
use serde_json::{json, Value};

const PROGRAM: &str = r#"import json
import sys

import jinja2
from jinja2 import Environment, FileSystemLoader

TEMPLATES = sys.argv[1]
VALUE = "<b>Tom & 'Jerry'</b>"


def html_page():
    env = Environment(loader=FileSystemLoader(TEMPLATES))
    return env.get_template("page.html").render(user=VALUE)


def text_prompt():
    env = Environment(loader=FileSystemLoader(TEMPLATES))
    return env.get_template("prompt.txt").render(user=VALUE)


def string_prompt():
    env = Environment(loader=FileSystemLoader(TEMPLATES))
    return env.from_string("Q: {{ user }}").render(user=VALUE)


print(json.dumps({"html": html_page(), "text": text_prompt(), "string": string_prompt(), "jinja2": jinja2.__version__}))
"#;

const RAW: &str = "<b>Tom & 'Jerry'</b>";
const ESCAPED: &str = "&lt;b&gt;Tom &amp; &#39;Jerry&#39;&lt;/b&gt;";

fn runtime_python() -> Option<PathBuf> {
    match std::env::var_os("REMEDIATE_RUNTIME_PYTHON").filter(|p| !p.is_empty()) {
        Some(path) => Some(PathBuf::from(path)),
        None if std::env::var_os("CI").is_some() => panic!("REMEDIATE_RUNTIME_PYTHON must be set under CI"),
        None => {
            eprintln!("skipping the jinja2 runtime test: REMEDIATE_RUNTIME_PYTHON is not set");
            None
        }
    }
}

fn render(python: &Path, dir: &Path, file: &str) -> Value {
    let out = std::process::Command::new(python)
        .arg(file)
        .arg(dir.join("templates"))
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", python.display()));
    assert!(out.status.success(), "{file}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn autoescape_fix_escapes_html_templates_only() {
    let Some(python) = runtime_python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    fs::create_dir(work.join("templates")).unwrap();
    fs::write(work.join("templates/page.html"), "<p>{{ user }}</p>").unwrap();
    fs::write(work.join("templates/prompt.txt"), "Q: {{ user }}").unwrap();
    fs::write(work.join("original.py"), PROGRAM).unwrap();
    fs::write(work.join("fixed.py"), PROGRAM).unwrap();

    let check = run_in(work, &remediate(), &["check".into(), "--select".into(), "B701".into(), "original.py".into()]);
    assert!(check.stdout.contains("`from_string`"), "{}", check.stdout);
    assert!(check.stdout.contains("`prompt.txt`"), "{}", check.stdout);
    let fix = run_in(work, &remediate(), &["fix".into(), "--unsafe-fixes".into(), "--quiet".into(), "fixed.py".into()]);
    assert_ne!(fix.code, Some(2), "{}", fix.stderr);
    let fixed = fs::read_to_string(work.join("fixed.py")).unwrap();
    assert_eq!(fixed.matches("autoescape=jinja2.select_autoescape()").count(), 1, "{fixed}");

    let before = render(&python, work, "original.py");
    let after = render(&python, work, "fixed.py");
    assert_eq!(before["html"], json!(format!("<p>{RAW}</p>")), "jinja2 {}", before["jinja2"]);
    assert_eq!(after["html"], json!(format!("<p>{ESCAPED}</p>")));
    assert_eq!(before["text"], after["text"]);
    assert_eq!(before["string"], after["string"]);
    assert_eq!(after["string"], json!(format!("Q: {RAW}")));

    // The same edit on every environment: what the fix refuses to do.
    let everywhere = PROGRAM
        .replace("FileSystemLoader(TEMPLATES))", "FileSystemLoader(TEMPLATES), autoescape=jinja2.select_autoescape())");
    assert_eq!(everywhere.matches("select_autoescape()").count(), 3);
    fs::write(work.join("everywhere.py"), everywhere).unwrap();
    let naive = render(&python, work, "everywhere.py");
    assert_eq!(naive["string"], json!(format!("Q: {ESCAPED}")), "a string template is escaped: a prompt corrupted");
    assert_eq!(naive["text"], before["text"], "a .txt template is unchanged: the edit would only hide the finding");
    assert_eq!(naive["html"], after["html"]);
}
