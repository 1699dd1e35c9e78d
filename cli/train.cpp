// train.cpp: `micrograd train`: micrograd's demo (two moons, MLP 2-16-16-1 ReLU, SVM max-margin
// loss + 1e-4 L2, SGD with lr 1.0 - 0.9*k/100, 100 full-batch steps) with every piece selectable,
// a progress display, and the pictures and logs written to an output directory.
// Not here: the model, losses, optimizers and data (nn/loss/optim/data.hpp); this only wires them.
#include <sys/ioctl.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "commands.hpp"
#include "micrograd/data.hpp"
#include "micrograd/draw.hpp"
#include "micrograd/io.hpp"
#include "micrograd/loss.hpp"
#include "micrograd/nn.hpp"
#include "micrograd/optim.hpp"
#include "micrograd/plot.hpp"
#include "micrograd/random.hpp"

namespace micrograd::cli {
namespace {

struct TrainArgs {
  std::string dataset = "moons";  // moons, circles, spiral, lecture, csv:PATH
  std::size_t samples = 100;
  double noise = 0.1;
  std::size_t classes = 3;  // spiral only
  int label_column = -1;    // csv only
  std::string layers = "16,16";
  std::string activation = "relu";
  std::string loss;  // default: svm for two classes, softmax otherwise
  std::string optimizer = "sgd";
  std::optional<double> lr;  // default: 1.0 for sgd, 0.05 for adam/adamw
  std::string schedule;      // default: linear for sgd, constant otherwise
  double momentum = 0.0;
  double l2 = 1e-4;
  double weight_decay = 0.01;  // adamw only
  std::size_t steps = 100;
  std::size_t batch_size = 0;
  std::uint64_t seed = 1337;       // weights and batches
  std::uint64_t data_seed = 1337;  // the generated data set (micrograd's demo: one fixed set)
  bool unfused = false;  // micrograd's graph (2n+1 nodes a neuron) instead of one node a neuron
  bool fused = false;    // --fused: the default since fusing is exact; kept for old scripts
  std::string out = "micrograd-out";
  std::size_t max_nodes = DotOptions{}.max_nodes;
  bool quiet = false;
  bool no_plots = false;    // logs only: no pictures, no graph
  bool full_graph = false;  // graph.svg: the whole graph, not the output neuron's
};

std::vector<std::size_t> parse_layers(const std::string& text) {
  std::vector<std::size_t> sizes;
  std::stringstream s(text);
  std::string item;
  while (std::getline(s, item, ',')) {
    std::size_t n = 0;
    const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), n);
    if (item.empty() || ec != std::errc() || ptr != item.data() + item.size() || n == 0)
      throw CLI::ValidationError("--layers",
                                 "'" + text + "' is not a list of positive sizes like 16,16");
    sizes.push_back(n);
  }
  return sizes;
}

// Sizes a run may ask for, checked before anything is allocated: a typo (--samples 1000000000,
// --layers 100000,100000) must be a clear error, not gigabytes of memory in seconds.
constexpr std::size_t kMaxSamples = 10'000'000;
constexpr double kMaxParameters = 50e6;     // 800 MB of data and grads, before any graph
constexpr double kMaxNodesPerStep = 400e6;  // about 10 GB of tape (25 B a node)

Dataset load_dataset(const TrainArgs& a) {
  if (a.samples > kMaxSamples && a.dataset.rfind("csv:", 0) != 0 && a.dataset != "lecture")
    throw CLI::ValidationError("--samples", "at most " + std::to_string(kMaxSamples) + ", got " +
                                                std::to_string(a.samples));
  if (a.dataset == "moons") return make_moons(a.samples, a.noise, a.data_seed);
  if (a.dataset == "circles") return make_circles(a.samples, a.noise, 0.5, a.data_seed);
  if (a.dataset == "spiral")
    return make_spiral(std::max<std::size_t>(a.samples / a.classes, 1), a.classes, a.data_seed);
  if (a.dataset == "lecture") return lecture_dataset();
  if (a.dataset.rfind("csv:", 0) == 0) return load_csv(a.dataset.substr(4), a.label_column);
  throw CLI::ValidationError("--dataset", "'" + a.dataset +
                                              "' is not one of moons, circles, spiral, lecture, "
                                              "csv:PATH");
}

