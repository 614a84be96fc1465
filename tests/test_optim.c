/* Tests of optim/: every optimiser against steps worked out by hand, a
 * quadratic minimised by each, bad options and changed parameter lists
 * rejected, and (when PyTorch is installed) 50 steps against torch.optim. */
#include "tests/test.h"

/* ---------------------------------------------------------------- problem */
/* The problem of the hand-worked steps: three weights in two params,
 *   A = (w0, w1) with decay = true, B = (w2) with decay = false,
 * starting at w = (1, -2 | 0.5), with the loss
 *   f(w) = sum_i 0.5 a_i w_i^2 + c_i w_i,
 *   a = (1, 0.5 | 2),  c = (-0.5, 0.5 | 0),
 * so g = a w + c; at the start g = (0.5, -0.5 | 1).  lr = 0.1 in every case
 * and weight decay 0.1 where it is on (it never touches B).  The c term keeps
 * g from being proportional to w: otherwise the L2 term of Adam would only
 * rescale each gradient and leave Adam's steps unchanged.  Numbers in the
 * comments are rounded; the expected values are exact to ~1e-9. */
static const float hand_a[3] = {1.0f, 0.5f, 2.0f};
static const float hand_c[3] = {-0.5f, 0.5f, 0.0f};
static const float hand_w0[3] = {1.0f, -2.0f, 0.5f};

typedef struct {
  const char *what;
  gl_optim_opts o;
  double w[3][3]; /* the weights after steps 1, 2 and 3 */
} hand_case;

static gl_optim_opts hand_opts(gl_optim_kind kind, double wd) {
  gl_optim_opts o = gl_optim_defaults(kind);
  o.lr = 0.1;
  o.weight_decay = wd;
  return o;
}

static gl_param param(const char *name, float *w, float *g, size_t n,
                      bool decay) {
  return (gl_param){.name = name, .w = w, .g = g, .n = n, .decay = decay,
                    .rows = 1, .cols = (int)n};
}

/* The defaults for an optimiser name, as a tool would make them. */
static gl_optim_opts named_opts(const char *name) {
  gl_optim_kind kind = GL_OPT_SGD;
  bool nesterov = false;
  CHECK_OK(gl_optim_kind_parse(name, &kind, &nesterov));
  gl_optim_opts o = gl_optim_defaults(kind);
  o.nesterov = nesterov;
  return o;
}

/* A list of two params over w[0..1] (decay) and w[2] (no decay). */
static void hand_params(gl_param p[2], float w[3], float g[3]) {
  p[0] = param("A", w, g, 2, true);
  p[1] = param("B", w + 2, g + 2, 1, false);
}

static void hand_check(const hand_case *hc) {
  float w[3], g[3];
  gl_param p[2];
  memcpy(w, hand_w0, sizeof w);
  hand_params(p, w, g);
  gl_optim *o = NULL;
  CHECK_OK(gl_optim_new(&o, &hc->o));
  if (!o) return;
  for (int t = 0; t < 3; t++) {
    for (int i = 0; i < 3; i++) g[i] = hand_a[i] * w[i] + hand_c[i];
    CHECK_OK(gl_optim_step(o, p, 2));
    for (int i = 0; i < 3; i++)
      CHECK_MSG(fabs(w[i] - hc->w[t][i]) <= 1e-6,
                "%s: step %d w%d = %.9g, expected %.9g", hc->what, t + 1, i,
                w[i], hc->w[t][i]);
  }
  CHECK_EQ(o->t, 3);
  gl_optim_free(o);
}

static void hand_check_all(const hand_case *hc, int n) {
  for (int i = 0; i < n; i++) hand_check(&hc[i]);
}

/* ---------------------------------------------------------------- SGD */
TEST(optim_sgd_hand) {
  hand_case hc[2] = {
      /* Plain SGD, no decay: w -= 0.1 g.
       * step 1: g = (0.5, -0.5 | 1)           w = (0.95, -1.95 | 0.4)
       * step 2: g = (0.45, -0.475 | 0.8)      w = (0.905, -1.9025 | 0.32)
       * step 3: g = (0.405, -0.45125 | 0.64)  w = (0.8645, -1.857375 | 0.256)
       */
      {"sgd",
       hand_opts(GL_OPT_SGD, 0),
       {{0.95, -1.95, 0.4},
        {0.905, -1.9025, 0.32},
        {0.8645, -1.857375, 0.256}}},
      /* SGD, decay 0.1 on A: g' = g + 0.1 w on A, g' = g on B.
       * step 1: g = (0.5, -0.5 | 1), g' = (0.5+0.1, -0.5-0.2 | 1)
       *         = (0.6, -0.7 | 1)                w = (0.94, -1.93 | 0.4)
       * step 2: g = (0.44, -0.465 | 0.8), g' = (0.44+0.094, -0.465-0.193 | 0.8)
       *         = (0.534, -0.658 | 0.8)          w = (0.8866, -1.8642 | 0.32)
       * step 3: g = (0.3866, -0.4321 | 0.64),
       *         g' = (0.3866+0.08866, -0.4321-0.18642 | 0.64)
       *         = (0.47526, -0.61852 | 0.64)
       *         w = (0.839074, -1.802348 | 0.256) */
      {"sgd decay",
       hand_opts(GL_OPT_SGD, 0.1),
       {{0.94, -1.93, 0.4},
        {0.8866, -1.8642, 0.32},
        {0.839074, -1.802348, 0.256}}},
  };
  hand_check_all(hc, 2);
}

