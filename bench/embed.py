#!/usr/bin/env python3
"""Skip-gram against gensim, side by side (make bench).

care-embed draws DeepWalk walks on a graph (BlogCatalog by default), saves
them and trains on them; gensim's Word2Vec (Debian's python3-gensim:
skip-gram, negative sampling) trains on the same walks with the same
dimension, window, negatives, subsampling, epochs and threads.  Both
speeds are raw corpus words (walk nodes x epochs) per second of training;
gensim's vocabulary pass is not counted.  care-embed then scores both sets
of vectors with the same node classification (Micro/Macro-F1 at 50%).

Environment: THREADS (2), GRAPH (blogcatalog), EVAL_RUNS (3), PYTHON.
Writes bench/out/embed.{md,json}.
"""
import json
import os
import subprocess
import sys
import time

import numpy as np
from gensim.models import Word2Vec
from gensim.models.word2vec import LineSentence

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "out")
TOOL = os.path.join(ROOT, "bin", "care-embed")
THREADS = int(os.environ.get("THREADS", "2"))
GRAPH = os.environ.get("GRAPH", "blogcatalog")
RUNS = os.environ.get("EVAL_RUNS", "3")
DIM, WINDOW, NEG, SAMPLE = 128, 10, 5, 1e-3


def care(*args):
    r = subprocess.run([TOOL, GRAPH, "--quiet", "--threads", str(THREADS),
                        *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"care-embed failed: {r.stderr.strip()}")


def main():
    os.makedirs(OUT, exist_ok=True)
    walks = os.path.join(OUT, "embed-walks.txt")
    ours = os.path.join(OUT, "embed-glearn.json")
    care("--method", "deepwalk", "--dim", str(DIM), "--window", str(WINDOW),
         "--negative", str(NEG), "--sample", str(SAMPLE), "--task",
         "classify", "--eval-runs", RUNS, "--save-walks", walks, "--json",
         ours)
    g = json.load(open(ours))

    corpus = LineSentence(walks)
    model = Word2Vec(vector_size=DIM, window=WINDOW, negative=NEG, sg=1, hs=0,
                     min_count=0, sample=SAMPLE, workers=THREADS, seed=1)
    model.build_vocab(corpus)
    t = time.time()
    model.train(corpus, total_examples=model.corpus_count, epochs=1)
    gensim_s = time.time() - t
    gensim_wps = model.corpus_total_words / gensim_s
    n = g["nodes"]
    vec = np.zeros((n, DIM), dtype=np.float32)
    for key in model.wv.index_to_key:
        vec[int(key)] = model.wv[key]
    npy = os.path.join(OUT, "embed-gensim.npy")
    np.save(npy, vec)
    theirs = os.path.join(OUT, "embed-gensim.json")
    care("--task", "classify", "--eval-runs", RUNS, "--embeddings", npy,
         "--json", theirs)
    h = json.load(open(theirs))
    os.remove(walks)

    ratio = g["words_per_second"] / gensim_wps
    f_ours, f_gs = g["classify"]["0.5"], h["classify"]["0.5"]
    gap = 100 * (f_ours["macro_f1"] - f_gs["macro_f1"])
    lines = [
        f"# Skip-gram against gensim ({GRAPH}, DeepWalk walks, {THREADS} threads)",
        "",
        "| | words/s | training s | Micro-F1 @50% | Macro-F1 @50% |",
        "|---|---|---|---|---|",
        f"| glearn | {g['words_per_second']:.0f} | {g['train_seconds']:.2f} | "
        f"{f_ours['micro_f1']:.4f} | {f_ours['macro_f1']:.4f} |",
        f"| gensim {__import__('gensim').__version__} | {gensim_wps:.0f} | "
        f"{gensim_s:.2f} | {f_gs['micro_f1']:.4f} | {f_gs['macro_f1']:.4f} |",
        "",
        f"Speed ratio {ratio:.2f}x (target 1.5x: "
        f"{'met' if ratio >= 1.5 else 'NOT met'}); Macro-F1 difference "
        f"{gap:+.2f} points (within 1: {'yes' if abs(gap) <= 1 else 'NO'}).",
        f"Walk generation: {g['walk_nodes'] / g['walk_seconds'] / 1e6:.2f} M "
        f"nodes/s.",
    ]
    md = "\n".join(lines) + "\n"
    open(os.path.join(OUT, "embed.md"), "w").write(md)
    json.dump({"glearn": g, "gensim": {"words_per_second": gensim_wps,
                                       "train_seconds": gensim_s,
                                       "classify": h["classify"]},
               "ratio": ratio}, open(os.path.join(OUT, "embed.json"), "w"),
              indent=1)
    print(md, end="")


if __name__ == "__main__":
    main()
