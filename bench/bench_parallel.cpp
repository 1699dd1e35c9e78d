// bench_parallel.cpp: the speed-up of ParallelGradient (parallel.hpp) from 1 thread to N, measured
// so that a shared machine's noise hits both alike. Two copies of one model train side by side,
// one by 1 thread and one by N; each round runs a block of steps on one, then a block on the
// other; every step is timed on the wall clock (threads work in parallel: CPU time would hide the
// speed-up). The 1-thread block runs once pinned to each of the first N CPUs the process may use,
// and the speed-up is against the faster one. On a shared VM the cores are not always free or
// close: at times one virtual CPU is much slower than the other, or both are fast alone but slow
// each other down when both run, and the host may run the two vCPUs far apart (a cache line's
// round trip between them ~600 ns instead of ~150), which no thread count can hide. So each
// round also runs a probe: two independent 1-thread copies of the workload, one pinned to each
// of the first two CPUs, each alone and then both at once, and the round trip of a cache line
// between those CPUs just before and just after the N-thread block. The cores count as free
// and close in that round if both CPUs ran alone within 5 % of each other, at once within 5 % of
// alone, and both round trips were under 300 ns. Printed: per round the median step times and
// the ratio, and the probe; then the medians over all rounds and over the free and close ones,
// and whether the two models still have the same weights bit for bit (they must: the gradient
// does not depend on the thread count).
//
//   bench_parallel fashion [--rounds R] [--steps S] [--threads N] [--chunk C]
//   bench_parallel w1      [--rounds R] [--steps S] [--threads N] [--chunk C]
// (--chunk: rows per chunk of the gradient; default 16 for fashion, as the program, 25 for w1)
//
// fashion: the step of `micrograd train --dataset fashion-mnist` (MLP 784-128-10, ReLU, fan-in
//   weights, softmax cross-entropy, batches of 128 in chunks of 16, Adam 1e-3 updated by the
//   gradient's threads block by block) on 4,096 random images (a step's cost does not depend on
//   the pixels; the real data set is the program's benchmark, docs/benchmarks.md).
// w1: micrograd's demo step (MLP 2-16-16-1 on make_moons(100), svm loss over chunks of 25, L2
//   1e-4 and SGD updated by the gradient's threads), the workload W1 of ../shared/BENCHMARKS.md.
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench_common.hpp"
#include "micrograd/data.hpp"
#include "micrograd/loss.hpp"
#include "micrograd/nn.hpp"
#include "micrograd/optim.hpp"
#include "micrograd/parallel.hpp"
#include "micrograd/random.hpp"

namespace {

using micrograd::ChunkOutcome;
using micrograd::ParallelGradient;
using micrograd::Value;
using micrograd::nn::MLP;

// One model and its trainer on `threads` threads; step() trains on the next batch and returns
// that step's loss.
class Trainer {
 public:
  virtual ~Trainer() = default;
  virtual double step() = 0;
  virtual std::vector<double> weights() const = 0;
};

struct FashionData {
  static constexpr std::size_t kRows = 4096, kPixels = 784, kClasses = 10;
  std::vector<std::vector<double>> X;
  std::vector<std::size_t> y;
  FashionData() {
    micrograd::Rng rng(2024);
    X.assign(kRows, std::vector<double>(kPixels));
    for (auto& row : X)
      for (double& p : row)
        p = rng.uniform() < 0.5 ? 0.0 : rng.uniform();  // half black, like Fashion-MNIST
    for (std::size_t i = 0; i < kRows; ++i) y.push_back(rng.below(kClasses));
  }
};

class Fashion : public Trainer {
 public:
  Fashion(const FashionData& data, std::size_t threads, std::size_t chunk)
      : chunk_(chunk),
        data_(data),
        model_(784, {128, 10}, options()),
        adam_(model_.parameters(), 1e-3),
        pg_(model_, threads) {}
  double step() override {
    micrograd::TapeScope scope;
    std::vector<std::size_t> rows;
    for (std::size_t i = 0; i < 128; ++i) rows.push_back((next_ + i) % FashionData::kRows);
    next_ = (next_ + 128) % FashionData::kRows;
    if (!adam_.begin_step(1e-3)) throw std::logic_error("an MLP's parameters are a run");
    return pg_
        .gradient(
            rows, chunk_,
            [this](const MLP& replica, std::span<const std::size_t> chunk) {
              std::vector<std::vector<Value>> logits;
              std::vector<std::size_t> classes;
              for (const std::size_t r : chunk) {
                logits.push_back(replica(std::vector<Value>(data_.X[r].begin(), data_.X[r].end())));
                classes.push_back(data_.y[r]);
              }
              return ChunkOutcome{micrograd::softmax_cross_entropy(logits, classes), 0.0};
            },
            [this](std::size_t b, std::size_t e) { adam_.update_range(b, e); })
        .loss;
  }
  std::vector<double> weights() const override {
    return micrograd::nn::parameters_to_vector(model_);
  }

