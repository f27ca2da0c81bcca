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
    /// Which stackgen the pull-request gate installs to run `generate --check`: always a git
    /// repository at a fixed commit, never a name looked up in a registry.
    #[serde(default)]
    pub stackgen: StackgenInstall,
}

/// `cargo install --locked --git <git> --rev <rev> stackgen` in the pull-request gate.
///
/// Both default to the stackgen that generates the files: its repository, and the commit it was
/// built from (when it was built from a git checkout; otherwise `rev` is required). Set them to
/// install from a mirror.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct StackgenInstall {
    /// `https://` URL of the git repository holding stackgen's source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<String>,
    /// Full 40-hex commit to build: a tag or branch could be moved, a commit cannot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rev: Option<String>,
}

impl StackgenInstall {
    /// Pushes every rule broken.
    pub fn validate_at(&self, at: &FieldPath, diagnostics: &mut Diagnostics) {
        if let Some(git) = &self.git {
            let rest = git.strip_prefix("https://").unwrap_or_default();
            let ok = !rest.is_empty()
                && !rest.starts_with('/')
                && rest.chars().all(|c| c.is_ascii_alphanumeric() || "._-/~:@".contains(c));
            if !ok {
                diagnostics.push(
                    at.key("git"),
                    "https-url",
                    format!("must be an https:// URL of letters, digits and . _ - / ~ : @, got {git:?}"),
                );
            }
        }
        if let Some(rev) = &self.rev
            && !is_full_commit(rev)
        {
            diagnostics.push(
                at.key("rev"),
                "commit-sha",
                format!(
                    "must be a full commit SHA (40 lowercase hex digits; a tag or branch can be moved), got {rev:?}"
                ),
            );
        }
    }
}

/// 40 lowercase hex digits.
pub fn is_full_commit(rev: &str) -> bool {
    rev.len() == 40 && rev.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
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
            stackgen: StackgenInstall::default(),
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
        self.stackgen.validate_at(&at.key("stackgen"), diagnostics);
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
    fn stackgen_is_installed_from_an_https_repository_at_a_full_commit() {
        let mut delivery = Delivery {
            stackgen: StackgenInstall {
                git: Some("https://git.example.org/mirrors/stackgen.git".into()),
                rev: Some("0123456789abcdef0123456789abcdef01234567".into()),
            },
            ..Delivery::default()
        };
        assert!(rules(&delivery).is_empty(), "{:?}", rules(&delivery));
        for (git, rev) in
            [("git@github.com:x/y.git", "v1.0.0"), ("https://", "0123456789ABCDEF0123456789ABCDEF01234567")]
        {
            delivery.stackgen = StackgenInstall { git: Some(git.into()), rev: Some(rev.into()) };
            assert_eq!(rules(&delivery), ["delivery.stackgen.git: https-url", "delivery.stackgen.rev: commit-sha"]);
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