// The optimizers share step(lr) and zero_grad(); a variant keeps them by value.
using Optimizer = std::variant<SGD, Adam, AdamW>;

// A progress line on a terminal, plain lines otherwise, nothing with --quiet. Steps are counted
// from 0 as in the logs (micrograd's "step 0" .. "step 99"); the terminal line also shows the
// elapsed time, the speed and the time left, and fits the terminal's width.
class Progress {
 public:
  Progress(std::size_t total, bool quiet)
      : total_(total),
        quiet_(quiet),
        tty_(::isatty(2) == 1),
        start_(std::chrono::steady_clock::now()) {}
  void update(std::size_t step, double loss, double acc, double lr) {
    if (quiet_) return;
    if (tty_) {
      const double elapsed = seconds_since_start();
      const double rate = static_cast<double>(step + 1) / std::max(elapsed, 1e-9);
      const double left = static_cast<double>(total_ - step - 1) / rate;
      char stats[160];
      std::snprintf(stats, sizeof stats,
                    "step %zu/%zu  loss %.6f  accuracy %5.1f%%  lr %.4g  %.1f s, %.0f steps/s, "
                    "%.1f s left",
                    step, total_ - 1, loss, acc * 100.0, lr, elapsed, rate, left);
      std::string line = stats;
      const std::size_t width = terminal_width();
      if (line.size() + 34 <= width) {  // room for a bar
        const std::size_t bar = 30, done = (step + 1) * bar / total_;
        line = "[" + std::string(done, '#') + std::string(bar - done, '.') + "] " + line;
      }
      if (line.size() >= width) line.resize(width - 1);  // a narrow terminal: never wrap
      std::cerr << "\r" << line << std::string(width - 1 - line.size(), ' ') << std::flush;
      if (step + 1 == total_) std::cerr << "\n";
      return;
    }
    const std::size_t every = total_ <= 200 ? 1 : total_ / 100;
    if (step % every == 0 || step + 1 == total_) {
      // micrograd's demo line: f"step {k} loss {total_loss.data}, accuracy {acc*100}%"
      std::cerr << "step " << step << " loss " << python_float_repr(loss) << ", accuracy "
                << python_float_repr(acc * 100.0) << "%\n";
    }
  }
  // Says what happens next (drawing can take seconds after the last step).
  void note(const std::string& text) const {
    if (!quiet_) std::cerr << text << "\n";
  }

 private:
  double seconds_since_start() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  static std::size_t terminal_width() {
    winsize w{};
    if (::ioctl(2, TIOCGWINSZ, &w) == 0 && w.ws_col >= 20) return w.ws_col;
    return 80;
  }
  std::size_t total_;
  bool quiet_, tty_;
  std::chrono::steady_clock::time_point start_;
};

struct StepLog {
  std::size_t step;
  double loss, data_loss, reg_loss, accuracy, lr;
};

// Forward on the rows `rows` of d: the loss (data + L2) and the accuracy. Call inside a TapeScope.
struct Forward {
  Value total, data_loss, reg_loss;
  double accuracy = 0.0;
};

