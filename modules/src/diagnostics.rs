//! User mistakes in a spec: a list of diagnostics, each naming the field path and the rule broken.
//!
//! Validation never stops at the first problem; every rule pushes into one [`Diagnostics`] list.
//! Where the spec came from a file, the generator attaches `line:column` through its span index.

use std::fmt;

/// A path to a field in the spec, such as `aks.default_node_pool_node_max_count` or
/// `dns.subdomains[1].ttl`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldPath {
    segments: Vec<Segment>,
}

/// One step of a [`FieldPath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

impl FieldPath {
    /// The root of the spec.
    pub fn root() -> Self {
        Self::default()
    }

    /// This path extended by a mapping key.
    pub fn key(&self, key: impl Into<String>) -> Self {
        let mut next = self.clone();
        next.segments.push(Segment::Key(key.into()));
        next
    }

    /// This path extended by a sequence index.
    pub fn index(&self, index: usize) -> Self {
        let mut next = self.clone();
        next.segments.push(Segment::Index(index));
        next
    }

    /// The steps of the path, outermost first.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Builds a path from its steps.
    pub fn from_segments(segments: Vec<Segment>) -> Self {
        Self { segments }
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.segments.is_empty() {
            return f.write_str("(root)");
        }
        for (i, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Key(key) if i == 0 => f.write_str(key)?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// A position in a spec file, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    /// Line, starting at 1.
    pub line: usize,
    /// Column, starting at 1.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The field the rule is about.
    pub path: FieldPath,
    /// A short, stable name of the rule, such as `range` or `acr-name`.
    pub rule: &'static str,
    /// What is wrong and how to fix it.
    pub message: String,
    /// Where the field is in the spec file, when known.
    pub location: Option<Location>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(location) = self.location {
            write!(f, "{location}: ")?;
        }
        write!(f, "{} [{}]: {}", self.path, self.rule, self.message)
    }
}

/// Every problem found in a spec.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `rule` is broken at `path`.
    pub fn push(&mut self, path: FieldPath, rule: &'static str, message: impl Into<String>) {
        self.items.push(Diagnostic { path, rule, message: message.into(), location: None });
    }

    /// Records an already built diagnostic.
    pub fn push_diagnostic(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    /// True when no rule is broken.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// How many problems were found.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// The problems, in the order they were found.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.items.iter()
    }

    /// The problems, mutably (the loader fills in locations).
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, Diagnostic> {
        self.items.iter_mut()
    }

    /// Sorts by location (unknown last), then path, so reports read top to bottom.
    pub fn sort(&mut self) {
        self.items.sort_by(|a, b| {
            let key = |d: &Diagnostic| (d.location.is_none(), d.location, d.path.clone());
            key(a).cmp(&key(b))
        });
    }

    /// Checks `min <= value <= max`.
    pub fn check_range<T: PartialOrd + fmt::Display + Copy>(&mut self, path: FieldPath, value: T, min: T, max: T) {
        if value < min || value > max {
            self.push(path, "range", format!("must be between {min} and {max}, got {value}"));
        }
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for item in &self.items {
            writeln!(f, "error: {item}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_print_like_the_spec() {
        let path = FieldPath::root().key("dns").key("subdomains").index(1).key("ttl");
        assert_eq!(path.to_string(), "dns.subdomains[1].ttl");
        assert_eq!(FieldPath::root().to_string(), "(root)");
    }

    #[test]
    fn range_checks_report_bounds() {
        let mut d = Diagnostics::new();
        d.check_range(FieldPath::root().key("n"), 0u32, 1, 1000);
        d.check_range(FieldPath::root().key("m"), 5u32, 1, 1000);
        assert_eq!(d.len(), 1);
        assert_eq!(d.iter().next().map(|d| d.message.as_str()), Some("must be between 1 and 1000, got 0"));
    }
}
