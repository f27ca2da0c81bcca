//! The generated delivery: workflows, version script, Argo CD manifest and README, checked with
//! the real validators (check-jsonschema, actionlint + shellcheck, checkov, kubernetes-validate,
//! jsonschema against the Argo CD CRD) for every example spec in both deploy modes.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use pretty_assertions::assert_eq;
use stackgen_generator::pipeline::{self, actions, argocd, delivery, pull_request, readme};
use stackgen_generator::{FileTree, generate};
use stackgen_modules::StackSpec;
use stackgen_modules::delivery::DeployMode;

// ---------------------------------------------------------------------------------------------
// Specs

/// Loads an example spec (YAML or TOML) straight into the model.
#[track_caller]
fn load_example(name: &str) -> StackSpec {
    let path = common::repo_root().join("examples").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if name.ends_with(".toml") {
        toml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
    } else {
        serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
    }
}

const EXAMPLES: [&str; 4] = ["default.yaml", "push-mode.yaml", "local-accounts.toml", "gateway.yaml"];

/// Every example in both deploy modes: (label such as `push-mode.gitops`, spec).
fn variants() -> Vec<(String, StackSpec)> {
    let mut all = Vec::new();
    for example in EXAMPLES {
        let stem = example.split('.').next().unwrap_or(example);
        for mode in [DeployMode::Gitops, DeployMode::Push] {
            let mut spec = load_example(example);
            spec.delivery.mode = mode;
            let label = match mode {
                DeployMode::Gitops => "gitops",
                DeployMode::Push => "push",
            };
            all.push((format!("{stem}.{label}"), spec));
        }
    }
    all
}

#[track_caller]
fn files(spec: &StackSpec) -> FileTree {
    generate(spec).unwrap_or_else(|e| panic!("generate failed: {e}")).files
}

#[track_caller]
fn text<'a>(tree: &'a FileTree, path: &str) -> &'a str {
    tree.get_str(path).unwrap_or_else(|| panic!("{path} was not generated; got {:?}", tree.paths().collect::<Vec<_>>()))
}

fn workflow_paths() -> [&'static str; 2] {
    [delivery::PATH, pull_request::PATH]
}

// ---------------------------------------------------------------------------------------------
// Tools

fn tools_dir() -> PathBuf {
    std::env::var_os("STACKGEN_TOOLS").map_or_else(|| common::repo_root().join(".tools"), PathBuf::from)
}

/// `$STACKGEN_TOOLS/<venv>/bin/<name>`, or `None` (after printing why) when absent and tools
/// are not required.
fn tool(venv: &str, name: &str) -> Option<PathBuf> {
    let path = tools_dir().join(venv).join("bin").join(name);
    if path.is_file() {
        return Some(path);
    }
    let message = format!("{} not found: run `bash scripts/install-tools`", path.display());
    assert!(!common::tools_required(), "STACKGEN_REQUIRE_TOOLS=1 but {message}");
    eprintln!("SKIPPED: {message}");
    None
}

/// Runs a command; returns (success, stdout + stderr).
fn run(command: &mut Command) -> (bool, String) {
    let output = command.output().unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

/// PATH with the tools venv first, so actionlint finds the pinned shellcheck.
fn path_with(dir: &Path) -> std::ffi::OsString {
    let mut paths = vec![dir.to_path_buf()];
    if let Some(path) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(paths).expect("joinable PATH")
}

// ---------------------------------------------------------------------------------------------
// Snapshots

/// Every workflow, script, manifest and README of every example in both modes, reviewed as
/// text under `snapshots/pipeline/`.
#[test]
fn snapshots_of_every_pipeline_file() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(common::repo_root().join("snapshots").join("pipeline"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for (label, spec) in variants() {
            let tree = files(&spec);
            let mut paths: Vec<&str> = workflow_paths().to_vec();
            paths.push(readme::PATH);
            if spec.delivery.mode == DeployMode::Gitops {
                paths.push(argocd::APPLICATION_PATH);
            }
            for path in paths {
                let name = format!("{label}__{}", path.trim_start_matches('.').replace('/', "_"));
                insta::assert_snapshot!(name, without_build_rev(text(&tree, path)));
            }
        }
        // The same for every spec.
        insta::assert_snapshot!(
            "next-version.sh",
            text(&files(&load_example("default.yaml")), pipeline::NEXT_VERSION_PATH)
        );
    });
}

