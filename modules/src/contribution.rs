//! What a module adds to the artifacts beyond its Terraform child module: workload environment,
//! repository variables, workflow steps, README steps, files, and the cluster the root's
//! Kubernetes-facing providers talk to. See `Module::contribute` in the `module` module.
//!
//! Every value that only exists after `terraform apply` travels as an [`OutputRef`], handed out by
//! `StackContext::reference` only for outputs a module really declares, so a wrong name is a
//! [`RenderError`] at generation time, not a dangling reference in Terraform or an empty variable
//! in CI.

use hcl::Expression;

use crate::error::RenderError;
use crate::hcl_util::traversal;

/// A checked reference to one output of one module: `module.<module>.<output>` in the root, and
/// the root output `<module>_<output>` everywhere outside Terraform (repository variables, the
/// README's `terraform output` commands).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OutputRef {
    module: String,
    output: String,
}

impl OutputRef {
    /// Only `StackContext::reference` makes these, after checking the output.
    pub(crate) fn new(module: &str, output: &str) -> Self {
        Self { module: module.to_owned(), output: output.to_owned() }
    }

    /// The module that declares the output.
    pub fn module(&self) -> &str {
        &self.module
    }

    /// The output's name inside its module.
    pub fn output(&self) -> &str {
        &self.output
    }

    /// `module.<module>.<output>`, for the root module.
    pub fn expression(&self) -> Expression {
        traversal("module", [self.module.as_str(), self.output.as_str()])
    }

    /// The root output that re-exports it: `<module>_<output>`. The generator declares it in
    /// `terraform/outputs.tf` for every reference a contribution makes.
    pub fn root_output(&self) -> String {
        format!("{}_{}", self.module, self.output)
    }
}

/// A GitHub repository variable (`vars.<name>` in workflows), set from a root Terraform output
/// after `terraform apply` (the README prints the command).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryVariable {
    /// Variable name. GitHub reserves the `GITHUB_` prefix.
    pub name: String,
    /// The output it is set from.
    pub value: OutputRef,
}

/// The delivery workflow's jobs a module may add steps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WorkflowJob {
    /// The last job before notification: runs after the new version is deployed (or committed
    /// for Argo CD), on every push to the branch.
    Deploy,
}

impl WorkflowJob {
    /// The job's id in the workflow file.
    pub fn id(self) -> &'static str {
        match self {
            Self::Deploy => "deploy",
        }
    }
}

/// A shell step a module appends to a job of the delivery workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowStep {
    /// The job.
    pub job: WorkflowJob,
    /// Step name, shown in the run.
    pub name: String,
    /// Bash script. Read values from `env`, never paste them into the script.
    pub run: String,
    /// Environment of the step, name → repository variable (declared by some module's
    /// [`Contributions::repository_variables`]; checked at generation time).
    pub env: Vec<(String, String)>,
}

/// A shell step of a job a module adds ([`ContributedJob`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellStep {
    /// Step name, shown in the run.
    pub name: String,
    /// Bash script. Read values from `env`, never paste them into the script.
    pub run: String,
    /// Environment of the step, name → repository variable (checked like [`WorkflowStep::env`]).
    pub env: Vec<(String, String)>,
}

/// A whole job a module adds to the delivery workflow, after the workflow's own jobs and before
/// the notification. Checked at generation time: its id is new to the workflow, and every job it
/// `needs` exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContributedJob {
    /// Job id: a lowercase letter, then lowercase letters, digits, `-` and `_`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Ids of the jobs it runs after: the workflow's own (such as [`WorkflowJob::Deploy`]'s) or
    /// jobs added by modules before this one.
    pub needs: Vec<String>,
    /// Hard stop, in minutes.
    pub timeout_minutes: u32,
    /// Its steps, in order.
    pub steps: Vec<ShellStep>,
    /// The module that added it (set when contributions are collected; for error messages).
    module: String,
}

impl ContributedJob {
    /// A job with no steps yet that runs after `needs`, stopped after 10 minutes.
    pub fn new(id: &str, name: &str, needs: &[&str]) -> Self {
        Self {
            id: id.to_owned(),
            name: name.to_owned(),
            needs: needs.iter().map(|n| (*n).to_owned()).collect(),
            timeout_minutes: 10,
            steps: Vec::new(),
            module: String::new(),
        }
    }

    /// Appends a step running `run` with `env` (name → repository variable).
    #[must_use]
    pub fn step(mut self, name: &str, run: &str, env: &[(&str, &str)]) -> Self {
        let env = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        self.steps.push(ShellStep { name: name.to_owned(), run: run.to_owned(), env });
        self
    }

    /// The module that added the job.
    pub fn module(&self) -> &str {
        &self.module
    }
}

/// A numbered step in the README's "From zero to the first deploy", placed after "Create the
/// infrastructure" in module order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadmeStep {
    /// Heading, without the number.
    pub title: String,
    /// Markdown, without a trailing newline.
    pub body: String,
}

/// A short section of the README's "Why the Terraform looks like this": a decision of the module
/// a reviewer would ask about (a wait, a role's scope), with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadmeNote {
    /// Heading.
    pub title: String,
    /// Markdown, without a trailing newline.
    pub body: String,
}

