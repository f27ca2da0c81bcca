//! Loads a spec file of any `Deserialize + JsonSchema` type from YAML, TOML or JSON, turning
//! every user mistake into a [`Diagnostic`] with a field path, a rule and `line:column`.
//!
//! The text is parsed twice: once by a position-keeping parser into a [`SpanIndex`] (which also
//! catches duplicate keys), once by serde into a `serde_json::Value` that all three formats share,
//! so type errors read the same whatever the format. The value is then deserialized into `T`
//! through `serde_ignored` (every unknown key, with its path) and `serde_path_to_error` (the path
//! of a type error); each broken field is reported, set aside for a stand-in and deserialization
//! goes on, so one run finds every type error ([`load_partial`]). Did-you-mean suggestions come
//! from `T`'s JSON Schema.
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
/// suggestion), and every `type`, `missing-field`, `unknown-variant`, `length` and `value`
/// problem (each broken field is set aside and deserialization goes on, see [`load_partial`]).
pub fn load_str<T: DeserializeOwned + JsonSchema + 'static>(
    text: &str,
    format: Format,
) -> Result<Loaded<T>, Diagnostics> {
    let partial = load_partial::<T>(text, format, &Value::Null)?;
    match partial.value {
        Some(value) if partial.diagnostics.is_empty() => Ok(Loaded { value, spans: partial.spans }),
        _ => Err(partial.diagnostics),
    }
}

/// What [`load_partial`] made of a text that parsed: the value built from every field that
/// loaded, and the problems of the fields that did not.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Partial<T> {
    /// The spec with every broken field replaced by its stand-in; `None` when no stand-in could
    /// make it whole (a required field broken and no fallback for it).
    pub value: Option<T>,
    /// Where each field of the spec is in the text.
    pub spans: SpanIndex,
    /// Every load problem, located and sorted; empty when the text loaded as it is.
    pub diagnostics: Diagnostics,
    /// The fields whose value in `value` is a stand-in, not what the user wrote (a field with a
    /// type error, a field a misspelled key was probably meant to set). Rules that read one of
    /// them would judge the stand-in, so callers skip them.
    pub unavailable: Vec<FieldPath>,
}

/// How many broken fields are set aside before the loader gives up on building a value; each
/// costs one more deserialization pass, so this bounds the time a spec full of errors takes.
pub const MAX_REPAIRS: usize = 64;

/// Parses `text` and deserializes as much of it as loads, so that one pass reports every problem.
///
/// Unknown keys are reported and ignored. A field that fails to deserialize (wrong type, unknown
/// variant, missing) is reported, then replaced by the value at the same path in `fallback` (a
/// known-good document, such as the default spec; list indexes past its end use its last item)
/// or, where `fallback` has none, removed so its default applies; when neither makes the
/// enclosing mapping load, the mapping itself is replaced the same way (without a fallback, a
/// list whose item fails is set aside whole, since removing the item would renumber the rest).
/// Deserialization then resumes, up to [`MAX_REPAIRS`] times. Pass `Value::Null` for no fallback.
///
/// # Errors
///
/// Only when the text cannot be parsed at all (size, syntax, nesting, aliases, empty): then
/// there are no fields to go on with.
pub fn load_partial<T: DeserializeOwned + JsonSchema + 'static>(
    text: &str,
    format: Format,
    fallback: &Value,
) -> Result<Partial<T>, Diagnostics> {
    if text.len() > MAX_SPEC_BYTES {
        return Err(too_large(text.len() as u64));
    }
    let Parsed { document: original, spans, mut diagnostics } = parse(text, format)?;
    let schema = crate::json_schema::of::<T>().as_value();

    let mut reported = HashSet::new();
    let mut unavailable = Vec::new();
    let mut document = original.clone();
    let mut repair = Repair { fallback, replaced: HashSet::new(), removed: HashSet::new() };
    let lists = lists_for_mappings(schema, &original);
    for path in &lists {
        reported.insert(path.clone());
        diagnostics.push_diagnostic(Diagnostic {
            path: path.clone(),
            rule: "type",
            message: "expected a mapping, got a list".to_owned(),
            location: None,
        });
        if let Some(replaced) = repair.apply(&mut document, path) {
            unavailable.push(replaced);
        }
    }

    let mut ignored = Vec::new();
    let mut value = None;
    let mut failed = false;
    let (mut repairs, mut exhausted) = (0, false);
    for _ in 0..=MAX_REPAIRS {
        let mut on_ignored = |path: serde_ignored::Path<'_>| ignored.push(ignored_segments(&path));
        let result: Result<T, _> =
            serde_path_to_error::deserialize(serde_ignored::Deserializer::new(&document, &mut on_ignored));
        let error = match result {
            Ok(loaded) => {
                value = Some(loaded);
                break;
            }
            Err(error) => error,
        };
        failed = true;
        if repairs == MAX_REPAIRS {
            exhausted = true;
            break;
        }
        let path = error_path(error.path());
        let diagnostic = serde_diagnostic(schema, path.clone(), &error.inner().to_string());
        // The field to set aside: a missing field's own path, else where serde stopped.
        let broken = diagnostic.as_ref().map_or(path, |d| d.path.clone());
        let inside_list = lists.iter().any(|list| broken.segments().starts_with(list.segments()));
        let missing = diagnostic.as_ref().is_some_and(|d| d.rule == "missing-field");
        if let Some(diagnostic) = diagnostic
            && !inside_list
            && reported.insert(diagnostic.path.clone())
        {
            diagnostics.push_diagnostic(diagnostic);
        }
        if missing && !inside_list {
            // serde names one missing field per mapping; the schema knows the others, which the
            // stand-in for the first may never let serde reach.
            for field in missing_siblings(schema, &original, &broken) {
                if reported.insert(field.clone()) {
                    diagnostics.push_diagnostic(Diagnostic {
                        path: field,
                        rule: "missing-field",
                        message: "required field is missing".to_owned(),
                        location: None,
                    });
                }
            }
        }
        match repair.apply(&mut document, &broken) {
            // A field set aside is reported once: a mapping missing it now is no new problem.
            Some(replaced) => {
                reported.insert(replaced.clone());
                unavailable.push(replaced);
                repairs += 1;
            }
            None => break,
        }
    }
    if exhausted {
        diagnostics.push_diagnostic(Diagnostic {
            path: FieldPath::root(),
            rule: "too-many-problems",
            message: format!(
                "stopped after {MAX_REPAIRS} fields that failed to load; later ones may not be listed: fix these and run again"
            ),
            location: Some(START),
        });
    }

    for segments in ignored {
        let path = resolve_in_document(&segments, &original);
        if reported.insert(path.clone()) {
            let (diagnostic, meant) = unknown_field(schema, path);
            unavailable.extend(meant);
            diagnostics.push_diagnostic(diagnostic);
        }
    }
    if failed {
        // serde stopped at each error, so keys after it in that mapping may never have been
        // offered to serde_ignored: find the rest of the unknown keys from the schema.
        for path in unknown_keys_by_schema(schema, &original) {
            if reported.insert(path.clone()) {
                let (diagnostic, meant) = unknown_field(schema, path);
                unavailable.extend(meant);
                diagnostics.push_diagnostic(diagnostic);
            }
        }
    }
    locate_all(&mut diagnostics, &spans);
    diagnostics.sort();
    Ok(Partial { value, spans, diagnostics, unavailable })
}

