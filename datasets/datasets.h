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
 *    mu=1 sigma=1 seed=1); powerlaw:n=..,m=..,d=..,c=..,seed=.. (the scale
 *    benchmark's graph: gl_gen_powerlaw with exponent 2.5, N(0, 1)
 *    features, labels of a random linear teacher, 10% of the nodes for
 *    training, 0.5% each for validation and test; defaults n=100000
 *    m=1000000 d=128 c=16 seed=1);
 *  - a path: a folder holding partition.json is a partition of
 *    gl_partition_write, its parts put together again (with their split);
 *    a folder holding net.txt is GMNN; *.npz, *.mat by extension,
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
/* The same from the bytes of an npz in memory (`path` names it in
 * messages). */
gl_status gl_npz_read_buffer(gl_npz *z, const char *path, const void *buf,
                             size_t size);
/* Finds a readable member: GL_ENOTFOUND if absent, GL_EFORMAT with
 * "<path>: member <name> <skipped>" for a skipped one. */
gl_status gl_npz_find(const gl_npz *z, const char *name, const gl_array **out);
/* As gl_npz_find, returning NULL (with the message set) on failure. */
const gl_array *gl_npz_get(const gl_npz *z, const char *name);
void gl_npz_free(gl_npz *z);
/* An array to write: `name`, n elements of `data` (borrowed), ndim 0
 * (a scalar, n = 1), 1 (shape n) or more (shape[0] = n; the caller sets
 * the other dimensions). */
gl_array gl_array_of(const char *name, gl_dtype t, int ndim, int64_t n,
                     void *data);
/* Writes the arrays as an uncompressed npz that numpy.load opens; atomic. */
gl_status gl_npz_write(const char *path, const gl_array *arrays, int n);
/* A single .npy file; gl_npy_read fails on dtypes it cannot read.  Free the
 * array read with free(a->data). */
gl_status gl_npy_read(gl_array *a, const char *path);
gl_status gl_npy_write(const char *path, const gl_array *a);

/* ---------------------------------------------------------- downloads */
/* Datasets that do not ship with glearn are downloaded (libcurl) from
 * gl_data_url(info) into a data folder and checked before they are put in
 * place: nothing appears under a dataset's file name unless its size and
 * SHA-256 matched what the registry records. */

/* $GLEARN_DATA_URL when set, else GL_DATA_URL_DEFAULT: the gnn-benchmark
 * commit whose bytes the registry's checksums record. */
#define GL_DATA_URL_DEFAULT                                                    \
  "https://raw.githubusercontent.com/shchur/gnn-benchmark/"                    \
  "1e72912a0810cdf27ae54fd589a3b43358a2b161"
const char *gl_data_url_base(void);
/* A dataset's URL: gl_data_url_base() + "/" + info->url.  GL_EINVAL for a
 * shipped dataset (nothing to fetch) or a URL longer than cap. */
gl_status gl_data_url(const gl_dataset_info *info, char *out, size_t cap);
/* SHA-256 of a file's bytes, read in chunks (any size), as 64 lowercase hex
 * digits and a NUL; its size into *size when non-NULL.  GL_EIO naming the
 * file when it cannot be read. */
gl_status gl_data_sha256(const char *path, char hex[65], int64_t *size);

/* What gl_data_verify (and a fetch) found and checked of a file. */
typedef struct {
  int64_t size;      /* bytes (of the content, for a .gz); -1: a folder */
  char sha256[65];   /* their SHA-256 ("" when nothing is recorded: the
                        file is then not read) */
  bool size_checked; /* the registry records a size and it matched */
  bool sha_checked;  /* the registry records a SHA-256 and it matched */
} gl_data_check;
/* Checks the present file `path` of dataset `info` against the registry:
 * its size when recorded, then its SHA-256 when recorded (a path ending in
 * .gz is checked by its inflated content).  GL_OK when all that is
 * recorded matches, also when nothing is (both flags false: "no checksum
 * recorded"); GL_EFORMAT naming the dataset, the file and both values on
 * a mismatch; GL_EIO when it cannot be read.  `out` may be NULL. */
gl_status gl_data_verify(const gl_dataset_info *info, const char *path,
                         gl_data_check *out);

/* Options of gl_data_fetch; zero (or a NULL pointer) gives the defaults. */
typedef struct {
  bool progress; /* a bar with the bytes on stderr (only on a terminal) */
  long timeout;  /* seconds allowed to connect, and without a byte received
                    before a transfer is abandoned; <= 0:
                    $GLEARN_FETCH_TIMEOUT, else 30 */
} gl_fetch_opts;
/* What gl_data_fetch did. */
typedef struct {
  char path[GL_DATA_PATH_MAX + 256]; /* dest_dir/info->file */
  bool present;     /* the file was there and verified: nothing fetched */
  int64_t resumed;  /* bytes kept from an earlier .part (0: from scratch) */
  int64_t received; /* bytes received by this call */
  gl_data_check check; /* the file in place */
} gl_fetch_result;
/* Downloads dataset `info` to dest_dir/info->file, creating the folders it
 * needs.  A file already there that verifies is kept (res->present).  The
 * bytes go to FILE.part; an existing .part is resumed with an HTTP range
 * request (a server that ignores ranges restarts it from zero; "range not
 * satisfiable" means the .part is complete or bad, and it is checked).
 * Redirects are followed.  When the transfer ends, the size (the
 * registry's, else the one the server announced) and the SHA-256 (when
 * recorded) are checked, and only then is the .part synced and renamed
 * into place.  A .part that fails a check is removed (a resumed one is
 * downloaded again from scratch, once); an interrupted, truncated or
 * stalled transfer keeps it, so that the next fetch resumes.  The .part is
 * locked (flock) while written: a second fetch of it fails meanwhile.
 * Errors, each a one-line message naming the dataset: GL_EINVAL for a
 * shipped dataset ("cora ships with glearn in data/; nothing to fetch") or
 * a bad $GLEARN_FETCH_TIMEOUT; GL_EFORMAT for a size or checksum mismatch;
 * GL_EIO for an HTTP status >= 400 (with the status and URL), a failed
 * connection, a timeout, a truncated transfer, a locked .part or a failed
 * write (with the file and the system's reason).  `opts` and `res` may be
 * NULL. */
