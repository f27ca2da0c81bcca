//! The writer on real folders: atomic writes, the manifest, hand-edit protection, `--check`.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

use common::text;
use pretty_assertions::assert_eq;
use stackgen_generator::FileTree;
use stackgen_generator::writer::journal::{JOURNAL_PATH, STAGING_PATH};
use stackgen_generator::writer::{
    Hook, MANIFEST_PATH, Recovery, WriteError, WriteOptions, check, recover, write, write_failing_after,
    write_with_hook,
};

#[track_caller]
fn tree(files: &[(&str, &str)]) -> FileTree {
    let mut tree = FileTree::new();
    for (path, contents) in files {
        tree.insert(path, contents.as_bytes().to_vec()).expect("valid test path");
    }
    tree
}

fn v1() -> FileTree {
    tree(&[
        ("terraform/main.tf", "a = 1\n"),
        ("terraform/modules/aks/main.tf", "b = 2\n"),
        ("terraform/variables.tf", "variable \"x\" {}\n"),
    ])
}

/// Every entry under `dir` (hidden ones included): relative path → (bytes or "<dir>", mtime).
fn snapshot(dir: &Path) -> BTreeMap<String, (Vec<u8>, Option<SystemTime>)> {
    let mut entries = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).min_depth(1).sort_by_file_name() {
        let entry = entry.expect("walk");
        let relative = entry.path().strip_prefix(dir).expect("inside").to_string_lossy().into_owned();
        let meta = entry.metadata().expect("metadata");
        let bytes = if meta.is_dir() { b"<dir>".to_vec() } else { fs::read(entry.path()).expect("read") };
        let mtime = if meta.is_dir() { None } else { meta.modified().ok() };
        entries.insert(relative, (bytes, mtime));
    }
    entries
}

fn read(out: &Path, path: &str) -> String {
    fs::read_to_string(out.join(path)).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

fn age(out: &Path, path: &str) {
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    fs::File::options().write(true).open(out.join(path)).and_then(|f| f.set_modified(old)).expect("set mtime");
}

fn mtime(out: &Path, path: &str) -> SystemTime {
    fs::metadata(out.join(path)).and_then(|m| m.modified()).expect("mtime")
}

fn force() -> WriteOptions {
    WriteOptions { force: true }
}

#[test]
fn fresh_write_creates_the_folder_files_and_a_stable_manifest() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("nested/out");
    let report = write(&v1(), &out, &WriteOptions::default()).expect("write");
    assert_eq!(report.written, ["terraform/main.tf", "terraform/modules/aks/main.tf", "terraform/variables.tf"]);
    assert!(report.unchanged.is_empty() && report.removed.is_empty());
    assert_eq!(report.to_string(), "3 written, 0 unchanged, 0 removed");
    assert_eq!(read(&out, "terraform/modules/aks/main.tf"), "b = 2\n");
    assert_eq!(
        read(&out, MANIFEST_PATH),
        text(
            r#"
{
  "format": 2,
  "files": {
    "terraform/main.tf": "sha256:cb78bd8a17f7b751fe0d4663366dcbc257204033ef7ddd64b1f2969573b5b2e2",
    "terraform/modules/aks/main.tf": "sha256:17dd98c94951360cbd9b278de6650598290a9f9121367458640c94bfbbd2c037",
    "terraform/variables.tf": "sha256:9ea8fc7c7d76bc530e00b5e6a5bf26f0ad2008e4b9f7a58e529a105d588d56cb"
  },
  "seeded": []
}
"#
        )
    );
    // No staging folder is left next to or inside the output.
    let siblings: Vec<_> =
        fs::read_dir(tmp.path().join("nested")).expect("list").map(|e| e.expect("entry").file_name()).collect();
    assert_eq!(siblings, ["out"]);
    let inside: Vec<String> = snapshot(&out).into_keys().collect();
    assert_eq!(
        inside,
        [
            ".stackgen",
            ".stackgen/manifest.json",
            "terraform",
            "terraform/main.tf",
            "terraform/modules",
            "terraform/modules/aks",
            "terraform/modules/aks/main.tf",
            "terraform/variables.tf"
        ]
    );
}

