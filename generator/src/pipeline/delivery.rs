//! `.github/workflows/delivery.yml`: on every push to the deploy branch, analyse, version, build,
//! scan, push, tag, deploy (push mode) or hand over to Argo CD (gitops mode), and notify.

use indexmap::IndexMap;
use serde_yaml::{Mapping, Value};
use stackgen_modules::StackSpec;
use stackgen_modules::aks::ClusterAuthentication;
use stackgen_modules::delivery::DeployMode;

use super::actions::{AZURE_LOGIN, BUILD_PUSH, CHECKOUT, KUBECTL_VERSION, KUBELOGIN_VERSION, SETUP_BUILDX, TRIVY};
use super::paths::{NEXT_VERSION_PATH, image_values_file, variables};
use super::workflow::{Concurrency, Job, Step, Workflow, expr, permissions};

/// The workflow file's path in the output.
pub const PATH: &str = ".github/workflows/delivery.yml";

/// Builds the delivery workflow for `spec`.
pub fn workflow(spec: &StackSpec) -> Workflow {
    let branch = &spec.github.branch;
    let mut on = Mapping::new();
    on.insert(
        "push".into(),
        Value::Mapping(Mapping::from_iter([("branches".into(), Value::Sequence(vec![branch.as_str().into()]))])),
    );

    let mut env = IndexMap::new();
    env.insert("APP_NAME".to_owned(), spec.app.name.clone());
    env.insert("IMAGE_REPOSITORY".to_owned(), spec.image_repository());

    let mut jobs = IndexMap::new();
    jobs.insert("analyze".to_owned(), analyze(spec));
    jobs.insert("build".to_owned(), build(spec));
    jobs.insert("tag".to_owned(), tag());
    jobs.insert(
        "deploy".to_owned(),
        match spec.delivery.mode {
            DeployMode::Push => deploy_push(spec),
            DeployMode::Gitops => deploy_gitops(spec),
        },
    );
    if !spec.delivery.notify.emails.is_empty() {
        jobs.insert("notify".to_owned(), notify(spec));
    }

    Workflow {
        name: "delivery".to_owned(),
        on: Value::Mapping(on),
        permissions: permissions(&[("contents", "read")]),
        // One run at a time per branch, queued rather than cancelled: a half-finished run could
        // leave a pushed image without its tag, or two deploys racing each other.
        concurrency: Some(Concurrency { group: format!("delivery-{branch}"), cancel_in_progress: false }),
        env,
        jobs,
    }
}

fn checkout() -> Step {
    Step::uses("Check out", CHECKOUT).with("persist-credentials", false)
}

fn analyze(spec: &StackSpec) -> Job {
    let mut job = Job::new("Static analysis and dependency audit", 45);
    let mut steps = vec![checkout()];
    if spec.source.is_starter() {
        steps.extend([
            Step::run(
                "Install the Rust toolchain",
                "rustup toolchain install stable --profile minimal --component rustfmt,clippy\nrustup default stable",
            ),
            Step::run("cargo fmt", "cargo fmt --all --check"),
            Step::run("cargo clippy", "cargo clippy --workspace --all-targets --locked -- -D warnings"),
            Step::run("cargo test", "cargo test --workspace --all-targets --locked"),
        ]);
    } else {
        // The team's own service: its own checks, in the spec's order.
        for command in &spec.source.analyze {
            let name = command.lines().next().unwrap_or_default();
            steps.push(Step::run(name, command));
        }
    }
    steps.push(
        // Trivy reads the lock files (Cargo.lock, requirements.txt, …) against public advisory
        // databases; no account, no token.
        Step::uses("Dependency audit of the lock files (Trivy, fails on CRITICAL)", TRIVY)
            .with("scan-type", "fs")
            .with("scan-ref", ".")
            .with("scanners", "vuln")
            .with("severity", "CRITICAL")
            .with("exit-code", "1"),
    );
    job.steps = steps;
    job
}

/// The push identity's login: client, tenant and subscription ids are Terraform outputs stored as
/// repository variables, so there is no secret to leak or rotate.
fn azure_login(name: &str, client_id_variable: &str) -> Step {
    Step::uses(name, AZURE_LOGIN)
        .with("client-id", expr(&format!("vars.{client_id_variable}")))
        .with("tenant-id", expr(&format!("vars.{}", variables::AZURE_TENANT_ID)))
        .with("subscription-id", expr(&format!("vars.{}", variables::AZURE_SUBSCRIPTION_ID)))
}

