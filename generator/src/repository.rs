//! Files that make the output folder a repository that works on its first push: the
//! `.gitignore` (so `git add --all` after `terraform apply` stages neither provider binaries nor
//! state) and the spec's JSON Schema, which the spec's `# yaml-language-server: $schema=` line
//! points at.

use stackgen_modules::StackSpec;

use crate::file_tree::FileTree;
use crate::generated::GenerateError;

/// The `.gitignore`'s path in the output.
pub const GITIGNORE_PATH: &str = ".gitignore";

/// The schema's path in the output, next to the spec.
pub const SCHEMA_PATH: &str = "stackgen.schema.json";

/// What must never be committed: Terraform's working data (provider binaries far over GitHub's
/// 100 MB limit), state and its backups (secrets in clear text: with local accounts, the
/// cluster's client key), crash logs and saved plans (they embed state values), and build output.
/// `.terraform.lock.hcl` is not ignored: it pins the providers' checksums and belongs in git.
pub const GITIGNORE: &str = "\
# Terraform working data: provider binaries and module copies, re-created by `terraform init`.
# The dependency lock file, terraform/.terraform.lock.hcl, is committed on purpose.
**/.terraform/*
# State and its backups hold every secret Terraform knows, in clear text. With the local
# backend it lives in terraform/terraform.tfstate on your machine only: keep it safe, never
# commit it, or move it to a remote backend (stack.backend in the spec).
*.tfstate
*.tfstate.*
# Crash logs and saved plans (a plan file embeds state values).
crash.log
crash.*.log
*.tfplan
*.plan
tfplan
# Credentials Terraform and its CLI configuration may write.
.terraformrc
terraform.rc
# Build output of the Cargo workspace.
target/
# An interrupted `stackgen generate` (the next run finishes or undoes it); the manifest is committed.
.stackgen/journal.json
.stackgen/staging/
# Scratch files of the pull-request gate.
stackgen-check.txt
generated.diff
";

/// The spec's JSON Schema, pretty-printed, as `stackgen schema` prints it.
pub fn schema_json() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| serde_json::to_string_pretty(crate::json_schema::of::<StackSpec>()).unwrap_or_default())
}

/// `.gitignore` and `stackgen.schema.json`.
///
/// # Errors
/// Never in practice; the paths are fixed.
pub fn render(_spec: &StackSpec) -> Result<FileTree, GenerateError> {
    let mut files = FileTree::new();
    files.insert(GITIGNORE_PATH, crate::hclfmt::with_header("#", GITIGNORE))?;
    files.insert(SCHEMA_PATH, format!("{}\n", schema_json()))?;
    Ok(files)
}
