#!/usr/bin/env python3
"""Reference GCN in plain PyTorch, run side by side with glearn's to time a
training epoch (forward, backward, optimiser step).

The model of Kipf & Welling (2017) as in their code: two layers, hidden 16,
no bias, dropout 0.5 on the input of both layers (sparse dropout on the
stored non-zeros of the features), Adam lr 0.01 with weight decay 5e-4 on
the first layer only, Glorot-uniform weights, cross-entropy on the training
nodes.  Features stay sparse (rows normalised to sum 1); the adjacency is
the sparse D^-1/2 (A + I) D^-1/2.

It reads the GMNN text folders (net.txt, feature.txt, label.txt, train.txt,
dev.txt, test.txt; see ../shared/datasets/README.md) by itself, so that the
comparison does not depend on glearn's loader.

    python3 bench/gcn_torch.py --data DIR --threads T --epochs E --warmup W

prints one JSON line: dataset, ms_per_epoch_median and ms_per_epoch_min over
the E timed epochs that follow W warm-up epochs, threads, train_acc (and,
with --report-acc, val_acc and test_acc), all accuracies measured without
dropout after the last epoch.
"""
import argparse
import json
import os
import statistics
import sys
import time
import warnings

try:
    import numpy as np
    import scipy.sparse as sp
    import torch
    import torch.nn.functional as F
except ImportError as e:  # e.g. a pyenv python3 first on PATH: use Debian's
    system = "/usr/bin/python3"
    if os.path.realpath(sys.executable) != os.path.realpath(system) and \
            os.path.exists(system) and not os.environ.get("GCN_TORCH_REEXEC"):
        os.environ["GCN_TORCH_REEXEC"] = "1"
        os.execv(system, [system] + sys.argv)
    sys.exit("gcn_torch.py: %s (install python3-torch python3-scipy: "
             "make bench-deps)" % e)


# ------------------------------------------------------------------ data
def read_ids(path):
    with open(path) as f:
        return np.array([int(line) for line in f if line.strip()],
                        dtype=np.int64)


def load_gmnn(folder):
    """Returns (adjacency csr without self loops, row-normalised feature csr,
    labels with -1 where unknown, train, val, test index arrays)."""
    net = np.loadtxt(os.path.join(folder, "net.txt"), dtype=np.int64,
                     usecols=(0, 1), ndmin=2)
    rows, cols, vals = [], [], []
    with open(os.path.join(folder, "feature.txt")) as f:
        for line in f:
            node, _, rest = line.partition("\t")
            if not node.strip():
                continue
            node = int(node)
            for item in rest.split():
                j, _, x = item.partition(":")
                rows.append(node)
                cols.append(int(j))
                vals.append(float(x))
    lab = np.loadtxt(os.path.join(folder, "label.txt"), dtype=np.int64,
                     ndmin=2)
    train, val, test = (read_ids(os.path.join(folder, name))
                        for name in ("train.txt", "dev.txt", "test.txt"))
    n = 1 + max(int(net.max()), max(rows), int(lab[:, 0].max()),
                int(max(train.max(), val.max(), test.max())))
    n_feat = 1 + max(cols)

    adj = sp.coo_matrix((np.ones(len(net), dtype=np.float32),
                         (net[:, 0], net[:, 1])), shape=(n, n)).tocsr()
    adj = adj.maximum(adj.T)               # symmetric
    adj.data[:] = 1.0                      # binary, whatever the duplicates
    adj = adj - sp.diags(adj.diagonal())   # self loops come from + I only
    adj.eliminate_zeros()

    x = sp.coo_matrix((np.array(vals, dtype=np.float32), (rows, cols)),
                      shape=(n, n_feat)).tocsr()
    rowsum = np.asarray(x.sum(1)).ravel()
    inv = np.divide(1.0, rowsum, out=np.zeros_like(rowsum), where=rowsum != 0)
    x = sp.diags(inv.astype(np.float32)) @ x

    y = np.full(n, -1, dtype=np.int64)
    y[lab[:, 0]] = lab[:, 1]
    return adj, x.tocsr(), y, train, val, test


def normalise_adj(adj):
    """D^-1/2 (A + I) D^-1/2 as a float32 csr."""
    a = adj + sp.eye(adj.shape[0], dtype=np.float32, format="csr")
    d = np.asarray(a.sum(1)).ravel() ** -0.5
    dm = sp.diags(d.astype(np.float32))
    return (dm @ a @ dm).tocsr().astype(np.float32)


