// Tests for nn.hpp: micrograd's parameter counts, reprs and initialisation, the neuron's exact
// summation order and graph, the lecture's regression, micrograd's moons demo, and the demo's
// loss trajectory against a hand-written plain-double forward + backward of the same network.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "common.hpp"
#include "micrograd/data.hpp"
#include "micrograd/loss.hpp"
#include "micrograd/nn.hpp"
#include "micrograd/optim.hpp"
#include "micrograd/random.hpp"

using micrograd::Rng;
using micrograd::Tape;
using micrograd::TapeScope;
using micrograd::Value;
using namespace micrograd::nn;

namespace {

// Every test starts from an empty region of this thread's tape and leaves nothing behind.
class NN : public ::testing::Test {
 protected:
  TapeScope scope_;
};

// ---- structure

TEST_F(NN, ParameterCounts) {
  EXPECT_EQ(MLP(3, {4, 4, 1}).num_parameters(), 41u);
  EXPECT_EQ(MLP(2, {16, 16, 1}).num_parameters(), 337u);
  EXPECT_EQ(MLP(3, {4, 4, 1}, MLPOptions::lecture()).parameters().size(), 41u);
  Rng rng(0);
  EXPECT_EQ(Neuron(5, Activation::ReLU, BiasInit::Zero, rng).num_parameters(), 6u);
  EXPECT_EQ(Layer(5, 3, Activation::ReLU, BiasInit::Zero, rng).num_parameters(), 18u);
}

TEST_F(NN, Reprs) {
  EXPECT_EQ(MLP(2, {2, 1}).repr(),
            "MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(2)]]");
  EXPECT_EQ(MLP(3, {1}, MLPOptions::lecture()).repr(), "MLP of [Layer of [TanhNeuron(3)]]");
  MLP m(2, {16, 16, 1});
  EXPECT_EQ(m.layers()[1].neurons()[0].repr(), "ReLUNeuron(16)");
  EXPECT_EQ(m.layers()[2].neurons()[0].repr(), "LinearNeuron(16)");
  EXPECT_EQ(m.layers()[2].repr(), "Layer of [LinearNeuron(16)]");
  std::ostringstream os;
  os << m.layers()[0].neurons()[0] << " | " << MLP(1, {1});
  EXPECT_EQ(os.str(), "ReLUNeuron(2) | MLP of [Layer of [LinearNeuron(1)]]");
}

TEST_F(NN, ParameterOrderIsWeightsThenBiasNeuronByNeuron) {
  MLP m(2, {3, 1});
  const std::vector<Value> p = m.parameters();
  ASSERT_EQ(p.size(), 13u);
  std::size_t k = 0;
  for (const Layer& l : m.layers())
    for (const Neuron& n : l.neurons()) {
      for (const Value& w : n.w()) EXPECT_EQ(p[k++].id(), w.id());
      EXPECT_EQ(p[k++].id(), n.b().id());
    }
  const std::vector<double> v = parameters_to_vector(m);
  for (std::size_t i = 0; i < p.size(); ++i) EXPECT_EQ(v[i], p[i].data());
}

// ---- initialisation

TEST_F(NN, WeightsAreUniformMinusOneOneDrawnInOrderBiasLast) {
  Rng rng(5), same(5);
  Neuron n(3, Activation::Tanh, BiasInit::Uniform, rng);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(n.w()[i].data(), same.uniform(-1.0, 1.0));
  EXPECT_EQ(n.b().data(), same.uniform(-1.0, 1.0));
  Neuron z(3, Activation::ReLU, BiasInit::Zero, rng);
  EXPECT_EQ(z.b().data(), 0.0);
  EXPECT_EQ(z.w()[0].data(), same.uniform(-1.0, 1.0));  // a zero bias draws nothing
}

TEST_F(NN, InitRangesAndDeterminism) {
  MLP a(2, {16, 16, 1}), b(2, {16, 16, 1});
  MLPOptions other;
  other.seed = 1338;
  MLP c(2, {16, 16, 1}, other);
  const std::vector<double> va = parameters_to_vector(a), vb = parameters_to_vector(b),
                            vc = parameters_to_vector(c);
  EXPECT_EQ(va, vb);  // same seed: identical weights
  std::size_t same = 0;
  for (std::size_t i = 0; i < va.size(); ++i) same += va[i] == vc[i];
  EXPECT_LT(same, 40u);  // different seed: only the 33 zero biases agree
  double lo = 1.0, hi = -1.0;
  for (const Layer& l : a.layers())
    for (const Neuron& n : l.neurons()) {
      EXPECT_EQ(n.b().data(), 0.0);  // micrograd's Value(0)
      for (const Value& w : n.w()) {
        EXPECT_GE(w.data(), -1.0);
        EXPECT_LT(w.data(), 1.0);
        lo = std::min(lo, w.data()), hi = std::max(hi, w.data());
      }
    }
  EXPECT_LT(lo, -0.9);  // 304 draws spread over the whole range
  EXPECT_GT(hi, 0.9);
  MLP lecture(3, {4, 4, 1}, MLPOptions::lecture());
  std::size_t nonzero_bias = 0;
  for (const Layer& l : lecture.layers())
    for (const Neuron& n : l.neurons()) {
      EXPECT_EQ(n.activation(), Activation::Tanh);
      EXPECT_GE(n.b().data(), -1.0);
      EXPECT_LT(n.b().data(), 1.0);
      nonzero_bias += n.b().data() != 0.0;
    }
  EXPECT_EQ(nonzero_bias, 9u);
}

// ---- the neuron's exact computation

TEST_F(NN, NeuronSumsLeftToRightFromTheBias) {
  Rng rng(0);
  Neuron n(3, Activation::Linear, BiasInit::Zero, rng);
  const double w0 = 0.7, w1 = 0.5, w2 = -0.5, b = -0.7;
  const double x0 = 0.0, x1 = -0.3, x2 = 0.9;
  vector_to_parameters({w0, w1, w2, b}, n);
  const std::vector<Value> x = {Value(x0), Value(x1), Value(x2)};
  const Tape::Index before = Tape::current().size();
  Value out = n(x);
  // micrograd: sum((wi*xi ...), b) = ((b + w0*x0) + w1*x1) + w2*x2
  const double expected = ((b + w0 * x0) + w1 * x1) + w2 * x2;
  EXPECT_EQ(out.data(), expected);
  EXPECT_NE(expected, b + ((w0 * x0 + w1 * x1) + w2 * x2));  // the order is visible here
  // Graph: per input one Mul then one Add, in that creation order; nothing else.
  EXPECT_EQ(Tape::current().size() - before, 6u);
  Value node = out;
  for (int i = 2; i >= 0; --i) {
    EXPECT_EQ(node.op_string(), "+");
    const std::vector<Value> ch = node.children();
    ASSERT_EQ(ch.size(), 2u);
    EXPECT_EQ(ch[1].op_string(), "*");
    EXPECT_EQ(ch[1].id() + 1, node.id());  // wi*xi made just before the add that uses it
    EXPECT_EQ(ch[1].children()[0].id(), n.w()[i].id());
    EXPECT_EQ(ch[1].children()[1].id(), x[i].id());
    node = ch[0];
  }
  EXPECT_EQ(node.id(), n.b().id());  // the sum starts from b itself

  Neuron r(2, Activation::ReLU, BiasInit::Zero, rng);
  vector_to_parameters({1.0, -2.0, 0.5}, r);
  Value y = r({Value(1.0), Value(1.0)});
  EXPECT_EQ(y.op_string(), "ReLU");
  EXPECT_EQ(y.data(), 0.0);
  Neuron t(1, Activation::Tanh, BiasInit::Zero, rng);
  vector_to_parameters({0.5, 0.25}, t);
  EXPECT_EQ(t({Value(1.0)}).op_string(), "tanh");
  EXPECT_NEAR(t({Value(1.0)}).data(), std::tanh(0.75), 1e-15);
}

TEST_F(NN, ZeroGradAndBackwardThroughAnMLP) {
  MLP m(2, {3, 1}, MLPOptions::lecture());
  Value s = m.score({Value(0.5), Value(-1.0)});
  s.backward();
  std::size_t nonzero = 0;
  for (const Value& p : m.parameters()) nonzero += p.grad() != 0.0;
  EXPECT_EQ(nonzero, 13u);
  m.zero_grad();
  for (const Value& p : m.parameters()) EXPECT_EQ(p.grad(), 0.0);
  EXPECT_EQ(m(std::vector<Value>{Value(0.5), Value(-1.0)}).size(), 1u);
  EXPECT_EQ(m.layers()[0](std::vector<Value>{Value(0.5), Value(-1.0)}).size(), 3u);
}

// ---- errors

TEST_F(NN, BadSizesAreRefusedWithClearMessages) {
  Rng rng(0);
  Neuron n(3, Activation::ReLU, BiasInit::Zero, rng);
  EXPECT_EQ(micrograd::testing::message_of<std::invalid_argument>([&] {
              n({Value(1.0), Value(2.0)});
            }),
            "Neuron expects 3 inputs, got 2");
  EXPECT_EQ(micrograd::testing::message_of<std::invalid_argument>(
                [&] { Neuron(0, Activation::ReLU, BiasInit::Zero, rng); }),
            "Neuron needs at least 1 input, got nin = 0");
  EXPECT_THROW(Layer(2, 0, Activation::ReLU, BiasInit::Zero, rng), std::invalid_argument);
  EXPECT_THROW(Layer(0, 2, Activation::ReLU, BiasInit::Zero, rng), std::invalid_argument);
  EXPECT_THROW(MLP(0, {1}), std::invalid_argument);
  EXPECT_EQ(micrograd::testing::message_of<std::invalid_argument>([] { MLP(2, {}); }),
            "MLP needs at least one layer, got nouts = {}");
  EXPECT_EQ(micrograd::testing::message_of<std::invalid_argument>([] {
              MLP(2, {4, 0, 1});
            }),
            "MLP layer 1 has 0 neurons");
  MLP m(2, {4, 2});
  EXPECT_THROW(m({Value(1.0)}), std::invalid_argument);
  EXPECT_EQ(micrograd::testing::message_of<std::invalid_argument>([&] {
              m.score({Value(1.0), Value(2.0)});
            }),
            "MLP::score needs a last layer of 1 neuron, this one has 2; use operator() for all "
            "outputs");
  EXPECT_EQ(micrograd::testing::message_of<std::invalid_argument>([&] {
              vector_to_parameters({1.0, 2.0}, m);
            }),
            "vector_to_parameters: the module has 22 parameters, the vector has 2 values");
}

TEST_F(NN, VectorToParametersRoundTrips) {
  MLP m(3, {4, 4, 1});
  std::vector<double> v(41);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = 0.01 * static_cast<double>(i) - 0.2;
  vector_to_parameters(v, m);
  EXPECT_EQ(parameters_to_vector(m), v);
  EXPECT_EQ(m.layers()[0].neurons()[0].b().data(), v[3]);
  EXPECT_EQ(m.layers()[2].neurons()[0].b().data(), v[40]);
}

// ---- the lecture: MLP(3, [4, 4, 1]) on four samples, sum of squares, 20 steps of SGD at 0.1

double lecture_final_loss(std::uint64_t seed, int steps) {
  MLPOptions options = MLPOptions::lecture();
  options.seed = seed;
  MLP n(3, {4, 4, 1}, options);
  const micrograd::Dataset d = micrograd::lecture_dataset();
  micrograd::SGD sgd(n.parameters(), 0.1);
  auto loss_now = [&] {
    std::vector<Value> ypred;
    for (const auto& x : micrograd::to_values(d.X)) ypred.push_back(n.score(x));
    return micrograd::sum_squared_error(ypred, d.y);
  };
  for (int k = 0; k < steps; ++k) {
    TapeScope step;
    Value loss = loss_now();
    sgd.zero_grad();
    loss.backward();
    sgd.step();  // p.data -= 0.1 * p.grad
  }
  TapeScope last;
  return loss_now().data();
}

TEST_F(NN, LectureRegressionConverges) {
  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    if (seed == 8) continue;
    EXPECT_LT(lecture_final_loss(seed, 20), 0.05) << "seed " << seed;
  }
  // Seed 8 is the one exception among 0..9: its first steps sit on a plateau (loss 0.577 at step
  // 19), so 20 steps end at 0.186; 40 steps reach 0.0143. Recorded here, not hidden.
  EXPECT_NEAR(lecture_final_loss(8, 20), 0.186102, 1e-6);
  EXPECT_LT(lecture_final_loss(8, 40), 0.05);
}

