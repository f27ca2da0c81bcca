//! What the generated Terraform says, read back with an HCL parser: the security posture and the
//! wiring the issue asks for, per example.

mod common;

use hcl::{Block, Body, Expression};
use pretty_assertions::assert_eq;

fn parse(generated: &stackgen::generator::Generated, path: &str) -> Body {
    let text = generated.files.get_str(path).unwrap_or_else(|| panic!("{path} was not generated"));
    hcl::from_str(text).unwrap_or_else(|e| panic!("{path} does not parse: {e}"))
}

#[track_caller]
fn block<'a>(body: &'a Body, kind: &str, labels: &[&str]) -> &'a Block {
    body.blocks()
        .find(|b| b.identifier() == kind && b.labels().iter().map(|l| l.as_str()).eq(labels.iter().copied()))
        .unwrap_or_else(|| panic!("no {kind} {labels:?}"))
}

fn nested<'a>(block: &'a Block, kind: &str) -> Option<&'a Block> {
    block.body().blocks().find(|b| b.identifier() == kind)
}

#[track_caller]
fn attr<'a>(block: &'a Block, name: &str) -> &'a Expression {
    block
        .body()
        .attributes()
        .find(|a| a.key() == name)
        .map(|a| a.expr())
        .unwrap_or_else(|| panic!("no attribute {name}"))
}

fn text(expr: &Expression) -> String {
    hcl::format::to_string(expr).unwrap_or_default()
}

fn example(name: &str) -> stackgen::generator::Generated {
    common::generate_file(&common::repo_root().join("examples").join(name))
}

#[test]
fn aks_is_secure_by_default_and_autoscales() {
    let generated = example("default.yaml");
    let main = parse(&generated, "terraform/modules/aks/main.tf");
    let cluster = block(&main, "resource", &["azurerm_kubernetes_cluster", "this"]);
    for (name, value) in [
        ("local_account_disabled", "true"),
        ("azure_policy_enabled", "true"),
        ("oidc_issuer_enabled", "true"),
        ("workload_identity_enabled", "true"),
        ("role_based_access_control_enabled", "true"),
    ] {
        assert_eq!(text(attr(cluster, name)), value, "{name}");
    }
    let pool = nested(cluster, "default_node_pool").expect("default pool");
    assert_eq!(text(attr(pool, "auto_scaling_enabled")), "true");
    assert_eq!(text(attr(pool, "max_pods")), "var.max_pods");
    assert_eq!(text(attr(pool, "temporary_name_for_rotation")), "\"systemtmp\"");
    let rbac = nested(cluster, "azure_active_directory_role_based_access_control").expect("Entra ID RBAC");
    assert_eq!(text(attr(rbac, "azure_rbac_enabled")), "true");
    let network = nested(cluster, "network_profile").expect("network profile");
    assert_eq!(text(attr(network, "network_plugin")), "\"azure\"");
    assert_eq!(text(attr(network, "network_plugin_mode")), "\"overlay\"");
    let lifecycle = nested(cluster, "lifecycle").expect("autoscaling ignores node_count drift");
    assert_eq!(
        text(attr(lifecycle, "ignore_changes")).split_whitespace().collect::<String>(),
        "[default_node_pool[0].node_count]"
    );

    let admin = block(&main, "resource", &["azurerm_role_assignment", "deployer_cluster_admin"]);
    assert_eq!(text(attr(admin, "role_definition_name")), "\"Azure Kubernetes Service RBAC Cluster Admin\"");
    assert_eq!(text(attr(admin, "principal_id")), "data.azurerm_client_config.current.object_id");
    let outputs = parse(&generated, "terraform/modules/aks/outputs.tf");
    let host = block(&outputs, "output", &["host"]);
    assert_eq!(
        text(attr(host, "depends_on")).split_whitespace().collect::<String>(),
        "[time_sleep.cluster_admin_propagation]",
        "providers wait for the role to propagate, not only to be created"
    );

    let root = parse(&generated, "terraform/main.tf");
    let module = block(&root, "module", &["aks"]);
    assert_eq!(text(attr(module, "min_count")), "1");
    assert_eq!(text(attr(module, "max_count")), "4");
    assert_eq!(text(attr(module, "node_count")), "2");
}

