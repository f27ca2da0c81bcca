//! Rule parity: each rule has one definition yielding the Rust check and the HCL condition of the
//! generated `validation` block. This feeds every rule's boundary values through both — the Rust
//! check, and the real Terraform evaluating the HCL condition (`terraform console`, offline, no
//! providers) — and requires the same verdict for every value.

mod common;

use hcl::{Block, Body, Expression};
use stackgen::modules::aks::{self, VersionChannel};
use stackgen::modules::hcl_util::string;
use stackgen::modules::ingress;
use stackgen::modules::rules::{self, Rule};

/// One case: a label, the Rust verdict and the HCL condition over literal values.
struct Case {
    label: String,
    rust: bool,
    hcl: Expression,
}

fn boundary_values(rule: &Rule) -> Vec<String> {
    let mut values: Vec<String> = [
        "",
        " ",
        "a",
        "ab",
        "abc",
        "a-",
        "-a",
        "a.",
        "A",
        "1.2",
        "1.33",
        "1.33.2",
        "01.2.3",
        "1.2.3",
        "4.13.3-rc.1",
        "1.2.3+build.7",
        "1.2.3-",
        "rg-demo",
        "rg-demo.",
        "rg(demo)_1",
        "rg demo",
        "westeurope",
        "West Europe",
        "shoptfstate",
        "ab",
        "Bad_Name",
        "example.com",
        "example.c0m",
        "app.example.com.",
        "-bad.com",
        "a..b",
        "00000000-0000-0000-0000-000000000000",
        "0F0E0D0C-0B0A-4000-8000-00000000000Z",
        "203.0.113.0/24",
        "203.0.113.0/32",
        "203.0.113.0/33",
        "256.0.0.0/8",
        "01.2.3.4/8",
        "ops@contoso.com",
        "ops@contoso",
        "a\tb@contoso.com",
        "a@b@contoso.com",
        "shopacr01",
        "shop-acr",
        "v1.2.3",
        "v1.21.1",
        "v1.2.3-rc.1",
        "v01.2.3",
        "v1.2",
        "repo:contoso/shop:ref:refs/heads/main",
        "repo:contoso/shop:ref:refs/heads/feature/*",
        "repo:contoso/shop:environment:prod",
        "repo:contoso/shop:pull_request",
        "/subscriptions/0/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acr1",
        "/subscriptions/0/resourceGroups/rg/providers/microsoft.containerregistry/registries/acr1",
        "/subscriptions/0/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acr1/x",
        "0.0.0.0/0",
        "ingress-nginx",
        "app",
        "App",
        "demo-aks",
        "x\u{e9}",
        "\t",
        "$${x}",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for n in [22, 23, 24, 25, 52, 53, 54, 55, 61, 62, 63, 64, 89, 90, 91] {
        values.push("a".repeat(n));
        values.push(format!("{}.", "a".repeat(n - 1)));
    }
    values.push(format!("{}.com", vec!["a".repeat(63); 3].join(".")));
    values.push(format!("{}.com", vec!["a".repeat(63); 4].join(".")));
    values.push(format!("{}.com", vec!["a".repeat(62); 4].join(".")));
    let _ = rule;
    values
}

/// Every rule a generated `validation` block can come from, each fed through both sides below.
fn parity_rules() -> Vec<Rule> {
    let mut rules = rules::all();
    rules.extend([aks::CLUSTER_NAME, aks::KUBERNETES_VERSION, Rule::dns_label(3, 40)]);
    rules
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for rule in &parity_rules() {
        for value in boundary_values(rule) {
            cases.push(Case {
                label: format!("{} {value:?}", rule.id),
                rust: rule.check(&value),
                hcl: rule.hcl_condition(string(value.clone())),
            });
        }
    }
    for (name, range) in [
        ("node count", aks::NODE_COUNT),
        ("max pods", aks::MAX_PODS),
        ("os disk", aks::OS_DISK_SIZE_GB),
        ("ingress replicas", ingress::REPLICAS),
    ] {
        for value in [range.min - 1, range.min, range.min + 1, range.max - 1, range.max, range.max + 1, 0, -1] {
            cases.push(Case {
                label: format!("{name} {value}"),
                rust: range.check(value),
                hcl: range.hcl_condition(Expression::from(value)),
            });
        }
    }
    for (name, one_of) in [
        ("sku tier", aks::SKU_TIERS),
        ("upgrade channel", aks::UPGRADE_CHANNELS),
        ("network policy", aks::NETWORK_POLICIES),
    ] {
        let mut values: Vec<String> = one_of.0.iter().map(|v| (*v).to_owned()).collect();
        values.extend(one_of.0.iter().map(|v| v.to_uppercase()));
        values.extend(["".to_owned(), "none".to_owned()]);
        for value in values {
            cases.push(Case {
                label: format!("{name} {value:?}"),
                rust: one_of.check(&value),
                hcl: one_of.hcl_condition(string(value.clone())),
            });
        }
    }
    for version in [None, Some("1.33")] {
        for channel in aks::UPGRADE_CHANNELS.0 {
            cases.push(Case {
                label: format!("version-channel {version:?} {channel}"),
                rust: VersionChannel::check(version, channel),
                hcl: VersionChannel::hcl_condition(version.map_or(Expression::Null, string), string(*channel)),
            });
        }
    }
    cases
}

#[test]
fn every_rule_gives_the_same_verdict_in_rust_and_in_terraform() {
    let Some(terraform) = common::terraform() else { return };
    let cases = cases();
    let mut locals = Block::builder("locals");
    let mut verdicts = hcl::Object::new();
    for (i, case) in cases.iter().enumerate() {
        verdicts.insert(hcl::ObjectKey::from(format!("c{i}")), case.hcl.clone());
    }
    locals = locals.add_attribute(("verdicts", Expression::Object(verdicts)));
    let body = Body::builder().add_block(locals.build()).build();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("main.tf"), hcl::to_string(&body).expect("HCL")).expect("write");

    let mut child = std::process::Command::new(terraform)
        .arg("console")
        .current_dir(dir.path())
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", dir.path().join("none.tfrc"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("terraform console starts");
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(b"jsonencode(local.verdicts)\n").expect("write");
    }
    let output = child.wait_with_output().expect("terraform console runs");
    let (stdout, stderr) = common::text(&output);
    assert!(output.status.success(), "terraform console failed:\n{stdout}\n{stderr}");
    let json: String = serde_json::from_str(stdout.trim()).expect("console prints the JSON as a string");
    let verdicts: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&json).expect("JSON object");

    let mismatches: Vec<String> = cases
        .iter()
        .enumerate()
        .filter_map(|(i, case)| {
            let hcl = verdicts.get(&format!("c{i}")).and_then(serde_json::Value::as_bool);
            (hcl != Some(case.rust)).then(|| format!("{}: Rust {} / Terraform {hcl:?}", case.label, case.rust))
        })
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} of {} verdicts differ:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches.join("\n")
    );
    let accepted = cases.iter().filter(|c| c.rust).count();
    assert!(
        accepted > 50 && accepted < cases.len() - 50,
        "boundary values on both sides: {accepted} of {}",
        cases.len()
    );
}