/// The commit stackgen was built from changes with every commit; snapshots show a placeholder.
fn without_build_rev(text: &str) -> String {
    match pull_request::STACKGEN_BUILD_REV {
        Some(rev) => text.replace(rev, "<stackgen build commit>"),
        None => text.to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// Structure: pins, permissions, expressions

/// Parses a generated workflow.
#[track_caller]
fn parse(text: &str) -> serde_yaml::Value {
    serde_yaml::from_str(text).unwrap_or_else(|e| panic!("not YAML: {e}\n{text}"))
}

fn jobs(workflow: &serde_yaml::Value) -> Vec<(String, &serde_yaml::Value)> {
    workflow["jobs"]
        .as_mapping()
        .map(|m| m.iter().map(|(k, v)| (k.as_str().unwrap_or_default().to_owned(), v)).collect())
        .unwrap_or_default()
}

fn steps(job: &serde_yaml::Value) -> Vec<&serde_yaml::Value> {
    job["steps"].as_sequence().map(|s| s.iter().collect()).unwrap_or_default()
}

/// Every `uses:` that is not `owner/name@<40 hex>` followed on its line by `# v<version>`.
fn unpinned_uses(text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start().trim_start_matches("- ");
        let Some(rest) = trimmed.strip_prefix("uses:") else { continue };
        let (reference, comment) = rest.split_once(" # ").map_or((rest.trim(), ""), |(r, c)| (r.trim(), c.trim()));
        let pinned = reference.split_once('@').is_some_and(|(repo, sha)| {
            repo.contains('/') && sha.len() == 40 && sha.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        });
        let versioned = comment.strip_prefix('v').is_some_and(|v| v.split('.').count() == 3);
        if !pinned || !versioned {
            problems.push(line.trim().to_owned());
        }
    }
    // Docker and local actions (`docker://`, `./`) are not used at all.
    problems
}

/// Jobs holding `id-token: write` without an `azure/login` step, and jobs logging in without it.
fn id_token_problems(workflow: &serde_yaml::Value) -> Vec<String> {
    let mut problems = Vec::new();
    if workflow["permissions"].get("id-token").is_some() {
        problems.push("top-level permissions grant id-token".to_owned());
    }
    for (name, job) in jobs(workflow) {
        let has_id_token = job["permissions"]["id-token"].as_str() == Some("write");
        let logs_in = steps(job).iter().any(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("azure/login@")));
        if has_id_token && !logs_in {
            problems.push(format!("{name}: id-token: write but no azure/login"));
        }
        if logs_in && !has_id_token {
            problems.push(format!("{name}: azure/login without id-token: write"));
        }
    }
    problems
}

#[test]
fn every_action_is_pinned_to_a_full_sha_with_its_version() {
    for (label, spec) in variants() {
        let tree = files(&spec);
        for path in workflow_paths() {
            let text = text(&tree, path);
            assert_eq!(unpinned_uses(text), Vec::<String>::new(), "{label} {path}");
            assert!(text.contains("uses: "), "{label} {path} uses no action at all: the check would be vacuous");
        }
    }
    // The check itself catches what it must.
    let bad = "    - uses: actions/checkout@v4\n    - uses: azure/login@a457da9 # v2.3.0\n    - uses: aquasecurity/trivy-action@57a97c7e7821a5776cebc9bb87c984fa69cba8f1\n";
    assert_eq!(unpinned_uses(bad).len(), 3);
}

#[test]
fn pinned_shas_are_the_looked_up_ones() {
    // A typo in a SHA would still look pinned; these are the commits the tags resolved to.
    let expected = [
        ("actions/checkout", "de0fac2e4500dabe0009e67214ff5f5447ce83dd", "v6.0.2"),
        ("azure/login", "a457da9ea143d694b1b9c7c869ebb04ebe844ef5", "v2.3.0"),
        ("aquasecurity/trivy-action", "57a97c7e7821a5776cebc9bb87c984fa69cba8f1", "v0.35.0"),
        ("hashicorp/setup-terraform", "dfe3c3f87815947d99a8997f908cb6525fc44e9e", "v4.0.1"),
        ("docker/setup-buildx-action", "37fe631027851001ddb9b187196cc803df7f5f0e", "v4.3.0"),
        ("docker/build-push-action", "53b7df96c91f9c12dcc8a07bcb9ccacbed38856a", "v7.3.0"),
        ("actions/cache/restore", "27d5ce7f107fe9357f9df03efb73ab90386fccae", "v5.0.5"),
        ("actions/cache/save", "27d5ce7f107fe9357f9df03efb73ab90386fccae", "v5.0.5"),
    ];
    let actual: Vec<(&str, &str, &str)> = actions::ALL.iter().map(|a| (a.repo, a.sha, a.version)).collect();
    assert_eq!(actual, expected);
}

