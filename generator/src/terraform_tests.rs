//! `terraform/tests/wiring.tftest.hcl`: plan-level tests shipped with every stack. `terraform
//! test` runs them with mock providers (no cloud account, no credentials), in the user's CI and
//! offline alike: each child module is applied on its own (`module { source = … }`) with the
//! inputs the root passes it — references replaced by values in Azure's real formats — and the
//! asserts check the wiring a reviewer cares about. `expect_failures` runs prove every variable
//! validation bites, with the values each rule itself says it rejects ([`Validation::rejected`]).
//!
//! Mocks fill computed attributes only, never nested blocks the configuration does not write, so
//! the cluster run overrides the cluster resource with what Azure fills on create.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use hcl::{Body, Expression, Structure};
use stackgen_modules::module::Validation;
use stackgen_modules::{RenderedModule, Variable};

/// Path of the generated test file.
pub const PATH: &str = "terraform/tests/wiring.tftest.hcl";

const SUBSCRIPTION: &str = "0b1f6471-1bf0-4dda-aec3-cb9272f09590";
const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const KUBELET_OBJECT_ID: &str = "5e1c7c3a-9f2b-4d6e-8a1b-3c4d5e6f7a8b";
const PUSH_PRINCIPAL: &str = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
const CLUSTER_PRINCIPAL: &str = "3c2b1a09-8f7e-4d6c-9b5a-4e3d2c1b0a9f";
/// What the root's `local.name` stands for in the tests' names and ids.
const STACK: &str = "stack";
/// Base64 PEM, as AKS returns `kube_config`'s certificates and key.
const CA_CERTIFICATE: &str = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJkekNDQVIyZ0F3SUJBZ0lRU3RhY2tnZW5Nb2NrQ2x1c3RlckNBMHdDZ1lJS29aSXpqMEVBd0l3RFRFTE1Ba0dBMVVFQXhNQ1kyRXdIaGNOTWpZd01UQXhNREF3TURBd1doY05Nell3TVRBeE1EQXdNREF3V2pBTk1Rc3dDUVlEVlFRREV3SmpZVEJaTUJNR0J5cUdTTTQ5QWdFR0NDcUdTTTQ5QXdFSEEwSUFCQT09Ci0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K";
const CLIENT_CERTIFICATE: &str =
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJjbGllbnRjZXJ0aWZpY2F0ZW1vY2s9PQotLS0tLUVORCBDRVJUSUZJQ0FURS0tLS0tCg==";
const CLIENT_KEY: &str = "LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tCk1IY0NBUUVFSWNsaWVudGtleW1vY2s9PQotLS0tLUVORCBFQyBQUklWQVRFIEtFWS0tLS0tCg==";

/// Resource ids in Azure's formats, for the inputs the root wires from other modules' outputs.
struct Ids {
    group: String,
    registry_id: String,
    cluster_id: String,
    zone_id: String,
    ip_id: String,
}

impl Ids {
    fn new(modules: &[(String, RenderedModule)]) -> Self {
        let find = |name: &str| modules.iter().find(|(n, _)| n == name).map(|(_, m)| m);
        let unquoted = |module: Option<&RenderedModule>, input: &str| {
            module.and_then(|m| literal(m, input)).map(|l| l.trim_matches('"').to_owned())
        };
        let group = unquoted(find("resource_group"), "name")
            .or_else(|| unquoted(find("acr"), "resource_group_name"))
            .unwrap_or_else(|| "rg-stack".to_owned());
        let registry = unquoted(find("acr"), "name").unwrap_or_else(|| "stackregistry".to_owned());
        let zone = unquoted(find("dns"), "zone_name").unwrap_or_else(|| "example.com".to_owned());
        let prefix = format!("/subscriptions/{SUBSCRIPTION}/resourceGroups");
        Self {
            registry_id: format!("{prefix}/{group}/providers/Microsoft.ContainerRegistry/registries/{registry}"),
            cluster_id: format!("{prefix}/{group}/providers/Microsoft.ContainerService/managedClusters/{STACK}-aks"),
            zone_id: format!("{prefix}/{group}/providers/Microsoft.Network/dnsZones/{zone}"),
            ip_id: format!("{prefix}/rg-{STACK}-ingress/providers/Microsoft.Network/publicIPAddresses/{STACK}-ingress"),
            group,
        }
    }

