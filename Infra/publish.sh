#!/usr/bin/env bash
# Publishes the GeoLedger service self-contained for linux-x64 into a folder whose content hash
# (sorted relative paths and bytes, see Infra/Plan/ContentHash.cs) does not change when nothing
# changed, packs it into a deterministic tar.gz next to it, and prints the content hash.
#
#   Infra/publish.sh [OUT_DIR]            default: artifacts/publish/linux-x64 (+ linux-x64.tar.gz)
#   GEOLEDGER_PUBLISH_SELF_CONTAINED=false  framework-dependent instead (tests on machines without
#                                           the linux-x64 runtime packs; never for an image)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/artifacts/publish/linux-x64}"
self_contained="${GEOLEDGER_PUBLISH_SELF_CONTAINED:-true}"
mkdir -p "$(dirname "$out")"
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"

# Private bin/obj so two publishes never share state, mapped away from the binaries with PathMap.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

rm -rf "$out" "$out.tar.gz"
dotnet publish "$root/Service/Service.csproj" \
  --configuration Release --runtime linux-x64 --self-contained "$self_contained" \
  --artifacts-path "$work/artifacts" --output "$out" --nologo -v:q \
  -p:Deterministic=true -p:ContinuousIntegrationBuild=true -p:DebugType=none \
  "-p:PathMap=$root=/src%2C$work=/build" >&2

# Normalize: symbols would carry paths; fixed mode bits and times for the archive.
find "$out" -name '*.pdb' -delete
find "$out" -type d -exec chmod 0755 {} +
find "$out" -type f -exec chmod 0644 {} +
for exe in GeoLedger createdump; do [ -f "$out/$exe" ] && chmod 0755 "$out/$exe"; done
find "$out" -exec touch -h -d '@0' {} +

tar --sort=name --mtime='@0' --owner=0 --group=0 --numeric-owner --format=gnu \
  -C "$out" -cf - . | gzip -n -9 > "$out.tar.gz"

# The content hash: for each file in byte order of its relative path, "path NUL size NUL bytes".
(
  cd "$out"
  find . -type f -printf '%P\0' | LC_ALL=C sort -z | while IFS= read -r -d '' f; do
    printf '%s\0%s\0' "$f" "$(stat -c %s "$f")"
    cat "$f"
  done
) | sha256sum | cut -d' ' -f1
