// grad.cpp: `micrograd grad "EXPR" a=2 b=-3 ...`: builds the expression's graph, runs backward,
// prints the value and d/dvar for every variable, and optionally draws the graph.
// Not here: the parser (expr.hpp) or the drawing (draw.hpp).
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.hpp"
#include "micrograd/draw.hpp"
#include "micrograd/explore.hpp"
#include "micrograd/expr.hpp"
#include "micrograd/value.hpp"
#include "page.hpp"

namespace micrograd::cli {
namespace {

struct GradArgs {
  std::string expression;
  std::vector<std::string> assignments;  // "name=number"
  std::string graph;                     // output file for the graph, empty: none
  std::string html;                      // output file for the interactive page, empty: none
  std::size_t max_nodes = DotOptions{}.max_nodes;
  std::string rankdir = "LR";
};

bool is_identifier(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (const char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

// "a=2.5" -> ("a", 2.5); anything else is a usage error naming the argument.
std::pair<std::string, double> parse_assignment(const std::string& arg) {
  const auto eq = arg.find('=');
  const std::string name = arg.substr(0, eq);
  if (eq == std::string::npos || !is_identifier(name))
    throw CLI::ValidationError("variable", "'" + arg + "' is not NAME=NUMBER (e.g. a=2.5)");
  const std::string text = arg.substr(eq + 1);
  double x = 0.0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size())
    throw CLI::ValidationError("variable", "'" + arg + "': '" + text + "' is not a number");
  return {name, x};
}

int run_grad(const GradArgs& args) {
  Variables vars;
  std::vector<std::string> order;                       // the command line's order
  std::vector<std::pair<std::string, double>> numbers;  // the same, for the page
  for (const std::string& a : args.assignments) {
    auto [name, x] = parse_assignment(a);
    if (vars.count(name) != 0)
      throw CLI::ValidationError("variable", "'" + name + "' is given twice");
    vars.emplace(name, Value(x, name));
    order.push_back(name);
    numbers.emplace_back(name, x);
  }
  const Variables given = vars;  // parse_statements adds the names it defines
  Value root;
  try {
    root = parse_statements(args.expression, vars);
  } catch (const ExprError& e) {
    std::cerr << "micrograd grad: error: " << e.what() << "\n"
              << "  " << args.expression << "\n"
              << "  " << std::string(static_cast<std::size_t>(std::max(e.column() - 1, 0)), ' ')
              << "^\n";
    return kExitFailure;
  }
  root.backward();
  std::size_t width = 5;  // "value"
  for (const std::string& n : order) width = std::max(width, n.size() + 3);
  auto pad = [&](const std::string& s) { return s + std::string(width - s.size(), ' '); };
  std::cout << pad("value") << " = " << python_float_repr(root.data()) << "\n";
  const std::vector<std::string> used = statements_variables(args.expression);
  for (const std::string& n : order) {
    std::cout << pad("d/d" + n) << " = " << python_float_repr(given.at(n).grad());
    if (std::find(used.begin(), used.end(), n) == used.end())
      std::cout << "  (not in the expression)";
    std::cout << "\n";
  }
  if (!args.graph.empty()) {
    root.set_label("out");
    DotOptions options;
    options.max_nodes = args.max_nodes;
    options.rankdir = args.rankdir;
    try {
      draw_dot(root, args.graph, options);
    } catch (const GraphvizNotFound& e) {
      std::cerr << "micrograd grad: " << e.what() << "\n";
      return kExitFailure;
    } catch (const std::length_error& e) {
      std::cerr << "micrograd grad: " << e.what() << "\n";
      return kExitFailure;
    }
    std::cout << "graph written to " << args.graph << "\n";
  }
  if (!args.html.empty()) {
    for (const auto& [name, x] : numbers)
      if (!std::isfinite(x)) {
        std::cerr << "micrograd grad: --html: " << name << " is " << python_float_repr(x)
                  << ": a page can only hold finite numbers\n";
        return kExitFailure;
      }
    DotOptions options;
    options.max_nodes = args.max_nodes;
    options.rankdir = args.rankdir;
    try {
      const nlohmann::json data = {
          {"mode", "expression"},
          {"text", args.expression},
          {"variables", numbers},
          {"rankdir", args.rankdir},
          {"maxNodes", args.max_nodes},
          {"walkthrough",
           nlohmann::json::parse(statements_walkthrough_json(args.expression, numbers, options))}};
      write_page(args.html, data.dump());
    } catch (const std::exception& e) {  // no page template, too big a graph, a write error
      std::cerr << "micrograd grad: --html: " << e.what() << "\n";
      return kExitFailure;
    }
    std::cout << "page written to " << args.html << " (open it in a browser)\n";
  }
  return 0;
}

}  // namespace

void setup_grad(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<GradArgs>();
  CLI::App* cmd = app.add_subcommand(
      "grad", "Evaluate an expression, run backward, print the value and d/dvar of each variable");
  cmd->footer(
      "EXPR uses numbers (2, 0.5, 1e-3: doubles, 1/0 is inf), variables, + - * / **\n"
      "(Python's precedence: -a**2 is -(a**2)), parentheses and exp log tanh relu sigmoid.\n"
      "Put -- before an expression that starts with '-'. Statements, separated by ';' or\n"
      "new lines, name values as the lecture does: \"e = a*b; d = e + c; L = d*f\".\n"
      "Example: micrograd grad \"(a*b + c)*f\" a=2 b=-3 c=10 f=-2 --graph L.svg\n"
      "         micrograd grad \"e = a*b; d = e + c; L = d*f\" a=2 b=-3 c=10 f=-2 --html L.html");
  cmd->add_option("expression", args->expression, "The expression, e.g. \"tanh(x*w + b)\"")
      ->required();
  cmd->add_option("variables", args->assignments, "Values of the variables: NAME=NUMBER ...");
  cmd->add_option("--graph", args->graph,
                  "Draw the computation graph to FILE (.svg, .png, .pdf or .dot)")
      ->type_name("FILE");
  cmd->add_option("--html", args->html,
                  "Write an interactive page: step through backward, edit the values")
      ->type_name("FILE");
  cmd->add_option("--max-nodes", args->max_nodes, "Refuse to draw graphs with more nodes than this")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--rankdir", args->rankdir, "Graph direction")
      ->capture_default_str()
      ->check(CLI::IsMember({"LR", "TB", "RL", "BT"}));
  cmd->callback([args, &exit_code] { exit_code = run_grad(*args); });
}

}  // namespace micrograd::cli
