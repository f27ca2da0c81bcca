//! Builds a custom stack in code: the default spec plus a module of our own, a Log Analytics
//! workspace, through the same `Module` trait stackgen's modules implement. It reaches every
//! artifact it needs to: its Terraform child module, the cluster's monitoring (through its `id`
//! output), a repository variable set from that output, a step of the delivery workflow's deploy
//! job and a whole job of its own reading it, and a README step.
//!
//! `cargo run --example custom_stack -- [OUT_DIR]` prints the generated files (and writes them to
//! OUT_DIR when given).

use hcl::{Block, Body};
use stackgen::generator::load::Format;
use stackgen::generator::writer::{WriteOptions, write};
use stackgen::generator::{DEFAULT_SPEC, parse_and_validate};
use stackgen::generator::{Generated, generate_with};
use stackgen::modules::aks::AksModule;
use stackgen::modules::common::placement;
use stackgen::modules::hcl_util::{string, template, traversal};
use stackgen::modules::{
    ContributedJob, Contributions, Diagnostics, FieldPath, Inputs, Module, Output, ProviderRequirement, RenderError,
    RenderedModule, StackContext, Variable, WorkflowJob, WorkflowStep,
};

/// The repository variable holding the workspace's resource ID.
pub const WORKSPACE_VARIABLE: &str = "LOG_ANALYTICS_WORKSPACE_ID";

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
        // Each input declared once: the variable, its default, what the root passes, and (by its
        // name) the attribute of the workspace that reads it.
        let mut inputs = Inputs::new(stack);
        inputs.push(
            Variable::required("name", "string", "Name of the workspace.").passed(template("${local.name}-logs")),
        );
        inputs.extend(placement(stack)?);
        inputs.push(Variable::setting("retention_in_days", "Days to keep logs.", 30).passed(self.retention_in_days));
        let workspace = Block::builder("resource")
            .add_label("azurerm_log_analytics_workspace")
            .add_label("this")
            .add_attributes(inputs.attributes(["name", "location", "resource_group_name"])?)
            .add_attribute(("sku", string("PerGB2018")))
            .add_attributes(inputs.attributes(["retention_in_days", "tags"])?)
            .build();
        Ok(RenderedModule {
            providers: vec![ProviderRequirement::azurerm()],
            main: Body::builder().add_block(workspace).build(),
            outputs: vec![Output::new(
                "id",
                traversal("azurerm_log_analytics_workspace", ["this", "id"]),
                "Resource ID of the workspace.",
            )],
            ..RenderedModule::default()
        }
        .with_inputs(inputs))
    }

    fn contribute(&self, stack: &StackContext) -> Result<Contributions, RenderError> {
        // A checked reference: a typo in the output's name fails here, naming this module.
        let id = stack.reference(self.name(), "id")?;
        Ok(Contributions::new()
            .repository_variable(WORKSPACE_VARIABLE, id.clone())
            .workflow_step(WorkflowStep {
                job: WorkflowJob::Deploy,
                name: "Link the container logs".to_owned(),
                run: "echo \"Container logs: https://portal.azure.com/#@/resource${WORKSPACE_ID}/logs\" >> \"$GITHUB_STEP_SUMMARY\""
                    .to_owned(),
                env: vec![("WORKSPACE_ID".to_owned(), WORKSPACE_VARIABLE.to_owned())],
            })
            // A whole job of its own after the deploy: a mis-set variable (empty, or not a
            // workspace's resource ID) fails the run here instead of leaving a dead link.
            .workflow_job(ContributedJob::new("container-logs", "Check where container logs go", &["deploy"]).step(
                "Check the workspace ID",
                "case \"$WORKSPACE_ID\" in\n  /subscriptions/*/providers/Microsoft.OperationalInsights/workspaces/*) echo \"Container logs go to $WORKSPACE_ID\" >> \"$GITHUB_STEP_SUMMARY\" ;;\n  *) echo \"::error::LOG_ANALYTICS_WORKSPACE_ID is not a Log Analytics workspace ID: '$WORKSPACE_ID'\"; exit 1 ;;\nesac",
                &[("WORKSPACE_ID", WORKSPACE_VARIABLE)],
            ))
            .readme_step(
                "Query the cluster's logs",
                format!(
                    "Container insights sends the pods' logs to a Log Analytics workspace, kept {} days. Open it in the portal:\n\n```sh\necho \"https://portal.azure.com/#@/resource$(terraform -chdir=terraform output -raw {})/logs\"\n```",
                    self.retention_in_days,
                    id.root_output()
                ),
            ))
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
