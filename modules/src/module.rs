//! The seam every module plugs into, ours and a user's alike.
//!
//! A module is a struct that implements [`Module`]. Through that one trait it reaches every
//! artifact of the stack; the generator only assembles what modules hand it.
//!
//! | To add …                                        | hook                | with                                                                   |
//! |-------------------------------------------------|---------------------|------------------------------------------------------------------------|
//! | rules on its settings, every broken one at once | [`Module::validate`] | [`Diagnostics::push`](crate::Diagnostics::push) at a [`FieldPath`]   |
//! | a Terraform child module `terraform/modules/<name>/` and its `module` block in the root | [`Module::render`] | [`RenderedModule`]: [`Inputs`] of [`Variable`]s, `main` blocks, [`Output`]s, providers |
//! | a value of another module, in Terraform         | [`Module::render`]   | [`StackContext::output`]: checked, a missing one is a [`RenderError`] naming both modules |
//! | a root variable or `provider` block             | [`Module::render`]   | [`RenderedModule::root_variables`], [`RenderedModule::root_providers`] |
//! | comments (`#checkov:skip=…`, the why) inside its blocks | [`Module::comments`] | [`BlockComment`]                                            |
//! | an environment variable of the workload (chart values) | [`Module::contribute`] | [`Contributions::workload_env`]                                  |
//! | a repository variable set from one of its outputs | [`Module::contribute`] | [`Contributions::repository_variable`] with an [`OutputRef`] from [`StackContext::reference`] |
//! | a step in a job of the delivery workflow        | [`Module::contribute`] | [`Contributions::workflow_step`] ([`WorkflowStep`], [`WorkflowJob`]) |
//! | a whole job of the delivery workflow            | [`Module::contribute`] | [`Contributions::workflow_job`] ([`ContributedJob`])                 |
//! | a README step or design note                    | [`Module::contribute`] | [`Contributions::readme_step`], [`Contributions::readme_note`]       |
//! | a file outside `terraform/`                     | [`Module::contribute`] | [`Contributions::file`]                                              |
//! | the cluster the helm and kubernetes providers use | [`Module::contribute`] | [`Contributions::cluster`] ([`ClusterConnection`]), once per stack |
//!
//! `render` runs in stack order and sees the outputs of the modules before it; `contribute` runs
//! after every module rendered and sees all outputs, its own included. Values known only after
//! `terraform apply` never appear in generated text: they travel as [`OutputRef`]s, which become
//! root outputs (and `terraform output` in the README) automatically.
//!
//! # Adding a module
//!
//! 1. Hold the module's settings in a struct; its name (snake_case) is its folder, its `module`
//!    label and the prefix of its root outputs.
//! 2. Declare each input once: the [`Variable`] (type, description, default, rules from
//!    [`crate::rules`], which also yield the HCL `validation`), what the root passes
//!    ([`Variable::passed`], [`Variable::passed_default`]) and, when a resource attribute is named
//!    otherwise than the variable, [`Input::sets`]. Resource blocks take their attributes from
//!    [`Inputs::attribute`], so no block reads a variable nobody declares.
//! 3. Hand out outputs; refer to other modules' outputs only through [`StackContext`].
//! 4. Contribute to the other artifacts, and add the module to a stack: `Stack::push`,
//!    `insert_before` or `replace` (in `stackgen::generator`, through `generate_with`).
//!
//! ```
//! use hcl::Block;
//! use stackgen_modules::hcl_util::{string, traversal};
//! use stackgen_modules::{
//!     Contributions, Diagnostics, FieldPath, Inputs, Module, Output, ProviderRequirement, ReadmeStep,
//!     RenderError, RenderedModule, StackContext, StackSettings, Variable, WorkflowJob, WorkflowStep,
//! };
//!
//! /// A storage account for the app's uploads.
//! struct Uploads {
//!     replication: &'static str,
//! }
//!
//! impl Module for Uploads {
//!     fn name(&self) -> &str {
//!         "uploads"
//!     }
//!
//!     fn validate(&self, at: &FieldPath, diagnostics: &mut Diagnostics) {
//!         if !["LRS", "ZRS", "GRS"].contains(&self.replication) {
//!             diagnostics.push(at.key("replication"), "one-of", "must be LRS, ZRS or GRS");
//!         }
//!     }
//!
//!     fn render(&self, stack: &StackContext) -> Result<RenderedModule, RenderError> {
//!         let mut inputs = Inputs::new(stack);
//!         inputs.extend([
//!             Variable::required("name", "string", "Account name.").passed(string("uploads")),
//!             Variable::setting("replication", "Replication.", self.replication)
//!                 .passed_default()
//!                 .sets("account_replication_type"),
//!         ]);
//!         let account = Block::builder("resource")
//!             .add_label("azurerm_storage_account")
//!             .add_label("this")
//!             .add_attributes(inputs.attributes(["name", "account_replication_type"])?)
//!             .build();
//!         let id = traversal("azurerm_storage_account", ["this", "id"]);
//!         Ok(RenderedModule {
//!             providers: vec![ProviderRequirement::azurerm()],
//!             main: hcl::Body::builder().add_block(account).build(),
//!             outputs: vec![Output::new("id", id, "Resource ID of the account.")],
//!             ..RenderedModule::default()
//!         }
//!         .with_inputs(inputs))
//!     }
//!
//!     fn contribute(&self, stack: &StackContext) -> Result<Contributions, RenderError> {
//!         let id = stack.reference(self.name(), "id")?; // checked: a typo is a RenderError
//!         Ok(Contributions::new()
//!             .workload_env("UPLOADS_CONTAINER", "uploads")
//!             .repository_variable("UPLOADS_ACCOUNT_ID", id.clone())
//!             .workflow_step(WorkflowStep {
//!                 job: WorkflowJob::Deploy,
//!                 name: "Show the uploads account".to_owned(),
//!                 run: "echo \"$ACCOUNT\" >> \"$GITHUB_STEP_SUMMARY\"".to_owned(),
//!                 env: vec![("ACCOUNT".to_owned(), "UPLOADS_ACCOUNT_ID".to_owned())],
//!             })
//!             .readme_step("Find the uploads", format!("`terraform output {}`", id.root_output()))
//!             .file("docs/uploads.md", "# Uploads\n"))
//!     }
//! }
//!
//! let mut stack = StackContext::new(StackSettings::default());
//! stack.enter("uploads");
//! let rendered = Uploads { replication: "ZRS" }.render(&stack)?;
//! let main = hcl::format::to_string(&rendered.main)?;
//! assert!(main.contains("account_replication_type = var.replication"), "{main}");
//! assert_eq!(rendered.inputs[1].0, "replication", "the root passes the setting");
//! stack.declare("uploads", &rendered);
//! let contributed = Uploads { replication: "ZRS" }.contribute(&stack)?;
//! assert_eq!(contributed.readme_steps, [ReadmeStep {
//!     title: "Find the uploads".into(),
//!     body: "`terraform output uploads_id`".into(),
//! }]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A module is usually a section of the spec. One that needs nothing beyond its own settings
//! implements [`Module`] itself (`&spec.acr` is then a module); one that also needs values from
//! other sections implements [`Section`] and is a [`SectionModule`] (`AksModule`): see
//! [`crate::section`] for what belongs in that context and what must be an output instead.
//!
//! Change the app or its delivery with `Stack::with_app` / `with_delivery`: the chart, the
//! workflows and the README are built from the stack, never from the raw spec.
//! `examples/custom_stack.rs` is a whole module, with a test asserting each artifact it reaches.

