//! A local runner for the generated GitHub Actions workflows, step by step.
//!
//! Every `run:` step executes for real in `bash -eo pipefail` (GitHub's `shell: bash`) with the
//! env the workflow, the job and the step set, `${{ … }}` evaluated from the contexts a real run
//! would have. `actions/checkout` is emulated by a fresh clone of the local bare `origin` (with
//! the token written into `.git/config` exactly when the step does not say
//! `persist-credentials: false`, as the action does); a pull request's run is for GitHub's merge
//! ref, which the runner creates on origin by merging the head into the base (a conflict means
//! no run, as on GitHub). `actions/cache/restore` and `save` keep entries per ref scope (a pull
//! request also reads its base branch's); `trivy-action` runs a `trivy` stub with the flags the
//! action passes; the build action's `load: true` fills an image store that `docker push` and the
//! image scan check. Other actions are recorded with their evaluated inputs. Cloud-only tools
//! (`az`, `docker`, `kubelogin`, `gh`, `helm` against a cluster, `rustup`, `cargo install`,
//! `trivy`, `curl`'s SMTP) are stub executables on `PATH` that record their arguments; `helm
//! lint` / `helm template` run on Helm's Go SDK, every other `cargo` command is the real one.
//! Step conditions: the status functions and `&&` of `==` / `!=` comparisons with literals.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_yaml::Value;

/// The write token the runner hands to `${{ github.token }}`; it must never be left in a clone.
pub const FAKE_TOKEN: &str = "ghs_harnessFakeToken0123456789abcdefABCDEF";

/// What triggered a run.
#[derive(Debug, Clone)]
pub enum Event {
    /// A push of `sha` to `branch`.
    Push { branch: String, sha: String },
    /// Pull request `number` from `head_branch` (at `head_sha`) into `base_branch` (at
    /// `base_sha`). As on GitHub, the run is for the merge of the two (`refs/pull/N/merge`,
    /// which the runner creates on origin), not for the head alone.
    PullRequest { number: u32, head_branch: String, head_sha: String, base_branch: String, base_sha: String },
}

/// One step's outcome.
#[derive(Debug, Clone)]
pub struct StepResult {
    /// The step's name.
    pub name: String,
    /// Exit status 0 (or an action that was recorded).
    pub success: bool,
    /// stdout and stderr of a `run:` step.
    pub log: String,
}

/// One job's outcome.
#[derive(Debug, Clone)]
pub struct JobResult {
    /// `success`, `failure` or `skipped`, as `needs.<job>.result` reads.
    pub result: String,
    /// The job's outputs, evaluated.
    pub outputs: BTreeMap<String, String>,
    /// Steps in order (those that ran).
    pub steps: Vec<StepResult>,
    /// What the steps appended to `$GITHUB_STEP_SUMMARY`.
    pub summary: String,
    /// The job's workspace (the checkout).
    pub workspace: PathBuf,
    /// Wall time of the job.
    pub elapsed: Duration,
}

impl JobResult {
    /// True when every step passed.
    pub fn passed(&self) -> bool {
        self.result == "success"
    }

    /// Every step's log, for failure messages.
    pub fn logs(&self) -> String {
        self.steps.iter().map(|s| format!("--- {} ({}):\n{}\n", s.name, s.success, s.log)).collect()
    }
}

/// A whole run: job name → outcome, in file order.
#[derive(Debug, Clone)]
pub struct WorkflowRun {
    /// Jobs in file order; none when the pull request does not merge (GitHub then creates no
    /// merge ref and starts no `pull_request` run: the PR shows the conflict instead).
    pub jobs: Vec<(String, JobResult)>,
    /// For a pull request: the merge commit the run checked out, or `None` with the conflict.
    pub merge: Option<Result<String, String>>,
    /// Wall time of the whole workflow.
    pub elapsed: Duration,
}

impl WorkflowRun {
    /// The outcome of `name`.
    #[track_caller]
    pub fn job(&self, name: &str) -> &JobResult {
        self.jobs.iter().find(|(n, _)| n == name).map(|(_, j)| j).unwrap_or_else(|| panic!("no job {name}"))
    }

    /// True when every job ran and passed (false for a pull request that does not merge).
    pub fn passed(&self) -> bool {
        !self.jobs.is_empty() && self.jobs.iter().all(|(_, j)| j.passed())
    }