TEST(optim_momentum_hand) {
  gl_optim_opts damp = hand_opts(GL_OPT_MOMENTUM, 0);
  damp.dampening = 0.5;
  hand_case hc[2] = {
      /* Momentum mu = 0.9, decay 0.1 on A: b = g' first, then
       * b = 0.9 b + g'; w -= 0.1 b.
       * step 1: g' = (0.6, -0.7 | 1), b = g'    w = (0.94, -1.93 | 0.4)
       * step 2: g = (0.44, -0.465 | 0.8), g' = (0.534, -0.658 | 0.8)
       *         b = (0.54+0.534, -0.63-0.658 | 0.9+0.8) = (1.074, -1.288 | 1.7)
       *         w = (0.94-0.1074, -1.93+0.1288 | 0.4-0.17)
       *           = (0.8326, -1.8012 | 0.23)
       * step 3: g = (0.3326, -0.4006 | 0.46), g' = (0.41586, -0.58072 | 0.46)
       *         b = (0.9666+0.41586, -1.1592-0.58072 | 1.53+0.46)
       *           = (1.38246, -1.73992 | 1.99)
       *         w = (0.694354, -1.627208 | 0.031) */
      {"momentum decay",
       hand_opts(GL_OPT_MOMENTUM, 0.1),
       {{0.94, -1.93, 0.4},
        {0.8326, -1.8012, 0.23},
        {0.694354, -1.627208, 0.031}}},
      /* Momentum mu = 0.9 with dampening 0.5, no decay: b = g first (no
       * dampening on the first step), then b = 0.9 b + 0.5 g; w -= 0.1 b.
       * step 1: g = (0.5, -0.5 | 1), b = g     w = (0.95, -1.95 | 0.4)
       * step 2: g = (0.45, -0.475 | 0.8)
       *         b = (0.45+0.225, -0.45-0.2375 | 0.9+0.4)
       *           = (0.675, -0.6875 | 1.3)
       *         w = (0.8825, -1.88125 | 0.27)
       * step 3: g = (0.3825, -0.440625 | 0.54)
       *         b = (0.6075+0.19125, -0.61875-0.2203125 | 1.17+0.27)
       *           = (0.79875, -0.8390625 | 1.44)
       *         w = (0.802625, -1.79734375 | 0.126) */
      {"momentum dampening",
       damp,
       {{0.95, -1.95, 0.4},
        {0.8825, -1.88125, 0.27},
        {0.802625, -1.79734375, 0.126}}},
  };
  hand_check_all(hc, 2);
}

/* A learner may switch momentum on after the first step: the momentum
 * buffer starts from zeros then.  w = 1, g = w, lr 0.1:
 * step 1 (mu 0): w = 0.9;  mu = 0.5 from here:
 * step 2: b = 0.5 * 0 + 0.9 = 0.9, w = 0.81;
 * step 3: b = 0.45 + 0.81 = 1.26, w = 0.684. */
TEST(optim_momentum_switched_on) {
  gl_optim_opts op = gl_optim_defaults(GL_OPT_MOMENTUM);
  op.momentum = 0;
  op.lr = 0.1;
  gl_optim *o;
  CHECK_OK(gl_optim_new(&o, &op));
  float w = 1, g;
  gl_param p = {"w", &w, &g, 1, false, 1, 1};
  const float want[3] = {0.9f, 0.81f, 0.684f};
  for (int s = 0; s < 3; s++) {
    if (s == 1) o->opts.momentum = 0.5;
    g = w;
    CHECK_OK(gl_optim_step(o, &p, 1));
    CHECK_NEAR(w, want[s], 1e-6);
  }
  gl_optim_free(o);
}

TEST(optim_nesterov_hand) {
  gl_optim_opts o = hand_opts(GL_OPT_MOMENTUM, 0.1);
  o.nesterov = true;
  /* Nesterov mu = 0.9, decay 0.1 on A: b as for momentum,
   * w -= 0.1 (g' + 0.9 b).
   * step 1: g' = (0.6, -0.7 | 1), b = g',
   *         g' + 0.9 b = 1.9 g' = (1.14, -1.33 | 1.9)
   *         w = (0.886, -1.867 | 0.31)
   * step 2: g = (0.386, -0.4335 | 0.62), g' = (0.4746, -0.6202 | 0.62)
   *         b = (0.54+0.4746, -0.63-0.6202 | 0.9+0.62)
   *           = (1.0146, -1.2502 | 1.52)
   *         g' + 0.9 b = (1.38774, -1.74538 | 1.988)
   *         w = (0.747226, -1.692462 | 0.1112)
   * step 3: g = (0.247226, -0.346231 | 0.2224),
   *         g' = (0.3219486, -0.5154772 | 0.2224)
   *         b = (0.91314+0.3219486, -1.12518-0.5154772 | 1.368+0.2224)
   *           = (1.2350886, -1.6406572 | 1.5904)
   *         g' + 0.9 b = (1.43352834, -1.99206868 | 1.65376)
   *         w = (0.603873166, -1.493255132 | -0.054176) */
  hand_case hc = {"nesterov decay",
                  o,
                  {{0.886, -1.867, 0.31},
                   {0.747226, -1.692462, 0.1112},
                   {0.603873166, -1.493255132, -0.054176}}};
  hand_check(&hc);
}

/* ---------------------------------------------------------------- Adam */
/* Adam with b1 = 0.9, b2 = 0.999, eps = 1e-8: m = 0.9 m + 0.1 g',
 * v = 0.999 v + 0.001 g'^2, mhat = m / (1 - 0.9^t), vhat = v / (1 - 0.999^t),
 * w -= 0.1 mhat / (sqrt(vhat) + eps).  At step 1 mhat = g', vhat = g'^2, so
 * every weight moves by 0.1 against the sign of its gradient (less ~2e-9). */
