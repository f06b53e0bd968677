//! Output formats, exit codes and the bulk-remediation script, run through
//! the real binary on copies of the torch-load fixtures. Nothing here names a
//! rule's message or count: expectations come from another format of the
//! same run (`check --format json`) or from what `fix` writes.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{remediate, run_in, Output};
use serde_json::Value;

const FIXTURES: &[&str] = &["layouts.py", "do_not_fix.py", "crlf.py", "latin1.py", "bom.py"];

/// A scratch directory holding copies of some fixtures, plus a file whose
/// line holds characters of 2, 3 and 4 UTF-8 bytes (the last also 2 UTF-16
/// units) before the finding, so only code-point columns locate it.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/torch_load");
    for name in FIXTURES {
        fs::copy(fixtures.join(name), dir.path().join(name)).unwrap();
    }
    fs::write(
        dir.path().join("wide.py"),
        "import torch\nlabel = \"é€🙂\"; state = torch.load(\"ü.pt\")  # 🙂\nother = torch.load(label, map_location=\"cpu\")\n",
    )
    .unwrap();
    dir
}

fn run(dir: &Path, args: &[&str]) -> Output {
    run_in(dir, &remediate(), &args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
}

fn json(out: &Output) -> Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", out.stdout))
}

fn findings_of(dir: &Path) -> Vec<Value> {
    let out = run(dir, &["check", "--format", "json", "--quiet", "."]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    json(&out)["findings"].as_array().unwrap().clone()
}

/// Decoded text the way the tool sees it: BOM off, UTF-8 or else Latin-1.
fn decode(bytes: &[u8]) -> (String, bool) {
    let (bom, body) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (true, rest),
        None => (false, bytes),
    };
    match std::str::from_utf8(body) {
        Ok(text) => (text.to_owned(), bom),
        Err(_) => (body.iter().map(|&b| b as char).collect(), bom),
    }
}

/// The byte offset of a 1-based line and code-point column.
fn offset(text: &str, line: u64, column: u64) -> usize {
    let mut start = 0;
    for _ in 1..line {
        start += text[start..].find('\n').expect("line exists") + 1;
    }
    let rest = &text[start..];
    let skip = (column - 1) as usize;
    start + rest.char_indices().nth(skip).map_or(rest.len(), |(i, _)| i)
}

fn get_u64(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("`{key}` is not a positive integer in {v}"))
}

// ------------------------------------------------------------------ text

#[test]
fn text_in_a_pipe_is_one_plain_line_a_finding() {
    let dir = workspace();
    let findings = findings_of(dir.path());
    let out = run(dir.path(), &["check", "."]);
    assert_eq!(out.code, Some(1));
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), findings.len(), "{}", out.stdout);
    for (line, f) in lines.iter().zip(&findings) {
        let prefix =
            format!("{}:{}:{}: {} ", f["path"].as_str().unwrap(), f["line"], f["column"], f["rule"].as_str().unwrap());
        assert!(line.starts_with(&prefix), "{line} does not start with {prefix}");
    }
    assert!(!out.stdout.contains('\x1b'));
    assert!(out.stderr.contains("finding(s)"), "summary line missing: {}", out.stderr);
}

/// Under a pseudo-terminal (util-linux `script`), each finding is followed by
/// its source line and carets.
#[test]
fn text_on_a_terminal_has_a_code_frame() {
    let dir = workspace();
    let command = format!("NO_COLOR=1 '{}' check wide.py", remediate().display());
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(dir.path())
        .output()
        .expect("util-linux `script` runs the binary under a pseudo-terminal");
    let screen = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    assert!(screen.contains("2 | label = \"é€🙂\"; state = torch.load(\"ü.pt\")  # 🙂\n"), "{screen}");
    // The carets start under `torch` (column 24 counted in characters) and
    // span the call.
    let carets = format!("  | {}{}\n", " ".repeat(23), "^".repeat("torch.load(\"ü.pt\")".chars().count()));
    assert!(screen.contains(&carets), "{screen}");
}

// ------------------------------------------------------------------ JSON

#[test]
fn json_lists_findings_errors_and_a_summary() {
    let dir = workspace();
    fs::write(dir.path().join("broken.py"), "import torch\ndef f(:\n    torch.load(p)\n").unwrap();
    let out = run(dir.path(), &["check", "--format", "json", "."]);
    assert_eq!(out.code, Some(1));
    let report = json(&out);
    let findings = report["findings"].as_array().unwrap();
    let text = run(dir.path(), &["check", "."]);
    assert_eq!(findings.len(), text.stdout.lines().count());
    for f in findings {
        for key in
            ["path", "line", "column", "end_line", "end_column", "rule", "bandit", "message", "fixable", "fix_safety"]
        {
            assert!(f.get(key).is_some(), "finding without `{key}`: {f}");
        }
    }
    assert_eq!(report["summary"]["findings"].as_u64().unwrap() as usize, findings.len());
    let errors = report["errors"].as_array().unwrap();
    assert!(
        errors.iter().any(|e| e["path"].as_str().unwrap().ends_with("broken.py") && e["kind"] == "syntax"),
        "{errors:?}"
    );
}

