// predict.cpp: `micrograd predict`: a saved model (model.hpp) on new inputs: its outputs, its
// accuracy where the data has labels, and its decision boundary for 2-D inputs.
// Not here: training (train.cpp), the file format (model.hpp).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "data_option.hpp"
#include "micrograd/io.hpp"
#include "micrograd/model.hpp"
#include "micrograd/plot.hpp"
#include "micrograd/value.hpp"

namespace micrograd::cli {
namespace {

struct PredictArgs {
  std::string model;
  DataSpec data;
  std::string rng = "micrograd";
  std::vector<std::string> points;  // "x,y,..." each
  std::string plot;                 // a decision-boundary picture (.png or .svg)
  std::size_t show = 10;            // rows printed
};

std::vector<double> parse_point(const std::string& text, std::size_t nin) {
  std::vector<double> v;
  std::stringstream s(text);
  std::string item;
  while (std::getline(s, item, ',')) {
    double x = 0.0;
    const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), x);
    if (item.empty() || ec != std::errc() || ptr != item.data() + item.size() || !std::isfinite(x))
      throw CLI::ValidationError("--point", "'" + text + "' is not a list of numbers like 0.5,-1");
    v.push_back(x);
  }
  if (v.size() != nin)
    throw CLI::ValidationError("--point", "'" + text + "' has " + std::to_string(v.size()) +
                                              " numbers; the model takes " + std::to_string(nin));
  return v;
}

std::string numbers(const std::vector<double>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + python_float_repr(v[i]);
  return s + "]";
}

int run_predict(const PredictArgs& a) {
  const SavedModel m = load_model(a.model);
  const nn::MLP& model = m.mlp;
  const std::size_t nin = model.nin();
  auto normalized = [&](std::vector<double> x) {  // the inputs the model was trained on
    if (m.info.mean)
      for (std::size_t i = 0; i < x.size(); ++i)
        x[i] = (x[i] - (*m.info.mean)[i]) / (*m.info.std)[i];
    return x;
  };

  std::vector<std::vector<double>> X;
  std::vector<double> labels;  // empty: none (points from --point)
  std::string source;
  if (!a.points.empty()) {
    for (const std::string& p : a.points) X.push_back(parse_point(p, nin));
    source = std::to_string(X.size()) + " point(s)";
  } else {
    std::optional<NumpyRandomState> numpy;
    if (a.rng == "micrograd") numpy.emplace(numpy_seed(a.data));
    const Dataset d = load_dataset(a.data, numpy ? &*numpy : nullptr);
    if (d.num_features() != nin)
      throw std::runtime_error("the data set '" + a.data.dataset + "' has " +
                               std::to_string(d.num_features()) + " features; " + a.model +
                               " takes " + std::to_string(nin) + " inputs");
    if (model.nout() == 1 && !d.is_binary())
      throw std::runtime_error(a.model + " gives one score (two classes); the data set has " +
                               std::to_string(d.num_classes) + " classes");
    X = d.X;
    labels = d.y;
    source = a.data.dataset + " (" + std::to_string(d.size()) + " samples)";
  }
  std::vector<std::vector<double>> inputs;
  inputs.reserve(X.size());
  for (const auto& x : X) inputs.push_back(normalized(x));
  const std::vector<std::vector<double>> out = model.predict_batch(inputs);

  std::cout << "micrograd predict: " << a.model << " (MLP " << nin;
  for (const nn::Layer& l : model.layers()) std::cout << "-" << l.nout();
  std::cout << (m.info.loss.empty() ? "" : ", loss " + m.info.loss) << ") on " << source << "\n";
  std::size_t correct = 0;
  for (std::size_t r = 0; r < X.size(); ++r) {
    const double cls = predicted_class(out[r]);
    if (!labels.empty()) correct += predicts(out[r], labels[r]);
    if (r < a.show) {
      std::cout << "  " << numbers(X[r]) << " -> "
                << (out[r].size() == 1 ? "score " + python_float_repr(out[r][0])
                                       : "outputs " + numbers(out[r]))
                << ", class " << std::lround(cls);
      if (!labels.empty()) std::cout << " (label " << std::lround(labels[r]) << ")";
      std::cout << "\n";
    }
  }
  if (X.size() > a.show) std::cout << "  ... (" << X.size() - a.show << " more; --show N)\n";
  double acc = 0.0;
  if (!labels.empty()) {
    acc = static_cast<double>(correct) / static_cast<double>(X.size());
    char line[160];
    std::snprintf(line, sizeof line, "accuracy %.1f%% (%zu of %zu)", acc * 100.0, correct,
                  X.size());
    std::cout << line << "\n";
  }

  if (a.plot.empty()) return 0;
  if (nin != 2) {
    std::cout << "note: no decision boundary picture: the model takes " << nin
              << " inputs, not 2\n";
    return 0;
  }
  std::vector<std::array<double, 2>> points;
  for (const auto& x : X) points.push_back({x[0], x[1]});
  std::vector<double> colors = labels;
  if (colors.empty())
    for (const auto& o : out) colors.push_back(predicted_class(o));
  DecisionBoundaryOptions po;
  po.multiclass = model.nout() > 1;
  po.title = a.model + " on " + source;
  if (!labels.empty()) {
    char t[32];
    std::snprintf(t, sizeof t, ": accuracy %.1f%%", acc * 100.0);
    po.title += t;
  }
  const GridScore raw = grid_score(model);
  const GridScore score = [&](const std::vector<std::array<double, 2>>& grid) {
    if (!m.info.mean) return raw(grid);
    std::vector<std::array<double, 2>> g = grid;
    for (auto& p : g) {
      const std::vector<double> n = normalized({p[0], p[1]});
      p = {n[0], n[1]};
    }
    return raw(g);
  };
  try {
    run_gnuplot(decision_boundary_script(score, points, colors, po), a.plot, po.width, po.height);
  } catch (const MissingTool& e) {
    std::cout << "note: skipped " << a.plot << ": " << e.what() << "\n";
    return 0;
  }
  std::cout << "wrote " << a.plot << "\n";
  return 0;
}

}  // namespace

void setup_predict(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<PredictArgs>();
  CLI::App* cmd =
      app.add_subcommand("predict", "Run a saved model (train --save) on a data set or on points");
  cmd->footer(
      "Prints each input's output and predicted class (the first --show rows), the accuracy\n"
      "where the data has labels, and with --plot the decision boundary (2 inputs).\n"
      "Example: micrograd train --save model.json && micrograd predict --model model.json\n"
      "         micrograd predict --model model.json --point 0.5,0.25 --point -1,0.5");
  cmd->add_option("--model", a->model, "The model file (micrograd train --save FILE)")->required();
  cmd->add_option("--point", a->points, "An input, e.g. 0.5,-1 (repeat for more)");
  add_data_options(*cmd, a->data);
  cmd->add_option("--rng", a->rng, "micrograd: the demo's moons (NumPy's stream), or own")
      ->capture_default_str()
      ->check(CLI::IsMember({"micrograd", "own"}));
  cmd->add_option("--plot", a->plot, "Draw the decision boundary to this .png or .svg");
  cmd->add_option("--show", a->show, "Rows to print")->capture_default_str();
  short_type_names(*cmd);
  cmd->get_formatter()->column_width(34);
  cmd->callback([a, &exit_code] { exit_code = run_predict(*a); });
}

}  // namespace micrograd::cli
