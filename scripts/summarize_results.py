#!/usr/bin/env python3
"""Summarises a GPU check's results folder (what gpu-bundle/run.sh writes) against
the issues' speed criteria, as Markdown on stdout.

Usage: summarize_results.py RESULTS_DIR   (e.g. the `r/` of a lease's all.tar.gz)

Reads what is there, says what is not: summary.txt (card, steps), bench.json and
bench-odd-cols.json (`gelu bench`), comparison.json (compare_pytorch.py), ab/*.csv
(scripts/ab-bundle.sh builds) and ncu.csv (Nsight Compute). The criteria:
- plain ops (forward, backward) at >= 95% of the same run's copy at 2^24 and up;
- fused ops at >= 85% of copy at 2^24 and up;
- PyTorch: plain ops at least as fast as eager and torch.compile at every size;
  fused ops at least 1.5x eager's unfused sequence at 2^24 and up, the training
  step of bias + GELU too (compare_pytorch.py: our forward without the
  pre-activation plus the backward from the input, against autograd's kernels).
"""
import csv
import json
import os
import re
import sys

from compare_pytorch import read_bench_json  # beside this script, here and in the bundle

PLAIN = ("forward", "backward")
FUSED = ("bias-forward", "bias-backward", "geglu-forward", "geglu-backward")
DTYPES = ("f32", "f16", "bf16")
APPROX = ("exact", "tanh", "sigmoid")


def read_text(*path):
    """A result file's text, or None where its step left none."""
    path = os.path.join(*path)
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        return fh.read()


def log2(n):
    return int(n).bit_length() - 1


def read_bench_csv(path):
    with open(path) as fh:
        return [r for r in csv.DictReader(fh) if r.get("of_copy")]


def share_table(rows, sizes):
    """Share of copy per (op, approximation), one column per (dtype, size)."""
    by = {(r["op"], r["approximation"], r["dtype"], log2(r["n"])): r for r in rows}
    cols = [(d, s) for d in DTYPES for s in sizes if any(k[2:] == (d, s) for k in by)]
    out = ["| op | approx | " + " | ".join(f"{d} 2^{s}" for d, s in cols) + " |",
           "|---|---|" + "---|" * len(cols)]
    for op in PLAIN + FUSED:
        for a in APPROX:
            cells = []
            for d, s in cols:
                r = by.get((op, a, d, s))
                cells.append(f"{float(r['median_us']):.1f} µs, {100 * float(r['of_copy']):.0f}%" if r else "-")
            if any(c != "-" for c in cells):
                out.append(f"| {op} | {a} | " + " | ".join(cells) + " |")
    return out


def copy_criteria(rows):
    """(met, missed) of the share-of-copy criteria at 2^24 and up."""
    met, missed = 0, []
    for r in rows:
        if log2(r["n"]) < 24:
            continue
        goal = 0.95 if r["op"] in PLAIN else 0.85
        if float(r["of_copy"]) >= goal:
            met += 1
        else:
            missed.append(r)
    return met, missed


def bench_section(d):
    out = []
    bench = read_bench_json(os.path.join(d, "bench.json"))
    if not bench or not bench[1]:
        return ["No rows in bench.json: `gelu bench` did not run or wrote nothing."]
    card, rows = bench
    sizes = sorted({log2(r["n"]) for r in rows})
    out += [f"`gelu bench` on {card}: {len(rows)} rows, sizes 2^" + ", 2^".join(map(str, sizes)) + ".", ""]
    out += share_table(rows, [s for s in sizes if s >= 24]) + [""]
    met, missed = copy_criteria(rows)
    out.append(f"Share-of-copy criteria at 2^24 and up (plain 95%, fused 85%): {met} rows met, "
               f"{len(missed)} missed.")
    worst = sorted(missed, key=lambda r: float(r["of_copy"]))[:10]
    if worst:
        out.append("Furthest: " + "; ".join(
            f"{r['op']} {r['approximation']} {r['dtype']} 2^{log2(r['n'])} {100 * float(r['of_copy']):.0f}%"
            for r in worst) + ".")
    odd = read_bench_json(os.path.join(d, "bench-odd-cols.json"))
    if odd:
        odd_rows = odd[1]
        base = {(r["op"], r["approximation"], r["dtype"], r["n"]): r for r in rows}
        out += ["", "Fused ops on rows of 4098 (flat kernels) against 4096, time ratio:", "",
                "| op | approx | dtype | n | 4098 / 4096 |", "|---|---|---|---|---|"]
        for r in odd_rows:
            b = base.get((r["op"], r["approximation"], r["dtype"], r["n"]))
            if b:
                ratio = float(r["median_us"]) / float(b["median_us"])
                out.append(f"| {r['op']} | {r['approximation']} | {r['dtype']} | 2^{log2(r['n'])} | {ratio:.2f} |")
    extra = read_bench_json(os.path.join(d, "bench-from-input.json"))
    if extra:
        by = {(r["op"], r["approximation"], r["dtype"], r["n"]): r for r in extra[1]}
        out += ["", "Bias backward from the input against at a stored pre-activation (same run), "
                "time ratio and share of copy:", "",
                "| approx | dtype | n | from input / at pre | from input, of copy |", "|---|---|---|---|---|"]
        for (op, a, dt, n), r in sorted(by.items()):
            b = by.get(("bias-backward", a, dt, n))
            if op == "bias-backward-input" and b:
                ratio = float(r["median_us"]) / float(b["median_us"])
                out.append(f"| {a} | {dt} | 2^{log2(n)} | {ratio:.2f} | {100 * float(r['of_copy']):.0f}% |")
    return out


