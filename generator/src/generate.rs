//! Assembles every artifact of a stack into one [`FileTree`]. Pure: no I/O, no clock.

use stackgen_modules::{Diagnostics, RenderError, StackSpec};

use crate::file_tree::{FileTree, InvalidPath};

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
    let diagnostics = spec.validate();
    if !diagnostics.is_empty() {
        return Err(GenerateError::Invalid(diagnostics));
    }
    let mut generated = Generated::default();
    crate::terraform::render_stack(spec, &mut generated)?;
    crate::chart::render(spec, &mut generated)?;
    crate::pipeline::render(spec, &mut generated)?;
    crate::docker::render(spec, &mut generated)?;
    Ok(generated)
}
