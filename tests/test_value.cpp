// Tests for value.hpp: the lecture's and micrograd's exact numbers, every op, printing.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>

#include "common.hpp"
#include "micrograd/gradcheck.hpp"
#include "micrograd/random.hpp"
#include "micrograd/value.hpp"

using micrograd::Value;

namespace {

// Every test starts from an empty region of this thread's tape and leaves nothing behind.
class ValueTest : public ::testing::Test {
 protected:
  ~ValueTest() override { micrograd::set_backward_semantics(micrograd::Semantics::Micrograd); }
  micrograd::TapeScope scope_;
};

TEST_F(ValueTest, LectureExpressionL) {
  const micrograd::testing::LectureL lecture;
  const auto& [a, b, c, e, d, f, L] = lecture;
  EXPECT_EQ(L.data(), -8.0);
  EXPECT_EQ(L.grad(), 1.0);
  EXPECT_EQ(a.grad(), 6.0);
  EXPECT_EQ(b.grad(), -4.0);
  EXPECT_EQ(c.grad(), -2.0);
  EXPECT_EQ(e.grad(), -2.0);
  EXPECT_EQ(d.grad(), -2.0);
  EXPECT_EQ(f.grad(), 4.0);
  EXPECT_EQ(e.label(), "e");
  EXPECT_EQ(L.op_string(), "*");
  EXPECT_EQ(d.op_string(), "+");
  ASSERT_EQ(d.children().size(), 2u);
  EXPECT_EQ(d.children()[0].id(), e.id());
  EXPECT_EQ(d.children()[1].id(), c.id());
}

struct Neuron {
  Value x1{2.0, "x1"}, x2{0.0, "x2"}, w1{-3.0, "w1"}, w2{1.0, "w2"}, b{6.8813735870195432, "b"};
  Value n() const { return x1 * w1 + x2 * w2 + b; }
};

void expect_lecture_neuron_grads(const Neuron& z) {
  EXPECT_NEAR(z.x1.grad(), -1.5, 1e-12);
  EXPECT_NEAR(z.w1.grad(), 1.0, 1e-12);
  EXPECT_NEAR(z.x2.grad(), 0.5, 1e-12);
  EXPECT_NEAR(z.w2.grad(), 0.0, 1e-12);
  EXPECT_NEAR(z.b.grad(), 0.5, 1e-12);
}

TEST_F(ValueTest, LectureNeuronTanh) {
  Neuron z;
  Value o = z.n().tanh();
  o.backward();
  EXPECT_NEAR(o.data(), 0.7071067811865476, 1e-15);
  EXPECT_EQ(o.data(), 0.7071067811865476);  // the lecture's digits exactly
  EXPECT_EQ(o.op_string(), "tanh");
  expect_lecture_neuron_grads(z);
}

TEST_F(ValueTest, LectureNeuronTanhThroughExp) {
  Neuron z;
  Value e = (2 * z.n()).exp();
  Value o = (e - 1) / (e + 1);
  o.backward();
  EXPECT_NEAR(o.data(), 0.7071067811865476, 1e-15);
  expect_lecture_neuron_grads(z);
}

TEST_F(ValueTest, ReusedNodeAccumulates) {
  Value a(3.0, "a");
  Value b = a + a;
  b.backward();
  EXPECT_EQ(a.grad(), 2.0);
}

TEST_F(ValueTest, LectureBugExampleTwoPaths) {
  Value a(-2.0, "a"), b(3.0, "b");
  Value f = (a * b) * (a + b);
  f.backward();
  EXPECT_EQ(f.data(), -6.0);
  EXPECT_EQ(a.grad(), -3.0);
  EXPECT_EQ(b.grad(), -8.0);
}

TEST_F(ValueTest, MicrogradReadmeExample) {
  Value a(-4.0), b(2.0);
  Value g = micrograd::testing::micrograd_readme_g(a, b);
  g.backward();
  EXPECT_EQ(g.data(), 2421.0 / 98.0);
  EXPECT_NEAR(g.data(), 24.70408163265306, 1e-12);
  EXPECT_NEAR(a.grad(), 138.83381924198252, 1e-12);
  EXPECT_NEAR(b.grad(), 645.5772594752186, 1e-12);
  const Value f = g.children()[0].children()[0];  // g = f*0.5 + f**-1*10
  EXPECT_EQ(f.op_string(), "**2");
}

TEST_F(ValueTest, DoubleBackwardAddsIntoEveryNodeLikeMicrograd) {
  Value x(3.0, "x");
  Value t = 2 * x;
  Value z = t * x;
  z.backward();
  EXPECT_EQ(x.grad(), 12.0);
  EXPECT_EQ(t.grad(), 3.0);
  z.backward();  // micrograd: z.grad = 1; t.grad 3 + 3 = 6; x.grad 12 + t (6) + 2 * 6 = 30
  EXPECT_EQ(t.grad(), 6.0);
  EXPECT_EQ(x.grad(), 30.0);
  EXPECT_EQ(z.grad(), 1.0);
}

TEST_F(ValueTest, DoubleBackwardUnderPyTorchSemanticsAccumulatesLeavesOnly) {
  micrograd::set_backward_semantics(micrograd::Semantics::PyTorch);
  Value x(3.0, "x");
  Value t = 2 * x;
  Value z = t * x;
  z.backward();
  EXPECT_EQ(x.grad(), 12.0);
  z.backward();
  EXPECT_EQ(t.grad(), 3.0);  // recomputed
  EXPECT_EQ(x.grad(), 24.0);
  EXPECT_EQ(z.grad(), 1.0);
}

TEST_F(ValueTest, BackwardOfALeafSetsItsGradToOneLikeMicrograd) {
  Value x(3.0);
  x.backward();
  x.backward();
  EXPECT_EQ(x.grad(), 1.0);
  micrograd::set_backward_semantics(micrograd::Semantics::PyTorch);
  x.backward();
  EXPECT_EQ(x.grad(), 2.0);
}

TEST_F(ValueTest, SecondBackwardFromAnotherRootLeavesUnrelatedGradsAlone) {
  Value x(2.0), y(5.0);
  Value p = x * y;  // graph 1
  Value q = p + 1;
  q.backward();
  Value r = x * 3;  // graph 2 shares only the leaf x
  r.backward();
  EXPECT_EQ(p.grad(), 1.0);  // graph 1's intermediate keeps what its backward gave it
  EXPECT_EQ(x.grad(), 5.0 + 3.0);
  EXPECT_EQ(y.grad(), 2.0);
}

TEST_F(ValueTest, BackwardAfterManualGradWriteAddsToItLikeMicrograd) {
  Value x(2.0);
  Value h = x * x;
  Value o = h * 3;
  h.grad() = 100.0;  // the lecture sets grads by hand before calling backward
  o.backward();
  EXPECT_EQ(h.grad(), 103.0);
  EXPECT_EQ(x.grad(), 2 * 2.0 * 103.0);  // x * h.grad, twice (x is both operands)
}

TEST_F(ValueTest, BackwardAfterManualGradWriteRecomputesIntermediatesUnderPyTorchSemantics) {
  micrograd::set_backward_semantics(micrograd::Semantics::PyTorch);
  Value x(2.0);
  Value h = x * x;
  Value o = h * 3;
  h.grad() = 100.0;
  o.backward();
  EXPECT_EQ(h.grad(), 3.0);
  EXPECT_EQ(x.grad(), 12.0);
}

TEST_F(ValueTest, LectureManualBackwardOneNodeAtATime) {
  Neuron z;
  Value n = z.n();
  Value o = n.tanh();
  o.grad() = 1.0;
  o.backward_one();
  EXPECT_NEAR(n.grad(), 0.5, 1e-12);
  n.backward_one();
  EXPECT_NEAR(z.b.grad(), 0.5, 1e-12);
}

TEST_F(ValueTest, DerivedOpsComposeLikeMicrograd) {
  Value a(3.0);
  Value n = -a;  // a * -1
  EXPECT_EQ(n.op_string(), "*");
  EXPECT_EQ(n.children()[1].data(), -1.0);
  Value s = a - 2.0;  // a + (-2)
  EXPECT_EQ(s.op_string(), "+");
  EXPECT_EQ(s.children()[1].data(), -2.0);
  Value q = a / 4.0;  // a * 4**-1 = a * 0.25
  EXPECT_EQ(q.op_string(), "*");
  EXPECT_EQ(q.children()[1].data(), 0.25);
  Value r = 2.0 / a;  // a**-1 * 2
  EXPECT_EQ(r.op_string(), "*");
  EXPECT_EQ(r.children()[0].op_string(), "**-1");
  EXPECT_EQ(r.children()[0].children().size(), 1u);  // the exponent is not a child
  EXPECT_DOUBLE_EQ(r.data(), 2.0 / 3.0);
  Value t = 1.0 - a;  // (-a) + 1
  EXPECT_EQ(t.data(), -2.0);
  EXPECT_EQ(pow(a, 0.5).op_string(), "**0.5");
}

TEST_F(ValueTest, CompoundAssignmentRebindsToANewNode) {
  Value c(1.0);
  const auto before = c.id();
  c += c + 1;  // c = c + (c + 1)
  EXPECT_NE(c.id(), before);
  EXPECT_EQ(c.data(), 3.0);
  c *= 2.0;
  c -= 1.0;
  c /= 5.0;
  EXPECT_EQ(c.data(), 1.0);
}

TEST_F(ValueTest, PowWithValueExponentGivesBothGradients) {
  Value a(2.0), b(3.0);
  Value p = pow(a, b);
  p.backward();
  EXPECT_EQ(p.data(), 8.0);
  EXPECT_DOUBLE_EQ(a.grad(), 12.0);                 // b * a^(b-1)
  EXPECT_DOUBLE_EQ(b.grad(), 8.0 * std::log(2.0));  // a^b * log a
  Value c(3.0);
  Value q = pow(2.0, c);  // __rpow__
  q.backward();
  EXPECT_EQ(q.data(), 8.0);
  EXPECT_DOUBLE_EQ(c.grad(), 8.0 * std::log(2.0));
}

TEST_F(ValueTest, PowZeroBaseExponentGradientIsZeroLikePyTorch) {
  Value a(0.0), b(2.0);
  Value p = pow(a, b);
  p.backward();
  EXPECT_EQ(a.grad(), 0.0);
  EXPECT_EQ(b.grad(), 0.0);
}

TEST_F(ValueTest, UnaryOpsAndDerivatives) {
  const double kTanhMinus3 = (std::exp(-6.0) - 1) / (std::exp(-6.0) + 1);  // the lecture's formula
  struct Case {
    Value (*f)(const Value&);
    double x, y, dy;
  };
  const Case cases[] = {
      {micrograd::exp, 1.0, std::exp(1.0), std::exp(1.0)},
      {micrograd::log, 2.0, std::log(2.0), 0.5},
      {micrograd::tanh, 0.25, std::tanh(0.25), 1 - std::tanh(0.25) * std::tanh(0.25)},
      {micrograd::tanh, 0.5, std::tanh(0.5), 1 - std::tanh(0.5) * std::tanh(0.5)},
      {micrograd::tanh, -3.0, kTanhMinus3, 1 - kTanhMinus3 * kTanhMinus3},
      {micrograd::tanh, 400.0, 1.0, 0.0},
      {micrograd::tanh, -400.0, -1.0, 0.0},
      {micrograd::relu, 1.5, 1.5, 1.0},
      {micrograd::relu, -1.5, 0.0, 0.0},
      {micrograd::relu, 0.0, 0.0, 0.0},  // relu'(0) = 0, as micrograd and PyTorch
      {micrograd::sigmoid, 0.0, 0.5, 0.25},
  };
  for (const Case& c : cases) {
    Value x(c.x);
    Value y = c.f(x);
    y.backward();
    EXPECT_DOUBLE_EQ(y.data(), c.y) << y.op_string() << " at " << c.x;
    EXPECT_DOUBLE_EQ(x.grad(), c.dy) << y.op_string() << " at " << c.x;
  }
}

TEST_F(ValueTest, NonFiniteArithmeticFollowsIeee) {
  Value a(-1.0), z(0.0), big(1000.0);
  EXPECT_TRUE(std::isnan(log(a).data()));
  EXPECT_TRUE(std::isinf((Value(1.0) / z).data()));
  EXPECT_TRUE(std::isinf(exp(big).data()));
  EXPECT_EQ(log(z).data(), -HUGE_VAL);
  Value s = log(z);
  s.backward();
  EXPECT_TRUE(std::isinf(z.grad()));
}

// A node with grad 0 passes nothing, not even 0 * inf: a deliberate difference (docs/design.md).
// micrograd (which runs every reached node's `_backward`) gives a.grad = e.grad = nan here.
TEST_F(ValueTest, ANodeWithGradZeroPassesNothingEvenWhereMicrogradMakesNan) {
  Value a(1e200);
  Value e = a * a;  // inf
  Value f = e * e;  // inf; d f/d e = e = inf
  Value r = (f * -1.0).relu();
  r.backward();
  EXPECT_EQ(r.data(), 0.0);
  EXPECT_EQ(f.grad(), 0.0);
  EXPECT_EQ(e.grad(), 0.0);  // micrograd: nan
  EXPECT_EQ(a.grad(), 0.0);  // micrograd: nan
}

TEST_F(ValueTest, PrintsLikeMicrograd) {
  Value a(2.0);
  EXPECT_EQ(micrograd::to_string(a), "Value(data=2.0, grad=0.0)");
  Value b = a * 0.1;
  b.backward();
  EXPECT_EQ(micrograd::to_string(b), "Value(data=0.2, grad=1.0)");
  EXPECT_EQ(micrograd::to_string(a), "Value(data=2.0, grad=0.1)");
}

TEST(PythonFloatRepr, MatchesPython) {
  using micrograd::python_float_repr;
  EXPECT_EQ(python_float_repr(2.0), "2.0");
  EXPECT_EQ(python_float_repr(-8.0), "-8.0");
  EXPECT_EQ(python_float_repr(0.1), "0.1");
  EXPECT_EQ(python_float_repr(0.7071067811865476), "0.7071067811865476");
  EXPECT_EQ(python_float_repr(24.70408163265306), "24.70408163265306");
  EXPECT_EQ(python_float_repr(1e-05), "1e-05");
  EXPECT_EQ(python_float_repr(0.0001), "0.0001");
  EXPECT_EQ(python_float_repr(1.5e-07), "1.5e-07");
  EXPECT_EQ(python_float_repr(1e16), "1e+16");
  EXPECT_EQ(python_float_repr(1234567890123456.0), "1234567890123456.0");
  EXPECT_EQ(python_float_repr(-0.0), "-0.0");
  EXPECT_EQ(python_float_repr(0.0), "0.0");
  EXPECT_EQ(python_float_repr(std::nan("")), "nan");
  EXPECT_EQ(python_float_repr(-HUGE_VAL), "-inf");
  EXPECT_EQ(python_float_repr(1.7976931348623157e308), "1.7976931348623157e+308");
}

TEST_F(ValueTest, ZeroGrad) {
  Value a(1.0), b(2.0);
  (a * b).backward();
  micrograd::zero_grad({a, b});
  EXPECT_EQ(a.grad(), 0.0);
  EXPECT_EQ(b.grad(), 0.0);
}

TEST(ValueEmpty, UsingAnEmptyValueThrows) {
  Value v;
  EXPECT_FALSE(v.valid());
  EXPECT_THROW(v.data(), std::logic_error);
  EXPECT_THROW(v + 1.0, std::logic_error);
}

}  // namespace