 private:
  static micrograd::nn::MLPOptions options() {
    micrograd::nn::MLPOptions o;
    o.fan_in = true;
    return o;
  }
  std::size_t chunk_;
  const FashionData& data_;
  MLP model_;
  micrograd::Adam adam_;
  ParallelGradient pg_;
  std::size_t next_ = 0;
};

class W1 : public Trainer {
 public:
  W1(std::size_t threads, std::size_t chunk)
      : chunk_(chunk),
        data_(micrograd::make_moons(100, 0.1, 1337)),
        model_(2, {16, 16, 1}),
        sgd_(model_.parameters(), 1.0),
        pg_(model_, threads),
        rows_(100) {
    for (std::size_t i = 0; i < rows_.size(); ++i) rows_[i] = i;
  }
  double step() override {
    micrograd::TapeScope scope;
    const micrograd::ColumnRun run = runs_.get(sgd_.params());
    if (!sgd_.begin_step(1.0 - 0.9 * static_cast<double>(k_ % 100) / 100.0))
      throw std::logic_error("an MLP's parameters are a run");
    const double reg = micrograd::l2_regularization_value(run.data, sgd_.params().size(), 1e-4);
    // The L2 term's gradient and SGD's update block by block on the gradient's threads (the
    // numbers of reg.backward() and step() after the gradient: test_parallel).
    const ParallelGradient::Result r = pg_.gradient(
        rows_, chunk_,
        [this](const MLP& replica, std::span<const std::size_t> chunk) {
          std::vector<Value> scores;
          std::vector<double> y;
          for (const std::size_t i : chunk) {
            scores.push_back(replica.score({Value(data_.X[i][0]), Value(data_.X[i][1])}));
            y.push_back(data_.y[i]);
          }
          return ChunkOutcome{micrograd::svm_max_margin(scores, y), 0.0};
        },
        [this, run](std::size_t b, std::size_t e) {
          micrograd::add_l2_regularization_gradient(run.data, run.grad, b, e, 1e-4);
          sgd_.update_range(b, e);
        });
    ++k_;
    return r.loss + reg;
  }
  std::vector<double> weights() const override {
    return micrograd::nn::parameters_to_vector(model_);
  }

 private:
  std::size_t chunk_;
  micrograd::Dataset data_;
  MLP model_;
  micrograd::SGD sgd_;
  ParallelGradient pg_;
  micrograd::LeafRunCache runs_;
  std::vector<std::size_t> rows_;
  std::size_t k_ = 0;
};

// The median of `steps` steps' times; `loss`: the last step's loss.
double median_step_ns(Trainer& t, int steps, double& loss) {
  std::vector<double> ns;
  for (int s = 0; s < steps; ++s) {
    const double t0 = bench::now_ns();
    loss = t.step();
    ns.push_back(bench::now_ns() - t0);
  }
  return bench::median(ns);
}

cpu_set_t allowed;  // the CPUs this process may run on, as it started

// The first n CPUs this process may run on (fewer if it may use fewer).
std::vector<int> first_cpus(std::size_t n) {
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return cpus;
  for (int c = 0; c < CPU_SETSIZE && cpus.size() < n; ++c)
    if (CPU_ISSET(c, &allowed)) cpus.push_back(c);
  return cpus;
}
// Pins the calling thread to cpu (-1: back to every CPU it was allowed at the start).
void pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (cpu >= 0) CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, cpu >= 0 ? &set : &allowed);
}

