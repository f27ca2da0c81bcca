//! Library use: a user's own module plugs into a stack through the same trait as ours, and
//! reaches every artifact through it.

mod common;

#[path = "../examples/custom_stack.rs"]
#[allow(dead_code)]
mod custom_stack;

use hcl::{Block, Body};
use stackgen::generator::load::Format;
use stackgen::generator::{DEFAULT_SPEC, GenerateError, Generated, generate_with, parse_and_validate};
use stackgen::modules::common::{placement, placement_attributes};
use stackgen::modules::hcl_util::{Step, string, template, traversal, traversal_steps, var};
use stackgen::modules::{
    ClusterConnection, ClusterCredentials, ContributedJob, Contributions, Diagnostics, FieldPath, Module, Output,
    ProviderRequirement, RenderError, RenderedModule, StackContext, StackSpec, Variable, WorkflowJob, WorkflowStep,
};

fn default_spec() -> StackSpec {
    parse_and_validate(DEFAULT_SPEC, Format::Yaml).expect("default spec")
}

#[track_caller]
fn file<'g>(generated: &'g Generated, path: &str) -> &'g str {
    generated.files.get_str(path).unwrap_or_else(|| panic!("{path} is generated"))
}

#[track_caller]
fn render_error(result: Result<Generated, GenerateError>) -> RenderError {
    match result {
        Err(GenerateError::Render(error)) => error,
        other => panic!("expected a render error, got {other:?}"),
    }
}

#[test]
fn a_custom_module_is_rendered_and_wired_into_the_cluster() {
    let generated = custom_stack::custom_stack().expect("custom stack generates");
    let workspace = file(&generated, "terraform/modules/log_analytics/main.tf");
    assert!(workspace.contains("resource \"azurerm_log_analytics_workspace\" \"this\""));
    let aks = file(&generated, "terraform/modules/aks/main.tf");
    assert!(aks.contains("oms_agent {"), "the cluster sends container insights to the workspace:\n{aks}");
    let root = file(&generated, "terraform/main.tf");
    let wired = root.lines().any(|l| {
        l.split_whitespace().collect::<Vec<_>>() == ["log_analytics_workspace_id", "=", "module.log_analytics.id"]
    });
    assert!(wired, "typed wiring through module outputs:\n{root}");
    let order: Vec<usize> =
        ["module \"log_analytics\"", "module \"aks\""].iter().map(|m| root.find(m).expect("module block")).collect();
    assert!(order[0] < order[1], "the workspace comes before the cluster that uses it");
}

#[test]
fn the_custom_module_s_output_reaches_the_workflow_through_a_repository_variable() {
    let generated = custom_stack::custom_stack().expect("custom stack generates");
    let variable = custom_stack::WORKSPACE_VARIABLE;
    // The variable is set from a root output that re-exports the workspace's id …
    let outputs = file(&generated, "terraform/outputs.tf");
    assert!(outputs.contains("output \"log_analytics_id\""), "{outputs}");
    assert!(outputs.contains("module.log_analytics.id"), "{outputs}");
    let set = generated.repository_variables.iter().find(|v| v.name == variable).expect("declared");
    assert_eq!(set.value.root_output(), "log_analytics_id");
    // … the README sets it and shows the module's step …
    let readme = file(&generated, "README.md");
    assert!(readme.contains(&format!("| `{variable}` | `log_analytics_id` |")), "{readme}");
    assert!(readme.contains(&format!("{variable}=log_analytics_id")), "{readme}");
    assert!(readme.contains(". Query the cluster's logs\n"), "{readme}");
    assert!(readme.contains("terraform -chdir=terraform output -raw log_analytics_id"), "{readme}");
    // … and the delivery workflow's deploy job reads it.
    let workflow: serde_yaml::Value =
        serde_yaml::from_str(file(&generated, ".github/workflows/delivery.yml")).expect("YAML");
    let steps = workflow["jobs"]["deploy"]["steps"].as_sequence().expect("steps");
    let step = steps.last().expect("a step");
    assert_eq!(step["name"].as_str(), Some("Link the container logs"));
    assert_eq!(step["env"]["WORKSPACE_ID"].as_str(), Some(format!("${{{{ vars.{variable} }}}}").as_str()));
}

