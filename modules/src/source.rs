//! Where the workload's image comes from: stackgen's starter service (the default), or a service
//! the team already has, with its own Dockerfile and its own checks.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diagnostics::{Diagnostics, FieldPath};

/// The workload's source.
///
/// Unset (the default), stackgen seeds its warp starter service into the repository, a Cargo
/// workspace at the root, once; it is the team's from then on. With `dockerfile` set, nothing is
/// seeded: the delivery workflow builds that Dockerfile with `context`, and the analyze job runs
/// `analyze` instead of cargo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Source {
    /// Dockerfile of a service you already have, relative to the repository root, such as
    /// `app/Dockerfile`. Unset: stackgen's starter service and its Dockerfile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dockerfile: Option<String>,
    /// Build context of `dockerfile`, relative to the repository root.
    #[serde(default = "default_context")]
    pub context: String,
    /// Commands the delivery workflow's analyze job runs from the repository root, one step
    /// each, in order (such as `pip install -r requirements.txt`, `python -m pytest`). Only with
    /// `dockerfile`: the starter's analyze job runs cargo fmt, clippy and test.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub analyze: Vec<String>,
}

fn default_context() -> String {
    ".".to_owned()
}

impl Default for Source {
    fn default() -> Self {
        Self { dockerfile: None, context: default_context(), analyze: Vec::new() }
    }
}

impl Source {
    /// True when stackgen seeds its starter service (no `dockerfile` given).
    pub fn is_starter(&self) -> bool {
        self.dockerfile.is_none()
    }

    /// Pushes every rule broken.
    pub fn validate_at(&self, at: &FieldPath, diagnostics: &mut Diagnostics) {
        if let Some(dockerfile) = &self.dockerfile
            && !is_plain_relative_path(dockerfile)
        {
            diagnostics.push(
                at.key("dockerfile"),
                "relative-path",
                format!(
                    "must be a relative path of letters, digits, . _ - / inside the repository, got {dockerfile:?}"
                ),
            );
        }
        if self.context != "." && !is_plain_relative_path(&self.context) {
            diagnostics.push(
                at.key("context"),
                "relative-path",
                format!(
                    "must be `.` or a relative path of letters, digits, . _ - / inside the repository, got {:?}",
                    self.context
                ),
            );
        }
        if self.is_starter() && self.context != "." {
            diagnostics.push(
                at.key("context"),
                "needs-dockerfile",
                "only applies with source.dockerfile; the starter service builds from the repository root",
            );
        }
        if self.is_starter() && !self.analyze.is_empty() {
            diagnostics.push(
                at.key("analyze"),
                "needs-dockerfile",
                "only applies with source.dockerfile; the starter service's analyze job runs cargo fmt, clippy and test",
            );
        }
        for (i, command) in self.analyze.iter().enumerate() {
            if command.trim().is_empty() {
                diagnostics.push(at.key("analyze").index(i), "non-empty", "must be a shell command, got an empty one");
            } else if command.contains("${{") {
                diagnostics.push(
                    at.key("analyze").index(i),
                    "no-expression",
                    format!(
                        "must not contain `${{{{`, which GitHub would evaluate with the job's token in reach, got {command:?}"
                    ),
                );
            }
        }
    }
}

/// A path the workflows can quote safely and that stays inside the repository.
fn is_plain_relative_path(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && path.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
        && path.chars().all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(source: &Source) -> Vec<String> {
        let mut d = Diagnostics::new();
        source.validate_at(&FieldPath::root().key("source"), &mut d);
        d.iter().map(|d| format!("{}: {}", d.path, d.rule)).collect()
    }

    #[test]
    fn the_default_is_the_starter_and_valid() {
        assert!(Source::default().is_starter());
        assert!(rules(&Source::default()).is_empty());
    }

    #[test]
    fn an_own_dockerfile_takes_a_context_and_commands() {
        let own = Source {
            dockerfile: Some("app/Dockerfile".into()),
            context: "app".into(),
            analyze: vec!["pip install -r app/requirements.txt".into(), "python -m pytest app".into()],
        };
        assert!(rules(&own).is_empty(), "{:?}", rules(&own));
        let bad = Source {
            dockerfile: Some("../Dockerfile".into()),
            context: "/abs".into(),
            analyze: vec![" ".into(), "echo ${{ secrets.X }}".into()],
        };
        assert_eq!(
            rules(&bad),
            [
                "source.dockerfile: relative-path",
                "source.context: relative-path",
                "source.analyze[0]: non-empty",
                "source.analyze[1]: no-expression"
            ]
        );
    }

    #[test]
    fn context_and_commands_need_a_dockerfile() {
        let starter = Source { dockerfile: None, context: "app".into(), analyze: vec!["make test".into()] };
        assert_eq!(rules(&starter), ["source.context: needs-dockerfile", "source.analyze: needs-dockerfile"]);
    }
}
