//! `trojan-source`'s safe fix, judged by CPython: every bidirectional control
//! in a string literal is written as its `\u` escape, so the fixed file must
//! have the same AST as the original (`ast.dump` compares every string's
//! value), hold no control outside comments and the strings the rule leaves
//! alone, and be reported afterwards only for those.

mod common;

use common::{python, remediate, run_in};

/// The eleven controls the rule looks for.
const CONTROLS: [char; 11] = [
    '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
    '\u{200F}', '\u{061C}',
];

/// Strings of every shape the fix rewrites, each control in each, plus the
/// shapes it must leave (comments, raw strings, a control after a backslash).
fn source() -> String {
    let mut out = String::from("# -*- coding: utf-8 -*-\nimport os\n\nname = 'x'\n");
    for (i, c) in CONTROLS.iter().enumerate() {
        out.push_str(&format!("plain_{i} = \"a{c}b\"\n"));
        out.push_str(&format!("single_{i} = 'it''s {c} here'\n"));
        out.push_str(&format!("escapes_{i} = \"\\t{c}\\u202e\\N{{BULLET}}{c}\\\\\"\n"));
        out.push_str(&format!("fstring_{i} = f\"{{name}}{c}{{name!r:>4}}{c}\"\n"));
        out.push_str(&format!("triple_{i} = \"\"\"first\nsecond {c}\n{c}third\"\"\"\n"));
        out.push_str(&format!("concat_{i} = (\"x{c}\"\n    'y{c}')\n"));
        out.push_str(&format!("prefixed_{i} = U\"{c}\" + F'{{name}}{c}'\n"));
        out.push_str(&format!("call_{i} = os.path.join(\"{c}\", name)  # after {c} a comment\n"));
        out.push_str(&format!("raw_{i} = r\"{c}\"\n"));
    }
    out
}

const JUDGE: &str = r##"
import ast, sys
original, fixed = (open(p, "rb").read() for p in sys.argv[1:3])
if ast.dump(ast.parse(original)) != ast.dump(ast.parse(fixed)):
    sys.exit("the fixed file's AST differs from the original's")
controls = set(map(chr, (0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0x200F, 0x061C)))
for number, line in enumerate(fixed.decode("utf-8").splitlines(), 1):
    code = line.split("#", 1)[0]
    if any(c in controls for c in code) and not code.lstrip().startswith("raw_"):
        sys.exit(f"line {number} still holds a control outside a comment or raw string: {line!r}")
print("ok")
"##;

#[test]
fn escaped_controls_keep_every_value() {
    let work = tempfile::tempdir().unwrap();
    let original = work.path().join("original.py");
    let fixed = work.path().join("fixed.py");
    std::fs::write(&original, source()).unwrap();
    std::fs::write(&fixed, source()).unwrap();

    let fix = ["fix", "--quiet", "--select", "trojan-source", "fixed.py"].map(String::from);
    let out = run_in(work.path(), &remediate(), &fix);
    assert_eq!(out.code, Some(1), "comments and raw strings stay reported: {}", out.stderr);
    let fixed_text = std::fs::read_to_string(&fixed).unwrap();
    assert!(fixed_text.contains("\\u202e") && fixed_text.contains("\\u061c"), "{fixed_text}");

    let judged = python(&["-c", JUDGE, &original.to_string_lossy(), &fixed.to_string_lossy()]);
    assert_eq!(judged.code, Some(0), "{}{}", judged.stdout, judged.stderr);

    // What is left: one finding per comment and per raw string, none fixable.
    let check = ["check", "--format", "json", "--select", "trojan-source", "fixed.py"].map(String::from);
    let out = run_in(work.path(), &remediate(), &check);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2 * CONTROLS.len(), "{}", out.stdout);
    assert!(findings.iter().all(|f| f["fixable"] == false), "{}", out.stdout);
}
