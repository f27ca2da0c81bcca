//! The chart's values as Rust types: `values.yaml` is these defaults serialized, and
//! `values.schema.json` is their schemars schema, so the two cannot disagree.
//!
//! Doc comments here become the descriptions in the schema, the comments in `values.yaml` and the
//! README's parameter table: write them for chart users.

use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use stackgen_modules::StackSpec;

/// UID and GID of the `nonroot` user in distroless images, which the service image uses.
pub const NONROOT_ID: i64 = 65532;

/// Every value the chart reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "Chart values")]
pub struct ChartValues {
    /// Pods to run when autoscaling is off.
    #[schemars(range(min = 0))]
    pub replica_count: u32,
    /// The service's container image.
    pub image: Image,
    /// Secrets with registry credentials; empty on AKS, where the kubelet identity pulls from ACR.
    pub image_pull_secrets: Vec<LocalObjectReference>,
    /// Replaces the chart name in resource names.
    pub name_override: String,
    /// Replaces the whole `<release>-<chart>` resource name.
    pub fullname_override: String,
    /// The pods' service account.
    pub service_account: ServiceAccount,
    /// Extra annotations on the pods.
    pub pod_annotations: BTreeMap<String, String>,
    /// Extra labels on the pods.
    pub pod_labels: BTreeMap<String, String>,
    /// Pod security context (Pod Security Standard "restricted"), also used by the test pod.
    pub pod_security_context: PodSecurityContext,
    /// Container security context (Pod Security Standard "restricted"), also used by the test pod.
    pub security_context: SecurityContext,
    /// Extra environment variables, name to value. `PORT` is always set to `service.targetPort`.
    pub env: BTreeMap<String, String>,
    /// The Service in front of the pods.
    pub service: Service,
    /// The Ingress that publishes the service through the stack's ingress controller; its host and
    /// path prefix are also the HTTPRoute's.
    pub ingress: Ingress,
    /// The Gateway API HTTPRoute that publishes the service through the stack's Gateway instead.
    pub http_route: HttpRoute,
    /// CPU and memory for the container.
    pub resources: Resources,
    /// Restarts the container when `/healthz` fails.
    pub liveness_probe: Probe,
    /// Takes the pod out of the Service while `/readyz` fails.
    pub readiness_probe: Probe,
    /// Holds the other probes back until `/healthz` first answers.
    pub startup_probe: Probe,
    /// Horizontal pod autoscaling on CPU (and optionally memory) utilization.
    pub autoscaling: Autoscaling,
    /// A PodDisruptionBudget, so node drains keep the service up.
    pub pod_disruption_budget: PodDisruptionBudget,
    /// A NetworkPolicy admitting traffic only from the ingress controller and this release's clients.
    pub network_policy: NetworkPolicy,
    /// Extra volumes for the pods (Kubernetes `Volume` objects), besides the chart's `/tmp`.
    #[schemars(schema_with = "objects")]
    pub volumes: Vec<serde_json::Value>,
    /// Extra mounts for the container (Kubernetes `VolumeMount` objects).
    #[schemars(schema_with = "objects")]
    pub volume_mounts: Vec<serde_json::Value>,
    /// Node labels the pods must match.
    pub node_selector: BTreeMap<String, String>,
    /// Tolerations for the pods (Kubernetes `Toleration` objects).
    #[schemars(schema_with = "objects")]
    pub tolerations: Vec<serde_json::Value>,
    /// Affinity rules for the pods (a Kubernetes `Affinity` object).
    pub affinity: serde_json::Map<String, serde_json::Value>,
    /// The `helm test` pod.
    pub tests: Tests,
}

/// A container image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Image {
    /// Repository, such as `myregistry.azurecr.io/app`.
    #[schemars(length(min = 1))]
    pub repository: String,
    /// When the kubelet pulls the image.
    pub pull_policy: PullPolicy,
    /// Tag; empty means the chart's `appVersion`.
    #[schemars(schema_with = "image_tag_schema")]
    pub tag: String,
    /// Digest (`sha256:…`) to pin the image by; empty pulls by tag.
    #[schemars(regex(pattern = r"^(sha256:[0-9a-f]{64})?$"))]
    pub digest: String,
}

/// `helm --set image.tag=1234567` turns an all-digit tag into a number; accept it rather than
/// fail on a commit SHA that happens to have no letters.
fn image_tag_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": ["string", "integer"],
        "pattern": "^([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$",
    })
}

/// A list of Kubernetes objects passed through to the manifests: each item must be a mapping.
fn objects(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"type": "array", "items": {"type": "object"}})
}

/// `imagePullPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum PullPolicy {
    /// Pull on every pod start.
    Always,
    /// Pull when the node does not have the image.
    IfNotPresent,
    /// Never pull.
    Never,
}

