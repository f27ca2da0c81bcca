//! The write-ahead journal that makes a write all-or-nothing across crashes.
//!
//! A write stages every new file under `.stackgen/staging/new/`, then records the plan in
//! `.stackgen/journal.json` (appearing atomically by rename) and makes both durable with one
//! sync before the first file is moved into place. Each step of the plan is idempotent and its
//! progress is visible on disk (a staged file that is still there has not been moved yet), so
//! whoever finds a journal can finish the write ([`Journal::complete`]) or, while the staged
//! files are incomplete, drop it; a failing move in the writing process itself undoes the steps
//! done so far ([`Journal::roll_back`]) with the copies kept under `.stackgen/staging/old/`.
//! A folder the output does not have yet comes in whole, with the step of its first file (one
//! rename instead of one per file; the steps of the rest then find nothing staged): into a fresh
//! folder, a write is a handful of renames.
//! The journal is removed once every step is done; the staging folder after it.

use std::fs;
use std::io::{self, ErrorKind};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::WriteError;
use super::layout::RESERVED_DIR;
use super::manifest::sha256;

/// The journal, relative to the output folder.
pub const JOURNAL_PATH: &str = ".stackgen/journal.json";
/// The staging folder, relative to the output folder.
pub const STAGING_PATH: &str = ".stackgen/staging";
const JOURNAL_TEMP_PATH: &str = ".stackgen/journal.json.tmp";
const JOURNAL_FORMAT: u32 = 1;
/// Staging folders of stackgen versions before the journal, directly inside the output folder.
const LEGACY_STAGING_PREFIX: &str = ".stackgen-staging-";

/// One planned change, in the order they are applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// Move the staged file into place (replacing what is there).
    Put {
        /// Relative path.
        path: String,
        /// Hash of the staged bytes, to tell a complete staged file from a torn one.
        sha256: String,
    },
    /// Remove a file of the previous generation.
    Remove {
        /// Relative path.
        path: String,
    },
}

impl Step {
    /// The relative path the step changes.
    pub fn path(&self) -> &str {
        match self {
            Step::Put { path, .. } | Step::Remove { path } => path,
        }
    }
}

/// The plan of one write, as stored in [`JOURNAL_PATH`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Journal {
    format: u32,
    /// Every change, in order; the manifest's put comes last.
    pub steps: Vec<Step>,
}

/// What [`recover`] found and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Recovery {
    /// An interrupted write had its journal: it was finished, so the folder holds that
    /// generation completely.
    Completed {
        /// Steps of the journal (puts and removals).
        steps: usize,
    },
    /// An interrupted write had not yet committed its journal: nothing had been moved into
    /// place, and its staged files were removed.
    Discarded,
}

impl std::fmt::Display for Recovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Recovery::Completed { steps } => {
                write!(f, "finished an interrupted `stackgen generate` ({steps} planned changes)")
            }
            Recovery::Discarded => {
                write!(f, "discarded an interrupted `stackgen generate` that had not changed any file yet")
            }
        }
    }
}

/// An exclusive lock on an output folder's `.stackgen/` directory, held while reading or
/// writing it, so two stackgen processes never interleave (nor recover each other's live write).
#[derive(Debug)]
pub struct FolderLock {
    _handle: fs::File,
}

impl FolderLock {
    /// Locks `out/.stackgen/`, creating it when `create`; `None` when it does not exist and
    /// `create` is false (then there is nothing to recover or protect).
    ///
    /// # Errors
    /// When the directory cannot be created, opened or locked.
    pub fn acquire(out: &Path, create: bool) -> Result<Option<Self>, WriteError> {
        let dir = out.join(RESERVED_DIR);
        if create {
            fs::create_dir_all(&dir).map_err(|source| WriteError::Io {
                action: "create",
                path: dir.clone(),
                source,
            })?;
        }
        let handle = match fs::File::open(&dir) {
            Ok(handle) => handle,
            Err(error) if !create && error.kind() == ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(WriteError::Io { action: "open", path: dir, source }),
        };
        handle.lock().map_err(|source| WriteError::Io { action: "lock", path: dir, source })?;
        Ok(Some(Self { _handle: handle }))
    }
}

