//! The generated repository passes its own workflows on the first push and on pull requests.
//!
//! Each test generates a repository the way the README says (`stackgen init`, `stackgen
//! generate`), makes it a git repository whose `origin` is a local bare repository, pushes, and
//! runs `delivery.yml` and `pull-request.yml` job by job with the local runner in
//! `support/workflow_runner.rs`: every `run:` step for real, checkouts as fresh clones, cloud tools
//! as recording stubs. The analyze job's cargo fmt, clippy and test run for real on the seeded
//! starter service (CARGO_TARGET_DIR is shared between runs, so only the first one compiles).
//! Wall times per workflow are printed (`cargo test --test workflows -- --nocapture`).

mod common;
#[path = "support/workflow_runner.rs"]
mod workflow_runner;

use std::path::{Path, PathBuf};
use std::process::Command;

use stackgen::generator::pipeline::pull_request;
use workflow_runner::{Event, FAKE_TOKEN, Runner, WorkflowRun};

const DELIVERY: &str = ".github/workflows/delivery.yml";
const PULL_REQUEST: &str = ".github/workflows/pull-request.yml";
const IMAGE: &str = "stackgendemo.azurecr.io/hello";

#[track_caller]
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.org")
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.org")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A generated repository pushed to its local `origin`, with a runner for its workflows.
struct Repo {
    _dir: tempfile::TempDir,
    work: PathBuf,
    runner: Runner,
    python: PathBuf,
}

impl Repo {
    /// `prepare` fills the empty folder (say `stackgen init` and an edit); then `stackgen
    /// generate`, `git init -b main`, commit, push to a bare origin.
    #[track_caller]
    fn new(prepare: impl FnOnce(&Path)) -> Option<Self> {
        let python = common::installed_tool("venv/bin/python")?;
        let dir = tempfile::tempdir().expect("tempdir");
        let work = dir.path().join("repo");
        std::fs::create_dir_all(&work).expect("mkdir");
        prepare(&work);
        let generate = common::stackgen(&work, &["generate"]);
        assert_eq!(generate.status.code(), Some(0), "{:?}", common::text(&generate));
        // The README's commands, literally (minus `gh repo create`, which adds the remote).
        git(&work, &["init", "--quiet", "-b", "main"]);
        git(&work, &["add", "--all"]);
        git(&work, &["commit", "--quiet", "--message", "Deploy hello with stackgen"]);
        let origin = dir.path().join("origin.git");
        git(dir.path(), &["init", "--quiet", "--bare", "-b", "main", "origin.git"]);
        git(&work, &["remote", "add", "origin", &origin.to_string_lossy()]);
        git(&work, &["push", "--quiet", "origin", "main"]);

        let helm_py = common::repo_root().join("tests/support/helm.py");
        let mut runner = Runner::new(
            &dir.path().join("scratch"),
            &origin,
            "contoso/stackgen-demo",
            Path::new(env!("CARGO_BIN_EXE_stackgen")),
            &python,
            &helm_py,
        );
        for (name, value) in [
            ("AZURE_CLIENT_ID", "00000000-0000-0000-0000-00000000c11e"),
            ("AZURE_TENANT_ID", "00000000-0000-0000-0000-0000000007e1"),
            ("AZURE_SUBSCRIPTION_ID", "00000000-0000-0000-0000-000000005b5c"),
            ("ACR_NAME", "stackgendemo"),
            ("DEPLOY_CLIENT_ID", "00000000-0000-0000-0000-0000000de910"),
            ("AKS_NAME", "aks-demo"),
            ("RESOURCE_GROUP_NAME", "rg-stackgen-demo"),
        ] {
            runner.vars.insert(name.to_owned(), value.to_owned());
        }
        // `terraform init` in the pull-request gate installs the stand-in providers (which serve
        // the pinned providers' schemas, all `terraform test` with mock providers needs) from a
        // filesystem mirror, as a runner with a provider mirror would; the step itself is the
        // generated one, unchanged, and terraform runs for real.
        let tools = tfvalidate::tools_or_skip("the pull-request gate's terraform test")?;
        let terraformrc = dir.path().join("terraformrc");
        std::fs::write(
            &terraformrc,
            format!(
                "disable_checkpoint = true\nprovider_installation {{\n  filesystem_mirror {{\n    path    = {:?}\n    include = [\"registry.terraform.io/*/*\"]\n  }}\n}}\n",
                tools.plugin_dir.to_string_lossy()
            ),
        )
        .expect("terraformrc");
        for (name, value) in [
            ("TF_CLI_CONFIG_FILE", terraformrc.to_string_lossy().into_owned()),
            ("TF_DISABLE_PLUGIN_TLS", "1".to_owned()),
            ("CHECKPOINT_DISABLE", "1".to_owned()),
            (tfvalidate::provider::SCHEMAS_DIR_ENV, tools.schemas_dir.to_string_lossy().into_owned()),
            (tfvalidate::provider::SOCKET_DIR_ENV, dir.path().to_string_lossy().into_owned()),
        ] {
            runner.env.insert(name.to_owned(), value);
        }
        // One target dir for every run of these tests: the starter compiles once.
        let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("workflow-harness-target");
        runner.env.insert("CARGO_TARGET_DIR".to_owned(), target.to_string_lossy().into_owned());
        runner.env.insert("CARGO_TERM_COLOR".to_owned(), "never".to_owned());
        Some(Self { _dir: dir, work, runner, python })
    }

