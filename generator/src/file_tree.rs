//! The in-memory result of a generation: relative path → bytes, ordered by path, each file
//! either *managed* or *seeded* ([`FileKind`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A relative, forward-slash path inside the output folder, such as `terraform/main.tf`.
/// Never absolute, never with `..`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RelativePath(String);

impl RelativePath {
    /// Checks and wraps a path.
    ///
    /// # Errors
    /// When the path is empty, absolute, has a backslash, or has an empty, `.` or `..` component.
    pub fn new(path: impl Into<String>) -> Result<Self, InvalidPath> {
        let path = path.into();
        let ok = !path.is_empty()
            && !path.starts_with('/')
            && !path.contains('\\')
            && path.split('/').all(|c| !c.is_empty() && c != "." && c != "..");
        if ok { Ok(Self(path)) } else { Err(InvalidPath(path)) }
    }

    /// The path as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RelativePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A path that cannot be part of a [`FileTree`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a relative path inside the output folder")]
pub struct InvalidPath(pub String);

/// Who a generated file belongs to, and therefore how the writer treats it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum FileKind {
    /// Regenerated on every run and recorded with its hash: never to be edited by hand (a hand
    /// edit stops the next write until it is moved into the spec or discarded with `--force`).
    Managed,
    /// A starting point written once: only when the output folder has never had it (the manifest
    /// remembers every seeded path ever written). From then on it is the user's: regeneration
    /// never overwrites or deletes it, not with `--force`, not when it leaves the tree, not when
    /// the user deleted it, and `--check` never reports its edits.
    Seeded,
}

/// Generated files, path → bytes and [`FileKind`]. Deterministic by construction (a `BTreeMap`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileTree {
    files: BTreeMap<RelativePath, Vec<u8>>,
    /// The subset of `files` that is [`FileKind::Seeded`].
    seeded: BTreeSet<RelativePath>,
}

impl FileTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a [`FileKind::Managed`] file.
    ///
    /// # Errors
    /// When `path` is not a valid relative path.
    pub fn insert(&mut self, path: &str, contents: impl Into<Vec<u8>>) -> Result<(), InvalidPath> {
        self.insert_kind(path, contents, FileKind::Managed)
    }

    /// Adds (or replaces) a [`FileKind::Seeded`] file: written once, then the user's.
    ///
    /// # Errors
    /// When `path` is not a valid relative path.
    pub fn insert_seeded(&mut self, path: &str, contents: impl Into<Vec<u8>>) -> Result<(), InvalidPath> {
        self.insert_kind(path, contents, FileKind::Seeded)
    }

    /// Adds (or replaces) a file of the given kind.
    ///
    /// # Errors
    /// When `path` is not a valid relative path.
    pub fn insert_kind(&mut self, path: &str, contents: impl Into<Vec<u8>>, kind: FileKind) -> Result<(), InvalidPath> {
        let path = RelativePath::new(path)?;
        match kind {
            FileKind::Managed => self.seeded.remove(&path),
            FileKind::Seeded => self.seeded.insert(path.clone()),
        };
        self.files.insert(path, contents.into());
        Ok(())
    }

    /// The kind of a file, if present.
    pub fn kind(&self, path: &str) -> Option<FileKind> {
        let path = RelativePath::new(path).ok()?;
        if self.seeded.contains(&path) {
            Some(FileKind::Seeded)
        } else {
            self.files.contains_key(&path).then_some(FileKind::Managed)
        }
    }

    /// The contents of a file, if present.
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        RelativePath::new(path).ok().and_then(|p| self.files.get(&p)).map(Vec::as_slice)
    }

    /// The contents of a file as UTF-8 text, if present and text.
    pub fn get_str(&self, path: &str) -> Option<&str> {
        self.get(path).and_then(|b| std::str::from_utf8(b).ok())
    }

    /// Every file, ordered by path.
    pub fn iter(&self) -> impl Iterator<Item = (&RelativePath, &[u8])> {
        self.files.iter().map(|(p, b)| (p, b.as_slice()))
    }

    /// Every file with its kind, ordered by path.
    pub fn iter_with_kind(&self) -> impl Iterator<Item = (&RelativePath, &[u8], FileKind)> {
        self.files.iter().map(|(p, b)| {
            let kind = if self.seeded.contains(p) { FileKind::Seeded } else { FileKind::Managed };
            (p, b.as_slice(), kind)
        })
    }

    /// Paths, ordered.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(RelativePath::as_str)
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// True when there are no files.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Moves every file of `other` into this tree under `prefix/`, keeping each file's kind.
    ///
    /// # Errors
    /// When `prefix` makes an invalid path.
    pub fn merge_under(&mut self, prefix: &str, other: FileTree) -> Result<(), InvalidPath> {
        let FileTree { files, seeded } = other;
        for (path, contents) in files {
            let kind = if seeded.contains(&path) { FileKind::Seeded } else { FileKind::Managed };
            self.insert_kind(&format!("{prefix}/{}", path.as_str()), contents, kind)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_paths_that_escape() {
        for bad in ["", "/etc/passwd", "a/../b", "a//b", "./a", "a\\b"] {
            assert!(RelativePath::new(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(RelativePath::new("terraform/modules/aks/main.tf").is_ok());
    }

    #[test]
    fn iterates_in_path_order() {
        let mut tree = FileTree::new();
        for path in ["b/x", "a/y", "a/b/z"] {
            tree.insert(path, path.as_bytes().to_vec()).expect("valid path");
        }
        assert_eq!(tree.paths().collect::<Vec<_>>(), ["a/b/z", "a/y", "b/x"]);
    }

    #[test]
    fn kinds_follow_the_last_insert_and_survive_merging() {
        let mut tree = FileTree::new();
        tree.insert("managed", "m").expect("valid");
        tree.insert_seeded("seeded", "s").expect("valid");
        tree.insert_seeded("flip", "1").expect("valid");
        tree.insert("flip", "2").expect("valid");
        assert_eq!(tree.kind("managed"), Some(FileKind::Managed));
        assert_eq!(tree.kind("seeded"), Some(FileKind::Seeded));
        assert_eq!(tree.kind("flip"), Some(FileKind::Managed), "a managed insert replaces a seeded file");
        assert_eq!(tree.kind("absent"), None);
        assert_eq!(tree.kind("../bad"), None);
        let mut outer = FileTree::new();
        outer.merge_under("svc", tree).expect("valid");
        assert_eq!(outer.kind("svc/seeded"), Some(FileKind::Seeded));
        assert_eq!(outer.kind("svc/managed"), Some(FileKind::Managed));
        let kinds: Vec<_> = outer.iter_with_kind().map(|(p, _, k)| (p.as_str().to_owned(), k)).collect();
        assert_eq!(kinds[2], ("svc/seeded".to_owned(), FileKind::Seeded));
    }
}