int run_train(const TrainArgs& a) {
  namespace fs = std::filesystem;
  const auto t0 = std::chrono::steady_clock::now();

  // ---- data and configuration checks
  const Dataset data = load_dataset(a);
  if (data.size() == 0) throw std::runtime_error("the data set '" + a.dataset + "' is empty");
  const bool binary = data.is_binary();
  const std::string loss_name = a.loss.empty() ? (binary ? "svm" : "softmax") : a.loss;
  if (!binary && loss_name != "softmax")
    throw CLI::ValidationError("--loss", "'" + loss_name + "' needs two classes but the data has " +
                                             std::to_string(data.num_classes) +
                                             "; use --loss softmax");
  const bool softmax = loss_name == "softmax";
  const std::vector<std::size_t> hidden = parse_layers(a.layers);
  const std::size_t nout = softmax ? data.num_classes : 1;
  const double lr = a.lr.value_or(a.optimizer == "sgd" ? 1.0 : 0.05);
  const std::string schedule_name =
      a.schedule.empty() ? (a.optimizer == "sgd" ? "linear" : "constant") : a.schedule;
  if (a.momentum != 0.0 && a.optimizer != "sgd")
    throw CLI::ValidationError("--momentum", "only applies to --optimizer sgd");
  const Schedule schedule =
      schedule_name == "linear"
          ? Schedule(LinearDecayLR{lr, 0.9 * lr})  // micrograd: 1.0 - 0.9*k/100
          : Schedule(ConstantLR{lr});
  const std::size_t batch = a.batch_size == 0 || a.batch_size >= data.size() ? 0 : a.batch_size;

  // ---- model and optimizer (created before the step loop's TapeScope, so they survive it)
  nn::MLPOptions mo;
  mo.hidden = a.activation == "tanh" ? nn::Activation::Tanh : nn::Activation::ReLU;
  mo.output = nn::Activation::Linear;
  mo.seed = a.seed;
  mo.fused = !a.unfused;
  std::vector<std::size_t> sizes = hidden;
  sizes.push_back(nout);
  {  // the model's size and one step's graph, before allocating either
    double parameters = 0.0, neurons = 0.0, nin = static_cast<double>(data.num_features());
    for (const std::size_t n : sizes) {
      parameters += (nin + 1.0) * static_cast<double>(n);
      neurons += static_cast<double>(n);
      nin = static_cast<double>(n);
    }
    if (parameters > kMaxParameters)
      throw CLI::ValidationError(
          "--layers", "the model would have " + std::to_string(static_cast<long long>(parameters)) +
                          " parameters; the limit is 50 million");
    const double rows = static_cast<double>(batch == 0 ? data.size() : batch);
    // fused: one node a neuron; unfused: 2 per weight (a * and a +) and 2 per neuron
    const double per_row = a.unfused ? 2.0 * parameters + 2.0 * neurons : neurons + nout + 8.0;
    if (rows * per_row > kMaxNodesPerStep)
      throw CLI::ValidationError(
          "--batch-size", "one step would build about " +
                              std::to_string(static_cast<long long>(rows * per_row)) +
                              " graph nodes (" + std::to_string(static_cast<long long>(rows)) +
                              " samples); use a smaller --batch-size or model");
  }
  const nn::MLP model(data.num_features(), sizes, mo);
  const std::vector<Value> params = model.parameters();
  Optimizer opt =
      a.optimizer == "adam" ? Optimizer(std::in_place_type<Adam>, params, lr)
      : a.optimizer == "adamw"
          ? Optimizer(std::in_place_type<AdamW>, params, lr, 0.9, 0.999, 1e-8, a.weight_decay)
          : Optimizer(std::in_place_type<SGD>, params, lr, a.momentum);
  const std::vector<std::size_t> classes = data.classes();

  std::string arch = std::to_string(data.num_features());
  for (const std::size_t n : sizes) arch += "-" + std::to_string(n);
  std::ostringstream header;
  header << "micrograd train: " << a.dataset << " (" << data.size() << " samples, "
         << data.num_features() << " features, " << data.num_classes << " classes), MLP " << arch
         << " " << (a.activation == "tanh" ? "tanh" : "ReLU") << " (" << params.size()
         << " parameters), loss " << loss_name
         << (a.l2 > 0 ? " + " + python_float_repr(a.l2) + " L2" : "") << ", " << a.optimizer
         << " lr " << python_float_repr(lr) << " " << schedule_name << ", " << a.steps << " steps, "
         << (batch == 0 ? std::string("full batch") : "batch " + std::to_string(batch)) << ", seed "
         << a.seed << " (data seed " << a.data_seed << ")"
         << (a.unfused ? ", micrograd's node-by-node graph" : "");
  std::cout << header.str() << std::endl;
  const std::string title =
      a.dataset + ": MLP " + arch + ", " + loss_name + " loss, " + a.optimizer;

  // Forward on some rows: micrograd's loss() of the demo.
  auto forward = [&](const std::vector<std::size_t>& rows) {
    std::vector<Value> scores;
    std::vector<std::vector<Value>> logits;
    std::vector<double> y;
    std::vector<std::size_t> c;
    for (const std::size_t r : rows) {
      std::vector<Value> x;
      x.reserve(data.X[r].size());
      for (const double v : data.X[r]) x.emplace_back(v);
      if (softmax)
        logits.push_back(model(x));
      else
        scores.push_back(model.score(x));
      y.push_back(data.y[r]);
      c.push_back(classes[r]);
    }
    Forward f;
    if (softmax)
      f.data_loss = softmax_cross_entropy(logits, c);
    else if (loss_name == "svm")
      f.data_loss = svm_max_margin(scores, y);
    else if (loss_name == "bce")
      f.data_loss = binary_cross_entropy_with_logits(scores, y);
    else
      f.data_loss = mse(scores, y);
    f.reg_loss = l2_regularization(params, a.l2);
    f.total = f.data_loss + f.reg_loss;
    f.accuracy = softmax ? accuracy(logits, c) : accuracy(scores, y);
    return f;
  };

  // ---- the training loop
  std::vector<std::size_t> all(data.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  Rng batch_rng(a.seed ^ 0x5bd1e995ULL);
  std::vector<StepLog> log;
  log.reserve(std::min<std::size_t>(a.steps, 1 << 20));  // grows past that as needed
  Progress progress(a.steps, a.quiet);
  std::optional<std::size_t> diverged_at;  // the step whose loss or update was not finite
  std::string diverged_what;
  for (std::size_t k = 0; k < a.steps; ++k) {
    TapeScope scope;  // this step's graph is reclaimed at the closing brace
    std::vector<std::size_t> rows = all;
    if (batch != 0) {  // micrograd: np.random.permutation(n)[:batch_size]
      batch_rng.shuffle(rows);
      rows.resize(batch);
    }
    Forward f = forward(rows);
    std::visit([](auto& o) { o.zero_grad(); }, opt);
    f.total.backward();
    const double step_lr = schedule(k, a.steps);
    std::visit([&](auto& o) { o.step(step_lr); }, opt);
    log.push_back({k, f.total.data(), f.data_loss.data(), f.reg_loss.data(), f.accuracy, step_lr});
    progress.update(k, f.total.data(), f.accuracy, step_lr);
    if (!std::isfinite(f.total.data())) {
      diverged_at = k;
      diverged_what = "the loss became " + python_float_repr(f.total.data());
    } else {
      for (const Value& p : params)
        if (!std::isfinite(p.data())) {
          diverged_at = k;
          diverged_what = "its update made a parameter " + python_float_repr(p.data());
          break;
        }
    }
    if (diverged_at) break;
  }
  if (diverged_at) {
    std::cerr << "micrograd train: training diverged at step " << *diverged_at << ": "
              << diverged_what << " (learning rate " << python_float_repr(lr) << ", optimizer "
              << a.optimizer
              << "). Try a smaller --lr (for example a tenth of it); the logs up to that step are "
                 "written, no pictures.\n";
  }
  double final_loss = 0.0, final_acc = 0.0;
  if (batch == 0) {  // full batch: the same graph as the steps (micrograd's demo numbers)
    TapeScope scope;
    const Forward f = forward(all);
    final_loss = f.total.data();
    final_acc = f.accuracy;
  } else {  // minibatches: memory follows the batch, so evaluate batch by batch
    double data_sum = 0.0, correct = 0.0, reg = 0.0;
    for (std::size_t first = 0; first < all.size(); first += batch) {
      TapeScope scope;
      const std::vector<std::size_t> rows(
          all.begin() + static_cast<std::ptrdiff_t>(first),
          all.begin() + static_cast<std::ptrdiff_t>(std::min(first + batch, all.size())));
      const Forward f = forward(rows);  // every loss here is a mean over its rows
      data_sum += f.data_loss.data() * static_cast<double>(rows.size());
      correct += f.accuracy * static_cast<double>(rows.size());
      reg = f.reg_loss.data();
    }
    final_loss = data_sum / static_cast<double>(all.size()) + reg;
    final_acc = correct / static_cast<double>(all.size());
  }
  if (!a.no_plots) progress.note("writing the logs and drawing the pictures...");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // ---- outputs
  fs::create_directories(a.out);
  const std::size_t stale = remove_stale_temporaries(a.out);
  auto path = [&](const std::string& name) { return (fs::path(a.out) / name).string(); };
  std::vector<std::string> written, notes;
  if (stale > 0)
    notes.push_back("removed " + std::to_string(stale) +
                    " temporary file(s) an interrupted run had left in " + a.out);

  nlohmann::json j;
  j["config"] = {{"dataset", a.dataset},
                 {"samples", data.size()},
                 {"features", data.num_features()},
                 {"classes", data.num_classes},
                 {"layers", sizes},
                 {"activation", a.activation},
                 {"loss", loss_name},
                 {"l2", a.l2},
                 {"optimizer", a.optimizer},
                 {"lr", lr},
                 {"schedule", schedule_name},
                 {"momentum", a.momentum},
                 {"steps", a.steps},
                 {"batch_size", batch},
                 {"seed", a.seed},
                 {"data_seed", a.data_seed},
                 {"fused", !a.unfused},
                 {"noise", a.noise},
                 {"parameters", params.size()}};
  std::string csv = "step,loss,data_loss,reg_loss,accuracy,lr\n";
  nlohmann::json steps = nlohmann::json::array();
  std::vector<double> losses, accs;
  for (const StepLog& s : log) {
    steps.push_back({{"step", s.step},
                     {"loss", s.loss},
                     {"data_loss", s.data_loss},
                     {"reg_loss", s.reg_loss},
                     {"accuracy", s.accuracy},
                     {"lr", s.lr}});
    csv += std::to_string(s.step) + "," + python_float_repr(s.loss) + "," +
           python_float_repr(s.data_loss) + "," + python_float_repr(s.reg_loss) + "," +
           python_float_repr(s.accuracy) + "," + python_float_repr(s.lr) + "\n";
    losses.push_back(s.loss);
    accs.push_back(s.accuracy);
  }
  j["steps"] = steps;
  j["final"] = {{"loss", final_loss}, {"accuracy", final_acc}, {"seconds", seconds}};
  write_file_atomically(path("log.json"), j.dump(2) + "\n");
  written.push_back(path("log.json"));
  write_file_atomically(path("log.csv"), csv);
  written.push_back(path("log.csv"));
  if (diverged_at) {
    for (const std::string& w : written) std::cout << "wrote " << w << "\n";
    return kExitFailure;
  }

  // Pictures: a missing tool skips the picture with a note; a failed write (a full disk, no
  // permission) is an error: said at the end, and the exit code is 1.
  std::vector<std::string> failures;
  auto attempt = [&](const std::string& file, const std::function<void()>& make) {
    try {
      make();
      written.push_back(file);
    } catch (const MissingTool& e) {
      notes.push_back("skipped " + file + ": " + e.what());
    } catch (const std::exception& e) {
      failures.push_back(e.what());
    }
  };
  if (a.no_plots) notes.push_back("no pictures (--no-plots)");
  if (!a.no_plots && !losses.empty()) {
    for (const char* ext : {".png", ".svg"}) {
      const std::string file = path(std::string("training_curves") + ext);
      attempt(file, [&] { plot_training_curves(losses, accs, file, title); });
    }
  }
  if (a.no_plots) {
  } else if (data.num_features() == 2) {
    std::vector<std::array<double, 2>> points;
    for (const auto& row : data.X) points.push_back({row[0], row[1]});
    DecisionBoundaryOptions po;
    po.multiclass = softmax;
    char acc_text[32];
    std::snprintf(acc_text, sizeof acc_text, "%.1f%%", final_acc * 100.0);
    po.title = title + ": accuracy " + acc_text;
    auto score = [&](double x, double y) {  // plain doubles: no graph per grid point
      const std::vector<double> z = model.predict({x, y});
      if (!softmax) return z[0];
      std::size_t best = 0;
      for (std::size_t c = 1; c < z.size(); ++c)
        if (z[c] > z[best]) best = c;
      return static_cast<double>(best);
    };
    for (const char* ext : {".png", ".svg"}) {
      const std::string file = path(std::string("decision_boundary") + ext);
      attempt(file, [&] { plot_decision_boundary(score, points, data.y, file, po); });
    }
  } else {
    notes.push_back("no decision boundary picture: the data has " +
                    std::to_string(data.num_features()) + " features, not 2");
  }
  if (!a.no_plots) {  // the graph of the first sample's score
    TapeScope scope;
    std::vector<Value> x;
    for (std::size_t i = 0; i < data.X[0].size(); ++i)
      x.emplace_back(data.X[0][i], "x" + std::to_string(i));
    Value s;
    if (a.full_graph || model.layers().size() == 1) {
      s = model.forward(x, false)[0];  // micrograd's whole graph (1,619 nodes for the demo)
    } else {
      // What a person can read: the output neuron's own graph (micrograd's * and + nodes), its
      // inputs the last hidden layer's values for this sample, as leaves h0, h1, ...
      std::vector<Value> h = x;
      for (std::size_t l = 0; l + 1 < model.layers().size(); ++l) {
        std::vector<Value> next;
        for (const nn::Neuron& n : model.layers()[l].neurons()) next.push_back(n(h, false));
        h = std::move(next);
      }
      std::vector<Value> leaves;
      for (std::size_t i = 0; i < h.size(); ++i)
        leaves.emplace_back(h[i].data(), "h" + std::to_string(i));
      s = model.layers().back().neurons()[0](leaves, false);
    }
    s.set_label(softmax ? "logit0" : "score");
    s.backward();
    DotOptions o;
    o.max_nodes = a.max_nodes;
    const std::string file = path("graph.svg");
    try {
      const std::string dot = to_dot(s, o);
      attempt(file, [&] { render(dot, file); });
    } catch (const std::length_error&) {
      notes.push_back("no graph picture: the score's graph has more than " +
                      std::to_string(a.max_nodes) + " nodes (raise --max-nodes to draw it)");
    }
    for (const Value& p : params) p.grad() = 0.0;  // leave no trace of this backward
  }

  // ---- summary
  char line[200];
  std::snprintf(line, sizeof line, "final: loss %.6g, accuracy %.1f%% on all %zu samples, %.2f s",
                final_loss, final_acc * 100.0, data.size(), seconds);
  std::cout << line << "\n";
  for (const std::string& w : written) std::cout << "wrote " << w << "\n";
  for (const std::string& n : notes) std::cout << "note: " << n << "\n";
  for (const std::string& f : failures) std::cerr << "micrograd train: error: " << f << "\n";
  return failures.empty() ? 0 : kExitFailure;
}

}  // namespace

