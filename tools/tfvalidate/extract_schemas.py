#!/usr/bin/env python3
"""Recovers Terraform provider schemas (with types) from prebuilt cdktf provider wheels.

Usage: extract_schemas.py OUT_DIR WHEEL...

Each `cdktf-cdktf-provider-<name>` wheel bundles a jsii assembly tarball
(`<pkg>/_jsii/provider-<name>@<ver>.jsii.tgz`) holding the `.jsii` type model and the
generated JavaScript. cdktf generated both from `terraform providers schema -json`, so the
schema can be rebuilt from them:

* `synthesizeHclAttributes()` of every resource/data source/provider class, and the
  `<struct>ToHclTerraform()` function of every block/object struct, lists each *configurable*
  argument under its Terraform name with its kind (`simple`/`list`/`set`/`map`/`struct`) and
  storage type (`string`, `numberList`, `stringMap`, a struct name, ...).
* Getters without a matching configurable argument are computed-only attributes; the getter
  body says the type (`getStringAttribute('fqdn')`, `new XList(this, "kube_config", wrapsSet)`).
* The `.jsii` interfaces say which arguments are optional, and cdktf documents every block
  as "<name> block." — which tells a block from a nested attribute of the same shape.
* A struct that is no block is a nested attribute (plugin framework) when its members are
  documented or mix required and optional ones, else an attribute of object type.
* A list/set block emitted through `listMapperHcl(fn, true)` may repeat; one converted with a
  bare `fn(...)` is a `max_items = 1` block. Members written as `x === undefined ? null : ...`
  belong to an attribute of object type (every key required), not to a nested attribute.

What cannot be recovered (documented in tools/tfvalidate/README.md): descriptions, which
provider-configuration arguments are required (cdktf makes them all optional), the
`computed` flag of optional+computed arguments (restored for every SDKv2 `id` and for the
arguments listed in OPTIONAL_COMPUTED), exact min_items above 1 and max_items above 1,
sensitivity and deprecation.

Written in Python (stdlib only) rather than Rust because it is regex and JSON munging over
~400 MB of generated code that runs once per pin change at install time; it needs no build.
"""

import io
import json
import os
import re
import sys
import tarfile
import zipfile

HCL_MEMBER = re.compile(
    r'^\s+(\w+): \{\n\s+value: (.*),\n\s+isBlock: (true|false),\n\s+type: "(\w+)",\n'
    r'\s+storageClassType: "(\w+)",',
    re.M,
)
FN_START = re.compile(r"^function (\w+)ToHclTerraform\(struct\) \{$", re.M)
CLASS_START = re.compile(r"^class (\w+) extends ([\w.]+) \{$", re.M)
GETTER = re.compile(r"^    get (\w+)\(\) \{\n        return (.+?);\n    \}", re.M)
FIELD = re.compile(r'this\._(\w+) = new ([\w.]+)\(this, "(\w+)"(?:, (true|false))?\);')
RES_TYPE = re.compile(r"terraformResourceType: '([\w-]+)'")
GETTER_TYPES = {
    "getStringAttribute": "string",
    "getNumberAttribute": "number",
    "getBooleanAttribute": "bool",
    "getListAttribute": ["list", "string"],
    "getNumberListAttribute": ["list", "number"],
    "getStringMapAttribute": ["map", "string"],
    "getNumberMapAttribute": ["map", "number"],
    "getBooleanMapAttribute": ["map", "bool"],
    "getAnyMapAttribute": "dynamic",
    "interpolationForAttribute": "dynamic",
}
# cdktf makes every provider-configuration argument optional (values may come from the
# environment) and drops max_items there, so the provider blocks' item limits are lost. The
# one that matters to every root, azurerm's mandatory `features {}`, is restored here.
PROVIDER_BLOCK_ITEMS = {"azurerm": {"features": (1, 1)}}
# The `computed` flag of optional+computed arguments is lost in the wheels (they appear as plain
# optional). A mock provider (`terraform test`'s `mock_provider`) fills only computed attributes,
# so a lost flag leaves a value null that the real provider sets on create. Restored here:
# * `id` of every resource and data source: terraform-plugin-sdk v2 adds it to each top-level
#   schema as Optional+Computed (plugin-framework resources declare it computed, which the wheels
#   keep, or required, which stays as it is);
# * the optional+computed arguments of the real schemas that generated stacks read back, checked
#   one by one against the providers' documentation ("Optional ... If not specified, ...
#   generated/defaults to").
OPTIONAL_COMPUTED = {
    "azurerm": {
        # Defaults to MC_<resource group>_<cluster>_<region>.
        "azurerm_kubernetes_cluster": ["node_resource_group"],
        # Generated as a GUID when not set.
        "azurerm_role_assignment": ["name"],
    },
}
PRIMITIVE_STORAGE = {"string": "string", "number": "number", "boolean": "bool", "any": "dynamic"}


