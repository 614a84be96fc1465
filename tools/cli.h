/* Shared pieces of the command-line tools: usage errors, option values,
 * atomic output files that an interrupt cleans up, and result tables. */
#ifndef GL_CLI_H
#define GL_CLI_H

#include "glearn.h"

/* Exit codes of every tool. */
enum { GL_EXIT_OK = 0, GL_EXIT_FAIL = 1, GL_EXIT_USAGE = 2 };

/* Prints "<prog>: error: <msg>" on stderr and exits with `code`, removing
 * any output file still open. */
void gl_cli_die(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
/* Dies with the library's message; GL_EFORMAT/GL_EINVAL/GL_ENOTFOUND/
 * GL_EIO-on-input are bad input (exit 2), the rest failures (exit 1). */
void gl_cli_die_status(gl_status st, const char *what)
    __attribute__((noreturn));
void gl_cli_init(const char *prog); /* installs the SIGINT/SIGTERM cleanup */
/* --version: prints "<prog> (glearn) <gl_version()>" and exits 0. */
void gl_cli_version(void) __attribute__((noreturn));
/* OMP_WAIT_POLICY=passive unless the environment sets one: the tools link
 * libglearn-passive.so (tools/omp-passive.c), which sets it before libgomp
 * starts. */

/* Option values: die with exit 2 and a message naming the option. */
long gl_cli_long(const char *opt, const char *v, long lo, long hi);
double gl_cli_double(const char *opt, const char *v, double lo, double hi);
/* Loads a dataset for node classification (gl_dataset_load), or dies: a
 * bad name or file, or no single-label classes and features. */
void gl_cli_load_classes(gl_dataset *d, const char *name, const char *dir,
                         uint64_t split_seed);
/* --split: "standard" (split[0] = 0) or TRAIN,VAL fractions of the
 * labelled nodes with a sum below 1; dies otherwise. */
void gl_cli_split(const char *opt, const char *v, double split[2]);
/* Returns the value of option argv[*i] (advancing *i), or dies. */
const char *gl_cli_value(int argc, char **argv, int *i);

/* An output file written atomically (core's gl_afile: a temporary beside
 * it renamed over it; a device or FIFO written directly): registered so
 * that an interrupt or a fatal error removes its temporary file.  Failing
 * to open, write or commit an output exits 1 (an I/O failure). */
typedef struct gl_cli_out gl_cli_out;
gl_cli_out *gl_cli_out_open(const char *path); /* dies on failure */
FILE *gl_cli_out_file(gl_cli_out *o);
void gl_cli_out_commit(gl_cli_out *o); /* dies on failure */
/* Dies with exit 1 and the library's message for an output the library
 * wrote itself (gl_npz_write, gl_npy_write). */
void gl_cli_die_output(gl_status st, const char *what)
    __attribute__((noreturn));
/* Checks up front that `path` can be created (its folder exists, a
 * temporary can be made there, it is no folder), so that a long run does
 * not fail at the end; dies with exit 2 otherwise. */
void gl_cli_check_writable(const char *opt, const char *path);
/* gl_cli_check_writable for each {option, path} given (path NULL: not
 * given), and no two of them the same file (any spelling, symlinks, hard
 * links; devices and FIFOs may repeat): exit 2 otherwise. */
void gl_cli_check_outputs(const char *const (*outs)[2], int n);

/* A line plot as SVG: each series a polyline (or, with points, markers)
 * of its n points (x, y); non-finite points, and on a log axis those <= 0,
 * are skipped.  Axes with ticks (powers of 10 on a log axis), labels, a
 * legend.  Nothing is drawn for a series with no point left. */
typedef struct {
  const char *name;
  const double *x, *y;
  int n;
  bool points; /* markers instead of a line */
} gl_plot_series;
void gl_cli_plot_svg(FILE *f, const char *title, const char *xlabel,
                     const char *ylabel, bool logx, bool logy,
                     const gl_plot_series *s, int ns);

#endif
