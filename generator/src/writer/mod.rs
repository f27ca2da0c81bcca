//! Puts a [`FileTree`] on disk: all or nothing even across `kill -9`, recording a manifest of
//! content hashes, and never overwriting a file that was changed by hand since the last
//! generation.
//!
//! The output folder holds `.stackgen/manifest.json`: for every managed file stackgen wrote, its
//! path and the sha256 of its bytes, and every seeded path ever written. A managed file on disk
//! whose hash differs from the recorded one was edited by hand; [`write`] then stops before
//! writing anything and names it (unless [`WriteOptions::force`]). Seeded files are written once
//! and never touched again. [`check`] compares the folder with what [`write`] would produce, for
//! `stackgen generate --check`.
//!
//! Atomicity: every new file is written into `.stackgen/staging/`, then the plan (every file to
//! put and remove) into `.stackgen/journal.json`, then one sync makes both durable, and only then
//! are the files renamed into place. A process that is killed at any point leaves either no
//! journal (nothing was changed; the staging folder is removed by the next run) or a complete
//! one, which the next [`write`], [`recover`] (run by `--check` first) finishes before anything
//! else. An I/O error while moving files into place undoes the moves in the same process. See
//! [`journal`].

mod check;
mod error;
pub mod journal;
mod layout;
mod manifest;

use std::fmt;
use std::fs;
use std::io;
use std::path::Path;

use crate::FileTree;
use crate::file_tree::FileKind;

pub use check::{CheckReport, FileDiff, check};
pub use error::{WriteError, is_environment};
pub use journal::Recovery;
use journal::{FolderLock, Journal, Step};
pub use manifest::{MANIFEST_FORMAT, MANIFEST_PATH, Manifest, RESERVED_DIR, sha256};

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
    /// What was done first about an interrupted earlier write, if there was one.
    pub recovered: Option<Recovery>,
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
        if let Some(recovery) = &self.recovered {
            write!(f, "\nfirst {recovery}")?;
        }
        Ok(())
    }
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
/// was before the call (or, when it held an interrupted write, as that write left it finished).
pub fn write(tree: &FileTree, out: &Path, options: &WriteOptions) -> Result<WriteReport, WriteError> {
    write_with_hook(tree, out, options, None)
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
    write_with_hook(tree, out, options, fail_after_moves.map(Hook::FailAt))
}

/// [`write`] with a [`Hook`].
///
/// # Errors
/// As [`write`].
#[doc(hidden)]
pub fn write_with_hook(
    tree: &FileTree,
    out: &Path,
    options: &WriteOptions,
    hook: Option<Hook>,
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
    // Another stackgen process in this folder waits for the lock; an interrupted one's write is
    // finished (or discarded) before this one plans anything.
    let mut lock = if out_exists { FolderLock::acquire(out, false)? } else { None };
    let recovered = if out_exists { journal::recover_locked(out)? } else { None };
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
    let mut report = WriteReport { recovered, ..WriteReport::default() };
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

    // Stage every new file (no sync per file), then the journal; one sync makes both durable.
    if lock.is_none() {
        lock = FolderLock::acquire(out, true)?;
    }
    let staged = journal::staged_root(out);
    let mut steps = Vec::new();
    let staging = (|| {
        let mut folders = StagedFolders::default();
        for (path, bytes, action) in &plan {
            if *action != Action::Unchanged {
                folders.stage_file(&staged, path, bytes)?;
                // Managed files were hashed for the manifest already; only seeded ones are not.
                let hash = manifest.files.get(*path).cloned().unwrap_or_else(|| sha256(bytes));
                steps.push(Step::Put { path: (*path).to_owned(), sha256: hash });
            }
        }
        steps.extend(removals.iter().map(|path| Step::Remove { path: path.clone() }));
        if manifest_action != Action::Unchanged {
            folders.stage_file(&staged, MANIFEST_PATH, &manifest_bytes)?;
            steps.push(Step::Put { path: MANIFEST_PATH.to_owned(), sha256: sha256(&manifest_bytes) });
        }
        let journal = Journal::new(std::mem::take(&mut steps));
        journal.store(out)?;
        journal::sync_all_below(&out.join(RESERVED_DIR))?;
        Ok(journal)
    })();
    let journal = match staging {
        Ok(journal) => journal,
        Err(error) => {
            // Nothing was moved into place: drop what was staged.
            let _ = journal::discard(out);
            if !out_exists {
                drop(lock);
                let _ = fs::remove_dir(out.join(RESERVED_DIR));
                let _ = fs::remove_dir(out);
            }
            return Err(error);
        }
    };

    // Move into place, step by step; each step keeps what it replaces or removes until the end.
    for index in 0..journal.steps.len() {
        let result = match hook {
            Some(Hook::FailAt(at)) if at == index => Err((String::new(), injected())),
            Some(Hook::CrashAt(at)) if at == index => return Ok(report),
            _ => journal.apply(out, index),
        };
        if let Err((mut path, source)) = result {
            if path.is_empty() {
                journal.steps[index].path().clone_into(&mut path);
            }
            let problems = journal.roll_back(out);
            if problems.is_empty() {
                journal::discard(out)?;
                return Err(WriteError::RolledBack { path, source });
            }
            return Err(WriteError::RollbackFailed { path, source, problems, out: out.to_path_buf() });
        }
    }
    if SYNC_AFTER_MOVES {
        journal::sync_all_below(out)?;
    }
    // Done: the journal goes first (the write is then complete), the staging folder after it.
    journal::discard(out)?;
    drop(lock);
    Ok(report)
}