// The probe: two independent 1-thread trainers made by `make` on their own threads, pinned to
// cpus[0] and cpus[1]: the median step of each alone, then of both at once
// ({alone 0, alone 1, at once 0, at once 1}). Fresh trainers each time (a model's step costs
// change as it trains).
std::array<double, 4> probe(const std::function<std::unique_ptr<Trainer>()>& make,
                            const std::vector<int>& cpus, int steps) {
  auto run = [&](bool first, bool second) {
    std::array<double, 2> median{0.0, 0.0};
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int k = 0; k < 2; ++k) {
      if (!(k == 0 ? first : second)) continue;
      threads.emplace_back([&, k] {
        pin(cpus[k]);
        std::unique_ptr<Trainer> t = make();
        double loss = t->step();  // (warm)
        ready.fetch_add(1);
        while (!go.load()) {
        }
        median[k] = median_step_ns(*t, steps, loss);
      });
    }
    while (ready.load() < static_cast<int>(threads.size())) {
    }
    go.store(true);
    for (std::thread& t : threads) t.join();
    return median;
  };
  const double alone0 = run(true, false)[0], alone1 = run(false, true)[1];
  const std::array<double, 2> both = run(true, true);
  return {alone0, alone1, both[0], both[1]};
}

// The round trip of a cache line between cpus[0] and cpus[1] (two threads pinned there passing
// a counter back and forth), in ns: what every hand-off between the threads costs. On this VM it
// is ~150 ns when the host runs the two vCPUs close together (one CCX) and ~600 ns otherwise.
double round_trip_ns(const std::vector<int>& cpus) {
  constexpr int kTrips = 20000;
  alignas(64) std::atomic<int> ping{0};
  alignas(64) std::atomic<int> pong{0};
  std::thread other([&] {
    pin(cpus[1]);
    for (int k = 1; k <= kTrips; ++k) {
      while (ping.load(std::memory_order_acquire) != k) {
      }
      pong.store(k, std::memory_order_release);
    }
  });
  pin(cpus[0]);
  const double t0 = bench::now_ns();
  for (int k = 1; k <= kTrips; ++k) {
    ping.store(k, std::memory_order_release);
    while (pong.load(std::memory_order_acquire) != k) {
    }
  }
  const double t = (bench::now_ns() - t0) / kTrips;
  other.join();
  pin(-1);
  return t;
}

