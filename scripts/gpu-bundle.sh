#!/usr/bin/env bash
# Builds the test, bench and `gelu` binaries and gathers them with a runner in
# gpu-bundle/, so the whole GPU check is one command on a machine with a GPU and
# no Rust toolchain:   gpu-bundle/run.sh OUTDIR
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bundle="$root/gpu-bundle"
rm -rf "$bundle"
mkdir -p "$bundle/bin"

# Only the architectures of the lent machines (H100, H200) keep the build short.
export CUDA_COMPUTE_CAP="${CUDA_COMPUTE_CAP:-90}"

copy_artifacts() {
  # Reads cargo's JSON messages; copies every executable it built.
  python3 -c '
import json, shutil, sys, os
dest = sys.argv[1]
for line in sys.stdin:
    msg = json.loads(line)
    exe = msg.get("executable") if msg.get("reason") == "compiler-artifact" else None
    if exe:
        kind = msg["target"]["kind"][0]
        name = msg["target"]["name"]
        shutil.copy2(exe, os.path.join(dest, f"{kind}-{name}"))
        print(f"bundled {kind}-{name}")
' "$bundle/bin"
}

cargo test --release --all-features --no-run --message-format=json 2>/dev/null | copy_artifacts
cargo bench --all-features --no-run --message-format=json 2>/dev/null | copy_artifacts
cargo build --release --all-features --bins --message-format=json 2>/dev/null | copy_artifacts
cp scripts/compare_pytorch.py "$bundle/"

cat >"$bundle/run.sh" <<'RUN'
#!/usr/bin/env bash
# The whole GPU check: tests (GPU required), the four compute-sanitizer tools on
# the GPU tests, the accuracy table on the device, `gelu bench`, and the one-run
# comparison with PyTorch. Logs and a summary go to $1.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/out}"
mkdir -p "$out"
export GELU_REQUIRE_GPU=1
summary="$out/summary.txt"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | sed 's/^/gpu: /'
} >"$summary"
status=0
step() {  # step NAME SECONDS COMMAND...
  local name="$1" limit="$2"; shift 2
  local start=$SECONDS
  timeout "$limit" "$@" >"$out/$name.log" 2>&1
  local rc=$?
  echo "$name: rc=$rc ($((SECONDS - start)) s)" >>"$summary"
  [ $rc -eq 0 ] || status=1
}
step test-gpu 240 "$here/bin/test-gpu" --test-threads 1 --show-output
for t in "$here"/bin/test-*; do
  case "$(basename "$t")" in test-gpu|test-bindings) continue ;; esac
  step "$(basename "$t")" 180 "$t" --show-output
done
if command -v compute-sanitizer >/dev/null 2>&1; then
  for tool in memcheck racecheck initcheck synccheck; do
    step "sanitizer-$tool" 120 compute-sanitizer --tool "$tool" --error-exitcode 1 \
      "$here/bin/test-gpu" --test-threads 1 gpu_every_length_and_offset gpu_special_values gpu_bad_input
  done
else
  echo "compute-sanitizer: not found" >>"$summary"
fi
step accuracy 300 "$here/bin/bin-gelu" accuracy --device cuda --f32 all --quiet
step accuracy-json 300 "$here/bin/bin-gelu" accuracy --device cuda --f32 all --quiet --format json
step bench 240 "$here/bin/bin-gelu" bench --quiet --op forward,backward,bias-forward,bias-backward,geglu-forward,geglu-backward
step launch-overhead 60 "$here/bin/bench-launch" --bench
if python3 -c "import torch" 2>/dev/null; then
  step compare-pytorch 400 python3 "$here/compare_pytorch.py" "$here/bin/bin-gelu" "$out/comparison" --sizes 12,16,20,24,26,28
else
  echo "compare-pytorch: no PyTorch" >>"$summary"
fi
cat "$summary"
exit $status
RUN
chmod +x "$bundle/run.sh"
du -sh "$bundle"