#[test]
fn manifest_is_byte_stable_across_runs_folders_and_insertion_order() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let reversed = {
        let mut t = FileTree::new();
        for (path, bytes) in v1().iter().collect::<Vec<_>>().into_iter().rev() {
            t.insert(path.as_str(), bytes.to_vec()).expect("valid");
        }
        t
    };
    write(&v1(), &tmp.path().join("a"), &WriteOptions::default()).expect("write a");
    write(&reversed, &tmp.path().join("b"), &WriteOptions::default()).expect("write b");
    write(&v1(), &tmp.path().join("a"), &WriteOptions::default()).expect("rewrite a");
    assert_eq!(
        fs::read(tmp.path().join("a").join(MANIFEST_PATH)).ok(),
        fs::read(tmp.path().join("b").join(MANIFEST_PATH)).ok()
    );
}

#[test]
fn rerun_is_a_no_op_that_keeps_mtimes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    write(&v1(), &out, &WriteOptions::default()).expect("first write");
    for path in ["terraform/main.tf", MANIFEST_PATH] {
        age(&out, path);
    }
    let before = snapshot(&out);
    let report = write(&v1(), &out, &WriteOptions::default()).expect("second write");
    assert!(report.written.is_empty() && report.removed.is_empty(), "{report:?}");
    assert_eq!(report.unchanged.len(), 3);
    assert_eq!(snapshot(&out), before, "nothing on disk changed, mtimes included");
    assert_eq!(mtime(&out, "terraform/main.tf"), SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000));
}

#[test]
fn only_changed_files_are_rewritten() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    write(&v1(), &out, &WriteOptions::default()).expect("first write");
    age(&out, "terraform/main.tf");
    let v2 = tree(&[
        ("terraform/main.tf", "a = 1\n"),
        ("terraform/modules/aks/main.tf", "b = 3\n"),
        ("terraform/variables.tf", "variable \"x\" {}\n"),
    ]);
    let report = write(&v2, &out, &WriteOptions::default()).expect("second write");
    assert_eq!(report.written, ["terraform/modules/aks/main.tf"]);
    assert_eq!(report.unchanged, ["terraform/main.tf", "terraform/variables.tf"]);
    assert_eq!(read(&out, "terraform/modules/aks/main.tf"), "b = 3\n");
    assert_eq!(mtime(&out, "terraform/main.tf"), SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000));
    assert!(check(&v2, &out).is_up_to_date(), "the manifest was updated too");
}

#[test]
fn hand_edited_file_survives_and_is_named() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    write(&v1(), &out, &WriteOptions::default()).expect("first write");
    fs::write(out.join("terraform/main.tf"), "a = 1 # my fix\n").expect("hand edit");
    // A file we now generate that the user created by hand before: also protected.
    fs::write(out.join("terraform/outputs.tf"), "output \"mine\" {}\n").expect("hand-made file");
    let before = snapshot(&out);
    let v2 = tree(&[
        ("terraform/main.tf", "a = 2\n"),
        ("terraform/modules/aks/main.tf", "b = 3\n"),
        ("terraform/outputs.tf", "output \"x\" {}\n"),
        ("terraform/variables.tf", "variable \"x\" {}\n"),
    ]);
    let error = write(&v2, &out, &WriteOptions::default()).expect_err("hand edits block the write");
    match &error {
        WriteError::HandEdited { paths, .. } => assert_eq!(paths, &["terraform/main.tf", "terraform/outputs.tf"]),
        other => panic!("unexpected error {other:?}"),
    }
    let message = error.to_string();
    for needle in ["terraform/main.tf", "terraform/outputs.tf", "--force", "Nothing was written"] {
        assert!(message.contains(needle), "{needle:?} missing from: {message}");
    }
    assert_eq!(snapshot(&out), before, "nothing was written, not even the unrelated aks change");

    // A file identical to what we would generate is adopted (unchanged), never reported.
    fs::write(out.join("terraform/main.tf"), "a = 2\n").expect("user makes the same change");
    fs::write(out.join("terraform/outputs.tf"), "output \"x\" {}\n").expect("user writes the same file");
    let report = write(&v2, &out, &WriteOptions::default()).expect("nothing conflicts any more");
    assert_eq!(report.written, ["terraform/modules/aks/main.tf"]);
    assert_eq!(report.unchanged, ["terraform/main.tf", "terraform/outputs.tf", "terraform/variables.tf"]);
}