int usage() {
  std::fprintf(
      stderr,
      "usage: bench_parallel fashion|w1 [--rounds R] [--steps S] [--threads N] [--chunk C]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string workload = argv[1];
  int rounds = 7, steps = workload == "w1" ? 500 : 40;
  std::size_t threads = 2, chunk = 0;  // chunk 0: the workload's (fashion 16, w1 25)
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--rounds") == 0)
      rounds = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--steps") == 0)
      steps = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--chunk") == 0)
      chunk = static_cast<std::size_t>(std::atoi(argv[i + 1]));
    else if (std::strcmp(argv[i], "--threads") == 0)
      threads = static_cast<std::size_t>(std::atoi(argv[i + 1]));
    else
      return usage();
  }
  if ((workload != "fashion" && workload != "w1") || argc % 2 != 0 || rounds < 1 || steps < 1 ||
      threads < 1)
    return usage();
  if (chunk == 0) chunk = workload == "fashion" ? 16 : 25;
  micrograd::TapeScope scope;
  std::unique_ptr<FashionData> data;
  if (workload == "fashion") data = std::make_unique<FashionData>();
  const std::function<std::unique_ptr<Trainer>(std::size_t)> make =
      [&](std::size_t n) -> std::unique_ptr<Trainer> {
    if (data) return std::make_unique<Fashion>(*data, n, chunk);
    return std::make_unique<W1>(n, chunk);
  };
  const std::unique_ptr<Trainer> one = make(1), many = make(threads);
  // (The trainers' helper threads exist already: pinning this thread below does not pin them.)
  std::vector<int> cpus = first_cpus(std::max<std::size_t>(threads, 2));
  if (cpus.empty()) cpus.push_back(-1);  // affinity unknown: one unpinned 1-thread block
  // Both models take the same number of steps: `per_cpu` on each CPU for 1 thread, all of them
  // in one block for N.
  const int per_cpu_steps = std::max(1, steps / static_cast<int>(cpus.size()));
  steps = per_cpu_steps * static_cast<int>(cpus.size());
  std::printf(
      "machine: %s\n%s: %d rounds of %d steps on 1 thread pinned to each of %zu CPUs, then %d "
      "steps on %zu threads; chunks of %zu rows\n\n",
      bench::machine_info().c_str(), workload.c_str(), rounds, per_cpu_steps, cpus.size(), steps,
      threads, chunk);
  const bool probing = cpus.size() >= 2 && cpus[0] >= 0;
  constexpr double kCloseNs = 300.0;  // a round trip below this: the vCPUs run close together
  std::printf("| round |");
  for (const int c : cpus) std::printf(" 1 thread on CPU %d, ms/step |", c);
  std::printf(" %zu threads, ms/step | speed-up (vs the faster CPU) |", threads);
  if (probing)
    std::printf(
        " probe: CPU %d alone, CPU %d alone, both at once (ms/step) | round trip between them "
        "before, after the %zu-thread block (ns) | cores free and close |",
        cpus[0], cpus[1], threads);
  std::printf("\n|---|");
  for (std::size_t k = 0; k <= cpus.size() + 1 + (probing ? 3 : 0); ++k) std::printf("---|");
  std::printf("\n");
  std::vector<double> t1, tn, ratio, ratio_free;
  double loss_one = 0.0, loss_many = 0.0;
  for (int r = 0; r < rounds; ++r) {
    std::vector<double> per_cpu;
    for (const int c : cpus) {
      pin(c);
      per_cpu.push_back(median_step_ns(*one, per_cpu_steps, loss_one));
    }
    pin(-1);
    t1.push_back(*std::min_element(per_cpu.begin(), per_cpu.end()));
    const double trip_before = probing ? round_trip_ns(cpus) : 0.0;
    tn.push_back(median_step_ns(*many, steps, loss_many));
    const double trip_after = probing ? round_trip_ns(cpus) : 0.0;
    ratio.push_back(t1.back() / tn.back());
    std::printf("| %d |", r + 1);
    for (const double t : per_cpu) std::printf(" %.4f |", t * 1e-6);
    std::printf(" %.4f | %.2fx |", tn.back() * 1e-6, ratio.back());
    if (probing) {
      const std::array<double, 4> p = probe([&] { return make(1); }, cpus, per_cpu_steps);
      const bool free = std::max(p[0], p[1]) <= 1.05 * std::min(p[0], p[1]) &&
                        p[2] <= 1.05 * p[0] && p[3] <= 1.05 * p[1] &&
                        std::max(trip_before, trip_after) < kCloseNs;
      if (free) ratio_free.push_back(ratio.back());
      std::printf(" %.4f, %.4f, %.4f + %.4f | %.0f, %.0f | %s |", p[0] * 1e-6, p[1] * 1e-6,
                  p[2] * 1e-6, p[3] * 1e-6, trip_before, trip_after, free ? "yes" : "no");
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  const auto [lo, hi] = std::minmax_element(ratio.begin(), ratio.end());
  std::printf(
      "\nmedian: 1 thread %.4f ms/step, %zu threads %.4f ms/step, speed-up %.2fx (%.2f-%.2f)\n",
      bench::median(t1) * 1e-6, threads, bench::median(tn) * 1e-6, bench::median(ratio), *lo, *hi);
  if (!probing) {
    std::printf("cores free: not probed (fewer than 2 CPUs, or their numbers unknown)\n");
  } else if (ratio_free.empty()) {
    std::printf(
        "cores free and close (the probe within 5 %%, round trips < %.0f ns): in no round\n",
        kCloseNs);
  } else {
    const auto [flo, fhi] = std::minmax_element(ratio_free.begin(), ratio_free.end());
    std::printf(
        "cores free and close (the probe within 5 %%, round trips < %.0f ns): %zu of %d rounds, "
        "speed-up %.2fx (%.2f-%.2f)\n",
        kCloseNs, ratio_free.size(), rounds, bench::median(ratio_free), *flo, *fhi);
  }
  const bool same = one->weights() == many->weights() && loss_one == loss_many;
  std::printf("weights and last loss (%.17g) after %d steps each: %s\n", loss_one, rounds * steps,
              same ? "the same bit for bit" : "DIFFERENT (a bug)");
  return same ? 0 : 1;
}
