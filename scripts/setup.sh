#!/usr/bin/env bash
# Installs the pinned CUDA compiler wheels into .cuda-toolchain/ when no CUDA
# toolkit is found. Idempotent: a second run does nothing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/.cuda-toolchain"

have_nvcc() {
  [ -n "${NVCC:-}" ] && [ -x "$NVCC" ] && return 0
  for d in "${CUDA_HOME:-}" "${CUDA_PATH:-}"; do
    [ -n "$d" ] && [ -x "$d/bin/nvcc" ] && return 0
  done
  command -v nvcc >/dev/null 2>&1 && return 0
  [ -x /usr/local/cuda/bin/nvcc ] && return 0
  return 1
}

# The compiler set is pinned as a whole: an unpinned nvvm emits PTX that this
# ptxas rejects. nvtx brings the NVTX3 headers (the `nvtx` feature); cuobjdump
# and nvdisasm are only used to inspect SASS.
wheels=(
  nvidia-cuda-nvcc==13.0.88
  nvidia-cuda-runtime==13.0.96
  nvidia-cuda-crt==13.0.88
  nvidia-cuda-cccl==13.0.85
  nvidia-nvvm==13.0.88
  nvidia-nvtx==13.0.85
  nvidia-cuda-cuobjdump==13.2.86
  "nvidia-cuda-nvdisasm==13.2.*"
)

stamp="$dest/.installed"
want="$(printf '%s\n' "${wheels[@]}")"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
if have_nvcc && [ -z "${GELU_FORCE_WHEELS:-}" ]; then
  echo "setup: a CUDA toolkit is already installed; nothing to do"
  exit 0
fi
echo "setup: installing the CUDA compiler wheels into $dest (about 300 MB)"
rm -rf "$dest"
python3 -m pip install --quiet --disable-pip-version-check --no-deps \
  --target "$dest" "${wheels[@]}"
printf '%s\n' "$want" >"$stamp"
echo "setup: nvcc is $dest/nvidia/cu13/bin/nvcc"
