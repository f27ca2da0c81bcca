//! Azure Kubernetes Service: the cluster and its autoscaling default node pool, secure by default.

use hcl::{Block, Body, Expression};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::placement;
use crate::diagnostics::{Diagnostics, FieldPath};
use crate::hcl_util::{Step, call, string, strings, traversal, traversal_steps, var};
use crate::module::{
    BlockComment, ClusterConnection, ClusterCredentials, Contributions, Inputs, Output, ProviderRequirement,
    RenderError, RenderedModule, Section, SectionModule, StackContext, Variable,
};
use crate::rules::{self, OneOf, Range, Rule};

/// The cluster name, which is also its `dns_prefix`: Azure limits the prefix to 54 characters
/// (the cluster name alone could have 63).
pub const CLUSTER_NAME: Rule = Rule::new(
    "aks-cluster-name",
    "^[a-z][a-z0-9-]{1,52}[a-z0-9]$",
    "3–54 lowercase letters, digits or hyphens, starting with a letter and ending with a letter or digit (it is also the DNS prefix, which Azure limits to 54 characters)",
);

/// A pinned Kubernetes minor version. The patch is left to the `patch` upgrade channel: a pinned
/// patch would be upgraded by AKS and every later plan would try to downgrade it.
pub const KUBERNETES_VERSION: Rule = Rule::new(
    "kubernetes-version",
    r"^[1-9][0-9]*\.(0|[1-9][0-9]*)$",
    "MAJOR.MINOR such as \"1.33\" (the patch upgrade channel keeps the patch current)",
);

/// Node counts of the default pool (and the autoscaler's bounds).
pub const NODE_COUNT: Range = Range::new(1, 1000);
/// Pods per node (Azure CNI overlay allows up to 250).
pub const MAX_PODS: Range = Range::new(50, 250);
/// OS disk size in GB.
pub const OS_DISK_SIZE_GB: Range = Range::new(30, 2048);
/// The control plane tiers.
pub const SKU_TIERS: OneOf = OneOf(&["Free", "Standard", "Premium"]);
/// The automatic upgrade channels.
pub const UPGRADE_CHANNELS: OneOf = OneOf(&["patch", "stable", "rapid", "node-image"]);
/// The network policy engines.
pub const NETWORK_POLICIES: OneOf = OneOf(&["azure", "calico", "cilium"]);

/// The rule across `kubernetes_version` and `automatic_upgrade_channel`, as
/// `Azure/terraform-azurerm-aks` enforces it with a precondition: a pinned version only with the
/// `patch` channel (which keeps the pinned minor and moves its patch); `stable`, `rapid` and
/// `node-image` with no version at all. Under `stable` a pinned version is upgraded by AKS and
/// every later plan tries to downgrade it.
#[derive(Debug, Clone, Copy)]
pub struct VersionChannel;

impl VersionChannel {
    /// The rule's name in diagnostics.
    pub const ID: &'static str = "version-channel";

    /// The Rust check.
    pub fn check(version: Option<&str>, channel: &str) -> bool {
        version.is_none() || channel == UpgradeChannel::Patch.as_str()
    }

    /// The HCL condition over the two inputs, true exactly when [`VersionChannel::check`] is.
    pub fn hcl_condition(version: Expression, channel: Expression) -> Expression {
        use hcl::expr::BinaryOperator::{Eq, Or};
        crate::hcl_util::binary(
            crate::hcl_util::binary(version, Eq, Expression::Null),
            Or,
            crate::hcl_util::binary(channel, Eq, string(UpgradeChannel::Patch.as_str())),
        )
    }

    /// A version and a channel the rule rejects, each valid on its own: a pinned minor under
    /// `stable`.
    pub fn rejected_values() -> (Expression, Expression) {
        (string("1.33"), string(UpgradeChannel::Stable.as_str()))
    }

    /// Terraform's error message, naming both inputs.
    pub const ERROR_MESSAGE: &'static str = "A pinned kubernetes_version needs automatic_upgrade_channel = \"patch\" (the pinned minor keeps its latest patch); with stable, rapid or node-image set kubernetes_version = null, or AKS upgrades the version and every later plan tries to downgrade it.";
}