// ------------------------------------------------------------------ SARIF

#[test]
fn sarif_is_structurally_complete_and_one_result_a_finding() {
    let dir = workspace();
    let findings = findings_of(dir.path());
    let out = run(dir.path(), &["check", "--format", "sarif", "--quiet", "."]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(out.stderr.is_empty(), "--quiet left: {}", out.stderr);
    let log = json(&out);
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"].as_str().unwrap().contains("sarif-schema-2.1.0"));
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run0 = &runs[0];
    assert_eq!(run0["columnKind"], "unicodeCodePoints");
    let root = run0["originalUriBaseIds"]["%SRCROOT%"]["uri"].as_str().unwrap();
    assert!(root.starts_with("file:///") && root.ends_with('/'), "{root}");
    assert_eq!(run0["invocations"][0]["executionSuccessful"], true);

    let driver = &run0["tool"]["driver"];
    assert_eq!(driver["name"], "remediate");
    assert!(driver["version"].is_string());
    let rules = driver["rules"].as_array().unwrap();
    let listed = json(&run(dir.path(), &["rules", "--format", "json"]));
    assert_eq!(rules.len(), listed.as_array().unwrap().len(), "every enabled rule is described");
    for (rule, meta) in rules.iter().zip(listed.as_array().unwrap()) {
        assert_eq!(rule["id"], meta["id"]);
        assert!(rule["name"].is_string());
        for key in ["shortDescription", "fullDescription", "help"] {
            assert!(!rule[key]["text"].as_str().unwrap().is_empty(), "{key} of {}", rule["id"]);
        }
        assert_eq!(rule["help"]["text"], meta["documentation"]);
        assert_eq!(rule["properties"]["bandit"], meta["bandit"]);
        assert_eq!(rule["properties"]["ruff"], meta["ruff"]);
    }

    let results = run0["results"].as_array().unwrap();
    assert_eq!(results.len(), findings.len(), "one result a finding");
    for (result, finding) in results.iter().zip(&findings) {
        assert_eq!(result["ruleId"], finding["rule"]);
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert!(["none", "note", "warning", "error"].contains(&result["level"].as_str().unwrap()));
        assert_eq!(result["message"]["text"], finding["message"]);
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        let uri = location["artifactLocation"]["uri"].as_str().unwrap();
        assert_eq!(Path::new(finding["path"].as_str().unwrap()), Path::new(".").join(uri), "uri relative to the root");
        let region = &location["region"];
        for (sarif, ours) in
            [("startLine", "line"), ("startColumn", "column"), ("endLine", "end_line"), ("endColumn", "end_column")]
        {
            assert_eq!(region[sarif], finding[ours], "{sarif} of {result}");
        }
        assert_eq!(
            result.get("fixes").is_some(),
            finding["fixable"] == true,
            "fixes exactly for fixable findings: {result}"
        );
        if let Some(fixes) = result.get("fixes") {
            let fix = &fixes[0];
            assert!(!fix["description"]["text"].as_str().unwrap().is_empty());
            let change = &fix["artifactChanges"][0];
            assert_eq!(change["artifactLocation"]["uri"], uri);
            assert!(!change["replacements"].as_array().unwrap().is_empty());
        }
    }
}

/// A SARIF replacement: start line, start column, end line, end column, text.
type Replacement = (u64, u64, u64, u64, String);

/// Applying every result's replacements to the original files gives exactly
/// what `fix` writes.
#[test]
fn sarif_fixes_reproduce_what_fix_writes() {
    let dir = workspace();
    let log = json(&run(dir.path(), &["check", "--format", "sarif", "--quiet", "."]));
    let mut by_file: BTreeMap<String, Vec<Replacement>> = BTreeMap::new();
    for result in log["runs"][0]["results"].as_array().unwrap() {
        for change in
            result["fixes"].as_array().into_iter().flatten().flat_map(|f| f["artifactChanges"].as_array().unwrap())
        {
            let uri = change["artifactLocation"]["uri"].as_str().unwrap().to_owned();
            for r in change["replacements"].as_array().unwrap() {
                let region = &r["deletedRegion"];
                by_file.entry(uri.clone()).or_default().push((
                    get_u64(region, "startLine"),
                    get_u64(region, "startColumn"),
                    get_u64(region, "endLine"),
                    get_u64(region, "endColumn"),
                    r["insertedContent"]["text"].as_str().unwrap().to_owned(),
                ));
            }
        }
    }
    let originals: BTreeMap<String, Vec<u8>> =
        by_file.keys().map(|uri| (uri.clone(), fs::read(dir.path().join(uri)).unwrap())).collect();
    let fix = run(dir.path(), &["fix", "--quiet", "."]);
    assert_ne!(fix.code, Some(2), "{}", fix.stderr);
    assert!(by_file.contains_key("wide.py") && by_file.contains_key("latin1.py") && by_file.contains_key("bom.py"));
    for (uri, mut replacements) in by_file {
        let (mut text, bom) = decode(&originals[&uri]);
        replacements.sort_by_key(|r| std::cmp::Reverse((r.0, r.1)));
        for (line, column, end_line, end_column, inserted) in replacements {
            let start = offset(&text, line, column);
            let end = offset(&text, end_line, end_column);
            text.replace_range(start..end, &inserted);
        }
        let (written, written_bom) = decode(&fs::read(dir.path().join(&uri)).unwrap());
        assert_eq!(bom, written_bom);
        assert_eq!(text, written, "{uri}: the SARIF fixes differ from what fix wrote");
    }
}

#[test]
fn sarif_uris_are_relative_to_the_current_directory_and_escaped() {
    let dir = workspace();
    fs::create_dir(dir.path().join("sub dir")).unwrap();
    fs::copy(dir.path().join("wide.py"), dir.path().join("sub dir/a#1.py")).unwrap();
    let log = json(&run(dir.path(), &["check", "--format", "sarif", "--quiet", "sub dir"]));
    let uri = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
    assert_eq!(uri, "sub%20dir/a%231.py");

    // Outside the current directory: an absolute `file:` URI, no base id.
    let log = json(&run(&dir.path().join("sub dir"), &["check", "--format", "sarif", "--quiet", "../wide.py"]));
    let location = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    let expected = format!("file://{}/wide.py", dir.path().canonicalize().unwrap().display());
    assert_eq!(location["uri"], expected.replace(' ', "%20"));
    assert!(location.get("uriBaseId").is_none());
}

// ------------------------------------------------------------------ GitHub

/// The runner's decoding of a property value.
fn unescape_property(text: &str) -> String {
    text.replace("%2C", ",").replace("%3A", ":").replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")
}

#[test]
fn github_annotations_one_a_finding_with_escaped_properties() {
    let dir = workspace();
    let odd = "odd, na:me%\nx.py";
    fs::copy(dir.path().join("wide.py"), dir.path().join(odd)).unwrap();
    fs::write(dir.path().join("broken.py"), "import torch\ndef f(:\n    torch.load(p)\n").unwrap();
    let findings = run(dir.path(), &["check", "--format", "json", "--quiet", "."]);
    let findings = json(&findings)["findings"].as_array().unwrap().clone();
    let out = run(dir.path(), &["check", "--format", "github", "--quiet", "."]);
    assert_eq!(out.code, Some(1));
    let warnings: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with("::warning ")).collect();
    assert_eq!(warnings.len(), findings.len(), "{}", out.stdout);
    for (line, finding) in warnings.iter().zip(&findings) {
        let (properties, message) = line["::warning ".len()..].split_once("::").expect("`::` ends the properties");
        assert!(!message.contains('\n') && !message.contains('\r'));
        let properties: BTreeMap<&str, String> = properties
            .split(',')
            .map(|p| {
                let (k, v) = p.split_once('=').expect("key=value");
                (k, unescape_property(v))
            })
            .collect();
        assert_eq!(properties["file"], finding["path"].as_str().unwrap().trim_start_matches("./"));
        assert_eq!(properties["line"], finding["line"].to_string());
        assert_eq!(properties["col"], finding["column"].to_string());
        assert_eq!(properties["endLine"], finding["end_line"].to_string());
        assert_eq!(properties["endColumn"], finding["end_column"].to_string());
        assert!(properties["title"].starts_with(finding["rule"].as_str().unwrap()));
        assert!(message.starts_with(finding["message"].as_str().unwrap()));
    }
    let escaped = "file=odd%2C na%3Ame%25%0Ax.py,";
    assert!(out.stdout.contains(escaped), "{}", out.stdout);
    assert!(out.stdout.lines().any(|l| l.starts_with("::error file=broken.py,line=2,")), "{}", out.stdout);
}