#[test]
fn force_overwrites_hand_edits() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    write(&v1(), &out, &WriteOptions::default()).expect("first write");
    fs::write(out.join("terraform/main.tf"), "a = 1 # my fix\n").expect("hand edit");
    let report = write(&v1(), &out, &force()).expect("forced write");
    assert_eq!(report.written, ["terraform/main.tf"]);
    assert_eq!(report.forced, ["terraform/main.tf"]);
    assert!(report.to_string().contains("overwrote hand-edited terraform/main.tf (--force)"));
    assert_eq!(read(&out, "terraform/main.tf"), "a = 1\n");
    assert!(check(&v1(), &out).is_up_to_date());
}

#[test]
fn stale_files_are_removed_only_when_untouched() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    write(&v1(), &out, &WriteOptions::default()).expect("first write");
    let v2 = tree(&[("terraform/main.tf", "a = 1\n")]);
    fs::write(out.join("terraform/variables.tf"), "variable \"x\" { default = 1 }\n").expect("hand edit");
    let report = write(&v2, &out, &WriteOptions::default()).expect("second write");
    assert_eq!(report.removed, ["terraform/modules/aks/main.tf"]);
    assert_eq!(report.kept, ["terraform/variables.tf"]);
    assert!(report.to_string().contains("kept terraform/variables.tf"));
    assert!(!out.join("terraform/modules").exists(), "emptied folders go too");
    assert_eq!(read(&out, "terraform/variables.tf"), "variable \"x\" { default = 1 }\n");
    assert!(!read(&out, MANIFEST_PATH).contains("modules/aks"));
}

#[test]
fn path_conflicts_leave_the_folder_untouched() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    write(&v1(), &out, &WriteOptions::default()).expect("first write");
    // A file where a directory is expected, and a directory where a file is expected.
    fs::create_dir(out.join("docs")).expect("mkdir");
    fs::write(out.join("chart"), "i am a file\n").expect("file");
    fs::create_dir_all(out.join("terraform/outputs.tf")).expect("dir in the way");
    let before = snapshot(&out);
    let mut v2 = tree(&[("terraform/main.tf", "a = 2\n"), ("docs/README.md", "x\n"), ("chart/Chart.yaml", "y\n")]);
    let error = write(&v2, &out, &WriteOptions::default()).expect_err("conflict");
    assert!(
        matches!(&error, WriteError::PathConflict { path, .. } if path == "chart/Chart.yaml"),
        "unexpected {error:?}"
    );
    assert!(error.to_string().contains("chart"), "{error}");
    assert_eq!(snapshot(&out), before);

    v2 = tree(&[("terraform/main.tf", "a = 2\n"), ("terraform/outputs.tf", "y\n")]);
    let error = write(&v2, &out, &force()).expect_err("a directory is in the way");
    assert!(error.to_string().contains("terraform/outputs.tf") && error.to_string().contains("a directory"), "{error}");
    assert_eq!(snapshot(&out), before);
}

