/* Shared pieces of the command-line tools: usage errors, the option tables
 * that give each tool its usage line, --help and parser, atomic output
 * files that an interrupt cleans up, and plots. */
#ifndef GL_CLI_H
#define GL_CLI_H

#include <stddef.h>

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
/* A distributed run (gnn-train under mpirun): from here on gl_cli_die
 * names the rank ("rank R: ...") and stops every rank (gl_dist_abort),
 * for a failure of this rank alone. */
void gl_cli_distributed(gl_dist *d);
/* For a failure every rank has met alike (gl_dist_agree, or a check of
 * the same options): rank 0 prints it, every rank finalises MPI and exits
 * with `code`.  Without gl_cli_distributed, gl_cli_die. */
void gl_cli_die_all(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
void gl_cli_init(const char *prog); /* installs the SIGINT/SIGTERM cleanup */
/* --version: prints "<prog> (glearn) <gl_version()>" and exits 0. */
void gl_cli_version(void) __attribute__((noreturn));
/* OMP_WAIT_POLICY=passive unless the environment sets one: the tools link
 * libglearn-passive.so (tools/omp-passive.c), which sets it before libgomp
 * starts. */

/* Loads a dataset for node classification (gl_dataset_load), or dies: a
 * bad name or file, or no single-label classes and features. */
void gl_cli_load_classes(gl_dataset *d, const char *name, const char *dir,
                         uint64_t split_seed);

/* ---------------------------------------------------------- options */
/* A tool's options are one table of gl_cli_opt, from which its usage line
 * (gl_cli_usage), its --help text (gl_cli_help) and its parser
 * (gl_cli_parse) all come.  An entry is an option or, with no name, a
 * heading of --help.  Parsing never exits: a bad option is GL_EINVAL with
 * one line naming it (gl_errmsg), for main to print. */
typedef enum {
  GL_CLI_FLAG,   /* no value: sets the bool field */
  GL_CLI_STOP,   /* no value: sets the bool field and ends the parse
                    (--help, --version) */
  GL_CLI_STR,    /* the value itself (const char *, into argv) */
  GL_CLI_INT,    /* int in [lo, hi] */
  GL_CLI_LONG,   /* long in [lo, hi] */
  GL_CLI_U64,    /* uint64_t in [lo, hi], lo >= 0 */
  GL_CLI_FLOAT,  /* float in [lo, hi] */
  GL_CLI_DOUBLE, /* double in [lo, hi] */
  GL_CLI_CHOICE, /* int: the value's index in `choices` */
  GL_CLI_FUNC    /* parse(opt, value, base) */
} gl_cli_kind;

typedef struct gl_cli_opt gl_cli_opt;
struct gl_cli_opt {
  const char *name;  /* "--epochs"; NULL: a heading of --help, `help` */
  const char *arg;   /* the value's name ("N"); NULL for FLAG and STOP */
  gl_cli_kind kind;
  size_t off;        /* the field: its offset in the target struct */
  double lo, hi;     /* INT to DOUBLE: the range (integers exact) */
  const char *const *choices; /* CHOICE: the names, NULL-terminated */
  /* FUNC: parses v into the struct at base; GL_EINVAL with a message
   * naming op->name */
  gl_status (*parse)(const gl_cli_opt *op, const char *v, void *base);
  const char *def;   /* the default --help shows (NULL: none) */
  const char *help;  /* --help's text, wrapped there */
  const char *alias; /* another name ("-h") */
  bool later;        /* checked when given, recorded and applied later
                        (gl_cli_apply) to another struct */
};

/* The entries of --help and --version, which set the bool fields `help`
 * and `version` of the struct `type`. */
#define GL_CLI_HELP_VERSION(type)                                              \
  {"--help", NULL, GL_CLI_STOP, offsetof(type, help), .alias = "-h",           \
   .help = "this help"},                                                       \
  {"--version", NULL, GL_CLI_STOP, offsetof(type, version),                    \
   .help = "the version of glearn"}

typedef struct {
  const char *prog, *args;   /* "gnn-train", the positionals "DATASET MODEL" */
  const gl_cli_opt *opts;
  int n_opts;
  void (*about)(FILE *f);    /* --help: the text after the usage line */
  void (*after)(FILE *f);    /* --help: the text after the options (NULL:
                                the exit statuses) */
} gl_cli_tool;

/* An option marked `later`, as given. */
typedef struct {
  const gl_cli_opt *opt;
  const char *value; /* "" for a flag */
} gl_cli_given;

/* What gl_cli_parse collects besides the fields. */
typedef struct {
  const char **pos; /* the positional arguments, up to max_pos */
  int max_pos, n_pos;
  void *later;      /* a scratch struct where `later` options are checked */
  gl_cli_given *given; /* the `later` options in order, up to max_given */
  int max_given, n_given;
} gl_cli_args;

/* Parses argv[1..argc) by t's table into the struct at `o` (fields of
 * `later` options: into a->later, and recorded in a->given).  An argument
 * not starting with '-' (or "-" itself) is positional.  GL_EINVAL with one
 * line for an unknown option, a missing or bad value, too many positionals
 * or options; nothing allocated. */
gl_status gl_cli_parse(const gl_cli_tool *t, int argc, char **argv, void *o,
                       gl_cli_args *a);
/* Parses v as option op into the struct at base; GL_EINVAL naming it. */
gl_status gl_cli_set(const gl_cli_opt *op, const char *v, void *base);
/* Applies the recorded options to `base`, in the order given. */
gl_status gl_cli_apply(const gl_cli_given *g, int n, void *base);
/* Whether option `name` is among the recorded ones. */
bool gl_cli_given_has(const gl_cli_given *g, int n, const char *name);
/* The usage line: "usage: PROG ARGS [--opt ARG] ...", wrapped. */
void gl_cli_usage(FILE *f, const gl_cli_tool *t);
/* --help: the usage line, about, every option (name, value, text,
 * default) under its heading, after. */
void gl_cli_help(FILE *f, const gl_cli_tool *t);
/* Text from column `col` wrapped before column 79, further lines indented
 * by `indent` ('\n' breaks a line); returns the column it ends at. */
int gl_cli_wrap(FILE *f, int col, int indent, const char *text);
/* An item of --help's about text: "  NAME     text", wrapped under
 * itself. */
void gl_cli_item(FILE *f, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* FUNC parsers shared by the tools.  A list of 1 to `max` comma-separated
 * integers in [lo, 2^30] ("1,2,3"); its count in *n. */
gl_status gl_cli_counts(const char *opt, const char *v, int *out, int max,
                        long lo, const char *what, int *n);
/* --split: "standard" (split[0] = 0) or TRAIN,VAL fractions of the
 * labelled nodes with a sum below 1, into the double[2] at base + off. */
gl_status gl_cli_split(const gl_cli_opt *op, const char *v, void *base);
/* The library's last message with text before and after it; returns st. */
gl_status gl_cli_reword(gl_status st, const char *before, const char *after);
/* main after its parse (st): on failure the message and exit 2 (1: out of
 * memory); for --help the help on stdout and for --version the version,
 * exit 0.  Returns when the tool is to run. */
void gl_cli_parsed(const gl_cli_tool *t, gl_status st, bool help,
                   bool version);

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
