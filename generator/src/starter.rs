//! The starter service seeded into a generated repository: stackgen's own warp service
//! (`service/` of stackgen's repository) in a Cargo workspace at the repository root, with a
//! `Cargo.lock` that `cargo build --locked` accepts and the `rustfmt.toml` its code is formatted
//! with. The service carries the team's name: its package, library and binary are named after
//! `app.name` (see [`package`]).
//!
//! The files are *seeded* ([`crate::FileKind::Seeded`]): written by the first `stackgen
//! generate`, then the team's. Regeneration never overwrites or deletes them, and `generate
//! --check` ignores their edits. A spec with `source.dockerfile` gets none of them.
//!
//! One source of truth: the copies under `generator/assets/starter/` (inside this crate, so it
//! packages) are made by `scripts/sync-starter` from `service/`, and a test fails when they
//! differ.

use stackgen_modules::{Diagnostics, FieldPath, StackSpec};

use crate::file_tree::FileTree;
use crate::generated::GenerateError;

/// The starter workspace's lock file, derived from stackgen's own by `scripts/sync-starter`.
const LOCK: &str = include_str!("../assets/starter/Cargo.lock");

/// Every starter file: its path in the generated repository and its contents.
pub const FILES: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../assets/starter/Cargo.toml.in")),
    ("Cargo.lock", LOCK),
    ("rustfmt.toml", include_str!("../assets/starter/rustfmt.toml")),
    (SERVICE_MANIFEST, include_str!("../assets/starter/service/Cargo.toml.in")),
    ("service/src/app.rs", include_str!("../assets/starter/service/src/app.rs")),
    ("service/src/config.rs", include_str!("../assets/starter/service/src/config.rs")),
    ("service/src/healthcheck.rs", include_str!("../assets/starter/service/src/healthcheck.rs")),
    ("service/src/lib.rs", include_str!("../assets/starter/service/src/lib.rs")),
    ("service/src/log.rs", include_str!("../assets/starter/service/src/log.rs")),
    ("service/src/main.rs", include_str!("../assets/starter/service/src/main.rs")),
    ("service/src/metrics.rs", include_str!("../assets/starter/service/src/metrics.rs")),
    ("service/src/server.rs", include_str!("../assets/starter/service/src/server.rs")),
    ("service/tests/cli.rs", include_str!("../assets/starter/service/tests/cli.rs")),
    ("service/tests/http.rs", include_str!("../assets/starter/service/tests/http.rs")),
    ("service/tests/shutdown.rs", include_str!("../assets/starter/service/tests/shutdown.rs")),
    ("service/tests/support/mod.rs", include_str!("../assets/starter/service/tests/support/mod.rs")),
];

/// The starter's package name in stackgen's own `service/`, replaced by the team's in the
/// generated repository (see [`package`]).
pub const OWN_PACKAGE: &str = "stackgen-service";

/// The Cargo package (and binary) of the starter service in the generated repository: the spec's
/// `app.name`, so the team's service carries its own name in `Cargo.toml`, `Cargo.lock`, the
/// Dockerfile, `--version` and `GET /`.
pub fn package(spec: &StackSpec) -> &str {
    &spec.app.name
}

/// Names a Cargo package cannot take here, beyond what `app.name`'s DNS-label rule excludes:
/// Rust keywords (the library crate could not be named in `use`), the built-in crates (they
/// shadow or are shadowed by the package's library), and the target names Cargo forbids for
/// binaries (they collide with folders of `target/`).
const RESERVED: &[&str] = &[
    "abstract",
    "as",
    "async",
    "await",
    "become",
    "box",
    "break",
    "const",
    "continue",
    "crate",
    "do",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "final",
    "fn",
    "for",
    "gen",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "macro",
    "match",
    "mod",
    "move",
    "mut",
    "override",
    "priv",
    "pub",
    "ref",
    "return",
    "self",
    "static",
    "struct",
    "super",
    "trait",
    "true",
    "try",
    "type",
    "typeof",
    "unsafe",
    "unsized",
    "use",
    "virtual",
    "where",
    "while",
    "yield",
    "alloc",
    "core",
    "proc-macro",
    "std",
    "test",
    "build",
    "deps",
    "examples",
    "incremental",
];

/// The packages of the starter's `Cargo.lock` other than the service itself: the service's name
/// must differ from each (also with `-` read as `_`), or the lock would need two entries of one
/// name and the binary two crates of one name.
fn dependency_names() -> impl Iterator<Item = &'static str> {
    LOCK.lines()
        .filter_map(|line| line.strip_prefix("name = \"")?.strip_suffix('"'))
        .filter(|name| *name != OWN_PACKAGE)
}