// ------------------------------------------------------------------ Markdown

/// Cells of a table row: split on `|` not escaped with a backslash.
fn cells(row: &str) -> usize {
    let bytes = row.as_bytes();
    (0..bytes.len()).filter(|&i| bytes[i] == b'|' && (i == 0 || bytes[i - 1] != b'\\')).count()
}

#[test]
fn markdown_has_a_table_per_rule_with_a_row_a_finding() {
    let dir = workspace();
    let findings = findings_of(dir.path());
    let out = run(dir.path(), &["check", "--format", "markdown", "--quiet", "."]);
    assert_eq!(out.code, Some(1));
    let mut rules: Vec<&str> = findings.iter().map(|f| f["rule"].as_str().unwrap()).collect();
    rules.sort_unstable();
    rules.dedup();
    for rule in &rules {
        let heading = format!("## `{rule}`");
        let section = out.stdout.split(&heading).nth(1).unwrap_or_else(|| panic!("no {heading}:\n{}", out.stdout));
        let table: Vec<&str> =
            section.lines().skip_while(|l| !l.starts_with('|')).take_while(|l| l.starts_with('|')).collect();
        let expected = findings.iter().filter(|f| f["rule"] == *rule).count();
        assert_eq!(table.len(), expected + 2, "header, separator and a row a finding:\n{section}");
        assert!(table.iter().all(|row| cells(row) == cells(table[0])), "a cell broke the table:\n{section}");
        for f in findings.iter().filter(|f| f["rule"] == *rule) {
            let location =
                format!("`{}:{}:{}`", f["path"].as_str().unwrap().trim_start_matches("./"), f["line"], f["column"]);
            assert!(section.contains(&location), "{location} missing");
        }
    }
}

