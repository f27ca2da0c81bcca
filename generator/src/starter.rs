//! The starter service seeded into a generated repository: stackgen's own warp service
//! (`service/` of stackgen's repository) in a Cargo workspace at the repository root, with a
//! `Cargo.lock` that `cargo build --locked` accepts and the `rustfmt.toml` its code is formatted
//! with.
//!
//! The files are *seeded* ([`crate::FileKind::Seeded`]): written by the first `stackgen
//! generate`, then the team's. Regeneration never overwrites or deletes them, and `generate
//! --check` ignores their edits. A spec with `source.dockerfile` gets none of them.
//!
//! One source of truth: the copies under `generator/assets/starter/` (inside this crate, so it
//! packages) are made by `scripts/sync-starter` from `service/`, and a test fails when they
//! differ.

use stackgen_modules::StackSpec;

use crate::file_tree::FileTree;
use crate::generated::GenerateError;

/// Every starter file: its path in the generated repository and its contents.
pub const FILES: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../assets/starter/Cargo.toml.in")),
    ("Cargo.lock", include_str!("../assets/starter/Cargo.lock")),
    ("rustfmt.toml", include_str!("../assets/starter/rustfmt.toml")),
    ("service/Cargo.toml", include_str!("../assets/starter/service/Cargo.toml.in")),
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

/// The Cargo package the Dockerfile and the workflows build.
pub const PACKAGE: &str = "stackgen-service";

/// The starter service as seeded files, unless the spec names its own Dockerfile.
///
/// # Errors
/// Never in practice; the paths are fixed.
pub fn render(spec: &StackSpec) -> Result<FileTree, GenerateError> {
    let mut files = FileTree::new();
    if spec.source.is_starter() {
        for (path, contents) in FILES {
            files.insert_seeded(path, *contents)?;
        }
    }
    Ok(files)
}
