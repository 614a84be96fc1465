#!/usr/bin/env python3
"""make bench-accuracy: test accuracy (mean ± std over RUNS seeds) of
{GCN, GAT, Graph U-Net} x {plain, GraphMix} on the Planetoid and Coauthor
datasets, run through bin/gnn-train with its defaults, with the published
numbers beside; `make bench-gnnbench` (DATASETS=gnnbench): GCN, GAT and
GraphMix(GCN) on every gnn-benchmark npz the registry knows, beside Shchur
et al.'s figures (a dataset not present is marked so: glearn-data fetch).

Writes bench/out/accuracy.json and .md (accuracy-gnnbench.* for
DATASETS=gnnbench).
Environment: RUNS (default 10), MODELS (default "gcn gat gunet"),
DATASETS (default "cora citeseer pubmed coauthor-cs coauthor-physics", or
"gnnbench"), MIX ("plain graphmix"), THREADS (default 2), GLEARN_DATA.  A run over a
subset updates those cells of an earlier accuracy.json and keeps the rest
(each cell records its own seed count), so the table can be filled in parts.
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
# Shchur et al. (2018), "Pitfalls of Graph Neural Network Evaluation",
# Table 2: 100 random splits x 20 initialisations, their settings.
SHCHUR = {
    "gcn": {"gnnbench-cora": 81.5, "gnnbench-citeseer": 71.9,
            "gnnbench-pubmed": 77.8, "cora-full": 62.2, "coauthor-cs": 91.1,
            "coauthor-physics": 92.8, "amazon-computers": 82.6,
            "amazon-photo": 91.2},
    "gat": {"gnnbench-cora": 81.8, "gnnbench-citeseer": 71.4,
            "gnnbench-pubmed": 78.7, "cora-full": 51.9, "coauthor-cs": 90.5,
            "coauthor-physics": 92.5, "amazon-computers": 78.0,
            "amazon-photo": 85.7},
}
for m, d in SHCHUR.items():
    PUBLISHED.setdefault((m, "plain"), {}).update(d)
GNNBENCH = ["coauthor-cs", "coauthor-physics", "amazon-computers",
            "amazon-photo", "cora-full", "gnnbench-cora", "gnnbench-citeseer",
            "gnnbench-pubmed"]


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
        if "glearn-data fetch" in r.stderr:
            return {"absent": True}
        return None
    with open(path) as f:
        return json.load(f)


ALL_MODELS = ["gcn", "gat", "gunet"]
ALL_DATASETS = ["cora", "citeseer", "pubmed"] + GNNBENCH
ALL_MIXES = ["plain", "graphmix"]


def cell_key(e):
    return (e["model"], e["graphmix"], e["dataset"])


def load_previous(path):
    """The cells of an earlier accuracy.json (empty when there is none), so a
    run over a subset (MODELS, DATASETS, MIX) updates its cells only."""
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return {cell_key(e): e for e in json.load(f)}


def table(cells):
    models = [m for m in ALL_MODELS if any(k[0] == m for k in cells)]
    datasets = [d for d in ALL_DATASETS if any(k[2] == d for k in cells)]
    most = max(e["runs"] for e in cells.values())
    lines = ["| model | " + " | ".join(datasets) + " |",
             "|---|" + "---|" * len(datasets)]
    for model in models:
        for mix in ALL_MIXES:
            row = [cells.get((model, mix == "graphmix", ds)) for ds in datasets]
            if not any(row):
                continue
            name = NAMES[model] if mix == "plain" else f"GraphMix({NAMES[model]})"
            out = []
            for e in row:
                if e is None:
                    out.append("")
                    continue
                if e.get("absent"):
                    out.append(f"not here (glearn-data fetch {e['dataset']})"
                               + (f" ({e['published']})" if e["published"]
                                  else ""))
                    continue
                if e["test_acc"] is None:
                    out.append("failed")
                    continue
                t = e["test_acc"]
                c = f"{100 * t['mean']:.2f} ± {100 * t['std']:.2f}"
                if e["runs"] != most:
                    c += f" [{e['runs']} seed{'s' if e['runs'] > 1 else ''}]"
                if e["published"] is not None:
                    c += f" ({e['published']})"
                out.append(c)
            lines.append(f"| {name} | " + " | ".join(out) + " |")
    note = (f"\nTest accuracy (%), mean ± std over {most} seeds unless marked; "
            "published numbers in parentheses. Planetoid: the standard split; "
            "Coauthor: a new 20/30-per-class split for every seed.\n")
    return "\n".join(lines) + "\n" + note


def main():
    runs = int(os.environ.get("RUNS", "10"))
    threads = int(os.environ.get("THREADS", "2"))
    models = os.environ.get("MODELS", " ".join(ALL_MODELS)).split()
    datasets = os.environ.get("DATASETS", " ".join(ALL_DATASETS[:5])).split()
    if datasets == ["gnnbench"]:
        datasets = GNNBENCH
        models = os.environ.get("MODELS", "gcn gat").split()
        mixes = os.environ.get("MIX", "plain graphmix").split()
    mixes = os.environ.get("MIX", " ".join(ALL_MIXES)).split()
    for name, got, known in (("MODELS", models, ALL_MODELS),
                             ("DATASETS", datasets, ALL_DATASETS),
                             ("MIX", mixes, ALL_MIXES)):
        bad = [x for x in got if x not in known]
        if bad:
            sys.exit(f"accuracy.py: unknown {name} entry '{bad[0]}' "
                     f"(known: {' '.join(known)})")
    os.makedirs(OUT, exist_ok=True)
    tag = "-gnnbench" if datasets == GNNBENCH else ""
    path = os.path.join(OUT, f"accuracy{tag}.json")
    cells = load_previous(path)
    for model in models:
        for mix in mixes:
            for ds in datasets:
                r = run(ds, model, mix, runs, threads)
                pub = PUBLISHED.get((model, mix), {}).get(ds)
                if datasets == GNNBENCH and mix == "graphmix" and model != "gcn":
                    continue  # the table: GraphMix over GCN only
                ok = r and not r.get("absent")
                e = {"model": model, "graphmix": mix == "graphmix",
                     "dataset": ds, "runs": runs, "published": pub,
                     "absent": bool(r and r.get("absent")),
                     "test_acc": r["test_acc"] if ok else None,
                     "seconds_per_run": r["seconds_per_run"] if ok else None}
                cells[cell_key(e)] = e
                # after every cell, so an interrupted run keeps what it measured
                with open(path + ".tmp", "w") as f:
                    json.dump(list(cells.values()), f, indent=2)
                os.replace(path + ".tmp", path)
    text = table(cells)
    with open(os.path.join(OUT, f"accuracy{tag}.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