use std::collections::BTreeMap;

use hcl::{Block, Body, Expression};

pub use crate::contribution::{
    ClusterConnection, ClusterCredentials, ContributedJob, Contributions, OutputRef, ReadmeNote, ReadmeStep,
    RepositoryVariable, ShellStep, WorkflowJob, WorkflowStep,
};
use crate::diagnostics::{Diagnostics, FieldPath};
pub use crate::error::RenderError;
use crate::rules::{OneOf, Range, Rule};
pub use crate::section::{Section, SectionModule};
pub use crate::stack::StackSettings;

/// A piece of the stack that renders to one local Terraform child module
/// (`terraform/modules/<name>/`) and a `module "<name>"` block in the root.
///
/// Implement it for your own struct and add it to a stack with the same call stackgen uses for its
/// own modules; the generator only assembles.
pub trait Module {
    /// Folder under `terraform/modules/`, the `module "<name>"` label in the root and the prefix
    /// of its root outputs: snake_case (`^[a-z][a-z0-9_]*$`), checked when the stack renders.
    fn name(&self) -> &str;

    /// Pushes every rule broken, with field paths below `at`. Never stops at the first.
    fn validate(&self, at: &FieldPath, diagnostics: &mut Diagnostics);

    /// The child module and the inputs the root passes to it. Outputs of modules added earlier are
    /// reachable through `stack`.
    fn render(&self, stack: &StackContext) -> Result<RenderedModule, RenderError>;

