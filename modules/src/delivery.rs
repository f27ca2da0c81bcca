//! How new versions reach the cluster: Argo CD pulling from git (recommended) or CI pushing with
//! `helm upgrade`, and who hears about it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::argocd::ArgoCd;
use crate::diagnostics::{Diagnostics, FieldPath};

/// Delivery settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Delivery {
    /// How deploys happen.
    #[serde(default)]
    pub mode: DeployMode,
    /// Who gets the pipeline's outcome.
    #[serde(default)]
    pub notify: Notify,
    /// Argo CD, installed by Terraform in `gitops` mode (ignored in `push` mode).
    #[serde(default)]
    pub argocd: ArgoCd,
    /// Path of this spec inside the repository, relative to its root (where the generated files
    /// live too). The pull-request gate runs `stackgen generate <spec_file> --check` on it.
    #[serde(default = "default_spec_file")]
    pub spec_file: String,
}

fn default_spec_file() -> String {
    "stackgen.yaml".to_owned()
}

impl Default for Delivery {
    fn default() -> Self {
        Self {
            mode: DeployMode::default(),
            notify: Notify::default(),
            argocd: ArgoCd::default(),
            spec_file: default_spec_file(),
        }
    }
}

/// How deploys happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeployMode {
    /// Argo CD pulls the chart from git; CI only commits the new image tag and has no cluster access.
    #[default]
    Gitops,
    /// CI runs `helm upgrade --install` with a separate deploy identity.
    Push,
}

/// E-mail notification of pipeline outcomes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Notify {
    /// Recipients; empty disables the notification job.
    #[serde(default)]
    pub emails: Vec<String>,
}

impl Delivery {
    /// Pushes every rule broken.
    pub fn validate_at(&self, at: &FieldPath, diagnostics: &mut Diagnostics) {
        for (i, email) in self.notify.emails.iter().enumerate() {
            if !is_plain_email(email) {
                diagnostics.push(
                    at.key("notify").key("emails").index(i),
                    "email",
                    format!("must be an e-mail address of letters, digits and . _ % + - (such as \"team@example.org\"), got {email:?}"),
                );
            }
        }
        // The path is written into a workflow and a shell command line: keep it to plain
        // relative paths so no quoting or expression syntax can sneak in.
        let spec_file_ok = !self.spec_file.is_empty()
            && !self.spec_file.starts_with('/')
            && self.spec_file.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
            && self.spec_file.chars().all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c))
            && [".yaml", ".yml", ".toml", ".json"].iter().any(|ext| self.spec_file.ends_with(ext));
        if !spec_file_ok {
            diagnostics.push(
                at.key("spec_file"),
                "spec-file",
                format!("must be a relative path of letters, digits, . _ - / ending in .yaml, .yml, .toml or .json, got {:?}", self.spec_file),
            );
        }
    }
}

/// A conservative e-mail shape: the address ends up in a workflow file, so anything that could be
/// read as YAML, shell or a GitHub expression (`${{`) is refused rather than escaped.
fn is_plain_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else { return false };
    let local_ok = !local.is_empty() && local.chars().all(|c| c.is_ascii_alphanumeric() || "._%+-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(delivery: &Delivery) -> Vec<String> {
        let mut d = Diagnostics::new();
        delivery.validate_at(&FieldPath::root().key("delivery"), &mut d);
        d.iter().map(|d| format!("{}: {}", d.path, d.rule)).collect()
    }

    #[test]
    fn emails_are_plain_addresses() {
        let mut delivery = Delivery::default();
        delivery.notify.emails = vec!["team@example.org".into(), "first.last+ci@mail.example.co.uk".into()];
        assert!(rules(&delivery).is_empty(), "{:?}", rules(&delivery));
        for bad in [
            "team",
            "@example.org",
            "team@localhost",
            "a b@example.org",
            "${{ secrets.X }}@example.org",
            "a@b@example.org",
            "a@-x.org",
            "'a'@example.org",
        ] {
            delivery.notify.emails = vec![bad.into()];
            assert_eq!(rules(&delivery), ["delivery.notify.emails[0]: email"], "{bad}");
        }
    }

    #[test]
    fn spec_file_is_a_plain_relative_path() {
        let mut delivery = Delivery::default();
        for ok in ["stackgen.yaml", "deploy/stack.toml", "infra/spec.json"] {
            delivery.spec_file = ok.into();
            assert!(rules(&delivery).is_empty(), "{ok}");
        }
        for bad in ["", "/etc/stack.yaml", "../stack.yaml", "stack.txt", "my stack.yaml", "$(x).yaml", "a//b.yaml"] {
            delivery.spec_file = bad.into();
            assert_eq!(rules(&delivery), ["delivery.spec_file: spec-file"], "{bad}");
        }
    }
}
