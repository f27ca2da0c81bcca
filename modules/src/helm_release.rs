//! The `helm_release` every controller stackgen installs from a chart repository (ingress-nginx,
//! Traefik, cert-manager, Argo CD), and the one for a module's own local chart (the ClusterIssuer,
//! the Gateway): one shape each, so the settings they share are written once.

use hcl::{Block, Expression};

use crate::hcl_util::{call, string, template, var};

/// A chart from a repository, pinned and placed the same way for every controller.
#[derive(Debug, Clone)]
pub struct RepositoryChart<'a> {
    /// The resource label, such as `ingress_nginx`.
    pub label: &'a str,
    /// The release name in the cluster.
    pub name: &'a str,
    /// The chart repository URL.
    pub repository: &'a str,
    /// The chart's name in that repository.
    pub chart: &'a str,
    /// How long Helm may wait for the release to become ready, in seconds.
    pub timeout_seconds: u64,
}

impl RepositoryChart<'_> {
    /// The release block: version from `var.chart_version`, into `var.namespace` (created when
    /// missing), atomic and waited for, so a failed install rolls back instead of leaving half a
    /// controller; `values` go through `yamlencode`. `depends_on` is omitted when empty.
    pub fn release(&self, values: Expression, depends_on: Vec<Expression>) -> Block {
        let builder = Block::builder("resource")
            .add_label("helm_release")
            .add_label(self.label)
            .add_attribute(("name", string(self.name)))
            .add_attribute(("repository", string(self.repository)))
            .add_attribute(("chart", string(self.chart)))
            .add_attribute(("version", var("chart_version")))
            .add_attribute(("namespace", var("namespace")))
            .add_attribute(("create_namespace", true))
            .add_attribute(("atomic", true))
            .add_attribute(("wait", true))
            .add_attribute(("timeout", self.timeout_seconds))
            .add_attribute(("values", Expression::Array(vec![call("yamlencode", [values])])));
        if depends_on.is_empty() {
            builder.build()
        } else {
            builder.add_attribute(("depends_on", Expression::Array(depends_on))).build()
        }
    }
}

/// The release of a chart a module ships in its own folder (`chart_dir` under `path.module`),
/// into `var.namespace`, atomic and waited for; `values` go through `yamlencode`. These charts
/// hold objects of CRD kinds, so the release is what waits for the CRDs (`depends_on`, omitted
/// when empty).
pub fn local_chart_release(
    label: &str,
    name: &str,
    chart_dir: &str,
    values: Expression,
    depends_on: Vec<Expression>,
) -> Block {
    let builder = Block::builder("resource")
        .add_label("helm_release")
        .add_label(label)
        .add_attribute(("name", string(name)))
        .add_attribute(("chart", template(format!("${{path.module}}/{chart_dir}"))))
        .add_attribute(("namespace", var("namespace")))
        .add_attribute(("atomic", true))
        .add_attribute(("wait", true))
        .add_attribute(("values", Expression::Array(vec![call("yamlencode", [values])])));
    if depends_on.is_empty() {
        builder.build()
    } else {
        builder.add_attribute(("depends_on", Expression::Array(depends_on))).build()
    }
}
