//! The workload's container image recipe: the starter service's own Dockerfile (stackgen's
//! `service/Dockerfile`, copied into this crate by `scripts/sync-starter` and checked equal by a
//! test), and the `.dockerignore` for its build context, the repository root. A spec with its
//! own `source.dockerfile` gets no Dockerfile, and a seeded `.dockerignore` at the root of its
//! `source.context` instead.

use stackgen_modules::StackSpec;

use crate::file_tree::FileTree;
use crate::generated::GenerateError;
use crate::hclfmt::GENERATED_HEADER;

/// `service/Dockerfile` of stackgen's repository, byte for byte.
pub const SERVICE_DOCKERFILE: &str = include_str!("../assets/Dockerfile");

/// The ignore file's path: the root, since the build context is the repository root. (The legacy
/// builder only reads a root `.dockerignore`, BuildKit also `<Dockerfile>.dockerignore`; a root
/// file serves both.)
pub const DOCKERIGNORE_PATH: &str = ".dockerignore";

/// What no image build needs, whatever the service: VCS data, Terraform's working data and state
/// (secrets in clear text), saved plans and env files (credentials). Patterns are relative to
/// the context root; `**/` reaches any depth.
const ANY_CONTEXT_IGNORE: &str = "\
**/.git
**/.terraform/
**/*.tfstate
**/*.tfstate.*
**/*.tfplan
**/crash.log
**/.env
";

/// With the repository root as context, the generated folders and files the image never needs.
const ROOT_CONTEXT_IGNORE: &str = "\
.github/
.stackgen/
terraform/
charts/
argocd/
stackgen.yaml
stackgen.schema.json
stackgen-check.txt
generated.diff
";

/// What the starter's image build does not need from the repository root. Cargo needs the
/// workspace manifests, the lock file and the crates' sources; everything else is left out,
/// above all Terraform's state (secrets) and working data (hundreds of MB of providers) and the
/// git history (a `fetch-depth: 0` checkout). Crates you add to the workspace are included unless
/// they sit in one of these folders.
pub fn dockerignore() -> String {
    format!("{ANY_CONTEXT_IGNORE}{ROOT_CONTEXT_IGNORE}**/target/\nREADME.md\n")
}

/// The `.dockerignore` of a team's own Dockerfile: at the root of `source.context`, where both
/// the legacy builder and BuildKit read it (BuildKit prefers a `<Dockerfile>.dockerignore` the
/// team may already have).
pub fn own_dockerignore_path(context: &str) -> String {
    if context == "." { DOCKERIGNORE_PATH.to_owned() } else { format!("{context}/{DOCKERIGNORE_PATH}") }
}

/// The seeded `.dockerignore` for a team's own Dockerfile and its context.
pub fn own_dockerignore(dockerfile: &str, context: &str) -> String {
    let mut text = format!(
        "# Build context of {dockerfile} ({context}): what the image build does not need. stackgen\n\
         # seeded this file once; it is yours (regeneration never overwrites it). Remove a line if\n\
         # your Dockerfile copies what it names.\n{ANY_CONTEXT_IGNORE}"
    );
    if context == "." {
        text.push_str(ROOT_CONTEXT_IGNORE);
    }
    text
}

/// The Dockerfile for the starter service's package `package` (see [`crate::starter::package`]),
/// with the generated-file header. Parser directives (`# syntax=…`) only count before any other
/// line, so the header goes right after them.
pub fn dockerfile(package: &str) -> String {
    let directives: usize = SERVICE_DOCKERFILE
        .lines()
        .take_while(|line| {
            line.starts_with("# syntax=") || line.starts_with("# escape=") || line.starts_with("# check=")
        })
        .map(|line| line.len() + 1)
        .sum();
    let (head, tail) = SERVICE_DOCKERFILE.split_at(directives);
    format!("{head}# {GENERATED_HEADER}\n{}", crate::starter::rename(tail, package))
}

/// The Dockerfile's path in the output.
pub const DOCKERFILE_PATH: &str = "Dockerfile";

/// `Dockerfile` and `.dockerignore` for the starter service; for a spec with its own
/// `source.dockerfile`, a seeded `.dockerignore` at the root of its context.
///
/// # Errors
/// Never in practice; the paths are fixed.
pub fn render(spec: &StackSpec) -> Result<FileTree, GenerateError> {
    let mut files = FileTree::new();
    if spec.source.is_starter() {
        files.insert(DOCKERFILE_PATH, dockerfile(crate::starter::package(spec)).into_bytes())?;
        files.insert(DOCKERIGNORE_PATH, crate::hclfmt::with_header("#", &dockerignore()))?;
    } else if let Some(dockerfile) = &spec.source.dockerfile {
        let context = &spec.source.context;
        files.insert_seeded(&own_dockerignore_path(context), own_dockerignore(dockerfile, context))?;
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_follows_the_parser_directives_and_the_rest_is_the_service_dockerfile() {
        let text = dockerfile(crate::starter::OWN_PACKAGE);
        let mut lines = text.lines();
        if SERVICE_DOCKERFILE.starts_with("# syntax=") {
            assert_eq!(lines.next(), SERVICE_DOCKERFILE.lines().next());
        }
        assert_eq!(lines.next().map(|l| l.starts_with("# Generated by stackgen.")), Some(true));
        assert_eq!(text.replace(&format!("# {GENERATED_HEADER}\n"), ""), SERVICE_DOCKERFILE);
    }
}
