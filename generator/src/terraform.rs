//! Assembles the Terraform root module and one local child module per stack module, in the Azure
//! Verified Modules layout: `terraform.tf`, `main.tf`, `variables.tf`, `outputs.tf`.

use std::collections::BTreeMap;

use hcl::{Block, Body, Expression};
use stackgen_modules::hcl_util::{call, object, string, string_map, strings, traversal, var};
use stackgen_modules::module::is_module_name;
use stackgen_modules::{
    ClusterConnection, ClusterCredentials, Contributions, Module, Output, OutputRef, ProviderRequirement, RenderError,
    RenderedModule, StackContext, StackSettings, Variable,
};

use stackgen_modules::stack::Backend;

use crate::generated::{GenerateError, Generated};

/// Minimum Terraform version of generated roots (provider-defined functions, `nullable`, …).
pub const REQUIRED_TERRAFORM: &str = ">= 1.9, < 2.0";

/// The Entra ID server application every AKS cluster with Entra ID authentication trusts;
/// kubelogin asks for tokens for it.
pub const AKS_AAD_SERVER_ID: &str = "6dae42f8-4368-4678-94ff-3960e28e3630";

/// What the root module needs besides the modules.
#[derive(Debug, Clone)]
pub struct RootOptions {
    /// Name, region, resource group, tags, remote state.
    pub settings: StackSettings,
}

/// Renders any list of modules (ours or a user's) into the files under `terraform/` and the
/// modules' warnings, in order: each module may refer to outputs of the modules before it. Then
/// collects every module's [`Contributions`] (which may refer to any module's outputs) for the
/// other renderers; the root's providers and outputs already follow them.
///
/// # Errors
/// When wiring is wrong: names that are not snake_case or used twice, unknown outputs, inputs that
/// are not variables, required variables not passed, no cluster for the helm or kubernetes
/// provider, or two.
pub fn render_modules(
    root: &RootOptions,
    modules: &[&dyn Module],
) -> Result<(Generated, Contributions), GenerateError> {
    let mut generated = Generated::default();
    let mut stack = StackContext::new(root.settings.clone());
    let mut rendered: Vec<(String, RenderedModule)> = Vec::new();
    let mut comments: BTreeMap<String, crate::hclfmt::Comments> = BTreeMap::new();
    for module in modules {
        let name = module.name().to_owned();
        if !is_module_name(&name) {
            return Err(RenderError::InvalidName(name).into());
        }
        if stack.has_module(&name) {
            return Err(RenderError::DuplicateModule(name).into());
        }
        stack.enter(&name);
        let output = module.render(&stack)?;
        check_inputs(&name, &output)?;
        stack.declare(&name, &output);
        generated.warnings.extend(output.warnings.iter().cloned());
        let notes = comments.entry(name.clone()).or_default();
        for comment in module.comments() {
            notes.add(&comment.address, &comment.text);
        }
        rendered.push((name, output));
    }
    let mut contributions = Contributions::default();
    for module in modules {
        stack.enter(module.name());
        contributions.extend(module.name(), module.contribute(&stack)?)?;
    }

    for (name, module) in &rendered {
        let dir = format!("terraform/modules/{name}");
        generated.files.insert(&format!("{dir}/terraform.tf"), hcl_file(&terraform_block(&module.providers, None)))?;
        let main = match comments.get(name) {
            Some(notes) if !notes.is_empty() => {
                let text = crate::hclfmt::to_terraform_string_with_comments(&module.main, notes)
                    .map_err(|e| GenerateError::artifact(&format!("{dir}/main.tf"), e))?;
                with_header(&text)
            }
            _ => hcl_file(&module.main),
        };
        generated.files.insert(&format!("{dir}/main.tf"), main)?;
        generated.files.insert(&format!("{dir}/variables.tf"), hcl_file(&variables_body(&module.variables)))?;
        generated.files.insert(&format!("{dir}/outputs.tf"), hcl_file(&outputs_body(&module.outputs)))?;
    }

    let providers: Vec<ProviderRequirement> = {
        let mut all: BTreeMap<String, ProviderRequirement> = BTreeMap::new();
        for (_, module) in &rendered {
            for provider in &module.providers {
                all.insert(provider.name.clone(), provider.clone());
            }
        }
        all.into_values().collect()
    };
    generated
        .files
        .insert("terraform/terraform.tf", hcl_file(&terraform_block(&providers, root.settings.backend.as_ref())))?;
    let cluster = cluster_for(&providers, &rendered, contributions.cluster.as_ref())?;
    generated.files.insert("terraform/main.tf", hcl_file(&root_main(root, &providers, cluster, &rendered)?))?;
    generated.files.insert("terraform/variables.tf", hcl_file(&variables_body(&root_variables(&rendered)?)))?;
    // Re-exported: outputs marked so, and every output read outside Terraform.
    let read_outside: Vec<&OutputRef> = contributions
        .repository_variables
        .iter()
        .map(|v| &v.value)
        .chain(&contributions.root_outputs)
        .chain(contributions.cluster.iter().flat_map(|c| [&c.name, &c.resource_group]))
        .collect();
    let root_outputs: Vec<Output> = rendered
        .iter()
        .flat_map(|(name, module)| {
            let read_outside = &read_outside;
            module
                .outputs
                .iter()
                .filter(move |o| {
                    o.expose_at_root || read_outside.iter().any(|r| r.module() == name && r.output() == o.name)
                })
                .map(move |o| Output {
                    name: format!("{name}_{}", o.name),
                    value: traversal("module", [name.as_str(), o.name.as_str()]),
                    description: o.description.clone(),
                    sensitive: o.sensitive,
                    expose_at_root: false,
                    depends_on: Vec::new(),
                })
        })
        .collect();
    generated.files.insert("terraform/outputs.tf", hcl_file(&outputs_body(&root_outputs)))?;
    if let Some(tests) = crate::terraform_tests::render(&rendered) {
        generated.files.insert(crate::terraform_tests::PATH, tests.into_bytes())?;
    }
    Ok((generated, contributions))
}

