//! `.github/workflows/pull-request.yml`: the review gate. The committed output must match the spec,
//! Terraform must be `fmt`-clean and pass its own plan-level tests (`terraform test` with mock
//! providers), and the chart must lint; the job summary shows the generated diff so infrastructure
//! changes are reviewed as code. No cloud credentials, no write token.

use indexmap::IndexMap;
use serde_yaml::{Mapping, Value};
use stackgen_modules::StackSpec;

use super::actions::{CACHE_RESTORE, CACHE_SAVE, CHECKOUT, SETUP_TERRAFORM, TERRAFORM_VERSION};
use super::paths::GENERATED_PATHS;
use super::workflow::{Concurrency, Job, Step, Workflow, expr, permissions};

/// The workflow file's path in the output.
pub const PATH: &str = ".github/workflows/pull-request.yml";

/// The commit this stackgen was built from (see the generator's `build.rs`), if it was built
/// from a git checkout. The gate installs exactly that commit by default, so `--check` compares
/// like with like.
pub const STACKGEN_BUILD_REV: Option<&str> = option_env!("STACKGEN_BUILD_REV");

/// The repository the gate installs stackgen from by default: stackgen's own.
pub const STACKGEN_GIT: &str = env!("CARGO_PKG_REPOSITORY");

/// Where the gate installs stackgen from: the spec's `delivery.stackgen`, else this stackgen's own
/// repository and build commit. `None` when no commit is known: the spec must then name one.
pub fn stackgen_source(spec: &StackSpec) -> Option<(String, String)> {
    let install = &spec.delivery.stackgen;
    let git = install.git.clone().unwrap_or_else(|| STACKGEN_GIT.to_owned());
    let rev = install.rev.clone().or_else(|| STACKGEN_BUILD_REV.map(str::to_owned))?;
    Some((git, rev))
}

/// Builds the pull-request workflow for `spec`.
///
/// The gate installs stackgen from [`stackgen_source`]; when that is `None` the generate step
/// refuses the spec before this is called (see [`super::render`]), and the values below are
/// placeholders that never reach a file.
pub fn workflow(spec: &StackSpec) -> Workflow {
    let branches = || {
        Value::Mapping(Mapping::from_iter([(
            "branches".into(),
            Value::Sequence(vec![spec.github.branch.as_str().into()]),
        )]))
    };
    let mut on = Mapping::new();
    on.insert("pull_request".into(), branches());
    // Also on the branch itself: it stays checked, and GitHub's cache only shares entries saved
    // there with pull requests (each pull request's own are its alone), so this run is what
    // makes the stackgen install a cache hit for every new pull request.
    on.insert("push".into(), branches());
    let mut jobs = IndexMap::new();
    jobs.insert("generated".to_owned(), generated(spec));
    jobs.insert("terraform-fmt".to_owned(), terraform_fmt());
    jobs.insert("terraform-test".to_owned(), terraform_test());
    jobs.insert("chart-lint".to_owned(), chart_lint());
    Workflow {
        name: "pull-request".to_owned(),
        on: Value::Mapping(on),
        permissions: permissions(&[("contents", "read")]),
        // A new push to the pull request makes the running check pointless.
        concurrency: Some(Concurrency {
            group: format!("pull-request-{}", expr("github.event.pull_request.number || github.ref")),
            cancel_in_progress: true,
        }),
        env: IndexMap::from([("APP_NAME".to_owned(), spec.app.name.clone())]),
        jobs,
    }
}

fn checkout() -> Step {
    Step::uses("Check out", CHECKOUT).with("persist-credentials", false)
}

