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

/// Every variable with a `validation` block in a child module is named in an `expect_failures` of
/// that module's validation runs (the custom stack's own module included only if it has rules).
#[track_caller]
fn assert_every_validation_is_exercised(name: &str, generated: &stackgen::generator::Generated) {
    let text = |path: &str| String::from_utf8_lossy(generated.files.get(path).expect("file")).into_owned();
    let Some(tests) = generated.files.get(stackgen::generator::terraform_tests::PATH) else { return };
    let tests = String::from_utf8_lossy(tests).into_owned();
    let runs: Vec<&str> = tests.split("\nrun \"").skip(1).collect();
    for path in generated.files.paths().filter(|p| p.starts_with("terraform/modules/") && p.ends_with("/variables.tf"))
    {
        let module = path.trim_start_matches("terraform/modules/").trim_end_matches("/variables.tf");
        for block in text(path).split("\nvariable \"").skip(1) {
            let variable = block.split('"').next().unwrap_or_default();
            if !block.contains("validation {") {
                continue;
            }
            let expected = format!("var.{variable},");
            let covered =
                runs.iter().any(|run| run.starts_with(&format!("{module}_validations")) && run.contains(&expected));
            assert!(covered, "{name}: no expect_failures run for {module}'s var.{variable}");
        }
    }
}

