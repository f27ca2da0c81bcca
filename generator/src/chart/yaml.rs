//! Writes values as YAML with each key's schema description as a comment above it, and lists the
//! same keys for the README's parameter table.
//!
//! serde_yaml cannot write comments, so this walks the JSON value next to its (inlined) JSON
//! Schema. The output only uses block mappings, block sequences and JSON-quoted scalars, which
//! every YAML parser reads back to the same value (a unit test round-trips it).

use serde_json::Value;

/// Comment lines are wrapped to this width (indentation included).
const WIDTH: usize = 100;

/// `value` as block YAML, each mapping key preceded by its description from `schema`.
pub fn commented_yaml(value: &Value, schema: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => mapping(map, schema, 0, true, &mut out),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

/// One row of the README's parameter table: a leaf key of the values.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// Dotted path, such as `image.repository`.
    pub path: String,
    /// The key's schema description.
    pub description: String,
    /// The default, as compact JSON.
    pub default: String,
}

/// Every leaf of `value` (scalars, lists, empty mappings) in document order.
pub fn parameters(value: &Value, schema: &Value) -> Vec<Parameter> {
    let mut rows = Vec::new();
    if let Value::Object(map) = value {
        collect(map, schema, "", &mut rows);
    }
    rows
}

fn collect(map: &serde_json::Map<String, Value>, schema: &Value, prefix: &str, rows: &mut Vec<Parameter>) {
    for (key, value) in map {
        let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        let property = property_schema(schema, key);
        match value {
            Value::Object(inner) if !inner.is_empty() => collect(inner, property, &path, rows),
            _ => rows.push(Parameter {
                path,
                description: description(property).unwrap_or_default(),
                default: value.to_string(),
            }),
        }
    }
}

fn property_schema<'a>(schema: &'a Value, key: &str) -> &'a Value {
    schema.get("properties").and_then(|p| p.get(key)).unwrap_or(&Value::Bool(true))
}

fn description(schema: &Value) -> Option<String> {
    schema.get("description").and_then(Value::as_str).map(|d| d.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn mapping(map: &serde_json::Map<String, Value>, schema: &Value, indent: usize, comments: bool, out: &mut String) {
    let pad = " ".repeat(indent);
    for (index, (key, value)) in map.iter().enumerate() {
        let property = property_schema(schema, key);
        if comments {
            // A blank line between top-level keys keeps the file scannable.
            if indent == 0 && index > 0 {
                out.push('\n');
            }
            if let Some(text) = description(property) {
                for line in wrap(&text, WIDTH.saturating_sub(indent + 2)) {
                    out.push_str(&format!("{pad}# {line}\n"));
                }
            }
        }
        out.push_str(&format!("{pad}{}:", key_text(key)));
        match value {
            Value::Object(inner) if !inner.is_empty() => {
                out.push('\n');
                mapping(inner, property, indent + 2, comments, out);
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                sequence(items, property.get("items").unwrap_or(&Value::Bool(true)), indent + 2, out);
            }
            other => {
                out.push(' ');
                out.push_str(&scalar(other));
                out.push('\n');
            }
        }
    }
}

fn sequence(items: &[Value], schema: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for item in items {
        match item {
            Value::Object(inner) if !inner.is_empty() => {
                // Write the mapping two columns in, then turn its first indentation into "- ".
                let mut body = String::new();
                mapping(inner, schema, indent + 2, false, &mut body);
                out.push_str(&pad);
                out.push_str("- ");
                out.push_str(&body[indent + 2..]);
            }
            // Nested sequences are rare in values; JSON flow style is valid YAML.
            other => out.push_str(&format!("{pad}- {}\n", scalar(other))),
        }
    }
}

fn key_text(key: &str) -> String {
    if plain_safe(key) { key.to_owned() } else { Value::String(key.to_owned()).to_string() }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) if plain_safe(s) => s.clone(),
        // JSON (strings, numbers, booleans, null, empty and flow collections) is valid YAML.
        other => other.to_string(),
    }
}

/// True when `s` reads back as the same string unquoted in YAML 1.1 and 1.2: letters, digits and
/// `. _ / -`, starting with a letter or `/`, and not a word YAML 1.1 turns into a boolean or null.
fn plain_safe(s: &str) -> bool {
    const SPECIAL: &[&str] = &["y", "n", "yes", "no", "on", "off", "true", "false", "null"];
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "._/-".contains(c))
        && !SPECIAL.contains(&s.to_ascii_lowercase().as_str())
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;

    #[test]
    fn writes_comments_and_reads_back_to_the_same_value() {
        let schema = json!({"properties": {
            "a": {"description": "The a.", "properties": {"b": {"description": "Nested b."}}},
            "list": {"description": "A list.", "items": {"properties": {"x": {"description": "ignored in lists"}}}},
        }});
        let value = json!({
            "a": {"b": "50m", "c": "plain/value", "d": "", "e": "yes", "f": "with space: and colon"},
            "list": [{"x": 1, "y": {"z": [true]}}, "ALL", [1, 2]],
            "empty": {}, "none": [], "null": null, "n": 65532,
            "nginx.ingress.kubernetes.io/use-regex": "true", "key with: colon": 1.5,
        });
        let yaml = commented_yaml(&value, &schema);
        assert_eq!(
            yaml,
            r#"# The a.
a:
  # Nested b.
  b: "50m"
  c: plain/value
  d: ""
  e: "yes"
  f: "with space: and colon"

# A list.
list:
  - x: 1
    "y":
      z:
        - true
  - ALL
  - [1,2]

empty: {}

none: []

"null": null

"n": 65532

nginx.ingress.kubernetes.io/use-regex: "true"

"key with: colon": 1.5
"#
        );
        let back: Value = serde_yaml::from_str(&yaml).expect("valid YAML");
        assert_eq!(back, value);
    }

    #[test]
    fn lists_leaves_with_descriptions() {
        let schema = json!({"properties": {"image": {"properties": {"tag": {"description": "The  tag."}}}}});
        let rows = parameters(&json!({"image": {"tag": "", "x": {}}, "n": [1]}), &schema);
        let got: Vec<_> = rows.iter().map(|r| (r.path.as_str(), r.description.as_str(), r.default.as_str())).collect();
        assert_eq!(got, [("image.tag", "The tag.", "\"\""), ("image.x", "", "{}"), ("n", "", "[1]")]);
    }

    #[test]
    fn wraps_long_comments() {
        assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
    }
}
