//! A typed model of the parts of a GitHub Actions workflow stackgen writes, serialized with
//! serde so quoting is never done by hand. Comments (the header, the version next to each pinned
//! SHA) are added to the serialized text afterwards, since YAML serializers drop comments.

use indexmap::IndexMap;
use serde::Serialize;
use serde_yaml::Value;

use super::actions::{ALL, PinnedAction};

/// A workflow file.
#[derive(Debug, Clone, Serialize)]
pub struct Workflow {
    /// Shown in the Actions tab.
    pub name: String,
    /// Triggers.
    pub on: Value,
    /// Default token permissions for every job.
    pub permissions: Permissions,
    /// Run serialization.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<Concurrency>,
    /// Workflow-wide environment.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub env: IndexMap<String, String>,
    /// Jobs, in file order.
    pub jobs: IndexMap<String, Job>,
}

/// `permissions:` scope → `read` / `write`.
pub type Permissions = IndexMap<String, String>;

/// Builds a permissions map.
pub fn permissions(items: &[(&str, &str)]) -> Permissions {
    items.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// `concurrency:`.
#[derive(Debug, Clone, Serialize)]
pub struct Concurrency {
    /// Runs in one group wait for each other.
    pub group: String,
    /// Whether a newer run cancels the running one.
    #[serde(rename = "cancel-in-progress")]
    pub cancel_in_progress: bool,
}

/// A job.
#[derive(Debug, Clone, Serialize)]
pub struct Job {
    /// Display name.
    pub name: String,
    /// Jobs that must finish first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<String>,
    /// Condition.
    #[serde(rename = "if", skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// Runner label.
    #[serde(rename = "runs-on")]
    pub runs_on: String,
    /// Deployment environment (its protection rules and the OIDC subject).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Token permissions of this job (replaces the workflow's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Permissions>,
    /// Serialization of this job across runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<Concurrency>,
    /// Hard stop.
    #[serde(rename = "timeout-minutes")]
    pub timeout_minutes: u32,
    /// Values later jobs read through `needs.<job>.outputs`.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub outputs: IndexMap<String, String>,
    /// Job-wide environment.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub env: IndexMap<String, String>,
    /// Steps.
    pub steps: Vec<Step>,
}

impl Job {
    /// A job on `ubuntu-24.04` with the workflow's permissions.
    pub fn new(name: &str, timeout_minutes: u32) -> Self {
        Self {
            name: name.to_owned(),
            needs: Vec::new(),
            condition: None,
            runs_on: "ubuntu-24.04".to_owned(),
            environment: None,
            permissions: None,
            concurrency: None,
            timeout_minutes,
            outputs: IndexMap::new(),
            env: IndexMap::new(),
            steps: Vec::new(),
        }
    }
}

/// A step: either `uses` an action or `run`s a shell script.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Step {
    /// Display name.
    pub name: String,
    /// Id for `steps.<id>.outputs`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Condition.
    #[serde(rename = "if", skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// `owner/name@sha`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uses: Option<String>,
    /// Action inputs.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub with: IndexMap<String, Value>,
    /// Step environment: the only way values from expressions reach `run` scripts.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub env: IndexMap<String, String>,
    /// Shell script (bash, `-eo pipefail`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
}

impl Step {
    /// A step running `script`.
    pub fn run(name: &str, script: &str) -> Self {
        Self { name: name.to_owned(), run: Some(script.trim_end().to_owned()), ..Self::default() }
    }

    /// A step using a pinned action.
    pub fn uses(name: &str, action: PinnedAction) -> Self {
        Self { name: name.to_owned(), uses: Some(action.uses()), ..Self::default() }
    }

    /// Adds an action input.
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.with.insert(key.to_owned(), value.into());
        self
    }

    /// Adds an environment variable.
    #[must_use]
    pub fn env(mut self, key: &str, value: impl Into<String>) -> Self {
        self.env.insert(key.to_owned(), value.into());
        self
    }

    /// Sets the step id.
    #[must_use]
    pub fn id(mut self, id: &str) -> Self {
        self.id = Some(id.to_owned());
        self
    }

    /// Sets the condition.
    #[must_use]
    pub fn when(mut self, condition: &str) -> Self {
        self.condition = Some(condition.to_owned());
        self
    }
}

/// `${{ <expression> }}`: a GitHub expression, kept out of Rust format strings.
pub fn expr(expression: &str) -> String {
    format!("${{{{ {expression} }}}}")
}

/// Serializes a workflow: the generated-file header, then YAML with a blank line between
/// top-level keys and between jobs, and `# vX.Y.Z` after every pinned SHA.
///
/// # Errors
/// When serde_yaml fails (a bug: the model only holds strings, numbers and maps).
pub fn to_yaml(workflow: &Workflow) -> Result<String, serde_yaml::Error> {
    let yaml = serde_yaml::to_string(workflow)?;
    let mut out = String::new();
    let mut in_jobs = false;
    for (i, line) in yaml.lines().enumerate() {
        let top_level = !line.starts_with(' ') && !line.starts_with('-');
        let job_key = in_jobs && line.starts_with("  ") && !line.starts_with("   ") && line.ends_with(':');
        if i > 0 && (top_level || job_key) && !out.ends_with(":\n") {
            out.push('\n');
        }
        if top_level {
            in_jobs = line == "jobs:";
        }
        out.push_str(line);
        if let Some(action) = pinned_on_line(line) {
            out.push_str(" # ");
            out.push_str(action.version);
        }
        out.push('\n');
    }
    Ok(crate::hclfmt::with_header("#", &out))
}

fn pinned_on_line(line: &str) -> Option<PinnedAction> {
    let value = line.trim_start().trim_start_matches("- ").strip_prefix("uses: ")?;
    ALL.into_iter().find(|a| a.uses() == value)
}
