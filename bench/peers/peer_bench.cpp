// peer_bench.cpp: the side-by-side peer benchmark (bench/peers/README.md). One source, built once
// per AD tool by a preprocessor switch; every build runs the same templates of ../workloads.hpp
// with its own scalar type, and plain double beside it in the same process as the floor:
//   -DPEER_MICROGRAD  micrograd::Value (this project; also "W1 fast", the library's nn::MLP path)
//   -DPEER_CODIPACK   codi::RealReverse (CoDiPack 3.1.1, header-only; -I CODIPACK/include)
//   -DPEER_ADEPT      adept::adouble (Adept 2.1.3 through its single header adept_source.h;
//                     -I ADEPT/include -DADEPT_STACK_THREAD_UNSAFE)
//
//   peer_bench_TOOL round [--quick]   every workload once (a few repeats each, medians): lines
//                                     "KEY VALUE" (units: ms/step, ns/link, ns/step)
//   peer_bench_TOOL memory [--quick]  bytes per W2a link and per W2b step, from fresh children
//   peer_bench_TOOL mem WHAT N        (child) one WHAT in {w2a, w2b, w2a-double, w2b-double} of
//                                     size N in this fresh process; prints its peak RSS in bytes
// Times are this thread's CPU time; every timed repeat runs on a rewound tape after a warm-up,
// with the leaves (parameters) created and registered outside the timed region.
// Not here: rounds, pinning, the table, the cross-tool checks (compare), the peers' code (built
// from a local checkout given to CMake), anything that changes the engine.
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "workloads.hpp"

#if defined(PEER_MICROGRAD)
#include "micrograd/data.hpp"
#include "micrograd/loss.hpp"
#include "micrograd/micrograd.hpp"
#include "micrograd/nn.hpp"
#include "micrograd/optim.hpp"
#elif defined(PEER_CODIPACK)
#include <codi.hpp>
#elif defined(PEER_ADEPT)
#include <adept_source.h>
#else
#error "build with one of -DPEER_MICROGRAD, -DPEER_CODIPACK, -DPEER_ADEPT"
#endif

// ---- the tool: its scalar type and the few calls that differ between tools
//   Real                 the active scalar type
//   LeafScope            RAII: a workload's leaves live inside it (and are reclaimed at its end)
//   register_leaf(x)     make x an independent variable (after constructing it from a double)
//   leaves_done()        all leaves of a workload exist: later recordings rewind to here
//   Recording            RAII: one recording on a rewound tape (a timed repeat, a training step)
//   finish_forward(y)    y is the output (recording ends)
//   backward(y)          seed dy = 1 and run the reverse sweep
//   value_of, grad_of, set_value, zero_grad