    /// A value for an input the root wires from elsewhere, by the variable's name.
    fn stand_in(&self, variable: &str) -> Option<String> {
        let quoted = |s: &str| format!("\"{s}\"");
        Some(match variable {
            "location" => quoted("westeurope"),
            "resource_group_name" => quoted(&self.group),
            "kubelet_object_id" => quoted(KUBELET_OBJECT_ID),
            "cluster_identity_principal_id" => quoted(CLUSTER_PRINCIPAL),
            "registry_id" => quoted(&self.registry_id),
            "cluster_id" => quoted(&self.cluster_id),
            "dns_zone_id" => quoted(&self.zone_id),
            "ingress_public_ip_id" => quoted(&self.ip_id),
            "oidc_issuer_url" => {
                quoted(&format!("https://westeurope.oic.prod-aks.azure.com/{TENANT}/{CLUSTER_PRINCIPAL}/"))
            }
            // The Gateway API backend: the gateway module reads the ingress module's names.
            "ip_resource_group_name" => quoted(&format!("rg-{STACK}-ingress")),
            "public_ip_name" => quoted(&format!("{STACK}-ingress")),
            "namespace" => quoted("envoy-gateway-system"),
            "gateway_class_name" => quoted("envoy-gateway"),
            "cluster_issuer_name" => quoted("letsencrypt-production"),
            "log_analytics_workspace_id" => quoted(&format!(
                "/subscriptions/{SUBSCRIPTION}/resourceGroups/{}/providers/Microsoft.OperationalInsights/workspaces/{STACK}-logs",
                self.group
            )),
            // Another module's resource: some id in Azure's format.
            other if other.ends_with("_id") => quoted(&format!(
                "/subscriptions/{SUBSCRIPTION}/resourceGroups/{}/providers/Microsoft.Resources/resources/{STACK}-{}",
                self.group,
                other.trim_end_matches("_id").replace('_', "-")
            )),
            _ => return None,
        })
    }
}

/// The test file for the rendered modules, or `None` when none of the wired modules is there.
pub fn render(modules: &[(String, RenderedModule)]) -> Option<String> {
    let find = |name: &str| modules.iter().find(|(n, _)| n == name).map(|(_, m)| m);
    let (acr, oidc) = (find("acr")?, find("github_oidc")?);
    let ids = Ids::new(modules);
    let mut out =
        String::from("# Generated by stackgen. Do not edit; change the spec and re-run `stackgen generate`.\n\n");
    out.push_str("# Plan-level tests: `terraform init -backend=false && terraform test`. Mock providers need no\n");
    out.push_str("# credentials; mock data uses Azure's real formats so validations and references evaluate.\n\n");
    out.push_str(&mock_providers(modules, &ids));

    // The registry: AcrPull for the kubelet identity, on exactly this registry.
    let acr_vars = valid_inputs(acr, &ids)?;
    out.push_str(&run(
        "acr",
        "apply",
        &acr_vars,
        "",
        &[
            (
                "azurerm_role_assignment.kubelet_acr_pull.role_definition_name == \"AcrPull\"",
                "The kubelet identity must hold AcrPull.",
            ),
            (
                "azurerm_role_assignment.kubelet_acr_pull.principal_id == var.kubelet_object_id",
                "AcrPull must be held by the kubelet identity.",
            ),
            (
                "azurerm_role_assignment.kubelet_acr_pull.scope == azurerm_container_registry.this.id",
                "AcrPull must be scoped to this registry.",
            ),
            ("azurerm_container_registry.this.admin_enabled == false", "The admin user must stay disabled."),
        ],
    ));

    // The push identity: AcrPush on exactly the registry, trusted for one subject.
    let subject = literal(oidc, "subject")?;
    let mut oidc_vars = valid_inputs(oidc, &ids)?;
    set(&mut oidc_vars, "registry_id", "run.acr.id");
    let subject_assert = format!("azuread_application_federated_identity_credential.github.subject == {subject}");
    out.push_str(&run(
        "github_oidc",
        "apply",
        &oidc_vars,
        "",
        &[
            ("azurerm_role_assignment.acr_push.role_definition_name == \"AcrPush\"", "The push identity must hold AcrPush."),
            ("azurerm_role_assignment.acr_push.scope == run.acr.id", "AcrPush must be scoped to exactly the stack's registry."),
            (
                "azurerm_role_assignment.acr_push.principal_id == azuread_service_principal.this.object_id",
                "AcrPush must be held by the push identity's service principal.",
            ),
            (
                "azuread_application_federated_identity_credential.github.issuer == \"https://token.actions.githubusercontent.com\"",
                "The federated credential must trust GitHub's OIDC issuer.",
            ),
            (
                "azuread_application_federated_identity_credential.github.audiences == tolist([\"api://AzureADTokenExchange\"])",
                "The federated credential's audience must be api://AzureADTokenExchange.",
            ),
            (subject_assert.as_str(), "The federated credential must trust exactly the spec's branch or environment."),
        ],
    ));

    if let Some(dns_vars) = find("dns").and_then(|m| valid_inputs(m, &ids)) {
        out.push_str(&run(
            "dns",
            "apply",
            &dns_vars,
            "",
            &[(
                "azurerm_dns_a_record.app.target_resource_id == var.ingress_public_ip_id",
                "The app's record must alias the ingress IP.",
            )],
        ));
    }
    if let Some(aks) = find("aks") {
        out.push_str(&aks_run(aks, &ids).unwrap_or_default());
    }
    if let Some(ingress) = find("ingress") {
        out.push_str(&ingress_run(ingress, &ids).unwrap_or_default());
    }
    if let Some(gateway) = find("gateway") {
        out.push_str(&gateway_run(gateway, &ids).unwrap_or_default());
    }
    if let Some(access) = find("kubernetes_access") {
        out.push_str(&kubernetes_access_run(access, &ids).unwrap_or_default());
    }
    if let Some(cert_manager) = find("cert_manager") {
        out.push_str(&cert_manager_run(cert_manager, &ids).unwrap_or_default());
    }

    // Every validation bites: each module planned with the values its rules reject.
    for (name, module) in modules {
        out.push_str(&validation_runs(name, module, &ids));
    }
    let out = crate::hclfmt::align(out.trim_end());
    Some(format!("{out}\n"))
}

