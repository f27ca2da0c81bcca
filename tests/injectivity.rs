//! Every user-given name that becomes an identifier keeps its own identifier: names that any
//! rewriting (punctuation to `_`, `@` to `apex`) would merge stay apart, and names that would be
//! one object in Azure are refused with both fields named (`tests/fixtures/bad/name_collisions.yaml`).

mod common;

use std::collections::BTreeMap;

use stackgen::generator::cli::parse_and_validate;
use stackgen::generator::generate;
use stackgen::generator::load::Format;

/// The default spec with these extra `(name, type)` records.
fn spec_with_records(records: &[(&str, &str)]) -> String {
    let default = std::fs::read_to_string(common::repo_root().join("examples/default.yaml")).expect("example");
    let mut extra = String::from("  subdomains:\n");
    for (name, kind) in records {
        let value = match *kind {
            "A" => "203.0.113.7",
            "TXT" => "v=spf1 -all",
            _ => "www.example.com",
        };
        extra.push_str(&format!("    - name: \"{name}\"\n      type: {kind}\n      records: [\"{value}\"]\n"));
    }
    default.replace("  hosted_zone_name: example.com\n", &format!("  hosted_zone_name: example.com\n{extra}"))
}

/// `module "dns"`'s `variable` input in the root: key → the record's `name` attribute.
fn record_map(main_tf: &str, variable: &str) -> BTreeMap<String, String> {
    let body: hcl::Body = hcl::from_str(main_tf).expect("root main.tf parses");
    let dns = body
        .blocks()
        .find(|b| b.identifier() == "module" && b.labels().first().map(|l| l.as_str()) == Some("dns"))
        .expect("module \"dns\"");
    let Some(hcl::Expression::Object(map)) =
        dns.body().attributes().find(|a| a.key() == variable).map(|a| a.expr().clone())
    else {
        return BTreeMap::new();
    };
    map.iter()
        .map(|(key, value)| {
            let key = match key {
                hcl::ObjectKey::Identifier(id) => id.to_string(),
                hcl::ObjectKey::Expression(hcl::Expression::String(s)) => s.clone(),
                other => panic!("unexpected key {other:?}"),
            };
            let hcl::Expression::Object(record) = value else { panic!("{key}: not an object") };
            let name = record
                .iter()
                .find(|(k, _)| matches!(k, hcl::ObjectKey::Identifier(id) if id.as_str() == "name"))
                .map(|(_, v)| match v {
                    hcl::Expression::String(s) => s.clone(),
                    other => panic!("{key}: name is {other:?}"),
                })
                .expect("name attribute");
            (key, name)
        })
        .collect()
}

#[test]
fn dns_record_names_that_a_rewrite_would_merge_keep_one_key_each() {
    // Pairs the old `.`/`-`/`*` → `_`, `@` → `apex` rewrite mapped to one key, and more.
    let names = ["api-eu", "api.eu", "api_eu", "@", "apex", "*", "_", "*.api", "x-y.z", "x.y-z"];
    let mut records: Vec<(&str, &str)> = names.iter().map(|n| (*n, "A")).collect();
    // Record sets of different types with one name go to different resources.
    records.extend([("api-eu", "TXT"), ("api.eu", "TXT"), ("mail", "CNAME")]);
    let text = spec_with_records(&records);
    let spec = parse_and_validate(&text, Format::Yaml).unwrap_or_else(|d| panic!("valid spec:\n{d}"));
    let generated = generate(&spec).expect("generates");
    let main = generated.files.get_str("terraform/main.tf").expect("root main.tf");

    let a = record_map(main, "a_records");
    assert_eq!(a.len(), names.len(), "one key per A record:\n{a:#?}");
    for (key, name) in &a {
        assert_eq!(key, name, "the key is the record name itself");
    }
    let txt = record_map(main, "txt_records");
    assert_eq!(txt.keys().map(String::as_str).collect::<Vec<_>>(), ["api-eu", "api.eu"]);
    assert_eq!(record_map(main, "cname_records").keys().map(String::as_str).collect::<Vec<_>>(), ["mail"]);

    // And Terraform accepts the quoted keys as for_each keys.
    let Some(tools) = tfvalidate::tools_or_skip("terraform validate of quoted record keys") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    common::write_tree(&generated, dir.path());
    tools.assert_valid(&dir.path().join("terraform"), "the record keys");
}

#[test]
fn names_that_would_be_one_object_are_refused_with_both_fields() {
    // (records, the refused field and rule, the other field the message must name)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: [Case; 3] = [
        (&[("www", "A"), ("www", "A")], "dns.subdomains[1].name [duplicate-record]", "dns.subdomains[0].name"),
        (&[("docs", "TXT"), ("docs", "CNAME")], "dns.subdomains[0].name [cname-exclusive]", "dns.subdomains[1].name"),
        (&[("app", "CNAME")], "dns.subdomains[0].name [app-record]", "app.host"),
    ];
    for (records, problem, other) in cases {
        let text = spec_with_records(records);
        let diagnostics = parse_and_validate(&text, Format::Yaml).expect_err("refused");
        let shown = diagnostics.to_string();
        let line = shown.lines().find(|l| l.contains(problem)).unwrap_or_else(|| panic!("{problem} in:\n{shown}"));
        assert!(line.contains(other), "{problem} names {other}: {line}");
    }
    let tags = std::fs::read_to_string(common::repo_root().join("examples/default.yaml"))
        .expect("example")
        .replace("    project: stackgen-demo\n", "    project: stackgen-demo\n    PROJECT: other\n");
    let shown = parse_and_validate(&tags, Format::Yaml).expect_err("refused").to_string();
    assert!(
        shown.contains("stack.tags.project [tag-case-clash]") && shown.contains("stack.tags.PROJECT"),
        "both tag keys named:\n{shown}"
    );
}