/// How the root's helm and kubernetes providers reach the cluster, from the module that creates
/// it. The README's `az aks get-credentials` uses `name` and `resource_group`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConnection {
    /// Cluster name.
    pub name: OutputRef,
    /// Resource group of the cluster.
    pub resource_group: OutputRef,
    /// API server URL.
    pub host: OutputRef,
    /// PEM of the cluster CA.
    pub cluster_ca_certificate: OutputRef,
    /// How Terraform authenticates.
    pub credentials: ClusterCredentials,
}

/// How Terraform authenticates to the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterCredentials {
    /// kubelogin with the Azure CLI login of whoever runs Terraform (local accounts disabled).
    AzureCli,
    /// The cluster's local admin account: base64 PEM client certificate and key.
    ClientCertificate {
        /// Client certificate.
        certificate: OutputRef,
        /// Client key.
        key: OutputRef,
    },
}

/// Everything a module adds beyond its Terraform child module. Empty by default; fill the parts
/// your module touches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Contributions {
    /// Environment variables of the workload, set in the chart's `values.yaml` under `env`.
    pub workload_env: Vec<(String, String)>,
    /// Repository variables the workflows may read.
    pub repository_variables: Vec<RepositoryVariable>,
    /// Steps added to the delivery workflow's own jobs.
    pub workflow_steps: Vec<WorkflowStep>,
    /// Whole jobs added to the delivery workflow.
    pub workflow_jobs: Vec<ContributedJob>,
    /// Steps added to the README.
    pub readme_steps: Vec<ReadmeStep>,
    /// Design notes added to the README (waits, role scopes).
    pub readme_notes: Vec<ReadmeNote>,
    /// Outputs re-exported by the root module because something outside Terraform reads them
    /// (for example a README step's `terraform output`). Repository variables' outputs are
    /// re-exported without being listed here.
    pub root_outputs: Vec<OutputRef>,
    /// Files outside `terraform/`, path relative to the repository root → contents. A path that
    /// another part of the stack writes is refused.
    pub files: Vec<(String, String)>,
    /// The cluster the root's helm and kubernetes providers connect to. Exactly one module
    /// provides it when any module uses those providers.
    pub cluster: Option<ClusterConnection>,
}

impl Contributions {
    /// Nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an environment variable of the workload.
    #[must_use]
    pub fn workload_env(mut self, name: &str, value: &str) -> Self {
        self.workload_env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Adds a repository variable set from `value`.
    #[must_use]
    pub fn repository_variable(mut self, name: &str, value: OutputRef) -> Self {
        self.repository_variables.push(RepositoryVariable { name: name.to_owned(), value });
        self
    }

    /// Adds a workflow step.
    #[must_use]
    pub fn workflow_step(mut self, step: WorkflowStep) -> Self {
        self.workflow_steps.push(step);
        self
    }

    /// Adds a whole job to the delivery workflow.
    #[must_use]
    pub fn workflow_job(mut self, job: ContributedJob) -> Self {
        self.workflow_jobs.push(job);
        self
    }

    /// Adds a README step.
    #[must_use]
    pub fn readme_step(mut self, title: &str, body: impl Into<String>) -> Self {
        self.readme_steps.push(ReadmeStep { title: title.to_owned(), body: body.into() });
        self
    }

    /// Adds a design note to the README.
    #[must_use]
    pub fn readme_note(mut self, title: &str, body: impl Into<String>) -> Self {
        self.readme_notes.push(ReadmeNote { title: title.to_owned(), body: body.into() });
        self
    }

    /// Re-exports `output` from the root module.
    #[must_use]
    pub fn root_output(mut self, output: OutputRef) -> Self {
        self.root_outputs.push(output);
        self
    }

    /// Adds a file outside `terraform/`.
    #[must_use]
    pub fn file(mut self, path: &str, contents: impl Into<String>) -> Self {
        self.files.push((path.to_owned(), contents.into()));
        self
    }

    /// Sets the cluster connection.
    #[must_use]
    pub fn cluster(mut self, cluster: ClusterConnection) -> Self {
        self.cluster = Some(cluster);
        self
    }

    /// Appends the parts `module` contributed after this one's.
    ///
    /// # Errors
    /// [`RenderError::TwoClusters`]: only one module may provide the cluster.
    pub fn extend(&mut self, module: &str, other: Contributions) -> Result<(), RenderError> {
        let Contributions {
            workload_env,
            repository_variables,
            workflow_steps,
            workflow_jobs,
            readme_steps,
            readme_notes,
            root_outputs,
            files,
            cluster,
        } = other;
        self.workload_env.extend(workload_env);
        self.repository_variables.extend(repository_variables);
        self.workflow_steps.extend(workflow_steps);
        self.workflow_jobs
            .extend(workflow_jobs.into_iter().map(|job| ContributedJob { module: module.to_owned(), ..job }));
        self.readme_steps.extend(readme_steps);
        self.readme_notes.extend(readme_notes);
        self.root_outputs.extend(root_outputs);
        self.files.extend(files);
        if let Some(cluster) = cluster {
            if let Some(first) = &self.cluster {
                return Err(RenderError::TwoClusters {
                    first: first.host.module().to_owned(),
                    second: module.to_owned(),
                });
            }
            self.cluster = Some(cluster);
        }
        Ok(())
    }
}
