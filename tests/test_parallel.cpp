// test_parallel.cpp: ParallelGradient: the same gradient and the same trained weights, bit for bit,
// for 1, 2 and 3 threads; the gradient of the mean loss; errors from workers reach the caller.
// Run under ThreadSanitizer by `make tsan`.
#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <utility>
#include <vector>

#include "micrograd/loss.hpp"
#include "micrograd/optim.hpp"
#include "micrograd/parallel.hpp"
#include "micrograd/random.hpp"

using micrograd::ChunkOutcome;
using micrograd::ParallelGradient;
using micrograd::Value;
using micrograd::nn::MLP;

namespace {
struct Data {
  std::vector<std::vector<double>> X;
  std::vector<std::size_t> y;
};
Data data(std::size_t n) {
  micrograd::Rng rng(5);
  Data d;
  for (std::size_t i = 0; i < n; ++i) {
    d.y.push_back(i % 3);
    d.X.push_back({rng.uniform(-1, 1) + static_cast<double>(i % 3), rng.uniform(-1, 1),
                   rng.uniform(-1, 1), rng.uniform(-1, 1)});
  }
  return d;
}
ParallelGradient::ChunkLoss softmax_loss(const Data& d) {
  return [&d](const MLP& replica, std::span<const std::size_t> rows) {
    std::vector<std::vector<Value>> logits;
    std::vector<std::size_t> classes;
    for (const std::size_t r : rows) {
      logits.push_back(replica(std::vector<Value>(d.X[r].begin(), d.X[r].end())));
      classes.push_back(d.y[r]);
    }
    return ChunkOutcome{micrograd::softmax_cross_entropy(logits, classes),
                        micrograd::accuracy(logits, classes) * static_cast<double>(rows.size())};
  };
}
// 40 of the 64 rows, in an order drawn from rng.
std::vector<std::size_t> batch(micrograd::Rng& rng) {
  std::vector<std::size_t> rows(64);
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = i;
  rng.shuffle(rows);
  rows.resize(40);
  return rows;
}
std::vector<double> grads(const MLP& m) {
  std::vector<double> g;
  for (const Value& p : m.parameters()) g.push_back(p.grad());
  return g;
}
}  // namespace

TEST(Parallel, SameGradientForAnyThreadCount) {
  const Data d = data(45);
  std::vector<std::size_t> rows(45);
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = (i * 7) % 45;
  const MLP model(4, {8, 3});
  std::vector<std::vector<double>> g;
  std::vector<double> loss, correct;
  for (std::size_t threads : {1, 2, 3}) {
    ParallelGradient pg(model, threads);
    const ParallelGradient::Result r = pg.gradient(rows, 8, softmax_loss(d));  // 6 chunks, last 5
    g.push_back(grads(model));
    loss.push_back(r.loss);
    correct.push_back(r.extra);
  }
  EXPECT_EQ(g[0], g[1]);
  EXPECT_EQ(g[0], g[2]);
  EXPECT_EQ(loss[0], loss[1]);
  EXPECT_EQ(loss[0], loss[2]);
  EXPECT_EQ(correct[0], correct[2]);
  // It is the gradient of the mean loss over all rows (one graph), up to rounding.
  for (const Value& p : model.parameters()) p.grad() = 0.0;
  micrograd::TapeScope scope;
  const ChunkOutcome whole = softmax_loss(d)(model, rows);
  whole.loss.backward();
  const std::vector<double> one = grads(model);
  ASSERT_EQ(one.size(), g[0].size());
  for (std::size_t k = 0; k < one.size(); ++k) EXPECT_NEAR(g[0][k], one[k], 1e-12) << k;
  EXPECT_NEAR(loss[0], whole.loss.data(), 1e-12);
  EXPECT_EQ(correct[0], whole.extra);
}

