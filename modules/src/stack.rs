//! Stack-wide settings: name, region, resource group, tags and the remote state backend.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
