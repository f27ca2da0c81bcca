//! Loads a spec file of any `Deserialize + JsonSchema` type from YAML, TOML or JSON, turning
//! every user mistake into a [`Diagnostic`] with a field path, a rule and `line:column`.
//!
//! The text is parsed twice: once by a position-keeping parser into a [`SpanIndex`] (which also
//! catches duplicate keys), once by serde into a `serde_json::Value` that all three formats share,
//! so type errors read the same whatever the format. The value is then deserialized into `T`
//! through `serde_ignored` (every unknown key, with its path) and `serde_path_to_error` (the path
//! of the first type error). Did-you-mean suggestions come from `T`'s JSON Schema.
//!
//! ```
//! use stackgen_generator::load::{load_str, Format};
//!
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! struct Spec {
//!     name: String,
//! }
//!
//! let loaded = load_str::<Spec>("name: demo\n", Format::Yaml).expect("a valid spec");
//! assert_eq!(loaded.value.name, "demo");
//!
//! let errors = load_str::<Spec>("nmae: demo\n", Format::Yaml).err().expect("a typo");
//! assert_eq!(
//!     errors.to_string(),
//!     "error: 1:1: name [missing-field]: required field is missing\n\
//!      error: 1:1: nmae [unknown-field]: unknown field `nmae`; did you mean `name`?\n"
//! );
//! ```

mod messages;
mod schema;
mod spans;

use std::collections::HashSet;
use std::path::Path;

use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use stackgen_modules::diagnostics::{Diagnostic, Diagnostics, FieldPath, Location, Segment};

use messages::Classified;
pub use spans::SpanIndex;

/// The largest spec accepted, in bytes, checked before anything is parsed. Real specs are a few
/// kilobytes; this bounds the memory and time a mistaken or hostile input can cost (the parsed
/// value, the span index and every alias expansion are proportional to the input).
pub const MAX_SPEC_BYTES: usize = 1024 * 1024;

/// The diagnostic for an input over [`MAX_SPEC_BYTES`].
pub fn too_large(bytes: u64) -> Diagnostics {
    single(
        FieldPath::root(),
        "too-large",
        format!(
            "the spec is {bytes} bytes; specs are limited to {MAX_SPEC_BYTES} bytes (1 MiB), far above any real stack"
        ),
        START,
    )
}

/// The syntax of a spec file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// YAML 1.2 (the default).
    #[default]
    Yaml,
    /// TOML 1.0/1.1.
    Toml,
    /// JSON.
    Json,
}

impl Format {
    /// The format a file's extension names: `.toml` and `.json` (any case); anything else,
    /// `.yaml` and `.yml` included, is YAML.
    pub fn from_path(path: &Path) -> Format {
        let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("toml") => Format::Toml,
            Some("json") => Format::Json,
            _ => Format::Yaml,
        }
    }

    /// The format's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::Yaml => "YAML",
            Format::Toml => "TOML",
            Format::Json => "JSON",
        }
    }
}

/// A spec deserialized from text, with the positions of its fields so that later validation
/// can point at `line:column` too (see [`locate_all`]).
#[derive(Debug, Clone)]
pub struct Loaded<T> {
    /// The typed spec.
    pub value: T,
    /// Where each field of the spec is in the text.
    pub spans: SpanIndex,
}

