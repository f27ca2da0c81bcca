//! Library entry points for reading a spec: the embedded default stack and
//! [`parse_and_validate`]. The CLI is one user of these; library users are another.

use stackgen_modules::{Diagnostics, StackSpec};

use crate::load::{Format, load_str, locate_all};

/// The default stack, embedded: shaped like the original deployment. A copy of
/// `examples/default.yaml` inside this crate, so it packages (`scripts/sync-starter`; a test
/// checks it is equal).
pub const DEFAULT_SPEC: &str = include_str!("../assets/default.yaml");

/// Parses `text` and checks every rule; all problems come back at once, located in the text.
///
/// # Errors
/// Every syntax, type, unknown-field and rule problem, each with field path, rule and line:column.
pub fn parse_and_validate(text: &str, format: Format) -> Result<StackSpec, Diagnostics> {
    let loaded = load_str::<StackSpec>(text, format)?;
    let mut diagnostics = loaded.value.validate();
    if diagnostics.is_empty() {
        return Ok(loaded.value);
    }
    locate_all(&mut diagnostics, &loaded.spans);
    diagnostics.sort();
    Err(diagnostics)
}
