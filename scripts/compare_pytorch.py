#!/usr/bin/env python3
"""One-run comparison on a GPU machine: gelu-cuda's kernels (via `gelu bench`), a
device-to-device copy, PyTorch eager (F.gelu and its backward, approximate none and
tanh; the fused ops as PyTorch's unfused sequences) and torch.compile of the same,
at the same sizes and dtypes, on the same card.

Usage: compare_pytorch.py GELU_BINARY OUTDIR [--sizes 12,14,...,28]

Writes OUTDIR/comparison.json, OUTDIR/comparison.md and, where matplotlib is
installed, OUTDIR/comparison.png (GB/s against size, one line per implementation,
the copy as the ceiling). Timing: CUDA events around batches of launches, medians of
7 batches, inputs random (never zeros), buffers rotated over at least 256 MiB so the
L2 does not serve them. GB/s counts 2n elements for the forward, 3n for the backward.
"""
import datetime
import json
import os
import subprocess
import sys

import torch
import torch.nn.functional as F

POOL_BYTES = 256 << 20
DTYPES = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}
APPROX = {"exact": "none", "tanh": "tanh"}


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def time_us(fn, windows):
    """Median microseconds per call over 7 batches of at least ~2 ms."""
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)

    def batch(iters):
        start.record()
        for i in range(iters):
            fn(i % windows)
        end.record()
        end.synchronize()
        return start.elapsed_time(end) * 1e3 / iters

    for i in range(3):
        fn(i % windows)
    probe = batch(3)
    iters = max(5, min(10000, int(2000 / max(probe, 0.1))))
    return median([batch(iters) for _ in range(7)])