fn build(spec: &StackSpec) -> Job {
    let mut job = Job::new("Version, build, scan and push the image", 45);
    job.needs = vec!["analyze".to_owned()];
    job.environment.clone_from(&spec.github.environment);
    job.permissions = Some(permissions(&[("contents", "read"), ("id-token", "write")]));
    job.outputs.insert("version".to_owned(), expr("steps.version.outputs.version"));
    // `steps` is not available in job-level `env`, so each step that needs the version gets it.
    let version = expr("steps.version.outputs.version");
    job.steps = vec![
        // Full history with tags: the next version is computed from the latest v* tag.
        Step::uses("Check out with tags", CHECKOUT).with("fetch-depth", 0).with("persist-credentials", false),
        Step::run(
            "Compute the next version",
            &format!(
                "version=\"$(git tag --list 'v*' | bash {NEXT_VERSION_PATH})\"\necho \"Next version: $version\"\necho \"version=$version\" >> \"$GITHUB_OUTPUT\""
            ),
        )
        .id("version"),
        Step::uses("Set up Docker Buildx", SETUP_BUILDX),
        // BuildKit with its layer cache in the GitHub Actions cache: the cargo-chef and
        // dependency layers are rebuilt only when the toolchain or Cargo.lock change. The image
        // is loaded into the runner's engine for the scan; it is pushed only after the scan.
        Step::uses("Build the image (layer cache: GitHub Actions cache)", BUILD_PUSH)
            .with("context", spec.source.context.as_str())
            .with("file", dockerfile_path(spec))
            .with("pull", true)
            .with("load", true)
            .with("push", false)
            .with("provenance", false)
            .with("tags", format!("{}:{version}", expr("env.IMAGE_REPOSITORY")))
            .with(
                "labels",
                format!(
                    "org.opencontainers.image.version={version}\norg.opencontainers.image.revision={}\norg.opencontainers.image.source={}/{}",
                    expr("github.sha"),
                    expr("github.server_url"),
                    expr("github.repository")
                ),
            )
            // The commit and release the binary reports (GET /, --version).
            .with("build-args", format!("BUILD_COMMIT={}\nBUILD_VERSION={version}", expr("github.sha")))
            .with("cache-from", "type=gha")
            .with("cache-to", "type=gha,mode=max"),
        Step::uses("Scan the image (Trivy, fails on CRITICAL)", TRIVY)
            .with("image-ref", format!("{}:{version}", expr("env.IMAGE_REPOSITORY")))
            .with("scanners", "vuln")
            .with("severity", "CRITICAL")
            .with("exit-code", "1"),
        azure_login("Log in to Azure (push identity, OIDC)", variables::AZURE_CLIENT_ID),
        Step::run("Push the image", "az acr login --name \"$ACR_NAME\"\ndocker push \"$IMAGE_REPOSITORY:$VERSION\"")
            .env("ACR_NAME", expr(&format!("vars.{}", variables::ACR_NAME)))
            .env("VERSION", version),
    ];
    job
}

/// The Dockerfile the build job builds, relative to the repository root.
fn dockerfile_path(spec: &StackSpec) -> String {
    spec.source.dockerfile.clone().unwrap_or_else(|| crate::docker::DOCKERFILE_PATH.to_owned())
}

/// A shell function that runs git with the write token as an HTTP header in git's environment,
/// for the one command that talks to `origin`: the token is never written to `.git/config` (the
/// checkout does not persist credentials) nor put on a command line.
const WITH_TOKEN: &str = r#"with_token() {
  GIT_CONFIG_COUNT=1 \
    GIT_CONFIG_KEY_0="http.$GITHUB_SERVER_URL/.extraheader" \
    GIT_CONFIG_VALUE_0="AUTHORIZATION: basic $(printf 'x-access-token:%s' "$GITHUB_TOKEN" | base64 --wrap=0)" \
    git "$@"
}"#;

/// The step env that hands the job's token to [`WITH_TOKEN`], on the pushing step only.
fn with_token_env(step: Step) -> Step {
    step.env("GITHUB_TOKEN", expr("github.token"))
}