    /// Comments placed as the first lines inside blocks of the module's `main.tf`: the security
    /// posture as data (`#checkov:skip=CKV_…:why` inside the resource it relaxes) and the why of
    /// non-obvious settings. None by default.
    fn comments(&self) -> Vec<BlockComment> {
        Vec::new()
    }

    /// What the module adds to the artifacts besides Terraform: the chart's values, the
    /// workflows, the repository variables, the README, extra files, the cluster connection.
    /// Called after every module has rendered, so `stack` resolves the outputs of all of them
    /// (including this module's own). Nothing by default.
    fn contribute(&self, stack: &StackContext) -> Result<Contributions, RenderError> {
        let _ = stack;
        Ok(Contributions::default())
    }
}

/// A module borrowed from the value that holds its settings: a spec section that implements
/// [`Module`] itself (`&spec.acr`) goes into a stack as it is, with no wrapper struct per module.
impl<M: Module + ?Sized> Module for &M {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn validate(&self, at: &FieldPath, diagnostics: &mut Diagnostics) {
        (**self).validate(at, diagnostics);
    }
    fn render(&self, stack: &StackContext) -> Result<RenderedModule, RenderError> {
        (**self).render(stack)
    }
    fn comments(&self) -> Vec<BlockComment> {
        (**self).comments()
    }
    fn contribute(&self, stack: &StackContext) -> Result<Contributions, RenderError> {
        (**self).contribute(stack)
    }
}

/// True for snake_case names: a lowercase letter, then lowercase letters, digits and `_`.
pub fn is_module_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// One comment line inside a block of a module's `main.tf`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockComment {
    /// The block's address: its type and labels joined by `.`, such as
    /// `resource.azurerm_kubernetes_cluster.this`; nested blocks extend it.
    pub address: String,
    /// The comment, without `#`.
    pub text: String,
}

impl BlockComment {
    /// A comment inside the resource `resource_type.name`.
    pub fn resource(resource_type: &str, name: &str, text: impl Into<String>) -> Self {
        Self { address: format!("resource.{resource_type}.{name}"), text: text.into() }
    }

    /// `checkov:skip=<id>:<reason>` inside the resource `resource_type.name`: a deliberate,
    /// explained exception that scanners and reviewers both read.
    pub fn checkov_skip(resource_type: &str, name: &str, id: &str, reason: &str) -> Self {
        Self::resource(resource_type, name, format!("checkov:skip={id}:{reason}"))
    }
}

/// A Terraform provider a module needs, pinned in the root's `required_providers`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ProviderRequirement {
    /// Local name, such as `azurerm`.
    pub name: String,
    /// Registry source, such as `hashicorp/azurerm`.
    pub source: String,
    /// Version constraint, such as `~> 4.55`.
    pub version: String,
}

