//! The test command itself: `scripts/test.sh` checks formatting and lints
//! before it installs or builds anything for the tests, and stops there with
//! a message saying what to do.

use std::fs;
use std::path::Path;
use std::process::Command;

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            fs::copy(&path, &target).unwrap();
        }
    }
}

#[test]
fn test_script_stops_on_unformatted_code_before_the_tests() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scratch = tempfile::tempdir().unwrap();
    let copy = scratch.path();
    for file in ["Cargo.toml", "Cargo.lock", "rustfmt.toml", "README.md"] {
        fs::copy(root.join(file), copy.join(file)).unwrap();
    }
    for dir in ["src", "tests", "benches"] {
        if root.join(dir).is_dir() {
            copy_tree(&root.join(dir), &copy.join(dir));
        }
    }
    fs::create_dir_all(copy.join("scripts")).unwrap();
    fs::copy(root.join("scripts/test.sh"), copy.join("scripts/test.sh")).unwrap();
    let lib = copy.join("src/lib.rs");
    let mut text = fs::read_to_string(&lib).unwrap();
    text.push_str("\npub fn   badly_formatted( ) {}\n");
    fs::write(&lib, text).unwrap();

    let out = Command::new("bash").arg("scripts/test.sh").current_dir(copy).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("formatting differs (above); run `cargo fmt`"), "{stderr}");
    assert!(stdout.contains("==== cargo fmt --check ===="), "{stdout}");
    for later in ["cargo clippy", "python tools", "cargo test --release"] {
        assert!(!stdout.contains(&format!("==== {later}")), "ran `{later}` after a formatting failure:\n{stdout}");
    }
}
