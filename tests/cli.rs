//! The `stackgen` binary end to end: generate, --check, hand edits, bad specs, schema.

mod common;

use std::path::Path;

use pretty_assertions::assert_eq;

const INVALID_SPEC: i32 = 1;
const OUT_OF_DATE: i32 = 3;
const HAND_EDITED: i32 = 4;
const OUTPUT_UNWRITABLE: i32 = 5;

#[test]
fn generate_writes_the_default_stack_and_a_rerun_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = common::stackgen(dir.path(), &["generate", "--out", "out"]);
    let (stdout, stderr) = common::text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stderr.contains("ingress-nginx is retired"), "warns about the retired controller: {stderr}");
    let out = dir.path().join("out");
    for file in [
        "terraform/main.tf",
        "terraform/modules/aks/main.tf",
        "terraform/modules/github_oidc/variables.tf",
        "Dockerfile",
    ] {
        assert!(out.join(file).is_file(), "{file} was not written");
    }
    let before = common::snapshot_dir(&out);

    let again = common::stackgen(dir.path(), &["generate", "--out", "out"]);
    assert_eq!(again.status.code(), Some(0), "{:?}", common::text(&again));
    assert_eq!(common::snapshot_dir(&out), before, "a re-run must not change a byte");

    let check = common::stackgen(dir.path(), &["generate", "--out", "out", "--check"]);
    assert_eq!(check.status.code(), Some(0), "{:?}", common::text(&check));
}

#[test]
fn check_prints_a_diff_and_fails_when_out_of_date() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert_eq!(common::stackgen(dir.path(), &["generate", "--out", "out"]).status.code(), Some(0));
    let main = dir.path().join("out/terraform/main.tf");
    let edited = std::fs::read_to_string(&main).expect("read").replace("\"demo\"", "\"changed\"");
    std::fs::write(&main, edited).expect("write");

    let check = common::stackgen(dir.path(), &["generate", "--out", "out", "--check"]);
    let (stdout, stderr) = common::text(&check);
    assert_eq!(check.status.code(), Some(OUT_OF_DATE), "{stdout}{stderr}");
    assert!(stdout.contains("terraform/main.tf"), "names the file: {stdout}");
    assert!(stdout.contains("-  name = \"changed\"") || stdout.contains("\"changed\""), "shows the diff: {stdout}");
}

#[test]
fn a_hand_edited_file_survives_a_rerun_until_forced() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert_eq!(common::stackgen(dir.path(), &["generate", "--out", "out"]).status.code(), Some(0));
    let variables = dir.path().join("out/terraform/modules/aks/variables.tf");
    let hand_edit = format!("{}\n# my local change\n", std::fs::read_to_string(&variables).expect("read"));
    std::fs::write(&variables, &hand_edit).expect("write");

    let rerun = common::stackgen(dir.path(), &["generate", "--out", "out"]);
    let (stdout, stderr) = common::text(&rerun);
    assert_eq!(rerun.status.code(), Some(HAND_EDITED), "{stdout}{stderr}");
    assert!(stderr.contains("terraform/modules/aks/variables.tf"), "names the file: {stderr}");
    assert!(stderr.contains("--force"), "explains --force: {stderr}");
    assert_eq!(std::fs::read_to_string(&variables).expect("read"), hand_edit, "the hand edit survives");

    let forced = common::stackgen(dir.path(), &["generate", "--out", "out", "--force"]);
    assert_eq!(forced.status.code(), Some(0), "{:?}", common::text(&forced));
    assert!(!std::fs::read_to_string(&variables).expect("read").contains("my local change"));
}

