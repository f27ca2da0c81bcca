//! The identity CI uses to deploy (push mode only): separate from the push identity, with its own
//! federated credential, allowed to fetch cluster credentials and to write in one namespace.

use hcl::{Block, Body};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::aks::ClusterAuthentication;
use crate::diagnostics::{Diagnostics, FieldPath};
use crate::github_oidc::variables;
use crate::github_oidc::{Github, federated_identity, identity_inputs, identity_outputs};
use crate::hcl_util::{object, string, template, traversal, var};
use crate::module::{
    Contributions, ProviderRequirement, RenderError, RenderedModule, Section, SectionModule, StackContext, Variable,
};
use crate::rules;

/// Where and how CI deploys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct KubernetesAccess {
    /// Namespace the workload runs in and CI deploys to.
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// What CI may do in that namespace.
    #[serde(default)]
    pub role: DeployRole,
}

fn default_namespace() -> String {
    "app".to_owned()
}

impl Default for KubernetesAccess {
    fn default() -> Self {
        Self { namespace: default_namespace(), role: DeployRole::default() }
    }
}

/// Namespace-scoped Azure RBAC role for the deploy identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeployRole {
    /// `Azure Kubernetes Service RBAC Writer`: read/write most objects, no roles or bindings.
    #[default]
    Writer,
    /// `Azure Kubernetes Service RBAC Admin`: also manages roles and bindings in the namespace.
    Admin,
}

impl DeployRole {
    /// The Azure built-in role name.
    pub fn role_definition_name(self) -> &'static str {
        match self {
            Self::Writer => "Azure Kubernetes Service RBAC Writer",
            Self::Admin => "Azure Kubernetes Service RBAC Admin",
        }
    }
}

/// What the deploy identity module takes from outside `kubernetes_access:`, all needed while
/// generating: names and the federated credential's subject come from the repository, and the
/// cluster's authentication decides which role assignments exist at all.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeployTarget {
    /// The repository whose workflows deploy.
    pub github: Github,
    /// How the cluster authenticates clients: with local accounts Azure RBAC cannot scope the
    /// identity to the namespace.
    pub authentication: ClusterAuthentication,
    /// Custom resources the identity may also read, write and delete in the namespace.
    pub custom_resources: Vec<CustomResource>,
}

/// The deploy identity as a module: the `kubernetes_access:` section and its [`DeployTarget`].
pub type KubernetesAccessModule<'a> = SectionModule<'a, KubernetesAccess>;

/// A namespaced custom resource the deploy identity may read, write and delete, such as Gateway
/// API `HTTPRoute`s: Azure's built-in AKS roles cover built-in kinds only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomResource {
    /// API group, such as `gateway.networking.k8s.io`.
    pub group: &'static str,
    /// Resource (plural, lowercase), such as `httproutes`.
    pub resource: &'static str,
}

/// The Gateway API route the app chart renders with the `gateway` backend.
pub const HTTP_ROUTES: CustomResource = CustomResource { group: "gateway.networking.k8s.io", resource: "httproutes" };

/// The data actions of custom resources, which an ABAC condition narrows to given kinds.
const CUSTOM_RESOURCE_ACTIONS: [&str; 3] = [
    "Microsoft.ContainerService/managedClusters/customresources/read",
    "Microsoft.ContainerService/managedClusters/customresources/write",
    "Microsoft.ContainerService/managedClusters/customresources/delete",
];

impl CustomResource {
    /// The role assignment condition (ABAC, version 2.0) letting the custom-resource actions
    /// through for `resources` only; other actions pass unchanged.
    pub fn condition(resources: &[CustomResource]) -> String {
        let not_custom = CUSTOM_RESOURCE_ACTIONS
            .iter()
            .map(|a| format!("!(ActionMatches{{'{a}'}})"))
            .collect::<Vec<_>>()
            .join(" AND ");
        let allowed = resources
            .iter()
            .map(|r| {
                format!(
                    "(@Request[Microsoft.ContainerService/managedClusters/customResources:group] StringEqualsIgnoreCase '{}' AND @Request[Microsoft.ContainerService/managedClusters/customResources:kind] StringEqualsIgnoreCase '{}')",
                    r.group, r.resource
                )
            })
            .collect::<Vec<_>>()
            .join(" OR ");
        format!("(({not_custom}) OR {allowed})")
    }
}