/// Parses `text` as `format` and deserializes it into `T`.
///
/// # Errors
///
/// Every problem found, each with its field path, rule and location, sorted top to bottom:
/// `syntax`, `empty`, `duplicate-key`, `unknown-field` (all of them, with a did-you-mean
/// suggestion), and the first of `type`, `missing-field`, `unknown-variant`, `length`,
/// `value` that serde meets.
pub fn load_str<T: DeserializeOwned + JsonSchema>(text: &str, format: Format) -> Result<Loaded<T>, Diagnostics> {
    if text.len() > MAX_SPEC_BYTES {
        return Err(too_large(text.len() as u64));
    }
    let Parsed { document, spans, mut diagnostics } = parse(text, format)?;
    let schema = schemars::schema_for!(T);
    let schema = schema.as_value();

    let mut ignored = Vec::new();
    let mut on_ignored = |path: serde_ignored::Path<'_>| ignored.push(ignored_segments(&path));
    let result: Result<T, _> =
        serde_path_to_error::deserialize(serde_ignored::Deserializer::new(&document, &mut on_ignored));

    let mut reported = HashSet::new();
    let lists = lists_for_mappings(schema, &document);
    for path in &lists {
        reported.insert(path.clone());
        diagnostics.push_diagnostic(Diagnostic {
            path: path.clone(),
            rule: "type",
            message: "expected a mapping, got a list".to_owned(),
            location: None,
        });
    }
    for segments in ignored {
        let path = resolve_in_document(&segments, &document);
        if reported.insert(path.clone()) {
            diagnostics.push_diagnostic(unknown_field(schema, path));
        }
    }

    match result {
        Ok(value) if diagnostics.is_empty() => return Ok(Loaded { value, spans }),
        Ok(_) => {}
        Err(error) => {
            // serde stopped at this error, so keys after it were never offered to
            // serde_ignored: find the rest of the unknown keys from the schema.
            for path in unknown_keys_by_schema(schema, &document) {
                if reported.insert(path.clone()) {
                    diagnostics.push_diagnostic(unknown_field(schema, path));
                }
            }
            let path = error_path(error.path());
            let inside_list = lists.iter().any(|list| path.segments().starts_with(list.segments()));
            if let Some(diagnostic) = serde_diagnostic(schema, path, &error.inner().to_string())
                && !inside_list
                && !reported.contains(&diagnostic.path)
            {
                diagnostics.push_diagnostic(diagnostic);
            }
        }
    }
    locate_all(&mut diagnostics, &spans);
    diagnostics.sort();
    Err(diagnostics)
}

/// Fills in the location of every diagnostic that has none, from the field's own position or,
/// for a field the file does not spell out, its closest ancestor's.
pub fn locate_all(diagnostics: &mut Diagnostics, spans: &SpanIndex) {
    for diagnostic in diagnostics.iter_mut() {
        if diagnostic.location.is_none() {
            diagnostic.location = spans.locate_nearest(&diagnostic.path);
        }
    }
}

struct Parsed {
    document: Value,
    spans: SpanIndex,
    /// Problems that do not stop deserialization (duplicate keys).
    diagnostics: Diagnostics,
}

const START: Location = Location { line: 1, column: 1 };

fn single(path: FieldPath, rule: &'static str, message: String, location: Location) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    diagnostics.push_diagnostic(Diagnostic { path, rule, message, location: Some(location) });
    diagnostics
}

fn empty_spec(format: Format) -> Diagnostics {
    single(
        FieldPath::root(),
        "empty",
        format!("the spec is empty; write a {} mapping of the spec's fields", format.name()),
        START,
    )
}

/// Drops the ` at line L column C` tail serde_yaml and serde_json add: the location is kept
/// separately.
fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

fn parse(text: &str, format: Format) -> Result<Parsed, Diagnostics> {
    match format {
        Format::Yaml => parse_yaml(text),
        Format::Json => parse_json(text),
        Format::Toml => parse_toml(text),
    }
}

fn parse_yaml(text: &str) -> Result<Parsed, Diagnostics> {
    if let Some(location) = too_many_aliases(text) {
        let message = format!(
            "the spec uses more than {MAX_ALIASES} aliases (`*name`); each one copies what its anchor names, so \
             their number bounds how large the spec can grow"
        );
        return Err(single(FieldPath::root(), "too-many-aliases", message, location));
    }
    if let Some(location) = too_deep(text) {
        let message = format!("the spec nests deeper than {MAX_NESTING} levels; real specs nest a few levels");
        return Err(single(FieldPath::root(), "too-deep", message, location));
    }
    let scan = spans::scan_yaml(text);
    if let Some((location, info)) = scan.syntax {
        return Err(single(FieldPath::root(), "syntax", format!("invalid YAML: {info}"), location));
    }
    if scan.empty {
        return Err(empty_spec(Format::Yaml));
    }
    let document: Value = serde_yaml::from_str(text).map_err(|error| {
        // Some errors (a control character) come with a character position but line 1,
        // column 1: the position is the real place.
        let location = reported_position(text, &error.to_string())
            .or_else(|| error.location().map(|l| Location { line: l.line(), column: l.column() }))
            .unwrap_or(START);
        let message = format!("invalid YAML: {}", strip_position(&error.to_string()));
        single(FieldPath::root(), "syntax", message, location)
    })?;
    finish(document, scan.spans, scan.duplicates, Format::Yaml)
}

