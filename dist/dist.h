/* glearn's one MPI layer: the communicator context, sums across ranks
 * (gradients, statistics), a partition's part on each rank with its halo
 * exchange, and gathering results to rank 0.  Only dist/ includes mpi.h;
 * the rest of the library sees a gl_comm and a gl_halo (core/, sampler/)
 * and runs without MPI.
 *
 * Who owns what: rank r owns part r of a partition (gl-partition): its
 * nodes' rows of the graph, their features and labels and its share of
 * the split.  The model's weights and the optimiser's state are
 * replicated: every rank applies the same summed gradient, so they stay
 * equal.  What crosses the network: in every layer of a forward the halo's
 * rows (layer 0: of X W, so that no rank holds another's features; above:
 * the hidden rows), each from its owner, one MPI_Alltoallv a layer; in the
 * backward their gradients back to the
 * owners, and once a step the gradients (one MPI_Allreduce of every
 * parameter); once an epoch the evaluation's sums. */
#ifndef GL_DIST_H
#define GL_DIST_H

#include "core/core.h"
#include "datasets/datasets.h"
#include "sampler/sampler.h"

/* Whether this process was started by mpirun (Open MPI's environment, or
 * a PMI/PMIx launcher's): the tools then run distributed. */
bool gl_dist_launched(void);

typedef struct gl_dist gl_dist;
/* Starts MPI (MPI_Init_thread, errors returned rather than fatal) on
 * MPI_COMM_WORLD; once a process.  GL_EINTERNAL naming MPI's reason. */
gl_status gl_dist_init(gl_dist **out);
/* MPI_Finalize and frees d (NULL: nothing). */
void gl_dist_finalize(gl_dist *d);
int gl_dist_rank(const gl_dist *d);
int gl_dist_size(const gl_dist *d);
/* The ranks as the library's gl_comm (sums are MPI_Allreduce). */
const gl_comm *gl_dist_comm(const gl_dist *d);
/* Every rank's status after a step all ranks take: GL_OK when all are ok,
 * else on every rank the status of the lowest failing rank with its
 * message, "rank R: ...".  Collective. */
gl_status gl_dist_agree(gl_dist *d, gl_status st);
/* Stops every rank of the job (MPI_Abort with `code`): for a failure that
 * the other ranks cannot know of. */
void gl_dist_abort(gl_dist *d, int code) __attribute__((noreturn));

/* What this rank has handed to MPI since gl_dist_init: bytes of halo rows
 * and gradients sent (halo) and bytes summed (sum: the payload of each
 * MPI_Allreduce), and the calls of each. */
typedef struct {
  int64_t halo_bytes, sum_bytes;
  int64_t halo_calls, sum_calls;
} gl_dist_traffic;
gl_dist_traffic gl_dist_traffic_get(const gl_dist *d);

/* This rank's part of a partition, ready to train on: the part as stored
 * (part.d its dataset), its rows normalised as GCN does with the whole
 * graph's degrees (ahat), and its halo exchange. */
typedef struct {
  gl_part part;
  gl_csr ahat;
  gl_halo *halo;
} gl_dist_part;
/* Loads part `rank` of the partition in `dir` on every rank and sets up
 * the halo exchange (each rank learns which of its rows the others need).
 * Every rank fails alike (gl_dist_agree) for a partition of another
 * number of parts than ranks, parts of different partitionings, or a
 * part that cannot be read. */
gl_status gl_dist_part_load(gl_dist_part *p, gl_dist *d, const char *dir);
void gl_dist_part_free(gl_dist_part *p);

/* Gathers every rank's rows to rank 0 in original node order: rows
 * (n_own x width) of this rank's own nodes; on rank 0, out (n_global x
 * width) receives row orig[i] of each rank's row i (out unused
 * elsewhere).  Collective. */
gl_status gl_dist_gather_rows(gl_dist *d, const gl_dist_part *p,
                              const float *rows, int width, float *out);

#endif
