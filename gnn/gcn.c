/* The GCN of Kipf & Welling (ICLR 2017) over a batch of blocks:
 *   H_0 = X,  H_{l+1} = act(A_l drop(H_l) W_l + b_l),  act = ReLU except
 * on the last layer, whose output are the logits.  Dropout on every layer's
 * input (sparse dropout on the features), Glorot-uniform weights, no bias
 * and weight decay on the first layer by default (the reference code). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gnn/gnn.h"

/* One layer's workspace: of the last forward, T (pre-propagation), Z
 * (post-propagation, activated), the dropped input of layers >= 1 and, on
 * history blocks, the input as fresh + stale rows; of the last FCN
 * forward, the output (activated, before the mix) and the dropped input;
 * of Hessian-vector products, dT, R(Z) and the dropped R(H). */
typedef struct {
  gl_fbuf t, z, in, hin;
  gl_fbuf fz, fin;
  gl_fbuf hdt, hrz, hri;
} layer_ws;

typedef struct {
  gl_model base;
  int L;
  int *dim;        /* L + 1 widths: features, hidden..., classes */
  float **w, **b;  /* per layer */
  float **gw, **gb;
  layer_ws *ws;    /* per layer */
  gl_fbuf dbuf[2]; /* backward scratch */
  uint64_t key;
  bool train;
  /* the last FCN forward: the mixed first hidden layer */
  gl_fbuf fmix;
  const gl_idx *fnodes;
  gl_idx fn;
  gl_mix mix;
  bool has_mix, ftrain;
  uint64_t fkey;
  /* Hessian-vector products: the point's probabilities hp, scratch hd he
   * hrd hrt */
  gl_fbuf hp, hd, he, hrd, hrt;
  gl_csr hx;    /* the point's first-layer input drop(X[rows]) */
  bool h_ready; /* hp, the dT in ws and hx hold a point */
} gcn;

static uint64_t layer_key(uint64_t key, int l) {
  return gl_hash64(key, 1000003u + l);
}

/* Dropout on layer l's input: the features, then the hidden layers. */
static float layer_p(const gcn *m, int l, bool train) {
  if (!train) return 0.0f;
  return l == 0 ? m->base.cfg.dropout : m->base.cfg.hidden_dropout;
}

