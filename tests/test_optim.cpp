// Tests for optim.hpp: schedules, micrograd's SGD update, and SGD-momentum / Adam / AdamW against
// numbers produced by PyTorch 1.13 (float64) on the same problem.
#include <gtest/gtest.h>

#include <cmath>
#include <optional>

#include "micrograd/optim.hpp"

using micrograd::TapeScope;
using micrograd::Value;

namespace {

class Optim : public ::testing::Test {
 protected:
  TapeScope scope_;
};

// The problem: loss = sum_i (p_i - t_i)**2 from p = [0.5, -1.5, 2.0], t = [1.0, -2.0, 0.5].
const std::vector<double> kStart = {0.5, -1.5, 2.0};
const std::vector<double> kTarget = {1.0, -2.0, 0.5};

template <class Optimizer>
std::vector<std::vector<double>> run(const std::vector<Value>& p, Optimizer& opt, int steps = 5) {
  std::vector<std::vector<double>> trajectory;
  for (int k = 0; k < steps; ++k) {
    TapeScope step;
    opt.zero_grad();
    Value loss = pow(p[0] - kTarget[0], 2.0);
    for (std::size_t i = 1; i < p.size(); ++i) loss = loss + pow(p[i] - kTarget[i], 2.0);
    loss.backward();
    opt.step();
    std::vector<double> now;
    for (const Value& v : p) now.push_back(v.data());
    trajectory.push_back(now);
  }
  return trajectory;
}

std::vector<Value> start() { return {kStart.begin(), kStart.end()}; }

void expect_trajectory(const std::vector<std::vector<double>>& got,
                       const std::vector<std::vector<double>>& want, double rtol) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t k = 0; k < want.size(); ++k)
    for (std::size_t i = 0; i < want[k].size(); ++i)
      EXPECT_NEAR(got[k][i], want[k][i], rtol * std::fabs(want[k][i]))
          << "step " << k + 1 << ", parameter " << i;
}

// ---- schedules

TEST_F(Optim, Schedules) {
  const micrograd::LinearDecayLR decay;
  for (std::size_t k = 0; k < 100; ++k)
    EXPECT_EQ(decay(k, 100), 1.0 - 0.9 * static_cast<double>(k) / 100);  // micrograd's formula
  EXPECT_EQ(decay(0, 100), 1.0);
  EXPECT_EQ(decay(50, 100), 0.55);
  EXPECT_EQ(micrograd::ConstantLR{0.05}(7, 100), 0.05);
  const micrograd::Schedule s = micrograd::LinearDecayLR{0.5, 0.4};
  EXPECT_EQ(s(1, 4), 0.4);
}

// ---- SGD

TEST_F(Optim, SgdIsMicrogradsUpdate) {
  std::vector<Value> p = start();
  p[0].grad() = 0.3, p[1].grad() = -0.7, p[2].grad() = 1e-3;
  micrograd::SGD sgd(p, 0.1);
  sgd.step();
  // p.data -= learning_rate * p.grad, rounding in that order
  EXPECT_EQ(p[0].data(), 0.5 - 0.1 * 0.3);
  EXPECT_EQ(p[1].data(), -1.5 - 0.1 * -0.7);
  EXPECT_EQ(p[2].data(), 2.0 - 0.1 * 1e-3);
  sgd.step(0.55);
  EXPECT_EQ(p[0].data(), (0.5 - 0.1 * 0.3) - 0.55 * 0.3);
  sgd.zero_grad();
  for (const Value& v : p) EXPECT_EQ(v.grad(), 0.0);
}

