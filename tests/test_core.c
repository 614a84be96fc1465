/* Tests of core/: random numbers, dense kernels, statistics, atomic files,
 * JSON output and strict parsing. */
#include <unistd.h>

#include "tests/test.h"

TEST(core_rng_reproducible_and_uniform) {
  gl_rng a, b;
  gl_rng_seed(&a, 42);
  gl_rng_seed(&b, 42);
  for (int i = 0; i < 100; i++) CHECK(gl_rng_u64(&a) == gl_rng_u64(&b));
  /* gl_rng_below: chi-square over 10 bins, 100k draws; 99.9% quantile of
   * chi2(9) is 27.9. */
  long cnt[10] = {0};
  for (int i = 0; i < 100000; i++) cnt[gl_rng_below(&a, 10)]++;
  double chi = 0;
  for (int k = 0; k < 10; k++) chi += (cnt[k] - 1e4) * (cnt[k] - 1e4) / 1e4;
  CHECK_MSG(chi < 27.9, "chi2 = %g", chi);
  double s = 0, s2 = 0;
  for (int i = 0; i < 100000; i++) {
    double u = gl_rng_uniform(&a);
    CHECK(u >= 0 && u < 1);
    s += u;
    s2 += u * u;
  }
  CHECK_NEAR(s / 1e5, 0.5, 0.005);           /* sd of mean = 0.0009 */
  CHECK_NEAR(s2 / 1e5 - 0.25, 1.0 / 12, 0.003);
}

TEST(core_rng_distributions) {
  gl_rng r;
  gl_rng_seed(&r, 7);
  int n = 200000;
  double s = 0, s2 = 0, g = 0, bsum = 0;
  for (int i = 0; i < n; i++) {
    double z = gl_rng_normal(&r);
    s += z;
    s2 += z * z;
    g += gl_rng_gamma(&r, 0.5);
    bsum += gl_rng_beta(&r, 2.0, 3.0);
  }
  CHECK_NEAR(s / n, 0.0, 0.01);
  CHECK_NEAR(s2 / n, 1.0, 0.01);
  CHECK_NEAR(g / n, 0.5, 0.01);     /* Gamma(k,1) has mean k */
  CHECK_NEAR(bsum / n, 0.4, 0.003); /* Beta(a,b) has mean a/(a+b) */
  gl_idx perm[50];
  for (int i = 0; i < 50; i++) perm[i] = i;
  gl_rng_shuffle(&r, perm, 50);
  int seen[50] = {0}, moved = 0;
  for (int i = 0; i < 50; i++) {
    seen[perm[i]]++;
    moved += perm[i] != i;
  }
  for (int i = 0; i < 50; i++) CHECK_EQ(seen[i], 1);
  CHECK(moved > 30);
}

/* Rademacher signs: +-1, balanced, no lag-1 correlation (across the 64
 * signs a draw gives too), the same for a seed. */
TEST(core_rng_signs) {
  enum { N = 65536 + 3 };
  static double x[N], x2[N];
  gl_rng r, r2;
  gl_rng_seed(&r, 3);
  gl_rng_seed(&r2, 3);
  gl_rng_signs(&r, x, N);
  gl_rng_signs(&r2, x2, N);
  double s = 0, lag = 0;
  int bad = 0;
  for (int i = 0; i < N; i++) {
    bad += x[i] != 1.0 && x[i] != -1.0;
    bad += x[i] != x2[i];
    s += x[i];
    if (i) lag += x[i] * x[i - 1];
  }
  CHECK_EQ(bad, 0);
  /* 5 standard deviations (1/sqrt N = 0.0039) */
  CHECK_NEAR(s / N, 0.0, 0.02);
  CHECK_NEAR(lag / (N - 1), 0.0, 0.02);
}

TEST(core_gemm_matches_naive) {
  gl_rng r;
  gl_rng_seed(&r, 1);
  int m = 7, k = 5, n = 3;
  float a[35], b[15], c[21], at[35], bt[15];
  gl_uniform_init(&r, a, 35, -1, 1);
  gl_uniform_init(&r, b, 15, -1, 1);
  for (int i = 0; i < m; i++)
    for (int j = 0; j < k; j++) at[j * m + i] = a[i * k + j];
  for (int i = 0; i < k; i++)
    for (int j = 0; j < n; j++) bt[j * k + i] = b[i * n + j];
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++) {
      gl_fill(c, 21, 1.0f);
      gl_gemm(ta, tb, m, n, k, 2.0f, ta ? at : a, tb ? bt : b, 0.5f, c);
      for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
          double s = 0;
          for (int l = 0; l < k; l++) s += a[i * k + l] * b[l * n + j];
          CHECK_NEAR(c[i * n + j], 2 * s + 0.5, 1e-5);
        }
    }
  CHECK_NEAR(gl_dot(3, (float[]){1, 2, 3}, (float[]){4, 5, 6}), 32, 0);
}

