#!/usr/bin/env bash
# A/B builds for one GPU run: the `gelu` binary of several versions of the kernels,
# benched one after another on one card by the runner this writes.
#   ./scripts/ab-bundle.sh NAME=SOURCE ...   then, on the GPU:   gpu-bundle/ab.sh OUTDIR
# SOURCE is `.` (the working tree), a git revision, or REVISION+PATCH (a patch file
# applied on top). Binaries go to gpu-bundle/ab/NAME; the runner benches each at 2^12,
# 2^16, 2^20, 2^24 and 2^26 elements (every op, CSV: OUTDIR/ab-NAME.csv), then the first again
# (ab-NAME-again.csv), so the spread between those two shows the run's noise.
#   ./scripts/ab-bundle.sh --queue   the working tree against each patch of
#                                    docs/ab-queue/ applied to HEAD (or to the
#                                    revision on the patch's "base:" line)
# Run after ./scripts/gpu-bundle.sh (which empties gpu-bundle/).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if [ "${1:-}" = --queue ]; then
  set -- shipped=.
  for patch in docs/ab-queue/*.patch; do
    # A patch written against an older main names that revision on a "base:" line.
    base="$(sed -n 's/^base: //p' "$patch" | head -n 1)"
    set -- "$@" "$(basename "$patch" .patch)=${base:-HEAD}+$patch"
  done
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
for spec in "$@"; do
  name="${spec%%=*}"
  source="${spec#*=}"
  if [ "$source" = . ]; then
    tree="$root"
  else
    tree="$(mktemp -d)/gelu-cuda"
    git worktree add --detach -q "$tree" "${source%%+*}"
    trees+=("$tree")
    [ "$source" != "${source#*+}" ] && git -C "$tree" apply "$root/${source#*+}"
    ln -s "$root/.cuda-toolchain" "$tree/.cuda-toolchain"
  fi
  # One target folder for every tree: the dependencies build once.
  (cd "$tree" && CARGO_TARGET_DIR="$root/target/ab" cargo build --release --features cli --bin gelu --quiet)
  cp "$root/target/ab/release/gelu" "$dest/$name"
  strip --strip-debug "$dest/$name"
  echo "$source" >"$dest/$name.source"
  names+=("$name")
  echo "built $name from $source"
done
echo "${names[*]}" >"$dest/order"

cat >"$root/gpu-bundle/ab.sh" <<'RUN'
#!/usr/bin/env bash
# Benches each A/B build in turn (see scripts/ab-bundle.sh); one summary line each.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/out}"
mkdir -p "$out"
read -r -a names <"$here/ab/order"
run() {
  local name="$1" tag="$2" start=$SECONDS
  timeout -k 5 "${GELU_AB_SECONDS:-60}" "$here/ab/$name" bench --quiet --format csv --sizes 12,16,20,24,26 \
    --op forward,backward,bias-forward,bias-backward,geglu-forward,geglu-backward >"$out/ab-$tag.csv" 2>&1
  echo "$tag: rc=$? ($((SECONDS - start)) s) from $(cat "$here/ab/$name.source")" >>"$out/ab-summary.txt"
}
for name in "${names[@]}"; do run "$name" "$name"; done
run "${names[0]}" "${names[0]}-again"
cat "$out/ab-summary.txt"
RUN
chmod +x "$root/gpu-bundle/ab.sh"
tar -C "$root" -czf "$root/gpu-bundle.tar.gz" gpu-bundle
du -sh "$root/gpu-bundle" "$root/gpu-bundle.tar.gz"