namespace {

// The fused neuron node equals micrograd's scalar graph bit for bit: data and every gradient.
TEST_F(ValueTest, LinearEqualsTheScalarNeuronBitForBit) {
  const std::vector<double> wd = {0.3, -1.7, 2.9, 1e-3, -0.41}, xd = {1.1, 0.77, -2.5, 3e3, 0.9};
  auto build = [&](bool fused, std::vector<Value>& leaves) {
    std::vector<Value> w, x;
    for (double v : wd) w.emplace_back(v);
    for (double v : xd) x.emplace_back(v);
    Value b(0.123);
    Value act = b;
    if (fused) {
      act = micrograd::linear(w, x, b);
    } else {
      for (std::size_t k = 0; k < w.size(); ++k) act = act + w[k] * x[k];
    }
    Value out = act.relu() * x[0] + act * w[1];  // reuse the inputs downstream as well
    out.backward();
    leaves = w;
    leaves.insert(leaves.end(), x.begin(), x.end());
    leaves.push_back(b);
    return out;
  };
  std::vector<Value> scalar_leaves, fused_leaves;
  const Value scalar = build(false, scalar_leaves);
  const Value fused = build(true, fused_leaves);
  EXPECT_EQ(fused.data(), scalar.data());
  for (std::size_t k = 0; k < scalar_leaves.size(); ++k)
    EXPECT_EQ(fused_leaves[k].grad(), scalar_leaves[k].grad()) << "leaf " << k;
  const Value fused_act = fused.children()[1].children()[0];
  EXPECT_EQ(fused_act.op_string(), "linear");
  EXPECT_EQ(fused_act.children().size(), 11u);  // b, w0, x0, ..., w4, x4
  EXPECT_EQ(fused_act.children()[0].data(), 0.123);
}

TEST_F(ValueTest, LinearRejectsStaleAndEmptyHandlesAndLeavesTheTapeAlone) {
  std::vector<Value> w{Value(1.0), Value(2.0)};
  std::vector<Value> x{Value(3.0), Value()};
  const auto size = micrograd::Tape::current().size();
  EXPECT_THROW(micrograd::linear(w, x, Value(0.0)), std::logic_error);
  {
    micrograd::TapeScope inner;
    x[1] = Value(4.0);
  }
  EXPECT_THROW(micrograd::linear(w, x, Value(0.0)), micrograd::StaleValueError);
  EXPECT_EQ(micrograd::Tape::current().size(), size + 2);  // only the two b leaves were added
  x[1] = Value(4.0);
  EXPECT_EQ(micrograd::linear(w, x, Value(0.5)).data(), 0.5 + 3.0 + 8.0);
}

TEST_F(ValueTest, LinearRejectsMismatchedLengths) {
  std::vector<Value> w{Value(1.0)}, x{Value(1.0), Value(2.0)};
  EXPECT_THROW(micrograd::linear(w, x, Value(0.0)), std::invalid_argument);
}

TEST(Linear, SurvivesRewindAndCollect) {
  // On a new thread's empty tape: collect() drops whatever this thread's tape holds unpinned.
  std::thread([] {
    micrograd::Tape& tape = micrograd::Tape::current();
    std::vector<Value> w{Value(2.0), Value(3.0)};
    Value b(1.0);
    for (int step = 0; step < 3; ++step) {
      micrograd::TapeScope scope;
      std::vector<Value> x{Value(step + 1.0), Value(-1.0)};
      Value y = micrograd::linear(w, x, b);
      y.backward();
      EXPECT_EQ(y.data(), 1.0 + 2.0 * (step + 1) - 3.0);
    }
    EXPECT_EQ(w[0].grad(), 1.0 + 2.0 + 3.0);
    Value junk = w[0] * 9.0;
    (void)junk;
    std::vector<Value> x{Value(5.0), Value(7.0)};
    micrograd::PinnedValue kept(micrograd::linear(w, x, b));
    tape.collect();
    EXPECT_EQ(kept.get().data(), 1.0 + 10.0 + 21.0);
    ASSERT_EQ(kept.get().children().size(), 5u);
    EXPECT_EQ(kept.get().children()[4].data(), 7.0);
    micrograd::zero_grad(w);
    kept.get().backward();
    EXPECT_EQ(w[0].grad(), 5.0);
    EXPECT_EQ(w[1].grad(), 7.0);
  }).join();
}

}  // namespace