// Short, human range errors (CLI11's PositiveNumber prints the whole range up to DBL_MAX, 309
// digits).
CLI::Validator number_check(const char* what, bool (*ok)(double)) {
  return CLI::Validator(
      [what, ok](std::string& text) -> std::string {
        char* end = nullptr;
        const double x = std::strtod(text.c_str(), &end);
        if (end == text.c_str() || *end != '\0') return {};  // the type check reports it
        if (!ok(x)) return std::string("must be ") + what + ", got " + text;
        return {};
      },
      "");
}
const CLI::Validator kPositive = number_check("positive", [](double x) { return x > 0.0; });
const CLI::Validator kNonNegative = number_check("zero or more", [](double x) { return x >= 0.0; });
// A double option must be a finite number: CLI11's range checks let nan through (every
// comparison with nan is false), and inf or 1e400 make every later number inf.
const CLI::Validator kFinite =
    number_check("a finite number", [](double x) { return std::isfinite(x); });

void setup_train(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand(
      "train", "Train an MLP classifier (default: micrograd's two-moons demo) and plot it");
  cmd->footer(
      "Defaults reproduce micrograd's demo.ipynb: make_moons(100, noise 0.1), MLP(2, [16, 16, 1])\n"
      "ReLU, SVM max-margin loss + 1e-4 L2, SGD with lr 1.0 - 0.9*k/100, 100 full-batch steps.\n"
      "Writes to --out: decision_boundary.{png,svg} (2-feature data), training_curves.{png,svg},\n"
      "log.json, log.csv, graph.svg (the output neuron's graph, first sample).\n"
      "csv:PATH: one sample per row, comma-separated numbers, an optional header row, the label\n"
      "in the last column (--label-column): -1/+1 or 0/1 (binary), or classes 0..k-1.");
  cmd->add_option("--dataset", a->dataset, "moons, circles, spiral, lecture or csv:PATH (below)")
      ->capture_default_str();
  cmd->add_option("--samples", a->samples, "Number of samples (moons, circles, spiral)")
      ->capture_default_str()
      ->check(kPositive);
  cmd->add_option("--noise", a->noise, "Noise standard deviation (moons, circles)")
      ->check(kFinite)
      ->capture_default_str()
      ->check(kNonNegative);
  cmd->add_option("--classes", a->classes, "Number of spiral arms (spiral)")
      ->capture_default_str()
      ->check(number_check("2 to 8", [](double x) { return x >= 2.0 && x <= 8.0; }));
  cmd->add_option("--label-column", a->label_column, "Label column of a CSV file (-1: last)")
      ->capture_default_str();
  cmd->add_option("--layers", a->layers,
                  "Hidden layer sizes; the output size follows from the data")
      ->capture_default_str();
  cmd->add_option("--activation", a->activation, "Hidden activation")
      ->capture_default_str()
      ->check(CLI::IsMember({"relu", "tanh"}));
  cmd->add_option("--loss", a->loss, "Loss (default: svm for two classes, softmax for more)")
      ->check(CLI::IsMember({"svm", "mse", "bce", "softmax"}));
  cmd->add_option("--optimizer", a->optimizer, "Optimizer")
      ->capture_default_str()
      ->check(CLI::IsMember({"sgd", "adam", "adamw"}));
  cmd->add_option("--lr", a->lr, "Learning rate (default: 1.0 for sgd, 0.05 for adam/adamw)")
      ->check(kFinite)
      ->check(kPositive);
  cmd->add_option("--schedule", a->schedule,
                  "linear: lr*(1 - 0.9*k/steps) (sgd's default), or constant")
      ->check(CLI::IsMember({"constant", "linear"}));
  cmd->add_option("--momentum", a->momentum, "SGD momentum")
      ->check(kFinite)
      ->capture_default_str()
      ->check(number_check("0 to 1", [](double x) { return x >= 0.0 && x <= 1.0; }));
  cmd->add_option("--l2", a->l2, "L2 regularization strength alpha (micrograd: 1e-4)")
      ->check(kFinite)
      ->capture_default_str()
      ->check(kNonNegative);
  cmd->add_option("--weight-decay", a->weight_decay, "AdamW's decoupled weight decay")
      ->check(kFinite)
      ->capture_default_str()
      ->check(kNonNegative);
  cmd->add_option("--steps", a->steps, "Training steps")->capture_default_str()->check(kPositive);
  cmd->add_option("--batch-size", a->batch_size, "Samples per step (0: full batch)")
      ->capture_default_str()
      ->check(kNonNegative);
  cmd->add_option("--seed", a->seed, "Seed of the weights and the batches")
      ->capture_default_str()
      ->check(kNonNegative);  // "-1" would silently become 2^64 - 1
  cmd->add_option("--data-seed", a->data_seed,
                  "Seed of the generated data set (moons, circles, spiral)")
      ->capture_default_str()
      ->check(kNonNegative);
  CLI::Option* unfused = cmd->add_flag(
      "--unfused", a->unfused, "micrograd's own graph (a node per * + ReLU): same numbers, slower");
  cmd->add_flag("--fused", a->fused, "The default (one node per neuron); kept for old scripts")
      ->excludes(unfused);
  cmd->add_option("--out", a->out, "Output directory")->capture_default_str();
  cmd->add_option("--max-nodes", a->max_nodes, "Largest graph drawn to graph.svg")
      ->capture_default_str()
      ->check(kPositive);
  cmd->add_flag("--quiet,-q", a->quiet, "No progress display");
  cmd->add_flag("--full-graph", a->full_graph,
                "graph.svg: the whole network's graph, not the output neuron's");
  cmd->add_flag("--no-plots", a->no_plots,
                "Logs only: no pictures, no graph (big models draw slowly)");
  // The help fits 100 columns: short placeholders instead of CLI11's type names.
  for (CLI::Option* o : cmd->get_options()) {
    const std::string type = o->get_type_name();
    if (type.rfind("UINT", 0) == 0 || type.rfind("INT", 0) == 0)
      o->type_name("N");
    else if (type.rfind("FLOAT", 0) == 0)
      o->type_name("X");
    else if (type.rfind("TEXT", 0) == 0)
      o->type_name("NAME");
  }
  cmd->get_formatter()->column_width(34);
  cmd->callback([a, &exit_code] { exit_code = run_train(*a); });
}

}  // namespace micrograd::cli