fn check_inputs(name: &str, module: &RenderedModule) -> Result<(), RenderError> {
    for (input, _) in &module.inputs {
        if !module.variables.iter().any(|v| &v.name == input) {
            return Err(RenderError::UndeclaredInput { module: name.to_owned(), input: input.clone() });
        }
    }
    for variable in &module.variables {
        if variable.default.is_none() && !module.inputs.iter().any(|(input, _)| input == &variable.name) {
            return Err(RenderError::MissingInput { module: name.to_owned(), variable: variable.name.clone() });
        }
    }
    Ok(())
}

/// The root's own variables and the ones modules add, each name declared once.
fn root_variables(modules: &[(String, RenderedModule)]) -> Result<Vec<Variable>, RenderError> {
    let mut variables =
        vec![Variable::required("subscription_id", "string", "Azure subscription the stack is deployed to.").validate(
            stackgen_modules::hcl_util::matches_regex(
                "^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$",
                var("subscription_id"),
            ),
            "The subscription ID must be a UUID.",
        )];
    for (name, module) in modules {
        for variable in &module.root_variables {
            if variables.iter().any(|v| v.name == variable.name) {
                return Err(RenderError::Invalid {
                    module: name.clone(),
                    message: format!("root variable `{}` is already declared", variable.name),
                });
            }
            variables.push(variable.clone());
        }
    }
    Ok(variables)
}

/// The `provider` blocks modules add, after checking that none configures a provider a second
/// time without an alias.
fn module_providers<'m>(
    configured: &[&str],
    modules: &'m [(String, RenderedModule)],
) -> Result<Vec<&'m Block>, RenderError> {
    let mut default_configs: Vec<String> = configured.iter().map(|p| (*p).to_owned()).collect();
    let mut blocks = Vec::new();
    for (name, module) in modules {
        for block in &module.root_providers {
            let invalid = |message: String| RenderError::Invalid { module: name.clone(), message };
            let label = match (block.identifier.as_str(), block.labels.as_slice()) {
                ("provider", [label]) => label.as_str().to_owned(),
                _ => return Err(invalid("a root provider must be a `provider \"<name>\"` block".to_owned())),
            };
            let aliased = block.body.attributes().any(|a| a.key.as_str() == "alias");
            if !aliased {
                if default_configs.contains(&label) {
                    return Err(invalid(format!(
                        "provider `{label}` is already configured in the root; give this configuration an `alias`"
                    )));
                }
                default_configs.push(label);
            }
            blocks.push(block);
        }
    }
    Ok(blocks)
}