class Unsupported(Exception):
    """A construct of the generated code this extractor does not understand."""


def block_end(text, start):
    """Index of the closing `}` of a top-level JS function or class starting at `start`."""
    end = text.find("\n}\n", start)
    return len(text) if end < 0 else end + 2


class Module:
    """The generated JavaScript of one resource, data source or provider (all of its files)."""

    def __init__(self, text):
        self.text = text
        self.fns = {}
        for m in FN_START.finditer(text):
            body = text[m.end() : block_end(text, m.end())]
            self.fns[m.group(1)] = body
        self.classes = {}
        for m in CLASS_START.finditer(text):
            body = text[m.end() : block_end(text, m.end())]
            self.classes[m.group(1)] = (m.group(2), body)

    def members(self, body):
        """Configurable members listed in an HCL synthesis body: name -> member dict."""
        out = {}
        for m in HCL_MEMBER.finditer(body):
            value = m.group(2)
            fns = [f for f in re.findall(r"([\w.]+)ToHclTerraform\b", value) if not f.startswith("cdktf.")]
            js = re.search(r"(?:this\._|struct\.)(\w+)", value)
            out[m.group(1)] = {
                "value": value,
                "is_block": m.group(3) == "true",
                "kind": m.group(4),
                "storage": m.group(5),
                "fn": fns[0].split(".")[-1] if fns else None,
                "mapper": "listMapperHcl(" in value,
                "js": js.group(1) if js else None,
                "nullable": " === undefined ? null : " in value,
            }
        return out

    def getters(self, class_name):
        """Terraform name -> Terraform type of every attribute getter of a generated class."""
        if class_name not in self.classes:
            return {}
        _, body = self.classes[class_name]
        fields = {f.group(1): (f.group(2), f.group(3), f.group(4)) for f in FIELD.finditer(body)}
        out = {}
        for g in GETTER.finditer(body):
            expr = g.group(2)
            call = re.match(r"(?:cdktf\.Token\.asNumberList\()?(cdktf\.Fn\.tolist\()?this\.(\w+)\('(\w+)'\)", expr)
            if call:
                kind = GETTER_TYPES.get(call.group(2))
                if kind is None:
                    raise Unsupported(f"getter {expr}")
                if call.group(1):
                    kind = ["set", kind[1]]
                out[call.group(3)] = kind
                continue
            field = re.fullmatch(r"this\._(\w+)", expr)
            if field and field.group(1) in fields:
                cls, tf_name, wraps_set = fields[field.group(1)]
                out[tf_name] = ("complex", cls.split(".")[-1], wraps_set == "true")
        return out


def cdktf_collection_type(cls):
    """`StringMapList` -> ["list", ["map", "string"]] for cdktf's built-in collection classes."""
    m = re.fullmatch(r"(String|Number|Boolean|Any)((?:Map|List)+)", cls)
    if not m:
        return None
    elem = {"String": "string", "Number": "number", "Boolean": "bool", "Any": "dynamic"}[m.group(1)]
    for wrapper in re.findall("Map|List", m.group(2)):
        elem = [wrapper.lower(), elem]
    return elem