#[test]
fn a_fixed_pool_has_no_autoscaler_settings() {
    let generated = example("push-mode.yaml");
    let main = parse(&generated, "terraform/modules/aks/main.tf");
    let cluster = block(&main, "resource", &["azurerm_kubernetes_cluster", "this"]);
    let pool = nested(cluster, "default_node_pool").expect("default pool");
    assert_eq!(text(attr(pool, "auto_scaling_enabled")), "false");
    assert!(pool.body().attributes().all(|a| a.key() != "min_count" && a.key() != "max_count"));
    assert!(nested(cluster, "lifecycle").is_none(), "no ignore_changes without the autoscaler");
}

#[test]
fn acr_pull_goes_to_the_kubelet_identity_and_push_to_exactly_one_registry() {
    let generated = example("default.yaml");
    let acr = parse(&generated, "terraform/modules/acr/main.tf");
    let registry = block(&acr, "resource", &["azurerm_container_registry", "this"]);
    assert_eq!(text(attr(registry, "admin_enabled")), "false");
    assert_eq!(text(attr(registry, "anonymous_pull_enabled")), "false");
    let pull = block(&acr, "resource", &["azurerm_role_assignment", "kubelet_acr_pull"]);
    assert_eq!(text(attr(pull, "role_definition_name")), "\"AcrPull\"");
    assert_eq!(text(attr(pull, "scope")), "azurerm_container_registry.this.id");

    let root = parse(&generated, "terraform/main.tf");
    assert_eq!(text(attr(block(&root, "module", &["acr"]), "kubelet_object_id")), "module.aks.kubelet_object_id");
    assert_eq!(text(attr(block(&root, "module", &["github_oidc"]), "registry_id")), "module.acr.id");

    let oidc = parse(&generated, "terraform/modules/github_oidc/main.tf");
    let push: Vec<&Block> =
        oidc.blocks().filter(|b| b.labels().first().map(|l| l.as_str()) == Some("azurerm_role_assignment")).collect();
    assert_eq!(push.len(), 1, "exactly one role assignment for the push identity");
    assert_eq!(text(attr(push[0], "role_definition_name")), "\"AcrPush\"");
    assert_eq!(text(attr(push[0], "scope")), "var.registry_id");
    let credential = block(&oidc, "resource", &["azuread_application_federated_identity_credential", "github"]);
    assert_eq!(text(attr(credential, "issuer")), "\"https://token.actions.githubusercontent.com\"");
    assert_eq!(
        text(attr(block(&root, "module", &["github_oidc"]), "subject")),
        "\"repo:contoso/stackgen-demo:ref:refs/heads/main\""
    );
}

#[test]
fn push_mode_adds_a_separate_namespace_scoped_deploy_identity() {
    let gitops = example("default.yaml");
    assert!(
        gitops.files.get("terraform/modules/kubernetes_access/main.tf").is_none(),
        "gitops: CI gets no cluster identity"
    );

    let push = example("push-mode.yaml");
    let root = parse(&push, "terraform/main.tf");
    let access = block(&root, "module", &["kubernetes_access"]);
    assert_eq!(text(attr(access, "subject")), "\"repo:contoso/shop:environment:production\"");
    assert_eq!(text(attr(access, "namespace")), "\"shop\"");
    assert_ne!(
        text(attr(access, "display_name")),
        text(attr(block(&root, "module", &["github_oidc"]), "display_name")),
        "deploy and push identities are separate applications"
    );
    let main = parse(&push, "terraform/modules/kubernetes_access/main.tf");
    let scoped = block(&main, "resource", &["azurerm_role_assignment", "namespace_deploy"]);
    assert!(text(attr(scoped, "scope")).contains("/namespaces/"), "role is scoped to the namespace");
}

