//! The Gateway API objects of the `gateway` ingress backend: the `GatewayClass` naming Envoy
//! Gateway, the `EnvoyProxy` that puts the static IP on the Envoy proxies' Service, the `Gateway`
//! with its HTTP and HTTPS listeners for the app host, and (with TLS) the cert-manager
//! `Certificate` the HTTPS listener serves.
//!
//! Where they live: every one is of a CRD-typed kind (Gateway API and Envoy Gateway CRDs from the
//! Envoy Gateway chart, cert-manager's from its chart), and none of those CRDs exist when Terraform
//! plans the first apply, so they cannot be `kubernetes_manifest` resources (the provider reads the
//! CRD's schema at plan time and the first plan fails). They are a small local chart
//! (`terraform/modules/gateway/charts/gateway/`, generated with the stack), installed by a
//! `helm_release` in a module of its own, after the ingress module (whose `namespace` output is the
//! Envoy Gateway release, so its CRDs exist) and after cert-manager (whose `cluster_issuer_name`
//! output waits for the ClusterIssuer release, so cert-manager's CRDs and the issuer exist). A
//! module of its own because the ingress module comes before cert-manager (the DNS records, and so
//! cert-manager's zone, follow the ingress IP). They are the platform's, not the app chart's: the
//! Gateway holds the public IP and the certificate for the host, and the deploy identity may only
//! write `HTTPRoute`s in the app's namespace, which the Gateway's listeners admit and nothing else.

use hcl::{Body, Expression};

use crate::cert_manager::TlsSettings;
use crate::diagnostics::{Diagnostics, FieldPath};
use crate::hcl_util::{object, string, traversal, var};
use crate::ingress::{Ingress, REPLICAS};
use crate::module::{Module, Output, ProviderRequirement, RenderError, RenderedModule, StackContext, Variable};

/// The local chart holding the Gateway objects, relative to the module's folder.
pub const GATEWAY_CHART: &str = "charts/gateway";

/// The Gateway's name; the app chart's `HTTPRoute` attaches to it.
pub const GATEWAY_NAME: &str = "public";

/// The listener names, which `HTTPRoute`s name in `parentRefs[].sectionName`.
pub const HTTP_LISTENER: &str = "http";
/// See [`HTTP_LISTENER`].
pub const HTTPS_LISTENER: &str = "https";

/// The Gateway objects as a module. Not a spec section of its own: it owns the few values it
/// takes from the `ingress:`, `app:` and `kubernetes_access:` sections, all validated there, and
/// reads everything Terraform knows (the namespace, the IP, the issuer) from the outputs of the
/// ingress and cert-manager modules.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GatewayModule {
    /// Envoy proxy replicas (the ingress controller's `replicas`).
    pub replicas: u32,
    /// The app host the listeners serve.
    pub host: String,
    /// The only namespace whose `HTTPRoute`s may attach (the app's).
    pub route_namespace: String,
    /// The Secret cert-manager issues the host's certificate into, served by the HTTPS listener;
    /// `None` for plain http.
    pub certificate_secret: Option<String>,
}

impl GatewayModule {
    /// The Gateway for `host`, admitting routes from `route_namespace` (the app's), plain http
    /// until [`GatewayModule::with_tls`].
    pub fn new(spec: &Ingress, host: &str, route_namespace: &str) -> Self {
        Self {
            replicas: spec.replicas,
            host: host.to_owned(),
            route_namespace: route_namespace.to_owned(),
            certificate_secret: None,
        }
    }

    /// Adds the HTTPS listener serving the certificate cert-manager issues into `secret_name`
    /// (when `tls` is on).
    #[must_use]
    pub fn with_tls(mut self, tls: Option<&TlsSettings>, secret_name: &str) -> Self {
        self.certificate_secret = tls.map(|_| secret_name.to_owned());
        self
    }
}

impl Module for GatewayModule {
    fn name(&self) -> &str {
        "gateway"
    }

    fn validate(&self, _at: &FieldPath, _diagnostics: &mut Diagnostics) {
        // Every setting is the ingress module's, validated there.
    }