/// The AKS cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Aks {
    /// VM size of the default node pool.
    #[serde(default = "default_vm_size")]
    pub default_vm_size: String,
    /// Let the cluster autoscaler size the default pool between min and max count.
    #[serde(default = "yes")]
    pub default_node_pool_enable_autoscaling: bool,
    /// Initial node count (autoscaling) or fixed node count.
    #[serde(default = "default_node_count")]
    pub default_node_pool_node_count: u32,
    /// Lower bound for the autoscaler.
    #[serde(default = "default_min_count")]
    pub default_node_pool_node_min_count: u32,
    /// Upper bound for the autoscaler; must be ≥ node count.
    #[serde(default = "default_max_count")]
    pub default_node_pool_node_max_count: u32,
    /// OS disk size of each node, in GB.
    #[serde(default = "default_disk_size")]
    pub default_node_pool_disk_size_in_gb: u32,
    /// Pods per node; set explicitly (Azure CNI overlay allows up to 250).
    #[serde(default = "default_max_pods")]
    pub default_node_pool_max_pods: u32,
    /// Kubernetes minor version (`1.33`), kept current by the `patch` upgrade channel (the only
    /// channel a pinned version works with); omit for the region's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_version: Option<String>,
    /// Control plane tier: `Standard` carries the uptime SLA.
    #[serde(default)]
    pub sku_tier: SkuTier,
    /// Automatic upgrade channel.
    #[serde(default)]
    pub automatic_upgrade_channel: UpgradeChannel,
    /// Network policy engine for Azure CNI overlay.
    #[serde(default)]
    pub network_policy: NetworkPolicy,
    /// How clients authenticate to the API server.
    #[serde(default)]
    pub authentication: ClusterAuthentication,
    /// Entra ID groups whose members are cluster admins.
    #[serde(default)]
    pub admin_group_object_ids: Vec<String>,
    /// CIDRs allowed to reach the API server; empty allows all (GitHub-hosted runners have no fixed IPs).
    #[serde(default)]
    pub api_server_authorized_ip_ranges: Vec<String>,
}

fn default_vm_size() -> String {
    "Standard_D2s_v5".to_owned()
}
fn yes() -> bool {
    true
}
fn default_node_count() -> u32 {
    2
}
fn default_min_count() -> u32 {
    1
}
fn default_max_count() -> u32 {
    5
}
fn default_disk_size() -> u32 {
    64
}
fn default_max_pods() -> u32 {
    110
}

impl Default for Aks {
    fn default() -> Self {
        Self {
            default_vm_size: default_vm_size(),
            default_node_pool_enable_autoscaling: true,
            default_node_pool_node_count: default_node_count(),
            default_node_pool_node_min_count: default_min_count(),
            default_node_pool_node_max_count: default_max_count(),
            default_node_pool_disk_size_in_gb: default_disk_size(),
            default_node_pool_max_pods: default_max_pods(),
            kubernetes_version: None,
            sku_tier: SkuTier::default(),
            automatic_upgrade_channel: UpgradeChannel::default(),
            network_policy: NetworkPolicy::default(),
            authentication: ClusterAuthentication::default(),
            admin_group_object_ids: Vec::new(),
            api_server_authorized_ip_ranges: Vec::new(),
        }
    }
}

/// AKS control plane tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub enum SkuTier {
    /// No SLA; for development.
    Free,
    /// Uptime SLA.
    #[default]
    Standard,
    /// Long-term support.
    Premium,
}

impl SkuTier {
    fn as_str(self) -> &'static str {
        match self {
            Self::Free => "Free",
            Self::Standard => "Standard",
            Self::Premium => "Premium",
        }
    }
}

/// AKS automatic upgrade channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum UpgradeChannel {
    /// Latest patch of the current minor version.
    #[default]
    Patch,
    /// Latest supported patch of the N-1 minor version.
    Stable,
    /// Latest supported version.
    Rapid,
    /// Node images only.
    NodeImage,
}

impl UpgradeChannel {
    /// The channel's name in Terraform.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Patch => "patch",
            Self::Stable => "stable",
            Self::Rapid => "rapid",
            Self::NodeImage => "node-image",
        }
    }
}

/// Network policy engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum NetworkPolicy {
    /// Azure Network Policy Manager.
    #[default]
    Azure,
    /// Calico.
    Calico,
    /// Cilium (uses the Cilium data plane).
    Cilium,
}

impl NetworkPolicy {
    fn as_str(self) -> &'static str {
        match self {
            Self::Azure => "azure",
            Self::Calico => "calico",
            Self::Cilium => "cilium",
        }
    }
}

/// How clients authenticate to the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClusterAuthentication {
    /// Entra ID with Azure RBAC, local accounts disabled; Terraform's helm and kubernetes
    /// providers get tokens through `kubelogin`.
    #[default]
    EntraId,
    /// Keeps local accounts (client certificates) as the original did, and exports them as
    /// sensitive outputs. Opt-in: anyone with the state file is cluster admin.
    LocalAccounts,
}

impl Aks {
    /// True when the default pool autoscales.
    pub fn autoscaling(&self) -> bool {
        self.default_node_pool_enable_autoscaling
    }

