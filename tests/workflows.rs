//! The generated repository passes its own workflows on the first push and on pull requests.
//!
//! Each test generates a repository the way the README says (`stackgen init`, `stackgen
//! generate`), makes it a git repository whose `origin` is a local bare repository, pushes, and
//! runs `delivery.yml` and `pull-request.yml` job by job with the local runner in
//! `support/workflow_runner.rs`: every `run:` step for real, checkouts as fresh clones, cloud tools
//! as recording stubs. The analyze job's cargo fmt, clippy and test run for real on the seeded
//! starter service (CARGO_TARGET_DIR is shared between runs, so only the first one compiles).
//! Pull requests run on the merge with main, as GitHub's `refs/pull/N/merge`; Trivy and the
//! notification's curl are stubs whose calls are asserted, with a failing scan among them.
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
    pull_requests: std::cell::Cell<u32>,
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
        // One target dir for every run of these tests: the starter compiles once.
        let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("workflow-harness-target");
        runner.env.insert("CARGO_TARGET_DIR".to_owned(), target.to_string_lossy().into_owned());
        runner.env.insert("CARGO_TERM_COLOR".to_owned(), "never".to_owned());
        Some(Self { _dir: dir, work, runner, python, pull_requests: std::cell::Cell::new(0) })
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

    /// Commits `edit`'s changes on `branch`, started from origin's `from`, and pushes it.
    fn push_branch(&self, branch: &str, from: &str, label: &str, edit: impl FnOnce(&Path)) {
        git(&self.work, &["fetch", "--quiet", "origin"]);
        git(&self.work, &["checkout", "--quiet", "-B", branch, &format!("origin/{from}")]);
        edit(&self.work);
        git(&self.work, &["add", "--all"]);
        git(&self.work, &["commit", "--quiet", "--allow-empty", "--message", label]);
        git(&self.work, &["push", "--quiet", "--force", "origin", branch]);
    }

    /// Runs the pull-request gate for `branch` into origin's main, as GitHub does: on the merge
    /// of the two.
    fn run_pull_request(&self, branch: &str, label: &str) -> WorkflowRun {
        let number = self.pull_requests.get() + 1;
        self.pull_requests.set(number);
        let event = Event::PullRequest {
            number,
            head_branch: branch.to_owned(),
            head_sha: self.origin_head(branch),
            base_branch: "main".to_owned(),
            base_sha: self.origin_head("main"),
        };
        let run = self.runner.run(&self.read(PULL_REQUEST), &event);
        eprintln!("wall time: pull-request.yml ({label}): {:.1} s", run.elapsed.as_secs_f64());
        run
    }

    /// A new branch off origin's main with `edit`'s changes, and the gate's run for it.
    fn pull_request(&self, branch: &str, label: &str, edit: impl FnOnce(&Path)) -> WorkflowRun {
        self.push_branch(branch, "main", label, edit);
        self.run_pull_request(branch, label)
    }

    /// The pull-request workflow on a push to main (it runs there too, and warms the cache).
    fn gate_on_push(&self, label: &str) -> WorkflowRun {
        let event = Event::Push { branch: "main".into(), sha: self.origin_head("main") };
        let run = self.runner.run(&self.read(PULL_REQUEST), &event);
        eprintln!("wall time: pull-request.yml on main ({label}): {:.1} s", run.elapsed.as_secs_f64());
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

/// The log of the step named `name` in `job`.
#[track_caller]
fn step_log<'a>(job: &'a workflow_runner::JobResult, name: &str) -> &'a str {
    &job.steps.iter().find(|s| s.name == name).unwrap_or_else(|| panic!("no step {name}:\n{}", job.logs())).log
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

    // The gate on main: a cache miss, so stackgen is installed (into the folder the cache
    // saves) and the binary saved for the branch's scope.
    repo.runner.clear_calls();
    let on_main = repo.gate_on_push("cache miss");
    assert_all_passed(&on_main, &["generated", "terraform-fmt", "chart-lint"]);
    let rev = pull_request::STACKGEN_BUILD_REV.expect("built from a git checkout");
    let home = repo.runner.scratch.join("home");
    assert_eq!(
        calls_of(&repo.runner, "cargo"),
        [format!(
            "+stable install --locked --root {}/.stackgen --git https://github.com/stackgen/stackgen --rev {rev} stackgen",
            home.display()
        )]
    );
    let key = format!("stackgen-Linux-X64-{rev}");
    assert!(
        step_log(on_main.job("generated"), "Save stackgen to the cache")
            .contains(&format!("Cache saved with key: {key} (refs/heads/main)"))
    );
    assert!(!on_main.job("generated").summary.contains("Generated changes"), "no pull request, no diff summary");

    // Pull requests: untouched, a hand edit of a generated file, an edit of a seeded file.
    // Each is a cache hit from main's scope: no install, and the restored binary does the check.
    repo.runner.clear_calls();
    std::fs::remove_dir_all(home.join(".stackgen")).expect("a fresh runner has no stackgen");
    let untouched = repo.pull_request("untouched", "untouched", |_| {});
    assert_all_passed(&untouched, &["generated", "terraform-fmt", "chart-lint"]);
    assert_eq!(calls_of(&repo.runner, "cargo"), Vec::<String>::new(), "a cache hit installs nothing");
    let generated = untouched.job("generated");
    assert!(
        step_log(generated, "Restore stackgen from the cache").contains("(refs/heads/main)"),
        "{}",
        generated.logs()
    );
    assert!(generated.steps.iter().all(|s| s.name != "Install stackgen (the commit that generated these files)"));
    // The run is for GitHub's merge ref: a merge commit of the head into main, checked out.
    let merge = untouched.merge.clone().expect("a pull request").expect("merges");
    let parents = git(&repo.runner.origin, &["rev-list", "--parents", "-n", "1", &merge]);
    assert_eq!(parents, format!("{merge} {} {}", repo.origin_head("main"), repo.origin_head("untouched")));
    assert_eq!(git(&generated.workspace, &["rev-parse", "HEAD"]), merge);
    let lint = &untouched.job("chart-lint").steps[1].log;
    assert!(lint.contains("1 chart(s) linted, 0 chart(s) failed"), "{lint}");

    let edited = repo.pull_request("hand-edit", "hand edit of values.yaml", |dir| {
        let path = dir.join("charts/hello/values.yaml");
        let text = std::fs::read_to_string(&path).expect("values");
        std::fs::write(&path, text.replacen("replicaCount: 2", "replicaCount: 3", 1)).expect("edit");
    });
    let generated = edited.job("generated");
    assert!(!generated.passed(), "the gate must fail on a hand edit:\n{}", generated.logs());
    assert!(generated.summary.contains("The committed files do not match `stackgen.yaml`"), "{}", generated.summary);
    assert!(generated.summary.contains("charts/hello/values.yaml"), "{}", generated.summary);
    assert!(generated.summary.contains("-replicaCount: 3") || generated.summary.contains("+replicaCount: 2"));
    // The summary step still ran and shows the change under review.
    assert!(generated.summary.contains("## Generated changes in this pull request"), "{}", generated.summary);
    assert!(edited.job("terraform-fmt").passed() && edited.job("chart-lint").passed(), "{}", edited.logs());

    let seeded_edit = repo.pull_request("seeded-edit", "edit the starter service", |dir| {
        let path = dir.join("service/src/main.rs");
        let text = std::fs::read_to_string(&path).expect("main.rs");
        std::fs::write(&path, format!("// Our service now.\n{text}")).expect("edit");
    });
    assert_all_passed(&seeded_edit, &["generated", "terraform-fmt", "chart-lint"]);

    // Main moves on after two branches started from it: the gate checks each merged with the
    // new main, not its head alone.
    let spec_edit = |prefix: &'static str| {
        move |dir: &Path| {
            let path = dir.join("stackgen.yaml");
            let text = std::fs::read_to_string(&path).expect("spec");
            std::fs::write(&path, text.replace("path_prefix: /hello", &format!("path_prefix: {prefix}")))
                .expect("edit");
            let generate = common::stackgen(dir, &["generate"]);
            assert_eq!(generate.status.code(), Some(0), "{:?}", common::text(&generate));
        }
    };
    repo.push_branch("stale-spec", "main", "serve under /greet", spec_edit("/greet"));
    repo.push_branch("stale-service", "main", "a service change", |dir| {
        let path = dir.join("service/src/lib.rs");
        let text = std::fs::read_to_string(&path).expect("lib.rs");
        std::fs::write(&path, format!("{text}\n// Owned by the orders team.\n")).expect("edit");
    });
    repo.push_branch("main", "main", "serve under /hi", spec_edit("/hi"));
    // The same spec line changed on both sides: no merge ref, so GitHub runs nothing and the
    // pull request cannot pass.
    let conflicting = repo.run_pull_request("stale-spec", "conflicts with main");
    let Some(Err(conflict)) = &conflicting.merge else { panic!("merged: {:?}", conflicting.merge) };
    assert!(conflict.contains("CONFLICT") && conflict.contains("stackgen.yaml"), "{conflict}");
    assert!(!conflicting.passed());
    // A branch that merges cleanly is checked with main's new spec and files in it.
    let merged = repo.run_pull_request("stale-service", "merged with the moved main");
    assert_all_passed(&merged, &["generated", "terraform-fmt", "chart-lint"]);
    let workspace = &merged.job("generated").workspace;
    let spec = std::fs::read_to_string(workspace.join("stackgen.yaml")).expect("spec");
    assert!(spec.contains("path_prefix: /hi"), "{spec}");
    let lib = std::fs::read_to_string(workspace.join("service/src/lib.rs")).expect("lib.rs");
    assert!(lib.contains("Owned by the orders team"), "the head's change is in the merge");
}

