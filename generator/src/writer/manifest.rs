//! `.stackgen/manifest.json`: what stackgen wrote into an output folder.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::WriteError;
use crate::FileTree;
use crate::file_tree::FileKind;

/// Where the manifest lives, relative to the output folder.
pub const MANIFEST_PATH: &str = ".stackgen/manifest.json";

pub use super::layout::RESERVED_DIR;

/// The manifest's format version; bumped when its shape changes. Format 1 (no seeded files)
/// is still read.
pub const MANIFEST_FORMAT: u32 = 2;

/// What stackgen wrote last time: for every managed file, relative path → `sha256:<hex>` of its
/// bytes; and every seeded file ever written into this folder.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`MANIFEST_FORMAT`] at the time of writing.
    pub format: u32,
    /// Every managed file, sorted by path.
    pub files: BTreeMap<String, String>,
    /// Every [`FileKind::Seeded`] path ever written here (or found already present): the user's
    /// files, never written again. Kept after the path leaves the tree, so it is not re-seeded.
    #[serde(default)]
    pub seeded: BTreeSet<String>,
}

impl Manifest {
    /// The manifest describing `tree` written into a folder stackgen never wrote before.
    pub fn for_tree(tree: &FileTree) -> Self {
        Self::next(tree, &Self::default())
    }

    /// The manifest after writing `tree` over a folder whose manifest was `previous`: the tree's
    /// managed files with their hashes, and every seeded path of the tree or of `previous` that
    /// the tree does not now manage.
    pub fn next(tree: &FileTree, previous: &Manifest) -> Self {
        let mut files = BTreeMap::new();
        let mut seeded = previous.seeded.clone();
        for (path, bytes, kind) in tree.iter_with_kind() {
            match kind {
                FileKind::Seeded => {
                    seeded.insert(path.as_str().to_owned());
                }
                _ => {
                    seeded.remove(path.as_str());
                    files.insert(path.as_str().to_owned(), sha256(bytes));
                }
            }
        }
        Self { format: MANIFEST_FORMAT, files, seeded }
    }

    /// True when `path` is a seeded file this folder already had: it is the user's.
    pub(super) fn owns_seeded(&self, path: &str) -> bool {
        self.seeded.contains(path) || self.files.contains_key(path)
    }

    /// The manifest file's bytes: pretty JSON, keys sorted, final newline, nothing time-dependent.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text.into_bytes()
    }

    /// Reads `out/.stackgen/manifest.json`; `Ok(None)` when there is none.
    ///
    /// # Errors
    /// When the file exists but cannot be read or is not a manifest of a known format.
    pub fn load(out: &Path) -> Result<Option<Self>, WriteError> {
        let path = out.join(MANIFEST_PATH);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(WriteError::Io { action: "read the manifest", path, source }),
        };
        let manifest: Self = serde_json::from_slice(&bytes)
            .map_err(|error| WriteError::InvalidManifest { path: path.clone(), reason: error.to_string() })?;
        if !(1..=MANIFEST_FORMAT).contains(&manifest.format) {
            return Err(WriteError::InvalidManifest {
                path,
                reason: format!("format {} is not the supported format {MANIFEST_FORMAT}", manifest.format),
            });
        }
        Ok(Some(manifest))
    }
}

/// `sha256:<lowercase hex>` of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(bytes);
    let mut text = String::with_capacity(7 + 64);
    text.push_str("sha256:");
    for byte in digest {
        text.push(char::from(HEX[usize::from(byte >> 4)]));
        text.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    text
}
