// train.cpp: `micrograd train`: micrograd's demo (two moons, MLP 2-16-16-1 ReLU, SVM max-margin
// loss + 1e-4 L2, SGD with lr 1.0 - 0.9*k/100, 100 full-batch steps) with every piece selectable,
// a progress display, and the pictures and logs written to an output directory.
// Not here: the model, losses, optimizers and data (nn/loss/optim/data.hpp); this only wires them.
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "commands.hpp"
#include "data_option.hpp"
#include "micrograd/data.hpp"
#include "micrograd/draw.hpp"
#include "micrograd/io.hpp"
#include "micrograd/loss.hpp"
#include "micrograd/model.hpp"
#include "micrograd/nn.hpp"
#include "micrograd/optim.hpp"
#include "micrograd/parallel.hpp"
#include "micrograd/plot.hpp"
#include "micrograd/random.hpp"
#include "train_page.hpp"

namespace micrograd::cli {
namespace {

struct TrainArgs {
  DataSpec data;  // --dataset and its companions
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
  std::size_t epochs = 0;   // > 0: passes over the data (shuffled each time) instead of --steps
  std::size_t threads = 0;  // gradient workers with --epochs (0: one per core)
  std::size_t batch_size = 0;
  std::string weight_init = "unit";  // unit: micrograd's U(-1, 1); fan-in: that / sqrt(nin)
  std::uint64_t seed = 1337;         // weights and batches
  // micrograd: the demo's random streams (NumPy's for the moons and the batches, Python's for the
  // weights), so its numbers come out; own: the project's generator (random.hpp).
  std::string rng = "micrograd";
  bool unfused = false;  // micrograd's graph (2n+1 nodes a neuron) instead of one node a neuron
  bool fused = false;    // --fused: the default since fusing is exact; kept for old scripts
  std::string out = "micrograd-out";
  std::size_t max_nodes = DotOptions{}.max_nodes;
  bool quiet = false;
  bool no_plots = false;    // logs only: no pictures, no graph
  bool full_graph = false;  // graph.svg: the whole graph, not the output neuron's
  std::string save;         // write the trained model here (model.hpp's format)
  std::string init;         // start from this saved model instead of new weights
  std::string html;         // write the run as an interactive page (train_page.hpp)
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
constexpr double kMaxParameters = 50e6;     // 800 MB of data and grads, before any graph
constexpr double kMaxNodesPerStep = 400e6;  // about 10 GB of tape (25 B a node)

// A progress line on a terminal, plain lines otherwise, nothing with --quiet. Steps are counted
// from 0 as in the logs (micrograd's "step 0" .. "step 99"); the terminal line also shows the
// elapsed time, the speed and the time left, and fits the terminal's width.
class Progress {
 public:
  // steps_per_epoch > 0: epochs of that many steps, shown with the samples per second.
  Progress(std::size_t total, bool quiet, std::size_t steps_per_epoch = 0, std::size_t batch = 0)
      : total_(total),
        quiet_(quiet),
        tty_(::isatty(2) == 1),
        steps_per_epoch_(steps_per_epoch),
        batch_(batch),
        start_(std::chrono::steady_clock::now()) {}
  void update(std::size_t step, double loss, double acc, double lr) {
    if (quiet_) return;
    if (tty_) {
      const double elapsed = seconds_since_start();
      const double rate = static_cast<double>(step + 1) / std::max(elapsed, 1e-9);
      const double left = static_cast<double>(total_ - step - 1) / rate;
      char stats[200];
      if (steps_per_epoch_ > 0)
        std::snprintf(stats, sizeof stats,
                      "epoch %zu/%zu step %zu/%zu loss %.4f acc %.1f%% %.0f samples/s %.1f s, "
                      "%.1f s left",
                      step / steps_per_epoch_ + 1, total_ / steps_per_epoch_, step, total_ - 1,
                      loss, acc * 100.0, rate * static_cast<double>(batch_), elapsed, left);
      else
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
    if (steps_per_epoch_ > 0) return;  // plain output: the epoch lines only
    const std::size_t every = total_ <= 200 ? 1 : total_ / 100;
    if (step % every == 0 || step + 1 == total_) {
      // micrograd's demo line: f"step {k} loss {total_loss.data}, accuracy {acc*100}%"
      std::cerr << "step " << step << " loss " << python_float_repr(loss) << ", accuracy "
                << python_float_repr(acc * 100.0) << "%\n";
    }
  }
  // Ends the terminal's progress line before another line is printed.
  void break_line() const {
    if (!quiet_ && tty_) std::cerr << "\n";
  }
  double elapsed() const { return seconds_since_start(); }

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
  std::size_t steps_per_epoch_, batch_;
  std::chrono::steady_clock::time_point start_;
};

// ---- 1. The plan: what the options and the data set ask for, checked before anything is built.
struct Plan {
  std::string loss;  // svm, mse, bce or softmax
  bool softmax = false;
  std::vector<std::size_t> sizes;  // the MLP's layers, output included
  double lr = 1.0;
  std::string schedule_name;
  Schedule schedule = ConstantLR{1.0};
  std::size_t batch = 0;  // 0: full batch
  std::size_t parameters = 0;
  std::size_t steps = 0, epochs = 0, steps_per_epoch = 0;  // epochs 0: --steps random batches
  std::size_t threads = 1;                                 // epochs: gradient workers
  std::string activation;  // of the hidden layers: ReLU, Tanh (Linear: none)
};

// init: the model of --init, whose architecture replaces --layers and --activation.
Plan plan_run(const TrainArgs& a, const Dataset& data, const nn::MLP* init) {
  if (data.size() == 0) throw std::runtime_error("the data set '" + a.data.dataset + "' is empty");
  if (!a.html.empty() && data.num_features() != 2)
    throw CLI::ValidationError(
        "--html", "the page draws the decision boundary over the plane: " + a.data.dataset +
                      " has " + std::to_string(data.num_features()) + " features, not 2");
  Plan p;
  const bool binary = data.is_binary();
  p.loss = a.loss.empty() ? (binary ? "svm" : "softmax") : a.loss;
  if (!binary && p.loss != "softmax")
    throw CLI::ValidationError("--loss", "'" + p.loss + "' needs two classes but the data has " +
                                             std::to_string(data.num_classes) +
                                             "; use --loss softmax");
  p.softmax = p.loss == "softmax";
  const std::size_t nout = p.softmax ? data.num_classes : 1;
  if (init) {
    if (init->nin() != data.num_features())
      throw CLI::ValidationError("--init", a.init + " takes " + std::to_string(init->nin()) +
                                               " inputs, the data has " +
                                               std::to_string(data.num_features()) + " features");
    if (init->nout() != nout)
      throw CLI::ValidationError("--init", a.init + " has " + std::to_string(init->nout()) +
                                               " outputs; loss " + p.loss + " on this data needs " +
                                               std::to_string(nout));
    for (const nn::Layer& l : init->layers()) p.sizes.push_back(l.nout());
    p.activation = init->layers().size() > 1
                       ? nn::to_string(init->layers().front().neurons().front().activation())
                       : "Linear";
  } else {
    p.sizes = parse_layers(a.layers);
    p.sizes.push_back(nout);
    p.activation = a.activation == "tanh" ? "Tanh" : "ReLU";
  }
  p.lr = a.lr.value_or(a.optimizer == "sgd" ? 1.0 : 0.05);
  p.schedule_name =
      a.schedule.empty() ? (a.optimizer == "sgd" ? "linear" : "constant") : a.schedule;
  if (a.momentum != 0.0 && a.optimizer != "sgd")
    throw CLI::ValidationError("--momentum", "only applies to --optimizer sgd");
  p.schedule = p.schedule_name == "linear"
                   ? Schedule(LinearDecayLR{p.lr, 0.9 * p.lr})  // micrograd: 1.0 - 0.9*k/100
                   : Schedule(ConstantLR{p.lr});
  p.batch = a.batch_size == 0 || a.batch_size >= data.size() ? 0 : a.batch_size;
  p.epochs = a.epochs;
  p.threads = a.threads > 0 ? a.threads : std::max(1u, std::thread::hardware_concurrency());
  if (p.epochs > 0) {
    const std::size_t b = p.batch == 0 ? data.size() : p.batch;
    p.steps_per_epoch = (data.size() + b - 1) / b;
    p.steps = p.epochs * p.steps_per_epoch;
  } else {
    p.steps = a.steps;
  }

  // The model's size and one step's graph, before allocating either.
  double parameters = 0.0, neurons = 0.0, nin = static_cast<double>(data.num_features());
  for (const std::size_t n : p.sizes) {
    parameters += (nin + 1.0) * static_cast<double>(n);
    neurons += static_cast<double>(n);
    nin = static_cast<double>(n);
  }
  if (parameters > kMaxParameters)
    throw CLI::ValidationError("--layers", "the model would have " +
                                               std::to_string(static_cast<long long>(parameters)) +
                                               " parameters; the limit is 50 million");
  const double rows = static_cast<double>(p.batch == 0 ? data.size() : p.batch);
  // fused: one node a neuron; unfused: 2 per weight (a * and a +) and 2 per neuron
  const double per_row = a.unfused ? 2.0 * parameters + 2.0 * neurons
                                   : neurons + static_cast<double>(p.sizes.back()) + 8.0;
  if (rows * per_row > kMaxNodesPerStep)
    throw CLI::ValidationError("--batch-size",
                               "one step would build about " +
                                   std::to_string(static_cast<long long>(rows * per_row)) +
                                   " graph nodes (" + std::to_string(static_cast<long long>(rows)) +
                                   " samples); use a smaller --batch-size or model");
  p.parameters = static_cast<std::size_t>(parameters);
  return p;
}

// ---- 2. The model and its optimizer (made before any step's TapeScope, so they outlive them).
nn::MLP make_model(const TrainArgs& a, const Dataset& data, const Plan& p) {
  nn::MLPOptions mo;
  mo.hidden = a.activation == "tanh" ? nn::Activation::Tanh : nn::Activation::ReLU;
  mo.output = nn::Activation::Linear;
  mo.seed = a.seed;
  mo.stream = a.rng == "micrograd" ? nn::MLPOptions::Stream::Python : nn::MLPOptions::Stream::Own;
  mo.fused = !a.unfused;
  mo.fan_in = a.weight_init == "fan-in";
  return nn::MLP(data.num_features(), p.sizes, mo);
}

// The optimizers share step(lr) and zero_grad(); a variant keeps them by value.
using Optimizer = std::variant<SGD, Adam, AdamW>;

Optimizer make_optimizer(const TrainArgs& a, const std::vector<Value>& params, const Plan& p) {
  if (a.optimizer == "adam") return Optimizer(std::in_place_type<Adam>, params, p.lr);
  if (a.optimizer == "adamw")
    return Optimizer(std::in_place_type<AdamW>, params, p.lr, 0.9, 0.999, 1e-8, a.weight_decay);
  return Optimizer(std::in_place_type<SGD>, params, p.lr, a.momentum);
}

std::string architecture(std::size_t nin, const Plan& p) {
  std::string arch = std::to_string(nin);
  for (const std::size_t n : p.sizes) {
    arch += '-';  // (not "-" + ...: GCC 12's -Wrestrict false positive)
    arch += std::to_string(n);
  }
  return arch;
}

// The run's first line: everything that decides its numbers.
std::string describe(const TrainArgs& a, const Dataset& data, const Plan& p) {
  std::ostringstream h;
  h << "micrograd train: " << a.data.dataset << " (" << data.size() << " samples, "
    << data.num_features() << " features, " << data.num_classes << " classes), MLP "
    << architecture(data.num_features(), p) << " " << p.activation << " (" << p.parameters
    << " parameters), loss " << p.loss << (a.l2 > 0 ? " + " + python_float_repr(a.l2) + " L2" : "")
    << ", " << a.optimizer << " lr " << python_float_repr(p.lr) << " " << p.schedule_name << ", "
    << (p.epochs > 0 ? std::to_string(p.epochs) + " epochs (" + std::to_string(p.steps) +
                           " steps, " + std::to_string(p.threads) + " threads)"
                     : std::to_string(p.steps) + " steps")
    << ", " << (p.batch == 0 ? std::string("full batch") : "batch " + std::to_string(p.batch))
    << ", seed " << a.seed << " (data seed " << a.data.data_seed << ")"
    << (a.rng == "micrograd" ? ", micrograd's random streams" : ", own random streams")
    << (a.unfused ? ", micrograd's node-by-node graph" : "")
    << (a.init.empty() ? "" : ", starting from " + a.init);
  return h.str();
}

// ---- 3. The loss: micrograd's loss() of the demo, on some rows. Call inside a TapeScope.
struct Forward {
  Value total, data_loss, reg_loss;
  double accuracy = 0.0;
};

class Objective {
 public:
  Objective(const Dataset& data, const nn::MLP& model, const std::vector<Value>& params,
            const Plan& plan, double l2)
      : data_(data),
        model_(model),
        params_(params),
        plan_(plan),
        l2_(l2),
        classes_(data.classes()) {}

