"""Extracts the Argo CD Application CRD's openAPIV3Schema into the test fixture.

The source is the argo-cd Helm chart stackgen pins (argoproj/argo-helm, tag argo-cd-10.1.1, file
charts/argo-cd/templates/crds/crd-application.yaml, Argo CD v3.4.4): the CRD the cluster actually
gets. Run once when the pinned chart changes:

    git -C <argo-helm checkout> show argo-cd-10.1.1:charts/argo-cd/templates/crds/crd-application.yaml > crd.yaml
    python pipeline_extract_argocd_crd.py crd.yaml ../fixtures/pipeline/argocd-application-v1alpha1.schema.json

The fixture keeps the whole `spec` schema and `apiVersion`/`kind`/`metadata` but drops `status`
and `operation` (written by the controller, never by us) and every `description` (prose only),
which takes it from 400 kB to a reviewable size. Nothing else is changed.
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


def main(source, target):
    raw = open(source, encoding="utf-8").read()
    # The chart wraps the CRD in Helm template directives; they only add labels and annotations.
    lines = [line for line in raw.splitlines() if "{{" not in line]
    crd = yaml.safe_load("\n".join(lines))
    assert crd["kind"] == "CustomResourceDefinition" and crd["spec"]["names"]["kind"] == "Application"
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1"]
    schema = version["schema"]["openAPIV3Schema"]
    for generated_by_controller in ("status", "operation"):
        schema["properties"].pop(generated_by_controller, None)
    schema = strip_descriptions(schema)
    schema["$comment"] = (
        "Argo CD Application v1alpha1 openAPIV3Schema from argoproj/argo-helm tag argo-cd-10.1.1, "
        "charts/argo-cd/templates/crds/crd-application.yaml (Argo CD v3.4.4, source sha256 "
        + hashlib.sha256(raw.encode()).hexdigest()
        + "); status, operation and descriptions removed by generator/tests/support/pipeline_extract_argocd_crd.py"
    )
    with open(target, "w", encoding="utf-8") as out:
        json.dump(schema, out, indent=1, sort_keys=True)
        out.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
