//! How new versions reach the cluster: Argo CD pulling from git (recommended) or CI pushing with
//! `helm upgrade`, and who hears about it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diagnostics::{Diagnostics, FieldPath};

/// Delivery settings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Delivery {
    /// How deploys happen.
    #[serde(default)]
    pub mode: DeployMode,
    /// Who gets the pipeline's outcome.
    #[serde(default)]
    pub notify: Notify,
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
            let ok = match email.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty() && domain.contains('.') && !email.contains(char::is_whitespace) && !domain.contains('@')
                }
                None => false,
            };
            if !ok {
                diagnostics.push(at.key("notify").key("emails").index(i), "email", format!("must be an e-mail address, got {email:?}"));
            }
        }
    }
}