// ---- micrograd's demo: moons, MLP(2, [16, 16, 1]), svm loss + 1e-4 L2, 100 steps

struct DemoRun {
  std::vector<double> losses;   // total loss at each step, before the update
  double final_accuracy = 0.0;  // accuracy of the last step's scores
  std::size_t nodes_per_step = 0;
};

DemoRun run_demo(const MLP& model, const micrograd::Dataset& d, int steps = 100) {
  DemoRun run;
  const std::vector<Value> params = model.parameters();
  micrograd::SGD sgd(params, 1.0);
  const micrograd::LinearDecayLR schedule;  // 1.0 - 0.9*k/100
  for (int k = 0; k < steps; ++k) {
    TapeScope step;  // the step's graph is reclaimed at the closing brace
    const Tape::Index before = Tape::current().size();
    std::vector<Value> scores;
    for (const auto& x : micrograd::to_values(d.X)) scores.push_back(model.score(x));
    Value data_loss = micrograd::svm_max_margin(scores, d.y);
    Value reg_loss = micrograd::l2_regularization(params, 1e-4);
    Value total_loss = data_loss + reg_loss;
    run.nodes_per_step = Tape::current().size() - before;
    run.final_accuracy = micrograd::accuracy(scores, d.y);
    run.losses.push_back(total_loss.data());
    sgd.zero_grad();
    total_loss.backward();
    sgd.step(schedule(static_cast<std::size_t>(k), 100));
  }
  return run;
}

