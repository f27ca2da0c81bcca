//! The resource group every other module deploys into.

use crate::diagnostics::{Diagnostics, FieldPath};
use crate::hcl_util::{traversal, var};
use crate::module::{Module, Output, ProviderRequirement, RenderError, RenderedModule, StackContext, Variable};
use crate::stack::StackSettings;
use hcl::{Block, Body};

/// Renders `azurerm_resource_group` from the stack settings.
#[derive(Debug, Clone)]
pub struct ResourceGroup<'a> {
    stack: &'a StackSettings,
}

impl<'a> ResourceGroup<'a> {
    /// The resource group of `stack`.
    pub fn new(stack: &'a StackSettings) -> Self {
        Self { stack }
    }
}

impl Module for ResourceGroup<'_> {
    fn name(&self) -> &str {
        "resource_group"
    }

    fn validate(&self, at: &FieldPath, diagnostics: &mut Diagnostics) {
        self.stack.validate(at, diagnostics);
    }

    fn render(&self, _stack: &StackContext) -> Result<RenderedModule, RenderError> {
        let resource = Block::builder("resource")
            .add_label("azurerm_resource_group")
            .add_label("this")
            .add_attribute(("name", var("name")))
            .add_attribute(("location", var("location")))
            .add_attribute(("tags", var("tags")))
            .build();
        Ok(RenderedModule {
            providers: vec![ProviderRequirement::azurerm()],
            variables: vec![
                Variable::required("location", "string", "Azure region of the resource group."),
                Variable::required("name", "string", "Name of the resource group.")
                    .rule(&crate::rules::RESOURCE_GROUP_NAME, "resource group name"),
                Variable::optional(
                    "tags",
                    "map(string)",
                    "Tags set on the resource group.",
                    hcl::Expression::Object(hcl::Object::new()),
                )
                .non_nullable(),
            ],
            main: Body::builder().add_block(resource).build(),
            outputs: vec![
                Output::new(
                    "id",
                    traversal("azurerm_resource_group", ["this", "id"]),
                    "Resource ID of the resource group.",
                ),
                Output::new(
                    "location",
                    traversal("azurerm_resource_group", ["this", "location"]),
                    "Azure region of the resource group.",
                ),
                Output::new(
                    "name",
                    traversal("azurerm_resource_group", ["this", "name"]),
                    "Name of the resource group.",
                )
                .at_root(),
            ],
            inputs: vec![
                ("name".to_owned(), crate::hcl_util::string(self.stack.resource_group.clone())),
                ("location".to_owned(), crate::hcl_util::string(self.stack.location.clone())),
                ("tags".to_owned(), crate::hcl_util::local("tags")),
            ],
            warnings: Vec::new(),
        })
    }
}