#[test]
fn a_failure_midway_through_the_moves_is_rolled_back() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    write(&v1(), &out, &WriteOptions::default()).expect("first write");
    for path in ["terraform/main.tf", "terraform/variables.tf"] {
        age(&out, path);
    }
    let before = snapshot(&out);
    // Replaces one file, creates two (one in a new folder), removes one, rewrites the manifest:
    // 5 steps. Failing before each of them must restore the folder exactly.
    let v2 = tree(&[
        ("terraform/main.tf", "a = 2\n"),
        ("terraform/new/one.tf", "n = 1\n"),
        ("terraform/outputs.tf", "o = 1\n"),
        ("terraform/variables.tf", "variable \"x\" {}\n"),
    ]);
    for step in 0..5 {
        let error = write_failing_after(&v2, &out, &WriteOptions::default(), Some(step)).expect_err("injected failure");
        assert!(matches!(error, WriteError::RolledBack { .. }), "step {step}: {error:?}");
        assert!(error.to_string().contains("restored"), "{error}");
        assert_eq!(snapshot(&out), before, "step {step}: folder not restored");
    }
    // Without the injected failure, the same write goes through.
    let report = write(&v2, &out, &WriteOptions::default()).expect("write");
    assert_eq!(report.removed, ["terraform/modules/aks/main.tf"]);
    assert!(check(&v2, &out).is_up_to_date());
}

#[test]
fn read_only_folder_fails_before_writing() {
    use std::os::unix::fs::PermissionsExt as _;
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    write(&v1(), &out, &WriteOptions::default()).expect("first write");
    let before = snapshot(&out);
    fs::set_permissions(&out, fs::Permissions::from_mode(0o555)).expect("chmod");
    if fs::write(out.join("probe"), "x").is_ok() {
        // Running as root: permissions are not enforced, so this failure cannot be provoked.
        let _ = fs::remove_file(out.join("probe"));
        fs::set_permissions(&out, fs::Permissions::from_mode(0o755)).expect("chmod back");
        eprintln!(
            "SKIPPED: read-only folders are writable for this user (root); rollback is covered by the injected-failure test"
        );
        return;
    }
    let v2 = tree(&[("terraform/main.tf", "a = 2\n")]);
    let error = write(&v2, &out, &WriteOptions::default()).expect_err("read-only");
    fs::set_permissions(&out, fs::Permissions::from_mode(0o755)).expect("chmod back");
    assert!(matches!(error, WriteError::Io { .. }), "{error:?}");
    assert_eq!(snapshot(&out), before);
}

#[test]
fn rejects_reserved_paths_and_non_directories() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let error = write(&tree(&[(".stackgen/x", "")]), tmp.path(), &WriteOptions::default()).expect_err("reserved");
    assert!(error.to_string().contains(".stackgen/x"), "{error}");
    let file = tmp.path().join("file");
    fs::write(&file, "x").expect("file");
    let error = write(&v1(), &file, &WriteOptions::default()).expect_err("not a dir");
    assert!(matches!(error, WriteError::OutNotADirectory { .. }), "{error:?}");
    assert_eq!(fs::read_to_string(&file).ok().as_deref(), Some("x"));
}

#[test]
fn invalid_manifest_is_named_and_force_starts_afresh() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    write(&v1(), &out, &WriteOptions::default()).expect("write");
    fs::write(out.join(MANIFEST_PATH), "{ not json").expect("break manifest");
    let error = write(&v1(), &out, &WriteOptions::default()).expect_err("invalid manifest");
    assert!(error.to_string().contains("manifest.json"), "{error}");
    assert!(!check(&v1(), &out).is_up_to_date());
    write(&v1(), &out, &force()).expect("force rewrites the manifest");
    assert!(check(&v1(), &out).is_up_to_date());
}

