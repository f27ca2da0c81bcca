//! Stack-wide settings: name, region, resource group, tags and the remote state backend.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diagnostics::{Diagnostics, FieldPath};
use crate::rules;

/// Stack-wide settings.
// The spec's `stack` section is also what every module reads while it renders
// (`StackContext::settings`): one type for one concept.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename = "Stack")]
#[schemars(deny_unknown_fields)]
pub struct StackSettings {
    /// Stack name: lowercase letters, digits and hyphens, 3–24 characters. Prefixes resource names.
    pub name: String,
    /// Azure region, such as `westeurope`.
    pub location: String,
    /// Resource group the stack creates and puts everything in.
    pub resource_group: String,
    /// Tags set on every taggable resource.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Remote state in an Azure storage account; omit for local state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<Backend>,
}

/// An `azurerm` remote state backend. The storage account must exist before `terraform init`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Backend {
    /// Resource group of the storage account.
    pub resource_group_name: String,
    /// Storage account name: 3–24 lowercase letters and digits.
    pub storage_account_name: String,
    /// Blob container.
    #[serde(default = "default_container")]
    pub container_name: String,
    /// Blob name of the state file.
    #[serde(default = "default_key")]
    pub key: String,
}

fn default_container() -> String {
    "tfstate".to_owned()
}

fn default_key() -> String {
    "stackgen.tfstate".to_owned()
}

impl StackSettings {
    /// Pushes every rule broken.
    pub fn validate(&self, at: &FieldPath, diagnostics: &mut Diagnostics) {
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
}
