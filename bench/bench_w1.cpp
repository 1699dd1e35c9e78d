// bench_w1.cpp: workload W1 of docs/benchmarks.md, micrograd's moons demo: one full-batch
// training step (forward, backward, SGD update) of MLP 2 -> 16 -> 16 -> 1 on 100 points, next to
// a plain-double forward pass of the same network timed in the same run.
//
// Three ways of building the step, all micrograd-exact in their numbers:
//   scalar  the network written out from Values in micrograd's order (workloads.hpp), depends on
//           nothing but value.hpp: 65,481 nodes per step, like micrograd;
//   nn      micrograd::nn::MLP + svm_max_margin + l2_regularization + SGD (the library's path);
//   fused   the same with MLPOptions::fused, the library's default (one dense node per neuron,
//           same numbers); `nn` above sets fused = false (micrograd's graph, 65,481 nodes).
//
//   bench_w1                 Google Benchmark run (ms/step, nodes/step, ratio to plain double)
//   bench_w1 --summary [N]   N training runs of 100 steps (default 5), medians, a markdown table
// Not here: W2/W3 (bench_w2.cpp), the peers (built locally, see docs/benchmarks.md).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "micrograd/data.hpp"
#include "micrograd/loss.hpp"
#include "micrograd/micrograd.hpp"
#include "micrograd/nn.hpp"
#include "micrograd/optim.hpp"
#include "workloads.hpp"

namespace {

using micrograd::Value;

constexpr int kSteps = 100;
constexpr std::size_t kSamples = 100;
double learning_rate(int k) { return 1.0 - 0.9 * k / 100.0; }

// ---- the plain-double floor: the same network and loss, forward only

struct Plain {
  bench::Moons data = bench::make_moons(kSamples, 0.1);
  std::vector<double> params = bench::mlp_init();
  double forward() const { return bench::moons_loss(params, data); }
};

// ---- scalar: the network written out from Values (workloads.hpp)

struct Scalar {
  bench::Moons data = bench::make_moons(kSamples, 0.1);
  std::vector<Value> params;
  Scalar() {
    for (double p : bench::mlp_init()) params.emplace_back(p);
  }
  struct Step {
    double loss;
    int correct;
    std::size_t nodes;
  };
  Step step(int k) {
    micrograd::TapeScope scope;  // the step's graph is reclaimed at the closing brace
    micrograd::Tape& tape = micrograd::Tape::current();
    const auto before = tape.size();
    std::vector<Value> scores;
    scores.reserve(kSamples);
    Value loss = bench::moons_loss(params, data, &scores);
    const std::size_t nodes = tape.size() - before;
    for (const Value& p : params) p.grad() = 0.0;
    loss.backward();
    const double lr = learning_rate(k);
    for (const Value& p : params) p.data() -= lr * p.grad();
    int correct = 0;
    for (std::size_t i = 0; i < kSamples; ++i) correct += (data.y[i] > 0) == (scores[i].data() > 0);
    return {loss.data(), correct, nodes};
  }
};

// ---- nn: the library's MLP, loss and optimizer

struct Library {
  micrograd::Dataset data = micrograd::make_moons(kSamples, 0.1, 1337);
  micrograd::nn::MLP model;
  micrograd::SGD sgd;
  bool l2_graph;
  micrograd::LeafRunCache runs;
  explicit Library(bool fused, bool l2_graph = true)
      : model(2, {16, 16, 1},
              [fused] {
                micrograd::nn::MLPOptions o;
                o.fused = fused;
                return o;
              }()),
        sgd(model.parameters(), 1.0),
        l2_graph(l2_graph) {}
  Scalar::Step step(int k) {
    micrograd::TapeScope scope;
    micrograd::Tape& tape = micrograd::Tape::current();
    const auto before = tape.size();
    std::vector<Value> scores;
    scores.reserve(kSamples);
    for (const std::vector<Value>& x : micrograd::to_values(data.X))
      scores.push_back(model.score(x));
    const micrograd::ColumnRun run = runs.get(sgd.params());
    const std::size_t n = sgd.params().size();
    Value loss;
    if (l2_graph)
      loss = micrograd::svm_max_margin(scores, data.y) +
             micrograd::l2_regularization(sgd.params(), 1e-4);
    else  // the L2 term without its graph: its gradient goes in before backward()
      loss = micrograd::svm_max_margin(scores, data.y) +
             micrograd::l2_regularization_value(run.data, n, 1e-4);
    const std::size_t nodes = tape.size() - before;
    sgd.zero_grad();
    if (!l2_graph) micrograd::add_l2_regularization_gradient(run.data, run.grad, 0, n, 1e-4);
    loss.backward();
    sgd.step(learning_rate(k));
    const double acc = micrograd::accuracy(scores, data.y);
    return {loss.data(), static_cast<int>(std::lround(acc * kSamples)), nodes};
  }
};

// (W1 on several threads, ParallelGradient: bench_parallel.cpp, which times 1 and N threads
// interleaved with long-lived threads.)

// ---- timing: a 100-step training run, each step timed, plus the plain forward per step

struct Run {
  std::vector<double> step_ns, plain_ns;
  Scalar::Step first{}, last{};
};

template <class Model>
Run train(Model& model, const Plain& plain) {
  Run run;
  for (int k = 0; k < kSteps; ++k) {
    const double t0 = bench::now_ns();
    const Scalar::Step s = model.step(k);
    const double t1 = bench::now_ns();
    double f = plain.forward();
    benchmark::DoNotOptimize(f);
    run.plain_ns.push_back(bench::now_ns() - t1);
    run.step_ns.push_back(t1 - t0);
    if (k == 0) run.first = s;
    run.last = s;
  }
  return run;
}

// ---- Google Benchmark entry points: one training step per iteration (a fresh model every 100)

template <class Make>
void bench_steps(benchmark::State& state, Make make) {
  micrograd::TapeScope params_scope;  // the models' parameters are reclaimed at the end too
  Plain plain;
  auto model = make();
  int k = 0;
  std::vector<double> plain_ns;
  std::size_t nodes = 0;
  double step_ns = 0;
  for (auto _ : state) {
    const double t0 = bench::now_ns();
    const Scalar::Step s = model->step(k);
    step_ns += bench::now_ns() - t0;
    nodes = s.nodes;
    if (++k == kSteps) {
      state.PauseTiming();
      k = 0;
      model = make();
      state.ResumeTiming();
    }
  }
  for (int r = 0; r < 50; ++r) {
    const double t0 = bench::now_ns();
    double f = plain.forward();
    benchmark::DoNotOptimize(f);
    plain_ns.push_back(bench::now_ns() - t0);
  }
  state.counters["nodes_per_step"] = static_cast<double>(nodes);
  state.counters["plain_fwd_us"] = bench::median(plain_ns) * 1e-3;
  state.counters["step/plain"] =  // mean step time / median plain forward time
      step_ns / static_cast<double>(state.iterations()) / bench::median(plain_ns);
}

void BM_W1_Scalar(benchmark::State& state) {
  bench_steps(state, [] { return std::make_unique<Scalar>(); });
}
void BM_W1_nn(benchmark::State& state) {
  bench_steps(state, [] { return std::make_unique<Library>(false); });
}
void BM_W1_nn_fused(benchmark::State& state) {
  bench_steps(state, [] { return std::make_unique<Library>(true); });
}
void BM_W1_nn_fused_l2_plain(benchmark::State& state) {
  bench_steps(state, [] { return std::make_unique<Library>(true, false); });
}
void BM_W1_PlainDoubleForward(benchmark::State& state) {
  Plain plain;
  for (auto _ : state) {
    double f = plain.forward();
    benchmark::DoNotOptimize(f);
  }
}
BENCHMARK(BM_W1_Scalar)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_W1_nn)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_W1_nn_fused)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_W1_nn_fused_l2_plain)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_W1_PlainDoubleForward)->Unit(benchmark::kMillisecond);
// ---- --summary

