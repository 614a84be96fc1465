#!/usr/bin/python3
"""The distributed scale run's table and a scaling model (bench/dist.sh).

Reads bench/out/dist-{book,train,partition}-P.json for the measured rank
counts P and prints, per P: partition time and memory, halo sizes, peak
memory per rank against the one-rank run's / P, and the bytes a rank hands
to MPI an epoch (halo rows and gradient sums).  Then a model of a training
epoch of full-batch GCN on 8..256 machines, one rank a machine:

  t(P) = t_compute(1) * (own + halo) / N          (the largest part's rows)
       + calls_halo * (P - 1) * latency + halo_bytes / bandwidth
       + 2 * (P - 1) / P * sum_bytes / bandwidth + 2 * log2(P) * latency
             * calls_sum                           (ring / tree all-reduce)

with t_compute(1) the one-rank epoch measured here, the halo fraction
(halo / own nodes of the largest part) fitted as a power of P over the
measured P > 1 and extrapolated, and the per-epoch call counts and sum
bytes measured.  Strong scaling keeps the graph; weak scaling grows it
with P (the measured graph per machine), its halo fraction the same
function of P.  The network is an assumption: NET_GBPS (25 Gb/s) and
NET_LATENCY_US (10 us), a commodity cloud cluster."""
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

# the halo fraction against P: a power law through the measured P > 1
pts = [(p, rows[p]["halo_max"] / rows[p]["own_max"]) for p in parts if p > 1]
if len(pts) >= 2:
    xs = [math.log(p) for p, _ in pts]
    ys = [math.log(h) for _, h in pts]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / \
        sum((x - mx) ** 2 for x in xs)
    a = math.exp(my - b * mx)
else:
    a, b = (pts[0][1], 0.0) if pts else (0.0, 0.0)


def halo_frac(p):
    return min(a * p ** b, 20.0)  # a part cannot see more than the graph


big = max(p for p in parts)
hb_per_row = rows[big]["halo_b"] / max(rows[big]["halo_max"], 1)
sum_b = rows[big]["sum_b"]
t1 = one["ms"] / 1e3
# Alltoallv calls an epoch: the forward and backward of the hidden layer
# and the evaluation's forward (2-layer GCN): 3; all-reduces: the gradient
# and the evaluation's sums: 2
CALLS_HALO, CALLS_SUM = 3, 2


def epoch(p, n_scale):
    own = one["nodes"] * n_scale / p
    halo = own * halo_frac(p)
    comp = t1 * n_scale * (own + halo) / (one["nodes"] * n_scale)
    if p == 1:
        return comp, 0.0
    comm = (CALLS_HALO * (p - 1) * LAT + halo * hb_per_row / BW +
            2 * (p - 1) / p * sum_b / BW + 2 * math.log2(p) * LAT * CALLS_SUM)
    return comp, comm


print(f"\nModel ({GBPS:g} Gb/s, {LAT * 1e6:g} us latency; halo fraction "
      f"{a:.3f} * P^{b:.2f} fitted on P = {', '.join(str(p) for p, _ in pts)}; "
      f"one-rank epoch {t1 * 1e3:.0f} ms on {one['nodes']} nodes):")
print(f"{'P':>4} {'strong s/epoch':>15} {'speedup':>8} {'eff.':>6} "
      f"{'comm %':>7} {'weak s/epoch':>13} {'weak eff.':>10}")
base = sum(epoch(1, 1))
for p in [8, 16, 32, 64, 128, 256]:
    c, m = epoch(p, 1)
    cw, mw = epoch(p, p)
    s = base / (c + m)
    print(f"{p:>4} {c + m:15.3f} {s:8.1f} {s / p:6.2f} "
          f"{100 * m / (c + m):7.1f} {cw + mw:13.3f} {base / (cw + mw):10.2f}")