// ------------------------------------------------------------------ diff JSON

#[test]
fn diff_json_has_each_files_diff_and_edits() {
    let dir = workspace();
    let text = run(dir.path(), &["diff", "--quiet", "."]);
    let out = run(dir.path(), &["diff", "--format", "json", "--quiet", "."]);
    assert_eq!(out.code, Some(0));
    let report = json(&out);
    let files = report["files"].as_array().unwrap();
    let mut joined = Vec::new();
    for file in files {
        let diff = file["diff"].as_str().unwrap();
        match file["diff_encoding"].as_str().unwrap() {
            "utf-8" => joined.extend_from_slice(diff.as_bytes()),
            "latin-1" => joined.extend(diff.chars().map(|c| u8::try_from(u32::from(c)).unwrap())),
            other => panic!("unknown encoding {other}"),
        }
        let original = fs::read(dir.path().join(file["path"].as_str().unwrap())).unwrap();
        let (mut patched, _) = decode(&original);
        let mut edits: Vec<&Value> =
            file["fixes"].as_array().unwrap().iter().flat_map(|f| f["edits"].as_array().unwrap()).collect();
        assert!(!edits.is_empty());
        edits.sort_by_key(|e| std::cmp::Reverse((get_u64(e, "line"), get_u64(e, "column"))));
        for e in edits {
            let start = offset(&patched, get_u64(e, "line"), get_u64(e, "column"));
            let end = offset(&patched, get_u64(e, "end_line"), get_u64(e, "end_column"));
            patched.replace_range(start..end, e["text"].as_str().unwrap());
        }
        let fixed_copy = tempfile::tempdir().unwrap();
        let name = Path::new(file["path"].as_str().unwrap()).file_name().unwrap();
        fs::write(fixed_copy.path().join(name), &original).unwrap();
        run(fixed_copy.path(), &["fix", "--quiet", "."]);
        assert_eq!(patched, decode(&fs::read(fixed_copy.path().join(name)).unwrap()).0, "edits of {}", file["path"]);
    }
    assert_eq!(joined, text.stdout_bytes, "the JSON diffs are the text diff");
    assert!(files.iter().any(|f| f["diff_encoding"] == "latin-1"));
    assert_eq!(report["summary"]["files_changed"].as_u64().unwrap() as usize, files.len());
}

// ------------------------------------------------------------------ fix --report

#[test]
fn fix_report_is_a_pull_request_body() {
    let dir = workspace();
    let before = findings_of(dir.path());
    let fixable: Vec<&Value> = before.iter().filter(|f| f["fix_safety"] == "safe").collect();
    let report_path = dir.path().join("body.md");
    let out = run(dir.path(), &["fix", "--report", report_path.to_str().unwrap(), "."]);
    assert_eq!(out.code, Some(1), "findings remain: {}", out.stderr);
    assert!(out.stderr.contains("report written to"), "{}", out.stderr);
    let body = fs::read_to_string(&report_path).unwrap();
    let after = findings_of(dir.path());

    let title = body.lines().next().unwrap();
    assert!(
        title.starts_with(&format!("# Fix {} security findings: {} torch-load (B614)", fixable.len(), fixable.len())),
        "{title}"
    );
    let section = |name: &str| -> String {
        let start = body.find(&format!("\n## {name}\n")).unwrap_or_else(|| panic!("no section {name}:\n{body}"));
        let rest = &body[start + 1..];
        let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
        rest[..end].to_owned()
    };
    let table_rows = |text: &str| text.lines().filter(|l| l.starts_with("| ")).skip(2).count();

    let by_rule = section("Fixed by rule");
    assert!(by_rule.contains(&format!("| B614 | – | {} |", fixable.len())), "{by_rule}");

    let by_file = section("Fixed by file");
    let mut files: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &fixable {
        *files.entry(f["path"].as_str().unwrap().trim_start_matches("./")).or_default() += 1;
    }
    assert_eq!(table_rows(&by_file), files.len(), "{by_file}");
    for (file, n) in &files {
        assert!(by_file.contains(&format!("| `{file}` | {n} | `torch-load` {n} |")), "{file} {n}:\n{by_file}");
    }

    let changes = section("Pins, timeouts and other changes applied");
    assert!(changes.contains(&format!("| add `weights_only=True` | `torch-load` | {} |", fixable.len())), "{changes}");

    let remaining = section("Remaining for review");
    assert_eq!(table_rows(&remaining), after.len(), "{remaining}");
    for f in &after {
        let location = format!("`{}:{}`", f["path"].as_str().unwrap().trim_start_matches("./"), f["line"]);
        let row = remaining
            .lines()
            .find(|l| l.contains(&location))
            .unwrap_or_else(|| panic!("{location} missing:\n{remaining}"));
        let reason =
            f["message"].as_str().unwrap().split("; not fixed: ").nth(1).expect("a remaining finding says why");
        assert!(row.ends_with(&format!("| {} |", reason.replace('|', "\\|"))), "{row}");
    }
    let marker = format!(
        "<!-- remediate-summary fixed={} files_changed={} remaining={} rules=torch-load:{} -->",
        fixable.len(),
        files.len(),
        after.len(),
        fixable.len()
    );
    assert_eq!(body.lines().last(), Some(marker.as_str()));
}

