//! The `terraform providers schema -json` document model, its conversion to the plugin
//! protocol, and the one provider-side check the stand-in reproduces: values set on
//! computed-only attributes.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::tfplugin6 as pb;

/// A whole `terraform providers schema -json` document.
#[derive(Debug, Deserialize)]
pub struct Document {
    /// Always "1.0".
    pub format_version: String,
    /// Provider address (`registry.terraform.io/hashicorp/azurerm`) to its schemas.
    pub provider_schemas: BTreeMap<String, ProviderSchema>,
}

impl Document {
    /// Reads the schema file of one provider.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_slice(&text).with_context(|| format!("parsing {}", path.display()))
    }

    /// The only provider of a per-provider schema file, with its address.
    pub fn single(self) -> Result<(String, ProviderSchema)> {
        let mut providers = self.provider_schemas.into_iter();
        match (providers.next(), providers.next()) {
            (Some(one), None) => Ok(one),
            _ => bail!("expected exactly one provider in the schema document"),
        }
    }
}

/// The schemas of one provider.
#[derive(Debug, Deserialize)]
pub struct ProviderSchema {
    /// The provider's own configuration block.
    pub provider: Option<Schema>,
    /// Managed resource types.
    #[serde(default)]
    pub resource_schemas: BTreeMap<String, Schema>,
    /// Data source types.
    #[serde(default)]
    pub data_source_schemas: BTreeMap<String, Schema>,
}

/// A versioned block schema.
#[derive(Debug, Deserialize)]
pub struct Schema {
    /// Schema version (state upgrades; irrelevant to validation).
    #[serde(default)]
    pub version: i64,
    /// The top-level block.
    pub block: Block,
}

/// A configuration block: attributes and nested block types.
#[derive(Debug, Default, Deserialize)]
pub struct Block {
    /// Attributes by name.
    #[serde(default)]
    pub attributes: BTreeMap<String, Attribute>,
    /// Nested block types by name.
    #[serde(default)]
    pub block_types: BTreeMap<String, BlockType>,
}

/// One attribute: a cty type, or a nested attribute object.
#[derive(Debug, Deserialize)]
pub struct Attribute {
    /// The cty type in its JSON form (`"string"`, `["list","string"]`, ...).
    #[serde(rename = "type")]
    pub ty: Option<serde_json::Value>,
    /// Set instead of `ty` for nested attributes (plugin framework providers).
    pub nested_type: Option<NestedType>,
    /// Must be set in configuration.
    #[serde(default)]
    pub required: bool,
    /// May be set in configuration.
    #[serde(default)]
    pub optional: bool,
    /// The provider may decide the value.
    #[serde(default)]
    pub computed: bool,
    /// Hidden in Terraform's output.
    #[serde(default)]
    pub sensitive: bool,
}

impl Attribute {
    /// Computed and neither required nor optional: configuration may not set it.
    pub fn is_read_only(&self) -> bool {
        self.computed && !self.required && !self.optional
    }
}

/// The object of a nested attribute.
#[derive(Debug, Deserialize)]
pub struct NestedType {
    /// Attributes by name.
    #[serde(default)]
    pub attributes: BTreeMap<String, Attribute>,
    /// `single`, `list`, `set` or `map`.
    pub nesting_mode: String,
}

/// A nested block type.
#[derive(Debug, Deserialize)]
pub struct BlockType {
    /// `single`, `group`, `list`, `set` or `map`.
    pub nesting_mode: String,
    /// The nested block's own schema.
    pub block: Block,
    /// Minimum number of blocks (list and set only).
    #[serde(default)]
    pub min_items: i64,
    /// Maximum number of blocks, 0 for unlimited (list and set only).
    #[serde(default)]
    pub max_items: i64,
}

impl Schema {
    /// The plugin-protocol form of this schema.
    pub fn to_proto(&self) -> Result<pb::Schema> {
        Ok(pb::Schema { version: self.version, block: Some(self.block.to_proto()?) })
    }
}