DemoRun run_demo(std::uint64_t data_seed, std::uint64_t model_seed, bool fused = true) {
  const micrograd::Dataset d = micrograd::make_moons(100, 0.1, data_seed);
  MLPOptions options;
  options.seed = model_seed;
  options.fused = fused;
  return run_demo(MLP(2, {16, 16, 1}, options), d);
}

// micrograd's notebook fixes the data (np.random.seed(1337)); the weights vary with the seed.
TEST_F(NN, MoonsDemoReachesFullAccuracyFromEverySeed) {
  std::size_t perfect = 0;
  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    const DemoRun run = run_demo(1337, seed);
    // per sample: 2 input leaves, 33 dense nodes, 5 loss nodes; then the loss's sums
    EXPECT_EQ(run.nodes_per_step, 100u * (2 + 33 + 5) + 103u + 677u + 1u);
    if (seed == 0) {  // micrograd's own graph: the same losses, bit for bit
      const DemoRun scalar = run_demo(1337, seed, false);
      EXPECT_EQ(scalar.nodes_per_step, 65481u);  // BENCHMARKS.md, W1
      EXPECT_EQ(scalar.losses, run.losses);
    }
    EXPECT_LT(run.losses.back(), 0.05 * run.losses.front()) << "seed " << seed;
    EXPECT_EQ(run.final_accuracy, 1.0) << "seed " << seed;
    perfect += run.final_accuracy == 1.0;
  }
  EXPECT_GE(perfect, 9u);
}

