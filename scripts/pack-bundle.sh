#!/usr/bin/env bash
# Packs gpu-bundle/ into gpu-bundle.tar.gz, the one file a lent GPU machine is sent:
# it takes at most 64 MiB of carried files.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tar -C "$root" -czf "$root/gpu-bundle.tar.gz" gpu-bundle
du -sh "$root/gpu-bundle" "$root/gpu-bundle.tar.gz"
size=$(stat -c %s "$root/gpu-bundle.tar.gz")
if [ "$size" -gt $((64 << 20)) ]; then
  echo "pack-bundle: gpu-bundle.tar.gz is $((size >> 20)) MiB, over the 64 MiB a lent machine takes" >&2
  exit 1
fi