impl ProviderRequirement {
    /// `hashicorp/azurerm`, 4.x.
    pub fn azurerm() -> Self {
        Self::hashicorp("azurerm", "~> 4.55")
    }
    /// `hashicorp/azuread`, 3.x.
    pub fn azuread() -> Self {
        Self::hashicorp("azuread", "~> 3.7")
    }
    /// `hashicorp/helm`, 3.x.
    pub fn helm() -> Self {
        Self::hashicorp("helm", "~> 3.1")
    }
    /// `hashicorp/kubernetes`, 2.x.
    pub fn kubernetes() -> Self {
        Self::hashicorp("kubernetes", "~> 2.38")
    }
    /// Any provider published under `hashicorp/`.
    pub fn hashicorp(name: &str, version: &str) -> Self {
        Self { name: name.to_owned(), source: format!("hashicorp/{name}"), version: version.to_owned() }
    }
}

/// A `validation` block of a variable.
#[derive(Debug, Clone, PartialEq)]
pub struct Validation {
    /// The condition, referring to `var.<name>`.
    pub condition: Expression,
    /// Shown by Terraform when the condition is false. Must end with a full stop.
    pub error_message: String,
    /// Inputs that break exactly this validation (variable name → value; the module's other
    /// inputs valid), derived from the rule that built it. The generated `terraform test` proves
    /// the validation bites with them (`expect_failures`). Empty for a bare [`Variable::validate`].
    pub rejected: Vec<(String, Expression)>,
}

/// A child module variable.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    /// snake_case name.
    pub name: String,
    /// Type constraint, such as `string` or `list(string)`; see [`crate::hcl_util::type_expr`].
    pub type_constraint: Expression,
    /// One sentence for `variables.tf` and the docs.
    pub description: String,
    /// Default; `None` makes the variable required.
    pub default: Option<Expression>,
    /// Hide the value in plans.
    pub sensitive: bool,
    /// `nullable = false` (recommended for collections).
    pub non_nullable: bool,
    /// Rules mirroring the Rust validation, so hand edits to the inputs are checked too.
    pub validations: Vec<Validation>,
}

impl Variable {
    /// A required variable.
    pub fn required(name: &str, type_constraint: &str, description: &str) -> Self {
        Self {
            name: name.to_owned(),
            type_constraint: crate::hcl_util::type_expr(type_constraint),
            description: description.to_owned(),
            default: None,
            sensitive: false,
            non_nullable: false,
            validations: Vec::new(),
        }
    }

    /// An optional variable with a default.
    pub fn optional(name: &str, type_constraint: &str, description: &str, default: Expression) -> Self {
        Self { default: Some(default), ..Self::required(name, type_constraint, description) }
    }

    /// A `list(string)` variable, empty by default and never null: a list the spec may leave
    /// empty (pass the spec's items with [`Variable::passed`]).
    pub fn string_list(name: &str, description: &str) -> Self {
        Self::optional(name, "list(string)", description, Expression::Array(Vec::new())).non_nullable()
    }

    /// An optional variable defaulting to a setting of the spec, its type that of the Rust value
    /// (`string`, `number` or `bool`): `Variable::setting("max_pods", "Pods per node.", 110)`.
    pub fn setting(name: &str, description: &str, default: impl SettingValue) -> Self {
        Self::optional(name, default.type_name(), description, default.into_expression())
    }

    /// Adds a validation block. Prefer the rule-built ones ([`Variable::rule`], [`Variable::range`],
    /// [`Variable::one_of`]), which also know a value the validation rejects; for a condition over
    /// several variables, [`Variable::validate_rejecting`].
    pub fn validate(mut self, condition: Expression, error_message: &str) -> Self {
        self.validations.push(Validation { condition, error_message: error_message.to_owned(), rejected: Vec::new() });
        self
    }

    /// Adds a validation block together with inputs that break it (see [`Validation::rejected`]).
    pub fn validate_rejecting<'n>(
        mut self,
        condition: Expression,
        error_message: &str,
        rejected: impl IntoIterator<Item = (&'n str, Expression)>,
    ) -> Self {
        let rejected = rejected.into_iter().map(|(name, value)| (name.to_owned(), value)).collect();
        self.validations.push(Validation { condition, error_message: error_message.to_owned(), rejected });
        self
    }

    /// Marks the variable `nullable = false`.
    pub fn non_nullable(mut self) -> Self {
        self.non_nullable = true;
        self
    }

