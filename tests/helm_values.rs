//! Every Helm value key the generated Terraform sets for a controller or for cert-manager exists in
//! the pinned chart version's own `values.yaml` (vendored under `tests/fixtures/charts/`), so a key
//! renamed upstream fails here instead of being silently ignored by Helm on `terraform apply`.
//!
//! The fixtures are the charts' `values.yaml` at the pinned tags, unchanged:
//! - `traefik-41.3.0-values.yaml`: traefik/traefik-helm-chart tag v41.3.0, `traefik/values.yaml`.
//! - `gateway-helm-v1.9.0-values.yaml`: envoyproxy/gateway tag v1.9.0,
//!   `charts/gateway-helm/values.tmpl.yaml` with the two placeholders the release fills
//!   (`tools/make/helm.mk`: `GatewayImage=docker.io/envoyproxy/gateway:v1.9.0`,
//!   `GatewayImagePullPolicy=IfNotPresent`), which is the published chart's `values.yaml`.
//! - `cert-manager-v1.21.1-values.yaml` and `.values.schema.json`: cert-manager/cert-manager tag
//!   v1.21.1, `deploy/charts/cert-manager/`. cert-manager documents some keys only as comments in
//!   values.yaml (`serviceAccount.name`, `.labels`, `.annotations`); its values.schema.json, which
//!   refuses unknown keys, declares them, so a key counts as known when either file has it.

mod common;

use std::collections::BTreeSet;

use hcl::{Block, Body, Expression, ObjectKey};

/// Chart name, pinned version, vendored values.yaml, vendored values.schema.json (if used).
const FIXTURES: &[(&str, &str, &str, Option<&str>)] = &[
    ("traefik", "41.3.0", include_str!("fixtures/charts/traefik-41.3.0-values.yaml"), None),
    (
        "cert-manager",
        "v1.21.1",
        include_str!("fixtures/charts/cert-manager-v1.21.1-values.yaml"),
        Some(include_str!("fixtures/charts/cert-manager-v1.21.1-values.schema.json")),
    ),
    ("gateway-helm", "v1.9.0", include_str!("fixtures/charts/gateway-helm-v1.9.0-values.yaml"), None),
];

/// Values a chart copies into a Kubernetes object as they are (its values.yaml shows one example
/// key): chart, path. Their keys are that object's fields, not the chart's.
const PASSTHROUGH: &[(&str, &str)] = &[("traefik", "service.spec")];

fn key_name(key: &ObjectKey) -> String {
    match key {
        ObjectKey::Identifier(id) => id.to_string(),
        ObjectKey::Expression(Expression::String(s)) => s.clone(),
        other => panic!("unexpected object key {other:?}"),
    }
}

/// What the chart says about one path: its default in values.yaml and its values.schema.json node.
#[derive(Clone, Copy)]
struct Known<'a> {
    default: Option<&'a serde_yaml::Value>,
    schema: Option<&'a serde_json::Value>,
    root: Option<&'a serde_json::Value>,
}

impl<'a> Known<'a> {
    /// The schema node with `$ref`s followed (local `#/$defs/...` references only).
    fn resolved(&self) -> Option<&'a serde_json::Value> {
        let mut node = self.schema?;
        while let Some(reference) = node.get("$ref").and_then(|r| r.as_str()) {
            let name = reference.strip_prefix("#/$defs/")?;
            node = self.root?.get("$defs")?.get(name)?;
        }
        Some(node)
    }

    /// True when the chart lists the keys allowed here: a non-empty mapping default, or a schema
    /// object that refuses other properties. An empty `{}` such as `annotations` takes any keys.
    fn closed(&self) -> bool {
        let mapping = self.default.and_then(serde_yaml::Value::as_mapping).is_some_and(|m| !m.is_empty());
        let schema =
            self.resolved().is_some_and(|s| s.get("additionalProperties") == Some(&serde_json::Value::Bool(false)));
        mapping || schema
    }

    fn child(&self, key: &str) -> Option<Known<'a>> {
        let default = self.default.and_then(serde_yaml::Value::as_mapping).and_then(|m| m.get(key));
        let schema = self.resolved().and_then(|s| s.get("properties")).and_then(|p| p.get(key));
        (default.is_some() || schema.is_some()).then_some(Known { default, schema, root: self.root })
    }
}

/// Every key path of `expr` the chart does not know, descending while the chart lists the keys
/// allowed at that path.
fn unknown_keys(chart: &str, expr: &Expression, known: Known<'_>, at: &str, unknown: &mut Vec<String>) {
    let Expression::Object(object) = expr else { return };
    if PASSTHROUGH.contains(&(chart, at)) || !known.closed() {
        return;
    }
    for (key, value) in object {
        let key = key_name(key);
        let path = if at.is_empty() { key.clone() } else { format!("{at}.{key}") };
        match known.child(&key) {
            Some(inner) => unknown_keys(chart, value, inner, &path, unknown),
            None => unknown.push(path),
        }
    }
}

/// The chart's defaults and schema, parsed.
#[track_caller]
fn parse_fixture(values: &str, schema: Option<&str>) -> (serde_yaml::Value, Option<serde_json::Value>) {
    let defaults = serde_yaml::from_str(values).expect("fixture is YAML");
    let schema = schema.map(|s| serde_json::from_str(s).expect("schema fixture is JSON"));
    (defaults, schema)
}

