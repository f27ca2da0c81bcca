#!/usr/bin/env bash
# Prints the next release version (without the leading v) for the git tags read from stdin, one
# per line: the highest vMAJOR.MINOR.PATCH tag with its patch bumped, or 0.0.1 when there is none.
# Anything else (v1.2, 1.2.3, v1.2.3-rc.1, v01.2.3, release-7) is ignored, so a stray tag never
# breaks or hijacks the numbering. Usage: git tag --list 'v*' | bash next-version.sh
set -euo pipefail

latest="$(
  tr -d '\r' |
    { grep -E '^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$' || true; } |
    sed 's/^v//' |
    sort -t . -k 1,1n -k 2,2n -k 3,3n |
    tail -n 1
)"

if [[ -z "$latest" ]]; then
  echo "0.0.1"
  exit 0
fi

IFS=. read -r major minor patch <<<"$latest"
echo "$major.$minor.$((10#$patch + 1))"