impl Block {
    fn to_proto(&self) -> Result<pb::schema::Block> {
        let attributes = self.attributes.iter().map(|(name, a)| a.to_proto(name)).collect::<Result<_>>()?;
        let block_types = self
            .block_types
            .iter()
            .map(|(name, bt)| {
                use pb::schema::nested_block::NestingMode;
                let nesting = match bt.nesting_mode.as_str() {
                    "single" => NestingMode::Single,
                    "group" => NestingMode::Group,
                    "list" => NestingMode::List,
                    "set" => NestingMode::Set,
                    "map" => NestingMode::Map,
                    other => bail!("block {name}: unknown nesting mode {other:?}"),
                };
                Ok(pb::schema::NestedBlock {
                    type_name: name.clone(),
                    block: Some(bt.block.to_proto()?),
                    nesting: nesting.into(),
                    min_items: bt.min_items,
                    max_items: bt.max_items,
                })
            })
            .collect::<Result<_>>()?;
        Ok(pb::schema::Block { attributes, block_types, ..Default::default() })
    }
}

impl Attribute {
    fn to_proto(&self, name: &str) -> Result<pb::schema::Attribute> {
        let r#type = match &self.ty {
            Some(ty) => serde_json::to_vec(ty)?,
            None => Vec::new(),
        };
        let nested_type = match &self.nested_type {
            None => None,
            Some(nested) => {
                use pb::schema::object::NestingMode;
                let nesting = match nested.nesting_mode.as_str() {
                    "single" => NestingMode::Single,
                    "list" => NestingMode::List,
                    "set" => NestingMode::Set,
                    "map" => NestingMode::Map,
                    other => bail!("attribute {name}: unknown nesting mode {other:?}"),
                };
                #[allow(deprecated)]
                Some(pb::schema::Object {
                    attributes: nested.attributes.iter().map(|(n, a)| a.to_proto(n)).collect::<Result<_>>()?,
                    nesting: nesting.into(),
                    min_items: 0,
                    max_items: 0,
                })
            }
        };
        if r#type.is_empty() == nested_type.is_none() {
            bail!("attribute {name}: needs exactly one of type and nested_type");
        }
        Ok(pb::schema::Attribute {
            name: name.to_owned(),
            r#type,
            nested_type,
            required: self.required,
            optional: self.optional,
            computed: self.computed,
            sensitive: self.sensitive,
            ..Default::default()
        })
    }
}

/// One path step into a configuration value, as the plugin protocol spells it.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// An attribute or block name.
    Attr(String),
    /// A list index.
    Index(i64),
    /// A map key.
    Key(String),
}

/// A value set on a computed-only attribute, at `path`.
#[derive(Debug, PartialEq)]
pub struct ReadOnlySet {
    /// Where the value is, from the resource's top-level block.
    pub path: Vec<Step>,
    /// The attribute's name.
    pub name: String,
}

/// Finds every value set on a computed-only attribute in a msgpack-decoded configuration
/// object (`config` of ValidateResourceConfig). Real providers reject these; Terraform core
/// does not, so the stand-in must.
pub fn read_only_values(block: &Block, config: &rmpv::Value) -> Vec<ReadOnlySet> {
    let mut found = Vec::new();
    walk_block(block, config, &mut Vec::new(), &mut found);
    found
}

fn field<'a>(object: &'a rmpv::Value, name: &str) -> Option<&'a rmpv::Value> {
    match object {
        rmpv::Value::Map(entries) => {
            entries.iter().find(|(k, _)| k.as_str() == Some(name)).map(|(_, v)| v).filter(|v| !v.is_nil())
        }
        _ => None,
    }
}

/// Calls `each` for every element of a nested collection with the step that reaches it.
/// Set elements have no addressable step, so the path stops at the collection.
fn elements<'a>(mode: &str, value: &'a rmpv::Value, mut each: impl FnMut(Option<Step>, &'a rmpv::Value)) {
    match (mode, value) {
        ("single" | "group", v) => each(None, v),
        ("list", rmpv::Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                each(Some(Step::Index(i64::try_from(i).unwrap_or(i64::MAX))), item);
            }
        }
        ("set", rmpv::Value::Array(items)) => items.iter().for_each(|item| each(None, item)),
        ("map", rmpv::Value::Map(entries)) => {
            for (k, v) in entries {
                each(k.as_str().map(|k| Step::Key(k.to_owned())), v);
            }
        }
        // Unknown values (msgpack extensions) and anything unexpected: nothing to inspect.
        _ => {}
    }
}