// When the data set is drawn anew for each seed too, noise sometimes puts a point deep in the
// other moon: seeds 3, 5 and 7 end at 99 % after 100 steps (3 and 7 reach 100 % with 200 steps,
// 5 with 400). Recorded exactly, so any change in the numbers shows up here.
TEST_F(NN, MoonsDemoWithFreshDataPerSeed) {
  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    const DemoRun run = run_demo(seed, seed);
    const bool hard = seed == 3 || seed == 5 || seed == 7;
    EXPECT_EQ(run.final_accuracy, hard ? 0.99 : 1.0) << "seed " << seed;
    EXPECT_LT(run.losses.back(), 0.06) << "seed " << seed;
  }
}

// ---- the same demo in plain doubles, written out by hand in micrograd's operation order

struct ReferenceMLP {
  // Flat parameters in micrograd's order: per layer, per neuron, weights then bias.
  std::vector<double> p;
  std::vector<std::size_t> sizes = {2, 16, 16, 1};

  // Offset of neuron j's weights in layer l (its bias follows them).
  std::size_t offset(std::size_t l, std::size_t j) const {
    std::size_t o = 0;
    for (std::size_t i = 0; i < l; ++i) o += sizes[i + 1] * (sizes[i] + 1);
    return o + j * (sizes[l] + 1);
  }

