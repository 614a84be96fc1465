#!/usr/bin/env python3
"""make bench: the sampler convergence study (issue 4).

For every sampler of gnn-train at batch sizes 256 and 1024 on Pubmed and
Coauthor-Physics: validation accuracy against training steps and against
training time, and the gradient variance measured by the trainer (at the
run's own weights every few epochs, no dropout, 10 batches): the variance
of the batch gradient, and its mean squared error against the full
gradient (variance + bias^2; MVS-GNN's one-shot subgraph is biased in the
first layer's gradient, see sampler.h).  Writes
bench/out/convergence.csv (every logged epoch), bench/out/convergence.md
(the table) and bench/out/convergence.svg (the plot), and prints the table.

Settings (MVS-GNN's small-batch study): GCN, 2 layers, hidden 64, dropout
0.1, Adam lr 0.01, no weight decay; a random 60/20/20 split of the labelled
nodes (Pubmed ships labels for 1560 nodes only, so it trains on 936);
GraphSAGE 5 neighbours a layer, VR-GCN 2, FastGCN/LADIES layer sizes equal
to the batch size, Cluster-GCN clusters of 128 nodes, GraphSAINT defaults,
MVS-GNN gamma 1 and K 20.  Each run gets about the same number of training
steps; full-batch training takes one step an epoch.

Each configuration runs RUNS seeds (3; a new split each): the table has
their means, the plot the first seed's curves.

Environment: THREADS (2), STEPS_SCALE (1.0: the step budgets), RUNS (3),
PYTHON.
"""
import csv
import json
import math
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "out")
TRAIN = os.path.join(ROOT, "bin", "gnn-train")
THREADS = os.environ.get("THREADS", "2")
SCALE = float(os.environ.get("STEPS_SCALE", "1.0"))
RUNS = os.environ.get("RUNS", "3")

# dataset: (nodes, labelled nodes, training steps for batch 256, for 1024)
DATASETS = {
    "pubmed": (19717, 1560, 400, 200),
    "coauthor-physics": (34493, 34493, 800, 400),
}
BATCHES = (256, 1024)
SAMPLERS = [
    ("full", []),
    ("node", ["--fanouts", "5,5"]),
    ("vrgcn", ["--fanouts", "2,2"]),
    ("mvs", []),
    ("fastgcn", []),
    ("ladies", []),
    ("cluster", []),
    ("saint-node", []),
    ("saint-edge", []),
    ("saint-rw", []),
]
NODE_SAMPLERS = ("node", "vrgcn", "mvs")
COMMON = ["gcn", "--hidden", "64", "--dropout", "0.1", "--hidden-dropout",
          "0.1", "--weight-decay", "0", "--lr", "0.01", "--stop", "none",
          "--select", "best", "--split", "0.6,0.2", "--seed", "1", "--quiet",
          "--threads", THREADS, "--runs", RUNS]
COLOURS = ["#000000", "#1f77b4", "#ff7f0e", "#d62728", "#2ca02c", "#9467bd",
           "#8c564b", "#e377c2", "#7f7f7f", "#17becf"]


def steps_per_epoch(sampler, n, n_train, batch):
    if sampler == "full":
        return 1
    if sampler in ("cluster", "saint-node", "saint-edge", "saint-rw"):
        return max(1, math.ceil(n / batch))  # subgraphs cover the graph
    return max(1, math.ceil(n_train / batch))


