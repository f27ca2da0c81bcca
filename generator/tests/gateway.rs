//! The `gateway` backend: the Gateway chart Terraform installs after Envoy Gateway and cert-manager
//! (helm lint --strict, rendered with the values Terraform passes, every object validated against
//! the pinned Gateway API, Envoy Gateway and cert-manager CRDs), and the app chart's HTTPRoutes
//! attaching to the listeners that Gateway really has.

#[path = "support/chart.rs"]
mod support;

use std::path::{Path, PathBuf};

use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use stackgen_generator::generate;
use stackgen_modules::StackSpec;
use stackgen_modules::cert_manager::Tls;
use stackgen_modules::gateway::GATEWAY_CHART;
use support::{crd_problems, documents, driver, examples, python, write_generated_folder};

/// The gateway example, and the same stack with `tls: false`.
fn gateway_specs() -> Vec<(String, StackSpec)> {
    let (name, spec) = examples()
        .into_iter()
        .find(|(_, s)| s.ingress.backend.is_gateway_api())
        .expect("an example with ingress.backend: gateway");
    let mut plain = spec.clone();
    plain.tls = Tls::Disabled;
    vec![(name.clone(), spec), (format!("{name}-without-tls"), plain)]
}

/// Writes the Gateway chart of `spec` under `dir`.
#[track_caller]
fn write_gateway_chart(spec: &StackSpec, dir: &Path) -> PathBuf {
    let root = dir.join("gateway");
    let count = write_generated_folder(spec, &format!("terraform/modules/gateway/{GATEWAY_CHART}/"), &root);
    assert_eq!(count, 7, "Chart.yaml, values.yaml, helpers and four templates");
    root
}

/// The values `helm_release.gateway` passes, read from the generated Terraform: the root's inputs
/// to `module "gateway"` with the other modules' outputs stood in for.
fn terraform_values(spec: &StackSpec) -> Value {
    let mut values = json!({
        "gatewayClass": {"name": spec.ingress.class_name(), "controllerName": stackgen_modules::envoy_gateway::CONTROLLER_NAME},
        "gateway": {"name": stackgen_modules::gateway::GATEWAY_NAME},
        "envoyProxy": {
            "replicas": spec.ingress.replicas,
            "serviceAnnotations": {
                "service.beta.kubernetes.io/azure-load-balancer-resource-group": format!("rg-{}-ingress", spec.stack.name),
                "service.beta.kubernetes.io/azure-pip-name": format!("{}-ingress", spec.stack.name),
                "service.beta.kubernetes.io/azure-load-balancer-health-probe-request-path": "/healthz",
            },
        },
        "host": spec.app.host,
        "routeNamespace": spec.namespace(),
    });
    if let Some(tls) = spec.tls.settings() {
        values["tls"] = json!({
            "enabled": true, "secretName": spec.tls_secret_name(), "clusterIssuer": tls.issuer.cluster_issuer_name(),
        });
    }
    values
}

/// The keys of `helm_release.gateway`'s values in the generated main.tf, to keep
/// [`terraform_values`] honest.
fn generated_value_keys(spec: &StackSpec) -> Vec<String> {
    let generated = generate(spec).expect("generates");
    let main: hcl::Body =
        hcl::from_str(generated.files.get_str("terraform/modules/gateway/main.tf").expect("main.tf")).expect("parses");
    let release = main.blocks().find(|b| b.labels().iter().any(|l| l.as_str() == "gateway")).expect("release");
    let values = release.body().attributes().find(|a| a.key() == "values").expect("values").expr();
    let hcl::Expression::Array(items) = values else { panic!("values list") };
    let hcl::Expression::FuncCall(call) = &items[0] else { panic!("yamlencode") };
    let hcl::Expression::Object(object) = &call.args[0] else { panic!("object") };
    object.keys().map(|k| k.to_string().trim_matches('"').to_owned()).collect()
}

fn render(python: &Path, chart: &Path, values: &Value, namespace: &str, name: &str) -> Vec<Value> {
    let result = driver(
        python,
        &[json!({"op": "render", "chart": chart, "values": values, "name": name, "namespace": namespace})],
    )
    .remove(0);
    assert!(result.get("error").is_none(), "render failed: {}", result["error"]);
    documents(&result["manifests"]).into_iter().map(|(_, d)| d).collect()
}

fn kind<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