static gl_status gcn_forward(gl_model *mm, const gl_csr *x, gl_batch *b,
                             bool train, float *logits) {
  gcn *m = (gcn *)mm;
  if (b->n_layers != m->L)
    return gl_error(GL_EINVAL, "gcn: batch has %d layers, model has %d",
                    b->n_layers, m->L);
  m->key = b->key;
  m->train = train;
  m->h_ready = false;
  for (int l = 0; l < m->L; l++) {
    const gl_block *k = &b->layers[l];
    gl_idx ns = gl_block_n_src(k), nd = gl_block_n_dst(k);
    int di = m->dim[l], dout = m->dim[l + 1];
    uint64_t key = layer_key(b->key, l);
    const float p = layer_p(m, l, train);
    GL_TRY(gl_fbuf_reserve(&m->ws[l].t, (size_t)ns * dout));
    bool last = l == m->L - 1;
    float *z = logits;
    if (!last) {
      GL_TRY(gl_fbuf_reserve(&m->ws[l].z, (size_t)nd * dout));
      z = m->ws[l].z.p;
    }
    if (l == 0) {
      /* a part's rows hold its own nodes' features: the halo's rows of
       * X W come from their owners */
      const gl_idx nf = gl_block_n_fresh(k);
      if (k->halo && (nf != x->n || ns != nf + k->halo->n_halo))
        return gl_error(GL_EINVAL, "gcn: layer 0's halo block has %d own of "
                        "%d sources for %d feature rows", (int)nf, (int)ns,
                        (int)x->n);
      gl_sparse_linear_forward(x, k->src_ids, nf, m->w[0], dout, p, key,
                               m->ws[0].t.p);
      GL_TRY(gl_block_halo_rows(k, m->ws[0].t.p, dout, m->ws[0].t.p));
    } else {
      const float *h = m->ws[l - 1].z.p;
      if (k->hist) { /* fresh rows from below, then the stale ones */
        const gl_idx nf = k->n_fresh;
        if (k->hist_width != di || nf > ns || !k->src_ids ||
            nf != gl_block_n_dst(&b->layers[l - 1]))
          return gl_error(GL_EINVAL, "gcn: layer %d's history block has %d "
                          "fresh of %d sources and width %d; the layer "
                          "below gives %d rows of width %d", l, (int)nf,
                          (int)ns, k->hist_width,
                          (int)gl_block_n_dst(&b->layers[l - 1]), di);
        GL_TRY(gl_fbuf_reserve(&m->ws[l].hin, (size_t)ns * di));
        memcpy(m->ws[l].hin.p, h, (size_t)nf * di * sizeof *h);
        for (gl_idx i = nf; i < ns; i++)
          memcpy(m->ws[l].hin.p + (size_t)i * di,
                 k->hist + (size_t)k->src_ids[i] * di, di * sizeof *h);
        h = m->ws[l].hin.p;
      } else if (k->halo) { /* this rank's rows, then the halo's */
        const gl_idx nf = k->n_fresh;
        if (nf != gl_block_n_dst(&b->layers[l - 1]) ||
            ns != nf + k->halo->n_halo)
          return gl_error(GL_EINVAL, "gcn: layer %d's halo block has %d own "
                          "of %d sources; the layer below gives %d rows", l,
                          (int)nf, (int)ns,
                          (int)gl_block_n_dst(&b->layers[l - 1]));
        GL_TRY(gl_fbuf_reserve(&m->ws[l].hin, (size_t)ns * di));
        GL_TRY(gl_block_halo_rows(k, h, di, m->ws[l].hin.p));
        h = m->ws[l].hin.p;
      }
      const float *in = h;
      if (p > 0) {
        GL_TRY(gl_fbuf_reserve(&m->ws[l].in, (size_t)ns * di));
        gl_dropout_forward(h, (size_t)ns * di, p, key, m->ws[l].in.p);
        in = m->ws[l].in.p;
      }
      gl_linear_forward(in, ns, di, m->w[l], NULL, dout, m->ws[l].t.p);
    }
    gl_prop_forward(k, m->ws[l].t.p, dout, z);
    if (m->b[l])
      for (gl_idx i = 0; i < nd; i++)
        for (int j = 0; j < dout; j++) z[(size_t)i * dout + j] += m->b[l][j];
    if (!last) gl_relu_forward(z, (size_t)nd * dout, z);
  }
  return GL_OK;
}

static gl_status gcn_backward(gl_model *mm, const gl_csr *x, gl_batch *b,
                              const float *dlogits) {
  gcn *m = (gcn *)mm;
  const float *dz = dlogits; /* gradient w.r.t. layer l's output */
  for (int l = m->L - 1; l >= 0; l--) {
    const gl_block *k = &b->layers[l];
    gl_idx ns = gl_block_n_src(k), nd = gl_block_n_dst(k);
    int di = m->dim[l], dout = m->dim[l + 1];
    uint64_t key = layer_key(m->key, l);
    const float p = layer_p(m, l, m->train);
    if (m->gb[l])
      for (gl_idx i = 0; i < nd; i++)
        for (int j = 0; j < dout; j++) m->gb[l][j] += dz[(size_t)i * dout + j];
    /* dT = A^T dZ goes to the scratch buffer that does not hold dz; dH to
     * the other one (dz is dead by then). */
    int o = dz == m->dbuf[0].p ? 1 : 0;
    GL_TRY(gl_fbuf_reserve(&m->dbuf[o], (size_t)ns * dout));
    float *dt = m->dbuf[o].p;
    gl_prop_backward(k, dz, dout, dt);
    if (l == 0) { /* the halo's rows of dT to their owners first */
      GL_TRY(gl_block_halo_back(k, dt, dout));
      gl_sparse_linear_backward(x, k->src_ids, gl_block_n_fresh(k), dt, dout,
                                p, key, m->gw[0]);
      break;
    }
    GL_TRY(gl_fbuf_reserve(&m->dbuf[1 - o], (size_t)ns * di));
    float *dh = m->dbuf[1 - o].p;
    const float *in = p > 0                ? m->ws[l].in.p
                      : k->hist || k->halo ? m->ws[l].hin.p
                                           : m->ws[l - 1].z.p;
    gl_linear_backward(in, ns, di, m->w[l], dout, dt, dh, m->gw[l], NULL);
    if (p > 0) gl_dropout_backward(dh, (size_t)ns * di, p, key, dh);
    /* the stale rows end here: the layer below has the fresh ones; the
     * halo's go back to their owners, and the others' come into ours */
    const gl_idx nf = gl_block_n_fresh(k);
    GL_TRY(gl_block_halo_back(k, dh, di));
    gl_relu_backward(m->ws[l - 1].z.p, dh, (size_t)nf * di, dh);
    dz = dh;
  }
  return GL_OK;
}