/// The most alias references (`*name`) a YAML spec may use. Aliases copy their anchor's node, and
/// aliases of anchors holding aliases multiply ("a billion laughs"), so their number is bounded
/// before parsing: with at most this many, the expanded spec stays a small multiple of the text.
pub const MAX_ALIASES: usize = 10;

/// Where the text uses alias number [`MAX_ALIASES`] + 1 (a `*` starting a token, followed by an
/// anchor name; quoted `*` and globs such as `*.example.com` in quotes do not count).
fn too_many_aliases(text: &str) -> Option<Location> {
    let mut count = 0;
    for (index, line) in text.lines().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        for (column, pair) in chars.windows(2).enumerate() {
            let starts_token = column == 0 || matches!(chars[column - 1], ' ' | '\t' | '[' | '{' | ',');
            if pair[0] == '*' && starts_token && (pair[1].is_alphanumeric() || pair[1] == '_') {
                count += 1;
                if count > MAX_ALIASES {
                    return Some(Location { line: index + 1, column: column + 1 });
                }
            }
        }
    }
    None
}

/// The deepest nesting a YAML spec may have (real specs have under ten levels). Checked on the
/// text before any parser runs, because a parser recursing once per level (`- - - - …` on one
/// line) would overflow the stack long before it reports an error.
pub const MAX_NESTING: usize = 100;

/// Where the text first exceeds [`MAX_NESTING`], by a cheap upper bound of the nesting: per line,
/// the indentation plus the sequence dashes that open it, plus unclosed flow brackets.
fn too_deep(text: &str) -> Option<Location> {
    let mut brackets: usize = 0;
    for (index, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start_matches([' ', '-', '?', ':']).len();
        if indent > MAX_NESTING * 2 {
            return Some(Location { line: index + 1, column: 1 });
        }
        for (column, c) in line.chars().enumerate() {
            match c {
                '[' | '{' => brackets += 1,
                ']' | '}' => brackets = brackets.saturating_sub(1),
                '#' => break,
                _ => {}
            }
            if brackets > MAX_NESTING {
                return Some(Location { line: index + 1, column: column + 1 });
            }
        }
    }
    None
}

/// The location of a "... at position N" in a parser's message (N counts characters from the
/// start), for errors that carry no line and column of their own, such as a control character.
fn reported_position(text: &str, message: &str) -> Option<Location> {
    let position: usize =
        message.rsplit_once(" at position ")?.1.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()?;
    let offset = text.char_indices().nth(position).map_or(text.len(), |(offset, _)| offset);
    Some(spans::LineIndex::new(text).location(offset))
}

fn parse_json(text: &str) -> Result<Parsed, Diagnostics> {
    if text.trim().is_empty() {
        return Err(empty_spec(Format::Json));
    }
    let document: Value = serde_json::from_str(text).map_err(|error| {
        let location = Location { line: error.line().max(1), column: error.column().max(1) };
        let message = format!("invalid JSON: {}", strip_position(&error.to_string()));
        single(FieldPath::root(), "syntax", message, location)
    })?;
    // JSON is YAML's flow syntax, so the YAML scanner finds positions and duplicate keys (which
    // serde_json silently collapses). Its syntax verdict is ignored: serde_json has the last word
    // on what JSON is, and whatever the scanner indexed before stopping is still useful.
    let scan = spans::scan_yaml(text);
    finish(document, scan.spans, scan.duplicates, Format::Json)
}