#[test]
fn fix_report_when_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("ok.py"), "import torch\nstate = torch.load('a.pt', weights_only=True)\n").unwrap();
    let out = run(dir.path(), &["fix", "--quiet", "--report", "body.md", "."]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stderr.is_empty(), "--quiet left: {}", out.stderr);
    let body = fs::read_to_string(dir.path().join("body.md")).unwrap();
    assert!(body.starts_with("# No security findings\n"), "{body}");
    assert!(!body.contains("## Fixed"), "{body}");
    assert!(body.ends_with("<!-- remediate-summary fixed=0 files_changed=0 remaining=0 rules= -->\n"), "{body}");
}

// ------------------------------------------------------------------ exit codes

/// A directory with one clean file, and another with one finding.
fn clean_and_dirty() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("clean");
    let dirty = dir.path().join("dirty");
    fs::create_dir(&clean).unwrap();
    fs::create_dir(&dirty).unwrap();
    fs::write(clean.join("ok.py"), "import torch\nstate = torch.load('a.pt', weights_only=True)\n").unwrap();
    fs::write(dirty.join("bad.py"), "import torch\nstate = torch.load('a.pt')\n").unwrap();
    (dir, clean, dirty)
}

#[test]
fn check_exit_codes() {
    let (_dir, clean, dirty) = clean_and_dirty();
    for format in ["text", "json", "sarif", "github", "markdown"] {
        assert_eq!(run(&clean, &["check", "--format", format]).code, Some(0), "{format} clean");
        assert_eq!(run(&dirty, &["check", "--format", format]).code, Some(1), "{format} findings");
        assert_eq!(run(&dirty, &["check", "--format", format, "--exit-zero"]).code, Some(0), "{format} --exit-zero");
    }
    fs::write(clean.join("broken.py"), "import torch\ndef f(:\n    torch.load(p)\n").unwrap();
    assert_eq!(run(&clean, &["check", "broken.py"]).code, Some(1), "a file that does not parse needs attention");
    assert_eq!(run(&clean, &["check", "missing.py"]).code, Some(2), "I/O error");
    assert_eq!(run(&dirty, &["check", "missing.py", "--exit-zero"]).code, Some(2), "--exit-zero keeps 2");
    assert_eq!(run(&clean, &["check", "--revisions", "missing.yaml"]).code, Some(2), "config error");
    assert_eq!(run(&clean, &["check", "--select", "no-such-rule"]).code, Some(2), "unknown rule");
    assert_eq!(run(&clean, &["check", "--format", "xml"]).code, Some(2), "usage error");
}

#[test]
fn diff_exit_codes() {
    let (_dir, clean, dirty) = clean_and_dirty();
    assert_eq!(run(&dirty, &["diff"]).code, Some(0), "changes without --exit-code");
    assert_eq!(run(&dirty, &["diff", "--exit-code"]).code, Some(1));
    assert_eq!(run(&dirty, &["diff", "--exit-code", "--format", "json"]).code, Some(1));
    assert_eq!(run(&dirty, &["diff", "--exit-code", "--exit-zero"]).code, Some(0));
    assert_eq!(run(&clean, &["diff", "--exit-code"]).code, Some(0));
    assert_eq!(run(&clean, &["diff", "missing.py"]).code, Some(2));
    assert_eq!(run(&clean, &["diff", "--no-such-flag"]).code, Some(2));
    assert_eq!(
        fs::read_to_string(dirty.join("bad.py")).unwrap(),
        "import torch\nstate = torch.load('a.pt')\n",
        "diff writes nothing"
    );
}

#[test]
fn fix_exit_codes() {
    let (_dir, clean, dirty) = clean_and_dirty();
    assert_eq!(run(&clean, &["fix"]).code, Some(0));
    assert_eq!(run(&dirty, &["fix"]).code, Some(0), "everything fixed, nothing remains");
    fs::write(dirty.join("bad.py"), "import torch\nstate = torch.load('a.pt', weights_only=False)\n").unwrap();
    assert_eq!(run(&dirty, &["fix"]).code, Some(1), "a finding remains");
    assert_eq!(run(&dirty, &["fix", "--exit-zero"]).code, Some(0));
    assert_eq!(run(&dirty, &["fix", "--report", "no/such/dir/body.md"]).code, Some(2), "report not writable");
    assert_eq!(run(&clean, &["fix", "missing.py"]).code, Some(2));
    assert_eq!(run(&clean, &["fix", "--timeouts", "missing.yaml"]).code, Some(2));
}