fn expectations(spec: &Path) -> Vec<String> {
    std::fs::read_to_string(spec)
        .expect("fixture")
        .lines()
        .filter_map(|l| l.strip_prefix("# expect: "))
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_bad_spec_is_refused_with_field_rule_and_location_and_nothing_is_written() {
    let fixtures = common::repo_root().join("tests/fixtures/bad");
    let mut specs: Vec<_> =
        std::fs::read_dir(&fixtures).expect("fixtures").filter_map(Result::ok).map(|e| e.path()).collect();
    specs.sort();
    assert!(specs.len() >= 10, "the bad-spec table has {} entries", specs.len());
    for spec in specs {
        let name = spec.file_name().expect("name").to_string_lossy().into_owned();
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        std::fs::create_dir_all(&out).expect("mkdir");
        std::fs::write(out.join("keep.txt"), "untouched").expect("write");
        let before = common::snapshot_dir(&out);

        let spec_arg = spec.to_string_lossy().into_owned();
        let output = common::stackgen(dir.path(), &["generate", &spec_arg, "--out", "out"]);
        let (_, stderr) = common::text(&output);
        assert_eq!(output.status.code(), Some(INVALID_SPEC), "{name}: {stderr}");
        for expected in expectations(&spec) {
            assert!(stderr.contains(&expected), "{name}: expected {expected:?} in:\n{stderr}");
        }
        let located = stderr
            .lines()
            .filter(|l| l.starts_with("error: ") && l.contains(&name) && !l.contains("problem(s)"))
            .all(|l| {
                let after = l.split(&name).nth(1).unwrap_or_default();
                after.starts_with(':')
                    && after[1..].split(':').take(2).all(|n| n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty())
            });
        assert!(located, "{name}: every problem carries line:column:\n{stderr}");
        assert_eq!(common::snapshot_dir(&out), before, "{name}: the output folder was touched");

        let validate = common::stackgen(dir.path(), &["validate", &spec_arg]);
        assert_eq!(validate.status.code(), Some(INVALID_SPEC), "{name}: validate must fail too");

        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(common::repo_root().join("snapshots/errors"));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        let stable = stderr.replace(&spec_arg, &format!("tests/fixtures/bad/{name}"));
        settings.bind(|| insta::assert_snapshot!(name, stable));
    }
}

#[test]
fn every_example_validates() {
    for (_, path) in common::example_specs() {
        let output = common::stackgen(&common::repo_root(), &["validate", &path.to_string_lossy()]);
        assert_eq!(output.status.code(), Some(0), "{}: {:?}", path.display(), common::text(&output));
    }
}

#[test]
fn the_committed_schema_matches_the_spec_types_and_examples_point_at_it() {
    let output = common::stackgen(&common::repo_root(), &["schema"]);
    assert_eq!(output.status.code(), Some(0));
    let committed = std::fs::read_to_string(common::repo_root().join("examples/stackgen.schema.json")).expect("schema");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        committed,
        "run `cargo run -- schema > examples/stackgen.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&committed).expect("JSON");
    assert_eq!(schema["additionalProperties"], serde_json::Value::Bool(false), "unknown top-level keys are rejected");
    for (_, path) in common::example_specs() {
        if path.extension().is_some_and(|e| e == "yaml") {
            let first = std::fs::read_to_string(&path).expect("read").lines().next().unwrap_or_default().to_owned();
            assert_eq!(first, "# yaml-language-server: $schema=./stackgen.schema.json", "{}", path.display());
        }
    }
}

#[test]
fn usage_errors_have_their_own_exit_code() {
    let output = common::stackgen(&common::repo_root(), &["frobnicate"]);
    assert_eq!(output.status.code(), Some(2));
    let output = common::stackgen(&common::repo_root(), &["generate", "--check", "--force"]);
    assert_eq!(output.status.code(), Some(2), "--check and --force conflict");
}

#[test]
fn output_path_mistakes_have_their_own_exit_code_not_the_bug_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a-file"), "x").expect("write");
    let output = common::stackgen(dir.path(), &["generate", "--out", "a-file"]);
    let (_, stderr) = common::text(&output);
    assert_eq!(output.status.code(), Some(OUTPUT_UNWRITABLE), "the output path is a file: {stderr}");
    assert!(stderr.contains("not a directory"), "{stderr}");
    assert_eq!(std::fs::read_to_string(dir.path().join("a-file")).expect("read"), "x");

    // A file where a generated folder goes.
    std::fs::create_dir_all(dir.path().join("out")).expect("mkdir");
    std::fs::write(dir.path().join("out/terraform"), "in the way").expect("write");
    let output = common::stackgen(dir.path(), &["generate", "--out", "out"]);
    let (_, stderr) = common::text(&output);
    assert_eq!(output.status.code(), Some(OUTPUT_UNWRITABLE), "{stderr}");
    assert!(stderr.contains("terraform") && stderr.contains("nothing was written"), "{stderr}");

    // A read-only folder (only enforceable when not running as root).
    use std::os::unix::fs::PermissionsExt as _;
    let locked = dir.path().join("locked");
    std::fs::create_dir_all(&locked).expect("mkdir");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    if std::fs::write(locked.join("probe"), "x").is_err() {
        let output = common::stackgen(dir.path(), &["generate", "--out", "locked"]);
        assert_eq!(output.status.code(), Some(OUTPUT_UNWRITABLE), "{:?}", common::text(&output));
    } else {
        eprintln!("SKIPPED (read-only folder): permissions are not enforced for this user (root)");
    }
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).expect("chmod back");
}

