#!/usr/bin/env bash
# make bench-dist: the distributed scale run.  The generated power-law
# graph (NODES, EDGES; 128 features, 16 classes) is partitioned into
# P = 1, 2, 4, 8 parts and trained full-batch (GCN, 16 hidden units,
# EPOCHS epochs, one thread a rank) on P ranks of this machine
# (oversubscribed: time is not the point); then bench/scaling.py models 8..256 machines from the
# measured volumes.  Writes bench/out/dist-*.json.
set -euo pipefail
cd "$(dirname "$0")/.."
NODES=${NODES:-2000000}
EDGES=${EDGES:-40000000}
EPOCHS=${EPOCHS:-3}
PARTS=${PARTS:-"1 2 4 8"}
OUT=bench/out
TMP=${TMPDIR:-/tmp}/glearn-bench-dist.$$
PY=${PYTHON:-/usr/bin/python3}
mkdir -p "$OUT" "$TMP"
trap 'rm -rf "$TMP"' EXIT
MPI="mpirun --allow-run-as-root --oversubscribe --mca btl_vader_single_copy_mechanism none"
spec="powerlaw:n=$NODES,m=$EDGES"
echo "== $spec: partitions and full-batch GCN on P ranks ($EPOCHS epochs)"
for P in $PARTS; do
  /usr/bin/time -f "%e %M" -o "$TMP/time-$P" \
    ./bin/gl-partition "$spec" --parts "$P" --out "$TMP/p$P" --quiet
  cp "$TMP/p$P/partition.json" "$OUT/dist-book-$P.json"
  read -r psec pkb < "$TMP/time-$P"
  $MPI -np "$P" ./bin/gnn-train "$TMP/p$P" gcn --runs 1 --threads 1 --hidden 16 \
    --epochs "$EPOCHS" --stop none --quiet --json "$OUT/dist-train-$P.json" \
    > /dev/null
  echo "{\"parts\": $P, \"partition_wall_seconds\": $psec, \"partition_peak_rss_kb\": $pkb}" \
    > "$OUT/dist-partition-$P.json"
  du -sb "$TMP/p$P" | awk -v P="$P" '{print "  P=" P ": parts on disk " $1 / 2^20 " MiB"}'
  rm -rf "$TMP/p$P"
done
$PY bench/scaling.py "$OUT" $PARTS
