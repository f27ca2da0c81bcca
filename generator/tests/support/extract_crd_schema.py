"""Extracts one version's openAPIV3Schema from a CustomResourceDefinition into a test fixture.

The CRDs come from the upstream repositories at the tags stackgen pins, so the fixtures are the
schemas the cluster gets from the pinned charts. Run once when a pinned version changes, e.g.:

    git -C <cert-manager checkout> show v1.21.1:deploy/crds/cert-manager.io_clusterissuers.yaml > crd.yaml
    python extract_crd_schema.py crd.yaml v1 "cert-manager/cert-manager v1.21.1 deploy/crds/cert-manager.io_clusterissuers.yaml" \
        ../fixtures/crds/cert-manager-v1.21.1-clusterissuer-v1.schema.json

The fixture keeps the `spec` schema and `apiVersion`/`kind`/`metadata` but drops `status`
(written by controllers, never by us) and every `description` (prose only). Nothing else changes.
"""

import hashlib
import json
import sys

import yaml


def strip_descriptions(node):
    if isinstance(node, dict):
        return {k: strip_descriptions(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [strip_descriptions(v) for v in node]
    return node


def main(source, version_name, origin, target):
    raw = open(source, encoding="utf-8").read()
    (crd,) = [d for d in yaml.safe_load_all(raw) if d]
    assert crd["kind"] == "CustomResourceDefinition"
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == version_name]
    schema = version["schema"]["openAPIV3Schema"]
    schema["properties"].pop("status", None)
    schema = strip_descriptions(schema)
    schema["$comment"] = (
        f"{crd['spec']['names']['kind']} {version_name} openAPIV3Schema from {origin} (source sha256 "
        + hashlib.sha256(raw.encode()).hexdigest()
        + "); status and descriptions removed by generator/tests/support/extract_crd_schema.py"
    )
    with open(target, "w", encoding="utf-8") as out:
        json.dump(schema, out, indent=1, sort_keys=True)
        out.write("\n")


if __name__ == "__main__":
    main(*sys.argv[1:5])