    /// Marks the variable sensitive.
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// This variable together with the value the root passes to it: one declaration for both.
    pub fn passed(self, value: impl Into<Expression>) -> Input {
        Input { variable: self, value: Some(value.into()), sets: Vec::new() }
    }

    /// A variable the root passes nothing: it keeps its default.
    pub fn into_input(self) -> Input {
        Input { variable: self, value: None, sets: Vec::new() }
    }

    /// An optional variable the root passes its own default, so the child module documents the
    /// value this stack uses and the root states it: the value is written once, here. A required
    /// variable has no default and is passed nothing.
    pub fn passed_default(self) -> Input {
        let value = self.default.clone();
        Input { variable: self, value, sets: Vec::new() }
    }
}

/// One input of a child module, declared once: the variable (type, description, default, rules),
/// the value the root passes to it, and the resource attributes that read it.
/// [`RenderedModule::with_inputs`] splits it into the first two; resource blocks take the
/// attributes from [`Inputs::attribute`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Input {
    /// The child module's variable.
    pub variable: Variable,
    /// What the root passes; `None` leaves the variable at its default.
    pub value: Option<Expression>,
    /// Resource attributes named otherwise than the variable that are set to it
    /// (`dns_prefix = var.name`); an attribute named like the variable reads it anyway.
    pub sets: Vec<String>,
}

impl Input {
    /// Also sets the resource attribute `attribute`, named otherwise than the variable
    /// (`dns_prefix = var.name`).
    #[must_use]
    pub fn sets(mut self, attribute: &str) -> Self {
        self.sets.push(attribute.to_owned());
        self
    }
}

/// The inputs of the module rendering now, in the order the root passes them. Resource blocks
/// take from here the attributes that read them, wherever the attribute sits in the block (its
/// order there is the block's, not the inputs'), so no block names a variable nobody declares.
#[derive(Debug, Clone, PartialEq)]
pub struct Inputs {
    module: String,
    inputs: Vec<Input>,
}

impl Inputs {
    /// No inputs yet, for the module `stack` is rendering.
    pub fn new(stack: &StackContext) -> Self {
        Self { module: stack.current().to_owned(), inputs: Vec::new() }
    }

    /// Appends an input.
    pub fn push(&mut self, input: Input) {
        self.inputs.push(input);
    }

    /// `attribute = var.<name>` for the one input named `attribute` or declared to set it
    /// ([`Input::sets`]).
    ///
    /// # Errors
    /// [`RenderError::Invalid`] when no input does (the block would read an undeclared variable)
    /// or several do (which one the block reads would be a guess): set such an attribute from
    /// the variable by hand.
    pub fn attribute(&self, attribute: &str) -> Result<(String, Expression), RenderError> {
        let mut readers = self
            .inputs
            .iter()
            .filter(|input| input.variable.name == attribute || input.sets.iter().any(|set| set == attribute));
        let invalid = |message: String| RenderError::Invalid { module: self.module.clone(), message };
        match (readers.next(), readers.next()) {
            (Some(input), None) => Ok((attribute.to_owned(), crate::hcl_util::var(&input.variable.name))),
            (None, _) => Err(invalid(format!(
                "a resource sets `{attribute}` from an input, but no input is named so or sets it"
            ))),
            (Some(first), Some(second)) => Err(invalid(format!(
                "a resource sets `{attribute}` from an input, but both `{}` and `{}` set it",
                first.variable.name, second.variable.name
            ))),
        }
    }

    /// [`Inputs::attribute`] for each of `attributes`, in that order.
    ///
    /// # Errors
    /// As [`Inputs::attribute`].
    pub fn attributes<'n>(
        &self,
        attributes: impl IntoIterator<Item = &'n str>,
    ) -> Result<Vec<(String, Expression)>, RenderError> {
        attributes.into_iter().map(|attribute| self.attribute(attribute)).collect()
    }
}

impl Extend<Input> for Inputs {
    fn extend<I: IntoIterator<Item = Input>>(&mut self, inputs: I) {
        self.inputs.extend(inputs);
    }
}

