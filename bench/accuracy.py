#!/usr/bin/env python3
"""make bench-accuracy: test accuracy (mean ± std over RUNS seeds) of
{GCN, GAT, Graph U-Net} x {plain, GraphMix} on the Planetoid and Coauthor
datasets, run through bin/gnn-train, with the published numbers beside.

Writes bench/out/accuracy.json and bench/out/accuracy.md.
Environment: RUNS (default 10), MODELS (default "gcn gat gunet"),
DATASETS (default "cora citeseer pubmed coauthor-cs coauthor-physics"),
MIX ("plain graphmix"), THREADS (default 2), GLEARN_DATA.
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "out")
NAMES = {"gcn": "GCN", "gat": "GAT", "gunet": "Graph U-Net"}
# Published test accuracy (%) on the standard splits: GCN (Kipf & Welling),
# GAT (Velickovic et al.), Graph U-Net (Gao & Ji), GraphMix(GCN) (Verma et
# al., Table 1(B)).  None: not published / not retrieved.
PUBLISHED = {
    ("gcn", "plain"): {"cora": 81.5, "citeseer": 70.3, "pubmed": 79.0},
    ("gat", "plain"): {"cora": 83.0, "citeseer": 72.5, "pubmed": 79.0},
    ("gunet", "plain"): {"cora": 84.4, "citeseer": 73.2, "pubmed": 79.6},
    ("gcn", "graphmix"): {"cora": 83.94, "citeseer": 74.72, "pubmed": 80.98},
}


def run(dataset, model, mix, runs, threads):
    path = os.path.join(OUT, f"acc-{dataset}-{model}-{mix}.json")
    cmd = [os.path.join(ROOT, "bin", "gnn-train"), dataset,
           "graphmix" if mix == "graphmix" else model, "--runs", str(runs),
           "--threads", str(threads), "--quiet", "--json", path]
    if mix == "graphmix":
        cmd += ["--base", model]
    if os.environ.get("GLEARN_DATA"):
        cmd += ["--data", os.environ["GLEARN_DATA"]]
    print("  " + " ".join(cmd[1:]), file=sys.stderr, flush=True)
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        print(f"  failed: {r.stderr.strip()}", file=sys.stderr)
        return None
    with open(path) as f:
        return json.load(f)


def main():
    runs = int(os.environ.get("RUNS", "10"))
    threads = int(os.environ.get("THREADS", "2"))
    models = os.environ.get("MODELS", "gcn gat gunet").split()
    datasets = os.environ.get(
        "DATASETS", "cora citeseer pubmed coauthor-cs coauthor-physics").split()
    mixes = os.environ.get("MIX", "plain graphmix").split()
    os.makedirs(OUT, exist_ok=True)
    results = []
    for model in models:
        for mix in mixes:
            for ds in datasets:
                r = run(ds, model, mix, runs, threads)
                pub = PUBLISHED.get((model, mix), {}).get(ds)
                results.append({
                    "model": model, "graphmix": mix == "graphmix",
                    "dataset": ds, "runs": runs, "published": pub,
                    "test_acc": r["test_acc"] if r else None,
                    "seconds_per_run": r["seconds_per_run"] if r else None})
    with open(os.path.join(OUT, "accuracy.json"), "w") as f:
        json.dump(results, f, indent=2)
    lines = ["| model | " + " | ".join(datasets) + " |",
             "|---|" + "---|" * len(datasets)]
    for model in models:
        for mix in mixes:
            name = NAMES[model] if mix == "plain" else f"GraphMix({NAMES[model]})"
            cells = []
            for ds in datasets:
                e = next(x for x in results if x["model"] == model and
                         x["graphmix"] == (mix == "graphmix") and x["dataset"] == ds)
                if e["test_acc"] is None:
                    cells.append("failed")
                    continue
                t = e["test_acc"]
                cell = f"{100 * t['mean']:.2f} ± {100 * t['std']:.2f}"
                if e["published"] is not None:
                    cell += f" ({e['published']})"
                cells.append(cell)
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    table = "\n".join(lines) + "\n"
    note = (f"\nTest accuracy (%), mean ± std over {runs} seeds; published "
            "numbers in parentheses. Planetoid: the standard split; Coauthor: "
            "a new 20/30-per-class split for every seed.\n")
    with open(os.path.join(OUT, "accuracy.md"), "w") as f:
        f.write(table + note)
    print(table + note)


if __name__ == "__main__":
    main()