/* ------------------------------------------------------------ FCN path */
/* The GCN without propagation: H_{l+1} = act(drop(H_l) W_l + b_l) on the
 * feature rows `nodes`; the first hidden layer may be mixed (GraphMix). */
static gl_status gcn_forward_fcn(gl_model *mm, const gl_csr *x,
                                 const gl_idx *nodes, gl_idx n,
                                 const gl_mix *mix, bool train, uint64_t key,
                                 float *logits) {
  gcn *m = (gcn *)mm;
  GL_TRY(gl_mix_check(mix, n));
  m->fnodes = nodes;
  m->fn = n;
  m->has_mix = mix && mix->n > 0 && m->L > 1;
  if (m->has_mix) m->mix = *mix;
  m->ftrain = train;
  m->fkey = key;
  const float *in = NULL;
  for (int l = 0; l < m->L; l++) {
    int di = m->dim[l], dout = m->dim[l + 1];
    uint64_t k = layer_key(key, l);
    const float p = layer_p(m, l, train);
    bool last = l == m->L - 1;
    float *z = logits;
    if (!last) {
      GL_TRY(gl_fbuf_reserve(&m->ws[l].fz, (size_t)n * dout));
      z = m->ws[l].fz.p;
    }
    if (l == 0) {
      gl_sparse_linear_forward(x, nodes, n, m->w[0], dout, p, k, z);
      if (m->b[0])
        for (gl_idx i = 0; i < n; i++)
          for (int j = 0; j < dout; j++) z[(size_t)i * dout + j] += m->b[0][j];
    } else {
      if (p > 0) {
        GL_TRY(gl_fbuf_reserve(&m->ws[l].fin, (size_t)n * di));
        gl_dropout_forward(in, (size_t)n * di, p, k, m->ws[l].fin.p);
        in = m->ws[l].fin.p;
      }
      gl_linear_forward(in, n, di, m->w[l], m->b[l], dout, z);
    }
    if (last) break;
    gl_relu_forward(z, (size_t)n * dout, z);
    in = z;
    if (l == 0 && m->has_mix) {
      GL_TRY(gl_fbuf_reserve(&m->fmix, (size_t)n * dout));
      gl_mix_forward(z, n, dout, &m->mix, m->fmix.p);
      in = m->fmix.p;
    }
  }
  return GL_OK;
}

static gl_status gcn_backward_fcn(gl_model *mm, const gl_csr *x,
                                  const float *dlogits) {
  gcn *m = (gcn *)mm;
  const gl_idx n = m->fn;
  const float *dz = dlogits;
  for (int l = m->L - 1; l >= 0; l--) {
    int di = m->dim[l], dout = m->dim[l + 1];
    uint64_t k = layer_key(m->fkey, l);
    const float p = layer_p(m, l, m->ftrain);
    if (m->gb[l])
      for (gl_idx i = 0; i < n; i++)
        for (int j = 0; j < dout; j++) m->gb[l][j] += dz[(size_t)i * dout + j];
    if (l == 0) {
      gl_sparse_linear_backward(x, m->fnodes, n, dz, dout, p, k, m->gw[0]);
      break;
    }
    const float *in = p > 0 ? m->ws[l].fin.p
                      : (l == 1 && m->has_mix) ? m->fmix.p
                                               : m->ws[l - 1].fz.p;
    int o = dz == m->dbuf[0].p ? 1 : 0;
    GL_TRY(gl_fbuf_reserve(&m->dbuf[o], (size_t)n * di));
    float *dh = m->dbuf[o].p;
    gl_linear_backward(in, n, di, m->w[l], dout, dz, dh, m->gw[l], NULL);
    if (p > 0) gl_dropout_backward(dh, (size_t)n * di, p, k, dh);
    if (l == 1 && m->has_mix) {
      /* through h'[r_i] = lam h[r_i] + (1 - lam) h[r_perm(i)]: the rows
       * mixed lose (1 - lam) of their gradient to their partners */
      GL_TRY(gl_fbuf_reserve(&m->dbuf[1 - o], (size_t)n * di));
      gl_mix_backward(dh, n, di, &m->mix, m->dbuf[1 - o].p);
      dh = m->dbuf[1 - o].p;
    }
    gl_relu_backward(m->ws[l - 1].fz.p, dh, (size_t)n * di, dh);
    dz = dh;
  }
  return GL_OK;
}

