//! The in-memory result of a generation: relative path → bytes, ordered by path.

use std::collections::BTreeMap;
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

/// Generated files, path → bytes. Deterministic by construction (a `BTreeMap`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileTree {
    files: BTreeMap<RelativePath, Vec<u8>>,
}

impl FileTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a file.
    ///
    /// # Errors
    /// When `path` is not a valid relative path.
    pub fn insert(&mut self, path: &str, contents: impl Into<Vec<u8>>) -> Result<(), InvalidPath> {
        self.files.insert(RelativePath::new(path)?, contents.into());
        Ok(())
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

    /// Moves every file of `other` into this tree under `prefix/`.
    ///
    /// # Errors
    /// When `prefix` makes an invalid path.
    pub fn merge_under(&mut self, prefix: &str, other: FileTree) -> Result<(), InvalidPath> {
        for (path, contents) in other.files {
            self.insert(&format!("{prefix}/{}", path.as_str()), contents)?;
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
}