template <class Make>
void summary_row(const char* name, int repeats, Make make) {
  micrograd::TapeScope params_scope;
  Plain plain;
  std::vector<double> step, ratio, fwd;
  Run run;
  for (int r = 0; r < repeats; ++r) {
    auto model = make();
    run = train(*model, plain);
    const double s = bench::median(run.step_ns), p = bench::median(run.plain_ns);
    step.push_back(s);
    fwd.push_back(p);
    ratio.push_back(s / p);
  }
  std::printf("| %s | %.4f | %.4f | %.1fx | %zu | %.6f -> %.6f | %d %% |\n", name,
              bench::median(step) * 1e-6, bench::median(fwd) * 1e-6, bench::median(ratio),
              run.last.nodes, run.first.loss, run.last.loss, run.last.correct);
  std::fflush(stdout);
}

int summary(int repeats) {
  std::printf(
      "machine: %s\n%d training runs of %d steps each; per run the median step, then the "
      "median over runs\n\n",
      bench::machine_info().c_str(), repeats, kSteps);
  std::printf(
      "| W1 build | ms/step | plain double fwd ms | step / plain | nodes/step | loss first -> last "
      "step | accuracy at last step |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  summary_row("scalar (Values, micrograd order)", repeats,
              [] { return std::make_unique<Scalar>(); });
  summary_row("nn::MLP, fused = false", repeats, [] { return std::make_unique<Library>(false); });
  summary_row("nn::MLP (default: dense nodes)", repeats,
              [] { return std::make_unique<Library>(true); });
  summary_row("nn::MLP, L2 without a graph", repeats,
              [] { return std::make_unique<Library>(true, false); });
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "--summary") == 0)
    return summary(argc >= 3 ? std::atoi(argv[2]) : 5);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
