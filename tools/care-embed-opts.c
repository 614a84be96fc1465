/* care-embed's options: one table for its usage line, --help and parser. */
#include "tools/care-embed-opts.h"

#include <stddef.h>
#include <string.h>

const char *const care_embed_methods[] = {"care", "deepwalk", "node2vec",
                                          NULL};
const char *const care_embed_comms[] = {"louvain", "leiden", NULL};
const char *const care_embed_tasks[] = {"none", "classify", "link", NULL};
const char *const care_embed_formats[] = {"w2v", "npy", NULL};
const char *const care_embed_optims[] = {"sgd", "spectral-sgd", NULL};

static void about(FILE *f) {
  fputs(
"Learns node embeddings from random walks with skip-gram and negative\n"
"sampling: CARE (community-aware paths, Keikha et al.), DeepWalk or\n"
"node2vec.\n\n", f);
  gl_cli_item(f, "DATASET", "a registered name (%s) or a path to a GMNN "
              "folder, an .npz, a .mat or an edge list; or --edgelist FILE "
              "instead", gl_dataset_names());
}

#define O(f) offsetof(options, f)
static const gl_cli_opt opts[] = {
    {.help = "walks:"},
    {"--method", "M", GL_CLI_CHOICE, O(method),
     .choices = care_embed_methods, .def = "care",
     .help = "care, deepwalk or node2vec"},
    {"--walks", "N", GL_CLI_INT, O(walk.walks_per_node), 1, 100000,
     .def = "10", .help = "walks starting at every node"},
    {"--length", "N", GL_CLI_INT, O(walk.length), 2, 1000000, .def = "80",
     .help = "nodes a walk (at least 2: a pair)"},
    {"--alpha", "X", GL_CLI_DOUBLE, O(walk.alpha), 0, 1, .def = "0.9",
     .help = "care: probability of a neighbour step; otherwise a jump "
             "within the community"},
    {"--communities", "C", GL_CLI_CHOICE, O(communities),
     .choices = care_embed_comms, .def = "louvain",
     .help = "care: louvain or leiden (igraph)"},
    {"--p", "X", GL_CLI_DOUBLE, O(walk.p), 1e-9, 1e9, .def = "1",
     .help = "node2vec: return parameter"},
    {"--q", "X", GL_CLI_DOUBLE, O(walk.q), 1e-9, 1e9, .def = "1",
     .help = "node2vec: in-out parameter"},
    {.help = "skip-gram:"},
    {"--dim", "N", GL_CLI_INT, O(sg.dim), 1, 65536, .def = "128",
     .help = "embedding size"},
    {"--window", "N", GL_CLI_INT, O(sg.window), 1, 1000, .def = "10",
     .help = "context nodes on each side"},
    {"--negative", "N", GL_CLI_INT, O(sg.negative), 0, 1000, .def = "5",
     .help = "negatives per pair"},
    {"--epochs", "N", GL_CLI_INT, O(sg.epochs), 1, 100000, .def = "1",
     .help = "passes over the walks"},
    {"--lr", "X", GL_CLI_DOUBLE, O(sg.lr), 1e-9, 10, .def = "0.025",
     .help = "starting learning rate, decayed linearly"},
    {"--optim", "O", GL_CLI_CHOICE, O(optim), .choices = care_embed_optims,
     .def = "sgd",
     .help = "sgd (the rate --lr) or spectral-sgd: the rate from the "
             "Hessian of a step's updates by Lanczos, every "
             "1/--spectral-segments of an epoch (Granziol et al.'s 2 / "
             "(lambda_max + median)), decayed linearly; a segment that "
             "raises the loss is redone at half the rate (twice the "
             "vectors' memory)"},
    {"--spectral-segments", "N", GL_CLI_INT, O(sg.spectral_segments), 1,
     1000000, .def = "20", .help = "spectral-sgd: estimates an epoch"},
    {"--sync-segments", "N", GL_CLI_INT, O(sg.sync_segments), 1, 1000000,
     .def = "1000", .help = "under mpirun: the ranks synchronise their "
                            "vectors (their changes summed) at the end of "
                            "each of N parts of every epoch"},
    {"--sample", "X", GL_CLI_DOUBLE, O(sg.sample), 0, 1, .def = "1e-3",
     .help = "frequent-node subsampling threshold (0: off)"},
    {.help = "run:"},
    {"--edgelist", "FILE", GL_CLI_STR, O(edgelist),
     .help = "the graph as an edge list (\"u v [w]\" lines), instead of "
             "DATASET"},
    {"--directed", NULL, GL_CLI_FLAG, O(directed),
     .help = "--edgelist: the edges are directed"},
    {"--task", "T", GL_CLI_CHOICE, O(task), .choices = care_embed_tasks,
     .def = "none",
     .help = "none (embeddings only), classify (node classification: "
             "one-vs-rest logistic regression on 10%..90% of the labelled "
             "nodes, Micro/Macro-F1 averaged over --eval-runs splits) or "
             "link (link prediction: embed the graph without --hold of its "
             "edges, kept connected; logistic regression on edge features; "
             "ROC-AUC on the held-out edges and as many non-edges)"},
    {"--eval-runs", "N", GL_CLI_INT, O(eval_runs), 1, 1000, .def = "10",
     .help = "classify: random splits per fraction"},
    {"--embeddings", "F.npy", GL_CLI_STR, O(embeddings),
     .help = "classify: score these vectors (n x dim, from any tool) "
             "instead of learning them"},
    {"--hold", "X", GL_CLI_DOUBLE, O(hold), 0.01, 0.99, .def = "0.5",
     .help = "link: share of the edges held out"},
    {"--threads", "N", GL_CLI_INT, O(threads), 1, 1024, .def = "all cores",
     .help = "threads; walks are the same for any count, skip-gram threads "
             "race (Hogwild)"},
    {"--seed", "S", GL_CLI_U64, O(seed), 0, (double)(1L << 62), .def = "1",
     .help = "seed of the walks, communities and training"},
    {"--data", "DIR", GL_CLI_STR, O(data_dir),
     .help = "folder holding the datasets"},
    {"--checkpoint", "FILE", GL_CLI_STR, O(sg.checkpoint),
     .help = "write the run's state to FILE (atomically) every N passes "
             "(--checkpoint-every)"},
    {"--checkpoint-every", "N", GL_CLI_INT, O(sg.checkpoint_every), 1, 100000,
     .def = "1", .help = "the N of --checkpoint"},
    {"--resume", "FILE", GL_CLI_STR, O(sg.resume),
     .help = "continue the run saved in FILE"},
    {.help = "output:"},
    {"--out", "FILE", GL_CLI_STR, O(out),
     .help = "the embeddings: word2vec text (node id, then the vector, a "
             "line each) or numpy .npy (n x dim float32)"},
    {"--format", "F", GL_CLI_CHOICE, O(format), .choices = care_embed_formats,
     .def = "npy for a .npy name, else w2v", .help = "w2v or npy"},
    {"--json", "FILE", GL_CLI_STR, O(json), .help = "results as JSON"},
    {"--save-walks", "FILE", GL_CLI_STR, O(save_walks),
     .help = "the walks as text, a walk a line (node ids)"},
    {"--stream", NULL, GL_CLI_FLAG, O(stream),
     .help = "draw the walks as skip-gram needs them instead of storing "
             "them (for corpora larger than memory)"},
    {"--quiet", NULL, GL_CLI_FLAG, O(quiet),
     .help = "no progress or summary lines (the result table stays)"},
    GL_CLI_HELP_VERSION(options),
};
#undef O