#[test]
fn check_reports_diffs_missing_and_stale_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let fresh = check(&v1(), &out);
    assert_eq!(
        fresh.missing,
        [MANIFEST_PATH, "terraform/main.tf", "terraform/modules/aks/main.tf", "terraform/variables.tf"]
    );
    assert_eq!(fresh.exit_code(), 1);

    write(&v1(), &out, &WriteOptions::default()).expect("write");
    let report = check(&v1(), &out);
    assert!(report.is_up_to_date(), "{report}");
    assert_eq!(report.exit_code(), 0);
    assert_eq!(report.to_string(), "up to date\n");

    fs::write(out.join("terraform/main.tf"), "a = 1\nextra = true\n").expect("edit");
    let v2 = tree(&[
        ("terraform/main.tf", "a = 1\n"),
        ("terraform/outputs.tf", "o = 1\n"),
        ("terraform/variables.tf", "variable \"x\" {}\n"),
    ]);
    let before = snapshot(&out);
    let report = check(&v2, &out);
    assert_eq!(snapshot(&out), before, "check never writes");
    assert_eq!(report.exit_code(), 1);
    assert_eq!(report.missing, ["terraform/outputs.tf"]);
    assert_eq!(report.stale, ["terraform/modules/aks/main.tf"]);
    let paths: Vec<&str> = report.differing.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(paths, [MANIFEST_PATH, "terraform/main.tf"]);
    assert_eq!(
        report.differing[1].diff,
        text(
            r#"
--- a/terraform/main.tf
+++ b/terraform/main.tf
@@ -1,2 +1 @@
 a = 1
-extra = true
"#
        )
    );
    let shown = report.to_string();
    assert!(shown.contains("missing: terraform/outputs.tf\n"), "{shown}");
    assert!(shown.contains("stale (no longer generated): terraform/modules/aks/main.tf\n"), "{shown}");
    assert!(
        shown.ends_with("out of date: 2 differing, 1 missing, 1 stale; run `stackgen generate` to update\n"),
        "{shown}"
    );
    assert_eq!(shown, check(&v2, &out).to_string(), "deterministic");
}

/// `v1()` plus two seeded files with the given contents.
fn with_seeded(spec: &str, main: &str) -> FileTree {
    let mut tree = v1();
    tree.insert_seeded("stackgen.yaml", spec.as_bytes().to_vec()).expect("valid");
    tree.insert_seeded("service/src/main.rs", main.as_bytes().to_vec()).expect("valid");
    tree
}

#[test]
fn seeded_files_are_written_once_then_belong_to_the_user() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let first = write(&with_seeded("app: a\n", "fn main() {}\n"), &out, &WriteOptions::default()).expect("write");
    assert_eq!(first.seeded, ["service/src/main.rs", "stackgen.yaml"]);
    assert!(first.written.contains(&"stackgen.yaml".to_owned()), "{first:?}");
    assert!(first.to_string().contains("seeded stackgen.yaml: yours from now on"), "{first}");
    assert_eq!(read(&out, "stackgen.yaml"), "app: a\n");
    let manifest = read(&out, MANIFEST_PATH);
    assert!(manifest.contains("\"seeded\": [\n    \"service/src/main.rs\",\n    \"stackgen.yaml\"\n  ]"), "{manifest}");
    assert!(!manifest.contains("\"stackgen.yaml\": \"sha256"), "seeded files have no recorded hash: {manifest}");

    // The user edits one seeded file and deletes the other; the generator's version changes too.
    fs::write(out.join("stackgen.yaml"), "app: mine\n").expect("edit");
    fs::remove_file(out.join("service/src/main.rs")).expect("delete");
    let newer = with_seeded("app: b\n", "fn main() { new() }\n");
    assert!(
        check(&newer, &out).is_up_to_date(),
        "edits and deletions of seeded files are not drift:\n{}",
        check(&newer, &out)
    );
    for options in [WriteOptions::default(), force()] {
        let report = write(&newer, &out, &options).expect("regenerate");
        assert_eq!(report.user_owned, ["service/src/main.rs", "stackgen.yaml"], "{options:?}");
        assert!(report.written.is_empty() && report.seeded.is_empty() && report.forced.is_empty(), "{report:?}");
        assert_eq!(read(&out, "stackgen.yaml"), "app: mine\n", "never overwritten, not even with --force");
        assert!(!out.join("service/src/main.rs").exists(), "a deleted seeded file is not re-created");
    }

    // Leaving the tree deletes nothing, and coming back later does not re-seed.
    let report = write(&v1(), &out, &WriteOptions::default()).expect("without seeded files");
    assert!(report.removed.is_empty(), "{report:?}");
    assert_eq!(read(&out, "stackgen.yaml"), "app: mine\n");
    assert!(check(&v1(), &out).is_up_to_date(), "{}", check(&v1(), &out));
    assert!(read(&out, MANIFEST_PATH).contains("\"stackgen.yaml\""), "still remembered as seeded");
    let report = write(&newer, &out, &WriteOptions::default()).expect("seeded files are back in the tree");
    assert!(report.seeded.is_empty(), "{report:?}");
    assert!(!out.join("service/src/main.rs").exists());
    assert!(check(&newer, &out).is_up_to_date());
}