def pytorch_section(d):
    text = read_text(d, "comparison.json")
    if text is None:
        return ["No comparison.json: the PyTorch comparison did not run."]
    doc = json.loads(text)
    rows = doc["rows"]
    ours = {(r["dtype"], r["n"], r["op"], r["approximation"]): r["median_us"]
            for r in rows if r["impl"] == "gelu-cuda"}
    out = [f"PyTorch {doc.get('torch', '?')} on {doc.get('card', '?')}, driver {doc.get('driver', '?')}: "
           "time of PyTorch over ours (above 1: we are faster).", "",
           "| dtype | n | op | approx | eager | torch.compile |", "|---|---|---|---|---|---|"]
    ratios = {}
    for r in rows:
        if r["impl"] in ("pytorch-eager", "torch-compile"):
            key = (r["dtype"], r["n"], r["op"], r["approximation"])
            if key in ours:
                ratios.setdefault(key, {})[r["impl"]] = r["median_us"] / ours[key]
    failures = []
    for key in sorted(ratios, key=lambda k: (DTYPES.index(k[0]), k[1], k[2], k[3])):
        dt, n, op, a = key
        eager, comp = ratios[key].get("pytorch-eager"), ratios[key].get("torch-compile")
        fmt = lambda v: f"{v:.2f}" if v is not None else "-"
        out.append(f"| {dt} | 2^{log2(n)} | {op} | {a} | {fmt(eager)} | {fmt(comp)} |")
        if op in PLAIN:
            for name, v in (("eager", eager), ("torch.compile", comp)):
                if v is not None and v < 1.0:
                    failures.append(f"{op} {a} {dt} 2^{log2(n)} vs {name} {v:.2f}")
        elif eager is not None and log2(n) >= 24 and eager < 1.5:
            failures.append(f"{op} {a} {dt} 2^{log2(n)} vs eager {eager:.2f} (goal 1.5)")
    missing = sorted({(k[0], log2(k[1])) for k in ours} - {(k[0], log2(k[1])) for k in ratios})
    out += ["", f"PyTorch criteria: {len(ratios)} comparisons, {len(failures)} missed."]
    if failures:
        out.append("Missed: " + "; ".join(failures[:20]) + ("; ..." if len(failures) > 20 else "") + ".")
    if missing:
        out.append("Not compared (no PyTorch rows): " + ", ".join(f"{dt} 2^{s}" for dt, s in missing) + ".")
    return out


def ab_section(d):
    ab = os.path.join(d, "ab")
    if not os.path.isdir(ab):
        return ["No ab/: the A/B builds did not run."]
    runs = {f[3:-4]: read_bench_csv(os.path.join(ab, f))
            for f in sorted(os.listdir(ab)) if f.startswith("ab-") and f.endswith(".csv")}
    runs = {k: v for k, v in runs.items() if v}
    if "shipped" not in runs:
        return ["A/B: no rows from the shipped build."]
    key = lambda r: (r["dtype"], int(r["n"]), r["op"], r["approximation"])
    shipped = {key(r): float(r["of_copy"]) for r in runs["shipped"]}
    again = {key(r): float(r["of_copy"]) for r in runs.get("shipped-again", [])}
    base = {k: (v + again[k]) / 2 if k in again else v for k, v in shipped.items()}
    variants = [v for v in runs if v not in ("shipped", "shipped-again")]
    out = ["Each build's share of copy minus the shipped build's (mean of its two runs), in points, "
           "mean over the kernels, then the range: at 2^24 and 2^26 (the criteria's sizes), and at "
           "2^16 and 2^20 (where launch and tail effects show).", ""]
    for title, large in (("2^24 and up", True), ("below 2^24", False)):
        at = lambda n: (log2(n) >= 24) == large
        noise = [abs(shipped[k] - again[k]) for k in shipped if k in again and at(k[1])]
        out += [f"### {title}", "", "Noise (shipped against shipped-again): " + (
            f"mean {100 * sum(noise) / len(noise):.1f}, at most {100 * max(noise):.1f} points."
            if noise else "no second run.")]
        out += ["", "| build | mean | min | max | kernels |", "|---|---|---|---|---|"]
        for v in variants:
            deltas = [100 * (float(r["of_copy"]) - base[key(r)]) for r in runs[v]
                      if key(r) in base and at(int(r["n"]))]
            if deltas:
                out.append(f"| {v} | {sum(deltas) / len(deltas):+.1f} | {min(deltas):+.1f} | {max(deltas):+.1f} "
                           f"| {len(deltas)} |")
            else:
                out.append(f"| {v} | - | - | - | 0 |")
        out.append("")
    summary = read_text(ab, "ab-summary.txt")
    if summary is not None:
        out += ["", "```", summary.rstrip(), "```"]
    return out