/// A `mock_provider` for every provider the modules use; Azure's with ids in their real formats.
fn mock_providers(modules: &[(String, RenderedModule)], ids: &Ids) -> String {
    let providers: BTreeSet<&str> =
        modules.iter().flat_map(|(_, m)| m.providers.iter().map(|p| p.name.as_str())).collect();
    let mut out = String::new();
    for provider in providers {
        let body = match provider {
            "azurerm" => format!(
                "  mock_data \"azurerm_client_config\" {{\n    defaults = {{\n      subscription_id = \"{SUBSCRIPTION}\"\n      tenant_id = \"{TENANT}\"\n      object_id = \"{PUSH_PRINCIPAL}\"\n    }}\n  }}\n\n  mock_resource \"azurerm_container_registry\" {{\n    defaults = {{\n      id = \"{}\"\n      login_server = \"{}.azurecr.io\"\n    }}\n  }}\n",
                ids.registry_id,
                ids.registry_id.rsplit('/').next().unwrap_or_default()
            ),
            "azuread" => format!(
                "  mock_data \"azuread_client_config\" {{\n    defaults = {{\n      object_id = \"{PUSH_PRINCIPAL}\"\n    }}\n  }}\n\n  mock_resource \"azuread_service_principal\" {{\n    defaults = {{\n      object_id = \"{PUSH_PRINCIPAL}\"\n    }}\n  }}\n"
            ),
            _ => String::new(),
        };
        if body.is_empty() {
            let _ = writeln!(out, "mock_provider \"{provider}\" {{}}\n");
        } else {
            let _ = writeln!(out, "mock_provider \"{provider}\" {{\n{body}}}\n");
        }
    }
    out
}

