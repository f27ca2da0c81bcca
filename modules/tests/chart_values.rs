//! Every value key the generator sets on a pinned upstream chart exists in that chart version's
//! own `values.yaml` (vendored under `tests/fixtures/charts/`, fetched from the chart's public
//! repository at its release tag): a key the chart does not read is a setting that silently does
//! nothing, as `controller.podDisruptionBudget.*` did for ingress-nginx.
//!
//! Fixtures: kubernetes/ingress-nginx `charts/ingress-nginx/values.yaml` at `helm-chart-4.13.3`,
//! argoproj/argo-helm `charts/argo-cd/values.yaml` at `argo-cd-10.1.1`.

use std::path::Path;

use hcl::{Block, Expression, ObjectKey};
use serde_yaml::Value;
use stackgen_modules::argocd::ArgoCd;
use stackgen_modules::ingress::{Ingress, IngressModule};
use stackgen_modules::module::{Module, Output, RenderedModule, StackContext, StackSettings};

fn chart_values(file: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/charts").join(file);
    serde_yaml::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("values.yaml parses")
}

/// The object passed through `yamlencode(...)` in `values` of `helm_release.<name>`.
#[track_caller]
fn release_values(rendered: &RenderedModule, name: &str) -> Expression {
    let release: &Block = rendered
        .main
        .blocks()
        .find(|b| b.identifier() == "resource" && b.labels().iter().map(|l| l.as_str()).eq(["helm_release", name]))
        .unwrap_or_else(|| panic!("no helm_release.{name}"));
    let values = release.body().attributes().find(|a| a.key() == "values").expect("values").expr();
    let Expression::Array(items) = values else { panic!("values is not a list") };
    let [Expression::FuncCall(call)] = items.as_slice() else { panic!("values is not [yamlencode(...)]") };
    call.args[0].clone()
}

fn key_text(key: &ObjectKey) -> String {
    match key {
        ObjectKey::Identifier(id) => id.to_string(),
        ObjectKey::Expression(Expression::String(s)) => s.clone(),
        other => panic!("unexpected key {other:?}"),
    }
}

/// Every key path the generator sets that the chart's values do not declare. A chart value that
/// is an empty map (`annotations: {}`) takes keys of the user's choosing, so the walk stops there.
fn unknown_keys(set: &Expression, chart: &Value, path: &str, found: &mut Vec<String>) {
    let Expression::Object(object) = set else { return };
    for (key, value) in object {
        let key = key_text(key);
        let at = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
        match chart.get(key.as_str()) {
            None => found.push(at),
            Some(Value::Mapping(m)) if m.is_empty() => {}
            Some(inner) => unknown_keys(value, inner, &at, found),
        }
    }
}

fn stack() -> StackContext {
    let mut stack = StackContext::new(StackSettings::default());
    let declare = |names: &[&str]| RenderedModule {
        outputs: names.iter().map(|n| Output::new(n, Expression::Null, "x.")).collect(),
        ..RenderedModule::default()
    };
    stack.declare("resource_group", &declare(&["location", "name"]));
    stack.declare("aks", &declare(&["identity_principal_id"]));
    stack
}

#[test]
fn ingress_nginx_values_exist_in_the_pinned_chart() {
    let spec = Ingress::default();
    assert_eq!(spec.chart_version(), "4.13.3", "vendor the values.yaml of the new pin");
    let rendered = IngressModule::new(&spec).render(&stack()).expect("renders");
    let mut found = Vec::new();
    unknown_keys(
        &release_values(&rendered, "ingress_nginx"),
        &chart_values("ingress-nginx-4.13.3-values.yaml"),
        "",
        &mut found,
    );
    assert_eq!(found, Vec::<String>::new(), "keys ingress-nginx 4.13.3 does not read");
}

#[test]
fn argo_cd_values_exist_in_the_pinned_chart() {
    let spec = ArgoCd::default();
    assert_eq!(spec.chart_version, "10.1.1", "vendor the values.yaml of the new pin");
    let rendered = spec.render(&stack()).expect("renders");
    let mut found = Vec::new();
    unknown_keys(&release_values(&rendered, "argocd"), &chart_values("argo-cd-10.1.1-values.yaml"), "", &mut found);
    assert_eq!(found, Vec::<String>::new(), "keys argo-cd 10.1.1 does not read");
}

/// The walk itself finds a dead key: the one the issue reported.
#[test]
fn a_key_the_chart_does_not_declare_is_found() {
    let chart = chart_values("ingress-nginx-4.13.3-values.yaml");
    let set: Expression = hcl::from_str::<hcl::Body>(
        "x = { controller = { podDisruptionBudget = { enabled = true }, minAvailable = 1, service = { annotations = { \"a/b\" = \"c\" } } } }",
    )
    .expect("parses")
    .attributes()
    .next()
    .expect("x")
    .expr()
    .clone();
    let mut found = Vec::new();
    unknown_keys(&set, &chart, "", &mut found);
    assert_eq!(found, ["controller.podDisruptionBudget"]);
}