/// Finishes or discards a write that was interrupted in `out` (by `kill -9`, a crash or a power
/// loss), and removes every staging folder. `Ok(None)` when there was nothing to do. The caller
/// holds the [`FolderLock`].
///
/// # Errors
/// When a file system operation fails; the journal is then kept for the next attempt.
pub fn recover_locked(out: &Path) -> Result<Option<Recovery>, WriteError> {
    let staging = out.join(STAGING_PATH);
    let journal_path = out.join(JOURNAL_PATH);
    let mut recovery = None;
    match fs::read(&journal_path) {
        Ok(bytes) => {
            // The journal appears by rename only after it is complete, and is synced with the
            // staged files before the first move; an unreadable one (a power loss during that
            // sync) therefore means nothing was moved yet.
            match serde_json::from_slice::<Journal>(&bytes) {
                Ok(journal) if journal.format == JOURNAL_FORMAT && journal.staged_files_are_whole(out) => {
                    journal.complete(out).map_err(|(path, source)| WriteError::Io {
                        action: "finish the interrupted write of",
                        path: out.join(path),
                        source,
                    })?;
                    recovery = Some(Recovery::Completed { steps: journal.steps.len() });
                }
                _ => recovery = Some(Recovery::Discarded),
            }
            remove_file(&journal_path)?;
        }
        Err(error) if error.kind() == ErrorKind::NotFound => {}
        Err(source) => return Err(WriteError::Io { action: "read", path: journal_path, source }),
    }
    let _ = fs::remove_file(out.join(JOURNAL_TEMP_PATH));
    if fs::symlink_metadata(&staging).is_ok() {
        recovery.get_or_insert(Recovery::Discarded);
        remove_dir_all(&staging)?;
    }
    if let Ok(entries) = fs::read_dir(out) {
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(LEGACY_STAGING_PREFIX) && entry.path().is_dir() {
                recovery.get_or_insert(Recovery::Discarded);
                remove_dir_all(&entry.path())?;
            }
        }
    }
    Ok(recovery)
}

/// Removes the journal, then the staging folder: a finished (or rolled back) write's last step.
/// In this order, a crash in between leaves only a staging folder, which the next run discards.
pub fn discard(out: &Path) -> Result<(), WriteError> {
    remove_file(&out.join(JOURNAL_PATH))?;
    remove_dir_all(&out.join(STAGING_PATH))
}

/// True when `out` holds traces of an unfinished write (a journal or a staging folder).
pub fn is_interrupted(out: &Path) -> bool {
    out.join(JOURNAL_PATH).exists() || out.join(STAGING_PATH).exists()
}

impl Journal {
    /// A journal of `steps`.
    pub fn new(steps: Vec<Step>) -> Self {
        Self { format: JOURNAL_FORMAT, steps }
    }

    /// Writes the journal so that it appears complete or not at all. Not synced: the caller
    /// syncs it together with the staged files.
    pub fn store(&self, out: &Path) -> Result<(), WriteError> {
        let temp = out.join(JOURNAL_TEMP_PATH);
        let mut bytes = serde_json::to_vec(self).unwrap_or_default();
        bytes.push(b'\n');
        fs::write(&temp, bytes).map_err(|source| WriteError::Io { action: "write", path: temp.clone(), source })?;
        let path = out.join(JOURNAL_PATH);
        fs::rename(&temp, &path).map_err(|source| WriteError::Io { action: "write", path, source })
    }

    /// Every staged file still waiting to be moved has the planned bytes.
    fn staged_files_are_whole(&self, out: &Path) -> bool {
        let new = out.join(STAGING_PATH).join("new");
        self.steps.iter().all(|step| match step {
            Step::Put { path, sha256: hash } => match fs::read(new.join(path)) {
                Ok(bytes) => sha256(&bytes) == *hash,
                Err(error) => error.kind() == ErrorKind::NotFound,
            },
            Step::Remove { .. } => true,
        })
    }

