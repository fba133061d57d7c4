#!/usr/bin/env python3
"""One-run comparison on a GPU machine: gelu-cuda's kernels (via `gelu bench`), a
device-to-device copy, PyTorch eager (F.gelu and its backward, approximate none and
tanh; the fused ops as PyTorch's unfused sequences) and torch.compile of the same,
at the same sizes and dtypes, on the same card.

Usage: compare_pytorch.py GELU_BINARY OUTDIR [--sizes 24,12,...] [--ours BENCH.json[,MORE.json]]
       compare_pytorch.py --render OUTDIR/comparison.json OUTDIR

With --ours, gelu-cuda's rows come from `gelu bench --format json` runs of the same
session instead of a new one (a missing or empty file leaves PyTorch's rows alone).
A training step of bias + GELU is compared too, from 2^24 up: ours is the forward
without the pre-activation (`bias-forward-no-pre`) plus the backward from the input
(`bias-backward-input`), 5n elements moved; PyTorch eager runs what autograd runs
for `F.gelu(x + b)` and its backward (the add, GELU, GELU's backward, the bias
gradient's sum over rows: 8n), torch.compile the same two passes as ours, each
compiled.
Measures size by size in the order given, and writes OUTDIR/comparison.json after
each dtype and size (so a run stopped early keeps what it measured), then
OUTDIR/comparison.md and, where matplotlib is installed, OUTDIR/comparison.png (GB/s against size, one line per
implementation, the copy as the ceiling); --render writes those two from a JSON file.
Timing: CUDA events around batches of launches, medians of 7 batches, inputs random
(never zeros), buffers rotated over at least 256 MiB so the L2 does not serve them.
GB/s counts 2n elements for the forward, 3n for the backward. torch.compile runs with
its defaults (a shape-specialised kernel first, one dynamic-shape kernel after the
first change of size), with the recompile limits raised so that no variant falls
back to eager.
"""
import datetime
import json
import os
import subprocess
import sys

torch = F = None  # imported by main(): --render, and the summary reading bench files, need no PyTorch

POOL_BYTES = 256 << 20
DTYPES = {"f32": "float32", "f16": "float16", "bf16": "bfloat16"}  # names in torch
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


def plain_rows(dname, log2, rows):
    """F.gelu and its backward, eager and compiled, and the copy, at one dtype and size."""
    dtype = getattr(torch, DTYPES[dname])
    elem = torch.tensor([], dtype=dtype).element_size()
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


COLS = 4096  # the matrix ops' row length, as in `gelu bench`


def fused_rows(dname, log2, rows):
    """PyTorch's unfused sequences for the fused ops (eager), and torch.compile's
    fusion of the same, at one dtype and size, timed like the plain ops. Bytes as
    gelu-cuda counts them."""
    dtype = getattr(torch, DTYPES[dname])
    elem = torch.tensor([], dtype=dtype).element_size()
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

        def step_eager(i, a=approx):  # autograd's kernels for F.gelu(x + b), then its backward
            pre = x[i] + b
            F.gelu(pre, approximate=a)
            dx = torch.ops.aten.gelu_backward(dy[i], pre, approximate=a)
            return dx, dx.sum(0)

        def step_forward(i, a=approx):
            return F.gelu(x[i] + b, approximate=a)

        def step_backward(i, a=approx):  # from the input, as ours
            dx = torch.ops.aten.gelu_backward(dy[i], x[i] + b, approximate=a)
            return dx, dx.sum(0)

        def compiled_step():
            f, g = torch.compile(step_forward), torch.compile(step_backward)
            return lambda i: (f(i), g(i))

        ops = [("bias-forward", bias_fwd, bias_fwd, 3), ("bias-backward", bias_bwd, bias_bwd, 3),
               ("geglu-forward", geglu_fwd, geglu_fwd, 3), ("geglu-backward", geglu_bwd, geglu_bwd, 5)]
        if log2 >= 24:  # the criteria's sizes: the step's compilations cost time
            ops.append(("training-step", step_eager, None, 5))
        for op, fn, to_compile, moved in ops:
            variants = [("pytorch-eager", fn)]
            try:
                variants.append(("torch-compile", torch.compile(to_compile) if to_compile else compiled_step()))
            except Exception as e:  # noqa: BLE001
                print(f"torch.compile unavailable: {e}", file=sys.stderr)
            for impl, f in variants:
                try:
                    us = time_us(f, windows)
                    rows.append(dict(impl=impl, dtype=dname, n=n, op=op, approximation=aname, median_us=us,
                                     gbps=moved * n * elem / us / 1e3))
                except Exception as e:  # noqa: BLE001 - torch.compile compiles lazily
                    print(f"{impl} {op} {dname} 2^{log2} {aname}: {e}", file=sys.stderr)


def read_bench_json(path):
    """(card, rows) of a `gelu bench --format json` file, also of one stopped early
    (one row a line: a last line cut short is dropped); None where there is none, or
    nothing readable in it."""
    try:
        with open(path) as fh:
            text = fh.read()
    except OSError:
        return None
    lines = text.rstrip().splitlines()
    for candidate in (text, "\n".join(lines).rstrip(",") + "\n]}", "\n".join(lines[:-1]).rstrip(",") + "\n]}"):
        try:
            doc = json.loads(candidate)
            return doc.get("card", "?"), doc["rows"]
        except (ValueError, KeyError, AttributeError):
            continue
    return None


