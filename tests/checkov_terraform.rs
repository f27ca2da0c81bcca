//! checkov's Terraform checks on every generated stack: zero failures, and every skip is written
//! into the resource it relaxes, with its reason.

mod common;

use std::process::Command;

#[test]
fn generated_terraform_has_no_checkov_failures_and_every_skip_has_a_reason() {
    let Some(checkov) = common::installed_tool("checkov/bin/checkov") else { return };
    for (name, path) in common::example_specs() {
        let generated = common::generate_file(&path);
        let dir = tempfile::tempdir().expect("tempdir");
        common::write_tree(&generated, dir.path());
        let output = Command::new(&checkov)
            .args([
                "-d",
                "terraform",
                "--framework",
                "terraform",
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
        let failed = results["failed_checks"].as_array().cloned().unwrap_or_default();
        let failures: Vec<String> =
            failed.iter().map(|c| format!("{} {} ({})", c["check_id"], c["resource"], c["file_path"])).collect();
        assert!(failures.is_empty(), "{name}: checkov failures:\n{}", failures.join("\n"));
        let passed = results["passed_checks"].as_array().map_or(0, Vec::len);
        assert!(passed >= 10, "{name}: only {passed} checks passed; did checkov read the tree?");
        for skipped in results["skipped_checks"].as_array().cloned().unwrap_or_default() {
            let reason = skipped["check_result"]["suppress_comment"].as_str().unwrap_or_default();
            assert!(reason.len() > 20, "{name}: {} is skipped without a real reason: {reason:?}", skipped["check_id"]);
        }
    }
}
