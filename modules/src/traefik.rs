//! Traefik Proxy as the `traefik` ingress backend: the maintained controller that serves the same
//! `networking.k8s.io/v1` Ingress ingress-nginx did.
//!
//! Traefik's `kubernetesIngressNGINX` provider (Traefik v3.6.2 and later) reads the
//! `nginx.ingress.kubernetes.io/*` annotations the app chart already sets (`use-regex`,
//! `rewrite-target`, `ssl-redirect`), so a stack migrates from `nginx` by changing one field and
//! the chart's Ingress stays byte-identical apart from its class. Its plain `kubernetesIngress`
//! provider is switched off so no Ingress is served twice, by two routers with different rules.

use hcl::{Block, Expression};

use crate::cert_manager::TlsSettings;
use crate::hcl_util::{object, string, template, var};
use crate::helm_release::RepositoryChart;

/// The traefik/traefik chart version stackgen pins (Traefik v3.7.11). Its `values.yaml` is a test
/// fixture: every key set below must exist there.
pub const CHART_VERSION: &str = "41.3.0";

/// The Traefik release, its Service carrying the static IP's `annotations`.
///
/// Reads the ingress module's variables: `chart_version`, `namespace`, `replicas` and
/// `ingress_class_name`. `static_ip_ready` is what the release waits for before the Service asks
/// for the static IP (the ingress module's role-propagation wait); it is passed in so this file
/// does not reach back into the ingress module that calls it.
pub(crate) fn release(annotations: Expression, tls: Option<&TlsSettings>, static_ip_ready: Expression) -> Block {
    let controller = template("k8s.io/${var.ingress_class_name}");
    let mut extra_objects = vec![object([
        ("apiVersion", string("networking.k8s.io/v1")),
        ("kind", string("IngressClass")),
        ("metadata", object([("name", var("ingress_class_name"))])),
        ("spec", object([("controller", controller.clone())])),
    ])];
    let mut ports = Vec::new();
    if let Some(tls) = tls {
        // Every plain-HTTP request is redirected to HTTPS at the entry point, for every router.
        let redirect =
            object([("to", string("websecure")), ("scheme", string("https")), ("permanent", Expression::Bool(true))]);
        ports.push(("web", object([("http", object([("redirections", object([("entryPoint", redirect)]))]))])));
        let hsts = &tls.hsts;
        if hsts.header().is_some() {
            // HSTS on every HTTPS response: a headers middleware on the websecure entry point. The
            // Middleware kind comes from the chart's crds/, which Helm installs before extraObjects.
            extra_objects.push(object([
                ("apiVersion", string("traefik.io/v1alpha1")),
                ("kind", string("Middleware")),
                ("metadata", object([("name", string("hsts")), ("namespace", var("namespace"))])),
                (
                    "spec",
                    object([(
                        "headers",
                        object([
                            ("stsSeconds", Expression::from(hsts.max_age_seconds)),
                            ("stsIncludeSubdomains", Expression::Bool(hsts.include_subdomains)),
                            ("stsPreload", Expression::Bool(hsts.preload)),
                        ]),
                    )]),
                ),
            ]));
            let middleware = template("${var.namespace}-hsts@kubernetescrd");
            ports.push((
                "websecure",
                object([("http", object([("middlewares", Expression::Array(vec![middleware]))]))]),
            ));
        }
    }
    let mut values = vec![
        ("deployment", object([("replicas", var("replicas"))])),
        // At most one pod down at a time: never blocks a node drain, even with one replica.
        ("podDisruptionBudget", object([("enabled", Expression::Bool(true)), ("maxUnavailable", Expression::from(1))])),
        // The chart's own IngressClass names Traefik's native controller, which the NGINX provider
        // does not serve; the class below (in extraObjects) names the one it does.
        ("ingressClass", object([("enabled", Expression::Bool(false))])),
        (
            "providers",
            object([
                ("kubernetesIngress", object([("enabled", Expression::Bool(false))])),
                (
                    "kubernetesIngressNGINX",
                    object([
                        ("enabled", Expression::Bool(true)),
                        ("controllerClass", controller.clone()),
                        ("ingressClass", var("ingress_class_name")),
                        // Ingresses get the load balancer's address in their status, as with nginx.
                        ("publishService", object([("enabled", Expression::Bool(true))])),
                    ]),
                ),
            ]),
        ),
        (
            "service",
            object([("annotations", annotations), ("spec", object([("externalTrafficPolicy", string("Local"))]))]),
        ),
        ("resources", object([("requests", object([("cpu", string("100m")), ("memory", string("128Mi"))]))])),
        ("extraObjects", Expression::Array(extra_objects)),
    ];
    if !ports.is_empty() {
        values.push(("ports", object(ports)));
    }
    let values = object(values);
    RepositoryChart {
        label: "traefik",
        name: "traefik",
        repository: "https://traefik.github.io/charts",
        chart: "traefik",
        timeout_seconds: 600,
    }
    .release(values, vec![static_ip_ready])
}