    /// Applies step `index` (idempotent: a step already done is a no-op).
    pub fn apply(&self, out: &Path, index: usize) -> Result<(), (String, io::Error)> {
        let step = &self.steps[index];
        let path = step.path();
        let fail = |source| (path.to_owned(), source);
        let staging = out.join(STAGING_PATH);
        let (new, old, target) = (staging.join("new").join(path), staging.join("old").join(path), out.join(path));
        match step {
            Step::Put { .. } => {
                if !exists(&new) {
                    return Ok(());
                }
                if let Some(dir) = missing_folder(out, path) {
                    // Nothing of this folder is in the output yet, so its staged copy (this
                    // write's files below it and nothing else) moves in whole: one rename for a
                    // whole new tree instead of a folder and a rename per file. The steps of the
                    // other files below it then find nothing staged, as if each had moved.
                    return fs::rename(staging.join("new").join(dir), out.join(dir)).map_err(fail);
                }
                // The file's folder exists (`missing_folder` said so): the rename needs no mkdir.
                if fs::symlink_metadata(&target).is_ok_and(|m| m.is_file()) && !exists(&old) {
                    keep_copy(&target, &old).map_err(fail)?;
                }
                fs::rename(&new, &target).map_err(fail)
            }
            Step::Remove { .. } => {
                if !exists(&target) {
                    return Ok(());
                }
                create_parent(&old).map_err(fail)?;
                fs::rename(&target, &old).map_err(fail)?;
                remove_empty_parents(out, path);
                Ok(())
            }
        }
    }

    /// Applies every step.
    pub fn complete(&self, out: &Path) -> Result<(), (String, io::Error)> {
        (0..self.steps.len()).try_for_each(|index| self.apply(out, index))
    }

    /// Undoes every step that was applied, newest first; returns what could not be undone.
    pub fn roll_back(&self, out: &Path) -> Vec<String> {
        let staging = out.join(STAGING_PATH);
        let mut problems = Vec::new();
        for step in self.steps.iter().rev() {
            let path = step.path();
            let (new, old, target) = (staging.join("new").join(path), staging.join("old").join(path), out.join(path));
            let result = match step {
                // Placed and nothing was there before: remove it.
                Step::Put { .. } if !exists(&new) && !exists(&old) => {
                    fs::remove_file(&target).map(|()| remove_empty_parents(out, path))
                }
                // Placed over an older file, or moved aside (and not placed): restore it.
                Step::Put { .. } if !exists(&new) || !exists(&target) => {
                    if exists(&old) {
                        fs::rename(&old, &target)
                    } else {
                        Ok(())
                    }
                }
                Step::Put { .. } => Ok(()),
                Step::Remove { .. } if exists(&old) => create_parent(&target).and_then(|()| fs::rename(&old, &target)),
                Step::Remove { .. } => Ok(()),
            };
            if let Err(error) = result {
                problems.push(format!("restore `{}`: {error}", target.display()));
            }
        }
        problems
    }
}

/// The outermost folder of `path` that `out` does not have yet, such as `terraform` for
/// `terraform/modules/aks/main.tf` in a fresh output folder; `None` when the file's own folder
/// exists already (or the file has no folder), and only then.
fn missing_folder<'p>(out: &Path, path: &'p str) -> Option<&'p str> {
    let parent = path.rfind('/').map(|end| &path[..end])?;
    if exists(&out.join(parent)) {
        return None;
    }
    let mut ends = path.match_indices('/').map(|(end, _)| end);
    Some(ends.find(|&end| !exists(&out.join(&path[..end]))).map_or(parent, |end| &path[..end]))
}

/// Keeps the previous version of a file before it is replaced: a hard link (the replacing rename
/// stays atomic, the file is never missing), or a move where links are not supported.
fn keep_copy(target: &Path, old: &Path) -> io::Result<()> {
    create_parent(old)?;
    fs::hard_link(target, old).or_else(|_| fs::rename(target, old))
}

