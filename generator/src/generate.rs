//! Assembles every artifact of a stack into one [`Generated`]. Pure: no I/O, no clock. Each
//! renderer returns the files it produces; this module only merges them, and refuses two authors
//! for one path.

use stackgen_modules::StackSpec;

use crate::file_tree::FileTree;
use crate::generated::{GenerateError, Generated};
use crate::stack::Stack;

/// Validates `spec` and renders every artifact: Terraform, the Helm chart, the Dockerfile, the
/// workflows, the Argo CD manifests and the stack's README.
///
/// # Errors
/// [`GenerateError::Invalid`] with every broken rule when the spec is invalid; other variants are
/// bugs in a renderer.
pub fn generate(spec: &StackSpec) -> Result<Generated, GenerateError> {
    generate_with(spec, |stack| stack)
}

/// Like [`generate`], with the stack customized in code first: add modules of your own, insert
/// them before the modules that use their outputs, replace ours, or change the app and its
/// delivery ([`Stack::with_app`], [`Stack::with_delivery`]). Every artifact is built from the
/// customized stack. Every module's
/// [`stackgen_modules::Contributions`] reach the chart, the workflows, the README and the files.
///
/// # Errors
/// [`GenerateError::Invalid`] with every broken rule of the spec and of the added modules;
/// [`GenerateError::Render`] when a module's wiring is wrong.
pub fn generate_with<'a>(
    spec: &'a StackSpec,
    customize: impl FnOnce(Stack<'a>) -> Stack<'a>,
) -> Result<Generated, GenerateError> {
    let stack = customize(Stack::from_spec(spec));
    // Every artifact comes from the stack as customized, not from the spec it started from.
    let spec = stack.spec();
    // The stack's modules (ours, replaced ones and added ones) check their own rules once each,
    // and the customized spec its rules beyond them.
    let mut diagnostics = stack.validate();
    crate::starter::validate(spec, &mut diagnostics);
    diagnostics.sort();
    if !diagnostics.is_empty() {
        return Err(GenerateError::Invalid(diagnostics));
    }
    let (mut generated, contributions) = stack.render_terraform()?;
    generated.merge_files(crate::chart::render(spec, &contributions)?)?;
    generated.merge_files(crate::pipeline::render(spec, &contributions)?)?;
    generated.merge_files(crate::docker::render(spec)?)?;
    generated.merge_files(crate::starter::render(spec)?)?;
    generated.merge_files(crate::repository::render(spec)?)?;
    let mut extra = FileTree::new();
    for (path, contents) in &contributions.files {
        extra.insert(path, contents.clone())?;
    }
    generated.merge_files(extra)?;
    generated.repository_variables = contributions.repository_variables;
    Ok(generated)
}
