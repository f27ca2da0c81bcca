//! Where each field of a spec file sits: a map from [`FieldPath`] to `line:column`.
//!
//! serde forgets positions once a value is built, so the loader parses the text a second time
//! with a parser that keeps them: yaml-rust2's event parser for YAML and JSON (JSON is YAML's
//! flow syntax), toml's spanned document tree for TOML.

use std::collections::HashMap;

use stackgen_modules::diagnostics::{Diagnostic, FieldPath, Location};
use toml::Spanned;
use toml::de::{DeTable, DeValue};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, ScanError, TScalarStyle};

/// Positions of the fields of one spec file.
///
/// A mapping entry is located at its key, a sequence item at the item itself, and the root at
/// the start of the document, so an editor jumps to the line that names the field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpanIndex {
    entries: HashMap<FieldPath, Location>,
}

impl SpanIndex {
    /// An index that knows no positions (for specs built in code).
    pub fn new() -> Self {
        Self::default()
    }

    /// Records where `path` is; the first position recorded for a path wins, so a duplicated
    /// key keeps pointing at its first occurrence.
    pub fn insert(&mut self, path: FieldPath, location: Location) {
        self.entries.entry(path).or_insert(location);
    }

    fn replace(&mut self, path: FieldPath, location: Location) {
        self.entries.insert(path, location);
    }

    /// The position of exactly `path`, if the file spells it out.
    pub fn locate(&self, path: &FieldPath) -> Option<Location> {
        self.entries.get(path).copied()
    }

    /// The position of `path` or, when the file does not spell it out (a missing field, a
    /// defaulted one), of its closest ancestor that it does.
    pub fn locate_nearest(&self, path: &FieldPath) -> Option<Location> {
        let segments = path.segments();
        (0..=segments.len()).rev().find_map(|len| self.locate(&FieldPath::from_segments(segments[..len].to_vec())))
    }

    /// The field located last before `location` (ties: the deepest), for placing a problem a
    /// parser reports by position only.
    pub(crate) fn last_before(&self, location: Location) -> Option<&FieldPath> {
        self.entries
            .iter()
            .filter(|(_, at)| **at < location)
            .max_by(|(a, at_a), (b, at_b)| (at_a, a.segments().len()).cmp(&(at_b, b.segments().len())))
            .map(|(path, _)| path)
    }

    /// How many positions are known.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no position is known.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// What the structural pass over a YAML or JSON text found.
pub(crate) struct YamlScan {
    pub spans: SpanIndex,
    /// Keys given twice in one mapping.
    pub duplicates: Vec<Diagnostic>,
    /// The first syntax error, if the text is not YAML.
    pub syntax: Option<(Location, String)>,
    /// True when the document holds no node, or only a null scalar.
    pub empty: bool,
}

/// Walks the YAML event stream of `text`, recording positions and duplicate keys.
pub(crate) fn scan_yaml(text: &str) -> YamlScan {
    let mut builder = YamlBuilder { lines: text.lines().collect(), ..YamlBuilder::default() };
    let result: Result<(), ScanError> = Parser::new_from_str(text).load(&mut builder, true);
    let syntax = result.err().map(|err| (marker_location(err.marker()), err.info().to_owned())).or_else(|| {
        builder.second_document.map(|location| {
            let message = "a spec is one document; remove this `---` and what follows";
            (location, message.to_owned())
        })
    });
    YamlScan {
        spans: builder.spans,
        duplicates: builder.duplicates,
        syntax,
        empty: builder.root_is_empty.unwrap_or(true),
    }
}

fn marker_location(marker: &Marker) -> Location {
    // yaml-rust2 counts lines from 1 and columns from 0.
    Location { line: marker.line(), column: marker.col() + 1 }
}

enum Frame {
    Map {
        /// None for the contents of a complex (non-scalar) key, which no field path can name.
        path: Option<FieldPath>,
        /// The key whose value comes next; None while a key is expected.
        pending_key: Option<Option<String>>,
        seen: HashMap<String, Location>,
        /// True while the mapping's own position is a placeholder to replace by its first key's.
        relocate: bool,
    },
    Seq {
        path: Option<FieldPath>,
        next: usize,
    },
}

#[derive(Default)]
struct YamlBuilder<'t> {
    lines: Vec<&'t str>,
    stack: Vec<Frame>,
    spans: SpanIndex,
    duplicates: Vec<Diagnostic>,
    /// Set at the first node of the document.
    root_is_empty: Option<bool>,
    documents: usize,
    /// Where a second document starts; everything from there on is ignored.
    second_document: Option<Location>,
}