#[test]
fn the_gateway_chart_lints_strict_renders_what_terraform_asks_and_matches_the_pinned_crds() {
    let Some(python) = python("the Gateway chart") else { return };
    let dir = tempfile::Builder::new().prefix("stackgen-gateway-").tempdir().expect("tempdir");
    let mut all = Vec::new();
    for (name, spec) in gateway_specs() {
        let chart = write_gateway_chart(&spec, &dir.path().join(&name));
        let values = terraform_values(&spec);
        let mut keys: Vec<String> = values.as_object().expect("object").keys().cloned().collect();
        let mut generated = generated_value_keys(&spec);
        keys.sort();
        generated.sort();
        assert_eq!(keys, generated, "{name}: the test passes what Terraform passes");

        let lint = driver(
            &python,
            &[json!({"op": "lint", "chart": chart}), json!({"op": "lint", "chart": chart, "values": values})],
        );
        for result in lint {
            let problems: Vec<&Value> = result["messages"]
                .as_array()
                .expect("messages")
                .iter()
                .filter(|m| m["severity"].as_i64() >= Some(2))
                .collect();
            assert!(problems.is_empty(), "{name}: helm lint --strict: {problems:#?}");
        }
        let namespace = spec.ingress.namespace();
        let docs = render(&python, &chart, &values, namespace, "gateway");

        let class = kind(&docs, "GatewayClass");
        assert_eq!(class.len(), 1, "{name}");
        assert_eq!(class[0]["spec"]["controllerName"], stackgen_modules::envoy_gateway::CONTROLLER_NAME);
        let proxy = kind(&docs, "EnvoyProxy");
        assert_eq!(proxy.len(), 1, "{name}");
        assert_eq!(
            class[0]["spec"]["parametersRef"],
            json!({"group": "gateway.envoyproxy.io", "kind": "EnvoyProxy", "name": proxy[0]["metadata"]["name"], "namespace": namespace}),
            "{name}: the class is configured by the EnvoyProxy, in Envoy Gateway's namespace"
        );
        let service = &proxy[0]["spec"]["provider"]["kubernetes"]["envoyService"];
        assert_eq!(service["annotations"], values["envoyProxy"]["serviceAnnotations"], "{name}: the static IP");
        assert_eq!(service["externalTrafficPolicy"], "Local", "{name}");
        assert_eq!(proxy[0]["spec"]["provider"]["kubernetes"]["envoyDeployment"]["replicas"], spec.ingress.replicas);

        let gateway = kind(&docs, "Gateway");
        assert_eq!(gateway.len(), 1, "{name}");
        let gateway = gateway[0];
        assert_eq!(gateway["spec"]["gatewayClassName"], class[0]["metadata"]["name"], "{name}");
        let listeners = gateway["spec"]["listeners"].as_array().expect("listeners");
        let tls = spec.tls.settings().is_some();
        assert_eq!(listeners.len(), if tls { 2 } else { 1 }, "{name}");
        for listener in listeners {
            assert_eq!(listener["hostname"], spec.app.host.as_str(), "{name}");
            assert_eq!(
                listener["allowedRoutes"]["namespaces"],
                json!({"from": "Selector", "selector": {"matchLabels": {"kubernetes.io/metadata.name": spec.namespace()}}}),
                "{name}: only the app's namespace attaches routes"
            );
        }
        let certificates = kind(&docs, "Certificate");
        if tls {
            let https = listeners.iter().find(|l| l["name"] == "https").expect("https listener");
            assert_eq!((https["protocol"].as_str(), https["port"].as_i64()), (Some("HTTPS"), Some(443)));
            assert_eq!(certificates.len(), 1, "{name}");
            let certificate = certificates[0];
            assert_eq!(
                https["tls"]["certificateRefs"],
                json!([{"group": "", "kind": "Secret", "name": certificate["spec"]["secretName"]}]),
                "{name}: the listener serves the Certificate's Secret"
            );
            assert_eq!(
                certificate["metadata"]["namespace"], namespace,
                "{name}: beside the Gateway, no cross-namespace ref"
            );
            assert_eq!(certificate["spec"]["dnsNames"], json!([spec.app.host]), "{name}");
            assert_eq!(
                certificate["spec"]["issuerRef"],
                json!({"group": "cert-manager.io", "kind": "ClusterIssuer", "name": values["tls"]["clusterIssuer"]}),
                "{name}"
            );
        } else {
            assert!(certificates.is_empty(), "{name}: no certificate without TLS");
        }
        all.extend(docs);
    }
    let refs: Vec<&Value> = all.iter().collect();
    let problems = crd_problems(&python, &refs);
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // The same checks must refuse a misspelt field in each kind, or they prove nothing.
    for (kind_name, pointer, field) in [
        ("Gateway", "/spec/listeners/0", "hostnames"),
        ("GatewayClass", "/spec", "controller"),
        ("EnvoyProxy", "/spec/provider/kubernetes/envoyService", "annotation"),
        ("Certificate", "/spec", "dnsName"),
    ] {
        let mut typo = kind(&all, kind_name)[0].clone();
        typo.pointer_mut(pointer).and_then(Value::as_object_mut).expect(pointer).insert(field.to_owned(), json!("x"));
        let problems = crd_problems(&python, &[&typo]);
        assert!(problems.iter().any(|p| p.contains(field)), "{kind_name}.{field} is refused: {problems:?}");
    }
}