def run(ds, sampler, extra, batch, budget):
    n, labelled, _, _ = DATASETS[ds]
    n_train = round(0.6 * labelled)
    if sampler == "full":
        epochs = 200  # full batch: converged in 200 steps
    else:
        epochs = max(1, math.ceil(budget / steps_per_epoch(sampler, n,
                                                           n_train, batch)))
    log = os.path.join(OUT, f"conv-{ds}-{batch}-{sampler}.csv")
    js = os.path.join(OUT, f"conv-{ds}-{batch}-{sampler}.json")
    args = [TRAIN, ds] + COMMON + ["--sampler", sampler, "--batch-size",
                                   str(batch), "--epochs", str(epochs),
                                   "--var-every", str(max(1, epochs // 8)),
                                   "--var-draws", "10", "--log", log,
                                   "--json", js] + extra
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr.strip().splitlines()[-1:] or ["failed"]
    with open(log) as f:
        rows = list(csv.DictReader(f))
    with open(js) as f:
        res = json.load(f)
    return (rows, res), None


def svg_plot(curves, path):
    """curves: {(ds, batch): {sampler: [(steps, seconds, val_acc)]}}."""
    keys = sorted(curves)
    pw, ph, ml, mt = 360, 240, 50, 30
    cols = 2
    width = cols * (pw + ml + 20) + 160
    height = len(keys) * (ph + mt + 40) + 20
    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
         f'height="{height}" font-family="sans-serif" font-size="11">',
         f'<rect width="{width}" height="{height}" fill="white"/>']
    for r, key in enumerate(keys):
        ds, batch = key
        runs = curves[key]
        accs = [a for c in runs.values() for (_, _, a) in c]
        lo = max(0.0, min(accs) - 0.01) if accs else 0.0
        lo = max(lo, (max(accs) if accs else 1) - 0.25)
        hi = min(1.0, max(accs) + 0.01) if accs else 1.0
        for c, (xi, xname) in enumerate(((0, "training steps"),
                                         (1, "training seconds"))):
            x0 = 10 + c * (pw + ml + 20) + ml
            y0 = 20 + r * (ph + mt + 40) + mt
            xmax = max((p[xi] for cv in runs.values() for p in cv),
                       default=1) or 1
            o.append(f'<text x="{x0}" y="{y0 - 8}" font-weight="bold">'
                     f'{ds}, batch {batch}: validation accuracy vs '
                     f'{xname}</text>')
            o.append(f'<rect x="{x0}" y="{y0}" width="{pw}" height="{ph}" '
                     f'fill="none" stroke="#888"/>')
            for k in range(5):
                v = lo + (hi - lo) * k / 4
                y = y0 + ph - ph * k / 4
                o.append(f'<text x="{x0 - 4}" y="{y + 4}" '
                         f'text-anchor="end">{100 * v:.1f}</text>')
                xv = xmax * k / 4
                x = x0 + pw * k / 4
                lab = f"{xv:.0f}" if xi == 0 else f"{xv:.1f}"
                o.append(f'<text x="{x}" y="{y0 + ph + 14}" '
                         f'text-anchor="middle">{lab}</text>')
            for s, (name, _) in enumerate(SAMPLERS):
                if name not in runs:
                    continue
                pts = " ".join(
                    f"{x0 + pw * p[xi] / xmax:.1f},"
                    f"{y0 + ph - ph * (min(max(p[2], lo), hi) - lo) / (hi - lo or 1):.1f}"
                    for p in runs[name])
                o.append(f'<polyline points="{pts}" fill="none" '
                         f'stroke="{COLOURS[s]}" stroke-width="1.5"/>')
    lx = cols * (pw + ml + 20) + 10
    for s, (name, _) in enumerate(SAMPLERS):
        y = 40 + 16 * s
        o.append(f'<line x1="{lx}" y1="{y}" x2="{lx + 20}" y2="{y}" '
                 f'stroke="{COLOURS[s]}" stroke-width="2"/>')
        o.append(f'<text x="{lx + 26}" y="{y + 4}">{name}</text>')
    o.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(o))