TEST(core_mean_std) {
  double x[] = {2, 4, 4, 4, 5, 5, 7, 9};
  gl_meanstd m = gl_mean_std(x, 8);
  CHECK_NEAR(m.mean, 5.0, 1e-12);
  CHECK_NEAR(m.std, sqrt(32.0 / 7), 1e-12);
}

TEST(core_atomic_file) {
  const char *p = gl_test_path("atomic.txt");
  gl_afile a;
  CHECK_OK(gl_afile_open(&a, p));
  fputs("half", a.f);
  CHECK(!gl_file_exists(p)); /* nothing visible before the commit */
  gl_afile_abort(&a);
  CHECK(!gl_file_exists(p));
  CHECK_OK(gl_afile_open(&a, p));
  fputs("whole", a.f);
  CHECK_OK(gl_afile_commit(&a));
  char *d;
  size_t n;
  CHECK_OK(gl_read_file(p, &d, &n));
  CHECK(n == 5 && strcmp(d, "whole") == 0);
  free(d);
  CHECK_ERR(gl_afile_open(&a, "/nonexistent-dir/x.txt"), GL_EIO,
            "/nonexistent-dir/x.txt");
  CHECK_ERR(gl_read_file(gl_test_path("missing"), &d, &n), GL_EIO, "missing");
  CHECK_ERR(gl_read_file(gl_test_tmp(), &d, &n), GL_EIO, "not a regular file");
}

TEST(core_json_writer) {
  const char *p = gl_test_path("j.json");
  FILE *f = fopen(p, "w");
  gl_json j;
  gl_json_init(&j, f);
  gl_json_begin_object(&j, NULL);
  gl_json_string(&j, "name", "a\"b");
  gl_json_begin_array(&j, "v");
  gl_json_number(&j, NULL, 0.5);
  gl_json_int(&j, NULL, 3);
  gl_json_end_array(&j);
  gl_json_begin_object(&j, "empty");
  gl_json_end_object(&j);
  gl_json_bool(&j, "ok", true);
  gl_json_number(&j, "nan", NAN);
  gl_json_end_object(&j);
  gl_json_finish(&j);
  fclose(f);
  char *d;
  size_t n;
  CHECK_OK(gl_read_file(p, &d, &n));
  const char *want =
      "{\n  \"name\": \"a\\\"b\",\n  \"v\": [\n    0.5,\n    3\n  ],\n"
      "  \"empty\": {},\n  \"ok\": true,\n  \"nan\": null\n}\n";
  CHECK_MSG(strcmp(d, want) == 0, "got:\n%s", d);
  free(d);
}

TEST(core_strict_parsing) {
  long l;
  double d;
  CHECK(gl_parse_long("42", 0, 100, &l) && l == 42);
  CHECK(!gl_parse_long("42x", 0, 100, &l));
  CHECK(!gl_parse_long("", 0, 100, &l));
  CHECK(!gl_parse_long("101", 0, 100, &l));
  CHECK(!gl_parse_long("99999999999999999999", 0, 100, &l));
  CHECK(gl_parse_double("0.5", 0, 1, &d) && d == 0.5);
  CHECK(!gl_parse_double("nan", -1e9, 1e9, &d));
  CHECK(!gl_parse_double("1e400", -1e9, 1e9, &d));
  CHECK(!gl_parse_double("-0.1", 0, 1, &d));
}

TEST(core_alloc_overflow_reports) {
  gl_errclear();
  void *p = gl_malloc(SIZE_MAX / 2, 4);
  CHECK(p == NULL);
  CHECK(strstr(gl_errmsg(), "overflows") != NULL);
}

TEST(core_alloc_fail_after) {
  /* the test countdown fails the n-th allocation of this thread, once,
   * with the message of a real failure, and not another thread's */
  gl_alloc_fail_after(2);
  void *a = gl_malloc(4, 4);
  CHECK(a != NULL);
  CHECK_ERR(gl_calloc(4, 4) ? GL_OK : GL_ENOMEM, GL_ENOMEM, "out of memory");
  void *b = gl_realloc(a, 8, 4);
  CHECK(b != NULL);
  free(b);
  gl_alloc_fail_after(1);
  gl_alloc_fail_after(0); /* off */
  b = gl_malloc(1, 1);
  CHECK(b != NULL);
  free(b);
}

/* A run's state: fields round-trip by name, size and count; a string
 * written by other objects, cut, or with a field of another size is a
 * clear error, and so is a random stream of zeros or a changed setting. */
