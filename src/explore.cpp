// explore.cpp: walk_backward (backward node by node, every chain-rule number recorded) and its
// JSON.
#include "micrograd/explore.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "micrograd/expr.hpp"

namespace micrograd {
namespace {

using Index = Tape::Index;

// Every node root reaches, in creation order (an explicit stack: graphs may be deep).
std::vector<Index> reached_nodes(const Tape& tape, Index root) {
  std::vector<bool> seen(std::size_t{root} + 1, false);
  std::vector<Index> stack{root};
  seen[root] = true;
  while (!stack.empty()) {
    const Index i = stack.back();
    stack.pop_back();
    for (Index k = 0, n = tape.num_children(i); k < n; ++k)
      if (const Index c = tape.child(i, k); !seen[c]) {
        seen[c] = true;
        stack.push_back(c);
      }
  }
  std::vector<Index> out;
  for (Index i = 0; i <= root; ++i)
    if (seen[i]) out.push_back(i);
  return out;
}

nlohmann::json number(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  return x;
}

}  // namespace

Walkthrough walk_backward(const Value& root) {
  Tape& tape = root.tape();  // throws if root is empty or stale
  Walkthrough w{root.id(), reached_nodes(tape, root.id()), {}};
  for (const Index i : w.nodes) {
    const Op op = tape.op(i);
    if (op == Op::Hook || is_fused(op))
      throw std::invalid_argument(
          "micrograd: walk_backward: " + tape.describe(i) +
          (op == Op::Hook ? " has a backward callback (a _backward): its local derivatives are "
                            "not known, so its chain rule cannot be shown"
                          : " is a fused neuron: build the graph node by node (fused=False) to "
                            "step through it"));
  }
  for (const Index i : w.nodes) tape.grad(i) = 0.0;
  tape.note_grad_written(root.id());
  tape.grad(root.id()) = 1.0;
  w.steps.push_back({root.id(), {}});
  for (auto it = w.nodes.rbegin(); it != w.nodes.rend(); ++it) {
    const Index i = *it;
    if (tape.op(i) == Op::Leaf) continue;
    BackwardStep step{i, {}};
    const double g = tape.grad(i);
    // backward() passes nothing on from a node whose grad is 0 (its terms would all be 0): the
    // step is shown, without terms, so the numbers stay backward()'s.
    if (g != 0.0) {
      // backward_one(i), one child at a time: the same additions in the same order (a test
      // checks the grads against backward()'s), each child's grad read right after its own.
      for (const auto& [child, local] : tape.local_derivatives(i)) {
        const double contribution = g * local;
        tape.note_grad_written(child);
        tape.grad(child) += contribution;
        step.terms.push_back({child, g, local, contribution, tape.grad(child)});
      }
    }
    w.steps.push_back(std::move(step));
  }
  return w;
}

std::string walkthrough_json(const Value& root, const DotOptions& options) {
  const Walkthrough w = walk_backward(root);
  Tape& tape = root.tape();
  // Names for the chain rule: the label, or "out" for an unlabelled root and v1, v2, ... for
  // unlabelled inner nodes (in creation order). The DOT shows the same names.
  std::vector<std::string> names;
  int unnamed = 0;
  for (const Index i : w.nodes) {
    std::string name = tape.label(i);
    if (name.empty() && i == w.root) {
      name = "out";
    } else if (name.empty()) {
      name = "v";  // (not "v" + to_string: g++ 12 gives a false -Wrestrict there)
      name += std::to_string(++unnamed);
    }
    names.push_back(std::move(name));
  }
  // Ids are positions in creation order (0, 1, ...), the same wherever the graph sits on the tape.
  auto pos = [&](Index i) {
    return std::lower_bound(w.nodes.begin(), w.nodes.end(), i) - w.nodes.begin();
  };
  nlohmann::json nodes = nlohmann::json::array();
  for (std::size_t k = 0; k < w.nodes.size(); ++k) {
    const Index i = w.nodes[k];
    nlohmann::json children = nlohmann::json::array();
    for (Index c = 0, n = tape.num_children(i); c < n; ++c)
      children.push_back(pos(tape.child(i, c)));
    nodes.push_back({{"id", k},
                     {"label", tape.label(i)},
                     {"name", names[k]},
                     {"op", tape.op_string(i)},
                     {"data", number(tape.data(i))},
                     {"grad", number(tape.grad(i))},
                     {"children", std::move(children)}});
  }
  nlohmann::json steps = nlohmann::json::array();
  for (const BackwardStep& s : w.steps) {
    nlohmann::json terms = nlohmann::json::array();
    for (const ChainTerm& t : s.terms)
      terms.push_back({{"child", pos(t.child)},
                       {"upstream", number(t.upstream)},
                       {"local", number(t.local)},
                       {"contribution", number(t.contribution)},
                       {"grad", number(t.grad_after)}});
    steps.push_back({{"node", pos(s.node)}, {"terms", std::move(terms)}});
  }
  // The DOT drawn with the names and every grad at 0, as before the first step (the page fills
  // the grads in); the graph's labels and grads are put back afterwards.
  std::vector<double> final_grads;
  for (std::size_t k = 0; k < w.nodes.size(); ++k) {
    final_grads.push_back(tape.grad(w.nodes[k]));
    tape.grad(w.nodes[k]) = 0.0;
    if (tape.label(w.nodes[k]).empty()) tape.set_label(w.nodes[k], names[k]);
  }
  DotOptions renumbered = options;
  renumbered.renumber = true;  // n0, n1, ...: the ids above
  std::string dot = to_dot(root, renumbered);
  for (std::size_t k = 0; k < w.nodes.size(); ++k) {
    tape.grad(w.nodes[k]) = final_grads[k];
    if (names[k] != nodes[k]["label"]) tape.set_label(w.nodes[k], "");
  }
  nlohmann::json out = {{"root", pos(w.root)},
                        {"dot", std::move(dot)},
                        {"nodes", std::move(nodes)},
                        {"steps", std::move(steps)}};
  return out.dump();
}

namespace {

bool is_identifier(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (const char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  for (const char* f : {"exp", "log", "tanh", "relu", "sigmoid"})
    if (s == f) return false;
  return true;
}

}  // namespace

Statements to_statements(const Value& root) {
  Tape& tape = root.tape();
  const std::vector<Index> nodes = reached_nodes(tape, root.id());
  // Names: identifier labels first (the first node with a label keeps it, later ones get _2, _3),
  // then v1, v2, ... for the rest, skipping names already taken.
  std::map<Index, std::string> name;
  std::set<std::string> taken;
  for (const Index i : nodes) {
    const std::string& label = tape.label(i);
    if (!is_identifier(label)) continue;
    std::string n = label;
    for (int k = 2; taken.count(n) != 0; ++k) n = label + "_" + std::to_string(k);
    taken.insert(n);
    name[i] = n;
  }
  int next = 0;
  for (const Index i : nodes) {
    if (name.count(i) != 0) continue;
    std::string n = i == root.id() && taken.count("out") == 0 ? "out" : "";
    while (n.empty() || taken.count(n) != 0) {
      n = "v";
      n += std::to_string(++next);
    }
    taken.insert(n);
    name[i] = n;
  }
  Statements out;
  for (const Index i : nodes) {
    const Op op = tape.op(i);
    if (op == Op::Leaf) {
      out.variables.emplace_back(name[i], tape.data(i));
      continue;
    }
    auto arg = [&](Index k) { return name[tape.child(i, k)]; };
    std::string rhs;
    switch (op) {
      case Op::Add:
        rhs = arg(0) + " + " + arg(1);
        break;
      case Op::Mul:
        rhs = arg(0) + "*" + arg(1);
        break;
      case Op::Pow:
        rhs = arg(0) + "**" + arg(1);
        break;
      case Op::PowConst: {
        const std::string exponent = tape.op_string(i).substr(2);  // "**2" -> "2" (exact digits)
        if (exponent == "inf" || exponent == "-inf" || exponent == "nan")
          throw std::invalid_argument(
              "micrograd: to_statements: " + tape.describe(i) +
              " has a non-finite exponent, which an expression cannot hold");
        rhs = arg(0) + "**" + (exponent[0] == '-' ? "(" + exponent + ")" : exponent);
        break;
      }
      case Op::Exp:
        rhs = "exp(" + arg(0) + ")";
        break;
      case Op::Log:
        rhs = "log(" + arg(0) + ")";
        break;
      case Op::Tanh:
        rhs = "tanh(" + arg(0) + ")";
        break;
      case Op::Relu:
        rhs = "relu(" + arg(0) + ")";
        break;
      case Op::Sigmoid:
        rhs = "sigmoid(" + arg(0) + ")";
        break;
      default:
        throw std::invalid_argument(
            "micrograd: to_statements: " + tape.describe(i) +
            (is_user_op(op) ? " is a user-defined op: the page can show graphs of built-in ops only"
                            : " is a fused neuron: build the graph node by node (fused=False)"));
    }
    out.text += name[i] + " = " + rhs + "\n";
  }
  if (tape.op(root.id()) == Op::Leaf) out.text = name[root.id()] + "\n";
  return out;
}

std::string statements_walkthrough_json(std::string_view text,
                                        const std::vector<std::pair<std::string, double>>& values,
                                        const DotOptions& options) {
  TapeScope scope;
  Variables vars;
  for (const auto& [name, value] : values) vars.insert_or_assign(name, Value(value, name));
  return walkthrough_json(parse_statements(text, vars), options);
}

}  // namespace micrograd