#[test]
fn rules_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(run(dir.path(), &["rules"]).code, Some(0));
    assert_eq!(run(dir.path(), &["rules", "B614"]).code, Some(0));
    assert_eq!(run(dir.path(), &["rules", "B999"]).code, Some(2));
}

#[test]
fn help_documents_the_exit_codes() {
    let help = run(Path::new("."), &["--help"]);
    for line in ["0  nothing to report", "1  findings remain", "2  usage, configuration or I/O error", "--exit-zero"] {
        assert!(help.stdout.contains(line), "--help lacks {line:?}:\n{}", help.stdout);
    }
}

#[test]
fn quiet_silences_every_command_but_findings_and_errors() {
    let (_dir, _clean, dirty) = clean_and_dirty();
    for args in [
        &["check"][..],
        &["check", "--format", "markdown"],
        &["diff"],
        &["diff", "--format", "json"],
        &["fix", "--report", "r.md"],
    ] {
        let loud = run(&dirty, args);
        let mut quiet_args = args.to_vec();
        quiet_args.push("--quiet");
        if args[0] == "fix" {
            fs::write(dirty.join("bad.py"), "import torch\nstate = torch.load('a.pt')\n").unwrap();
        }
        let quiet = run(&dirty, &quiet_args);
        assert!(!loud.stderr.is_empty(), "{args:?} says nothing without --quiet");
        assert!(quiet.stderr.is_empty(), "{args:?} --quiet printed: {}", quiet.stderr);
        assert_eq!(loud.code, quiet.code, "{args:?}");
        if args[0] == "fix" {
            fs::write(dirty.join("bad.py"), "import torch\nstate = torch.load('a.pt')\n").unwrap();
        }
    }
    // Errors are still reported.
    let missing = run(&dirty, &["check", "--quiet", "missing.py"]);
    assert!(missing.stderr.contains("missing.py"), "{}", missing.stderr);
}

// ------------------------------------------------------------------ bulk script

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .envs(IDENTITY)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
}

const IDENTITY: [(&str, &str); 4] = [
    ("GIT_AUTHOR_NAME", "Test"),
    ("GIT_AUTHOR_EMAIL", "test@example.invalid"),
    ("GIT_COMMITTER_NAME", "Test"),
    ("GIT_COMMITTER_EMAIL", "test@example.invalid"),
];

fn repository(root: &Path, name: &str, files: &[(&str, &[u8])]) -> PathBuf {
    let repo = root.join(name);
    fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    for (path, content) in files {
        let path = repo.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "initial"]);
    repo
}

fn fixture(name: &str) -> Vec<u8> {
    fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/torch_load").join(name)).unwrap()
}

