//! TLS for the app host: cert-manager as a pinned Helm release (CRDs from its chart), an identity
//! that may write records in exactly the stack's DNS zone (workload identity, no secret), and a
//! Let's Encrypt `ClusterIssuer` solving DNS-01 challenges in that zone.
//!
//! Where the `ClusterIssuer` lives: it needs cert-manager's CRDs, which do not exist when Terraform
//! plans the first apply, so it cannot be a `kubernetes_manifest` (the provider reads the CRD's
//! schema at plan time and the first plan fails). It is a small local chart
//! (`terraform/modules/cert_manager/charts/cluster-issuer/`, generated with the stack) installed by a
//! second `helm_release` that depends on the cert-manager release: Helm renders it without the
//! cluster at plan time and installs it at apply time, after the CRDs. It is cluster-scoped and
//! lives with the platform, not in the app chart, because the deploy identity may only write in the
//! app's namespace and because only a `ClusterIssuer` gets cert-manager's ambient (workload
//! identity) credentials without opening them to every namespace's `Issuer`s. The app's
//! certificate is then requested by the app chart's Ingress (cert-manager's ingress-shim), in the
//! app's namespace, where the Ingress reads it.

use std::fmt;

use hcl::{Block, Body, Expression};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::common::placement;
use crate::diagnostics::{Diagnostics, FieldPath};
use crate::hcl_util::{object, string, strings, template, traversal, var};
use crate::helm_release::RepositoryChart;
use crate::module::{
    Contributions, Inputs, Output, ProviderRequirement, RenderError, RenderedModule, Section, SectionModule,
    StackContext, Variable,
};
use crate::rules;

/// The jetstack/cert-manager chart version stackgen pins. Its `values.yaml` and the CRDs of this
/// version are test fixtures.
pub const CHART_VERSION: &str = "v1.21.1";

/// The local chart holding the `ClusterIssuer`, relative to the module's folder.
pub const ISSUER_CHART: &str = "charts/cluster-issuer";

/// Workload identity's token audience for Entra ID.
const TOKEN_AUDIENCE: &str = "api://AzureADTokenExchange";

/// TLS for the app host, on by default: `tls: false` serves plain HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tls {
    /// No certificate; the app is served over http.
    Disabled,
    /// A Let's Encrypt certificate for the app host, HTTP redirected to HTTPS.
    Enabled(TlsSettings),
}

impl Default for Tls {
    fn default() -> Self {
        Self::Enabled(TlsSettings::default())
    }
}

/// TLS settings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(deny_unknown_fields)]
pub struct TlsSettings {
    /// Contact e-mail for the Let's Encrypt account (expiry and policy notices). Required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acme_email: Option<String>,
    /// Which Let's Encrypt CA signs: `production` (trusted by browsers) or `staging` (untrusted,
    /// generous rate limits: for trying a stack out).
    #[serde(default)]
    pub issuer: AcmeIssuer,
    /// The `Strict-Transport-Security` header sent on HTTPS responses.
    #[serde(default)]
    pub hsts: Hsts,
    /// The cert-manager installation.
    #[serde(default)]
    pub cert_manager: CertManager,
}

/// Let's Encrypt's two ACME directories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AcmeIssuer {
    /// Trusted certificates.
    #[default]
    Production,
    /// Untrusted test certificates with higher rate limits.
    Staging,
}

/// The ACME directories the `acme_server` variable accepts: Let's Encrypt production, staging.
const ACME_SERVERS: rules::OneOf = rules::OneOf(&[
    "https://acme-v02.api.letsencrypt.org/directory",
    "https://acme-staging-v02.api.letsencrypt.org/directory",
]);

impl AcmeIssuer {
    /// The ACME directory URL.
    pub fn server(self) -> &'static str {
        match self {
            Self::Production => ACME_SERVERS.0[0],
            Self::Staging => ACME_SERVERS.0[1],
        }
    }

    /// The `ClusterIssuer`'s name, which the app's Ingress refers to.
    pub fn cluster_issuer_name(self) -> &'static str {
        match self {
            Self::Production => "letsencrypt-production",
            Self::Staging => "letsencrypt-staging",
        }
    }
}