fn exists(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

fn create_parent(path: &Path) -> io::Result<()> {
    match path.parent() {
        Some(parent) => fs::create_dir_all(parent),
        None => Ok(()),
    }
}

/// Removes the now empty folders above `path` inside `out` (never `out` itself).
pub fn remove_empty_parents(out: &Path, path: &str) {
    let mut dir = out.join(path);
    while dir.pop() && dir != out && dir.starts_with(out) {
        // Fails (and stops) at the first directory that still has entries.
        if fs::remove_dir(&dir).is_err() {
            break;
        }
    }
}

fn remove_file(path: &Path) -> Result<(), WriteError> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != ErrorKind::NotFound => {
            Err(WriteError::Io { action: "remove", path: path.to_path_buf(), source: error })
        }
        _ => Ok(()),
    }
}

fn remove_dir_all(path: &Path) -> Result<(), WriteError> {
    match fs::remove_dir_all(path) {
        Err(error) if error.kind() != ErrorKind::NotFound => {
            Err(WriteError::Io { action: "remove", path: path.to_path_buf(), source: error })
        }
        _ => Ok(()),
    }
}

/// Makes everything written below `dir` so far durable, with one system call where the platform
/// has one (`syncfs` on Linux: the staged files, their folders and the journal in one go).
///
/// `syncfs` reports a write-back error of *any* file on the file system that happened since
/// `dir` was opened (Linux 5.8 and later), another program's included. So when it fails, every
/// file and folder below `dir` is synced one by one, which reports only errors of those: the
/// write fails only when one of its own files could not be made durable.
pub fn sync_all_below(dir: &Path) -> Result<(), WriteError> {
    sync_all_below_with(dir, sync_file_system)
}

fn sync_all_below_with(dir: &Path, whole: impl FnOnce(&fs::File) -> io::Result<()>) -> Result<(), WriteError> {
    let fail = |source| WriteError::Io { action: "sync", path: dir.to_path_buf(), source };
    let handle = fs::File::open(dir).map_err(fail)?;
    if whole(&handle).is_ok() {
        return Ok(());
    }
    for entry in walkdir::WalkDir::new(dir).contents_first(true) {
        let entry = entry.map_err(|e| fail(e.into()))?;
        let path = entry.path();
        let synced = fs::File::open(path).and_then(|file| file.sync_all());
        synced.map_err(|source| WriteError::Io { action: "sync", path: path.to_path_buf(), source })?;
    }
    Ok(())
}

/// One call syncing the whole file system `handle` is on, where the platform has one; elsewhere
/// an error, so that [`sync_all_below`] syncs file by file.
fn sync_file_system(handle: &fs::File) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        rustix::fs::syncfs(handle).map_err(io::Error::from)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = handle;
        Err(io::Error::new(ErrorKind::Unsupported, "no syncfs"))
    }
}

/// The staging folder's `new/` root inside `out`.
pub fn staged_root(out: &Path) -> PathBuf {
    out.join(STAGING_PATH).join("new")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_file_system_sync_falls_back_to_syncing_each_file() {
        let tmp = tempfile::tempdir().expect("tempdir");
        fs::create_dir_all(tmp.path().join("a/b")).expect("mkdir");
        fs::write(tmp.path().join("a/b/c.txt"), "c").expect("write");
        let mut whole_called = false;
        // Another program's write-back error, as syncfs would report it.
        let foreign = |_: &fs::File| {
            whole_called = true;
            Err(io::Error::from_raw_os_error(5))
        };
        sync_all_below_with(tmp.path(), foreign).expect("our own files sync fine");
        assert!(whole_called);
        // A folder that is not there is still an error of our own.
        let missing = tmp.path().join("missing");
        let error = sync_all_below_with(&missing, |_| Ok(())).expect_err("nothing to sync");
        assert!(error.to_string().contains("missing"), "{error}");
    }
}
