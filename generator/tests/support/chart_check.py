"""Test driver for the generated Helm chart (called by generator/tests/chart.rs).

Reads a JSON list of requests on stdin and prints a JSON list of results, one per request, so a
test pays for one interpreter and one Helm library load. Each request is an object with "op":

- {"op": "lint", "chart": DIR, "values": {...}, "kube_version": "v1.33.0"}
    helm lint --strict; result: {"messages": [{"severity", "path", "error"}], "errors": [...]}
- {"op": "render", "chart": DIR, "values": {...}, "set": [EXPR, ...], "name": NAME, "namespace": NS}
    helm template (offline, as an install); result: {"manifests": {template path: text}}
    or {"error": message}; each `set` expression is parsed by Helm's --set parser and merged
- {"op": "validate_schema", "chart": DIR, "values": {...}, "set": [EXPR, ...]}
    Helm's own values.schema.json check of the values merged over the chart's defaults;
    result: {"ok": bool, "error": message or null}
- {"op": "kubernetes_validate", "documents": [...], "version": "1.33.0"}
    kubernetes-validate in strict mode on each document; result: {"errors": [message, ...]}
- {"op": "create_values", "directory": DIR}
    The default values of the chart `helm create` scaffolds (written under DIR).
- {"op": "create_from", "name": NAME, "directory": DIR, "starter": STARTER_DIR}
    helm create --starter: the templates Helm scaffolds from a starter; result: {path: text}
- {"op": "nginx_rewrite", "path": REGEX, "target": "/$2", "urls": [...]}
    How ingress-nginx treats each URL under `location ~* "^REGEX"` with
    `rewrite "(?i)REGEX" TARGET break;`; result: {"rewritten": [new path or null, ...]}
"""

import json
import re
import sys

import helm_python as helm
import kubernetes_validate


def lint(request):
    return helm.lint(
        request["chart"],
        request.get("values") or None,
        strict=True,
        namespace=request.get("namespace"),
        kube_version=request.get("kube_version"),
    )


def merge(base, override):
    """Deep-merges `override` into `base` the way repeated --set flags combine."""
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base


def user_values(request):
    """The request's values, then each of its `set` expressions parsed by Helm's --set parser."""
    values = dict(request.get("values") or {})
    for expression in request.get("set", []):
        merge(values, helm.parse_set_string(expression))
    return values or None


def render(request):
    with helm.Chart.load(request["chart"]) as chart:
        try:
            manifests = chart.render(
                user_values(request),
                name=request["name"],
                namespace=request["namespace"],
                is_install=True,
            )
        except helm.HelmError as error:
            return {"error": str(error)}
    return {"manifests": manifests}


def validate_schema(request):
    with helm.Chart.load(request["chart"]) as chart:
        try:
            chart.validate_schema(user_values(request))
        except helm.HelmError as error:
            return {"ok": False, "error": str(error)}
    return {"ok": True, "error": None}


def validate_kubernetes(request):
    errors = []
    for document in request["documents"]:
        try:
            kubernetes_validate.validate(document, request["version"], strict=True)
        except kubernetes_validate.ValidationError as error:
            kind = document.get("kind")
            name = document.get("metadata", {}).get("name")
            path = ".".join(str(p) for p in error.path)
            errors.append(f"{kind}/{name}: {path}: {error.message}")
        except kubernetes_validate.utils.SchemaNotFoundError as error:
            errors.append(f"no schema: {error}")
    return {"errors": errors}


def nginx_rewrite(request):
    # ingress-nginx writes `location ~* "^<path>"` (PCRE, case-insensitive) and
    # `rewrite "(?i)<path>" <target> break;`; Python's re agrees with PCRE on these patterns.
    pattern = re.compile(request["path"], re.IGNORECASE)
    target = re.sub(r"\$(\d)", r"\\\1", request["target"])
    rewritten = []
    for url in request["urls"]:
        if pattern.match(url) is None:  # the location did not match
            rewritten.append(None)
            continue
        # nginx replaces the whole URI with the expanded target.
        rewritten.append(pattern.search(url).expand(target))
    return {"rewritten": rewritten}


def create_values(request):
    with helm.Chart.create("scaffold", request["directory"]) as chart:
        return chart.values


def create_from(request):
    with helm.Chart.create_from(request["name"], request["directory"], request["starter"]) as chart:
        return {template["name"]: template["data"] for template in chart.templates}


OPS = {
    "create_from": create_from,
    "create_values": create_values,
    "lint": lint,
    "render": render,
    "validate_schema": validate_schema,
    "kubernetes_validate": validate_kubernetes,
    "nginx_rewrite": nginx_rewrite,
}


def main():
    requests = json.load(sys.stdin)
    json.dump([OPS[request["op"]](request) for request in requests], sys.stdout)


if __name__ == "__main__":
    main()
