//! Helpers shared by the generator's integration tests.
#![allow(dead_code)] // each test binary uses a different subset

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The repository root (the workspace).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// True when the test run demands every external tool (scripts/test and CI set this).
pub fn tools_required() -> bool {
    std::env::var("STACKGEN_REQUIRE_TOOLS").is_ok_and(|v| v == "1")
}

/// The `terraform` binary: `$STACKGEN_TOOLS/bin/terraform`, `$STACKGEN_TOOLS/terraform` (default
/// tools dir `<repo>/.tools`), else `terraform` on `PATH`. `None` (after printing why) when absent
/// and tools are not required; panics when absent and `STACKGEN_REQUIRE_TOOLS=1`.
pub fn terraform() -> Option<PathBuf> {
    let tools = std::env::var_os("STACKGEN_TOOLS").map_or_else(|| repo_root().join(".tools"), PathBuf::from);
    let mut candidates = vec![tools.join("bin").join("terraform"), tools.join("terraform")];
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path).map(|dir| dir.join("terraform")));
    }
    if let Some(found) = candidates.into_iter().find(|c| c.is_file()) {
        return Some(found);
    }
    let message =
        format!("terraform not found under {} or on PATH: skipping the `terraform fmt` comparisons", tools.display());
    assert!(!tools_required(), "STACKGEN_REQUIRE_TOOLS=1 but {message}");
    eprintln!("SKIPPED: {message}");
    None
}

/// `terraform fmt -` of `text` (offline: fmt reads stdin and needs no providers).
///
/// # Panics
/// When terraform fails, for example on a syntax error in `text`.
#[track_caller]
pub fn terraform_fmt(terraform: &Path, text: &str) -> String {
    let mut child = Command::new(terraform)
        .args(["fmt", "-no-color", "-"])
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .env("CHECKPOINT_DISABLE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("terraform starts");
    child.stdin.take().expect("stdin is piped").write_all(text.as_bytes()).expect("write to terraform");
    let output = child.wait_with_output().expect("terraform runs");
    assert!(
        output.status.success(),
        "terraform fmt failed on:\n{text}\n--- stderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("terraform fmt prints UTF-8")
}

/// Expected text written as an indented raw literal: drops the first newline, so tests can write
/// `text(r#"` on one line and the content from the next.
pub fn text(literal: &str) -> String {
    literal.strip_prefix('\n').unwrap_or(literal).to_owned()
}