#[test]
fn dns_points_the_app_host_at_the_ingress_ip_in_one_apply() {
    let generated = example("default.yaml");
    let root = parse(&generated, "terraform/main.tf");
    let dns = block(&root, "module", &["dns"]);
    assert_eq!(text(attr(dns, "app_record_name")), "\"app\"");
    assert_eq!(text(attr(dns, "ingress_public_ip_id")), "module.ingress.public_ip_id");
    let ingress = parse(&generated, "terraform/modules/ingress/main.tf");
    let release = block(&ingress, "resource", &["helm_release", "ingress_nginx"]);
    let values = text(attr(release, "values"));
    assert!(values.contains("azure-pip-name"), "the controller's Service uses the static IP: {values}");
    assert!(values.contains("allowSnippetAnnotations = false"), "{values}");
    assert!(!values.contains("snippet\" ="), "no snippet annotations: {values}");
}

#[test]
fn local_accounts_mode_exports_the_original_outputs_as_sensitive() {
    let generated = example("local-accounts.toml");
    let outputs = parse(&generated, "terraform/outputs.tf");
    for name in ["aks_cluster_host_endpoint", "aks_client_certificate", "aks_client_key", "aks_cluster_ca_certificate"]
    {
        let output = block(&outputs, "output", &[name]);
        assert_eq!(text(attr(output, "sensitive")), "true", "{name}");
    }
    let main = parse(&generated, "terraform/modules/aks/main.tf");
    let cluster = block(&main, "resource", &["azurerm_kubernetes_cluster", "this"]);
    assert_eq!(text(attr(cluster, "local_account_disabled")), "false");

    let default = example("default.yaml");
    let outputs = parse(&default, "terraform/outputs.tf");
    assert!(
        outputs.blocks().all(|b| b.labels()[0].as_str() != "aks_client_key"),
        "Entra ID mode exports no client key"
    );
    let root = parse(&default, "terraform/main.tf");
    let helm = block(&root, "provider", &["helm"]);
    assert!(text(attr(helm, "kubernetes")).contains("kubelogin"), "helm authenticates through kubelogin");
}

#[test]
fn variables_and_outputs_are_sorted_and_validated() {
    let generated = example("push-mode.yaml");
    for (path, _) in generated.files.iter() {
        let path = path.as_str();
        if !(path.ends_with("variables.tf") || path.ends_with("outputs.tf")) {
            continue;
        }
        let body = parse(&generated, path);
        let names: Vec<String> = body.blocks().map(|b| b.labels()[0].as_str().to_owned()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted, "{path} is not sorted");
    }
    let variables = parse(&generated, "terraform/modules/acr/variables.tf");
    let name = block(&variables, "variable", &["name"]);
    assert!(nested(name, "validation").is_some(), "the registry name rule is mirrored in Terraform");
    let backend = parse(&generated, "terraform/terraform.tf");
    let terraform = block(&backend, "terraform", &[]);
    let backend = terraform.body().blocks().find(|b| b.identifier() == "backend").expect("remote state");
    assert_eq!(text(attr(backend, "storage_account_name")), "\"shoptfstate\"");
}

