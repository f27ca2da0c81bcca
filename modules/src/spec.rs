//! The whole stack as users write it in a spec file, and the modules it turns into.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::acr::Acr;
use crate::aks::{Aks, AksModule};
use crate::app::App;
use crate::cert_manager::{CertManagerModule, Tls};
use crate::delivery::{Delivery, DeployMode};
use crate::diagnostics::{Diagnostics, FieldPath, Segment};
use crate::dns::{Dns, DnsModule};
use crate::gateway::GatewayModule;
use crate::github_oidc::Github;
use crate::ingress::{Ingress, IngressModule};
use crate::kubernetes_access::{KubernetesAccess, KubernetesAccessModule};
use crate::module::Module;
use crate::section::Section;
use crate::source::Source;
use crate::stack::StackSettings;

/// A stack: one service on AKS, its registry, identities, DNS, ingress and delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct StackSpec {
    /// Name, region, resource group, tags, state backend.
    pub stack: StackSettings,
    /// The cluster.
    #[serde(default)]
    pub aks: Aks,
    /// The container registry.
    pub acr: Acr,
    /// The GitHub repository that builds and ships the service.
    pub github: Github,
    /// The DNS zone.
    pub dns: Dns,
    /// The ingress controller.
    #[serde(default)]
    pub ingress: Ingress,
    /// TLS for the app host (Let's Encrypt through cert-manager), on unless `tls: false`.
    #[serde(default)]
    pub tls: Tls,
    /// Where the workload runs and what CI may do there.
    #[serde(default)]
    pub kubernetes_access: KubernetesAccess,
    /// The deployed service.
    pub app: App,
    /// How new versions are deployed.
    #[serde(default)]
    pub delivery: Delivery,
    /// Where the workload's image comes from: the starter service (default) or your own
    /// Dockerfile.
    #[serde(default)]
    pub source: Source,
}

impl StackSpec {
    /// Stack-wide settings for rendering.
    pub fn settings(&self) -> StackSettings {
        self.stack.clone()
    }

    /// The namespace the workload runs in.
    pub fn namespace(&self) -> &str {
        &self.kubernetes_access.namespace
    }

    /// The Secret holding the app host's certificate: cert-manager writes it, the Ingress (or the
    /// Gateway's HTTPS listener) reads it.
    pub fn tls_secret_name(&self) -> String {
        format!("{}-tls", self.app.name)
    }

    /// The app's image repository in this stack's registry (unless overridden).
    pub fn image_repository(&self) -> String {
        self.app.image_repository(&self.acr.login_server())
    }

    /// The stack's modules in dependency order, each with the spec key it validates under.
    /// Modules only refer to outputs of modules before them.
    pub fn modules(&self) -> Vec<(FieldPath, Box<dyn Module + '_>)> {
        let root = FieldPath::root();
        let mut modules: Vec<(FieldPath, Box<dyn Module + '_>)> = vec![
            (root.key("stack"), Box::new(&self.stack)),
            (root.key("aks"), Box::new(AksModule::new(&self.aks))),
            (root.key("acr"), Box::new(&self.acr)),
            (root.key("ingress"), Box::new(IngressModule::new(&self.ingress).with_tls(self.tls.settings()))),
            (root.key("dns"), Box::new(DnsModule::for_app_host(&self.dns, &self.app.host))),
        ];
        if let Some(tls) = self.tls.settings() {
            modules.push((root.key("tls"), Box::new(CertManagerModule::for_zone(tls, &self.dns.hosted_zone_name))));
        }
        if self.ingress.backend.is_gateway_api() {
            modules.push((
                root.key("ingress"),
                Box::new(
                    GatewayModule::new(&self.ingress, &self.app.host, self.namespace())
                        .with_tls(self.tls.settings(), &self.tls_secret_name()),
                ),
            ));
        }
        modules.push((root.key("github"), Box::new(&self.github)));
        match self.delivery.mode {
            DeployMode::Push => modules.push((
                root.key("kubernetes_access"),
                Box::new(
                    KubernetesAccessModule::for_repository(
                        &self.kubernetes_access,
                        &self.github,
                        self.aks.authentication,
                    )
                    .with_custom_resources(
                        self.ingress.backend.is_gateway_api().then_some(crate::kubernetes_access::HTTP_ROUTES),
                    ),
                ),
            )),
            // Argo CD pulls from git, so CI gets no cluster identity at all.
            DeployMode::Gitops => modules.push((root.key("delivery").key("argocd"), Box::new(&self.delivery.argocd))),
        }
        modules
    }

    /// Every rule broken anywhere in the spec, including rules across modules.
    pub fn validate(&self) -> Diagnostics {
        let mut diagnostics = Diagnostics::new();
        for (at, module) in self.modules() {
            module.validate(&at, &mut diagnostics);
        }
        self.validate_beyond_modules(&mut diagnostics);
        diagnostics
    }

    /// [`StackSpec::validate`] for a spec some of whose fields did not load: `unavailable` are
    /// the fields whose value is a stand-in for what the user wrote (see the generator's
    /// `load_partial`). A rule is skipped when it reads one of them, either the field it reports
    /// at (or a field inside or around it) or one of the other fields it compares with
    /// (listed beside this method); every other rule is judged as usual.
    pub fn validate_available(&self, unavailable: &[FieldPath]) -> Diagnostics {
        let mut kept = Diagnostics::new();
        for diagnostic in self.validate() {
            let inputs = rule_inputs(&diagnostic.path);
            if !inputs.iter().any(|input| unavailable.iter().any(|broken| overlaps(input, broken))) {
                kept.push_diagnostic(diagnostic);
            }
        }
        kept
    }

