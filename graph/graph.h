/* glearn graph store: compressed sparse rows with int32 node ids, int64
 * offsets and optional float weights; builders, normalisations, products,
 * subgraphs, partitions and generators.  Knows nothing of learning. */
#ifndef GL_GRAPH_H
#define GL_GRAPH_H

#include "core/core.h"

/* A sparse matrix (or graph) in CSR form: n rows, m columns, row i holds the
 * entries ptr[i] .. ptr[i+1]-1 with column ids col[] (sorted ascending and
 * unique unless a function says otherwise) and values val[] (NULL = 1). */
typedef struct {
  gl_idx n, m;
  gl_off nnz;
  gl_off *ptr; /* n + 1 */
  gl_idx *col; /* nnz */
  float *val;  /* nnz, or NULL for an unweighted pattern */
} gl_csr;

void gl_csr_free(gl_csr *a);                 /* frees arrays, zeroes struct */
gl_status gl_csr_alloc(gl_csr *a, gl_idx n, gl_idx m, gl_off nnz,
                       bool weighted);       /* ptr zeroed */
gl_status gl_csr_copy(gl_csr *dst, const gl_csr *src);
/* Checks structural validity (monotone ptr, columns in range, sorted unique
 * columns when `sorted`); returns GL_EFORMAT with a message otherwise. */
gl_status gl_csr_check(const gl_csr *a, bool sorted);
static inline float gl_csr_w(const gl_csr *a, gl_off e) {
  return a->val ? a->val[e] : 1.0f;
}

/* -------------------------------------------------------------- building */
typedef struct {
  bool symmetrize;  /* add (v,u) for every (u,v) */
  bool self_loops;  /* false: drop u==v edges; true: keep them */
  bool weighted;    /* keep weights (duplicates summed if sum_dups, else the
                       first is kept); false: pattern only, val = NULL */
  bool sum_dups;
} gl_build_opts;
/* Builds an n x n CSR from an edge list (src[i], dst[i], w[i] or 1 when w is
 * NULL), sorting columns and removing duplicates.  Ids must be in [0, n)
 * (GL_EINVAL naming the first bad edge otherwise); o NULL means all options
 * false.  Duplicates are summed, or the first kept, in input order (with
 * symmetrize, edge i gives (u,v) then (v,u)), so results are deterministic
 * and independent of the thread count.  Memory: the output plus 2 bytes an
 * entry while building; time O(n + entries), parallel. */
gl_status gl_csr_from_edges(gl_csr *out, gl_idx n, gl_off n_edges,
                            const gl_idx *src, const gl_idx *dst,
                            const float *w, const gl_build_opts *o);
/* General rectangular n x m builder from COO (duplicates summed, diagonal
 * kept); val NULL gives a pattern. */
gl_status gl_csr_from_coo(gl_csr *out, gl_idx n, gl_idx m, gl_off nnz,
                          const gl_idx *row, const gl_idx *col,
                          const float *val);

/* -------------------------------------------------------------- queries */
/* out[i] = number of entries (or sum of weights when `weighted`) of row i. */
void gl_csr_degrees(const gl_csr *a, bool weighted, float *out);
bool gl_csr_has_edge(const gl_csr *a, gl_idx u, gl_idx v); /* binary search */
bool gl_csr_is_symmetric(const gl_csr *a);
/* Marks the nodes of the largest connected component of the symmetric
 * graph a (ties: the one holding the smallest node id): in[i] = 1 or 0 for
 * its n nodes; *size receives its node count. */
gl_status gl_csr_largest_component(const gl_csr *a, uint8_t *in,
                                   gl_idx *size);

/* -------------------------------------------------------------- transforms */
/* GCN normalisation: D^-1/2 (A' + s I) D^-1/2 where A' is A without its
 * self loops (existing self loops are replaced, Kipf & Welling), s is
 * `self_weight` (1 for GCN, 2 for the "improved" propagation of Graph U-Net)
 * and D the row sums of A' + s I; weighted A uses its weights.  A must be
 * square with sorted columns; out is weighted, columns sorted, and every row
 * has its diagonal entry at its sorted position (rows summing to 0 give 0).
 * (For a non-symmetric A the same row sums scale both sides.) */
gl_status gl_csr_gcn_norm(gl_csr *out, const gl_csr *a, float self_weight);
/* The same for rows of a larger graph (a part's, dist/): a is n x m with
 * m >= n, row i's diagonal is column i, and deg[m] gives every column's
 * degree in the whole graph (weights summed, self loops left out), which
 * the normalisation uses instead of a's row sums. */