namespace {

using micrograd::Op;

// A two-layer net three ways: micrograd's node-by-node graph, dense() layers, and dense() under
// set_detect_anomaly (which takes the generic backward loop instead of the vectorized one).
// Data and every gradient must be equal bit for bit, for each activation.
struct DenseNet {
  std::vector<Value> params1, params2, x;  // layer 1: 3 -> 4, layer 2: 4 -> 2
  Value out;
};

DenseNet build_dense_net(Op act, bool dense_layers) {
  micrograd::Rng rng(3);  // a seed whose ReLU net passes gradients to every layer
  DenseNet n;
  for (int k = 0; k < 4 * (3 + 1); ++k) n.params1.emplace_back(rng.uniform(-2.0, 2.0));
  for (int k = 0; k < 2 * (4 + 1); ++k) n.params2.emplace_back(rng.uniform(-2.0, 2.0));
  for (double v : {0.7, -1.3, 2.2}) n.x.emplace_back(v);
  auto activate = [act](const Value& v) {
    return act == Op::DenseReLU ? v.relu() : act == Op::DenseTanh ? v.tanh() : v;
  };
  auto layer = [&](const std::vector<Value>& p, const std::vector<Value>& in, std::size_t nout) {
    std::vector<Value> out;
    const std::size_t nin = in.size();
    if (dense_layers) {
      const Value first = micrograd::dense(act, p[0], static_cast<Value::Index>(nout), in[0],
                                           static_cast<Value::Index>(nin));
      for (std::size_t j = 0; j < nout; ++j) out.push_back(first.offset(j));
      return out;
    }
    for (std::size_t j = 0; j < nout; ++j) {
      Value s = p[j * (nin + 1) + nin];  // micrograd: sum((wi*xi ...), b)
      for (std::size_t k = 0; k < nin; ++k) s = s + p[j * (nin + 1) + k] * in[k];
      out.push_back(activate(s));
    }
    return out;
  };
  const std::vector<Value> h = layer(n.params1, n.x, 4);
  const std::vector<Value> y = layer(n.params2, h, 2);
  n.out = y[0] * y[1] + y[0] * 3.0;  // both outputs, one of them twice
  n.out.backward();
  return n;
}

void expect_same_numbers(const DenseNet& a, const DenseNet& b) {
  EXPECT_EQ(a.out.data(), b.out.data());
  for (std::size_t k = 0; k < a.params1.size(); ++k)
    EXPECT_EQ(a.params1[k].grad(), b.params1[k].grad()) << "layer 1 parameter " << k;
  for (std::size_t k = 0; k < a.params2.size(); ++k)
    EXPECT_EQ(a.params2[k].grad(), b.params2[k].grad()) << "layer 2 parameter " << k;
  for (std::size_t k = 0; k < a.x.size(); ++k)
    EXPECT_EQ(a.x[k].grad(), b.x[k].grad()) << "input " << k;
}

TEST_F(ValueTest, DenseLayersEqualMicrogradsGraphBitForBit) {
  for (Op act : {Op::Dense, Op::DenseReLU, Op::DenseTanh}) {
    SCOPED_TRACE(micrograd::name(act));
    const DenseNet scalar = build_dense_net(act, false);
    const DenseNet dense = build_dense_net(act, true);
    expect_same_numbers(scalar, dense);
    double first_layer = 0.0;  // the numbers are real: gradients reach the first layer
    for (const Value& v : scalar.params1) first_layer += std::fabs(v.grad());
    EXPECT_GT(first_layer, 0.1);
    micrograd::set_detect_anomaly(true);
    const DenseNet checked = build_dense_net(act, true);
    micrograd::set_detect_anomaly(false);
    expect_same_numbers(scalar, checked);
    // A second backward: micrograd's semantics would need the hidden nodes' first gradients,
    // which a fused neuron does not keep: refused before any grad changes. PyTorch's recompute
    // intermediate grads (the marking path): the same numbers again.
    micrograd::zero_grad(dense.params1);
    micrograd::zero_grad(dense.params2);
    micrograd::zero_grad(dense.x);
    EXPECT_THROW(dense.out.backward(), std::logic_error);
    EXPECT_EQ(dense.params1[0].grad(), 0.0);
    micrograd::set_backward_semantics(micrograd::Semantics::PyTorch);
    dense.out.backward();
    micrograd::set_backward_semantics(micrograd::Semantics::Micrograd);
    expect_same_numbers(scalar, dense);
  }
}

TEST_F(ValueTest, DenseNodesShowMicrogradsChildrenAndStepByHand) {
  std::vector<Value> p{Value(0.5), Value(-2.0), Value(0.25)};  // w0, w1, b
  std::vector<Value> x{Value(3.0), Value(4.0)};
  const Value y = micrograd::dense(Op::DenseTanh, p[0], 1, x[0], 2);
  EXPECT_EQ(y.op_string(), "tanh(linear)");
  const std::vector<Value> c = y.children();  // b, w0, x0, w1, x1
  ASSERT_EQ(c.size(), 5u);
  EXPECT_EQ(c[0].id(), p[2].id());
  EXPECT_EQ(c[1].id(), p[0].id());
  EXPECT_EQ(c[2].id(), x[0].id());
  EXPECT_EQ(c[3].id(), p[1].id());
  EXPECT_EQ(c[4].id(), x[1].id());
  const double t = micrograd::detail::lecture_tanh(0.25 + 0.5 * 3.0 + -2.0 * 4.0);
  EXPECT_EQ(y.data(), t);
  y.grad() = 1.0;
  y.backward_one();  // the lecture's `_backward()`: one node's chain rule
  const double up = 1.0 * (1.0 - t * t);
  EXPECT_EQ(p[0].grad(), up * 3.0);
  EXPECT_EQ(x[1].grad(), up * -2.0);
  EXPECT_EQ(p[2].grad(), up);
}

TEST_F(ValueTest, DenseRefusesRunsThatAreNotThereOrOverlap) {
  std::vector<Value> p{Value(1.0), Value(2.0), Value(3.0)};
  const auto size = micrograd::Tape::current().size();
  EXPECT_THROW(micrograd::dense(Op::Relu, p[0], 1, p[0], 2), std::invalid_argument);   // not dense
  EXPECT_THROW(micrograd::dense(Op::Dense, p[0], 1, p[1], 2), std::invalid_argument);  // overlap
  EXPECT_THROW(micrograd::dense(Op::Dense, p[0], 2, p[0], 2), std::invalid_argument);  // too many
  EXPECT_THROW(micrograd::dense(Op::Dense, p[0], 0, p[0], 2), std::invalid_argument);
  EXPECT_THROW(micrograd::dense(Op::Dense, p[0], 1, Value(), 2), std::logic_error);
  EXPECT_EQ(micrograd::Tape::current().size(), size);  // nothing was recorded
  EXPECT_THROW(p[0].offset(1000000), std::out_of_range);
  EXPECT_TRUE(micrograd::consecutive(p.data(), 3));
  std::vector<Value> gap{p[0], p[2]};
  EXPECT_FALSE(micrograd::consecutive(gap.data(), 2));
}

// A ReLU that is off passes nothing back, even where a 0 * inf would make a nan: with and without
// set_detect_anomaly (which takes the generic loop). A deliberate difference (docs/design.md):
// micrograd runs the pre-activation node's `_backward` at grad 0 and gets w0.grad = inf * 0 = nan
// (so does torch); a node with grad 0 passes nothing here.
TEST(Dense, AnOffReluPassesNothingBack) {
  std::vector<Value> p{Value(-1.0), Value(0.0)};  // w0, b
  const Value x(std::numeric_limits<double>::infinity());
  for (bool checked : {false, true}) {
    micrograd::TapeScope scope;
    micrograd::set_detect_anomaly(checked);
    const Value y = micrograd::dense(Op::DenseReLU, p[0], 1, x, 1) * 2.0;  // relu(-inf) = 0
    EXPECT_NO_THROW(y.backward());
    micrograd::set_detect_anomaly(false);
    EXPECT_EQ(y.data(), 0.0);
    EXPECT_EQ(p[0].grad(), 0.0);
    EXPECT_EQ(p[1].grad(), 0.0);
  }
}

TEST(Dense, RefusesAnotherThreadsValues) {
  std::vector<Value> p{Value(1.0), Value(2.0)};  // w0, b on this thread's tape
  std::thread([&] {
    Value x(3.0);
    EXPECT_THROW(micrograd::dense(Op::Dense, p[0], 1, x, 1), std::logic_error);
  }).join();
  EXPECT_EQ(micrograd::dense(Op::Dense, p[0], 1, Value(3.0), 1).data(), 2.0 + 1.0 * 3.0);
}

TEST(Dense, SurvivesRewindAndCollect) {
  std::thread([] {
    micrograd::Tape& tape = micrograd::Tape::current();
    std::vector<Value> p{Value(2.0), Value(3.0), Value(1.0)};  // w0, w1, b
    for (int step = 0; step < 3; ++step) {
      micrograd::TapeScope scope;
      std::vector<Value> x{Value(step + 1.0), Value(-1.0)};
      Value y = micrograd::dense(Op::Dense, p[0], 1, x[0], 2);
      y.backward();
      EXPECT_EQ(y.data(), 1.0 + 2.0 * (step + 1) - 3.0);
    }
    EXPECT_EQ(p[0].grad(), 1.0 + 2.0 + 3.0);
    Value junk = p[0] * 9.0;  // dropped by collect: the nodes above it slide down
    (void)junk;
    std::vector<Value> x{Value(5.0), Value(7.0)};
    micrograd::PinnedValue kept(micrograd::dense(Op::DenseReLU, p[0], 1, x[0], 2));
    tape.collect();
    EXPECT_EQ(kept.get().data(), 1.0 + 10.0 + 21.0);
    ASSERT_EQ(kept.get().children().size(), 5u);
    EXPECT_EQ(kept.get().children()[4].data(), 7.0);
    micrograd::zero_grad(p);
    kept.get().backward();
    EXPECT_EQ(p[0].grad(), 5.0);
    EXPECT_EQ(p[1].grad(), 7.0);
    EXPECT_EQ(p[2].grad(), 1.0);
  }).join();
}

}  // namespace