/// The required fields of the mapping holding `missing` that the user's document lacks too.
fn missing_siblings(schema: &Value, original: &Value, missing: &FieldPath) -> Vec<FieldPath> {
    let Some((_, parent)) = missing.segments().split_last() else { return Vec::new() };
    let Some(Value::Object(written)) = lookup_exact(original, parent) else { return Vec::new() };
    let parent = FieldPath::from_segments(parent.to_vec());
    schema::required_at(schema, &parent)
        .into_iter()
        .filter(|name| !written.contains_key(name))
        .map(|name| parent.key(name))
        .collect()
}

fn lookup_exact<'v>(value: &'v Value, segments: &[Segment]) -> Option<&'v Value> {
    segments.iter().try_fold(value, |current, segment| match (segment, current) {
        (Segment::Key(key), Value::Object(map)) => map.get(key),
        (Segment::Index(index), Value::Array(items)) => items.get(*index),
        _ => None,
    })
}

/// Sets broken fields aside in a document (see [`load_partial`]).
struct Repair<'f> {
    fallback: &'f Value,
    /// Fields already given their fallback value: if that fails too, an ancestor is next.
    replaced: HashSet<FieldPath>,
    /// Keys already removed: if the mapping still fails without them, it is replaced whole.
    removed: HashSet<FieldPath>,
}

impl Repair<'_> {
    /// Replaces or removes the value at `path` or, failing that, at its closest ancestor that
    /// can be; returns the path that was changed, `None` when only the root is left.
    fn apply(&mut self, document: &mut Value, path: &FieldPath) -> Option<FieldPath> {
        let mut segments = path.segments().to_vec();
        while !segments.is_empty() {
            let at = FieldPath::from_segments(segments.clone());
            if !self.replaced.contains(&at)
                && let Some(stand_in) = lookup_clamped(self.fallback, &segments)
                && set_at(document, &segments, stand_in.clone())
            {
                self.replaced.insert(at.clone());
                return Some(at);
            }
            if let Some((Segment::Key(key), parent)) = segments.split_last()
                && self.removed.insert(at.clone())
                && let Some(Value::Object(map)) = lookup_mut(document, parent)
            {
                map.shift_remove(key);
                return Some(at);
            }
            segments.pop();
        }
        None
    }
}

