//! Azure Container Registry: one registry, admin user and anonymous pull off, `AcrPull` for the
//! cluster's kubelet identity.

use hcl::{Block, Body};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::placement;
use crate::diagnostics::{Diagnostics, FieldPath};
use crate::hcl_util::{string, traversal};
use crate::module::{
    BlockComment, Inputs, Module, Output, ProviderRequirement, RenderError, RenderedModule, StackContext, Variable,
};
use crate::rules::{self, OneOf};

/// The SKUs the registry variable accepts (every [`AcrSku`]).
const SKUS: OneOf = OneOf(&["Basic", "Standard", "Premium"]);

/// The one container registry of the stack. One GitHub repository pushes to exactly this registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Acr {
    /// Registry name: 5–50 letters and digits, globally unique (`<name>.azurecr.io`).
    pub name: String,
    /// Registry SKU.
    #[serde(default)]
    pub sku: AcrSku,
}

/// ACR SKU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub enum AcrSku {
    /// Development only; no private link, lower throughput.
    Basic,
    /// Recommended default.
    #[default]
    Standard,
    /// Private endpoints, geo-replication, retention.
    Premium,
}

impl AcrSku {
    fn as_str(self) -> &'static str {
        match self {
            Self::Basic => "Basic",
            Self::Standard => "Standard",
            Self::Premium => "Premium",
        }
    }
}

impl Acr {
    /// `<name>.azurecr.io`
    pub fn login_server(&self) -> String {
        format!("{}.azurecr.io", self.name.to_ascii_lowercase())
    }
}

/// The settings are the module: the registry, its pull grant, their variables and rules.
impl Module for Acr {
    fn name(&self) -> &str {
        "acr"
    }

    fn validate(&self, at: &FieldPath, diagnostics: &mut Diagnostics) {
        rules::ACR_NAME.check_at(&self.name, &at.key("name"), diagnostics);
    }

    fn comments(&self) -> Vec<BlockComment> {
        let skip =
            |id: &str, reason: &str| BlockComment::checkov_skip("azurerm_container_registry", "this", id, reason);
        let premium = self.sku == AcrSku::Premium;
        let mut comments = vec![
            skip(
                "CKV_AZURE_139",
                "GitHub-hosted runners push over the internet; private endpoints need self-hosted runners",
            ),
            skip(
                "CKV_AZURE_164",
                "images are scanned with Trivy before push; signing is not part of this pipeline yet",
            ),
            skip("CKV_AZURE_165", "single-region stack: nothing to replicate to"),
            skip(
                "CKV_AZURE_166",
                "quarantine holds every push until an external scanner releases it; CI scans with Trivy before pushing",
            ),
        ];
        if premium {
            comments.push(skip(
                "CKV_AZURE_233",
                "zone redundancy is fixed at creation and not offered in every region; enable it by hand where it is",
            ));
            comments.push(skip("CKV_AZURE_237", "dedicated data endpoints only matter behind a firewall allow-list"));
        } else {
            for id in ["CKV_AZURE_167", "CKV_AZURE_233", "CKV_AZURE_237"] {
                comments.push(skip(id, "needs the Premium SKU; acr.sku is not Premium"));
            }
        }
        comments
    }

    fn render(&self, stack: &StackContext) -> Result<RenderedModule, RenderError> {
        let mut inputs = Inputs::new(stack);
        inputs.push(
            Variable::required("name", "string", "Registry name, globally unique.")
                .rule(&rules::ACR_NAME, "registry name")
                .passed(string(self.name.clone())),
        );
        inputs.extend(placement(stack)?);
        inputs.extend([
            Variable::setting("sku", "Registry SKU.", self.sku.as_str()).one_of(SKUS, "SKU").passed_default(),
            Variable::required(
                "kubelet_object_id",
                "string",
                "Object ID of the cluster's kubelet identity, granted AcrPull.",
            )
            .rule(&rules::UUID, "kubelet object ID")
            .passed(stack.output("aks", "kubelet_object_id")?)
            .sets("principal_id"),
        ]);

        let registry = Block::builder("resource")
            .add_label("azurerm_container_registry")
            .add_label("this")
            .add_attributes(inputs.attributes(["name", "location", "resource_group_name", "sku"])?)
            .add_attribute(("admin_enabled", false))
            .add_attribute(("anonymous_pull_enabled", false));
        // Untagged manifests pile up with every push; Premium can clean them up.
        let registry = if self.sku == AcrSku::Premium {
            registry.add_attribute(("retention_policy_in_days", 7))
        } else {
            registry
        };
        let registry = registry.add_attribute(inputs.attribute("tags")?).build();
        let pull = Block::builder("resource")
            .add_label("azurerm_role_assignment")
            .add_label("kubelet_acr_pull")
            .add_attribute(("scope", traversal("azurerm_container_registry", ["this", "id"])))
            .add_attribute(("role_definition_name", string("AcrPull")))
            .add_attribute(inputs.attribute("principal_id")?)
            .add_attribute(("principal_type", string("ServicePrincipal")))
            .add_attribute(("skip_service_principal_aad_check", true))
            .build();

        Ok(RenderedModule {
            providers: vec![ProviderRequirement::azurerm()],
            main: Body::builder().add_block(registry).add_block(pull).build(),
            outputs: vec![
                Output::new(
                    "id",
                    traversal("azurerm_container_registry", ["this", "id"]),
                    "Resource ID of the registry.",
                ),
                Output::new(
                    "login_server",
                    traversal("azurerm_container_registry", ["this", "login_server"]),
                    "Login server, such as myregistry.azurecr.io.",
                )
                .at_root(),
                Output::new("name", traversal("azurerm_container_registry", ["this", "name"]), "Registry name.")
                    .at_root(),
            ],
            ..RenderedModule::default()
        }
        .with_inputs(inputs))
    }
}