impl<'a> SectionModule<'a, KubernetesAccess> {
    /// The deploy identity for `github`'s workflows on a cluster using `authentication`.
    pub fn for_repository(spec: &'a KubernetesAccess, github: &Github, authentication: ClusterAuthentication) -> Self {
        Self::with_context(spec, DeployTarget { github: github.clone(), authentication, custom_resources: Vec::new() })
    }

    /// Lets the identity also read, write and delete `resources` in the namespace.
    #[must_use]
    pub fn with_custom_resources(mut self, resources: impl IntoIterator<Item = CustomResource>) -> Self {
        self.context_mut().custom_resources.extend(resources);
        self
    }
}

impl Section for KubernetesAccess {
    type Context = DeployTarget;
    const NAME: &'static str = "kubernetes_access";

    /// What the deploy job needs: this identity's client id and the cluster it deploys to.
    fn contribute(&self, target: &DeployTarget, stack: &StackContext) -> Result<Contributions, RenderError> {
        let note = if target.authentication == ClusterAuthentication::EntraId {
            format!(
                "The deploy job logs in as its own identity, not the push identity. It holds `Azure Kubernetes Service Cluster User Role` on the cluster (enough to fetch a kubeconfig without credentials in it) and `{}` scoped to `<cluster id>/namespaces/{}` only, so CI can deploy into that namespace and nowhere else.",
                self.role.role_definition_name(),
                self.namespace
            )
        } else {
            "The deploy job logs in as its own identity, not the push identity, with `Azure Kubernetes Service Cluster User Role` on the cluster. With local accounts that role hands out cluster-wide credentials: Azure RBAC cannot scope it to a namespace (switch `aks.authentication` to `entra_id` for that).".to_owned()
        };
        Ok(Contributions::new()
            .readme_note("The deploy identity's scope", note)
            .repository_variable(variables::DEPLOY_CLIENT_ID, stack.reference(Self::NAME, "client_id")?)
            .repository_variable(variables::AKS_NAME, stack.reference("aks", "name")?)
            .repository_variable(variables::RESOURCE_GROUP_NAME, stack.reference("resource_group", "name")?))
    }

    fn validate_at(&self, at: &FieldPath, diagnostics: &mut Diagnostics) {
        rules::kubernetes_name(&self.namespace, &at.key("namespace"), diagnostics);
        if ["kube-system", "kube-public", "kube-node-lease", "default"].contains(&self.namespace.as_str()) {
            diagnostics.push(
                at.key("namespace"),
                "reserved-namespace",
                format!("{:?} is a system namespace; deploy the workload to a namespace of its own", self.namespace),
            );
        }
    }