static const float *gcn_hidden(const gl_model *mm, int l, int *width) {
  const gcn *m = (const gcn *)mm;
  if (l < 0 || l >= m->L - 1) return NULL;
  *width = m->dim[l + 1];
  return m->ws[l].z.p;
}

/* Output row i is u_i W + b with u_i the row of A times the last layer's
 * (dropped) input: its weight gradient u_i^T delta_i has norm
 * |u_i| |delta_i|, its bias gradient |delta_i|.  Only the loss rows are
 * computed (the others have no gradient: 0). */
static gl_status gcn_grad_norms(gl_model *mm, gl_batch *b,
                                const float *dlogits, float *out) {
  gcn *m = (gcn *)mm;
  const int l = m->L - 1, di = m->dim[l], C = m->dim[m->L];
  if (l == 0)
    return gl_error(GL_EINVAL, "gcn: gradient norms need >= 2 layers");
  const gl_block *k = &b->layers[l];
  const gl_idx nd = gl_block_n_dst(k), nl = b->n_loss;
  const float *in = layer_p(m, l, m->train) > 0 ? m->ws[l].in.p
                    : k->hist || k->halo        ? m->ws[l].hin.p
                                                : m->ws[l - 1].z.p;
  GL_TRY(gl_fbuf_reserve(&m->dbuf[0], (size_t)(nl > 0 ? nl : 1) * di));
  float *u = m->dbuf[0].p;
  gl_csr_view v = {b->loss_pos, nl, 0, 0, 1.0f};
  gl_csr_spmm_view(&k->a, &v, in, di, 0.0f, u);
  memset(out, 0, (size_t)nd * sizeof *out);
  for (gl_idx r = 0; r < nl; r++) {
    const gl_idx i = b->loss_pos[r];
    double uu = gl_sumsq((size_t)di, u + (size_t)r * di);
    double dd = gl_sumsq((size_t)C, dlogits + (size_t)i * C);
    out[i] = (float)sqrt(dd * (uu + (m->b[l] ? 1.0 : 0.0)));
  }
  return GL_OK;
}

/* The exact Hessian-vector product by Pearlmutter's R-operator: the
 * forward pass and its directional derivative R(.) along v, then the
 * backward pass and its derivative.  With T_l = H_l W_l, Z_l = A_l T_l +
 * b_l, H_{l+1} = relu(Z_l), D_l = dL/dZ_l and V_l, c_l the parts of v:
 *   R(T_l) = R(H_l) W_l + H_l V_l,  R(Z_l) = A_l R(T_l) + c_l,
 *   R(H_{l+1}) = relu'(Z_l) R(Z_l);
 *   R(D_out)_i = w_i (p_i * r_i - p_i (p_i . r_i))  (softmax CE, r = R(z_i)),
 *   dT_l = A_l^T D_l,  R(dT_l) = A_l^T R(D_l),
 *   H v for W_l = R(H_l)^T dT_l + H_l^T R(dT_l), for b_l = colsum R(D_l),
 *   R(D_{l-1}) = relu'(Z_{l-1}) (R(dT_l) W_l^T + dT_l V_l^T)
 * (relu'' = 0).  The forward pass, the probabilities and every dT_l are
 * kept for the calls at the same point, which then cost about one forward
 * and one backward pass: half of a difference of two gradients. */