  // One full-batch step: returns the total loss and fills g with d loss / d p.
  double loss_and_grad(const micrograd::Dataset& d, std::vector<double>& g) const {
    const std::size_t L = sizes.size() - 1;
    const std::size_t n = d.size();
    std::vector<std::vector<std::vector<double>>> h(n);  // h[i][l]: layer l's input for sample i
    std::vector<double> score(n);
    for (std::size_t i = 0; i < n; ++i) {
      h[i].push_back(d.X[i]);
      for (std::size_t l = 0; l < L; ++l) {
        std::vector<double> out(sizes[l + 1]);
        for (std::size_t j = 0; j < sizes[l + 1]; ++j) {
          const std::size_t o = offset(l, j);
          double act = p[o + sizes[l]];  // b
          for (std::size_t k = 0; k < sizes[l]; ++k) act = act + p[o + k] * h[i][l][k];
          out[j] = l + 1 < L ? (act < 0 ? 0.0 : act) : act;  // ReLU hidden, linear output
        }
        h[i].push_back(out);
      }
      score[i] = h[i][L][0];
    }
    // data_loss = sum(relu(1 + score*(-y))) * (1.0/n); sum starts at 0
    std::vector<double> margin(n);
    double sum = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      const double m = score[i] * -d.y[i] + 1.0;
      margin[i] = m < 0 ? 0.0 : m;
      sum = i == 0 ? margin[i] + 0.0 : sum + margin[i];
    }
    const double inv_n = 1.0 / static_cast<double>(n);
    const double data_loss = sum * inv_n;
    const double alpha = 1e-4;
    double reg = 0.0;
    for (std::size_t q = 0; q < p.size(); ++q) reg = q == 0 ? p[q] * p[q] + 0.0 : reg + p[q] * p[q];
    const double total = data_loss + reg * alpha;

    // backward, in the tape's reverse creation order: the L2 term, then samples n-1 .. 0
    g.assign(p.size(), 0.0);
    for (std::size_t q = 0; q < p.size(); ++q) {
      g[q] += p[q] * alpha;  // d(p*p)/dp = p, once per operand
      g[q] += p[q] * alpha;
    }
    for (std::size_t i = n; i-- > 0;) {
      const double dmargin = margin[i] > 0 ? inv_n : 0.0;
      std::vector<double> dout = {-d.y[i] * dmargin};  // d loss / d score
      for (std::size_t l = L; l-- > 0;) {
        std::vector<double> din(sizes[l], 0.0);
        for (std::size_t j = sizes[l + 1]; j-- > 0;) {
          const bool relu = l + 1 < L;
          const double dact = relu ? (h[i][l + 1][j] > 0 ? dout[j] : 0.0) : dout[j];
          const std::size_t o = offset(l, j);
          for (std::size_t k = sizes[l]; k-- > 0;) {
            g[o + k] += h[i][l][k] * dact;
            din[k] += p[o + k] * dact;
          }
          g[o + sizes[l]] += dact;
        }
        dout = din;
      }
    }
    return total;
  }
};

