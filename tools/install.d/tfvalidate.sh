#!/usr/bin/env bash
# Offline `terraform validate` support (tools/tfvalidate/README.md):
#  1. downloads the pinned cdktf provider wheels (tools/requirements/schemas.txt) into a cache,
#  2. extracts `terraform providers schema -json` files into .tools/provider-schemas/<name>.json,
#  3. builds the schema-only stand-in provider and lays out a Terraform plugin directory at
#     .tools/tfvalidate/plugins/<host>/<namespace>/<name>/<version>/<os>_<arch>/.
# Idempotent: extraction reruns only when the pins or the extractor change; cargo rebuilds the
# stand-in only when its sources change.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tools="${STACKGEN_TOOLS:-$root/.tools}"
pins="$root/tools/requirements/schemas.txt"
extractor="$root/tools/tfvalidate/extract_schemas.py"
cache="$tools/cache/cdktf-wheels"
schemas="$tools/provider-schemas"
python="$tools/venv/bin/python"
[[ -x "$python" ]] || python="${PYTHON:-python3}"

want="$(cat "$pins" "$extractor" | sha256sum | cut -d' ' -f1)"
if [[ -f "$schemas/.stamp" && "$(cat "$schemas/.stamp")" == "$want" ]]; then
  echo "tfvalidate: provider schemas up to date"
else
  echo "tfvalidate: downloading pinned cdktf provider wheels into ${cache#"$root"/}"
  mkdir -p "$cache"
  "$python" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    -r "$pins" -d "$cache"
  wheels=()
  while read -r pin; do
    name="${pin%%==*}" version="${pin#*==}"
    wheel="$cache/${name//-/_}-${version}-py3-none-any.whl"
    [[ -f "$wheel" ]] || { echo "tfvalidate: $wheel missing after download" >&2; exit 1; }
    wheels+=("$wheel")
  done < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$pins")
  rm -rf "$schemas.new"
  "$python" "$extractor" "$schemas.new" "${wheels[@]}"
  echo "$want" >"$schemas.new/.stamp"
  rm -rf "$schemas"
  mv "$schemas.new" "$schemas"
fi

# The stand-in provider: a debug build shares its compiled dependencies with `cargo test`.
target="${CARGO_TARGET_DIR:-$root/target}"
echo "tfvalidate: building the stand-in provider"
(cd "$root" && cargo build --quiet --locked -p tfvalidate --bin tfvalidate)
mkdir -p "$tools/tfvalidate/bin"
install -m 0755 "$target/debug/tfvalidate" "$tools/tfvalidate/bin/tfvalidate.new"
mv "$tools/tfvalidate/bin/tfvalidate.new" "$tools/tfvalidate/bin/tfvalidate"

if ! command -v terraform >/dev/null 2>&1; then
  echo "tfvalidate: terraform not on PATH; skipping the plugin directory (its tests will skip)"
  exit 0
fi
platform="$(CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null terraform version -json |
  "$python" -c 'import json, sys; print(json.load(sys.stdin)["platform"])')"
plugins="$tools/tfvalidate/plugins"
rm -rf "$plugins.new"
for version_file in "$schemas"/*.version; do
  read -r namespace name version <"$version_file"
  dir="$plugins.new/registry.terraform.io/$namespace/$name/$version/$platform"
  mkdir -p "$dir"
  # Hard links: each provider is the same binary, told apart by its file name.
  ln "$tools/tfvalidate/bin/tfvalidate" "$dir/terraform-provider-${name}_v${version}"
done
rm -rf "$plugins"
mv "$plugins.new" "$plugins"
count="$(find "$schemas" -maxdepth 1 -name '*.json' | wc -l)"
echo "tfvalidate: $count provider schemas in ${schemas#"$root"/}, plugins in ${plugins#"$root"/}"
