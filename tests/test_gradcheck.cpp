// Tests for gradcheck.hpp: every op at several points, including the edges of its domain.
#include <gtest/gtest.h>

#include <cmath>

#include "common.hpp"
#include "micrograd/gradcheck.hpp"

using micrograd::Difference;
using micrograd::gradcheck;
using micrograd::GradcheckOptions;
using micrograd::Value;
using V = std::vector<Value>;

namespace {

void expect_passes(const micrograd::ScalarFunction& f, std::vector<double> point,
                   GradcheckOptions o = {}) {
  const auto r = gradcheck(f, point, o);
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(Gradcheck, EveryBinaryOpAtSeveralPoints) {
  for (double a : {-2.5, -0.3, 0.7, 3.0})
    for (double b : {-1.5, 0.4, 2.0}) {
      expect_passes([](const V& x) { return x[0] + x[1]; }, {a, b});
      expect_passes([](const V& x) { return x[0] - x[1]; }, {a, b});
      expect_passes([](const V& x) { return x[0] * x[1]; }, {a, b});
      expect_passes([](const V& x) { return x[0] / x[1]; }, {a, b});
      expect_passes([](const V& x) { return x[0] * x[0] * x[1]; }, {a, b});  // reuse
    }
}

TEST(Gradcheck, PowInAllThreeForms) {
  for (double a : {0.5, 1.3, 2.0})
    for (double b : {-1.5, 0.5, 2.0, 3.0}) {
      expect_passes([](const V& x) { return pow(x[0], x[1]); }, {a, b});
      expect_passes([b](const V& x) { return pow(x[0], b); }, {a});
      expect_passes([a](const V& x) { return pow(a, x[0]); }, {b});
    }
}

TEST(Gradcheck, PowNegativeBaseIntegerExponent) {
  for (double c : {2.0, 3.0, -1.0, -2.0})
    expect_passes([c](const V& x) { return pow(x[0], c); }, {-1.7});
}

TEST(Gradcheck, UnaryOps) {
  for (double a : {-3.0, -0.5, 0.25, 1.0, 4.0}) {
    expect_passes([](const V& x) { return exp(x[0]); }, {a});
    expect_passes([](const V& x) { return tanh(x[0]); }, {a});
    expect_passes([](const V& x) { return sigmoid(x[0]); }, {a});
    expect_passes([](const V& x) { return relu(x[0]); }, {a});
    expect_passes([](const V& x) { return -x[0]; }, {a});
    expect_passes([](const V& x) { return 2.0 / x[0] + 1.0 - x[0]; }, {a});
  }
  for (double a : {0.1, 1.0, 7.0}) expect_passes([](const V& x) { return log(x[0]); }, {a});
}

TEST(Gradcheck, ReluAtZeroAgreesWithTheLeftDerivativeOnly) {
  auto f = [](const V& x) { return relu(x[0]); };
  const auto central = gradcheck(f, {0.0});
  EXPECT_FALSE(central.ok);  // a kink: central differences give 0.5, micrograd's relu'(0) is 0
  EXPECT_EQ(central.analytic, 0.0);
  EXPECT_NEAR(central.numeric, 0.5, 1e-9);
  EXPECT_NE(central.report.find("FAILED"), std::string::npos);
  GradcheckOptions left;
  left.difference = Difference::Backward;
  expect_passes(f, {0.0}, left);
}

TEST(Gradcheck, LogNearZero) {
  GradcheckOptions o;
  o.h = 1e-9;  // the step must be much smaller than x
  expect_passes([](const V& x) { return log(x[0]); }, {1e-5}, o);
}

TEST(Gradcheck, TanhSaturated) {
  for (double a : {-25.0, 21.0, 40.0}) {
    const auto r = gradcheck([](const V& x) { return tanh(x[0]); }, {a});
    EXPECT_TRUE(r.ok) << r.report;
    EXPECT_EQ(r.analytic, 0.0);  // 1 - tanh^2 underflows to exactly 0 past |x| ~ 19
  }
}

TEST(Gradcheck, DivisionByTinyNumbers) {
  GradcheckOptions o;
  o.h = 1e-12;
  o.rtol = 1e-3;
  expect_passes([](const V& x) { return 1.0 / x[0]; }, {1e-4}, o);
  expect_passes([](const V& x) { return x[1] / x[0]; }, {1e-4, 3.0}, o);
}

TEST(Gradcheck, LectureNeuronAndMicrogradExample) {
  expect_passes([](const V& x) { return tanh(x[0] * x[1] + x[2] * x[3] + x[4]); },
                {2.0, -3.0, 0.0, 1.0, 6.8813735870195432});
  GradcheckOptions o;
  o.rtol = 1e-6;
  expect_passes([](const V& x) { return micrograd::testing::micrograd_readme_g(x[0], x[1]); },
                {-4.0, 2.0}, o);
}

TEST(Gradcheck, ReportsTheWorstMismatchOfAWrongGradient) {
  // d/dx of x*|x| via a deliberately wrong formula: data changes are invisible to backward.
  auto wrong = [](const V& x) {
    Value y = x[0] * 3.0;
    y.data() = x[0].data() * x[0].data() * x[0].data();  // forward is x^3, backward still says 3
    return y + x[1];
  };
  const auto r = gradcheck(wrong, {2.0, 1.0});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.worst_input, 0u);
  EXPECT_EQ(r.analytic, 3.0);
  EXPECT_NEAR(r.numeric, 12.0, 1e-5);
  EXPECT_NE(r.report.find("x0"), std::string::npos) << r.report;
}

TEST(Gradcheck, ReclaimsEverythingItCreates) {
  const auto before = micrograd::Tape::current().size();
  gradcheck([](const V& x) { return x[0] * x[0]; }, {3.0});
  EXPECT_EQ(micrograd::Tape::current().size(), before);
}

}  // namespace
