// Tests for loss.hpp: each loss against a plain-double re-computation in micrograd's order, the
// graphs micrograd would build, gradcheck on every loss, stability at large logits, and errors.
#include <gtest/gtest.h>

#include <cmath>

#include "common.hpp"
#include "micrograd/data.hpp"
#include "micrograd/gradcheck.hpp"
#include "micrograd/loss.hpp"
#include "micrograd/nn.hpp"
#include "micrograd/optim.hpp"

using micrograd::Tape;
using micrograd::TapeScope;
using micrograd::Value;

namespace {

class Loss : public ::testing::Test {
 protected:
  TapeScope scope_;
};

std::vector<Value> values(const std::vector<double>& v) { return {v.begin(), v.end()}; }

void expect_gradcheck(const micrograd::ScalarFunction& f, const std::vector<double>& point) {
  const micrograd::GradcheckResult r = micrograd::gradcheck(f, point);
  EXPECT_TRUE(r.ok) << r.report;
  ASSERT_EQ(r.analytic_all.size(), point.size());
}

// ---- the lecture's sum of squares and the mean

TEST_F(Loss, SumSquaredErrorIsTheLecturesSum) {
  const std::vector<double> pred = {0.8, -0.3, -0.9, 0.7}, ys = {1.0, -1.0, -1.0, 1.0};
  const Tape::Index before = Tape::current().size();
  const std::vector<Value> p = values(pred);
  Value loss = micrograd::sum_squared_error(p, ys);
  // Python: sum((yout - ygt)**2 ...) = ((0 + t0) + t1) + ..., t = pow(yout + (-ygt), 2)
  double expected = 0.0;
  for (std::size_t i = 0; i < 4; ++i) {
    const double t = std::pow(pred[i] + -ys[i], 2.0);
    expected = i == 0 ? t + 0.0 : expected + t;
  }
  EXPECT_EQ(loss.data(), expected);
  // 4 leaves; per term: leaf -ygt, +, leaf 2, **2 (4 nodes); leaf 0 and 4 adds.
  EXPECT_EQ(Tape::current().size() - before, 4u + 16u + 1u + 4u);
  EXPECT_EQ(loss.op_string(), "+");
  EXPECT_EQ(loss.children()[1].op_string(), "**2");
  loss.backward();
  for (std::size_t i = 0; i < 4; ++i) EXPECT_DOUBLE_EQ(p[i].grad(), 2.0 * (pred[i] - ys[i]));

  Value mean = micrograd::mse(p, ys);
  EXPECT_EQ(mean.data(), expected * (1.0 / 4.0));
  EXPECT_EQ(mean.op_string(), "*");
}

TEST_F(Loss, RegressionGradcheck) {
  const std::vector<double> ys = {1.0, -1.0, 0.5};
  expect_gradcheck([&](const std::vector<Value>& x) { return micrograd::sum_squared_error(x, ys); },
                   {0.3, -0.2, 2.0});
  expect_gradcheck([&](const std::vector<Value>& x) { return micrograd::mse(x, ys); },
                   {0.3, -0.2, 2.0});
}

// ---- micrograd's demo: svm max-margin and L2

TEST_F(Loss, SvmMaxMarginIsMicrogradsComposition) {
  const std::vector<double> s = {0.5, -2.0, 1.5, 0.25, -0.1}, y = {1, 1, -1, -1, -1};
  const Tape::Index before = Tape::current().size();
  const std::vector<Value> scores = values(s);
  Value loss = micrograd::svm_max_margin(scores, y);
  // losses = [(1 + -yi*scorei).relu()]; sum(losses) * (1.0 / len(losses))
  double sum = 0.0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const double m = s[i] * -y[i] + 1.0;
    const double l = m < 0 ? 0.0 : m;
    sum = i == 0 ? l + 0.0 : sum + l;
  }
  EXPECT_EQ(loss.data(), sum * (1.0 / 5.0));
  EXPECT_NEAR(loss.data(), (0.5 + 3.0 + 2.5 + 1.25 + 0.9) / 5, 1e-15);
  // 5 score leaves; per sample: leaf -y, *, leaf 1, +, ReLU; leaf 0 + 5 adds; leaf 1/n and *.
  EXPECT_EQ(Tape::current().size() - before, 5u + 25u + 6u + 2u);
  // The graph of one sample is relu(score * (-y) + 1), operands in micrograd's order.
  Value relu0 = loss.children()[0];  // the sum: ((((l0 + 0) + l1) + l2) + l3) + l4
  for (int i = 0; i < 5; ++i) relu0 = relu0.children()[0];
  EXPECT_EQ(loss.children()[0].children()[1].op_string(), "ReLU");  // l4
  EXPECT_EQ(relu0.op_string(), "ReLU");
  const Value add = relu0.children()[0];
  EXPECT_EQ(add.op_string(), "+");
  EXPECT_EQ(add.children()[1].data(), 1.0);
  const Value mul = add.children()[0];
  EXPECT_EQ(mul.op_string(), "*");
  EXPECT_EQ(mul.children()[0].id(), scores[0].id());
  EXPECT_EQ(mul.children()[1].data(), -1.0);
  EXPECT_EQ(loss.children()[1].data(), 0.2);  // the constant 1.0 / len(losses)

