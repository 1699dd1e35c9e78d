// lecture.cpp: `micrograd lecture [--html FILE]`: the lecture's stages in order, every number
// computed by this engine: a derivative by a small h (and the function's plot), the expression L
// and its backprop, the neuron with tanh, tanh broken into exp, and the small MLP trained on its
// 4 samples. Without --html it prints them; with it, it writes the interactive page's lecture mode.
// Not here: the page (web/), the walkthrough (explore.hpp).
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.hpp"
#include "micrograd/explore.hpp"
#include "micrograd/expr.hpp"
#include "micrograd/nn.hpp"
#include "micrograd/plot.hpp"
#include "micrograd/value.hpp"
#include "page.hpp"

namespace micrograd::cli {
namespace {

using Pairs = std::vector<std::pair<std::string, double>>;

struct LectureArgs {
  std::string html;
  std::uint64_t seed = 1337;
  int steps = 20;
  double learning_rate = 0.05;
};

// One stage of the lecture: what it shows, its numbers (label, Python's repr), and optionally a
// plot (a data: URL) and an expression to step through on the page.
struct Part {
  std::string title, text;
  std::vector<std::pair<std::string, std::string>> lines;
  std::string plot_url, plot_alt;
  std::string expression;
  Pairs variables;
};

std::string repr(double x) { return python_float_repr(x); }

// f(x) = 3x**2 - 4x + 5 on the engine (micrograd's Value arithmetic gives Python's float digits).
double f(double x) {
  TapeScope scope;
  return parse_expression("3*x**2 - 4*x + 5", {{"x", Value(x)}}).data();
}

Part derivative_part() {
  Part p{"1. The derivative of a function",
         "f(x) = 3x**2 - 4x + 5. Its slope at x is about (f(x + h) - f(x))/h for a small h; the "
         "exact derivative is 6x - 4 (14 at x = 3, -22 at x = -3, 0 at x = 2/3). Then "
         "d = a*b + c: bumping one input by h shows how d moves with it.",
         {},
         "",
         "",
         "",
         {}};
  p.lines.push_back({"f(3.0)", repr(f(3.0))});
  for (const double x : {3.0, -3.0, 2.0 / 3.0}) {
    const double h = 0.0000001;
    p.lines.push_back({"(f(x + h) - f(x))/h at x = " + repr(x) + ", h = " + repr(h),
                       repr((f(x + h) - f(x)) / h)});
  }
  const double h = 0.0001;
  auto d = [](double a, double b, double c) {
    TapeScope scope;
    return parse_expression("a*b + c", {{"a", Value(a)}, {"b", Value(b)}, {"c", Value(c)}}).data();
  };
  const double d1 = d(2.0, -3.0, 10.0);
  p.lines.push_back({"d = a*b + c at a = 2.0, b = -3.0, c = 10.0", repr(d1)});
  p.lines.push_back({"slope of d in a (h = 0.0001)", repr((d(2.0 + h, -3.0, 10.0) - d1) / h)});
  p.lines.push_back({"slope of d in b", repr((d(2.0, -3.0 + h, 10.0) - d1) / h)});
  p.lines.push_back({"slope of d in c", repr((d(2.0, -3.0, 10.0 + h) - d1) / h)});
  std::vector<double> xs, ys;
  for (int k = -20; k < 20; ++k) {  // np.arange(-5, 5, 0.25)
    xs.push_back(-5.0 + 0.25 * (k + 20));
    ys.push_back(f(xs.back()));
  }
  p.plot_url = svg_data_url([&](const std::string& path) {
    plot_line(xs, ys, path, "f(x) = 3x**2 - 4x + 5", "x", "f(x)");
  });
  p.plot_alt = "a parabola through f(-5) = " + repr(ys.front()) +
               ", its lowest point near x = " + "2/3, f(4.75) = " + repr(ys.back());
  return p;
}

Part expression_part() {
  Part p{"2. An expression and its backprop by hand",
         "L = (a*b + c)*f, with the lecture's names: e = a*b, d = e + c. Step through backward: "
         "each node passes its gradient to its inputs by the chain rule. The numerical check "
         "below bumps one input by h = 0.001 (the lecture's lol()).",
         {},
         "",
         "",
         "e = a*b; d = e + c; L = d*f",
         {{"a", 2.0}, {"b", -3.0}, {"c", 10.0}, {"f", -2.0}}};
  auto L = [](double a, double b, double c, double f) {
    TapeScope scope;
    Variables v{{"a", Value(a)}, {"b", Value(b)}, {"c", Value(c)}, {"f", Value(f)}};
    return parse_statements("e = a*b; d = e + c; L = d*f", v).data();
  };
  const double h = 0.001, L1 = L(2.0, -3.0, 10.0, -2.0);
  p.lines.push_back({"L", repr(L1)});
  p.lines.push_back({"(L(a + h) - L)/h", repr((L(2.0 + h, -3.0, 10.0, -2.0) - L1) / h)});
  p.lines.push_back({"(L(b + h) - L)/h", repr((L(2.0, -3.0 + h, 10.0, -2.0) - L1) / h)});
  p.lines.push_back({"(L(c + h) - L)/h", repr((L(2.0, -3.0, 10.0 + h, -2.0) - L1) / h)});
  p.lines.push_back({"(L(f + h) - L)/h", repr((L(2.0, -3.0, 10.0, -2.0 + h) - L1) / h)});
  return p;
}

const Pairs kNeuron{{"x1", 2.0}, {"x2", 0.0}, {"w1", -3.0}, {"w2", 1.0}, {"b", 6.8813735870195432}};

// The grads backward() gives for `statements` over kNeuron's inputs: lines "do/dx1", ...
void neuron_lines(Part& p) {
  TapeScope scope;
  Variables v;
  for (const auto& [name, x] : kNeuron) v.emplace(name, Value(x, name));
  const Value o = parse_statements(p.expression, v);
  o.backward();
  p.lines.push_back({"o", repr(o.data())});
  for (const auto& [name, x] : kNeuron) p.lines.push_back({"do/d" + name, repr(v.at(name).grad())});
}

Part neuron_part() {
  Part p{"3. A neuron: o = tanh(x1*w1 + x2*w2 + b)",
         "Two inputs, two weights and a bias, squashed by tanh; the bias 6.8813735870195432 makes "
         "o = 0.7071... The local derivative of tanh is 1 - tanh(n)**2 = 1 - o**2 = 0.5.",
         {},
         "",
         "",
         "x1w1 = x1*w1; x2w2 = x2*w2; x1w1x2w2 = x1w1 + x2w2; n = x1w1x2w2 + b; o = tanh(n)",
         kNeuron};
  neuron_lines(p);
  return p;
}

Part exp_part() {
  Part p{"4. tanh broken into exp",
         "The same neuron with tanh written as (e**(2n) - 1)/(e**(2n) + 1): more nodes (exp, "
         "a power -1 for the division, a multiply by -1 for the minus), the same forward value "
         "and the same gradients, up to rounding.",
         {},
         "",
         "",
         "x1w1 = x1*w1; x2w2 = x2*w2; x1w1x2w2 = x1w1 + x2w2; n = x1w1x2w2 + b\n"
         "e = exp(2*n); o = (e - 1)/(e + 1)",
         kNeuron};
  neuron_lines(p);
  return p;
}

Part mlp_part(const LectureArgs& args) {
  Part p{"5. A small MLP, trained",
         "MLP(3, [4, 4, 1]), tanh everywhere, on the lecture's 4 samples with targets 1, -1, -1, "
         "1. Each step: zero the grads, forward all samples, loss = sum of (ypred - y)**2, "
         "backward, p.data += -" +
             repr(args.learning_rate) + " * p.grad. Weights from Python's random.seed(" +
             std::to_string(args.seed) + ") (micrograd_cpp gives the same).",
         {},
         "",
         "",
         "",
         {}};
  nn::MLPOptions options = nn::MLPOptions::lecture();
  options.seed = args.seed;
  options.stream = nn::MLPOptions::Stream::Python;
  const nn::MLP net(3, {4, 4, 1}, options);
  const std::vector<std::vector<double>> xs{
      {2.0, 3.0, -1.0}, {3.0, -1.0, 0.5}, {0.5, 1.0, 1.0}, {1.0, 1.0, -1.0}};
  const std::vector<double> ys{1.0, -1.0, -1.0, 1.0};
  const std::vector<Value> params = net.parameters();
  std::vector<double> losses, last_pred;
  for (int step = 0; step < args.steps; ++step) {
    TapeScope scope;
    zero_grad(params);
    Value loss(0.0);  // Python's sum() starts from 0
    last_pred.clear();
    for (std::size_t k = 0; k < xs.size(); ++k) {
      const Value ypred = net.score({Value(xs[k][0]), Value(xs[k][1]), Value(xs[k][2])});
      last_pred.push_back(ypred.data());
      loss = loss + pow(ypred - ys[k], 2.0);
    }
    loss.backward();
    for (const Value& w : params) w.data() += -args.learning_rate * w.grad();
    losses.push_back(loss.data());
    p.lines.push_back({"step " + std::to_string(step) + " loss", repr(loss.data())});
  }
  for (std::size_t k = 0; k < last_pred.size(); ++k)
    p.lines.push_back(
        {"ypred[" + std::to_string(k) + "] (target " + repr(ys[k]) + ")", repr(last_pred[k])});
  p.plot_url = svg_data_url([&](const std::string& path) {
    plot_training_curves(losses, {}, path, "loss, step by step");
  });
  p.plot_alt = "the loss falls from " + repr(losses.front()) + " to " + repr(losses.back());
  return p;
}

int run_lecture(const LectureArgs& args) {
  const std::vector<Part> parts{derivative_part(), expression_part(), neuron_part(), exp_part(),
                                mlp_part(args)};
  for (const Part& p : parts) {
    std::cout << p.title << "\n";
    for (const auto& [label, value] : p.lines) std::cout << "  " << label << " = " << value << "\n";
  }
  if (args.html.empty()) return 0;
  nlohmann::json json_parts = nlohmann::json::array();
  for (const Part& p : parts) {
    nlohmann::json part = {{"title", p.title}, {"text", p.text}, {"lines", p.lines}};
    if (!p.plot_url.empty()) {
      part["plot"] = p.plot_url;
      part["plotAlt"] = p.plot_alt;
    }
    if (!p.expression.empty())
      part["expression"] = {{"text", p.expression},
                            {"variables", p.variables},
                            {"walkthrough", nlohmann::json::parse(statements_walkthrough_json(
                                                p.expression, p.variables))}};
    json_parts.push_back(std::move(part));
  }
  try {
    write_page(args.html, nlohmann::json{{"mode", "lecture"}, {"parts", json_parts}}.dump());
  } catch (const std::exception& e) {
    std::cerr << "micrograd lecture: --html: " << e.what() << "\n";
    return kExitFailure;
  }
  std::cout << "page written to " << args.html << " (open it in a browser)\n";
  return 0;
}

}  // namespace

void setup_lecture(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<LectureArgs>();
  CLI::App* cmd = app.add_subcommand(
      "lecture", "The lecture's stages in order, every number computed by this engine");
  cmd->add_option("--html", args->html,
                  "Write them as an interactive page (step through each backward)")
      ->type_name("FILE");
  cmd->add_option("--seed", args->seed, "Python's random.seed for the MLP's weights")
      ->capture_default_str();
  cmd->add_option("--steps", args->steps, "Training steps of the MLP")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--lr", args->learning_rate, "The MLP's learning rate")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->callback([args, &exit_code] { exit_code = run_lecture(*args); });
}

}  // namespace micrograd::cli