    /// Every job's logs, for failure messages.
    pub fn logs(&self) -> String {
        self.jobs.iter().map(|(n, j)| format!("===== job {n}: {}\n{}", j.result, j.logs())).collect()
    }
}

/// The runner's fixed surroundings: the origin, the stubs and the shared caches.
pub struct Runner {
    /// The local bare repository every checkout clones and every push goes to.
    pub origin: PathBuf,
    /// Scratch space: job workspaces, the fake HOME, RUNNER_TEMP.
    pub scratch: PathBuf,
    /// Directory of stub executables (first on PATH).
    pub stubs: PathBuf,
    /// Where the `cargo install` stub puts `stackgen` without `--root` (second on PATH).
    pub installed: PathBuf,
    /// The log the stubs append to: one line per call, `tool<TAB>arg<TAB>arg…`.
    pub calls: PathBuf,
    /// `owner/name` the run pretends to be in.
    pub repository: String,
    /// Repository variables (`vars.*`).
    pub vars: BTreeMap<String, String>,
    /// Extra environment for every step (CARGO_TARGET_DIR and the like).
    pub env: BTreeMap<String, String>,
    /// The GitHub Actions cache (`actions/cache/restore`, `actions/cache/save`): one folder per
    /// scope (the ref a run is for) and key, which outlives runs as GitHub's does.
    pub cache: PathBuf,
    runs: std::cell::Cell<u32>,
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

impl Runner {
    /// Sets up stubs in `scratch` for a repository whose bare origin is `origin`. `stackgen` is
    /// the binary the `cargo install` stub installs; `python` runs tests/support/helm.py.
    pub fn new(
        scratch: &Path,
        origin: &Path,
        repository: &str,
        stackgen: &Path,
        python: &Path,
        helm_py: &Path,
    ) -> Self {
        let stubs = scratch.join("stubs");
        let installed = scratch.join("installed-bin");
        for dir in [&stubs, &installed, &scratch.join("home"), &scratch.join("jobs")] {
            std::fs::create_dir_all(dir).expect("mkdir");
        }
        let calls = scratch.join("calls.log");
        std::fs::write(&calls, "").expect("calls log");
        let record = format!(
            "#!/usr/bin/env bash\n{{ printf '%s' \"$(basename \"$0\")\"; for a in \"$@\"; do printf '\\t%s' \"$a\"; done; printf '\\n'; }} >> {}\n",
            sh_quote(&calls.to_string_lossy())
        );
        let real_cargo = which("cargo").expect("cargo on PATH");
        let stub = |name: &str, body: &str| {
            let path = stubs.join(name);
            std::fs::write(&path, format!("{record}{body}\n")).expect("stub");
            make_executable(&path);
        };
        for name in ["az", "kubelogin", "gh", "rustup", "kubectl"] {
            stub(name, "exit 0");
        }
        // The runner's image store: the build action with `load: true` adds its tags; `docker
        // push` and Trivy's image scan fail for an image that was never built.
        let images = scratch.join("docker-images");
        std::fs::write(&images, "").expect("image store");
        let critical = scratch.join("trivy-critical");
        std::fs::write(&critical, "").expect("findings");
        let q = |p: &Path| sh_quote(&p.to_string_lossy());
        stub(
            "docker",
            &format!(
                "if [ \"${{1:-}}\" = push ] && ! grep -qxF -- \"${{2:-}}\" {images}; then\n  echo \"An image does not exist locally with the tag: ${{2:-}}\" >&2\n  exit 1\nfi\nexit 0",
                images = q(&images)
            ),
        );
        // Trivy as trivy-action runs it: `trivy <scan-type> [flags] <target>`. A target listed in
        // `trivy-critical` has a CRITICAL finding: the exit code is then `--exit-code`'s.
        stub(
            "trivy",
            &format!(
                r#"kind="$1"; shift
exit_code=0 severity=UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL target=
while [ $# -gt 0 ]; do
  case "$1" in
    --exit-code) exit_code="$2"; shift 2 ;;
    --severity) severity="$2"; shift 2 ;;
    --*) shift 2 ;;
    *) target="$1"; shift ;;
  esac
done
if [ "$kind" = image ] && ! grep -qxF -- "$target" {images}; then
  echo "unable to find the specified image "$target"" >&2
  exit 1
fi
if grep -qxF -- "$target" {critical} && [[ ",$severity," == *,CRITICAL,* ]]; then
  echo "$target: 1 vulnerability (CRITICAL: 1)"
  exit "$exit_code"
fi
echo "$target: 0 vulnerabilities"
exit 0"#,
                images = q(&images),
                critical = q(&critical)
            ),
        );
        // curl's SMTP client: records its arguments (the recording line above) and what it reads
        // from stdin (the credentials, `--config -`), and keeps the message it would send.
        stub(
            "curl",
            &format!(
                r#"config="$(cat)"
printf 'curl-stdin	%s
' "$config" >> {calls}
for ((i = 1; i <= $#; i++)); do
  if [ "${{!i}}" = --upload-file ]; then j=$((i + 1)); cp "${{!j}}" {mail}; fi
done
exit 0"#,
                calls = q(&calls),
                mail = q(&scratch.join("last-mail.txt"))
            ),
        );
        stub(
            "helm",
            &format!("exec {} {} \"$@\"", sh_quote(&python.to_string_lossy()), sh_quote(&helm_py.to_string_lossy())),
        );
        // `cargo install` is the one cargo command that would reach the network for stackgen's
        // own source; the stub installs the stackgen under test instead. `+stable` is dropped: the
        // host's default toolchain stands in for it.
        stub(
            "cargo",
            &format!(
                "args=(\"$@\")\n[ \"${{args[0]:-}}\" = +stable ] && args=(\"${{args[@]:1}}\")\nif [ \"${{args[0]:-}}\" = install ]; then\n  bin={}\n  for ((i = 0; i < ${{#args[@]}}; i++)); do [ \"${{args[i]}}\" = --root ] && bin=\"${{args[i + 1]}}/bin\"; done\n  mkdir -p \"$bin\" && cp {} \"$bin/stackgen\"\n  exit 0\nfi\nexec {} \"${{args[@]}}\"",
                sh_quote(&installed.to_string_lossy()),
                sh_quote(&stackgen.to_string_lossy()),
                sh_quote(&real_cargo.to_string_lossy())
            ),
        );
        Self {
            origin: origin.to_path_buf(),
            scratch: scratch.to_path_buf(),
            stubs,
            installed,
            calls,
            repository: repository.to_owned(),
            vars: BTreeMap::new(),
            env: BTreeMap::new(),
            cache: scratch.join("actions-cache"),
            runs: std::cell::Cell::new(0),
        }
    }

    /// Every stub call since the runner started (or since [`Runner::clear_calls`]).
    pub fn calls(&self) -> Vec<Vec<String>> {
        std::fs::read_to_string(&self.calls)
            .unwrap_or_default()
            .lines()
            .map(|l| l.split('\t').map(str::to_owned).collect())
            .collect()
    }

    /// Forgets recorded calls.
    pub fn clear_calls(&self) {
        std::fs::write(&self.calls, "").expect("clear calls");
    }

    /// Runs every job of the workflow in `text` for `event`, in file order (which the generated
    /// workflows keep topological), honouring `needs` and `if: always()`.
    pub fn run(&self, text: &str, event: &Event) -> WorkflowRun {
        let started = Instant::now();
        let merge = match event {
            Event::PullRequest { .. } => Some(self.merge_ref(event)),
            Event::Push { .. } => None,
        };
        if let Some(Err(_)) = &merge {
            return WorkflowRun { jobs: Vec::new(), merge, elapsed: started.elapsed() };
        }
        let merge_sha = merge.as_ref().and_then(|m| m.as_ref().ok()).cloned();
        let workflow: Value = serde_yaml::from_str(text).expect("workflow YAML");
        let mut results: Vec<(String, JobResult)> = Vec::new();
        let workflow_env = string_map(&workflow["env"]);
        for (name, job) in workflow["jobs"].as_mapping().expect("jobs").iter() {
            let name = name.as_str().expect("job name").to_owned();
            let needs: Vec<String> = job["needs"]
                .as_sequence()
                .map(|s| s.iter().filter_map(|n| n.as_str().map(str::to_owned)).collect())
                .unwrap_or_default();
            let always = job["if"].as_str() == Some("always()");
            let needs_ok = needs.iter().all(|n| results.iter().any(|(m, r)| m == n && r.passed()));
            if let Some(condition) = job["if"].as_str() {
                assert_eq!(condition, "always()", "the runner only knows `if: always()` on jobs");
            }
            let result = if needs_ok || always {
                self.run_job(&name, job, &workflow_env, event, merge_sha.as_deref(), &results)
            } else {
                JobResult {
                    result: "skipped".to_owned(),
                    outputs: BTreeMap::new(),
                    steps: Vec::new(),
                    summary: String::new(),
                    workspace: PathBuf::new(),
                    elapsed: Duration::ZERO,
                }
            };
            results.push((name, result));
        }
        WorkflowRun { jobs: results, merge, elapsed: started.elapsed() }
    }

    /// What GitHub does before a `pull_request` run: merges the head into the base in a scratch
    /// clone and publishes the result as `refs/pull/N/merge` on origin. `Err` with git's output
    /// when they conflict.
    fn merge_ref(&self, event: &Event) -> Result<String, String> {
        let Event::PullRequest { number, head_sha, base_sha, .. } = event else { unreachable!("a pull request") };
        let dir = self.scratch.join(format!("merge-{number}"));
        let _ = std::fs::remove_dir_all(&dir);
        let git = |args: &[&str], cwd: &Path| {
            Command::new("git")
                .args(args)
                .current_dir(cwd)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_AUTHOR_NAME", "GitHub")
                .env("GIT_AUTHOR_EMAIL", "noreply@github.com")
                .env("GIT_COMMITTER_NAME", "GitHub")
                .env("GIT_COMMITTER_EMAIL", "noreply@github.com")
                .output()
                .expect("git runs")
        };
        let clone = git(
            &["clone", "--quiet", "--no-checkout", &self.origin.to_string_lossy(), &dir.to_string_lossy()],
            &self.scratch,
        );
        assert!(clone.status.success(), "{}", String::from_utf8_lossy(&clone.stderr));
        let checkout = git(&["checkout", "--quiet", "--detach", base_sha], &dir);
        assert!(checkout.status.success(), "{}", String::from_utf8_lossy(&checkout.stderr));
        let message = format!("Merge {head_sha} into {base_sha}");
        let merged = git(&["merge", "--no-ff", "--no-edit", "-m", &message, head_sha], &dir);
        if !merged.status.success() {
            return Err(format!(
                "{}{}",
                String::from_utf8_lossy(&merged.stdout),
                String::from_utf8_lossy(&merged.stderr)
            ));
        }
        let sha = String::from_utf8_lossy(&git(&["rev-parse", "HEAD"], &dir).stdout).trim().to_owned();
        let push = git(&["push", "--quiet", "--force", "origin", &format!("HEAD:refs/pull/{number}/merge")], &dir);
        assert!(push.status.success(), "{}", String::from_utf8_lossy(&push.stderr));
        Ok(sha)
    }

    fn run_job(
        &self,
        name: &str,
        job: &Value,
        workflow_env: &BTreeMap<String, String>,
        event: &Event,
        merge_sha: Option<&str>,
        earlier: &[(String, JobResult)],
    ) -> JobResult {
        let started = Instant::now();
        let n = self.runs.get() + 1;
        self.runs.set(n);
        let job_dir = self.scratch.join("jobs").join(format!("{n:03}-{name}"));
        let workspace = job_dir.join("workspace");
        let temp = job_dir.join("tmp");
        std::fs::create_dir_all(&workspace).expect("workspace");
        std::fs::create_dir_all(&temp).expect("temp");
        let summary_file = job_dir.join("summary.md");
        std::fs::write(&summary_file, "").expect("summary");

        let mut ctx = Context { runner: self, event, merge_sha, earlier, steps: BTreeMap::new(), env: BTreeMap::new() };
        // Workflow env, then job env (evaluated in order, each seeing the ones before).
        for (k, v) in workflow_env {
            let value = ctx.eval(v);
            ctx.env.insert(k.clone(), value);
        }
        for (k, v) in string_map(&job["env"]) {
            let value = ctx.eval(&v);
            ctx.env.insert(k, value);
        }
        let mut path_additions: Vec<String> = Vec::new();
        let mut steps = Vec::new();
        let mut failed = false;
        for (i, step) in job["steps"].as_sequence().expect("steps").iter().enumerate() {
            let step_name = step["name"].as_str().unwrap_or("(unnamed)").to_owned();
            if !ctx.condition(step["if"].as_str(), failed) {
                continue;
            }
            let mut step_env = ctx.env.clone();
            for (k, v) in string_map(&step["env"]) {
                let value = ctx.eval(&v);
                step_env.insert(k, value);
            }
            let id = step["id"].as_str().map(str::to_owned);
            let (success, log, outputs) = if let Some(uses) = step["uses"].as_str() {
                let inputs: BTreeMap<String, String> =
                    string_map(&step["with"]).into_iter().map(|(k, v)| (k, ctx.eval(&v))).collect();
                self.uses(uses, &inputs, &workspace, &ctx)
            } else {
                let script = step["run"].as_str().expect("run or uses");
                let output_file = job_dir.join(format!("output-{i}"));
                let env_file = job_dir.join(format!("env-{i}"));
                let path_file = job_dir.join(format!("path-{i}"));
                for f in [&output_file, &env_file, &path_file] {
                    std::fs::write(f, "").expect("command file");
                }
                let script_file = job_dir.join(format!("step-{i}.sh"));
                std::fs::write(&script_file, script).expect("script");
                let mut command = Command::new("bash");
                command.args(["--noprofile", "--norc", "-eo", "pipefail"]).arg(&script_file).current_dir(&workspace);
                command.env_clear();
                let mut path =
                    vec![self.stubs.to_string_lossy().into_owned(), self.installed.to_string_lossy().into_owned()];
                path.extend(path_additions.iter().rev().cloned());
                path.push(std::env::var("PATH").unwrap_or_default());
                command.env("PATH", path.join(":"));
                let home = self.scratch.join("home");
                for (k, default) in [("CARGO_HOME", ".cargo"), ("RUSTUP_HOME", ".rustup")] {
                    let value = std::env::var(k)
                        .unwrap_or_else(|_| format!("{}/{default}", std::env::var("HOME").unwrap_or_default()));
                    command.env(k, value);
                }
                command
                    .env("HOME", &home)
                    .env("GIT_CONFIG_NOSYSTEM", "1")
                    .env("CI", "true")
                    .env("GITHUB_ACTIONS", "true")
                    .env("GITHUB_WORKSPACE", &workspace)
                    .env("GITHUB_OUTPUT", &output_file)
                    .env("GITHUB_ENV", &env_file)
                    .env("GITHUB_PATH", &path_file)
                    .env("GITHUB_STEP_SUMMARY", &summary_file)
                    .env("RUNNER_TEMP", &temp)
                    .env("GITHUB_SHA", ctx.sha())
                    .env("GITHUB_REF", ctx.git_ref())
                    .env("GITHUB_REPOSITORY", &self.repository)
                    .env("GITHUB_SERVER_URL", "https://github.com")
                    .env("GITHUB_RUN_ID", "4242")
                    .env("GITHUB_EVENT_NAME", ctx.event_name())
                    .env("LANG", "C.UTF-8");
                for (k, v) in &self.env {
                    command.env(k, v);
                }
                for (k, v) in &step_env {
                    command.env(k, v);
                }
                let out = command.output().expect("bash runs");
                let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
                let outputs = parse_command_file(&std::fs::read_to_string(&output_file).unwrap_or_default());
                for (k, v) in parse_command_file(&std::fs::read_to_string(&env_file).unwrap_or_default()) {
                    ctx.env.insert(k, v);
                }
                path_additions.extend(
                    std::fs::read_to_string(&path_file)
                        .unwrap_or_default()
                        .lines()
                        .filter(|l| !l.is_empty())
                        .map(str::to_owned),
                );
                (out.status.success(), log, outputs)
            };
            if let Some(id) = id {
                ctx.steps.insert(id, outputs);
            }
            failed |= !success;
            steps.push(StepResult { name: step_name, success, log });
        }
        let outputs = string_map(&job["outputs"]).into_iter().map(|(k, v)| (k, ctx.eval(&v))).collect();
        JobResult {
            result: if failed { "failure" } else { "success" }.to_owned(),
            outputs,
            steps,
            summary: std::fs::read_to_string(&summary_file).unwrap_or_default(),
            workspace,
            elapsed: started.elapsed(),
        }
    }

    /// An action step: checkout and the cache are emulated, everything else recorded.
    fn uses(
        &self,
        uses: &str,
        inputs: &BTreeMap<String, String>,
        workspace: &Path,
        ctx: &Context<'_>,
    ) -> (bool, String, BTreeMap<String, String>) {
        let event = ctx.event;
        let (action, _sha) = uses.split_once('@').expect("pinned action");
        let mut line = vec!["uses".to_owned(), action.to_owned()];
        line.extend(inputs.iter().map(|(k, v)| format!("{k}={}", v.replace('\n', "\\n"))));
        let recorded = format!("{}\n", line.join("\t"));
        std::fs::write(&self.calls, format!("{}{recorded}", std::fs::read_to_string(&self.calls).unwrap_or_default()))
            .expect("record");
        match action {
            "actions/checkout" => {}
            "actions/cache/restore" | "actions/cache/save" => return self.cache_action(action, inputs, ctx),
            "aquasecurity/trivy-action" => return self.trivy_action(inputs, workspace),
            "docker/build-push-action" => {
                if inputs.get("load").is_some_and(|l| l == "true") {
                    let store = self.scratch.join("docker-images");
                    let mut images = std::fs::read_to_string(&store).unwrap_or_default();
                    for tag in inputs.get("tags").map(String::as_str).unwrap_or_default().lines() {
                        images.push_str(&format!("{}\n", tag.trim()));
                    }
                    std::fs::write(&store, images).expect("image store");
                }
                return (true, format!("(recorded {action})"), BTreeMap::new());
            }
            _ => return (true, format!("(recorded {action})"), BTreeMap::new()),
        }
        let full = inputs.get("fetch-depth").is_some_and(|d| d == "0");
        let origin_url = format!("file://{}", self.origin.display());
        let mut clone = Command::new("git");
        clone.args(["clone", "--quiet"]);
        if !full {
            clone.args(["--depth", "1", "--no-tags"]);
        }
        // Without `ref`, a pull request checks out its merge ref (detached), as actions/checkout
        // does with GitHub's `refs/pull/N/merge`.
        let (reference, merge) = match (inputs.get("ref"), event) {
            (Some(r), _) => (r.clone(), None),
            (None, Event::Push { branch, .. }) => (branch.clone(), None),
            (None, Event::PullRequest { number, base_branch, .. }) => {
                (base_branch.clone(), Some(format!("refs/pull/{number}/merge")))
            }
        };
        clone.args(["--branch", &reference]).arg(&origin_url).arg(workspace);
        let out = clone.env("GIT_CONFIG_NOSYSTEM", "1").output().expect("git clone");
        let mut log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        if !out.status.success() {
            return (false, log, BTreeMap::new());
        }
        if let Some(merge) = merge {
            let mut fetch = Command::new("git");
            fetch.args(["fetch", "--quiet"]);
            if !full {
                fetch.args(["--depth", "1"]);
            }
            let fetched = fetch
                .args(["origin", &format!("+{merge}:refs/remotes/pull/merge")])
                .current_dir(workspace)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .output()
                .expect("git fetch");
            let checked_out = Command::new("git")
                .args(["checkout", "--quiet", "--detach", "refs/remotes/pull/merge"])
                .current_dir(workspace)
                .status()
                .expect("git checkout");
            if !fetched.status.success() || !checked_out.success() {
                log.push_str(&String::from_utf8_lossy(&fetched.stderr));
                return (false, log, BTreeMap::new());
            }
        }
        // What actions/checkout does unless told not to: the token stays in .git/config for every
        // later step of the job.
        if inputs.get("persist-credentials").is_none_or(|p| p != "false") {
            let header = format!("AUTHORIZATION: basic {FAKE_TOKEN}");
            let _ = Command::new("git")
                .args(["config", "--local", "http.https://github.com/.extraheader", &header])
                .current_dir(workspace)
                .status();
            log.push_str("(credentials persisted)\n");
        }
        (true, log, BTreeMap::new())
    }
}