#[test]
fn a_file_the_user_already_had_at_a_seeded_path_is_kept_and_adopted() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    fs::create_dir_all(&out).expect("mkdir");
    fs::write(out.join("stackgen.yaml"), "app: written before the first generate\n").expect("user file");
    let tree = with_seeded("app: starter\n", "fn main() {}\n");
    let report = check(&tree, &out);
    assert_eq!(
        report.missing,
        [
            MANIFEST_PATH,
            "service/src/main.rs",
            "terraform/main.tf",
            "terraform/modules/aks/main.tf",
            "terraform/variables.tf"
        ]
    );
    assert!(report.differing.is_empty(), "an existing file at a seeded path is not a difference: {report}");
    let report = write(&tree, &out, &WriteOptions::default()).expect("write");
    assert_eq!(report.user_owned, ["stackgen.yaml"]);
    assert_eq!(report.seeded, ["service/src/main.rs"]);
    assert_eq!(read(&out, "stackgen.yaml"), "app: written before the first generate\n");
    assert!(read(&out, MANIFEST_PATH).contains("\"stackgen.yaml\"\n"), "adopted as seeded");
    assert!(check(&tree, &out).is_up_to_date());
}

#[test]
fn a_seeded_path_that_becomes_managed_keeps_hand_edit_protection() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    write(&with_seeded("app: a\n", "fn main() {}\n"), &out, &WriteOptions::default()).expect("write");
    fs::write(out.join("stackgen.yaml"), "app: mine\n").expect("edit");
    let mut managed = v1();
    managed.insert("stackgen.yaml", b"app: generated\n".to_vec()).expect("valid");
    let error = write(&managed, &out, &WriteOptions::default()).expect_err("the user's edit is protected");
    assert!(matches!(&error, WriteError::HandEdited { paths, .. } if paths == &["stackgen.yaml"]), "{error:?}");
    assert_eq!(read(&out, "stackgen.yaml"), "app: mine\n");
}

#[test]
fn a_format_1_manifest_is_still_read() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    write(&v1(), &out, &WriteOptions::default()).expect("write");
    let manifest =
        read(&out, MANIFEST_PATH).replace("\"format\": 2", "\"format\": 1").replace(",\n  \"seeded\": []", "");
    fs::write(out.join(MANIFEST_PATH), manifest).expect("old manifest");
    fs::write(out.join("terraform/main.tf"), "a = 1 # mine\n").expect("edit");
    let error = write(&v1(), &out, &WriteOptions::default()).expect_err("hashes of format 1 still protect edits");
    assert!(matches!(error, WriteError::HandEdited { .. }), "{error:?}");
}

#[test]
fn a_managed_file_that_becomes_seeded_is_the_users_from_then_on() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let mut managed = v1();
    managed.insert("stackgen.yaml", b"app: generated\n".to_vec()).expect("valid");
    write(&managed, &out, &WriteOptions::default()).expect("write");
    fs::write(out.join("stackgen.yaml"), "app: mine\n").expect("edit");
    let seeded = with_seeded("app: starter\n", "fn main() {}\n");
    let report = write(&seeded, &out, &WriteOptions::default()).expect("no hand-edit refusal: it is seeded now");
    assert_eq!(report.user_owned, ["stackgen.yaml"]);
    assert_eq!(read(&out, "stackgen.yaml"), "app: mine\n");
    assert!(!read(&out, MANIFEST_PATH).contains("\"stackgen.yaml\": \"sha256"), "no longer managed");
    assert!(check(&seeded, &out).is_up_to_date());
}