def torch_rows(sizes):
    rows = []
    for dname, dtype in DTYPES.items():
        elem = torch.tensor([], dtype=dtype).element_size()
        for log2 in sizes:
            n = 1 << log2
            windows = max(1, POOL_BYTES // (n * elem))
            x = (torch.rand(windows, n, device="cuda", dtype=torch.float32) * 12 - 6).to(dtype)
            dy = (torch.rand(windows, n, device="cuda", dtype=torch.float32) * 4 - 2).to(dtype)
            out = torch.empty_like(x)
            copy_us = time_us(lambda i: out[i].copy_(x[i]), windows)
            rows.append(dict(impl="copy", dtype=dname, n=n, op="copy", approximation="-", median_us=copy_us,
                             gbps=2 * n * elem / copy_us / 1e3))
            for aname, approx in APPROX.items():
                fwd = lambda t, a=approx: F.gelu(t, approximate=a)
                bwd = lambda g, t, a=approx: torch.ops.aten.gelu_backward(g, t, approximate=a)
                variants = [("pytorch-eager", fwd, bwd)]
                try:
                    variants.append(("torch-compile", torch.compile(fwd), torch.compile(bwd)))
                except Exception as e:  # noqa: BLE001 - report and go on
                    print(f"torch.compile unavailable: {e}", file=sys.stderr)
                for impl, f, b in variants:
                    try:
                        us = time_us(lambda i: f(x[i]), windows)
                        rows.append(dict(impl=impl, dtype=dname, n=n, op="forward", approximation=aname,
                                         median_us=us, gbps=2 * n * elem / us / 1e3))
                        us = time_us(lambda i: b(dy[i], x[i]), windows)
                        rows.append(dict(impl=impl, dtype=dname, n=n, op="backward", approximation=aname,
                                         median_us=us, gbps=3 * n * elem / us / 1e3))
                    except Exception as e:  # noqa: BLE001 - torch.compile compiles lazily
                        print(f"{impl} {dname} 2^{log2} {aname}: {e}", file=sys.stderr)
            del x, dy, out
            torch.cuda.empty_cache()
    return rows


COLS = 4096  # the matrix ops' row length, as in `gelu bench`


def fused_rows(sizes):
    """PyTorch's unfused sequences for the fused ops (eager), and torch.compile's
    fusion of the same, timed like the plain ops. Bytes as gelu-cuda counts them."""
    rows = []
    for dname, dtype in DTYPES.items():
        elem = torch.tensor([], dtype=dtype).element_size()
        for log2 in sizes:
            n = 1 << log2
            cols = min(COLS, n)
            windows = max(1, POOL_BYTES // (2 * n * elem))
            rnd = lambda *shape: (torch.rand(*shape, device="cuda") * 12 - 6).to(dtype)
            x, x2 = rnd(windows, n // cols, cols), rnd(windows, n // cols, 2 * cols)
            dy, b = rnd(windows, n // cols, cols), rnd(cols)
            for aname, approx in APPROX.items():
                def bias_fwd(i, a=approx):
                    pre = x[i] + b
                    return F.gelu(pre, approximate=a), pre

                def bias_bwd(i, a=approx):
                    dx = torch.ops.aten.gelu_backward(dy[i], x[i], approximate=a)
                    return dx, dx.sum(0)

                def geglu_fwd(i, a=approx):
                    u, g = x2[i].chunk(2, dim=-1)
                    return F.gelu(u, approximate=a) * g

                def geglu_bwd(i, a=approx):
                    u, g = x2[i].chunk(2, dim=-1)
                    return torch.ops.aten.gelu_backward(dy[i] * g, u, approximate=a), dy[i] * F.gelu(u, approximate=a)

                for op, fn, moved in [("bias-forward", bias_fwd, 3), ("bias-backward", bias_bwd, 3),
                                      ("geglu-forward", geglu_fwd, 3), ("geglu-backward", geglu_bwd, 5)]:
                    variants = [("pytorch-eager", fn)]
                    try:
                        variants.append(("torch-compile", torch.compile(fn)))
                    except Exception as e:  # noqa: BLE001
                        print(f"torch.compile unavailable: {e}", file=sys.stderr)
                    for impl, f in variants:
                        try:
                            us = time_us(f, windows)
                            rows.append(dict(impl=impl, dtype=dname, n=n, op=op, approximation=aname, median_us=us,
                                             gbps=moved * n * elem / us / 1e3))
                        except Exception as e:  # noqa: BLE001 - torch.compile compiles lazily
                            print(f"{impl} {op} {dname} 2^{log2} {aname}: {e}", file=sys.stderr)
            del x, x2, dy, b
            torch.cuda.empty_cache()
    return rows


def ours(gelu, sizes):
    ops = "forward,backward,bias-forward,bias-backward,geglu-forward,geglu-backward"
    out = subprocess.run([gelu, "bench", "--quiet", "--format", "json", "--op", ops, "--approx", "exact,tanh",
                          "--sizes", ",".join(map(str, sizes))],
                         check=True, capture_output=True, text=True).stdout
    doc = json.loads(out)
    rows = []
    for r in doc["rows"]:
        rows.append(dict(impl="gelu-cuda", dtype=r["dtype"], n=r["n"], op=r["op"], approximation=r["approximation"],
                         median_us=r["median_us"], gbps=r["gbps"], copy_gbps=r["copy_gbps"]))
    return doc["card"], rows


def main():
    gelu, outdir = sys.argv[1], sys.argv[2]
    sizes = list(range(12, 29, 2))
    if "--sizes" in sys.argv:
        sizes = [int(s) for s in sys.argv[sys.argv.index("--sizes") + 1].split(",")]
    os.makedirs(outdir, exist_ok=True)
    card, rows = ours(gelu, sizes)
    rows += torch_rows(sizes)
    rows += fused_rows(sizes)
    driver = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                            capture_output=True, text=True).stdout.strip()
    stamp = dict(card=card, driver=driver, date=datetime.date.today().isoformat(), torch=torch.__version__,
                 command=" ".join(sys.argv))
    with open(os.path.join(outdir, "comparison.json"), "w") as fh:
        json.dump(dict(stamp, rows=rows), fh, indent=1)
    copy = {(r["dtype"], r["n"]): r["gbps"] for r in rows if r["impl"] == "copy"}
    lines = [f"# GELU throughput on {card}", "",
             f"Driver {driver}, PyTorch {torch.__version__}, {stamp['date']}. `{stamp['command']}`", "",
             "| dtype | n | op | approx | impl | median us | GB/s | of copy |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["impl"] == "copy":
            continue
        c = copy.get((r["dtype"], r["n"]))
        share = f"{100 * r['gbps'] / c:.1f}%" if c else "-"
        lines.append(f"| {r['dtype']} | 2^{r['n'].bit_length() - 1} | {r['op']} | {r['approximation']} | {r['impl']} "
                     f"| {r['median_us']:.2f} | {r['gbps']:.1f} | {share} |")
    with open(os.path.join(outdir, "comparison.md"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot", file=sys.stderr)
        return
    fig, axes = plt.subplots(2, 3, figsize=(18, 9), sharex=True)
    for col, dname in enumerate(DTYPES):
        for row, op in enumerate(["forward", "backward"]):
            ax = axes[row][col]
            series = {}
            for r in rows:
                if r["dtype"] != dname or (r["op"] != op and r["impl"] != "copy") or r["approximation"] == "sigmoid":
                    continue
                label = r["impl"] if r["impl"] == "copy" else f"{r['impl']} {r['approximation']}"
                series.setdefault(label, []).append((r["n"], r["gbps"]))
            for label, pts in sorted(series.items()):
                pts.sort()
                ax.plot([p[0] for p in pts], [p[1] for p in pts], "k--" if label == "copy" else "-o", label=label)
            ax.set_xscale("log", base=2)
            ax.set_title(f"{dname} {op}")
            ax.set_ylabel("GB/s")
            ax.legend(fontsize=7)
    fig.suptitle(f"GELU on {card} ({stamp['date']})")
    fig.savefig(os.path.join(outdir, "comparison.png"), dpi=90)


if __name__ == "__main__":
    main()
