//! Helpers for the chart tests: example specs, writing charts to disk, and the Python driver
//! (`generator/tests/support/chart_check.py`) that runs Helm's Go SDK and kubernetes-validate.
#![allow(dead_code)] // each test binary uses a different subset

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use stackgen_generator::generate;
use stackgen_modules::StackSpec;

/// The repository root (the workspace).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Every example spec under `examples/` (YAML and TOML), by file stem, sorted.
#[track_caller]
pub fn examples() -> Vec<(String, StackSpec)> {
    let dir = repo_root().join("examples");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("examples/ exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "toml")))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no example specs in {}", dir.display());
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("readable example");
            let spec: StackSpec = if path.extension().is_some_and(|e| e == "toml") {
                toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            } else {
                serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            };
            let stem = path.file_stem().and_then(|s| s.to_str()).expect("UTF-8 name").to_owned();
            (stem, spec)
        })
        .collect()
}

/// The chart's files for `spec`, path inside the chart → text, through the whole `generate()`.
#[track_caller]
pub fn chart_files(spec: &StackSpec) -> Vec<(String, String)> {
    let generated = generate(spec).unwrap_or_else(|e| panic!("generation failed: {e}"));
    let prefix = format!("charts/{}/", spec.app.name);
    let files: Vec<(String, String)> = generated
        .files
        .iter()
        .filter_map(|(path, bytes)| {
            path.as_str()
                .strip_prefix(&prefix)
                .map(|inner| (inner.to_owned(), String::from_utf8(bytes.to_vec()).expect("chart files are UTF-8")))
        })
        .collect();
    assert!(!files.is_empty(), "no files under {prefix}");
    files
}

/// Writes the chart for `spec` to `<dir>/<app>/` and returns that path.
#[track_caller]
pub fn write_chart(spec: &StackSpec, dir: &Path) -> PathBuf {
    let root = dir.join(&spec.app.name);
    for (path, text) in chart_files(spec) {
        let target = root.join(&path);
        std::fs::create_dir_all(target.parent().expect("has a parent")).expect("create dir");
        std::fs::write(&target, text).expect("write chart file");
    }
    root
}

/// Writes every file `generate()` puts under the folder `prefix` (such as a Terraform module's
/// local chart) to `root`, and returns how many there were.
#[track_caller]
pub fn write_generated_folder(spec: &StackSpec, prefix: &str, root: &Path) -> usize {
    let generated = generate(spec).unwrap_or_else(|e| panic!("generation failed: {e}"));
    let mut count = 0;
    for (path, bytes) in generated.files.iter() {
        if let Some(inner) = path.as_str().strip_prefix(prefix) {
            let target = root.join(inner);
            std::fs::create_dir_all(target.parent().expect("has a parent")).expect("create dir");
            std::fs::write(target, bytes).expect("write");
            count += 1;
        }
    }
    count
}

/// True when the test run demands every external tool (scripts/test and CI set this).
pub fn tools_required() -> bool {
    std::env::var("STACKGEN_REQUIRE_TOOLS").is_ok_and(|v| v == "1")
}

/// `$STACKGEN_TOOLS`, default `<repo>/.tools`.
pub fn tools_dir() -> PathBuf {
    std::env::var_os("STACKGEN_TOOLS").map_or_else(|| repo_root().join(".tools"), PathBuf::from)
}

/// A tool under the tools dir, or `None` after saying why the caller skips (panics instead when
/// `STACKGEN_REQUIRE_TOOLS=1`).
#[track_caller]
pub fn tool(relative: &str, what: &str) -> Option<PathBuf> {
    let path = tools_dir().join(relative);
    if path.is_file() {
        return Some(path);
    }
    let message = format!("{} not found (run `bash scripts/install-tools`): skipping {what}", path.display());
    assert!(!tools_required(), "STACKGEN_REQUIRE_TOOLS=1 but {message}");
    eprintln!("SKIPPED: {message}");
    None
}

/// The validators' Python (with helm-python-sdk and kubernetes-validate), if installed.
#[track_caller]
pub fn python(what: &str) -> Option<PathBuf> {
    tool("venv/bin/python", what)
}