fn tag() -> Job {
    let mut job = Job::new("Push the release tag", 10);
    job.needs = vec!["build".to_owned()];
    // The only write this job does is the tag; only the pushing step gets the token.
    job.permissions = Some(permissions(&[("contents", "write")]));
    job.env.insert("VERSION".to_owned(), expr("needs.build.outputs.version"));
    job.steps = vec![
        checkout(),
        with_token_env(Step::run(
            "Tag the released commit",
            &format!(
                "{WITH_TOKEN}\ngit tag \"v$VERSION\" \"$GITHUB_SHA\"\nwith_token push origin \"refs/tags/v$VERSION\""
            ),
        )),
    ];
    job
}

fn deploy_push(spec: &StackSpec) -> Job {
    let mut job = Job::new("Deploy with helm upgrade", 30);
    job.needs = vec!["build".to_owned(), "tag".to_owned()];
    job.environment.clone_from(&spec.github.environment);
    job.permissions = Some(permissions(&[("contents", "read"), ("id-token", "write")]));
    // Also serialized across workflows and manual re-runs: one helm release, one writer.
    job.concurrency = Some(Concurrency {
        group: format!("deploy-{}-{}", spec.namespace(), spec.app.name),
        cancel_in_progress: false,
    });
    job.env.insert("VERSION".to_owned(), expr("needs.build.outputs.version"));
    job.env.insert("NAMESPACE".to_owned(), spec.namespace().to_owned());
    let credentials = match spec.aks.authentication {
        // Local accounts disabled: the kubeconfig only names kubelogin, which turns the Azure CLI
        // login of the deploy identity into a cluster token.
        ClusterAuthentication::EntraId => {
            "az aks get-credentials --resource-group \"$RESOURCE_GROUP\" --name \"$CLUSTER\" --overwrite-existing\nkubelogin convert-kubeconfig --login azurecli"
        }
        ClusterAuthentication::LocalAccounts => {
            "az aks get-credentials --resource-group \"$RESOURCE_GROUP\" --name \"$CLUSTER\" --overwrite-existing"
        }
    };
    let mut steps =
        vec![checkout(), azure_login("Log in to Azure (deploy identity, OIDC)", variables::DEPLOY_CLIENT_ID)];
    // helm only needs the kubeconfig; kubelogin is needed only when the kubeconfig names it.
    if spec.aks.authentication == ClusterAuthentication::EntraId {
        steps.push(Step::run(
            "Install kubelogin",
            &format!(
                "mkdir -p \"$HOME/.local/bin\"\naz aks install-cli --client-version {KUBECTL_VERSION} --kubelogin-version {KUBELOGIN_VERSION} \\\n  --install-location \"$HOME/.local/bin/kubectl\" --kubelogin-install-location \"$HOME/.local/bin/kubelogin\"\necho \"$HOME/.local/bin\" >> \"$GITHUB_PATH\""
            ),
        ));
    }
    steps.extend([
        Step::run("Get cluster credentials", credentials)
            .env("RESOURCE_GROUP", expr(&format!("vars.{}", variables::RESOURCE_GROUP_NAME)))
            .env("CLUSTER", expr(&format!("vars.{}", variables::AKS_NAME))),
        Step::run(
            "helm upgrade",
            r#"helm upgrade --install "$APP_NAME" "charts/$APP_NAME" \
  --namespace "$NAMESPACE" \
  --atomic --wait --timeout 10m \
  --set-string image.repository="$IMAGE_REPOSITORY" \
  --set-string image.tag="$VERSION""#,
        ),
    ]);
    job.steps = steps;
    job
}

