//! checkov's Dockerfile checks on the generated image recipe of every example: zero failures
//! (CKV_DOCKER_2 wants a HEALTHCHECK, which the distroless image gets from the binary itself).

mod common;

use std::process::Command;

#[test]
fn generated_dockerfile_has_no_checkov_failures() {
    let Some(checkov) = common::installed_tool("checkov/bin/checkov") else { return };
    for (name, path) in common::example_specs() {
        let generated = common::generate_file(&path);
        let Some(dockerfile) = generated.files.get_str("Dockerfile") else { continue };
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("Dockerfile"), dockerfile).expect("write");
        let output = Command::new(&checkov)
            .args([
                "-f",
                "Dockerfile",
                "--framework",
                "dockerfile",
                "--skip-download",
                "--skip-results-upload",
                "-o",
                "json",
            ])
            .current_dir(dir.path())
            .env("CKV_SKIP_PACKAGE_UPDATE_CHECK", "true")
            .output()
            .expect("checkov runs");
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!("{name}: checkov printed no JSON ({e}): {}", String::from_utf8_lossy(&output.stderr))
        });
        let results = &report["results"];
        let failures: Vec<String> = results["failed_checks"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|c| format!("{} {}", c["check_id"], c["check_name"]))
            .collect();
        assert!(failures.is_empty(), "{name}: checkov failures:\n{}", failures.join("\n"));
        assert!(results["skipped_checks"].as_array().is_none_or(Vec::is_empty), "{name}: skips: {results}");
        let passed = results["passed_checks"].as_array().map_or(0, Vec::len);
        assert!(passed >= 10, "{name}: only {passed} checks passed; did checkov read the Dockerfile?");
    }
}