TEST(optim_adam_hand) {
  hand_case hc[2] = {
      /* Adam, no decay.
       * step 1: g = (0.5, -0.5 | 1)             w = (0.9, -1.9 | 0.4)
       * step 2: g = (0.4, -0.45 | 0.8)
       *   m = (0.045+0.04, -0.045-0.045 | 0.09+0.08) = (0.085, -0.09 | 0.17)
       *   v = (2.4975e-4+1.6e-4, 2.4975e-4+2.025e-4 | 9.99e-4+6.4e-4)
       *     = (4.0975e-4, 4.5225e-4 | 1.639e-3)
       *   mhat = m / 0.19 = (0.447368, -0.473684 | 0.894737)
       *   vhat = v / 0.001999 = (0.204977, 0.226238 | 0.819910)
       *   step = 0.1 mhat / sqrt(vhat) = (0.098813, -0.099588 | 0.098813)
       *   w = (0.801187, -1.800412 | 0.301187)
       * step 3: g = (0.301187, -0.400206 | 0.602375)
       *   m = (0.106619, -0.121021 | 0.213237)
       *   v = (5.00054e-4, 6.11963e-4 | 2.00022e-3)
       *   mhat = m / 0.271 = (0.393427, -0.446571 | 0.786854)
       *   vhat = v / 0.002997001 = (0.166852, 0.204192 | 0.667406)
       *   w = (0.704871, -1.701586 | 0.204871) */
      {"adam",
       hand_opts(GL_OPT_ADAM, 0),
       {{0.900000002, -1.900000002, 0.400000001},
        {0.801187424, -1.800412231, 0.301187422},
        {0.704871256, -1.701586278, 0.204871253}}},
      /* Adam, L2 decay 0.1 on A: g' = g + 0.1 w there.
       * step 1: g' = (0.6, -0.7 | 1)            w = (0.9, -1.9 | 0.4)
       * step 2: g = (0.4, -0.45 | 0.8), g' = (0.49, -0.64 | 0.8)
       *   m = (0.054+0.049, -0.063-0.064 | 0.17) = (0.103, -0.127 | 0.17)
       *   v = (3.5964e-4+2.401e-4, 4.8951e-4+4.096e-4 | 1.639e-3)
       *     = (5.9974e-4, 8.9911e-4 | 1.639e-3)
       *   mhat = (0.542105, -0.668421 | 0.894737)
       *   vhat = (0.300020, 0.449780 | 0.819910)
       *   w = (0.801029, -1.800333 | 0.301187)
       * step 3: g' = (0.381132, -0.580200 | 0.602375)
       *   m = (0.130813, -0.172320 | 0.213237)
       *   v = (7.44402e-4, 1.234843e-3 | 2.00022e-3)
       *   mhat = (0.482705, -0.635867 | 0.786854)
       *   vhat = (0.248382, 0.412026 | 0.667406)
       *   w = (0.704174, -1.701272 | 0.204871) */
      {"adam decay",
       hand_opts(GL_OPT_ADAM, 0.1),
       {{0.900000002, -1.900000001, 0.400000001},
        {0.801028877, -1.800333297, 0.301187422},
        {0.704173895, -1.701272009, 0.204871253}}},
  };
  hand_check_all(hc, 2);
}

TEST(optim_adamw_hand) {
  /* AdamW, decoupled decay 0.1 on A: w *= 1 - 0.1 * 0.1 = 0.99 there, then
   * the Adam step on the plain gradient (taken at the weights before).
   * step 1: g = (0.5, -0.5 | 1); w = (0.99, -1.98 | 0.5) - 0.1 sign(g)
   *         = (0.89, -1.88 | 0.4)
   * step 2: g = (0.39, -0.44 | 0.8)
   *   m = (0.045+0.039, -0.045-0.044 | 0.17) = (0.084, -0.089 | 0.17)
   *   v = (2.4975e-4+1.521e-4, 2.4975e-4+1.936e-4 | 1.639e-3)
   *     = (4.0185e-4, 4.4335e-4 | 1.639e-3)
   *   mhat = (0.442105, -0.468421 | 0.894737)
   *   vhat = (0.201026, 0.221786 | 0.819910)
   *   w = (0.8811, -1.8612 | 0.4) - 0.1 mhat / sqrt(vhat)
   *     = (0.782495, -1.761735 | 0.301187)
   * step 3: g = (0.282495, -0.380868 | 0.602375)
   *   m = (0.103849, -0.118187 | 0.213237)
   *   v = (4.81251e-4, 5.87967e-4 | 2.00022e-3)
   *   mhat = (0.383208, -0.436114 | 0.786854)
   *   vhat = (0.160578, 0.196185 | 0.667406)
   *   w = (0.774670, -1.744118 | 0.301187) - 0.1 mhat / sqrt(vhat)
   *     = (0.679040, -1.645656 | 0.204871) */
  hand_case hc = {"adamw decay",
                  hand_opts(GL_OPT_ADAMW, 0.1),
                  {{0.890000002, -1.880000002, 0.400000001},
                   {0.782494741, -1.761735197, 0.301187422},
                   {0.679040174, -1.645656316, 0.204871253}}};
  hand_check(&hc);
}

/* ---------------------------------------------------------------- quadratic */
/* f(w) = 0.5 sum a_i w_i^2 over two params (one with decay, one without),
 * from w = 1: each optimiser must bring f below 1e-4. */
#define QN 6
static double quad_f(const float *w, const float *a) {
  double f = 0;
  for (int i = 0; i < QN; i++) f += 0.5 * a[i] * (double)w[i] * w[i];
  return f;
}

static long quad_minimise(const gl_optim_opts *opts, double lr_decay) {
  static const float a[QN] = {0.5f, 1, 2, 3, 5, 8};
  float w[QN], g[QN];
  for (int i = 0; i < QN; i++) w[i] = 1.0f;
  gl_param p[2] = {param("decayed", w, g, 4, true),
                   param("free", w + 4, g + 4, 2, false)};
  gl_optim *o = NULL;
  CHECK_OK(gl_optim_new(&o, opts));
  if (!o) return -1;
  long t;
  for (t = 0; t < 5000 && quad_f(w, a) >= 1e-4; t++) {
    for (int i = 0; i < QN; i++) g[i] = a[i] * w[i];
    if (gl_optim_step(o, p, 2) != GL_OK) break;
    gl_optim_set_lr(o, o->lr * lr_decay);
  }
  double f = quad_f(w, a);
  CHECK_MSG(f < 1e-4, "%s: f = %g after %ld steps", o->ops->name, f, t);
  gl_optim_free(o);
  return t;
}

TEST(optim_quadratic) {
  static const char *names[] = {"sgd", "momentum", "nesterov", "adam",
                                "adamw"};
  for (int k = 0; k < 5; k++) {
    gl_optim_opts o = named_opts(names[k]);
    o.weight_decay = 1e-3;
    /* Adam's steps are ~lr in size whatever the gradient: shrink lr. */
    bool adam = o.kind == GL_OPT_ADAM || o.kind == GL_OPT_ADAMW;
    o.lr = adam ? 0.05 : 0.1;
    long t = quad_minimise(&o, adam ? 0.99 : 1.0);
    CHECK_MSG(t > 0, "%s: no steps", names[k]);
  }
}

