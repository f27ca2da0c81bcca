//! The JSON Schema of a spec type, generated once per process.
//!
//! The loader reads the spec's schema for every file it loads (required fields, did-you-mean,
//! mappings given as lists) and `stackgen.schema.json` is written from the same schema; deriving
//! it walks every type of the spec, so it is done once and shared.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};

use schemars::{JsonSchema, Schema};

/// The root schema of `T` (draft 2020-12, as `schemars::schema_for!` makes it).
pub fn of<T: JsonSchema + 'static>() -> &'static Schema {
    static SCHEMAS: OnceLock<Mutex<HashMap<TypeId, &'static Schema>>> = OnceLock::new();
    let mut schemas = SCHEMAS.get_or_init(Mutex::default).lock().unwrap_or_else(PoisonError::into_inner);
    // Leaked on purpose: one schema per spec type for the life of the process.
    schemas.entry(TypeId::of::<T>()).or_insert_with(|| Box::leak(Box::new(schemars::schema_for!(T))))
}
