//! Delivery: GitHub Actions workflows, Argo CD manifests and the stack's README.
//!
//! Built from the spec and the modules' [`Contributions`], and serialized from typed values
//! (workflows and manifests through serde, so no value is ever pasted into YAML by hand). Values
//! that only exist after `terraform apply` (client ids, cluster name) reach the workflows as
//! repository variables the modules declare from their outputs, which the README sets from the
//! Terraform outputs; a workflow reading a variable no module declares is a [`RenderError`].

pub mod actions;
pub mod argocd;
pub mod delivery;
pub mod paths;
pub mod pull_request;
pub mod readme;
pub mod workflow;

use stackgen_modules::delivery::DeployMode;
use stackgen_modules::{ContributedJob, Contributions, RenderError, StackSpec, WorkflowStep};

use crate::file_tree::FileTree;
use crate::generated::GenerateError;

pub use paths::{
    GENERATED_PATHS, IMAGE_VALUES_FILE_NAME, NEXT_VERSION_PATH, NEXT_VERSION_SCRIPT, chart_path, image_values_file,
    variables,
};

/// The workflows, the version script, the Argo CD manifests (gitops mode) and the README.
///
/// # Errors
/// [`GenerateError::Artifact`] when a spec value would be read by GitHub as an expression (the
/// spec's own rules normally refuse such values first), or on a serialization bug.
pub fn render(spec: &StackSpec, contributions: &Contributions) -> Result<FileTree, GenerateError> {
    if pull_request::stackgen_source(spec).is_none() {
        let mut diagnostics = stackgen_modules::Diagnostics::new();
        diagnostics.push(
            stackgen_modules::FieldPath::root().key("delivery").key("stackgen").key("rev"),
            "required",
            "this stackgen was not built from a git checkout, so the pull-request gate cannot install the commit that generated the files: set the 40-hex commit to install",
        );
        return Err(GenerateError::Invalid(diagnostics));
    }
    let mut files = FileTree::new();
    let mut delivery_workflow = delivery::workflow(spec);
    for step in &contributions.workflow_steps {
        if let Some(job) = delivery_workflow.jobs.get_mut(step.job.id()) {
            job.steps.push(workflow_step(step));
        }
    }
    add_jobs(&mut delivery_workflow, &contributions.workflow_jobs)?;
    for (path, workflow) in [(delivery::PATH, delivery_workflow), (pull_request::PATH, pull_request::workflow(spec))] {
        let text = workflow::to_yaml(&workflow).map_err(|e| GenerateError::artifact(path, e))?;
        check_no_injected_expressions(path, &text, spec)?;
        check_variables_declared(path, &text, contributions)?;
        files.insert(path, text)?;
    }
    files.insert(NEXT_VERSION_PATH, with_script_header(NEXT_VERSION_SCRIPT))?;
    if spec.delivery.mode == DeployMode::Gitops {
        let text = argocd::application_yaml(spec).map_err(|e| GenerateError::artifact(argocd::APPLICATION_PATH, e))?;
        files.insert(argocd::APPLICATION_PATH, text)?;
    }
    files.insert(readme::PATH, readme::render(spec, contributions)?)?;
    Ok(files)
}

fn workflow_step(step: &WorkflowStep) -> workflow::Step {
    shell_step(&step.name, &step.run, &step.env)
}

fn shell_step(name: &str, run: &str, env: &[(String, String)]) -> workflow::Step {
    let mut out = workflow::Step::run(name, run);
    for (name, variable) in env {
        out = out.env(name, workflow::expr(&format!("vars.{variable}")));
    }
    out
}

/// The job that reports the outcome of the workflow's own jobs: it stays last, and its id is
/// never free for a module's job (it appears once notification e-mails are set).
const NOTIFY_JOB: &str = "notify";

/// Adds the modules' jobs after the workflow's own and before the notification, refusing an id
/// that is taken or malformed and a `needs` naming no job before it.
fn add_jobs(workflow: &mut workflow::Workflow, jobs: &[ContributedJob]) -> Result<(), RenderError> {
    let notify = workflow.jobs.shift_remove(NOTIFY_JOB);
    for job in jobs {
        let invalid = |message: String| RenderError::Invalid { module: job.module().to_owned(), message };
        let mut chars = job.id.chars();
        let well_formed = chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !well_formed {
            return Err(invalid(format!(
                "workflow job id `{}` must be a lowercase letter, then lowercase letters, digits, `-` and `_`",
                job.id
            )));
        }
        if job.id == NOTIFY_JOB || workflow.jobs.contains_key(&job.id) {
            return Err(invalid(format!("the delivery workflow already has a job `{}`", job.id)));
        }
        if let Some(need) = job.needs.iter().find(|need| !workflow.jobs.contains_key(need.as_str())) {
            return Err(invalid(format!(
                "workflow job `{}` needs `{need}`, which is not a job of the delivery workflow before it",
                job.id
            )));
        }
        let mut out = workflow::Job::new(&job.name, job.timeout_minutes);
        out.needs.clone_from(&job.needs);
        out.steps = job.steps.iter().map(|step| shell_step(&step.name, &step.run, &step.env)).collect();
        workflow.jobs.insert(job.id.clone(), out);
    }
    if let Some(notify) = notify {
        workflow.jobs.insert(NOTIFY_JOB.to_owned(), notify);
    }
    Ok(())
}

/// Every `vars.NAME` a workflow reads must be a repository variable some module declares, or CI
/// would run with an empty value.
fn check_variables_declared(path: &str, text: &str, contributions: &Contributions) -> Result<(), RenderError> {
    for used in text.split("vars.").skip(1) {
        let name: String = used.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        if !contributions.repository_variables.iter().any(|v| v.name == name) {
            return Err(RenderError::UnknownRepositoryVariable { variable: name, used_by: path.to_owned() });
        }
    }
    Ok(())
}

/// The header goes after the shebang, which must stay the first line.
fn with_script_header(script: &str) -> String {
    match script.split_once('\n') {
        Some((shebang, rest)) if shebang.starts_with("#!") => {
            format!("{shebang}\n{}", crate::hclfmt::with_header("#", rest))
        }
        _ => crate::hclfmt::with_header("#", script),
    }
}

/// Every `${{ … }}` in a workflow must come from stackgen itself. A spec value holding one (a
/// branch name, say) would otherwise be evaluated by GitHub with the job's secrets in reach.
fn check_no_injected_expressions(path: &str, text: &str, spec: &StackSpec) -> Result<(), GenerateError> {
    let values = [
        ("github.repo", spec.github.repo.as_str()),
        ("github.branch", spec.github.branch.as_str()),
        ("github.environment", spec.github.environment.as_deref().unwrap_or_default()),
        ("app.name", spec.app.name.as_str()),
        ("delivery.spec_file", spec.delivery.spec_file.as_str()),
    ];
    for (field, value) in values {
        if value.contains("${{") {
            return Err(GenerateError::artifact(
                path,
                format!("{field} {value:?} contains `${{{{`, which GitHub would evaluate as an expression"),
            ));
        }
    }
    debug_assert!(!text.is_empty());
    Ok(())
}
