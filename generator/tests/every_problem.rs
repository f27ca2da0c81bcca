//! Every problem at once: specs that each hold several problems of different kinds (unknown
//! field, type error, unknown variant, duplicate key, missing field, rule violation) report all
//! of them in one run, each at its own `line:column`, top to bottom; rules that compare a field
//! which did not load are skipped rather than judged on a stand-in.
//!
//! The fixtures live in `tests/fixtures/bad/` (the CLI test prints them in full to
//! `snapshots/errors/`); this table is the complete list each must give, nothing more.

use std::path::Path;

use pretty_assertions::assert_eq;
use stackgen_generator::load::Format;
use stackgen_generator::parse_and_validate;

fn fixture(name: &str) -> (String, Format) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/bad").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (text, Format::from_path(&path))
}

/// `line:column path [rule]` of every problem, in the order reported.
fn problems(name: &str) -> Vec<String> {
    let (text, format) = fixture(name);
    let diagnostics = parse_and_validate(&text, format).expect_err("a bad spec");
    diagnostics
        .iter()
        .map(|d| match d.location {
            Some(at) => format!("{at} {} [{}]", d.path, d.rule),
            None => format!("?:? {} [{}]", d.path, d.rule),
        })
        .collect()
}

const TABLE: &[(&str, &[&str])] = &[
    (
        "mixed_sections.yaml",
        &[
            "13:3 stack.name [dns-label]",
            "18:3 aks.default_node_pool_node_count [type]",
            // Not `aks.default_node_pool_node_max_count [max-count]`: it compares with the count.
            "21:3 aks.sku_tier [unknown-variant]",
            "24:3 acr.name [duplicate-key]",
            "28:3 github.envirnoment [unknown-field]",
            "34:7 dns.subdomains[0].tll [unknown-field]",
            "38:7 dns.subdomains[1].ttl [type]",
            "39:17 dns.subdomains[1].records[0] [ipv4]",
            "43:3 app.port [unprivileged-port]",
            "44:3 app.replicas [type]",
        ],
    ),
    (
        "mixed_same_section.yaml",
        &[
            "12:1 github [missing-field]",
            "16:19 stack.tags.team [tag-case-clash]",
            "18:3 aks.default_vm_size [vm-size]",
            "19:3 aks.default_node_pool_disk_size_in_gb [type]",
            "20:37 aks.api_server_authorized_ip_ranges[0] [ipv4-cidr]",
            "20:50 aks.api_server_authorized_ip_ranges[1] [type]",
            "26:19 dns.subdomains[0].type [unknown-variant]",
            "27:38 dns.subdomains[1].records[0] [ipv4]",
            "30:3 app.host [host-in-zone]",
            "31:3 app.path_prefix [path-prefix]",
        ],
    ),
    (
        // Without the skips this would also report app.host [host-in-zone] (judged against the
        // stand-in zone), kubernetes_access.namespace [namespace-clash] (against the stand-in
        // ingress namespace) and tls.acme_email [required] (the misspelled key meant it).
        "mixed_cross_field.yaml",
        &[
            "14:1 aks [type]",
            "21:3 dns.hosted_zone_name [type]",
            "23:41 dns.subdomains[0].records[0] [ipv4]",
            "25:3 ingress.namespace [type]",
            "29:3 tls.acme_emial [unknown-field]",
            "35:14 delivery.notify.emails[0] [email]",
            "35:30 delivery.notify.emails[1] [type]",
        ],
    ),
    (
        "mixed.toml",
        &[
            "8:1 stack.name [duplicate-key]",
            "13:1 acr.name [acr-name]",
            "25:1 app.replicas [type]",
            "28:1 tls.acme_emial [unknown-field]",
        ],
    ),
    (
        "mixed.json",
        &[
            "2:84 stack.resource_group [duplicate-key]",
            "3:11 acr.name [acr-name]",
            "4:56 github.enviroment [unknown-field]",
            "5:90 dns.subdomains[0].ttl [type]",
            "6:55 app.path_prefix [path-prefix]",
        ],
    ),
];

#[test]
fn every_problem_of_every_kind_is_reported_in_one_run_at_its_place() {
    for (name, expected) in TABLE {
        assert_eq!(problems(name), *expected, "{name}");
    }
}

#[test]
fn problems_read_top_to_bottom_and_the_same_every_run() {
    for (name, _) in TABLE {
        let first = problems(name);
        assert_eq!(problems(name), first, "{name}: stable");
        let positions: Vec<(usize, usize)> = first
            .iter()
            .map(|line| {
                let (line, column) = line.split_once(' ').and_then(|(at, _)| at.split_once(':')).expect("line:column");
                (line.parse().expect("line"), column.parse().expect("column"))
            })
            .collect();
        let mut sorted = positions.clone();
        sorted.sort();
        assert_eq!(positions, sorted, "{name}: sorted by position");
    }
}

#[test]
fn the_same_spec_with_its_problems_fixed_is_valid() {
    // The stand-ins never leak: once the broken fields are fixed, nothing else is reported.
    let (text, format) = fixture("mixed_sections.yaml");
    let fixed = text
        .replace("name: Demo_Stack", "name: demo")
        .replace("default_node_pool_node_count: three", "default_node_pool_node_count: 1")
        .replace("sku_tier: Premum", "sku_tier: Premium")
        .replace("  name: ab\n", "")
        .replace("  envirnoment: prod\n", "")
        .replace("tll: 300", "ttl: 300")
        .replace("ttl: soon", "ttl: 60")
        .replace("not-an-ip", "203.0.113.9")
        .replace("port: 80", "port: 8080")
        .replace("replicas: many", "replicas: 2");
    if let Err(diagnostics) = parse_and_validate(&fixed, format) {
        panic!("still invalid:\n{diagnostics}");
    }
}
