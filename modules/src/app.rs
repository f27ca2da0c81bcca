//! The deployed workload: what the Helm chart, the Dockerfile and the ingress are generated for.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diagnostics::{Diagnostics, FieldPath};
use crate::rules;

/// The HTTP service the stack runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct App {
    /// Name of the service, its chart and its image (and, with the starter service, its Cargo
    /// package and binary): a DNS label, 3–40 characters.
    pub name: String,
    /// Port the container listens on.
    #[serde(default = "default_port")]
    pub port: u16,
    /// Public host name, inside `dns.hosted_zone_name`.
    pub host: String,
    /// Path prefix the ingress serves the app under, stripped before requests reach it
    /// (`/` serves it at the root).
    #[serde(default = "default_path_prefix")]
    pub path_prefix: String,
    /// Image repository; defaults to `<registry>.azurecr.io/<name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_repository: Option<String>,
    /// Version of the generated chart.
    #[serde(default = "default_chart_version")]
    pub chart_version: String,
    /// Version of the app the chart deploys (its `appVersion`, and the image tag when the
    /// release sets none); defaults to `chart_version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_version: Option<String>,
    /// Replicas when autoscaling is off; the minimum when it is on.
    #[serde(default = "default_replicas")]
    pub replicas: u32,
}

fn default_port() -> u16 {
    5000
}
fn default_path_prefix() -> String {
    "/".to_owned()
}
fn default_chart_version() -> String {
    "0.1.0".to_owned()
}
fn default_replicas() -> u32 {
    2
}

impl App {
    /// The image repository, given the registry's login server.
    pub fn image_repository(&self, login_server: &str) -> String {
        self.image_repository.clone().unwrap_or_else(|| format!("{login_server}/{}", self.name))
    }

    /// The chart's `appVersion`: [`App::app_version`], else the chart version.
    pub fn app_version(&self) -> &str {
        self.app_version.as_deref().unwrap_or(&self.chart_version)
    }

    /// Pushes every rule broken.
    pub fn validate_at(&self, at: &FieldPath, diagnostics: &mut Diagnostics) {
        rules::dns_label(&self.name, 3, 40, &at.key("name"), diagnostics);
        if self.port < 1024 {
            diagnostics.push(
                at.key("port"),
                "unprivileged-port",
                format!("must be 1024 or above so the container runs without privileges, got {}", self.port),
            );
        }
        rules::dns_name(&self.host, &at.key("host"), diagnostics);
        let prefix_ok = self.path_prefix == "/"
            || (self.path_prefix.starts_with('/')
                && !self.path_prefix.ends_with('/')
                && self.path_prefix[1..]
                    .split('/')
                    .all(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.~".contains(c))));
        if !prefix_ok {
            diagnostics.push(
                at.key("path_prefix"),
                "path-prefix",
                format!("must be \"/\" or start with \"/\", not end with \"/\", and use only letters, digits, - _ . ~ in its segments, got {:?}", self.path_prefix),
            );
        }
        if let Some(repository) = &self.image_repository {
            let ok = !repository.is_empty()
                && !repository.contains(':')
                && !repository.contains('@')
                && repository == &repository.to_ascii_lowercase()
                && !repository.contains(char::is_whitespace);
            if !ok {
                diagnostics.push(
                    at.key("image_repository"),
                    "image-repository",
                    format!("must be a lowercase repository without tag or digest, such as \"myregistry.azurecr.io/app\", got {repository:?}"),
                );
            }
        }
        rules::semver(&self.chart_version, &at.key("chart_version"), diagnostics);
        if let Some(version) = &self.app_version {
            // It doubles as the default image tag, so it must be a valid tag.
            let ok = !version.is_empty()
                && version.len() <= 128
                && !version.starts_with(['.', '-'])
                && version.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
            if !ok {
                diagnostics.push(
                    at.key("app_version"),
                    "image-tag",
                    format!("must be a valid image tag (1–128 letters, digits, . _ -, not starting with . or -), got {version:?}"),
                );
            }
        }
        diagnostics.check_range(at.key("replicas"), self.replicas, 1, 100);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(app_version: Option<&str>) -> App {
        App {
            name: "hello".to_owned(),
            port: 5000,
            host: "app.example.com".to_owned(),
            path_prefix: "/".to_owned(),
            image_repository: None,
            chart_version: "1.2.3".to_owned(),
            app_version: app_version.map(str::to_owned),
            replicas: 2,
        }
    }

    fn rules(app: &App) -> Vec<(String, &'static str)> {
        let mut diagnostics = Diagnostics::new();
        app.validate_at(&FieldPath::root().key("app"), &mut diagnostics);
        diagnostics.iter().map(|d| (d.path.to_string(), d.rule)).collect()
    }

    #[test]
    fn app_version_defaults_to_the_chart_version() {
        assert_eq!(app(None).app_version(), "1.2.3");
        assert_eq!(app(Some("2024.05.1-rc_1")).app_version(), "2024.05.1-rc_1");
    }

    #[test]
    fn app_version_must_be_an_image_tag() {
        assert_eq!(rules(&app(Some("v1.0.0"))), []);
        for bad in ["", "-x", ".x", "1 2", "a:b", &"x".repeat(129)] {
            assert_eq!(rules(&app(Some(bad))), [("app.app_version".to_owned(), "image-tag")], "{bad:?}");
        }
    }
}