  Forward operator()(const std::vector<std::size_t>& rows) const {
    Forward f = data_loss(model_, rows);
    f.reg_loss = l2_regularization(params_, l2_);
    f.total = f.data_loss + f.reg_loss;
    return f;
  }

  // The data loss (a mean over `rows`) and the accuracy of `model` (the trained model or a
  // thread's replica of it, on the calling thread's tape), without the regularization.
  Forward data_loss(const nn::MLP& model, std::span<const std::size_t> rows) const {
    std::vector<Value> scores;
    std::vector<std::vector<Value>> logits;
    std::vector<double> y;
    std::vector<std::size_t> c;
    for (const std::size_t r : rows) {
      const std::vector<Value> x(data_.X[r].begin(), data_.X[r].end());
      if (plan_.softmax)
        logits.push_back(model(x));
      else
        scores.push_back(model.score(x));
      y.push_back(data_.y[r]);
      c.push_back(classes_[r]);
    }
    Forward f;
    if (plan_.softmax)
      f.data_loss = softmax_cross_entropy(logits, c);
    else if (plan_.loss == "svm")
      f.data_loss = svm_max_margin(scores, y);
    else if (plan_.loss == "bce")
      f.data_loss = binary_cross_entropy_with_logits(scores, y);
    else
      f.data_loss = mse(scores, y);
    f.accuracy = plan_.softmax ? accuracy(logits, c) : accuracy(scores, y);
    return f;
  }
  double l2() const { return l2_; }