  loss.backward();
  const double expected_grad[] = {-0.2, -0.2, 0.2, 0.2, 0.2};
  for (std::size_t i = 0; i < s.size(); ++i) EXPECT_EQ(scores[i].grad(), expected_grad[i]);
}

TEST_F(Loss, L2RegularizationIsMicrogradsComposition) {
  const std::vector<double> p = {0.5, -0.25, 0.75};
  const std::vector<Value> params = values(p);
  Value reg = micrograd::l2_regularization(params, 1e-4);
  EXPECT_EQ(reg.data(), (((0.5 * 0.5 + 0.0) + 0.0625) + 0.5625) * 1e-4);
  EXPECT_EQ(reg.op_string(), "*");
  EXPECT_EQ(reg.children()[1].data(), 1e-4);
  reg.backward();
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(params[i].grad(), p[i] * 1e-4 + p[i] * 1e-4);
  EXPECT_EQ(micrograd::l2_regularization({}, 1e-4).data(), 0.0);
}

TEST_F(Loss, DemoLossesGradcheck) {
  const std::vector<double> y = {1, -1, 1, -1};
  // points away from the hinge's kink (1 - y*s = 0)
  expect_gradcheck([&](const std::vector<Value>& s) { return micrograd::svm_max_margin(s, y); },
                   {0.3, 0.2, 1.7, -1.4});
  expect_gradcheck([](const std::vector<Value>& p) { return micrograd::l2_regularization(p, 0.1); },
                   {0.3, -1.2, 2.0});
  expect_gradcheck(
      [&](const std::vector<Value>& s) {
        return micrograd::svm_max_margin(s, y) + micrograd::l2_regularization(s, 1e-2);
      },
      {0.3, 0.2, 1.7, -1.4});
}

// ---- binary cross-entropy with logits

TEST_F(Loss, BinaryCrossEntropyWithLogits) {
  const std::vector<double> s = {0.5, -2.0, 3.0, -0.25}, y = {1, -1, 0, 1};
  Value loss = micrograd::binary_cross_entropy_with_logits(values(s), y);
  double expected = 0.0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const double t = y[i] > 0 ? 1.0 : 0.0;
    expected += std::max(s[i], 0.0) - s[i] * t + std::log1p(std::exp(-std::fabs(s[i])));
  }
  EXPECT_NEAR(loss.data(), expected / 4, 1e-15);
  // The textbook form gives the same number.
  double textbook = 0.0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const double sig = 1.0 / (1.0 + std::exp(-s[i]));
    textbook -= y[i] > 0 ? std::log(sig) : std::log(1.0 - sig);
  }
  EXPECT_NEAR(loss.data(), textbook / 4, 1e-14);
  // Large logits neither overflow nor lose the loss.
  EXPECT_NEAR(micrograd::binary_cross_entropy_with_logits({Value(800.0)}, {0}).data(), 800.0,
              1e-12);
  EXPECT_NEAR(micrograd::binary_cross_entropy_with_logits({Value(-800.0)}, {1}).data(), 800.0,
              1e-12);
  EXPECT_EQ(micrograd::binary_cross_entropy_with_logits({Value(800.0)}, {1}).data(), 0.0);
  expect_gradcheck(
      [&](const std::vector<Value>& x) {
        return micrograd::binary_cross_entropy_with_logits(x, y);
      },
      s);
}

// ---- softmax cross-entropy

TEST_F(Loss, SoftmaxCrossEntropy) {
  const std::vector<std::vector<double>> z = {{1.0, 2.0, 0.5}, {-1.0, 0.0, 3.0}};
  const std::vector<std::size_t> c = {0, 2};
  std::vector<std::vector<Value>> logits;
  for (const auto& row : z) logits.push_back(values(row));
  Value loss = micrograd::softmax_cross_entropy(logits, c);
  double expected = 0.0;
  for (std::size_t i = 0; i < z.size(); ++i) {
    double s = 0.0;
    for (double zj : z[i]) s += std::exp(zj);
    expected += std::log(s) - z[i][c[i]];
  }
  EXPECT_NEAR(loss.data(), expected / 2, 1e-15);
  loss.backward();
  // d/dz = (softmax - onehot) / n
  for (std::size_t i = 0; i < z.size(); ++i) {
    double s = 0.0;
    for (double zj : z[i]) s += std::exp(zj);
    for (std::size_t j = 0; j < 3; ++j)
      EXPECT_NEAR(logits[i][j].grad(), (std::exp(z[i][j]) / s - (j == c[i])) / 2, 1e-15);
  }
  // A logit of 1000 does not overflow (the row maximum is subtracted).
  Value big = micrograd::softmax_cross_entropy({{Value(1000.0), Value(0.0)}}, {1});
  EXPECT_NEAR(big.data(), 1000.0, 1e-12);
  expect_gradcheck(
      [&](const std::vector<Value>& x) {
        return micrograd::softmax_cross_entropy({{x[0], x[1], x[2]}, {x[3], x[4], x[5]}}, c);
      },
      {1.0, 2.0, 0.5, -1.0, 0.0, 3.0});
}