#[test]
fn id_token_write_only_on_jobs_that_log_in_to_azure() {
    for (label, spec) in variants() {
        let tree = files(&spec);
        for path in workflow_paths() {
            let workflow = parse(text(&tree, path));
            assert_eq!(id_token_problems(&workflow), Vec::<String>::new(), "{label} {path}");
            let mut top = serde_yaml::Mapping::new();
            top.insert("contents".into(), "read".into());
            assert_eq!(
                workflow["permissions"],
                serde_yaml::Value::Mapping(top),
                "{label} {path}: top-level permissions"
            );
        }
        let delivery = parse(text(&tree, delivery::PATH));
        let with_id_token: Vec<String> = jobs(&delivery)
            .into_iter()
            .filter(|(_, j)| j["permissions"]["id-token"].as_str() == Some("write"))
            .map(|(n, _)| n)
            .collect();
        let expected: Vec<&str> = match spec.delivery.mode {
            DeployMode::Push => vec!["build", "deploy"],
            DeployMode::Gitops => vec!["build"],
        };
        assert_eq!(with_id_token, expected, "{label}");
        let pull_request = parse(text(&tree, pull_request::PATH));
        for (name, job) in jobs(&pull_request) {
            assert!(job.get("permissions").is_none(), "{label}: pull-request job {name} widens permissions");
            assert!(
                !text(&tree, pull_request::PATH).contains("azure/login"),
                "{label}: PRs get no cloud credentials ({name})"
            );
        }
    }
    let bad = parse(
        "permissions:\n  contents: read\njobs:\n  a:\n    permissions:\n      id-token: write\n    steps:\n    - run: echo\n  b:\n    steps:\n    - uses: azure/login@x\n",
    );
    assert_eq!(
        id_token_problems(&bad),
        ["a: id-token: write but no azure/login", "b: azure/login without id-token: write"]
    );
}

#[test]
fn run_scripts_hold_no_expressions_and_contents_write_only_where_git_is_pushed() {
    for (label, spec) in variants() {
        let tree = files(&spec);
        for path in workflow_paths() {
            let workflow = parse(text(&tree, path));
            for (name, job) in jobs(&workflow) {
                for step in steps(job) {
                    if let Some(script) = step["run"].as_str() {
                        // Stricter than "no github.event": no expression at all reaches a script.
                        assert!(!script.contains("${{"), "{label} {path} {name}: expression in run:\n{script}");
                    }
                }
                let writes = job["permissions"]["contents"].as_str() == Some("write");
                let pushes_in = |s: &serde_yaml::Value| {
                    s["run"].as_str().is_some_and(|r| r.contains("git push") || r.contains("with_token push"))
                };
                let pushes = steps(job).iter().any(|s| pushes_in(s));
                assert_eq!(writes, pushes, "{label} {path} {name}: contents: write exactly when the job pushes to git");
                for step in steps(job) {
                    // The token is in no checkout's .git/config and reaches only the pushing step.
                    if step["uses"].as_str().is_some_and(|u| u.starts_with("actions/checkout@")) {
                        assert_eq!(step["with"]["persist-credentials"], false, "{label} {path} {name}");
                    }
                    let has_token = step["env"]["GITHUB_TOKEN"].as_str().is_some();
                    assert_eq!(has_token, pushes_in(step), "{label} {path} {name}: token only where git pushes");
                    if pushes_in(step) {
                        let script = step["run"].as_str().unwrap_or_default();
                        assert!(!script.contains("git push"), "{label} {name}: a push without with_token:\n{script}");
                    }
                }
            }
        }
    }
}

