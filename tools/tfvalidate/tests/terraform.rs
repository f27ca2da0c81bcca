//! The real Terraform CLI against the stand-in providers: the served schemas are exactly the
//! extracted ones, valid roots pass, and each class of mistake fails with Terraform's message
//! at the right file and line. Skips where terraform or the installed tools are absent
//! (fails instead under STACKGEN_REQUIRE_TOOLS=1).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use pretty_assertions::assert_eq;
use tfvalidate::{Report, Severity, Tools, tools_or_skip};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

#[track_caller]
fn validate(tools: &Tools, name: &str) -> Report {
    match tools.validate(&fixture(name)) {
        Ok(report) => report,
        Err(e) => panic!("validating fixture {name}: {e:#}"),
    }
}

/// Terraform's one error for a fixture: summary, `file:line` and a phrase of its detail.
#[track_caller]
fn assert_single_error(name: &str, summary: &str, at: &str, detail: &str) {
    let Some(tools) = tools_or_skip(&format!("terraform validate of fixture {name}")) else {
        return;
    };
    let report = validate(&tools, name);
    let found: Vec<(Severity, String, String)> = report
        .diagnostics
        .iter()
        .map(|d| {
            let location = d.location.as_ref().map(|l| format!("{}:{}", l.file, l.line)).unwrap_or_default();
            (d.severity, d.summary.clone(), location)
        })
        .collect();
    assert_eq!(found, vec![(Severity::Error, summary.to_owned(), at.to_owned())], "fixture {name}:\n{report}");
    assert!(report.diagnostics[0].detail.contains(detail), "fixture {name}: detail lacks {detail:?}:\n{report}");
    assert!(report.unformatted.is_empty(), "fixture {name}:\n{report}");
}

#[test]
fn valid_root_with_aks_helm3_set_attribute_and_federated_credential_is_clean() {
    let Some(tools) = tools_or_skip("terraform validate of the valid fixture") else {
        return;
    };
    let report = validate(&tools, "valid");
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.to_string(), "formatted and valid: 0 errors, 0 warnings\n");
    // Validation runs on a copy: the generated tree gets no .terraform or lock file.
    assert!(!fixture("valid/.terraform").exists());
    assert!(!fixture("valid/.terraform.lock.hcl").exists());
}

/// A broader root in the shape of a generated stack (AKS, ACR, DNS, role assignments, Entra ID
/// and user-assigned federated credentials, Kubernetes RBAC): no false alarms from the schemas.
#[test]
fn wide_stack_shaped_root_is_clean() {
    let Some(tools) = tools_or_skip("terraform validate of the wide fixture") else {
        return;
    };
    let report = validate(&tools, "wide");
    assert!(report.is_clean(), "{report}");
}

#[test]
fn helm2_set_block_is_rejected_by_helm3_schema() {
    assert_single_error(
        "helm2_set_block",
        "Unsupported block type",
        "main.tf:15",
        r#"Blocks of type "set" are not expected here. Did you mean to define argument "set"?"#,
    );
}

#[test]
fn object_where_a_string_is_expected_is_a_type_error() {
    assert_single_error(
        "type_error",
        "Incorrect attribute value type",
        "main.tf:11",
        r#"Inappropriate value for attribute "name": string required."#,
    );
}

#[test]
fn reference_to_a_nonexistent_attribute_fails() {
    assert_single_error(
        "nonexistent_attribute",
        "Unsupported attribute",
        "main.tf:17",
        r#"This object has no argument, nested block, or exported attribute named "application_id"."#,
    );
}

#[test]
fn unknown_argument_fails() {
    assert_single_error(
        "unknown_argument",
        "Unsupported argument",
        "main.tf:16",
        r#"An argument named "anonymous_pull" is not expected here."#,
    );
}

#[test]
fn missing_required_block_fails() {
    assert_single_error(
        "missing_required_block",
        "Insufficient default_node_pool blocks",
        "main.tf:10",
        r#"At least 1 "default_node_pool" blocks are required."#,
    );
}

#[test]
fn missing_required_argument_fails() {
    assert_single_error(
        "missing_required_argument",
        "Missing required argument",
        "main.tf:10",
        r#"The argument "subject" is required, but no definition was found."#,
    );
}

#[test]
fn value_on_a_read_only_attribute_fails_at_that_attribute() {
    assert_single_error(
        "read_only_set",
        "Computed attribute cannot be set",
        "main.tf:14",
        r#"Computed attributes cannot be set, but a value was set for "principal_id"."#,
    );
}

#[test]
fn module_input_of_the_wrong_type_fails() {
    assert_single_error("module_input_wrong_type", "Invalid value for input variable", "main.tf:3", "number required");
}