static gl_status hvp_point(gcn *m, const gl_csr *x, gl_batch *b,
                           const int32_t *y, bool train) {
  const int L = m->L, C = m->dim[L];
  const gl_idx n_out = b->n_out;
  float *p = m->hp.p, *d = m->hd.p, *e = m->he.p;
  GL_TRY(gcn_forward(&m->base, x, b, train, p));
  const gl_block *k0 = &b->layers[0];
  gl_csr_free(&m->hx); /* a part's: its own rows */
  GL_TRY(gl_sparse_linear_rows(&m->hx, x, k0->src_ids, gl_block_n_fresh(k0),
                               layer_p(m, 0, train), layer_key(b->key, 0)));
  gl_softmax_xent(p, n_out, C, b->out_ids, y, b->loss_pos, b->loss_w,
                  b->n_loss, d);
  gl_softmax_rows(p, n_out, C);
  for (int l = L - 1; l >= 0; l--) { /* dT_l = A_l^T D_l, D_l-1 from it */
    const gl_block *k = &b->layers[l];
    const gl_idx ns = gl_block_n_src(k);
    const int di = m->dim[l], dout = m->dim[l + 1];
    gl_prop_backward(k, d, dout, m->ws[l].hdt.p);
    if (l == 0) break;
    gl_gemm(false, true, ns, di, dout, 1.0f, m->ws[l].hdt.p, m->w[l], 0.0f, e);
    const float pl = layer_p(m, l, train);
    if (pl > 0)
      gl_dropout_backward(e, (size_t)ns * di, pl, layer_key(b->key, l), e);
    GL_TRY(gl_block_halo_back(k, e, di)); /* the halo's to their owners */
    gl_relu_backward(m->ws[l - 1].z.p, e, (size_t)gl_block_n_fresh(k) * di,
                     e);
    float *t = d;
    d = e;
    e = t;
  }
  return GL_OK;
}