/* ---------------------------------------------------------------- parsing */
TEST(optim_kind_parse) {
  static const struct {
    const char *s;
    gl_optim_kind kind;
    bool nesterov;
  } ok[] = {{"sgd", GL_OPT_SGD, false},
            {"momentum", GL_OPT_MOMENTUM, false},
            {"nesterov", GL_OPT_MOMENTUM, true},
            {"adam", GL_OPT_ADAM, false},
            {"adamw", GL_OPT_ADAMW, false}};
  for (int i = 0; i < 5; i++) {
    gl_optim_kind kind = GL_OPT_ADAMW;
    bool nesterov = !ok[i].nesterov;
    CHECK_OK(gl_optim_kind_parse(ok[i].s, &kind, &nesterov));
    CHECK_EQ(kind, ok[i].kind);
    CHECK_EQ(nesterov, ok[i].nesterov);
    /* The ops name reads back as the parsed name. */
    gl_optim_opts o = named_opts(ok[i].s);
    gl_optim *opt = NULL;
    CHECK_OK(gl_optim_new(&opt, &o));
    if (opt) CHECK(strcmp(opt->ops->name, ok[i].s) == 0);
    gl_optim_free(opt);
  }
  gl_optim_kind kind;
  bool nesterov;
  static const char *bad[] = {"adagrad", "", "SGD", "adam ", "adamw2"};
  for (int i = 0; i < 5; i++)
    CHECK_ERR(gl_optim_kind_parse(bad[i], &kind, &nesterov), GL_EINVAL,
              "valid: sgd, momentum, nesterov, adam, adamw");
  CHECK_ERR(gl_optim_kind_parse(NULL, &kind, &nesterov), GL_EINVAL, "valid:");
}

TEST(optim_defaults) {
  gl_optim_opts o = gl_optim_defaults(GL_OPT_MOMENTUM);
  CHECK_NEAR(o.lr, 0.01, 0);
  CHECK_NEAR(o.momentum, 0.9, 0);
  CHECK(!o.nesterov);
  o = gl_optim_defaults(GL_OPT_ADAM);
  CHECK_NEAR(o.momentum, 0, 0);
  CHECK_NEAR(o.beta1, 0.9, 0);
  CHECK_NEAR(o.beta2, 0.999, 0);
  CHECK_NEAR(o.eps, 1e-8, 0);
  CHECK_NEAR(o.weight_decay, 0, 0);
  /* Every kind's defaults are valid. */
  for (int k = GL_OPT_SGD; k <= GL_OPT_ADAMW; k++) {
    gl_optim_opts d = gl_optim_defaults((gl_optim_kind)k);
    gl_optim *opt = NULL;
    CHECK_OK(gl_optim_new(&opt, &d));
    gl_optim_free(opt);
  }
  gl_optim_free(NULL);
}

/* ---------------------------------------------------------------- bad input */
TEST(optim_bad_options) {
  static const struct {
    const char *field; /* which option; also the expected message part */
    double value;
  } bad[] = {{"lr", 0},           {"lr", -0.1},       {"lr", NAN},
             {"lr", INFINITY},    {"momentum", -0.1}, {"momentum", 1},
             {"momentum", NAN},   {"dampening", -0.5}, {"dampening", 1.5},
             {"weight_decay", -1e-4}, {"weight_decay", INFINITY},
             {"weight_decay", NAN}, {"beta1", 1},     {"beta1", -0.1},
             {"beta2", 1},        {"beta2", NAN},     {"eps", 0},
             {"eps", -1e-8},      {"eps", INFINITY}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    gl_optim_opts o = gl_optim_defaults(GL_OPT_ADAM);
    double *f = !strcmp(bad[i].field, "lr")             ? &o.lr
                : !strcmp(bad[i].field, "momentum")     ? &o.momentum
                : !strcmp(bad[i].field, "dampening")    ? &o.dampening
                : !strcmp(bad[i].field, "weight_decay") ? &o.weight_decay
                : !strcmp(bad[i].field, "beta1")        ? &o.beta1
                : !strcmp(bad[i].field, "beta2")        ? &o.beta2
                                                        : &o.eps;
    *f = bad[i].value;
    gl_optim *opt = (gl_optim *)&o; /* must be reset to NULL */
    CHECK_ERR(gl_optim_new(&opt, &o), GL_EINVAL, bad[i].field);
    CHECK(opt == NULL);
  }
  /* Nesterov needs momentum and no dampening (as in PyTorch). */
  gl_optim *opt = NULL;
  gl_optim_opts o = gl_optim_defaults(GL_OPT_SGD);
  o.nesterov = true;
  CHECK_ERR(gl_optim_new(&opt, &o), GL_EINVAL, "nesterov");
  o = gl_optim_defaults(GL_OPT_MOMENTUM);
  o.nesterov = true;
  o.dampening = 0.1;
  CHECK_ERR(gl_optim_new(&opt, &o), GL_EINVAL, "nesterov");
  o = gl_optim_defaults(GL_OPT_SGD);
  o.kind = (gl_optim_kind)42;
  CHECK_ERR(gl_optim_new(&opt, &o), GL_EINVAL, "kind");
}

/* The state is made for the list of the first step; a later list of another
 * length or other sizes is refused and nothing moves. */
TEST(optim_list_shape) {
  for (int k = GL_OPT_SGD; k <= GL_OPT_ADAMW; k++) {
    float w[3], g[3] = {0.5f, -0.5f, 1.0f};
    memcpy(w, hand_w0, sizeof w);
    gl_param p[2];
    hand_params(p, w, g);
    gl_optim_opts opts = gl_optim_defaults((gl_optim_kind)k);
    gl_optim *o = NULL;
    CHECK_OK(gl_optim_new(&o, &opts));
    if (!o) continue;
    CHECK_OK(gl_optim_step(o, p, 2));
    float before[3];
    memcpy(before, w, sizeof w);
    CHECK_ERR(gl_optim_step(o, p, 1), GL_EINVAL, "changed from 2 to 1");
    p[1].n = 0;
    CHECK_ERR(gl_optim_step(o, p, 2), GL_EINVAL, "param 1 (B) has 0 values");
    p[1].n = 1;
    p[0].g = NULL;
    CHECK_ERR(gl_optim_step(o, p, 2), GL_EINVAL, "no gradient");
    p[0].g = g;
    CHECK_ERR(gl_optim_step(o, p, -1), GL_EINVAL, "bad parameter list");
    CHECK(memcmp(before, w, sizeof w) == 0);
    CHECK_EQ(o->t, 1);
    CHECK_OK(gl_optim_step(o, p, 2)); /* the right list still works */
    CHECK_EQ(o->t, 2);
    gl_optim_free(o);
  }
}