#[test]
fn the_custom_stack_s_module_adds_a_job_of_its_own_that_checks_the_variable() {
    let generated = custom_stack::custom_stack().expect("custom stack generates");
    let workflow: serde_yaml::Value =
        serde_yaml::from_str(file(&generated, ".github/workflows/delivery.yml")).expect("YAML");
    let jobs: Vec<&str> =
        workflow["jobs"].as_mapping().expect("jobs").keys().filter_map(serde_yaml::Value::as_str).collect();
    let at = |id: &str| jobs.iter().position(|j| *j == id);
    assert!(at("container-logs").is_some() && at("deploy") < at("container-logs"), "after the deploy: {jobs:?}");
    let job = &workflow["jobs"]["container-logs"];
    assert_eq!(job["needs"][0].as_str(), Some("deploy"));
    let step = &job["steps"][0];
    let variable = custom_stack::WORKSPACE_VARIABLE;
    assert_eq!(step["env"]["WORKSPACE_ID"].as_str(), Some(format!("${{{{ vars.{variable} }}}}").as_str()));
    // The step's script, run as the runner would: a workspace's resource ID passes and reaches the
    // job summary, anything else fails the job.
    let script = step["run"].as_str().expect("a shell step");
    let summary = tempfile::NamedTempFile::new().expect("temp file");
    let run = |id: &str| {
        std::process::Command::new("bash")
            .args(["-e", "-c", script])
            .env("WORKSPACE_ID", id)
            .env("GITHUB_STEP_SUMMARY", summary.path())
            .output()
            .expect("bash runs")
    };
    let id = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/logs";
    assert!(run(id).status.success());
    assert!(std::fs::read_to_string(summary.path()).expect("summary").contains(id));
    for bad in ["", "/subscriptions/0000/resourceGroups/rg"] {
        let out = run(bad);
        assert!(!out.status.success(), "{bad:?} is refused");
        assert!(String::from_utf8_lossy(&out.stdout).contains("::error::"), "{bad:?}");
    }
}

/// Touches every artifact a module can reach.
struct Everywhere;

impl Module for Everywhere {
    fn name(&self) -> &str {
        "everywhere"
    }
    fn validate(&self, _: &FieldPath, _: &mut Diagnostics) {}
    fn render(&self, _: &StackContext) -> Result<RenderedModule, RenderError> {
        Ok(RenderedModule {
            providers: vec![ProviderRequirement::azurerm()],
            main: Body::builder()
                .add_block(
                    Block::builder("locals").add_attribute(("greeting", string("hello from everywhere"))).build(),
                )
                .build(),
            outputs: vec![Output::new("greeting", traversal("local", ["greeting"]), "A greeting.")],
            ..RenderedModule::default()
        })
    }
    fn contribute(&self, stack: &StackContext) -> Result<Contributions, RenderError> {
        let greeting = stack.reference(self.name(), "greeting")?;
        Ok(Contributions::new()
            .workload_env("GREETING_SOURCE", "everywhere")
            .repository_variable("EVERYWHERE_GREETING", greeting.clone())
            .workflow_step(WorkflowStep {
                job: WorkflowJob::Deploy,
                name: "Greet".to_owned(),
                run: "echo \"$GREETING\"".to_owned(),
                env: vec![("GREETING".to_owned(), "EVERYWHERE_GREETING".to_owned())],
            })
            .readme_step("Say hello", format!("`terraform -chdir=terraform output -raw {}`", greeting.root_output()))
            .root_output(greeting)
            .file("docs/everywhere.md", "# Everywhere\n"))
    }
}

