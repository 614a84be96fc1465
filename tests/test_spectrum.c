/* The Hessian spectrum against the batch size (optim's
 * gl_batch_fit_lmax): fits of synthetic power laws whose exponents are
 * known, and every bad argument. */
#include "tests/test.h"

/* ------------------------------------------------------------- the fits */
TEST(spectrum_fit_power_laws) {
  /* lambda_max(B) = 0.05 + 0.3 (1/B - 1/N)^0.8 exactly: the excess line
   * has slope 0.8 and intercept log 0.3 through all six sizes */
  enum { N = 1000 };
  const double b[6] = {4, 8, 16, 32, 64, 128};
  double l[6];
  for (int i = 0; i < 6; i++)
    l[i] = 0.05 + 0.3 * pow(1.0 / b[i] - 1.0 / N, 0.8);
  gl_batch_fit f;
  CHECK_OK(gl_batch_fit_lmax(b, l, 6, N, 0.05, &f));
  CHECK_EQ(f.n_excess, 6);
  CHECK_NEAR(f.excess, 0.8, 1e-12);
  CHECK_NEAR(f.excess_icept, log(0.3), 1e-12);
  CHECK(f.exponent > 0 && f.exponent < 0.8); /* flattened by the floor */
  /* lambda_max(B) = 2 B^-0.5: the power line; every size below a full
   * value of 10, so no excess line */
  for (int i = 0; i < 6; i++) l[i] = 2 / sqrt(b[i]);
  CHECK_OK(gl_batch_fit_lmax(b, l, 6, N, 10, &f));
  CHECK_NEAR(f.exponent, 0.5, 1e-12);
  CHECK_NEAR(f.exponent_icept, log(2), 1e-12);
  CHECK_EQ(f.n_excess, 0);
  CHECK(isnan(f.excess) && isnan(f.excess_icept));
  /* by hand: lambda_max 4 at B = 2 and 1 at B = 8 is 8 / B; with a full
   * value of 0.5 at N = 10 the excess line goes through
   * (log(1/2 - 1/10), log 3.5) and (log(1/8 - 1/10), log 0.5) */
  const double b2[2] = {2, 8}, l2[2] = {4, 1};
  CHECK_OK(gl_batch_fit_lmax(b2, l2, 2, 10, 0.5, &f));
  CHECK_NEAR(f.exponent, 1, 1e-14);
  CHECK_NEAR(f.exponent_icept, log(8), 1e-14);
  CHECK_EQ(f.n_excess, 2);
  const double slope = (log(0.5) - log(3.5)) / (log(0.025) - log(0.4));
  CHECK_NEAR(f.excess, slope, 1e-14);
  CHECK_NEAR(f.excess_icept, log(3.5) - slope * log(0.4), 1e-14);
  /* only the sizes above the full value count (equal is not above) */
  const double b3[3] = {2, 4, 8}, l3[3] = {4, 2, 0.5};
  CHECK_OK(gl_batch_fit_lmax(b3, l3, 3, 10, 0.5, &f));
  CHECK_EQ(f.n_excess, 2);
  const double s3 = (log(1.5) - log(3.5)) / (log(0.15) - log(0.4));
  CHECK_NEAR(f.excess, s3, 1e-14);
  /* one of them is no line */
  CHECK_OK(gl_batch_fit_lmax(b2, l2, 2, 10, 2, &f));
  CHECK_EQ(f.n_excess, 1);
  CHECK(isnan(f.excess));
  CHECK_NEAR(f.exponent, 1, 1e-14);
}

TEST(spectrum_fit_degenerate_and_bad) {
  gl_batch_fit f;
  const double b[3] = {8, 8, 8}, l[3] = {3, 2, 1};
  /* one abscissa: no line; no sizes at all: nothing, and fine */
  CHECK_OK(gl_batch_fit_lmax(b, l, 3, 100, 0.5, &f));
  CHECK(isnan(f.excess) && isnan(f.exponent) && isnan(f.exponent_icept));
  CHECK_EQ(f.n_excess, 3);
  CHECK_OK(gl_batch_fit_lmax(NULL, NULL, 0, 100, 0.5, &f));
  CHECK(isnan(f.excess) && isnan(f.exponent) && f.n_excess == 0);
  /* a lambda_max that is not positive has no logarithm */
  const double b2[2] = {4, 16}, l2[2] = {1, 0};
  CHECK_OK(gl_batch_fit_lmax(b2, l2, 2, 100, 0.5, &f));
  CHECK(isnan(f.exponent) && isnan(f.exponent_icept) && isnan(f.excess));
  CHECK_EQ(f.n_excess, 1);
  CHECK_ERR(gl_batch_fit_lmax(b2, l2, -1, 100, 0, &f), GL_EINVAL,
            "-1 sizes");
  CHECK_ERR(gl_batch_fit_lmax(NULL, l2, 2, 100, 0, &f), GL_EINVAL,
            "no values");
  CHECK_ERR(gl_batch_fit_lmax(b2, l2, 2, 16, 0, &f), GL_EINVAL,
            "batch size 16 is not in [1, 16)");
  const double b3[2] = {0.5, 4};
  CHECK_ERR(gl_batch_fit_lmax(b3, l2, 2, 16, 0, &f), GL_EINVAL,
            "batch size 0.5");
}