// The documented order of the sum: a fixed binary tree over the chunks ([lo, hi) = [lo, mid) +
// [mid, hi), mid = lo + (hi - lo) / 2; a leaf is |chunk| / |rows| times the chunk's gradient),
// computed here chunk by chunk on one thread, equals gradient() bit for bit for 1 to 4 threads,
// for chunk counts that split evenly and unevenly across them, and for a model of two blocks.
TEST(Parallel, ChunksAreSummedAsAFixedTree) {
  const Data d = data(64);
  for (const std::size_t hidden : {8, 1000}) {  // 67 and 8,003 parameters (two blocks of the sum)
    const MLP model(4, {hidden, 3});
    for (const std::size_t n_rows : {7, 40, 45, 64}) {  // with chunks of 8: 1, 5, 6 and 8 chunks
      std::vector<std::size_t> rows(n_rows);
      for (std::size_t i = 0; i < n_rows; ++i) rows[i] = (i * 7) % 64;
      std::vector<std::vector<double>> leaf;  // each chunk's weighted gradient
      for (std::size_t first = 0; first < n_rows; first += 8) {
        const std::size_t count = std::min<std::size_t>(8, n_rows - first);
        for (const Value& p : model.parameters()) p.grad() = 0.0;
        micrograd::TapeScope scope;
        softmax_loss(d)(model, std::span(rows).subspan(first, count)).loss.backward();
        const double w = static_cast<double>(count) / static_cast<double>(n_rows);
        leaf.push_back(grads(model));
        for (double& g : leaf.back()) g = w * g;
      }
      auto tree = [&](auto& self, std::size_t lo, std::size_t hi) -> std::vector<double> {
        if (hi - lo == 1) return leaf[lo];
        const std::size_t mid = lo + (hi - lo) / 2;
        std::vector<double> a = self(self, lo, mid);
        const std::vector<double> b = self(self, mid, hi);
        for (std::size_t k = 0; k < a.size(); ++k) a[k] = a[k] + b[k];
        return a;
      };
      const std::vector<double> expected = tree(tree, 0, leaf.size());
      for (std::size_t threads : {1, 2, 3, 4}) {
        ParallelGradient pg(model, threads);
        pg.gradient(rows, 8, softmax_loss(d));
        EXPECT_EQ(grads(model), expected)
            << "threads " << threads << " rows " << n_rows << " hidden " << hidden;
      }
    }
  }
}

TEST(Parallel, TrainedWeightsBitForBitForOneTwoThreeThreads) {
  const Data d = data(64);
  std::vector<std::vector<double>> trained;
  for (std::size_t threads : {1, 2, 3}) {
    const MLP model(4, {16, 16, 3});
    micrograd::Adam opt(model.parameters(), 0.01);
    ParallelGradient pg(model, threads);
    micrograd::Rng rng(9);
    for (int step = 0; step < 6; ++step) {
      const std::vector<std::size_t> rows = batch(rng);
      pg.gradient(rows, 16, softmax_loss(d));
      opt.step();
    }
    trained.push_back(micrograd::nn::parameters_to_vector(model));
  }
  EXPECT_EQ(trained[0], trained[1]);
  EXPECT_EQ(trained[0], trained[2]);
  EXPECT_NE(trained[0], micrograd::nn::parameters_to_vector(MLP(4, {16, 16, 3})));  // it trained
}

// Adam's update split across the threads (each updates the slice it summed) gives the weights of
// one step after gradient(), bit for bit, for any thread count; AdamW too.
TEST(Parallel, SliceWiseAdamIsOneStepAfterTheGradient) {
  const Data d = data(64);
  for (const bool decoupled : {false, true}) {
    std::vector<std::vector<double>> trained;
    for (std::size_t threads : {1, 1, 2, 3}) {  // first: the plain step after gradient()
      const bool sliced = trained.size() > 0;
      const MLP model(4, {16, 16, 3});
      micrograd::Adam adam(model.parameters(), 0.01);
      micrograd::AdamW adamw(model.parameters(), 0.01);
      micrograd::Adam& opt = decoupled ? adamw : adam;
      ParallelGradient pg(model, threads);
      micrograd::Rng rng(9);
      for (int step = 0; step < 5; ++step) {
        const std::vector<std::size_t> rows = batch(rng);
        const double lr = 0.01 * (1.0 - 0.1 * step);
        if (sliced) {
          ASSERT_TRUE(opt.begin_step(lr));
          pg.gradient(rows, 16, softmax_loss(d),
                      [&opt](std::size_t b, std::size_t e) { opt.update_range(b, e); });
        } else {
          pg.gradient(rows, 16, softmax_loss(d));
          opt.step(lr);
        }
      }
      EXPECT_EQ(opt.steps_taken(), 5u);
      trained.push_back(micrograd::nn::parameters_to_vector(model));
      EXPECT_EQ(trained.back(), trained.front()) << "threads " << threads << " AdamW " << decoupled;
    }
  }
}