    /// Each input declared once: the variable (its default is the spec's value, its rule the
    /// spec's rule), what the root passes, in the order the root's module block lists them, and
    /// the attributes of the cluster that read it.
    fn inputs(&self, stack: &StackContext, workspace: Option<Expression>) -> Result<Inputs, RenderError> {
        let mut inputs = Inputs::new(stack);
        inputs.push(
            Variable::required("name", "string", "Name of the cluster; also its DNS prefix.")
                .rule(&CLUSTER_NAME, "cluster name")
                .passed(crate::hcl_util::template("${local.name}-aks"))
                .sets("dns_prefix"),
        );
        inputs.extend(placement(stack)?);
        inputs.extend([
            Variable::setting("vm_size", "VM size of the default node pool.", self.default_vm_size.clone())
                .passed_default(),
            node_count_variable(
                "node_count",
                "Initial (autoscaling) or fixed node count of the default pool.",
                self.default_node_pool_node_count,
            )
            .passed_default(),
        ]);
        if self.autoscaling() {
            use crate::hcl_util::binary;
            use hcl::expr::BinaryOperator::GreaterEq;
            inputs.extend([
                node_count_variable(
                    "min_count",
                    "Lower bound for the autoscaler.",
                    self.default_node_pool_node_min_count,
                )
                .passed_default(),
                node_count_variable(
                    "max_count",
                    "Upper bound for the autoscaler.",
                    self.default_node_pool_node_max_count,
                )
                .validate_rejecting(
                    crate::hcl_util::all_of([
                        binary(var("max_count"), GreaterEq, var("node_count")),
                        binary(var("max_count"), GreaterEq, var("min_count")),
                    ]),
                    "The max count must be at least the node count and the min count.",
                    // Each count within NODE_COUNT, the maximum below the initial count.
                    [
                        ("node_count", Expression::from(NODE_COUNT.min + 1)),
                        ("min_count", Expression::from(NODE_COUNT.min)),
                        ("max_count", Expression::from(NODE_COUNT.min)),
                    ],
                )
                .passed_default(),
            ]);
        }
        inputs.extend([
            Variable::setting("max_pods", "Maximum pods per node.", self.default_node_pool_max_pods)
                .range(MAX_PODS, "max pods")
                .passed_default(),
            Variable::setting(
                "os_disk_size_gb",
                "OS disk size of each node, in GB.",
                self.default_node_pool_disk_size_in_gb,
            )
            .range(OS_DISK_SIZE_GB, "OS disk size in GB")
            .passed_default(),
            Variable::optional(
                "kubernetes_version",
                "string",
                "Kubernetes minor version (MAJOR.MINOR, patch channel only); null for the region default.",
                Expression::Null,
            )
            .rule(&KUBERNETES_VERSION, "kubernetes version")
            .validate_rejecting(
                VersionChannel::hcl_condition(var("kubernetes_version"), var("automatic_upgrade_channel")),
                VersionChannel::ERROR_MESSAGE,
                {
                    let (version, channel) = VersionChannel::rejected_values();
                    [("kubernetes_version", version), ("automatic_upgrade_channel", channel)]
                },
            )
            .passed(self.kubernetes_version.clone().map_or(Expression::Null, string)),
            Variable::setting("sku_tier", "Control plane tier.", self.sku_tier.as_str())
                .one_of(SKU_TIERS, "SKU tier")
                .passed_default(),
            Variable::setting(
                "automatic_upgrade_channel",
                "Automatic upgrade channel.",
                self.automatic_upgrade_channel.as_str(),
            )
            .one_of(UPGRADE_CHANNELS, "upgrade channel")
            .passed_default(),
            Variable::setting("network_policy", "Network policy engine.", self.network_policy.as_str())
                .one_of(NETWORK_POLICIES, "network policy")
                .passed_default(),
            Variable::string_list(
                "api_server_authorized_ip_ranges",
                "CIDRs allowed to reach the API server; empty allows all.",
            )
            .rule_each(&rules::IPV4_CIDR, "API server authorized IP ranges")
            .passed(strings(self.api_server_authorized_ip_ranges.iter().map(String::as_str))),
        ]);
        if let Some(workspace) = workspace {
            inputs.push(
                Variable::required(
                    "log_analytics_workspace_id",
                    "string",
                    "Log Analytics workspace receiving container insights.",
                )
                .passed(workspace),
            );
        }
        if self.authentication == ClusterAuthentication::EntraId {
            inputs.push(
                Variable::string_list("admin_group_object_ids", "Entra ID groups whose members are cluster admins.")
                    .rule_each(&rules::UUID, "admin group object IDs")
                    .passed(strings(self.admin_group_object_ids.iter().map(String::as_str))),
            );
        }
        Ok(inputs)
    }
}