#[test]
fn push_mode_deploys_with_helm_upgrade_through_the_deploy_identity_and_notifies_whatever_happened() {
    let Some(repo) = Repo::new(|dir| {
        assert_eq!(common::stackgen(dir, &["init"]).status.code(), Some(0));
        let spec = dir.join("stackgen.yaml");
        let text = std::fs::read_to_string(&spec)
            .expect("spec")
            .replace("mode: gitops", "mode: push\n  notify:\n    emails: [ops@contoso.com, dev@contoso.com]");
        std::fs::write(&spec, text).expect("write");
    }) else {
        return;
    };
    let (run, sha) = repo.push_run("push, first push");
    assert_all_passed(&run, &["analyze", "build", "tag", "deploy", "notify"]);
    // Trivy audited the lock files and scanned the very image that was built and then pushed,
    // failing on CRITICAL findings.
    assert_eq!(
        calls_of(&repo.runner, "trivy"),
        [
            "fs --severity CRITICAL --exit-code 1 --scanners vuln .".to_owned(),
            format!("image --severity CRITICAL --exit-code 1 --scanners vuln {IMAGE}:0.0.1"),
        ]
    );
    assert_notified(&repo, "0.0.1", "success", &["analyze: success", "build: success", "deploy: success"]);
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

    // A CRITICAL finding in the next release's image: the build fails before the push, nothing
    // is tagged or deployed, and the e-mail still goes out, saying so.
    repo.push_branch("main", "main", "next release", |_| {});
    repo.runner.clear_calls();
    repo.runner.add_critical_finding(&format!("{IMAGE}:0.0.2"));
    let (failed, _) = repo.push_run("push, CRITICAL finding");
    let results: Vec<(&str, &str)> = failed.jobs.iter().map(|(n, j)| (n.as_str(), j.result.as_str())).collect();
    assert_eq!(
        results,
        [
            ("analyze", "success"),
            ("build", "failure"),
            ("tag", "skipped"),
            ("deploy", "skipped"),
            ("notify", "success")
        ]
    );
    let scan = step_log(failed.job("build"), "Scan the image (Trivy, fails on CRITICAL)");
    assert!(scan.contains("CRITICAL: 1"), "{scan}");
    assert_eq!(calls_of(&repo.runner, "docker"), Vec::<String>::new(), "a failed scan pushes nothing");
    assert!(calls_of(&repo.runner, "helm").is_empty());
    let tags = git(&repo.runner.origin, &["tag", "--list"]);
    assert_eq!(tags, "v0.0.1", "no tag for a release that failed its scan");
    assert_notified(&repo, "0.0.2", "failure", &["build: failure", "tag: skipped", "deploy: skipped"]);

    let untouched = repo.pull_request("untouched", "untouched", |_| {});
    assert_all_passed(&untouched, &["generated", "terraform-fmt", "chart-lint"]);
}

