/* The MPI context, sums across ranks, a part with its halo exchange and
 * gathering to rank 0.  The one file of glearn that includes mpi.h. */
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "dist/dist.h"

struct gl_dist {
  MPI_Comm comm;
  int rank, size;
  gl_comm c;
  gl_dist_traffic traffic;
};

bool gl_dist_launched(void) {
  static const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK",
                               "PMI_RANK", "PMI_SIZE"};
  for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
    if (getenv(vars[i])) return true;
  return false;
}

/* GL_EINTERNAL with MPI's text for a failed call. */
static gl_status mpi_fail(int rc, const char *call) {
  char msg[MPI_MAX_ERROR_STRING] = "";
  int len = 0;
  MPI_Error_string(rc, msg, &len);
  return gl_error(GL_EINTERNAL, "%s failed: %s", call, msg);
}
#define MPI_TRY(call)                                                          \
  do {                                                                         \
    int mpi_rc_ = (call);                                                      \
    if (mpi_rc_ != MPI_SUCCESS) return mpi_fail(mpi_rc_, #call);               \
  } while (0)

/* n values of MPI type t (size bytes each) summed in place. */
static gl_status sum(const gl_comm *c, void *x, size_t n, size_t size,
                     MPI_Datatype t) {
  gl_dist *d = c->impl;
  if (n > INT32_MAX)
    return gl_error(GL_EINVAL, "gl_dist: a sum of %zu values", n);
  d->traffic.sum_bytes += (int64_t)(n * size);
  d->traffic.sum_calls++;
  MPI_TRY(MPI_Allreduce(MPI_IN_PLACE, x, (int)n, t, MPI_SUM, d->comm));
  return GL_OK;
}

static gl_status sum_d(const gl_comm *c, double *x, size_t n) {
  return sum(c, x, n, sizeof *x, MPI_DOUBLE);
}

static gl_status sum_f(const gl_comm *c, float *x, size_t n) {
  return sum(c, x, n, sizeof *x, MPI_FLOAT);
}

gl_status gl_dist_init(gl_dist **out) {
  *out = NULL;
  int inited = 0, provided = 0;
  MPI_Initialized(&inited);
  if (!inited) MPI_TRY(MPI_Init_thread(NULL, NULL, MPI_THREAD_MULTIPLE,
                                       &provided));
  gl_dist *d = gl_calloc(1, sizeof *d);
  if (!d) return GL_ENOMEM;
  d->comm = MPI_COMM_WORLD;
  MPI_Comm_set_errhandler(d->comm, MPI_ERRORS_RETURN);
  MPI_Comm_rank(d->comm, &d->rank);
  MPI_Comm_size(d->comm, &d->size);
  d->c = (gl_comm){d->rank, d->size, sum_d, sum_f, d};
  *out = d;
  return GL_OK;
}

void gl_dist_finalize(gl_dist *d) {
  if (!d) return;
  free(d);
  int fin = 0;
  MPI_Finalized(&fin);
  if (!fin) MPI_Finalize();
}

int gl_dist_rank(const gl_dist *d) { return d->rank; }
int gl_dist_size(const gl_dist *d) { return d->size; }
const gl_comm *gl_dist_comm(const gl_dist *d) { return &d->c; }
gl_dist_traffic gl_dist_traffic_get(const gl_dist *d) { return d->traffic; }

void gl_dist_abort(gl_dist *d, int code) {
  MPI_Abort(d ? d->comm : MPI_COMM_WORLD, code);
  exit(code); /* not reached */
}

gl_status gl_dist_agree(gl_dist *d, gl_status st) {
  /* the lowest failing rank, then its status and message */
  int mine = st != GL_OK ? d->rank : d->size, first = d->size;
  MPI_TRY(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, d->comm));
  if (first == d->size) return GL_OK;
  char msg[512];
  int code = (int)st;
  snprintf(msg, sizeof msg, "%s", gl_errmsg());
  MPI_TRY(MPI_Bcast(&code, 1, MPI_INT, first, d->comm));
  MPI_TRY(MPI_Bcast(msg, sizeof msg, MPI_CHAR, first, d->comm));
  msg[sizeof msg - 1] = 0;
  return gl_error((gl_status)code, "rank %d: %s", first, msg);
}

/* ------------------------------------------------------------ halo */
/* The exchange of a part's halo: rank r receives recv_cnt[o] rows from
 * each owner o (its halo is sorted by global id, so each owner's rows are
 * one run, in rank order), and sends send_cnt[o] rows, its own rows
 * send_idx[send_displ[o] ..], to each rank o that has them in its halo. */
typedef struct {
  gl_halo base;
  gl_dist *d;
  int *send_cnt, *send_displ, *recv_cnt, *recv_displ;
  gl_idx *send_idx;
  gl_idx n_send;
  gl_fbuf buf; /* packed rows */
} halo_plan;

