//! Pins for downloads whose repository id is known only at run time,
//! judged by running them: the generated pin module imported by CPython
//! (its four behaviours), and a real `huggingface_hub` download, offline,
//! from a fake Hub cache holding two snapshots of one repository: after
//! `fix`, the code gets the pinned (older) snapshot instead of `main`.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::{python, remediate, run_in, runtime_python};

const OLD: &str = "1111111111111111111111111111111111111111";
const NEW: &str = "2222222222222222222222222222222222222222";

fn write(dir: &Path, path: &str, text: &str) {
    let path = dir.join(path);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn fix(dir: &Path, extra: &[&str]) -> common::Output {
    let mut args: Vec<String> =
        ["fix", "--no-cache", "--pin-module", "app.model_revisions"].map(str::to_owned).to_vec();
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(".".into());
    run_in(dir, &remediate(), &args)
}

/// Runs `code` with `python` in `dir` (`dir` first on the import path).
fn run_python(python: &Path, dir: &Path, code: &str, env: &[(&str, &str)]) -> (bool, String) {
    let mut command = Command::new(python);
    command.args(["-c", code]).current_dir(dir).env("PYTHONPATH", dir);
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().expect("running python");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn the_generated_module_behaves_as_documented() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "configs/model_revisions.yaml", &format!("model_revisions:\n  org/pinned:\n    revision: \"{OLD}\"\n    trust_remote_code: true\n  default:\n    revision: \"{NEW}\"\n"));
    write(root, "app/__init__.py", "");
    write(
        root,
        "app/train.py",
        "from transformers import AutoModel\n\ndef build(name):\n    return AutoModel.from_pretrained(name)\n",
    );
    fs::create_dir_all(root.join("models/local")).unwrap();
    let out = fix(root, &[]);
    assert!(out.stderr.contains("wrote the pin module app/model_revisions.py"), "{}", out.stderr);
    let fixed = fs::read_to_string(root.join("app/train.py")).unwrap();
    assert!(fixed.contains("from app.model_revisions import pinned_revision, trusts_remote_code\n"), "{fixed}");
    assert!(common::contains_call(&fixed, "AutoModel.from_pretrained(name, revision=pinned_revision(name), trust_remote_code=trusts_remote_code(name))"), "{fixed}");
    let check = |code: &str| {
        let program = std::env::var("REMEDIATE_PYTHON").unwrap_or_else(|_| "python3".into());
        run_python(Path::new(&program), root, code, &[])
    };
    let (ok, text) = check(&format!(
        "from app.model_revisions import pinned_revision as p, trusts_remote_code as t\n\
assert p('models/local') is None and t('models/local') is False, 'local path'\n\
assert p('org/pinned') == '{OLD}' and t('org/pinned') is True, 'entry'\n\
assert p('org/other') == '{NEW}' and t('org/other') is False, 'default'\n\
assert p(None) is None and p(object()) is None and t(object()) is False, 'no id'\n\
print('ok')"
    ));
    assert!(ok && text.contains("ok"), "{text}");
    // Without a default the module fails closed, naming the id and the YAML.
    write(root, "configs/model_revisions.yaml", &format!("model_revisions:\n  org/pinned:\n    revision: \"{OLD}\"\n"));
    let out = fix(root, &[]);
    assert!(out.stderr.contains("wrote the pin module"), "{}", out.stderr);
    let (ok, text) = check("from app.model_revisions import pinned_revision as p\np('org/other')");
    assert!(
        !ok && text.contains("LookupError")
            && text.contains("'org/other'")
            && text.contains("configs/model_revisions.yaml"),
        "{text}"
    );
    // `check` reports a module that no longer matches the YAML.
    fs::write(root.join("app/model_revisions.py"), "stale\n").unwrap();
    let checked = run_in(
        root,
        &remediate(),
        &["check".into(), "--no-cache".into(), "--pin-module".into(), "app.model_revisions".into(), ".".into()],
    );
    assert_eq!(checked.code, Some(1), "{}", checked.stderr);
    assert!(checked.stderr.contains("app/model_revisions.py: the pin module is out of date"), "{}", checked.stderr);
}

#[test]
fn run_time_pins_are_refused_without_a_default_and_for_calls() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "configs/model_revisions.yaml", &format!("model_revisions:\n  org/pinned:\n    revision: \"{OLD}\"\n"));
    write(root, "app/train.py", "from transformers import AutoModel\n\ndef build(name):\n    return AutoModel.from_pretrained(name)\n\ndef other():\n    return AutoModel.from_pretrained(make_name())\n");
    let out = fix(root, &[]);
    assert!(out.stdout.contains("has no `default` entry"), "{}", out.stdout);
    assert!(out.stdout.contains("evaluating it twice could differ"), "{}", out.stdout);
    let unchanged = fs::read_to_string(root.join("app/train.py")).unwrap();
    assert!(!unchanged.contains("pinned_revision"), "{unchanged}");
}

