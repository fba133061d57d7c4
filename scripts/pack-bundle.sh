#!/usr/bin/env bash
# Packs gpu-bundle/ into gpu-bundle.tar.gz, the one file a lent GPU machine is sent:
# it takes at most 64 MiB of carried files.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tar -C "$root" -czf "$root/gpu-bundle.tar.gz" gpu-bundle
du -sh "$root/gpu-bundle" "$root/gpu-bundle.tar.gz"
# The limit covers everything that travels: the working tree git sees, and the
# carried tarball.
# (A tracked file deleted from the tree makes du complain; it travels as nothing.)
tree=$(git -C "$root" ls-files -co --exclude-standard -z |
  (cd "$root" && { du -cb --files0-from=- 2>/dev/null || true; } | tail -1 | cut -f1))
size=$(($(stat -c %s "$root/gpu-bundle.tar.gz") + tree))
if [ "$size" -gt $((64 << 20)) ]; then
  echo "pack-bundle: gpu-bundle.tar.gz and the working tree come to $((size >> 20)) MiB, over the 64 MiB a lent machine takes" >&2
  exit 1
fi
echo "pack-bundle: $((size >> 20)) MiB to carry, of 64"