# ------------------------------------------------------------------ sparse
class Sparse:
    """A fixed sparsity pattern as a torch sparse tensor (COO or CSR) whose
    values can be replaced cheaply (for dropout on the non-zeros)."""

    def __init__(self, m, fmt):
        m = m.tocsr()
        m.sort_indices()
        self.fmt, self.shape = fmt, m.shape
        self.values = torch.from_numpy(m.data.astype(np.float32))
        if fmt == "csr":
            self.crow = torch.from_numpy(m.indptr.astype(np.int64))
            self.col = torch.from_numpy(m.indices.astype(np.int64))
        else:
            c = m.tocoo()  # row-major order: already coalesced
            self.idx = torch.from_numpy(np.vstack([c.row, c.col]).astype(
                np.int64))
        self.full = self.with_values(self.values)

    def with_values(self, v):
        if self.fmt == "csr":
            return torch.sparse_csr_tensor(self.crow, self.col, v, self.shape)
        t = torch._sparse_coo_tensor_unsafe(self.idx, v, self.shape)
        return t._coalesced_(True)  # sorted and unique: no coalesce per use


# ------------------------------------------------------------------ model
def glorot(fan_in, fan_out):
    s = (6.0 / (fan_in + fan_out)) ** 0.5
    return torch.nn.Parameter(torch.empty(fan_in, fan_out).uniform_(-s, s))


class GCN(torch.nn.Module):
    def __init__(self, n_feat, n_hidden, n_classes, dropout):
        super().__init__()
        self.w1 = glorot(n_feat, n_hidden)
        self.w2 = glorot(n_hidden, n_classes)
        self.p = dropout

    def forward(self, x, adj):
        if self.training:  # sparse dropout: on the stored non-zeros only
            xv = F.dropout(x.values, self.p, True)
            xs = x.with_values(xv)
        else:
            xs = x.full
        h = torch.sparse.mm(adj.full, torch.sparse.mm(xs, self.w1))
        h = F.dropout(F.relu(h), self.p, self.training)
        return torch.sparse.mm(adj.full, h @ self.w2)


def accuracy(out, y, idx):
    return (out[idx].argmax(1) == y[idx]).float().mean().item()


# ------------------------------------------------------------------ main
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="a GMNN text folder")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=100, help="timed epochs")
    ap.add_argument("--warmup", type=int, default=10,
                    help="untimed epochs first")
    ap.add_argument("--hidden", type=int, default=16)
    ap.add_argument("--dropout", type=float, default=0.5)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--weight-decay", type=float, default=5e-4)
    ap.add_argument("--sparse", choices=("coo", "csr"), default="coo",
                    help="torch sparse layout of features and adjacency "
                    "(coo: faster with torch 1.13 on CPU)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--report-acc", action="store_true",
                    help="add val_acc and test_acc to the JSON")
    a = ap.parse_args()
    if a.threads < 1 or a.epochs < 1 or a.warmup < 0:
        ap.error("--threads and --epochs must be >= 1, --warmup >= 0")
    if not os.path.isdir(a.data):
        ap.error("--data: %s is not a folder" % a.data)

    warnings.filterwarnings("ignore", message=".*Sparse CSR tensor support")
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    adj0, x0, y0, train, val, test = load_gmnn(a.data)
    adj = Sparse(normalise_adj(adj0), a.sparse)
    x = Sparse(x0, a.sparse)
    y = torch.from_numpy(y0)
    train, val, test = (torch.from_numpy(i) for i in (train, val, test))
    n_classes = int(y0.max()) + 1

    model = GCN(x.shape[1], a.hidden, n_classes, a.dropout)
    opt = torch.optim.Adam([
        {"params": [model.w1], "weight_decay": a.weight_decay},
        {"params": [model.w2], "weight_decay": 0.0}], lr=a.lr)
    y_train = y[train]

    def epoch():
        model.train()
        opt.zero_grad()
        out = model(x, adj)
        loss = F.cross_entropy(out[train], y_train)
        loss.backward()
        opt.step()

    for _ in range(a.warmup):
        epoch()
    times = []
    for _ in range(a.epochs):
        t0 = time.perf_counter()
        epoch()
        times.append((time.perf_counter() - t0) * 1e3)

    model.eval()
    with torch.no_grad():
        out = model(x, adj)
    res = {"dataset": os.path.basename(os.path.normpath(a.data)),
           "ms_per_epoch_median": round(statistics.median(times), 4),
           "ms_per_epoch_min": round(min(times), 4),
           "threads": a.threads,
           "train_acc": round(accuracy(out, y, train), 4)}
    if a.report_acc:
        res["val_acc"] = round(accuracy(out, y, val), 4)
        res["test_acc"] = round(accuracy(out, y, test), 4)
    res.update({"epochs": a.epochs, "warmup": a.warmup, "sparse": a.sparse,
                "nodes": x.shape[0], "features": x.shape[1],
                "torch": torch.__version__})
    print(json.dumps(res))


if __name__ == "__main__":
    main()
