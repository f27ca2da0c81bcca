//! The real `terraform init` + `terraform validate` (and `fmt -check`) on every example's generated
//! root, offline, through schema-only stand-in providers (tools/tfvalidate). Zero errors and zero
//! warnings; Terraform's own diagnostics with file and line when it fails.

mod common;

#[path = "../examples/custom_stack.rs"]
#[allow(dead_code)]
mod custom_stack;

#[test]
fn every_generated_example_passes_terraform_validate() {
    let Some(tools) = tfvalidate::tools_or_skip("terraform validate of the generated examples") else { return };
    for (name, path) in common::example_specs() {
        let generated = common::generate_file(&path);
        let dir = tempfile::tempdir().expect("tempdir");
        common::write_tree(&generated, dir.path());
        let root = dir.path().join("terraform");
        tools.assert_valid(&root, &format!("the {name} stack"));
    }
}

#[test]
fn the_custom_stack_example_passes_terraform_validate() {
    let Some(tools) = tfvalidate::tools_or_skip("terraform validate of the custom stack") else { return };
    let generated = custom_stack::custom_stack().expect("custom stack generates");
    let dir = tempfile::tempdir().expect("tempdir");
    common::write_tree(&generated, dir.path());
    tools.assert_valid(&dir.path().join("terraform"), "the custom stack");
}
