//! Offline `terraform validate` for generated Terraform roots.
//!
//! `terraform init` cannot download providers on machines without the registry, so this crate
//! ships a schema-only stand-in provider (see [`provider`]) that serves the real provider
//! schemas, extracted from the pinned cdktf provider wheels by `tools/tfvalidate/extract_schemas.py`
//! at install time (`bash scripts/install-tools`). With it the real Terraform CLI runs
//! `fmt -check`, `init` and `validate` and reports its own diagnostics with file and line.
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! // In a test: skips (returns None) where the tools are absent, unless STACKGEN_REQUIRE_TOOLS=1.
//! if let Some(tools) = tfvalidate::tools_or_skip("terraform validate of the default stack") {
//!     let report = tools.validate(std::path::Path::new("out/terraform"))?;
//!     assert!(report.is_clean(), "{report}");
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The crate is test tooling: nothing in `stackgen` depends on it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

pub mod provider;
pub mod schema;

/// Generated from the vendored `proto/tfplugin6.8.proto`.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

/// Generated from `proto/grpc_controller.proto` (go-plugin's controller service).
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod plugin {
    tonic::include_proto!("plugin");
}

/// Where `scripts/install-tools` puts the pinned tools: `$STACKGEN_TOOLS`, else `<repo>/.tools`.
pub fn tools_dir() -> PathBuf {
    match std::env::var_os("STACKGEN_TOOLS") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.tools"),
    }
}

/// The extracted `terraform providers schema -json` files, one `<provider>.json` each
/// (`azurerm.json`, `azuread.json`, `helm.json`, ...), beside `<provider>.version` files
/// holding `<namespace> <name> <version>`.
pub fn schemas_dir() -> PathBuf {
    tools_dir().join("provider-schemas")
}

/// The Terraform plugin directory of stand-in providers
/// (`<host>/<namespace>/<name>/<version>/<os>_<arch>/terraform-provider-<name>_v<version>`).
pub fn plugin_dir() -> PathBuf {
    tools_dir().join("tfvalidate/plugins")
}

/// A pinned provider available offline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinnedProvider {
    /// Registry namespace: `hashicorp`, `integrations`.
    pub namespace: String,
    /// Provider type name: `azurerm`.
    pub name: String,
    /// Exact version: `4.55.0`.
    pub version: String,
}

impl PinnedProvider {
    /// `registry.terraform.io/<namespace>/<name>`, the key in `terraform providers schema -json`.
    pub fn address(&self) -> String {
        format!("registry.terraform.io/{}/{}", self.namespace, self.name)
    }
}

/// The installed tools: the Terraform CLI, the extracted schemas and the plugin directory.
#[derive(Debug, Clone)]
pub struct Tools {
    /// The `terraform` executable (`$TERRAFORM`, else the first on `PATH`).
    pub terraform: PathBuf,
    /// See [`schemas_dir`].
    pub schemas_dir: PathBuf,
    /// See [`plugin_dir`].
    pub plugin_dir: PathBuf,
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(program)).find(|candidate| candidate.is_file())
}

impl Tools {
    /// Finds the tools, or says what is missing and how to install it.
    pub fn locate() -> std::result::Result<Self, String> {
        let terraform = match std::env::var_os("TERRAFORM") {
            Some(path) if !path.is_empty() => PathBuf::from(path),
            _ => find_on_path("terraform").ok_or("`terraform` is not on PATH")?,
        };
        let tools = Self { terraform, schemas_dir: schemas_dir(), plugin_dir: plugin_dir() };
        let schemas = tools.schemas_dir.join("azurerm.json");
        if !schemas.is_file() {
            return Err(format!("{} is missing: run `bash scripts/install-tools`", schemas.display()));
        }
        if !tools.plugin_dir.join("registry.terraform.io").is_dir() {
            return Err(format!(
                "no stand-in providers in {}: run `bash scripts/install-tools`",
                tools.plugin_dir.display()
            ));
        }
        Ok(tools)
    }