// ---- user-defined ops: custom() (local derivatives given) and hook nodes (a callback)

namespace {
// The lecture's tanh, written by a user: forward value and local derivative side by side.
Value my_tanh(const Value& x) {
  const double t = micrograd::detail::lecture_tanh(x.data());
  return micrograd::custom("tanh", t, {x}, {1 - t * t});
}
// A two-operand op: out = a * b^2, d out/d a = b^2, d out/d b = 2ab.
Value a_b_squared(const Value& a, const Value& b) {
  const double x = a.data(), y = b.data();
  return micrograd::custom("ab2", x * y * y, {a, b}, {y * y, 2 * x * y});
}
}  // namespace

TEST_F(ValueTest, CustomOpGivesTheLecturesNeuronGradients) {
  const Neuron z;  // x1=2, x2=0, w1=-3, w2=1, b=6.88...
  const Value n = z.n();
  Value o = my_tanh(n);
  EXPECT_EQ(o.op_string(), "tanh");
  ASSERT_EQ(o.children().size(), 1u);
  EXPECT_EQ(o.children()[0].id(), n.id());
  o.backward();
  EXPECT_EQ(o.data(), 0.7071067811865476);
  expect_lecture_neuron_grads(z);
}

TEST_F(ValueTest, CustomOpMixesWithBuiltInOpsBothWaysBitForBit) {
  // built-in -> custom -> built-in -> custom, against the same graph of built-in ops
  auto run = [](bool mine) {
    micrograd::TapeScope scope;
    Value a(0.7), b(-1.3);
    Value h = a * b + 0.5;
    Value t = mine ? my_tanh(h) : tanh(h);
    Value u = t * a + b;
    Value v = mine ? a_b_squared(u, t) : u * (t * t);
    v.backward();
    return std::vector<double>{v.data(), a.grad(), b.grad(), h.grad(), t.grad(), u.grad()};
  };
  const auto built_in = run(false), own = run(true);
  EXPECT_EQ(own[0], built_in[0]);
  for (std::size_t k = 1; k < own.size(); ++k) EXPECT_NEAR(own[k], built_in[k], 1e-14) << k;
  EXPECT_NE(own[1], 0.0);
}

