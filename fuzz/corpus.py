#!/usr/bin/python3
"""Writes the seed corpora of the fuzz harnesses (fuzz/corpus/NAME/) from
the shipped Cora files and small arrays: run from the repository root with
Debian's python3 (numpy, scipy).  The files are committed; this script says
how they were made."""
import gzip
import io
import os
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