#[test]
fn a_custom_module_contributes_to_every_artifact() {
    let spec = default_spec();
    let generated = generate_with(&spec, |stack| stack.push(Everywhere)).expect("generates");
    assert!(file(&generated, "terraform/modules/everywhere/main.tf").contains("hello from everywhere"));
    assert!(file(&generated, "terraform/main.tf").contains("module \"everywhere\""));
    assert!(file(&generated, "terraform/outputs.tf").contains("output \"everywhere_greeting\""));
    let values = file(&generated, &format!("charts/{}/values.yaml", spec.app.name));
    assert!(values.contains("GREETING_SOURCE: everywhere"), "{values}");
    let workflow = file(&generated, ".github/workflows/delivery.yml");
    assert!(workflow.contains("GREETING: ${{ vars.EVERYWHERE_GREETING }}"), "{workflow}");
    let readme = file(&generated, "README.md");
    assert!(readme.contains(". Say hello\n\n`terraform -chdir=terraform output -raw everywhere_greeting`"), "{readme}");
    assert!(readme.contains("| `EVERYWHERE_GREETING` | `everywhere_greeting` |"), "{readme}");
    assert_eq!(generated.files.get_str("docs/everywhere.md"), Some("# Everywhere\n"));
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

/// Refers to a missing output in Terraform (`in_terraform`) or in its contributions.
struct MisWired {
    in_terraform: bool,
}

impl Module for MisWired {
    fn name(&self) -> &str {
        "miswired"
    }
    fn validate(&self, _: &FieldPath, _: &mut Diagnostics) {}
    fn render(&self, stack: &StackContext) -> Result<RenderedModule, RenderError> {
        if self.in_terraform {
            stack.output("aks", "no_such_output")?;
        }
        Ok(RenderedModule::default())
    }
    fn contribute(&self, stack: &StackContext) -> Result<Contributions, RenderError> {
        Ok(Contributions::new().repository_variable("NOPE", stack.reference("aks", "no_such_output")?))
    }
}

#[test]
fn a_custom_module_s_rules_and_wiring_are_checked() {
    let spec = default_spec();
    match generate_with(&spec, |stack| stack.push(Broken)) {
        Err(GenerateError::Invalid(diagnostics)) => {
            let rendered = diagnostics.to_string();
            assert!(rendered.contains("broken.size [range]: must be between 1 and 3, got 9"), "{rendered}");
        }
        other => panic!("expected the module's rule to fail, got {other:?}"),
    }
    for in_terraform in [true, false] {
        let error = render_error(generate_with(&spec, |stack| stack.push(MisWired { in_terraform })));
        assert_eq!(
            error,
            RenderError::UnknownOutput {
                module: "miswired".into(),
                target: "aks".into(),
                output: "no_such_output".into()
            },
            "in Terraform: {in_terraform}"
        );
        let message = error.to_string();
        assert!(message.contains("miswired") && message.contains("module.aks.no_such_output"), "{message}");
    }
}

/// A module whose name is not snake_case.
struct BadName;

impl Module for BadName {
    fn name(&self) -> &str {
        "Bad-Name"
    }
    fn validate(&self, _: &FieldPath, _: &mut Diagnostics) {}
    fn render(&self, _: &StackContext) -> Result<RenderedModule, RenderError> {
        Ok(RenderedModule::default())
    }
}

#[test]
fn a_module_name_that_is_not_snake_case_is_refused() {
    let spec = default_spec();
    let error = render_error(generate_with(&spec, |stack| stack.push(BadName)));
    assert_eq!(error, RenderError::InvalidName("Bad-Name".into()));
}

/// Adds a workflow step reading a repository variable nobody declares.
struct UndeclaredVariable;

impl Module for UndeclaredVariable {
    fn name(&self) -> &str {
        "undeclared_variable"
    }
    fn validate(&self, _: &FieldPath, _: &mut Diagnostics) {}
    fn render(&self, _: &StackContext) -> Result<RenderedModule, RenderError> {
        Ok(RenderedModule::default())
    }
    fn contribute(&self, _: &StackContext) -> Result<Contributions, RenderError> {
        Ok(Contributions::new().workflow_step(WorkflowStep {
            job: WorkflowJob::Deploy,
            name: "Read".to_owned(),
            run: "echo \"$X\"".to_owned(),
            env: vec![("X".to_owned(), "NEVER_SET".to_owned())],
        }))
    }
}

#[test]
fn a_workflow_reading_an_undeclared_repository_variable_is_refused() {
    let spec = default_spec();
    let error = render_error(generate_with(&spec, |stack| stack.push(UndeclaredVariable)));
    assert_eq!(
        error,
        RenderError::UnknownRepositoryVariable {
            variable: "NEVER_SET".into(),
            used_by: ".github/workflows/delivery.yml".into()
        }
    );
}

/// A cluster of our own in place of stackgen's AKS module, named `aks` so the other modules find
/// it, declaring the outputs they read (all of them, or all but `omit`).
struct OwnCluster {
    omit: Option<&'static str>,
}

impl Module for OwnCluster {
    fn name(&self) -> &str {
        "aks"
    }
    fn validate(&self, _: &FieldPath, _: &mut Diagnostics) {}
    fn render(&self, stack: &StackContext) -> Result<RenderedModule, RenderError> {
        let cluster = |steps: &[Step<'_>]| {
            let mut all = vec![Step::Attr("this")];
            all.extend_from_slice(steps);
            traversal_steps("azurerm_kubernetes_cluster", &all)
        };
        let mut resource = Block::builder("resource").add_label("azurerm_kubernetes_cluster").add_label("this");
        for attribute in placement_attributes() {
            resource = resource.add_attribute(attribute);
        }
        let resource = resource
            .add_attribute(("name", var("name")))
            .add_attribute(("dns_prefix", var("name")))
            // cert-manager's DNS-01 identity (TLS is on in the default spec) needs workload identity.
            .add_attribute(("oidc_issuer_enabled", true))
            .add_attribute(("workload_identity_enabled", true))
            .add_attribute(("tags", var("tags")))
            .add_block(
                Block::builder("default_node_pool")
                    .add_attribute(("name", string("system")))
                    .add_attribute(("vm_size", string("Standard_D2s_v5")))
                    .add_attribute(("node_count", 1))
                    .build(),
            )
            .add_block(Block::builder("identity").add_attribute(("type", string("SystemAssigned"))).build())
            .build();
        let kube_config = |attr| cluster(&[Step::Attr("kube_config"), Step::Index(0), Step::Attr(attr)]);
        let outputs = vec![
            Output::new("id", cluster(&[Step::Attr("id")]), "Resource ID."),
            Output::new("name", cluster(&[Step::Attr("name")]), "Name.").at_root(),
            Output::new("host", kube_config("host"), "API server URL.").sensitive(),
            Output::new("oidc_issuer_url", cluster(&[Step::Attr("oidc_issuer_url")]), "OIDC issuer URL."),
            Output::new(
                "cluster_ca_certificate",
                stackgen::modules::hcl_util::call("base64decode", [kube_config("cluster_ca_certificate")]),
                "PEM CA certificate.",
            )
            .sensitive(),
            Output::new(
                "identity_principal_id",
                cluster(&[Step::Attr("identity"), Step::Index(0), Step::Attr("principal_id")]),
                "Principal ID of the cluster identity.",
            ),
            Output::new(
                "kubelet_object_id",
                cluster(&[Step::Attr("kubelet_identity"), Step::Index(0), Step::Attr("object_id")]),
                "Object ID of the kubelet identity.",
            ),
        ];
        let mut inputs =
            vec![Variable::required("name", "string", "Cluster name.").passed(template("${local.name}-own"))];
        inputs.extend(placement(stack)?);
        Ok(RenderedModule {
            providers: vec![ProviderRequirement::azurerm()],
            main: Body::builder().add_block(resource).build(),
            outputs: outputs.into_iter().filter(|o| Some(o.name.as_str()) != self.omit).collect(),
            ..RenderedModule::default()
        }
        .with_inputs(inputs))
    }
    fn contribute(&self, stack: &StackContext) -> Result<Contributions, RenderError> {
        let own = |output: &str| stack.reference(self.name(), output);
        Ok(Contributions::new().cluster(ClusterConnection {
            name: own("name")?,
            resource_group: stack.reference("resource_group", "name")?,
            host: own("host")?,
            cluster_ca_certificate: own("cluster_ca_certificate")?,
            credentials: ClusterCredentials::AzureCli,
        }))
    }
}

#[test]
fn replacing_the_cluster_module_regenerates_a_working_stack() {
    let spec = default_spec();
    let generated = generate_with(&spec, |stack| stack.replace(OwnCluster { omit: None })).expect("generates");
    let aks = file(&generated, "terraform/modules/aks/main.tf");
    assert!(aks.contains("dns_prefix"), "{aks}");
    assert!(!aks.contains("azure_policy_enabled"), "our module replaced stackgen's:\n{aks}");
    let root = file(&generated, "terraform/main.tf");
    assert!(root.contains("module.aks.host"), "the providers connect through the replacement:\n{root}");
    let Some(tools) = tfvalidate::tools_or_skip("terraform validate of a stack with a replaced cluster") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    common::write_tree(&generated, dir.path());
    tools.assert_valid(&dir.path().join("terraform"), "the stack with a replaced cluster");
}

#[test]
fn a_replacement_cluster_lacking_an_output_fails_at_render_time() {
    let spec = default_spec();
    let error =
        render_error(generate_with(&spec, |stack| stack.replace(OwnCluster { omit: Some("kubelet_object_id") })));
    assert_eq!(
        error,
        RenderError::UnknownOutput { module: "acr".into(), target: "aks".into(), output: "kubelet_object_id".into() }
    );
    // Outputs read only by the root's providers are checked too.
    let error = render_error(generate_with(&spec, |stack| stack.replace(OwnCluster { omit: Some("host") })));
    assert_eq!(error, RenderError::UnknownOutput { module: "aks".into(), target: "aks".into(), output: "host".into() });
}

/// Adds a whole job to the delivery workflow, reading a repository variable it declares.
struct SmokeTest {
    id: &'static str,
    needs: &'static [&'static str],
}