    /// Every provider in [`Tools::schemas_dir`], sorted by name.
    pub fn providers(&self) -> Result<Vec<PinnedProvider>> {
        let mut providers = Vec::new();
        for entry in std::fs::read_dir(&self.schemas_dir)? {
            let path = entry?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("version") {
                continue;
            }
            let text = std::fs::read_to_string(&path)?;
            let fields: Vec<&str> = text.split_whitespace().collect();
            let [namespace, name, version] = fields[..] else {
                bail!("{}: expected `<namespace> <name> <version>`", path.display());
            };
            providers.push(PinnedProvider {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
                version: version.to_owned(),
            });
        }
        providers.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(providers)
    }

    /// Validates the Terraform root `dir` ([`Tools::validate`]) and panics with Terraform's
    /// diagnostics, naming it `what`, unless it is formatted and valid with zero errors and zero
    /// warnings.
    #[track_caller]
    pub fn assert_valid(&self, dir: &Path, what: &str) {
        match self.validate(dir) {
            Ok(report) if report.is_clean() => {}
            Ok(report) => panic!("terraform rejected {what}:\n{report}"),
            Err(e) => panic!("could not validate {what}: {e:#}"),
        }
    }

    /// Runs `terraform fmt -check -recursive`, `terraform init -backend=false` against the
    /// stand-in providers and `terraform validate -json` on a copy of the Terraform root
    /// `dir` (with its local child modules), and collects everything they report.
    ///
    /// `Err` means the check could not run (I/O, Terraform crashed); problems in the
    /// configuration are in the [`Report`].
    pub fn validate(&self, dir: &Path) -> Result<Report> {
        let session = Session::new(self, dir)?;
        let mut report = Report::default();

        let fmt = session.terraform(&["fmt", "-check", "-recursive", "-list=true", "-no-color"])?;
        match fmt.status.code() {
            Some(0) => {}
            Some(3) => {
                report.unformatted = String::from_utf8_lossy(&fmt.stdout).lines().map(str::to_owned).collect();
            }
            _ => report.push_failure("terraform fmt -check failed", &fmt),
        }

        if !session.init(&mut report)? {
            return Ok(report);
        }

        let validate = session.terraform(&["validate", "-json", "-no-color"])?;
        let parsed: ValidateJson = serde_json::from_slice(&validate.stdout).with_context(|| {
            format!(
                "terraform validate -json printed no JSON (exit {:?}): {}",
                validate.status.code(),
                String::from_utf8_lossy(&validate.stderr)
            )
        })?;
        report.diagnostics.extend(parsed.diagnostics.into_iter().map(Diagnostic::from));
        if !parsed.valid && report.errors().count() == 0 {
            report.push_failure("terraform validate reported the configuration invalid", &validate);
        }
        Ok(report)
    }

    /// Runs `terraform init -backend=false` against the stand-in providers and `terraform test`
    /// on a copy of the root `dir` (its `tests/*.tftest.hcl` with `mock_provider` blocks plan and
    /// apply offline). `Err` means the run could not start; a failing test is in the report.
    pub fn test(&self, dir: &Path) -> Result<TestReport> {
        let session = Session::new(self, dir)?;
        let mut init = Report::default();
        if !session.init(&mut init)? {
            return Ok(TestReport { passed: false, output: init.to_string(), seconds: 0.0 });
        }
        let started = std::time::Instant::now();
        let test = session.terraform(&["test", "-no-color"])?;
        let seconds = started.elapsed().as_secs_f64();
        let mut output = String::from_utf8_lossy(&test.stdout).into_owned();
        output.push_str(&String::from_utf8_lossy(&test.stderr));
        Ok(TestReport { passed: test.status.success(), output, seconds })
    }