    fn origin_head(&self, branch: &str) -> String {
        git(&self.runner.origin, &["rev-parse", &format!("refs/heads/{branch}")])
    }

    fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.work.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Runs the delivery workflow for the current head of origin's main.
    fn push_run(&self, label: &str) -> (WorkflowRun, String) {
        let sha = self.origin_head("main");
        let run = self.runner.run(&self.read(DELIVERY), &Event::Push { branch: "main".into(), sha: sha.clone() });
        eprintln!("wall time: delivery.yml ({label}): {:.1} s", run.elapsed.as_secs_f64());
        for (name, job) in &run.jobs {
            eprintln!("  job {name}: {} in {:.1} s", job.result, job.elapsed.as_secs_f64());
        }
        (run, sha)
    }

    /// Commits `edit`'s changes on a new branch, pushes it and runs the pull-request gate
    /// against origin's main.
    fn pull_request(&self, branch: &str, label: &str, edit: impl FnOnce(&Path)) -> WorkflowRun {
        git(&self.work, &["fetch", "--quiet", "origin"]);
        git(&self.work, &["checkout", "--quiet", "-B", branch, "origin/main"]);
        edit(&self.work);
        git(&self.work, &["add", "--all"]);
        git(&self.work, &["commit", "--quiet", "--allow-empty", "--message", label]);
        git(&self.work, &["push", "--quiet", "--force", "origin", branch]);
        let event = Event::PullRequest {
            head_branch: branch.to_owned(),
            head_sha: self.origin_head(branch),
            base_sha: self.origin_head("main"),
        };
        let run = self.runner.run(&self.read(PULL_REQUEST), &event);
        eprintln!("wall time: pull-request.yml ({label}): {:.1} s", run.elapsed.as_secs_f64());
        run
    }