impl Module for SmokeTest {
    fn name(&self) -> &str {
        "smoke_test"
    }
    fn validate(&self, _: &FieldPath, _: &mut Diagnostics) {}
    fn render(&self, _: &StackContext) -> Result<RenderedModule, RenderError> {
        Ok(RenderedModule {
            main: Body::builder()
                .add_block(Block::builder("locals").add_attribute(("url", string("x"))).build())
                .build(),
            outputs: vec![Output::new("url", traversal("local", ["url"]), "What to probe.")],
            ..RenderedModule::default()
        })
    }
    fn contribute(&self, stack: &StackContext) -> Result<Contributions, RenderError> {
        Ok(Contributions::new().repository_variable("SMOKE_URL", stack.reference(self.name(), "url")?).workflow_job(
            ContributedJob::new(self.id, "Smoke test", self.needs).step(
                "Probe",
                "curl --fail --silent \"$URL\"",
                &[("URL", "SMOKE_URL")],
            ),
        ))
    }
}

#[test]
fn a_custom_module_adds_a_whole_workflow_job() {
    let mut spec = default_spec();
    spec.delivery.notify.emails = vec!["team@example.org".to_owned()];
    let generated = generate_with(&spec, |stack| stack.push(SmokeTest { id: "smoke-test", needs: &["deploy"] }))
        .expect("generates");
    let workflow: serde_yaml::Value =
        serde_yaml::from_str(file(&generated, ".github/workflows/delivery.yml")).expect("YAML");
    let jobs: Vec<&str> =
        workflow["jobs"].as_mapping().expect("jobs").keys().filter_map(serde_yaml::Value::as_str).collect();
    assert_eq!(jobs, ["analyze", "build", "tag", "deploy", "smoke-test", "notify"], "after its needs, before notify");
    let job = &workflow["jobs"]["smoke-test"];
    assert_eq!(job["name"].as_str(), Some("Smoke test"));
    assert_eq!(job["needs"][0].as_str(), Some("deploy"));
    assert_eq!(job["steps"][0]["env"]["URL"].as_str(), Some("${{ vars.SMOKE_URL }}"));

    for (id, needs, message) in [
        ("deploy", &["tag"][..], "the delivery workflow already has a job `deploy`"),
        ("notify", &[][..], "the delivery workflow already has a job `notify`"),
        ("Smoke", &[][..], "workflow job id `Smoke` must be"),
        ("smoke", &["nowhere"][..], "workflow job `smoke` needs `nowhere`"),
    ] {
        let error = render_error(generate_with(&spec, |stack| stack.push(SmokeTest { id, needs })));
        let RenderError::Invalid { module, message: got } = &error else { panic!("{id}: {error:?}") };
        assert_eq!(module, "smoke_test", "{id}");
        assert!(got.starts_with(message), "{id}: {got}");
    }
}

