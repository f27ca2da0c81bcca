//! TLS for the app host: the `ClusterIssuer` chart Terraform installs after cert-manager (helm lint
//! --strict, rendered with the values Terraform passes, validated against the pinned cert-manager
//! CRD), and the app chart's Ingress asking that issuer for the host's certificate.

#[path = "support/chart.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use stackgen_generator::generate;
use stackgen_modules::StackSpec;
use stackgen_modules::cert_manager::{ISSUER_CHART, Tls, TlsSettings};
use support::{documents, driver, examples, python, repo_root, write_generated_folder};

fn crd(name: &str) -> PathBuf {
    repo_root().join("generator/tests/fixtures/crds").join(name)
}

/// Writes the ClusterIssuer chart of `spec` under `dir` and returns its folder.
#[track_caller]
fn write_issuer_chart(spec: &StackSpec, dir: &Path) -> PathBuf {
    let root = dir.join("cluster-issuer");
    let count = write_generated_folder(spec, &format!("terraform/modules/cert_manager/{ISSUER_CHART}/"), &root);
    assert_eq!(count, 3, "Chart.yaml, values.yaml and the template");
    root
}

/// The values Terraform's `helm_release.cluster_issuer` passes, for `tls`.
fn terraform_values(spec: &StackSpec, tls: &TlsSettings) -> Value {
    json!({
        "name": tls.issuer.cluster_issuer_name(),
        "server": tls.issuer.server(),
        "email": tls.acme_email,
        "azureDNS": {
            "subscriptionID": "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
            "resourceGroupName": spec.stack.resource_group,
            "hostedZoneName": spec.dns.hosted_zone_name,
            "clientID": "9a3e1e0c-1111-4c2b-8b8a-5d0b1e2f3a4b",
        },
    })
}

fn tls_examples() -> Vec<(String, StackSpec, TlsSettings)> {
    let all: Vec<_> = examples()
        .into_iter()
        .filter_map(|(name, spec)| spec.tls.settings().cloned().map(|tls| (name, spec, tls)))
        .collect();
    assert!(all.len() >= 2, "examples with TLS");
    all
}

#[test]
fn stacks_without_tls_get_no_cert_manager_at_all() {
    for (name, spec) in examples().into_iter().filter(|(_, s)| s.tls == Tls::Disabled) {
        let generated = generate(&spec).expect("generates");
        assert!(
            !generated.files.iter().any(|(p, _)| p.as_str().contains("cert_manager")),
            "{name}: no cert_manager files"
        );
        let values = generated.files.get_str(&format!("charts/{}/values.yaml", spec.app.name)).expect("values");
        assert!(!values.contains("cert-manager.io"), "{name}: no issuer annotation");
    }
}