class Provider:
    """Builds one provider's schema from its jsii assembly and JavaScript."""

    def __init__(self, files):
        self.files = files
        jsii = json.loads(files["package/.jsii"])
        self.types = {}
        for fqn, t in jsii["types"].items():
            self.types[t["name"]] = t
        self.unsupported = []

    def jsii_props(self, iface_name):
        """jsii property name -> (optional, doc summary) of a Config or struct interface."""
        t = self.types.get(iface_name)
        if t is None or t.get("kind") != "interface":
            return {}
        return {
            p["name"]: (bool(p.get("optional")), p.get("docs", {}).get("summary", ""))
            for p in t.get("properties", [])
        }

    def primitive_type(self, member):
        kind, storage = member["kind"], member["storage"]
        if kind == "simple":
            return PRIMITIVE_STORAGE[storage]
        if storage[0].islower():
            t = cdktf_collection_type(storage[0].upper() + storage[1:])
            if t is None:
                raise Unsupported(f"storage {storage}")
            if kind == "set":
                t = ["set", t[1]]
            elif kind == "map" and storage == "anyMap":
                # cdktf renders Terraform's "dynamic" as a map of any (kubernetes_manifest's
                # `manifest`); "dynamic" also accepts any real map(dynamic), so it never errs.
                t = "dynamic"
            return t
        return None

    def object_type(self, mod, struct):
        """Object type of a struct: configurable members from its HCL function, the rest from
        its output reference's getters."""
        attrs = {}
        fn = struct[0].lower() + struct[1:]
        for name, m in mod.members(mod.fns.get(fn, "")).items():
            t = self.primitive_type(m)
            if t is None:
                inner = self.object_type(mod, m["fn"][0].upper() + m["fn"][1:])
                t = inner if m["kind"] == "struct" else [m["kind"], inner]
            attrs[name] = t
        for name, t in mod.getters(struct + "OutputReference").items():
            if name not in attrs:
                attrs[name] = self.getter_type(mod, t)
        return ["object", attrs]

    def getter_type(self, mod, t):
        if isinstance(t, tuple):
            _, cls, wraps_set = t
            coll = cdktf_collection_type(cls) if cls.startswith(("String", "Number", "Boolean", "Any")) else None
            if coll is not None:
                return coll
            if cls.endswith("OutputReference"):
                return self.object_type(mod, cls[: -len("OutputReference")])
            if cls.endswith("List"):
                return ["set" if wraps_set else "list", self.object_type(mod, cls[:-4])]
            if cls.endswith("Map"):
                return ["map", self.object_type(mod, cls[:-3])]
            raise Unsupported(f"complex getter class {cls}")
        return t

    def is_object_type(self, struct, members):
        """Whether a struct that is no block is an attribute of object type (SDKv2 attributes,
        including `ConfigMode: Attr` lists of objects) rather than a nested attribute (plugin
        framework). cdktf knows the members of an object type only by name and type: they carry
        no description and inherit the parent's flags, so all are optional or all required.
        Framework nested attributes document their members or mix required and optional ones."""
        if any(m["nullable"] for m in members.values()):
            return True
        props = self.jsii_props(struct)
        flags = {props.get(m["js"], (True, ""))[0] for m in members.values()}
        described = any(
            not summary.startswith("Docs at Terraform Registry") and summary
            for _, summary in (props.get(m["js"], (True, "")) for m in members.values())
        )
        return not described and len(flags) <= 1

    def block(self, mod, members, getter_class, iface):
        """Schema block from configurable members and the getters of `getter_class`."""
        props = self.jsii_props(iface)
        attributes, block_types = {}, {}
        for name, m in members.items():
            optional, summary = props.get(m["js"], (True, ""))
            t = self.primitive_type(m)
            if t is not None:
                attributes[name] = {"type": t, "description_kind": "plain"}
                attributes[name]["optional" if optional else "required"] = True
                continue
            struct = m["fn"][0].upper() + m["fn"][1:]
            sub_members = mod.members(mod.fns.get(m["fn"], ""))
            is_block = summary == f"{name} block."
            if is_block:
                mode = {"list": "list", "set": "set", "struct": "single"}[m["kind"]]
                bt = {
                    "nesting_mode": mode,
                    "block": self.block(mod, sub_members, struct + "OutputReference", struct),
                }
                if mode != "single":
                    if not optional:
                        bt["min_items"] = 1
                    if not m["mapper"]:
                        bt["max_items"] = 1
                block_types[name] = bt
            elif self.is_object_type(struct, sub_members):
                obj = self.object_type(mod, struct)
                t = obj if m["kind"] == "struct" else [m["kind"], obj]
                attributes[name] = {"type": t, "description_kind": "plain"}
                attributes[name]["optional" if optional else "required"] = True
            else:
                inner = self.block(mod, sub_members, struct + "OutputReference", struct)
                mode = {"list": "list", "set": "set", "struct": "single"}[m["kind"]]
                attributes[name] = {
                    "nested_type": {"attributes": inner["attributes"], "nesting_mode": mode},
                    "description_kind": "plain",
                }
                attributes[name]["optional" if optional else "required"] = True
        for name, t in mod.getters(getter_class).items():
            if name in members or name in block_types:
                continue
            attributes[name] = {
                "type": self.getter_type(mod, t),
                "description_kind": "plain",
                "computed": True,
            }
        out = {"description_kind": "plain"}
        if attributes:
            out["attributes"] = attributes
        if block_types:
            out["block_types"] = block_types
        return out

    def extract(self):
        provider, resources, data_sources = None, {}, {}
        meta = {}
        dirs = {}
        for path, data in self.files.items():
            parts = path.split("/")
            if len(parts) >= 4 and parts[1] == "lib" and path.endswith(".js"):
                dirs.setdefault(parts[2], []).append(data.decode())
        for d, texts in sorted(dirs.items()):
            mod = Module("\n".join(texts))
            for cls, (base, body) in mod.classes.items():
                if base not in (
                    "cdktf.TerraformResource",
                    "cdktf.TerraformDataSource",
                    "cdktf.TerraformProvider",
                ):
                    continue
                tf_type = RES_TYPE.search(body).group(1)
                synth = re.search(r"synthesizeHclAttributes\(\) \{(.*?)\n    \}\n", body, re.S)
                members = mod.members(synth.group(1) if synth else "")
                jcls = self.types[cls]
                iface = jcls["initializer"]["parameters"][-1]["type"]["fqn"].split(".")[-1]
                try:
                    blk = self.block(mod, members, cls, iface)
                except Unsupported as e:
                    self.unsupported.append(f"{tf_type}: {e}")
                    continue
                if base == "cdktf.TerraformProvider":
                    blk.get("attributes", {}).pop("alias", None)
                    if not blk.get("attributes", True):
                        del blk["attributes"]
                    for block_name, (lo, hi) in PROVIDER_BLOCK_ITEMS.get(tf_type, {}).items():
                        blk["block_types"][block_name].update(min_items=lo, max_items=hi)
                    provider = {"version": 0, "block": blk}
                    ver = re.search(r"providerVersion: '([^']+)'", body)
                    meta["version"] = ver.group(1) if ver else None
                elif base == "cdktf.TerraformDataSource":
                    data_sources[tf_type] = {"version": 0, "block": blk}
                else:
                    resources[tf_type] = {"version": 0, "block": blk}
        readme = self.files["package/README.md"].decode()
        src = re.search(r"prebuilt bindings for ([\w-]+)/([\w-]+) provider version ([\w.-]+)", readme)
        meta.update(namespace=src.group(1), name=src.group(2), version=src.group(3))
        restore_optional_computed(meta["name"], resources, data_sources)
        # `terraform providers schema -json` leaves out empty maps; so does this file.
        schema = {"provider": provider}
        if resources:
            schema["resource_schemas"] = resources
        if data_sources:
            schema["data_source_schemas"] = data_sources
        return meta, schema