#[test]
fn every_generated_stack_passes_its_own_terraform_test() {
    let Some(tools) = tfvalidate::tools_or_skip("terraform test of the generated stacks") else { return };
    let mut stacks: Vec<(String, stackgen::generator::Generated)> =
        common::example_specs().into_iter().map(|(name, path)| (name, common::generate_file(&path))).collect();
    stacks.push(("custom_stack".to_owned(), custom_stack::custom_stack().expect("custom stack generates")));
    for (name, generated) in stacks {
        assert!(generated.files.get(stackgen::generator::terraform_tests::PATH).is_some(), "{name} ships no tests");
        assert_every_validation_is_exercised(&name, &generated);
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
    // push-mode has every tested module: registry, push and deploy identities, DNS, the Entra ID
    // cluster and the ingress controller.
    let generated = common::generate_file(&common::repo_root().join("examples/push-mode.yaml"));
    let dir = tempfile::tempdir().expect("tempdir");
    common::write_tree(&generated, dir.path());
    let root = dir.path().join("terraform");
    let mutate = |file: &str, from: &str, to: &str| {
        let path = root.join(file);
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains(from), "{file} lacks {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
    };
    let other = "\"11111111-1111-4111-8111-111111111111\"";
    // Each mutation breaks one asserted wiring; each must surface as its own failure.
    let mutations: [(&str, &str, &str, &str); 13] = [
        (
            "modules/acr/main.tf",
            "principal_id                     = var.kubelet_object_id",
            "principal_id                     = OTHER",
            "AcrPull must be held by the kubelet identity.",
        ),
        (
            "modules/github_oidc/main.tf",
            "scope                = var.registry_id",
            "scope                = \"/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590\"",
            "AcrPush must be scoped to exactly the stack's registry.",
        ),
        (
            "modules/github_oidc/main.tf",
            "subject        = var.subject",
            "subject        = \"repo:contoso/shop:ref:refs/heads/*\"",
            "The federated credential must trust exactly the spec's branch or environment.",
        ),
        (
            "modules/dns/main.tf",
            "target_resource_id  = var.ingress_public_ip_id",
            "target_resource_id  = null",
            "The app's record must alias the ingress IP.",
        ),
        (
            "modules/aks/main.tf",
            "principal_id         = data.azurerm_client_config.current.object_id",
            "principal_id         = OTHER",
            "Cluster admin must go to whoever runs Terraform, the principal the providers log in as.",
        ),
        (
            "modules/aks/main.tf",
            "role_assignment_id = azurerm_role_assignment.deployer_cluster_admin.id",
            "role_assignment_id = azurerm_kubernetes_cluster.this.id",
            "The propagation wait must follow the cluster-admin assignment.",
        ),
        (
            "modules/aks/outputs.tf",
            "kube_config[0].host\n  sensitive   = true",
            "kube_config[0].host",
            "The host output must be sensitive.",
        ),
        (
            "modules/ingress/main.tf",
            "scope                = azurerm_resource_group.ingress_ip.id",
            "scope                = azurerm_public_ip.ingress.id",
            "Network Contributor must be scoped to the IP's resource group, where the cloud provider lists public IPs.",
        ),
        (
            "modules/ingress/main.tf",
            "\"service.beta.kubernetes.io/azure-load-balancer-resource-group\"            = azurerm_resource_group.ingress_ip.name",
            "\"service.beta.kubernetes.io/azure-load-balancer-resource-group\"            = var.resource_group_name",
            "The controller's Service must name the IP's resource group (azure-load-balancer-resource-group).",
        ),
        (
            "modules/kubernetes_access/main.tf",
            "scope                = \"${var.cluster_id}/namespaces/${kubernetes_namespace_v1.this.metadata[0].name}\"",
            "scope                = var.cluster_id",
            "The deploy identity's role must be scoped to its one namespace.",
        ),
        (
            "modules/cert_manager/main.tf",
            "scope                = var.dns_zone_id",
            "scope                = \"/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590\"",
            "DNS Zone Contributor must be scoped to exactly the stack's zone.",
        ),
        (
            "modules/cert_manager/main.tf",
            "subject             = \"system:serviceaccount:${var.namespace}:${var.service_account_name}\"",
            "subject             = \"system:serviceaccount:${var.namespace}:default\"",
            "The federated credential must trust only cert-manager's service account.",
        ),
        // A validation made vacuous: its expect_failures run misses the failure. Only one: Terraform
        // skips the runs after a run that errors.
        (
            "modules/acr/variables.tf",
            "condition     = contains([\"Basic\", \"Standard\", \"Premium\"], var.sku)",
            "condition     = var.sku == var.sku",
            "var.sku, was expected to report an error",
        ),
    ];
    for (file, from, to, _) in &mutations {
        mutate(file, from, &to.replace("OTHER", other));
    }
    let report = run(&tools, "push-mode (mutated)", &root);
    assert!(!report.passed, "terraform test passed on broken wiring:\n{report}");
    // Terraform wraps long messages; compare with whitespace collapsed.
    let output = report.output.split_whitespace().collect::<Vec<_>>().join(" ");
    for (file, _, _, message) in mutations {
        assert!(output.contains(message), "{file}: no failure {message:?}:\n{report}");
    }

    // The Gateway API backend: its proxies' Service carries the static-IP annotations.
    let generated = common::generate_file(&common::repo_root().join("examples/gateway.yaml"));
    let dir = tempfile::tempdir().expect("tempdir");
    common::write_tree(&generated, dir.path());
    let root = dir.path().join("terraform");
    let path = root.join("modules/gateway/main.tf");
    let text = std::fs::read_to_string(&path).expect("read");
    let from = "= var.ip_resource_group_name";
    assert!(text.contains(from), "the gateway module lacks {from:?}");
    std::fs::write(&path, text.replacen(from, "= \"rg-stack\"", 1)).expect("write");
    let report = run(&tools, "gateway (mutated)", &root);
    let output = report.output.split_whitespace().collect::<Vec<_>>().join(" ");
    let message = "The proxies' Service must name the IP's resource group (azure-load-balancer-resource-group).";
    assert!(!report.passed && output.contains(message), "no failure {message:?}:\n{report}");
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
            tools.assert_valid(&root, &label);
            let report = run(&tools, &label, &root);
            assert!(report.passed && report.output.contains(", 0 failed"), "{label}:\n{report}");
            covered.push((backend, mode));
        }
    }
    assert_eq!(covered.len(), 6, "three backends × two modes: {covered:?}");
}