TEST(Gradcheck, CustomOps) {
  using V = std::vector<Value>;
  for (double a : {-1.7, -0.2, 0.4, 2.5})
    for (double b : {-0.9, 0.3, 1.6}) {
      const auto r = micrograd::gradcheck(
          [](const V& x) { return a_b_squared(my_tanh(x[0] * x[1]), x[0]) + my_tanh(x[1]); },
          {a, b});
      EXPECT_TRUE(r.ok) << r.report;
    }
  // A wrong local derivative is caught: the check is real.
  const auto wrong = micrograd::gradcheck(
      [](const V& x) { return micrograd::custom("bad", x[0].data() * 2, {x[0]}, {3.0}); }, {1.0});
  EXPECT_FALSE(wrong.ok);
}

TEST_F(ValueTest, CustomOpRefusesMismatchedSizesAndStaleChildren) {
  Value a(1.0);
  const auto size = micrograd::Tape::current().size();
  const std::vector<Value> children{a, a};
  const std::vector<double> one{1.0};
  EXPECT_THROW(micrograd::custom("x", 1.0, children, one), std::invalid_argument);
  EXPECT_THROW(micrograd::custom("x", 1.0, {Value()}, {1.0}), std::logic_error);
  EXPECT_EQ(micrograd::Tape::current().size(), size);  // nothing recorded
  Value stale;
  {
    micrograd::TapeScope inner;
    stale = a * 2.0;
  }
  EXPECT_THROW(micrograd::custom("x", 1.0, {stale}, {1.0}), micrograd::StaleValueError);
  const Value leafish = micrograd::custom("const", 4.0, {}, {});  // no children: a constant
  EXPECT_EQ(leafish.data(), 4.0);
  EXPECT_EQ(leafish.op_string(), "const");
  EXPECT_NO_THROW(leafish.backward());
}