/// Every file under `dir` (hidden ones included) with its bytes; no directories, no mtimes.
fn contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    snapshot(dir)
        .into_iter()
        .filter(|(_, (_, mtime))| mtime.is_some())
        .map(|(path, (bytes, _))| (path, bytes))
        .collect()
}

/// A generation different from `v1()` in every way a write can differ: a replaced file, new
/// files (one in a new folder), a removed file (and its emptied folder), a new seeded file and
/// a new manifest.
fn v2() -> FileTree {
    let mut tree = tree(&[
        ("terraform/main.tf", "a = 2\n"),
        ("terraform/new/one.tf", "n = 1\n"),
        ("terraform/outputs.tf", "o = 1\n"),
        ("terraform/variables.tf", "variable \"x\" {}\n"),
    ]);
    tree.insert_seeded("stackgen.yaml", b"app: a\n".to_vec()).expect("valid");
    tree
}

/// `tree` written into a fresh folder: what one complete generation looks like.
fn reference(tree: &FileTree) -> BTreeMap<String, Vec<u8>> {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(tree, &tmp.path().join("out"), &WriteOptions::default()).expect("reference write");
    contents(&tmp.path().join("out"))
}

#[test]
fn an_interruption_at_any_step_is_finished_by_the_next_command_whatever_it_is() {
    let (old, new) = (reference(&v1()), reference(&v2()));
    let mut points = 0;
    for crash_at in 0.. {
        for next in ["recover", "write the same", "write another"] {
            let tmp = tempfile::tempdir().expect("tempdir");
            let out = tmp.path().join("out");
            write(&v1(), &out, &WriteOptions::default()).expect("first generation");
            write_with_hook(&v2(), &out, &WriteOptions::default(), Some(Hook::CrashAt(crash_at))).expect("crashes");
            if !out.join(JOURNAL_PATH).exists() {
                // Past the last step: the write completed, so every point was covered.
                assert_eq!(contents(&out), new);
                assert!(crash_at >= 6, "v2 has at least 6 steps, only {crash_at} seen");
                assert!(points >= 18, "{points}");
                return;
            }
            points += 1;
            for tree in [v1(), v2()] {
                let report = check(&tree, &out);
                assert!(!report.is_up_to_date(), "crash at {crash_at}: check must not say up to date:\n{report}");
            }
            match next {
                "recover" => {
                    let recovery = recover(&out).expect("recovers");
                    assert!(matches!(recovery, Some(Recovery::Completed { .. })), "{recovery:?}");
                    assert_eq!(contents(&out), new, "crash at {crash_at}: recovery completes the write");
                    assert!(check(&v2(), &out).is_up_to_date(), "{}", check(&v2(), &out));
                    assert_eq!(recover(&out).expect("idempotent"), None);
                }
                "write the same" => {
                    let report = write(&v2(), &out, &WriteOptions::default()).expect("re-run");
                    assert!(matches!(report.recovered, Some(Recovery::Completed { .. })), "{report:?}");
                    assert!(report.written.is_empty(), "nothing left to write after recovery: {report:?}");
                    assert_eq!(contents(&out), new, "crash at {crash_at}");
                }
                _ => {
                    write(&v1(), &out, &WriteOptions::default()).expect("back to v1 after recovery");
                    let mut expected = old.clone();
                    // The seeded file v2 wrote is the user's now: it stays.
                    expected.insert("stackgen.yaml".to_owned(), b"app: a\n".to_vec());
                    let mut got = contents(&out);
                    got.remove(MANIFEST_PATH);
                    expected.remove(MANIFEST_PATH);
                    assert_eq!(got, expected, "crash at {crash_at}");
                }
            }
            assert!(!out.join(STAGING_PATH).exists() && !out.join(JOURNAL_PATH).exists());
        }
    }
}

