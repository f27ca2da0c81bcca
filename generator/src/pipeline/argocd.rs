//! `argocd/application.yaml` (gitops mode): the Argo CD `Application` that keeps the generated
//! chart in the cluster in sync with the deploy branch.

use serde_json::json;
use stackgen_modules::StackSpec;

use super::paths::{IMAGE_VALUES_FILE_NAME, chart_path};

/// The manifest's path in the output.
pub const APPLICATION_PATH: &str = "argocd/application.yaml";

/// The `Application` as a JSON value (the shape the CRD schema describes).
pub fn application(spec: &StackSpec) -> serde_json::Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": spec.app.name,
            "namespace": spec.delivery.argocd.namespace,
            // Deleting the Application also deletes what it deployed.
            "finalizers": ["resources-finalizer.argocd.argoproj.io"],
        },
        "spec": {
            "project": "default",
            "source": {
                "repoURL": format!("https://github.com/{}.git", spec.github.repo),
                "targetRevision": spec.github.branch,
                "path": chart_path(spec),
                "helm": {
                    // values-image.yaml is written by the delivery workflow; before the first
                    // release it does not exist yet and the chart's own image.tag applies.
                    "valueFiles": ["values.yaml", IMAGE_VALUES_FILE_NAME],
                    "ignoreMissingValueFiles": true,
                },
            },
            "destination": {
                "server": "https://kubernetes.default.svc",
                "namespace": spec.namespace(),
            },
            "syncPolicy": {
                "automated": { "prune": true, "selfHeal": true },
                "syncOptions": ["CreateNamespace=true"],
                // The same Pod Security level the push-mode namespace gets from Terraform.
                "managedNamespaceMetadata": {
                    "labels": { "pod-security.kubernetes.io/enforce": "restricted" },
                },
            },
        },
    })
}

/// The manifest as YAML with the generated-file header.
///
/// # Errors
/// Only on a serialization bug.
pub fn application_yaml(spec: &StackSpec) -> Result<String, serde_yaml::Error> {
    Ok(crate::hclfmt::with_header("#", &serde_yaml::to_string(&application(spec))?))
}
