//! The workload's Helm chart under `charts/<app>/`.

use stackgen_modules::StackSpec;

use crate::generate::{GenerateError, Generated};

/// Adds the chart's files to `generated`.
///
/// # Errors
/// Only on a bug in a template.
pub fn render(_spec: &StackSpec, _generated: &mut Generated) -> Result<(), GenerateError> {
    Ok(())
}