fn walk_attributes(
    attributes: &BTreeMap<String, Attribute>,
    object: &rmpv::Value,
    path: &mut Vec<Step>,
    found: &mut Vec<ReadOnlySet>,
) {
    for (name, attribute) in attributes {
        let Some(value) = field(object, name) else {
            continue;
        };
        path.push(Step::Attr(name.clone()));
        if attribute.is_read_only() {
            found.push(ReadOnlySet { path: path.clone(), name: name.clone() });
        } else if let Some(nested) = &attribute.nested_type {
            elements(&nested.nesting_mode, value, |step, element| {
                let pushed = step.map(|s| path.push(s)).is_some();
                walk_attributes(&nested.attributes, element, path, found);
                if pushed {
                    path.pop();
                }
            });
        }
        path.pop();
    }
}

fn walk_block(block: &Block, object: &rmpv::Value, path: &mut Vec<Step>, found: &mut Vec<ReadOnlySet>) {
    walk_attributes(&block.attributes, object, path, found);
    for (name, block_type) in &block.block_types {
        let Some(value) = field(object, name) else {
            continue;
        };
        path.push(Step::Attr(name.clone()));
        elements(&block_type.nesting_mode, value, |step, element| {
            let pushed = step.map(|s| path.push(s)).is_some();
            walk_block(&block_type.block, element, path, found);
            if pushed {
                path.pop();
            }
        });
        path.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn schema() -> Block {
        serde_json::from_value(serde_json::json!({
            "attributes": {
                "name": {"type": "string", "required": true},
                "fqdn": {"type": "string", "computed": true},
                "tags": {"type": ["map", "string"], "optional": true, "computed": true},
                "set": {"nested_type": {"nesting_mode": "list", "attributes": {
                    "name": {"type": "string", "required": true},
                    "status": {"type": "string", "computed": true}
                }}, "optional": true}
            },
            "block_types": {
                "identity": {"nesting_mode": "list", "max_items": 1, "block": {"attributes": {
                    "type": {"type": "string", "required": true},
                    "principal_id": {"type": "string", "computed": true}
                }}}
            }
        }))
        .expect("test schema parses")
    }

    fn map(entries: Vec<(&str, rmpv::Value)>) -> rmpv::Value {
        rmpv::Value::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    #[test]
    fn finds_read_only_values_at_their_paths_and_ignores_configurable_ones() {
        let config = map(vec![
            ("name", "x".into()),
            ("fqdn", "set by hand".into()),
            ("tags", map(vec![("a", "b".into())])),
            (
                "set",
                rmpv::Value::Array(vec![
                    map(vec![("name", "a".into()), ("status", rmpv::Value::Nil)]),
                    map(vec![("name", "b".into()), ("status", "oops".into())]),
                ]),
            ),
            (
                "identity",
                rmpv::Value::Array(vec![map(vec![("type", "SystemAssigned".into()), ("principal_id", "p".into())])]),
            ),
        ]);
        let found = read_only_values(&schema(), &config);
        let attr = |s: &str| Step::Attr(s.to_owned());
        assert_eq!(
            found,
            vec![
                ReadOnlySet { path: vec![attr("fqdn")], name: "fqdn".into() },
                ReadOnlySet { path: vec![attr("set"), Step::Index(1), attr("status")], name: "status".into() },
                ReadOnlySet {
                    path: vec![attr("identity"), Step::Index(0), attr("principal_id")],
                    name: "principal_id".into()
                },
            ]
        );
    }

    #[test]
    fn null_and_absent_read_only_values_pass() {
        let config = map(vec![("name", "x".into()), ("fqdn", rmpv::Value::Nil)]);
        assert_eq!(read_only_values(&schema(), &config), vec![]);
    }
}