static void halo_free(halo_plan *h) {
  if (!h) return;
  free(h->send_cnt);
  free(h->send_displ);
  free(h->recv_cnt);
  free(h->recv_displ);
  free(h->send_idx);
  free(h->buf.p);
  free(h);
}

/* A row of `width` floats as an MPI type (freed by the caller). */
static gl_status row_type(int width, MPI_Datatype *t) {
  MPI_TRY(MPI_Type_contiguous(width, MPI_FLOAT, t));
  MPI_TRY(MPI_Type_commit(t));
  return GL_OK;
}

static gl_status alltoallv_rows(gl_dist *d, const float *send,
                                const int *scnt, const int *sdis,
                                float *recv, const int *rcnt,
                                const int *rdis, int width, gl_idx n_sent) {
  MPI_Datatype t;
  GL_TRY(row_type(width, &t));
  int rc = MPI_Alltoallv(send, scnt, sdis, t, recv, rcnt, rdis, t, d->comm);
  MPI_Type_free(&t);
  if (rc != MPI_SUCCESS) return mpi_fail(rc, "MPI_Alltoallv");
  d->traffic.halo_bytes += (int64_t)n_sent * width * (int64_t)sizeof(float);
  d->traffic.halo_calls++;
  return GL_OK;
}

static gl_status halo_fetch(const gl_halo *hh, const float *own, int width,
                            float *halo) {
  halo_plan *h = (halo_plan *)hh;
  GL_TRY(gl_fbuf_reserve(&h->buf, (size_t)(h->n_send + 1) * width));
  float *b = h->buf.p;
#pragma omp parallel for schedule(static)
  for (gl_idx i = 0; i < h->n_send; i++)
    memcpy(b + (size_t)i * width, own + (size_t)h->send_idx[i] * width,
           (size_t)width * sizeof *b);
  return alltoallv_rows(h->d, b, h->send_cnt, h->send_displ, halo,
                        h->recv_cnt, h->recv_displ, width, h->n_send);
}

static gl_status halo_give(const gl_halo *hh, const float *dhalo, int width,
                           float *down) {
  halo_plan *h = (halo_plan *)hh;
  GL_TRY(gl_fbuf_reserve(&h->buf, (size_t)(h->n_send + 1) * width));
  float *b = h->buf.p;
  GL_TRY(alltoallv_rows(h->d, dhalo, h->recv_cnt, h->recv_displ, b,
                        h->send_cnt, h->send_displ, width, hh->n_halo));
  /* in rank order, row by row: the same sums at any thread count */
  for (gl_idx i = 0; i < h->n_send; i++) {
    float *r = down + (size_t)h->send_idx[i] * width;
    const float *g = b + (size_t)i * width;
    for (int j = 0; j < width; j++) r[j] += g[j];
  }
  return GL_OK;
}

static gl_status halo_new(halo_plan **out, gl_dist *d, const gl_part *p) {
  *out = NULL;
  const int P = d->size;
  halo_plan *h = gl_calloc(1, sizeof *h);
  if (!h) return GL_ENOMEM;
  h->base = (gl_halo){p->n_own, p->n_halo, halo_fetch, halo_give};
  h->d = d;
  h->send_cnt = gl_calloc((size_t)P, sizeof(int));
  h->send_displ = gl_calloc((size_t)P + 1, sizeof(int));
  h->recv_cnt = gl_calloc((size_t)P, sizeof(int));
  h->recv_displ = gl_calloc((size_t)P + 1, sizeof(int));
  gl_status st = GL_OK;
  if (!h->send_cnt || !h->send_displ || !h->recv_cnt || !h->recv_displ) {
    st = GL_ENOMEM;
    goto fail;
  }
  for (gl_idx j = 0; j < p->n_halo; j++) h->recv_cnt[p->owner[j]]++;
  for (int o = 0; o < P; o++)
    h->recv_displ[o + 1] = h->recv_displ[o] + h->recv_cnt[o];
  int rc = MPI_Alltoall(h->recv_cnt, 1, MPI_INT, h->send_cnt, 1, MPI_INT,
                        d->comm);
  if (rc != MPI_SUCCESS) {
    st = mpi_fail(rc, "MPI_Alltoall");
    goto fail;
  }
  for (int o = 0; o < P; o++)
    h->send_displ[o + 1] = h->send_displ[o] + h->send_cnt[o];
  h->n_send = h->send_displ[P];
  h->send_idx = gl_malloc((size_t)h->n_send + 1, sizeof *h->send_idx);
  if (!h->send_idx) {
    st = GL_ENOMEM;
    goto fail;
  }
  /* the global ids each rank wants from us, made our row indices */
  rc = MPI_Alltoallv(p->gid + p->n_own, h->recv_cnt, h->recv_displ, MPI_INT,
                     h->send_idx, h->send_cnt, h->send_displ, MPI_INT,
                     d->comm);
  if (rc != MPI_SUCCESS) {
    st = mpi_fail(rc, "MPI_Alltoallv");
    goto fail;
  }
  const gl_idx first = p->starts[p->part];
  for (gl_idx i = 0; i < h->n_send; i++) {
    gl_idx l = h->send_idx[i] - first;
    if (l < 0 || l >= p->n_own) {
      st = gl_error(GL_EFORMAT, "a rank asks for node %d, which part %d does "
                    "not own", h->send_idx[i], p->part);
      goto fail;
    }
    h->send_idx[i] = l;
  }
  *out = h;
  return GL_OK;
fail:
  halo_free(h);
  return st;
}