/// What the cluster module takes from outside `aks:`: wiring chosen in code, not in the spec.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AksWiring {
    /// `(module, output)`: the resource ID of the Log Analytics workspace receiving container
    /// insights, an output of a module added before this one (checked when the stack renders).
    pub log_analytics: Option<(String, String)>,
}

/// The cluster as a module: the `aks:` section and its [`AksWiring`].
pub type AksModule<'a> = SectionModule<'a, Aks>;

impl SectionModule<'_, Aks> {
    /// Sends container insights to a Log Analytics workspace: `module.<module>.<output>` must be
    /// the workspace's resource ID, declared by a module added before this one.
    #[must_use]
    pub fn with_log_analytics(mut self, module: &str, output: &str) -> Self {
        self.context_mut().log_analytics = Some((module.to_owned(), output.to_owned()));
        self
    }
}

fn cluster(attr: &str) -> Expression {
    traversal("azurerm_kubernetes_cluster", ["this", attr])
}

/// `azurerm_kubernetes_cluster.this.<block>[0].<attr>`: an attribute of a nested block the
/// provider fills (`kube_config`, `identity`).
fn cluster_nested(block: &str, attr: &str) -> Expression {
    traversal_steps(
        "azurerm_kubernetes_cluster",
        &[Step::Attr("this"), Step::Attr(block), Step::Index(0), Step::Attr(attr)],
    )
}

impl Section for Aks {
    type Context = AksWiring;
    const NAME: &'static str = "aks";

    /// The cluster connection of the root's helm and kubernetes providers, from this module's
    /// outputs and its authentication setting.
    fn contribute(&self, _wiring: &AksWiring, stack: &StackContext) -> Result<Contributions, RenderError> {
        let own = |output: &str| stack.reference(Self::NAME, output);
        let (host, credentials) = match self.authentication {
            ClusterAuthentication::EntraId => (own("host")?, ClusterCredentials::AzureCli),
            ClusterAuthentication::LocalAccounts => (
                own("cluster_host_endpoint")?,
                ClusterCredentials::ClientCertificate {
                    certificate: own("client_certificate")?,
                    key: own("client_key")?,
                },
            ),
        };
        let note = match self.authentication {
            ClusterAuthentication::EntraId => format!(
                "Local accounts are off: Kubernetes access is Entra ID and Azure RBAC only. Whoever the azurerm provider authenticates as gets `Azure Kubernetes Service RBAC Cluster Admin` on this cluster alone (`azurerm_role_assignment.deployer_cluster_admin`), and the helm and kubernetes providers log in through kubelogin's `azurecli` mode, so run Terraform as one principal: `az login` on a workstation, or `azure/login` before `terraform` in CI (kubelogin's `azurecli` mode does not see `ARM_CLIENT_SECRET`).\n\nRole assignments take up to five minutes to take effect, and `depends_on` only orders their creation. `time_sleep.{PROPAGATION_WAIT}` waits {ROLE_PROPAGATION_WAIT} after the assignment, once (again only if the assignment is replaced), and the providers' host and CA outputs depend on it, so nothing talks to the API server before the role works. Without it the first apply fails with 403 and only a second one succeeds.\n\n`terraform destroy` removes the Helm releases before the assignment and the cluster: their providers are configured from outputs that depend on both. Replacing the cluster (a new name) leaves those providers without an address at plan time: apply `-target=module.aks` first, then the rest."
            ),
            ClusterAuthentication::LocalAccounts => "Local accounts are on (`aks.authentication: local_accounts`): the helm and kubernetes providers use the cluster's admin client certificate, which Terraform keeps in its state, so protect the state like a cluster-admin credential. Azure RBAC cannot scope anyone to a namespace on this cluster, and anyone allowed to list the cluster's credentials is cluster admin.\n\n`terraform destroy` removes the Helm releases before the cluster: their providers are configured from its outputs. Replacing the cluster (a new name) leaves those providers without an address at plan time: apply `-target=module.aks` first, then the rest.".to_owned(),
        };
        Ok(Contributions::new()
            .readme_note("The cluster: who may talk to it, and the wait after the role", note)
            .cluster(ClusterConnection {
                name: own("name")?,
                resource_group: stack.reference("resource_group", "name")?,
                host,
                cluster_ca_certificate: own("cluster_ca_certificate")?,
                credentials,
            }))
    }

