//! A field that does not load gets a stand-in (the default spec's value) so the rest of the spec
//! is still judged, and rules that read such a field are skipped (`StackSpec::validate_available`
//! and its table of fields a rule compares). This holds that table to account without naming any
//! rule: in specs that are valid as written, each scalar is broken in turn (given a mapping where
//! a value belongs), and the only problems reported may be at that field. A rule that compares
//! fields and is missing from the table would fire on the stand-in next to the user's other
//! values, and fail here with the field broken and the rule that fired.

use std::path::Path;

use serde_json::Value;
use stackgen_generator::load::Format;
use stackgen_generator::parse_and_validate;

/// The example specs, and one whose values sit far from the default's (so a stand-in disagrees
/// with them): autoscaling bounds above the default count, a pinned version with its channel, a
/// zone of its own with records of every type.
fn valid_specs() -> Vec<(String, Value)> {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut specs = Vec::new();
    for name in ["default.yaml", "gateway.yaml", "push-mode.yaml", "traefik.yaml", "local-accounts.toml"] {
        let path = examples.join(name);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let document: Value = match Format::from_path(&path) {
            Format::Toml => toml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}")),
            _ => serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}")),
        };
        specs.push((name.to_owned(), document));
    }
    let far: Value = serde_yaml::from_str(
        r#"
stack: {name: far, location: swedencentral, resource_group: rg-far, tags: {team: far, tier: gold}}
aks:
  default_vm_size: Standard_D8s_v5
  default_node_pool_enable_autoscaling: true
  default_node_pool_node_count: 6
  default_node_pool_node_min_count: 5
  default_node_pool_node_max_count: 10
  kubernetes_version: "1.33"
  automatic_upgrade_channel: patch
acr: {name: farregistry}
github: {repo: far-org/far-app, branch: release}
dns:
  hosted_zone_name: far.example.net
  subdomains:
    - {name: api, type: A, records: [198.51.100.7]}
    - {name: docs, type: CNAME, records: [far.example.net]}
    - {name: "@", type: TXT, records: ["v=spf1 -all"]}
tls: {acme_email: ops@fabrikam.com}
app: {name: hello, host: www.far.example.net, path_prefix: /far}
delivery: {mode: push}
kubernetes_access: {namespace: far-apps}
"#,
    )
    .expect("the far spec parses");
    specs.push(("far (in this test)".to_owned(), far));
    specs
}

/// Every scalar of `value` with its field path as the diagnostics print it (`a.b[0].c`).
fn scalars(value: &Value, path: &str, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let inner_path = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                scalars(inner, &inner_path, found);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                scalars(item, &format!("{path}[{index}]"), found);
            }
        }
        _ => found.push(path.to_owned()),
    }
}

fn at_mut<'v>(document: &'v mut Value, path: &str) -> &'v mut Value {
    let mut value = document;
    for part in path.split('.') {
        let (key, indexes) = part.split_once('[').map_or((part, ""), |(key, rest)| (key, rest));
        value = &mut value[key];
        for index in indexes.split('[').filter(|i| !i.is_empty()) {
            value = &mut value[index.trim_end_matches(']').parse::<usize>().expect("an index")];
        }
    }
    value
}

/// True when `reported` is `broken`, inside it or around it (a type error may be reported at the
/// enclosing field, such as a list whose item broke).
fn related(reported: &str, broken: &str) -> bool {
    let within = |inner: &str, outer: &str| {
        inner == outer || inner.strip_prefix(outer).is_some_and(|rest| rest.starts_with(['.', '[']))
    };
    within(reported, broken) || within(broken, reported)
}

#[test]
fn a_broken_field_of_a_valid_spec_is_the_only_problem_reported() {
    let mut checked = 0;
    let (mut wrong, mut accepted) = (Vec::new(), Vec::new());
    for (name, document) in valid_specs() {
        let text = serde_yaml::to_string(&document).expect("YAML");
        parse_and_validate(&text, Format::Yaml).unwrap_or_else(|d| panic!("{name} must be valid as written: {d:?}"));
        let mut paths = Vec::new();
        scalars(&document, "", &mut paths);
        for path in paths {
            let mut broken = document.clone();
            *at_mut(&mut broken, &path) = serde_json::json!({"broken": true});
            let text = serde_yaml::to_string(&broken).expect("YAML");
            let Err(diagnostics) = parse_and_validate(&text, Format::Yaml) else {
                accepted.push(format!("{name}: {path}"));
                continue;
            };
            checked += 1;
            for diagnostic in diagnostics.iter() {
                let reported = diagnostic.path.to_string();
                if !related(&reported, &path) {
                    wrong.push(format!(
                        "{name}: {path} broken, yet {reported} [{}]: {}",
                        diagnostic.rule, diagnostic.message
                    ));
                }
            }
        }
    }
    // Every scalar of the spec is typed: a mapping is never a valid value for one.
    assert!(accepted.is_empty(), "a mapping was accepted for a scalar:\n{}", accepted.join("\n"));
    assert!(checked > 120, "only {checked} broken fields were judged");
    assert!(wrong.is_empty(), "a stand-in made a rule fire:\n{}", wrong.join("\n"));
}
