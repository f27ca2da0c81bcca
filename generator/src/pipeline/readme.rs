//! The output's `README.md`: every step from `az login` to the first deploy and the URL to open,
//! in order, with the spec's own names filled in. The text is the template `README.md.jinja`
//! next to this file (see [`crate::markdown`] for its syntax); this file gathers what it shows.

use serde::Serialize;
use stackgen_modules::delivery::DeployMode;
use stackgen_modules::{ClusterCredentials, Contributions, RepositoryVariable, StackSpec};

use super::actions::{ALL, TRIVY};
use super::paths::{NEXT_VERSION_PATH, chart_path, image_values_file};
use super::{argocd, delivery, pull_request};
use crate::generated::GenerateError;

/// The README's path in the output.
pub const PATH: &str = "README.md";

/// The URL the app answers on once deployed: https once its certificate is issued, unless the
/// spec turns TLS off.
pub fn app_url(spec: &StackSpec) -> String {
    let prefix = if spec.app.path_prefix == "/" { "/" } else { spec.app.path_prefix.as_str() };
    let scheme = if spec.tls.settings().is_some() { "https" } else { "http" };
    format!("{scheme}://{}{prefix}", spec.app.host)
}

/// The one-line loop that copies Terraform outputs into repository variables.
pub fn variables_loop(variables: &[RepositoryVariable], repo: &str) -> String {
    let pairs: Vec<String> = variables.iter().map(|v| format!("{}={}", v.name, v.value.root_output())).collect();
    format!(
        "for pair in {}; do gh variable set \"${{pair%%=*}}\" --repo {repo} --body \"$(terraform -chdir=terraform output -raw \"${{pair#*=}}\")\"; done",
        pairs.join(" "),
    )
}

/// A numbered setup step a module adds after "Create the infrastructure".
#[derive(Debug, Serialize)]
struct Step<'a> {
    title: &'a str,
    /// Markdown, without a trailing newline.
    body: &'a str,
}

#[derive(Debug, Serialize)]
struct Backend<'a> {
    resource_group_name: &'a str,
    storage_account_name: &'a str,
    container_name: &'a str,
}

#[derive(Debug, Serialize)]
struct Variable<'a> {
    name: &'a str,
    output: String,
}

#[derive(Debug, Serialize)]
struct Action {
    repo: &'static str,
    version: &'static str,
    sha: &'static str,
}

/// Everything the template shows.
#[derive(Debug, Serialize)]
struct Context<'a> {
    header: &'static str,
    stack: &'a str,
    app: &'a str,
    repo: &'a str,
    /// The repository's name without its owner, for the folder.
    repo_name: &'a str,
    branch: &'a str,
    location: &'a str,
    spec_file: &'a str,
    gitops: bool,
    entra: bool,
    chart_path: String,
    delivery_path: &'static str,
    pull_request_path: &'static str,
    application_path: &'static str,
    backend: Option<Backend<'a>>,
    /// The starter service is seeded (no `source.dockerfile`).
    starter: bool,
    /// `source.dockerfile` and its checks, for a team's own service.
    own_dockerfile: Option<&'a str>,
    /// Where the own Dockerfile's seeded `.dockerignore` is.
    own_dockerignore: String,
    module_steps: Vec<Step<'a>>,
    variables_loop: String,
    variables: Vec<Variable<'a>>,
    environment: Option<&'a str>,
    /// The notification addresses, formatted; empty when nobody is notified.
    emails: String,
    image_values_file: String,
    workload_namespace: &'a str,
    argocd_namespace: &'a str,
    resource_group_output: String,
    cluster_name_output: String,
    app_url: String,
    /// The app host's certificate (cert-manager's Certificate, named like its Secret), with TLS on.
    certificate: Option<String>,
    /// Where the certificate lives: the app's namespace (the Ingress asks for it), or the
    /// Gateway's (Terraform's gateway chart asks for it, for the Gateway's HTTPS listener).
    certificate_namespace: &'a str,
    /// True when the app is published by an HTTPRoute on the stack's Gateway.
    gateway_api: bool,
    host: &'a str,
    cluster_issuer: &'static str,
    trivy_repo: &'static str,
    next_version_path: &'static str,
    actions: Vec<Action>,
}

/// Renders the README.
///
/// # Errors
/// [`GenerateError::Render`] in gitops mode without a cluster (the Argo CD step needs its name);
/// otherwise only on a bug in the template.
pub fn render(spec: &StackSpec, contributions: &Contributions) -> Result<String, GenerateError> {
    let gitops = spec.delivery.mode == DeployMode::Gitops;
    let cluster = contributions.cluster.as_ref();
    let (resource_group_output, cluster_name_output) = match cluster {
        Some(cluster) => (cluster.resource_group.root_output(), cluster.name.root_output()),
        None if gitops => {
            return Err(stackgen_modules::RenderError::NoCluster {
                module: "argocd".to_owned(),
                provider: "helm".to_owned(),
            }
            .into());
        }
        None => (String::new(), String::new()),
    };
    let variables = &contributions.repository_variables;
    let context = Context {
        header: crate::hclfmt::GENERATED_HEADER,
        stack: &spec.stack.name,
        app: &spec.app.name,
        repo: &spec.github.repo,
        repo_name: spec.github.repo.rsplit('/').next().unwrap_or(&spec.github.repo),
        branch: &spec.github.branch,
        location: &spec.stack.location,
        spec_file: &spec.delivery.spec_file,
        gitops,
        entra: cluster.is_some_and(|c| c.credentials == ClusterCredentials::AzureCli),
        chart_path: chart_path(spec),
        delivery_path: delivery::PATH,
        pull_request_path: pull_request::PATH,
        application_path: argocd::APPLICATION_PATH,
        backend: spec.stack.backend.as_ref().map(|b| Backend {
            resource_group_name: &b.resource_group_name,
            storage_account_name: &b.storage_account_name,
            container_name: &b.container_name,
        }),
        starter: spec.source.is_starter(),
        own_dockerfile: spec.source.dockerfile.as_deref(),
        own_dockerignore: crate::docker::own_dockerignore_path(&spec.source.context),
        module_steps: contributions.readme_steps.iter().map(|s| Step { title: &s.title, body: &s.body }).collect(),
        variables_loop: variables_loop(variables, &spec.github.repo),
        variables: variables.iter().map(|v| Variable { name: &v.name, output: v.value.root_output() }).collect(),
        environment: spec.github.environment.as_deref(),
        emails: spec.delivery.notify.emails.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", "),
        image_values_file: image_values_file(spec),
        workload_namespace: spec.namespace(),
        argocd_namespace: &spec.delivery.argocd.namespace,
        resource_group_output,
        cluster_name_output,
        app_url: app_url(spec),
        certificate: spec.tls.settings().map(|_| crate::chart::values::tls_secret_name(spec)),
        certificate_namespace: if spec.ingress.backend.is_gateway_api() {
            spec.ingress.namespace()
        } else {
            spec.namespace()
        },
        gateway_api: spec.ingress.backend.is_gateway_api(),
        host: &spec.app.host,
        cluster_issuer: spec.tls.settings().map_or("", |tls| tls.issuer.cluster_issuer_name()),
        trivy_repo: TRIVY.repo,
        next_version_path: NEXT_VERSION_PATH,
        actions: ALL.iter().map(|a| Action { repo: a.repo, version: a.version, sha: a.sha }).collect(),
    };
    crate::markdown::render(crate::markdown::STACK_README, &context)
}