TEST_F(NN, MoonsTrajectoryEqualsPlainDoubleReference) {
  const micrograd::Dataset d = micrograd::make_moons(100, 0.1, 2024);
  MLP model(2, {16, 16, 1});
  ReferenceMLP ref{parameters_to_vector(model)};
  const DemoRun run = run_demo(model, d);
  double worst = 0.0;
  std::vector<double> g;
  for (std::size_t k = 0; k < 100; ++k) {
    const double loss = ref.loss_and_grad(d, g);
    const double rel = std::fabs(loss - run.losses[k]) / std::fabs(loss);
    worst = std::max(worst, rel);
    EXPECT_LE(rel, 1e-9) << "step " << k << ": reference " << loss << ", Value " << run.losses[k];
    const double lr = 1.0 - 0.9 * static_cast<double>(k) / 100;
    for (std::size_t q = 0; q < ref.p.size(); ++q) ref.p[q] -= lr * g[q];
  }
  std::cout << "worst relative loss difference over 100 steps: " << worst << "\n";
  EXPECT_EQ(worst, 0.0);  // in fact bit for bit
  // The final weights agree as well.
  const std::vector<double> w = parameters_to_vector(model);
  for (std::size_t q = 0; q < w.size(); ++q)
    EXPECT_NEAR(w[q], ref.p[q], 1e-9 * (1 + std::fabs(w[q])));
}

// The default (fused: one dense node per neuron) and micrograd's node-by-node graph give the same
// trajectory, bit for bit, with 14x fewer nodes; so does the linear() form a fused neuron takes
// when its inputs are not consecutive nodes.
TEST_F(NN, FusedNeuronsGiveTheSameTrajectory) {
  const micrograd::Dataset d = micrograd::make_moons(100, 0.1, 5);
  MLPOptions unfused;
  unfused.fused = false;
  MLP a(2, {16, 16, 1}, unfused), b(2, {16, 16, 1});
  EXPECT_TRUE(b.options().fused);  // the default
  EXPECT_EQ(parameters_to_vector(a), parameters_to_vector(b));
  EXPECT_EQ(b.layers()[0].neurons()[0].repr(), "ReLUNeuron(2)");
  const DemoRun scalar = run_demo(a, d, 30), one_node = run_demo(b, d, 30);
  EXPECT_EQ(scalar.losses, one_node.losses);
  EXPECT_EQ(parameters_to_vector(a), parameters_to_vector(b));
  EXPECT_EQ(scalar.nodes_per_step, 65481u);
  EXPECT_EQ(one_node.nodes_per_step, 100u * (2 + 33 + 5) + 103u + 677u + 1u);

  TapeScope scope;
  Rng rng(0);
  Neuron n(3, Activation::Tanh, BiasInit::Uniform, rng, true);
  const Value x0(1.0), gap(9.0), x1(2.0), x2(3.0);  // not consecutive: linear() + tanh
  const Value out = n({x0, x1, x2});
  EXPECT_EQ(out.op_string(), "tanh");
  EXPECT_EQ(out.children()[0].op_string(), "linear");
  EXPECT_EQ(out.children()[0].children().size(), 7u);  // b, w0, x0, w1, x1, w2, x2
  const Value y0(1.0), y1(2.0), y2(3.0);               // consecutive: one dense node
  const Value fast = n({y0, y1, y2});
  EXPECT_EQ(fast.op_string(), "tanh(linear)");
  EXPECT_EQ(fast.data(), out.data());
  EXPECT_EQ(fast.children().size(), 7u);
  EXPECT_EQ(fast.children()[0].id(), n.b().id());
  EXPECT_EQ(fast.children()[1].id(), n.w()[0].id());
  EXPECT_EQ(fast.children()[2].id(), y0.id());
  EXPECT_EQ(fast.children()[6].id(), y2.id());
  // and per call, micrograd's graph from the same neuron
  EXPECT_EQ(n({y0, y1, y2}, false).op_string(), "tanh");
  EXPECT_EQ(n({y0, y1, y2}, false).children()[0].op_string(), "+");
}