/* ------------------------------------------------------------ parts */
void gl_dist_part_free(gl_dist_part *p) {
  if (!p) return;
  gl_part_free(&p->part);
  gl_csr_free(&p->ahat);
  halo_free((halo_plan *)p->halo);
  memset(p, 0, sizeof *p);
}

gl_status gl_dist_part_load(gl_dist_part *p, gl_dist *d, const char *dir) {
  memset(p, 0, sizeof *p);
  gl_status st = GL_OK;
  if (!gl_partition_is_dir(dir))
    st = gl_error(GL_EINVAL, "%s is not a partition (no partition.json; "
                  "make one with gl-partition)", dir);
  if (st == GL_OK) st = gl_part_load(&p->part, dir, d->rank);
  if (st == GL_OK && p->part.n_parts != d->size)
    st = gl_error(GL_EINVAL, "%s has %d parts; run it on as many ranks "
                  "(mpirun -np %d), not %d", dir, p->part.n_parts,
                  p->part.n_parts, d->size);
  if ((st = gl_dist_agree(d, st)) != GL_OK) {
    gl_dist_part_free(p);
    return st;
  }
  /* every part of one partitioning */
  long long key[2] = {(long long)p->part.key, -(long long)p->part.key};
  int rc = MPI_Allreduce(MPI_IN_PLACE, key, 2, MPI_LONG_LONG, MPI_MAX,
                         d->comm);
  if (rc != MPI_SUCCESS)
    st = mpi_fail(rc, "MPI_Allreduce");
  else if (key[0] != -key[1])
    st = gl_error(GL_EFORMAT, "%s: the parts belong to different "
                  "partitionings", dir);
  if (st == GL_OK)
    st = gl_csr_gcn_norm_part(&p->ahat, &p->part.d.adj, p->part.deg, 1.0f);
  /* the plan is collective: every rank makes it, or none */
  halo_plan *h = NULL;
  if ((st = gl_dist_agree(d, st)) == GL_OK) st = halo_new(&h, d, &p->part);
  p->halo = h ? &h->base : NULL;
  if ((st = gl_dist_agree(d, st)) != GL_OK) gl_dist_part_free(p);
  return st;
}

/* ------------------------------------------------------------ gathering */
gl_status gl_dist_gather_rows(gl_dist *d, const gl_dist_part *p,
                              const float *rows, int width, float *out) {
  const int P = d->size;
  const gl_part *q = &p->part;
  int *cnt = NULL, *dis = NULL;
  float *all = NULL;
  gl_idx *orig = NULL;
  gl_status st = GL_OK;
  if (d->rank == 0) {
    cnt = gl_malloc((size_t)P, sizeof *cnt);
    dis = gl_malloc((size_t)P + 1, sizeof *dis);
    all = gl_malloc((size_t)q->n_global * width + 1, sizeof *all);
    orig = gl_malloc((size_t)q->n_global, sizeof *orig);
    if (!cnt || !dis || !all || !orig) st = GL_ENOMEM;
    for (int o = 0; st == GL_OK && o < P; o++) {
      cnt[o] = q->starts[o + 1] - q->starts[o];
      dis[o] = q->starts[o];
    }
  }
  if ((st = gl_dist_agree(d, st)) != GL_OK) goto done;
  /* rows in global id order (parts in rank order), then original order */
  MPI_Datatype t;
  if ((st = row_type(width, &t)) != GL_OK) goto done;
  int rc = MPI_Gatherv(rows, q->n_own, t, all, cnt, dis, t, 0, d->comm);
  MPI_Type_free(&t);
  if (rc != MPI_SUCCESS) {
    st = mpi_fail(rc, "MPI_Gatherv");
    goto done;
  }
  /* the original ids of every global id, from each part */
  rc = MPI_Gatherv(q->orig, q->n_own, MPI_INT, orig, cnt, dis, MPI_INT, 0,
                   d->comm);
  if (rc != MPI_SUCCESS) st = mpi_fail(rc, "MPI_Gatherv");
  for (gl_idx g = 0; st == GL_OK && d->rank == 0 && g < q->n_global; g++)
    memcpy(out + (size_t)orig[g] * width, all + (size_t)g * width,
           (size_t)width * sizeof *out);
done:
  free(orig);
  free(cnt);
  free(dis);
  free(all);
  return st;
}