    fn validate_at(&self, at: &FieldPath, diagnostics: &mut Diagnostics) {
        if !self.default_vm_size.starts_with("Standard_") || self.default_vm_size.contains(char::is_whitespace) {
            diagnostics.push(
                at.key("default_vm_size"),
                "vm-size",
                format!("must be an Azure VM size such as \"Standard_D2s_v5\", got {:?}", self.default_vm_size),
            );
        }
        let count = self.default_node_pool_node_count;
        NODE_COUNT.check_at(count, &at.key("default_node_pool_node_count"), diagnostics);
        if self.autoscaling() {
            let (min, max) = (self.default_node_pool_node_min_count, self.default_node_pool_node_max_count);
            NODE_COUNT.check_at(min, &at.key("default_node_pool_node_min_count"), diagnostics);
            NODE_COUNT.check_at(max, &at.key("default_node_pool_node_max_count"), diagnostics);
            if max < count {
                diagnostics.push(
                    at.key("default_node_pool_node_max_count"),
                    "max-count",
                    format!("must be ≥ default_node_pool_node_count ({count}), got {max}"),
                );
            }
            if min > count {
                diagnostics.push(
                    at.key("default_node_pool_node_min_count"),
                    "min-count",
                    format!("must be ≤ default_node_pool_node_count ({count}), got {min}"),
                );
            }
        }
        OS_DISK_SIZE_GB.check_at(
            self.default_node_pool_disk_size_in_gb,
            &at.key("default_node_pool_disk_size_in_gb"),
            diagnostics,
        );
        MAX_PODS.check_at(self.default_node_pool_max_pods, &at.key("default_node_pool_max_pods"), diagnostics);
        if let Some(version) = &self.kubernetes_version {
            KUBERNETES_VERSION.check_at(version, &at.key("kubernetes_version"), diagnostics);
        }
        let channel = self.automatic_upgrade_channel.as_str();
        if !VersionChannel::check(self.kubernetes_version.as_deref(), channel) {
            diagnostics.push(
                at.key("kubernetes_version"),
                VersionChannel::ID,
                format!(
                    "{} is pinned while {} is {channel:?}: AKS upgrades a pinned version under that channel and every later plan tries to downgrade it; use automatic_upgrade_channel: patch with a pinned MAJOR.MINOR, or remove kubernetes_version",
                    at.key("kubernetes_version"),
                    at.key("automatic_upgrade_channel"),
                ),
            );
        }
        for (i, group) in self.admin_group_object_ids.iter().enumerate() {
            rules::uuid(group, &at.key("admin_group_object_ids").index(i), diagnostics);
        }
        for (i, cidr) in self.api_server_authorized_ip_ranges.iter().enumerate() {
            rules::ipv4_cidr(cidr, &at.key("api_server_authorized_ip_ranges").index(i), diagnostics);
        }
    }

    fn comments(&self, wiring: &AksWiring) -> Vec<BlockComment> {
        let skip =
            |id: &str, reason: &str| BlockComment::checkov_skip("azurerm_kubernetes_cluster", "this", id, reason);
        let mut comments = vec![
            skip(
                "CKV_AZURE_115",
                "a private API server is unreachable from GitHub-hosted runners and workstations; restrict it with aks.api_server_authorized_ip_ranges",
            ),
            skip(
                "CKV_AZURE_117",
                "a disk encryption set needs a customer-managed key in Key Vault; disks are encrypted at rest with platform-managed keys",
            ),
            skip(
                "CKV_AZURE_226",
                "ephemeral OS disks depend on the VM size's cache; managed OS disks work with every size",
            ),
            skip(
                "CKV_AZURE_227",
                "encryption at host needs the EncryptionAtHost feature registered on the subscription",
            ),
            skip("CKV_AZURE_232", "one node pool: the system pool also runs the workload"),
            skip(
                "CKV_AZURE_172",
                "the Key Vault secrets provider add-on is not enabled, so there is nothing to rotate",
            ),
        ];
        if wiring.log_analytics.is_none() {
            comments.push(skip(
                "CKV_AZURE_4",
                "no Log Analytics workspace in this stack; add one with AksModule::with_log_analytics",
            ));
        }
        if self.api_server_authorized_ip_ranges.is_empty() {
            comments.push(skip(
                "CKV_AZURE_6",
                "GitHub-hosted runners have no fixed IPs; list yours in aks.api_server_authorized_ip_ranges",
            ));
        }
        if self.sku_tier != SkuTier::Standard {
            comments.push(skip("CKV_AZURE_170", "aks.sku_tier chosen in the spec instead of Standard"));
        }
        if self.authentication == ClusterAuthentication::LocalAccounts {
            comments
                .push(skip("CKV_AZURE_141", "local accounts kept on purpose: aks.authentication is local_accounts"));
        } else {
            let admin = |text: &str| BlockComment::resource("azurerm_role_assignment", "deployer_cluster_admin", text);
            comments.extend([
                admin("Whoever the azurerm provider authenticates as gets cluster admin; the helm and kubernetes"),
                admin("providers log in through kubelogin's azurecli mode, so run Terraform as that same principal"),
                admin("(`az login`, or azure/login in CI before terraform). Destroy removes the helm releases first:"),
                admin("they use providers configured from outputs that depend on this assignment."),
            ]);
            let wait = |text: &str| BlockComment::resource("time_sleep", PROPAGATION_WAIT, text);
            comments.extend([
                wait("Role assignments take up to five minutes to take effect; depends_on orders creation only."),
                wait("Waits once, on create (and when the assignment is replaced), before providers use the cluster."),
            ]);
        }
        comments.push(BlockComment::resource(
            "azurerm_kubernetes_cluster",
            "this",
            "Replacing the cluster (name, dns_prefix) leaves the helm and kubernetes providers without an address at plan time: apply `-target=module.aks` first, then the rest.",
        ));
        comments
    }