#[test]
fn huggingface_hub_downloads_the_pinned_snapshot() {
    let Some(runtime) = runtime_python("the huggingface_hub run-time pin test") else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // A Hub cache with two snapshots of org/model; `main` points at the newer.
    let repo = root.join("hub/models--org--model");
    write(&repo, "refs/main", NEW);
    write(&repo, &format!("snapshots/{OLD}/config.json"), "{\"snapshot\": \"old\"}");
    write(&repo, &format!("snapshots/{NEW}/config.json"), "{\"snapshot\": \"new\"}");
    write(
        root,
        "configs/model_revisions.yaml",
        &format!("model_revisions:\n  org/model:\n    revision: \"{OLD}\"\n  default:\n    revision: \"main\"\n"),
    );
    write(root, "app/__init__.py", "");
    write(
        root,
        "app/fetch.py",
        "from huggingface_hub import hf_hub_download\n\n\ndef fetch(repo_id_var):\n    path = hf_hub_download(repo_id_var, \"config.json\")\n    return open(path).read()\n",
    );
    let hub = root.join("hub");
    let env = [("HF_HUB_OFFLINE", "1"), ("HF_HUB_CACHE", hub.to_str().unwrap()), ("HF_HOME", root.to_str().unwrap())];
    let run = || run_python(&runtime, root, "from app.fetch import fetch\nprint(fetch('org/model'))", &env);
    let (ok, before) = run();
    assert!(ok && before.contains("\"new\""), "before the fix, main's snapshot: {before}");
    let out = fix(root, &[]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    let fixed = fs::read_to_string(root.join("app/fetch.py")).unwrap();
    assert!(
        common::contains_call(
            &fixed,
            "hf_hub_download(repo_id_var, \"config.json\", revision=pinned_revision(repo_id_var))"
        ),
        "{fixed}"
    );
    let (ok, after) = run();
    assert!(ok && after.contains("\"old\""), "after the fix, the pinned snapshot: {after}");
    let compiled = python(&["-c", &format!("compile(open({:?}).read(), 'f', 'exec')", root.join("app/fetch.py"))]);
    assert_eq!(compiled.code, Some(0), "{}", compiled.stderr);
    let again = fix(root, &[]);
    assert_eq!(fs::read_to_string(root.join("app/fetch.py")).unwrap(), fixed, "{}", again.stdout);
}

#[test]
fn models_lists_where_run_time_ids_come_from() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "configs/judge.yaml", "judge:\n  hf_name: microsoft/deberta-v3-small\n  output_dir: runs/judge\n");
    write(
        root,
        "app/train.py",
        "import argparse\nfrom transformers import AutoModel\n\n\ndef build(hf_name, **kwargs):\n    name = kwargs.get(\"model_name\", \"microsoft/phi-2\")\n    AutoModel.from_pretrained(name)\n    return AutoModel.from_pretrained(hf_name)\n\n\ndef main():\n    parser = argparse.ArgumentParser()\n    parser.add_argument(\"--hf-name\", default=\"meta-llama/Llama-2-7b-hf\")\n    args = parser.parse_args()\n    build(args.hf_name)\n    build(\"org/literal\")\n    build(\"models/student/tokenizer\")\n",
    );
    let out = run_in(root, &remediate(), &["models".into(), ".".into()]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    for expected in [
        "microsoft/phi-2 (`.get` default at app/train.py:6)",
        "microsoft/deberta-v3-small (`hf_name` in configs/judge.yaml:2)",
        "meta-llama/Llama-2-7b-hf (argparse default of `--hf-name` at app/train.py:13)",
        "org/literal (passed by a call of `build` at app/train.py:16)",
    ] {
        assert!(out.stdout.contains(expected), "missing {expected:?} in:\n{}", out.stdout);
    }
    assert!(!out.stdout.contains("models/student/tokenizer"), "a local path is never proposed:\n{}", out.stdout);
    let yaml = run_in(root, &remediate(), &["models".into(), "--format".into(), "yaml".into(), ".".into()]);
    for id in ["microsoft/phi-2", "microsoft/deberta-v3-small", "meta-llama/Llama-2-7b-hf", "org/literal"] {
        assert!(yaml.stdout.contains(&format!("\"{id}\":")), "{id} not proposed:\n{}", yaml.stdout);
    }
    assert!(!yaml.stdout.contains("models/student"), "{}", yaml.stdout);
}