#[test]
fn deploys_are_serialized_and_notify_runs_always_when_configured() {
    for (label, spec) in variants() {
        let tree = files(&spec);
        let delivery = parse(text(&tree, delivery::PATH));
        assert_eq!(delivery["concurrency"]["cancel-in-progress"].as_bool(), Some(false), "{label}");
        assert_eq!(
            delivery["concurrency"]["group"].as_str(),
            Some(format!("delivery-{}", spec.github.branch).as_str()),
            "{label}"
        );
        assert_eq!(delivery["on"]["push"]["branches"][0].as_str(), Some(spec.github.branch.as_str()), "{label}");
        let names: Vec<String> = jobs(&delivery).into_iter().map(|(n, _)| n).collect();
        let mut expected = vec!["analyze", "build", "tag", "deploy"];
        if !spec.delivery.notify.emails.is_empty() {
            expected.push("notify");
            assert_eq!(delivery["jobs"]["notify"]["if"].as_str(), Some("always()"), "{label}");
            let needs: Vec<&str> = delivery["jobs"]["notify"]["needs"]
                .as_sequence()
                .expect("needs")
                .iter()
                .filter_map(|v| v.as_str())
                .collect();
            assert_eq!(needs, ["analyze", "build", "tag", "deploy"], "{label}");
            let recipients = delivery["jobs"]["notify"]["steps"][0]["env"]["RECIPIENTS"].as_str().expect("recipients");
            assert_eq!(recipients, spec.delivery.notify.emails.join(" "), "{label}");
        }
        assert_eq!(names, expected, "{label}");
        let deploy = &delivery["jobs"]["deploy"];
        let deploy_steps = serde_yaml::to_string(&deploy["steps"]).expect("yaml");
        match spec.delivery.mode {
            DeployMode::Push => {
                assert_eq!(deploy["concurrency"]["cancel-in-progress"].as_bool(), Some(false), "{label}");
                assert!(deploy_steps.contains("helm upgrade --install \"$APP_NAME\" \"charts/$APP_NAME\""), "{label}");
                for flag in ["--atomic", "--wait", "image.repository=\"$IMAGE_REPOSITORY\"", "image.tag=\"$VERSION\""] {
                    assert!(deploy_steps.contains(flag), "{label}: {flag}");
                }
                assert_eq!(
                    deploy_steps.contains("kubelogin convert-kubeconfig"),
                    spec.aks.authentication == stackgen_modules::aks::ClusterAuthentication::EntraId,
                    "{label}"
                );
            }
            DeployMode::Gitops => {
                assert!(
                    !deploy_steps.contains("azure/login") && !deploy_steps.contains("kube"),
                    "{label}: gitops deploy touches the cluster"
                );
                assert_eq!(
                    deploy["env"]["VALUES_FILE"].as_str(),
                    Some(format!("charts/{}/values-image.yaml", spec.app.name).as_str())
                );
            }
        }
        assert_eq!(
            deploy["environment"].as_str(),
            if spec.delivery.mode == DeployMode::Push { spec.github.environment.as_deref() } else { None },
            "{label}"
        );
        assert_eq!(delivery["jobs"]["build"]["environment"].as_str(), spec.github.environment.as_deref(), "{label}");
    }
}

#[test]
fn repository_variables_are_terraform_root_outputs() {
    for (label, spec) in variants() {
        let tree = files(&spec);
        let outputs_tf = text(&tree, "terraform/outputs.tf");
        let declared: BTreeSet<&str> = outputs_tf
            .lines()
            .filter_map(|l| l.strip_prefix("output \""))
            .filter_map(|l| l.split('"').next())
            .collect();
        let variables = generate(&spec).expect("generates").repository_variables;
        for variable in &variables {
            let output = variable.value.root_output();
            assert!(
                declared.contains(output.as_str()),
                "{label}: {} comes from missing output {}; outputs: {declared:?}",
                variable.name,
                output
            );
            assert!(!variable.name.starts_with("GITHUB_"), "{label}: GitHub rejects the GITHUB_ prefix");
        }
        let names: BTreeSet<&str> = variables.iter().map(|v| v.name.as_str()).collect();
        for path in workflow_paths() {
            let text = text(&tree, path);
            for used in text
                .split("vars.")
                .skip(1)
                .map(|rest| rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next().unwrap_or_default())
            {
                assert!(names.contains(used), "{label} {path}: vars.{used} is never set by the README");
            }
        }
    }
}

#[test]
fn files_start_with_the_header_and_are_deterministic() {
    for (label, spec) in variants() {
        let first = files(&spec);
        assert_eq!(first, files(&spec), "{label}: two generations differ");
        let mut yaml_paths: Vec<&str> = workflow_paths().to_vec();
        if spec.delivery.mode == DeployMode::Gitops {
            yaml_paths.push(argocd::APPLICATION_PATH);
        }
        let header = format!("# {}\n", stackgen_generator::hclfmt::GENERATED_HEADER);
        for path in yaml_paths {
            assert!(text(&first, path).starts_with(&header), "{label} {path}");
        }
        let script = text(&first, pipeline::NEXT_VERSION_PATH);
        assert!(script.starts_with(&format!("#!/usr/bin/env bash\n{header}")), "{label}: shebang, then header");
        assert_eq!(first.get(argocd::APPLICATION_PATH).is_some(), spec.delivery.mode == DeployMode::Gitops, "{label}");
        for (path, bytes) in first.iter().filter(|(p, _)| {
            p.as_str().starts_with(".github") || p.as_str() == "README.md" || p.as_str().starts_with("argocd")
        }) {
            assert!(!bytes.contains(&b'\r') && bytes.ends_with(b"\n"), "{label} {path}: LF and final newline");
        }
    }
}