/* ---------------------------------------------------------------- helpers */
TEST(optim_params_helpers) {
  float w[3] = {1, -2, 3}, g[3] = {4, 5, 6};
  gl_param p[2];
  hand_params(p, w, g);
  CHECK_EQ(gl_params_count(p, 2), 3);
  CHECK_EQ(gl_params_count(p, 0), 0);
  CHECK_NEAR(gl_params_l2(p, 2), 0.5 * (1 + 4), 1e-12); /* A only */
  p[1].decay = true;
  CHECK_NEAR(gl_params_l2(p, 2), 0.5 * (1 + 4 + 9), 1e-12);
  gl_params_zero_grad(p, 2);
  for (int i = 0; i < 3; i++) CHECK(g[i] == 0.0f);
}

/* lr is read at every step, so schedules can change it between steps. */
TEST(optim_set_lr) {
  float w = 1.0f, g = 1.0f;
  gl_param p = param("w", &w, &g, 1, false);
  gl_optim_opts opts = gl_optim_defaults(GL_OPT_SGD);
  gl_optim *o = NULL;
  CHECK_OK(gl_optim_new(&o, &opts));
  if (!o) return;
  CHECK_OK(gl_optim_step(o, &p, 1)); /* 1 - 0.01 */
  gl_optim_set_lr(o, 0.5);
  CHECK_OK(gl_optim_step(o, &p, 1)); /* 0.99 - 0.5 */
  CHECK_NEAR(w, 0.49, 1e-7);
  gl_optim_free(o);
}

/* ---------------------------------------------------------------- torch */
/* 50 steps of each optimiser on g = a w + c over two params (decay on the
 * first), here and in torch.optim with two param groups; float32 both. */
#define TN 5
static const float torch_a[TN] = {1.0f, 0.3f, 2.5f, 0.7f, 4.0f};
static const float torch_c[TN] = {-0.5f, 0.25f, 1.0f, -2.0f, 0.1f};
static const char torch_script[] =
    "import sys, torch\n"
    "torch.set_num_threads(1)\n"
    "a = torch.tensor([1.0, 0.3, 2.5, 0.7, 4.0])\n"
    "c = torch.tensor([-0.5, 0.25, 1.0, -2.0, 0.1])\n"
    "for spec in sys.argv[1:]:\n"
    "    name, lr, mu, damp, nest, wd = spec.split(',')\n"
    "    lr, mu, damp, wd = float(lr), float(mu), float(damp), float(wd)\n"
    "    w = torch.tensor([1.0, -2.0, 0.5, 3.0, -1.0])\n"
    "    pa = w[:3].clone().requires_grad_()\n"
    "    pb = w[3:].clone().requires_grad_()\n"
    "    groups = [{'params': [pa], 'weight_decay': wd},\n"
    "              {'params': [pb], 'weight_decay': 0.0}]\n"
    "    if name in ('sgd', 'momentum', 'nesterov'):\n"
    "        opt = torch.optim.SGD(groups, lr=lr, momentum=mu, "
    "dampening=damp,\n"
    "                              nesterov=nest == '1')\n"
    "    elif name == 'adam':\n"
    "        opt = torch.optim.Adam(groups, lr=lr)\n"
    "    else:\n"
    "        opt = torch.optim.AdamW(groups, lr=lr)\n"
    "    for t in range(50):\n"
    "        with torch.no_grad():\n"
    "            pa.grad = a[:3] * pa + c[:3]\n"
    "            pb.grad = a[3:] * pb + c[3:]\n"
    "        opt.step()\n"
    "    v = torch.cat([pa.detach(), pb.detach()]).tolist()\n"
    "    print(name, ' '.join('%.9g' % x for x in v))\n";

/* The first of python3, /usr/bin/python3 that imports torch, or NULL. */
static const char *torch_python(void) {
  static const char *cands[] = {"python3", "/usr/bin/python3"};
  char cmd[256];
  for (int i = 0; i < 2; i++) {
    snprintf(cmd, sizeof cmd, "%s -c 'import torch' >/dev/null 2>&1",
             cands[i]);
    if (gl_test_run(cmd, NULL) == 0) return cands[i];
  }
  return NULL;
}

TEST(optim_vs_torch) {
  const char *py = torch_python();
  if (!py) SKIP("needs python3 with torch (make bench-deps)");
  static const struct {
    const char *name;
    double lr, mu, damp, wd;
  } cases[] = {{"sgd", 0.05, 0, 0, 0.01},
               {"momentum", 0.05, 0.9, 0.1, 0.01},
               {"nesterov", 0.05, 0.8, 0, 0.02},
               {"adam", 0.01, 0, 0, 0.05},
               {"adamw", 0.01, 0, 0, 0.05}};
  enum { NC = sizeof cases / sizeof cases[0] };
  char cmd[2048];
  int len = snprintf(cmd, sizeof cmd, "%s %s", py,
                     gl_test_write("optim_torch.py", torch_script));
  for (int k = 0; k < NC; k++)
    len += snprintf(cmd + len, sizeof cmd - len, " %s,%g,%g,%g,%d,%g",
                    cases[k].name, cases[k].lr, cases[k].mu, cases[k].damp,
                    !strcmp(cases[k].name, "nesterov"), cases[k].wd);
  char *out = NULL;
  int rc = gl_test_run(cmd, &out);
  CHECK_MSG(rc == 0 && out, "torch script failed (%d): %s", rc,
            out ? out : "");
  char *line = rc == 0 ? out : NULL;
  for (int k = 0; line && k < NC; k++) {
    gl_optim_opts o = named_opts(cases[k].name);
    o.lr = cases[k].lr;
    o.momentum = cases[k].mu;
    o.dampening = cases[k].damp;
    o.weight_decay = cases[k].wd;
    float w[TN] = {1.0f, -2.0f, 0.5f, 3.0f, -1.0f}, g[TN];
    gl_param p[2] = {param("a", w, g, 3, true),
                     param("b", w + 3, g + 3, 2, false)};
    gl_optim *opt = NULL;
    CHECK_OK(gl_optim_new(&opt, &o));
    for (int t = 0; opt && t < 50; t++) {
      for (int i = 0; i < TN; i++) g[i] = torch_a[i] * w[i] + torch_c[i];
      CHECK_OK(gl_optim_step(opt, p, 2));
    }
    gl_optim_free(opt);
    /* The line: "<name> w0 w1 w2 w3 w4". */
    size_t nl = strlen(cases[k].name);
    CHECK_MSG(!strncmp(line, cases[k].name, nl), "torch line %d: %.40s", k,
              line);
    char *s = line + nl;
    for (int i = 0; i < TN; i++) {
      double ref = strtod(s, &s);
      CHECK_MSG(fabs(w[i] - ref) <= 1e-6 * (1 + fabs(ref)),
                "%s vs torch: w%d = %.9g, torch %.9g", cases[k].name, i, w[i],
                ref);
    }
    line = strchr(s, '\n');
    if (line) line++;
  }
  free(out);
}