impl Runner {
    /// Marks `target` (an image ref or a scanned folder) as having a CRITICAL finding.
    pub fn add_critical_finding(&self, target: &str) {
        let path = self.scratch.join("trivy-critical");
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        std::fs::write(&path, format!("{text}{target}\n")).expect("findings");
    }

    /// The message the `curl` stub was last asked to send.
    pub fn last_mail(&self) -> Option<String> {
        std::fs::read_to_string(self.scratch.join("last-mail.txt")).ok()
    }

    /// trivy-action v0.35.0 maps its inputs to one `trivy` run: `scan-type` (default `image`),
    /// the target (`image-ref`, else `scan-ref`), and `severity`, `exit-code`, `scanners` as
    /// flags. The `trivy` stub stands in for the binary the action installs.
    fn trivy_action(
        &self,
        inputs: &BTreeMap<String, String>,
        workspace: &Path,
    ) -> (bool, String, BTreeMap<String, String>) {
        let kind = inputs.get("scan-type").cloned().unwrap_or_else(|| "image".to_owned());
        let target = inputs.get(if kind == "image" { "image-ref" } else { "scan-ref" }).expect("a scan target");
        let mut command = Command::new(self.stubs.join("trivy"));
        command.arg(&kind);
        for (input, flag) in [("severity", "--severity"), ("exit-code", "--exit-code"), ("scanners", "--scanners")] {
            if let Some(value) = inputs.get(input) {
                command.args([flag, value]);
            }
        }
        let out = command.arg(target).current_dir(workspace).output().expect("trivy stub");
        let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.success(), log, BTreeMap::new())
    }

    /// `actions/cache/restore` and `actions/cache/save` for one `path`: entries are scoped to the
    /// ref the run is for, and a pull request also reads its base branch's, as GitHub's cache
    /// does (so entries saved by pull requests are never shared between them).
    fn cache_action(
        &self,
        action: &str,
        inputs: &BTreeMap<String, String>,
        ctx: &Context<'_>,
    ) -> (bool, String, BTreeMap<String, String>) {
        let key = inputs.get("key").expect("cache key");
        let path = inputs.get("path").expect("cache path");
        let home = self.scratch.join("home");
        let path = path.strip_prefix("~/").map_or_else(|| PathBuf::from(path), |rest| home.join(rest));
        let entry = |scope: &str| self.cache.join(scope.replace('/', "_")).join(key);
        let own = ctx.git_ref();
        let copy = |from: &Path, to: &Path| {
            std::fs::create_dir_all(to).expect("mkdir");
            let status = Command::new("cp").arg("-a").arg(format!("{}/.", from.display())).arg(to).status();
            assert!(status.is_ok_and(|s| s.success()), "cp {} {}", from.display(), to.display());
        };
        if action == "actions/cache/save" {
            let target = entry(&own);
            if target.exists() {
                return (true, format!("Failed to save: cache entry {key} already exists (warning)"), BTreeMap::new());
            }
            if !path.exists() {
                return (true, format!("Path does not exist: {} (warning)", path.display()), BTreeMap::new());
            }
            copy(&path, &target);
            return (true, format!("Cache saved with key: {key} ({own})"), BTreeMap::new());
        }
        let mut scopes = vec![own];
        if let Event::PullRequest { base_branch, .. } = ctx.event {
            scopes.push(format!("refs/heads/{base_branch}"));
        }
        for scope in scopes {
            let source = entry(&scope);
            if source.exists() {
                copy(&source, &path);
                let outputs = BTreeMap::from([
                    ("cache-hit".to_owned(), "true".to_owned()),
                    ("cache-matched-key".to_owned(), key.clone()),
                ]);
                return (true, format!("Cache restored from key: {key} ({scope})"), outputs);
            }
        }
        (true, format!("Cache not found for input keys: {key}"), BTreeMap::new())
    }
}

