//! GitHub Actions → Azure through OIDC: an Entra ID application, its service principal, one
//! federated credential for one repository's branch (or environment), and `AcrPush` on exactly one
//! registry. No secrets: the workflow gets short-lived tokens.

use hcl::{Block, Body, Expression};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diagnostics::{Diagnostics, FieldPath};
use crate::hcl_util::{string, strings, traversal, var};
use crate::module::{
    Contributions, Input, Module, Output, ProviderRequirement, RenderError, RenderedModule, StackContext, Variable,
};

/// Repository variables the generated workflows read, each set from one root Terraform output.
/// The identity modules declare them ([`Module::contribute`]); the workflows use these names.
///
/// GitHub reserves the `GITHUB_` prefix for variable names, so the names are not simply the
/// upper-cased outputs.
pub mod variables {
    /// Client id of the push identity (`azure/login`).
    pub const AZURE_CLIENT_ID: &str = "AZURE_CLIENT_ID";
    /// Tenant id for both identities.
    pub const AZURE_TENANT_ID: &str = "AZURE_TENANT_ID";
    /// Subscription id for both identities.
    pub const AZURE_SUBSCRIPTION_ID: &str = "AZURE_SUBSCRIPTION_ID";
    /// Registry name for `az acr login`.
    pub const ACR_NAME: &str = "ACR_NAME";
    /// Client id of the deploy identity (push mode).
    pub const DEPLOY_CLIENT_ID: &str = "DEPLOY_CLIENT_ID";
    /// Cluster name (push mode).
    pub const AKS_NAME: &str = "AKS_NAME";
    /// Resource group of the cluster (push mode).
    pub const RESOURCE_GROUP_NAME: &str = "RESOURCE_GROUP_NAME";
}

/// GitHub's OIDC token issuer.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
/// The audience Entra ID expects for workload identity federation.
pub const AZURE_AUDIENCE: &str = "api://AzureADTokenExchange";

/// The one GitHub repository allowed to push images.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Github {
    /// `OWNER/NAME`, without scheme or host.
    pub repo: String,
    /// Branch whose workflows may log in.
    #[serde(default = "default_branch")]
    pub branch: String,
    /// Deployment environment whose jobs may log in instead of the branch (subject
    /// `repo:OWNER/NAME:environment:ENV`); omit to trust the branch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

fn default_branch() -> String {
    "main".to_owned()
}

impl Github {
    /// The federated credential subject GitHub presents.
    pub fn subject(&self) -> String {
        match &self.environment {
            Some(environment) => format!("repo:{}:environment:{environment}", self.repo),
            None => format!("repo:{}:ref:refs/heads/{}", self.repo, self.branch),
        }
    }

    /// `owner-name`, usable in resource names.
    pub fn slug(&self) -> String {
        self.repo.replace('/', "-").to_ascii_lowercase()
    }
}

fn valid_ref_name(branch: &str) -> bool {
    !branch.is_empty()
        && !branch.starts_with('/')
        && !branch.ends_with('/')
        && !branch.starts_with("refs/")
        && !branch.contains("..")
        && !branch.contains("//")
        && !branch.ends_with(".lock")
        && branch.chars().all(|c| !c.is_whitespace() && !c.is_control() && !"~^:?*[\\".contains(c))
}

/// An Entra ID application + service principal + federated credential, trusted for one subject.
/// Shared by the push identity and the deploy identity.
pub(crate) fn federated_identity(display_name: Expression, description: &str) -> Vec<Block> {
    vec![
        Block::builder("data").add_label("azuread_client_config").add_label("current").build(),
        Block::builder("resource")
            .add_label("azuread_application")
            .add_label("this")
            .add_attribute(("display_name", display_name))
            .add_attribute((
                "owners",
                Expression::Array(vec![traversal("data", ["azuread_client_config", "current", "object_id"])]),
            ))
            .add_attribute(("sign_in_audience", string("AzureADMyOrg")))
            .build(),
        Block::builder("resource")
            .add_label("azuread_service_principal")
            .add_label("this")
            .add_attribute(("client_id", traversal("azuread_application", ["this", "client_id"])))
            .add_attribute((
                "owners",
                Expression::Array(vec![traversal("data", ["azuread_client_config", "current", "object_id"])]),
            ))
            .build(),
        Block::builder("resource")
            .add_label("azuread_application_federated_identity_credential")
            .add_label("github")
            .add_attribute(("application_id", traversal("azuread_application", ["this", "id"])))
            .add_attribute(("display_name", string("github-actions")))
            .add_attribute(("description", string(description)))
            .add_attribute(("audiences", strings([AZURE_AUDIENCE])))
            .add_attribute(("issuer", string(GITHUB_ISSUER)))
            .add_attribute(("subject", var("subject")))
            .build(),
        Block::builder("data").add_label("azurerm_client_config").add_label("current").build(),
    ]
}

/// Inputs and outputs shared by both GitHub identities.
pub(crate) fn identity_inputs(display_name: &str, subject: String) -> Vec<Input> {
    vec![
        Variable::required("display_name", "string", "Display name of the Entra ID application.")
            .passed(string(display_name)),
        Variable::required(
            "subject",
            "string",
            "Federated credential subject, such as repo:OWNER/NAME:ref:refs/heads/main.",
        )
        .rule(&crate::rules::FEDERATED_SUBJECT, "subject")
        .passed(string(subject)),
    ]
}