gl_status gl_data_fetch(const gl_dataset_info *info, const char *dest_dir,
                        const gl_fetch_opts *opts, gl_fetch_result *res);

/* ---------------------------------------------------------- partitions */
/* A dataset cut into parts for distributed training (gl-partition; dist/
 * trains on them, one part a rank).  METIS k-way over the graph with three
 * balance constraints (METIS's multi-constraint partitioning): nodes,
 * training nodes and edges (each node weighted by its degree).  Nodes get
 * global ids part by part (part p owns the ids starts[p] ..
 * starts[p+1]-1, in the order of their original ids), and each part is a
 * file of its own, DIR/part-P.npz, with
 *  - its nodes' rows of the adjacency (every edge of theirs), columns in
 *    local ids: its own nodes first (0 .. n_own-1), then its halo, the
 *    1-hop neighbours owned by other parts (n_own .. n_own+n_halo-1, in
 *    global id order);
 *  - the features and labels of its own nodes,
 *    its own nodes of the training, validation and test sets (with their
 *    positions in the whole lists), every local node's degree in the whole
 *    graph (for the GCN normalisation), original and global ids, the halo's
 *    owners and the partitioning's key (a hash that every part of one
 *    partitioning shares),
 * and DIR/partition.json, the partition book: the parts' id ranges and
 * counts, the settings, and the SHA-256 of the source dataset's content.
 * Loading a part reads that part's file alone. */
typedef struct {
  int parts;     /* >= 1, at most the nodes */
  uint64_t seed; /* METIS's randomisation: 1 */
} gl_partition_opts;

/* What gl_partition_write made, for messages. */
typedef struct {
  gl_off edge_cut;       /* undirected edges between parts */
  gl_idx max_halo;       /* the largest part's halo */
  double imbalance[3];   /* nodes, training nodes, edges: max part / mean */
  char sha256[65];       /* of the source dataset's content */
  double seconds;        /* METIS and writing */
} gl_partition_stats;

/* Partitions d into `dir`, which must not exist or be an empty folder: the
 * files are written to a temporary folder beside it, which is renamed to
 * `dir` once all are complete (nothing is left under `dir` on failure).
 * `source` names the dataset in the book.  GL_EINVAL for bad options or
 * a dataset without labels; GL_EIO naming the folder. */
gl_status gl_partition_write(const gl_dataset *d, const char *source,
                             const gl_partition_opts *o, const char *dir,
                             gl_partition_stats *out);
/* Whether `dir` is a folder holding a partition book (partition.json). */
bool gl_partition_is_dir(const char *dir);

/* One part as loaded.  `d` holds it as a dataset whose adjacency is
 * rectangular: d.adj is n_own x (n_own + n_halo) in local ids; d.x, d.y
 * (or d.ymulti) n_own rows;
 * d.train/val/test local ids of own nodes. */
typedef struct {
  int n_parts, part;
  uint64_t key;        /* the partitioning's: equal in all its parts */
  gl_idx n_global;     /* nodes of the whole graph */
  gl_idx n_own, n_halo;
  gl_idx *starts;      /* n_parts + 1: the global ids each part owns */
  gl_idx *orig;        /* n_own + n_halo: each local node's original id */
  gl_idx *gid;         /* n_own + n_halo: each local node's global id */
  gl_idx *owner;       /* n_halo: the part owning each halo node */
  double *deg;         /* n_own + n_halo: degrees (weights summed) in the
                          whole graph, self loops left out */
  gl_idx *train_pos, *val_pos, *test_pos; /* positions of d.train/val/test
                                             in the whole lists */
  gl_idx n_train_all, n_val_all, n_test_all; /* the whole lists' sizes */
  gl_dataset d;
} gl_part;
/* Reads part `part` of the partitioning in `dir` (GL_EFORMAT naming the
 * file for anything inconsistent, GL_EIO when it cannot be read). */
gl_status gl_part_load(gl_part *p, const char *dir, int part);
void gl_part_free(gl_part *p);
/* The whole dataset again from all the parts (original ids, the same
 * arrays as the dataset partitioned, split lists in their order). */
gl_status gl_partition_load_whole(gl_dataset *d, const char *dir);
/* SHA-256 of a dataset's content (graph, features, labels, split) as 64
 * hex digits: what the partition book records of its source. */
gl_status gl_dataset_sha256(const gl_dataset *d, char hex[65]);

#endif
