//! `terraform fmt -check -recursive` reports nothing on every generated tree.

mod common;

use std::process::Command;

#[test]
fn generated_terraform_is_fmt_clean() {
    let Some(terraform) = common::terraform() else { return };
    for (name, path) in common::example_specs() {
        let generated = common::generate_file(&path);
        let dir = tempfile::tempdir().expect("tempdir");
        common::write_tree(&generated, dir.path());
        let output = Command::new(&terraform)
            .args(["fmt", "-check", "-recursive", "-diff", "terraform"])
            .current_dir(dir.path())
            .env("CHECKPOINT_DISABLE", "1")
            .output()
            .expect("terraform runs");
        assert!(
            output.status.success(),
            "terraform fmt would change the {name} stack:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
