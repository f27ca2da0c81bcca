//! Helpers shared by the end-to-end tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use stackgen::generator::load::Format;
use stackgen::generator::{Generated, generate, parse_and_validate};

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every example spec under `examples/`, sorted: (file stem, path).
pub fn example_specs() -> Vec<(String, PathBuf)> {
    let mut specs: Vec<(String, PathBuf)> = std::fs::read_dir(repo_root().join("examples"))
        .expect("examples/ exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "toml" | "json")))
        .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().ends_with(".schema.json")))
        .map(|p| (p.file_stem().unwrap_or_default().to_string_lossy().into_owned(), p))
        .collect();
    specs.sort();
    specs
}

/// Loads, validates and generates one spec file; panics with every diagnostic when invalid.
#[track_caller]
pub fn generate_file(path: &Path) -> Generated {
    let text = std::fs::read_to_string(path).expect("spec is readable");
    let spec = parse_and_validate(&text, Format::from_path(path))
        .unwrap_or_else(|d| panic!("{} is invalid:\n{d}", path.display()));
    generate(&spec).unwrap_or_else(|e| panic!("{} does not generate: {e}", path.display()))
}

/// Runs the `stackgen` binary in `dir`.
pub fn stackgen(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stackgen")).current_dir(dir).args(args).output().expect("stackgen runs")
}

/// stdout and stderr as text.
pub fn text(output: &Output) -> (String, String) {
    (String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// The installed terraform, or `None` (with a printed reason) when it is absent and tools are not required.
#[track_caller]
pub fn terraform() -> Option<PathBuf> {
    let candidates = [PathBuf::from("/usr/local/bin/terraform"), PathBuf::from("/usr/bin/terraform")];
    let found = std::env::var_os("TERRAFORM")
        .map(PathBuf::from)
        .into_iter()
        .chain(candidates)
        .find(|p| p.is_file())
        .or_else(|| which("terraform"));
    if found.is_none() {
        let why = "terraform is not installed (set TERRAFORM=/path/to/terraform to run this test)";
        assert!(std::env::var("STACKGEN_REQUIRE_TOOLS").as_deref() != Ok("1"), "STACKGEN_REQUIRE_TOOLS=1 but {why}");
        eprintln!("SKIPPED: {why}");
    }
    found
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).map(|p| p.join(name)).find(|p| p.is_file()))
}

/// Writes every file of `generated` below `dir`.
#[track_caller]
pub fn write_tree(generated: &Generated, dir: &Path) {
    for (path, bytes) in generated.files.iter() {
        let target = dir.join(path.as_str());
        std::fs::create_dir_all(target.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(&target, bytes).expect("write");
    }
}

/// Lists every file below `dir` with its bytes, sorted, for before/after comparisons.
pub fn snapshot_dir(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (e.path().strip_prefix(dir).unwrap_or(e.path()).to_path_buf(), std::fs::read(e.path()).unwrap_or_default())
        })
        .collect();
    files.sort();
    files
}

/// A tool installed by `scripts/install-tools` under `$STACKGEN_TOOLS` (default `<repo>/.tools`),
/// such as `checkov/bin/checkov`; `None` with a printed reason when absent, a failure when
/// `STACKGEN_REQUIRE_TOOLS=1`.
#[track_caller]
pub fn installed_tool(relative: &str) -> Option<PathBuf> {
    let tools = std::env::var_os("STACKGEN_TOOLS").map(PathBuf::from).unwrap_or_else(|| repo_root().join(".tools"));
    let path = tools.join(relative);
    if path.is_file() {
        return Some(path);
    }
    let why = format!("{} is not installed (run `bash scripts/install-tools`)", path.display());
    assert!(std::env::var("STACKGEN_REQUIRE_TOOLS").as_deref() != Ok("1"), "STACKGEN_REQUIRE_TOOLS=1 but {why}");
    eprintln!("SKIPPED: {why}");
    None
}