#[test]
fn init_writes_the_commented_default_spec_and_its_schema_and_never_overwrites() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = common::stackgen(dir.path(), &["init", "new"]);
    assert_eq!(output.status.code(), Some(0), "{:?}", common::text(&output));
    let spec = std::fs::read_to_string(dir.path().join("new/stackgen.yaml")).expect("stackgen.yaml");
    assert_eq!(spec, std::fs::read_to_string(common::repo_root().join("examples/default.yaml")).expect("default"));
    assert!(spec.starts_with("# yaml-language-server: $schema=./stackgen.schema.json\n# "), "{spec}");
    let schema = std::fs::read_to_string(dir.path().join("new/stackgen.schema.json")).expect("schema");
    assert_eq!(schema, std::fs::read_to_string(common::repo_root().join("examples/stackgen.schema.json")).expect("s"));

    std::fs::write(dir.path().join("new/stackgen.yaml"), "# mine\n").expect("write");
    std::fs::remove_file(dir.path().join("new/stackgen.schema.json")).expect("rm");
    let again = common::stackgen(dir.path(), &["init", "new"]);
    let (_, stderr) = common::text(&again);
    assert_eq!(again.status.code(), Some(HAND_EDITED), "{stderr}");
    assert!(stderr.contains("stackgen.yaml") && stderr.contains("never overwrites"), "{stderr}");
    assert_eq!(std::fs::read_to_string(dir.path().join("new/stackgen.yaml")).expect("read"), "# mine\n");
    assert!(!dir.path().join("new/stackgen.schema.json").exists(), "nothing is written when one file exists");
}

#[test]
fn generate_without_a_spec_uses_the_folders_stackgen_yaml_and_writes_into_the_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert_eq!(common::stackgen(dir.path(), &["init"]).status.code(), Some(0));
    let spec = dir.path().join("stackgen.yaml");
    let renamed = std::fs::read_to_string(&spec).expect("read").replace("name: hello", "name: greeter");
    std::fs::write(&spec, &renamed).expect("write");
    let output = common::stackgen(dir.path(), &["generate"]);
    assert_eq!(output.status.code(), Some(0), "{:?}", common::text(&output));
    assert!(dir.path().join("charts/greeter/Chart.yaml").is_file(), "the folder's spec was used");
    assert!(dir.path().join("Cargo.toml").is_file() && dir.path().join(".gitignore").is_file());
    assert!(!dir.path().join("stack").exists());
    assert_eq!(std::fs::read_to_string(&spec).expect("read"), renamed, "the spec is the user's");
    let check = common::stackgen(dir.path(), &["generate", "stackgen.yaml", "--out", ".", "--check"]);
    assert_eq!(check.status.code(), Some(0), "{:?}", common::text(&check));
}

#[test]
fn generate_without_any_spec_writes_the_default_spec_into_the_output_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert_eq!(common::stackgen(dir.path(), &["generate"]).status.code(), Some(0));
    let seeded = dir.path().join("stack/stackgen.yaml");
    let default = std::fs::read_to_string(common::repo_root().join("examples/default.yaml")).expect("default");
    assert_eq!(std::fs::read_to_string(&seeded).expect("seeded spec"), default);
    std::fs::write(&seeded, format!("{default}# my note\n")).expect("edit");
    let again = common::stackgen(dir.path(), &["generate"]);
    assert_eq!(again.status.code(), Some(0), "{:?}", common::text(&again));
    assert!(std::fs::read_to_string(&seeded).expect("read").ends_with("# my note\n"), "seeded: never overwritten");
    // The output now answers for itself: its own spec regenerates it byte for byte.
    let check = common::stackgen(&dir.path().join("stack"), &["generate", "stackgen.yaml", "--out", ".", "--check"]);
    assert_eq!(check.status.code(), Some(0), "{:?}", common::text(&check));
}

#[test]
fn a_changed_app_name_is_refused_while_the_seeded_crate_keeps_the_old_package_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert_eq!(common::stackgen(dir.path(), &["init"]).status.code(), Some(0));
    assert_eq!(common::stackgen(dir.path(), &["generate"]).status.code(), Some(0));
    let spec = dir.path().join("stackgen.yaml");
    let original = std::fs::read_to_string(&spec).expect("read");
    std::fs::write(&spec, original.replace("name: hello", "name: greeter")).expect("write");
    let before = common::snapshot_dir(dir.path());

    for args in [&["generate"][..], &["generate", "stackgen.yaml", "--out", ".", "--check"]] {
        let output = common::stackgen(dir.path(), args);
        let (stdout, stderr) = common::text(&output);
        assert_eq!(output.status.code(), Some(INVALID_SPEC), "{args:?}: {stdout}{stderr}");
        assert!(
            stderr.contains("stackgen.yaml:") && stderr.contains("app.name [starter-package]"),
            "names the file, field and rule: {stderr}"
        );
        assert!(stderr.contains("service/Cargo.toml") && stderr.contains("\"hello\""), "says what clashes: {stderr}");
    }
    assert_eq!(common::snapshot_dir(dir.path()), before, "nothing was written");

    // Renaming the package in the team's crate is what the message asks for; then it generates.
    let manifest = dir.path().join("service/Cargo.toml");
    let renamed = std::fs::read_to_string(&manifest).expect("read").replace("name = \"hello\"", "name = \"greeter\"");
    std::fs::write(&manifest, renamed).expect("write");
    let output = common::stackgen(dir.path(), &["generate"]);
    assert_eq!(output.status.code(), Some(0), "{:?}", common::text(&output));
}
