"""A `helm` command for the workflow harness (tests/workflows.rs), on Helm's Go SDK.

Offline subcommands run for real: `helm lint [--strict] CHART` and
`helm template NAME CHART [--namespace NS] [-f VALUES]... [--set-string K=V]...`, which prints
the rendered manifests. Anything that needs a cluster (`upgrade`, `install`, ...) was already
recorded by the stub wrapper and succeeds without doing anything.
"""

import sys

import helm_python as helm
import yaml


def merge(base, override):
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base


def lint(args):
    strict = "--strict" in args
    charts = [a for a in args if not a.startswith("-")]
    result = helm.lint(charts[0], None, strict=strict)
    failed = bool(result.get("errors"))
    for message in result.get("messages") or []:
        print(f"[{message.get('severity')}] {message.get('path')}: {message.get('error')}")
        if message.get("severity", 0) >= (2 if strict else 3):
            failed = True
    for error in result.get("errors") or []:
        print(f"error: {error}")
    print(f"1 chart(s) linted, {1 if failed else 0} chart(s) failed")
    return 1 if failed else 0


def template(args):
    positional, values, sets, namespace = [], {}, [], "default"
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-f", "--values"):
            with open(args[i + 1], encoding="utf-8") as f:
                merge(values, yaml.safe_load(f) or {})
            i += 2
        elif arg in ("--set-string", "--set"):
            sets.append(args[i + 1])
            i += 2
        elif arg in ("-n", "--namespace"):
            namespace = args[i + 1]
            i += 2
        else:
            positional.append(arg)
            i += 1
    name, chart_dir = positional[0], positional[1]
    for expression in sets:
        merge(values, helm.parse_set_string(expression))
    with helm.Chart.load(chart_dir) as chart:
        try:
            manifests = chart.render(values or None, name=name, namespace=namespace, is_install=True)
        except helm.HelmError as error:
            print(f"Error: {error}", file=sys.stderr)
            return 1
    for path in sorted(manifests):
        if manifests[path].strip():
            print(f"---\n# Source: {path}\n{manifests[path]}")
    return 0


def main(args):
    if not args:
        return 0
    if args[0] == "lint":
        return lint(args[1:])
    if args[0] == "template":
        return template(args[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
