//! The prefilter and the partial tree-sitter parse only ever skip work:
//! on every fixture, findings and fixes are the same as with every rule run
//! on every file, parsed whole (`--no-prefilter`).

mod common;

use std::path::Path;

use common::{remediate, run_in};

fn run(args: &[&str]) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let out = run_in(root, &remediate(), &args);
    assert!(matches!(out.code, Some(0 | 1)), "{args:?}: {}", out.stderr);
    out.stdout
}

fn same_with_and_without_prefilter(args: &[&str]) {
    let fast = run(args);
    let slow = run(&[args, &["--no-prefilter"]].concat());
    assert!(fast.len() > 1000, "the fixtures give findings: {fast}");
    if fast != slow {
        let first = fast.lines().zip(slow.lines()).position(|(a, b)| a != b).unwrap_or(0);
        let show = |s: &str| s.lines().skip(first.saturating_sub(3)).take(8).collect::<Vec<_>>().join("\n");
        panic!("with the prefilter:\n{}\nwithout:\n{}", show(&fast), show(&slow));
    }
}

#[test]
fn findings_are_the_same_on_every_fixture() {
    same_with_and_without_prefilter(&["check", "--no-cache", "--format", "json", "tests/fixtures"]);
}

#[test]
fn findings_are_the_same_with_strict_except() {
    same_with_and_without_prefilter(&["check", "--no-cache", "--format", "json", "--strict-except", "tests/fixtures"]);
}

#[test]
fn fixes_are_the_same_on_every_fixture() {
    same_with_and_without_prefilter(&["diff", "--no-cache", "--unsafe-fixes", "tests/fixtures"]);
}
