//! The ingress controller: a static public IP, the role AKS needs to attach it, and the controller
//! of the chosen `backend` as a pinned Helm release (ingress-nginx here; Traefik in
//! [`crate::traefik`]; Envoy Gateway in [`crate::envoy_gateway`], whose `Gateway` the
//! [`crate::gateway`] module adds).

use hcl::{Block, Body, Expression};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::cert_manager::TlsSettings;
use crate::common::placement;
use crate::diagnostics::{Diagnostics, FieldPath};
use crate::hcl_util::{object, string, template, traversal, var};
use crate::helm_release::RepositoryChart;
use crate::module::{
    BlockComment, Contributions, Input, Output, ProviderRequirement, RenderError, RenderedModule, Section,
    SectionModule, StackContext, Variable,
};
use crate::rules::{self, Range, Rule};

/// Controller replicas.
pub const REPLICAS: Range = Range::new(1, 10);

/// Upstream ingress-nginx is retired; say so every time it is generated.
pub const NGINX_RETIRED_WARNING: &str = "ingress-nginx is retired upstream (no fixes since March 2026): set `ingress.backend: traefik` (serves the same Ingress and its nginx annotations) or `ingress.backend: gateway` (Envoy Gateway; the chart renders a Gateway API HTTPRoute) to move with one field";

/// The ingress controller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Ingress {
    /// Which controller serves ingresses.
    #[serde(default)]
    pub backend: IngressBackend,
    /// Pinned chart version of the backend's controller; defaults to the version stackgen pins for
    /// that backend (ingress-nginx 4.13.3, traefik 41.3.0, Envoy Gateway v1.9.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart_version: Option<String>,
    /// Ingress class the controller serves and the chart's Ingress uses; defaults to
    /// `external-nginx` (nginx) or `traefik` (traefik). With `gateway`, the GatewayClass
    /// (default `envoy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress_class_name: Option<String>,
    /// Namespace of the controller; defaults to `ingress-nginx`, `traefik` or
    /// `envoy-gateway-system` (where the Gateway and its Envoy proxies run too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Controller replicas.
    #[serde(default = "default_replicas")]
    pub replicas: u32,
}

fn default_replicas() -> u32 {
    2
}

impl Default for Ingress {
    fn default() -> Self {
        Self {
            backend: IngressBackend::default(),
            chart_version: None,
            ingress_class_name: None,
            namespace: None,
            replicas: default_replicas(),
        }
    }
}

/// The ingress controller implementation. Every backend serves the app the same way: its host,
/// its path prefix stripped, its Service behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IngressBackend {
    /// kubernetes/ingress-nginx through its Helm chart (retired upstream; see the warning).
    #[default]
    Nginx,
    /// Traefik Proxy v3 through its Helm chart, serving the same `networking.k8s.io/v1` Ingress
    /// through its `kubernetesIngressNGINX` provider, which reads the `nginx.ingress.kubernetes.io`
    /// annotations the chart sets: the maintained drop-in for ingress-nginx.
    Traefik,
    /// Gateway API through Envoy Gateway's Helm chart: Terraform installs the controller and a
    /// `Gateway` holding the static IP; the app chart renders an `HTTPRoute` (prefix stripped by
    /// the standard `URLRewrite` filter) instead of an `Ingress`.
    Gateway,
}

impl IngressBackend {
    /// The chart version stackgen pins for this backend.
    pub fn default_chart_version(self) -> &'static str {
        match self {
            Self::Nginx => "4.13.3",
            Self::Traefik => crate::traefik::CHART_VERSION,
            Self::Gateway => crate::envoy_gateway::CHART_VERSION,
        }
    }

    /// The default ingress class name.
    pub fn default_class(self) -> &'static str {
        match self {
            Self::Nginx => "external-nginx",
            Self::Traefik => "traefik",
            Self::Gateway => "envoy",
        }
    }

    /// The default namespace of the controller.
    pub fn default_namespace(self) -> &'static str {
        match self {
            Self::Nginx => "ingress-nginx",
            Self::Traefik => "traefik",
            Self::Gateway => "envoy-gateway-system",
        }
    }

    /// How this backend's chart versions read: Envoy Gateway's carry a `v`.
    pub fn chart_version_rule(self) -> Rule {
        match self {
            Self::Nginx | Self::Traefik => rules::SEMVER,
            Self::Gateway => rules::V_SEMVER,
        }
    }

    /// True when the app is published by an `HTTPRoute` on a Gateway rather than an `Ingress`.
    pub fn is_gateway_api(self) -> bool {
        self == Self::Gateway
    }

    /// The controller's `helm_release` label (kept `ingress_nginx` for existing stacks' state).
    fn release_label(self) -> &'static str {
        match self {
            Self::Nginx => "ingress_nginx",
            Self::Traefik => "traefik",
            Self::Gateway => "envoy_gateway",
        }
    }
}

