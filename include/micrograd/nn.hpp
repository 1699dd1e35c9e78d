// nn.hpp: micrograd's nn.py in C++: Module, Neuron, Layer, MLP.
//
// A Neuron computes act(b + w0*x0 + w1*x1 + ...) node by node, summed left to right from b,
// exactly as micrograd's `sum((wi*xi for wi, xi in zip(self.w, x)), self.b)`, so graphs, node
// counts and every rounding step are micrograd's. Weights are U(-1, 1) from our own Rng, or from
// Python's random stream (micrograd's exact weights); the bias is 0 (micrograd's nn.py) or U(-1, 1)
// (the lecture's notebook).
// Not here: losses (loss.hpp), optimizers (optim.hpp), data sets (data.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "micrograd/mersenne.hpp"
#include "micrograd/random.hpp"
#include "micrograd/value.hpp"

namespace micrograd::nn {

enum class Activation { Linear, ReLU, Tanh };
enum class BiasInit { Zero, Uniform };  // micrograd's Value(0) or the lecture's U(-1, 1)

// "Linear", "ReLU", "Tanh" (the prefix of a neuron's repr).
const char* to_string(Activation act);
// act(x) as one node (none for Linear).
Value activate(const Value& x, Activation act);

// ---- Module: anything with parameters
class Module {
 public:
  virtual ~Module() = default;
  virtual std::vector<Value> parameters() const = 0;
  virtual std::string repr() const = 0;
  void zero_grad() const;  // micrograd: `for p in self.parameters(): p.grad = 0`
  std::size_t num_parameters() const { return parameters().size(); }
};

std::ostream& operator<<(std::ostream& os, const Module& m);  // prints m.repr()

// ---- Neuron: act(b + sum_i w_i * x_i)
class Neuron : public Module {
 public:
  // Draws w0 .. w{nin-1} from U(-1, 1), then the bias (0, or U(-1, 1)). fused: build the neuron as
  // one node (dense() or linear() + activation) instead of nin Mul and nin Add nodes (same
  // numbers).
  Neuron(std::size_t nin, Activation act, BiasInit bias, Rng& rng, bool fused = false);
  // The same numbers drawn from Python's `random` stream: micrograd's own weights.
  Neuron(std::size_t nin, Activation act, BiasInit bias, PythonRandom& random, bool fused = false);

  Value operator()(const std::vector<Value>& x) const;
  Value operator()(const std::vector<Value>& x, bool fused) const;  // graph chosen per call
  std::vector<Value> parameters() const override;                   // w then b
  std::string repr() const override;                                // "ReLUNeuron(2)"

  const std::vector<Value>& w() const { return w_; }
  const Value& b() const { return b_; }
  Activation activation() const { return act_; }
  std::size_t nin() const { return w_.size(); }
  bool fused() const { return fused_; }

 private:
  std::vector<Value> w_;
  Value b_;
  Activation act_;
  bool fused_;
};

// ---- Layer: nout neurons reading the same inputs
class Layer : public Module {
 public:
  Layer(std::size_t nin, std::size_t nout, Activation act, BiasInit bias, Rng& rng,
        bool fused = false);
  Layer(std::size_t nin, std::size_t nout, Activation act, BiasInit bias, PythonRandom& random,
        bool fused = false);

  // Every neuron's output, in order (micrograd unwraps a single output; see MLP::score). With
  // fused neurons and consecutive inputs, one dense() call: the outputs are consecutive nodes.
  std::vector<Value> operator()(const std::vector<Value>& x) const;
  // Its fused form on a run of nin consecutive input nodes from x: output 0 (dense()); or an
  // empty Value if this layer cannot (unfused, or its parameters are not consecutive nodes).
  Value dense_from(const Value& x) const;
  std::vector<Value> parameters() const override;  // neuron by neuron
  std::string repr() const override;               // "Layer of [ReLUNeuron(2), ReLUNeuron(2)]"

