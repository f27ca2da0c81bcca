//! Assembles every artifact of a stack into one [`FileTree`]. Pure: no I/O, no clock.

use stackgen_modules::{Diagnostics, RenderError, StackSpec};

use crate::file_tree::{FileTree, InvalidPath};
use crate::stack::Stack;

/// Everything a generation produced.
#[derive(Debug, Clone, Default)]
pub struct Generated {
    /// The files, path → bytes.
    pub files: FileTree,
    /// Things the user should know (printed by the CLI, never written into files).
    pub warnings: Vec<String>,
}

/// Why a stack could not be generated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenerateError {
    /// The spec breaks rules; every problem is listed.
    #[error("the spec has {count} problem(s):\n{diagnostics}", count = .0.len(), diagnostics = .0)]
    Invalid(Diagnostics),
    /// A module's wiring is wrong (a bug in that module, not in the spec).
    #[error(transparent)]
    Render(#[from] RenderError),
    /// A renderer produced a path outside the output folder (a bug).
    #[error(transparent)]
    Path(#[from] InvalidPath),
    /// A renderer failed for another reason (a bug), with what it was rendering.
    #[error("rendering {what} failed: {message}")]
    Artifact {
        /// The artifact, such as `charts/app/values.yaml`.
        what: String,
        /// What went wrong.
        message: String,
    },
}

/// Validates `spec` and renders every artifact: Terraform, the Helm chart, the Dockerfile, the
/// workflows, the Argo CD manifests and the stack's README.
///
/// # Errors
/// [`GenerateError::Invalid`] with every broken rule when the spec is invalid; other variants are
/// bugs in a renderer.
pub fn generate(spec: &StackSpec) -> Result<Generated, GenerateError> {
    generate_with(spec, |stack| stack)
}

/// Like [`generate`], with the stack's modules customized in code first: add modules of your own,
/// insert them before the modules that use their outputs, or replace ours.
///
/// # Errors
/// [`GenerateError::Invalid`] with every broken rule of the spec and of the added modules.
pub fn generate_with<'a>(
    spec: &'a StackSpec,
    customize: impl FnOnce(Stack<'a>) -> Stack<'a>,
) -> Result<Generated, GenerateError> {
    let stack = customize(Stack::from_spec(spec));
    // The stack's modules (ours, replaced ones and added ones) check their own rules once each.
    let mut diagnostics = stack.validate();
    spec.validate_beyond_modules(&mut diagnostics);
    diagnostics.sort();
    if !diagnostics.is_empty() {
        return Err(GenerateError::Invalid(diagnostics));
    }
    let mut generated = Generated::default();
    stack.render_terraform(&mut generated)?;
    crate::chart::render(spec, &mut generated)?;
    crate::pipeline::render(spec, &mut generated)?;
    crate::docker::render(spec, &mut generated)?;
    crate::starter::render(spec, &mut generated)?;
    crate::repository::render(spec, &mut generated)?;
    Ok(generated)
}