/// Needs a value only whoever runs Terraform knows, and a second azurerm configuration.
struct Alerts {
    variable: &'static str,
    alias: Option<&'static str>,
}

impl Module for Alerts {
    fn name(&self) -> &str {
        "alerts"
    }
    fn validate(&self, _: &FieldPath, _: &mut Diagnostics) {}
    fn render(&self, _: &StackContext) -> Result<RenderedModule, RenderError> {
        let mut provider = Block::builder("provider").add_label("azurerm");
        if let Some(alias) = self.alias {
            provider = provider.add_attribute(("alias", alias));
        }
        let provider = provider
            .add_attribute(("subscription_id", var("subscription_id")))
            .add_block(Block::builder("features").build())
            .build();
        Ok(RenderedModule {
            main: Body::builder()
                .add_block(Block::builder("locals").add_attribute(("to", var("alert_email"))).build())
                .build(),
            root_variables: vec![Variable::required(self.variable, "string", "Who gets the alerts.")],
            root_providers: vec![provider],
            ..RenderedModule::default()
        }
        .with_inputs([Variable::required("alert_email", "string", "Who gets the alerts.").passed(var(self.variable))]))
    }
}

#[test]
fn a_custom_module_adds_root_variables_and_provider_blocks() {
    let spec = default_spec();
    let generated =
        generate_with(&spec, |stack| stack.push(Alerts { variable: "alert_email", alias: Some("monitoring") }))
            .expect("generates");
    let variables = file(&generated, "terraform/variables.tf");
    assert!(variables.contains("variable \"alert_email\" {"), "{variables}");
    assert!(variables.contains("variable \"subscription_id\" {"), "the root's own stay:\n{variables}");
    let root = file(&generated, "terraform/main.tf");
    assert!(root.contains("alias           = \"monitoring\""), "{root}");
    assert!(root.contains("alert_email = var.alert_email"), "{root}");
    let first_module = root.find("module \"").expect("modules");
    assert!(root.find("alias").expect("provider") < first_module, "providers come before the modules:\n{root}");
    if let Some(tools) = tfvalidate::tools_or_skip("terraform validate of a stack with root variables") {
        let dir = tempfile::tempdir().expect("tempdir");
        common::write_tree(&generated, dir.path());
        tools.assert_valid(&dir.path().join("terraform"), "the stack with a module's root variable and provider");
    }

    for (module, message) in [
        (Alerts { variable: "subscription_id", alias: Some("monitoring") }, "root variable `subscription_id`"),
        (Alerts { variable: "alert_email", alias: None }, "provider `azurerm` is already configured"),
    ] {
        let error = render_error(generate_with(&spec, |stack| stack.push(module)));
        let RenderError::Invalid { module, message: got } = &error else { panic!("{error:?}") };
        assert_eq!(module, "alerts");
        assert!(got.starts_with(message), "{got}");
    }
}