/// A reference to a Secret in the release's namespace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LocalObjectReference {
    /// Name of the Secret.
    pub name: String,
}

/// The service account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceAccount {
    /// Create a service account for the release.
    pub create: bool,
    /// Mount its API token into the pods; the service never calls the Kubernetes API.
    pub automount: bool,
    /// Annotations, such as `azure.workload.identity/client-id`.
    pub annotations: BTreeMap<String, String>,
    /// Name; empty means the full name when `create` is true, else `default`.
    pub name: String,
}

/// The pod-level security context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodSecurityContext {
    /// Refuse to start containers whose user is root.
    pub run_as_non_root: bool,
    /// Numeric user ID (numeric, so the kubelet can check `runAsNonRoot`).
    #[schemars(range(min = 1))]
    pub run_as_user: i64,
    /// Numeric group ID.
    #[schemars(range(min = 1))]
    pub run_as_group: i64,
    /// Group owning mounted volumes.
    #[schemars(range(min = 1))]
    pub fs_group: i64,
    /// Seccomp profile of the pod.
    pub seccomp_profile: SeccompProfile,
}

/// The container-level security context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecurityContext {
    /// Forbid gaining privileges (setuid binaries, file capabilities).
    pub allow_privilege_escalation: bool,
    /// Mount the image read-only; `/tmp` is a writable in-memory volume.
    pub read_only_root_filesystem: bool,
    /// Refuse to start when the user is root.
    pub run_as_non_root: bool,
    /// Numeric user ID.
    #[schemars(range(min = 1))]
    pub run_as_user: i64,
    /// Numeric group ID.
    #[schemars(range(min = 1))]
    pub run_as_group: i64,
    /// Linux capabilities.
    pub capabilities: Capabilities,
    /// Seccomp profile of the container.
    pub seccomp_profile: SeccompProfile,
}

/// Linux capabilities removed from the container.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    /// Capabilities to drop (`ALL` for the restricted profile).
    pub drop: Vec<String>,
}

/// A seccomp profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeccompProfile {
    /// Profile kind.
    #[serde(rename = "type")]
    pub kind: SeccompProfileType,
}

/// Seccomp profile kinds. The restricted profile also allows `Localhost`, which needs a profile
/// file on every node; the chart offers the runtime's default only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SeccompProfileType {
    /// The container runtime's default profile.
    RuntimeDefault,
}

/// The Service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Service {
    /// Service type.
    #[serde(rename = "type")]
    pub kind: ServiceType,
    /// Port the Service listens on.
    #[schemars(range(min = 1, max = 65535))]
    pub port: u16,
    /// Port the container listens on (passed to it as `PORT`).
    #[schemars(range(min = 1024, max = 65535))]
    pub target_port: u16,
}

/// Service types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ServiceType {
    /// Reachable inside the cluster only (the ingress controller publishes it).
    ClusterIP,
    /// Also on a port of every node.
    NodePort,
    /// Also through a cloud load balancer.
    LoadBalancer,
}

/// The Ingress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Ingress {
    /// Create the Ingress.
    pub enabled: bool,
    /// Ingress class of the stack's controller.
    #[schemars(length(min = 1))]
    pub class_name: String,
    /// Public host name.
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"))]
    pub host: String,
    /// Path prefix the app is served under; the controller strips it before requests reach the
    /// app (`/` serves it at the root).
    #[schemars(regex(pattern = r"^/$|^(/[A-Za-z0-9._~-]+)+$"))]
    pub path_prefix: String,
    /// Extra annotations (snippet annotations are refused by the controller).
    pub annotations: BTreeMap<String, String>,
    /// TLS settings (Kubernetes `IngressTLS` objects: `secretName`, `hosts`).
    pub tls: Vec<IngressTls>,
}

/// The HTTPRoute: `ingress.host` and everything under `ingress.pathPrefix`, the prefix stripped by
/// the standard `URLRewrite` filter (`ReplacePrefixMatch`), sent to the chart's Service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HttpRoute {
    /// Create the HTTPRoute (the stack's `gateway` backend turns it on and the Ingress off).
    pub enabled: bool,
    /// The Gateway the route attaches to.
    pub gateway: GatewayRef,
    /// Attach to the Gateway's `https` listener, and redirect the `http` listener's requests for
    /// the host to HTTPS (301); false attaches to `http`.
    pub https: bool,
    /// `Strict-Transport-Security` header set on HTTPS responses; empty sends none.
    pub hsts: String,
}

/// A Gateway, by name and namespace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GatewayRef {
    /// Name of the Gateway.
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"))]
    pub name: String,
    /// Namespace of the Gateway.
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"))]
    pub namespace: String,
}

/// TLS for some hosts of the Ingress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressTls {
    /// Secret holding the certificate and key.
    pub secret_name: String,
    /// Hosts the certificate covers.
    pub hosts: Vec<String>,
}

