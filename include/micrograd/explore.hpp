// explore.hpp: backward one node at a time, as the lecture does it by hand, with every number of
// the chain rule: the data behind the interactive page (web/, `micrograd grad --html`).
//
// walk_backward(root) sets the grads of the nodes root reaches to 0, then root's to 1 (step 0),
// then does what backward_one() (the lecture's `_backward()`) does for each non-leaf reached node
// in the order backward() visits them (reverse creation order), one child at a time, and records
// for each child d root/d child += d root/d node * d node/d child with the three numbers and the
// grad after. A node whose grad is 0 passes nothing (as in backward()). The grads it leaves on
// the tape are backward()'s, bit for bit (a test checks).
// walkthrough_json() writes it, with the graph (draw.hpp's DOT) and each node's label, op and
// data, as JSON for the page. Not here: the page itself (web/).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "micrograd/draw.hpp"
#include "micrograd/value.hpp"

namespace micrograd {

// One child's share of a step: grad(child) += upstream * local.
struct ChainTerm {
  Tape::Index child;
  double upstream;      // d root/d node: the grad of the node being processed
  double local;         // d node/d child (ops.hpp's local derivative)
  double contribution;  // upstream * local, as backward adds it
  double grad_after;    // the child's grad after this step
};

// The processing of one node: step 0 is the root (its grad set to 1, no terms).
struct BackwardStep {
  Tape::Index node;
  std::vector<ChainTerm> terms;
};

struct Walkthrough {
  Tape::Index root;
  std::vector<Tape::Index> nodes;  // every node root reaches (root included), in creation order
  std::vector<BackwardStep> steps;
};

// Runs root's backward step by step (see above). Throws std::invalid_argument for a graph with a
// callback node (Python's `_backward`: its local derivatives are not known) or a fused neuron.
Walkthrough walk_backward(const Value& root);

// The walkthrough as one JSON object:
//   {"root": id, "dot": "...",
//    "nodes": [{"id", "label", "name", "op", "data", "grad", "children"}],
//    "steps": [{"node", "terms": [{"child", "upstream", "local", "contribution", "grad"}]}]}
// Ids (id, children, root, node, child, and the DOT's n0, n1, ...) are positions in `nodes`
// (creation order), so the text does not depend on where on the tape the graph was built.
// "name" is the label, or "out" for an unlabelled root and v1, v2, ... for unlabelled inner nodes
// (the DOT shows the names; the graph's labels are left as they were). "grad" of a node is its
// final one; numbers that are not finite are the strings "inf", "-inf", "nan" (JSON has no such
// numbers). Calls walk_backward(root); `options` shape the DOT.
std::string walkthrough_json(const Value& root, const DotOptions& options = {});

// root's graph as statements that parse_statements() rebuilds node for node: every leaf a
// variable (in `variables`, in creation order), every op node one statement `NAME = a*b`,
// `NAME = tanh(a)`, `NAME = a**2`, ... in creation order, root's last. Names: a node's label when
// it is an identifier (not a function name), made unique; otherwise v1, v2, ... (the root: out).
// The rebuilt graph has the same ops on the same inputs in the same order, so its forward values
// and gradients are the same bit for bit. For the page (Python's micrograd_cpp.explore, the
// program's training page). Throws std::invalid_argument for nodes that statements cannot
// express: user-defined ops and fused neurons (build those node by node).
struct Statements {
  std::string text;
  std::vector<std::pair<std::string, double>> variables;
};
Statements to_statements(const Value& root);

// walkthrough_json of statements (expr.hpp's parse_statements) over leaves made first, in the
// given order, one per (name, value): what `micrograd grad --html` writes into the page and what
// the page's WebAssembly engine computes after each edit (one function, so the same node ids and
// numbers). Built inside a TapeScope: nothing is left on the tape. Throws ExprError for the text.
std::string statements_walkthrough_json(std::string_view text,
                                        const std::vector<std::pair<std::string, double>>& values,
                                        const DotOptions& options = {});

}  // namespace micrograd