impl Ingress {
    /// The pinned chart version: the spec's, else the backend's default.
    pub fn chart_version(&self) -> &str {
        self.chart_version.as_deref().unwrap_or(self.backend.default_chart_version())
    }

    /// The ingress class the controller serves.
    pub fn class_name(&self) -> &str {
        self.ingress_class_name.as_deref().unwrap_or(self.backend.default_class())
    }

    /// The controller's namespace.
    pub fn namespace(&self) -> &str {
        self.namespace.as_deref().unwrap_or(self.backend.default_namespace())
    }
}

/// The controller as a module: the `ingress:` section and, as its context, the TLS settings
/// (`None` serves plain http). HSTS and the HTTPS redirect are configured on the controller, but
/// the user sets them under `tls:`, beside the certificate.
pub type IngressModule<'a> = SectionModule<'a, Ingress>;

impl SectionModule<'_, Ingress> {
    /// Serves HTTPS as `tls` says: HTTP redirected, HSTS on HTTPS responses.
    #[must_use]
    pub fn with_tls(mut self, tls: Option<&TlsSettings>) -> Self {
        *self.context_mut() = tls.cloned();
        self
    }
}

impl Section for Ingress {
    type Context = Option<TlsSettings>;
    const NAME: &'static str = "ingress";

    fn validate_at(&self, at: &FieldPath, diagnostics: &mut Diagnostics) {
        self.backend.chart_version_rule().check_at(self.chart_version(), &at.key("chart_version"), diagnostics);
        rules::KUBERNETES_NAME.check_at(self.class_name(), &at.key("ingress_class_name"), diagnostics);
        rules::KUBERNETES_NAME.check_at(self.namespace(), &at.key("namespace"), diagnostics);
        REPLICAS.check_at(self.replicas, &at.key("replicas"), diagnostics);
    }

    fn comments(&self, _tls: &Option<TlsSettings>) -> Vec<BlockComment> {
        static_ip_comments()
    }

    fn contribute(&self, _tls: &Option<TlsSettings>, _stack: &StackContext) -> Result<Contributions, RenderError> {
        Ok(Contributions::new().readme_note(
            "The ingress IP: its own resource group, and the wait",
            format!(
                "The controller's static public IP lives alone in its own resource group (`ip_resource_group_name` of `module.ingress`). The Azure cloud provider looks the IP up by listing the public IPs of the group named in the Service's `service.beta.kubernetes.io/azure-load-balancer-resource-group` annotation, so the cluster identity holds `Network Contributor` on that group: with the role on the IP alone the lookup fails and the Service stays `Pending`; on the stack's group it would also reach the DNS zone and everything else there.\n\nThe new role takes up to five minutes to take effect, and the Helm release waits for the Service's address (`wait`, `atomic`) and would roll back meanwhile: `time_sleep.{NETWORK_PROPAGATION_WAIT}` waits {} after the assignment (once) before the release is installed.",
                crate::aks::ROLE_PROPAGATION_WAIT
            ),
        ))
    }

    fn render(&self, tls: &Option<TlsSettings>, stack: &StackContext) -> Result<RenderedModule, RenderError> {
        let annotations = object(
            load_balancer_annotations()
                .into_iter()
                .chain([(
                    "service.beta.kubernetes.io/azure-load-balancer-health-probe-request-path",
                    string("/healthz"),
                )])
                .collect::<Vec<_>>(),
        );
        let release = match self.backend {
            IngressBackend::Nginx => nginx_release(annotations, tls.as_ref()),
            IngressBackend::Traefik => crate::traefik::release(annotations, tls.as_ref(), static_ip_ready()),
            // The Service with the static IP belongs to the Gateway's Envoy proxies, configured
            // by the gateway module's EnvoyProxy from this module's outputs.
            IngressBackend::Gateway => crate::envoy_gateway::release(static_ip_ready()),
        };

        let mut inputs = placement(stack)?;
        inputs.extend(static_ip(stack)?);
        inputs.extend([
            Variable::setting("chart_version", "Pinned chart version of the controller.", self.chart_version())
                .rule(&self.backend.chart_version_rule(), "chart version")
                .passed_default(),
            Variable::setting("ingress_class_name", "Ingress class the controller serves.", self.class_name())
                .rule(&rules::KUBERNETES_NAME, "ingress class name")
                .passed_default(),
            Variable::setting("namespace", "Namespace of the controller.", self.namespace())
                .rule(&rules::KUBERNETES_NAME, "namespace")
                .passed_default(),
            Variable::setting("replicas", "Controller replicas.", self.replicas)
                .range(REPLICAS, "replicas")
                .passed_default(),
        ]);

        let mut outputs = vec![
            Output::new("ingress_class_name", var("ingress_class_name"), "Ingress class to use in Ingress objects."),
            Output::new(
                "namespace",
                traversal("helm_release", [self.backend.release_label(), "namespace"]),
                "Namespace of the controller.",
            ),
        ];
        outputs.extend(static_ip_outputs());
        if self.backend.is_gateway_api() {
            // The gateway module's EnvoyProxy puts these on the Envoy Service it asks for.
            outputs.push(Output::new(
                "public_ip_name",
                traversal("azurerm_public_ip", ["ingress", "name"]),
                "Name of the ingress public IP.",
            ));
        }
        Ok(RenderedModule {
            providers: vec![
                ProviderRequirement::azurerm(),
                ProviderRequirement::helm(),
                crate::common::time_provider(),
            ],
            main: Body::builder().add_blocks(static_ip_blocks()).add_block(release).build(),
            outputs,
            warnings: match self.backend {
                IngressBackend::Nginx => vec![NGINX_RETIRED_WARNING.to_owned()],
                IngressBackend::Traefik | IngressBackend::Gateway => Vec::new(),
            },
            ..RenderedModule::default()
        }
        .with_inputs(inputs))
    }
}