struct Context<'a> {
    runner: &'a Runner,
    event: &'a Event,
    merge_sha: Option<&'a str>,
    earlier: &'a [(String, JobResult)],
    steps: BTreeMap<String, BTreeMap<String, String>>,
    env: BTreeMap<String, String>,
}

impl Context<'_> {
    /// `github.sha`: the pushed commit, or a pull request's merge commit.
    fn sha(&self) -> String {
        match self.event {
            Event::Push { sha, .. } => sha.clone(),
            Event::PullRequest { .. } => self.merge_sha.expect("a pull request run has its merge").to_owned(),
        }
    }

    /// `github.ref`: the pushed branch, or a pull request's merge ref.
    fn git_ref(&self) -> String {
        match self.event {
            Event::Push { branch, .. } => format!("refs/heads/{branch}"),
            Event::PullRequest { number, .. } => format!("refs/pull/{number}/merge"),
        }
    }

    /// Whether a step with `if: condition` runs after the job's steps so far (`failed` when one
    /// failed). Knows the status functions and `&&` of `<expression> == / != '<literal>'`; any
    /// other condition fails the test rather than being guessed.
    #[track_caller]
    fn condition(&self, condition: Option<&str>, failed: bool) -> bool {
        let Some(condition) = condition else { return !failed };
        let mut status = None;
        let mut all = true;
        for term in condition.split(" && ").map(str::trim) {
            match term {
                "always()" => status = Some(true),
                "success()" => status = Some(!failed),
                "failure()" => status = Some(failed),
                _ => {
                    let (expression, equal, literal) = if let Some((e, l)) = term.split_once(" != ") {
                        (e, false, l)
                    } else if let Some((e, l)) = term.split_once(" == ") {
                        (e, true, l)
                    } else {
                        panic!("the runner does not know the condition `{condition}`")
                    };
                    let literal = literal
                        .strip_prefix('\'')
                        .and_then(|l| l.strip_suffix('\''))
                        .unwrap_or_else(|| panic!("the runner only compares with '…' literals: `{condition}`"));
                    all &= (self.value(expression.trim()) == literal) == equal;
                }
            }
        }
        status.unwrap_or(!failed) && all
    }

    fn event_name(&self) -> &'static str {
        match self.event {
            Event::Push { .. } => "push",
            Event::PullRequest { .. } => "pull_request",
        }
    }

    /// Replaces every `${{ expression }}` in `text`. An expression the runner does not know
    /// fails the test: a silently empty value would make a step pass for the wrong reason.
    #[track_caller]
    fn eval(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${{") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find("}}").expect("closing }}") + start;
            out.push_str(&self.value(rest[start + 3..end].trim()));
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }

    #[track_caller]
    fn value(&self, expression: &str) -> String {
        let parts: Vec<&str> = expression.split('.').collect();
        let unknown = || panic!("the runner does not know the expression `{expression}`");
        match parts.as_slice() {
            ["github", "sha"] => self.sha(),
            ["github", "token"] => FAKE_TOKEN.to_owned(),
            ["github", "server_url"] => "https://github.com".to_owned(),
            ["github", "repository"] => self.runner.repository.clone(),
            ["github", "ref"] => self.git_ref(),
            ["github", "event_name"] => self.event_name().to_owned(),
            ["runner", "os"] => "Linux".to_owned(),
            ["runner", "arch"] => "X64".to_owned(),
            ["github", "event", "pull_request", "number"] => match self.event {
                Event::PullRequest { number, .. } => number.to_string(),
                Event::Push { .. } => String::new(),
            },
            ["github", "event", "pull_request", "base", "sha"] => match self.event {
                Event::PullRequest { base_sha, .. } => base_sha.clone(),
                Event::Push { .. } => String::new(),
            },
            ["vars", name] => self.runner.vars.get(*name).cloned().unwrap_or_else(&unknown),
            ["secrets", name] => format!("secret-{name}"),
            ["env", name] => self.env.get(*name).cloned().unwrap_or_default(),
            ["steps", id, "outputs", name] => {
                self.steps.get(*id).and_then(|o| o.get(*name)).cloned().unwrap_or_default()
            }
            ["needs", job, "outputs", name] => self
                .earlier
                .iter()
                .find(|(n, _)| n == job)
                .and_then(|(_, j)| j.outputs.get(*name))
                .cloned()
                .unwrap_or_default(),
            ["needs", job, "result"] => {
                self.earlier.iter().find(|(n, _)| n == job).map(|(_, j)| j.result.clone()).unwrap_or_else(&unknown)
            }
            _ => unknown(),
        }
    }
}

/// `key=value` lines and `key<<DELIMITER` blocks, as in `$GITHUB_OUTPUT` and `$GITHUB_ENV`.
fn parse_command_file(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((key, delimiter)) = line.split_once("<<") {
            let mut value = Vec::new();
            for l in lines.by_ref() {
                if l == delimiter {
                    break;
                }
                value.push(l);
            }
            out.insert(key.to_owned(), value.join("\n"));
        } else if let Some((key, value)) = line.split_once('=') {
            out.insert(key.to_owned(), value.to_owned());
        }
    }
    out
}

/// A YAML mapping of scalars as strings (`true` → `"true"`, `0` → `"0"`).
fn string_map(value: &Value) -> BTreeMap<String, String> {
    let Some(map) = value.as_mapping() else { return BTreeMap::new() };
    map.iter()
        .filter_map(|(k, v)| {
            let v = match v {
                Value::String(s) => s.clone(),
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                _ => return None,
            };
            Some((k.as_str()?.to_owned(), v))
        })
        .collect()
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).map(|p| p.join(name)).find(|p| p.is_file()))
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    let mut permissions = std::fs::metadata(path).expect("stat").permissions();
    permissions.set_mode(0o755);
    std::fs::set_permissions(path, permissions).expect("chmod");
}