/// Defect 1: role assignments are used before they take effect. Each assignment that the same
/// apply uses at once has a bounded `time_sleep` keyed to it, and its users wait for the sleep.
#[test]
fn role_assignments_propagate_before_their_users_run() {
    let generated = example("default.yaml");
    let aks = parse(&generated, "terraform/modules/aks/main.tf");
    let wait = block(&aks, "resource", &["time_sleep", "cluster_admin_propagation"]);
    assert_eq!(text(attr(wait, "create_duration")), "\"300s\"", "bounded by the five minutes Azure documents");
    assert!(
        text(attr(wait, "triggers")).contains("azurerm_role_assignment.deployer_cluster_admin.id"),
        "the wait starts after the assignment exists and repeats when it is replaced"
    );
    let outputs = parse(&generated, "terraform/modules/aks/outputs.tf");
    for name in ["host", "cluster_ca_certificate"] {
        let output = block(&outputs, "output", &[name]);
        assert!(text(attr(output, "depends_on")).contains("time_sleep.cluster_admin_propagation"), "{name}");
    }

    let ingress = parse(&generated, "terraform/modules/ingress/main.tf");
    let wait = block(&ingress, "resource", &["time_sleep", "network_contributor_propagation"]);
    assert!(text(attr(wait, "triggers")).contains("azurerm_role_assignment.cluster_network.id"));
    let release = block(&ingress, "resource", &["helm_release", "ingress_nginx"]);
    assert_eq!(
        text(attr(release, "depends_on")).split_whitespace().collect::<String>(),
        "[time_sleep.network_contributor_propagation]"
    );
    let terraform = parse(&generated, "terraform/terraform.tf");
    let required = text(attr(
        block(&terraform, "terraform", &[])
            .body()
            .blocks()
            .find(|b| b.identifier() == "required_providers")
            .expect("providers"),
        "time",
    ));
    assert!(required.contains("hashicorp/time"), "{required}");
}

/// Defect 2: the cloud provider lists the public IPs of the group named by the
/// `azure-load-balancer-resource-group` annotation, so Network Contributor is scoped to a group
/// holding only the ingress IP, and the annotation names that group.
#[test]
fn the_ingress_ip_lives_in_its_own_group_where_the_cluster_may_list_it() {
    let generated = example("default.yaml");
    let ingress = parse(&generated, "terraform/modules/ingress/main.tf");
    block(&ingress, "resource", &["azurerm_resource_group", "ingress_ip"]);
    let ip = block(&ingress, "resource", &["azurerm_public_ip", "ingress"]);
    assert_eq!(text(attr(ip, "resource_group_name")), "azurerm_resource_group.ingress_ip.name");
    let join = block(&ingress, "resource", &["azurerm_role_assignment", "cluster_network"]);
    assert_eq!(text(attr(join, "scope")), "azurerm_resource_group.ingress_ip.id");
    assert_eq!(text(attr(join, "role_definition_name")), "\"Network Contributor\"");
    let values = text(attr(block(&ingress, "resource", &["helm_release", "ingress_nginx"]), "values"));
    assert!(
        values.contains(
            "\"service.beta.kubernetes.io/azure-load-balancer-resource-group\" = azurerm_resource_group.ingress_ip.name"
        ),
        "{values}"
    );
    let root = parse(&generated, "terraform/main.tf");
    assert_eq!(
        text(attr(block(&root, "module", &["ingress"]), "ip_resource_group_name")),
        "\"rg-${local.name}-ingress\""
    );
}

/// Defect 4: an empty `api_server_access_profile {}` diffs on every plan; the block is dynamic
/// and present only when ranges are given.
#[test]
fn the_api_server_access_profile_is_emitted_only_with_ranges() {
    let generated = example("default.yaml");
    let main = parse(&generated, "terraform/modules/aks/main.tf");
    let cluster = block(&main, "resource", &["azurerm_kubernetes_cluster", "this"]);
    assert!(nested(cluster, "api_server_access_profile").is_none(), "no static (possibly empty) block");
    let dynamic = cluster
        .body()
        .blocks()
        .find(|b| b.identifier() == "dynamic" && b.labels()[0].as_str() == "api_server_access_profile")
        .expect("a dynamic access profile");
    assert_eq!(
        text(attr(dynamic, "for_each")),
        "length(var.api_server_authorized_ip_ranges) > 0 ? [var.api_server_authorized_ip_ranges] : []"
    );
}
