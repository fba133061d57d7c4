#!/usr/bin/env bash
# A/B builds for one GPU run: the `gelu` binary of several versions of the kernels,
# benched one after another on one card by the runner this writes.
#   ./scripts/ab-bundle.sh NAME=SOURCE ...   then, on the GPU:   gpu-bundle/ab.sh OUTDIR [SECONDS]
# SOURCE is `.` (the working tree), a git revision, or REVISION+PATCH (a patch file
# applied on top). Binaries go to gpu-bundle/ab/NAME; the runner benches each at 2^16,
# 2^20, 2^24 and 2^26 elements (every op, CSV: OUTDIR/ab-NAME.csv), then the first
# again (ab-NAME-again.csv), so the spread between those two shows the run's noise.
# Given SECONDS (run.sh passes its step's limit), it benches only the builds that
# leave time for that last run.
#   ./scripts/ab-bundle.sh --queue   the working tree against each patch of
#                                    docs/ab-queue/ applied to HEAD, in the order of
#                                    docs/ab-queue/order (the most wanted first)
# Run after ./scripts/gpu-bundle.sh (which empties gpu-bundle/).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if [ "${1:-}" = --queue ]; then
  set -- shipped=.
  while read -r name; do
    set -- "$@" "$name=HEAD+docs/ab-queue/$name.patch"
  done <docs/ab-queue/order
fi
export CUDA_COMPUTE_CAP="${CUDA_COMPUTE_CAP:-90}"
dest="$root/gpu-bundle/ab"
rm -rf "$dest"
mkdir -p "$dest"
names=()
trees=()
cleanup() {  # the temporary worktrees, also when a build fails
  for t in "${trees[@]}"; do git worktree remove --force "$t" 2>/dev/null; done
  return 0
}
trap cleanup EXIT
# One target folder for every tree, so the dependencies build once; the crate itself
# is cleaned before each build, since cargo compares file dates, and one tree's
# older files would otherwise keep the previous tree's kernels.
target="$root/target/ab"
for spec in "$@"; do
  name="${spec%%=*}"
  source="${spec#*=}"
  if [ "$source" = . ]; then
    tree="$root"
    what="working tree at $(git describe --always --dirty)"
  else
    tree="$(mktemp -d)/gelu-cuda"
    git worktree add --detach -q "$tree" "${source%%+*}"
    trees+=("$tree")
    what="$(git -C "$tree" rev-parse --short HEAD)"
    if [ "$source" != "${source#*+}" ]; then
      git -C "$tree" apply "$root/${source#*+}"
      what="$what + ${source#*+}"
    fi
    ln -s "$root/.cuda-toolchain" "$tree/.cuda-toolchain"
  fi
  CARGO_TARGET_DIR="$target" cargo clean --release -p gelu-cuda --quiet
  (cd "$tree" && CARGO_TARGET_DIR="$target" cargo build --release --features cli --bin gelu --quiet)
  cp "$target/release/gelu" "$dest/$name"
  strip --strip-debug "$dest/$name"
  echo "$what" >"$dest/$name.source"
  names+=("$name")
  echo "built $name from $what"
done
echo "${names[*]}" >"$dest/order"

cat >"$root/gpu-bundle/ab.sh" <<'RUN'
#!/usr/bin/env bash
# Benches each A/B build in turn (see scripts/ab-bundle.sh), within SECONDS (default
# 600): a build runs only where the time left also holds the first build's second
# run. One summary line each; exits non-zero where a run failed or did not fit.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/out}"
deadline=$((SECONDS + ${2:-600}))
mkdir -p "$out"
read -r -a names <"$here/ab/order"
failed=0
run() {  # run NAME TAG LIMIT
  local name="$1" tag="$2" limit="$3" start=$SECONDS
  if [ "$limit" -lt 5 ]; then  # (`timeout 0` would mean no limit at all)
    echo "$tag: not run, out of time" >>"$out/ab-summary.txt"
    failed=$((failed + 1))
    return
  fi
  # --foreground: in the caller's process group, so that a limit on this script
  # also stops the bench it is running.
  timeout --foreground -k 5 "$limit" "$here/ab/$name" bench --quiet --format csv --sizes 16,20,24,26 \
    --op forward,backward,bias-forward,bias-backward,geglu-forward,geglu-backward \
    >"$out/ab-$tag.csv" 2>"$out/ab-$tag.err"
  local rc=$?
  [ "$rc" = 0 ] || failed=$((failed + 1))
  [ -s "$out/ab-$tag.err" ] || rm -f "$out/ab-$tag.err"
  echo "$tag: rc=$rc ($((SECONDS - start)) s) from $(cat "$here/ab/$name.source")" >>"$out/ab-summary.txt"
  took=$((SECONDS - start))
}
cap() { local left=$((deadline - SECONDS - $2)); [ "$left" -lt "$1" ] && echo "$left" || echo "$1"; }
took=0
run "${names[0]}" "${names[0]}" "$(cap "${GELU_AB_SECONDS:-60}" 0)"
first=$took
for name in "${names[@]:1}"; do
  if [ $((deadline - SECONDS)) -lt $((2 * first + 15)) ]; then
    echo "$name: not run, out of time" >>"$out/ab-summary.txt"
    failed=$((failed + 1))
    continue
  fi
  run "$name" "$name" "$(cap "${GELU_AB_SECONDS:-60}" $((first + 10)))"
done
run "${names[0]}" "${names[0]}-again" "$(cap "${GELU_AB_SECONDS:-60}" 2)"
cat "$out/ab-summary.txt"
[ "$failed" = 0 ]
RUN
chmod +x "$root/gpu-bundle/ab.sh"
"$root/scripts/pack-bundle.sh"