fn terraform_block(providers: &[ProviderRequirement], backend: Option<&Backend>) -> Body {
    let mut required = Block::builder("required_providers");
    for provider in providers {
        required = required.add_attribute((
            provider.name.as_str(),
            object([("source", string(provider.source.clone())), ("version", string(provider.version.clone()))]),
        ));
    }
    let mut terraform =
        Block::builder("terraform").add_attribute(("required_version", REQUIRED_TERRAFORM)).add_block(required.build());
    if let Some(backend) = backend {
        terraform = terraform.add_block(
            Block::builder("backend")
                .add_label("azurerm")
                .add_attribute(("resource_group_name", backend.resource_group_name.as_str()))
                .add_attribute(("storage_account_name", backend.storage_account_name.as_str()))
                .add_attribute(("container_name", backend.container_name.as_str()))
                .add_attribute(("key", backend.key.as_str()))
                .add_attribute(("use_azuread_auth", true))
                .build(),
        );
    }
    Body::builder().add_block(terraform.build()).build()
}

/// The cluster connection, required when a module uses the helm or kubernetes provider.
fn cluster_for<'c>(
    providers: &[ProviderRequirement],
    modules: &[(String, RenderedModule)],
    cluster: Option<&'c ClusterConnection>,
) -> Result<Option<&'c ClusterConnection>, RenderError> {
    if cluster.is_some() {
        return Ok(cluster);
    }
    match providers.iter().find(|p| p.name == "helm" || p.name == "kubernetes") {
        None => Ok(None),
        Some(provider) => {
            let module = modules
                .iter()
                .find(|(_, m)| m.providers.iter().any(|p| p.name == provider.name))
                .map(|(name, _)| name.clone())
                .unwrap_or_default();
            Err(RenderError::NoCluster { module, provider: provider.name.clone() })
        }
    }
}

fn root_main(
    root: &RootOptions,
    providers: &[ProviderRequirement],
    cluster: Option<&ClusterConnection>,
    modules: &[(String, RenderedModule)],
) -> Result<Body, RenderError> {
    let uses = |name: &str| providers.iter().any(|p| p.name == name);
    let configured: Vec<&str> = ["azurerm", "azuread", "helm", "kubernetes"]
        .into_iter()
        .filter(|name| uses(name) && (!matches!(*name, "helm" | "kubernetes") || cluster.is_some()))
        .collect();
    let mut body = Body::builder().add_block(
        Block::builder("locals")
            .add_attribute(("name", string(root.settings.name.clone())))
            .add_attribute(("tags", tags_expression(&root.settings.tags)))
            .build(),
    );
    if uses("azurerm") {
        body = body.add_block(
            Block::builder("provider")
                .add_label("azurerm")
                .add_attribute(("subscription_id", var("subscription_id")))
                .add_attribute(("storage_use_azuread", true))
                .add_block(Block::builder("features").build())
                .build(),
        );
    }
    if uses("azuread") {
        body = body.add_block(Block::builder("provider").add_label("azuread").build());
    }
    if let Some(cluster) = cluster.filter(|_| uses("helm")) {
        let mut kubernetes = cluster_connection(cluster);
        if cluster.credentials == ClusterCredentials::AzureCli {
            kubernetes.push(("exec", object(kubelogin_exec())));
        }
        body = body.add_block(
            Block::builder("provider").add_label("helm").add_attribute(("kubernetes", object(kubernetes))).build(),
        );
    }
    if let Some(cluster) = cluster.filter(|_| uses("kubernetes")) {
        let mut provider = Block::builder("provider").add_label("kubernetes");
        for attribute in cluster_connection(cluster) {
            provider = provider.add_attribute(attribute);
        }
        if cluster.credentials == ClusterCredentials::AzureCli {
            // The kubernetes provider takes `exec` as a block where helm 3.x takes an object.
            let mut exec = Block::builder("exec");
            for attribute in kubelogin_exec() {
                exec = exec.add_attribute(attribute);
            }
            provider = provider.add_block(exec.build());
        }
        body = body.add_block(provider.build());
    }
    for block in module_providers(&configured, modules)? {
        body = body.add_block(block.clone());
    }
    for (name, module) in modules {
        let mut block =
            Block::builder("module").add_label(name.as_str()).add_attribute(("source", format!("./modules/{name}")));
        for (input, value) in &module.inputs {
            block = block.add_attribute((input.as_str(), value.clone()));
        }
        body = body.add_block(block.build());
    }
    Ok(body.build())
}

