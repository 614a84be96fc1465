#!/usr/bin/python3
"""The distributed scale run's table and a scaling model (bench/dist.sh).

Reads bench/out/dist-{book,train,partition}-P.json for the measured rank
counts P and prints, per P: partition time and memory, halo sizes, peak
memory per rank against the one-rank run's / P, and the bytes a rank hands
to MPI an epoch (halo rows and gradient sums).  Then a model of a training
epoch of full-batch GCN on 8..256 machines, one rank a machine:

  t(P) = t(1) * own(P) / N                          compute: the largest part
       + halo(P) * b_row / bandwidth + calls * (P - 1) * latency    halo
       + 2 (P - 1) / P * b_sum / bandwidth + 2 log2(P) * latency    sums

t(1) is the one-rank epoch measured here on N nodes; own(P) the largest
part (N / P times the measured node imbalance); halo(P), the halo of the
largest part, saturates towards the whole graph on a power-law graph (a
part touches nearly every hub): halo(P) = N (P - 1) / (P - 1 + c), c
fitted on the measured P > 1; b_row, the bytes an epoch moves per halo
row, and b_sum, the bytes summed an epoch, are measured at the largest P.
Strong scaling keeps the graph; weak scaling grows it with P (N nodes a
machine), halo(P) the same fraction of it.  The network is an
assumption: NET_GBPS (25 Gb/s) and NET_LATENCY_US (10 us), a commodity
cloud cluster; compute overlaps nothing."""
import json
import math
import os
import sys

out = sys.argv[1]
parts = [int(p) for p in sys.argv[2:]]
GBPS = float(os.environ.get("NET_GBPS", "25"))
LAT = float(os.environ.get("NET_LATENCY_US", "10")) * 1e-6
BW = GBPS * 1e9 / 8  # bytes/s


def load(kind, p):
    with open(f"{out}/dist-{kind}-{p}.json") as f:
        return json.load(f)


rows = {}
for p in parts:
    book, train, part = load("book", p), load("train", p), load("partition", p)
    pr = train.get("per_rank")
    rows[p] = dict(
        nodes=book["nodes"], edges=book["edges"],
        part_s=part["partition_wall_seconds"],
        part_mib=part["partition_peak_rss_kb"] / 1024,
        cut=book["edge_cut"],
        halo_max=max(q["halo"] for q in book["part"]),
        own_max=max(q["nodes"] for q in book["part"]),
        rss_max=max(pr["peak_rss_bytes"]) / 2**20 if pr else math.nan,
        halo_b=max(pr["halo_bytes_per_epoch"]) if pr else 0.0,
        sum_b=max(pr["sum_bytes_per_epoch"]) if pr else 0.0,
        ms=train["ms_per_epoch"],
        acc=train["test_acc"]["mean"])

one = rows[min(parts)]
print(f"\n{'P':>3} {'part s':>7} {'part MiB':>9} {'edge cut':>10} "
      f"{'max own':>9} {'max halo':>9} {'rank MiB':>9} {'1-rank/P':>9} "
      f"{'halo MB/ep':>11} {'sum MB/ep':>10} {'ms/epoch':>9}")
for p in parts:
    r = rows[p]
    print(f"{p:>3} {r['part_s']:7.1f} {r['part_mib']:9.0f} {r['cut']:10d} "
          f"{r['own_max']:9d} {r['halo_max']:9d} {r['rss_max']:9.0f} "
          f"{one['rss_max'] / p:9.0f} {r['halo_b'] / 1e6:11.1f} "
          f"{r['sum_b'] / 1e6:10.2f} {r['ms']:9.1f}")

# the halo's share of the graph against P: (P - 1) / (P - 1 + c), c by
# least squares over the measured P > 1 (a one-parameter search)
pts = [(p, rows[p]["halo_max"] / rows[p]["nodes"]) for p in parts if p > 1]


def share(p, c):
    return (p - 1) / (p - 1 + c)


c = 1.0
if pts:
    c = min((sum((share(p, k) - h) ** 2 for p, h in pts), k)
            for k in [0.01 * i for i in range(1, 100000)])[1]
big = max(parts)
b_row = rows[big]["halo_b"] / max(rows[big]["halo_max"], 1)
b_sum = rows[big]["sum_b"]
imb = rows[big]["own_max"] * big / rows[big]["nodes"]
t1 = one["ms"] / 1e3
N = one["nodes"]
CALLS = 3  # Alltoallv a step: layer 0 and 1 forward, their backward; eval


def epoch(p, weak):
    n = N * p if weak else N
    comp = t1 * (n / p * (imb if p > 1 else 1)) / N
    if p == 1:
        return comp, 0.0
    comm = (n * share(p, c) * b_row / BW + 2 * CALLS * (p - 1) * LAT +
            2 * (p - 1) / p * b_sum / BW + 2 * math.log2(p) * LAT)
    return comp, comm


print(f"\nModel ({GBPS:g} Gb/s, {LAT * 1e6:g} us latency; halo share "
      f"(P-1)/(P-1+{c:.2f}) fitted on P = "
      f"{', '.join(str(p) for p, _ in pts)}; {b_row:.0f} B a halo row and "
      f"{b_sum / 1e3:.0f} kB of sums an epoch; one-rank epoch "
      f"{t1 * 1e3:.0f} ms on {N} nodes; node imbalance {imb:.3f}):")
print(f"{'P':>4} {'strong s/epoch':>15} {'speedup':>8} {'eff.':>6} "
      f"{'comm %':>7} {'weak s/epoch':>13} {'weak eff.':>10}")
base = sum(epoch(1, False))
for p in [8, 16, 32, 64, 128, 256]:
    cs, ms = epoch(p, False)
    cw, mw = epoch(p, True)
    sp = base / (cs + ms)
    print(f"{p:>4} {cs + ms:15.3f} {sp:8.1f} {sp / p:6.2f} "
          f"{100 * ms / (cs + ms):7.1f} {cw + mw:13.3f} "
          f"{base / (cw + mw):10.2f}")
