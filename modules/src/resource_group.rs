//! The resource group every other module deploys into, rendered from the stack settings.

use std::collections::BTreeMap;

use hcl::{Block, Body};

use crate::diagnostics::{Diagnostics, FieldPath};
use crate::hcl_util::{local, string, traversal};
use crate::module::{Inputs, Module, Output, ProviderRequirement, RenderError, RenderedModule, StackContext, Variable};
use crate::rules;
use crate::stack::StackSettings;

/// The stack settings are the resource group module: they name the group and its region, and
/// their rules (tags, backend) are checked where the group is.
impl Module for StackSettings {
    fn name(&self) -> &str {
        crate::common::RESOURCE_GROUP_MODULE
    }

    fn validate(&self, at: &FieldPath, diagnostics: &mut Diagnostics) {
        rules::dns_label(&self.name, 3, 24, &at.key("name"), diagnostics);
        rules::azure_region(&self.location, &at.key("location"), diagnostics);
        rules::resource_group_name(&self.resource_group, &at.key("resource_group"), diagnostics);
        // Azure compares tag names case-insensitively: two keys differing only in case would be
        // one tag, and one value would silently win.
        let mut folded: BTreeMap<String, &str> = BTreeMap::new();
        for key in self.tags.keys() {
            if let Some(first) = folded.insert(key.to_lowercase(), key) {
                diagnostics.push(
                    at.key("tags").key(key.clone()),
                    "tag-case-clash",
                    format!(
                        "Azure treats tag names case-insensitively, so this is the same tag as {}; keep one",
                        at.key("tags").key(first)
                    ),
                );
            }
        }
        for (key, value) in &self.tags {
            let path = at.key("tags").key(key.clone());
            if key.is_empty() || key.len() > 512 || key.contains(['<', '>', '%', '&', '\\', '?', '/']) {
                diagnostics.push(
                    path.clone(),
                    "tag-key",
                    "tag names are 1–512 characters and may not contain < > % & \\ ? /",
                );
            }
            if value.len() > 256 {
                diagnostics.push(path, "tag-value", "tag values are at most 256 characters");
            }
        }
        if let Some(backend) = &self.backend {
            let at = at.key("backend");
            rules::resource_group_name(&backend.resource_group_name, &at.key("resource_group_name"), diagnostics);
            rules::storage_account_name(&backend.storage_account_name, &at.key("storage_account_name"), diagnostics);
            rules::non_empty(&backend.container_name, &at.key("container_name"), diagnostics);
            rules::non_empty(&backend.key, &at.key("key"), diagnostics);
        }
    }

    fn render(&self, stack: &StackContext) -> Result<RenderedModule, RenderError> {
        let mut inputs = Inputs::new(stack);
        inputs.extend([
            Variable::required("name", "string", "Name of the resource group.")
                .rule(&rules::RESOURCE_GROUP_NAME, "resource group name")
                .passed(string(self.resource_group.clone())),
            Variable::required("location", "string", "Azure region of the resource group.")
                .passed(string(self.location.clone())),
            Variable::optional(
                "tags",
                "map(string)",
                "Tags set on the resource group.",
                hcl::Expression::Object(hcl::Object::new()),
            )
            .non_nullable()
            .passed(local("tags")),
        ]);
        let resource = Block::builder("resource")
            .add_label("azurerm_resource_group")
            .add_label("this")
            .add_attributes(inputs.attributes(["name", "location", "tags"])?)
            .build();
        let output = |name: &str, description: &str| {
            Output::new(name, traversal("azurerm_resource_group", ["this", name]), description)
        };
        Ok(RenderedModule {
            providers: vec![ProviderRequirement::azurerm()],
            main: Body::builder().add_block(resource).build(),
            outputs: vec![
                output("id", "Resource ID of the resource group."),
                output("location", "Azure region of the resource group."),
                output("name", "Name of the resource group.").at_root(),
            ],
            ..RenderedModule::default()
        }
        .with_inputs(inputs))
    }
}