/// The cluster: who gets cluster admin and the wait after it (Entra ID), sensitive outputs.
fn aks_run(aks: &RenderedModule, ids: &Ids) -> Option<String> {
    let vars = valid_inputs(aks, ids)?;
    let host = format!("https://{STACK}-aks-4f3e2d1c.hcp.westeurope.azmk8s.io:443");
    // What Azure fills on create: kube_config (a computed attribute mocks leave empty) and the
    // identity's principal; the kubelet identity block stays empty under mocks (see its output).
    let overrides = format!(
        "  override_resource {{\n    target = azurerm_kubernetes_cluster.this\n    values = {{\n      id = \"{}\"\n      oidc_issuer_url = \"https://westeurope.oic.prod-aks.azure.com/{TENANT}/{CLUSTER_PRINCIPAL}/\"\n      kube_config = [{{\n        host = \"{host}\"\n        cluster_ca_certificate = \"{CA_CERTIFICATE}\"\n        client_certificate = \"{CLIENT_CERTIFICATE}\"\n        client_key = \"{CLIENT_KEY}\"\n        username = \"clusterAdmin_{}_{STACK}-aks\"\n        password = \"0123456789abcdef0123456789abcdef\"\n      }}]\n      identity = {{\n        principal_id = \"{CLUSTER_PRINCIPAL}\"\n        tenant_id = \"{TENANT}\"\n      }}\n    }}\n  }}\n\n",
        ids.cluster_id, ids.group
    );
    let mut asserts: Vec<(String, String)> = Vec::new();
    if has_resource(&aks.main, "azurerm_role_assignment", "deployer_cluster_admin") {
        asserts.extend([
            (
                "azurerm_role_assignment.deployer_cluster_admin.scope == azurerm_kubernetes_cluster.this.id".to_owned(),
                "Cluster admin must be scoped to this cluster.".to_owned(),
            ),
            (
                "azurerm_role_assignment.deployer_cluster_admin.principal_id == data.azurerm_client_config.current.object_id".to_owned(),
                "Cluster admin must go to whoever runs Terraform, the principal the providers log in as.".to_owned(),
            ),
            (
                "time_sleep.cluster_admin_propagation.triggers.role_assignment_id == azurerm_role_assignment.deployer_cluster_admin.id".to_owned(),
                "The propagation wait must follow the cluster-admin assignment.".to_owned(),
            ),
            (
                "azurerm_kubernetes_cluster.this.local_account_disabled == true".to_owned(),
                "Local accounts must stay disabled with Entra ID authentication.".to_owned(),
            ),
        ]);
    }
    for output in aks.outputs.iter().filter(|o| o.sensitive) {
        asserts.push((
            format!("issensitive(output.{})", output.name),
            format!("The {} output must be sensitive.", output.name),
        ));
    }
    let asserts: Vec<(&str, &str)> = asserts.iter().map(|(c, m)| (c.as_str(), m.as_str())).collect();
    Some(run("aks", "apply", &vars, &overrides, &asserts))
}

/// The ingress controller's static IP: its own resource group, Network Contributor there, and the
/// Service annotations naming both.
fn ingress_run(ingress: &RenderedModule, ids: &Ids) -> Option<String> {
    if !has_resource(&ingress.main, "azurerm_resource_group", "ingress_ip") {
        return None;
    }
    let vars = valid_inputs(ingress, ids)?;
    let release = resource_labels(&ingress.main, "helm_release").into_iter().next()?;
    // ingress-nginx nests the Service under `controller`, Traefik does not; with the Gateway API
    // the gateway module's proxies carry the annotations (see its run).
    let annotations = format!(
        "try(yamldecode(helm_release.{release}.values[0]).controller.service.annotations, yamldecode(helm_release.{release}.values[0]).service.annotations)"
    );
    let group_annotation = format!(
        "{annotations}[\"service.beta.kubernetes.io/azure-load-balancer-resource-group\"] == azurerm_resource_group.ingress_ip.name"
    );
    let ip_annotation =
        format!("{annotations}[\"service.beta.kubernetes.io/azure-pip-name\"] == azurerm_public_ip.ingress.name");
    let annotated = hcl::format::to_string(&ingress.main).is_ok_and(|text| text.contains(GROUP_ANNOTATION));
    let service_asserts = [
        (
            group_annotation.as_str(),
            "The controller's Service must name the IP's resource group (azure-load-balancer-resource-group).",
        ),
        (ip_annotation.as_str(), "The controller's Service must name the static IP (azure-pip-name)."),
    ];
    let mut asserts = vec![
        (
            "azurerm_public_ip.ingress.resource_group_name == azurerm_resource_group.ingress_ip.name",
            "The ingress IP must live in its own resource group.",
        ),
        ("azurerm_public_ip.ingress.allocation_method == \"Static\"", "The ingress IP must be static."),
        (
            "azurerm_role_assignment.cluster_network.scope == azurerm_resource_group.ingress_ip.id",
            "Network Contributor must be scoped to the IP's resource group, where the cloud provider lists public IPs.",
        ),
        (
            "azurerm_role_assignment.cluster_network.role_definition_name == \"Network Contributor\"",
            "The cluster identity must hold Network Contributor on the IP's group.",
        ),
        (
            "azurerm_role_assignment.cluster_network.principal_id == var.cluster_identity_principal_id",
            "Network Contributor must be held by the cluster identity.",
        ),
        (
            "time_sleep.network_contributor_propagation.triggers.role_assignment_id == azurerm_role_assignment.cluster_network.id",
            "The propagation wait must follow the Network Contributor assignment.",
        ),
    ];
    if annotated {
        asserts.extend(service_asserts);
    }
    Some(run("ingress", "apply", &vars, "", &asserts))
}