#[test]
fn bulk_script_commits_once_per_repository_with_changes() {
    let root = tempfile::tempdir().unwrap();
    let one = repository(root.path(), "one", &[("layouts.py", &fixture("layouts.py"))]);
    let two = repository(
        root.path(),
        "two",
        &[("do_not_fix.py", &fixture("do_not_fix.py")), ("pkg/crlf.py", &fixture("crlf.py")), ("README", b"docs\n")],
    );
    let clean =
        repository(root.path(), "clean", &[("ok.py", b"import torch\nx = torch.load('a.pt', weights_only=True)\n")]);
    let dirty = repository(root.path(), "dirty", &[("layouts.py", &fixture("layouts.py"))]);
    let mut wip = fixture("layouts.py");
    wip.extend_from_slice(b"# work in progress\n");
    fs::write(dirty.join("layouts.py"), &wip).unwrap();
    fs::write(dirty.join("notes.txt"), "untracked\n").unwrap();

    let expected: Vec<(PathBuf, Vec<Value>)> = [&one, &two].iter().map(|r| ((*r).clone(), findings_of(r))).collect();
    let heads: Vec<String> = [&one, &two, &clean, &dirty].iter().map(|r| git(r, &["rev-parse", "HEAD"])).collect();
    let start_branch = git(&one, &["symbolic-ref", "--short", "HEAD"]);

    let reports = root.path().join("reports");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bulk-remediation.sh");
    let out = Command::new("bash")
        .arg(&script)
        .args([&one, &two, &clean, &dirty])
        .env("REMEDIATE", remediate())
        .env("REPORT_DIR", &reports)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .envs(IDENTITY)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "a refused repository makes the run fail:\n{stdout}");

    for ((repo, findings), head) in expected.iter().zip(&heads) {
        let fixed = findings.iter().filter(|f| f["fix_safety"] == "safe").count();
        let remaining = findings.len() - fixed;
        let branch_log = git(repo, &["log", "--format=%H", &format!("{head}..remediate/security-fixes")]);
        assert_eq!(branch_log.lines().count(), 1, "exactly one commit on the branch in {}", repo.display());
        assert_eq!(git(repo, &["symbolic-ref", "--short", "HEAD"]), "remediate/security-fixes");
        assert_eq!(git(repo, &["rev-parse", &start_branch]), *head, "the starting branch is untouched");
        assert_eq!(git(repo, &["status", "--porcelain"]), "", "every change is committed");
        let message = git(repo, &["log", "-1", "--format=%B"]);
        assert!(message.starts_with(&format!("Fix {fixed} security findings: {fixed} torch-load (B614)")), "{message}");
        assert!(message.contains(&format!("- torch-load: {fixed}")), "{message}");
        let changed_files: std::collections::BTreeSet<&str> = findings
            .iter()
            .filter(|f| f["fix_safety"] == "safe")
            .map(|f| f["path"].as_str().unwrap().trim_start_matches("./"))
            .collect();
        let committed = git(repo, &["diff", "--name-only", "HEAD~1", "HEAD"]);
        assert_eq!(committed.lines().collect::<std::collections::BTreeSet<_>>(), changed_files);
        let name = repo.file_name().unwrap().to_str().unwrap();
        let report = reports.join(format!("{name}.md"));
        assert!(fs::read_to_string(&report).unwrap().starts_with("# Fix "));
        let row = stdout.lines().find(|l| l.starts_with(&repo.display().to_string())).unwrap();
        let cells: Vec<&str> = row.split("  ").map(str::trim).filter(|c| !c.is_empty()).collect();
        assert_eq!(
            cells[1..],
            [
                "committed on remediate/security-fixes",
                &changed_files.len().to_string(),
                &remaining.to_string(),
                &report.display().to_string(),
            ],
            "{row}"
        );
    }

    assert_eq!(git(&clean, &["rev-parse", "HEAD"]), heads[2]);
    assert_eq!(git(&clean, &["branch", "--list", "remediate/*"]), "", "no branch where nothing changed");
    assert!(
        stdout.lines().any(|l| l.starts_with(&clean.display().to_string()) && l.contains("no changes")),
        "{stdout}"
    );

    assert_eq!(git(&dirty, &["rev-parse", "HEAD"]), heads[3]);
    assert_eq!(git(&dirty, &["branch", "--list", "remediate/*"]), "");
    assert_eq!(fs::read(dirty.join("layouts.py")).unwrap(), wip, "the user's work is left as it was");
    assert_eq!(fs::read_to_string(dirty.join("notes.txt")).unwrap(), "untracked\n");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with(&dirty.display().to_string()) && l.contains("refused: uncommitted changes")),
        "{stdout}"
    );
}

#[test]
fn bulk_script_leaves_a_repository_as_it_was_when_remediate_fails() {
    let root = tempfile::tempdir().unwrap();
    let repo = repository(root.path(), "repo", &[("layouts.py", &fixture("layouts.py"))]);
    let head = git(&repo, &["rev-parse", "HEAD"]);
    let out = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bulk-remediation.sh"))
        .arg(&repo)
        .env("REMEDIATE", remediate())
        .env("REMEDIATE_ARGS", "--revisions does-not-exist.yaml")
        .env("REPORT_DIR", root.path().join("reports"))
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("failed: remediate exited 2"), "{stdout}");
    assert_eq!(git(&repo, &["rev-parse", "HEAD"]), head);
    assert_eq!(git(&repo, &["status", "--porcelain"]), "");
    assert_eq!(git(&repo, &["branch", "--list", "remediate/*"]), "");
}

/// Bandit's severities carry through: medium findings are SARIF warnings
/// and GitHub `::warning`s, low ones (the except rules) notes and `::notice`s.
#[test]
fn severity_sets_sarif_level_and_annotation_kind() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("mixed.py"),
        "import torch\n\ntry:\n    state = torch.load('m.pt')\nexcept Exception:\n    pass\n",
    )
    .unwrap();
    let sarif = json(&run(dir.path(), &["check", "--format", "sarif", "mixed.py"]));
    let run0 = &sarif["runs"][0];
    let levels: BTreeMap<String, String> = run0["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["ruleId"].as_str().unwrap().to_owned(), r["level"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(levels.get("torch-load").map(String::as_str), Some("warning"));
    assert_eq!(levels.get("except-pass").map(String::as_str), Some("note"));
    for rule in run0["tool"]["driver"]["rules"].as_array().unwrap() {
        let score: f64 = rule["properties"]["security-severity"].as_str().unwrap().parse().unwrap();
        assert!((0.1..=10.0).contains(&score), "{rule}");
    }
    let github = run(dir.path(), &["check", "--format", "github", "mixed.py"]);
    assert!(
        github.stdout.lines().any(|l| l.starts_with("::warning ") && l.contains("torch-load")),
        "{}",
        github.stdout
    );
    assert!(
        github.stdout.lines().any(|l| l.starts_with("::notice ") && l.contains("except-pass")),
        "{}",
        github.stdout
    );
    let findings = json(&run(dir.path(), &["check", "--format", "json", "mixed.py"]));
    let severities: Vec<&str> =
        findings["findings"].as_array().unwrap().iter().map(|f| f["severity"].as_str().unwrap()).collect();
    assert_eq!(severities, ["medium", "low"]);
}