def ncu_section(d):
    text = read_text(d, "ncu.csv")
    if text is None:
        return ["No ncu.csv: Nsight Compute did not run."]
    # ncu's own notes and the program's lines are not CSV rows.
    lines = [l for l in text.splitlines(keepends=True) if l.startswith('"')]
    metrics = {}  # by launch, in order: a kernel name can recur (the dbias reductions)
    for r in csv.DictReader(lines):
        metrics.setdefault((int(r["ID"]), r["Kernel Name"]), {})[r["Metric Name"]] = r["Metric Value"].replace(",", "")
    out = ["| kernel | time µs | DRAM % of peak | achieved occupancy % |", "|---|---|---|---|"]
    for (_, k), m in sorted(metrics.items()):
        t = float(m.get("gpu__time_duration.sum", "nan")) / 1e3
        out.append(f"| {k} | {t:.0f} | {m.get('dram__throughput.avg.pct_of_peak_sustained_elapsed', '-')} | "
                   f"{m.get('sm__warps_active.avg.pct_of_peak_sustained_active', '-')} |")
    return out


UNITS = {"ps": 1e-6, "ns": 1e-3, "µs": 1.0, "us": 1.0, "ms": 1e3, "s": 1e6}


def launch_times(text):
    """{benchmark: median estimate in µs} from criterion's report lines: the id, on
    its own line when long, then `time:   [low estimate high]`."""
    times, name = {}, None
    for line in text.splitlines():
        m = re.match(r"^(.*?)\s*time:\s+\[\S+ \S+ (\S+) (\S+) \S+ \S+\]", line)
        if m:
            label = m.group(1).strip() or name
            if label:
                times[label.split("/")[-1]] = float(m.group(2)) * UNITS[m.group(3)]
            name = None
        elif line.strip() and not line.startswith(" "):
            name = line.strip()
    return times


def launch_section(d):
    logs = read_text(d, "logs.txt")
    if logs is None:
        return ["No logs.txt: the launch bench's output did not come back."]
    start = logs.find("=== launch-overhead")
    if start < 0:
        return ["The launch bench did not run."]
    end = logs.find("\n=== ", start + 1)
    times = launch_times(logs[start:end if end > 0 else len(logs)])
    if not times:
        return ["The launch bench reported no times."]
    out = ["| benchmark | µs per 100 calls |", "|---|---|"]
    out += [f"| {k} | {v:.1f} |" for k, v in times.items()]
    for safe, bare in (("gelu_cuda::forward, no event tracking", "bare cuLaunchKernel"),
                       ("gelu_cuda::forward, no event tracking, 32 threads", "bare cuLaunchKernel, 32 threads")):
        if safe in times and bare in times:
            out.append(f"\n{safe} / {bare}: {times[safe] / times[bare]:.2f}x (goal <= 1.1x)")
    return out


def main():
    d = sys.argv[1]
    out = [f"# GPU check: {os.path.abspath(d)}", ""]
    summary = read_text(d, "summary.txt")
    if summary is not None:
        out += ["```", summary.rstrip(), "```"]
    for title, section in (("Speed against copy", bench_section), ("Against PyTorch", pytorch_section),
                           ("A/B builds", ab_section), ("Nsight Compute at 2^26", ncu_section),
                           ("Launch overhead", launch_section)):
        try:  # one unreadable file (a step cut short) costs its own section only
            body = section(d)
        except Exception as e:  # noqa: BLE001
            body = [f"Could not summarise: {type(e).__name__}: {e}"]
        out += ["", f"## {title}", ""] + body
    print("\n".join(out))


if __name__ == "__main__":
    main()