def main():
    os.makedirs(OUT, exist_ok=True)
    table, curves, allrows = [], {}, []
    for ds, (n, labelled, b256, b1024) in DATASETS.items():
        for batch in BATCHES:
            budget = max(1, round(SCALE * (b256 if batch == 256 else b1024)))
            key = (ds, batch)
            curves[key] = {}
            for name, extra in SAMPLERS:
                got, err = run(ds, name, extra, batch, budget)
                if got is None:
                    table.append((ds, batch, name, None, None, None, None,
                                  None, None, err[0]))
                    print(f"{ds} {batch} {name}: {err[0]}", file=sys.stderr)
                    continue
                rows, res = got
                pts = [(int(r["steps"]), float(r["train_seconds"]),
                        float(r["val_acc"])) for r in rows if r["run"] == "0"]
                curves[key][name] = pts
                var = [float(r["grad_var"]) for r in rows if r["grad_var"]]
                mse = [float(r["grad_mse"]) for r in rows if r["grad_mse"]]
                for r in rows:
                    allrows.append([ds, batch, name, r["epoch"], r["steps"],
                                    r["train_seconds"], r["val_acc"],
                                    r["test_acc"], r["grad_var"],
                                    r["grad_mse"]])
                runs = sorted({r["run"] for r in rows})
                best = sum(max(float(r["val_acc"]) for r in rows
                               if r["run"] == k) for k in runs) / len(runs)
                table.append((ds, batch, name, pts[-1][0], pts[-1][1],
                              best, res["test_acc"]["mean"],
                              sum(var) / len(var) if var else float("nan"),
                              sum(mse) / len(mse) if mse else float("nan"),
                              ""))
                print(f"{ds:<17} {batch:>5} {name:<11} steps {pts[-1][0]:>5} "
                      f"{pts[-1][1]:7.2f}s  best val {100 * best:6.2f}  "
                      f"test {100 * res['test_acc']['mean']:6.2f}  "
                      f"grad var {table[-1][7]:.3g} mse {table[-1][8]:.3g}",
                      flush=True)
    with open(os.path.join(OUT, "convergence.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["dataset", "batch", "sampler", "epoch", "steps",
                    "train_seconds", "val_acc", "test_acc", "grad_var",
                    "grad_mse"])
        w.writerows(allrows)
    svg_plot(curves, os.path.join(OUT, "convergence.svg"))
    lines = ["| dataset | batch | sampler | steps | train s | best val % | "
             "test % (at best val) | gradient variance | gradient MSE |",
             "|---|---|---|---|---|---|---|---|---|"]
    verdicts = []
    for ds, batch, name, steps, sec, best, test, var, mse, err in table:
        if steps is None:
            lines.append(f"| {ds} | {batch} | {name} | failed: {err} "
                         "| | | | | |")
            continue
        lines.append(f"| {ds} | {batch} | {name} | {steps} | {sec:.2f} | "
                     f"{100 * best:.2f} | {100 * test:.2f} | {var:.3g} | "
                     f"{mse:.3g} |")
    for ds in DATASETS:
        for batch in BATCHES:
            got = {t[2]: t for t in table
                   if t[0] == ds and t[1] == batch and t[3] is not None}
            if "mvs" not in got or "full" not in got:
                continue
            nv = {k: got[k][7] for k in NODE_SAMPLERS if k in got}
            nm = {k: got[k][8] for k in NODE_SAMPLERS if k in got}
            lowest = min(nv, key=nv.get)
            lowest_mse = min(nm, key=nm.get)
            gap = 100 * (got["full"][6] - got["mvs"][6])
            verdicts.append(
                f"- {ds}, batch {batch}: lowest gradient variance of the node "
                f"samplers: {lowest} ({', '.join(f'{k} {v:.3g}' for k, v in nv.items())}); "
                f"lowest MSE: {lowest_mse}; "
                f"MVS-GNN test {100 * got['mvs'][6]:.2f} vs full batch "
                f"{100 * got['full'][6]:.2f} ({'within' if gap <= 1 else 'NOT within'} 1 point)")
    md = ("# Sampler convergence study (make bench)\n\n"
          f"Means over {RUNS} seeds; steps and seconds of the first seed.\n\n"
          + "\n".join(lines) +
          "\n\n" + "\n".join(verdicts) + "\n\nPlot: convergence.svg; every "
          "logged epoch: convergence.csv.\n")
    with open(os.path.join(OUT, "convergence.md"), "w") as f:
        f.write(md)
    print()
    print(md)


if __name__ == "__main__":
    main()