/// HTTP Strict Transport Security.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(deny_unknown_fields)]
pub struct Hsts {
    /// How long browsers remember to use HTTPS only, in seconds; 0 sends no header.
    #[serde(default = "default_hsts_max_age")]
    pub max_age_seconds: u32,
    /// Also for every subdomain of the app host.
    #[serde(default)]
    pub include_subdomains: bool,
    /// Ask to be included in browsers' preload lists (needs `include_subdomains` and a year).
    #[serde(default)]
    pub preload: bool,
}

fn default_hsts_max_age() -> u32 {
    31_536_000
}

impl Default for Hsts {
    fn default() -> Self {
        Self { max_age_seconds: default_hsts_max_age(), include_subdomains: false, preload: false }
    }
}

impl Hsts {
    /// The header value, or `None` when HSTS is off.
    pub fn header(&self) -> Option<String> {
        if self.max_age_seconds == 0 {
            return None;
        }
        let mut value = format!("max-age={}", self.max_age_seconds);
        if self.include_subdomains {
            value.push_str("; includeSubDomains");
        }
        if self.preload {
            value.push_str("; preload");
        }
        Some(value)
    }
}

/// The cert-manager release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(deny_unknown_fields)]
pub struct CertManager {
    /// Pinned jetstack/cert-manager chart version.
    #[serde(default = "default_chart_version")]
    pub chart_version: String,
    /// Namespace of cert-manager (its service account is the federated credential's subject).
    #[serde(default = "default_namespace")]
    pub namespace: String,
}

fn default_chart_version() -> String {
    CHART_VERSION.to_owned()
}
fn default_namespace() -> String {
    "cert-manager".to_owned()
}

impl Default for CertManager {
    fn default() -> Self {
        Self { chart_version: default_chart_version(), namespace: default_namespace() }
    }
}

impl Tls {
    /// The settings, unless TLS is off.
    pub fn settings(&self) -> Option<&TlsSettings> {
        match self {
            Self::Disabled => None,
            Self::Enabled(settings) => Some(settings),
        }
    }

    /// Pushes every rule broken (none when TLS is off).
    pub fn validate_at(&self, at: &FieldPath, diagnostics: &mut Diagnostics) {
        if let Some(settings) = self.settings() {
            settings.validate_at(at, diagnostics);
        }
    }
}

/// An address Let's Encrypt accepts as an account contact: `local@domain` with a public domain
/// (it refuses reserved example domains and names without a dot).
fn acme_email(email: &str, path: &FieldPath, diagnostics: &mut Diagnostics) {
    let reserved = ["example.com", "example.org", "example.net", "localhost"];
    let ok = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && local.len() <= 64
                && !local.contains(['@', ' ', '<', '>', ',', ';', ':', '"'])
                && domain.contains('.')
                && domain.split('.').all(|label| {
                    (1..=63).contains(&label.len())
                        && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                        && !label.starts_with('-')
                        && !label.ends_with('-')
                })
                && !reserved.iter().any(|r| domain.eq_ignore_ascii_case(r) || domain.ends_with(&format!(".{r}")))
        }
        None => false,
    };
    if !ok {
        diagnostics.push(
            path.clone(),
            "acme-email",
            format!(
                "must be an e-mail address Let's Encrypt accepts (name@domain, a public domain, not example.com/.org/.net), got {email:?}"
            ),
        );
    }
}

impl Serialize for Tls {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Disabled => serializer.serialize_bool(false),
            Self::Enabled(settings) => settings.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Tls {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TlsVisitor;
        impl<'de> Visitor<'de> for TlsVisitor {
            type Value = Tls;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("`false`, `true` or a mapping of TLS settings")
            }
            fn visit_bool<E: de::Error>(self, on: bool) -> Result<Tls, E> {
                Ok(if on { Tls::default() } else { Tls::Disabled })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Tls, A::Error> {
                TlsSettings::deserialize(de::value::MapAccessDeserializer::new(map)).map(Tls::Enabled)
            }
        }
        deserializer.deserialize_any(TlsVisitor)
    }
}

impl JsonSchema for Tls {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Tls".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let settings = generator.subschema_for::<TlsSettings>();
        json_schema!({
            "description": "TLS for the app host: a mapping of settings, or `false` to serve plain http.",
            "anyOf": [{"type": "boolean"}, settings],
        })
    }
}

