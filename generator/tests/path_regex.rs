//! The Ingress path under a path prefix is a regular expression (ingress-nginx `use-regex`): the
//! prefix in it must be escaped. A table of prefixes, one per regex metacharacter, against
//! request paths that must and must not match, the way ingress-nginx matches
//! (`location ~* "^<path>"`: case-insensitive, anchored at the start); then Helm's rendering of
//! the chart's `ingressPath` helper against the same function.

#[path = "support/chart.rs"]
mod support;

use serde_json::json;
use stackgen_generator::chart::path::{REGEX_METACHARACTERS, ingress_path, quote_meta};
use support::{documents, driver, examples, python, write_chart};

/// (prefix, paths that must not match; for most, an unescaped prefix would match them, and for
/// `^` and `$` an unescaped prefix would match nothing at all)
const TABLE: &[(&str, &[&str])] = &[
    ("/api.v1", &["/apiXv1", "/api-v1/x", "/api/v1"]),
    ("/a+b", &["/ab", "/aab/x", "/aaab"]),
    ("/a*b", &["/b", "/aaab", "/ab"]),
    ("/a?b", &["/b", "/ab"]),
    ("/a(b)", &["/ab", "/a"]),
    ("/a|b", &["/a", "/b", "/ab"]),
    ("/a[bc]", &["/ab", "/ac/x"]),
    ("/a{2}", &["/aa", "/aa/x"]),
    ("/a^b", &["/a", "/ab"]),
    ("/a$b", &["/a", "/ab"]),
    ("/a\\d", &["/a1", "/a7/x"]),
    ("/a.*", &["/a", "/abc/x", "/a/"]),
];

/// Compiles `path` as ingress-nginx does and returns group 2 (the rewritten rest) on a match.
fn nginx_match(path: &str, request: &str) -> Option<String> {
    let re = regex::Regex::new(&format!("(?i)^{path}")).unwrap_or_else(|e| panic!("{path:?} is not a regex: {e}"));
    re.captures(request).map(|c| c.get(2).map_or("", |m| m.as_str()).to_owned())
}

#[test]
fn the_table_covers_every_metacharacter() {
    for c in REGEX_METACHARACTERS.chars() {
        assert!(TABLE.iter().any(|(prefix, _)| prefix.contains(c)), "no prefix with {c:?}");
    }
}

#[test]
fn a_prefix_matches_itself_and_below_and_nothing_else() {
    for (prefix, unescaped_matches) in TABLE {
        let path = ingress_path(prefix);
        for (request, rest) in [
            (prefix.to_string(), ""),
            (format!("{prefix}/"), ""),
            (format!("{prefix}/x/y"), "x/y"),
            (format!("{}/Z", prefix.to_uppercase()), "Z"),
        ] {
            assert_eq!(nginx_match(&path, &request).as_deref(), Some(rest), "{path:?} on {request:?}");
        }
        let others = [format!("{prefix}x"), format!("{prefix}x/y"), format!("/x{prefix}"), "/".to_owned()];
        for request in unescaped_matches.iter().map(|s| s.to_string()).chain(others) {
            assert_eq!(nginx_match(&path, &request), None, "{path:?} must not match {request:?}");
        }
        // Each row shows that escaping matters: unescaped, the prefix would be an invalid
        // pattern, miss its own paths, or match one of the row's paths.
        let unescaped = regex::Regex::new(&format!("(?i)^{prefix}(/|$)(.*)"));
        let bites = match unescaped {
            Err(_) => true,
            Ok(re) => !re.is_match(&format!("{prefix}/x")) || unescaped_matches.iter().any(|r| re.is_match(r)),
        };
        assert!(bites, "the row for {prefix:?} does not show that it needs escaping");
    }
    assert_eq!(ingress_path("/"), "/");
    assert_eq!(quote_meta("/api.v1"), r"/api\.v1");
}

#[test]
fn helm_renders_the_same_escaped_path() {
    let Some(python) = python("rendering the Ingress path with Helm") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, mut spec) = examples().into_iter().next().expect("an example");
    // The spec allows letters, digits, - _ . ~ in a prefix: `.` is the metacharacter that can
    // reach the regex from a spec; the chart's values schema allows no other.
    spec.app.path_prefix = "/api.v1/x_y-z~".to_owned();
    let chart = write_chart(&spec, dir.path());
    let result =
        driver(&python, &[json!({"op": "render", "chart": chart, "values": {}, "name": "r", "namespace": "apps"})])
            .remove(0);
    assert!(result.get("error").is_none(), "render failed: {}", result["error"]);
    let ingress = documents(&result["manifests"])
        .into_iter()
        .map(|(_, doc)| doc)
        .find(|doc| doc["kind"] == "Ingress")
        .expect("an Ingress");
    let rendered = ingress["spec"]["rules"][0]["http"]["paths"][0]["path"].as_str().expect("path").to_owned();
    assert_eq!(rendered, ingress_path(&spec.app.path_prefix));
    assert_eq!(rendered, r"/api\.v1/x_y-z~(/|$)(.*)");
    assert_eq!(nginx_match(&rendered, "/apiXv1/x_y-z~/a"), None);
    assert_eq!(nginx_match(&rendered, "/api.v1/x_y-z~/a").as_deref(), Some("a"));
}