// micrograd's demo step split across the threads: the L2 term's gradient added without a graph
// and SGD's update, block by block, give the numbers of the serial step (the L2 graph's
// backward after the gradient, then step()) bit for bit, with and without momentum; the term's
// value is the graph's.
TEST(Parallel, SliceWiseL2AndSgdAreTheSerialStep) {
  const Data d = data(64);
  constexpr double kAlpha = 1e-4;
  for (const double momentum : {0.0, 0.9}) {
    std::vector<std::vector<double>> trained;
    for (std::size_t threads : {1, 1, 2, 3}) {  // first: the serial step
      const bool sliced = trained.size() > 0;
      const MLP model(4, {64, 64, 3});  // 4,675 parameters: two blocks of the sum
      micrograd::SGD sgd(model.parameters(), 0.1, momentum);
      const micrograd::ColumnRun run = micrograd::leaf_run(sgd.params());
      ASSERT_NE(run.data, nullptr);
      const std::size_t n = sgd.params().size();
      ParallelGradient pg(model, threads);
      for (int step = 0; step < 4; ++step) {
        micrograd::TapeScope scope;
        std::vector<std::size_t> rows;
        for (std::size_t i = 0; i < 40; ++i) rows.push_back((i * 11 + step * 5) % 64);
        const double lr = 0.1 * (1.0 - 0.2 * step);
        const Value reg = micrograd::l2_regularization(sgd.params(), kAlpha);
        EXPECT_EQ(micrograd::l2_regularization_value(run.data, n, kAlpha), reg.data());
        if (sliced) {
          ASSERT_TRUE(sgd.begin_step(lr));
          pg.gradient(rows, 16, softmax_loss(d), [&](std::size_t b, std::size_t e) {
            micrograd::add_l2_regularization_gradient(run.data, run.grad, b, e, kAlpha);
            sgd.update_range(b, e);
          });
        } else {
          pg.gradient(rows, 16, softmax_loss(d));
          reg.backward();  // adds the L2 gradient to the chunks' sum
          sgd.step(lr);
        }
      }
      trained.push_back(micrograd::nn::parameters_to_vector(model));
      EXPECT_EQ(trained.back(), trained.front())
          << "threads " << threads << " momentum " << momentum;
    }
    EXPECT_NE(trained[0], micrograd::nn::parameters_to_vector(MLP(4, {64, 64, 3})));  // it moved
  }
  EXPECT_EQ(micrograd::l2_regularization_value(nullptr, 0, kAlpha), 0.0);
}

// Every parameter is in exactly one slice; Adam refuses to split a step over handles that are not
// consecutive leaves (it has no columns to hand out).
TEST(Parallel, SliceStepCoversEveryParameterOnce) {
  const MLP model(100, {50, 1});  // 5,101 parameters: two blocks of the sum
  ParallelGradient pg(model, 2);
  std::vector<std::pair<std::size_t, std::size_t>> calls;
  std::mutex m;
  pg.gradient(
      {0, 1, 2, 3}, 1,
      [](const MLP& r, std::span<const std::size_t> rows) {
        std::vector<Value> x;
        for (int i = 0; i < 100; ++i) x.emplace_back(static_cast<double>(rows[0] + i) / 100.0);
        return ChunkOutcome{r.score(x), 0};
      },
      [&](std::size_t b, std::size_t e) {
        std::lock_guard lock(m);
        calls.emplace_back(b, e);
      });
  std::sort(calls.begin(), calls.end());
  const std::size_t n = model.parameters().size();  // an MLP's: consecutive, so in blocks
  ASSERT_EQ(n, 5101u);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0], std::make_pair(std::size_t{0}, std::size_t{4096}));
  EXPECT_EQ(calls[1], std::make_pair(std::size_t{4096}, n));
  const Value gap(0.0);  // not consecutive with the next leaf: no columns
  micrograd::Adam split({Value(1.0), gap * 1.0, Value(2.0)});
  EXPECT_FALSE(split.begin_step(0.1));
  EXPECT_EQ(split.steps_taken(), 0u);
  EXPECT_THROW(split.update_range(0, 1), std::logic_error);
}

TEST(Parallel, ErrorsReachTheCaller) {
  const MLP model(2, {3, 1});
  ParallelGradient pg(model, 2);
  const std::vector<std::size_t> rows{0, 1, 2, 3};
  EXPECT_THROW(pg.gradient(rows, 1,
                           [](const MLP&, std::span<const std::size_t> r) -> ChunkOutcome {
                             if (r[0] == 2) throw std::runtime_error("bad row 2");
                             return {Value(1.0), 0.0};
                           }),
               std::runtime_error);
  // Still usable afterwards.
  const ParallelGradient::Result ok =
      pg.gradient(rows, 1, [](const MLP& m, std::span<const std::size_t> r) {
        return ChunkOutcome{m.score({Value(static_cast<double>(r[0])), Value(1.0)}), 1.0};
      });
  EXPECT_EQ(ok.extra, 4.0);
  EXPECT_THROW(pg.gradient(rows, 0, {}), std::invalid_argument);
  EXPECT_THROW(pg.gradient({}, 1, {}), std::invalid_argument);
  EXPECT_THROW(ParallelGradient(model, 0), std::invalid_argument);
}