gl_status gl_csr_gcn_norm_part(gl_csr *out, const gl_csr *a, const double *deg,
                               float self_weight);
/* Row normalisation: every row sums to 1 (rows that sum to 0 stay 0). */
gl_status gl_csr_row_norm(gl_csr *out, const gl_csr *a);
/* In-place version for feature matrices; a pattern (val NULL) gets values
 * 1/row-length, which is why this can fail (GL_ENOMEM). */
gl_status gl_csr_row_norm_inplace(gl_csr *a);
/* Transpose (m x n), columns sorted (parallel, like the builders). */
gl_status gl_csr_transpose(gl_csr *out, const gl_csr *a);
/* Induced subgraph on `nodes` (k ids, unique): out is k x k with local ids in
 * the order given; if `map` is non-NULL it receives the global->local map
 * (n entries, -1 for nodes not kept; undefined after an error). */
gl_status gl_csr_subgraph(gl_csr *out, const gl_csr *a, const gl_idx *nodes,
                          gl_idx k, gl_idx *map);
/* The entries of a in its first m columns: n x m (a part's rows among its
 * own nodes, dist/). */
gl_status gl_csr_first_cols(gl_csr *out, const gl_csr *a, gl_idx m);
/* Rows `rows` (k ids, repeats allowed) of a, all columns kept: k x m. */
gl_status gl_csr_select_rows(gl_csr *out, const gl_csr *a, const gl_idx *rows,
                             gl_idx k);

/* -------------------------------------------------------------- products */
/* Y[n x d] = A[n x m] * X[m x d] (+ beta * Y), dense row-major, parallel
 * over rows (OpenMP).  Y must not alias X; beta == 0 never reads Y.  Every
 * row is summed in the order of its entries, so the result is the same at
 * any thread count.  d = 16, 32, 64 have unrolled kernels. */
void gl_csr_spmm(const gl_csr *a, const float *x, int d, float beta, float *y);
/* Y[m x d] = A^T[m x n] * X[n x d] (+ beta * Y) without forming A^T:
 * per-thread partial sums over row blocks, reduced in a fixed order so the
 * result does not depend on the schedule for a given thread count.  Extra
 * memory: (threads - 1) * m * d floats (falls back to one buffer, then to
 * none, if that cannot be allocated).  For large m, or a product repeated
 * every step, gl_csr_spmm on a stored transpose is cheaper. */
void gl_csr_spmm_t(const gl_csr *a, const float *x, int d, float beta,
                   float *y);
/* The same products over a view of A: a subset of its rows and a random
 * mask over its stored entries (sparse dropout).  Row r of the view is row
 * rows[r] of A (rows NULL: all rows, n_rows ignored); entry e is kept when
 * gl_mask_keep(key, e, thr) (thr 0: all), kept values times `scale`.
 *   gl_csr_spmm_view:   Y[n_rows x d] = view * X[m x d] + beta Y
 *   gl_csr_spmm_t_view: Y[m x d] = view^T * X[n_rows x d] + beta Y */
typedef struct {
  const gl_idx *rows;
  gl_idx n_rows;
  uint64_t key;
  uint32_t thr;
  float scale;
} gl_csr_view;
void gl_csr_spmm_view(const gl_csr *a, const gl_csr_view *v, const float *x,
                      int d, float beta, float *y);
void gl_csr_spmm_t_view(const gl_csr *a, const gl_csr_view *v, const float *x,
                        int d, float beta, float *y);

/* The view as a matrix of its own (n_rows x m): its rows, the entries the
 * mask keeps, values times `scale`; for products repeated on one view
 * (gl_csr_spmm on it gives the view's products, without the hashing). */
gl_status gl_csr_view_copy(gl_csr *out, const gl_csr *a,
                           const gl_csr_view *v);

/* -------------------------------------------------------------- partitions */
/* METIS k-way partition of a symmetric graph (self loops ignored, weights
 * unused): part[i] in [0, k).  seed fixes METIS's randomisation.  k = 1
 * gives all zeros; k > n or an asymmetric pattern is GL_EINVAL. */
gl_status gl_metis_partition(const gl_csr *a, int k, uint64_t seed,
                             gl_idx *part);