// Parameters that are consecutive leaves (an MLP's) are updated as columns; others one by one.
// Both give the numbers above; a non-leaf "parameter" keeps the backward's bookkeeping right.
TEST_F(Optim, SgdOverColumnsAndOverHandlesAgree) {
  std::vector<Value> run = start();                  // consecutive leaves: the column path
  std::vector<Value> apart{run[2], run[0], run[1]};  // not in order: handle by handle
  EXPECT_NE(micrograd::leaf_run(run).data, nullptr);
  EXPECT_EQ(micrograd::leaf_run(apart).data, nullptr);
  for (const Value& v : run) v.grad() = 0.25;
  micrograd::SGD(run, 0.1).step();
  EXPECT_EQ(run[0].data(), 0.5 - 0.1 * 0.25);
  EXPECT_EQ(run[2].data(), 2.0 - 0.1 * 0.25);
  micrograd::SGD(apart, 0.1).step();
  EXPECT_EQ(run[0].data(), (0.5 - 0.1 * 0.25) - 0.1 * 0.25);
  // a non-leaf among them: no column path; zero_grad still marks its grad as written
  Value x(3.0);
  Value y = x * 2.0;
  std::vector<Value> mixed{x, y};
  EXPECT_EQ(micrograd::leaf_run(mixed).data, nullptr);
  Value z = y * y;
  z.backward();
  EXPECT_EQ(x.grad(), 24.0);  // dz/dx = 2y * 2
  micrograd::SGD sgd(mixed, 0.0);
  sgd.zero_grad();
  EXPECT_EQ(y.grad(), 0.0);
  z.backward();  // y's grad is recomputed, x accumulates afresh
  EXPECT_EQ(y.grad(), 12.0);
  EXPECT_EQ(x.grad(), 24.0);
}

// An optimizer remembers where its parameters' columns are (LeafRunCache: checked in full once,
// then only the ends): parameters reclaimed by a TapeScope are refused, never written through
// the remembered pointers, even when new leaves now sit where they were; rebind_params starts
// afresh.
TEST_F(Optim, RememberedColumnsOfReclaimedParametersAreRefused) {
  std::optional<micrograd::SGD> sgd;
  std::optional<micrograd::Adam> adam;
  micrograd::LeafRunCache cache;
  std::vector<Value> p;
  {
    TapeScope scope;
    p = start();
    sgd.emplace(p, 0.1);
    adam.emplace(p, 0.1);
    for (const Value& v : p) v.grad() = 1.0;
    sgd->step();  // the column path, remembered from here on
    EXPECT_EQ(p[0].data(), 0.5 - 0.1 * 1.0);
    EXPECT_TRUE(adam->begin_step(0.1));
    const micrograd::ColumnRun run = cache.get(p);
    EXPECT_EQ(run.data, &p[0].data());
    EXPECT_EQ(run.grad, &p[0].grad());
    EXPECT_EQ(cache.get(p).data, run.data);
  }
  const std::vector<Value> fresh = start();  // new leaves at the reclaimed ones' places
  EXPECT_EQ(cache.get(p).data, nullptr);
  EXPECT_THROW(sgd->step(), micrograd::StaleValueError);
  EXPECT_THROW(sgd->zero_grad(), micrograd::StaleValueError);
  EXPECT_FALSE(adam->begin_step(0.1));
  EXPECT_THROW(adam->step(), micrograd::StaleValueError);
  for (const Value& v : fresh) EXPECT_EQ(v.grad(), 0.0);  // untouched
  EXPECT_EQ(fresh[0].data(), 0.5);
  sgd->rebind_params(fresh);
  for (const Value& v : fresh) v.grad() = 2.0;
  sgd->step();
  EXPECT_EQ(fresh[0].data(), 0.5 - 0.1 * 2.0);
  EXPECT_EQ(fresh[2].data(), 2.0 - 0.1 * 2.0);
}

// Expected numbers: /usr/bin/python3 with torch 1.13, torch.set_default_dtype(torch.float64),
// p = torch.tensor([0.5, -1.5, 2.0], requires_grad=True), loss = ((p - t)**2).sum(), five times
// zero_grad / backward / step, printing p after each step.
TEST_F(Optim, SgdAgainstPyTorch) {
  std::vector<Value> p = start();
  micrograd::SGD sgd(p, 0.1);
  expect_trajectory(run(p, sgd),
                    {{0.6, -1.6, 1.7},
                     {0.6799999999999999, -1.6800000000000002, 1.46},
                     {0.744, -1.7440000000000002, 1.268},
                     {0.7952, -1.7952000000000001, 1.1144},
                     {0.83616, -1.83616, 0.9915200000000001}},
                    0.0);  // bit for bit
}

TEST_F(Optim, SgdMomentumAgainstPyTorch) {
  std::vector<Value> p = start();
  micrograd::SGD sgd(p, 0.1, 0.9);  // torch.optim.SGD(lr=0.1, momentum=0.9)
  expect_trajectory(run(p, sgd),
                    {{0.6, -1.6, 1.7},
                     {0.77, -1.77, 1.19},
                     {0.9690000000000001, -1.969, 0.593},
                     {1.1543, -2.1543, 0.037099999999999925},
                     {1.29021, -2.29021, -0.37063}},
                    1e-14);  // torch's add_(buf, alpha=-lr) rounds differently in one place
}

