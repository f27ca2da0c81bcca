//! cert-manager's DNS-01 identity can do nothing but write records in the stack's one zone: one
//! role assignment (`DNS Zone Contributor`, scope exactly the zone), one federated credential
//! (cert-manager's service account, the cluster's issuer), and the release runs as that account.

mod common;

use hcl::{Block, Body, Expression};
use pretty_assertions::assert_eq;

fn parse(generated: &stackgen::generator::Generated, path: &str) -> Body {
    hcl::from_str(generated.files.get_str(path).unwrap_or_else(|| panic!("{path} was not generated")))
        .unwrap_or_else(|e| panic!("{path} does not parse: {e}"))
}

fn resources<'a>(body: &'a Body, kind: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
    body.blocks().filter(move |b| b.identifier() == "resource" && b.labels()[0].as_str() == kind)
}

#[track_caller]
fn attr(block: &Block, name: &str) -> String {
    let expr = block.body().attributes().find(|a| a.key() == name).map(|a| a.expr().clone());
    hcl::format::to_string(&expr.unwrap_or_else(|| panic!("no attribute {name}"))).expect("formats")
}

/// `module "<name>" { input = ... }` in the root, as text.
#[track_caller]
fn root_input(root: &Body, module: &str, input: &str) -> String {
    let block = root
        .blocks()
        .find(|b| b.identifier() == "module" && b.labels()[0].as_str() == module)
        .unwrap_or_else(|| panic!("no module {module}"));
    attr(block, input)
}

#[track_caller]
fn variable_default(variables: &Body, name: &str) -> String {
    let block = variables
        .blocks()
        .find(|b| b.identifier() == "variable" && b.labels()[0].as_str() == name)
        .unwrap_or_else(|| panic!("no variable {name}"));
    attr(block, "default")
}

/// A key path inside the cert-manager release's `yamlencode({...})` values, as text.
fn release_value(release: &Block, path: &[&str]) -> Option<String> {
    let values = release.body().attributes().find(|a| a.key() == "values")?.expr().clone();
    let Expression::Array(items) = values else { return None };
    let Some(Expression::FuncCall(call)) = items.into_iter().next() else { return None };
    let mut at = call.args.first()?.clone();
    for key in path {
        let Expression::Object(object) = at else { return None };
        at = object.into_iter().find_map(|(k, v)| {
            let name = match &k {
                hcl::ObjectKey::Identifier(id) => id.to_string(),
                hcl::ObjectKey::Expression(Expression::String(s)) => s.clone(),
                _ => return None,
            };
            (name == *key).then_some(v)
        })?;
    }
    hcl::format::to_string(&at).ok()
}

#[test]
fn the_dns01_identity_writes_records_in_one_zone_for_one_service_account() {
    let mut checked = 0;
    for (name, path) in common::example_specs() {
        let generated = common::generate_file(&path);
        let Some(text) = generated.files.get_str("terraform/modules/cert_manager/main.tf") else { continue };
        checked += 1;
        let main: Body = hcl::from_str(text).expect("parses");
        let variables = parse(&generated, "terraform/modules/cert_manager/variables.tf");
        let root = parse(&generated, "terraform/main.tf");

        let roles: Vec<&Block> = resources(&main, "azurerm_role_assignment").collect();
        assert_eq!(roles.len(), 1, "{name}: exactly one role assignment");
        let role = roles[0];
        assert_eq!(attr(role, "role_definition_name"), "\"DNS Zone Contributor\"", "{name}");
        assert_eq!(attr(role, "scope"), "var.dns_zone_id", "{name}");
        assert_eq!(root_input(&root, "cert_manager", "dns_zone_id"), "module.dns.zone_id", "{name}: exactly the zone");
        assert_eq!(attr(role, "principal_id"), "azurerm_user_assigned_identity.this.principal_id", "{name}");
        assert_eq!(resources(&main, "azurerm_user_assigned_identity").count(), 1, "{name}: a dedicated identity");

        let credentials: Vec<&Block> = resources(&main, "azurerm_federated_identity_credential").collect();
        assert_eq!(credentials.len(), 1, "{name}: one federated credential");
        let credential = credentials[0];
        assert_eq!(attr(credential, "parent_id"), "azurerm_user_assigned_identity.this.id", "{name}");
        assert_eq!(
            attr(credential, "audience").split_whitespace().collect::<String>(),
            "[\"api://AzureADTokenExchange\"]",
            "{name}"
        );
        assert_eq!(attr(credential, "issuer"), "var.oidc_issuer_url", "{name}");
        assert_eq!(root_input(&root, "cert_manager", "oidc_issuer_url"), "module.aks.oidc_issuer_url", "{name}");
        assert_eq!(
            attr(credential, "subject"),
            "\"system:serviceaccount:${var.namespace}:${var.service_account_name}\"",
            "{name}"
        );
        // The subject, resolved: cert-manager's controller account in cert-manager's namespace.
        let namespace = root_input(&root, "cert_manager", "namespace");
        assert_eq!(namespace, "\"cert-manager\"", "{name}");
        assert_eq!(variable_default(&variables, "service_account_name"), "\"cert-manager\"", "{name}");

        // ...which is the account the release runs as, annotated with this identity.
        let release =
            resources(&main, "helm_release").find(|b| b.labels()[1].as_str() == "cert_manager").expect("release");
        assert_eq!(release_value(release, &["serviceAccount", "name"]).as_deref(), Some("var.service_account_name"));
        assert_eq!(
            release_value(release, &["serviceAccount", "annotations", "azure.workload.identity/client-id"]).as_deref(),
            Some("azurerm_user_assigned_identity.this.client_id"),
            "{name}"
        );
        assert_eq!(release_value(release, &["podLabels", "azure.workload.identity/use"]).as_deref(), Some("\"true\""));
        assert_eq!(attr(release, "namespace"), "var.namespace", "{name}");
        assert_eq!(
            release_value(release, &["crds", "enabled"]).as_deref(),
            Some("true"),
            "{name}: CRDs from the chart"
        );
    }
    assert!(checked >= 2, "examples with TLS: {checked}");
}