 private:
  const Dataset& data_;
  const nn::MLP& model_;
  const std::vector<Value>& params_;
  const Plan& plan_;
  double l2_;
  std::vector<std::size_t> classes_;
};

// ---- 4. The training loop: micrograd's demo loop (forward, zero_grad, backward, update).
struct StepLog {
  std::size_t step;
  double loss, data_loss, reg_loss, accuracy, lr;
};

struct EpochLog {
  std::size_t epoch;
  double train_loss, train_accuracy;  // means over the epoch's batches
  std::optional<double> test_accuracy;
  double seconds;  // since the start of training
};

// Rows per chunk of a parallel gradient: fixed, so the result does not depend on --threads.
constexpr std::size_t kChunk = 16;

struct History {
  std::vector<StepLog> steps;
  TrainingRecord frames;  // with --html: the parameters at the start of some steps
  std::vector<EpochLog> epochs;
  std::optional<std::size_t> diverged_at;  // the step whose loss or update was not finite
  std::string diverged_what;
};

// The accuracy of `model` on a held-out set, in plain doubles (no graph).
double test_accuracy(const nn::MLP& model, const Dataset& test, std::size_t threads) {
  const std::vector<std::vector<double>> z = model.predict_batch(test.X, threads);
  std::size_t correct = 0;
  for (std::size_t i = 0; i < z.size(); ++i) correct += predicts(z[i], test.y[i]);
  return test.size() == 0 ? 0.0 : static_cast<double>(correct) / static_cast<double>(test.size());
}

// numpy: the demo's NumPy generator (batches by np.random.permutation), or null (own Rng).
// With epochs (p.epochs > 0) each epoch is a new permutation cut into batches, and `test` (if
// any) is evaluated after each.
History train(const TrainArgs& a, const Plan& p, const Objective& loss, Optimizer& opt,
              const std::vector<Value>& params, std::size_t n, NumpyRandomState* numpy,
              const nn::MLP& model, const Dataset* test) {
  std::vector<std::size_t> all(n);
  for (std::size_t i = 0; i < n; ++i) all[i] = i;
  Rng batch_rng(a.seed ^ 0x5bd1e995ULL);
  History h;
  h.steps.reserve(std::min<std::size_t>(p.steps, 1 << 20));  // grows past that as needed
  Progress progress(p.steps, a.quiet, p.steps_per_epoch, p.batch == 0 ? n : p.batch);
  // Epochs: gradients by `--threads` workers (the same numbers for any count, parallel.hpp).
  std::optional<ParallelGradient> pg;
  if (p.epochs > 0) pg.emplace(model, p.threads);
  std::vector<std::size_t> order;  // this epoch's permutation
  LeafRunCache param_runs;         // where the parameters' columns are (checked in full once)
  double epoch_loss = 0.0, epoch_correct = 0.0;
  for (std::size_t k = 0; k < p.steps; ++k) {
    TapeScope scope;  // this step's graph is reclaimed at the closing brace
    if (!a.html.empty() && is_frame_step(k, p.steps)) {  // the weights this step's loss uses
      std::vector<double> now;
      for (const Value& w : params) now.push_back(w.data());
      h.frames.frame_steps.push_back(k);
      h.frames.frame_params.push_back(std::move(now));
    }
    std::vector<std::size_t> rows;
    if (p.epochs > 0) {  // a new permutation each epoch, cut into batches
      const std::size_t j = k % p.steps_per_epoch, b = p.batch == 0 ? n : p.batch;
      if (j == 0) {
        order = numpy ? numpy->permutation(n) : all;
        if (!numpy) batch_rng.shuffle(order);
        epoch_loss = epoch_correct = 0.0;
      }
      rows.assign(order.begin() + static_cast<std::ptrdiff_t>(j * b),
                  order.begin() + static_cast<std::ptrdiff_t>(std::min(n, (j + 1) * b)));
    } else if (p.batch != 0) {  // micrograd: ri = np.random.permutation(X.shape[0])[:batch_size]
      if (numpy) {
        rows = numpy->permutation(n);
      } else {
        rows = all;
        batch_rng.shuffle(rows);
      }
      rows.resize(p.batch);
    } else {
      rows = all;  // full batch
    }
    Forward f;
    const double lr = p.schedule(k, p.steps);
    bool stepped = false;  // the update was made by the gradient's threads, block by block
    if (pg) {              // epochs: the batch's gradient by the worker threads, chunk by chunk
      const ParallelGradient::ChunkLoss chunk_loss = [&](const nn::MLP& replica,
                                                         std::span<const std::size_t> c) {
        const Forward part = loss.data_loss(replica, c);
        return ChunkOutcome{part.data_loss, part.accuracy * static_cast<double>(c.size())};
      };
      // The L2 term's gradient and the optimizer's update are elementwise: each thread adds the
      // one and makes the other on the blocks of the parameters it summed (the numbers of the
      // L2 graph's backward and of one step afterwards; nothing left to do on one thread).
      const double l2 = loss.l2();
      const ColumnRun run = param_runs.get(params);
      ParallelGradient::Result r;
      if (run.data != nullptr && std::visit([lr](auto& o) { return o.begin_step(lr); }, opt)) {
        f.reg_loss = Value(l2 > 0.0 ? l2_regularization_value(run.data, params.size(), l2) : 0.0);
        r = pg->gradient(rows, kChunk, chunk_loss, [&opt, run, l2](std::size_t b, std::size_t e) {
          if (l2 > 0.0) add_l2_regularization_gradient(run.data, run.grad, b, e, l2);
          std::visit([b, e](auto& o) { o.update_range(b, e); }, opt);
        });
        stepped = true;
      } else {
        r = pg->gradient(rows, kChunk, chunk_loss);
        if (l2 > 0.0) {
          f.reg_loss = l2_regularization(params, l2);
          f.reg_loss.backward();  // adds its gradient to the chunks' sum
        } else {
          f.reg_loss = Value(0.0);  // no graph of 2 nodes per parameter for a zero term
        }
      }
      f.data_loss = Value(r.loss);
      f.total = f.data_loss + f.reg_loss;
      f.accuracy = r.extra / static_cast<double>(rows.size());
    } else {
      // The L2 term without its graph (2 nodes a parameter) unless micrograd's whole graph is
      // asked for (--unfused: to look at it): its value, and its gradient put in the grads
      // before backward() adds the data loss's, where the graph's backward puts it (its nodes
      // come after the data loss's, so the sweep reaches them first): the same numbers bit for
      // bit (test Loss.L2WithoutAGraphTrainsTheSameWeights).
      const ColumnRun run = param_runs.get(params);
      const bool l2_graph = run.data == nullptr || a.unfused;
      if (l2_graph) {
        f = loss(rows);
      } else {
        f = loss.data_loss(model, rows);
        f.reg_loss = Value(l2_regularization_value(run.data, params.size(), loss.l2()));
        f.total = f.data_loss + f.reg_loss;
      }
      std::visit([](auto& o) { o.zero_grad(); }, opt);
      if (!l2_graph)
        add_l2_regularization_gradient(run.data, run.grad, 0, params.size(), loss.l2());
      f.total.backward();
    }
    if (!stepped) std::visit([&](auto& o) { o.step(lr); }, opt);
    h.steps.push_back({k, f.total.data(), f.data_loss.data(), f.reg_loss.data(), f.accuracy, lr});
    progress.update(k, f.total.data(), f.accuracy, lr);
    if (p.epochs > 0) {
      epoch_loss += f.total.data() * static_cast<double>(rows.size());
      epoch_correct += f.accuracy * static_cast<double>(rows.size());
      if ((k + 1) % p.steps_per_epoch == 0) {
        EpochLog e{(k + 1) / p.steps_per_epoch, epoch_loss / static_cast<double>(n),
                   epoch_correct / static_cast<double>(n), std::nullopt, 0.0};
        if (test) e.test_accuracy = test_accuracy(model, *test, p.threads);
        e.seconds = progress.elapsed();
        h.epochs.push_back(e);
        if (!a.quiet) {
          progress.break_line();
          char test_text[48] = "";
          if (e.test_accuracy)
            std::snprintf(test_text, sizeof test_text, ", test accuracy %.2f%%",
                          *e.test_accuracy * 100.0);
          char line[200];
          std::snprintf(line, sizeof line,
                        "epoch %zu/%zu: loss %.4f, train accuracy %.2f%%%s, %.0f samples/s, %.1f s",
                        e.epoch, p.epochs, e.train_loss, e.train_accuracy * 100.0, test_text,
                        static_cast<double>(e.epoch * n) / std::max(e.seconds, 1e-9), e.seconds);
          std::cerr << line << "\n";
        }
      }
    }
    if (!std::isfinite(f.total.data())) {
      h.diverged_what = "the loss became " + python_float_repr(f.total.data());
    } else if (const ColumnRun run = param_runs.get(params); run.data) {  // the columns, in bulk
      const double* bad = std::find_if(run.data, run.data + params.size(),
                                       [](double x) { return !std::isfinite(x); });
      if (bad != run.data + params.size())
        h.diverged_what = "its update made a parameter " + python_float_repr(*bad);
    } else {
      for (const Value& w : params)
        if (!std::isfinite(w.data())) {
          h.diverged_what = "its update made a parameter " + python_float_repr(w.data());
          break;
        }
    }
    if (!h.diverged_what.empty()) {
      h.diverged_at = k;
      break;
    }
  }
  if (h.diverged_at) {
    std::cerr << "micrograd train: training diverged at step " << *h.diverged_at << ": "
              << h.diverged_what << " (learning rate " << python_float_repr(p.lr) << ", optimizer "
              << a.optimizer
              << "). Try a smaller --lr (for example a tenth of it); the logs up to that step are "
                 "written, no pictures.\n";
  }
  return h;
}

// ---- 5. The final loss and accuracy on every sample.
struct Evaluation {
  double loss = 0.0, accuracy = 0.0;
};

Evaluation evaluate(const Objective& loss, std::size_t n, std::size_t batch) {
  std::vector<std::size_t> all(n);
  for (std::size_t i = 0; i < n; ++i) all[i] = i;
  if (batch == 0) {  // full batch: the same graph as the steps (micrograd's demo numbers)
    TapeScope scope;
    const Forward f = loss(all);
    return {f.total.data(), f.accuracy};
  }
  // Minibatches: memory follows the batch, so evaluate batch by batch.
  double data_sum = 0.0, correct = 0.0, reg = 0.0;
  for (std::size_t first = 0; first < n; first += batch) {
    TapeScope scope;
    const std::vector<std::size_t> rows(
        all.begin() + static_cast<std::ptrdiff_t>(first),
        all.begin() + static_cast<std::ptrdiff_t>(std::min(first + batch, n)));
    const Forward f = loss(rows);  // every loss here is a mean over its rows
    data_sum += f.data_loss.data() * static_cast<double>(rows.size());
    correct += f.accuracy * static_cast<double>(rows.size());
    reg = f.reg_loss.data();
  }
  return {data_sum / static_cast<double>(n) + reg, correct / static_cast<double>(n)};
}

// ---- 6. Outputs: files in --out, each listed as written, skipped (with why) or failed.
class Outputs {
 public:
  explicit Outputs(const std::string& dir) : dir_(dir) {
    std::filesystem::create_directories(dir);
    if (const std::size_t stale = remove_stale_temporaries(dir); stale > 0)
      notes.push_back("removed " + std::to_string(stale) +
                      " temporary file(s) an interrupted run had left in " + dir);
  }
  std::string path(const std::string& name) const {
    return (std::filesystem::path(dir_) / name).string();
  }
  void write(const std::string& name, const std::string& text) {
    write_file_atomically(path(name), text);
    written.push_back(path(name));
  }
  // A missing tool skips the file with a note; a failed write (a full disk, no permission) is an
  // error: said at the end, and the exit code is 1.
  void attempt(const std::string& file, const std::function<void()>& make) {
    try {
      make();
      written.push_back(file);
    } catch (const MissingTool& e) {
      notes.push_back("skipped " + file + ": " + e.what());
    } catch (const std::exception& e) {
      failures.push_back(e.what());
    }
  }
  std::vector<std::string> written, notes, failures;