/// What the cert-manager module takes from outside `tls:`: the DNS zone whose records it may
/// write. Its name, not a reference to the dns module's output: the README says which zone while
/// generating, before any output exists (the zone's ID, which only Terraform knows, is read from
/// the dns module's `zone_id` output).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DnsZone {
    /// The zone, such as `example.com`.
    pub name: String,
}

/// cert-manager, its DNS-01 identity and the `ClusterIssuer`, as a module: the `tls:` settings
/// and the [`DnsZone`].
pub type CertManagerModule<'a> = SectionModule<'a, TlsSettings>;

impl<'a> SectionModule<'a, TlsSettings> {
    /// cert-manager for certificates of names in the DNS zone `zone_name`.
    pub fn for_zone(spec: &'a TlsSettings, zone_name: &str) -> Self {
        Self::with_context(spec, DnsZone { name: zone_name.to_owned() })
    }
}

impl Section for TlsSettings {
    type Context = DnsZone;
    const NAME: &'static str = "cert_manager";

    fn validate_at(&self, at: &FieldPath, diagnostics: &mut Diagnostics) {
        match &self.acme_email {
            None => diagnostics.push(
                at.key("acme_email"),
                "required",
                "Let's Encrypt needs a contact e-mail for the app host's certificate; set tls.acme_email, or `tls: false` to serve plain http",
            ),
            Some(email) => acme_email(email, &at.key("acme_email"), diagnostics),
        }
        let hsts = &self.hsts;
        if hsts.preload && !(hsts.include_subdomains && hsts.max_age_seconds >= 31_536_000) {
            diagnostics.push(
                at.key("hsts").key("preload"),
                "hsts-preload",
                "preload lists require include_subdomains: true and max_age_seconds of at least 31536000 (a year)",
            );
        }
        let version = &self.cert_manager.chart_version;
        let path = at.key("cert_manager").key("chart_version");
        match version.strip_prefix('v') {
            Some(rest) => rules::semver(rest, &path, diagnostics),
            None => diagnostics.push(
                path,
                "pinned-version",
                format!(
                    "cert-manager charts are versioned vMAJOR.MINOR.PATCH, such as {CHART_VERSION}, got {version:?}"
                ),
            ),
        }
        rules::kubernetes_name(&self.cert_manager.namespace, &at.key("cert_manager").key("namespace"), diagnostics);
    }

    fn contribute(&self, zone: &DnsZone, _stack: &StackContext) -> Result<Contributions, RenderError> {
        Ok(Contributions::new().readme_note(
            "cert-manager: one DNS zone, no secret",
            format!(
                "cert-manager proves control of `{}` with DNS-01 TXT records. Its own user-assigned identity, trusted through workload identity for exactly cert-manager's service account, holds `DNS Zone Contributor` on that zone and nothing else; no client secret exists. There is no wait after that assignment: cert-manager retries a challenge until the role works.",
                zone.name
            ),
        ))
    }

