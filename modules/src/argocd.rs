//! Argo CD, installed into the cluster as a pinned Helm release (`gitops` delivery only). It pulls
//! the generated chart from the repository, so CI never needs cluster credentials.

use hcl::{Body, Expression};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diagnostics::{Diagnostics, FieldPath};
use crate::hcl_util::{object, string, traversal};
use crate::helm_release::RepositoryChart;
use crate::module::{Module, Output, ProviderRequirement, RenderError, RenderedModule, StackContext, Variable};
use crate::rules;

/// Chart repository of the `argo-cd` chart.
pub const CHART_REPOSITORY: &str = "https://argoproj.github.io/argo-helm";

/// Argo CD settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ArgoCd {
    /// Pinned `argo-cd` chart version (10.1.1 ships Argo CD v3.4.4).
    #[serde(default = "default_chart_version")]
    pub chart_version: String,
    /// Namespace Argo CD runs in and its `Application` objects live in.
    #[serde(default = "default_namespace")]
    pub namespace: String,
}

fn default_chart_version() -> String {
    "10.1.1".to_owned()
}
fn default_namespace() -> String {
    "argocd".to_owned()
}

impl Default for ArgoCd {
    fn default() -> Self {
        Self { chart_version: default_chart_version(), namespace: default_namespace() }
    }
}

/// The settings are the module: Argo CD's release, its variables and the values the root passes.
impl Module for ArgoCd {
    fn name(&self) -> &str {
        "argocd"
    }

    fn validate(&self, at: &FieldPath, diagnostics: &mut Diagnostics) {
        rules::SEMVER.check_at(&self.chart_version, &at.key("chart_version"), diagnostics);
        rules::KUBERNETES_NAME.check_at(&self.namespace, &at.key("namespace"), diagnostics);
    }

    fn render(&self, _stack: &StackContext) -> Result<RenderedModule, RenderError> {
        let values = object([
            // No SSO is configured: the initial admin password (a Secret) is how the README logs
            // in, so Dex would only be an idle pod with cluster-wide reach.
            ("dex", object([("enabled", Expression::Bool(false))])),
            // The UI stays inside the cluster (`kubectl port-forward`); Argo CD needs no ingress
            // to pull from git.
            ("server", object([("service", object([("type", string("ClusterIP"))]))])),
            // Deleting the release must not delete every Application with it.
            ("crds", object([("keep", Expression::Bool(true))])),
        ]);
        let release = RepositoryChart {
            label: "argocd",
            name: "argocd",
            repository: CHART_REPOSITORY,
            chart: "argo-cd",
            timeout_seconds: 900,
        }
        .release(values, Vec::new());
        Ok(RenderedModule {
            providers: vec![ProviderRequirement::helm()],
            main: Body::builder().add_block(release).build(),
            outputs: vec![
                Output::new(
                    "namespace",
                    traversal("helm_release", ["argocd", "namespace"]),
                    "Namespace Argo CD runs in; apply argocd/application.yaml there.",
                )
                .at_root(),
            ],
            ..RenderedModule::default()
        }
        .with_inputs([
            Variable::setting("chart_version", "Pinned argo-cd chart version.", self.chart_version.clone())
                .rule(&rules::SEMVER, "chart version")
                .passed_default(),
            Variable::setting("namespace", "Namespace Argo CD runs in.", self.namespace.clone())
                .rule(&rules::KUBERNETES_NAME, "namespace")
                .passed_default(),
        ]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_is_pinned_and_values_go_through_yamlencode() {
        let spec = ArgoCd::default();
        let rendered = spec.render(&StackContext::default()).expect("renders");
        let main = hcl::format::to_string(&rendered.main).expect("formats");
        assert!(main.contains("chart = \"argo-cd\""), "{main}");
        assert!(main.contains("version = var.chart_version"), "{main}");
        assert!(main.contains("yamlencode({ dex = { enabled = false }"), "{main}");
        assert_eq!(rendered.inputs[0], ("chart_version".to_owned(), string("10.1.1")));
    }

    #[test]
    fn rules_name_the_field() {
        let spec = ArgoCd { chart_version: "latest".into(), namespace: "Argo CD".into() };
        let mut d = Diagnostics::new();
        spec.validate(&FieldPath::root().key("delivery").key("argocd"), &mut d);
        let found: Vec<String> = d.iter().map(|d| format!("{}: {}", d.path, d.rule)).collect();
        assert_eq!(found, ["delivery.argocd.chart_version: semver", "delivery.argocd.namespace: kubernetes-name"]);
    }
}
