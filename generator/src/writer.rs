//! Puts a [`FileTree`] on disk: atomically, recording a manifest of content hashes, and never
//! overwriting a file that was changed by hand since the last generation.
//!
//! The output folder holds `.stackgen/manifest.json`: for every file stackgen wrote, its path and
//! the sha256 of its bytes. A file on disk whose hash differs from the recorded one was edited by
//! hand; [`write`] then stops before writing anything and names it (unless
//! [`WriteOptions::force`]). [`check`] compares the folder with what [`write`] would produce, for
//! `stackgen generate --check`.
//!
//! Atomicity: every file is first written and fsynced into a staging directory on the same file
//! system (a hidden `.stackgen-staging-*` directory inside the output folder, or next to it when
//! the folder does not exist yet), then renamed into place. Files about to be replaced or removed
//! are first moved aside into the staging directory, so a failing rename restores everything as
//! it was. Any error before the first rename leaves the output folder untouched.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::FileTree;
use crate::file_tree::FileKind;

/// Where the manifest lives, relative to the output folder.
pub const MANIFEST_PATH: &str = ".stackgen/manifest.json";

/// The folder stackgen reserves inside the output folder; a [`FileTree`] may not write into it.
pub const RESERVED_DIR: &str = ".stackgen";

/// The manifest's format version; bumped when its shape changes. Format 1 (no seeded files)
/// is still read.
pub const MANIFEST_FORMAT: u32 = 2;

const STAGING_PREFIX: &str = ".stackgen-staging-";

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
    fn owns_seeded(&self, path: &str) -> bool {
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
    let digest = Sha256::digest(bytes);
    let mut text = String::with_capacity(7 + 64);
    text.push_str("sha256:");
    for byte in digest {
        text.push_str(&format!("{byte:02x}"));
    }
    text
}

/// How [`write`] treats hand-edited files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// Overwrite generated files that were changed by hand (`stackgen generate --force`).
    /// Hand-edited files that are no longer generated are kept even then.
    pub force: bool,
}

/// What [`write`] did. Every list is sorted by path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Files created or replaced (the manifest not included).
    pub written: Vec<String>,
    /// Generated files already on disk with the right bytes; not touched (mtime kept).
    pub unchanged: Vec<String>,
    /// Files of the previous generation that are no longer generated, removed.
    pub removed: Vec<String>,
    /// Files of the previous generation that are no longer generated but were changed by hand:
    /// kept, for the user to delete.
    pub kept: Vec<String>,
    /// Hand-edited files overwritten because of [`WriteOptions::force`] (also in `written`).
    pub forced: Vec<String>,
    /// Seeded files written for the first time (also in `written`): the user's from now on.
    pub seeded: Vec<String>,
    /// Seeded files left alone because they are the user's: written by an earlier generation, or
    /// already present (with other bytes) before the first one.
    pub user_owned: Vec<String>,
}

impl fmt::Display for WriteReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} written, {} unchanged, {} removed",
            self.written.len(),
            self.unchanged.len(),
            self.removed.len()
        )?;
        for path in &self.forced {
            write!(f, "\noverwrote hand-edited {path} (--force)")?;
        }
        for path in &self.seeded {
            write!(f, "\nseeded {path}: yours from now on; stackgen will never overwrite or delete it")?;
        }
        for path in &self.kept {
            write!(f, "\nkept {path}: no longer generated, but changed by hand; delete it if it is not needed")?;
        }
        Ok(())
    }
}

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
    /// partly updated. The staging folder, with the previous versions, is kept for recovery.
    #[error(
        "could not move `{path}` into place ({source}) and could not restore: {}; previous versions \
         are kept in `{}`",
        problems.join("; "),
        staging.display()
    )]
    RollbackFailed {
        /// The relative path whose move failed.
        path: String,
        /// The error of that move.
        source: io::Error,
        /// Each failed restore step.
        problems: Vec<String>,
        /// The kept staging folder.
        staging: PathBuf,
    },
}

/// The action for one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Create,
    Replace,
    Unchanged,
}

/// Writes `tree` into `out` (created when missing) and records the manifest. See the module
/// documentation for the guarantees.
///
/// # Errors
/// See [`WriteError`]; in every case but [`WriteError::RollbackFailed`] the output folder is as it
/// was before the call.
pub fn write(tree: &FileTree, out: &Path, options: &WriteOptions) -> Result<WriteReport, WriteError> {
    write_failing_after(tree, out, options, None)
}