TEST(UserOps, SurviveCollectAndRewindWithTheirDerivatives) {
  micrograd::testing::on_fresh_tape([] {
    micrograd::Tape& tape = micrograd::Tape::current();
    Value a(0.5), b(2.0);
    micrograd::PinnedValue pa(a), pb(b);
    Value garbage = a * 100.0;
    for (int i = 0; i < 50; ++i) garbage = garbage + 1.0;
    micrograd::PinnedValue out(a_b_squared(my_tanh(pa.get() * 3.0), pb.get()));
    tape.collect();  // slides the custom nodes (and their stored derivatives) down
    EXPECT_LT(tape.size(), 10u);
    EXPECT_EQ(out.get().op_string(), "ab2");
    out.get().backward();
    const double t = micrograd::detail::lecture_tanh(1.5);
    EXPECT_EQ(out.get().data(), t * 2.0 * 2.0);
    EXPECT_NEAR(pb.get().grad(), 2 * t * 2.0, 1e-15);
    EXPECT_NEAR(pa.get().grad(), 4.0 * (1 - t * t) * 3.0, 1e-14);
    const auto mark = tape.mark();
    (void)(my_tanh(pa.get()) * my_tanh(pb.get()));
    tape.rewind(mark);
    EXPECT_EQ(tape.size(), mark);
    Value again = my_tanh(pb.get());  // the operand lists were rewound too
    EXPECT_EQ(again.children()[0].id(), pb.get().id());
  });
}

