//! Inputs and variables shared by every Azure module: where it lives and how it is tagged.

use hcl::Expression;

use crate::hcl_util::{local, var};
use crate::module::{Input, ProviderRequirement, RenderError, StackContext, Variable};

/// `hashicorp/time`, for bounded waits such as role-assignment propagation (`time_sleep`).
pub fn time_provider() -> ProviderRequirement {
    ProviderRequirement::hashicorp("time", "~> 0.13")
}

/// The module every Azure module depends on for its resource group.
pub const RESOURCE_GROUP_MODULE: &str = "resource_group";

/// `name = var.<name>` style pairs for the common placement arguments of a resource.
pub fn placement_attributes() -> Vec<(&'static str, Expression)> {
    vec![("location", var("location")), ("resource_group_name", var("resource_group_name"))]
}

/// A required string variable with a non-empty check.
pub fn required_string(name: &str, description: &str) -> Variable {
    let length = crate::hcl_util::call("length", [crate::hcl_util::call("trimspace", [var(name)])]);
    Variable::required(name, "string", description).validate(
        crate::hcl_util::binary(length, hcl::expr::BinaryOperator::Greater, Expression::from(0)),
        &format!("The {} must not be empty.", name.replace('_', " ")),
    )
}

/// `location`, `resource_group_name` and `tags`, each declared once: the variable and what the root
/// passes (the resource group module's outputs, so Terraform orders creation, and `local.tags`).
/// Resources read them as [`placement_attributes`] and `var.tags`.
pub fn placement(stack: &StackContext) -> Result<Vec<Input>, RenderError> {
    Ok(vec![
        Variable::required("location", "string", "Azure region of the resources.")
            .passed(stack.output(RESOURCE_GROUP_MODULE, "location")?),
        Variable::required("resource_group_name", "string", "Resource group of the resources.")
            .passed(stack.output(RESOURCE_GROUP_MODULE, "name")?),
        Variable::optional(
            "tags",
            "map(string)",
            "Tags set on every taggable resource.",
            Expression::Object(hcl::Object::new()),
        )
        .non_nullable()
        .passed(local("tags")),
    ])
}
