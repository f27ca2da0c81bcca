//! Which field names the spec's JSON Schema allows at a path, for did-you-mean suggestions.
//!
//! The schema, not the serde data model, is the source because it is what editors see through
//! the `yaml-language-server` comment: a suggestion then matches the editor's completion.

use serde_json::Value;
use stackgen_modules::diagnostics::{FieldPath, Segment};

/// How deep `$ref`/`anyOf` chains are followed; recursive types would otherwise loop.
const MAX_EXPANSION_DEPTH: usize = 32;

/// The property names allowed at `path` (the mapping that holds the unknown key), in schema
/// order and without duplicates. Empty when the path cannot be followed through the schema.
pub(crate) fn field_names_at(schema: &Value, path: &FieldPath) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for node in nodes_at(schema, path) {
        if let Some(properties) = node.get("properties").and_then(Value::as_object) {
            for name in properties.keys() {
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
        }
    }
    names
}

/// The fields the mapping at `path` must have (its schema's `required`), in schema order. Only
/// when every schema node there agrees that it is a plain mapping (no `anyOf` branches that
/// could be another shape), so a missing field is never claimed for the wrong variant.
pub(crate) fn required_at(schema: &Value, path: &FieldPath) -> Vec<String> {
    let nodes = nodes_at(schema, path);
    if nodes.iter().any(|node| node.get("anyOf").is_some() || node.get("oneOf").is_some()) {
        return Vec::new();
    }
    let mut names: Vec<String> = Vec::new();
    for node in nodes {
        for name in node.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            if !names.iter().any(|known| known == name) {
                names.push(name.to_owned());
            }
        }
    }
    names
}

/// True when the mapping at `path` may hold keys beyond its listed properties (a map type).
/// A struct's schema without `additionalProperties` still counts as closed: serde ignores
/// unknown keys there, which is exactly what the loader reports.
pub(crate) fn allows_any_key(schema: &Value, path: &FieldPath) -> bool {
    nodes_at(schema, path).iter().any(|node| {
        node.get("patternProperties").is_some()
            || node
                .get("additionalProperties")
                .is_some_and(|additional| additional.is_object() || additional == &Value::Bool(true))
    })
}

/// True when the value at `path` must be a mapping and cannot be a list. serde happily fills a
/// struct from a list, field by field in order, which a spec author never means.
pub(crate) fn expects_mapping_only(schema: &Value, path: &FieldPath) -> bool {
    let nodes = nodes_at(schema, path);
    let has_type = |node: &Value, name: &str| match node.get("type") {
        Some(Value::String(t)) => t == name,
        Some(Value::Array(types)) => types.iter().any(|t| t == name),
        _ => false,
    };
    let list_allowed = nodes
        .iter()
        .any(|node| has_type(node, "array") || node.get("items").is_some() || node.get("prefixItems").is_some());
    !list_allowed && nodes.iter().any(|node| has_type(node, "object"))
}

/// Every schema node, `$ref`s and branches resolved, that describes the value at `path`.
fn nodes_at<'s>(schema: &'s Value, path: &FieldPath) -> Vec<&'s Value> {
    let mut nodes = vec![schema];
    for segment in path.segments() {
        let mut next = Vec::new();
        for node in nodes.iter().flat_map(|node| expand(schema, node)) {
            match segment {
                Segment::Key(key) => {
                    let property = node.get("properties").and_then(|p| p.get(key));
                    if let Some(property) = property {
                        next.push(property);
                    } else if let Some(additional) = node.get("additionalProperties").filter(|a| a.is_object()) {
                        next.push(additional);
                    }
                }
                Segment::Index(index) => {
                    let tuple_item = node.get("prefixItems").and_then(|p| p.get(*index));
                    if let Some(item) = tuple_item.or_else(|| node.get("items")) {
                        next.push(item);
                    }
                }
            }
        }
        nodes = next;
    }
    nodes.iter().flat_map(|node| expand(schema, node)).collect()
}

/// The schema nodes `node` stands for once `$ref`, `anyOf`, `oneOf` and `allOf` are resolved
/// (an `Option<T>` is `anyOf [T, null]`, an enum `oneOf` its variants).
fn expand<'s>(root: &'s Value, node: &'s Value) -> Vec<&'s Value> {
    let mut out = Vec::new();
    expand_into(root, node, 0, &mut out);
    out
}

fn expand_into<'s>(root: &'s Value, node: &'s Value, depth: usize, out: &mut Vec<&'s Value>) {
    if depth > MAX_EXPANSION_DEPTH {
        return;
    }
    out.push(node);
    if let Some(target) = node.get("$ref").and_then(Value::as_str).and_then(|r| resolve(root, r)) {
        expand_into(root, target, depth + 1, out);
    }
    for keyword in ["anyOf", "oneOf", "allOf"] {
        for branch in node.get(keyword).and_then(Value::as_array).into_iter().flatten() {
            expand_into(root, branch, depth + 1, out);
        }
    }
}

/// Resolves a local JSON pointer reference such as `#/$defs/Aks`.
fn resolve<'s>(root: &'s Value, reference: &str) -> Option<&'s Value> {
    let pointer = reference.strip_prefix('#')?;
    root.pointer(pointer)
}

/// The candidate closest to `word`, when it is close enough to be what the user meant.
pub(crate) fn suggest<'c>(word: &str, candidates: &'c [String]) -> Option<&'c str> {
    // 0.8 is where Jaro-Winkler stops matching unrelated words of a few letters while still
    // catching a swapped, doubled or missing letter in a long snake_case name.
    const THRESHOLD: f64 = 0.8;
    // Short names (`ttl`, `sku`) score low on Jaro-Winkler for a single slip (`tll`): one edit
    // (a wrong, missing, extra or swapped letter) per four letters counts as a near miss too.
    let edits_allowed = (word.chars().count() / 4).max(1);
    candidates
        .iter()
        .filter(|candidate| candidate.as_str() != word)
        .map(|candidate| (strsim::osa_distance(word, candidate), strsim::jaro_winkler(word, candidate), candidate))
        .filter(|(edits, score, _)| *edits <= edits_allowed || *score >= THRESHOLD)
        .fold(None, |best: Option<(usize, f64, &String)>, (edits, score, candidate)| match best {
            Some((best_edits, best_score, _)) if (best_edits, -best_score) <= (edits, -score) => best,
            _ => Some((edits, score, candidate)),
        })
        .map(|(_, _, candidate)| candidate.as_str())
}