fn parse_toml(text: &str) -> Result<Parsed, Diagnostics> {
    let lines = spans::LineIndex::new(text);
    let (table, errors) = toml::de::DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        let mut diagnostics = Diagnostics::new();
        for error in errors {
            let location = error.span().map_or(START, |span| lines.location(span.start));
            let message = error.message().trim_end();
            // toml rejects duplicate keys while parsing; keep the rule the other formats use.
            let rule = if message.contains("duplicate key") { "duplicate-key" } else { "syntax" };
            diagnostics.push_diagnostic(Diagnostic {
                path: FieldPath::root(),
                rule,
                message: format!("invalid TOML: {message}"),
                location: Some(location),
            });
        }
        diagnostics.sort();
        return Err(diagnostics);
    }
    if table.get_ref().is_empty() {
        return Err(empty_spec(Format::Toml));
    }
    let spans = spans::index_toml(&table, &lines);
    let mut document = Value::deserialize(toml::de::Deserializer::from(table)).map_err(|error| {
        let message = format!("invalid TOML: {}", error.message());
        single(FieldPath::root(), "syntax", message, START)
    })?;
    datetimes_to_strings(&mut document);
    finish(document, spans, Vec::new(), Format::Toml)
}

fn finish(
    document: Value,
    spans: SpanIndex,
    duplicates: Vec<Diagnostic>,
    format: Format,
) -> Result<Parsed, Diagnostics> {
    if document.is_null() {
        return Err(empty_spec(format));
    }
    let mut diagnostics = Diagnostics::new();
    for duplicate in duplicates {
        diagnostics.push_diagnostic(duplicate);
    }
    Ok(Parsed { document, spans, diagnostics })
}

/// toml hands datetimes to serde as a private one-key table; a spec field holding one is a
/// string (RFC 3339), so present it that way.
fn datetimes_to_strings(value: &mut Value) {
    const DATETIME_KEY: &str = "$__toml_private_datetime";
    match value {
        Value::Object(map) => {
            if map.len() == 1
                && let Some(Value::String(text)) = map.get(DATETIME_KEY)
            {
                *value = Value::String(text.clone());
                return;
            }
            map.values_mut().for_each(datetimes_to_strings);
        }
        Value::Array(items) => items.iter_mut().for_each(datetimes_to_strings),
        _ => {}
    }
}

/// serde_ignored's path as field path segments; `Option` and newtype layers leave no trace in
/// the document, so they add no segment.
fn ignored_segments(path: &serde_ignored::Path<'_>) -> Vec<Segment> {
    use serde_ignored::Path as P;
    let mut segments = match path {
        P::Root => return Vec::new(),
        P::Seq { parent, .. }
        | P::Map { parent, .. }
        | P::Some { parent }
        | P::NewtypeStruct { parent }
        | P::NewtypeVariant { parent } => ignored_segments(parent),
    };
    match path {
        P::Seq { index, .. } => segments.push(Segment::Index(*index)),
        P::Map { key, .. } => segments.push(Segment::Key(key.clone())),
        _ => {}
    }
    segments
}

/// Follows `segments` through the document, putting back the enum variant keys serde_ignored
/// leaves out (`{kind: {Custom: {x: 1}}}` is reported as `kind.x`, not `kind.Custom.x`).
fn resolve_in_document(segments: &[Segment], document: &Value) -> FieldPath {
    let mut resolved = Vec::new();
    let mut current = Some(document);
    let mut remaining = segments.iter().peekable();
    while let Some(segment) = remaining.peek() {
        let step = match (segment, current) {
            (Segment::Key(key), Some(Value::Object(map))) => map.get(key),
            (Segment::Index(index), Some(Value::Array(items))) => items.get(*index),
            _ => None,
        };
        if step.is_some() {
            resolved.push((*segment).clone());
            current = step;
            remaining.next();
            continue;
        }
        match current {
            Some(Value::Object(map)) if map.len() == 1 => {
                // A one-key mapping that lacks the key: an externally tagged variant.
                if let Some((variant, inner)) = map.iter().next() {
                    resolved.push(Segment::Key(variant.clone()));
                    current = Some(inner);
                }
            }
            _ => {
                resolved.extend(remaining.cloned());
                break;
            }
        }
    }
    FieldPath::from_segments(resolved)
}

/// Keys of `document` that `schema` does not allow, for when serde stopped before seeing them.
/// Conservative: a mapping is only checked when its schema lists properties and allows no
/// others, and a key is unknown only if no branch of an `anyOf`/`oneOf` allows it.
fn unknown_keys_by_schema(schema: &Value, document: &Value) -> Vec<FieldPath> {
    let mut found = Vec::new();
    walk_unknown(schema, document, &FieldPath::root(), &mut found);
    found
}