impl IntoIterator for Inputs {
    type Item = Input;
    type IntoIter = std::vec::IntoIter<Input>;
    fn into_iter(self) -> Self::IntoIter {
        self.inputs.into_iter()
    }
}

/// A Rust value a spec setting holds, as the default of a variable ([`Variable::setting`]).
pub trait SettingValue {
    /// Its Terraform type.
    fn type_name(&self) -> &'static str;
    /// Its HCL value.
    fn into_expression(self) -> Expression;
}

impl SettingValue for &str {
    fn type_name(&self) -> &'static str {
        "string"
    }
    fn into_expression(self) -> Expression {
        Expression::String(self.to_owned())
    }
}

impl SettingValue for String {
    fn type_name(&self) -> &'static str {
        "string"
    }
    fn into_expression(self) -> Expression {
        Expression::String(self)
    }
}

impl SettingValue for u32 {
    fn type_name(&self) -> &'static str {
        "number"
    }
    fn into_expression(self) -> Expression {
        Expression::from(self)
    }
}

impl SettingValue for bool {
    fn type_name(&self) -> &'static str {
        "bool"
    }
    fn into_expression(self) -> Expression {
        Expression::Bool(self)
    }
}

/// A child module output.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// snake_case name.
    pub name: String,
    /// Value expression, inside the child module.
    pub value: Expression,
    /// One sentence.
    pub description: String,
    /// Hide the value in plans.
    pub sensitive: bool,
    /// Also expose it as a root output (for example the ids CI needs).
    pub expose_at_root: bool,
    /// Resources that must exist before the value is used (for example a role assignment that
    /// must be in place before providers configured from this output talk to the cluster).
    pub depends_on: Vec<Expression>,
}

impl Output {
    /// An output visible to other modules.
    pub fn new(name: &str, value: Expression, description: &str) -> Self {
        Self {
            name: name.to_owned(),
            value,
            description: description.to_owned(),
            sensitive: false,
            expose_at_root: false,
            depends_on: Vec::new(),
        }
    }

    /// Marks the output sensitive.
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// Re-exports the output from the root module.
    pub fn at_root(mut self) -> Self {
        self.expose_at_root = true;
        self
    }

    /// Makes users of the output wait for `resource` too.
    pub fn after(mut self, resource: Expression) -> Self {
        self.depends_on.push(resource);
        self
    }
}

/// What a module renders to.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RenderedModule {
    /// Providers the child module uses.
    pub providers: Vec<ProviderRequirement>,
    /// `variables.tf` (sorted by the generator).
    pub variables: Vec<Variable>,
    /// `main.tf`: resources, data sources and locals, in order.
    pub main: Body,
    /// `outputs.tf` (sorted by the generator).
    pub outputs: Vec<Output>,
    /// What the root passes to `module "<name>"`, in order.
    pub inputs: Vec<(String, Expression)>,
    /// Things the user should know, printed by the CLI (for example a retired upstream project).
    pub warnings: Vec<String>,
    /// Variables of the root module, for values only whoever runs Terraform knows; the module
    /// passes them on in `inputs` as `var.<name>`. A name the root or another module already
    /// declares is a [`RenderError`].
    pub root_variables: Vec<Variable>,
    /// `provider` blocks for the root's `main.tf`, after stackgen's own: configuration of a
    /// provider the module needs. One stackgen configures itself (azurerm, azuread, helm,
    /// kubernetes) or another module configures is a [`RenderError`] unless it sets an `alias`.
    pub root_providers: Vec<Block>,
}

impl RenderedModule {
    /// Adds each input's variable, and the value the root passes, in order.
    #[must_use]
    pub fn with_inputs(mut self, inputs: impl IntoIterator<Item = Input>) -> Self {
        for Input { variable, value, .. } in inputs {
            if let Some(value) = value {
                self.inputs.push((variable.name.clone(), value));
            }
            self.variables.push(variable);
        }
        self
    }
}

