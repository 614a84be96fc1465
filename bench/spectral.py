#!/usr/bin/env python3
"""The spectral learner and the batch-size rules (make bench; Granziol et
al., algorithms.md section 8).

1. The Hessian against the batch size: gl-spectrum on Cora and Pubmed GCN
   (lambda_max of mini-batch losses and of the full loss, the fitted
   exponents; CSV and SVG plots).
2. The learner: GCN on Cora, Citeseer and Pubmed with Adam at the paper's
   rate against spectral-sgd and spectral-momentum (no rate given), test
   accuracy over SEEDS seeds and the estimates' share of the run time.
3. Batch-size rules: mini-batch GCN (node-wise sampler) on Coauthor-CS
   with a 60/20/20 split, EPOCHS epochs at every batch size 64 .. 2048,
   Adam at a fixed rate against the square-root rule, SGD at a fixed
   rate against the linear rule (rates tuned at batch 64), and the
   spectral learner (spectral-sgd, an estimate every 2 epochs on a
   batch's worth of training nodes: no rate given).

Environment: THREADS (2), SEEDS (30: the learner's gap to Adam is within
the noise of 10), SCALE_SEEDS (2), EPOCHS (20),
GLEARN_DATA.  Writes bench/out/spectral.{md,json} and
bench/out/spectrum-*.{csv,svg}.
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "out")
BIN = os.path.join(ROOT, "bin")
THREADS = os.environ.get("THREADS", "2")
SEEDS = os.environ.get("SEEDS", "30")
SCALE_SEEDS = os.environ.get("SCALE_SEEDS", "2")
EPOCHS = os.environ.get("EPOCHS", "20")
DATA = os.environ.get("GLEARN_DATA")
BATCHES = [64, 128, 256, 512, 1024, 2048]
REF = 64
ADAM_LR, SGD_LR = 0.01, 2.0  # at batch 64


def tool(name, *args):
    cmd = [os.path.join(BIN, name), *args, "--threads", THREADS, "--quiet"]
    if DATA:
        cmd += ["--data", DATA]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{name} {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout


def train(name, *args):
    path = os.path.join(OUT, f"spectral-{name}.json")
    tool("gnn-train", *args, "--json", path)
    return json.load(open(path))


def main():
    os.makedirs(OUT, exist_ok=True)
    md, res = [], {"spectrum": {}, "learner": {}, "scaling": {}}

    md += ["## Hessian lambda_max against the batch size (GCN, gl-spectrum)", "",
           "| dataset | B | lambda_max | full | exponent of the excess "
           "(paper: 1) | exponent of lambda_max |", "|---|---|---|---|---|---|"]
    for ds in ["cora", "pubmed"]:
        base = os.path.join(OUT, f"spectrum-{ds}")
        tool("gl-spectrum", ds, "--csv", base + ".csv", "--json",
             base + ".json", "--plot", base + ".svg", "--density-plot",
             base + "-density.svg")
        j = json.load(open(base + ".json"))
        res["spectrum"][ds] = j
        lv = j["levels"]
        small = lv[0]
        md.append(f"| {ds} | {small['batch_size']} .. {lv[-2]['batch_size']} "
                  f"| {small['lambda_max']:.4g} .. {lv[-2]['lambda_max']:.4g} "
                  f"| {j['lambda_max_full']:.4g} | {j['exponent_excess']:.2f} "
                  f"| {j['exponent']:.2f} |")
        print(md[-1], flush=True)

    md += ["", f"## The spectral learner: GCN, {SEEDS} seeds, no rate given",
           "", "| dataset | Adam (paper) | spectral-sgd | spectral-momentum "
           "| estimates' share of the run |", "|---|---|---|---|---|"]
    for ds in ["cora", "citeseer", "pubmed"]:
        row = {}
        for opt in ["adam", "spectral-sgd", "spectral-momentum"]:
            args = [ds, "gcn", "--runs", SEEDS]
            if opt != "adam":
                args += ["--optim", opt]
            row[opt] = train(f"{ds}-{opt}", *args)
        res["learner"][ds] = row
        acc = {k: 100 * v["test_acc"]["mean"] for k, v in row.items()}
        share = max(row[k].get("spectral_fraction", 0) for k in row)
        md.append(f"| {ds} | {acc['adam']:.2f} | {acc['spectral-sgd']:.2f} | "
                  f"{acc['spectral-momentum']:.2f} | {100 * share:.0f}% |")
        print(md[-1], flush=True)

    md += ["", f"## Batch-size rules: Coauthor-CS (60/20/20), node-wise "
           f"mini-batches, {EPOCHS} epochs, {SCALE_SEEDS} seeds",
           "", f"Rates tuned at batch {REF}: Adam {ADAM_LR}, SGD {SGD_LR}.", "",
           "| batch | Adam fixed | Adam sqrt rule | SGD fixed | SGD linear "
           "rule | spectral-sgd (no rate) |", "|---|---|---|---|---|---|"]
    cols = [("adam-fixed", "adam", ADAM_LR, "none"),
            ("adam-sqrt", "adam", ADAM_LR, "sqrt"),
            ("sgd-fixed", "sgd", SGD_LR, "none"),
            ("sgd-linear", "sgd", SGD_LR, "linear"),
            ("spectral-sgd", "spectral-sgd", None, None)]
    for b in BATCHES:
        row = {}
        for name, opt, lr, rule in cols:
            rate = (["--lr", str(lr), "--lr-scale", rule, "--ref-batch",
                     str(REF)] if lr else ["--spectral-every", "2"])
            row[name] = train(
                f"scale-{b}-{name}", "coauthor-cs", "gcn", "--split",
                "0.6,0.2", "--sampler", "node", "--batch-size", str(b),
                "--epochs", EPOCHS, "--stop", "none", "--select", "best",
                "--optim", opt, *rate, "--runs", SCALE_SEEDS)
        res["scaling"][b] = row
        acc = [100 * row[c[0]]["test_acc"]["mean"] for c in cols]
        md.append(f"| {b} | " + " | ".join(f"{a:.2f}" for a in acc) + " |")
        print(md[-1], flush=True)
    for c in cols:
        a = [100 * res["scaling"][b][c[0]]["test_acc"]["mean"] for b in BATCHES]
        res["scaling"][c[0] + "_range"] = max(a) - min(a)
    md.append("| range | " + " | ".join(
        f"{res['scaling'][c[0] + '_range']:.2f}" for c in cols) + " |")
    print(md[-1])

    open(os.path.join(OUT, "spectral.md"), "w").write("\n".join(md) + "\n")
    json.dump(res, open(os.path.join(OUT, "spectral.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