def training_steps(rows):
    """Our training-step rows: the forward without the pre-activation plus the
    backward from the input, at each (dtype, n, approximation) that has both."""
    by = {(r["dtype"], r["n"], r["op"], r["approximation"]): r for r in rows}
    steps = []
    for (dt, n, op, a), fwd in by.items():
        bwd = by.get((dt, n, "bias-backward-input", a))
        if op != "bias-forward-no-pre" or bwd is None:
            continue
        us = fwd["median_us"] + bwd["median_us"]
        elem = {"f32": 4}.get(dt, 2)
        steps.append(dict(fwd, op="training-step", median_us=us, gbps=5 * n * elem / us / 1e3))
    return steps


def ours(gelu, sizes, bench_json=None):
    if bench_json:
        benches = [b for b in map(read_bench_json, bench_json.split(",")) if b]
        if not benches:  # no bench rows: PyTorch's still count
            print(f"no gelu-cuda rows in {bench_json}", file=sys.stderr)
            return torch.cuda.get_device_name(), []
        doc = dict(card=benches[0][0], rows=[r for b in benches for r in b[1]])
    else:
        ops = ("forward,backward,bias-forward,bias-forward-no-pre,bias-backward,bias-backward-input,"
               "geglu-forward,geglu-backward")
        out = subprocess.run([gelu, "bench", "--quiet", "--format", "json", "--op", ops, "--approx", "exact,tanh",
                              "--sizes", ",".join(map(str, sizes))],
                             check=True, capture_output=True, text=True).stdout
        doc = json.loads(out)
    rows = []
    for r in doc["rows"]:
        if r["approximation"] not in APPROX or (r["n"].bit_length() - 1) not in sizes:
            continue
        rows.append(dict(impl="gelu-cuda", dtype=r["dtype"], n=r["n"], op=r["op"], approximation=r["approximation"],
                         median_us=r["median_us"], gbps=r["gbps"], copy_gbps=r["copy_gbps"]))
    return doc["card"], rows + training_steps(rows)


def raise_recompile_limits():
    """torch.compile falls back to eager past a few recompilations of one function;
    every (dtype, size, approximation) here must run compiled."""
    cfg = torch._dynamo.config
    for name in ("cache_size_limit", "recompile_limit", "accumulated_cache_size_limit",
                 "accumulated_recompile_limit"):
        if hasattr(cfg, name):
            setattr(cfg, name, 4096)


def write_json(outdir, stamp, rows):
    """Whole or not at all: a run killed mid-write keeps the previous file."""
    path = os.path.join(outdir, "comparison.json")
    with open(path + ".tmp", "w") as fh:
        json.dump(dict(stamp, rows=rows), fh, indent=1)
    os.replace(path + ".tmp", path)


def render(doc, outdir):
    rows = doc["rows"]
    card = doc["card"]
    copy = {(r["dtype"], r["n"]): r["gbps"] for r in rows if r["impl"] == "copy"}
    lines = [f"# GELU throughput on {card}", "",
             f"Driver {doc['driver']}, PyTorch {doc['torch']}, {doc['date']}. `{doc['command']}`", "",
             "| dtype | n | op | approx | impl | median us | GB/s | of copy |", "|---|---|---|---|---|---|---|---|"]
    order = lambda r: (r["dtype"], r["n"], r["op"], r["approximation"], r["impl"])
    for r in sorted(rows, key=order):
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
    fig.suptitle(f"GELU on {card} ({doc['date']})")
    fig.savefig(os.path.join(outdir, "comparison.png"), dpi=90)


def main():
    if sys.argv[1] == "--render":
        with open(sys.argv[2]) as fh:
            render(json.load(fh), sys.argv[3])
        return
    global torch, F
    import torch
    import torch.nn.functional as F
    gelu, outdir = sys.argv[1], sys.argv[2]
    sizes = list(range(12, 29, 2))
    if "--sizes" in sys.argv:
        sizes = [int(s) for s in sys.argv[sys.argv.index("--sizes") + 1].split(",")]
    bench_json = sys.argv[sys.argv.index("--ours") + 1] if "--ours" in sys.argv else None
    os.makedirs(outdir, exist_ok=True)
    raise_recompile_limits()
    card, rows = ours(gelu, sizes, bench_json)
    driver = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                            capture_output=True, text=True).stdout.strip()
    stamp = dict(card=card, driver=driver, date=datetime.date.today().isoformat(), torch=torch.__version__,
                 command=" ".join(sys.argv))
    def flush():  # after each (dtype, size)
        write_json(outdir, stamp, rows)

    flush()
    # Size by size in the order given (the most wanted first, should the run be cut
    # short), every dtype, plain and fused ops together.
    for log2 in sizes:
        for dname in DTYPES:
            plain_rows(dname, log2, rows)
            fused_rows(dname, log2, rows)
            torch.cuda.empty_cache()
            flush()
    render(dict(stamp, rows=rows), outdir)


if __name__ == "__main__":
    main()