/// What a module sees of the stack while it renders: the stack settings and the outputs declared
/// by the modules rendered before it.
#[derive(Debug, Clone, Default)]
pub struct StackContext {
    /// The module rendering now (for error messages).
    current: String,
    settings: StackSettings,
    declared: BTreeMap<String, Vec<String>>,
}

impl StackContext {
    /// A context for a stack with `settings` and no modules rendered yet.
    pub fn new(settings: StackSettings) -> Self {
        Self { settings, ..Self::default() }
    }

    /// Stack-wide settings.
    pub fn settings(&self) -> &StackSettings {
        &self.settings
    }

    /// Records a rendered module's outputs so later modules can refer to them.
    pub fn declare(&mut self, module: &str, rendered: &RenderedModule) {
        self.declared.insert(module.to_owned(), rendered.outputs.iter().map(|o| o.name.clone()).collect());
    }

    /// Sets which module is rendering (used in error messages).
    pub fn enter(&mut self, module: &str) {
        self.current = module.to_owned();
    }

    /// True when a module of that name was rendered before.
    pub fn has_module(&self, module: &str) -> bool {
        self.declared.contains_key(module)
    }

    /// The module rendering or contributing now.
    pub fn current(&self) -> &str {
        &self.current
    }

    /// `module.<module>.<output>`, checked: fails when no earlier module declares that output.
    pub fn output(&self, module: &str, output: &str) -> Result<Expression, RenderError> {
        self.reference(module, output).map(|r| r.expression())
    }

    /// A typed reference to `module`'s `output`, checked: fails with [`RenderError::UnknownOutput`]
    /// naming both modules when `module` does not declare it (while rendering Terraform, only
    /// modules before the current one count).
    pub fn reference(&self, module: &str, output: &str) -> Result<OutputRef, RenderError> {
        match self.declared.get(module) {
            Some(outputs) if outputs.iter().any(|o| o == output) => Ok(OutputRef::new(module, output)),
            _ => Err(RenderError::UnknownOutput {
                module: self.current.clone(),
                target: module.to_owned(),
                output: output.to_owned(),
            }),
        }
    }
}

/// Validation blocks built from the rules in [`crate::rules`]: one definition of a rule yields both
/// the Rust check and the HCL condition.
impl Variable {
    /// Adds the `validation` block of `rule`, with `subject` naming the input in the message
    /// (`The <subject> must be …`). Optional variables defaulting to `null` accept `null`.
    pub fn rule(self, rule: &Rule, subject: &str) -> Self {
        let value = crate::hcl_util::var(&self.name);
        let condition = if self.default == Some(Expression::Null) {
            rule.hcl_condition_or_null(value)
        } else {
            rule.hcl_condition(value)
        };
        let rejected = rule.rejected_value().map(crate::hcl_util::string);
        self.validate_own(condition, &rule.error_message(subject), rejected)
    }

    /// Adds the `validation` block of `rule` applied to every item of a list variable.
    pub fn rule_each(self, rule: &Rule, subject: &str) -> Self {
        let condition = rule.hcl_condition_all(crate::hcl_util::var(&self.name));
        let rejected = rule.rejected_value().map(|bad| Expression::Array(vec![crate::hcl_util::string(bad)]));
        self.validate_own(condition, &format!("Each of the {subject} must be {}.", rule.requirement), rejected)
    }

    /// Adds the `validation` block of a number range.
    pub fn range(self, range: Range, subject: &str) -> Self {
        let condition = range.hcl_condition(crate::hcl_util::var(&self.name));
        let rejected = range.rejected_value().map(Expression::from);
        self.validate_own(condition, &range.error_message(subject), rejected)
    }

    /// Adds the `validation` block of an enumeration.
    pub fn one_of(self, one_of: OneOf, subject: &str) -> Self {
        let condition = one_of.hcl_condition(crate::hcl_util::var(&self.name));
        let rejected = one_of.rejected_value().map(crate::hcl_util::string);
        self.validate_own(condition, &one_of.error_message(subject), rejected)
    }