/// Sync again after the moves, before the journal is removed, so that a successful exit means
/// the new generation survives a power loss (without it, a power loss right after could bring
/// back the journal's previous state on file systems that do not order metadata updates).
const SYNC_AFTER_MOVES: bool = true;

/// Test hooks for [`write_with_hook`].
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    /// Move number `n` (0-based) fails as if the file system had refused it: exercises the
    /// in-process rollback.
    FailAt(usize),
    /// The process "dies" just before move number `n`: returns at once, leaving the journal and
    /// staging folder exactly as a `kill -9` there would.
    CrashAt(usize),
}

/// Finishes or discards an interrupted write in `out` (see [`journal`]); `Ok(None)` when there
/// was none (or `out` does not exist). [`write`] does this itself; `stackgen generate --check`
/// calls it first, so it never compares a half-moved folder.
///
/// # Errors
/// When a file system operation fails.
pub fn recover(out: &Path) -> Result<Option<Recovery>, WriteError> {
    if !fs::symlink_metadata(out).is_ok_and(|m| m.is_dir()) {
        return Ok(None);
    }
    let lock = FolderLock::acquire(out, false)?;
    let recovery = journal::recover_locked(out);
    drop(lock);
    recovery
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
    Ok(match existing_file(out, path)? {
        None => Some(Action::Create),
        Some(current) => (current == bytes).then_some(Action::Unchanged),
    })
}

/// `Ok(Err(()))` when the file on disk was changed by hand.
fn plan_file(out: &Path, path: &str, bytes: &[u8], previous: &Manifest) -> Result<Result<Action, ()>, WriteError> {
    let Some(current) = existing_file(out, path)? else {
        return Ok(Ok(Action::Create));
    };
    if current == bytes {
        return Ok(Ok(Action::Unchanged));
    }
    match previous.files.get(path) {
        Some(recorded) if *recorded == sha256(&current) => Ok(Ok(Action::Replace)),
        _ => Ok(Err(())),
    }
}

/// The bytes of the regular file at `path` inside `out`, or `None` when nothing is there; a
/// directory or anything else in the way, also as a parent, is a [`WriteError::PathConflict`].
fn existing_file(out: &Path, path: &str) -> Result<Option<Vec<u8>>, WriteError> {
    check_parents(out, path)?;
    let target = out.join(path);
    match fs::symlink_metadata(&target) {
        Ok(meta) if meta.is_file() => {}
        Ok(meta) => {
            let what = if meta.is_dir() { "a directory" } else { "not a regular file" };
            return Err(WriteError::PathConflict { path: path.to_owned(), blocker: target, what });
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(WriteError::Io { action: "inspect", path: target, source }),
    }
    fs::read(&target).map(Some).map_err(|source| WriteError::Io { action: "read", path: target, source })
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

/// The folders created under the staging root so far, so that each is created once rather
/// than once per file in it.
#[derive(Default)]
struct StagedFolders {
    created: std::collections::HashSet<String>,
}

impl StagedFolders {
    fn stage_file(&mut self, root: &Path, path: &str, bytes: &[u8]) -> Result<(), WriteError> {
        let target = root.join(path);
        // "" is the staging root itself.
        let parent = path.rfind('/').map_or("", |end| &path[..end]);
        if !self.created.contains(parent) {
            let dir = root.join(parent);
            fs::create_dir_all(&dir).map_err(|source| WriteError::Io { action: "create", path: dir, source })?;
            let mut folder = parent;
            loop {
                self.created.insert(folder.to_owned());
                match folder.rfind('/') {
                    Some(end) => folder = &folder[..end],
                    None if folder.is_empty() => break,
                    None => folder = "",
                }
            }
        }
        fs::write(&target, bytes).map_err(|source| WriteError::Io { action: "stage", path: target.clone(), source })
    }
}