    /// `helm template` of the chart at origin's main with the Argo CD Application's value files.
    fn argocd_render(&self) -> String {
        let clone = self.runner.scratch.join("argocd-view");
        let _ = std::fs::remove_dir_all(&clone);
        git(&self.runner.scratch, &["clone", "--quiet", &self.runner.origin.to_string_lossy(), "argocd-view"]);
        let application: serde_yaml::Value =
            serde_yaml::from_str(&std::fs::read_to_string(clone.join("argocd/application.yaml")).expect("application"))
                .expect("yaml");
        let source = &application["spec"]["source"];
        let chart = clone.join(source["path"].as_str().expect("path"));
        let mut command = Command::new(&self.python);
        command.arg(common::repo_root().join("tests/support/helm.py")).args(["template", "hello"]).arg(&chart);
        for file in source["helm"]["valueFiles"].as_sequence().expect("valueFiles") {
            command.arg("-f").arg(chart.join(file.as_str().expect("file")));
        }
        let out = command.output().expect("helm template");
        assert!(out.status.success(), "helm template: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

#[track_caller]
fn assert_all_passed(run: &WorkflowRun, expected_jobs: &[&str]) {
    let names: Vec<&str> = run.jobs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, expected_jobs);
    for (name, job) in &run.jobs {
        assert!(job.passed(), "job {name} failed:\n{}", run.logs());
    }
}

/// The write token was never left where a later step could read it.
#[track_caller]
fn assert_no_token_left(run: &WorkflowRun) {
    for (name, job) in &run.jobs {
        if let Ok(config) = std::fs::read_to_string(job.workspace.join(".git/config")) {
            assert!(!config.contains(FAKE_TOKEN), "job {name} left the token in .git/config:\n{config}");
        }
    }
}

/// The stub calls of one tool, arguments joined by spaces.
fn calls_of(runner: &Runner, tool: &str) -> Vec<String> {
    runner.calls().into_iter().filter(|c| c[0] == tool).map(|c| c[1..].join(" ")).collect()
}

/// The inputs the build action was called with.
fn build_action_inputs(runner: &Runner) -> Vec<String> {
    let calls = calls_of(runner, "uses");
    let build = calls.iter().find(|c| c.starts_with("docker/build-push-action")).expect("the build action ran");
    build.split(' ').map(str::to_owned).collect()
}

#[track_caller]
fn assert_released(repo: &Repo, sha: &str) {
    // The release tag is on origin, at the pushed commit.
    let tag = git(&repo.runner.origin, &["rev-parse", "refs/tags/v0.0.1^{commit}"]);
    assert_eq!(tag, sha, "v0.0.1 tags the released commit");
    // The image was built with the commit and release, scanned, then pushed.
    let build = build_action_inputs(&repo.runner).join(" ");
    assert!(build.contains(&format!("BUILD_COMMIT={sha}\\nBUILD_VERSION=0.0.1")), "{build}");
    assert!(build.contains(&format!("tags={IMAGE}:0.0.1")), "{build}");
    assert!(build.contains("cache-from=type=gha") && build.contains("load=true"), "{build}");
    let docker = calls_of(&repo.runner, "docker");
    assert_eq!(docker, [format!("push {IMAGE}:0.0.1")]);
    assert!(calls_of(&repo.runner, "az").contains(&"acr login --name stackgendemo".to_owned()));
}

#[test]
fn gitops_starter_passes_every_job_on_first_push_and_the_pull_request_gate_tells_edits_apart() {
    let Some(repo) = Repo::new(|dir| {
        let init = common::stackgen(dir, &["init"]);
        assert_eq!(init.status.code(), Some(0), "{:?}", common::text(&init));
    }) else {
        return;
    };
    assert!(repo.work.join("service/src/main.rs").is_file() && repo.work.join("Cargo.lock").is_file());

    let (run, sha) = repo.push_run("gitops, first push");
    assert_all_passed(&run, &["analyze", "build", "tag", "deploy"]);
    assert_no_token_left(&run);
    // cargo fmt, clippy and test really ran on the starter.
    let analyze = run.job("analyze");
    let test_log = &analyze.steps.iter().find(|s| s.name == "cargo test").expect("cargo test step").log;
    assert!(test_log.contains("test result: ok"), "{test_log}");
    assert_eq!(run.job("build").outputs.get("version").map(String::as_str), Some("0.0.1"));
    assert_released(&repo, &sha);
    // No cluster access at all in gitops mode.
    assert!(calls_of(&repo.runner, "helm").is_empty() && calls_of(&repo.runner, "kubelogin").is_empty());

    // The deploy commit landed on origin's main, on top of the release...
    let head = repo.origin_head("main");
    assert_eq!(git(&repo.runner.origin, &["rev-parse", &format!("{head}^")]), sha);
    assert_eq!(git(&repo.runner.origin, &["log", "-1", "--format=%s", &head]), "deploy: hello 0.0.1 [skip ci]");
    // ...and Argo CD's view of it (the Application's value files) deploys the new image.
    let rendered = repo.argocd_render();
    assert!(rendered.contains(&format!("image: \"{IMAGE}:0.0.1\"")), "{rendered}");

    // Pull requests: untouched, a hand edit of a generated file, an edit of a seeded file.
    repo.runner.clear_calls();
    let untouched = repo.pull_request("untouched", "untouched", |_| {});
    assert_all_passed(&untouched, &["generated", "terraform-fmt", "terraform-test", "chart-lint"]);
    let installs = calls_of(&repo.runner, "cargo");
    let rev = pull_request::STACKGEN_BUILD_REV.expect("built from a git checkout");
    assert_eq!(
        installs,
        [format!("+stable install --locked --git https://github.com/stackgen/stackgen --rev {rev} stackgen")]
    );
    // The gate's terraform test really ran the generated tests, offline.
    let tests = &untouched.job("terraform-test").steps[3].log;
    assert!(tests.contains("run \"acr\"... pass") && tests.contains(" passed, 0 failed."), "{tests}");
    let lint = &untouched.job("chart-lint").steps[1].log;
    assert!(lint.contains("1 chart(s) linted, 0 chart(s) failed"), "{lint}");

    let edited = repo.pull_request("hand-edit", "hand edits of values.yaml and the registry module", |dir| {
        let path = dir.join("charts/hello/values.yaml");
        let text = std::fs::read_to_string(&path).expect("values");
        std::fs::write(&path, text.replacen("replicaCount: 2", "replicaCount: 3", 1)).expect("edit");
        // AcrPull handed to someone other than the kubelet: the gate's terraform test must fail.
        let path = dir.join("terraform/modules/acr/main.tf");
        let text = std::fs::read_to_string(&path).expect("acr module");
        let broken = text.replacen("= var.kubelet_object_id", "= \"11111111-1111-4111-8111-111111111111\"", 1);
        assert_ne!(broken, text, "the AcrPull principal is var.kubelet_object_id");
        std::fs::write(&path, broken).expect("edit");
    });
    let generated = edited.job("generated");
    assert!(!generated.passed(), "the gate must fail on a hand edit:\n{}", generated.logs());
    assert!(generated.summary.contains("The committed files do not match `stackgen.yaml`"), "{}", generated.summary);
    assert!(generated.summary.contains("charts/hello/values.yaml"), "{}", generated.summary);
    assert!(generated.summary.contains("-replicaCount: 3") || generated.summary.contains("+replicaCount: 2"));
    // The summary step still ran and shows the change under review.
    assert!(generated.summary.contains("## Generated changes in this pull request"), "{}", generated.summary);
    assert!(edited.job("terraform-fmt").passed() && edited.job("chart-lint").passed(), "{}", edited.logs());
    let terraform_test = edited.job("terraform-test");
    assert!(!terraform_test.passed(), "terraform test must fail on a broken wiring:\n{}", terraform_test.logs());
    assert!(
        terraform_test.logs().contains("AcrPull must be held by the kubelet identity."),
        "{}",
        terraform_test.logs()
    );

    let seeded_edit = repo.pull_request("seeded-edit", "edit the starter service", |dir| {
        let path = dir.join("service/src/main.rs");
        let text = std::fs::read_to_string(&path).expect("main.rs");
        std::fs::write(&path, format!("// Our service now.\n{text}")).expect("edit");
    });
    assert_all_passed(&seeded_edit, &["generated", "terraform-fmt", "terraform-test", "chart-lint"]);
}

#[test]
fn push_mode_deploys_with_helm_upgrade_through_the_deploy_identity() {
    let Some(repo) = Repo::new(|dir| {
        assert_eq!(common::stackgen(dir, &["init"]).status.code(), Some(0));
        let spec = dir.join("stackgen.yaml");
        let text = std::fs::read_to_string(&spec).expect("spec").replace("mode: gitops", "mode: push");
        std::fs::write(&spec, text).expect("write");
    }) else {
        return;
    };
    let (run, sha) = repo.push_run("push, first push");
    assert_all_passed(&run, &["analyze", "build", "tag", "deploy"]);
    assert_no_token_left(&run);
    assert_released(&repo, &sha);
    assert_eq!(repo.origin_head("main"), sha, "push mode commits nothing");
    let az = calls_of(&repo.runner, "az");
    assert!(
        az.contains(
            &"aks get-credentials --resource-group rg-stackgen-demo --name aks-demo --overwrite-existing".to_owned()
        ),
        "{az:?}"
    );
    assert!(az.iter().any(|c| c.starts_with("aks install-cli --client-version")), "{az:?}");
    assert_eq!(calls_of(&repo.runner, "kubelogin"), ["convert-kubeconfig --login azurecli"]);
    assert_eq!(
        calls_of(&repo.runner, "helm"),
        [format!(
            "upgrade --install hello charts/hello --namespace app --atomic --wait --timeout 10m --set-string image.repository={IMAGE} --set-string image.tag=0.0.1"
        )]
    );
    let logins: Vec<String> =
        calls_of(&repo.runner, "uses").into_iter().filter(|c| c.starts_with("azure/login")).collect();
    assert!(logins[0].contains("client-id=00000000-0000-0000-0000-00000000c11e"), "push identity: {logins:?}");
    assert!(logins[1].contains("client-id=00000000-0000-0000-0000-0000000de910"), "deploy identity: {logins:?}");

    let untouched = repo.pull_request("untouched", "untouched", |_| {});
    assert_all_passed(&untouched, &["generated", "terraform-fmt", "terraform-test", "chart-lint"]);
}

#[test]
fn an_own_flask_service_is_built_from_its_dockerfile_and_checked_by_its_own_commands() {
    let fixture = common::repo_root().join("tests/fixtures/flask");
    let Some(repo) = Repo::new(|dir| {
        for entry in walkdir::WalkDir::new(&fixture).into_iter().filter_map(Result::ok) {
            let relative = entry.path().strip_prefix(&fixture).expect("inside");
            let target = dir.join(relative);
            if entry.file_type().is_dir() {
                std::fs::create_dir_all(&target).expect("mkdir");
            } else {
                std::fs::copy(entry.path(), &target).expect("copy");
            }
        }
    }) else {
        return;
    };
    for absent in ["Cargo.toml", "Cargo.lock", "service", "Dockerfile", ".dockerignore"] {
        assert!(!repo.work.join(absent).exists(), "{absent} must not be generated for an own service");
    }
    // The own Dockerfile's context gets its ignore file, committed with the rest.
    let ignore = repo.read("app/.dockerignore");
    assert!(ignore.lines().any(|l| l == "**/.terraform/") && ignore.lines().any(|l| l == "**/.git"), "{ignore}");
    let (run, sha) = repo.push_run("own Flask service, gitops");
    assert_all_passed(&run, &["analyze", "build", "tag", "deploy"]);
    let analyze = run.job("analyze");
    let pytest = &analyze.steps.iter().find(|s| s.name == "python -m pytest app").expect("pytest step").log;
    assert!(pytest.contains("1 passed"), "{pytest}");
    assert!(analyze.steps.iter().all(|s| !s.name.starts_with("cargo")), "no cargo for a Flask app");
    let build = build_action_inputs(&repo.runner);
    assert!(
        build.contains(&"context=app".to_owned()) && build.contains(&"file=app/Dockerfile".to_owned()),
        "{build:?}"
    );
    let tag = git(&repo.runner.origin, &["rev-parse", "refs/tags/v0.0.1^{commit}"]);
    assert_eq!(tag, sha);
    let rendered = repo.argocd_render();
    assert!(rendered.contains(&format!("image: \"{IMAGE}:0.0.1\"")), "{rendered}");

    let untouched = repo.pull_request("untouched", "untouched", |_| {});
    assert_all_passed(&untouched, &["generated", "terraform-fmt", "terraform-test", "chart-lint"]);
}
