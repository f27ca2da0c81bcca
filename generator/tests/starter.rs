//! The starter service seeded into generated repositories is stackgen's own `service/`, byte for
//! byte but for its name (`scripts/sync-starter` copies it into this crate; the generator names
//! the package after `app.name`), and its Cargo.lock is one that `--locked` accepts, with the
//! versions stackgen's own workspace tests, whatever the name.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use pretty_assertions::assert_eq;
use stackgen_generator::{FileKind, docker, generate, starter};
use stackgen_modules::StackSpec;

const SYNC: &str = "run `bash scripts/sync-starter` and commit the result";

fn default_spec() -> StackSpec {
    serde_yaml::from_str(stackgen_generator::cli::DEFAULT_SPEC).expect("default spec")
}

fn starter_file(path: &str) -> &'static str {
    starter::FILES.iter().find(|(p, _)| *p == path).map(|(_, c)| *c).unwrap_or_else(|| panic!("{path} not in starter"))
}

/// The starter as generated for a service package named `name`, path → contents.
fn named_starter(name: &str) -> std::collections::BTreeMap<&'static str, String> {
    starter::files(name).into_iter().collect()
}

/// Writes the starter for `name` into a fresh folder and asks cargo whether `--locked` accepts
/// its lock file and whether a plain resolve leaves it as it is; returns the folder and the
/// lock's (name, version) pairs.
fn locked_starter(name: &str) -> (tempfile::TempDir, BTreeSet<(String, String)>) {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, contents) in starter::files(name) {
        let target = dir.path().join(path);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::write(target, contents).expect("write");
    }
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--locked", "--format-version", "1"])
        .current_dir(dir.path())
        .output()
        .expect("cargo metadata");
    assert!(
        out.status.success(),
        "cargo rejects the starter's Cargo.lock for {name:?} with --locked ({SYNC}):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // `--locked` accepts a lock in any order; cargo rewrites it sorted on the next plain build,
    // which would leave the team's first checkout dirty. The file must be what cargo writes.
    let written = starter::files(name).into_iter().find(|(p, _)| *p == "Cargo.lock").expect("lock").1;
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--offline", "--format-version", "1"])
        .current_dir(dir.path())
        .output()
        .expect("cargo metadata");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lock = std::fs::read_to_string(dir.path().join("Cargo.lock")).expect("lock");
    assert!(lock == written, "cargo rewrote the starter's Cargo.lock for {name:?}");
    (dir, lock_packages(&lock))
}

fn lock_packages(text: &str) -> BTreeSet<(String, String)> {
    let lock: toml::Table = toml::from_str(text).expect("lock");
    lock["package"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| (p["name"].as_str().unwrap_or("").to_owned(), p["version"].as_str().unwrap_or("").to_owned()))
        .collect()
}

#[test]
fn every_service_file_is_in_the_starter_byte_for_byte() {
    let root = common::repo_root();
    let service = root.join("service");
    let mut on_disk = BTreeSet::new();
    for sub in ["src", "tests"] {
        for entry in walkdir::WalkDir::new(service.join(sub)).into_iter().filter_map(Result::ok) {
            if entry.file_type().is_file() {
                let relative = entry.path().strip_prefix(&service).expect("below service/");
                on_disk.insert(format!("service/{}", relative.to_string_lossy()));
            }
        }
    }
    // stackgen's own Dockerfile test checks stackgen's layout (service/Dockerfile) with its tools.
    on_disk.remove("service/tests/dockerfile.rs");
    on_disk.insert("service/Cargo.toml".to_owned());
    // Generated under stackgen's own package name, the starter is service/ byte for byte: the
    // renaming touches nothing else.
    let own = named_starter(starter::OWN_PACKAGE);
    let starter: BTreeSet<String> = own.keys().map(|p| (*p).to_owned()).filter(|p| p.starts_with("service/")).collect();
    assert_eq!(starter, on_disk, "the starter's service files are service/'s; {SYNC}");
    for path in &on_disk {
        let original = std::fs::read_to_string(root.join(path)).expect("read");
        assert!(own[path.as_str()] == original, "{path} differs from the starter's copy; {SYNC}");
    }
    assert!(own["Cargo.lock"] == starter_file("Cargo.lock"), "renaming to the own name changes the lock");
    let rustfmt = std::fs::read_to_string(root.join("rustfmt.toml")).expect("rustfmt.toml");
    assert_eq!(starter_file("rustfmt.toml"), rustfmt, "{SYNC}");
    let dockerfile = std::fs::read_to_string(service.join("Dockerfile")).expect("Dockerfile");
    assert!(
        docker::SERVICE_DOCKERFILE == dockerfile,
        "the embedded Dockerfile differs from service/Dockerfile; {SYNC}"
    );
    let default = std::fs::read_to_string(root.join("examples/default.yaml")).expect("default.yaml");
    assert!(stackgen_generator::cli::DEFAULT_SPEC == default, "the embedded default spec differs; {SYNC}");
}