// ---- accuracy

TEST_F(Loss, Accuracy) {
  // micrograd: (yi > 0) == (scorei.data > 0)
  EXPECT_EQ(micrograd::accuracy(values({0.5, -0.1, 0.0, 2.0}), {1, -1, 1, -1}), 0.5);
  EXPECT_EQ(micrograd::accuracy(values({0.5, -0.1, 0.0}), {1, -1, -1}), 1.0);
  std::vector<std::vector<Value>> logits = {values({0.1, 0.9, 0.0}), values({2.0, 2.0, 1.0}),
                                            values({0.0, 0.0, 5.0})};
  EXPECT_EQ(micrograd::accuracy(logits, {1, 0, 0}), 2.0 / 3.0);  // ties go to the first
}

// ---- errors

TEST_F(Loss, MismatchedOrEmptyBatchesAreRefused) {
  const std::vector<Value> two = values({1.0, 2.0});
  EXPECT_EQ(micrograd::testing::message_of<std::invalid_argument>(
                [&] { micrograd::svm_max_margin(two, {1.0}); }),
            "svm_max_margin: 2 scores but 1 labels (they must have the same length)");
  EXPECT_EQ(micrograd::testing::message_of<std::invalid_argument>([&] { micrograd::mse({}, {}); }),
            "mse: empty batch");
  EXPECT_THROW(micrograd::sum_squared_error(two, {1, 2, 3}), std::invalid_argument);
  EXPECT_THROW(micrograd::binary_cross_entropy_with_logits({}, {}), std::invalid_argument);
  EXPECT_THROW(micrograd::accuracy(two, {1.0}), std::invalid_argument);
  EXPECT_EQ(micrograd::testing::message_of<std::invalid_argument>(
                [&] { micrograd::softmax_cross_entropy({two}, {2}); }),
            "softmax_cross_entropy: row 0 has class 2 but only 2 logits (classes are 0 .. 1)");
  EXPECT_EQ(micrograd::testing::message_of<std::invalid_argument>(
                [&] { micrograd::softmax_cross_entropy({{}}, {0}); }),
            "softmax_cross_entropy: row 0 has no logits");
  EXPECT_THROW(micrograd::softmax_cross_entropy({two}, {0, 1}), std::invalid_argument);
  EXPECT_THROW(micrograd::accuracy(std::vector<std::vector<Value>>{two}, {5}),
               std::invalid_argument);
}

}  // namespace

// micrograd's demo trained with the L2 term's graph and without it (its value in plain doubles,
// its gradient put in the grads before backward(): l2_regularization_value,
// add_l2_regularization_gradient): the same 100 losses and weights bit for bit, for the fused
// model and for micrograd's node-by-node graph, at the demo's alpha and at others.
TEST_F(Loss, L2WithoutAGraphTrainsTheSameWeights) {
  const micrograd::Dataset data = micrograd::make_moons(100, 0.1, 1337);
  for (const bool fused : {true, false}) {
    for (const double alpha : {1e-4, 0.0, 0.37}) {
      std::vector<std::vector<double>> losses, weights;
      for (const bool graph : {true, false}) {
        micrograd::nn::MLPOptions o;
        o.fused = fused;
        const micrograd::nn::MLP model(2, {16, 16, 1}, o);
        micrograd::SGD sgd(model.parameters(), 1.0);
        const micrograd::ColumnRun run = micrograd::leaf_run(sgd.params());
        ASSERT_NE(run.data, nullptr);
        const std::size_t n = sgd.params().size();
        losses.emplace_back();
        for (int k = 0; k < 100; ++k) {
          TapeScope step;
          std::vector<Value> scores;
          for (const std::vector<Value>& x : micrograd::to_values(data.X))
            scores.push_back(model.score(x));
          const Value data_loss = micrograd::svm_max_margin(scores, data.y);
          Value total;
          if (graph) {
            total = data_loss + micrograd::l2_regularization(sgd.params(), alpha);
            sgd.zero_grad();
          } else {
            total = data_loss + micrograd::l2_regularization_value(run.data, n, alpha);
            sgd.zero_grad();
            micrograd::add_l2_regularization_gradient(run.data, run.grad, 0, n, alpha);
          }
          total.backward();
          sgd.step(1.0 - 0.9 * k / 100);
          losses.back().push_back(total.data());
        }
        weights.push_back(micrograd::nn::parameters_to_vector(model));
      }
      EXPECT_EQ(losses[1], losses[0]) << "fused " << fused << " alpha " << alpha;
      EXPECT_EQ(weights[1], weights[0]) << "fused " << fused << " alpha " << alpha;
      EXPECT_LT(losses[0].back(), losses[0].front());  // it trained
    }
  }
}
