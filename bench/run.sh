#!/usr/bin/env bash
# make bench: glearn against the reference implementations, side by side on
# the same machine in the same run.  Speed claims are ratios.
#   THREADS (default 2), EPOCHS (default 200), GLEARN_DATA (datasets folder)
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-2}
EPOCHS=${EPOCHS:-200}
DATA=${GLEARN_DATA:-../shared/datasets}
OUT=bench/out
PY=${PYTHON:-/usr/bin/python3} # Debian's python3 with python3-torch
mkdir -p "$OUT"
if ! $PY -c 'import torch, gensim' 2>/dev/null; then
  echo "bench: python3-torch or python3-gensim is missing; run 'make bench-deps' first" >&2
  exit 1
fi

echo "== GCN training epoch (forward, backward, Adam step), $THREADS threads"
printf '%-10s %14s %14s %8s\n' dataset "glearn ms" "pytorch ms" ratio
for ds in cora pubmed; do
  g=$(./build/glearn-bench gcn-epoch "$ds" --threads "$THREADS" --epochs "$EPOCHS" --warmup 20)
  t=$($PY bench/gcn_torch.py --data "$DATA/planetoid/$ds" --threads "$THREADS" --epochs "$EPOCHS" --warmup 20)
  echo "$g" > "$OUT/gcn-epoch-$ds-glearn.json"
  echo "$t" > "$OUT/gcn-epoch-$ds-torch.json"
  $PY - "$ds" "$g" "$t" <<'PY'
import json, sys
ds, g, t = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
gm, tm = g["ms_per_epoch_median"], t["ms_per_epoch_median"]
print(f"{ds:<10} {gm:14.3f} {tm:14.3f} {tm / gm:7.1f}x")
PY
done

echo
echo "== Peak memory of Pubmed GCN training (gnn-train, 1 run)"
./bin/gnn-train pubmed gcn --quiet --threads "$THREADS" --json "$OUT/pubmed-gcn.json" > /dev/null
$PY -c "import json; d = json.load(open('$OUT/pubmed-gcn.json')); print(f\"peak RSS {d['peak_rss_bytes'] / 2**20:.1f} MiB, test acc {100 * d['test_acc']['mean']:.2f}%\")"

echo
echo "== Seconds per training run (gnn-train, 1 seed, $THREADS threads, the papers' settings)"
printf '%-10s %-16s %10s %10s %10s\n' dataset model "s/run" "ms/epoch" "test acc"
for ds in cora pubmed; do
  for model in gcn gat gunet "graphmix --base gcn" "graphmix --base gat" "graphmix --base gunet"; do
    j="$OUT/run-$ds-${model// /_}.json"
    if ./bin/gnn-train "$ds" $model --quiet --threads "$THREADS" --json "$j" > /dev/null 2> "$OUT/err.txt"; then
      $PY - "$ds" "$model" "$j" <<'PY'
import json, sys
ds, model, path = sys.argv[1:]
d = json.load(open(path))
print(f"{ds:<10} {model.replace('--base ', ''):<16} {d['seconds_per_run']:10.2f} {d['ms_per_epoch']:10.3f} {100 * d['test_acc']['mean']:9.2f}%")
PY
    else
      printf '%-10s %-16s %s\n' "$ds" "${model/--base /}" "failed: $(head -c 120 "$OUT/err.txt")"
    fi
  done
done

echo
echo "== Node-wise sampling (fan-outs 25,10, batches of 512, 1 thread) on a power-law graph"
echo "   (SCALE_NODES, SCALE_EDGES; default 2M nodes, 40M undirected edges)"
s=$(./build/glearn-bench sample "${SCALE_NODES:-2000000}" "${SCALE_EDGES:-40000000}" --batches 300)
echo "$s" > "$OUT/sample-node.json"
$PY - "$s" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
print(f"{d['nodes']} nodes, {d['edges']} entries: {d['sampled_edges_per_second'] / 1e6:.2f} M sampled edges/s, "
      f"{d['batch_nodes_per_second']:.0f} batch nodes/s, graph built in {d['graph_seconds']:.1f} s, "
      f"peak RSS {d['peak_rss_bytes'] / 2**30:.2f} GiB")
PY

echo
echo "== Mini-batch GCN training at scale: one epoch on the same kind of graph, 128 features,"
echo "   16 classes, 10% of the nodes for training, batches of 512, $THREADS threads"
printf '%-6s %12s %18s %10s %12s\n' sampler "epoch s" "train nodes/s" "eval s" "peak RSS"
for smp in node mvs; do
  j=$(./build/glearn-bench train "${SCALE_NODES:-2000000}" "${SCALE_EDGES:-40000000}" "$smp" --threads "$THREADS")
  echo "$j" > "$OUT/train-$smp.json"
  $PY - "$j" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
print(f"{d['sampler']:<6} {d['epoch_train_seconds']:12.1f} {d['train_nodes_per_second']:18.0f} "
      f"{d['eval_seconds']:10.1f} {d['peak_rss_bytes'] / 2**30:9.2f} GiB")
PY
done

echo
echo "== Sampler convergence study (bench/convergence.py: bench/out/convergence.{md,csv,svg})"
THREADS="$THREADS" $PY bench/convergence.py

echo
echo "== Skip-gram against gensim (bench/embed.py: bench/out/embed.{md,json})"
THREADS="$THREADS" $PY bench/embed.py

echo
echo "== Spectral learner and batch-size rules (bench/spectral.py: bench/out/spectral.{md,json}, spectrum-*.svg)"
THREADS="$THREADS" $PY bench/spectral.py
