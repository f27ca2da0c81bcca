//! The path-prefix behaviour is the same on every ingress backend. For each backend the chart is
//! rendered by Helm, and the rendered object (the Ingress, or the gateway backend's HTTPRoute) is
//! interpreted the way that backend's controller reads it, giving a table of request path →
//! upstream path (or no match). The tables must agree, whatever the backend:
//!
//! - ingress-nginx: `use-regex` makes the path a location `~* "^<path>"` (PCRE, case-insensitive,
//!   anchored at the start) and `rewrite-target` a `rewrite "(?i)<path>" <target> break;` that
//!   replaces the whole URI with the expanded target; without them, Kubernetes `Prefix` matching
//!   (whole path elements) and the path passed as it is.
//! - Traefik's `kubernetesIngressNGINX` provider: the same annotations become a `PathRegexp`
//!   router rule on `^<path>` and a `ReplacePathRegex` middleware (Go's `ReplaceAllString` of the
//!   match, `$n` groups expanded), so only the matched part of the path is replaced.
//! - Gateway API (Envoy Gateway): `PathPrefix` matches whole path elements (`/hello` matches
//!   `/hello`, `/hello/` and `/hello/x`, never `/hellox`), and a `URLRewrite` filter with
//!   `ReplacePrefixMatch` replaces the matched prefix, as the Gateway API spec's examples say
//!   (`/foo` → `/`, `/foo/` → `/`, `/foo/bar` → `/bar` for a replacement of `/`).

#[path = "support/chart.rs"]
mod support;

use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use stackgen_modules::StackSpec;
use stackgen_modules::ingress::IngressBackend;
use support::{documents, driver, examples, python, write_chart};

/// The request paths of the table: the prefix the examples use itself, with a slash, a deeper
/// path, and a longer name that only starts with it.
const REQUESTS: [&str; 4] = ["/hello", "/hello/", "/hello/x/y", "/hellox"];

/// nginx's and Go's `$1` group references as the `regex` crate's unambiguous `${1}`.
fn braced(target: &str) -> String {
    regex::Regex::new(r"\$([0-9]+)").expect("regex").replace_all(target, "$${${1}}").into_owned()
}

/// `target` with its group references expanded from `captures`.
fn expand(target: &str, captures: &regex::Captures<'_>) -> String {
    let mut out = String::new();
    captures.expand(&braced(target), &mut out);
    out
}

/// Kubernetes `Prefix` path matching: element-wise, a trailing slash ignored.
fn prefix_matches(prefix: &str, path: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    prefix.is_empty() || path == prefix || path.starts_with(&format!("{prefix}/"))
}

/// What ingress-nginx does with `request` for the rendered `ingress`.
fn nginx(ingress: &Value, request: &str) -> Option<String> {
    let (path, regex, target) = ingress_rule(ingress);
    if regex {
        let re = regex::Regex::new(&format!("(?i)^{path}")).expect("the Ingress path is a regex");
        let captures = re.captures(request)?;
        Some(target.map_or_else(|| request.to_owned(), |t| expand(&t, &captures)))
    } else {
        prefix_matches(&path, request).then(|| request.to_owned())
    }
}

/// What Traefik's ingress-nginx provider does with `request` for the rendered `ingress`.
fn traefik(ingress: &Value, request: &str) -> Option<String> {
    let (path, regex, target) = ingress_rule(ingress);
    if regex {
        let re = regex::Regex::new(&format!("^{path}")).expect("the Ingress path is a regex");
        re.is_match(request).then_some(())?;
        Some(match target {
            // Go's ReplaceAllString: each match replaced, the rest of the path kept.
            Some(t) => re.replace_all(request, braced(&t).as_str()).into_owned(),
            None => request.to_owned(),
        })
    } else {
        prefix_matches(&path, request).then(|| request.to_owned())
    }
}