def restore_optional_computed(provider, resources, data_sources):
    """Marks the arguments of OPTIONAL_COMPUTED, and every optional top-level `id`, computed."""
    for schemas in (resources, data_sources):
        for schema in schemas.values():
            attr = schema["block"].get("attributes", {}).get("id")
            if attr is not None and attr.get("optional"):
                attr["computed"] = True
    for tf_type, names in OPTIONAL_COMPUTED.get(provider, {}).items():
        attributes = resources[tf_type]["block"]["attributes"]
        for name in names:
            if not attributes[name].get("optional"):
                raise SystemExit(f"extract_schemas: {tf_type}.{name} is not optional; update OPTIONAL_COMPUTED")
            attributes[name]["computed"] = True


def read_wheel(path):
    """Files of the jsii tarball inside a cdktf provider wheel: name -> bytes."""
    with zipfile.ZipFile(path) as wheel:
        tgz = [n for n in wheel.namelist() if n.endswith(".jsii.tgz")]
        if len(tgz) != 1:
            raise SystemExit(f"{path}: expected one .jsii.tgz, found {tgz}")
        blob = wheel.read(tgz[0])
    files = {}
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        for member in tar:
            if member.isfile() and (
                member.name.endswith(".js") or member.name in ("package/.jsii", "package/README.md")
            ):
                files[member.name] = tar.extractfile(member).read()
    return files


def main(argv):
    if len(argv) < 3:
        raise SystemExit(__doc__)
    out_dir = argv[1]
    os.makedirs(out_dir, exist_ok=True)
    failed = False
    for wheel in argv[2:]:
        p = Provider(read_wheel(wheel))
        meta, schema = p.extract()
        if p.unsupported:
            failed = True
            for u in p.unsupported:
                print(f"extract_schemas: {os.path.basename(wheel)}: unsupported {u}", file=sys.stderr)
        doc = {
            "format_version": "1.0",
            "provider_schemas": {f"registry.terraform.io/{meta['namespace']}/{meta['name']}": schema},
        }
        target = os.path.join(out_dir, f"{meta['name']}.json")
        with open(target + ".tmp", "w") as f:
            json.dump(doc, f, sort_keys=True, indent=1)
            f.write("\n")
        os.replace(target + ".tmp", target)
        with open(os.path.join(out_dir, f"{meta['name']}.version"), "w") as f:
            f.write(f"{meta['namespace']} {meta['name']} {meta['version']}\n")
        print(
            f"extract_schemas: {meta['namespace']}/{meta['name']} {meta['version']}: "
            f"{len(schema.get('resource_schemas', {}))} resources, "
            f"{len(schema.get('data_source_schemas', {}))} data sources -> {target}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