/// [`write`] with a test hook: the move into place number `fail_after_moves` (0-based) fails as if
/// the file system had refused it, to exercise the rollback.
///
/// # Errors
/// As [`write`], plus [`WriteError::RolledBack`] from the injected failure.
#[doc(hidden)]
pub fn write_failing_after(
    tree: &FileTree,
    out: &Path,
    options: &WriteOptions,
    fail_after_moves: Option<usize>,
) -> Result<WriteReport, WriteError> {
    for path in tree.paths() {
        if path == RESERVED_DIR || path.starts_with(".stackgen/") {
            return Err(WriteError::ReservedPath { path: path.to_owned() });
        }
    }
    let out_exists = match fs::symlink_metadata(out) {
        Ok(meta) if meta.is_dir() => true,
        Ok(_) => return Err(WriteError::OutNotADirectory { path: out.to_path_buf() }),
        Err(error) if error.kind() == io::ErrorKind::NotFound => false,
        Err(source) => return Err(WriteError::Io { action: "inspect", path: out.to_path_buf(), source }),
    };
    let previous = if out_exists {
        match Manifest::load(out) {
            Ok(manifest) => manifest.unwrap_or_default(),
            // --force means "I accept losing hand edits": a broken manifest protects nothing.
            Err(WriteError::InvalidManifest { .. }) if options.force => Manifest::default(),
            Err(error) => return Err(error),
        }
    } else {
        Manifest::default()
    };

    // Plan everything before touching the disk.
    let mut report = WriteReport::default();
    let mut plan: Vec<(&str, &[u8], Action)> = Vec::new();
    let mut hand_edited = Vec::new();
    for (path, bytes, kind) in tree.iter_with_kind() {
        let path = path.as_str();
        if kind == FileKind::Seeded {
            match plan_seeded(out, out_exists, path, bytes, &previous)? {
                Some(action) => {
                    if action == Action::Create {
                        report.seeded.push(path.to_owned());
                    }
                    plan.push((path, bytes, action));
                }
                None => report.user_owned.push(path.to_owned()),
            }
            continue;
        }
        let action = if out_exists { plan_file(out, path, bytes, &previous)? } else { Ok(Action::Create) };
        match action {
            Ok(action) => plan.push((path, bytes, action)),
            Err(()) if options.force => {
                report.forced.push(path.to_owned());
                plan.push((path, bytes, Action::Replace));
            }
            Err(()) => hand_edited.push(path.to_owned()),
        }
    }
    if !hand_edited.is_empty() {
        return Err(WriteError::HandEdited { out: out.to_path_buf(), paths: hand_edited });
    }
    let mut removals = Vec::new();
    for (path, recorded) in &previous.files {
        if tree.get(path).is_some() {
            continue;
        }
        let target = out.join(path);
        match fs::symlink_metadata(&target) {
            Ok(meta) if meta.is_file() => match fs::read(&target) {
                Ok(bytes) if &sha256(&bytes) == recorded => removals.push(path.clone()),
                Ok(_) => report.kept.push(path.clone()),
                Err(source) => return Err(WriteError::Io { action: "read", path: target, source }),
            },
            Ok(_) => report.kept.push(path.clone()),
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(WriteError::Io { action: "inspect", path: target, source }),
        }
    }
    let manifest = Manifest::next(tree, &previous);
    let manifest_bytes = manifest.to_bytes();
    let manifest_action = if out_exists {
        match fs::read(out.join(MANIFEST_PATH)) {
            Ok(bytes) if bytes == manifest_bytes => Action::Unchanged,
            Ok(_) => Action::Replace,
            Err(_) => Action::Create,
        }
    } else {
        Action::Create
    };

    for (path, _, action) in &plan {
        match action {
            Action::Unchanged => report.unchanged.push((*path).to_owned()),
            Action::Create | Action::Replace => report.written.push((*path).to_owned()),
        }
    }
    report.removed = removals.clone();
    let nothing_to_do = report.written.is_empty() && removals.is_empty() && manifest_action == Action::Unchanged;
    if nothing_to_do {
        return Ok(report);
    }

    // Stage.
    let staging_parent = if out_exists { out.to_path_buf() } else { parent_for_new(out)? };
    let staging = tempfile::Builder::new().prefix(STAGING_PREFIX).tempdir_in(&staging_parent).map_err(|source| {
        WriteError::Io { action: "create the staging folder in", path: staging_parent.clone(), source }
    })?;
    let staged_root = staging.path().join("new");
    let mut moves: Vec<(String, Action)> = Vec::new();
    for (path, bytes, action) in &plan {
        if *action != Action::Unchanged {
            stage_file(&staged_root, path, bytes)?;
            moves.push(((*path).to_owned(), *action));
        }
    }
    if manifest_action != Action::Unchanged {
        stage_file(&staged_root, MANIFEST_PATH, &manifest_bytes)?;
        moves.push((MANIFEST_PATH.to_owned(), manifest_action));
    }

    if !out_exists {
        sync_dir(&staged_root);
        fs::rename(&staged_root, out).map_err(|source| WriteError::Io {
            action: "move the staged folder to",
            path: out.to_path_buf(),
            source,
        })?;
        sync_dir(&staging_parent);
        return Ok(report);
    }

    // Move into place, keeping what is replaced or removed aside so it can be restored.
    let mut journal = Journal { out, backup: staging.path().join("old"), done: Vec::new() };
    let mut steps = moves.iter().map(|(p, a)| Step::Put(p.clone(), *a)).collect::<Vec<_>>();
    steps.extend(removals.iter().map(|p| Step::Remove(p.clone())));
    for (index, step) in steps.iter().enumerate() {
        let result = if fail_after_moves == Some(index) {
            Err((step.path().to_owned(), injected()))
        } else {
            journal.apply(step, &staged_root)
        };
        if let Err((path, source)) = result {
            let problems = journal.undo();
            if problems.is_empty() {
                return Err(WriteError::RolledBack { path, source });
            }
            return Err(WriteError::RollbackFailed { path, source, problems, staging: staging.keep() });
        }
    }
    for path in &removals {
        remove_empty_parents(out, path);
    }
    sync_dir(out);
    Ok(report)
}