// MLP::forward(x, false) draws micrograd's graph from a model that trains fused: same numbers.
TEST_F(NN, ForwardCanBuildMicrogradsGraphFromAFusedModel) {
  TapeScope scope;
  MLP m(2, {4, 4, 1});
  const std::vector<Value> x = {Value(0.5), Value(-1.5)};
  const Tape::Index before = Tape::current().size();
  const Value fast = m.score(x);
  EXPECT_EQ(Tape::current().size() - before, 9u);  // 4 + 4 + 1 dense nodes
  const Value slow = m.forward(x, false).front();
  // micrograd's: per neuron nin Mul and nin Add nodes, and a ReLU in the hidden layers
  EXPECT_EQ(Tape::current().size() - before, 9u + 4 * (2 * 2 + 1) + 4 * (2 * 4 + 1) + 2 * 4);
  EXPECT_EQ(fast.data(), slow.data());
  EXPECT_EQ(slow.op_string(), "+");  // the output layer is linear: the last Add
}

}  // namespace

// predict(): the plain-double forward the decision-boundary picture uses; the same numbers as the
// graph, bit for bit, for every activation.
TEST_F(NN, PredictEqualsTheGraphsDataBitForBit) {
  for (auto act : {micrograd::nn::Activation::ReLU, micrograd::nn::Activation::Tanh}) {
    micrograd::nn::MLPOptions o;
    o.hidden = act;
    o.seed = 7;
    const micrograd::nn::MLP model(3, {8, 5, 2}, o);
    micrograd::Rng rng(3);
    for (int k = 0; k < 50; ++k) {
      micrograd::TapeScope scope;
      const std::vector<double> x{4 * rng.uniform() - 2, 4 * rng.uniform() - 2,
                                  4 * rng.uniform() - 2};
      const std::vector<micrograd::Value> in(x.begin(), x.end());
      const std::vector<micrograd::Value> graph = model(in);
      const std::vector<double> plain = model.predict(x);
      ASSERT_EQ(plain.size(), 2u);
      EXPECT_EQ(plain[0], graph[0].data());
      EXPECT_EQ(plain[1], graph[1].data());
    }
  }
  EXPECT_THROW(micrograd::nn::MLP(2, {1}).predict({1.0}), std::invalid_argument);
}

// predict_batch(): row r is predict(rows[r]) bit for bit, for any number of rows (blocks of 32
// and a partial block), every activation, and a layer wider than the block buffer's budget.
TEST_F(NN, PredictBatchEqualsPredictBitForBit) {
  for (auto act : {micrograd::nn::Activation::ReLU, micrograd::nn::Activation::Tanh,
                   micrograd::nn::Activation::Linear}) {
    micrograd::nn::MLPOptions o;
    o.hidden = act;
    o.seed = 11;
    const micrograd::nn::MLP model(2, {70, 9, 3}, o);
    micrograd::Rng rng(5);
    std::vector<std::vector<double>> rows;
    for (int k = 0; k < 71; ++k) rows.push_back({4 * rng.uniform() - 2, 4 * rng.uniform() - 2});
    const std::vector<std::vector<double>> batch = model.predict_batch(rows);
    ASSERT_EQ(batch.size(), rows.size());
    for (std::size_t r = 0; r < rows.size(); ++r) {
      const std::vector<double> one = model.predict(rows[r]);
      ASSERT_EQ(batch[r].size(), 3u);
      for (std::size_t j = 0; j < 3; ++j) ASSERT_EQ(batch[r][j], one[j]) << r << " " << j;
    }
  }
  const micrograd::nn::MLP wide(2, {300000, 1});  // blocks of 6 rows: 300000 * 8 B * 6 <= 16 MiB
  const std::vector<std::vector<double>> rows{{0.5, -1.0}, {1.5, 2.0}, {-0.25, 0.75}, {0, 0},
                                              {1, 1},      {2, -2},    {-3, 0.5}};
  const std::vector<std::vector<double>> batch = wide.predict_batch(rows);
  for (std::size_t r = 0; r < rows.size(); ++r) EXPECT_EQ(batch[r][0], wide.predict(rows[r])[0]);
  EXPECT_TRUE(wide.predict_batch({}).empty());
  EXPECT_THROW(wide.predict_batch({{1.0, 2.0}, {1.0}}), std::invalid_argument);
}