/* The same balanced on `ncon` constraints at once (METIS's multi-constraint
 * k-way): node i weighs vwgt[i * ncon + c] >= 0 in constraint c (vwgt
 * NULL: 1 each), and each part gets about 1/k of every constraint's total.
 * The edges cut (undirected, METIS's count) into *cut when non-NULL. */
gl_status gl_metis_partition_balanced(const gl_csr *a, int k, int ncon,
                                      const int32_t *vwgt, uint64_t seed,
                                      gl_idx *part, gl_off *cut);

/* -------------------------------------------------------------- bridges */
/* Conversions for external algorithms.  The igraph graph is undirected when
 * `directed` is false (each symmetric pair becomes one edge, an entry
 * without its mirror one edge too); weights are not carried over.  The
 * caller owns the result (igraph_destroy).  `void *` keeps igraph.h and cs.h
 * out of this header: pass igraph_t * and cs_dl ** / cs_dl *.  The igraph
 * calls swap igraph's global error handlers (restored before returning), so
 * they must not run concurrently with other igraph use. */
gl_status gl_csr_to_igraph(const gl_csr *a, bool directed, void *igraph_out);
/* A graph of igraph's collection by name (igraph_famous: "Zachary",
 * "Petersen", ...) as a symmetric n x n pattern without self loops, built
 * under the same silenced handlers: an unknown name is GL_EINVAL, never an
 * abort. */
gl_status gl_csr_famous(gl_csr *out, const char *name);
/* CXSparse (cs_dl, compressed-column, double, int64 indices).  Since A is
 * stored by rows, the cs matrix holds A^T; for symmetric A they are equal.
 * *out must be freed with cs_dl_spfree. */
gl_status gl_csr_to_cs(const gl_csr *a, void **out);
gl_status gl_csr_from_cs(gl_csr *out, const void *cs_matrix);
/* A^2 as a boolean pattern through CXSparse (Graph U-Net augmentation):
 * (i, j) is stored when a path i -> k -> j exists, including i == j. */
gl_status gl_csr_square_pattern(gl_csr *out, const gl_csr *a);
/* Louvain (multilevel) communities through igraph, on the undirected graph
 * (weights used when a->val is set; they must be non-negative), resolution
 * 1: membership[n] in [0, *n_comm), modularity in *q (n_comm, q may be
 * NULL).  Seeds igraph's global default RNG with `seed`. */
gl_status gl_communities_louvain(const gl_csr *a, uint64_t seed,
                                 gl_idx *membership, gl_idx *n_comm, double *q);
/* Leiden (Traag et al.) through igraph with the modularity objective
 * (resolution 1, randomness 0.01, iterated until stable); as Louvain
 * otherwise. */
gl_status gl_communities_leiden(const gl_csr *a, uint64_t seed,
                                gl_idx *membership, gl_idx *n_comm, double *q);

/* -------------------------------------------------------------- generators */
/* Contextual stochastic block model: n nodes in `k` equal classes (sizes
 * differ by at most one, assigned in a random order), n*deg/2 edges drawn as
 * (u uniform, v uniform in u's class with probability p_in, else uniform
 * outside it), so the expected degree is `deg` and a fraction p_in of edges
 * lies inside classes (a few duplicates are merged); features
 * x = mu_class + N(0, sigma^2 I) in `d` dimensions (dense row-major n x d),
 * mu_class = mu times a random unit vector per class.  Outputs a symmetric
 * CSR without self loops; labels (n) and x may be NULL when not wanted.
 * Depends only on the options (seed included), not on the thread count. */
typedef struct {
  gl_idx n;
  int k, d;
  double deg, p_in, mu, sigma;
  uint64_t seed;
} gl_csbm_opts;
gl_status gl_gen_csbm(const gl_csbm_opts *o, gl_csr *adj, int32_t *labels,
                      float *x);
/* Power-law (Chung-Lu) graph with n nodes and about m undirected edges
 * (m are drawn; duplicates, typically under 1%, are merged), degree exponent
 * `gamma` > 1: expected degrees proportional to (r + i0)^(-1/(gamma-1)) over
 * ranks r, with i0 capping the largest at sqrt(2m), and ranks mapped to
 * node ids by a random affine permutation.  Symmetric, no self loops,
 * parallel; depends only on the seed.  2M nodes / 40M edges take a few
 * seconds and about 0.55 GB. */
gl_status gl_gen_powerlaw(gl_csr *adj, gl_idx n, gl_off m, double gamma,
                          uint64_t seed);

#endif