    fn render(&self, zone: &DnsZone, stack: &StackContext) -> Result<RenderedModule, RenderError> {
        let mut inputs = Inputs::new(stack);
        inputs.push(
            Variable::required("identity_name", "string", "Name of cert-manager's DNS-01 identity.")
                .passed(template("${local.name}-cert-manager"))
                .sets("name"),
        );
        inputs.extend(placement(stack)?);
        inputs.extend([
            Variable::required(
                "oidc_issuer_url",
                "string",
                "The cluster's OIDC issuer, trusted for cert-manager's token.",
            )
            .passed(stack.output("aks", "oidc_issuer_url")?)
            .sets("issuer"),
            Variable::required("dns_zone_id", "string", "Resource ID of the zone cert-manager may write records in.")
                .passed(stack.output("dns", "zone_id")?)
                .sets("scope"),
            Variable::required("dns_zone_name", "string", "Name of that zone.").passed(string(zone.name.clone())),
            Variable::required("acme_email", "string", "Contact e-mail of the Let's Encrypt account.")
                .rule(&rules::EMAIL, "ACME e-mail")
                .passed(string(self.acme_email.clone().unwrap_or_default())),
            Variable::setting(
                "acme_server",
                "ACME directory: Let's Encrypt production or staging.",
                self.issuer.server(),
            )
            .one_of(ACME_SERVERS, "ACME server")
            .passed_default(),
            Variable::setting(
                "cluster_issuer_name",
                "Name of the ClusterIssuer the app's Ingress asks for certificates.",
                self.issuer.cluster_issuer_name(),
            )
            .passed_default(),
            Variable::setting(
                "chart_version",
                "Pinned cert-manager chart version.",
                self.cert_manager.chart_version.clone(),
            )
            .rule(&rules::V_SEMVER, "chart version")
            .passed_default(),
            Variable::setting("namespace", "Namespace of cert-manager.", self.cert_manager.namespace.clone())
                .passed_default(),
            // Not passed: the chart's own name, documented where the federated credential uses it.
            Variable::setting(
                "service_account_name",
                "cert-manager controller's service account: the federated credential's subject.",
                "cert-manager",
            )
            .into_input(),
        ]);

        let set = |attribute: &str| inputs.attribute(attribute);
        let identity_attr = |attr: &str| traversal("azurerm_user_assigned_identity", ["this", attr]);
        let identity = Block::builder("resource")
            .add_label("azurerm_user_assigned_identity")
            .add_label("this")
            .add_attributes(inputs.attributes(["name", "location", "resource_group_name", "tags"])?)
            .build();
        // cert-manager's own service account, nothing else in the cluster, gets the identity.
        let credential = Block::builder("resource")
            .add_label("azurerm_federated_identity_credential")
            .add_label("this")
            .add_attribute(("name", string("cert-manager")))
            .add_attribute(set("resource_group_name")?)
            .add_attribute(("parent_id", identity_attr("id")))
            .add_attribute(("audience", strings([TOKEN_AUDIENCE])))
            .add_attribute(set("issuer")?)
            .add_attribute(("subject", template("system:serviceaccount:${var.namespace}:${var.service_account_name}")))
            .build();
        // Records in this one zone, nothing else: DNS-01 writes a TXT record and removes it.
        let role = Block::builder("resource")
            .add_label("azurerm_role_assignment")
            .add_label("dns")
            .add_attribute(set("scope")?)
            .add_attribute(("role_definition_name", string("DNS Zone Contributor")))
            .add_attribute(("principal_id", identity_attr("principal_id")))
            .add_attribute(("principal_type", string("ServicePrincipal")))
            .build();
        let client_config = Block::builder("data").add_label("azurerm_client_config").add_label("current").build();

        let workload_identity = object([("azure.workload.identity/use", string("true"))]);
        let values = object([
            ("crds", object([("enabled", Expression::Bool(true)), ("keep", Expression::Bool(true))])),
            ("podLabels", workload_identity.clone()),
            (
                "serviceAccount",
                object([
                    ("name", var("service_account_name")),
                    ("labels", workload_identity),
                    ("annotations", object([("azure.workload.identity/client-id", identity_attr("client_id"))])),
                ]),
            ),
            ("resources", object([("requests", object([("cpu", string("10m")), ("memory", string("64Mi"))]))])),
        ]);
        let release = RepositoryChart {
            label: "cert_manager",
            name: "cert-manager",
            repository: "https://charts.jetstack.io",
            chart: "cert-manager",
            timeout_seconds: 600,
        }
        .release(
            values,
            vec![
                traversal("azurerm_federated_identity_credential", ["this"]),
                traversal("azurerm_role_assignment", ["dns"]),
            ],
        );
        let issuer_values = object([
            ("name", var("cluster_issuer_name")),
            ("server", var("acme_server")),
            ("email", var("acme_email")),
            (
                "azureDNS",
                object([
                    ("subscriptionID", traversal("data", ["azurerm_client_config", "current", "subscription_id"])),
                    ("resourceGroupName", var("resource_group_name")),
                    ("hostedZoneName", var("dns_zone_name")),
                    ("clientID", identity_attr("client_id")),
                ]),
            ),
        ]);
        // The ClusterIssuer kind exists once the cert-manager release has installed its CRDs.
        let issuer = crate::helm_release::local_chart_release(
            "cluster_issuer",
            "cluster-issuer",
            ISSUER_CHART,
            issuer_values,
            vec![traversal("helm_release", ["cert_manager"])],
        );

        Ok(RenderedModule {
            providers: vec![ProviderRequirement::azurerm(), ProviderRequirement::helm()],
            main: Body::builder()
                .add_block(identity)
                .add_block(credential)
                .add_block(role)
                .add_block(client_config)
                .add_block(release)
                .add_block(issuer)
                .build(),
            outputs: vec![
                // Whoever names the issuer (the gateway module's Certificate) waits for its release,
                // so cert-manager's CRDs and the ClusterIssuer exist first.
                Output::new(
                    "cluster_issuer_name",
                    var("cluster_issuer_name"),
                    "Name of the ClusterIssuer, once its release is installed (after cert-manager's CRDs).",
                )
                .after(traversal("helm_release", ["cluster_issuer"])),
                Output::new(
                    "identity_client_id",
                    identity_attr("client_id"),
                    "Client ID of cert-manager's DNS-01 identity.",
                )
                .at_root(),
                Output::new(
                    "namespace",
                    traversal("helm_release", ["cert_manager", "namespace"]),
                    "Namespace of cert-manager.",
                ),
            ],
            ..RenderedModule::default()
        }
        .with_inputs(inputs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(tls: &Tls) -> Vec<(String, &'static str)> {
        let mut diagnostics = Diagnostics::new();
        tls.validate_at(&FieldPath::root().key("tls"), &mut diagnostics);
        diagnostics.iter().map(|d| (d.path.to_string(), d.rule)).collect()
    }

    fn with_email(email: &str) -> Tls {
        Tls::Enabled(TlsSettings { acme_email: Some(email.to_owned()), ..TlsSettings::default() })
    }

    #[test]
    fn the_acme_email_is_required_and_must_be_accepted_by_lets_encrypt() {
        assert_eq!(rules(&Tls::default()), [("tls.acme_email".to_owned(), "required")]);
        assert_eq!(rules(&Tls::Disabled), []);
        for good in ["platform@contoso.com", "ops+tls@mail.example.io"] {
            assert_eq!(rules(&with_email(good)), [], "{good}");
        }
        for bad in [
            "",
            "ops",
            "ops@",
            "@contoso.com",
            "ops@contoso",
            "ops@example.com",
            "a b@contoso.com",
            "ops@x.example.org",
        ] {
            assert_eq!(rules(&with_email(bad)), [("tls.acme_email".to_owned(), "acme-email")], "{bad:?}");
        }
    }

    #[test]
    fn tls_reads_false_true_or_settings_and_refuses_unknown_keys() {
        let read = |text: &str| serde_json::from_str::<Tls>(text).map_err(|e| e.to_string());
        assert_eq!(read("false"), Ok(Tls::Disabled));
        assert_eq!(read("true"), Ok(Tls::default()));
        assert_eq!(
            read(r#"{"acme_email": "a@contoso.com", "issuer": "staging"}"#).map(|t| t.settings().map(|s| s.issuer)),
            Ok(Some(AcmeIssuer::Staging))
        );
        assert!(read(r#"{"acme_mail": "a@contoso.com"}"#).is_err_and(|e| e.contains("acme_mail")));
        assert_eq!(serde_json::to_string(&Tls::Disabled).ok().as_deref(), Some("false"));
    }

    #[test]
    fn hsts_header_follows_the_settings() {
        assert_eq!(Hsts::default().header().as_deref(), Some("max-age=31536000"));
        let all = Hsts { max_age_seconds: 63_072_000, include_subdomains: true, preload: true };
        assert_eq!(all.header().as_deref(), Some("max-age=63072000; includeSubDomains; preload"));
        assert_eq!(Hsts { max_age_seconds: 0, ..all }.header(), None);
        let preload_alone = Tls::Enabled(TlsSettings {
            acme_email: Some("a@contoso.com".to_owned()),
            hsts: Hsts { preload: true, ..Hsts::default() },
            ..TlsSettings::default()
        });
        assert_eq!(rules(&preload_alone), [("tls.hsts.preload".to_owned(), "hsts-preload")]);
    }
}