fn injected() -> io::Error {
    io::Error::other("injected failure (test hook)")
}

/// What to do with a seeded file: `None` when it is the user's (this folder had it before, or has
/// a file of other bytes there now), otherwise create it or leave the identical file alone.
fn plan_seeded(
    out: &Path,
    out_exists: bool,
    path: &str,
    bytes: &[u8],
    previous: &Manifest,
) -> Result<Option<Action>, WriteError> {
    if previous.owns_seeded(path) {
        return Ok(None);
    }
    if !out_exists {
        return Ok(Some(Action::Create));
    }
    check_parents(out, path)?;
    let target = out.join(path);
    match fs::symlink_metadata(&target) {
        Ok(meta) if meta.is_file() => {}
        Ok(meta) => {
            let what = if meta.is_dir() { "a directory" } else { "not a regular file" };
            return Err(WriteError::PathConflict { path: path.to_owned(), blocker: target, what });
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Some(Action::Create)),
        Err(source) => return Err(WriteError::Io { action: "inspect", path: target, source }),
    }
    let current = fs::read(&target).map_err(|source| WriteError::Io { action: "read", path: target, source })?;
    Ok((current == bytes).then_some(Action::Unchanged))
}

/// `Ok(Err(()))` when the file on disk was changed by hand.
fn plan_file(out: &Path, path: &str, bytes: &[u8], previous: &Manifest) -> Result<Result<Action, ()>, WriteError> {
    check_parents(out, path)?;
    let target = out.join(path);
    match fs::symlink_metadata(&target) {
        Ok(meta) if meta.is_file() => {}
        Ok(meta) => {
            let what = if meta.is_dir() { "a directory" } else { "not a regular file" };
            return Err(WriteError::PathConflict { path: path.to_owned(), blocker: target, what });
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Ok(Action::Create)),
        Err(source) => return Err(WriteError::Io { action: "inspect", path: target, source }),
    }
    let current =
        fs::read(&target).map_err(|source| WriteError::Io { action: "read", path: target.clone(), source })?;
    if current == bytes {
        return Ok(Ok(Action::Unchanged));
    }
    match previous.files.get(path) {
        Some(recorded) if *recorded == sha256(&current) => Ok(Ok(Action::Replace)),
        _ => Ok(Err(())),
    }
}

