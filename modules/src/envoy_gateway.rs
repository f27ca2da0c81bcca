//! Envoy Gateway as the `gateway` ingress backend: a maintained Gateway API implementation. The
//! ingress module installs the controller (and, from its chart, the Gateway API CRDs); the
//! [`crate::gateway`] module installs the `GatewayClass`, `EnvoyProxy` and `Gateway` once those
//! CRDs exist; the app chart attaches an `HTTPRoute` to that Gateway.

use hcl::{Block, Expression};

use crate::hcl_util::{object, string};
use crate::helm_release::RepositoryChart;

/// The envoyproxy/gateway-helm chart version stackgen pins (Envoy Gateway v1.9.0, shipping the
/// Gateway API v1.6.1 CRDs). Its `values.yaml` is a test fixture: every key set below must exist
/// there; the Gateway API CRDs of v1.6.1 (standard channel) validate the objects stackgen renders.
pub const CHART_VERSION: &str = "v1.9.0";

/// The Gateway API version whose CRDs the pinned chart installs.
pub const GATEWAY_API_VERSION: &str = "v1.6.1";

/// The controller name Envoy Gateway answers to: the `GatewayClass` names it, the controller's
/// configuration sets it, both from here.
pub const CONTROLLER_NAME: &str = "gateway.envoyproxy.io/gatewayclass-controller";

/// The Envoy Gateway release (the control plane). The data plane (Envoy proxies and their
/// load-balancer Service with the static IP) is created for the `Gateway` the gateway module
/// installs, configured by its `EnvoyProxy`.
///
/// Reads the ingress module's `chart_version` and `namespace`. `static_ip_ready` is what the
/// release waits for (the IP role's propagation), so the Gateway installed after it gets its IP.
pub(crate) fn release(static_ip_ready: Expression) -> Block {
    let values = object([
        // The Gateway API and Envoy Gateway CRDs come from the chart's crds/ subchart, installed
        // before anything that uses them.
        ("crds", object([("enabled", Expression::Bool(true))])),
        (
            "config",
            object([("envoyGateway", object([("gateway", object([("controllerName", string(CONTROLLER_NAME))]))]))]),
        ),
    ]);
    RepositoryChart {
        label: "envoy_gateway",
        name: "envoy-gateway",
        repository: "oci://docker.io/envoyproxy",
        chart: "gateway-helm",
        timeout_seconds: 600,
    }
    .release(values, vec![static_ip_ready])
}
