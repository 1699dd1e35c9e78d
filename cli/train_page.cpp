// train_page.cpp: the training page's data: per frame, the model's scores over a grid (the
// decision boundary), and the first sample's output-neuron graph with every data and grad.
#include "train_page.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "data_option.hpp"
#include "micrograd/explore.hpp"
#include "micrograd/plot.hpp"
#include "page.hpp"

namespace micrograd::cli {
namespace {

constexpr int kGrid = 60;  // cells along each side of the boundary picture

// The first sample's output-neuron graph (output_neuron_graph) as a walkthrough.
nlohmann::json sample_walkthrough(const nn::MLP& model, const std::vector<double>& row) {
  TapeScope scope;
  std::vector<Value> x;
  for (std::size_t i = 0; i < row.size(); ++i) x.emplace_back(row[i], "x" + std::to_string(i));
  // The output neuron's weights and bias are named w0, w1, ..., b on the page (only while it is
  // made: the model's own labels are put back).
  const std::vector<Value> own = model.layers().back().neurons()[0].parameters();  // w then b
  std::vector<std::string> labels;
  for (std::size_t k = 0; k < own.size(); ++k) {
    labels.push_back(own[k].label());
    own[k].set_label(k + 1 == own.size() ? std::string("b") : "w" + std::to_string(k));
  }
  Value s = output_neuron_graph(model, x);
  s.set_label("score");
  nlohmann::json w = nlohmann::json::parse(walkthrough_json(s));
  for (std::size_t k = 0; k < own.size(); ++k) own[k].set_label(labels[k]);
  return w;
}

// A curve drawn by gnuplot, with where its axes are (for the page's step marker).
nlohmann::json curve(const std::vector<double>& ys, const std::string& name) {
  if (!gnuplot_available()) return nullptr;
  std::vector<double> xs(ys.size());
  for (std::size_t k = 0; k < xs.size(); ++k) xs[k] = static_cast<double>(k);
  PlotArea a;
  const std::string url = svg_data_url([&](const std::string& path) {
    a = plot_series(xs, ys, path, name, "step", name, 640, 240);
  });
  return {{"img", url},         {"width", a.width}, {"height", a.height},
          {"left", a.left},     {"right", a.right}, {"top", a.top},
          {"bottom", a.bottom}, {"xmin", a.xmin},   {"xmax", a.xmax}};
}

}  // namespace

Value output_neuron_graph(const nn::MLP& model, const std::vector<Value>& x) {
  const auto& layers = model.layers();
  if (layers.size() == 1) return layers[0].neurons()[0](x, false);
  std::vector<Value> hidden = x;
  for (std::size_t l = 0; l + 1 < layers.size(); ++l) {
    std::vector<Value> next;
    for (const nn::Neuron& n : layers[l].neurons()) next.push_back(n(hidden, false));
    hidden = std::move(next);
  }
  std::vector<Value> leaves;
  for (std::size_t i = 0; i < hidden.size(); ++i)
    leaves.emplace_back(hidden[i].data(), "h" + std::to_string(i));
  return layers.back().neurons()[0](leaves, false);
}

void write_training_page(const std::string& path, const std::string& title, const nn::MLP& model,
                         const Dataset& data, const TrainingRecord& record) {
  if (data.num_features() != 2)
    throw std::invalid_argument(
        "the page draws the decision boundary over the plane: the data has " +
        std::to_string(data.num_features()) + " features, not 2");
  if (record.frame_steps.empty()) throw std::invalid_argument("no steps were recorded");
  // The grid: the data's bounding box plus 1 on every side (as the demo's picture).
  double x0 = data.X[0][0], x1 = x0, y0 = data.X[0][1], y1 = y0;
  for (const auto& r : data.X) {
    x0 = std::min(x0, r[0]), x1 = std::max(x1, r[0]);
    y0 = std::min(y0, r[1]), y1 = std::max(y1, r[1]);
  }
  x0 -= 1, x1 += 1, y0 -= 1, y1 += 1;
  std::vector<std::vector<double>> cells;  // row by row from the top (y1) down
  for (int j = 0; j < kGrid; ++j)
    for (int i = 0; i < kGrid; ++i)
      cells.push_back({x0 + (x1 - x0) * (i + 0.5) / kGrid, y1 - (y1 - y0) * (j + 0.5) / kGrid});

  const std::vector<Value> params = model.parameters();
  std::vector<double> final_params;
  for (const Value& p : params) final_params.push_back(p.data());
  nlohmann::json frames = nlohmann::json::array();
  nlohmann::json sample_frames = nlohmann::json::array();
  nlohmann::json sample;
  for (std::size_t f = 0; f < record.frame_steps.size(); ++f) {
    for (std::size_t k = 0; k < params.size(); ++k) params[k].data() = record.frame_params[f][k];
    // Each cell: the score's class and confidence as one byte: binary, 127 * tanh(score)
    // (+ for class +1); several classes, the predicted class index.
    std::string bytes;
    for (const std::vector<double>& z : model.predict_batch(cells)) {
      const double v = z.size() == 1 ? std::round(127.0 * std::tanh(z[0])) : predicted_class(z);
      bytes += static_cast<char>(static_cast<signed char>(v));
    }
    frames.push_back(base64(bytes));
    nlohmann::json w = sample_walkthrough(model, data.X[0]);
    nlohmann::json d = nlohmann::json::array(), g = nlohmann::json::array();
    for (const auto& n : w["nodes"]) {
      d.push_back(n["data"]);
      g.push_back(n["grad"]);
    }
    sample_frames.push_back({{"data", std::move(d)}, {"grad", std::move(g)}});
    if (f == 0) {
      sample = {{"dot", w["dot"]}, {"names", nlohmann::json::array()}};
      for (const auto& n : w["nodes"]) sample["names"].push_back(n["name"]);
    }
  }
  for (std::size_t k = 0; k < params.size(); ++k) params[k].data() = final_params[k];
  sample["frames"] = std::move(sample_frames);
  nlohmann::json points = nlohmann::json::array();
  for (std::size_t i = 0; i < data.size(); ++i)
    points.push_back({data.X[i][0], data.X[i][1], data.y[i]});
  const nlohmann::json page = {
      {"mode", "training"},
      {"title", title},
      {"loss", record.loss},
      {"accuracy", record.accuracy},
      {"lr", record.lr},
      {"frameSteps", record.frame_steps},
      {"grid", {{"x0", x0}, {"x1", x1}, {"y0", y0}, {"y1", y1}, {"n", kGrid}}},
      {"classes", data.num_classes},
      {"frames", std::move(frames)},
      {"points", std::move(points)},
      {"sample", std::move(sample)},
      {"lossCurve", curve(record.loss, "loss")},
      {"accuracyCurve", curve(record.accuracy, "accuracy")}};
  write_page(path, page.dump());
}

}  // namespace micrograd::cli
