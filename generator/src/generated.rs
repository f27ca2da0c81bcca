//! What a generation produces and why it can fail, shared by every renderer. A leaf: it imports
//! no renderer, so the renderers and the assembler (`generate`) all depend on it and never on
//! each other.

use stackgen_modules::{Diagnostics, RenderError, RepositoryVariable};

use crate::file_tree::{FileTree, InvalidPath};

/// Everything a generation produced.
#[derive(Debug, Clone, Default)]
pub struct Generated {
    /// The files, path → bytes.
    pub files: FileTree,
    /// Things the user should know (printed by the CLI, never written into files).
    pub warnings: Vec<String>,
    /// The repository variables the workflows read, each set from a root Terraform output (the
    /// README lists them with the command that sets them).
    pub repository_variables: Vec<RepositoryVariable>,
}

impl Generated {
    /// Moves every file and warning of `other` into this one.
    ///
    /// # Errors
    /// [`GenerateError::DuplicateFile`] when both hold the same path: two renderers (or a module
    /// and a renderer) would otherwise overwrite each other's file silently.
    pub fn merge(&mut self, other: Generated) -> Result<(), GenerateError> {
        self.merge_files(other.files)?;
        self.warnings.extend(other.warnings);
        Ok(())
    }

    /// Moves every file of `files` into this one.
    ///
    /// # Errors
    /// [`GenerateError::DuplicateFile`] when a path is already taken.
    pub fn merge_files(&mut self, files: FileTree) -> Result<(), GenerateError> {
        for (path, contents, kind) in files.iter_with_kind() {
            if self.files.get(path.as_str()).is_some() {
                return Err(GenerateError::DuplicateFile(path.to_string()));
            }
            self.files.insert_kind(path.as_str(), contents.to_vec(), kind)?;
        }
        Ok(())
    }
}

impl From<FileTree> for Generated {
    fn from(files: FileTree) -> Self {
        Self { files, ..Self::default() }
    }
}

/// Why a stack could not be generated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenerateError {
    /// The spec breaks rules; every problem is listed.
    #[error("the spec has {count} problem(s):\n{diagnostics}", count = .0.len(), diagnostics = .0)]
    Invalid(Diagnostics),
    /// A module's wiring is wrong (a bug in that module, not in the spec).
    #[error(transparent)]
    Render(#[from] RenderError),
    /// A renderer produced a path outside the output folder (a bug).
    #[error(transparent)]
    Path(#[from] InvalidPath),
    /// Two renderers or modules produced the same file.
    #[error("two parts of the stack write `{0}`; each file has one author")]
    DuplicateFile(String),
    /// A renderer failed for another reason (a bug), with what it was rendering.
    #[error("rendering {what} failed: {source}")]
    Artifact {
        /// The artifact, such as `charts/app/values.yaml`.
        what: String,
        /// What went wrong.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl GenerateError {
    /// [`GenerateError::Artifact`] for `what`.
    pub fn artifact(what: &str, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Artifact { what: what.to_owned(), source: source.into() }
    }
}