/// The ingress-nginx release, its Service carrying the static IP's `annotations`.
fn nginx_release(annotations: Expression, tls: Option<&TlsSettings>) -> Block {
    let mut controller = vec![
        ("replicaCount", var("replicas")),
        ("ingressClass", var("ingress_class_name")),
        (
            "ingressClassResource",
            object([
                ("name", var("ingress_class_name")),
                ("controllerValue", template("k8s.io/${var.ingress_class_name}")),
                ("default", Expression::Bool(false)),
            ]),
        ),
        // Snippet annotations let any namespace inject NGINX config (CVE-2021-25742).
        ("allowSnippetAnnotations", Expression::Bool(false)),
        ("service", object([("externalTrafficPolicy", string("Local")), ("annotations", annotations)])),
        ("resources", object([("requests", object([("cpu", string("100m")), ("memory", string("128Mi"))]))])),
        // The chart reads `controller.minAvailable` and creates the disruption budget only
        // with more than one replica (a budget of 1 over 1 pod would block node drains).
        ("minAvailable", Expression::from(1)),
        ("metrics", object([("enabled", Expression::Bool(true))])),
    ];
    if let Some(tls) = tls {
        // ingress-nginx redirects to HTTPS by itself once an Ingress has TLS (ssl-redirect) and
        // sends HSTS on HTTPS responses only; its defaults (a year, with subdomains) become the
        // spec's.
        let hsts = &tls.hsts;
        let text = |b: bool| string(if b { "true" } else { "false" });
        controller.push((
            "config",
            object([
                ("hsts", text(hsts.max_age_seconds > 0)),
                ("hsts-max-age", string(hsts.max_age_seconds.to_string())),
                ("hsts-include-subdomains", text(hsts.include_subdomains)),
                ("hsts-preload", text(hsts.preload)),
            ]),
        ));
    }
    let values = object([("controller", object(controller))]);
    RepositoryChart {
        label: "ingress_nginx",
        name: "ingress-nginx",
        repository: "https://kubernetes.github.io/ingress-nginx",
        chart: "ingress-nginx",
        timeout_seconds: 600,
    }
    .release(values, vec![static_ip_ready()])
}

// The static public IP every ingress backend serves on, and what AKS needs to attach it. Shared by
// all backends: each adds `load_balancer_annotations()` to its controller's Service and waits for
// `static_ip_ready()` before installing the controller.

/// Label of the `time_sleep` that waits for the cluster identity's Network Contributor role.
pub const NETWORK_PROPAGATION_WAIT: &str = "network_contributor_propagation";