const GROUP_ANNOTATION: &str = "service.beta.kubernetes.io/azure-load-balancer-resource-group";

/// The Gateway API backend's proxies: their Service names the ingress IP and its group.
fn gateway_run(gateway: &RenderedModule, ids: &Ids) -> Option<String> {
    let vars = valid_inputs(gateway, ids)?;
    let release = resource_labels(&gateway.main, "helm_release").into_iter().next()?;
    let annotations = format!("yamldecode(helm_release.{release}.values[0]).envoyProxy.serviceAnnotations");
    let group = format!("{annotations}[\"{GROUP_ANNOTATION}\"] == var.ip_resource_group_name");
    let ip = format!("{annotations}[\"service.beta.kubernetes.io/azure-pip-name\"] == var.public_ip_name");
    Some(run(
        "gateway",
        "apply",
        &vars,
        "",
        &[
            (
                group.as_str(),
                "The proxies' Service must name the IP's resource group (azure-load-balancer-resource-group).",
            ),
            (ip.as_str(), "The proxies' Service must name the static IP (azure-pip-name)."),
        ],
    ))
}

/// The deploy identity (push mode): cluster user on the cluster, its role on one namespace only.
fn kubernetes_access_run(access: &RenderedModule, ids: &Ids) -> Option<String> {
    let vars = valid_inputs(access, ids)?;
    let subject = literal(access, "subject")?;
    let subject_assert = format!("azuread_application_federated_identity_credential.github.subject == {subject}");
    let mut asserts = vec![
        (
            "azurerm_role_assignment.cluster_user.role_definition_name == \"Azure Kubernetes Service Cluster User Role\"",
            "The deploy identity must get cluster credentials as a user, not an admin.",
        ),
        (
            "azurerm_role_assignment.cluster_user.scope == var.cluster_id",
            "Cluster User must be scoped to this cluster.",
        ),
        (
            "azurerm_role_assignment.cluster_user.principal_id == azuread_service_principal.this.object_id",
            "Cluster User must be held by the deploy identity.",
        ),
        (subject_assert.as_str(), "The deploy identity must trust exactly the spec's branch or environment."),
    ];
    if has_resource(&access.main, "azurerm_role_assignment", "namespace_deploy") {
        asserts.extend([
            (
                "azurerm_role_assignment.namespace_deploy.scope == \"${var.cluster_id}/namespaces/${var.namespace}\"",
                "The deploy identity's role must be scoped to its one namespace.",
            ),
            (
                "azurerm_role_assignment.namespace_deploy.role_definition_name == var.role_definition_name",
                "The deploy identity must hold the spec's namespace role.",
            ),
            (
                "azurerm_role_assignment.namespace_deploy.principal_id == azuread_service_principal.this.object_id",
                "The namespace role must be held by the deploy identity.",
            ),
        ]);
    }
    Some(run("kubernetes_access", "apply", &vars, "", &asserts))
}

