// bench_w2.cpp: workloads W2a (deep chain), W2b (random DAG) and W3 (lecture neuron) of
// docs/benchmarks.md on micrograd::Value, each next to a plain-double forward pass of the same
// computation timed in the same run, so the ratio is printed beside the absolute numbers.
//
//   bench_w2                 Google Benchmark run (counters: fwd/bwd ns per link or step, ratio
//                            to plain double, bytes per link or step)
//   bench_w2 --summary [N]   N repeats per size (default 7), medians, a markdown table
//   bench_w2 --rss W N       (internal) one W in {w2a, w2b, w2a-double, w2b-double} of size N in
//                            this fresh process; prints the peak RSS in bytes
// Memory is peak RSS of a fresh process running size N minus one running size 1, divided by N:
// the tape keeps its memory after a rewind, so it cannot be measured in-process.
// Not here: W1 (bench_w1.cpp), the peers (built locally, see docs/benchmarks.md).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "micrograd/micrograd.hpp"
#include "workloads.hpp"

namespace {

using micrograd::Value;

constexpr std::size_t kLinksSmall = 333'333, kLinksLarge = 3'333'333;
constexpr std::size_t kStepsSmall = 500'000, kStepsLarge = 5'000'000;

// ---- W2a deep chain

struct Chain {
  bench::ChainInit init;
  Value x0;
  std::vector<Value> w, b;
  explicit Chain(std::size_t links) : init(bench::chain_init(links)), x0(init.x0) {
    w.reserve(links);
    b.reserve(links);
    for (std::size_t i = 0; i < links; ++i) {
      w.emplace_back(init.w[i]);
      b.emplace_back(init.b[i]);
    }
  }
};

struct Timing {
  double fwd_ns, bwd_ns, plain_ns;
  double out, plain_out;
};

// One forward + backward on the tape (memory reclaimed at the end) and one plain-double forward.
Timing time_chain(Chain& c) {
  Timing t{};
  {
    micrograd::TapeScope scope;
    const double t0 = bench::now_ns();
    Value x = bench::chain_forward(c.x0, c.w, c.b);
    const double t1 = bench::now_ns();
    x.backward();
    const double t2 = bench::now_ns();
    benchmark::DoNotOptimize(c.x0.grad());
    t.fwd_ns = t1 - t0;
    t.bwd_ns = t2 - t1;
    t.out = x.data();
  }
  const double t3 = bench::now_ns();
  double x = bench::chain_forward(c.init.x0, c.init.w, c.init.b);
  benchmark::DoNotOptimize(x);
  t.plain_ns = bench::now_ns() - t3;
  t.plain_out = x;
  return t;
}

// ---- W2b random DAG

struct Dag {
  std::vector<double> init = bench::dag_init();
  std::vector<Value> leaves;
  Dag() {
    for (double v : init) leaves.emplace_back(v);
  }
};

Timing time_dag(Dag& d, std::size_t steps) {
  Timing t{};
  {
    micrograd::TapeScope scope;
    std::vector<Value> p = d.leaves;
    const double t0 = bench::now_ns();
    Value out = bench::dag_forward(p, steps);
    const double t1 = bench::now_ns();
    out.backward();
    const double t2 = bench::now_ns();
    benchmark::DoNotOptimize(d.leaves[0].grad());
    t.fwd_ns = t1 - t0;
    t.bwd_ns = t2 - t1;
    t.out = out.data();
  }
  std::vector<double> p = d.init;
  const double t3 = bench::now_ns();
  double out = bench::dag_forward(p, steps);
  benchmark::DoNotOptimize(out);
  t.plain_ns = bench::now_ns() - t3;
  t.plain_out = out;
  return t;
}

// ---- memory: one fresh process per (workload, size)

long long rss_child(const std::string& what, std::size_t n) {
  if (what == "w2a") {
    Chain c(n);
    Value x = bench::chain_forward(c.x0, c.w, c.b);
    x.backward();
    benchmark::DoNotOptimize(c.x0.grad());
  } else if (what == "w2a-double") {
    bench::ChainInit c = bench::chain_init(n);
    double x = bench::chain_forward(c.x0, c.w, c.b);
    benchmark::DoNotOptimize(x);
  } else if (what == "w2b") {
    Dag d;
    std::vector<Value> p = d.leaves;
    Value out = bench::dag_forward(p, n);
    out.backward();
    benchmark::DoNotOptimize(d.leaves[0].grad());
  } else if (what == "w2b-double") {
    std::vector<double> p = bench::dag_init();
    double out = bench::dag_forward(p, n);
    benchmark::DoNotOptimize(out);
  } else {
    std::fprintf(stderr, "unknown workload %s\n", what.c_str());
    return -1;
  }
  return bench::peak_rss_bytes();
}

// Bytes per link/step: peak RSS at size n minus peak RSS at size 1, over n. Cached per process.
double bytes_per_unit(const std::string& what, std::size_t n) {
  static std::map<std::pair<std::string, std::size_t>, double> cache;
  auto key = std::make_pair(what, n);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  try {
    const long long big = bench::run_child_number({"--rss", what, std::to_string(n)});
    const long long one = bench::run_child_number({"--rss", what, "1"});
    return cache[key] = static_cast<double>(big - one) / static_cast<double>(n);
  } catch (const std::runtime_error& e) {  // e.g. under valgrind, /proc/self/exe is not us
    std::fprintf(stderr, "bench_w2: no memory figure for %s: %s\n", what.c_str(), e.what());
    return cache[key] = std::nan("");
  }
}

// ---- W3 lecture neuron

struct Neuron {
  double o, dx1, dw1, dx2, dw2, db;
};
Neuron lecture_neuron() {
  micrograd::TapeScope scope;
  Value x1(2.0), x2(0.0), w1(-3.0), w2(1.0), b(6.8813735870195432);
  Value o = tanh(x1 * w1 + x2 * w2 + b);
  o.backward();
  return {o.data(), x1.grad(), w1.grad(), x2.grad(), w2.grad(), b.grad()};
}

bool check_neuron() {
  const Neuron n = lecture_neuron();
  const bool ok = std::fabs(n.o - 0.7071067811865476) < 1e-15 && std::fabs(n.dx1 + 1.5) < 1e-12 &&
                  std::fabs(n.dw1 - 1.0) < 1e-12 && std::fabs(n.dx2 - 0.5) < 1e-12 &&
                  n.dw2 == 0.0 && std::fabs(n.db - 0.5) < 1e-12;
  using micrograd::python_float_repr;
  std::printf("W3 lecture neuron: o=%s do/dx1=%s do/dw1=%s do/dx2=%s do/dw2=%s do/db=%s  %s\n",
              python_float_repr(n.o).c_str(), python_float_repr(n.dx1).c_str(),
              python_float_repr(n.dw1).c_str(), python_float_repr(n.dx2).c_str(),
              python_float_repr(n.dw2).c_str(), python_float_repr(n.db).c_str(),
              ok ? "OK" : "MISMATCH");
  return ok;
}

// ---- Google Benchmark entry points

void report(benchmark::State& state, const std::vector<Timing>& runs, double units,
            const std::string& mem_ours, const std::string& mem_plain) {
  std::vector<double> f, b, p;
  for (const Timing& t : runs) {
    f.push_back(t.fwd_ns / units);
    b.push_back(t.bwd_ns / units);
    p.push_back(t.plain_ns / units);
  }
  const double fm = bench::median(f), bm = bench::median(b), pm = bench::median(p);
  state.counters["fwd_ns"] = fm;
  state.counters["bwd_ns"] = bm;
  state.counters["plain_ns"] = pm;
  state.counters["fwd/plain"] = fm / pm;
  state.counters["bytes"] = bytes_per_unit(mem_ours, static_cast<std::size_t>(units));
  state.counters["plain_bytes"] = bytes_per_unit(mem_plain, static_cast<std::size_t>(units));
}

void BM_W2a_DeepChain(benchmark::State& state) {
  const auto links = static_cast<std::size_t>(state.range(0));
  micrograd::TapeScope leaves;  // reclaims the leaves too (backward scans the tape down to 0)
  Chain c(links);
  time_chain(c);  // warm-up: the first forward on a fresh tape also pays for committing memory
  std::vector<Timing> runs;
  for (auto _ : state) {
    runs.push_back(time_chain(c));
    state.SetIterationTime((runs.back().fwd_ns + runs.back().bwd_ns) * 1e-9);
  }
  report(state, runs, static_cast<double>(links), "w2a", "w2a-double");
}
BENCHMARK(BM_W2a_DeepChain)
    ->Arg(kLinksSmall)
    ->Arg(kLinksLarge)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void BM_W2b_RandomDag(benchmark::State& state) {
  const auto steps = static_cast<std::size_t>(state.range(0));
  micrograd::TapeScope leaves;
  Dag d;
  time_dag(d, steps);  // warm-up, as above
  std::vector<Timing> runs;
  for (auto _ : state) {
    runs.push_back(time_dag(d, steps));
    state.SetIterationTime((runs.back().fwd_ns + runs.back().bwd_ns) * 1e-9);
  }
  report(state, runs, static_cast<double>(steps), "w2b", "w2b-double");
}
BENCHMARK(BM_W2b_RandomDag)
    ->Arg(kStepsSmall)
    ->Arg(kStepsLarge)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void BM_W3_LectureNeuron(benchmark::State& state) {
  for (auto _ : state) {
    micrograd::TapeScope scope;
    Value x1(2.0), x2(0.0), w1(-3.0), w2(1.0), b(6.8813735870195432);
    Value o = tanh(x1 * w1 + x2 * w2 + b);
    o.backward();
    benchmark::DoNotOptimize(x1.grad());
  }
}
BENCHMARK(BM_W3_LectureNeuron);

void BM_W3_PlainDouble(benchmark::State& state) {
  double x1 = 2.0, x2 = 0.0, w1 = -3.0, w2 = 1.0, b = 6.8813735870195432;
  for (auto _ : state) {
    benchmark::DoNotOptimize(x1);
    benchmark::DoNotOptimize(w1);
    double o = std::tanh(x1 * w1 + x2 * w2 + b);
    benchmark::DoNotOptimize(o);
  }
}
BENCHMARK(BM_W3_PlainDouble);

// ---- --summary: the table of docs/benchmarks.md

void summary_row(const char* name, std::size_t n, const std::vector<Timing>& runs,
                 const std::string& mem_ours, const std::string& mem_plain, const char* unit) {
  std::vector<double> f, b, p, fb;
  for (const Timing& t : runs) {
    f.push_back(t.fwd_ns / static_cast<double>(n));
    b.push_back(t.bwd_ns / static_cast<double>(n));
    fb.push_back((t.fwd_ns + t.bwd_ns) / static_cast<double>(n));
    p.push_back(t.plain_ns / static_cast<double>(n));
  }
  const double fm = bench::median(f), bm = bench::median(b), pm = bench::median(p);
  std::printf("| %s %s=%zu | %.2f | %.2f | %.2f | %.2f | %.3fx | %.1f | %.1f | %.1f |\n", name,
              unit, n, fm, bm, bench::median(fb), pm, fm / pm, bytes_per_unit(mem_ours, n),
              bytes_per_unit(mem_plain, n), runs[0].fwd_ns / static_cast<double>(n));
  std::fflush(stdout);
}

int summary(int repeats) {
  std::printf(
      "machine: %s\nrepeats: %d, medians; ns and bytes per link (W2a) or per step (W2b)\n\n",
      bench::machine_info().c_str(), repeats);
  const bool neuron_ok = check_neuron();
  std::printf(
      "\n| workload | fwd ns | bwd ns | fwd+bwd ns | plain double fwd ns | fwd / plain | bytes | "
      "plain bytes | first-run fwd ns |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  bool values_ok = true;
  for (std::size_t links : {kLinksSmall, kLinksLarge}) {
    micrograd::TapeScope leaves;  // reclaims the leaves too (backward scans the tape down to 0)
    Chain c(links);
    std::vector<Timing> runs;
    for (int r = 0; r < repeats; ++r) runs.push_back(time_chain(c));
    values_ok &= runs[0].out == runs[0].plain_out;
    const double expect = bench::chain_dx0(c.init), got = c.x0.grad() / repeats;
    values_ok &= std::fabs(got - expect) <= 1e-9 * std::fabs(expect) && expect != 0.0;
    summary_row("W2a", links, runs, "w2a", "w2a-double", "D");
    std::fprintf(stderr,
                 "  W2a D=%zu: x_D=%.17g (plain %.17g), dx_D/dx0=%.6g (forward-mode %.6g)\n", links,
                 runs[0].out, runs[0].plain_out, got, expect);
  }
  for (std::size_t steps : {kStepsSmall, kStepsLarge}) {
    micrograd::TapeScope leaves;
    Dag d;
    std::vector<Timing> runs;
    for (int r = 0; r < repeats; ++r) runs.push_back(time_dag(d, steps));
    values_ok &= runs[0].out == runs[0].plain_out;
    summary_row("W2b", steps, runs, "w2b", "w2b-double", "S");
    std::fprintf(stderr, "  W2b S=%zu: output=%.17g (plain %.17g)\n", steps, runs[0].out,
                 runs[0].plain_out);
  }
  // W3: time per neuron forward + backward, best of a few batches.
  constexpr int kNeurons = 200'000;
  std::vector<double> per;
  for (int r = 0; r < repeats; ++r) {
    const double t0 = bench::now_ns();
    for (int i = 0; i < kNeurons; ++i) benchmark::DoNotOptimize(lecture_neuron().dx1);
    per.push_back((bench::now_ns() - t0) / kNeurons);
  }
  std::printf("\nW3 lecture neuron forward + backward (TapeScope each time): %.1f ns\n",
              bench::median(per));
  std::printf(
      "values: forward equals plain double bit for bit, W2a gradient equals forward-mode: %s\n",
      values_ok ? "yes" : "NO");
  return neuron_ok && values_ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 4 && std::strcmp(argv[1], "--rss") == 0) {
    const long long bytes = rss_child(argv[2], std::strtoull(argv[3], nullptr, 10));
    std::printf("%lld\n", bytes);
    return bytes < 0 ? 1 : 0;
  }
  if (argc >= 2 && std::strcmp(argv[1], "--summary") == 0)
    return summary(argc >= 3 ? std::atoi(argv[2]) : 7);
  if (!check_neuron()) return 1;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