/// The Ingress's one path, whether it is a regex, and its rewrite target.
fn ingress_rule(ingress: &Value) -> (String, bool, Option<String>) {
    let annotations = &ingress["metadata"]["annotations"];
    let path = ingress["spec"]["rules"][0]["http"]["paths"][0]["path"].as_str().expect("path").to_owned();
    let regex = annotations["nginx.ingress.kubernetes.io/use-regex"] == "true";
    let target = annotations["nginx.ingress.kubernetes.io/rewrite-target"].as_str().map(str::to_owned);
    (path, regex, target)
}

/// What a Gateway API implementation does with `request` for the rendered app `route`.
fn gateway(route: &Value, request: &str) -> Option<String> {
    let rule = &route["spec"]["rules"][0];
    let path_match = &rule["matches"][0]["path"];
    assert_eq!(path_match["type"], "PathPrefix");
    let prefix = path_match["value"].as_str().expect("value");
    if !prefix_matches(prefix, request) {
        return None;
    }
    let rewrite = rule["filters"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["type"] == "URLRewrite")
        .map(|f| &f["urlRewrite"]["path"]);
    Some(match rewrite {
        None => request.to_owned(),
        Some(path) => {
            assert_eq!(path["type"], "ReplacePrefixMatch");
            let replacement = path["replacePrefixMatch"].as_str().expect("replacement");
            let rest = &request[prefix.trim_end_matches('/').len()..];
            match (replacement.trim_end_matches('/'), rest) {
                (r, "" | "/") => {
                    if r.is_empty() {
                        "/".to_owned()
                    } else {
                        format!("{r}{rest}")
                    }
                }
                (r, rest) => format!("{r}{rest}"),
            }
        }
    })
}

/// How one backend maps a request path to the upstream path (`None`: no match).
type Interpreter = dyn Fn(&str) -> Option<String>;

/// The table for `spec` on `backend`, from the chart Helm renders.
fn table(python: &std::path::Path, spec: &StackSpec, backend: IngressBackend) -> Vec<(String, Option<String>)> {
    let mut spec = spec.clone();
    if spec.ingress.backend != backend {
        // A pinned chart version is the old backend's chart's.
        spec.ingress.chart_version = None;
    }
    spec.ingress.backend = backend;
    let dir = tempfile::tempdir().expect("tempdir");
    let chart = write_chart(&spec, dir.path());
    let result =
        driver(python, &[json!({"op": "render", "chart": chart, "name": "my-app", "namespace": spec.namespace()})])
            .remove(0);
    assert!(result.get("error").is_none(), "{backend:?}: {}", result["error"]);
    let docs: Vec<Value> = documents(&result["manifests"]).into_iter().map(|(_, d)| d).collect();
    let of = |kind: &str| docs.iter().filter(|d| d["kind"] == kind).cloned().collect::<Vec<_>>();
    let interpret: Box<Interpreter> = match backend {
        IngressBackend::Nginx | IngressBackend::Traefik => {
            let ingresses = of("Ingress");
            assert_eq!(ingresses.len(), 1, "{backend:?}: one Ingress");
            assert!(of("HTTPRoute").is_empty(), "{backend:?}: no HTTPRoute");
            let ingress = ingresses[0].clone();
            if backend == IngressBackend::Nginx {
                Box::new(move |r| nginx(&ingress, r))
            } else {
                Box::new(move |r| traefik(&ingress, r))
            }
        }
        IngressBackend::Gateway => {
            assert!(of("Ingress").is_empty(), "gateway: no Ingress");
            let route = of("HTTPRoute")
                .into_iter()
                .find(|r| r["spec"]["rules"][0].get("backendRefs").is_some())
                .expect("the app's HTTPRoute");
            Box::new(move |r| gateway(&route, r))
        }
    };
    REQUESTS.iter().map(|r| ((*r).to_owned(), interpret(r))).collect()
}