/// cert-manager's identity: DNS Zone Contributor on exactly the zone, federated for only its
/// service account.
fn cert_manager_run(module: &RenderedModule, ids: &Ids) -> Option<String> {
    let namespace = literal(module, "namespace")?;
    let service_account =
        module.variables.iter().find(|v| v.name == "service_account_name").and_then(|v| match &v.default {
            Some(Expression::String(name)) => Some(name.clone()),
            _ => None,
        })?;
    let subject = format!("\"system:serviceaccount:{}:{service_account}\"", namespace.trim_matches('"'));
    let vars = valid_inputs(module, ids)?;
    let subject_assert = format!("azurerm_federated_identity_credential.this.subject == {subject}");
    Some(run(
        "cert_manager",
        "apply",
        &vars,
        "",
        &[
            (
                "azurerm_role_assignment.dns.role_definition_name == \"DNS Zone Contributor\"",
                "cert-manager's identity must hold DNS Zone Contributor.",
            ),
            (
                "azurerm_role_assignment.dns.scope == var.dns_zone_id",
                "DNS Zone Contributor must be scoped to exactly the stack's zone.",
            ),
            (
                "azurerm_role_assignment.dns.principal_id == azurerm_user_assigned_identity.this.principal_id",
                "DNS Zone Contributor must be held by cert-manager's own identity.",
            ),
            (
                "azurerm_federated_identity_credential.this.parent_id == azurerm_user_assigned_identity.this.id",
                "The federated credential must belong to cert-manager's identity.",
            ),
            (subject_assert.as_str(), "The federated credential must trust only cert-manager's service account."),
            (
                "azurerm_federated_identity_credential.this.issuer == var.oidc_issuer_url",
                "The federated credential must trust the cluster's OIDC issuer.",
            ),
            (
                "azurerm_federated_identity_credential.this.audience == tolist([\"api://AzureADTokenExchange\"])",
                "The federated credential's audience must be api://AzureADTokenExchange.",
            ),
        ],
    ))
}

/// `expect_failures` runs for every validation of `module` that knows values it rejects. Cases
/// are packed into as few runs as their variables allow, since every run starts the providers
/// again: a variable is set at most once per run, and never next to a bad value of a variable
/// its validations read (Terraform skips a validation whose inputs are invalid).
fn validation_runs(name: &str, module: &RenderedModule, ids: &Ids) -> String {
    let cases: Vec<(&Variable, &Validation)> = module
        .variables
        .iter()
        .flat_map(|v| v.validations.iter().filter(|c| !c.rejected.is_empty()).map(move |c| (v, c)))
        .collect();
    if cases.is_empty() {
        return String::new();
    }
    let Some(valid) = valid_inputs(module, ids) else { return String::new() };
    let mut runs: Vec<PackedRun<'_>> = Vec::new();
    for (variable, validation) in cases {
        let touched: BTreeSet<&str> = validation
            .rejected
            .iter()
            .map(|(n, _)| n.as_str())
            .chain([variable.name.as_str()])
            .chain(read_by(variable, module))
            .collect();
        let assignments: Vec<(&str, String)> =
            validation.rejected.iter().filter_map(|(n, v)| inline(v).map(|text| (n.as_str(), text))).collect();
        if assignments.len() != validation.rejected.len() {
            continue;
        }
        match runs.iter_mut().find(|(t, _, _)| t.is_disjoint(&touched)) {
            Some((t, targets, values)) => {
                t.extend(&touched);
                targets.push(variable.name.as_str());
                values.extend(assignments);
            }
            None => runs.push((touched, vec![variable.name.as_str()], assignments)),
        }
    }
    let mut out = String::new();
    for (i, (_, targets, assignments)) in runs.iter().enumerate() {
        let mut vars = valid.clone();
        for (variable, value) in assignments {
            set(&mut vars, variable, value);
        }
        let label = if i == 0 { format!("{name}_validations") } else { format!("{name}_validations_{}", i + 1) };
        let _ = write!(
            out,
            "run \"{label}\" {{\n  command = plan\n\n  module {{\n    source = \"./modules/{name}\"\n  }}\n\n"
        );
        out.push_str(&variables_block(&vars));
        let expected: Vec<String> = targets.iter().map(|t| format!("var.{t}")).collect();
        let _ = write!(out, "\n  expect_failures = [\n    {},\n  ]\n}}\n\n", expected.join(",\n    "));
    }
    out
}