    fn render(&self, wiring: &AksWiring, stack: &StackContext) -> Result<RenderedModule, RenderError> {
        let spec = self;
        let entra = spec.authentication == ClusterAuthentication::EntraId;
        let workspace = match &wiring.log_analytics {
            Some((module, output)) => Some(stack.output(module, output)?),
            None => None,
        };
        let monitored = workspace.is_some();
        let inputs = self.inputs(stack, workspace)?;
        let set = |attribute: &str| inputs.attribute(attribute);

        let mut pool = Block::builder("default_node_pool")
            .add_attribute(("name", string("system")))
            .add_attribute(set("vm_size")?)
            .add_attribute(("auto_scaling_enabled", Expression::Bool(spec.autoscaling())))
            .add_attribute(set("node_count")?);
        if spec.autoscaling() {
            pool = pool.add_attributes(inputs.attributes(["min_count", "max_count"])?);
        }
        let pool = pool
            .add_attributes(inputs.attributes(["max_pods", "os_disk_size_gb"])?)
            .add_attribute(("node_public_ip_enabled", false))
            .add_attribute(("temporary_name_for_rotation", string("systemtmp")))
            .add_attribute(("type", string("VirtualMachineScaleSets")))
            .add_attribute(set("tags")?)
            .add_block(Block::builder("upgrade_settings").add_attribute(("max_surge", string("10%"))).build())
            .build();

        let mut resource = Block::builder("resource")
            .add_label("azurerm_kubernetes_cluster")
            .add_label("this")
            .add_attributes(inputs.attributes([
                "name",
                "location",
                "resource_group_name",
                "dns_prefix",
                "kubernetes_version",
                "sku_tier",
                "automatic_upgrade_channel",
            ])?)
            .add_attribute(("node_os_upgrade_channel", string("NodeImage")))
            .add_attribute(("azure_policy_enabled", true))
            .add_attribute(("local_account_disabled", Expression::Bool(entra)))
            .add_attribute(("role_based_access_control_enabled", true))
            .add_attribute(("oidc_issuer_enabled", true))
            .add_attribute(("workload_identity_enabled", true))
            .add_attribute(("image_cleaner_enabled", true))
            .add_attribute(("image_cleaner_interval_hours", 48))
            .add_attribute(("run_command_enabled", false))
            .add_attribute(set("tags")?)
            .add_block(pool)
            .add_block(Block::builder("identity").add_attribute(("type", string("SystemAssigned"))).build());
        if entra {
            resource = resource.add_block(
                Block::builder("azure_active_directory_role_based_access_control")
                    .add_attribute(("azure_rbac_enabled", true))
                    .add_attribute(set("admin_group_object_ids")?)
                    .build(),
            );
        }
        // Only with ranges: an empty `api_server_access_profile {}` shows a diff on every plan
        // (hashicorp/terraform-provider-azurerm#27119). `dynamic`, so a hand-edited input still works.
        resource = resource
            .add_block(
                Block::builder("dynamic")
                    .add_label("api_server_access_profile")
                    .add_attribute((
                        "for_each",
                        Expression::from(hcl::expr::Conditional::new(
                            crate::hcl_util::binary(
                                call("length", [var("api_server_authorized_ip_ranges")]),
                                hcl::expr::BinaryOperator::Greater,
                                Expression::from(0),
                            ),
                            Expression::Array(vec![var("api_server_authorized_ip_ranges")]),
                            Expression::Array(Vec::new()),
                        )),
                    ))
                    .add_block(
                        Block::builder("content")
                            .add_attribute(("authorized_ip_ranges", traversal("api_server_access_profile", ["value"])))
                            .build(),
                    )
                    .build(),
            )
            .add_block({
                let mut network = Block::builder("network_profile")
                    .add_attribute(("network_plugin", string("azure")))
                    .add_attribute(("network_plugin_mode", string("overlay")))
                    .add_attribute(set("network_policy")?);
                if spec.network_policy == NetworkPolicy::Cilium {
                    network = network.add_attribute(("network_data_plane", string("cilium")));
                }
                network
                    .add_attribute(("load_balancer_sku", string("standard")))
                    .add_attribute(("outbound_type", string("loadBalancer")))
                    .build()
            });
        if monitored {
            resource = resource.add_block(
                Block::builder("oms_agent")
                    .add_attribute(set("log_analytics_workspace_id")?)
                    .add_attribute(("msi_auth_for_monitoring_enabled", true))
                    .build(),
            );
        }
        if spec.autoscaling() {
            resource = resource.add_block(
                Block::builder("lifecycle")
                    .add_attribute((
                        "ignore_changes",
                        Expression::Array(vec![traversal_steps(
                            "default_node_pool",
                            &[Step::Index(0), Step::Attr("node_count")],
                        )]),
                    ))
                    .build(),
            );
        }

        // With local accounts disabled, whoever runs Terraform reaches the Kubernetes API only
        // through Azure RBAC; subscription Owner carries no data actions, so the helm and
        // kubernetes providers would be forbidden without this assignment.
        let deployer_admin = Block::builder("resource")
            .add_label("azurerm_role_assignment")
            .add_label("deployer_cluster_admin")
            .add_attribute(("scope", cluster("id")))
            .add_attribute(("role_definition_name", string("Azure Kubernetes Service RBAC Cluster Admin")))
            .add_attribute(("principal_id", traversal("data", ["azurerm_client_config", "current", "object_id"])))
            .build();
        // `depends_on` orders creation, not propagation: Azure documents that a new role
        // assignment can take up to five minutes to take effect, and the helm and kubernetes
        // providers use this one at once. The wait is bounded, runs once (on create) and shows in
        // the plan; providers read the cluster's address only through outputs that wait for it.
        let propagation = Block::builder("resource")
            .add_label("time_sleep")
            .add_label(PROPAGATION_WAIT)
            .add_attribute(("create_duration", string(ROLE_PROPAGATION_WAIT)))
            .add_attribute((
                "triggers",
                crate::hcl_util::object([(
                    "role_assignment_id",
                    traversal("azurerm_role_assignment", ["deployer_cluster_admin", "id"]),
                )]),
            ))
            .build();

        let api_ready = |output: Output| {
            if entra { output.after(traversal("time_sleep", [PROPAGATION_WAIT])) } else { output }
        };
        let mut outputs = vec![
            Output::new("id", cluster("id"), "Resource ID of the cluster."),
            Output::new("name", cluster("name"), "Name of the cluster.").at_root(),
            api_ready(Output::new("host", cluster_nested("kube_config", "host"), "API server URL.").sensitive()),
            api_ready(
                Output::new(
                    "cluster_ca_certificate",
                    call("base64decode", [cluster_nested("kube_config", "cluster_ca_certificate")]),
                    "PEM CA certificate of the API server.",
                )
                .sensitive(),
            ),
            Output::new(
                "identity_principal_id",
                cluster_nested("identity", "principal_id"),
                "Principal ID of the cluster's system-assigned identity.",
            ),
            // `one(…[*])`, not `[0]`: the provider fills this block on create, which a mock provider
            // never does (mocks fill computed attributes only), so the module's own `terraform
            // test` run sees it empty. A real cluster always has exactly one; were it missing, the
            // null would fail the registry module's UUID validation of `kubelet_object_id`.
            Output::new(
                "kubelet_object_id",
                call(
                    "one",
                    [traversal_steps(
                        "azurerm_kubernetes_cluster",
                        &[Step::Attr("this"), Step::Attr("kubelet_identity"), Step::Splat, Step::Attr("object_id")],
                    )],
                ),
                "Object ID of the kubelet identity, which pulls images.",
            ),
            Output::new(
                "node_resource_group",
                cluster("node_resource_group"),
                "Resource group AKS manages for the nodes.",
            ),
            Output::new("oidc_issuer_url", cluster("oidc_issuer_url"), "OIDC issuer URL for workload identity.")
                .at_root(),
        ];
        if !entra {
            for (name, attr, description) in [
                ("cluster_host_endpoint", "host", "API server URL (local accounts)."),
                ("client_certificate", "client_certificate", "Client certificate (local accounts)."),
                ("client_key", "client_key", "Client key (local accounts)."),
            ] {
                outputs.push(Output::new(name, cluster_nested("kube_config", attr), description).sensitive().at_root());
            }
            if let Some(ca) = outputs.iter_mut().find(|o| o.name == "cluster_ca_certificate") {
                ca.expose_at_root = true;
            }
        }

        Ok(RenderedModule {
            providers: if entra {
                vec![ProviderRequirement::azurerm(), crate::common::time_provider()]
            } else {
                vec![ProviderRequirement::azurerm()]
            },
            main: if entra {
                Body::builder()
                    .add_block(Block::builder("data").add_label("azurerm_client_config").add_label("current").build())
                    .add_block(resource.build())
                    .add_block(deployer_admin)
                    .add_block(propagation)
                    .build()
            } else {
                Body::builder().add_block(resource.build()).build()
            },
            outputs,
            warnings: if entra {
                Vec::new()
            } else {
                vec!["aks.authentication is local_accounts: client certificates are exported as sensitive outputs and anyone with the state file is cluster admin".to_owned()]
            },
            ..RenderedModule::default()
        }
        .with_inputs(inputs))
    }
}