#[test]
fn the_starter_workspace_declares_what_the_service_inherits_as_stackgen_does() {
    // The service's `x.workspace = true` entries must resolve, to the same requirements
    // stackgen's own workspace tests them with.
    let ours: toml::Table =
        toml::from_str(&std::fs::read_to_string(common::repo_root().join("Cargo.toml")).expect("Cargo.toml"))
            .expect("toml");
    let theirs: toml::Table = toml::from_str(starter_file("Cargo.toml")).expect("starter Cargo.toml");
    let service: toml::Table = toml::from_str(starter_file("service/Cargo.toml")).expect("service Cargo.toml");
    for section in ["dependencies", "dev-dependencies"] {
        for (name, requirement) in service[section].as_table().expect("table") {
            if requirement.get("workspace").is_some() {
                assert_eq!(
                    theirs["workspace"]["dependencies"].get(name),
                    ours["workspace"]["dependencies"].get(name),
                    "{section}.{name}"
                );
            }
        }
    }
    assert_eq!(theirs["workspace"].get("lints"), ours["workspace"].get("lints"), "workspace.lints");
    for key in ["edition", "rust-version", "license", "version"] {
        assert_eq!(theirs["workspace"]["package"].get(key), ours["workspace"]["package"].get(key), "{key}");
    }
}

#[test]
fn the_starter_lock_is_accepted_by_locked_and_pins_stackgens_versions() {
    let ours = lock_packages(&std::fs::read_to_string(common::repo_root().join("Cargo.lock")).expect("lock"));
    let (_dir, theirs) = locked_starter(starter::OWN_PACKAGE);
    let foreign: Vec<_> = theirs.difference(&ours).collect();
    assert!(foreign.is_empty(), "versions stackgen's workspace does not test: {foreign:?}; {SYNC}");
    for package in ["stackgen-service", "warp", "tokio", "hyper"] {
        assert!(theirs.iter().any(|(name, _)| name == package), "{package} missing from the starter's lock");
    }
    assert!(theirs.iter().all(|(name, _)| !name.starts_with("stackgen-generator")), "generator crates leaked in");
}

#[test]
fn the_renamed_starter_lock_is_accepted_by_locked_wherever_the_name_sorts() {
    // Cargo orders the lock's packages by name and `--locked` refuses any other order, so the
    // renamed entry must move: first ("aardvark"), among the dependencies ("hello", "pinwheel"),
    // last ("zzz-service"), and the longest name app.name allows.
    let own = lock_packages(starter_file("Cargo.lock"));
    for name in ["aardvark", "hello", "pinwheel", "zzz-service", "a234567890123456789012345678901234567890"] {
        let (_dir, theirs) = locked_starter(name);
        let expected: BTreeSet<(String, String)> = own
            .iter()
            .map(|(n, v)| (if n == starter::OWN_PACKAGE { name.to_owned() } else { n.clone() }, v.clone()))
            .collect();
        assert_eq!(theirs, expected, "{name}");
    }
}

#[test]
fn the_team_s_service_carries_the_app_name_everywhere_and_stackgen_s_nowhere() {
    let mut spec = default_spec();
    spec.app.name = "orders-api".into();
    let tree = generate(&spec).expect("generates").files;
    for (path, _) in starter::FILES {
        let text = tree.get_str(path).unwrap_or_else(|| panic!("{path} seeded"));
        assert!(!text.contains("stackgen-service") && !text.contains("stackgen_service"), "{path}:\n{text}");
    }
    let dockerfile = tree.get_str("Dockerfile").expect("Dockerfile");
    assert!(!dockerfile.contains("stackgen-service"), "{dockerfile}");
    for expected in [
        "cargo chef cook --release --locked --package orders-api",
        "--package orders-api \\\n      --bin orders-api",
        "release/orders-api\" /orders-api",
        "COPY --from=builder /orders-api /orders-api",
        "CMD [\"/orders-api\", \"healthcheck\"]",
        "ENTRYPOINT [\"/orders-api\"]",
    ] {
        assert!(dockerfile.contains(expected), "{expected:?} not in\n{dockerfile}");
    }
    let manifest: toml::Table = toml::from_str(tree.get_str("service/Cargo.toml").expect("manifest")).expect("toml");
    assert_eq!(manifest["package"]["name"].as_str(), Some("orders-api"));
    assert_eq!(manifest["bin"][0]["name"].as_str(), Some("orders-api"));
    let main = tree.get_str("service/src/main.rs").expect("main.rs");
    assert!(main.contains("use orders_api::config::{Config, VARIABLES};"), "{main}");
    let support = tree.get_str("service/tests/support/mod.rs").expect("support");
    assert!(support.contains("env!(\"CARGO_BIN_EXE_orders-api\")"), "{support}");
}