/* ----------------------------------------------------- Lanczos and SLQ */
/* A = Q diag(lam) Q^T with Q a product of 3 Householder reflections
 * I - 2 u u^T (random unit u): a dense symmetric matrix of known
 * spectrum. */
typedef struct {
  size_t n;
  const double *lam;
  double u[3][300];
} planted;

static void reflect(const planted *p, double *x, int q) {
  double d = 0;
  for (size_t i = 0; i < p->n; i++) d += p->u[q][i] * x[i];
  for (size_t i = 0; i < p->n; i++) x[i] -= 2 * d * p->u[q][i];
}

static gl_status planted_mv(void *ctx, const double *x, double *y) {
  const planted *p = ctx;
  memcpy(y, x, p->n * sizeof *y);
  for (int q = 2; q >= 0; q--) reflect(p, y, q); /* Q^T x (Q symmetric) */
  for (size_t i = 0; i < p->n; i++) y[i] *= p->lam[i];
  for (int q = 0; q < 3; q++) reflect(p, y, q);
  return GL_OK;
}

static void planted_init(planted *p, size_t n, const double *lam,
                         uint64_t seed) {
  p->n = n;
  p->lam = lam;
  gl_rng r;
  gl_rng_seed(&r, seed);
  for (int q = 0; q < 3; q++) {
    double s = 0;
    for (size_t i = 0; i < n; i++) {
      p->u[q][i] = gl_rng_normal(&r);
      s += p->u[q][i] * p->u[q][i];
    }
    for (size_t i = 0; i < n; i++) p->u[q][i] /= sqrt(s);
  }
}

TEST(optim_lanczos_extreme_eigenvalues) {
  /* Diagonal 1..200 with all 200 steps: every eigenvalue, and weights
   * that are the start vector's squared (normalised) components.  A dense
   * matrix with a planted spectrum (10 and -3 at the ends, the rest in
   * [-1, 5]): 40 steps give both ends to 1e-6 relative. */
  enum { N = 200 };
  double lam[N], v0[N], th[N], tau[N];
  for (int i = 0; i < N; i++) lam[i] = i + 1;
  planted p;
  planted_init(&p, N, lam, 1);
  memset(p.u, 0, sizeof p.u); /* no reflection: diagonal */
  for (int q = 0; q < 3; q++) p.u[q][0] = 0;
  gl_rng r;
  gl_rng_seed(&r, 2);
  double nv = 0;
  for (int i = 0; i < N; i++) {
    v0[i] = 0.5 + gl_rng_uniform(&r);
    nv += v0[i] * v0[i];
  }
  int got;
  CHECK_OK(gl_lanczos(planted_mv, &p, N, N, v0, th, tau, &got));
  CHECK_EQ(got, N);
  double wsum = 0;
  for (int i = 0; i < got; i++) {
    CHECK_NEAR(th[i], i + 1, 1e-8);
    CHECK_NEAR(tau[i], v0[i] * v0[i] / nv, 1e-8);
    wsum += tau[i];
  }
  CHECK_NEAR(wsum, 1, 1e-10);
  for (int i = 0; i < N; i++)
    lam[i] = i == 0 ? 10 : i == 1 ? -3 : -1 + 6.0 * gl_rng_uniform(&r);
  planted_init(&p, N, lam, 3);
  CHECK_OK(gl_lanczos(planted_mv, &p, N, 40, v0, th, tau, &got));
  CHECK_EQ(got, 40);
  CHECK_MSG(fabs(th[got - 1] - 10) < 1e-6 * 10, "lambda_max %.10f",
            th[got - 1]);
  CHECK_MSG(fabs(th[0] + 3) < 1e-6 * 3, "lambda_min %.10f", th[0]);
  /* a zero start vector is refused */
  double zero[N] = {0};
  CHECK_ERR(gl_lanczos(planted_mv, &p, N, 10, zero, th, tau, &got),
            GL_EINVAL, "norm 0");
}

TEST(optim_slq_trace_and_density) {
  /* The trace estimate of a planted spectrum lies within 4 standard
   * errors of Hutchinson's estimator; the smoothed density integrates to
   * 1 and the extreme Ritz values are the planted ends. */
  enum { N = 300 };
  double lam[N], tr = 0;
  gl_rng r;
  gl_rng_seed(&r, 5);
  for (int i = 0; i < N; i++)
    tr += lam[i] = i < 3 ? 20 + i : gl_rng_uniform(&r) * 4;
  planted p;
  planted_init(&p, N, lam, 7);
  /* Hutchinson's variance 2 sum_{i != j} A_ij^2 = 2 (|A|_F^2 - sum A_ii^2) */
  double fro = 0, diag = 0, e[N], col[N];
  for (int j = 0; j < N; j++) {
    memset(e, 0, sizeof e);
    e[j] = 1;
    planted_mv(&p, e, col);
    for (int i = 0; i < N; i++) fro += col[i] * col[i];
    diag += col[j] * col[j];
  }
  const int probes = 30;
  const double se = sqrt(2 * (fro - diag) / probes);
  gl_slq s;
  CHECK_OK(gl_slq_run(planted_mv, &p, N, probes, 30, 11, &s));
  CHECK_MSG(fabs(s.trace - tr) < 4 * se, "trace %.3f, exact %.3f (se %.3f)",
            s.trace, tr, se);
  CHECK_NEAR(s.lambda_max, 22, 1e-6);
  CHECK(s.lambda_min > -1e-6 && s.lambda_min < 0.2);
  double grid[2001], dens[2001], area = 0;
  for (int g = 0; g < 2001; g++) grid[g] = -5 + 30.0 * g / 2000;
  gl_slq_density(&s, 0.3, grid, 2001, dens);
  for (int g = 1; g < 2001; g++)
    area += 0.5 * (dens[g] + dens[g - 1]) * (grid[g] - grid[g - 1]);
  CHECK_NEAR(area, 1, 1e-6);
  gl_slq_free(&s);
  CHECK_ERR(gl_slq_run(planted_mv, &p, N, 0, 10, 1, &s), GL_EINVAL,
            "0 probes");
}

