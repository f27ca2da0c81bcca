//! `terraform test` on every example's generated root and on the custom stack, offline: the
//! generated `terraform/tests/*.tftest.hcl` run with mock providers against the stand-in
//! providers' schemas (tools/tfvalidate). Prints the wall time of each run (a benchmark figure,
//! never asserted). A mutation check breaks each asserted wiring in a copy of the generated tree
//! and requires `terraform test` to fail with that wiring's message.

mod common;

#[path = "../examples/custom_stack.rs"]
#[allow(dead_code)]
mod custom_stack;

use std::path::Path;

fn run(tools: &tfvalidate::Tools, name: &str, root: &Path) -> tfvalidate::TestReport {
    let report = tools.test(root).unwrap_or_else(|e| panic!("terraform test of {name} could not run: {e:#}"));
    println!("terraform test wall time: {name}: {:.1} s", report.seconds);
    report
}

#[test]
fn every_generated_stack_passes_its_own_terraform_test() {
    let Some(tools) = tfvalidate::tools_or_skip("terraform test of the generated stacks") else { return };
    let mut stacks: Vec<(String, stackgen::generator::Generated)> =
        common::example_specs().into_iter().map(|(name, path)| (name, common::generate_file(&path))).collect();
    stacks.push(("custom_stack".to_owned(), custom_stack::custom_stack().expect("custom stack generates")));
    for (name, generated) in stacks {
        assert!(generated.files.get(stackgen::generator::terraform_tests::PATH).is_some(), "{name} ships no tests");
        let dir = tempfile::tempdir().expect("tempdir");
        common::write_tree(&generated, dir.path());
        let report = run(&tools, &name, &dir.path().join("terraform"));
        assert!(report.passed, "terraform test failed for {name}:\n{report}");
        assert!(report.output.contains(", 0 failed"), "{name}:\n{report}");
    }
}

#[test]
fn the_generated_asserts_fail_when_the_wiring_breaks() {
    let Some(tools) = tfvalidate::tools_or_skip("terraform test mutation check") else { return };
    let generated = common::generate_file(&common::repo_root().join("examples/default.yaml"));
    let dir = tempfile::tempdir().expect("tempdir");
    common::write_tree(&generated, dir.path());
    let root = dir.path().join("terraform");
    let mutate = |file: &str, from: &str, to: &str| {
        let path = root.join(file);
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains(from), "{file} lacks {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
    };
    // Each mutation breaks one asserted wiring; each must surface as its own failed assert.
    mutate(
        "modules/acr/main.tf",
        "principal_id                     = var.kubelet_object_id",
        "principal_id                     = \"11111111-1111-4111-8111-111111111111\"",
    );
    mutate(
        "modules/github_oidc/main.tf",
        "scope                = var.registry_id",
        "scope                = \"/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590\"",
    );
    mutate(
        "modules/github_oidc/main.tf",
        "subject        = var.subject",
        "subject        = \"repo:contoso/stackgen-demo:ref:refs/heads/*\"",
    );
    mutate("modules/dns/main.tf", "target_resource_id  = var.ingress_public_ip_id", "target_resource_id  = null");
    mutate(
        "modules/cert_manager/main.tf",
        "scope                = var.dns_zone_id",
        "scope                = \"/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590\"",
    );
    mutate(
        "modules/cert_manager/main.tf",
        "subject             = \"system:serviceaccount:${var.namespace}:${var.service_account_name}\"",
        "subject             = \"system:serviceaccount:${var.namespace}:default\"",
    );
    let report = run(&tools, "default (mutated)", &root);
    assert!(!report.passed, "terraform test passed on broken wiring:\n{report}");
    for message in [
        "AcrPull must be held by the kubelet identity.",
        "AcrPush must be scoped to exactly the stack's registry.",
        "The federated credential must trust exactly the spec's branch or environment.",
        "The app's record must alias the ingress IP.",
        "DNS Zone Contributor must be scoped to exactly the stack's zone.",
        "The federated credential must trust only cert-manager's service account.",
    ] {
        assert!(report.output.contains(message), "no failed assert {message:?}:\n{report}");
    }
}

/// Every backend in every deploy mode: the examples cover some pairs; the others are the nearest
/// example with its mode switched, validated and tested the same way.
#[test]
fn every_backend_in_every_deploy_mode_passes_validate_and_its_own_tests() {
    use stackgen::modules::delivery::DeployMode;
    use stackgen::modules::ingress::IngressBackend;
    let Some(tools) = tfvalidate::tools_or_skip("terraform validate and test per backend and mode") else { return };
    let load = |path: &Path| -> stackgen::modules::StackSpec {
        serde_yaml::from_str(&std::fs::read_to_string(path).expect("read")).expect("an example spec")
    };
    let examples: Vec<_> = common::example_specs()
        .into_iter()
        .filter(|(_, p)| p.extension().is_some_and(|e| e == "yaml"))
        .map(|(name, path)| (name, load(&path)))
        .collect();
    let mut covered: Vec<(IngressBackend, DeployMode)> = Vec::new();
    for pair in examples.iter().map(|(_, s)| (s.ingress.backend, s.delivery.mode)) {
        if !covered.contains(&pair) {
            covered.push(pair);
        }
    }
    for backend in [IngressBackend::Nginx, IngressBackend::Traefik, IngressBackend::Gateway] {
        for mode in [DeployMode::Gitops, DeployMode::Push] {
            if covered.contains(&(backend, mode)) {
                continue;
            }
            let (name, mut spec) = examples
                .iter()
                .find(|(_, s)| s.ingress.backend == backend)
                .cloned()
                .unwrap_or_else(|| panic!("an example with backend {backend:?}"));
            spec.delivery.mode = mode;
            assert!(spec.validate().is_empty(), "{name} in {mode:?}: {:?}", spec.validate());
            let label = format!("{name} ({mode:?})");
            let generated = stackgen::generator::generate(&spec).expect("generates");
            let dir = tempfile::tempdir().expect("tempdir");
            common::write_tree(&generated, dir.path());
            let root = dir.path().join("terraform");
            match tools.validate(&root) {
                Ok(report) if report.is_clean() => {}
                Ok(report) => panic!("terraform rejected {label}:\n{report}"),
                Err(error) => panic!("could not validate {label}: {error:#}"),
            }
            let report = run(&tools, &label, &root);
            assert!(report.passed && report.output.contains(", 0 failed"), "{label}:\n{report}");
            covered.push((backend, mode));
        }
    }
    assert_eq!(covered.len(), 6, "three backends × two modes: {covered:?}");
}
