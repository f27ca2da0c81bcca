//! Library use: a user's own module plugs into a stack through the same trait as ours.

#[path = "../examples/custom_stack.rs"]
#[allow(dead_code)]
mod custom_stack;

use stackgen::generator::load::Format;
use stackgen::generator::{DEFAULT_SPEC, parse_and_validate};
use stackgen::generator::{GenerateError, generate_with};
use stackgen::modules::{Diagnostics, FieldPath, Module, RenderError, RenderedModule, StackContext};

#[test]
fn a_custom_module_is_rendered_and_wired_into_the_cluster() {
    let generated = custom_stack::custom_stack().expect("custom stack generates");
    let workspace = generated
        .files
        .get_str("terraform/modules/log_analytics/main.tf")
        .expect("the user's module is a child module");
    assert!(workspace.contains("resource \"azurerm_log_analytics_workspace\" \"this\""));
    let aks = generated.files.get_str("terraform/modules/aks/main.tf").expect("aks");
    assert!(aks.contains("oms_agent {"), "the cluster sends container insights to the workspace:\n{aks}");
    let root = generated.files.get_str("terraform/main.tf").expect("root");
    let wired = root.lines().any(|l| {
        l.split_whitespace().collect::<Vec<_>>() == ["log_analytics_workspace_id", "=", "module.log_analytics.id"]
    });
    assert!(wired, "typed wiring through module outputs:\n{root}");
    let order: Vec<usize> =
        ["module \"log_analytics\"", "module \"aks\""].iter().map(|m| root.find(m).expect("module block")).collect();
    assert!(order[0] < order[1], "the workspace comes before the cluster that uses it");
}

struct Broken;

impl Module for Broken {
    fn name(&self) -> &str {
        "broken"
    }
    fn validate(&self, at: &FieldPath, diagnostics: &mut Diagnostics) {
        diagnostics.push(at.key("size"), "range", "must be between 1 and 3, got 9");
    }
    fn render(&self, stack: &StackContext) -> Result<RenderedModule, RenderError> {
        stack.output("aks", "no_such_output")?;
        Ok(RenderedModule::default())
    }
}

struct MisWired;

impl Module for MisWired {
    fn name(&self) -> &str {
        "miswired"
    }
    fn validate(&self, _: &FieldPath, _: &mut Diagnostics) {}
    fn render(&self, stack: &StackContext) -> Result<RenderedModule, RenderError> {
        stack.output("aks", "no_such_output")?;
        Ok(RenderedModule::default())
    }
}

#[test]
fn a_custom_module_s_rules_and_wiring_are_checked() {
    let spec = parse_and_validate(DEFAULT_SPEC, Format::Yaml).expect("default spec");
    match generate_with(&spec, |stack| stack.push(Broken)) {
        Err(GenerateError::Invalid(diagnostics)) => {
            let rendered = diagnostics.to_string();
            assert!(rendered.contains("broken.size [range]: must be between 1 and 3, got 9"), "{rendered}");
        }
        other => panic!("expected the module's rule to fail, got {other:?}"),
    }
    match generate_with(&spec, |stack| stack.push(MisWired)) {
        Err(GenerateError::Render(RenderError::UnknownOutput { module, target, output })) => {
            assert_eq!((module.as_str(), target.as_str(), output.as_str()), ("miswired", "aks", "no_such_output"));
        }
        other => panic!("expected an unknown-output error, got {other:?}"),
    }
}
