//! The generic spec loader: one small spec type, loaded from YAML, TOML and JSON, and every kind
//! of mistake a spec author makes, checked down to path, rule, `line:column` and wording.

use std::collections::BTreeMap;
use std::path::Path;

use pretty_assertions::assert_eq;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stackgen_generator::load::{Format, Loaded, SpanIndex, load_str, locate_all};
use stackgen_modules::diagnostics::{Diagnostics, FieldPath, Location};

/// Shaped like a stack spec: nested structs, a list of structs holding a list, a unit enum, a
/// struct-variant enum, a map and an option.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Spec {
    name: String,
    size: Size,
    source: Source,
    pool: Pool,
    routes: Vec<Route>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    backup: Option<Backup>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum Size {
    Small,
    Medium,
    Large,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum Source {
    Public,
    Registry { server: String },
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Pool {
    vm_size: String,
    node_count: u32,
    autoscale: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Route {
    host: String,
    targets: Vec<Target>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Target {
    port: u16,
    weight: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Backup {
    schedule: String,
    keep_days: u16,
}

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/load").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn reference_spec() -> Spec {
    Spec {
        name: "demo".into(),
        size: Size::Medium,
        source: Source::Registry { server: "acr.example.io".into() },
        pool: Pool { vm_size: "Standard_D2s_v5".into(), node_count: 2, autoscale: true },
        routes: vec![
            Route {
                host: "api.example.com".into(),
                targets: vec![Target { port: 8080, weight: Some(3) }, Target { port: 8081, weight: None }],
            },
            Route { host: "www.example.com".into(), targets: vec![Target { port: 80, weight: None }] },
        ],
        labels: BTreeMap::from([("env".into(), "dev".into()), ("team".into(), "platform".into())]),
        backup: Some(Backup { schedule: "0 3 * * *".into(), keep_days: 7 }),
    }
}

#[track_caller]
fn load_ok(text: &str, format: Format) -> Loaded<Spec> {
    match load_str::<Spec>(text, format) {
        Ok(loaded) => loaded,
        Err(diagnostics) => panic!("expected {} to load, got:\n{diagnostics}", format.name()),
    }
}

/// The diagnostics as the CLI prints them: `line:col: path [rule]: message`.
#[track_caller]
fn errors(text: &str, format: Format) -> Vec<String> {
    match load_str::<Spec>(text, format) {
        Ok(loaded) => panic!("expected {} errors, loaded {:?}", format.name(), loaded.value),
        Err(diagnostics) => diagnostics.iter().map(ToString::to_string).collect(),
    }
}

fn path(text: &str) -> FieldPath {
    // Test-only parser for `a.b[1].c`.
    let mut path = FieldPath::root();
    for part in text.split('.') {
        let (key, indexes) = part.split_once('[').map_or((part, ""), |(k, rest)| (k, rest));
        path = path.key(key);
        for index in indexes.split('[').filter(|s| !s.is_empty()) {
            path = path.index(index.trim_end_matches(']').parse().expect("an index"));
        }
    }
    path
}

fn at(line: usize, column: usize) -> Option<Location> {
    Some(Location { line, column })
}

/// A Spec in YAML with the given lines replacing the reference's `pool` block (the most common
/// place to break things), so each case shows only what it breaks.
fn yaml_with_pool(pool: &str) -> String {
    format!("name: demo\nsize: small\nsource: public\npool:\n{pool}routes: []\n")
}

#[test]
fn the_same_spec_loads_to_the_same_value_in_yaml_toml_and_json() {
    for (file, format) in [("spec.yaml", Format::Yaml), ("spec.toml", Format::Toml), ("spec.json", Format::Json)] {
        let loaded = load_ok(&fixture(file), format);
        assert_eq!(loaded.value, reference_spec(), "{file}");
    }
}

#[test]
fn format_follows_the_extension_and_defaults_to_yaml() {
    for (name, format) in [
        ("stack.yaml", Format::Yaml),
        ("stack.yml", Format::Yaml),
        ("stack.toml", Format::Toml),
        ("STACK.TOML", Format::Toml),
        ("stack.json", Format::Json),
        ("stack", Format::Yaml),
        ("stack.txt", Format::Yaml),
    ] {
        assert_eq!(Format::from_path(Path::new(name)), format, "{name}");
    }
}

#[test]
fn sequence_items_and_their_fields_are_located_in_every_format() {
    // routes[1] is the second route; its first target sits in a nested list.
    let cases = [
        ("spec.yaml", Format::Yaml, [at(17, 5), at(17, 5), at(19, 9), at(7, 1), at(2, 1)]),
        ("spec.toml", Format::Toml, [at(17, 1), at(17, 1), at(20, 1), at(7, 2), at(2, 1)]),
        ("spec.json", Format::Json, [at(15, 5), at(16, 7), at(17, 21), at(5, 3), at(1, 1)]),
    ];
    for (file, format, expected) in cases {
        let spans = load_ok(&fixture(file), format).spans;
        let found = [
            spans.locate(&path("routes[1]")),
            spans.locate(&path("routes[1].host")),
            spans.locate(&path("routes[1].targets[0].port")),
            spans.locate(&path("pool")),
            spans.locate(&FieldPath::root()),
        ];
        assert_eq!(found, expected, "{file}");
        assert_eq!(spans.locate(&path("routes[2]")), None, "{file}: no third route");
    }
}

#[test]
fn a_field_the_file_does_not_spell_out_is_located_at_its_nearest_ancestor() {
    let spans = load_ok(&fixture("spec.yaml"), Format::Yaml).spans;
    assert_eq!(spans.locate(&path("routes[0].targets[1].weight")), None);
    assert_eq!(spans.locate_nearest(&path("routes[0].targets[1].weight")), at(16, 9));
    assert_eq!(SpanIndex::new().locate_nearest(&path("pool")), None);
}

#[test]
fn locate_all_fills_validation_diagnostics_and_keeps_known_locations() {
    let spans = load_ok(&fixture("spec.yaml"), Format::Yaml).spans;
    let mut diagnostics = Diagnostics::new();
    diagnostics.check_range(path("pool.node_count"), 2u32, 3, 10);
    diagnostics.push(path("routes[1].targets[0].weight"), "required", "set a weight");
    diagnostics.push_diagnostic(stackgen_modules::diagnostics::Diagnostic {
        path: path("name"),
        rule: "name",
        message: "already placed".into(),
        location: at(99, 1),
    });
    locate_all(&mut diagnostics, &spans);
    let located: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
    assert_eq!(
        located,
        [
            "9:3: pool.node_count [range]: must be between 3 and 10, got 2",
            "19:9: routes[1].targets[0].weight [required]: set a weight",
            "99:1: name [name]: already placed",
        ]
    );
}

#[test]
fn unknown_fields_at_every_depth_are_all_reported_with_suggestions() {
    let yaml = "\
name: demo
sise: small
source:
  registry:
    sever: acr.example.io
    server: acr.example.io
pool:
  vm_sise: Standard_D2s_v5
  vm_size: Standard_D2s_v5
  node_count: 2
  autoscale: true
routes:
  - host: a.example.com
    targets: []
  - host: b.example.com
    targets:
      - port: 80
        wieght: 2
color_scheme: dark
";
    assert_eq!(
        errors(yaml, Format::Yaml),
        [
            "1:1: size [missing-field]: required field is missing",
            "2:1: sise [unknown-field]: unknown field `sise`; did you mean `size`?",
            "5:5: source.registry.sever [unknown-field]: unknown field `sever`; did you mean `server`?",
            "8:3: pool.vm_sise [unknown-field]: unknown field `vm_sise`; did you mean `vm_size`?",
            "18:9: routes[1].targets[0].wieght [unknown-field]: unknown field `wieght`; did you mean `weight`?",
            "19:1: color_scheme [unknown-field]: unknown field `color_scheme`; expected one of `name`, `size`, `source`, `pool`, `routes`, `labels`, `backup`",
        ]
    );
}

#[test]
fn unknown_fields_after_a_type_error_are_still_reported() {
    // serde stops at `name`; the keys it never reached are checked against the schema.
    let yaml = "\
name: [1, 2]
size: small
source: public
pool:
  vm_size: Standard_D2s_v5
  node_count: 2
  autoscale: true
  spot: true
routes:
  - host: a.example.com
    targets: [{port: 80, wieght: 1}]
";
    assert_eq!(
        errors(yaml, Format::Yaml),
        [
            "1:1: name [type]: expected a string, got a list",
            "8:3: pool.spot [unknown-field]: unknown field `spot`; expected one of `vm_size`, `node_count`, `autoscale`",
            "11:26: routes[0].targets[0].wieght [unknown-field]: unknown field `wieght`; did you mean `weight`?",
        ]
    );
}

#[test]
fn type_errors_name_the_field_and_the_value_in_every_format() {
    let cases = [
        (
            Format::Yaml,
            yaml_with_pool("  vm_size: x\n  node_count: two\n  autoscale: true\n"),
            "6:3: pool.node_count [type]: expected an integer, got the string \"two\"",
        ),
        (
            Format::Toml,
            "name = \"demo\"\nsize = \"small\"\nsource = \"public\"\nroutes = []\n\n[pool]\nvm_size = \"x\"\nnode_count = \"two\"\nautoscale = true\n".to_owned(),
            "8:1: pool.node_count [type]: expected an integer, got the string \"two\"",
        ),
        (
            Format::Json,
            "{\"name\": \"demo\", \"size\": \"small\", \"source\": \"public\", \"routes\": [],\n \"pool\": {\"vm_size\": \"x\", \"node_count\": \"two\", \"autoscale\": true}}".to_owned(),
            "2:27: pool.node_count [type]: expected an integer, got the string \"two\"",
        ),
    ];
    for (format, text, expected) in cases {
        assert_eq!(errors(&text, format), [expected], "{}", format.name());
    }
}

#[test]
fn wrong_kinds_of_value_read_in_spec_words() {
    let cases = [
        (
            "  vm_size: x\n  node_count: 2\n  autoscale: maybe\n",
            "7:3: pool.autoscale [type]: expected true or false, got the string \"maybe\"",
        ),
        (
            "  vm_size: x\n  node_count: -2\n  autoscale: true\n",
            "6:3: pool.node_count [type]: expected an integer from 0 to 4294967295, got -2",
        ),
        (
            "  vm_size: x\n  node_count: 2.5\n  autoscale: true\n",
            "6:3: pool.node_count [type]: expected an integer, got 2.5",
        ),
        (
            "  vm_size:\n  node_count: 2\n  autoscale: true\n",
            "5:3: pool.vm_size [type]: expected a string, got nothing (null)",
        ),
        ("  - vm_size\n", "4:1: pool [type]: expected a mapping, got a list"),
    ];
    for (pool, expected) in cases {
        assert_eq!(errors(&yaml_with_pool(pool), Format::Yaml), [expected], "{pool}");
    }
}

#[test]
fn values_out_of_range_for_small_integers_give_the_bounds() {
    let yaml = "name: demo\nsize: small\nsource: public\npool: {vm_size: x, node_count: 1, autoscale: false}\nroutes:\n  - host: a\n    targets:\n      - port: 80\n        weight: 300\n";
    assert_eq!(
        errors(yaml, Format::Yaml),
        ["9:9: routes[0].targets[0].weight [type]: expected an integer from 0 to 255, got 300"]
    );
}

#[test]
fn a_missing_field_is_located_at_the_mapping_that_lacks_it() {
    assert_eq!(
        errors(&yaml_with_pool("  vm_size: x\n  autoscale: true\n"), Format::Yaml),
        ["4:1: pool.node_count [missing-field]: required field is missing"]
    );
    let toml = "name = \"demo\"\nsize = \"small\"\nsource = \"public\"\n\n[pool]\nvm_size = \"x\"\nnode_count = 1\nautoscale = true\n";
    assert_eq!(errors(toml, Format::Toml), ["1:1: routes [missing-field]: required field is missing"]);
}

#[test]
fn an_unknown_enum_value_lists_the_choices_and_suggests_one() {
    let yaml =
        "name: demo\nsize: medum\nsource: public\npool: {vm_size: x, node_count: 1, autoscale: false}\nroutes: []\n";
    assert_eq!(
        errors(yaml, Format::Yaml),
        ["2:1: size [unknown-variant]: `medum` is not one of `small`, `medium`, `large`; did you mean `medium`?"]
    );
    let toml = "name = \"demo\"\nsize = \"huge\"\nsource = \"public\"\nroutes = []\npool = { vm_size = \"x\", node_count = 1, autoscale = false }\n";
    assert_eq!(
        errors(toml, Format::Toml),
        ["2:1: size [unknown-variant]: `huge` is not one of `small`, `medium`, `large`"]
    );
}

#[test]
fn duplicate_keys_are_errors_at_the_second_occurrence() {
    let yaml = "name: demo\nsize: small\nsource: public\npool:\n  vm_size: x\n  node_count: 1\n  autoscale: true\n  node_count: 2\nroutes: []\nname: again\n";
    assert_eq!(
        errors(yaml, Format::Yaml),
        [
            "8:3: pool.node_count [duplicate-key]: `node_count` is given twice in this mapping (first at 6:3); keep one",
            "10:1: name [duplicate-key]: `name` is given twice in this mapping (first at 1:1); keep one",
        ]
    );
    let json = "{\"name\": \"demo\", \"size\": \"small\", \"source\": \"public\", \"routes\": [],\n \"pool\": {\"vm_size\": \"x\", \"node_count\": 1, \"autoscale\": true, \"vm_size\": \"y\"}}";
    assert_eq!(
        errors(json, Format::Json),
        ["2:63: pool.vm_size [duplicate-key]: `vm_size` is given twice in this mapping (first at 2:11); keep one"]
    );
    let toml = "name = \"demo\"\nname = \"again\"\n";
    // The first value is kept, so the rest is judged too: every required field it lacks.
    assert_eq!(
        errors(toml, Format::Toml),
        [
            "1:1: pool [missing-field]: required field is missing",
            "1:1: routes [missing-field]: required field is missing",
            "1:1: size [missing-field]: required field is missing",
            "1:1: source [missing-field]: required field is missing",
            "2:1: name [duplicate-key]: `name` is given twice in this mapping (first at 1:1); keep one",
        ]
    );
}

#[test]
fn syntax_errors_point_at_the_broken_place() {
    assert_eq!(
        errors("name: demo\npool: [1, 2\nsize: small\n", Format::Yaml),
        ["3:5: (root) [syntax]: invalid YAML: illegal placement of ':' indicator"]
    );
    assert_eq!(
        errors("name: demo\n  size: small\n", Format::Yaml),
        ["2:7: (root) [syntax]: invalid YAML: mapping values are not allowed in this context"]
    );
    assert_eq!(
        errors("name: demo\n---\nname: two\n", Format::Yaml),
        ["2:1: (root) [syntax]: invalid YAML: a spec is one document; remove this `---` and what follows"]
    );
    assert_eq!(
        errors("name = \"demo\"\n[pool\n", Format::Toml),
        ["2:6: (root) [syntax]: invalid TOML: unclosed table, expected `]`"]
    );
    assert_eq!(
        errors("{\"name\": \"demo\",\n  \"size\": }\n", Format::Json),
        ["2:11: (root) [syntax]: invalid JSON: expected value"]
    );
}

#[test]
fn an_empty_file_is_one_clear_error() {
    for (text, format) in [
        ("", Format::Yaml),
        ("  \n\n", Format::Yaml),
        ("# nothing yet\n", Format::Yaml),
        ("---\n", Format::Yaml),
        ("", Format::Toml),
        ("# nothing yet\n", Format::Toml),
        ("", Format::Json),
        (" \n", Format::Json),
    ] {
        let expected =
            format!("1:1: (root) [empty]: the spec is empty; write a {} mapping of the spec's fields", format.name());
        assert_eq!(errors(text, format), [expected], "{text:?} as {}", format.name());
    }
}

#[test]
fn every_type_error_is_reported_in_one_pass_with_the_unknown_fields_around_them() {
    // Without a fallback a list whose item fails is set aside whole (`routes` here), so its later
    // items are not judged; with one (the stack spec's), each item stands alone.
    let yaml = "name: demo\nsize: huge\nsource: public\npool:\n  vm_size: x\n  node_count: two\n  autoscale: maybe\n  zone: 1\nroutes:\n  - host: a\n    targets:\n      - port: high\n      - port: 80\n        wieght: 2\n  - host: b\n    targets: []\nbackup: {schedule: daily, keep_days: -1}\n";
    assert_eq!(
        errors(yaml, Format::Yaml),
        [
            "2:1: size [unknown-variant]: `huge` is not one of `small`, `medium`, `large`",
            "6:3: pool.node_count [type]: expected an integer, got the string \"two\"",
            "7:3: pool.autoscale [type]: expected true or false, got the string \"maybe\"",
            "8:3: pool.zone [unknown-field]: unknown field `zone`; expected one of `vm_size`, `node_count`, `autoscale`",
            "12:9: routes[0].targets[0].port [type]: expected an integer, got the string \"high\"",
            "14:9: routes[0].targets[1].wieght [unknown-field]: unknown field `wieght`; did you mean `weight`?",
            "17:27: backup.keep_days [type]: expected an integer from 0 to 65535, got -1",
        ]
    );
}

#[test]
fn a_fallback_document_stands_in_for_broken_required_fields_so_the_rest_still_loads() {
    let fallback = serde_json::json!({
        "name": "fallback", "size": "small", "source": "public", "routes": [],
        "pool": {"vm_size": "Standard_B2s", "node_count": 1, "autoscale": false}
    });
    let yaml = "name: [not, a, name]\nsize: small\nsource: public\npool:\n  vm_size: Standard_D4s_v5\n  node_count: two\n  autoscale: true\nroutes: []\n";
    let partial = stackgen_generator::load::load_partial::<Spec>(yaml, Format::Yaml, &fallback).expect("parses");
    let value = partial.value.expect("every broken field has a stand-in");
    assert_eq!((value.name.as_str(), value.pool.node_count), ("fallback", 1), "stand-ins from the fallback");
    assert_eq!((value.pool.vm_size.as_str(), value.pool.autoscale), ("Standard_D4s_v5", true), "the rest as written");
    assert_eq!(partial.unavailable, [path("name"), path("pool.node_count")]);
    let shown: Vec<String> = partial.diagnostics.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "1:1: name [type]: expected a string, got a list",
            "6:3: pool.node_count [type]: expected an integer, got the string \"two\"",
        ]
    );
}
