/* glearn datasets: loaders for the GMNN text format, gnn-benchmark .npz,
 * MATLAB v5 .mat and plain edge lists; a registry by name with a search
 * path; the standard splits.  Every loader checks its input and returns
 * GL_EFORMAT / GL_EIO with a message naming the file (and line) on bad data. */
#ifndef GL_DATASETS_H
#define GL_DATASETS_H

#include "core/core.h"
#include "graph/graph.h"

typedef struct {
  char name[64];
  gl_csr adj;       /* n x n, symmetric, unweighted or weighted, no self loops
                       (the GCN normalisation adds them) */
  gl_csr x;         /* n x n_features sparse features, rows normalised as GCN
                       does: each row sums to 1, or is empty (x.n == 0 when
                       the dataset has no features; csbm's signed Gaussian
                       features are kept as generated) */
  int32_t *y;       /* n labels in [0, n_classes), -1 = unknown; NULL when
                       multilabel */
  gl_csr ymulti;    /* n x n_classes membership pattern when multilabel */
  int n_classes;
  bool multilabel;
  gl_idx *train, *val, *test; /* split node ids (may be NULL: no split) */
  gl_idx n_train, n_val, n_test;
  bool split_drawn; /* the split was drawn (gl_split_per_class), not shipped:
                       a new seed may draw another */
  uint8_t *split_nodes; /* the nodes a drawn split may use (NULL: all): on
                           gnn-benchmark files, as Shchur et al., those of
                           the largest connected component in classes with
                           at least 20 + 30 of them */
} gl_dataset;

void gl_dataset_free(gl_dataset *d);
static inline gl_idx gl_dataset_n(const gl_dataset *d) { return d->adj.n; }

/* ---------------------------------------------------------- registry */
/* The datasets known by name that live in files: where a data folder holds
 * them, where they come from and how their bytes are checked.  Datasets
 * that are not shipped are fetched (glearn-data fetch NAME) from
 * gl_data_url_base() + "/" + url into the download cache. */
typedef struct {
  const char *name;   /* "coauthor-cs" */
  const char *file;   /* inside a data folder: "coauthor/ms_academic_cs.npz"
                         (GMNN: a folder) */
  const char *about;  /* one line: what it is */
  const char *url;    /* below the download base; NULL when shipped */
  const char *sha256; /* 64 hex digits of the checked bytes, or NULL */
  int64_t size;       /* bytes of the file, -1 when not checked */
  bool shipped;       /* in glearn's own data/ (compressed) */
} gl_dataset_info;
int gl_dataset_info_count(void);
const gl_dataset_info *gl_dataset_info_at(int i); /* NULL out of range */
/* The registered dataset called `name` (any case), or NULL. */
const gl_dataset_info *gl_dataset_info_find(const char *name);

/* The folders searched for datasets by name, in order: $GLEARN_DATA, the
 * shipped data/ (./data, and data/ beside the program's bin/), the
 * installed share/glearn/data beside the program or library, the download
 * cache (gl_data_cache_dir) and ../shared/datasets; each resolved and
 * listed once.  Fills dirs (and what[i], a label, when what is non-NULL)
 * and returns how many. */
#define GL_DATA_PATH_MAX 4096
int gl_data_dirs(char dirs[][GL_DATA_PATH_MAX], const char **what, int max);
/* Where downloads go: $GLEARN_DATA, else $XDG_CACHE_HOME/glearn, else
 * $HOME/.cache/glearn (not created here). */
gl_status gl_data_cache_dir(char *out, size_t cap);
/* Finds a registered dataset's file (or .gz) or folder in `data_dir`, or
 * on the search path when it is NULL: its path into out.  GL_EIO when it
 * is nowhere, with a message naming where it looked and, for a dataset
 * that is fetched, the glearn-data command that brings it. */
gl_status gl_dataset_locate(const gl_dataset_info *info, const char *data_dir,
                            char *out, size_t cap);

/* Resolves `name` and loads it:
 *  - registered names (any case; gl_dataset_info): cora, citeseer, pubmed
 *    (planetoid/<name>, GMNN), coauthor-cs, coauthor-physics and the other
 *    gnn-benchmark npz files, blogcatalog (blogcatalog/blogcatalog.mat);
 *    karate (igraph's Zachary
 *    graph, 34 nodes, no features, labels = the two factions of networkx's
 *    karate_club_graph), csbm or csbm:n=..,k=..,d=..,deg=..,pin=..,mu=..,
 *    sigma=..,seed=.. (gl_gen_csbm; defaults n=1000 k=2 d=16 deg=10 pin=0.8
 *    mu=1 sigma=1 seed=1);
 *  - a path: a folder holding net.txt is GMNN; *.npz, *.mat by extension,
 *    else by magic bytes; anything else is an undirected edge list.
 * Named datasets are searched on gl_data_dirs' path (`data_dir` non-NULL
 * replaces it); any file may be stored gzip-compressed as FILE.gz.
 * `split_seed` draws the 20/30-per-class split (gl_split_per_class) of an
 * npz file as Shchur et al. do (split_nodes: the largest connected
 * component, without the classes that have fewer than 50 nodes there), and
 * of any other single-label dataset without a shipped split whose classes
 * all have at least 50 nodes (otherwise it stays without a split, e.g.
 * karate).
 * Unknown names give GL_ENOTFOUND, a missing data file or folder GL_EIO.
 * `d` is overwritten (not freed first); on failure it is left zeroed. */