 private:
  std::string dir_;
};

void write_logs(Outputs& out, const TrainArgs& a, const Dataset& data, const Plan& p,
                const History& h, const Evaluation& final, double seconds) {
  nlohmann::json j;
  j["config"] = {{"dataset", a.data.dataset},
                 {"samples", data.size()},
                 {"features", data.num_features()},
                 {"classes", data.num_classes},
                 {"layers", p.sizes},
                 {"activation", p.activation},
                 {"init", a.init},
                 {"loss", p.loss},
                 {"l2", a.l2},
                 {"optimizer", a.optimizer},
                 {"lr", p.lr},
                 {"schedule", p.schedule_name},
                 {"momentum", a.momentum},
                 {"steps", p.steps},
                 {"epochs", p.epochs},
                 {"batch_size", p.batch},
                 {"seed", a.seed},
                 {"data_seed", a.data.data_seed},
                 {"rng", a.rng},
                 {"fused", !a.unfused},
                 {"noise", a.data.noise},
                 {"parameters", p.parameters}};
  std::string csv = "step,loss,data_loss,reg_loss,accuracy,lr\n";
  nlohmann::json steps = nlohmann::json::array();
  for (const StepLog& s : h.steps) {
    steps.push_back({{"step", s.step},
                     {"loss", s.loss},
                     {"data_loss", s.data_loss},
                     {"reg_loss", s.reg_loss},
                     {"accuracy", s.accuracy},
                     {"lr", s.lr}});
    csv += std::to_string(s.step) + "," + python_float_repr(s.loss) + "," +
           python_float_repr(s.data_loss) + "," + python_float_repr(s.reg_loss) + "," +
           python_float_repr(s.accuracy) + "," + python_float_repr(s.lr) + "\n";
  }
  j["steps"] = steps;
  nlohmann::json epochs = nlohmann::json::array();
  for (const EpochLog& e : h.epochs) {
    nlohmann::json x = {{"epoch", e.epoch},
                        {"loss", e.train_loss},
                        {"accuracy", e.train_accuracy},
                        {"seconds", e.seconds}};
    if (e.test_accuracy) x["test_accuracy"] = *e.test_accuracy;
    epochs.push_back(x);
  }
  j["epochs"] = epochs;
  j["final"] = {{"loss", final.loss}, {"accuracy", final.accuracy}, {"seconds", seconds}};
  if (!h.epochs.empty() && h.epochs.back().test_accuracy)
    j["final"]["test_accuracy"] = *h.epochs.back().test_accuracy;
  out.write("log.json", j.dump(2) + "\n");
  out.write("log.csv", csv);
}

// Grid points times parameters a decision boundary may cost (about a second at 4e9): a big model
// gets a coarser grid, and a note says so.
constexpr double kBoundaryBudget = 4e9;

// Pictures of a run with epochs and a test set: the curves per epoch, the test set's confusion
// matrix, and the test images the model gets wrong (for image data).
void draw_test_pictures(Outputs& out, const TrainArgs& a, const Dataset& test, const Plan& p,
                        const nn::MLP& model, const History& h) {
  static const std::vector<std::string> kFashion = {
      "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
      "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  std::vector<std::string> names;
  for (std::size_t c = 0; c < p.sizes.back(); ++c)
    names.push_back(a.data.dataset == "fashion-mnist" && c < kFashion.size() ? kFashion[c]
                                                                             : std::to_string(c));
  std::vector<double> loss, train_acc, test_acc;
  for (const EpochLog& e : h.epochs) {
    loss.push_back(e.train_loss);
    train_acc.push_back(e.train_accuracy);
    if (e.test_accuracy) test_acc.push_back(*e.test_accuracy);
  }
  const std::string title =
      a.data.dataset + ": MLP " + architecture(model.nin(), p) + ", " + a.optimizer;
  for (const char* ext : {".png", ".svg"}) {
    const std::string file = out.path(std::string("epochs") + ext);
    out.attempt(file, [&] { plot_epoch_curves(loss, train_acc, test_acc, file, title); });
  }
  if (!p.softmax) return;  // a confusion matrix of classes
  const std::vector<std::vector<double>> z = model.predict_batch(test.X, p.threads);
  std::vector<std::vector<std::size_t>> counts(names.size(),
                                               std::vector<std::size_t>(names.size()));
  std::vector<std::vector<double>> wrong;
  std::vector<std::string> captions;
  for (std::size_t i = 0; i < z.size(); ++i) {
    const auto predicted = static_cast<std::size_t>(predicted_class(z[i]));
    const auto truth = static_cast<std::size_t>(test.y[i]);
    if (truth < names.size()) ++counts[truth][predicted];
    if (predicted != truth && wrong.size() < 40 && truth < names.size()) {
      wrong.push_back(test.X[i]);
      captions.push_back(names[truth] + " as " + names[predicted]);
    }
  }
  const std::string file = out.path("confusion_matrix.png");
  out.attempt(file, [&] {
    plot_confusion_matrix(counts, names, file, "test set: true class against predicted");
  });
  if (test.image_rows > 0 && !wrong.empty()) {
    const std::string grid = out.path("misclassified.png");
    out.attempt(grid, [&] {
      plot_image_grid(wrong, test.image_rows, test.image_cols, captions, 8, grid,
                      "test images the model gets wrong (true as predicted)");
    });
  }
}

void draw_pictures(Outputs& out, const TrainArgs& a, const Dataset& data, const Plan& p,
                   const nn::MLP& model, const History& h, const Evaluation& final) {
  const std::string title = a.data.dataset + ": MLP " + architecture(data.num_features(), p) +
                            ", " + p.loss + " loss, " + a.optimizer;
  std::vector<double> losses, accs;
  for (const StepLog& s : h.steps) losses.push_back(s.loss), accs.push_back(s.accuracy);
  for (const char* ext : {".png", ".svg"}) {
    const std::string file = out.path(std::string("training_curves") + ext);
    out.attempt(file, [&] { plot_training_curves(losses, accs, file, title); });
  }

  if (data.num_features() == 2) {
    std::vector<std::array<double, 2>> points;
    for (const auto& row : data.X) points.push_back({row[0], row[1]});
    DecisionBoundaryOptions po;
    po.multiclass = p.softmax;
    po.resolution = static_cast<int>(
        std::clamp(std::sqrt(kBoundaryBudget / static_cast<double>(p.parameters)), 20.0, 200.0));
    if (po.resolution < 200)
      out.notes.push_back(
          "the decision boundary is drawn on a coarser grid (" + std::to_string(po.resolution) +
          " cells across, not 200): the model has " + std::to_string(p.parameters) + " parameters");
    char acc_text[32];
    std::snprintf(acc_text, sizeof acc_text, "%.1f%%", final.accuracy * 100.0);
    po.title = title + ": accuracy " + acc_text;
    const GridScore score = grid_score(model);  // plain doubles: no graph per grid point
    std::string script;
    try {
      script = decision_boundary_script(score, points, data.y, po);  // scored once, drawn twice
    } catch (const std::exception& e) {
      out.failures.push_back(std::string("the decision boundary: ") + e.what());
    }
    for (const char* ext : {".png", ".svg"}) {
      const std::string file = out.path(std::string("decision_boundary") + ext);
      if (!script.empty())
        out.attempt(file, [&] { run_gnuplot(script, file, po.width, po.height); });
    }
  } else {
    out.notes.push_back("no decision boundary picture: the data has " +
                        std::to_string(data.num_features()) + " features, not 2");
  }

  // The graph of the first sample's score.
  TapeScope scope;
  std::vector<Value> x;
  for (std::size_t i = 0; i < data.X[0].size(); ++i)
    x.emplace_back(data.X[0][i], "x" + std::to_string(i));
  Value s;
  if (a.full_graph || model.layers().size() == 1) {
    s = model.forward(x, false)[0];  // micrograd's whole graph (1,619 nodes for the demo)
  } else {
    s = output_neuron_graph(model, x);  // what a person can read (train_page.hpp)
  }
  s.set_label(p.softmax ? "logit0" : "score");
  s.backward();
  DotOptions o;
  o.max_nodes = a.max_nodes;
  const std::string file = out.path("graph.svg");
  try {
    const std::string dot = to_dot(s, o);
    out.attempt(file, [&] { render(dot, file); });
  } catch (const std::length_error&) {
    out.notes.push_back("no graph picture: the score's graph has more than " +
                        std::to_string(a.max_nodes) + " nodes (raise --max-nodes to draw it)");
  }
  for (const Value& w : model.parameters()) w.grad() = 0.0;  // leave no trace of this backward
}

// micrograd's demo, step by step: data, model, loop, outputs.
int run_train(const TrainArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  std::optional<NumpyRandomState> numpy;  // np.random.seed(data_seed), drawn from in order
  if (a.rng == "micrograd") numpy.emplace(numpy_seed(a.data));
  const Dataset data = load_dataset(a.data, numpy ? &*numpy : nullptr);
  std::optional<SavedModel> init;  // --init: the saved model to continue training
  if (!a.init.empty()) {
    nn::MLPOptions o;
    o.fused = !a.unfused;
    init.emplace(load_model(a.init, o));
  }
  const std::optional<Dataset> test = load_test_set(a.data);  // Fashion-MNIST's 10,000
  const Plan plan = plan_run(a, data, init ? &init->mlp : nullptr);

  const nn::MLP model = init ? std::move(init->mlp) : make_model(a, data, plan);
  const std::vector<Value> params = model.parameters();
  Optimizer opt = make_optimizer(a, params, plan);
  std::cout << describe(a, data, plan) << std::endl;

  const Objective loss(data, model, params, plan, a.l2);
  const History history = train(a, plan, loss, opt, params, data.size(), numpy ? &*numpy : nullptr,
                                model, test ? &*test : nullptr);
  // With epochs, the last epoch's means (a pass over the whole set through the graph costs most
  // of an epoch); otherwise the loss and accuracy on every sample (micrograd's demo numbers).
  const Evaluation final =
      !history.epochs.empty()
          ? Evaluation{history.epochs.back().train_loss, history.epochs.back().train_accuracy}
          : evaluate(loss, data.size(), plan.batch);
  if (!a.quiet && !a.no_plots && !history.diverged_at)
    std::cerr << "writing the logs and drawing the pictures...\n";
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  Outputs out(a.out);
  write_logs(out, a, data, plan, history, final, seconds);
  if (history.diverged_at) {
    for (const std::string& w : out.written) std::cout << "wrote " << w << "\n";
    return kExitFailure;
  }
  if (!a.save.empty()) {  // the trained model, for `micrograd predict`, --init, micrograd_cpp
    ModelInfo info;
    info.loss = plan.loss;
    out.attempt(a.save, [&] { save_model(a.save, model, info); });
  }
  if (!a.html.empty()) {
    TrainingRecord r = history.frames;
    for (const StepLog& s : history.steps) {
      r.loss.push_back(s.loss);
      r.accuracy.push_back(s.accuracy);
      r.lr.push_back(s.lr);
    }
    out.attempt(a.html,
                [&] { write_training_page(a.html, describe(a, data, plan), model, data, r); });
  }
  if (a.no_plots)
    out.notes.push_back("no pictures (--no-plots)");
  else {
    draw_pictures(out, a, data, plan, model, history, final);
    if (test && !history.epochs.empty()) draw_test_pictures(out, a, *test, plan, model, history);
  }

  char line[200];
  std::snprintf(line, sizeof line, "final: loss %.6g, accuracy %.1f%% on all %zu samples%s, %.2f s",
                final.loss, final.accuracy * 100.0, data.size(),
                history.epochs.empty() ? "" : " (means over the last epoch)", seconds);
  std::cout << line << "\n";
  if (!history.epochs.empty() && history.epochs.back().test_accuracy)
    std::cout << "test accuracy " << std::fixed << std::setprecision(2)
              << *history.epochs.back().test_accuracy * 100.0 << "% on the " << test->size()
              << " held-out samples\n"
              << std::defaultfloat;
  for (const std::string& w : out.written) std::cout << "wrote " << w << "\n";
  for (const std::string& n : out.notes) std::cout << "note: " << n << "\n";
  for (const std::string& f : out.failures) std::cerr << "micrograd train: error: " << f << "\n";
  return out.failures.empty() ? 0 : kExitFailure;
}

}  // namespace

void setup_train(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand(
      "train", "Train an MLP classifier (default: micrograd's two-moons demo) and plot it");
  cmd->footer(
      "Defaults are micrograd's demo.ipynb, its numbers too: make_moons(100, noise 0.1) and the\n"
      "weights from NumPy's and Python's streams seeded 1337, MLP(2, [16, 16, 1]) ReLU, SVM loss\n"
      "+ 1e-4 L2, SGD with lr 1.0 - 0.9*k/100, 100 full-batch steps (docs/data.md).\n"
      "Writes to --out: decision_boundary.{png,svg} (2-feature data), training_curves.{png,svg},\n"
      "log.json, log.csv, graph.svg (the output neuron's graph, first sample).\n"
      "csv:PATH: one sample per row, comma-separated numbers, an optional header row, the label\n"
      "in the last column (--label-column): -1/+1 or 0/1 (binary), or classes 0..k-1.\n"
      "fashion-mnist: Debian's dataset-fashion-mnist (60,000 images, 10,000 held out); its\n"
      "defaults: --layers 128 --optimizer adam --lr 0.001 --batch-size 128 --l2 0 --epochs 10\n"
      "--weight-init fan-in. idx:IMAGES,LABELS[,TEST_IMAGES,TEST_LABELS]: any IDX files the same "
      "way.");
  add_data_options(*cmd, a->data);
  CLI::Option* layers = cmd->add_option("--layers", a->layers,
                                        "Hidden layer sizes; the output size follows from the data")
                            ->capture_default_str();
  CLI::Option* activation = cmd->add_option("--activation", a->activation, "Hidden activation")
                                ->capture_default_str()
                                ->check(CLI::IsMember({"relu", "tanh"}));
  cmd->add_option("--init", a->init, "Start from this saved model (its layers, its weights)")
      ->excludes(layers)
      ->excludes(activation);
  cmd->add_option("--save", a->save,
                  "Write the trained model to this file (JSON, docs/model-format.md)");
  cmd->add_option("--html", a->html, "Write the run as an interactive page (docs/explorer.md)")
      ->type_name("FILE");
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
  cmd->add_option("--epochs", a->epochs,
                  "Passes over the data instead of --steps (fashion-mnist: 10)")
      ->check(kPositive);
  cmd->add_option("--threads", a->threads,
                  "Gradient threads with --epochs (0: all); same numbers for any")
      ->capture_default_str();
  cmd->add_option("--weight-init", a->weight_init,
                  "unit: U(-1,1) (micrograd); fan-in: U(-1,1)/sqrt(inputs)")
      ->capture_default_str()
      ->check(CLI::IsMember({"unit", "fan-in"}));
  cmd->add_option("--batch-size", a->batch_size, "Samples per step (0: full batch)")
      ->capture_default_str()
      ->check(kNonNegative);
  cmd->add_option("--seed", a->seed, "Seed of the weights (and the batches with --rng own)")
      ->capture_default_str()
      ->check(kNonNegative);  // "-1" would silently become 2^64 - 1
  cmd->add_option("--rng", a->rng,
                  "micrograd: the demo's numbers (NumPy's, Python's streams), or own")
      ->capture_default_str()
      ->check(CLI::IsMember({"micrograd", "own"}));
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
  short_type_names(*cmd);
  cmd->get_formatter()->column_width(34);
  cmd->callback([a, cmd, &exit_code] {
    TrainArgs args = *a;
    args.data.samples_given = cmd->count("--samples") > 0;
    // Fashion-MNIST (any IDX data set): settings that train it well, where not given.
    if (idx_files(args.data)) {
      auto unset = [&](const char* name) { return cmd->count(name) == 0; };
      if (unset("--layers") && unset("--init")) args.layers = "128";
      if (unset("--optimizer")) args.optimizer = "adam";
      if (unset("--lr")) args.lr = 1e-3;
      if (unset("--batch-size")) args.batch_size = 128;
      if (unset("--l2")) args.l2 = 0.0;
      if (unset("--epochs") && unset("--steps")) args.epochs = 10;
      if (unset("--weight-init")) args.weight_init = "fan-in";
    }
    exit_code = run_train(args);
  });
}

}  // namespace micrograd::cli