/// Every parent of `path` inside `out` must be a directory or absent.
fn check_parents(out: &Path, path: &str) -> Result<(), WriteError> {
    let mut dir = out.to_path_buf();
    let components: Vec<&str> = path.split('/').collect();
    for component in &components[..components.len().saturating_sub(1)] {
        dir.push(component);
        match fs::symlink_metadata(&dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(WriteError::PathConflict {
                    path: path.to_owned(),
                    blocker: dir,
                    what: "a file where a directory is needed",
                });
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(source) => return Err(WriteError::Io { action: "inspect", path: dir, source }),
        }
    }
    Ok(())
}

/// The existing folder a missing `out` will be created in (its parents are created if needed,
/// which is outside `out` and therefore harmless).
fn parent_for_new(out: &Path) -> Result<PathBuf, WriteError> {
    let parent = match out.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(|source| WriteError::Io { action: "create", path: parent.clone(), source })?;
    Ok(parent)
}

fn stage_file(root: &Path, path: &str, bytes: &[u8]) -> Result<(), WriteError> {
    let target = root.join(path);
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent).map_err(|source| WriteError::Io {
            action: "create",
            path: parent.to_path_buf(),
            source,
        })?;
    }
    let mut file =
        fs::File::create(&target).map_err(|source| WriteError::Io { action: "stage", path: target.clone(), source })?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(|source| WriteError::Io {
        action: "stage",
        path: target.clone(),
        source,
    })
}

/// Best effort: makes renames in `dir` durable. Some file systems cannot sync directories.
fn sync_dir(dir: &Path) {
    if let Ok(handle) = fs::File::open(dir) {
        let _ = handle.sync_all();
    }
}

fn remove_empty_parents(out: &Path, path: &str) {
    let mut dir = out.join(path);
    while dir.pop() && dir != out && dir.starts_with(out) {
        // Fails (and stops) at the first directory that still has entries.
        if fs::remove_dir(&dir).is_err() {
            break;
        }
    }
}

enum Step {
    Put(String, Action),
    Remove(String),
}

impl Step {
    fn path(&self) -> &str {
        match self {
            Step::Put(path, _) | Step::Remove(path) => path,
        }
    }
}

/// Undo information for the moves done so far.
struct Journal<'a> {
    out: &'a Path,
    backup: PathBuf,
    done: Vec<Done>,
}

enum Done {
    CreatedDir(PathBuf),
    Placed(PathBuf),
    MovedAside { from: PathBuf, to: PathBuf },
}

impl Journal<'_> {
    fn apply(&mut self, step: &Step, staged_root: &Path) -> Result<(), (String, io::Error)> {
        let path = step.path();
        let fail = |source| (path.to_owned(), source);
        let target = self.out.join(path);
        if let Step::Put(_, Action::Replace) | Step::Remove(_) = step {
            let aside = self.backup.join(path);
            if let Some(parent) = aside.parent() {
                fs::create_dir_all(parent).map_err(fail)?;
            }
            fs::rename(&target, &aside).map_err(fail)?;
            self.done.push(Done::MovedAside { from: target.clone(), to: aside });
        }
        if let Step::Put(..) = step {
            if let Some(parent) = target.parent() {
                self.create_dirs(parent).map_err(fail)?;
            }
            fs::rename(staged_root.join(path), &target).map_err(fail)?;
            self.done.push(Done::Placed(target));
        }
        Ok(())
    }

    fn create_dirs(&mut self, dir: &Path) -> io::Result<()> {
        let mut missing = Vec::new();
        let mut cursor = dir.to_path_buf();
        while !cursor.exists() {
            missing.push(cursor.clone());
            if !cursor.pop() {
                break;
            }
        }
        for dir in missing.into_iter().rev() {
            fs::create_dir(&dir)?;
            self.done.push(Done::CreatedDir(dir));
        }
        Ok(())
    }

    /// Reverses every recorded step, newest first; returns what could not be undone.
    fn undo(&mut self) -> Vec<String> {
        let mut problems = Vec::new();
        while let Some(done) = self.done.pop() {
            let result = match &done {
                Done::CreatedDir(dir) => fs::remove_dir(dir).map_err(|e| format!("remove `{}`: {e}", dir.display())),
                Done::Placed(file) => fs::remove_file(file).map_err(|e| format!("remove `{}`: {e}", file.display())),
                Done::MovedAside { from, to } => {
                    fs::rename(to, from).map_err(|e| format!("restore `{}`: {e}", from.display()))
                }
            };
            if let Err(problem) = result {
                problems.push(problem);
            }
        }
        problems
    }
}

// ---------------------------------------------------------------------------------------------
// check

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