/* f(w) = 0.5 w^T A w + b^T w on a planted A: its gradient in float. */
typedef struct {
  planted *p;
  double b[300];
} quad;

static gl_status quad_grad(void *ctx, const float *w, float *g,
                           double *loss) {
  quad *q = ctx;
  const size_t n = q->p->n;
  double x[300] = {0}, y[300];
  for (size_t i = 0; i < n; i++) x[i] = w[i];
  planted_mv(q->p, x, y);
  *loss = 0;
  for (size_t i = 0; i < n; i++) {
    g[i] = (float)(y[i] + q->b[i]);
    *loss += 0.5 * x[i] * y[i] + q->b[i] * x[i];
  }
  return GL_OK;
}

TEST(optim_hvp_finite_differences) {
  /* The central-difference Hessian-vector product of a quadratic is A v
   * (float gradients: to 1e-3 relative); Lanczos over it finds A's
   * largest eigenvalue. */
  enum { N = 100 };
  double lam[N];
  for (int i = 0; i < N; i++) lam[i] = i == 0 ? 8 : 0.1 + 0.03 * i;
  planted p;
  planted_init(&p, N, lam, 13);
  quad q = {.p = &p};
  gl_rng r;
  gl_rng_seed(&r, 17);
  float w[N], wp[N], gp[N], gm[N];
  double v[N], hv[N], av[N];
  for (int i = 0; i < N; i++) {
    q.b[i] = gl_rng_normal(&r);
    w[i] = (float)gl_rng_normal(&r);
    v[i] = gl_rng_normal(&r);
  }
  gl_hvp h = {quad_grad, &q, w, N, 1e-2, wp, gp, gm};
  CHECK_OK(gl_hvp_fd(&h, v, hv));
  planted_mv(&p, v, av);
  double err = 0, nrm = 0;
  for (int i = 0; i < N; i++) {
    err += (hv[i] - av[i]) * (hv[i] - av[i]);
    nrm += av[i] * av[i];
  }
  CHECK_MSG(sqrt(err / nrm) < 1e-3, "relative error %.2e", sqrt(err / nrm));
  double th[30], tau[30];
  int got;
  CHECK_OK(gl_lanczos(gl_hvp_matvec, &h, N, 30, v, th, tau, &got));
  CHECK_MSG(fabs(th[got - 1] - 8) < 1e-3 * 8, "lambda_max %.6f", th[got - 1]);
}

/* ---------------------------------------------------------- LARS, LAMB */
TEST(optim_lars_lamb_by_hand) {
  /* Two steps of each on one decayed tensor and one tensor without decay
   * that starts at zero (trust ratio 1), against the formulas written out
   * in double here. */
  for (int lamb = 0; lamb < 2; lamb++) {
    float w[2] = {3, 4}, g[2] = {1, 2}, z[2] = {0, 0}, gz[2] = {0.5f, -1};
    gl_param p[2] = {{"w", w, g, 2, true, 1, 2}, {"z", z, gz, 2, false, 1, 2}};
    gl_optim_opts oo = gl_optim_defaults(lamb ? GL_OPT_LAMB : GL_OPT_LARS);
    CHECK_NEAR(oo.eps, lamb ? 1e-6 : 1e-8, 1e-15);
    oo.lr = 0.1;
    oo.weight_decay = 0.1;
    gl_optim *o;
    CHECK_OK(gl_optim_new(&o, &oo));
    double x[2][2] = {{3, 4}, {0, 0}}, gg[2][2] = {{1, 2}, {0.5, -1}};
    double m[2][2] = {{0}}, v[2][2] = {{0}};
    for (int t = 1; t <= 2; t++) {
      CHECK_OK(gl_optim_step(o, p, 2));
      for (int i = 0; i < 2; i++) {
        const double wd = i == 0 ? 0.1 : 0;
        double u[2], w2 = 0, u2 = 0;
        for (int k = 0; k < 2; k++) {
          if (lamb) {
            m[i][k] = 0.9 * m[i][k] + 0.1 * gg[i][k];
            v[i][k] = 0.999 * v[i][k] + 0.001 * gg[i][k] * gg[i][k];
            u[k] = m[i][k] / (1 - pow(0.9, t)) /
                       (sqrt(v[i][k] / (1 - pow(0.999, t))) + 1e-6) +
                   wd * x[i][k];
          } else {
            m[i][k] = 0.9 * m[i][k] + 0.1 * (gg[i][k] + wd * x[i][k]);
            u[k] = m[i][k];
          }
          w2 += x[i][k] * x[i][k];
          u2 += u[k] * u[k];
        }
        const double ratio = w2 > 0 && u2 > 0 ? sqrt(w2 / u2) : 1;
        for (int k = 0; k < 2; k++) x[i][k] -= 0.1 * ratio * u[k];
      }
      for (int k = 0; k < 2; k++) {
        CHECK_NEAR(w[k], x[0][k], 1e-5);
        CHECK_NEAR(z[k], x[1][k], 1e-5);
      }
    }
    gl_optim_free(o);
  }
  gl_optim_kind k;
  bool nest;
  CHECK_OK(gl_optim_kind_parse("lamb", &k, &nest));
  CHECK_EQ(k, GL_OPT_LAMB);
  CHECK_ERR(gl_optim_kind_parse("lion", &k, &nest), GL_EINVAL, "lars, lamb");
}