#[test]
fn the_cluster_issuer_chart_lints_strict_renders_and_matches_the_pinned_crd() {
    let Some(python) = python("the ClusterIssuer chart") else { return };
    let dir = tempfile::Builder::new().prefix("stackgen-issuer-").tempdir().expect("tempdir");
    let mut manifests = Vec::new();
    for (name, spec, tls) in tls_examples() {
        let chart = write_issuer_chart(&spec, &dir.path().join(&name));
        let values = terraform_values(&spec, &tls);
        let results = driver(
            &python,
            &[
                json!({"op": "lint", "chart": chart}),
                json!({"op": "render", "chart": chart, "values": values, "name": "cluster-issuer", "namespace": "cert-manager"}),
            ],
        );
        let problems: Vec<&Value> = results[0]["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .filter(|m| m["severity"].as_i64() >= Some(2))
            .collect();
        assert!(problems.is_empty(), "{name}: helm lint --strict: {problems:#?}");
        let docs = documents(&results[1]["manifests"]);
        assert_eq!(docs.len(), 1, "{name}: one ClusterIssuer");
        let issuer = &docs[0].1;
        assert_eq!(issuer["kind"], "ClusterIssuer");
        assert_eq!(issuer["metadata"]["name"], tls.issuer.cluster_issuer_name(), "{name}");
        let acme = &issuer["spec"]["acme"];
        assert_eq!(acme["server"], tls.issuer.server(), "{name}");
        assert_eq!(acme["email"], json!(tls.acme_email), "{name}");
        let solver = &acme["solvers"][0];
        assert_eq!(solver["selector"]["dnsZones"], json!([spec.dns.hosted_zone_name]), "{name}: only the stack's zone");
        assert_eq!(solver["dns01"]["azureDNS"]["hostedZoneName"], spec.dns.hosted_zone_name.as_str(), "{name}");
        assert_eq!(solver["dns01"]["azureDNS"]["resourceGroupName"], spec.stack.resource_group.as_str(), "{name}");
        assert!(solver.get("http01").is_none(), "{name}: DNS-01 only, no dependence on the ingress");
        let path = dir.path().join(format!("{name}.clusterissuer.yaml"));
        std::fs::write(&path, serde_yaml::to_string(issuer).expect("YAML")).expect("write");
        manifests.push(path);
    }
    // The same check must refuse a misspelt field, or it proves nothing.
    let mut typo: Value = serde_yaml::from_str(&std::fs::read_to_string(&manifests[0]).expect("read")).expect("YAML");
    typo["spec"]["acme"]["solvers"][0]["dns01"]["azureDNS"]["hostedZone"] = json!("x");
    let typo_path = dir.path().join("typo.yaml");
    std::fs::write(&typo_path, serde_yaml::to_string(&typo).expect("YAML")).expect("write");

    let schema = crd("cert-manager-v1.21.1-clusterissuer-v1.schema.json");
    let validate = |paths: &[PathBuf]| {
        let output = Command::new(&python)
            .arg(repo_root().join("generator/tests/support/pipeline_validate_crd.py"))
            .arg(&schema)
            .args(paths)
            .output()
            .expect("validator runs");
        (output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let (ok, report) = validate(&manifests);
    assert!(ok, "{report}");
    let (ok, report) = validate(&[typo_path]);
    assert!(!ok && report.contains("hostedZone"), "the validator refuses unknown fields: {report}");
}

#[test]
fn the_app_ingress_asks_the_cluster_issuer_for_its_hosts_certificate_and_redirects() {
    let Some(python) = python("the app chart's TLS") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    // With the gateway backend the Gateway holds the certificate (generator/tests/gateway.rs).
    for (name, spec, tls) in tls_examples().into_iter().filter(|(_, s, _)| !s.ingress.backend.is_gateway_api()) {
        let chart = support::write_chart(&spec, &dir.path().join(&name));
        let result = driver(
            &python,
            &[json!({"op": "render", "chart": chart, "name": "my-app", "namespace": spec.namespace()})],
        )
        .remove(0);
        let docs = documents(&result["manifests"]);
        let ingress = docs.iter().map(|(_, d)| d).find(|d| d["kind"] == "Ingress").expect("an Ingress");
        let annotations = &ingress["metadata"]["annotations"];
        assert_eq!(annotations["cert-manager.io/cluster-issuer"], tls.issuer.cluster_issuer_name(), "{name}");
        assert_eq!(annotations["nginx.ingress.kubernetes.io/ssl-redirect"], "true", "{name}");
        assert_eq!(
            ingress["spec"]["tls"],
            json!([{"secretName": format!("{}-tls", spec.app.name), "hosts": [spec.app.host]}]),
            "{name}: the certificate covers exactly the app host"
        );
        let notes = result["manifests"]
            .as_object()
            .and_then(|m| m.iter().find(|(k, _)| k.ends_with("NOTES.txt")))
            .and_then(|(_, v)| v.as_str())
            .unwrap_or_default();
        assert!(notes.contains(&format!("https://{}", spec.app.host)), "{name}: NOTES say https:\n{notes}");
    }
}
