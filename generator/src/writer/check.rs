//! `stackgen generate --check`: what a write would change, read-only.

use std::fmt;
use std::fs;
use std::io;
use std::path::Path;

use super::journal::{JOURNAL_PATH, is_interrupted};
use super::manifest::MANIFEST_PATH;
use super::manifest::Manifest;
use crate::FileTree;
use crate::file_tree::FileKind;

/// One generated file whose bytes on disk differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDiff {
    /// Relative path.
    pub path: String,
    /// Unified diff from the file on disk (`a/path`) to the generated file (`b/path`), or a
    /// one-line note for non-text files.
    pub diff: String,
}

/// The result of [`check`]: what `stackgen generate` would change in the output folder. All
/// lists are sorted by path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Files (the manifest included) whose contents differ.
    pub differing: Vec<FileDiff>,
    /// Files (the manifest included) that would be created.
    pub missing: Vec<String>,
    /// Files recorded in the manifest on disk that are no longer generated.
    pub stale: Vec<String>,
    /// Paths that could not be read, with the reason; the folder counts as out of date.
    pub unreadable: Vec<(String, String)>,
}

impl CheckReport {
    /// True when `stackgen generate` would change nothing.
    pub fn is_up_to_date(&self) -> bool {
        self.differing.is_empty() && self.missing.is_empty() && self.stale.is_empty() && self.unreadable.is_empty()
    }

    /// The process exit status for `stackgen generate --check`: 0 when up to date, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        u8::from(!self.is_up_to_date())
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_up_to_date() {
            return writeln!(f, "up to date");
        }
        for diff in &self.differing {
            f.write_str(&diff.diff)?;
        }
        for path in &self.missing {
            writeln!(f, "missing: {path}")?;
        }
        for path in &self.stale {
            writeln!(f, "stale (no longer generated): {path}")?;
        }
        for (path, reason) in &self.unreadable {
            writeln!(f, "unreadable: {path}: {reason}")?;
        }
        write!(
            f,
            "out of date: {} differing, {} missing, {} stale",
            self.differing.len(),
            self.missing.len(),
            self.stale.len()
        )?;
        if !self.unreadable.is_empty() {
            write!(f, ", {} unreadable", self.unreadable.len())?;
        }
        writeln!(f, "; run `stackgen generate` to update")
    }
}

/// Compares `out` with what [`write`] would leave there for `tree` (the manifest included).
/// Reads only; never writes.
pub fn check(tree: &FileTree, out: &Path) -> CheckReport {
    let mut report = CheckReport::default();
    if is_interrupted(out) {
        // `stackgen generate --check` recovers first; a caller that did not sees this.
        report.unreadable.push((
            JOURNAL_PATH.to_owned(),
            "an interrupted `stackgen generate` is unfinished here; the next `stackgen generate` finishes it"
                .to_owned(),
        ));
    }
    let previous = match Manifest::load(out) {
        Ok(previous) => previous.unwrap_or_default(),
        Err(error) => {
            report.unreadable.push((MANIFEST_PATH.to_owned(), error.to_string()));
            Manifest::default()
        }
    };
    let manifest = Manifest::next(tree, &previous).to_bytes();
    let mut expected: Vec<(&str, &[u8], FileKind)> =
        tree.iter_with_kind().map(|(p, b, k)| (p.as_str(), b, k)).collect();
    expected.push((MANIFEST_PATH, &manifest, FileKind::Managed));
    expected.sort_by(|a, b| a.0.cmp(b.0));
    for (path, bytes, kind) in expected {
        if kind == FileKind::Seeded && previous.owns_seeded(path) {
            // The user's file: whatever it holds now (or its absence) is not drift.
            continue;
        }
        match fs::read(out.join(path)) {
            // A seeded file that is already there, but not yet recorded, would be adopted as
            // it is; the manifest's difference reports that.
            Ok(_) if kind == FileKind::Seeded => {}
            Ok(current) if current == bytes => {}
            Ok(current) => report.differing.push(FileDiff { path: path.to_owned(), diff: diff(path, &current, bytes) }),
            Err(error) if error.kind() == io::ErrorKind::NotFound => report.missing.push(path.to_owned()),
            Err(error) => report.unreadable.push((path.to_owned(), error.to_string())),
        }
    }
    for path in previous.files.keys() {
        if tree.get(path).is_none() && out.join(path).exists() {
            report.stale.push(path.clone());
        }
    }
    report.unreadable.sort();
    report
}

fn diff(path: &str, old: &[u8], new: &[u8]) -> String {
    let (Ok(old), Ok(new)) = (std::str::from_utf8(old), std::str::from_utf8(new)) else {
        return format!("Binary files a/{path} and b/{path} differ\n");
    };
    let text_diff = similar::TextDiff::from_lines(old, new);
    let mut unified = text_diff.unified_diff();
    unified.context_radius(3).header(&format!("a/{path}"), &format!("b/{path}"));
    unified.to_string()
}