TEST(optim_schedules_and_batch_rules) {
  /* warm-up 10 steps then linear (power 1) or quadratic decay to 0 at 110 */
  CHECK_NEAR(gl_lr_schedule(0.2, 0, 10, 110, 1), 0.02, 1e-15);
  CHECK_NEAR(gl_lr_schedule(0.2, 9, 10, 110, 1), 0.2, 1e-15);
  CHECK_NEAR(gl_lr_schedule(0.2, 10, 10, 110, 1), 0.2, 1e-15);
  CHECK_NEAR(gl_lr_schedule(0.2, 60, 10, 110, 1), 0.1, 1e-15);
  CHECK_NEAR(gl_lr_schedule(0.2, 60, 10, 110, 2), 0.05, 1e-15);
  CHECK_NEAR(gl_lr_schedule(0.2, 110, 10, 110, 1), 0, 1e-15);
  CHECK_NEAR(gl_lr_schedule(0.2, 500, 0, 0, 1), 0.2, 1e-15);
  /* an lr tuned at batch 256 moved to 1024 and 64 */
  CHECK_NEAR(gl_lr_scale(0.01, GL_LR_SCALE_LINEAR, 1024, 256), 0.04, 1e-15);
  CHECK_NEAR(gl_lr_scale(0.01, GL_LR_SCALE_SQRT, 1024, 256), 0.02, 1e-15);
  CHECK_NEAR(gl_lr_scale(0.01, GL_LR_SCALE_SQRT, 64, 256), 0.005, 1e-15);
  CHECK_NEAR(gl_lr_scale(0.01, GL_LR_SCALE_NONE, 64, 256), 0.01, 1e-15);
  gl_lr_scale_rule r;
  CHECK_OK(gl_lr_scale_parse("sqrt", &r));
  CHECK_EQ(r, GL_LR_SCALE_SQRT);
  CHECK_ERR(gl_lr_scale_parse("cubic", &r), GL_EINVAL, "none, linear, sqrt");
}

TEST(optim_spectral_rates_by_hand) {
  /* Ritz values 0.1 (weight 0.7: the bulk), 1, 2, 9 (weights 0.1):
   * SGD lr = 2 / (9 + median 1.5); momentum drops the heavy 0.1, mu = 1,
   * lr = (2 / (3 + 1))^2 = 0.25, rho = ((3 - 1) / (3 + 1))^2 = 0.25. */
  const double th[4] = {0.1, 1, 2, 9}, tau[4] = {0.7, 0.1, 0.1, 0.1};
  double lr, mom;
  const gl_spectral_mu MIN = GL_SPECTRAL_MU_MIN, MED = GL_SPECTRAL_MU_MEDIAN;
  CHECK_OK(gl_spectral_rates(GL_SPECTRAL_SGD, MIN, th, tau, 4, &lr, &mom));
  CHECK_NEAR(lr, 2 / 10.5, 1e-12);
  CHECK_NEAR(mom, 0, 0);
  CHECK_OK(gl_spectral_rates(GL_SPECTRAL_MOMENTUM, MIN, th, tau, 4, &lr,
                             &mom));
  CHECK_NEAR(lr, 0.25, 1e-12);
  CHECK_NEAR(mom, 0.25, 1e-12);
  /* mu = the median 1.5: lr = (2 / (3 + sqrt 1.5))^2,
   * rho = ((3 - sqrt 1.5) / (3 + sqrt 1.5))^2 */
  CHECK_OK(gl_spectral_rates(GL_SPECTRAL_MOMENTUM, MED, th, tau, 4, &lr,
                             &mom));
  CHECK_NEAR(lr, 0.2241089, 1e-6);
  CHECK_NEAR(mom, 0.1765715, 1e-6);
  /* negative Ritz values count by magnitude; an all-zero spectrum fails */
  const double neg[3] = {-4, 0.5, 1}, w3[3] = {0.2, 0.4, 0.4};
  CHECK_OK(gl_spectral_rates(GL_SPECTRAL_ADAM, MED, neg, w3, 3, &lr, &mom));
  CHECK_NEAR(lr, 2 / (4 + 1.0), 1e-12);
  const double zero[2] = {0, 0};
  CHECK_ERR(gl_spectral_rates(GL_SPECTRAL_SGD, MED, zero, w3, 2, &lr, &mom),
            GL_EINVAL, "largest Ritz value");
}

TEST(optim_spectral_guard) {
  /* The guard over two arrays: a stretch that keeps the loss within 1.5
   * times the lowest since the estimate is kept, one above it (or NaN) is
   * undone to the weights at its start, bit for bit, and halves the
   * trust; an estimate doubles it back, up to 1; below 1/1000: GL_EINVAL */
  float a[3] = {1, 2, 3}, b[2] = {-1, 0.5f};
  const float a0[3] = {1, 2, 3}, b0[2] = {-1, 0.5f};
  gl_param p[2] = {{.name = "a", .w = a, .n = 3}, {.name = "b", .w = b, .n = 2}};
  gl_spectral_guard g;
  bool undone;
  CHECK_OK(gl_spectral_guard_init(&g, p, 2, 1.0));
  CHECK_NEAR(gl_spectral_guard_estimate(&g), 1, 0);
  gl_spectral_guard_begin(&g);
  a[1] = 7;
  CHECK_OK(gl_spectral_guard_check(&g, 1.4, &undone)); /* kept: 1.4 <= 1.5 */
  CHECK(!undone && a[1] == 7);
  a[1] = 2;
  gl_spectral_guard_begin(&g);
  a[0] = b[1] = 9;
  CHECK_OK(gl_spectral_guard_check(&g, 1.6, &undone)); /* the low is 1 */
  CHECK(undone && memcmp(a, a0, sizeof a) == 0 && memcmp(b, b0, sizeof b) == 0);
  CHECK_NEAR(g.trust, 0.5, 0);
  CHECK_EQ(g.restarts, 1);
  /* the estimate starts the low again from the last loss kept (1.4) */
  CHECK_NEAR(gl_spectral_guard_estimate(&g), 1, 0);
  gl_spectral_guard_begin(&g);
  CHECK_OK(gl_spectral_guard_check(&g, 2.0, &undone));
  CHECK(!undone);
  gl_spectral_guard_begin(&g);
  for (int k = 0; k < 9; k++) {
    b[0] = (float)k;
    CHECK_OK(gl_spectral_guard_check(&g, NAN, &undone));
    CHECK(undone && b[0] == -1);
  }
  CHECK_ERR(gl_spectral_guard_check(&g, NAN, &undone), GL_EINVAL, "1/1000");
  CHECK_EQ(g.restarts, 11);
  gl_spectral_guard_free(&g);
}