/// The notify job sent one e-mail to both recipients through the SMTP server of the secrets,
/// the credentials on curl's stdin only, with `outcome` and the job results in it.
#[track_caller]
fn assert_notified(repo: &Repo, version: &str, outcome: &str, results: &[&str]) {
    let curl = calls_of(&repo.runner, "curl");
    assert_eq!(curl.len(), 1, "{curl:?}");
    assert!(
        curl[0].contains("--url smtp://secret-SMTP_SERVER --mail-from secret-SMTP_FROM --mail-rcpt ops@contoso.com --mail-rcpt dev@contoso.com"),
        "{curl:?}"
    );
    assert!(!curl[0].contains("SMTP_PASSWORD"), "the password is not on curl's command line: {curl:?}");
    assert_eq!(calls_of(&repo.runner, "curl-stdin"), ["user = \"secret-SMTP_USERNAME:secret-SMTP_PASSWORD\""]);
    let mail = repo.runner.last_mail().expect("a message was sent");
    let subject = format!("Subject: [contoso/stackgen-demo] hello {version}: {outcome}\r\n");
    assert!(mail.contains(&subject), "{mail}");
    for result in results {
        assert!(mail.contains(&format!("{result}\r\n")), "{result} not in\n{mail}");
    }
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
    assert_all_passed(&untouched, &["generated", "terraform-fmt", "chart-lint"]);
}