namespace {
// A C++ BackwardHook: the lecture's closures as one callback per tape; records the visit order.
struct TanhHook final : micrograd::BackwardHook {
  std::vector<micrograd::Tape::Index> visited;
  void run(micrograd::Tape& tape, micrograd::Tape::Index node) override {
    visited.push_back(node);
    if (tape.num_children(node) != 1) return;  // the "no _backward" nodes
    const auto c = tape.child(node, 0);
    const double t = tape.data(node);
    tape.grad(c) += (1 - t * t) * tape.grad(node);
  }
};
}  // namespace

TEST(UserOps, HookNodesRunTheirCallbackAtTheirTurn) {
  micrograd::testing::on_fresh_tape([] {
    micrograd::Tape& tape = micrograd::Tape::current();
    TanhHook hook;
    tape.set_backward_hook(&hook);
    Value x(0.3), w(-1.2);
    Value n = x * w;
    const std::vector<Value> one{n};
    Value o = micrograd::hook_node("tanh", micrograd::detail::lecture_tanh(n.data()), one);
    const std::vector<Value> none{};
    Value unrelated = micrograd::hook_node("k", 1.0, none);  // not reached: never called
    Value r = o * 2.0;
    r.backward();
    ASSERT_EQ(hook.visited.size(), 1u);
    EXPECT_EQ(hook.visited[0], o.id());
    const double t = o.data();
    EXPECT_EQ(x.grad(), 2.0 * (1 - t * t) * w.data());
    EXPECT_EQ(unrelated.grad(), 0.0);
    // A hook node whose grad is 0 still runs (micrograd calls every node's _backward).
    Value dead = micrograd::hook_node("tanh", 0.0, std::vector<Value>{x});
    Value root = dead * 0.0;
    hook.visited.clear();
    root.backward();
    EXPECT_EQ(hook.visited.size(), 1u);
    // backward() and collect() from inside a callback are refused with a clear error.
    struct Nested final : micrograd::BackwardHook {
      Value root;
      void run(micrograd::Tape& t, micrograd::Tape::Index) override {
        EXPECT_THROW(t.collect(), std::logic_error);
        root.backward();
      }
    } nested;
    tape.set_backward_hook(&nested);
    nested.root = r;
    EXPECT_THROW(r.backward(), std::logic_error);
    EXPECT_FALSE(tape.in_backward());
    tape.set_backward_hook(nullptr);
    EXPECT_THROW(r.backward(), std::logic_error);  // a hook node and no hook installed
  });
}