/// Checks that [`package`] can name a Cargo package in the starter workspace (only when the
/// starter is seeded).
pub fn validate(spec: &StackSpec, diagnostics: &mut Diagnostics) {
    if !spec.source.is_starter() {
        return;
    }
    let name = package(spec);
    let at = FieldPath::root().key("app").key("name");
    let normalized = |n: &str| n.replace('-', "_");
    if RESERVED.iter().any(|r| normalized(r) == normalized(name)) {
        diagnostics.push(
            at,
            "cargo-package",
            format!(
                "names the starter service's Cargo package too, and {name:?} is reserved by Rust or Cargo (a keyword, a built-in crate or a target folder); choose another app name"
            ),
        );
    } else if let Some(dependency) = dependency_names().find(|d| normalized(d) == normalized(name)) {
        diagnostics.push(
            at,
            "cargo-package",
            format!(
                "names the starter service's Cargo package too, and {name:?} clashes with {dependency:?}, a crate the starter depends on; choose another app name"
            ),
        );
    }
}

/// Where the starter's package manifest sits in the generated repository.
pub const SERVICE_MANIFEST: &str = "service/Cargo.toml";

/// Checks a repository's seeded [`SERVICE_MANIFEST`] (the team's file by now, `seeded_manifest`)
/// against `app.name`. Seeded files are never rewritten, so after a change of `app.name` the
/// crate keeps its old package name while the Dockerfile and workflows stackgen manages build
/// `--package <app.name>`: the next push would fail in its first job. A manifest that does not
/// parse, or names no package, is left alone: the team may have reshaped its workspace.
pub fn check_seeded_manifest(spec: &StackSpec, seeded_manifest: &str, diagnostics: &mut Diagnostics) {
    if !spec.source.is_starter() {
        return;
    }
    let Ok(manifest) = seeded_manifest.parse::<toml::Table>() else { return };
    let Some(seeded) = manifest.get("package").and_then(|p| p.get("name")).and_then(toml::Value::as_str) else {
        return;
    };
    let name = package(spec);
    if seeded != name {
        diagnostics.push(
            FieldPath::root().key("app").key("name"),
            "starter-package",
            format!(
                "is {name:?}, but this repository's {SERVICE_MANIFEST} (seeded once, now the team's) names its package {seeded:?}, and the Dockerfile would build `--package {name}`; rename the package in {SERVICE_MANIFEST}, the binary and library names in it and its entry in Cargo.lock, or keep app.name {seeded:?}"
            ),
        );
    }
}

/// The starter's files for a service package named `name`: stackgen's `service/` with its
/// package, library and binary names replaced (and `Cargo.lock`'s entry moved to where Cargo
/// sorts it, so `--locked` accepts the file).
pub fn files(name: &str) -> Vec<(&'static str, String)> {
    FILES
        .iter()
        .map(|(path, contents)| {
            let renamed = if *path == "Cargo.lock" { rename_in_lock(contents, name) } else { rename(contents, name) };
            (*path, renamed)
        })
        .collect()
}

/// `text` with the starter's package name (`stackgen-service`) and library crate name
/// (`stackgen_service`) replaced by `name`'s.
pub fn rename(text: &str, name: &str) -> String {
    text.replace(OWN_PACKAGE, name).replace(&OWN_PACKAGE.replace('-', "_"), &name.replace('-', "_"))
}

/// `Cargo.lock` with the service's entry renamed and re-sorted: Cargo writes packages ordered by
/// name and `--locked` fails on any other order.
fn rename_in_lock(lock: &str, name: &str) -> String {
    const SEPARATOR: &str = "\n\n[[package]]\n";
    let mut parts = lock.trim_end().split(SEPARATOR);
    let header = parts.next().unwrap_or_default();
    let mut packages: Vec<String> = parts.map(str::to_owned).collect();
    let block_name = |block: &str| {
        let first = block.lines().next().unwrap_or_default();
        first.strip_prefix("name = \"").and_then(|n| n.strip_suffix('"')).unwrap_or_default().to_owned()
    };
    if let Some(i) = packages.iter().position(|b| block_name(b) == OWN_PACKAGE) {
        let own = packages.remove(i);
        let renamed = own.replacen(&format!("name = \"{OWN_PACKAGE}\""), &format!("name = \"{name}\""), 1);
        let at = packages.iter().position(|b| block_name(b).as_str() > name);
        packages.insert(at.unwrap_or(packages.len()), renamed);
    }
    let mut out = header.to_owned();
    for block in &packages {
        out.push_str(SEPARATOR);
        out.push_str(block);
    }
    out.push('\n');
    out
}

/// The starter service as seeded files, unless the spec names its own Dockerfile.
///
/// # Errors
/// Never in practice; the paths are fixed.
pub fn render(spec: &StackSpec) -> Result<FileTree, GenerateError> {
    let mut files = FileTree::new();
    if spec.source.is_starter() {
        for (path, contents) in self::files(package(spec)) {
            files.insert_seeded(path, contents)?;
        }
    }
    Ok(files)
}
