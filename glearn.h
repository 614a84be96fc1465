/* glearn: graph learning in C.  One include for the whole library. */
#ifndef GLEARN_H
#define GLEARN_H

#include "core/core.h"
#include "datasets/datasets.h"
#include "dist/dist.h"
#include "embed/embed.h"
#include "gnn/gnn.h"
#include "graph/graph.h"
#include "optim/optim.h"
#include "sampler/sampler.h"

#endif