/// Container resources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// What the scheduler reserves.
    pub requests: ResourceList,
    /// The most the container may use.
    pub limits: ResourceList,
}

/// CPU and memory quantities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceList {
    /// CPU, such as `100m`.
    #[schemars(regex(pattern = r"^[0-9]+(\.[0-9]+)?m?$"))]
    pub cpu: String,
    /// Memory, such as `128Mi`.
    #[schemars(regex(pattern = r"^[0-9]+(\.[0-9]+)?([KMGT]i?|k)?$"))]
    pub memory: String,
}

/// An HTTP probe on the container's `http` port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Probe {
    /// The request.
    pub http_get: HttpGet,
    /// Seconds between probes.
    #[schemars(range(min = 1))]
    pub period_seconds: u32,
    /// Seconds before a probe counts as failed.
    #[schemars(range(min = 1))]
    pub timeout_seconds: u32,
    /// Consecutive failures before acting.
    #[schemars(range(min = 1))]
    pub failure_threshold: u32,
}

/// An HTTP GET probe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpGet {
    /// Path to request.
    #[schemars(regex(pattern = r"^/"))]
    pub path: String,
    /// Container port name.
    pub port: String,
}

/// The HorizontalPodAutoscaler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Autoscaling {
    /// Create it (the Deployment then leaves `replicas` to it).
    pub enabled: bool,
    /// Fewest pods.
    #[schemars(range(min = 1))]
    pub min_replicas: u32,
    /// Most pods.
    #[schemars(range(min = 1))]
    pub max_replicas: u32,
    /// Average CPU utilization to aim for, in percent of the request.
    #[serde(rename = "targetCPUUtilizationPercentage")]
    #[schemars(range(min = 1, max = 100))]
    pub target_cpu_utilization_percentage: u32,
    /// Average memory utilization to aim for, in percent of the request; null scales on CPU only.
    #[schemars(range(min = 1, max = 100))]
    pub target_memory_utilization_percentage: Option<u32>,
}

/// The PodDisruptionBudget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodDisruptionBudget {
    /// Create it.
    pub enabled: bool,
    /// Pods a voluntary disruption may take down at once (never blocks drains of single pods).
    #[schemars(range(min = 1))]
    pub max_unavailable: u32,
}

/// The NetworkPolicy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkPolicy {
    /// Create it. Pods labelled `app.kubernetes.io/instance: <release>` and
    /// `app.kubernetes.io/component: client` (such as the test pod) are admitted too.
    pub enabled: bool,
    /// Namespace of the ingress controller, admitted to the `http` port.
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"))]
    pub ingress_controller_namespace: String,
    /// More peers admitted to the `http` port (Kubernetes `NetworkPolicyPeer` objects).
    #[schemars(schema_with = "objects")]
    pub extra_from: Vec<serde_json::Value>,
}

/// The `helm test` pod.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Tests {
    /// Image with `wget`, used to call the service's `/readyz`.
    pub image: TestImage,
    /// CPU and memory for the test container.
    pub resources: Resources,
}

/// The test pod's image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TestImage {
    /// Repository.
    #[schemars(length(min = 1))]
    pub repository: String,
    /// Tag.
    #[schemars(length(min = 1))]
    pub tag: String,
    /// Digest (`sha256:…`) to pin the image by; empty pulls by tag.
    #[schemars(regex(pattern = r"^(sha256:[0-9a-f]{64})?$"))]
    pub digest: String,
    /// When the kubelet pulls the image.
    pub pull_policy: PullPolicy,
}

/// The Secret holding the app host's certificate (cert-manager writes it, the Ingress reads it).
pub fn tls_secret_name(spec: &StackSpec) -> String {
    spec.tls_secret_name()
}