namespace {

#if defined(PEER_MICROGRAD)

constexpr const char* kTool = "micrograd";
constexpr const char* kVersion = "";
using Real = micrograd::Value;
struct LeafScope {  // the workload's leaves are reclaimed at its end
  micrograd::TapeScope scope;
};
void register_leaf(Real&) {}
void leaves_done() {}
struct Recording {
  micrograd::TapeScope scope;
};
void finish_forward(Real&) {}
void backward(Real& y) { y.backward(); }
double value_of(const Real& x) { return x.data(); }
double grad_of(const Real& x) { return x.grad(); }
void set_value(Real& x, double v) { x.data() = v; }
void zero_grad(Real& x) { x.grad() = 0.0; }

#elif defined(PEER_CODIPACK)

constexpr const char* kTool = "codipack";
constexpr const char* kVersion = CODI_VERSION;
using Real = codi::RealReverse;
Real::Tape& tape() { return Real::getTape(); }
Real::Tape::Position leaves_end;  // recordings rewind to here, so the leaves stay registered
struct LeafScope {
  LeafScope() {
    tape().reset();
    tape().setActive();
  }
  ~LeafScope() {
    tape().setPassive();
    tape().reset();
  }
};
void register_leaf(Real& x) { tape().registerInput(x); }
void leaves_done() { leaves_end = tape().getPosition(); }
struct Recording {
  Recording() {
    tape().resetTo(leaves_end);  // also clears the adjoints above the leaves
    tape().setActive();
  }
  ~Recording() { tape().setPassive(); }
};
void finish_forward(Real& y) {
  tape().registerOutput(y);
  tape().setPassive();
}
void backward(Real& y) {
  y.gradient() = 1.0;
  tape().evaluate();
}
double value_of(const Real& x) { return x.getValue(); }
double grad_of(const Real& x) { return x.getGradient(); }
void set_value(Real& x, double v) { x.value() = v; }  // keeps the identifier: still a leaf
void zero_grad(Real& x) { x.gradient() = 0.0; }

}  // namespace
namespace codi {  // found by argument-dependent lookup from workloads.hpp
inline RealReverse relu(const RealReverse& a) { return max(a, 0.0); }
}  // namespace codi
namespace {

#elif defined(PEER_ADEPT)

constexpr const char* kTool = "adept";
constexpr const char* kVersion = ADEPT_VERSION_STR;
using Real = adept::adouble;
adept::Stack stack;  // the active stack (global with ADEPT_STACK_THREAD_UNSAFE)
struct LeafScope {
  LeafScope() {}  // nothing to do: adouble leaves exist once constructed
};
void register_leaf(Real&) {}
void leaves_done() { stack.new_recording(); }  // leaves keep their gradient indices
struct Recording {
  Recording() { stack.new_recording(); }
};
void finish_forward(Real&) {}
void backward(Real& y) {
  y.set_gradient(1.0);
  stack.compute_adjoint();
}
double value_of(const Real& x) { return x.value(); }
double grad_of(const Real& x) { return x.get_gradient(); }
void set_value(Real& x, double v) { x.set_value(v); }
void zero_grad(Real&) {}  // new_recording() clears every gradient

}  // namespace
namespace adept {  // found by argument-dependent lookup from workloads.hpp
inline adouble relu(const adouble& a) { return max(a, 0.0); }
}  // namespace adept
namespace {

#endif

// ---- timing: this thread's CPU time

double cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// Keeps a computed double alive without a dependency on Google Benchmark.
volatile double sink;

struct Sizes {
  std::size_t links = 3'333'333;  // W2a: about 1e7 op nodes
  std::size_t steps = 5'000'000;  // W2b
  int w1_steps = 100;             // one W1 run
  int w1_runs = 3;                // timed W1 runs per round (after a warm-up run)
  int repeats = 5;                // timed W2 repeats per round (after a warm-up)
};
Sizes sizes(bool quick) {
  Sizes s;
  if (quick) s = {33'333, 50'000, 10, 1, 2};
  return s;
}

void print(const char* key, double v) { std::printf("%s %.17g\n", key, v); }

// ---- W1: micrograd's demo step (forward, backward, SGD) with the template network

constexpr std::size_t kSamples = 100;
double learning_rate(int k) { return 1.0 - 0.9 * k / 100.0; }

struct StepResult {
  double loss;
  int correct;
};

StepResult w1_step(std::vector<Real>& params, const bench::Moons& data, int k) {
  Recording rec;
  std::vector<Real> scores;
  scores.reserve(kSamples);
  Real loss = bench::moons_loss(params, data, &scores);
  finish_forward(loss);
  for (Real& p : params) zero_grad(p);
  backward(loss);
  const double lr = learning_rate(k);
  for (Real& p : params) set_value(p, value_of(p) - lr * grad_of(p));
  int correct = 0;
  for (std::size_t i = 0; i < kSamples; ++i)
    correct += (data.y[i] > 0) == (value_of(scores[i]) > 0);
  return {value_of(loss), correct};
}

struct W1Run {
  double step_ns = 0, plain_ns = 0;  // medians over the run's steps
  StepResult last{};
};

// One training run from fresh parameters; `step(k)` is timed, then a plain-double forward.
template <class Step>
W1Run w1_run(int steps, Step step) {
  const bench::Moons data = bench::make_moons(kSamples, 0.1);
  const std::vector<double> plain_params = bench::mlp_init();
  std::vector<double> step_ns, plain_ns;
  W1Run run;
  for (int k = 0; k < steps; ++k) {
    const double t0 = cpu_ns();
    run.last = step(k);
    const double t1 = cpu_ns();
    sink = bench::moons_loss(plain_params, data);
    plain_ns.push_back(cpu_ns() - t1);
    step_ns.push_back(t1 - t0);
  }
  run.step_ns = bench::median(step_ns);
  run.plain_ns = bench::median(plain_ns);
  return run;
}

// Prints NAME (ms/step), NAME.loss (last step), NAME.correct, and plain.NAME (ms).
template <class MakeStep>
void w1(const char* name, const Sizes& s, MakeStep make_step) {
  std::vector<double> step, plain;
  W1Run run;
  for (int r = 0; r <= s.w1_runs; ++r) {  // run 0 is the warm-up
    run = make_step([&](auto&& step_fn) { return w1_run(s.w1_steps, step_fn); });
    if (r == 0) continue;
    step.push_back(run.step_ns);
    plain.push_back(run.plain_ns);
  }
  const std::string n = name;
  print(n.c_str(), bench::median(step) * 1e-6);
  print((n + ".loss").c_str(), run.last.loss);
  print((n + ".correct").c_str(), run.last.correct);
  print(("plain." + n).c_str(), bench::median(plain) * 1e-6);
}

void w1_template(const Sizes& s) {
  w1("W1.scalar", s, [](auto&& run) {
    LeafScope leaves;
    const bench::Moons data = bench::make_moons(kSamples, 0.1);
    std::vector<Real> params;
    const std::vector<double> init = bench::mlp_init();
    params.reserve(init.size());
    for (double v : init) {
      params.emplace_back(v);
      register_leaf(params.back());
    }
    leaves_done();
    return run([&](int k) { return w1_step(params, data, k); });
  });
}

#if defined(PEER_MICROGRAD)
// ---- W1 fast: the library's own path (bench_w1.cpp's Library)
//
// The one place that picks the library's fast W1 path.
micrograd::nn::MLP make_fast_mlp() {
  // The library's default MLP (micrograd's nn.py: ReLU hidden, linear out, seed 1337), which
  // builds one dense node per neuron: micrograd's numbers bit for bit, the fastest exact path
  // (with the L2 term added without a graph, below).
  return micrograd::nn::MLP(2, {16, 16, 1});
}

void w1_fast(const Sizes& s) {
  w1("W1.fast", s, [](auto&& run) {
    micrograd::TapeScope params_scope;
    const micrograd::Dataset data = micrograd::make_moons(kSamples, 0.1, 1337);
    micrograd::nn::MLP model = make_fast_mlp();
    micrograd::SGD sgd(model.parameters(), 1.0);
    const micrograd::ColumnRun params = micrograd::leaf_run(sgd.params());
    const std::size_t n = sgd.params().size();
    return run([&](int k) {
      micrograd::TapeScope scope;
      std::vector<micrograd::Value> scores;
      scores.reserve(kSamples);
      for (const std::vector<micrograd::Value>& x : micrograd::to_values(data.X))
        scores.push_back(model.score(x));
      // The L2 term without its graph: its value, and its gradient put in the grads first, where
      // the graph's backward would put it (the same numbers: test Loss.L2WithoutAGraph...).
      micrograd::Value loss = micrograd::svm_max_margin(scores, data.y) +
                              micrograd::l2_regularization_value(params.data, n, 1e-4);
      sgd.zero_grad();
      micrograd::add_l2_regularization_gradient(params.data, params.grad, 0, n, 1e-4);
      loss.backward();
      sgd.step(learning_rate(k));
      const double acc = micrograd::accuracy(scores, data.y);
      return StepResult{loss.data(), static_cast<int>(std::lround(acc * kSamples))};
    });
  });
}
#endif

// ---- W2a deep chain

struct Chain {
  bench::ChainInit init;
  Real x0;
  std::vector<Real> w, b;
  explicit Chain(std::size_t links) : init(bench::chain_init(links)), x0(init.x0) {
    register_leaf(x0);
    w.reserve(links);
    b.reserve(links);
    for (std::size_t i = 0; i < links; ++i) {
      w.emplace_back(init.w[i]);
      register_leaf(w.back());
      b.emplace_back(init.b[i]);
      register_leaf(b.back());
    }
    leaves_done();
  }
  // Newest first: Adept keeps its gradient indices as a stack with a list of gaps, and freeing the
  // interleaved w, b from the oldest up makes one gap per leaf (quadratic: minutes at D = 3.3e6).
  ~Chain() {
    while (!w.empty()) {
      b.pop_back();
      w.pop_back();
    }
  }
};

struct Timing {
  double fwd_ns, bwd_ns, plain_ns;
  double out, grad;  // the output value; W2a: dx_D/dx0, W2b: the sum of the leaves' gradients
};

Timing time_chain(Chain& c) {
  Timing t{};
  {
    Recording rec;
    zero_grad(c.x0);  // some tools accumulate into leaves over repeats
    const double t0 = cpu_ns();
    Real x = bench::chain_forward(c.x0, c.w, c.b);
    finish_forward(x);
    const double t1 = cpu_ns();
    backward(x);
    const double t2 = cpu_ns();
    t.fwd_ns = t1 - t0;
    t.bwd_ns = t2 - t1;
    t.out = value_of(x);
    t.grad = grad_of(c.x0);
  }
  const double t3 = cpu_ns();
  sink = bench::chain_forward(c.init.x0, c.init.w, c.init.b);
  t.plain_ns = cpu_ns() - t3;
  return t;
}

// ---- W2b random DAG

struct Dag {
  std::vector<double> init = bench::dag_init();
  std::vector<Real> leaves;
  Dag() {
    leaves.reserve(init.size());
    for (double v : init) {
      leaves.emplace_back(v);
      register_leaf(leaves.back());
    }
    leaves_done();
  }
  ~Dag() {  // newest first, as ~Chain()
    while (!leaves.empty()) leaves.pop_back();
  }
};

Timing time_dag(Dag& d, std::size_t steps) {
  Timing t{};
  {
    Recording rec;
    std::vector<Real> p = d.leaves;
    for (Real& leaf : d.leaves) zero_grad(leaf);
    const double t0 = cpu_ns();
    Real out = bench::dag_forward(p, steps);
    finish_forward(out);
    const double t1 = cpu_ns();
    backward(out);
    const double t2 = cpu_ns();
    t.fwd_ns = t1 - t0;
    t.bwd_ns = t2 - t1;
    t.out = value_of(out);
    for (const Real& leaf : d.leaves) t.grad += grad_of(leaf);
  }
  std::vector<double> p = d.init;
  const double t3 = cpu_ns();
  sink = bench::dag_forward(p, steps);
  t.plain_ns = cpu_ns() - t3;
  return t;
}

// Prints NAME.fwd, NAME.bwd, plain.NAME.fwd (medians over the timed repeats, ns per unit).
void print_timings(const char* name, const std::vector<Timing>& runs, std::size_t units) {
  std::vector<double> f, b, p;
  for (const Timing& t : runs) {
    f.push_back(t.fwd_ns / static_cast<double>(units));
    b.push_back(t.bwd_ns / static_cast<double>(units));
    p.push_back(t.plain_ns / static_cast<double>(units));
  }
  const std::string n = name;
  print((n + ".fwd").c_str(), bench::median(f));
  print((n + ".bwd").c_str(), bench::median(b));
  print(("plain." + n + ".fwd").c_str(), bench::median(p));
}

void w2a(const Sizes& s) {
  LeafScope leaves;
  Chain c(s.links);
  const Timing first = time_chain(c);  // warm-up: also commits the tape's memory
  std::vector<Timing> runs;
  for (int r = 0; r < s.repeats; ++r) runs.push_back(time_chain(c));
  print("W2a.links", static_cast<double>(s.links));
  print_timings("W2a", runs, s.links);
  print("W2a.out", first.out);
  print("W2a.dx0", first.grad);
  print("W2a.dx0.ref", bench::chain_dx0(c.init));
}

void w2b(const Sizes& s) {
  LeafScope leaves;
  Dag d;
  const Timing first = time_dag(d, s.steps);
  std::vector<Timing> runs;
  for (int r = 0; r < s.repeats; ++r) runs.push_back(time_dag(d, s.steps));
  std::vector<double> p = d.init;
  print("W2b.steps", static_cast<double>(s.steps));
  print_timings("W2b", runs, s.steps);
  print("W2b.out", first.out);
  print("W2b.out.plain", bench::dag_forward(p, s.steps));
  // After S = 5e6 steps every pool entry has been overwritten, so no gradient reaches a leaf: the
  // backward check (the leaves' gradients, summed) runs a shorter DAG, untimed.
  const std::size_t check_steps = std::min<std::size_t>(s.steps, 20'000);
  print("W2b.check.steps", static_cast<double>(check_steps));
  print("W2b.check.grad_sum", time_dag(d, check_steps).grad);
}

int run_round(bool quick) {
  const Sizes s = sizes(quick);
  std::printf("tool %s\nversion %s\ncompiler g++ %s\n", kTool, kVersion, __VERSION__);
  print("W1.steps", s.w1_steps);
  w1_template(s);
#if defined(PEER_MICROGRAD)
  w1_fast(s);
#endif
  w2a(s);
  w2b(s);
  return 0;
}

// ---- memory: one fresh process per (workload, size)

long long mem_child(const std::string& what, std::size_t n) {
  LeafScope leaves;
  if (what == "w2a") {
    Chain c(n);
    Recording rec;
    Real x = bench::chain_forward(c.x0, c.w, c.b);
    finish_forward(x);
    backward(x);
    sink = grad_of(c.x0);
  } else if (what == "w2b") {
    Dag d;
    Recording rec;
    std::vector<Real> p = d.leaves;
    Real out = bench::dag_forward(p, n);
    finish_forward(out);
    backward(out);
    sink = grad_of(d.leaves[0]);
  } else if (what == "w2a-double") {
    const bench::ChainInit c = bench::chain_init(n);
    sink = bench::chain_forward(c.x0, c.w, c.b);
  } else if (what == "w2b-double") {
    std::vector<double> p = bench::dag_init();
    sink = bench::dag_forward(p, n);
  } else {
    std::fprintf(stderr, "peer_bench: unknown workload %s\n", what.c_str());
    return -1;
  }
  return bench::peak_rss_bytes();
}

// Peak RSS at size n minus peak RSS at size 1, over n.
double bytes_per_unit(const char* what, std::size_t n) {
  const long long big = bench::run_child_number({"mem", what, std::to_string(n)});
  const long long one = bench::run_child_number({"mem", what, "1"});
  return static_cast<double>(big - one) / static_cast<double>(n);
}

int memory(bool quick) {
  const Sizes s = sizes(quick);
  std::printf("tool %s\n", kTool);
  print("W2a.links", static_cast<double>(s.links));
  print("W2a.bytes", bytes_per_unit("w2a", s.links));
  print("plain.W2a.bytes", bytes_per_unit("w2a-double", s.links));
  print("W2b.steps", static_cast<double>(s.steps));
  print("W2b.bytes", bytes_per_unit("w2b", s.steps));
  print("plain.W2b.bytes", bytes_per_unit("w2b-double", s.steps));
  return 0;
}

int usage() {
  std::fprintf(stderr,
               "usage: peer_bench_%s round [--quick]    every workload once, KEY VALUE lines\n"
               "       peer_bench_%s memory [--quick]   bytes per W2a link / W2b step\n"
               "       peer_bench_%s mem WHAT N         (child) peak RSS of WHAT in {w2a, w2b, "
               "w2a-double, w2b-double} at size N\n",
               kTool, kTool, kTool);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc >= 2 ? argv[1] : "";
  const bool quick = argc >= 3 && std::strcmp(argv[2], "--quick") == 0;
  if ((cmd == "round" || cmd == "memory") && (argc == 2 || (argc == 3 && quick)))
    return cmd == "round" ? run_round(quick) : memory(quick);
  if (cmd == "mem" && argc == 4) {
    const long long bytes = mem_child(argv[2], std::strtoull(argv[3], nullptr, 10));
    std::printf("%lld\n", bytes);
    return bytes < 0 ? 1 : 0;
  }
  return usage();
}