/// The module's other variables that `variable`'s validations read.
fn read_by<'m>(variable: &Variable, module: &'m RenderedModule) -> Vec<&'m str> {
    let conditions: Vec<String> =
        variable.validations.iter().filter_map(|v| hcl::format::to_string(&v.condition).ok()).collect();
    module
        .variables
        .iter()
        .map(|other| other.name.as_str())
        .filter(|other| *other != variable.name && conditions.iter().any(|c| reads(c, other)))
        .collect()
}

/// True when `condition` refers to `var.<name>` (not to a longer name starting with it).
fn reads(condition: &str, name: &str) -> bool {
    let reference = format!("var.{name}");
    condition
        .match_indices(&reference)
        .any(|(at, _)| !condition[at + reference.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
}

/// One validation run being packed: the variables it touches, those expected to fail, and the
/// values it sets.
type PackedRun<'m> = (BTreeSet<&'m str>, Vec<&'m str>, Vec<(&'m str, String)>);

fn set(vars: &mut Vec<(String, String)>, name: &str, value: &str) {
    match vars.iter_mut().find(|(n, _)| n == name) {
        Some((_, v)) => *v = value.to_owned(),
        None => vars.push((name.to_owned(), value.to_owned())),
    }
}

fn literal(module: &RenderedModule, input: &str) -> Option<String> {
    module.inputs.iter().find(|(n, _)| n == input).and_then(|(_, e)| match e {
        Expression::String(_) | Expression::Number(_) | Expression::Bool(_) => hcl::format::to_string(e).ok(),
        _ => None,
    })
}

/// An expression on one line (lists and maps of literals, DNS records, IP ranges).
fn inline(value: &Expression) -> Option<String> {
    let mut buf = Vec::new();
    let mut formatter = hcl::format::Formatter::builder().compact(true).build(&mut buf);
    hcl::format::Format::format(value, &mut formatter).ok()?;
    String::from_utf8(buf).ok()
}

/// Values for the module's inputs the way the root passes them: literals as they are, references
/// replaced by stand-ins in Azure's formats, `local.name` by [`STACK`]; an input with neither is
/// left at the variable's default. `None` when a required variable would have no value.
fn valid_inputs(module: &RenderedModule, ids: &Ids) -> Option<Vec<(String, String)>> {
    let mut vars = Vec::new();
    for (name, value) in &module.inputs {
        let text = inline(value)?;
        let text = text.replace("${local.name}", STACK);
        let references = ["module.", "local.", "var.", "data.", "${"];
        if !references.iter().any(|r| text.contains(r)) {
            vars.push((name.clone(), text));
        } else if let Some(stand_in) = ids.stand_in(name) {
            vars.push((name.clone(), stand_in));
        }
    }
    let given: BTreeSet<&str> = vars.iter().map(|(n, _)| n.as_str()).collect();
    let missing = module.variables.iter().any(|v| v.default.is_none() && !given.contains(v.name.as_str()));
    (!missing).then_some(vars)
}

fn resource_labels(body: &Body, resource_type: &str) -> Vec<String> {
    body.iter()
        .filter_map(|structure| match structure {
            Structure::Block(block) if block.identifier.as_str() == "resource" => match block.labels.as_slice() {
                [kind, name] if kind.as_str() == resource_type => Some(name.as_str().to_owned()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn has_resource(body: &Body, resource_type: &str, name: &str) -> bool {
    resource_labels(body, resource_type).iter().any(|label| label == name)
}

fn variables_block(vars: &[(String, String)]) -> String {
    let mut out = String::from("  variables {\n");
    for (name, value) in vars {
        let _ = writeln!(out, "    {name} = {value}");
    }
    out.push_str("  }\n");
    out
}

fn run(label: &str, command: &str, vars: &[(String, String)], extra: &str, asserts: &[(&str, &str)]) -> String {
    let mut out = format!(
        "run \"{label}\" {{\n  command = {command}\n\n  module {{\n    source = \"./modules/{label}\"\n  }}\n\n{extra}"
    );
    out.push_str(&variables_block(vars));
    for (condition, message) in asserts {
        let _ =
            write!(out, "\n  assert {{\n    condition     = {condition}\n    error_message = \"{message}\"\n  }}\n");
    }
    out.push_str("}\n\n");
    out
}