fn generated(spec: &StackSpec) -> Job {
    let mut job = Job::new("Generated files match the spec", 30);
    job.env.insert("STACKGEN_SPEC".to_owned(), spec.delivery.spec_file.clone());
    let (git, rev) = stackgen_source(spec).unwrap_or_default();
    job.env.insert("STACKGEN_GIT".to_owned(), git);
    job.env.insert("STACKGEN_REV".to_owned(), rev);
    job.steps = vec![
        // Full history: the base commit is then already here for the summary's diff, and no
        // credentials are needed to fetch it.
        Step::uses("Check out", CHECKOUT).with("fetch-depth", 0).with("persist-credentials", false),
        // A build of stackgen takes minutes; the binary is cached per commit, so only the first
        // run for a new `STACKGEN_REV` compiles it.
        Step::uses("Restore stackgen from the cache", CACHE_RESTORE)
            .id("stackgen-cache")
            .with("path", format!("~/{STACKGEN_HOME_DIR}"))
            .with("key", STACKGEN_CACHE_KEY),
        // From git at a full commit SHA: a registry name could be claimed by anyone, a tag
        // moved; a commit is what generated these files.
        Step::run(
            "Install stackgen (the commit that generated these files)",
            &format!("rustup toolchain install stable --profile minimal\ncargo +stable install --locked --root \"$HOME/{STACKGEN_HOME_DIR}\" --git \"$STACKGEN_GIT\" --rev \"$STACKGEN_REV\" stackgen"),
        )
        .when(CACHE_MISS),
        Step::uses("Save stackgen to the cache", CACHE_SAVE)
            .when(CACHE_MISS)
            .with("path", format!("~/{STACKGEN_HOME_DIR}"))
            .with("key", STACKGEN_CACHE_KEY),
        Step::run("Put stackgen on PATH", &format!("echo \"$HOME/{STACKGEN_HOME_DIR}/bin\" >> \"$GITHUB_PATH\"")),
        Step::run(
            "stackgen generate --check",
            r###"status=0
stackgen generate "$STACKGEN_SPEC" --out . --check > stackgen-check.txt 2>&1 || status=$?
cat stackgen-check.txt
if [ "$status" -ne 0 ]; then
  {
    echo "## The committed files do not match \`$STACKGEN_SPEC\`"
    echo "Run \`stackgen generate\` and commit the result."
    echo '```diff'
    head -c 200000 stackgen-check.txt
    echo '```'
  } >> "$GITHUB_STEP_SUMMARY"
fi
exit "$status""###,
        ),
        Step::run(
            "Summarize the generated changes",
            &format!(
                r###"git diff --no-color "$BASE_SHA" HEAD -- {paths} > generated.diff
{{
  echo "## Generated changes in this pull request"
  echo '```diff'
  git diff --no-color --stat "$BASE_SHA" HEAD -- {paths}
  echo
  head -c 800000 generated.diff
  echo '```'
}} >> "$GITHUB_STEP_SUMMARY""###,
                paths = GENERATED_PATHS.join(" ")
            ),
        )
        .when("always() && github.event_name == 'pull_request'")
        .env("BASE_SHA", expr("github.event.pull_request.base.sha")),
    ];
    job
}

/// Where the gate installs stackgen (`cargo install --root`), in the home folder; the folder it
/// caches.
const STACKGEN_HOME_DIR: &str = ".stackgen";

/// One cache entry per stackgen commit and runner platform.
const STACKGEN_CACHE_KEY: &str = "stackgen-${{ runner.os }}-${{ runner.arch }}-${{ env.STACKGEN_REV }}";

/// The install and save steps' condition: the restore found no entry for the key.
const CACHE_MISS: &str = "steps.stackgen-cache.outputs.cache-hit != 'true'";

/// Terraform at the version the stack pins, without the wrapper (its output is read as is).
fn setup_terraform() -> Step {
    Step::uses("Set up Terraform", SETUP_TERRAFORM)
        .with("terraform_version", TERRAFORM_VERSION)
        .with("terraform_wrapper", false)
}

fn terraform_fmt() -> Job {
    let mut job = Job::new("terraform fmt", 10);
    job.steps = vec![
        checkout(),
        setup_terraform(),
        Step::run("terraform fmt -check", "terraform fmt -check -recursive -diff terraform"),
    ];
    job
}

/// `terraform test` on the root: the generated `terraform/tests/*.tftest.hcl` plan and apply each
/// child module against mock providers, so the job needs no Azure credentials (and has none).
/// `-backend=false`: the state backend is neither needed nor reachable without a login.
fn terraform_test() -> Job {
    let mut job = Job::new("terraform test", 15);
    job.steps = vec![
        checkout(),
        setup_terraform(),
        Step::run("terraform init", "terraform -chdir=terraform init -backend=false -input=false"),
        Step::run("terraform test", "terraform -chdir=terraform test"),
    ];
    job
}

fn chart_lint() -> Job {
    let mut job = Job::new("helm lint", 10);
    // Helm ships on GitHub's Ubuntu runner images.
    job.steps = vec![checkout(), Step::run("helm lint", "helm lint --strict \"charts/$APP_NAME\"")];
    job
}