    /// The rules that no Terraform module checks on its own: the app, delivery, and rules that
    /// span several modules. [`StackSpec::validate`] is these plus every module's own rules.
    pub fn validate_beyond_modules(&self, diagnostics: &mut Diagnostics) {
        let root = FieldPath::root();
        if self.delivery.mode != DeployMode::Push {
            // Not a module in gitops mode, but the namespace is still where the app runs.
            self.kubernetes_access.validate_at(&root.key("kubernetes_access"), diagnostics);
        }
        self.app.validate_at(&root.key("app"), diagnostics);
        self.delivery.validate_at(&root.key("delivery"), diagnostics);
        self.source.validate_at(&root.key("source"), diagnostics);
        if self.dns.relative_name(&self.app.host).is_none() {
            diagnostics.push(
                root.key("app").key("host"),
                "host-in-zone",
                format!(
                    "must be inside dns.hosted_zone_name ({:?}) so its record can be created, got {:?}",
                    self.dns.hosted_zone_name, self.app.host
                ),
            );
        }
        let app_record = self.dns.relative_name(&self.app.host);
        // A TXT record may share the name; an A or CNAME record would clash with the app's A record.
        if let Some(sub) = self
            .dns
            .subdomains
            .iter()
            .position(|s| Some(&s.name) == app_record.as_ref() && s.record_type != crate::dns::RecordType::Txt)
        {
            diagnostics.push(
                root.key("dns").key("subdomains").index(sub).key("name"),
                "app-record",
                format!(
                    "{:?} is the record of app.host ({:?}), which stackgen creates; remove it from subdomains",
                    self.dns.subdomains[sub].name, self.app.host
                ),
            );
        }
        if self.ingress.namespace() == self.kubernetes_access.namespace {
            diagnostics.push(
                root.key("kubernetes_access").key("namespace"),
                "namespace-clash",
                "must differ from ingress.namespace: the workload and the ingress controller get separate namespaces",
            );
        }
    }
}

/// A field path whose list indexes may be left open: `None` matches any index.
type FieldPattern = Vec<Option<Segment>>;

/// True when `pattern` and `path` name the same field, or one lies inside the other.
fn overlaps(pattern: &FieldPattern, path: &FieldPath) -> bool {
    pattern.iter().zip(path.segments()).all(|(want, have)| match (want, have) {
        (None, Segment::Index(_)) => true,
        (Some(want), have) => want == have,
        (None, Segment::Key(_)) => false,
    })
}

/// The fields a rule reported at `path` reads: the field itself and, for every rule of
/// [`StackSpec::validate`] that compares several fields, the others. A stand-in in any of them
/// could make the rule fire (or stay quiet) for the wrong reason. A rule that compares fields
/// and is missing here is caught by the generator's `tests/stand_ins.rs`, which breaks every
/// field of valid specs in turn and allows no problem anywhere else.
///
/// Written `a.b[].c`: `[]` in the first column matches any index; in the second, `[]` is any
/// index and `[=]` the index the first column matched.
fn rule_inputs(path: &FieldPath) -> Vec<FieldPattern> {
    const AKS_COUNTS: &[&str] = &[
        "aks.default_node_pool_enable_autoscaling",
        "aks.default_node_pool_node_count",
        "aks.default_node_pool_node_min_count",
        "aks.default_node_pool_node_max_count",
    ];
    const RECORD_NAMES: &[&str] =
        &["dns.subdomains[].name", "dns.subdomains[].type", "dns.hosted_zone_name", "app.host"];
    // (where the rule reports, what else it reads)
    const COUPLED: &[(&str, &[&str])] = &[
        ("aks.default_node_pool_node_min_count", AKS_COUNTS),
        ("aks.default_node_pool_node_max_count", AKS_COUNTS),
        ("aks.kubernetes_version", &["aks.automatic_upgrade_channel"]),
        ("stack.tags", &["stack.tags"]),
        ("dns.subdomains[].name", RECORD_NAMES),
        ("dns.subdomains[].records", &["dns.subdomains[=].type"]),
        ("app.host", &["dns.hosted_zone_name"]),
        ("tls", &["tls"]),
        ("source", &["source.dockerfile"]),
        ("kubernetes_access.namespace", &["ingress", "delivery.mode"]),
    ];
    let mut inputs = vec![path.segments().iter().cloned().map(Some).collect()];
    for (at, reads) in COUPLED {
        let at = pattern(at, None);
        if at.len() > path.segments().len() || !overlaps(&at, path) {
            continue;
        }
        // The index the first `[]` matched, for `[=]`.
        let matched = at.iter().zip(path.segments()).find_map(|(want, have)| match (want, have) {
            (None, Segment::Index(index)) => Some(*index),
            _ => None,
        });
        inputs.extend(reads.iter().map(|read| pattern(read, matched)));
    }
    inputs
}

/// Parses `a.b[].c` (see [`rule_inputs`]).
fn pattern(text: &str, same: Option<usize>) -> FieldPattern {
    let mut segments = Vec::new();
    for part in text.split('.') {
        let (key, index) = match part.split_once('[') {
            Some((key, index)) => (key, Some(index)),
            None => (part, None),
        };
        segments.push(Some(Segment::Key(key.to_owned())));
        match index {
            Some("=]") => segments.push(same.map(Segment::Index)),
            Some(_) => segments.push(None),
            None => {}
        }
    }
    segments
}