TEST(core_state_round_trip_and_errors) {
  gl_state s;
  gl_state_save_init(&s);
  int epoch = 7;
  double hist[3] = {1.5, -2, 3.25};
  gl_rng r;
  gl_rng_seed(&r, 9);
  const int setting = 4;
  CHECK_OK(gl_state_same(&s, "setting", &setting, sizeof setting, "width"));
  CHECK_OK(GL_STATE_VAR(&s, "epoch", epoch));
  CHECK_OK(gl_state_io(&s, "hist", hist, sizeof *hist, 3));
  CHECK_OK(gl_state_rng(&s, "rng", &r, 1));
  /* loaded back: the same values */
  int e2 = 0, other = 5;
  double h2[3] = {0};
  gl_rng r2;
  memset(&r2, 0, sizeof r2);
  gl_state l;
  gl_state_load_init(&l, s.buf, s.len);
  CHECK_OK(gl_state_same(&l, "setting", &setting, sizeof setting, "width"));
  CHECK_OK(GL_STATE_VAR(&l, "epoch", e2));
  CHECK_OK(gl_state_io(&l, "hist", h2, sizeof *h2, 3));
  CHECK_OK(gl_state_rng(&l, "rng", &r2, 1));
  CHECK_OK(gl_state_end(&l));
  CHECK_EQ(e2, 7);
  CHECK(!memcmp(hist, h2, sizeof hist) && !memcmp(&r, &r2, sizeof r));
  /* another setting; another field; another count; bytes left; cut */
  gl_state_load_init(&l, s.buf, s.len);
  CHECK_ERR(gl_state_same(&l, "setting", &other, sizeof other, "width"),
            GL_EINVAL, "the run was saved with other width");
  gl_state_load_init(&l, s.buf, s.len);
  CHECK_ERR(GL_STATE_VAR(&l, "step", e2), GL_EFORMAT,
            "expected 'step', found 'setting'");
  gl_state_load_init(&l, s.buf, s.len);
  CHECK_OK(gl_state_same(&l, "setting", &setting, sizeof setting, "width"));
  CHECK_OK(GL_STATE_VAR(&l, "epoch", e2));
  CHECK_ERR(gl_state_io(&l, "hist", h2, sizeof *h2, 2), GL_EFORMAT,
            "'hist' holds 3 values of 8 bytes, expected 2 of 8");
  gl_state_load_init(&l, s.buf, s.len);
  CHECK_OK(gl_state_same(&l, "setting", &setting, sizeof setting, "width"));
  CHECK_ERR(gl_state_end(&l), GL_EFORMAT, "bytes left unread");
  gl_state_load_init(&l, s.buf, s.len - 3);
  CHECK_OK(gl_state_same(&l, "setting", &setting, sizeof setting, "width"));
  CHECK_OK(GL_STATE_VAR(&l, "epoch", e2));
  CHECK_OK(gl_state_io(&l, "hist", h2, sizeof *h2, 3));
  CHECK_ERR(gl_state_rng(&l, "rng", &r2, 1), GL_EFORMAT, "truncated at 'rng'");
  /* a stream of zeros is refused */
  gl_state z;
  gl_state_save_init(&z);
  gl_rng zero;
  memset(&zero, 0, sizeof zero);
  CHECK_OK(gl_state_rng(&z, "rng", &zero, 1));
  gl_state_load_init(&l, z.buf, z.len);
  CHECK_ERR(gl_state_rng(&l, "rng", &r2, 1), GL_EFORMAT, "stream of zeros");
  /* as a file: written atomically, read back; cut or garbled: refused */
  const char *path = gl_test_path("run.state");
  CHECK_OK(gl_state_write(&s, path));
  char *data;
  CHECK_OK(gl_state_read(&l, path, &data));
  CHECK(l.len == s.len && !memcmp(l.buf, s.buf, s.len));
  free(data);
  char *bytes;
  size_t size;
  CHECK_OK(gl_read_file(path, &bytes, &size));
  FILE *f = fopen(path, "wb");
  fwrite(bytes, 1, size - 1, f);
  fclose(f);
  CHECK_ERR(gl_state_read(&l, path, &data), GL_EFORMAT, "truncated");
  bytes[20] ^= 1;
  f = fopen(path, "wb");
  fwrite(bytes, 1, size, f);
  fclose(f);
  CHECK_ERR(gl_state_read(&l, path, &data), GL_EFORMAT, "checksum");
  CHECK_ERR(gl_state_read(&l, gl_test_write("x.txt", "hello world, no state"),
                          &data), GL_EFORMAT, "not a glearn state file");
  free(bytes);
  gl_state_free(&z);
  gl_state_free(&s);
}