    fn render(&self, target: &DeployTarget, stack: &StackContext) -> Result<RenderedModule, RenderError> {
        let body = Body::builder().add_blocks(federated_identity(
            var("display_name"),
            &format!("GitHub Actions in {}, allowed to deploy to one namespace", target.github.repo),
        ));
        let principal = traversal("azuread_service_principal", ["this", "object_id"]);
        let namespace = Block::builder("resource")
            .add_label("kubernetes_namespace_v1")
            .add_label("this")
            .add_block(
                Block::builder("metadata")
                    .add_attribute(("name", var("namespace")))
                    .add_attribute((
                        "labels",
                        object([
                            ("app.kubernetes.io/managed-by", string("terraform")),
                            ("pod-security.kubernetes.io/enforce", string("restricted")),
                        ]),
                    ))
                    .build(),
            )
            .build();
        // Fetching a kubeconfig needs the cluster-scoped user role; what the kubeconfig may do is
        // then limited by the namespace-scoped role below.
        let user = Block::builder("resource")
            .add_label("azurerm_role_assignment")
            .add_label("cluster_user")
            .add_attribute(("scope", var("cluster_id")))
            .add_attribute(("role_definition_name", string("Azure Kubernetes Service Cluster User Role")))
            .add_attribute(("principal_id", principal.clone()))
            .add_attribute(("principal_type", string("ServicePrincipal")))
            .build();
        let mut body = body.add_block(namespace).add_block(user);
        let mut warnings = Vec::new();
        if target.authentication == ClusterAuthentication::EntraId {
            body = body.add_block(
                Block::builder("resource")
                    .add_label("azurerm_role_assignment")
                    .add_label("namespace_deploy")
                    .add_attribute((
                        "scope",
                        template("${var.cluster_id}/namespaces/${kubernetes_namespace_v1.this.metadata[0].name}"),
                    ))
                    .add_attribute(("role_definition_name", var("role_definition_name")))
                    .add_attribute(("principal_id", principal.clone()))
                    .add_attribute(("principal_type", string("ServicePrincipal")))
                    .build(),
            );
            if !target.custom_resources.is_empty() {
                body = body.add_blocks(custom_resource_role(&target.custom_resources, principal));
            }
        } else {
            warnings.push(
                "aks.authentication is local_accounts: Azure RBAC cannot scope the deploy identity to one namespace, so its credentials are cluster-wide".to_owned(),
            );
        }

        let mut inputs = identity_inputs(&format!("gha-{}-deploy", target.github.slug()), target.github.subject());
        inputs.extend([
            Variable::required("cluster_id", "string", "Resource ID of the AKS cluster.")
                .passed(stack.output("aks", "id")?),
            Variable::required("namespace", "string", "Namespace CI deploys to.")
                .rule(&crate::rules::KUBERNETES_NAME, "namespace")
                .passed(string(self.namespace.clone())),
            Variable::setting(
                "role_definition_name",
                "Namespace-scoped role of the deploy identity.",
                self.role.role_definition_name(),
            )
            .passed_default(),
        ]);
        if target.authentication == ClusterAuthentication::EntraId && !target.custom_resources.is_empty() {
            inputs.push(
                Variable::required(
                    "resource_group_id",
                    "string",
                    "Resource group the custom-resource role is defined in (the cluster's).",
                )
                .passed(stack.output(crate::common::RESOURCE_GROUP_MODULE, "id")?),
            );
        }
        Ok(RenderedModule {
            providers: vec![
                ProviderRequirement::azuread(),
                ProviderRequirement::azurerm(),
                ProviderRequirement::kubernetes(),
            ],
            main: body.build(),
            outputs: identity_outputs()
                .into_iter()
                .filter(|o| o.name != "subscription_id" && o.name != "tenant_id")
                .chain([crate::module::Output::new("namespace", traversal_metadata_name(), "Namespace CI deploys to.")
                    .at_root()])
                .collect(),
            warnings,
            ..RenderedModule::default()
        }
        .with_inputs(inputs))
    }
}

/// The custom role holding the custom-resource data actions, and its assignment on the namespace
/// narrowed to `resources` by an ABAC condition.
fn custom_resource_role(resources: &[CustomResource], principal: hcl::Expression) -> Vec<Block> {
    let definition = Block::builder("resource")
        .add_label("azurerm_role_definition")
        .add_label("custom_resources")
        .add_attribute(("name", template("${var.display_name}-custom-resources")))
        .add_attribute(("scope", var("resource_group_id")))
        .add_attribute((
            "description",
            string(
                "Read, write and delete custom resources; narrowed to the app's kinds by the assignment's condition.",
            ),
        ))
        .add_block(
            Block::builder("permissions")
                .add_attribute(("actions", crate::hcl_util::strings([])))
                .add_attribute(("data_actions", crate::hcl_util::strings(CUSTOM_RESOURCE_ACTIONS)))
                .build(),
        )
        .add_attribute(("assignable_scopes", hcl::Expression::Array(vec![var("resource_group_id")])))
        .build();
    let assignment = Block::builder("resource")
        .add_label("azurerm_role_assignment")
        .add_label("namespace_custom_resources")
        .add_attribute((
            "scope",
            template("${var.cluster_id}/namespaces/${kubernetes_namespace_v1.this.metadata[0].name}"),
        ))
        .add_attribute((
            "role_definition_id",
            traversal("azurerm_role_definition", ["custom_resources", "role_definition_resource_id"]),
        ))
        .add_attribute(("principal_id", principal))
        .add_attribute(("principal_type", string("ServicePrincipal")))
        .add_attribute(("condition_version", string("2.0")))
        .add_attribute(("condition", string(CustomResource::condition(resources))))
        .build();
    vec![definition, assignment]
}

fn traversal_metadata_name() -> hcl::Expression {
    use crate::hcl_util::{Step, traversal_steps};
    traversal_steps(
        "kubernetes_namespace_v1",
        &[Step::Attr("this"), Step::Attr("metadata"), Step::Index(0), Step::Attr("name")],
    )
}