#[test]
fn the_chart_the_workflows_and_the_readme_are_built_from_the_customized_stack() {
    let spec = default_spec();
    let generated = generate_with(&spec, |stack| {
        stack
            .with_app(|app| app.replicas = 5)
            .with_delivery(|delivery| delivery.notify.emails = vec!["oncall@example.org".to_owned()])
    })
    .expect("generates");
    let values = file(&generated, &format!("charts/{}/values.yaml", spec.app.name));
    assert!(values.contains("replicaCount: 5\n"), "the chart follows the app changed in code:\n{values}");
    assert!(values.contains("minReplicas: 5\n"), "{values}");
    let workflow: serde_yaml::Value =
        serde_yaml::from_str(file(&generated, ".github/workflows/delivery.yml")).expect("YAML");
    assert_eq!(
        workflow["jobs"]["notify"]["steps"][0]["env"]["RECIPIENTS"].as_str(),
        Some("oncall@example.org"),
        "the workflow follows the delivery changed in code"
    );
    let readme = file(&generated, "README.md");
    assert!(readme.contains("`oncall@example.org`"), "the README names the recipients changed in code:\n{readme}");

    // The customized stack is checked like a spec: a privileged port is refused at `app.port`.
    let error = generate_with(&spec, |stack| stack.with_app(|app| app.port = 80)).expect_err("refused");
    let GenerateError::Invalid(diagnostics) = error else { panic!("{error:?}") };
    let found: Vec<String> = diagnostics.iter().map(|d| format!("{}: {}", d.path, d.rule)).collect();
    assert_eq!(found, ["app.port: unprivileged-port"]);
}