const gl_cli_tool care_embed_tool = {
    "care-embed", "DATASET", opts, sizeof opts / sizeof *opts, about,
    NULL};

gl_status care_embed_parse(int argc, char **argv, options *o) {
  memset(o, 0, sizeof *o);
  o->seed = 1;
  o->eval_runs = 10;
  o->hold = 0.5;
  o->format = -1; /* by --out's name */
  o->walk = gl_walk_defaults();
  o->sg = gl_sgns_defaults();
  gl_cli_args a = {.pos = &o->dataset, .max_pos = 1};
  GL_TRY(gl_cli_parse(&care_embed_tool, argc, argv, o, &a));
  if (o->help || o->version) return GL_OK;
  if (!o->dataset == !o->edgelist)
    return gl_error(GL_EINVAL, o->dataset ? "give a dataset or --edgelist, "
                    "not both" : "no dataset given (see --help)");
  if (o->directed && !o->edgelist)
    return gl_error(GL_EINVAL, "--directed applies to --edgelist only");
  static const gl_walk_kind kinds[] = {GL_WALK_CARE, GL_WALK_DEEPWALK,
                                       GL_WALK_NODE2VEC};
  o->walk.kind = kinds[o->method];
  o->sg.spectral = o->optim == OPTIM_SPECTRAL_SGD;
  if (o->sg.checkpoint_every && !o->sg.checkpoint)
    return gl_error(GL_EINVAL, "--checkpoint-every: needs --checkpoint FILE");
  if (o->stream && o->save_walks)
    return gl_error(GL_EINVAL, "--stream keeps no walks to --save-walks");
  if (o->embeddings && o->task != TASK_CLASSIFY)
    return gl_error(GL_EINVAL, "--embeddings: only with --task classify "
                    "(link prediction learns its vectors on the residual "
                    "graph)");
  if (o->format < 0) {
    const size_t len = o->out ? strlen(o->out) : 0;
    o->format = len > 4 && !strcmp(o->out + len - 4, ".npy") ? FORMAT_NPY
                                                             : FORMAT_W2V;
  }
  o->walk.seed = o->seed;
  o->sg.seed = o->seed;
  o->sg.threads = o->threads;
  o->sg.progress = !o->quiet;
  return GL_OK;
}
