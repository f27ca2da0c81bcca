//! Library entry points for reading a spec: the embedded default stack and
//! [`parse_and_validate`]. The CLI is one user of these; library users are another.

use stackgen_modules::{Diagnostics, StackSpec};

use crate::load::{Format, Loaded, load_partial, locate_all};

/// The default stack, embedded: shaped like the original deployment. A copy of
/// `examples/default.yaml` inside this crate, so it packages (`scripts/sync-starter`; a test
/// checks it is equal).
pub const DEFAULT_SPEC: &str = include_str!("../assets/default.yaml");

/// Parses `text` and checks every rule; all problems come back at once, located in the text.
///
/// # Errors
/// Every syntax, type, unknown-field and rule problem, each with field path, rule and line:column.
pub fn parse_and_validate(text: &str, format: Format) -> Result<StackSpec, Diagnostics> {
    load_and_validate(text, format).map(|loaded| loaded.value)
}

/// [`parse_and_validate`], keeping where each field is in the text.
///
/// Load problems do not hide rule problems: a field that fails to load is reported and stands in
/// as the default stack's value, every rule that does not read such a field is checked too
/// ([`StackSpec::validate_available`]), and all problems come back in one list, top to bottom.
///
/// # Errors
/// Every syntax, type, unknown-field and rule problem, each with field path, rule and line:column.
pub fn load_and_validate(text: &str, format: Format) -> Result<Loaded<StackSpec>, Diagnostics> {
    let partial = load_partial::<StackSpec>(text, format, &default_document())?;
    let mut diagnostics = partial.diagnostics;
    if let Some(value) = &partial.value {
        let mut rules = value.validate_available(&partial.unavailable);
        locate_all(&mut rules, &partial.spans);
        rules.into_iter().for_each(|rule| diagnostics.push_diagnostic(rule));
    }
    match partial.value {
        Some(value) if diagnostics.is_empty() => Ok(Loaded { value, spans: partial.spans }),
        _ => {
            diagnostics.sort();
            Err(diagnostics)
        }
    }
}

/// The default stack as a document, plus one item for each list it leaves empty: the stand-ins
/// for fields of a spec that fail to load (a broken list item takes the list's last stand-in, so
/// the other items are still judged).
fn default_document() -> serde_json::Value {
    // The embedded default is checked by tests to load; a failure here would only mean no
    // stand-ins (every broken field then falls back to its serde default or its parent).
    let mut document: serde_json::Value = serde_yaml::from_str(DEFAULT_SPEC).unwrap_or_default();
    let list_items = serde_json::json!({
        "aks": {
            "admin_group_object_ids": ["00000000-0000-0000-0000-000000000000"],
            "api_server_authorized_ip_ranges": ["192.0.2.0/24"],
        },
        "dns": {"subdomains": [{"name": "www", "type": "TXT", "records": ["stand-in"]}]},
        "delivery": {"notify": {"emails": ["team@example.org"]}},
        "source": {"analyze": ["true"]},
    });
    merge(&mut document, list_items);
    document
}

/// Adds `extra`'s keys to `into`, mapping by mapping.
fn merge(into: &mut serde_json::Value, extra: serde_json::Value) {
    match (into, extra) {
        (serde_json::Value::Object(into), serde_json::Value::Object(extra)) => {
            for (key, value) in extra {
                merge(into.entry(key).or_insert(serde_json::Value::Null), value);
            }
        }
        (into, extra) => *into = extra,
    }
}