/// Host, CA certificate and, with local accounts, the client certificate: what the helm and
/// kubernetes providers need to reach the cluster, apart from `exec`.
fn cluster_connection(cluster: &ClusterConnection) -> Vec<(&'static str, Expression)> {
    let mut attributes = vec![
        ("host", cluster.host.expression()),
        ("cluster_ca_certificate", cluster.cluster_ca_certificate.expression()),
    ];
    if let ClusterCredentials::ClientCertificate { certificate, key } = &cluster.credentials {
        attributes.push(("client_certificate", call("base64decode", [certificate.expression()])));
        attributes.push(("client_key", call("base64decode", [key.expression()])));
    }
    attributes
}

/// kubelogin as a client-go credential plugin, reusing the Azure CLI login of whoever runs
/// Terraform (a person, or CI after `azure/login`).
fn kubelogin_exec() -> Vec<(&'static str, Expression)> {
    vec![
        ("api_version", string("client.authentication.k8s.io/v1beta1")),
        ("command", string("kubelogin")),
        ("args", strings(["get-token", "--login", "azurecli", "--server-id", AKS_AAD_SERVER_ID])),
    ]
}

fn tags_expression(tags: &BTreeMap<String, String>) -> Expression {
    let mut all = tags.clone();
    all.entry("managed-by".to_owned()).or_insert_with(|| "stackgen".to_owned());
    string_map(&all)
}

fn variables_body(variables: &[Variable]) -> Body {
    let mut sorted: Vec<&Variable> = variables.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut body = Body::builder();
    for variable in sorted {
        let mut block = Block::builder("variable")
            .add_label(variable.name.as_str())
            .add_attribute(("type", variable.type_constraint.clone()))
            .add_attribute(("description", variable.description.as_str()));
        if let Some(default) = &variable.default {
            block = block.add_attribute(("default", default.clone()));
        }
        if variable.non_nullable {
            block = block.add_attribute(("nullable", false));
        }
        if variable.sensitive {
            block = block.add_attribute(("sensitive", true));
        }
        for validation in &variable.validations {
            block = block.add_block(
                Block::builder("validation")
                    .add_attribute(("condition", validation.condition.clone()))
                    .add_attribute(("error_message", validation.error_message.as_str()))
                    .build(),
            );
        }
        body = body.add_block(block.build());
    }
    body.build()
}

fn outputs_body(outputs: &[Output]) -> Body {
    let mut sorted: Vec<&Output> = outputs.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut body = Body::builder();
    for output in sorted {
        let mut block = Block::builder("output")
            .add_label(output.name.as_str())
            .add_attribute(("description", output.description.as_str()))
            .add_attribute(("value", output.value.clone()));
        if output.sensitive {
            block = block.add_attribute(("sensitive", true));
        }
        if !output.depends_on.is_empty() {
            block = block.add_attribute(("depends_on", Expression::Array(output.depends_on.clone())));
        }
        body = body.add_block(block.build());
    }
    body.build()
}

/// The generated-file header, a blank line, then `terraform fmt`-identical text.
pub fn hcl_file(body: &Body) -> Vec<u8> {
    with_header(&crate::hclfmt::to_terraform_string(body))
}

fn with_header(text: &str) -> Vec<u8> {
    let text = if text.trim().is_empty() { String::new() } else { format!("\n{text}") };
    let mut out = crate::hclfmt::with_header("#", &text);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.into_bytes()
}
