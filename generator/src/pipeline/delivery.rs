//! `.github/workflows/delivery.yml`: on every push to the deploy branch, analyse, version, build,
//! scan, push, tag, deploy (push mode) or hand over to Argo CD (gitops mode), and notify.

use indexmap::IndexMap;
use serde_yaml::{Mapping, Value};
use stackgen_modules::StackSpec;
use stackgen_modules::aks::ClusterAuthentication;
use stackgen_modules::delivery::DeployMode;

use super::actions::{AZURE_LOGIN, CHECKOUT, KUBECTL_VERSION, KUBELOGIN_VERSION, TRIVY};
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
    jobs.insert("analyze".to_owned(), analyze());
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

fn analyze() -> Job {
    let mut job = Job::new("Static analysis and dependency audit", 45);
    job.steps = vec![
        checkout(),
        Step::run(
            "Install the Rust toolchain",
            "rustup toolchain install stable --profile minimal --component rustfmt,clippy\nrustup default stable",
        ),
        Step::run("cargo fmt", "cargo fmt --all --check"),
        Step::run("cargo clippy", "cargo clippy --workspace --all-targets --locked -- -D warnings"),
        Step::run("cargo test", "cargo test --workspace --all-targets --locked"),
        // Trivy reads Cargo.lock against public advisory databases; no account, no token.
        Step::uses("Dependency audit of Cargo.lock (Trivy, fails on CRITICAL)", TRIVY)
            .with("scan-type", "fs")
            .with("scan-ref", ".")
            .with("scanners", "vuln")
            .with("severity", "CRITICAL")
            .with("exit-code", "1"),
    ];
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
        Step::run(
            "Build the image",
            r#"docker build --pull \
  --tag "$IMAGE_REPOSITORY:$VERSION" \
  --label "org.opencontainers.image.version=$VERSION" \
  --label "org.opencontainers.image.revision=$GITHUB_SHA" \
  --label "org.opencontainers.image.source=$GITHUB_SERVER_URL/$GITHUB_REPOSITORY" \
  ."#,
        )
        .env("VERSION", version.clone()),
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

fn tag() -> Job {
    let mut job = Job::new("Push the release tag", 10);
    job.needs = vec!["build".to_owned()];
    // The only write this job does is the tag; the checkout keeps the token for that push.
    job.permissions = Some(permissions(&[("contents", "write")]));
    job.env.insert("VERSION".to_owned(), expr("needs.build.outputs.version"));
    job.steps = vec![
        Step::uses("Check out", CHECKOUT),
        Step::run(
            "Tag the released commit",
            "git tag \"v$VERSION\" \"$GITHUB_SHA\"\ngit push origin \"refs/tags/v$VERSION\"",
        ),
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
        Step::uses("Check out the deploy branch", CHECKOUT).with("ref", spec.github.branch.as_str()),
        // Commits pushed with GITHUB_TOKEN start no workflow run, so this cannot loop; the
        // pull-and-retry absorbs a push that landed meanwhile.
        Step::run(
            "Commit the new image tag",
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
  if git pull --rebase origin "$BRANCH" && git push origin "HEAD:$BRANCH"; then
    exit 0
  fi
  echo "push attempt $attempt failed; retrying"
  sleep $((attempt * 5))
done
exit 1"##,
        ),
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