// ------------------------------------------------ reports agree with the exit code

/// A path that cannot be walked exits 2, and every report says so: an `io`
/// entry in JSON `errors`, an unsuccessful SARIF invocation with a
/// notification naming the path, an `::error` annotation, a row of the
/// Markdown table of files not processed, and the summary's `io_errors`.
#[test]
fn a_path_that_cannot_be_walked_is_in_every_report() {
    let (_dir, _clean, dirty) = clean_and_dirty();
    let out = run(&dirty, &["check", "--format", "json", "missing.py", "."]);
    assert_eq!(out.code, Some(2));
    let report = json(&out);
    let errors = report["errors"].as_array().unwrap();
    assert!(
        errors.iter().any(|e| e["path"] == "missing.py"
            && e["kind"] == "io"
            && e["message"].as_str().unwrap().contains("missing.py: No such file")),
        "{errors:?}"
    );
    assert_eq!(report["summary"]["io_errors"], 1);
    assert!(!report["findings"].as_array().unwrap().is_empty(), "the other path is still scanned");

    let out = run(&dirty, &["check", "--format", "sarif", "missing.py", "."]);
    assert_eq!(out.code, Some(2));
    let invocation = &json(&out)["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false, "{invocation}");
    let notifications = invocation["toolExecutionNotifications"].as_array().unwrap();
    assert!(
        notifications.iter().any(|n| n["level"] == "error"
            && n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "missing.py"),
        "{notifications:?}"
    );

    let out = run(&dirty, &["check", "--format", "github", "missing.py"]);
    assert_eq!(out.code, Some(2));
    assert!(
        out.stdout.starts_with("::error file=missing.py,title=remediate::missing.py%3A No such file")
            || out.stdout.starts_with("::error file=missing.py,title=remediate::missing.py: No such file"),
        "{}",
        out.stdout
    );

    let out = run(&dirty, &["check", "--format", "markdown", "missing.py"]);
    assert_eq!(out.code, Some(2));
    assert!(
        out.stdout.contains("## Files not processed") && out.stdout.contains("| `missing.py` | I/O error |"),
        "{}",
        out.stdout
    );

    let out = run(&dirty, &["diff", "--format", "json", "missing.py"]);
    assert_eq!(out.code, Some(2));
    assert_eq!(json(&out)["errors"][0]["kind"], "io");

    let body = dirty.join("body.md");
    let out = run(&dirty, &["fix", "--report", &body.to_string_lossy(), "missing.py", "."]);
    assert_eq!(out.code, Some(2));
    let body = fs::read_to_string(body).unwrap();
    assert!(body.contains("## Files not processed") && body.contains("`missing.py`"), "{body}");
}

/// Text, JSON and Markdown count "fixable" alike: what `remediate fix` with
/// the same options would fix. Without `--unsafe-fixes` that is the safe
/// fixes; with it, the unsafe ones too (ruff's meaning of the flag for
/// `check`); `unsafe_fixable` counts the unsafe ones either way.
#[test]
fn fixable_means_the_same_in_every_format_and_follows_unsafe_fixes() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("mixed.py"),
        "import torch\n\nstate = torch.load('a.pt')\nother = torch.load('b.pt')\n\ntry:\n    state = 1\nexcept:\n    pass\n",
    )
    .unwrap();
    for (unsafe_fixes, fixable) in [(false, 2u64), (true, 4)] {
        let mut list = vec!["check", "--no-cache"];
        if unsafe_fixes {
            list.push("--unsafe-fixes");
        }
        let with = |format: &str| {
            let mut a = list.clone();
            a.extend(["--format", format, "."]);
            run(dir.path(), &a)
        };
        let out = with("json");
        assert_eq!(out.code, Some(1), "{}", out.stderr);
        let report = json(&out);
        let summary = &report["summary"];
        assert_eq!(summary["fixable"], fixable, "--unsafe-fixes {unsafe_fixes}: {summary}");
        assert_eq!(summary["unsafe_fixable"], 2, "{summary}");
        let per_finding = report["findings"].as_array().unwrap().iter().filter(|f| f["fixable"] == true).count();
        assert_eq!(per_finding as u64, fixable, "per-finding `fixable` sums to the summary's");
        let text = if unsafe_fixes {
            format!("{fixable} fixable with `remediate fix --unsafe-fixes`")
        } else {
            format!("{fixable} fixable with `remediate fix` (+2 with --unsafe-fixes)")
        };
        assert!(out.stderr.contains(&text), "expected {text:?} in {}", out.stderr);
        let markdown = with("markdown").stdout;
        assert!(markdown.contains(&format!("; {fixable} fixable with `remediate fix")), "{markdown}");
    }
}