#[test]
fn every_backend_routes_the_same_paths_to_the_same_upstream_paths() {
    let Some(python) = python("the path-prefix table") else { return };
    let specs = examples();
    let mut prefixes = Vec::new();
    for prefix in ["/hello", "/"] {
        let (name, spec) = specs
            .iter()
            .find(|(_, s)| s.app.path_prefix == prefix)
            .unwrap_or_else(|| panic!("an example served under {prefix:?}"));
        let backends = [IngressBackend::Nginx, IngressBackend::Traefik, IngressBackend::Gateway];
        let mut tables: Vec<_> = backends.iter().map(|b| (*b, table(&python, spec, *b))).collect();
        println!("{name} (prefix {prefix}):");
        for (i, (request, _)) in tables[0].1.iter().enumerate() {
            let row: Vec<String> =
                tables.iter().map(|(b, t)| format!("{b:?} → {}", t[i].1.as_deref().unwrap_or("no match"))).collect();
            println!("  {request:<12} {}", row.join(", "));
        }
        for (backend, rows) in &tables[1..] {
            assert_eq!(rows, &tables[0].1, "{name}: {backend:?} and Nginx disagree");
        }
        prefixes.push((prefix, tables.remove(0).1));
    }
    // What they agree on is the app-facing contract: the prefix stripped, whole elements only.
    let contract = |rows: &[(&str, Option<&str>)]| {
        rows.iter().map(|(r, u)| ((*r).to_owned(), u.map(str::to_owned))).collect::<Vec<_>>()
    };
    assert_eq!(
        prefixes[0].1,
        contract(&[("/hello", Some("/")), ("/hello/", Some("/")), ("/hello/x/y", Some("/x/y")), ("/hellox", None)])
    );
    assert_eq!(
        prefixes[1].1,
        contract(&[
            ("/hello", Some("/hello")),
            ("/hello/", Some("/hello/")),
            ("/hello/x/y", Some("/hello/x/y")),
            ("/hellox", Some("/hellox")),
        ]),
        "at the root nothing is stripped"
    );
}

#[test]
fn the_interpreters_tell_broken_configurations_apart() {
    // An unescaped or unanchored prefix, or a rewrite that keeps the prefix, changes the table:
    // the interpreters read what is rendered, not what is intended.
    let ingress = |path: &str, target: &str| {
        json!({"metadata": {"annotations": {"nginx.ingress.kubernetes.io/use-regex": "true", "nginx.ingress.kubernetes.io/rewrite-target": target}},
               "spec": {"rules": [{"http": {"paths": [{"path": path}]}}]}})
    };
    let good = ingress("/hello(/|$)(.*)", "/$2");
    assert_eq!(nginx(&good, "/hello/x/y").as_deref(), Some("/x/y"));
    assert_eq!(traefik(&good, "/hello/x/y").as_deref(), Some("/x/y"));
    let no_boundary = ingress("/hello(.*)", "/$1");
    assert_eq!(nginx(&no_boundary, "/hellox").as_deref(), Some("/x"), "matches /hellox");
    let keeps_prefix = ingress("/hello(/|$)(.*)", "/$1$2");
    assert_eq!(traefik(&keeps_prefix, "/hello/x").as_deref(), Some("//x"));
    let route = |value: &str, replacement: Option<&str>| {
        let filters = replacement.map_or(json!([]), |r| {
            json!([{"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": r}}}])
        });
        json!({"spec": {"rules": [{"matches": [{"path": {"type": "PathPrefix", "value": value}}], "filters": filters}]}})
    };
    assert_eq!(gateway(&route("/hello", Some("/")), "/hello").as_deref(), Some("/"));
    assert_eq!(gateway(&route("/hello", None), "/hello/x").as_deref(), Some("/hello/x"), "no rewrite, prefix kept");
    assert_eq!(gateway(&route("/hello", Some("/v2")), "/hello/x").as_deref(), Some("/v2/x"));
    assert_eq!(gateway(&route("/hello", Some("/")), "/hellox"), None);
}
