"""Validates Kubernetes manifests against a CRD openAPIV3Schema fixture, the way the API server's
strict field validation would: every object with declared `properties` rejects unknown fields
(unless the schema preserves unknown fields), required fields must be present, types and enums
must match.

    python pipeline_validate_crd.py SCHEMA.json MANIFEST.yaml...

Prints one line per problem (`file: path: message`) and exits 1 when there is any.
"""

import json
import sys

import jsonschema
import yaml


def strict(node):
    if isinstance(node, dict):
        node = {k: strict(v) for k, v in node.items()}
        if (
            "properties" in node
            and "additionalProperties" not in node
            and not node.get("x-kubernetes-preserve-unknown-fields")
        ):
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [strict(v) for v in node]
    return node


def main(schema_path, manifests):
    schema = strict(json.load(open(schema_path, encoding="utf-8")))
    # `metadata` is `type: object` in CRDs (the API server validates it itself); check the basics.
    validator = jsonschema.Draft7Validator(schema)
    problems = []
    for path in manifests:
        for document in yaml.safe_load_all(open(path, encoding="utf-8")):
            if document is None:
                continue
            for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
                where = ".".join(str(p) for p in error.absolute_path) or "(root)"
                problems.append(f"{path}: {where}: {error.message}")
            metadata = document.get("metadata") or {}
            if not metadata.get("name"):
                problems.append(f"{path}: metadata.name: required")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