/// The resource group holding only the ingress IP, the IP itself, the cluster identity's Network
/// Contributor role on that group, and the wait for the role to take effect.
///
/// The Azure cloud provider finds the IP named by `azure-pip-name` by listing the public IPs of
/// the group named by `azure-load-balancer-resource-group` (Azure/AKS#1624); a role on the IP alone
/// cannot list, the Service stays `Pending` and the release times out. The group holds nothing
/// else, so Network Contributor there reaches no other resource of the stack (on the stack's own
/// group it would reach the DNS zone too).
pub fn static_ip_blocks() -> Vec<Block> {
    let group = Block::builder("resource")
        .add_label("azurerm_resource_group")
        .add_label("ingress_ip")
        .add_attribute(("name", var("ip_resource_group_name")))
        .add_attribute(("location", var("location")))
        .add_attribute(("tags", var("tags")))
        .build();
    let ip = Block::builder("resource")
        .add_label("azurerm_public_ip")
        .add_label("ingress")
        .add_attribute(("name", var("public_ip_name")))
        .add_attribute(("location", var("location")))
        .add_attribute(("resource_group_name", traversal("azurerm_resource_group", ["ingress_ip", "name"])))
        .add_attribute(("allocation_method", string("Static")))
        .add_attribute(("sku", string("Standard")))
        .add_attribute(("tags", var("tags")))
        .build();
    let join = Block::builder("resource")
        .add_label("azurerm_role_assignment")
        .add_label("cluster_network")
        .add_attribute(("scope", traversal("azurerm_resource_group", ["ingress_ip", "id"])))
        .add_attribute(("role_definition_name", string("Network Contributor")))
        .add_attribute(("principal_id", var("cluster_identity_principal_id")))
        .add_attribute(("principal_type", string("ServicePrincipal")))
        .build();
    let wait = Block::builder("resource")
        .add_label("time_sleep")
        .add_label(NETWORK_PROPAGATION_WAIT)
        .add_attribute(("create_duration", string(crate::aks::ROLE_PROPAGATION_WAIT)))
        .add_attribute((
            "triggers",
            object([("role_assignment_id", traversal("azurerm_role_assignment", ["cluster_network", "id"]))]),
        ))
        .build();
    vec![group, ip, join, wait]
}

/// Why the static-IP blocks look as they do, as comments inside them.
pub fn static_ip_comments() -> Vec<BlockComment> {
    let group = |text: &str| BlockComment::resource("azurerm_resource_group", "ingress_ip", text);
    let join = |text: &str| BlockComment::resource("azurerm_role_assignment", "cluster_network", text);
    let wait = |text: &str| BlockComment::resource("time_sleep", NETWORK_PROPAGATION_WAIT, text);
    vec![
        group("Holds only the ingress IP: the cloud provider lists the public IPs of the group named in"),
        group("the Service's azure-load-balancer-resource-group annotation, so its role is scoped here."),
        join("Network Contributor on the IP's own group: enough to list and attach the IP, and nothing"),
        join("else of the stack (on the stack's group it would also reach the DNS zone)."),
        wait("Role assignments take up to five minutes to take effect; the controller's Service needs"),
        wait("this one at once, and helm's wait/atomic would roll the release back after its timeout."),
    ]
}

/// The inputs of the static-IP blocks (besides placement), each declared once: the IP's own
/// resource group and name, and the cluster identity allowed to attach it.
pub fn static_ip(stack: &StackContext) -> Result<Vec<Input>, RenderError> {
    Ok(vec![
        Variable::required("ip_resource_group_name", "string", "Resource group holding only the ingress IP.")
            .rule(&rules::RESOURCE_GROUP_NAME, "IP resource group name")
            .passed(template("rg-${local.name}-ingress")),
        Variable::required("public_ip_name", "string", "Name of the ingress controller's static public IP.")
            .passed(template("${local.name}-ingress")),
        Variable::required(
            "cluster_identity_principal_id",
            "string",
            "Principal ID of the cluster identity, allowed to attach the IP.",
        )
        .rule(&rules::UUID, "cluster identity principal ID")
        .passed(stack.output("aks", "identity_principal_id")?),
    ])
}

/// The Service annotations that make the Azure cloud provider use the static IP.
pub fn load_balancer_annotations() -> Vec<(&'static str, Expression)> {
    vec![
        (
            "service.beta.kubernetes.io/azure-load-balancer-resource-group",
            traversal("azurerm_resource_group", ["ingress_ip", "name"]),
        ),
        ("service.beta.kubernetes.io/azure-pip-name", traversal("azurerm_public_ip", ["ingress", "name"])),
    ]
}

/// What a controller's release must wait for: the IP's role, propagated.
pub fn static_ip_ready() -> Expression {
    traversal("time_sleep", [NETWORK_PROPAGATION_WAIT])
}

/// The outputs of the static IP.
pub fn static_ip_outputs() -> Vec<Output> {
    vec![
        Output::new(
            "public_ip_address",
            traversal("azurerm_public_ip", ["ingress", "ip_address"]),
            "Public IP of the ingress controller.",
        )
        .at_root(),
        Output::new(
            "public_ip_id",
            traversal("azurerm_public_ip", ["ingress", "id"]),
            "Resource ID of the ingress public IP.",
        ),
        Output::new(
            "ip_resource_group_name",
            traversal("azurerm_resource_group", ["ingress_ip", "name"]),
            "Resource group holding only the ingress IP.",
        ),
    ]
}