impl ChartValues {
    /// The defaults for `spec`'s app: everything the spec decides, secure settings otherwise.
    pub fn from_spec(spec: &StackSpec) -> Self {
        let app = &spec.app;
        let gateway_api = spec.ingress.backend.is_gateway_api();
        let tls_settings = spec.tls.settings();
        let seccomp = SeccompProfile { kind: SeccompProfileType::RuntimeDefault };
        let probe = |path: &str, period_seconds, failure_threshold| Probe {
            http_get: HttpGet { path: path.to_owned(), port: "http".to_owned() },
            period_seconds,
            timeout_seconds: 2,
            failure_threshold,
        };
        Self {
            replica_count: app.replicas,
            image: Image {
                repository: spec.image_repository(),
                // Every pod start re-checks the tag (and the pull permission) with the registry;
                // unchanged layers still come from the node's cache.
                pull_policy: PullPolicy::Always,
                tag: String::new(),
                digest: String::new(),
            },
            image_pull_secrets: Vec::new(),
            name_override: String::new(),
            fullname_override: String::new(),
            service_account: ServiceAccount {
                create: true,
                automount: false,
                annotations: BTreeMap::new(),
                name: String::new(),
            },
            pod_annotations: BTreeMap::new(),
            pod_labels: BTreeMap::new(),
            pod_security_context: PodSecurityContext {
                run_as_non_root: true,
                run_as_user: NONROOT_ID,
                run_as_group: NONROOT_ID,
                fs_group: NONROOT_ID,
                seccomp_profile: seccomp.clone(),
            },
            security_context: SecurityContext {
                allow_privilege_escalation: false,
                read_only_root_filesystem: true,
                run_as_non_root: true,
                run_as_user: NONROOT_ID,
                run_as_group: NONROOT_ID,
                capabilities: Capabilities { drop: vec!["ALL".to_owned()] },
                seccomp_profile: seccomp,
            },
            // A rolling update loses no request: the pod keeps serving (while reporting not ready)
            // until the endpoint removal has reached the ingress controller, then drains, all well
            // inside Kubernetes' default 30 s termination grace period.
            env: BTreeMap::from([
                ("SHUTDOWN_DELAY".to_owned(), "5s".to_owned()),
                ("SHUTDOWN_GRACE".to_owned(), "20s".to_owned()),
            ]),
            service: Service { kind: ServiceType::ClusterIP, port: app.port, target_port: app.port },
            ingress: Ingress {
                enabled: !gateway_api,
                class_name: spec.ingress.class_name().to_owned(),
                host: app.host.clone(),
                path_prefix: app.path_prefix.clone(),
                // cert-manager's ingress-shim sees the annotation and requests the certificate named
                // in `tls` from the stack's ClusterIssuer, in this namespace.
                annotations: tls_settings
                    .filter(|_| !gateway_api)
                    .map(|tls| {
                        BTreeMap::from([(
                            "cert-manager.io/cluster-issuer".to_owned(),
                            tls.issuer.cluster_issuer_name().to_owned(),
                        )])
                    })
                    .unwrap_or_default(),
                tls: match tls_settings {
                    Some(_) if !gateway_api => {
                        vec![IngressTls { secret_name: tls_secret_name(spec), hosts: vec![app.host.clone()] }]
                    }
                    _ => Vec::new(),
                },
            },
            // With the gateway backend the Gateway (Terraform's) holds the host's certificate and
            // listeners; the route only attaches to them.
            http_route: HttpRoute {
                enabled: gateway_api,
                gateway: GatewayRef {
                    name: stackgen_modules::gateway::GATEWAY_NAME.to_owned(),
                    namespace: spec.ingress.namespace().to_owned(),
                },
                https: tls_settings.is_some(),
                hsts: tls_settings.and_then(|tls| tls.hsts.header()).unwrap_or_default(),
            },
            resources: Resources {
                requests: ResourceList { cpu: "50m".to_owned(), memory: "64Mi".to_owned() },
                limits: ResourceList { cpu: "500m".to_owned(), memory: "256Mi".to_owned() },
            },
            liveness_probe: probe("/healthz", 10, 3),
            readiness_probe: probe("/readyz", 5, 3),
            // Up to a minute for the first answer, then the liveness probe takes over.
            startup_probe: probe("/healthz", 2, 30),
            autoscaling: Autoscaling {
                enabled: false,
                min_replicas: app.replicas,
                max_replicas: app.replicas.saturating_mul(4),
                target_cpu_utilization_percentage: 80,
                target_memory_utilization_percentage: None,
            },
            pod_disruption_budget: PodDisruptionBudget { enabled: true, max_unavailable: 1 },
            network_policy: NetworkPolicy {
                enabled: true,
                ingress_controller_namespace: spec.ingress.namespace().to_owned(),
                extra_from: Vec::new(),
            },
            volumes: Vec::new(),
            volume_mounts: Vec::new(),
            node_selector: BTreeMap::new(),
            tolerations: Vec::new(),
            affinity: serde_json::Map::new(),
            tests: Tests {
                image: TestImage {
                    repository: "docker.io/library/busybox".to_owned(),
                    tag: "1.37.0".to_owned(),
                    digest: String::new(),
                    pull_policy: PullPolicy::IfNotPresent,
                },
                resources: Resources {
                    requests: ResourceList { cpu: "10m".to_owned(), memory: "16Mi".to_owned() },
                    limits: ResourceList { cpu: "100m".to_owned(), memory: "32Mi".to_owned() },
                },
            },
        }
    }

    /// The JSON Schema of the values (draft-07, which every Helm 3 and 4 release understands),
    /// with every subschema inlined so it reads top to bottom.
    pub fn schema() -> Schema {
        schemars::generate::SchemaSettings::draft07()
            .with(|settings| settings.inline_subschemas = true)
            .into_generator()
            .into_root_schema_for::<Self>()
    }
}