#[test]
fn the_app_routes_attach_to_the_gateways_listeners_and_redirect_to_https() {
    let Some(python) = python("the app chart's HTTPRoutes") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, spec) in gateway_specs() {
        let gateway_chart = write_gateway_chart(&spec, &dir.path().join(&name));
        let gateway_docs =
            render(&python, &gateway_chart, &terraform_values(&spec), spec.ingress.namespace(), "gateway");
        let gateway = kind(&gateway_docs, "Gateway")[0];
        let chart = support::write_chart(&spec, &dir.path().join(&name));
        let docs = render(&python, &chart, &json!({}), spec.namespace(), "my-app");
        assert!(kind(&docs, "Ingress").is_empty(), "{name}: an HTTPRoute instead of an Ingress");
        let routes = kind(&docs, "HTTPRoute");
        let tls = spec.tls.settings();
        assert_eq!(routes.len(), if tls.is_some() { 2 } else { 1 }, "{name}");
        for route in &routes {
            let parent = &route["spec"]["parentRefs"][0];
            assert_eq!(parent["name"], gateway["metadata"]["name"], "{name}");
            assert_eq!(parent["namespace"], gateway["metadata"]["namespace"], "{name}");
            let section = parent["sectionName"].as_str().expect("sectionName");
            let listener = gateway["spec"]["listeners"]
                .as_array()
                .expect("listeners")
                .iter()
                .find(|l| l["name"] == section)
                .unwrap_or_else(|| panic!("{name}: no listener {section} on the Gateway"));
            assert_eq!(route["spec"]["hostnames"], json!([listener["hostname"]]), "{name}");
            assert_eq!(
                listener["allowedRoutes"]["namespaces"]["selector"]["matchLabels"]["kubernetes.io/metadata.name"],
                spec.namespace(),
                "{name}: the listener admits the route's namespace"
            );
        }
        let app = routes.iter().find(|r| r["spec"]["rules"][0].get("backendRefs").is_some()).expect("the app's route");
        let rule = &app["spec"]["rules"][0];
        assert_eq!(rule["backendRefs"], json!([{"name": format!("my-app-{}", spec.app.name), "port": spec.app.port}]));
        let filters = rule["filters"].as_array().cloned().unwrap_or_default();
        match tls {
            Some(tls) => {
                assert_eq!(app["spec"]["parentRefs"][0]["sectionName"], "https", "{name}");
                let hsts = filters.iter().find(|f| f["type"] == "ResponseHeaderModifier").expect("HSTS");
                assert_eq!(
                    hsts["responseHeaderModifier"]["set"],
                    json!([{"name": "Strict-Transport-Security", "value": tls.hsts.header()}]),
                    "{name}"
                );
                let redirect =
                    routes.iter().find(|r| r["spec"]["parentRefs"][0]["sectionName"] == "http").expect("redirect");
                assert_eq!(
                    redirect["spec"]["rules"],
                    json!([{"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}]}]),
                    "{name}: every plain-HTTP request for the host goes to HTTPS"
                );
            }
            None => {
                assert_eq!(app["spec"]["parentRefs"][0]["sectionName"], "http", "{name}");
                assert!(filters.iter().all(|f| f["type"] != "ResponseHeaderModifier"), "{name}: no HSTS over http");
            }
        }
        let problems = crd_problems(&python, &routes);
        assert!(problems.is_empty(), "{name}: {}", problems.join("\n"));
        let mut typo = (*routes[0]).clone();
        typo["spec"]["rules"][0]["matchs"] = json!([]);
        assert!(crd_problems(&python, &[&typo]).iter().any(|p| p.contains("matchs")), "HTTPRoute typos are refused");
    }
}