static gl_status gcn_hvp(gl_model *mm, const gl_csr *x, gl_batch *b,
                         const int32_t *y, bool train, bool same_point,
                         const float *v, float *hv) {
  gcn *m = (gcn *)mm;
  const int L = m->L, C = m->dim[L];
  if (b->n_layers != L)
    return gl_error(GL_EINVAL, "gcn: batch has %d layers, model has %d",
                    b->n_layers, L);
  for (int l = 0; l < L; l++)
    if (b->layers[l].hist)
      return gl_error(GL_EINVAL, "gcn: no Hessian-vector products on "
                      "history blocks");
  const gl_idx n_out = b->n_out;
  /* offsets of W_l and b_l in the flat vectors (params: W_l, then b_l) */
  size_t ow[16], ob[16], off = 0;
  for (int l = 0; l < L; l++) {
    ow[l] = off;
    off += (size_t)m->dim[l] * m->dim[l + 1];
    ob[l] = off;
    if (m->b[l]) off += (size_t)m->dim[l + 1];
  }
  /* scratch for the largest of: the logits, any layer's T (sources x
   * out width) and, above the first, its dH (sources x in width) */
  size_t big = (size_t)n_out * C;
  for (int l = 0; l < L; l++) {
    const gl_block *k = &b->layers[l];
    const size_t r = (size_t)gl_block_n_src(k);
    const int w =
        l > 0 && m->dim[l] > m->dim[l + 1] ? m->dim[l] : m->dim[l + 1];
    if (r * w > big) big = r * w;
    GL_TRY(gl_fbuf_reserve(&m->ws[l].hdt, r * m->dim[l + 1]));
    GL_TRY(gl_fbuf_reserve(&m->ws[l].hrz,
                           (size_t)gl_block_n_dst(k) * m->dim[l + 1]));
  }
  gl_fbuf *sc[5] = {&m->hp, &m->hd, &m->he, &m->hrd, &m->hrt};
  for (int i = 0; i < 5; i++) GL_TRY(gl_fbuf_reserve(sc[i], big));
  if (!same_point || !m->h_ready) GL_TRY(hvp_point(m, x, b, y, train));
  m->h_ready = true;
  float *rt = m->hrt.p, *rd = m->hrd.p, *re = m->he.p;
  for (int l = 0; l < L; l++) { /* R forward */
    const gl_block *k = &b->layers[l];
    const gl_idx ns = gl_block_n_src(k), nd = gl_block_n_dst(k);
    const int di = m->dim[l], dout = m->dim[l + 1];
    const float pl = layer_p(m, l, train);
    const uint64_t key = layer_key(b->key, l);
    if (l == 0) {
      gl_csr_spmm(&m->hx, v + ow[0], dout, 0.0f, rt);
      GL_TRY(gl_block_halo_rows(k, rt, dout, rt)); /* and the halo's */
    } else { /* the layer's input and its R, dropped by the same mask */
      const float *in = pl > 0    ? m->ws[l].in.p
                        : k->halo ? m->ws[l].hin.p
                                  : m->ws[l - 1].z.p;
      const float *rin = m->ws[l - 1].hrz.p;
      if (pl > 0 || k->halo) { /* kept for the backward pass */
        GL_TRY(gl_fbuf_reserve(&m->ws[l].hri, (size_t)ns * di));
        float *ri = m->ws[l].hri.p;
        if (k->halo) { /* our rows, then the halo's from their owners */
          GL_TRY(gl_block_halo_rows(k, rin, di, ri));
          rin = ri;
        }
        if (pl > 0) gl_dropout_forward(rin, (size_t)ns * di, pl, key, ri);
        rin = ri;
      }
      gl_gemm(false, false, ns, dout, di, 1.0f, in, v + ow[l], 0.0f, rt);
      gl_gemm(false, false, ns, dout, di, 1.0f, rin, m->w[l], 1.0f, rt);
    }
    float *rz = m->ws[l].hrz.p;
    gl_prop_forward(k, rt, dout, rz);
    if (m->b[l])
      for (gl_idx i = 0; i < nd; i++)
        for (int j = 0; j < dout; j++) rz[(size_t)i * dout + j] += v[ob[l] + j];
    if (l < L - 1) gl_relu_backward(m->ws[l].z.p, rz, (size_t)nd * dout, rz);
  }
  /* R(D) of the loss rows from the softmax's Jacobian */
  memset(rd, 0, (size_t)n_out * C * sizeof *rd);
  for (gl_idx q = 0; q < b->n_loss; q++) {
    const gl_idx i = b->loss_pos[q];
    if (y[b->out_ids ? b->out_ids[i] : i] < 0) continue;
    const float wi = b->loss_w ? b->loss_w[q] : 1.0f;
    const float *p = m->hp.p + (size_t)i * C;
    const float *r = m->ws[L - 1].hrz.p + (size_t)i * C;
    double pr = 0;
    for (int j = 0; j < C; j++) pr += (double)p[j] * r[j];
    for (int j = 0; j < C; j++)
      rd[(size_t)i * C + j] = wi * p[j] * (r[j] - (float)pr);
  }
  memset(hv, 0, off * sizeof *hv);
  for (int l = L - 1; l >= 0; l--) { /* R backward */
    const gl_block *k = &b->layers[l];
    const gl_idx ns = gl_block_n_src(k), nd = gl_block_n_dst(k);
    const int di = m->dim[l], dout = m->dim[l + 1];
    const float *dt = m->ws[l].hdt.p;
    if (m->b[l])
      for (gl_idx i = 0; i < nd; i++)
        for (int j = 0; j < dout; j++)
          hv[ob[l] + j] += rd[(size_t)i * dout + j];
    gl_prop_backward(k, rd, dout, rt); /* R(dT_l) */
    const float pl = layer_p(m, l, train);
    const uint64_t key = layer_key(b->key, l);
    if (l == 0) {
      GL_TRY(gl_block_halo_back(k, rt, dout));
      gl_csr_spmm_t(&m->hx, rt, dout, 1.0f, hv + ow[0]);
      break;
    }
    const float *in = pl > 0    ? m->ws[l].in.p
                      : k->halo ? m->ws[l].hin.p
                                : m->ws[l - 1].z.p;
    const float *rin =
        pl > 0 || k->halo ? m->ws[l].hri.p : m->ws[l - 1].hrz.p;
    gl_gemm(true, false, di, dout, ns, 1.0f, in, rt, 1.0f, hv + ow[l]);
    gl_gemm(true, false, di, dout, ns, 1.0f, rin, dt, 1.0f, hv + ow[l]);
    gl_gemm(false, true, ns, di, dout, 1.0f, rt, m->w[l], 0.0f, re);
    gl_gemm(false, true, ns, di, dout, 1.0f, dt, v + ow[l], 1.0f, re);
    if (pl > 0) gl_dropout_backward(re, (size_t)ns * di, pl, key, re);
    GL_TRY(gl_block_halo_back(k, re, di)); /* the halo's to their owners */
    gl_relu_backward(m->ws[l - 1].z.p, re, (size_t)gl_block_n_fresh(k) * di,
                     re);
    float *t = rd;
    rd = re;
    re = t;
  }
  return GL_OK;
}