/// The value at `segments` in `value`, an index past a list's end taking its last item (so a
/// one-item list in the fallback stands in for every item).
fn lookup_clamped<'v>(value: &'v Value, segments: &[Segment]) -> Option<&'v Value> {
    segments.iter().try_fold(value, |current, segment| match (segment, current) {
        (Segment::Key(key), Value::Object(map)) => map.get(key),
        (Segment::Index(index), Value::Array(items)) => items.get(*index).or_else(|| items.last()),
        _ => None,
    })
}

fn lookup_mut<'v>(value: &'v mut Value, segments: &[Segment]) -> Option<&'v mut Value> {
    segments.iter().try_fold(value, |current, segment| match (segment, current) {
        (Segment::Key(key), Value::Object(map)) => map.get_mut(key),
        (Segment::Index(index), Value::Array(items)) => items.get_mut(*index),
        _ => None,
    })
}

/// Sets the value at `segments` (a missing key of an existing mapping is added); false when
/// the parent is not there.
fn set_at(document: &mut Value, segments: &[Segment], value: Value) -> bool {
    let Some((last, parent)) = segments.split_last() else { return false };
    match (last, lookup_mut(document, parent)) {
        (Segment::Key(key), Some(Value::Object(map))) => {
            map.insert(key.clone(), value);
            true
        }
        (Segment::Index(index), Some(Value::Array(items))) if *index < items.len() => {
            items[*index] = value;
            true
        }
        _ => false,
    }
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
    let mut duplicates = Vec::new();
    let mut syntax = Diagnostics::new();
    for error in errors {
        let location = error.span().map_or(START, |span| lines.location(span.start));
        let message = error.message().trim_end();
        // toml rejects duplicate keys while parsing; keep the rule the other formats use.
        let duplicate = message.contains("duplicate key");
        let diagnostic = Diagnostic {
            path: FieldPath::root(),
            rule: if duplicate { "duplicate-key" } else { "syntax" },
            message: format!("invalid TOML: {message}"),
            location: Some(location),
        };
        if duplicate { duplicates.push(diagnostic) } else { syntax.push_diagnostic(diagnostic) }
    }
    if !syntax.is_empty() {
        duplicates.into_iter().for_each(|duplicate| syntax.push_diagnostic(duplicate));
        syntax.sort();
        return Err(syntax);
    }
    if table.get_ref().is_empty() {
        return Err(empty_spec(Format::Toml));
    }
    let spans = spans::index_toml(&table, &lines);
    let duplicates = duplicates.into_iter().map(|duplicate| place_toml_duplicate(duplicate, text, &spans)).collect();
    let mut document = Value::deserialize(toml::de::Deserializer::from(table)).map_err(|error| {
        let message = format!("invalid TOML: {}", error.message());
        single(FieldPath::root(), "syntax", message, START)
    })?;
    datetimes_to_strings(&mut document);
    // Only duplicate keys: the table keeps the first of each, so the rest can still be judged.
    finish(document, spans, duplicates, Format::Toml)
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

/// Gives a TOML duplicate key (reported by position only) its field path and first position,
/// worded like the other formats': the key is read from the text, its mapping is that of the
/// field located just before it.
fn place_toml_duplicate(duplicate: Diagnostic, text: &str, spans: &SpanIndex) -> Diagnostic {
    let Some(location) = duplicate.location else { return duplicate };
    let line = text.lines().nth(location.line - 1).unwrap_or_default();
    let key: String = line.chars().skip(location.column - 1).take_while(|c| *c != '=').collect();
    let key = key.trim().trim_matches('"');
    let Some(before) = spans.last_before(location) else { return duplicate };
    let mut parent = before.segments().to_vec();
    parent.pop();
    let path = FieldPath::from_segments(parent).key(key);
    match spans.locate(&path) {
        Some(first) if !key.is_empty() => Diagnostic {
            message: format!("`{key}` is given twice in this mapping (first at {first}); keep one"),
            path,
            ..duplicate
        },
        _ => duplicate,
    }
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

/// The diagnostic for an unknown key, and the field it was probably meant to set (its
/// did-you-mean suggestion), which then holds its default instead of what the user wrote.
fn unknown_field(schema: &Value, path: FieldPath) -> (Diagnostic, Option<FieldPath>) {
    let segments = path.segments();
    let (name, parent) = match segments.split_last() {
        Some((Segment::Key(name), parent)) => (name.clone(), parent.to_vec()),
        _ => (path.to_string(), segments.to_vec()),
    };
    let candidates = schema::field_names_at(schema, &FieldPath::from_segments(parent.clone()));
    let suggestion = schema::suggest(&name, &candidates);
    let message = match suggestion {
        Some(suggestion) => format!("unknown field `{name}`; did you mean `{suggestion}`?"),
        None if candidates.is_empty() => format!("unknown field `{name}`"),
        None => format!("unknown field `{name}`; expected one of {}", backticked_list(&candidates)),
    };
    let meant = suggestion.map(|suggestion| FieldPath::from_segments(parent).key(suggestion));
    (Diagnostic { path, rule: "unknown-field", message, location: None }, meant)
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
        Classified::UnknownField(name) => return Some(unknown_field(schema, with_key(&name)).0),
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
