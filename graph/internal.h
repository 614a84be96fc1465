/* Private helpers shared by the files of graph/ (not part of the API). */
#ifndef GL_GRAPH_INTERNAL_H
#define GL_GRAPH_INTERNAL_H

#include "graph/graph.h"

/* Sorts the columns of every row of `a` (ptr, col and val filled, rows in
 * any order, duplicates allowed), stable so that equal columns keep their
 * order; then removes duplicate columns (summing their values when
 * `sum_dups`, else keeping the first), compacts the arrays, fixes ptr and
 * nnz and shrinks col/val.  Parallel over rows; deterministic. */
gl_status gl_csr__sort_dedup_rows(gl_csr *a, bool sum_dups);

/* Produces the entries of chunk c of a source: writes at most `cap` of them
 * to u (rows), v (columns) and w (values; w is NULL when unweighted) and
 * returns how many.  Called twice per chunk, from any thread, and must give
 * the same entries both times. */
typedef gl_off (*gl_chunk_fn)(const void *ctx, gl_off c, gl_idx *u, gl_idx *v,
                              float *w);
/* Builds out (n x m) from the entries of chunks 0..n_chunks-1, which must be
 * in range.  Rows receive their entries in emission order (chunk by chunk),
 * so duplicates are summed, or the first kept, in that order; the result
 * does not depend on the number of threads.  See build.c for the passes. */
gl_status gl_csr__build_chunked(gl_csr *out, gl_idx n, gl_idx m,
                                gl_off n_chunks, gl_off cap, gl_chunk_fn fill,
                                const void *ctx, bool weighted, bool sum_dups);

/* Splits rows 0..n-1 into `parts` contiguous blocks of about equal work
 * (entries + rows): block t is rows bound[t] .. bound[t+1]-1. */
void gl_csr__partition_rows(const gl_csr *a, int parts, gl_idx *bound);

/* Turns row counts held in ptr[1..n] into row offsets ptr[0..n] (ptr[0] set
 * to 0); returns the total. */
gl_off gl_csr__prefix(gl_off *ptr, gl_idx n);

/* True when a is square and (v, u) is stored for every stored (u, v), with
 * equal values when `values`. */
bool gl_csr__symmetric(const gl_csr *a, bool values);

/* Position of entry (u, v) in a (sorted columns), or -1. */
gl_off gl_csr__find(const gl_csr *a, gl_idx u, gl_idx v);

/* Validates the fields every function relies on (non-negative sizes, arrays
 * present); `what` names the argument in the message. */
gl_status gl_csr__check_arg(const gl_csr *a, const char *what);
/* The same, and a must be square. */
gl_status gl_csr__check_square(const gl_csr *a, const char *what);

#endif