fn attr<'a>(block: &'a Block, name: &str) -> Option<&'a Expression> {
    block.body().attributes().find(|a| a.key() == name).map(|a| a.expr())
}

/// The object inside `values = [yamlencode({...})]`.
#[track_caller]
fn values_object(release: &Block) -> &Expression {
    let Some(Expression::Array(items)) = attr(release, "values") else { panic!("values is a list") };
    let [Expression::FuncCall(call)] = items.as_slice() else { panic!("values is [yamlencode(...)]") };
    assert_eq!(call.name.to_string(), "yamlencode");
    &call.args[0]
}

/// The default of `variable "<name>"` in a module's variables.tf.
fn variable_default(variables: &Body, name: &str) -> Option<String> {
    let block = variables.blocks().find(|b| b.identifier() == "variable" && b.labels()[0].as_str() == name)?;
    match attr(block, "default")? {
        Expression::String(s) => Some(s.clone()),
        _ => None,
    }
}

#[test]
fn every_value_the_generator_sets_exists_in_the_pinned_charts_values_yaml() {
    let mut checked = BTreeSet::new();
    for (name, path) in common::example_specs() {
        let generated = common::generate_file(&path);
        for (file, bytes) in generated.files.iter() {
            let Some(module) =
                file.as_str().strip_prefix("terraform/modules/").and_then(|p| p.strip_suffix("/main.tf"))
            else {
                continue;
            };
            let main: Body = hcl::from_str(std::str::from_utf8(bytes).expect("UTF-8")).expect("main.tf parses");
            let variables: Body = hcl::from_str(
                generated.files.get_str(&format!("terraform/modules/{module}/variables.tf")).expect("variables.tf"),
            )
            .expect("variables.tf parses");
            for release in
                main.blocks().filter(|b| b.identifier() == "resource" && b.labels()[0].as_str() == "helm_release")
            {
                // Local charts (`${path.module}/charts/...`) are generated with the stack and tested with it.
                let Some(Expression::String(chart)) = attr(release, "chart") else { continue };
                let Some((_, version, values, schema)) = FIXTURES.iter().find(|(c, ..)| c == chart) else { continue };
                let pinned = match attr(release, "version") {
                    Some(Expression::String(v)) => v.clone(),
                    _ => variable_default(&variables, "chart_version").expect("chart_version default"),
                };
                assert_eq!(&pinned, version, "{name}: {chart} is pinned to the vendored values.yaml's version");
                let (defaults, schema) = parse_fixture(values, *schema);
                let known = Known { default: Some(&defaults), schema: schema.as_ref(), root: schema.as_ref() };
                let mut unknown = Vec::new();
                unknown_keys(chart, values_object(release), known, "", &mut unknown);
                assert!(unknown.is_empty(), "{name}: {chart} {version} has no value {unknown:?}");
                checked.insert(chart.clone());
            }
        }
    }
    let expected: BTreeSet<String> = FIXTURES.iter().map(|(c, ..)| (*c).to_owned()).collect();
    assert_eq!(checked, expected, "every vendored chart is installed by some example");
}

/// The keys of the HCL object `v = { … }` that `known` does not declare for `chart`.
#[track_caller]
fn unknown_in(chart: &str, known: Known<'_>, hcl_values: &str) -> Vec<String> {
    let body: Body = hcl::from_str(hcl_values).expect("parses");
    let values = body.attributes().next().expect("v").expr().clone();
    let mut unknown = Vec::new();
    unknown_keys(chart, &values, known, "", &mut unknown);
    unknown
}

#[test]
fn a_renamed_key_is_caught() {
    let (chart, _, values_yaml, _) = FIXTURES[0];
    let (defaults, _) = parse_fixture(values_yaml, None);
    let known = Known { default: Some(&defaults), schema: None, root: None };
    let unknown = unknown_in(
        chart,
        known,
        "v = { providers = { kubernetesIngressNginx = { enabled = true } }, service = { annotations = { a = 1 }, spec = { b = 2 }, specs = {} } }",
    );
    assert_eq!(
        unknown,
        ["providers.kubernetesIngressNginx", "service.specs"],
        "misspelt keys found, free-form annotations and the Service spec passthrough not"
    );
}

#[test]
fn keys_only_the_schema_declares_count_and_others_do_not() {
    let (chart, _, values_yaml, schema) = FIXTURES[1];
    let (defaults, schema) = parse_fixture(values_yaml, schema);
    let known = Known { default: Some(&defaults), schema: schema.as_ref(), root: schema.as_ref() };
    let unknown = unknown_in(
        chart,
        known,
        "v = { serviceAccount = { name = \"x\", labels = { a = \"b\" }, label = {} }, crds = { enable = true } }",
    );
    assert_eq!(unknown, ["serviceAccount.label", "crds.enable"]);
}

#[test]
fn a_misspelt_envoy_gateway_key_is_caught_below_its_free_form_config() {
    let (chart, _, values_yaml, _) = FIXTURES[2];
    assert_eq!(chart, "gateway-helm");
    let (defaults, _) = parse_fixture(values_yaml, None);
    let known = Known { default: Some(&defaults), schema: None, root: None };
    let unknown = unknown_in(
        chart,
        known,
        "v = { crds = { enable = true }, config = { envoyGateway = { gateway = { controllerNam = \"x\" } } } }",
    );
    assert_eq!(unknown, ["crds.enable", "config.envoyGateway.gateway.controllerNam"]);
}
