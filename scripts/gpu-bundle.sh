#!/usr/bin/env bash
# Builds the test, bench and example binaries and gathers them with a runner in
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

cargo test --release --no-run --message-format=json 2>/dev/null | copy_artifacts
cargo bench --no-run --message-format=json 2>/dev/null | copy_artifacts
cargo build --release --examples --message-format=json 2>/dev/null | copy_artifacts

cat >"$bundle/run.sh" <<'RUN'
#!/usr/bin/env bash
# The whole GPU check: tests (GPU required), the four compute-sanitizer tools on the
# GPU tests, the accuracy table and the benches. Logs and a summary go to $1.
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
step() {  # step NAME COMMAND...
  local name="$1"; shift
  local start=$SECONDS
  "$@" >"$out/$name.log" 2>&1
  local rc=$?
  echo "$name: rc=$rc ($((SECONDS - start)) s)" >>"$summary"
  [ $rc -eq 0 ] || status=1
}
for t in "$here"/bin/test-*; do
  step "$(basename "$t")" "$t" --test-threads 1 --show-output
done
gpu_tests="$here/bin/test-gpu"
if command -v compute-sanitizer >/dev/null 2>&1; then
  for tool in memcheck racecheck initcheck synccheck; do
    step "sanitizer-$tool" compute-sanitizer --tool "$tool" --error-exitcode 1 \
      "$gpu_tests" --test-threads 1 gpu_every_length_and_offset gpu_special_values gpu_bad_input
  done
else
  echo "compute-sanitizer: not found" >>"$summary"
fi
step example-accuracy "$here/bin/example-accuracy"
CRITERION_HOME="$out/criterion" step bench-gelu "$here/bin/bench-gelu" --bench
cat "$summary"
exit $status
RUN
chmod +x "$bundle/run.sh"
du -sh "$bundle"