/// Runs the driver on `requests` and returns one result per request.
#[track_caller]
pub fn driver(python: &Path, requests: &[Value]) -> Vec<Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/chart_check.py");
    let mut child = Command::new(python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python starts");
    let input = serde_json::to_vec(requests).expect("requests serialize");
    child.stdin.take().expect("stdin is piped").write_all(&input).expect("write requests");
    let output = child.wait_with_output().expect("driver runs");
    assert!(output.status.success(), "chart_check.py failed:\n{}", String::from_utf8_lossy(&output.stderr));
    let results: Vec<Value> = serde_json::from_slice(&output.stdout).expect("driver prints JSON");
    assert_eq!(results.len(), requests.len(), "one result per request");
    results
}

/// Splits rendered templates into their YAML documents (skipping empty ones), each with the
/// template it came from.
#[track_caller]
pub fn documents(manifests: &Value) -> Vec<(String, Value)> {
    let mut docs = Vec::new();
    let map = manifests.as_object().expect("manifests are an object");
    for (template, text) in map {
        let text = text.as_str().expect("manifest text");
        if template.ends_with("NOTES.txt") {
            continue;
        }
        for part in text.split("\n---") {
            let doc: Value =
                serde_yaml::from_str(part).unwrap_or_else(|e| panic!("{template} is not YAML: {e}\n{part}"));
            if !doc.is_null() {
                docs.push((template.clone(), doc));
            }
        }
    }
    docs
}

/// The vendored CRD schema (`generator/tests/fixtures/crds/`) of a custom resource's
/// `apiVersion` and `kind`, for the kinds stackgen renders; `None` for built-in kinds.
pub fn crd_schema(api_version: &str, kind: &str) -> Option<PathBuf> {
    let file = match (api_version, kind) {
        ("gateway.networking.k8s.io/v1", "HTTPRoute") => "gateway-api-v1.6.1-standard-httproute-v1.schema.json",
        ("gateway.networking.k8s.io/v1", "Gateway") => "gateway-api-v1.6.1-standard-gateway-v1.schema.json",
        ("gateway.networking.k8s.io/v1", "GatewayClass") => "gateway-api-v1.6.1-standard-gatewayclass-v1.schema.json",
        ("gateway.envoyproxy.io/v1alpha1", "EnvoyProxy") => "envoy-gateway-v1.9.0-envoyproxy-v1alpha1.schema.json",
        ("cert-manager.io/v1", "Certificate") => "cert-manager-v1.21.1-certificate-v1.schema.json",
        ("cert-manager.io/v1", "ClusterIssuer") => "cert-manager-v1.21.1-clusterissuer-v1.schema.json",
        ("traefik.io/v1alpha1", "Middleware") => "traefik-41.3.0-middleware-v1alpha1.schema.json",
        _ => return None,
    };
    Some(repo_root().join("generator/tests/fixtures/crds").join(file))
}

/// True for a custom resource stackgen renders (validated against its vendored CRD schema, which
/// kubernetes-validate does not know); every other kind is kubernetes-validate's.
pub fn is_custom_resource(doc: &Value) -> bool {
    crd_schema(doc["apiVersion"].as_str().unwrap_or_default(), doc["kind"].as_str().unwrap_or_default()).is_some()
}

/// Validates each custom resource in `docs` against its vendored CRD schema (strict: unknown
/// fields refused, as the API server's strict field validation does). Returns one line per
/// problem; panics on a custom kind without a vendored schema.
#[track_caller]
pub fn crd_problems(python: &Path, docs: &[&Value]) -> Vec<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut by_schema: std::collections::BTreeMap<PathBuf, Vec<PathBuf>> = std::collections::BTreeMap::new();
    for (i, doc) in docs.iter().enumerate() {
        let (api_version, kind) =
            (doc["apiVersion"].as_str().unwrap_or_default(), doc["kind"].as_str().unwrap_or_default());
        let schema =
            crd_schema(api_version, kind).unwrap_or_else(|| panic!("no vendored CRD schema for {api_version} {kind}"));
        let path = dir.path().join(format!("{i}-{kind}.yaml"));
        std::fs::write(&path, serde_yaml::to_string(doc).expect("YAML")).expect("write");
        by_schema.entry(schema).or_default().push(path);
    }
    let mut problems = Vec::new();
    for (schema, paths) in by_schema {
        let output = Command::new(python)
            .arg(repo_root().join("generator/tests/support/pipeline_validate_crd.py"))
            .arg(&schema)
            .args(&paths)
            .output()
            .expect("validator runs");
        if !output.status.success() {
            problems.extend(String::from_utf8_lossy(&output.stdout).lines().map(str::to_owned));
            if output.stdout.is_empty() {
                problems.push(String::from_utf8_lossy(&output.stderr).into_owned());
            }
        }
    }
    problems
}