/// A pattern written straight into a `validation` block, beside the rules, escapes the parity
/// check above (a zone name once had its own regex that refused `example.c`, which
/// `stackgen validate` accepts). So every `regex("…")` in every example's generated variables
/// must be the pattern of a rule that check covers.
#[test]
fn every_generated_regex_comes_from_a_rule_the_parity_check_covers() {
    let known: std::collections::BTreeSet<String> = parity_rules()
        .iter()
        .flat_map(|rule| {
            let length = rule.max_chars.map(|max| format!("(?s)^.{{0,{max}}}$"));
            std::iter::once(rule.pattern.to_string()).chain(length)
        })
        .collect();
    let mut strays = Vec::new();
    let mut seen = 0;
    for (name, spec) in common::example_specs() {
        let generated = common::generate_file(&spec);
        for (path, bytes) in generated.files.iter() {
            let path = path.as_str();
            if !path.ends_with("variables.tf") {
                continue;
            }
            let text = std::str::from_utf8(bytes).expect("variables.tf is UTF-8");
            for pattern in regex_literals(text) {
                seen += 1;
                if !known.contains(&pattern) {
                    strays.push(format!("{name}: {path}: {pattern}"));
                }
            }
        }
    }
    assert!(seen > 0, "no regex validations found: the scan is broken");
    assert!(strays.is_empty(), "validation patterns no rule defines:\n{}", strays.join("\n"));
}

/// The first argument of every `regex("…")` call in `text`, with HCL's string escapes undone.
fn regex_literals(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices("regex(\"") {
        let mut pattern = String::new();
        let mut chars = text[at + "regex(\"".len()..].chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => pattern.extend(chars.next().map(|escaped| match escaped {
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    other => other,
                })),
                other => pattern.push(other),
            }
        }
        found.push(pattern);
    }
    found
}