#[test]
fn unformatted_file_is_reported_by_name() {
    let Some(tools) = tools_or_skip("terraform fmt -check of the unformatted fixture") else {
        return;
    };
    let report = validate(&tools, "unformatted");
    assert_eq!(report.unformatted, vec!["main.tf".to_owned()], "{report}");
    assert_eq!(report.diagnostics, vec![], "{report}");
    assert!(!report.is_clean());
}

/// What Terraform sees of every stand-in equals the extracted schema file, resource by
/// resource: nothing is lost or altered between the files, the protocol conversion and core.
#[test]
fn terraform_providers_schema_equals_the_extracted_files() {
    let Some(tools) = tools_or_skip("terraform providers schema self-check") else {
        return;
    };
    let providers = tools.providers().expect("reading the pinned providers");
    let names: Vec<&str> = providers.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["azuread", "azurerm", "github", "helm", "kubernetes", "local", "null", "random", "time", "tls"]);

    let root = tempfile::tempdir().expect("temp dir");
    let mut hcl = String::from("terraform {\n  required_providers {\n");
    for p in &providers {
        let _ = writeln!(
            hcl,
            "    {} = {{\n      source  = \"{}/{}\"\n      version = \"= {}\"\n    }}",
            p.name, p.namespace, p.name, p.version
        );
    }
    hcl.push_str("  }\n}\n");
    std::fs::write(root.path().join("main.tf"), hcl).expect("writing main.tf");

    let seen = tools.providers_schema(root.path()).expect("terraform providers schema -json");
    assert_eq!(seen["format_version"], "1.0");
    for p in &providers {
        let file = tools.schemas_dir.join(format!("{}.json", p.name));
        let text = std::fs::read_to_string(&file).expect("reading a schema file");
        let expected: serde_json::Value = serde_json::from_str(&text).expect("schema file is JSON");
        let expected = &expected["provider_schemas"][p.address()];
        let actual = &seen["provider_schemas"][p.address()];
        assert!(expected.is_object(), "{} lacks {}", file.display(), p.address());
        assert_eq!(actual["provider"], expected["provider"], "{} provider block", p.name);
        for kind in ["resource_schemas", "data_source_schemas"] {
            let keys = |v: &serde_json::Value| -> BTreeSet<String> {
                v[kind].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default()
            };
            assert_eq!(keys(actual), keys(expected), "{} {kind}", p.name);
            let differing: Vec<&String> = expected[kind]
                .as_object()
                .map(|m| m.iter().filter(|(k, v)| &actual[kind][k.as_str()] != *v).map(|(k, _)| k).collect())
                .unwrap_or_default();
            assert_eq!(differing, Vec::<&String>::new(), "{} {kind} served differently", p.name);
        }
    }
}

/// The cdktf wheels mark `id` optional only; the real SDKv2 providers mark it optional and
/// computed, and a mock provider fills only computed attributes. The extraction restores the
/// flag on every optional top-level `id` (and on the listed optional+computed arguments).
#[test]
fn every_optional_id_is_also_computed_as_in_the_real_providers() {
    let Some(tools) = tools_or_skip("schema fidelity of id") else {
        return;
    };
    for provider in tools.providers().expect("reading the pinned providers") {
        let file = tools.schemas_dir.join(format!("{}.json", provider.name));
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).expect("schema file")).expect("JSON");
        let schema = &schema["provider_schemas"][provider.address()];
        for kind in ["resource_schemas", "data_source_schemas"] {
            for (name, resource) in schema[kind].as_object().into_iter().flatten() {
                let id = &resource["block"]["attributes"]["id"];
                if id["optional"] == true {
                    assert_eq!(
                        id["computed"], true,
                        "{} {kind} {name}: id is optional but not computed",
                        provider.name
                    );
                }
            }
        }
    }
    let azurerm: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tools.schemas_dir.join("azurerm.json")).expect("schema file"))
            .expect("JSON");
    let resources = &azurerm["provider_schemas"]["registry.terraform.io/hashicorp/azurerm"]["resource_schemas"];
    let cluster = &resources["azurerm_kubernetes_cluster"]["block"]["attributes"];
    assert_eq!(cluster["id"]["computed"], true);
    assert_eq!(cluster["node_resource_group"]["computed"], true);
    assert_eq!(cluster["node_resource_group"]["optional"], true, "still settable");
}

/// `terraform test` with a `mock_provider` against the stand-ins: ids and optional+computed
/// arguments come back filled, so outputs and references built on them evaluate.
#[test]
fn terraform_test_with_mock_providers_fills_ids() {
    let Some(tools) = tools_or_skip("terraform test with mock providers") else {
        return;
    };
    let report = tools.test(&fixture("mock_computed")).expect("terraform test runs");
    assert!(report.passed, "{report}");
    assert!(report.output.contains("1 passed, 0 failed"), "{report}");
}
