#!/usr/bin/python3
"""Writes the seed corpora of the fuzz harnesses (fuzz/corpus/NAME/): the
loaders' from the shipped Cora files and small arrays, the option parsers'
from command lines of the README and the tests (with their dictionaries,
the option names from each tool's --help), the checkpoint reader's from
checkpoints bin/gnn-train saves.  Run from the repository root after make
with Debian's python3 (numpy, scipy): `fuzz/corpus.py [GROUP...]`, the
groups loaders, options and checkpoints (all by default).  The files are
committed; this script says how they were made."""
import gzip
import io
import os
import re
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
import scipy.io
import scipy.sparse as sp

CORA = "data/planetoid/cora"
N = 50  # Cora's first 50 nodes


def cora(name):
    with gzip.open(f"{CORA}/{name}.txt.gz", "rt") as f:
        return f.read().splitlines()


def put(harness, name, data):
    os.makedirs(f"fuzz/corpus/{harness}", exist_ok=True)
    with open(f"fuzz/corpus/{harness}/{name}", "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def loaders():
    """The loaders' corpora: gmnn, edgelist, npz, npy, mat."""
    # A cut-down Cora: the edges among nodes 0..49, their features and labels,
    # nodes 0..29 for training, 30..39 for validation, 40..49 for test.
    net = [l for l in cora("net") if all(int(x) < N for x in l.split()[:2])]
    feat = [l for l in cora("feature") if int(l.split()[0]) < N]
    label = [l for l in cora("label") if int(l.split()[0]) < N]
    split = ["\n".join(str(i) for i in range(a, b)) for a, b in
             ((0, 30), (30, 40), (40, N))]
    edges = [tuple(int(x) for x in l.split()[:2]) for l in net]

    # gmnn: the six files one after another, separated by "%%FILE" lines.
    def gmnn(files):
        return "\n%%FILE\n".join(files)


    put("gmnn", "cora50", gmnn(["\n".join(x) for x in (net, feat, label)] + split))
    put("gmnn", "names", gmnn([
        "# a triangle and a tail\n0 1\n1 2\n2 0\n2 3 2.5\n",
        "0\t0:1 2:0.5\n1\t1:1\n2 0:1,1:1\n3\t3:1e-3\n",
        "0 red\n1 blue\n2 red\n3 green\n", "0\n1\n", "2\n", "3\n"]))

    # edgelist: the edges among Cora's first 200 nodes.
    put("edgelist", "cora200", "\n".join(
        l for l in cora("net") if all(int(x) < 200 for x in l.split()[:2])) + "\n")
    put("edgelist", "weighted", "# u v w\n0 1 0.5\n1 2 2\r\n2,0,1e-3\n\n3\t4\n")
    put("edgelist", "gzip", gzip.compress(b"0 1\n1 2\n2 3\n", mtime=0))

    # npz: the gnn-benchmark layout (a CSR adjacency, CSR attributes, labels).
    adj = sp.coo_matrix((np.ones(len(edges), np.float32),
                         ([u for u, v in edges], [v for u, v in edges])),
                        shape=(N, N)).tocsr()
    rows, cols, vals = [], [], []
    for l in feat:
        u, *rest = l.split()
        for t in rest:
            j, x = t.split(":")
            rows.append(int(u)), cols.append(int(j)), vals.append(float(x))
    attr = sp.csr_matrix((np.array(vals, np.float32), (rows, cols)),
                         shape=(N, max(cols) + 1))
    labels = np.array([int(l.split()[1]) for l in sorted(
        label, key=lambda l: int(l.split()[0]))], np.int64)
    arrays = dict(adj_data=adj.data, adj_indices=adj.indices,
                  adj_indptr=adj.indptr, adj_shape=np.array(adj.shape),
                  attr_data=attr.data, attr_indices=attr.indices,
                  attr_indptr=attr.indptr, attr_shape=np.array(attr.shape),
                  labels=labels)
    for name, save in (("cora50", np.savez), ("cora50-deflate",
                                              np.savez_compressed)):
        b = io.BytesIO()
        save(b, **arrays)
        put("npz", name, b.getvalue())
    b = io.BytesIO()
    np.savez(b, adj_data=np.ones(2, np.float64), adj_indices=np.array([1, 0]),
             adj_indptr=np.array([0, 1, 2]), adj_shape=np.array([2, 2]))
    put("npz", "pair", b.getvalue())

    # npy: each dtype the reader knows, a 0-d array, a Fortran-order one and a
    # version 2 header.
    for name, a in (("f4", np.arange(6, dtype=np.float32).reshape(2, 3)),
                    ("i8", np.arange(5, dtype=np.int64)),
                    ("i4", np.array([[1, -2], [3, 4]], np.int32)),
                    ("f8", np.array(2.5)), ("u1", np.arange(3, dtype=np.uint8)),
                    ("b1", np.array([True, False])),
                    ("fortran", np.asfortranarray(np.ones((2, 2), np.float32)))):
        b = io.BytesIO()
        np.save(b, a)
        put("npy", name, b.getvalue())
    b = io.BytesIO()
    np.lib.format.write_array(b, np.ones(3, np.float32), version=(2, 0))
    put("npy", "v2", b.getvalue())

    # mat: `network` and `group` as scipy writes them (v5), compressed or not,
    # and gzipped; 12 nodes (a ring with chords) keep the inputs small.
    ring = [(i, (i + d) % 12) for i in range(12) for d in (1, 3)]
    sub = sp.coo_matrix((np.ones(24), tuple(zip(*ring))), shape=(12, 12))
    sub = sub + sub.T
    group = sp.csc_matrix((np.ones(12), (np.arange(12), labels[:12] % 3)),
                          shape=(12, 3))
    for name, comp in (("small", False), ("small-compressed", True)):
        b = io.BytesIO()
        scipy.io.savemat(b, {"network": sp.csc_matrix(sub, dtype=np.float64),
                             "group": group}, do_compression=comp)
        put("mat", name, b.getvalue())
        if not comp:
            put("mat", "small-gzip", gzip.compress(b.getvalue(), mtime=0))


# Command lines of the README and the tests, a seed each for the option
# parsers' harnesses (the arguments separated by NUL bytes), and values
# for their dictionaries beside the option names of each tool's --help.
COMMANDS = {
    "gnn-train": [
        "cora graphmix", "cora gcn", "cora gcn --runs 10",
        "pubmed gcn --runs 1", "cora gat --runs 2", "cora gunet --runs 2",
        "cora graphmix --base gat", "cora gcn --optim spectral-sgd --runs 2",
        "cora gcn --optim lamb --lr 0.05 --runs 2",
        "cora gcn --optim spectral-momentum --spectral-every 1000 --epochs "
        "100 --select last --threads 1 --quiet --json guard.json",
        "cora gcn --runs 2 --seed 3 --json r.json --save m.npz --predict "
        "p.csv --log l.csv",
        "cora gcn --load m.npz --json r2.json",
        "cora gcn --load m.npz --epochs 5 --quiet",
        "pubmed graphmix --base gat --select best --features binary "
        "--weight-decay 1e-3 --epochs 1 --quiet --json s.json",
        "cora gcn --seed 7 --quiet --threads 2 --sampler node --batch-size "
        "32 --fanouts 5,5",
        "cora gcn --sampler mvs --mvs-ratio 0.5 --mvs-inner 10 --mvs-draw "
        "systematic --var-every 5 --var-draws 4",
        "cora gcn --sampler vrgcn --fanouts 2,2",
        "cora gcn --sampler cluster --clusters 20",
        "cora gcn --sampler saint-rw --budget 100 --walk-length 3",
        "cora gcn --sampler ladies --layer-sizes 64,64",
        "cora gunet --pools 2000,1000 --act relu --linear-blocks "
        "--adj-dropout 0.2 --hidden-dropout 0.1",
        "cora gcn --optim sgd --lr-scale linear --ref-batch 64 --warmup 10 "
        "--decay-power 1",
        "cora gcn --optim spectral-momentum --spectral-mu min "
        "--lanczos-steps 10 --stop patience --patience 100",
        "cora gcn --stop window --window 10 --select loss --split 0.6,0.2",
        "cora graphmix --mixup-alpha 1 --pseudo-k 10 --temperature 0.1 "
        "--gamma 1 --ramp-start 500 --ramp-end 1000 --p-fcn 0.5",
        "cora gat --heads 8 --out-heads 1 --attn-dropout 0.6 --hidden 8 "
        "--layers 2 --dropout 0.6 --bias --decay-all",
        "cora gcn --epochs 2 --checkpoint run.ckpt --checkpoint-every 5",
        "cora gcn --resume run.ckpt",
        "csbm:n=200,k=4,deg=8,pin=0.95 gcn --features raw --data data",
        "--help", "--version"],
    "care-embed": [
        "karate --method care --dim 8 --walks 20 --length 40 --window 5 "
        "--threads 1 --seed 3 --out karate.w2v --json care.json --quiet",
        "karate --method deepwalk --task classify --eval-runs 3 --optim "
        "spectral-sgd --spectral-segments 4",
        "csbm:n=200,k=4,deg=8,pin=0.95 --method node2vec --p 0.5 --q 2 "
        "--task link --hold 0.3 --out sbm.npy",
        "karate --stream --out streamed.npy --quiet",
        "karate --task classify --eval-runs 2 --embeddings k.npy --json "
        "care.json --quiet",
        "--edgelist graph.txt --directed --format npy --out e.npy",
        "karate --communities leiden --alpha 0.5 --negative 5 --epochs 3 "
        "--lr 0.025 --sample 1e-3 --save-walks w.txt",
        "blogcatalog --method node2vec --p 0.25 --q 0.25 --task classify "
        "--data data",
        "karate --checkpoint run.ckpt --checkpoint-every 2",
        "karate --resume run.ckpt", "--help", "--version"],
    "gl-spectrum": [
        "cora --epochs 100 --draws 8 --probes 3 --steps 20 --batch-sizes "
        "4,16,64 --quiet --threads 1 --csv spec.csv --json spec.json --plot "
        "spec.svg --density-plot dens.svg --density-csv dens.csv",
        "cora gcn --split 0.6,0.2 --sigma 0.02 --seed 2",
        "pubmed gat --data data", "--help", "--version"],
    "glearn-data": [
        "list", "fetch coauthor-cs", "fetch all", "verify",
        "verify cora coauthor-cs", "fetch --quiet coauthor-physics --data "
        "data", "--help", "-h"],
    "gl-partition": [
        "cora --parts 4 --out cora4", "pubmed --parts 2 --out pm2 --seed 3 "
        "--threads 1 --quiet", "coauthor-cs --parts 8 --out cs8 --split "
        "0.6,0.2 --split-seed 2 --data data", "--help", "--version"],
}
VALUES = {
    "gnn-train": "cora pubmed karate gcn gat gunet graphmix adam sgd "
                 "nesterov spectral-sgd spectral-adam full node vrgcn mvs "
                 "saint-node fastgcn standard 0.6,0.2 window patience loss "
                 "none best last as-loaded raw binary elu relu median min "
                 "linear sqrt bernoulli systematic 25,10 0 -1 1e-12 1e3 "
                 "2147483647 1099511627776 nan inf",
    "care-embed": "karate cora care deepwalk node2vec louvain leiden "
                  "classify link none sgd spectral-sgd w2v npy x.npy 0 -1 "
                  "1e-9 0.99 4611686018427387904 nan",
    "gl-spectrum": "cora gcn gat gunet standard 0.6,0.2 4,8,16 0 -1 1e-6 "
                   "2147483647",
    "glearn-data": "list fetch verify all cora coauthor-cs",
    "gl-partition": "cora pubmed standard 0.6,0.2 0 1 -1 65536 65537 "
                    "2147483647",
}


def harness(tool):
    return "opts_" + tool.replace("-", "_")


def options():
    """The option parsers' corpora and dictionaries."""
    for tool, lines in COMMANDS.items():
        h = harness(tool)
        for i, line in enumerate(lines):
            put(h, f"cmd{i:02d}", "\0".join(line.split()))
        help_text = subprocess.run([f"bin/{tool}", "--help"], check=True,
                                   capture_output=True, text=True).stdout
        # the options of the usage line and their aliases ("  -h, --help")
        usage = help_text.split("\n\n")[0]
        names = sorted(set(re.findall(r"\[(--[a-z0-9-]+)", usage) +
                           re.findall(r"^  (-\w), --", help_text, re.M)))
        with open(f"fuzz/{h}.dict", "w") as f:
            f.write(f"# libFuzzer dictionary of the {tool} option parser: "
                    "the argument separator,\n# the options of its --help "
                    "and some values.\n")
            f.write('sep="\\x00"\n')
            for k, n in enumerate(names):
                f.write(f'o{k}="{n}"\n')
            for k, v in enumerate(VALUES[tool].split()):
                f.write(f'v{k}="{v}"\n')


def checkpoints():
    """The checkpoint reader's corpus: small models of each kind that
    gnn-train saves (4 hidden units, 2 epochs on Cora)."""
    runs = {"gcn": "gcn", "gat": "gat --heads 2 --out-heads 1",
            "gunet": "gunet --pools 200,100", "graphmix": "graphmix",
            "graphmix-gat": "graphmix --base gat --heads 1"}
    with tempfile.TemporaryDirectory() as tmp:
        for name, model in runs.items():
            path = f"{tmp}/{name}.npz"
            subprocess.run(["bin/gnn-train", "cora", *model.split(),
                            "--epochs", "2", "--hidden", "4", "--quiet",
                            "--threads", "1", "--save", path], check=True,
                           capture_output=True)
            with open(path, "rb") as f:
                put("checkpoint", name, f.read())


GROUPS = {"loaders": loaders, "options": options, "checkpoints": checkpoints}
for g in sys.argv[1:] or GROUPS:
    GROUPS[g]()