fn walk_unknown(schema: &Value, value: &Value, path: &FieldPath, found: &mut Vec<FieldPath>) {
    match value {
        Value::Object(map) => {
            let names = schema::field_names_at(schema, path);
            let open = schema::allows_any_key(schema, path);
            for (key, inner) in map {
                let field = path.key(key.clone());
                if !open && !names.is_empty() && !names.contains(key) {
                    found.push(field);
                } else {
                    walk_unknown(schema, inner, &field, found);
                }
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                walk_unknown(schema, item, &path.index(index), found);
            }
        }
        _ => {}
    }
}

/// Lists where `T` has a struct (see [`schema::expects_mapping_only`]).
fn lists_for_mappings(schema: &Value, document: &Value) -> Vec<FieldPath> {
    fn walk(schema: &Value, value: &Value, path: &FieldPath, found: &mut Vec<FieldPath>) {
        match value {
            Value::Array(_) if schema::expects_mapping_only(schema, path) => {
                found.push(path.clone());
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    walk(schema, item, &path.index(index), found);
                }
            }
            Value::Object(map) => {
                for (key, inner) in map {
                    walk(schema, inner, &path.key(key.clone()), found);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(schema, document, &FieldPath::root(), &mut found);
    found
}

fn error_path(path: &serde_path_to_error::Path) -> FieldPath {
    use serde_path_to_error::Segment as S;
    let mut segments = Vec::new();
    for segment in path.iter() {
        match segment {
            S::Seq { index } => segments.push(Segment::Index(*index)),
            S::Map { key } => segments.push(Segment::Key(key.clone())),
            S::Enum { variant } => segments.push(Segment::Key(variant.clone())),
            // Past an untracked step (an untagged enum's buffer) the rest would be guesswork.
            S::Unknown => break,
        }
    }
    FieldPath::from_segments(segments)
}

fn unknown_field(schema: &Value, path: FieldPath) -> Diagnostic {
    let segments = path.segments();
    let (name, parent) = match segments.split_last() {
        Some((Segment::Key(name), parent)) => (name.clone(), parent.to_vec()),
        _ => (path.to_string(), segments.to_vec()),
    };
    let candidates = schema::field_names_at(schema, &FieldPath::from_segments(parent));
    let message = match schema::suggest(&name, &candidates) {
        Some(suggestion) => format!("unknown field `{name}`; did you mean `{suggestion}`?"),
        None if candidates.is_empty() => format!("unknown field `{name}`"),
        None => format!("unknown field `{name}`; expected one of {}", backticked_list(&candidates)),
    };
    Diagnostic { path, rule: "unknown-field", message, location: None }
}

fn backticked_list(names: &[String]) -> String {
    names.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
}

/// The diagnostic for serde's error `message` at `path`.
fn serde_diagnostic(schema: &Value, path: FieldPath, message: &str) -> Option<Diagnostic> {
    let with_key = |name: &str| match path.segments().last() {
        Some(Segment::Key(last)) if last == name => path.clone(),
        _ => path.key(name),
    };
    let (path, rule, message) = match messages::classify(message) {
        Classified::MissingField(name) => (with_key(&name), "missing-field", "required field is missing".to_owned()),
        Classified::UnknownField(name) => return Some(unknown_field(schema, with_key(&name))),
        // The duplicate-key pass has already reported it with both positions.
        Classified::DuplicateField(_) => return None,
        Classified::UnknownVariant(value, allowed) => {
            let mut text = format!("`{value}` is not one of {}", backticked_list(&allowed));
            if let Some(suggestion) = schema::suggest(&value, &allowed) {
                text.push_str(&format!("; did you mean `{suggestion}`?"));
            }
            (path, "unknown-variant", text)
        }
        Classified::Type(text) => (path, "type", text),
        Classified::Length(text) => (path, "length", text),
        Classified::Other(text) => (path, "value", text),
    };
    Some(Diagnostic { path, rule, message, location: None })
}