impl YamlBuilder<'_> {
    /// True when a flow mapping (`{`) starts at `location`. A block mapping's start event is
    /// marked at its first `:`, which is no place to point at, so those take their first key's.
    fn is_flow_start(&self, location: Location) -> bool {
        self.lines.get(location.line - 1).and_then(|line| line.chars().nth(location.column - 1)) == Some('{')
    }

    /// Decides which path a node starting at `location` has, recording keys on the way.
    /// Returns None when the node is a key (keys are not values with paths of their own) and
    /// `Some(None)` when it is a value no path can name.
    fn place(&mut self, location: Location, scalar: Option<&str>) -> Option<Option<FieldPath>> {
        let Some(frame) = self.stack.last_mut() else {
            let root = FieldPath::root();
            self.spans.insert(root.clone(), location);
            return Some(Some(root));
        };
        match frame {
            Frame::Seq { path, next } => {
                let item = path.as_ref().map(|p| p.index(*next));
                *next += 1;
                if let Some(item) = &item {
                    self.spans.insert(item.clone(), location);
                }
                Some(item)
            }
            Frame::Map { path, pending_key, seen, relocate } => match pending_key.take() {
                Some(key) => Some(match (path, key) {
                    (Some(path), Some(key)) => Some(path.key(key)),
                    _ => None,
                }),
                None => {
                    let key = scalar.map(str::to_owned);
                    if let Some(parent) = path.as_ref().filter(|_| *relocate) {
                        self.spans.replace(parent.clone(), location);
                    }
                    *relocate = false;
                    if let (Some(parent), Some(key)) = (path.as_ref(), key.as_ref()) {
                        let field = parent.key(key.clone());
                        if let Some(first) = seen.get(key) {
                            self.duplicates.push(Diagnostic {
                                path: field.clone(),
                                rule: "duplicate-key",
                                message: format!("`{key}` is given twice in this mapping (first at {first}); keep one"),
                                location: Some(location),
                            });
                        } else {
                            seen.insert(key.clone(), location);
                        }
                        self.spans.insert(field, location);
                    }
                    *pending_key = Some(key);
                    None
                }
            },
        }
    }
}

impl MarkedEventReceiver for YamlBuilder<'_> {
    fn on_event(&mut self, event: Event, marker: Marker) {
        let location = marker_location(&marker);
        if self.second_document.is_some() {
            return;
        }
        match event {
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents > 1 {
                    self.second_document = Some(location);
                }
            }
            Event::Scalar(value, style, _, _) => {
                if self.root_is_empty.is_none() {
                    let null =
                        style == TScalarStyle::Plain && matches!(value.as_str(), "" | "~" | "null" | "Null" | "NULL");
                    self.root_is_empty = Some(null);
                }
                self.place(location, Some(&value));
            }
            Event::Alias(_) => {
                self.root_is_empty.get_or_insert(false);
                self.place(location, None);
            }
            Event::MappingStart(..) => {
                self.root_is_empty.get_or_insert(false);
                // A mapping used as a key gets a frame too, so its own entries do not land in
                // the parent; its path is None.
                // Only a mapping that is a sequence item or the root records a position of its
                // own (a mapping value is located at its key).
                let records_own = matches!(self.stack.last(), None | Some(Frame::Seq { .. }));
                let relocate = records_own && !self.is_flow_start(location);
                let path = self.place(location, None).flatten();
                self.stack.push(Frame::Map { path, pending_key: None, seen: HashMap::new(), relocate });
            }
            Event::SequenceStart(..) => {
                self.root_is_empty.get_or_insert(false);
                let path = self.place(location, None).flatten();
                self.stack.push(Frame::Seq { path, next: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
    }
}

/// Turns byte offsets into 1-based `line:column`, counting columns in characters.
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Self { text, starts }
    }

    pub(crate) fn location(&self, offset: usize) -> Location {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&start| start <= offset).max(1);
        let start = self.starts[line - 1];
        let column = self.text.get(start..offset).map_or(offset - start, |s| s.chars().count()) + 1;
        Location { line, column }
    }
}

/// Records the position of every key and array item of a parsed TOML document.
pub(crate) fn index_toml(table: &Spanned<DeTable<'_>>, lines: &LineIndex<'_>) -> SpanIndex {
    let mut spans = SpanIndex::new();
    spans.insert(FieldPath::root(), first_key_location(table.get_ref(), lines));
    index_toml_table(table.get_ref(), &FieldPath::root(), lines, &mut spans);
    spans
}

fn first_key_location(table: &DeTable<'_>, lines: &LineIndex<'_>) -> Location {
    table
        .keys()
        .map(|key| key.span().start)
        .min()
        .map_or(Location { line: 1, column: 1 }, |offset| lines.location(offset))
}

fn index_toml_table(table: &DeTable<'_>, path: &FieldPath, lines: &LineIndex<'_>, spans: &mut SpanIndex) {
    for (key, value) in table.iter() {
        let field = path.key(key.get_ref().as_ref());
        spans.insert(field.clone(), lines.location(key.span().start));
        index_toml_value(value, &field, lines, spans);
    }
}

fn index_toml_value(value: &Spanned<DeValue<'_>>, path: &FieldPath, lines: &LineIndex<'_>, spans: &mut SpanIndex) {
    match value.get_ref() {
        DeValue::Table(table) => index_toml_table(table, path, lines, spans),
        DeValue::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let field = path.index(index);
                let location = match item.get_ref() {
                    // An `[[array]]` table's span covers its header line; its first key is the
                    // more useful place when the header is shared by every item.
                    DeValue::Table(table) if !table.is_empty() => first_key_location(table, lines),
                    _ => lines.location(item.span().start),
                };
                spans.insert(field.clone(), location);
                index_toml_value(item, &field, lines, spans);
            }
        }
        DeValue::String(_) | DeValue::Integer(_) | DeValue::Float(_) | DeValue::Boolean(_) | DeValue::Datetime(_) => {}
    }
}
