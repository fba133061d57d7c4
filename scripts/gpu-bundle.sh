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
  # Reads cargo's JSON messages; copies every executable it built, and shows the
  # compiler's errors (the JSON format sends them here, not to stderr).
  python3 -c '
import json, shutil, sys, os
dest = sys.argv[1]
for line in sys.stdin:
    msg = json.loads(line)
    if msg.get("reason") == "compiler-message" and msg["message"]["level"] == "error":
        print(msg["message"]["rendered"], file=sys.stderr)
    exe = msg.get("executable") if msg.get("reason") == "compiler-artifact" else None
    kind = msg["target"]["kind"][0] if exe else None
    # A bin or lib built as a test harness would overwrite the real binary.
    if exe and not (kind in ("bin", "lib") and msg["profile"]["test"]):
        name = msg["target"]["name"]
        shutil.copy2(exe, os.path.join(dest, f"{kind}-{name}"))
        print(f"bundled {kind}-{name}")
' "$bundle/bin"
}

# What run.sh runs, no more: the bundle travels to the GPU machine (64 MiB there,
# A/B builds included).
cargo test --release --all-features --no-run --message-format=json \
  --test gpu --test gpu_reliability --test gpu_module_once --test gpu_leaks | copy_artifacts
cargo bench --all-features --no-run --message-format=json --bench launch | copy_artifacts
cargo build --release --all-features --bin gelu --message-format=json | copy_artifacts
strip --strip-debug "$bundle"/bin/*
cp scripts/compare_pytorch.py scripts/summarize_results.py "$bundle/"
# What the results measured: the commit (and whether the tree differed from it).
git -C "$root" describe --always --dirty >"$bundle/SOURCE"

cat >"$bundle/to" <<'TO'
#!/usr/bin/env bash
# to FILE COMMAND...: runs COMMAND with its standard output in FILE.
f="$1"
shift
exec "$@" >"$f"
TO
cat >"$bundle/run.sh" <<'RUN'
#!/usr/bin/env bash
# The whole GPU check, sized for a lent machine's 15-minute budget (GELU_CHECK_SECONDS,
# default 540, of which it takes about 100 for the correctness steps):
#   1. correctness, in parallel: the GPU test binaries (GELU_REQUIRE_GPU=1), the four
#      compute-sanitizer tools on the short GPU tests, the accuracy table over all
#      fp32 inputs (table and JSON);
#   2. alone on the GPU, one after another, the most wanted first: the million-launch
#      leak test, `gelu bench` at 2^12 to 2^28 (JSON), the same on rows that are not
#      whole vectors, the one-run comparison with PyTorch (eager and torch.compile,
#      size by size), the A/B builds of scripts/ab-bundle.sh where present (as many
#      as fit), Nsight Compute's DRAM throughput and occupancy per kernel at 2^26
#      elements, the launch-overhead bench.
# Every step has a time limit within one overall deadline, and its log is in
# $1/logs.d until the phase ends (then in logs.txt). Files in $1: summary.txt,
# logs.txt, accuracy.txt, accuracy.json, bench.json, bench-odd-cols.json,
# bench-from-input.json, comparison.json, comparison.md, comparison.png, ncu.csv,
# and ab/ (the A/B runs).
set -u
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/out}"
deadline=$((SECONDS + ${GELU_CHECK_SECONDS:-540}))
mkdir -p "$out/logs.d"
logs="$out/logs.d"
export GELU_REQUIRE_GPU=1
summary="$out/summary.txt"
# Every probe has a limit: a wedged GPU hangs nvidia-smi, and a cold `import torch`
# takes many seconds (the version is read without importing it).
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "source: $(cat "$here/SOURCE" 2>/dev/null || echo unknown)"
  echo "kernel: $(uname -r)"  # gVisor refuses compute-sanitizer and ncu
  timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem,temperature.gpu,power.draw \
    --format=csv,noheader 2>&1 | sed 's/^/gpu: /'
  timeout 20 python3 -c "import importlib.metadata as m; print('torch:', m.version('torch'))" 2>/dev/null ||
    echo "torch: not installed"
} >"$summary"
find_tool() {  # the tool on PATH, else under the usual CUDA and Nsight folders
  command -v "$1" 2>/dev/null || ls /usr/local/cuda*/bin/"$1" /opt/nvidia/nsight-compute/*/"$1" 2>/dev/null | head -1
}
# step NAME SECONDS COMMAND...: log to $logs/NAME.log, a line in the summary. The
# command sees its limit as STEP_SECONDS; RESERVE seconds are kept for later steps.
RESERVE=0
last_rc=0  # the last foreground step's status
step() {
  local name="$1" limit="$2"; shift 2
  local left=$((deadline - SECONDS - RESERVE)) start=$SECONDS
  [ "$left" -lt "$limit" ] && limit=$left
  if [ "$limit" -lt 5 ]; then
    echo "$name: not run, out of time" >>"$summary"
    return
  fi
  STEP_SECONDS=$limit timeout -k 5 "$limit" "$@" >"$logs/$name.log" 2>&1
  local rc=$?
  last_rc=$rc
  echo "$name: rc=$rc ($((SECONDS - start)) s, limit $limit s)" >>"$summary"
}
flush_logs() {  # appends the step logs to logs.txt
  for f in "$logs"/*.log; do
    [ -e "$f" ] || continue
    echo "=== $(basename "$f" .log)"
    cat "$f"
  done >>"$out/logs.txt"
  rm -f "$logs"/*.log
}
gelu="$here/bin/bin-gelu"
sanitizer="$(find_tool compute-sanitizer)"
ncu="$(find_tool ncu)"
ops=forward,backward,bias-forward,bias-backward,geglu-forward,geglu-backward

# 1. Correctness, in parallel (nothing here is timed).
step test-gpu 260 "$here/bin/test-gpu" --show-output &
step test-gpu_reliability 260 "$here/bin/test-gpu_reliability" --show-output &
step test-gpu_module_once 60 "$here/bin/test-gpu_module_once" --show-output &
if [ -n "$sanitizer" ]; then
  for tool in memcheck racecheck initcheck synccheck; do
    step "sanitizer-$tool" 200 "$sanitizer" --tool "$tool" --error-exitcode 1 "$here/bin/test-gpu" \
      gpu_every_kernel_at_edge_lengths gpu_special_values gpu_bad_input gpu_fused_ops gpu_fused_bad_input \
      gpu_fused_results_do_not_depend_on_offsets &
  done
else
  echo "sanitizers: not run (compute-sanitizer not found)" >>"$summary"
fi
(
  step accuracy-json 150 "$here/to" "$out/accuracy.json" "$gelu" accuracy --device cuda --f32 all --quiet --format json
  step accuracy 150 "$here/to" "$out/accuracy.txt" "$gelu" accuracy --device cuda --f32 all --quiet --check
) &
wait
# A sanitizer run whose filters matched no test would pass having checked nothing.
for f in "$logs"/sanitizer-*.log; do
  [ -e "$f" ] && ! grep -Eq 'running [1-9]' "$f" && echo "$(basename "$f" .log): rc=99 (no test ran)" >>"$summary"
done
flush_logs

# 2. Alone on the GPU, one after another.
step test-gpu_leaks 60 "$here/bin/test-gpu_leaks" --show-output
step bench 150 "$here/to" "$out/bench.json" "$gelu" bench --quiet --format json --sizes 12,14,16,18,20,22,24,26,28 --op "$ops"
# The fused ops on rows that are not whole 16-byte vectors in any dtype (4098
# columns): the flat kernels, and the bias gradient's element-wise path.
step bench-odd-cols 30 "$here/to" "$out/bench-odd-cols.json" "$gelu" bench --quiet --format json --sizes 24,26 \
  --op bias-forward,bias-backward,geglu-forward,geglu-backward --cols 4098
# The bias backward from the input beside the one at a stored pre-activation, and
# the forward without the pre-activation: the two passes of a training step that
# compare_pytorch.py sets against PyTorch's.
step bench-from-input 30 "$here/to" "$out/bench-from-input.json" "$gelu" bench --quiet --format json \
  --sizes 24,26 --op bias-forward-no-pre,bias-backward,bias-backward-input
flush_logs
if timeout 20 python3 -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('torch') is None)"; then
  # The sizes the issues judge, the most wanted first (2^24: every criterion); at
  # most 150 s, so that the A/B builds get time too.
  step compare-pytorch 150 env PYTHONUNBUFFERED=1 python3 "$here/compare_pytorch.py" "$gelu" "$out" \
    --sizes 24,12,28,20,16,26 --ours "$out/bench.json,$out/bench-from-input.json"
  # The script renders at its end; again only where it was cut short.
  if [ "$last_rc" -ne 0 ] && [ -s "$out/comparison.json" ]; then
    step comparison-render 30 python3 "$here/compare_pytorch.py" --render "$out/comparison.json" "$out"
  fi
else
  echo "compare-pytorch: not run (no PyTorch)" >>"$summary"
fi
flush_logs
# Nsight Compute and the launch bench keep about 100 s; the A/B runs take the rest.
if [ -x "$here/ab.sh" ]; then
  RESERVE=100
  step ab 300 bash -c '"$0" "$1" "$STEP_SECONDS"' "$here/ab.sh" "$out/ab"
  RESERVE=0
fi
flush_logs
if [ -n "$ncu" ]; then
  step ncu 70 "$here/to" "$out/ncu.csv" "$ncu" --clock-control none --csv --metrics \
    gpu__time_duration.sum,dram__throughput.avg.pct_of_peak_sustained_elapsed,sm__warps_active.avg.pct_of_peak_sustained_active,dram__bytes_read.sum,dram__bytes_write.sum \
    "$gelu" profile --op "$ops,bias-backward-input" --approx exact,tanh,sigmoid --dtype f32,f16,bf16 --n 67108864 --warmup 0 --iters 1
else
  echo "ncu: not run (ncu not found)" >>"$summary"
fi
step launch-overhead 45 "$here/bin/bench-launch" --bench --warm-up-time 1 --measurement-time 3
timeout 20 nvidia-smi --query-gpu=clocks.sm,clocks.mem,temperature.gpu,power.draw --format=csv,noheader 2>&1 |
  sed 's/^/gpu after: /' >>"$summary"
flush_logs
rmdir "$logs"
cat "$summary"
# Steps run in the background set no status here: the summary holds every rc.
! grep -Eq 'rc=[1-9]|not run' "$summary"
RUN

cat >"$bundle/lease.sh" <<'LEASE'
#!/usr/bin/env bash
# The one command for a lent machine:   gpu-bundle/lease.sh OUTDIR SECONDS
# Runs run.sh into gpu-bundle/r within SECONDS (less than the lending tool's own
# limit, so that this script, not the tool, stops it), packing r/ into
# OUTDIR/all.tar.gz every 20 s while it runs and once more at the end, with
# summary.md (the speed criteria judged, scripts/summarize_results.py): should the
# tool stop this script, OUTDIR holds a whole archive of what ran so far (the tool
# returns only a few files). Prints the summary.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
out="$1"
total="${2:-580}"
work="$here/r"
rm -rf "$work" && mkdir -p "$work" "$out"
pack() {  # written beside, then renamed: all.tar.gz is never half a file
  # A file that grew while tar read it (a step still writing) exits 1 with a whole
  # archive; only more is a failure.
  tar --warning=no-file-changed -C "$here" -czf "$out/all.tar.gz.part" r 2>/dev/null
  [ $? -le 1 ] && mv "$out/all.tar.gz.part" "$out/all.tar.gz"
}
GELU_CHECK_SECONDS=$((total - 30)) timeout -k 5 $((total - 15)) "$here/run.sh" "$work" >"$work/run-stdout.txt" 2>&1 &
run=$!
packed=$SECONDS
while kill -0 "$run" 2>/dev/null; do
  sleep 2
  if [ $((SECONDS - packed)) -ge 20 ]; then
    pack
    packed=$SECONDS
  fi
done
wait "$run"
rc=$?
echo "run.sh: rc=$rc" >"$work/rc.txt"
# The criteria, judged from what came back (scripts/summarize_results.py).
timeout 15 python3 "$here/summarize_results.py" "$work" >"$work/summary.md" 2>&1
pack
rm -f "$out/all.tar.gz.part"
cat "$work/summary.txt" 2>/dev/null
grep -E 'criteria|Missed|Noise|Furthest|^Traceback|Error' "$work/summary.md"
echo "run.sh: rc=$rc"
exit "$rc"
LEASE
chmod +x "$bundle/run.sh" "$bundle/to" "$bundle/lease.sh"
"$root/scripts/pack-bundle.sh"