fn node_count_variable(name: &str, description: &str, default: u32) -> Variable {
    Variable::setting(name, description, default).range(NODE_COUNT, &name.replace('_', " "))
}

/// Label of the `time_sleep` that waits for the deployer's cluster-admin role to propagate.
pub const PROPAGATION_WAIT: &str = "cluster_admin_propagation";

/// How long to wait for a new role assignment to take effect: the five minutes Azure documents.
pub const ROLE_PROPAGATION_WAIT: &str = "300s";

/// `value >= min && value <= max`
pub fn between(value: Expression, min: i64, max: i64) -> Expression {
    use hcl::expr::BinaryOperator::{GreaterEq, LessEq};
    crate::hcl_util::all_of([
        crate::hcl_util::binary(value.clone(), GreaterEq, Expression::from(min)),
        crate::hcl_util::binary(value, LessEq, Expression::from(max)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::Module;

    fn broken(aks: &Aks) -> Vec<String> {
        let mut d = Diagnostics::new();
        aks.validate_at(&FieldPath::root().key("aks"), &mut d);
        d.iter().map(|d| format!("{} [{}]: {}", d.path, d.rule, d.message)).collect()
    }

    /// Defect 3: a version pinned under the stable channel is refused, naming both fields.
    #[test]
    fn a_pinned_version_needs_the_patch_channel() {
        let stable = Aks {
            kubernetes_version: Some("1.33".into()),
            automatic_upgrade_channel: UpgradeChannel::Stable,
            ..Aks::default()
        };
        let found = broken(&stable);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("aks.kubernetes_version [version-channel]: "), "{found:?}");
        assert!(found[0].contains("aks.automatic_upgrade_channel"), "names both fields: {found:?}");
        assert!(found[0].contains("\"stable\""), "{found:?}");

        let patch = Aks { automatic_upgrade_channel: UpgradeChannel::Patch, ..stable.clone() };
        assert!(broken(&patch).is_empty());
        let unpinned = Aks { kubernetes_version: None, ..stable };
        assert!(broken(&unpinned).is_empty());
        let patch_pinned = Aks { kubernetes_version: Some("1.33.2".into()), ..patch };
        assert_eq!(broken(&patch_pinned).len(), 1, "a pinned patch drifts under the patch channel too");
    }

    #[test]
    fn the_rejected_version_and_channel_break_only_the_cross_rule() {
        let (Expression::String(version), Expression::String(channel)) = VersionChannel::rejected_values() else {
            panic!("strings")
        };
        assert!(KUBERNETES_VERSION.check(&version) && UPGRADE_CHANNELS.check(&channel));
        assert!(!VersionChannel::check(Some(&version), &channel));
    }

    #[test]
    fn the_version_channel_condition_is_a_precondition_on_the_version_variable() {
        let spec = Aks::default();
        let rendered = AksModule::new(&spec).render(&fixture_stack()).expect("renders");
        let version = rendered.variables.iter().find(|v| v.name == "kubernetes_version").expect("variable");
        let conditions: Vec<String> =
            version.validations.iter().map(|v| hcl::format::to_string(&v.condition).unwrap_or_default()).collect();
        assert!(
            conditions
                .contains(&"var.kubernetes_version == null || var.automatic_upgrade_channel == \"patch\"".to_owned()),
            "{conditions:?}"
        );
        assert!(version.validations.iter().any(|v| v.error_message.contains("automatic_upgrade_channel")));
    }

    fn fixture_stack() -> StackContext {
        let mut stack = StackContext::new(crate::module::StackSettings::default());
        let group = RenderedModule {
            outputs: vec![Output::new("location", string("x"), "x."), Output::new("name", string("x"), "x.")],
            ..RenderedModule::default()
        };
        stack.declare(crate::common::RESOURCE_GROUP_MODULE, &group);
        stack
    }
}