    /// A validation over this variable alone, rejecting `rejected` when the rule knows one.
    fn validate_own(self, condition: Expression, error_message: &str, rejected: Option<Expression>) -> Self {
        let name = self.name.clone();
        self.validate_rejecting(condition, error_message, rejected.map(|value| (name.as_str(), value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_input_declares_the_variable_and_the_value_the_root_passes_once() {
        let one = Expression::from(1);
        let module = RenderedModule::default().with_inputs([
            Variable::required("size", "number", "Size.").passed(one.clone()),
            Variable::optional("tier", "string", "Tier.", crate::hcl_util::string("Free")).passed_default(),
            Variable::required("left_out", "string", "Not passed.").passed_default(),
        ]);
        let names: Vec<&str> = module.variables.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["size", "tier", "left_out"]);
        assert_eq!(
            module.inputs,
            [("size".to_owned(), one), ("tier".to_owned(), crate::hcl_util::string("Free"))],
            "the root passes the declared value, and an optional variable its own default"
        );
    }

    #[test]
    fn a_resource_attribute_reads_the_input_named_so_or_the_one_that_sets_it() {
        let mut stack = StackContext::new(StackSettings::default());
        stack.enter("aks");
        let mut inputs = Inputs::new(&stack);
        inputs.extend([
            Variable::required("name", "string", "Name.").passed(crate::hcl_util::string("x")).sets("dns_prefix"),
            Variable::setting("max_pods", "Pods.", 110).passed_default(),
        ]);
        let text = |attribute: &str| {
            inputs
                .attribute(attribute)
                .map(|(name, value)| format!("{name} = {}", hcl::format::to_string(&value).unwrap_or_default()))
        };
        assert_eq!(text("name"), Ok("name = var.name".to_owned()));
        assert_eq!(text("dns_prefix"), Ok("dns_prefix = var.name".to_owned()), "the declared mapping");
        assert_eq!(text("max_pods"), Ok("max_pods = var.max_pods".to_owned()));
        let Err(RenderError::Invalid { module, message }) = text("vm_size") else { panic!("no input sets vm_size") };
        assert_eq!(module, "aks");
        assert!(message.contains("`vm_size`"), "{message}");
        let mut ambiguous = inputs.clone();
        ambiguous.push(Variable::required("zone", "string", "Zone.").passed(crate::hcl_util::string("z")).sets("name"));
        let Err(RenderError::Invalid { message, .. }) = ambiguous.attribute("name") else {
            panic!("two inputs set name")
        };
        assert!(message.contains("both `name` and `zone`"), "{message}");
    }

    #[test]
    fn a_setting_s_variable_has_the_type_of_its_rust_value() {
        let types: Vec<String> = [
            Variable::setting("a", "A.", "text"),
            Variable::setting("b", "B.", 3),
            Variable::setting("c", "C.", true),
            Variable::setting("d", "D.", String::from("owned")),
        ]
        .iter()
        .map(|v| {
            let default = v.default.as_ref().map(|d| hcl::format::to_string(d).unwrap_or_default());
            format!(
                "{}: {} = {}",
                v.name,
                hcl::format::to_string(&v.type_constraint).unwrap_or_default(),
                default.unwrap_or_default()
            )
        })
        .collect();
        assert_eq!(types, ["a: string = \"text\"", "b: number = 3", "c: bool = true", "d: string = \"owned\""]);
    }

    #[test]
    fn outputs_resolve_only_when_declared() {
        let mut stack = StackContext::new(StackSettings::default());
        let rendered = RenderedModule {
            outputs: vec![Output::new("id", crate::hcl_util::string("x"), "The id.")],
            ..RenderedModule::default()
        };
        stack.declare("acr", &rendered);
        stack.enter("aks");
        let expr = stack.output("acr", "id").map(|e| hcl::format::to_string(&e).unwrap_or_default());
        assert_eq!(expr, Ok("module.acr.id".to_owned()));
        assert_eq!(
            stack.output("acr", "login_server").map(|_| ()),
            Err(RenderError::UnknownOutput {
                module: "aks".into(),
                target: "acr".into(),
                output: "login_server".into()
            })
        );
    }
}