// ---- Adam, AdamW

TEST_F(Optim, AdamFirstStepByHand) {
  // Step 1 with bias correction: m_hat = g, v_hat = g*g, so p -= lr * g / (|g| + eps).
  std::vector<Value> p = {Value(0.5)};
  p[0].grad() = -4.0;
  micrograd::Adam adam(p, 0.1);
  adam.step();
  EXPECT_NEAR(p[0].data(), 0.5 + 0.1 * 4.0 / (4.0 + 1e-8), 1e-16);
  EXPECT_EQ(adam.steps_taken(), 1u);
}

TEST_F(Optim, AdamAgainstPyTorch) {
  std::vector<Value> p = start();
  micrograd::Adam adam(p, 0.1);  // torch.optim.Adam(lr=0.1)
  expect_trajectory(run(p, adam),
                    {{0.599999999, -1.599999999, 1.9000000003333333},
                     {0.6988125783408332, -1.6988125783408332, 1.8002390622922801},
                     {0.7951287474397004, -1.7951287474397004, 1.7009028705180997},
                     {0.8870846018099783, -1.8870846018099783, 1.6021989364677947},
                     {0.9721855486293904, -1.9721855486293904, 1.5043581694516794}},
                    0.0);  // bit for bit
}

TEST_F(Optim, AdamWithL2WeightDecayAgainstPyTorch) {
  std::vector<Value> p = start();
  micrograd::Adam adam(p, 0.1, 0.9, 0.999, 1e-8,
                       0.1);  // torch.optim.Adam(lr=0.1, weight_decay=0.1)
  expect_trajectory(run(p, adam),
                    {{0.5999999989473684, -1.5999999988235294, 1.9000000003125},
                     {0.6985938182267247, -1.6982936224906289, 1.800234260969904},
                     {0.7941484916460491, -1.792772735250878, 1.700884247917488},
                     {0.8842707018889633, -1.88025544062667, 1.6021523510899949},
                     {0.9657465042376978, -1.9565223089652535, 1.504263346297494}},
                    0.0);  // bit for bit
}

TEST_F(Optim, AdamWAgainstPyTorch) {
  std::vector<Value> p = start();
  micrograd::AdamW adamw(p, 0.1);  // torch.optim.AdamW(lr=0.1): weight_decay 0.01
  EXPECT_EQ(adamw.options().weight_decay, 0.01);
  expect_trajectory(run(p, adamw),
                    {{0.5994999990000001, -1.598499999, 1.8980000003333333},
                     {0.6977229495373474, -1.6957435531534581, 1.7963472603753146},
                     {0.7933786616355298, -1.7904686938914374, 1.695232159115498},
                     {0.8846379007995668, -1.8808925017764646, 1.5948674856605156},
                     {0.9690609071270806, -1.9646414190735888, 1.4954900495824563}},
                    0.0);  // bit for bit
}

TEST_F(Optim, BadHyperparametersAreRefused) {
  EXPECT_THROW(micrograd::SGD(start(), 0.1, -0.5), std::invalid_argument);
  EXPECT_THROW(micrograd::Adam(start(), 0.1, 1.0), std::invalid_argument);
  EXPECT_THROW(micrograd::AdamW(start(), 0.1, 0.9, -0.1), std::invalid_argument);
  EXPECT_THROW(micrograd::Adam(start(), 0.1, 0.9, 0.999, -1.0), std::invalid_argument);
}

}  // namespace

namespace {

TEST(Optimizer, RebindParamsTakesNewHandlesOfTheSameCount) {
  micrograd::TapeScope scope;
  std::vector<micrograd::Value> p{micrograd::Value(1.0), micrograd::Value(2.0)};
  micrograd::SGD sgd(p, 0.5);
  std::vector<micrograd::Value> q{micrograd::Value(10.0), micrograd::Value(20.0)};
  q[0].grad() = 2.0;
  sgd.rebind_params(q);
  sgd.step();
  EXPECT_EQ(q[0].data(), 9.0);  // the new handles are the ones updated
  EXPECT_EQ(p[0].data(), 1.0);
  EXPECT_THROW(sgd.rebind_params({q[0]}), std::invalid_argument);
  micrograd::Adam adam(p, 0.1);
  EXPECT_THROW(adam.rebind_params({}), std::invalid_argument);
}

}  // namespace
