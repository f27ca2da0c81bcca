//! The workload's container image recipe: the service's own Dockerfile, embedded so there is one
//! source of truth.

use stackgen_modules::StackSpec;

use crate::generate::{GenerateError, Generated};

/// `service/Dockerfile` of this repository, byte for byte.
pub const SERVICE_DOCKERFILE: &str = include_str!("../../service/Dockerfile");

/// Adds `Dockerfile` to `generated`.
///
/// # Errors
/// Never in practice; the path is fixed.
pub fn render(_spec: &StackSpec, generated: &mut Generated) -> Result<(), GenerateError> {
    generated.files.insert("Dockerfile", SERVICE_DOCKERFILE.as_bytes().to_vec())?;
    Ok(())
}