    fn render(&self, stack: &StackContext) -> Result<RenderedModule, RenderError> {
        let ingress = |output: &str| stack.output("ingress", output);
        let mut inputs = vec![
            Variable::required("namespace", "string", "Namespace of Envoy Gateway, the Gateway and its proxies.")
                .rule(&crate::rules::KUBERNETES_NAME, "namespace")
                .passed(ingress("namespace")?),
            Variable::required("gateway_class_name", "string", "The GatewayClass naming Envoy Gateway.")
                .rule(&crate::rules::KUBERNETES_NAME, "GatewayClass name")
                .passed(ingress("ingress_class_name")?),
            Variable::setting("gateway_name", "Name of the Gateway.", GATEWAY_NAME)
                .rule(&crate::rules::KUBERNETES_NAME, "Gateway name")
                .passed_default(),
            Variable::required("ip_resource_group_name", "string", "Resource group holding only the ingress IP.")
                .passed(ingress("ip_resource_group_name")?),
            Variable::required("public_ip_name", "string", "Name of the ingress static public IP.")
                .passed(ingress("public_ip_name")?),
            Variable::setting("replicas", "Envoy proxy replicas.", self.replicas)
                .range(REPLICAS, "replicas")
                .passed_default(),
            Variable::required("host", "string", "The app host the listeners serve.")
                .rule(&crate::rules::DNS_NAME, "host")
                .passed(string(self.host.clone())),
            Variable::required("route_namespace", "string", "The only namespace whose HTTPRoutes may attach.")
                .rule(&crate::rules::KUBERNETES_NAME, "route namespace")
                .passed(string(self.route_namespace.clone())),
        ];
        let mut values = vec![
            (
                "gatewayClass",
                object([
                    ("name", var("gateway_class_name")),
                    ("controllerName", string(crate::envoy_gateway::CONTROLLER_NAME)),
                ]),
            ),
            ("gateway", object([("name", var("gateway_name"))])),
            (
                "envoyProxy",
                object([
                    ("replicas", var("replicas")),
                    (
                        "serviceAnnotations",
                        object([
                            (
                                "service.beta.kubernetes.io/azure-load-balancer-resource-group",
                                var("ip_resource_group_name"),
                            ),
                            ("service.beta.kubernetes.io/azure-pip-name", var("public_ip_name")),
                            (
                                "service.beta.kubernetes.io/azure-load-balancer-health-probe-request-path",
                                string("/healthz"),
                            ),
                        ]),
                    ),
                ]),
            ),
            ("host", var("host")),
            ("routeNamespace", var("route_namespace")),
        ];
        if let Some(secret_name) = &self.certificate_secret {
            inputs.extend([
                // The ClusterIssuer's name, known once its release is installed: the Certificate
                // below is applied after cert-manager's CRDs and the issuer exist.
                Variable::required("cluster_issuer_name", "string", "The ClusterIssuer that signs the certificate.")
                    .passed(stack.output("cert_manager", "cluster_issuer_name")?),
                Variable::setting(
                    "certificate_secret_name",
                    "Secret cert-manager writes the host's certificate to, read by the HTTPS listener.",
                    secret_name.clone(),
                )
                .rule(&crate::rules::KUBERNETES_NAME, "certificate secret name")
                .passed_default(),
            ]);
            values.push((
                "tls",
                object([
                    ("enabled", Expression::Bool(true)),
                    ("secretName", var("certificate_secret_name")),
                    ("clusterIssuer", var("cluster_issuer_name")),
                ]),
            ));
        }
        let release =
            crate::helm_release::local_chart_release("gateway", "gateway", GATEWAY_CHART, object(values), vec![]);
        Ok(RenderedModule {
            providers: vec![ProviderRequirement::helm()],
            main: Body::builder().add_block(release).build(),
            outputs: vec![
                Output::new(
                    "gateway_name",
                    var("gateway_name"),
                    "The Gateway the app's HTTPRoute attaches to (once its release is installed).",
                )
                .after(traversal("helm_release", ["gateway"])),
                Output::new(
                    "namespace",
                    traversal("helm_release", ["gateway", "namespace"]),
                    "Namespace of the Gateway.",
                ),
            ],
            ..RenderedModule::default()
        }
        .with_inputs(inputs))
    }
}