#[test]
fn expressions_in_spec_values_are_refused() {
    let mut spec = load_example("default.yaml");
    spec.github.branch = "${{secrets.X}}".to_owned();
    // The branch rules accept `$`, `{` and `}`; the pipeline's own guard must stop it.
    match generate(&spec) {
        Err(stackgen_generator::GenerateError::Artifact { what, source }) => {
            assert_eq!(what, delivery::PATH);
            assert!(source.to_string().contains("github.branch"), "{source}");
        }
        other => panic!("expected the expression guard to refuse the branch, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Real validators

/// Writes every variant into its own folder under one temp dir; returns it and the workflow files.
fn all_variants_on_disk() -> (tempfile::TempDir, Vec<PathBuf>) {
    let root = tempfile::tempdir().expect("temp dir");
    let mut workflows = Vec::new();
    for (label, spec) in variants() {
        let tree = files(&spec);
        for path in workflow_paths() {
            let target = root.path().join(&label).join(path);
            std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
            std::fs::write(&target, text(&tree, path)).expect("write");
            workflows.push(target);
        }
    }
    (root, workflows)
}

#[test]
fn workflows_validate_against_github_workflow_schema() {
    let Some(check_jsonschema) = tool("venv", "check-jsonschema") else { return };
    let (_dir, workflows) = all_variants_on_disk();
    let (ok, output) =
        run(Command::new(&check_jsonschema).arg("--builtin-schema").arg("vendor.github-workflows").args(&workflows));
    assert!(ok, "check-jsonschema failed:\n{output}");
    assert!(output.contains("ok -- validation done"), "{output}");

    // The schema is really applied: a job without runs-on or steps is refused.
    let broken = _dir.path().join("broken.yml");
    std::fs::write(&broken, "name: x\non: push\njobs:\n  a:\n    name: no runner\n").expect("write");
    let (ok, output) =
        run(Command::new(&check_jsonschema).arg("--builtin-schema").arg("vendor.github-workflows").arg(&broken));
    assert!(!ok, "the schema accepted a job without runs-on:\n{output}");
}

#[test]
fn workflows_pass_actionlint_with_shellcheck() {
    let Some(actionlint) = tool("venv", "actionlint") else { return };
    let Some(shellcheck) = tool("venv", "shellcheck") else { return };
    let (dir, workflows) = all_variants_on_disk();
    let lint = |files: &[PathBuf]| {
        run(Command::new(&actionlint)
            .arg("-no-color")
            .arg("-shellcheck")
            .arg(&shellcheck)
            .args(files)
            .current_dir(dir.path())
            .env("PATH", path_with(shellcheck.parent().expect("bin dir"))))
    };
    let (ok, output) = lint(&workflows);
    assert!(ok, "actionlint failed:\n{output}");

    // shellcheck is really consulted: an unquoted expansion in a generated-looking step fails.
    let broken = dir.path().join("broken/.github/workflows/broken.yml");
    std::fs::create_dir_all(broken.parent().expect("parent")).expect("mkdir");
    std::fs::write(
        &broken,
        "name: b\non: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n    - run: cp $SOURCE $TARGET\n",
    )
    .expect("write");
    let (ok, output) = lint(std::slice::from_ref(&broken));
    assert!(!ok && output.contains("SC2086"), "actionlint did not run shellcheck:\n{output}");
}

#[test]
fn checkov_github_actions_checks_pass() {
    let Some(checkov) = tool("checkov", "checkov") else { return };
    let (dir, _) = all_variants_on_disk();
    let output = Command::new(&checkov)
        .args(["--framework", "github_actions", "--skip-download", "--output", "json", "--directory"])
        .arg(dir.path())
        .env("CKV_SKIP_PACKAGE_UPDATE_CHECK", "true")
        .env("BC_SKIP_MAPPING", "TRUE")
        .output()
        .expect("checkov runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("checkov printed no JSON ({e}):\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr))
    });
    let reports = if report.is_array() { report.as_array().cloned().unwrap_or_default() } else { vec![report] };
    let mut passed = BTreeSet::new();
    let mut failures = Vec::new();
    for report in &reports {
        for check in report["results"]["passed_checks"].as_array().into_iter().flatten() {
            passed.insert(format!(
                "{} {}",
                check["check_id"].as_str().unwrap_or_default(),
                check["file_path"].as_str().unwrap_or_default()
            ));
        }
        for check in report["results"]["failed_checks"].as_array().into_iter().flatten() {
            failures.push(format!("{} {} {}", check["check_id"], check["check_name"], check["file_path"]));
        }
    }
    assert_eq!(failures, Vec::<String>::new(), "checkov failures");
    // Not vacuous: the injection, curl-with-secrets and permissions policies ran on every file.
    for (label, _) in variants() {
        for path in workflow_paths() {
            for check in ["CKV_GHA_2", "CKV_GHA_3", "CKV2_GHA_1"] {
                let key = format!("{check} /{label}/{path}");
                assert!(passed.contains(&key), "checkov did not pass {key}; passed: {passed:#?}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The version script

/// Runs the emitted next-version script with `tags` on stdin.
#[track_caller]
fn next_version(tags: &[&str]) -> String {
    let script = write_script();
    let mut child = Command::new("bash")
        .arg(script.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("bash runs");
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().expect("stdin");
        for tag in tags {
            writeln!(stdin, "{tag}").expect("write tag");
        }
    }
    let output = child.wait_with_output().expect("script runs");
    assert!(output.status.success(), "next-version failed for {tags:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("UTF-8").trim_end().to_owned()
}

/// The script exactly as generated, in a temp file.
fn write_script() -> tempfile::NamedTempFile {
    let tree = files(&load_example("default.yaml"));
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), text(&tree, pipeline::NEXT_VERSION_PATH)).expect("write script");
    file
}

#[test]
fn next_version_bumps_the_patch_of_the_latest_semver_tag() {
    assert_eq!(next_version(&[]), "0.0.1", "no tags");
    assert_eq!(next_version(&["v0.0.1"]), "0.0.2");
    assert_eq!(next_version(&["v1.2.9"]), "1.2.10");
    // Numeric, not lexical, order; input order does not matter.
    assert_eq!(next_version(&["v1.10.0", "v1.9.99", "v0.0.1"]), "1.10.1");
    assert_eq!(next_version(&["v2.0.0", "v10.0.0", "v9.9.9"]), "10.0.1");
}

#[test]
fn next_version_ignores_malformed_tags() {
    let malformed =
        ["v1.2", "1.2.3", "v1.2.3-rc.1", "v01.2.3", "v1.2.3.4", "vx.y.z", "release-7", "v1.2.3 ", "v 1.2.3", ""];
    assert_eq!(next_version(&malformed), "0.0.1", "only malformed tags");
    let mut mixed = malformed.to_vec();
    mixed.extend(["v0.3.4", "v9.9.9-hotfix"]);
    assert_eq!(next_version(&mixed), "0.3.5");
}

#[test]
fn next_version_reads_real_git_tags_the_way_the_workflow_does() {
    let repo = tempfile::tempdir().expect("temp dir");
    let git = |args: &[&str]| {
        let (ok, output) = run(Command::new("git")
            .args(args)
            .current_dir(repo.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.org")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.org"));
        assert!(ok, "git {args:?}: {output}");
    };
    git(&["init", "--quiet"]);
    git(&["commit", "--quiet", "--allow-empty", "--message", "first"]);
    let script = write_script();
    // The workflow's exact pipeline, from the emitted workflow text.
    let command = format!("git tag --list 'v*' | bash {}", script.path().display());
    let version = || {
        let (ok, output) = run(Command::new("bash").arg("-c").arg(&command).current_dir(repo.path()));
        assert!(ok, "{output}");
        output.trim().to_owned()
    };
    assert_eq!(version(), "0.0.1");
    for tag in ["v0.1.9", "v0.1.10", "latest", "v0.2.0-beta"] {
        git(&["tag", tag]);
    }
    assert_eq!(version(), "0.1.11");
    let workflow = text(&files(&load_example("default.yaml")), delivery::PATH).to_owned();
    assert!(
        workflow.contains(&format!("git tag --list 'v*' | bash {}", pipeline::NEXT_VERSION_PATH)),
        "the workflow runs the script as tested"
    );
}

#[test]
fn next_version_script_passes_shellcheck() {
    let Some(shellcheck) = tool("venv", "shellcheck") else { return };
    let script = write_script();
    let (ok, output) = run(Command::new(shellcheck).arg("--shell=bash").arg(script.path()));
    assert!(ok, "{output}");
}

// ---------------------------------------------------------------------------------------------
// Argo CD

fn crd_schema() -> PathBuf {
    common::repo_root().join("generator/tests/fixtures/pipeline/argocd-application-v1alpha1.schema.json")
}

fn support(script: &str) -> PathBuf {
    common::repo_root().join("generator/tests/support").join(script)
}

/// Runs the CRD validator on `manifests`; (success, report).
fn validate_against_crd(python: &Path, manifests: &[PathBuf]) -> (bool, String) {
    run(Command::new(python).arg(support("pipeline_validate_crd.py")).arg(crd_schema()).args(manifests))
}

fn gitops_applications() -> (tempfile::TempDir, Vec<(String, StackSpec, PathBuf)>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut all = Vec::new();
    for (label, spec) in variants().into_iter().filter(|(_, s)| s.delivery.mode == DeployMode::Gitops) {
        let path = dir.path().join(format!("{label}.application.yaml"));
        std::fs::write(&path, text(&files(&spec), argocd::APPLICATION_PATH)).expect("write");
        all.push((label, spec, path));
    }
    (dir, all)
}

#[test]
fn argocd_application_matches_the_crd_schema() {
    let Some(python) = tool("venv", "python") else { return };
    let (dir, applications) = gitops_applications();
    let manifests: Vec<PathBuf> = applications.iter().map(|(_, _, p)| p.clone()).collect();
    assert_eq!(manifests.len(), EXAMPLES.len());
    let (ok, report) = validate_against_crd(&python, &manifests);
    assert!(ok, "{report}");

    // The schema check bites: a misspelt field, a wrong type and a missing required field.
    let good = std::fs::read_to_string(&manifests[0]).expect("read");
    for (what, broken, expected) in [
        ("typo", good.replace("selfHeal:", "selfHealing:"), "selfHealing"),
        ("type", good.replace("prune: true", "prune: yes-please"), "is not of type 'boolean'"),
        ("required", good.replace("  project: default\n", ""), "'project' is a required property"),
    ] {
        assert_ne!(broken, good, "{what}: the replacement did not apply");
        let path = dir.path().join(format!("broken-{what}.yaml"));
        std::fs::write(&path, broken).expect("write");
        let (ok, report) = validate_against_crd(&python, &[path]);
        assert!(!ok && report.contains(expected), "{what}: expected {expected:?} in:\n{report}");
    }
}

#[test]
fn argocd_application_passes_kubernetes_validate() {
    let Some(validate) = tool("venv", "kubernetes-validate") else { return };
    let (_dir, applications) = gitops_applications();
    for (label, _, path) in applications {
        let (ok, output) = run(Command::new(&validate).arg("--strict").arg(&path));
        assert!(ok, "{label}: {output}");
        // It has no CRD schemas (hence the test above); anything but that warning is a finding.
        for line in output.lines().filter(|l| !l.trim().is_empty()) {
            assert!(
                line.contains("Couldn't find schema for kind Application") || line.starts_with("INFO"),
                "{label}: {line}"
            );
        }
    }
}

#[test]
fn argocd_application_points_at_the_chart_the_pipeline_updates() {
    for (label, spec) in variants().into_iter().filter(|(_, s)| s.delivery.mode == DeployMode::Gitops) {
        let tree = files(&spec);
        let app: serde_yaml::Value = parse(text(&tree, argocd::APPLICATION_PATH));
        let s = &app["spec"];
        assert_eq!(app["apiVersion"].as_str(), Some("argoproj.io/v1alpha1"), "{label}");
        assert_eq!(app["kind"].as_str(), Some("Application"), "{label}");
        assert_eq!(app["metadata"]["namespace"].as_str(), Some(spec.delivery.argocd.namespace.as_str()), "{label}");
        assert_eq!(
            s["source"]["repoURL"].as_str(),
            Some(format!("https://github.com/{}.git", spec.github.repo).as_str()),
            "{label}"
        );
        assert_eq!(s["source"]["targetRevision"].as_str(), Some(spec.github.branch.as_str()), "{label}");
        assert_eq!(s["source"]["path"].as_str(), Some(format!("charts/{}", spec.app.name).as_str()), "{label}");
        assert_eq!(s["destination"]["namespace"].as_str(), Some(spec.namespace()), "{label}");
        assert_eq!(s["destination"]["server"].as_str(), Some("https://kubernetes.default.svc"), "{label}");
        assert_eq!(s["syncPolicy"]["automated"]["prune"].as_bool(), Some(true), "{label}");
        assert_eq!(s["syncPolicy"]["automated"]["selfHeal"].as_bool(), Some(true), "{label}");
        assert!(
            s["syncPolicy"]["syncOptions"].as_sequence().expect("syncOptions").contains(&"CreateNamespace=true".into()),
            "{label}"
        );
        // The file the deploy job writes is one Argo CD reads.
        let values_file = text(&tree, delivery::PATH)
            .lines()
            .find_map(|l| l.trim().strip_prefix("VALUES_FILE: "))
            .expect("deploy job names its values file")
            .to_owned();
        let (chart, file) = values_file.rsplit_once('/').expect("path");
        assert_eq!(Some(chart), s["source"]["path"].as_str(), "{label}");
        assert!(s["source"]["helm"]["valueFiles"].as_sequence().expect("valueFiles").contains(&file.into()), "{label}");
        assert_eq!(
            s["source"]["helm"]["ignoreMissingValueFiles"].as_bool(),
            Some(true),
            "{label}: first sync precedes the first release"
        );
        // values-image.yaml is CI's, never stackgen's: --check must not see CI commits as drift.
        assert!(tree.get(&values_file).is_none(), "{label}: {values_file} must not be generated");
    }
}

#[test]
fn argocd_terraform_module_only_in_gitops_mode() {
    for (label, spec) in variants() {
        let tree = files(&spec);
        let main_tf = text(&tree, "terraform/main.tf");
        let gitops = spec.delivery.mode == DeployMode::Gitops;
        assert_eq!(main_tf.contains("module \"argocd\""), gitops, "{label}");
        assert_eq!(
            main_tf.contains("module \"kubernetes_access\""),
            !gitops,
            "{label}: the deploy identity exists only in push mode"
        );
        if gitops {
            let module = text(&tree, "terraform/modules/argocd/main.tf");
            assert!(module.contains("resource \"helm_release\" \"argocd\""), "{module}");
            assert!(module.contains("repository       = \"https://argoproj.github.io/argo-helm\""), "{module}");
            let compact: String = module.chars().filter(|c| !c.is_whitespace()).collect();
            assert!(compact.contains("values=[yamlencode({"), "helm provider 3.x: values through yamlencode\n{module}");
            let variables = text(&tree, "terraform/modules/argocd/variables.tf");
            assert!(
                variables.contains(&format!("default     = \"{}\"", spec.delivery.argocd.chart_version)),
                "{variables}"
            );
            assert!(text(&tree, "terraform/outputs.tf").contains("output \"argocd_namespace\""), "{label}");
        } else {
            assert!(tree.get("terraform/modules/argocd/main.tf").is_none(), "{label}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// README

#[test]
fn readme_lists_every_step_in_order() {
    for (label, spec) in variants() {
        let tree = files(&spec);
        let readme = text(&tree, readme::PATH);
        let mut steps = vec![
            "stackgen init",
            "stackgen generate",
            "git init -b main",
            "az login",
            "terraform -chdir=terraform init",
            "terraform -chdir=terraform apply",
            "gh repo create contoso/",
            "for pair in",
        ];
        if spec.stack.backend.is_some() {
            steps.insert(4, "az storage container create");
        } else {
            assert!(readme.contains("**The state is local**"), "{label}: the local-state warning");
        }
        if spec.github.environment.is_some() {
            steps.push("gh api --method PUT");
        }
        if !spec.delivery.notify.emails.is_empty() {
            steps.push("gh secret set SMTP_PASSWORD");
        }
        steps.extend(["git push --set-upstream origin main", "gh run watch"]);
        if spec.delivery.mode == DeployMode::Gitops {
            // After the first release: Argo CD's first sync then already has a pushed image tag.
            steps.push("kubectl apply --namespace");
        }
        let watch = format!("wait certificate/{}-tls --for=condition=Ready", spec.app.name);
        if spec.tls.settings().is_some() {
            steps.push(&watch);
        }
        let url = readme::app_url(&spec);
        steps.push(&url);
        let mut at = 0;
        for step in &steps {
            let found = readme[at..]
                .find(step)
                .unwrap_or_else(|| panic!("{label}: {step:?} missing or out of order after byte {at}"));
            at += found + step.len();
        }
        let scheme = if spec.tls.settings().is_some() { "https" } else { "http" };
        let expected_url = format!("{scheme}://{}{}", spec.app.host, spec.app.path_prefix);
        assert_eq!(url, expected_url, "{label}");
        assert!(readme.contains("Trivy"), "{label}: the README names the dependency audit tool");
    }
}

#[test]
fn readme_variable_loop_sets_each_variable_from_its_output() {
    let spec = load_example("push-mode.yaml");
    let tree = files(&spec);
    let readme = text(&tree, readme::PATH);
    let line = readme.lines().find(|l| l.starts_with("for pair in")).expect("the loop is one line");
    // Run it with stand-ins for terraform and gh that record what they were asked.
    let dir = tempfile::tempdir().expect("temp dir");
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).expect("mkdir");
    let log = dir.path().join("calls.log");
    let stub = |name: &str, body: &str| {
        let path = bin.join(name);
        std::fs::write(&path, format!("#!/usr/bin/env bash\n{body}\n")).expect("write stub");
        let mut permissions = std::fs::metadata(&path).expect("stat").permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
        std::fs::set_permissions(&path, permissions).expect("chmod");
    };
    stub("terraform", r#"[ "$1 $2 $3" = "-chdir=terraform output -raw" ] || exit 9; echo "value-of-$4""#);
    stub("gh", &format!("echo \"$*\" >> {}", log.display()));
    let (ok, output) = run(Command::new("bash").arg("-c").arg(line).env("PATH", path_with(&bin)));
    assert!(ok, "{output}");
    let calls = std::fs::read_to_string(&log).expect("gh was called");
    let expected: String = generate(&spec)
        .expect("generates")
        .repository_variables
        .iter()
        .map(|v| format!("variable set {} --repo contoso/shop --body value-of-{}\n", v.name, v.value.root_output()))
        .collect();
    assert_eq!(calls, expected);
}