gl_status gl_dataset_load(gl_dataset *d, const char *name,
                          const char *data_dir, uint64_t split_seed);
/* Comma-separated list of the registered names, for --help. */
const char *gl_dataset_names(void);

/* ---------------------------------------------------------- loaders */
/* Every loader overwrites `d` and leaves it zeroed on failure; adjacencies
 * are symmetrised (edge lists: unless `directed`) with self loops dropped,
 * and weighted only when a weight other than 1 is present.  Node ids and
 * feature indices must be below 16 * (records in the file) + 2^22, so a
 * stray huge id is an error rather than a huge allocation. */
/* GMNN folder: net.txt, feature.txt, label.txt, train.txt, dev.txt, test.txt
 * (tab- or space-separated, '#' comments and blank lines ignored).  Integer
 * node ids are used as they are: n = 1 + the largest id of net.txt and
 * feature.txt; label and split ids must lie in [0, n), split nodes must be
 * labelled and appear in one split only.  Integer labels are the class ids;
 * labels that are all non-integers (class names) are numbered by first
 * appearance.  Feature rows are divided by their sums. */
gl_status gl_load_gmnn(gl_dataset *d, const char *dir);
/* gnn-benchmark npz: adj_{indptr,indices,shape} (read as a pattern, as the
 * benchmark's loaders binarise it; adj_data only checked for length),
 * optional attr_{indptr,indices,data,shape} and optional integer `labels`
 * (-1 = unlabelled).  Never unpickles; draws no split itself. */
gl_status gl_load_npz_dataset(gl_dataset *d, const char *path);
/* MATLAB v5 with `network` (sparse n x n) and `group` (sparse n x c): a
 * multi-label dataset (ymulti) without features or split. */
gl_status gl_load_mat(gl_dataset *d, const char *path);
/* Plain edge list: "u v [w]" a line (spaces, tabs or commas), '#' comments,
 * blank lines ignored; n = max id + 1; weights finite and > 0. */
gl_status gl_load_edgelist(gl_dataset *d, const char *path, bool directed);

/* ---------------------------------------------------------- splits */
/* Per class: `per_train` random labelled nodes for training, `per_val` for
 * validation, the rest for test (Shchur et al.); only d->split_nodes when
 * set; each list sorted, any previous split freed.  Classes with fewer than
 * per_train + per_val such nodes (but none) and datasets without single
 * labels are an error (GL_EINVAL). */
gl_status gl_split_per_class(gl_dataset *d, int per_train, int per_val,
                             uint64_t seed);

/* A random split of the labelled nodes by fractions (FastGCN's and
 * MVS-GNN's larger training sets): round(train_frac * labelled) for
 * training, round(val_frac * labelled) for validation, the rest for test;
 * each list sorted, any previous split freed.  GL_EINVAL for fractions
 * outside train > 0, val >= 0, train + val < 1, or an empty part. */
gl_status gl_split_random(gl_dataset *d, double train_frac, double val_frac,
                          uint64_t seed);

/* ---------------------------------------------------------- npy / npz */
/* Arrays read from or written to .npy / .npz (zip of .npy, members stored or
 * deflated, CRC-32 checked; no zip64).  Only numeric little-endian dtypes
 * ('<i4' '<i8' '<f4' '<f8' '|u1' '|b1', C order or 1-D) are read.  Reading
 * an .npz never fails because of a member of another dtype: such a member
 * (unicode names, a pickled object array '|O', ...) is listed with `skipped`
 * saying why and no data, and only asking for it (gl_npz_find) fails. */
typedef enum { GL_I32, GL_I64, GL_F32, GL_F64, GL_U8, GL_BOOL } gl_dtype;
size_t gl_dtype_size(gl_dtype t); /* bytes per element */
typedef struct {
  char name[128]; /* member name without ".npy" */
  gl_dtype dtype;
  int ndim;
  int64_t shape[4];
  int64_t count;     /* product of shape */
  void *data;        /* count elements of dtype (NULL when skipped) */
  char skipped[80];  /* "" when read; else why not, e.g. "is a pickled object
                        array; refusing to unpickle" (ignored when writing) */
} gl_array;
typedef struct {
  int n;
  gl_array *a;
  char *path; /* for messages */
} gl_npz;
gl_status gl_npz_read(gl_npz *z, const char *path);
/* Finds a readable member: GL_ENOTFOUND if absent, GL_EFORMAT with
 * "<path>: member <name> <skipped>" for a skipped one. */
gl_status gl_npz_find(const gl_npz *z, const char *name, const gl_array **out);
/* As gl_npz_find, returning NULL (with the message set) on failure. */
const gl_array *gl_npz_get(const gl_npz *z, const char *name);
void gl_npz_free(gl_npz *z);
/* Writes the arrays as an uncompressed npz that numpy.load opens; atomic. */
gl_status gl_npz_write(const char *path, const gl_array *arrays, int n);
/* A single .npy file; gl_npy_read fails on dtypes it cannot read.  Free the
 * array read with free(a->data). */
gl_status gl_npy_read(gl_array *a, const char *path);
gl_status gl_npy_write(const char *path, const gl_array *a);

#endif
