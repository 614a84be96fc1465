#!/usr/bin/env python3
"""make bench-accuracy: embedding quality of CARE, DeepWalk and node2vec
through bin/care-embed (and CARE with the spectral learner's rate), with
the published numbers beside.

- BlogCatalog node classification: Micro/Macro-F1 at 10%..90% of the nodes
  for training (EVAL_RUNS splits each) after CLASSIFY_EPOCHS (3) skip-gram
  passes over the walks; node2vec with the paper's p = q = 0.25.
- Link prediction (ROC-AUC, four edge operators) on Cora, Citeseer, Pubmed
  and BlogCatalog: half the edges held out (node2vec's protocol), except
  where the graph is too sparse to stay connected without them (Citeseer:
  0.3).

Writes bench/out/embed_quality.{json,md}.
Environment: THREADS (2), EVAL_RUNS (5), CLASSIFY_EPOCHS (3), GLEARN_DATA.
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "out")
THREADS = os.environ.get("THREADS", "2")
RUNS = os.environ.get("EVAL_RUNS", "5")
# skip-gram passes over the walks for classification (the node2vec code's
# --iter; one pass leaves node2vec at 0.235 Macro-F1, three give 0.26)
CLASSIFY_EPOCHS = os.environ.get("CLASSIFY_EPOCHS", "3")
# name: care-embed's --method and options (care-spectral: CARE with the
# rate from the spectral learner, --optim spectral-sgd)
METHODS = {"deepwalk": ("deepwalk", []),
           "node2vec": ("node2vec", ["--p", "0.25", "--q", "0.25"]),
           "care": ("care", []),
           "care-spectral": ("care", ["--optim", "spectral-sgd"])}
PUBLISHED_MACRO = {"deepwalk": 0.2110, "node2vec": 0.2581}  # at 50%
HOLD = {"cora": "0.5", "citeseer": "0.3", "pubmed": "0.5",
        "blogcatalog": "0.5"}
OPS = ("hadamard", "average", "l1", "l2")


def care(dataset, method, *args):
    path = os.path.join(OUT, f"embq-{dataset}-{method}-{args[1]}.json")
    cmd = [os.path.join(ROOT, "bin", "care-embed"), dataset, "--method",
           METHODS[method][0], *METHODS[method][1], "--threads", THREADS,
           "--quiet",
           "--json", path, *args]
    if os.environ.get("GLEARN_DATA"):
        cmd += ["--data", os.environ["GLEARN_DATA"]]
    print("  " + " ".join(cmd[1:]), file=sys.stderr, flush=True)
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"care-embed failed: {r.stderr.strip()}")
    return json.load(open(path))


def main():
    os.makedirs(OUT, exist_ok=True)
    res = {"classify": {}, "link": {}}
    for m in METHODS:
        res["classify"][m] = care("blogcatalog", m, "--task", "classify",
                                  "--eval-runs", RUNS, "--epochs",
                                  CLASSIFY_EPOCHS)["classify"]
    for ds, hold in HOLD.items():
        res["link"][ds] = {m: care(ds, m, "--task", "link", "--hold",
                                   hold)["link"] for m in METHODS}
    lines = ["# Embedding quality (make bench-accuracy)", "",
             f"BlogCatalog node classification, {RUNS} splits a fraction, "
             f"{CLASSIFY_EPOCHS} skip-gram passes: Macro-F1 (Micro-F1); "
             "published Macro-F1 at 50% in parentheses.",
             "", "| method | " + " | ".join(f"{f / 10:.1f}" for f in
                                               range(1, 10)) + " |",
             "|---|" + "---|" * 9]
    for m, c in res["classify"].items():
        cells = []
        for f in range(1, 10):
            k = f"{f / 10:.1f}"
            pub = (f" ({PUBLISHED_MACRO[m]:.4f})"
                   if f == 5 and m in PUBLISHED_MACRO else "")
            cells.append(f"{c[k]['macro_f1']:.4f}{pub} "
                         f"({c[k]['micro_f1']:.4f})")
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    lines += ["", "Link prediction ROC-AUC (Hadamard / average / L1 / L2):",
              "", "| dataset (held out) | " + " | ".join(METHODS) + " |",
              "|---|" + "---|" * len(METHODS)]
    for ds, r in res["link"].items():
        cells = [" / ".join(f"{r[m][op]['auc']:.4f}" for op in OPS)
                 for m in METHODS]
        lines.append(f"| {ds} ({HOLD[ds]}) | " + " | ".join(cells) + " |")
    md = "\n".join(lines) + "\n"
    open(os.path.join(OUT, "embed_quality.md"), "w").write(md)
    json.dump(res, open(os.path.join(OUT, "embed_quality.json"), "w"),
              indent=1)
    print(md, end="")


if __name__ == "__main__":
    main()