#[test]
fn an_interruption_before_the_journal_is_discarded_and_changed_nothing() {
    let old = reference(&v1());
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    write(&v1(), &out, &WriteOptions::default()).expect("first generation");
    // Killed while staging: staged files and a half-written journal, no journal yet.
    fs::create_dir_all(out.join(STAGING_PATH).join("new/terraform")).expect("mkdir");
    fs::write(out.join(STAGING_PATH).join("new/terraform/main.tf"), "a = 2\n").expect("staged");
    fs::write(out.join(".stackgen/journal.json.tmp"), "{\"format\":1,\"st").expect("torn");
    // And a staging folder left by an older stackgen.
    fs::create_dir_all(out.join(".stackgen-staging-AbC123/new")).expect("legacy");
    assert!(!check(&v1(), &out).is_up_to_date(), "an unfinished write is never up to date");
    assert_eq!(recover(&out).expect("recovers"), Some(Recovery::Discarded));
    assert_eq!(contents(&out), old);
    assert!(!out.join(".stackgen-staging-AbC123").exists() && !out.join(STAGING_PATH).exists());
    assert!(check(&v1(), &out).is_up_to_date());
}

#[test]
fn a_journal_whose_staged_files_are_torn_is_discarded() {
    let old = reference(&v1());
    for torn in ["journal", "staged file"] {
        let tmp = tempfile::tempdir().expect("tempdir");
        let out = tmp.path().join("out");
        write(&v1(), &out, &WriteOptions::default()).expect("first generation");
        write_with_hook(&v2(), &out, &WriteOptions::default(), Some(Hook::CrashAt(0))).expect("crashes");
        match torn {
            "journal" => fs::write(out.join(JOURNAL_PATH), "{\"format\": 1, \"steps\": [").expect("tear"),
            _ => fs::write(out.join(STAGING_PATH).join("new/terraform/main.tf"), "a =").expect("tear"),
        }
        assert_eq!(recover(&out).expect("recovers"), Some(Recovery::Discarded), "{torn}");
        assert_eq!(contents(&out), old, "{torn}: nothing had been moved, nothing changed");
    }
}

/// A folder the output does not have yet moves in with one rename, as a whole: a crash just
/// after its first file's step already shows every file below it, a failure at any later step
/// takes the whole folder out again, and the next run finishes the write either way.
#[test]
fn a_new_folder_moves_in_whole_and_leaves_whole() {
    let v2 = tree(&[
        ("terraform/main.tf", "a = 2\n"),
        ("terraform/new/a/one.tf", "n = 1\n"),
        ("terraform/new/a/two.tf", "n = 2\n"),
        ("terraform/new/b.tf", "n = 3\n"),
        ("terraform/variables.tf", "variable \"x\" {}\n"),
    ]);
    let fresh = || {
        let tmp = tempfile::tempdir().expect("tempdir");
        write(&v1(), &tmp.path().join("out"), &WriteOptions::default()).expect("first write");
        tmp
    };
    // Steps: main.tf, new/a/one.tf (moves `terraform/new` whole), new/a/two.tf, new/b.tf, the
    // removal of modules/aks/main.tf, the manifest.
    let tmp = fresh();
    let out = tmp.path().join("out");
    write_with_hook(&v2, &out, &WriteOptions::default(), Some(Hook::CrashAt(2))).expect("crashes");
    for path in ["terraform/new/a/two.tf", "terraform/new/b.tf"] {
        assert!(out.join(path).is_file(), "{path} came in with its folder");
        assert!(!out.join(STAGING_PATH).join("new").join(path).exists(), "{path} is no longer staged");
    }
    recover(&out).expect("recovers");
    assert_eq!(contents(&out), reference(&v2));

    for step in 0..6 {
        let tmp = fresh();
        let out = tmp.path().join("out");
        let before = snapshot(&out);
        let error = write_failing_after(&v2, &out, &WriteOptions::default(), Some(step)).expect_err("injected failure");
        assert!(matches!(error, WriteError::RolledBack { .. }), "step {step}: {error:?}");
        assert_eq!(snapshot(&out), before, "step {step}: folder not restored");
        assert!(!out.join("terraform/new").exists(), "step {step}: the new folder is gone again");
    }
}