#[test]
fn an_app_name_that_cannot_name_the_starter_package_is_refused_at_app_name() {
    for (name, why) in [
        ("loop", "reserved"),
        ("test", "reserved"),
        ("proc-macro", "reserved"),
        ("tokio", "\"tokio\""),
        ("serde-json", "\"serde_json\""),
    ] {
        let mut spec = default_spec();
        spec.app.name = name.into();
        spec.app.host = "app.example.com".into();
        let Err(stackgen_generator::GenerateError::Invalid(diagnostics)) = generate(&spec) else {
            panic!("{name} accepted as the starter's package name");
        };
        let found: Vec<String> = diagnostics.iter().map(|d| format!("{}: {}: {}", d.path, d.rule, d.message)).collect();
        assert!(
            found.iter().any(|d| d.starts_with("app.name: cargo-package:") && d.contains(why)),
            "{name}: {found:?}"
        );
        // With its own Dockerfile the team's service is not a Cargo package of ours.
        spec.source.dockerfile = Some("app/Dockerfile".into());
        spec.source.context = "app".into();
        assert!(generate(&spec).is_ok(), "{name} with an own Dockerfile");
    }
}

#[test]
fn the_starter_is_seeded_and_only_without_an_own_dockerfile() {
    let spec = default_spec();
    let tree = generate(&spec).expect("generates").files;
    for (path, contents) in starter::files(&spec.app.name) {
        assert_eq!(tree.kind(path), Some(FileKind::Seeded), "{path}");
        assert_eq!(tree.get_str(path), Some(contents.as_str()), "{path}");
    }
    for managed in ["Dockerfile", ".dockerignore", ".gitignore", "stackgen.schema.json"] {
        assert_eq!(tree.kind(managed), Some(FileKind::Managed), "{managed}");
    }
    let mut own = spec.clone();
    own.source.dockerfile = Some("app/Dockerfile".into());
    own.source.context = "app".into();
    own.source.analyze = vec!["python -m pytest".into()];
    let tree = generate(&own).expect("generates").files;
    let leftovers: Vec<&str> =
        tree.paths().filter(|p| *p == "Dockerfile" || *p == ".dockerignore" || p.contains("Cargo")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(tree.paths().all(|p| !p.starts_with("service/")));
}

#[test]
fn the_dockerignore_keeps_state_and_history_out_and_what_cargo_needs_in() {
    let ignore = docker::dockerignore();
    let patterns: Vec<&str> = ignore.lines().collect();
    for needed in ["**/.git", "terraform/", "**/*.tfstate", "**/target/", "**/.terraform/"] {
        assert!(patterns.contains(&needed), "{needed} is not ignored");
    }
    for kept in ["Cargo.toml", "Cargo.lock", "service", "service/src", "rustfmt.toml"] {
        let excluded = patterns.iter().any(|p| p.trim_end_matches('/') == kept || Path::new(kept).starts_with(p));
        assert!(!excluded, "{kept} must stay in the build context");
    }
}

#[test]
fn every_embedded_asset_lives_inside_the_crate_so_it_packages() {
    // `cargo package` ships only the crate's folder; an include_str! reaching outside it builds
    // here and fails for everyone installing the package.
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR")).canonicalize().expect("crate dir");
    let mut checked = 0;
    for entry in walkdir::WalkDir::new(crate_dir.join("src")).into_iter().filter_map(Result::ok) {
        if entry.path().extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let source = std::fs::read_to_string(entry.path()).expect("read");
        for (i, _) in source.match_indices("include_str!(\"").chain(source.match_indices("include_bytes!(\"")) {
            let start = source[i..].find('"').expect("quote") + i + 1;
            let end = source[start..].find('"').expect("closing quote") + start;
            let target = entry.path().parent().expect("parent").join(&source[start..end]);
            let resolved = target.canonicalize().unwrap_or_else(|e| panic!("{}: {e}", target.display()));
            assert!(
                resolved.starts_with(&crate_dir),
                "{} embeds {}, outside the crate",
                entry.path().display(),
                resolved.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= starter::FILES.len(), "only {checked} embedded files found");
}