    /// `terraform providers schema -json` of the root `dir` after `init` with the stand-ins:
    /// what Terraform itself sees of the served schemas.
    pub fn providers_schema(&self, dir: &Path) -> Result<serde_json::Value> {
        let session = Session::new(self, dir)?;
        let mut report = Report::default();
        if !session.init(&mut report)? {
            bail!("terraform init failed:\n{report}");
        }
        let out = session.terraform(&["providers", "schema", "-json"])?;
        if !out.status.success() {
            bail!("terraform providers schema failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(serde_json::from_slice(&out.stdout)?)
    }
}

/// Finds the tools for a test. Where they are absent it prints why and returns `None` so the
/// test can return early — unless `STACKGEN_REQUIRE_TOOLS=1` (set by `scripts/test` after
/// installing them), where it panics instead, so CI never passes by skipping.
#[track_caller]
pub fn tools_or_skip(test: &str) -> Option<Tools> {
    match Tools::locate() {
        Ok(tools) => Some(tools),
        Err(why) if std::env::var("STACKGEN_REQUIRE_TOOLS").as_deref() == Ok("1") => {
            panic!("{test}: STACKGEN_REQUIRE_TOOLS=1 but {why}")
        }
        Err(why) => {
            eprintln!("SKIPPED {test}: {why}");
            None
        }
    }
}

/// [`Tools::validate`] with tools found by [`Tools::locate`]; fails if they are absent.
pub fn validate_root(dir: &Path) -> Result<Report> {
    let tools = Tools::locate().map_err(anyhow::Error::msg)?;
    tools.validate(dir)
}

/// Validates `dir` and panics with Terraform's diagnostics unless it is formatted and valid
/// with zero errors and zero warnings. Skips as [`tools_or_skip`] does.
#[track_caller]
pub fn assert_valid(dir: &Path) {
    let Some(tools) = tools_or_skip(&format!("terraform validate of {}", dir.display())) else {
        return;
    };
    tools.assert_valid(dir, &dir.display().to_string());
}

/// A private copy of a root plus the environment that keeps the user's Terraform setup out.
struct Session<'a> {
    tools: &'a Tools,
    temp: tempfile::TempDir,
    root: PathBuf,
}

impl<'a> Session<'a> {
    fn new(tools: &'a Tools, dir: &Path) -> Result<Self> {
        if !dir.is_dir() {
            bail!("{} is not a directory", dir.display());
        }
        let temp = tempfile::Builder::new().prefix("tfvalidate-").tempdir()?;
        let root = temp.path().join("root");
        copy_root(dir, &root)?;
        // Terraform reads only this CLI config: no credentials, mirrors or caches of the user's.
        std::fs::write(temp.path().join("terraformrc"), "disable_checkpoint = true\n")?;
        Ok(Self { tools, temp, root })
    }

    fn terraform(&self, args: &[&str]) -> Result<Output> {
        let mut command = Command::new(&self.tools.terraform);
        for (key, _) in std::env::vars_os() {
            if key.to_str().is_some_and(|k| k.starts_with("TF_")) {
                command.env_remove(key);
            }
        }
        command
            .args(args)
            .current_dir(&self.root)
            .env("TF_CLI_CONFIG_FILE", self.temp.path().join("terraformrc"))
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("TF_DISABLE_PLUGIN_TLS", "1")
            .env(provider::SCHEMAS_DIR_ENV, &self.tools.schemas_dir)
            .env(provider::SOCKET_DIR_ENV, self.temp.path());
        command.output().with_context(|| format!("running {} {}", self.tools.terraform.display(), args.join(" ")))
    }

    /// Runs `terraform init`; false (with the failure in `report`) if it failed.
    fn init(&self, report: &mut Report) -> Result<bool> {
        let plugin_dir = format!("-plugin-dir={}", self.tools.plugin_dir.display());
        let init = self.terraform(&["init", "-backend=false", "-input=false", "-no-color", &plugin_dir])?;
        if !init.status.success() {
            report.push_failure("terraform init failed", &init);
            return Ok(false);
        }
        Ok(true)
    }
}

/// Copies a root and its subdirectories, leaving out Terraform's working state: a lock file
/// would pin the real providers' checksums, which the stand-ins cannot match.
fn copy_root(from: &Path, to: &Path) -> Result<()> {
    let walk = walkdir::WalkDir::new(from).into_iter().filter_entry(|e| {
        let name = e.file_name().to_string_lossy();
        e.depth() == 0 || (name != ".terraform" && name != ".terraform.lock.hcl")
    });
    for entry in walk {
        let entry = entry?;
        let target = to.join(entry.path().strip_prefix(from)?);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target)?;
        } else if entry.file_type().is_file() {
            std::fs::copy(entry.path(), &target).with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// What `terraform test` reported for one root.
#[derive(Debug, Clone, PartialEq)]
pub struct TestReport {
    /// Every run of every test file passed (exit status 0).
    pub passed: bool,
    /// Terraform's output: one line per file and run, then the failures with file and line.
    pub output: String,
    /// Wall time of `terraform test` alone (without `init`).
    pub seconds: f64,
}

impl TestReport {
    /// The runs that failed, as Terraform names them (`run "name"... fail`).
    pub fn failed_runs(&self) -> Vec<String> {
        self.output
            .lines()
            .filter_map(|line| line.trim().strip_prefix("run \"")?.strip_suffix("\"... fail").map(str::to_owned))
            .collect()
    }
}

impl fmt::Display for TestReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.output)
    }
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Makes the configuration invalid.
    Error,
    /// Valid but suspicious (deprecations, ...): the stack must have none either.
    Warning,
}