fn deploy_gitops(spec: &StackSpec) -> Job {
    let mut job = Job::new("Hand the new version to Argo CD", 10);
    job.needs = vec!["build".to_owned(), "tag".to_owned()];
    // No id-token and no cluster credentials: the commit is the deploy, Argo CD pulls it.
    job.permissions = Some(permissions(&[("contents", "write")]));
    job.env.insert("VERSION".to_owned(), expr("needs.build.outputs.version"));
    job.env.insert("BRANCH".to_owned(), spec.github.branch.clone());
    job.env.insert("VALUES_FILE".to_owned(), image_values_file(spec));
    job.steps = vec![
        Step::uses("Check out the deploy branch", CHECKOUT)
            .with("ref", spec.github.branch.as_str())
            .with("persist-credentials", false),
        // Commits pushed with GITHUB_TOKEN start no workflow run, so this cannot loop; the
        // pull-and-retry absorbs a push that landed meanwhile. Only this step gets the token.
        with_token_env(Step::run(
            "Commit the new image tag",
            &format!(
                "{WITH_TOKEN}\n{}",
                r##"printf '%s\nimage:\n  tag: "%s"\n' \
  "# Written by the delivery workflow on every release; Argo CD layers it over values.yaml." \
  "$VERSION" > "$VALUES_FILE"
git config user.name "github-actions[bot]"
git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
git add "$VALUES_FILE"
if git diff --cached --quiet; then
  echo "$VALUES_FILE already pins $VERSION"
  exit 0
fi
git commit --message "deploy: $APP_NAME $VERSION [skip ci]"
for attempt in 1 2 3; do
  if with_token pull --rebase origin "$BRANCH" && with_token push origin "HEAD:$BRANCH"; then
    exit 0
  fi
  echo "push attempt $attempt failed; retrying"
  sleep $((attempt * 5))
done
exit 1"##
            ),
        )),
    ];
    job
}

fn notify(spec: &StackSpec) -> Job {
    let mut job = Job::new("E-mail the outcome", 10);
    job.needs = vec!["analyze".to_owned(), "build".to_owned(), "tag".to_owned(), "deploy".to_owned()];
    job.condition = Some("always()".to_owned());
    job.permissions = Some(permissions(&[]));
    let mut step = Step::run("Send the e-mail", NOTIFY_SCRIPT)
        .env("RECIPIENTS", spec.delivery.notify.emails.join(" "))
        .env("SMTP_SERVER", expr("secrets.SMTP_SERVER"))
        .env("SMTP_USERNAME", expr("secrets.SMTP_USERNAME"))
        .env("SMTP_PASSWORD", expr("secrets.SMTP_PASSWORD"))
        .env("SMTP_FROM", expr("secrets.SMTP_FROM"));
    for job_name in ["analyze", "build", "tag", "deploy"] {
        step =
            step.env(&format!("RESULT_{}", job_name.to_ascii_uppercase()), expr(&format!("needs.{job_name}.result")));
    }
    step = step.env("VERSION", expr("needs.build.outputs.version"));
    job.steps = vec![step];
    job
}

/// Sends the outcome with curl's SMTP client (STARTTLS required), so no third-party action ever
/// sees the SMTP password. The credentials reach curl on stdin, not on its command line.
const NOTIFY_SCRIPT: &str = r#"outcome=success
for result in "$RESULT_ANALYZE" "$RESULT_BUILD" "$RESULT_TAG" "$RESULT_DEPLOY"; do
  case "$result" in
    failure) outcome=failure ;;
    cancelled) [ "$outcome" = failure ] || outcome=cancelled ;;
  esac
done
version="${VERSION:-(no version)}"
{
  printf 'From: %s\r\n' "$SMTP_FROM"
  printf 'To: %s\r\n' "${RECIPIENTS// /, }"
  printf 'Subject: [%s] %s %s: %s\r\n\r\n' "$GITHUB_REPOSITORY" "$APP_NAME" "$version" "$outcome"
  printf 'Delivery of %s %s: %s\r\n\r\n' "$APP_NAME" "$version" "$outcome"
  printf 'analyze: %s\r\nbuild: %s\r\ntag: %s\r\ndeploy: %s\r\n\r\n' "$RESULT_ANALYZE" "$RESULT_BUILD" "$RESULT_TAG" "$RESULT_DEPLOY"
  printf 'Commit: %s\r\nRun: %s/%s/actions/runs/%s\r\n' "$GITHUB_SHA" "$GITHUB_SERVER_URL" "$GITHUB_REPOSITORY" "$GITHUB_RUN_ID"
} > mail.txt
recipients=()
for recipient in $RECIPIENTS; do
  recipients+=(--mail-rcpt "$recipient")
done
escape() { local value="${1//\\/\\\\}"; printf '%s' "${value//\"/\\\"}"; }
printf 'user = "%s:%s"\n' "$(escape "$SMTP_USERNAME")" "$(escape "$SMTP_PASSWORD")" |
  curl --config - --silent --show-error --fail --ssl-reqd \
    --url "smtp://$SMTP_SERVER" --mail-from "$SMTP_FROM" "${recipients[@]}" --upload-file mail.txt"#;
