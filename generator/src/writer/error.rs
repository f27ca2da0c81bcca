//! Why a write did not happen, and which of those failures are the user's to fix.

use std::io;
use std::path::PathBuf;

use super::layout::RESERVED_DIR;

/// Why [`write`] wrote nothing (or undid what it had started).
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The tree holds a file under `.stackgen/`, which stackgen reserves for its manifest.
    #[error("`{path}` is inside `{RESERVED_DIR}/`, which stackgen reserves for its own records")]
    ReservedPath {
        /// The offending relative path.
        path: String,
    },
    /// The output path exists and is not a directory.
    #[error("output folder `{}` exists and is not a directory", path.display())]
    OutNotADirectory {
        /// The output path.
        path: PathBuf,
    },
    /// Generated files were changed by hand since the last generation; nothing was written.
    #[error(
        "{} generated file(s) in `{}` changed by hand since the last `stackgen generate`:\n{}\n\
         Nothing was written. stackgen never overwrites hand edits: move the change into the spec \
         (or a custom module), or discard it and re-run with `--force` to overwrite these files.",
        paths.len(),
        out.display(),
        paths.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n")
    )]
    HandEdited {
        /// The output folder.
        out: PathBuf,
        /// Every hand-edited file, sorted.
        paths: Vec<String>,
    },
    /// A generated file's place is taken by something that is not a regular file: a directory
    /// where the file goes, or a file (or symlink) where one of its parent directories goes.
    #[error("cannot write `{path}`: `{}` is {what}; nothing was written", blocker.display())]
    PathConflict {
        /// The generated file's relative path.
        path: String,
        /// The path in the way.
        blocker: PathBuf,
        /// What is in the way, such as "a directory".
        what: &'static str,
    },
    /// `.stackgen/manifest.json` exists but is not a manifest this version understands.
    #[error(
        "`{}` is not a valid stackgen manifest ({reason}); fix or delete it (hand-edit protection \
         then starts afresh)",
        path.display()
    )]
    InvalidManifest {
        /// The manifest path.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A file system operation failed before anything was moved into place; nothing was written.
    #[error("could not {action} `{}`: {source}; nothing was written", path.display())]
    Io {
        /// What was being done, such as "create the staging folder in".
        action: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// Moving a staged file into place failed; every earlier move was undone.
    #[error("could not move `{path}` into place: {source}; the output folder was restored as it was")]
    RolledBack {
        /// The relative path being moved.
        path: String,
        /// The underlying error.
        source: io::Error,
    },
    /// Moving into place failed and undoing the earlier moves failed too: the output folder is
    /// partly updated. The journal is kept, so the next stackgen command in the folder finishes
    /// the write.
    #[error(
        "could not move `{path}` into place ({source}) and could not restore: {}; the journal is \
         kept and the next stackgen command in `{}` finishes the write",
        problems.join("; "),
        out.display()
    )]
    RollbackFailed {
        /// The relative path whose move failed.
        path: String,
        /// The error of that move.
        source: io::Error,
        /// Each failed restore step.
        problems: Vec<String>,
        /// The output folder.
        out: PathBuf,
    },
}

impl WriteError {
    /// True when the user can fix this in their output folder or its permissions (the output
    /// path is a file, a path is in the way, no permission, a read-only or full file system, a
    /// broken manifest); false for what would be a bug in stackgen.
    pub fn is_output_problem(&self) -> bool {
        match self {
            WriteError::OutNotADirectory { .. }
            | WriteError::PathConflict { .. }
            | WriteError::InvalidManifest { .. } => true,
            WriteError::Io { source, .. }
            | WriteError::RolledBack { source, .. }
            | WriteError::RollbackFailed { source, .. } => is_environment(source),
            WriteError::ReservedPath { .. } | WriteError::HandEdited { .. } => false,
        }
    }
}

/// I/O errors caused by the folder or file system the user pointed stackgen at.
pub fn is_environment(error: &io::Error) -> bool {
    use io::ErrorKind as K;
    matches!(
        error.kind(),
        K::PermissionDenied
            | K::ReadOnlyFilesystem
            | K::NotADirectory
            | K::IsADirectory
            | K::StorageFull
            | K::QuotaExceeded
            | K::AlreadyExists
            | K::DirectoryNotEmpty
            | K::InvalidFilename
    )
}