  const std::vector<Neuron>& neurons() const { return neurons_; }
  std::size_t nin() const { return neurons_.front().nin(); }
  std::size_t nout() const { return neurons_.size(); }

 private:
  std::vector<Neuron> neurons_;
  bool consecutive_ = false;  // the parameters are consecutive nodes in parameters() order
};

// ---- MLP: layers in sequence
struct MLPOptions {
  Activation hidden = Activation::ReLU;    // every layer but the last
  Activation output = Activation::Linear;  // the last layer
  BiasInit bias = BiasInit::Zero;
  // true: each weight divided by sqrt(nin) after it is drawn, U(-1/sqrt(nin), 1/sqrt(nin)) as
  // PyTorch's Linear: wide layers (784 pixels) start with outputs of order 1, not of order 30.
  bool fan_in = false;
  std::uint64_t seed = 1337;  // weights are drawn from Rng(seed), layer by layer
  // Python: from Python's `random` after random.seed(seed) instead (mersenne.hpp), exactly the
  // weights micrograd's MLP gets in a program that seeded Python's random so (its demo: 1337).
  enum class Stream { Own, Python } stream = Stream::Own;
  // One node per neuron (a dense() node when the inputs are consecutive nodes, else linear() and
  // the activation): the same numbers as micrograd's graph bit for bit, 8-30x fewer nodes, several
  // times faster. false: micrograd's graph, every multiply, add and ReLU a node (to look at it).
  bool fused = true;

  // micrograd's nn.py (the defaults above): ReLU hidden layers, linear output, zero biases.
  static MLPOptions micrograd() { return {}; }
  // The lecture's notebook: tanh everywhere (output too), biases U(-1, 1).
  static MLPOptions lecture() { return {Activation::Tanh, Activation::Tanh, BiasInit::Uniform}; }
};

class MLP : public Module {
 public:
  // MLP(2, {16, 16, 1}): layer sizes nin -> 16 -> 16 -> 1.
  MLP(std::size_t nin, std::vector<std::size_t> nouts, MLPOptions options = {});

  // The last layer's outputs.
  std::vector<Value> operator()(const std::vector<Value>& x) const;
  // The same with the graph chosen per call: fused = false builds micrograd's node-by-node graph
  // (same numbers), e.g. to draw one sample's graph from a model that trains fused.
  std::vector<Value> forward(const std::vector<Value>& x, bool fused) const;
  // The single output of a network whose last layer has one neuron (micrograd's `model(x)`).
  Value score(const std::vector<Value>& x) const;
  // The outputs for plain numbers, no graph: the same arithmetic in the same order as the graph
  // (bit for bit the data of operator()), for pictures and predictions over many points.
  std::vector<double> predict(const std::vector<double>& x) const;
  // predict() for many rows at once (row r's outputs are predict(rows[r]), bit for bit): the
  // parameters are read once and the rows go through each neuron together, so a decision
  // boundary's 40,000 grid points cost about one pass over the weights per 32 points.
  // threads > 1: the rows split between that many threads (the parameters are read first, on
  // this thread): the same numbers.
  std::vector<std::vector<double>> predict_batch(const std::vector<std::vector<double>>& rows,
                                                 std::size_t threads = 1) const;
  std::vector<Value> parameters() const override;  // layer by layer
  std::string repr() const override;               // "MLP of [Layer of [...], Layer of [...]]"

  const std::vector<Layer>& layers() const { return layers_; }
  std::size_t nin() const { return layers_.front().nin(); }
  std::size_t nout() const { return layers_.back().nout(); }
  const MLPOptions& options() const { return options_; }

 private:
  std::vector<Layer> layers_;
  MLPOptions options_;
};

// ---- flat parameter vectors (PyTorch's torch.nn.utils names), in parameters() order
std::vector<double> parameters_to_vector(const Module& m);
// Writes v into the module's parameters; throws std::invalid_argument if the sizes differ.
void vector_to_parameters(const std::vector<double>& v, const Module& m);

}  // namespace micrograd::nn
