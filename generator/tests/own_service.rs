//! A team's own service (`source.dockerfile` / `source.context`, the Flask fixture): its build
//! context gets a seeded `.dockerignore` at the context's root that keeps VCS data, Terraform's
//! working data and state out and everything the Dockerfile copies in.

mod common;

use stackgen_generator::{FileKind, generate};
use stackgen_modules::StackSpec;

fn flask_spec() -> StackSpec {
    let path = common::repo_root().join("tests/fixtures/flask/stackgen.yaml");
    serde_yaml::from_str(&std::fs::read_to_string(path).expect("fixture spec")).expect("spec")
}

/// Whether a `.dockerignore` pattern (the subset stackgen writes: `**/` prefixes, `*` inside one
/// name, a trailing `/` for folders) excludes `path`, relative to the context root.
fn excludes(pattern: &str, path: &str) -> bool {
    let pattern = pattern.trim_end_matches('/');
    let (anywhere, pattern) = pattern.strip_prefix("**/").map_or((false, pattern), |rest| (true, rest));
    let components: Vec<&str> = path.split('/').collect();
    let matches_name = |name: &str| glob(pattern.as_bytes(), name.as_bytes());
    if pattern.contains('/') {
        // Anchored multi-component patterns: a prefix of the path.
        return path == pattern || path.starts_with(&format!("{pattern}/"));
    }
    if anywhere {
        components.iter().any(|c| matches_name(c))
    } else {
        components.first().is_some_and(|c| matches_name(c))
    }
}

/// `*` matches any run of characters within one name.
fn glob(pattern: &[u8], name: &[u8]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => (0..=name.len()).any(|i| glob(rest, &name[i..])),
        Some((c, rest)) => name.split_first().is_some_and(|(n, name)| n == c && glob(rest, name)),
    }
}

fn patterns(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')).collect()
}

/// The sources of the Dockerfile's `COPY` lines (not `--from` stages).
fn copied(dockerfile: &str) -> Vec<String> {
    dockerfile
        .lines()
        .filter_map(|l| l.strip_prefix("COPY "))
        .filter(|l| !l.starts_with("--from"))
        .flat_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            words[..words.len() - 1].iter().map(|w| (*w).to_owned()).collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn the_flask_context_gets_a_seeded_dockerignore_that_keeps_what_the_dockerfile_copies() {
    let spec = flask_spec();
    let tree = generate(&spec).expect("generates").files;
    assert_eq!(tree.kind("app/.dockerignore"), Some(FileKind::Seeded), "at the root of source.context");
    assert_eq!(tree.get(".dockerignore"), None, "the repository root is not the context");
    let ignore = tree.get_str("app/.dockerignore").expect("ignore file");
    let patterns = patterns(ignore);
    for (path, why) in [
        (".git", "a submodule's git data"),
        ("infra/.terraform/providers/registry.terraform.io/azurerm", "provider binaries"),
        ("infra/terraform.tfstate", "state holds secrets"),
        ("terraform.tfstate.backup", "state backups too"),
        ("plan.tfplan", "plans embed state"),
        (".env", "credentials"),
    ] {
        assert!(patterns.iter().any(|p| excludes(p, path)), "{path} ({why}) is in the context:\n{ignore}");
    }
    let dockerfile =
        std::fs::read_to_string(common::repo_root().join("tests/fixtures/flask/app/Dockerfile")).expect("Dockerfile");
    let sources = copied(&dockerfile);
    assert_eq!(sources, ["requirements.txt", "app.py"]);
    for source in &sources {
        assert!(!patterns.iter().any(|p| excludes(p, source)), "{source} is copied but ignored:\n{ignore}");
    }
}

#[test]
fn a_root_context_also_leaves_out_the_generated_folders() {
    let mut spec = flask_spec();
    spec.source.dockerfile = Some("docker/Dockerfile".into());
    spec.source.context = ".".into();
    let tree = generate(&spec).expect("generates").files;
    assert_eq!(tree.kind(".dockerignore"), Some(FileKind::Seeded));
    let ignore = tree.get_str(".dockerignore").expect("ignore file");
    assert!(ignore.contains("docker/Dockerfile (.)"), "{ignore}");
    let patterns = patterns(ignore);
    for path in [".git/config", "terraform/main.tf", "charts/hello/values.yaml", ".github/workflows/delivery.yml"] {
        assert!(patterns.iter().any(|p| excludes(p, path)), "{path} is in the context:\n{ignore}");
    }
    for kept in ["app.py", "requirements.txt", "docker/Dockerfile", "src/main.py"] {
        assert!(!patterns.iter().any(|p| excludes(p, kept)), "{kept} must stay in the context:\n{ignore}");
    }
}
