//! Builds a custom stack in code: the default spec plus a module of our own, a Log Analytics
//! workspace, wired into the cluster's monitoring through the same `Module` trait stackgen's
//! modules implement.
//!
//! `cargo run --example custom_stack -- [OUT_DIR]` prints the generated files (and writes them to
//! OUT_DIR when given).

use hcl::{Block, Body, Expression};
use stackgen::generator::load::Format;
use stackgen::generator::writer::{WriteOptions, write};
use stackgen::generator::{DEFAULT_SPEC, parse_and_validate};
use stackgen::generator::{Generated, generate_with};
use stackgen::modules::aks::AksModule;
use stackgen::modules::common::{placement_inputs, placement_variables};
use stackgen::modules::hcl_util::{string, template, traversal, var};
use stackgen::modules::{
    Diagnostics, FieldPath, Module, Output, ProviderRequirement, RenderError, RenderedModule, StackContext, Variable,
};

/// A Log Analytics workspace for container insights.
struct LogAnalytics {
    retention_in_days: u32,
}

impl Module for LogAnalytics {
    fn name(&self) -> &str {
        "log_analytics"
    }

    fn validate(&self, at: &FieldPath, diagnostics: &mut Diagnostics) {
        // Azure accepts 30–730 days (or 7 on the free tier).
        diagnostics.check_range(at.key("retention_in_days"), self.retention_in_days, 30, 730);
    }

    fn render(&self, stack: &StackContext) -> Result<RenderedModule, RenderError> {
        let workspace = Block::builder("resource")
            .add_label("azurerm_log_analytics_workspace")
            .add_label("this")
            .add_attribute(("name", var("name")))
            .add_attribute(("location", var("location")))
            .add_attribute(("resource_group_name", var("resource_group_name")))
            .add_attribute(("sku", string("PerGB2018")))
            .add_attribute(("retention_in_days", var("retention_in_days")))
            .add_attribute(("tags", var("tags")))
            .build();
        let mut variables = placement_variables();
        variables.push(Variable::required("name", "string", "Name of the workspace."));
        variables.push(Variable::optional("retention_in_days", "number", "Days to keep logs.", Expression::from(30)));
        let mut inputs = vec![("name".to_owned(), template("${local.name}-logs"))];
        inputs.extend(placement_inputs(stack)?);
        inputs.push(("retention_in_days".to_owned(), Expression::from(self.retention_in_days)));
        Ok(RenderedModule {
            providers: vec![ProviderRequirement::azurerm()],
            variables,
            main: Body::builder().add_block(workspace).build(),
            outputs: vec![Output::new(
                "id",
                traversal("azurerm_log_analytics_workspace", ["this", "id"]),
                "Resource ID of the workspace.",
            )],
            inputs,
            warnings: Vec::new(),
        })
    }
}

/// Generates the default stack with the workspace inserted before the cluster, which sends its
/// container insights there.
pub fn custom_stack() -> Result<Generated, Box<dyn std::error::Error>> {
    let spec = parse_and_validate(DEFAULT_SPEC, Format::Yaml).map_err(|d| d.to_string())?;
    let generated = generate_with(&spec, |stack| {
        stack
            .insert_before("aks", LogAnalytics { retention_in_days: 90 })
            .replace(AksModule::new(&spec.aks).with_log_analytics("log_analytics", "id"))
    })?;
    Ok(generated)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let generated = custom_stack()?;
    for path in generated.files.paths().filter(|p| p.contains("log_analytics") || p.ends_with("aks/main.tf")) {
        println!("{path}");
    }
    if let Some(out) = std::env::args().nth(1) {
        let report = write(&generated.files, std::path::Path::new(&out), &WriteOptions { force: false })?;
        println!("{out}: {report}");
    }
    Ok(())
}