static void gcn_free(gl_model *mm) {
  gcn *m = (gcn *)mm;
  for (int l = 0; m->ws && l < m->L; l++) {
    layer_ws *w = &m->ws[l];
    gl_fbuf *f[] = {&w->t,  &w->z,   &w->in,  &w->hin, &w->fz,
                    &w->fin, &w->hdt, &w->hrz, &w->hri};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++) free(f[i]->p);
  }
  gl_fbuf *f[] = {&m->hp,   &m->hd,   &m->he,      &m->hrd,
                  &m->hrt,  &m->fmix, &m->dbuf[0], &m->dbuf[1]};
  for (size_t i = 0; i < sizeof f / sizeof *f; i++) free(f[i]->p);
  gl_csr_free(&m->hx);
  gl_model_free_params(&m->base);
  free(m->ws);
  free(m->dim);
  free(m->w);
  free(m);
}

static const gl_model_ops gcn_ops = {"gcn",           gcn_forward,
                                     gcn_backward,    gcn_forward_fcn,
                                     gcn_backward_fcn, gcn_free,
                                     gcn_hidden,      gcn_grad_norms,
                                     false,           gcn_hvp};

gl_status gl_gcn_new(gl_model **out, const gl_model_cfg *cfg) {
  *out = NULL;
  if (cfg->layers < 1 || cfg->layers > 16)
    return gl_error(GL_EINVAL, "gcn: layers must be in 1..16, not %d",
                    cfg->layers);
  if (cfg->n_features < 1 || cfg->n_classes < 2 ||
      (cfg->layers > 1 && cfg->hidden < 1))
    return gl_error(GL_EINVAL,
                    "gcn: need features >= 1, classes >= 2, hidden >= 1");
  if (!(cfg->dropout >= 0 && cfg->dropout < 1) ||
      !(cfg->hidden_dropout >= 0 && cfg->hidden_dropout < 1))
    return gl_error(GL_EINVAL, "gcn: dropout must be in [0, 1)");
  gcn *m = gl_calloc(1, sizeof *m);
  if (!m) return GL_ENOMEM;
  int L = cfg->layers;
  m->base.ops = &gcn_ops;
  m->base.cfg = *cfg;
  m->L = L;
  m->dim = gl_calloc((size_t)L + 1, sizeof *m->dim);
  /* one block of pointer arrays: w b gw gb */
  m->w = gl_calloc((size_t)L * 4, sizeof(float *));
  m->ws = gl_calloc((size_t)L, sizeof *m->ws);
  m->base.params = gl_calloc((size_t)L * 2, sizeof *m->base.params);
  if (!m->dim || !m->w || !m->ws || !m->base.params) {
    gcn_free(&m->base);
    return GL_ENOMEM;
  }
  m->b = m->w + L;
  m->gw = m->w + 2 * L;
  m->gb = m->w + 3 * L;
  m->dim[0] = cfg->n_features;
  for (int l = 1; l < L; l++) m->dim[l] = cfg->hidden;
  m->dim[L] = cfg->n_classes;
  gl_rng rng;
  gl_rng_seed(&rng, cfg->seed);
  static const char *wname[] = {"W0", "W1", "W2", "W3", "W4", "W5", "W6", "W7",
                                "W8", "W9", "W10", "W11", "W12", "W13", "W14",
                                "W15"};
  static const char *bname[] = {"b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7",
                                "b8", "b9", "b10", "b11", "b12", "b13", "b14",
                                "b15"};
  gl_status st = GL_OK;
  for (int l = 0; l < L && st == GL_OK; l++) {
    st = gl_model_add_param(&m->base, wname[l], m->dim[l], m->dim[l + 1],
                            cfg->decay_all || l == 0, &m->w[l], &m->gw[l]);
    if (st != GL_OK) break;
    gl_glorot(&rng, m->w[l], m->dim[l], m->dim[l + 1]);
    if (cfg->bias)
      st = gl_model_add_param(&m->base, bname[l], 1, m->dim[l + 1],
                              cfg->decay_all, &m->b[l], &m->gb[l]);
  }
  if (st != GL_OK) {
    gcn_free(&m->base);
    return st;
  }
  *out = &m->base;
  return GL_OK;
}
