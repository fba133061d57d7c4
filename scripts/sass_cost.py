#!/usr/bin/env python3
"""Static cost of the GELU functors on sm_90: SASS instructions per element.

Compiles one probe kernel per (approximation, flavour, direction) that loads one
float, applies the functor and stores the result, and counts the instructions up to
the first EXIT (out-of-line slow paths such as a division's rare branch are not
counted), minus those of a probe that does one multiplication instead (loads,
stores, indexing, and that one instruction). "longest path" leaves out the shorter side
of each if/else (the fast flavour's branch near the root of GELU').
Also counts MUFU (special function unit) instructions, which issue once but occupy
their own pipe.

Usage: python3 scripts/sass_cost.py   (needs nvcc and cuobjdump: scripts/setup.sh)
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLKIT = os.path.join(ROOT, ".cuda-toolchain", "nvidia", "cu13", "bin")

PROBE = r"""
#include "gelu_math.cuh"
using namespace gelu;
extern "C" __global__ void identity_fwd(float* p) { int i = threadIdx.x; p[i] = p[i] * 3.0f; }
extern "C" __global__ void identity_bwd(float* p, const float* q) { int i = threadIdx.x; p[i] = p[i] * q[i]; }
#define P(name, A, T) \
extern "C" __global__ void fwd_##name(float* p) { int i = threadIdx.x; p[i] = Gelu<Approx::A, T>::forward(p[i]); } \
extern "C" __global__ void bwd_##name(float* p, const float* q) { int i = threadIdx.x; p[i] = Gelu<Approx::A, T>::backward(p[i], q[i]); }
#define ALL(name, A) P(name##_fp32, A, float) P(name##_fp16, A, __half) P(name##_bf16, A, __nv_bfloat16)
ALL(exact, Exact) ALL(tanh, Tanh) ALL(sigmoid, Sigmoid)
"""


def tool(name):
    local = os.path.join(TOOLKIT, name)
    return local if os.path.exists(local) else shutil.which(name)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "probe.cu")
        with open(src, "w") as fh:
            fh.write(PROBE)
        cubin = os.path.join(tmp, "probe.cubin")
        subprocess.run([tool("nvcc"), "-cubin", "-O3", "-fmad=false", "-std=c++17", "-arch=sm_90",
                        "-I", os.path.join(ROOT, "cuda"), "-o", cubin, src], check=True)
        sass = subprocess.run([tool("cuobjdump"), "-sass", cubin], check=True, capture_output=True, text=True).stdout
    listing = {}
    current = None
    for line in sass.splitlines():
        m = re.search(r"Function : (\S+)", line)
        if m:
            current = m.group(1)
            listing[current] = []
            continue
        m = re.match(r"\s+/\*([0-9a-f]{4,5})\*/\s+(@!?U?P\w+\s+)?([A-Z0-9_.]+)\s*([^;]*);", line)
        if m and current:
            listing[current].append((int(m.group(1), 16), bool(m.group(2)), m.group(3), m.group(4)))
    counts = {name: cost(ins) for name, ins in listing.items()}
    # The identity probes multiply once: their count less one is the overhead.
    base = {"fwd": counts["identity_fwd"][0] - 1, "bwd": counts["identity_bwd"][0] - 1}
    print(f"{'functor':28} {'to EXIT':>8} {'longest path':>13} {'of which MUFU':>14}")
    for name in sorted(counts):
        if name.startswith("identity"):
            continue
        total, main, mufu = counts[name]
        b = base[name[:3]]
        print(f"{name:28} {total - b:>8} {main - b:>13} {mufu:>14}")


def cost(ins):
    """(instructions up to the first EXIT, the same less the shorter side of each
    if/else, MUFU count). An if/else shows as a predicated forward branch to T
    whose fall-through side ends in an unconditional branch just before T."""
    body = []
    for addr, predicated, op, args in ins:
        if op == "EXIT":
            break
        if op != "NOP":
            body.append((addr, predicated, op, args))
    total = len(body)
    mufu = sum(op.startswith("MUFU") for _, _, op, _ in body)
    at = {addr: i for i, (addr, _, _, _) in enumerate(body)}
    main = total
    for i, (addr, predicated, op, args) in enumerate(body):
        if op != "BRA" or not predicated:
            continue
        target = int(args.split()[-1], 16)
        j = at.get(target)
        if j is None or j <= i or body[j - 1][2] != "BRA" or body[j - 1][1]:
            continue
        join = at.get(int(body[j - 1][3].split()[-1], 16))
        if join is None or join <= j:
            continue
        main -= min(j - i - 1, join - j)
    return total, main, mufu

if __name__ == "__main__":
    sys.exit(main())