/// A position in a `.tf` file, relative to the validated root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Path relative to the root, such as `modules/aks/main.tf`.
    pub file: String,
    /// 1-based line.
    pub line: u64,
    /// 1-based column.
    pub column: u64,
}

/// One problem Terraform reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Terraform's one-line summary, such as `Unsupported argument`.
    pub summary: String,
    /// Terraform's explanation.
    pub detail: String,
    /// Where, when Terraform knows.
    pub location: Option<Location>,
    /// The offending source line(s), when Terraform quotes them.
    pub snippet: Option<String>,
}

/// Everything `fmt -check`, `init` and `validate` reported for one root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Files `terraform fmt` would rewrite, relative to the root.
    pub unformatted: Vec<String>,
    /// Diagnostics from `init` and `validate`.
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    /// Formatted, and no errors or warnings.
    pub fn is_clean(&self) -> bool {
        self.unformatted.is_empty() && self.diagnostics.is_empty()
    }

    /// The error diagnostics.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.severity == Severity::Error)
    }

    /// The warning diagnostics.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.severity == Severity::Warning)
    }

    fn push_failure(&mut self, summary: &str, output: &Output) {
        let mut detail = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        let stdout = String::from_utf8_lossy(&output.stdout);
        if detail.is_empty() {
            detail = stdout.trim().to_owned();
        }
        self.diagnostics.push(Diagnostic {
            severity: Severity::Error,
            summary: format!("{summary} (exit {:?})", output.status.code()),
            detail,
            location: None,
            snippet: None,
        });
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match &self.location {
            Some(at) => writeln!(f, "{severity}: {}:{}:{}: {}", at.file, at.line, at.column, self.summary)?,
            None => writeln!(f, "{severity}: {}", self.summary)?,
        }
        if let Some(snippet) = &self.snippet {
            for line in snippet.lines() {
                writeln!(f, "    | {line}")?;
            }
        }
        for line in self.detail.lines() {
            writeln!(f, "    {line}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for file in &self.unformatted {
            writeln!(f, "error: {file}: not formatted as `terraform fmt` would write it")?;
        }
        for diagnostic in &self.diagnostics {
            write!(f, "{diagnostic}")?;
        }
        if self.is_clean() {
            writeln!(f, "formatted and valid: 0 errors, 0 warnings")?;
        } else {
            writeln!(
                f,
                "{} unformatted file(s), {} error(s), {} warning(s)",
                self.unformatted.len(),
                self.errors().count(),
                self.warnings().count()
            )?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct ValidateJson {
    valid: bool,
    #[serde(default)]
    diagnostics: Vec<DiagnosticJson>,
}

#[derive(Deserialize)]
struct DiagnosticJson {
    severity: String,
    summary: String,
    #[serde(default)]
    detail: String,
    range: Option<RangeJson>,
    snippet: Option<SnippetJson>,
}

#[derive(Deserialize)]
struct RangeJson {
    filename: String,
    start: PosJson,
}

#[derive(Deserialize)]
struct PosJson {
    line: u64,
    column: u64,
}

#[derive(Deserialize)]
struct SnippetJson {
    code: String,
}

impl From<DiagnosticJson> for Diagnostic {
    fn from(d: DiagnosticJson) -> Self {
        Self {
            severity: if d.severity == "warning" { Severity::Warning } else { Severity::Error },
            summary: d.summary,
            detail: d.detail,
            location: d.range.map(|r| Location { file: r.filename, line: r.start.line, column: r.start.column }),
            snippet: d.snippet.map(|s| s.code),
        }
    }
}