pub(crate) fn identity_outputs() -> Vec<Output> {
    vec![
        Output::new("client_id", traversal("azuread_application", ["this", "client_id"]), "Client ID for azure/login.")
            .at_root(),
        Output::new(
            "principal_id",
            traversal("azuread_service_principal", ["this", "object_id"]),
            "Object ID of the service principal.",
        ),
        Output::new(
            "subscription_id",
            traversal("data", ["azurerm_client_config", "current", "subscription_id"]),
            "Subscription ID for azure/login.",
        )
        .at_root(),
        Output::new(
            "tenant_id",
            traversal("data", ["azurerm_client_config", "current", "tenant_id"]),
            "Tenant ID for azure/login.",
        )
        .at_root(),
    ]
}

/// The settings are the module: the push identity and its one AcrPush grant.
impl Module for Github {
    fn name(&self) -> &str {
        "github_oidc"
    }

    /// What `azure/login` and `az acr login` need in CI: this identity's ids and the registry it
    /// may push to.
    fn contribute(&self, stack: &StackContext) -> Result<Contributions, RenderError> {
        let own = |output: &str| stack.reference(self.name(), output);
        Ok(Contributions::new()
            .repository_variable(variables::AZURE_CLIENT_ID, own("client_id")?)
            .repository_variable(variables::AZURE_TENANT_ID, own("tenant_id")?)
            .repository_variable(variables::AZURE_SUBSCRIPTION_ID, own("subscription_id")?)
            .repository_variable(variables::ACR_NAME, stack.reference("acr", "name")?))
    }

    fn validate(&self, at: &FieldPath, diagnostics: &mut Diagnostics) {
        let repo_ok = match self.repo.split_once('/') {
            Some((owner, name)) => {
                (1..=39).contains(&owner.len())
                    && owner.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !owner.starts_with('-')
                    && (1..=100).contains(&name.len())
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
                    && name != "."
                    && name != ".."
            }
            None => false,
        };
        if !repo_ok {
            let hint = if self.repo.contains("://") || self.repo.starts_with("github.com") {
                " (no scheme or host)"
            } else {
                ""
            };
            diagnostics.push(
                at.key("repo"),
                "github-repo",
                format!("must be OWNER/NAME such as \"contoso/shop\"{hint}, got {:?}", self.repo),
            );
        }
        if !valid_ref_name(&self.branch) {
            diagnostics.push(
                at.key("branch"),
                "git-branch",
                format!(
                    "must be a branch name without spaces, wildcards, `..` or a refs/ prefix, got {:?}",
                    self.branch
                ),
            );
        }
        if let Some(environment) = &self.environment {
            let ok = (1..=255).contains(&environment.len())
                && environment.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
            if !ok {
                diagnostics.push(
                    at.key("environment"),
                    "github-environment",
                    format!("must be 1–255 letters, digits, `.`, `_` or `-`, got {environment:?}"),
                );
            }
        }
    }

    fn render(&self, stack: &StackContext) -> Result<RenderedModule, RenderError> {
        let body = Body::builder().add_blocks(federated_identity(
            var("display_name"),
            &format!("GitHub Actions in {}, allowed to push images", self.repo),
        ));
        let push = Block::builder("resource")
            .add_label("azurerm_role_assignment")
            .add_label("acr_push")
            .add_attribute(("scope", var("registry_id")))
            .add_attribute(("role_definition_name", string("AcrPush")))
            .add_attribute(("principal_id", traversal("azuread_service_principal", ["this", "object_id"])))
            .add_attribute(("principal_type", string("ServicePrincipal")))
            .build();
        let mut inputs = identity_inputs(&format!("gha-{}-push", self.slug()), self.subject());
        inputs.push(
            Variable::required("registry_id", "string", "Resource ID of the one registry this identity may push to.")
                .rule(&crate::rules::REGISTRY_ID, "registry ID")
                .passed(stack.output("acr", "id")?),
        );
        Ok(RenderedModule {
            providers: vec![ProviderRequirement::azuread(), ProviderRequirement::azurerm()],
            main: body.add_block(push).build(),
            outputs: identity_outputs(),
            ..RenderedModule::default()
        }
        .with_inputs(inputs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(github: &Github) -> Vec<&'static str> {
        let mut d = Diagnostics::new();
        github.validate(&FieldPath::root().key("github"), &mut d);
        d.iter().map(|d| d.rule).collect()
    }

    #[test]
    fn subjects_name_one_branch_or_environment() {
        let mut github = Github { repo: "contoso/shop".into(), branch: "main".into(), environment: None };
        assert_eq!(github.subject(), "repo:contoso/shop:ref:refs/heads/main");
        github.environment = Some("production".into());
        assert_eq!(github.subject(), "repo:contoso/shop:environment:production");
    }

    #[test]
    fn repo_must_be_owner_slash_name() {
        let ok = Github { repo: "contoso/shop".into(), branch: "main".into(), environment: None };
        assert!(rules(&ok).is_empty());
        for bad in ["https://github.com/contoso/shop", "contoso", "contoso/shop/extra", "/shop"] {
            assert_eq!(rules(&Github { repo: bad.into(), ..ok.clone() }), ["github-repo"], "{bad}");
        }
        assert_eq!(rules(&Github { branch: "feature/*".into(), ..ok.clone() }), ["git-branch"]);
        assert_eq!(rules(&Github { branch: "refs/heads/main".into(), ..ok }), ["git-branch"]);
    }
}
