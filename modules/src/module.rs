//! The seam every module plugs into, ours and a user's alike.
//!
//! A module is a struct that implements [`Module`]. It reaches every artifact through it:
//!
//! - **Terraform**: [`Module::render`] returns its child module (`terraform/modules/<name>/`:
//!   variables, resources, outputs) and the inputs the root passes to it. Outputs of earlier
//!   modules come from [`StackContext::output`], checked: an output nobody declares is a
//!   [`RenderError`] naming both modules. A module that needs a value of whoever runs Terraform
//!   or a provider configuration adds [`RenderedModule::root_variables`] and
//!   [`RenderedModule::root_providers`] to the root.
//! - **Everything else**: [`Module::contribute`] returns [`Contributions`]: environment variables
//!   of the workload (chart values), repository variables, steps of the delivery workflow's jobs
//!   and whole jobs of its own ([`ContributedJob`]), README
//!   steps, files outside `terraform/`, and — from the module that creates the cluster — the
//!   [`ClusterConnection`] the root's helm and kubernetes providers use. Values known only after
//!   `terraform apply` travel as [`OutputRef`]s from [`StackContext::reference`], checked the same
//!   way, and are re-exported as root outputs automatically.
//! - **Rules**: [`Module::validate`] reports every broken rule at once; **comments** inside the
//!   child module's blocks come from [`Module::comments`].
//!
//! A module is usually a section of the spec. One that needs nothing beyond its own settings
//! implements [`Module`] itself (`&spec.acr` is then a module); one that also needs values from
//! other sections implements [`Section`] and is a [`SectionModule`] (`AksModule`), which says
//! what belongs in that context and what must be an output instead.
//!
//! Add a module with `Stack::push`, `insert_before` or `replace` (in `stackgen::generator`), and
//! change the app or its delivery with `Stack::with_app` / `with_delivery`: the chart, the
//! workflows and the README are built from that stack, never from the raw spec. The generator only
//! assembles. `examples/custom_stack.rs` is a module that touches every artifact.

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
        Input { variable: self, value: Some(value.into()) }
    }

    /// A variable the root passes nothing: it keeps its default.
    pub fn into_input(self) -> Input {
        Input { variable: self, value: None }
    }

    /// An optional variable the root passes its own default, so the child module documents the
    /// value this stack uses and the root states it: the value is written once, here. A required
    /// variable has no default and is passed nothing.
    pub fn passed_default(self) -> Input {
        let value = self.default.clone();
        Input { variable: self, value }
    }
}

/// One input of a child module, declared once: the variable (type, description, default, rules)
/// and the value the root passes to it. [`RenderedModule::with_inputs`] splits it into both.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// The child module's variable.
    pub variable: Variable,
    /// What the root passes; `None` leaves the variable at its default.
    pub value: Option<Expression>,
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
        for Input { variable, value } in inputs {
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
