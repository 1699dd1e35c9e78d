// nn.cpp: Neuron, Layer and MLP, line for line micrograd's nn.py.
#include "micrograd/nn.hpp"

#include <algorithm>
#include <cmath>
#include <ostream>
#include <stdexcept>
#include <thread>

namespace micrograd::nn {

const char* to_string(Activation act) {
  switch (act) {
    case Activation::Linear:
      return "Linear";
    case Activation::ReLU:
      return "ReLU";
    case Activation::Tanh:
      return "Tanh";
  }
  return "?";
}

Value activate(const Value& x, Activation act) {
  switch (act) {
    case Activation::Linear:
      return x;
    case Activation::ReLU:
      return x.relu();
    case Activation::Tanh:
      return x.tanh();
  }
  return x;
}

// ---- Module

void Module::zero_grad() const {
  for (const Value& p : parameters()) p.grad() = 0.0;
}

std::ostream& operator<<(std::ostream& os, const Module& m) { return os << m.repr(); }

// ---- Neuron

namespace {
// micrograd: w = [Value(random.uniform(-1, 1)) for _ in range(nin)], then b.
template <class Random>
void draw(std::size_t nin, BiasInit bias, Random& random, std::vector<Value>& w, Value& b) {
  if (nin == 0) throw std::invalid_argument("Neuron needs at least 1 input, got nin = 0");
  w.reserve(nin);
  for (std::size_t i = 0; i < nin; ++i) w.emplace_back(random.uniform(-1.0, 1.0));
  b = Value(bias == BiasInit::Uniform ? random.uniform(-1.0, 1.0) : 0.0);
}
}  // namespace

Neuron::Neuron(std::size_t nin, Activation act, BiasInit bias, Rng& rng, bool fused)
    : act_(act), fused_(fused) {
  draw(nin, bias, rng, w_, b_);
}

Neuron::Neuron(std::size_t nin, Activation act, BiasInit bias, PythonRandom& random, bool fused)
    : act_(act), fused_(fused) {
  draw(nin, bias, random, w_, b_);
}

namespace {
Op dense_op(Activation act) {
  switch (act) {
    case Activation::ReLU:
      return Op::DenseReLU;
    case Activation::Tanh:
      return Op::DenseTanh;
    case Activation::Linear:
      break;
  }
  return Op::Dense;
}
// The n consecutive output nodes of a dense layer, from the first.
std::vector<Value> outputs(const Value& first, std::size_t n) {
  std::vector<Value> out;
  out.reserve(n);
  for (std::size_t j = 0; j < n; ++j) out.push_back(first.offset(static_cast<Value::Index>(j)));
  return out;
}
}  // namespace

Value Neuron::operator()(const std::vector<Value>& x) const { return (*this)(x, fused_); }

Value Neuron::operator()(const std::vector<Value>& x, bool fused) const {
  if (x.size() != w_.size())
    throw std::invalid_argument("Neuron expects " + std::to_string(w_.size()) + " inputs, got " +
                                std::to_string(x.size()));
  if (fused) {  // the same sum in one node
    const auto n = static_cast<Value::Index>(w_.size());
    if (b_.valid() && b_.id() == w_.front().id() + n && consecutive(w_.data(), w_.size()) &&
        consecutive(x.data(), x.size()))
      return dense(dense_op(act_), w_.front(), 1, x.front(), n);
    return activate(linear(w_, x, b_), act_);
  }
  // micrograd: act = sum((wi*xi for wi, xi in zip(self.w, x)), self.b)
  Value act = b_;
  for (std::size_t i = 0; i < w_.size(); ++i) act = act + w_[i] * x[i];
  return activate(act, act_);
}

std::vector<Value> Neuron::parameters() const {
  std::vector<Value> p = w_;
  p.push_back(b_);
  return p;
}

std::string Neuron::repr() const {
  return std::string(to_string(act_)) + "Neuron(" + std::to_string(w_.size()) + ")";
}

// ---- Layer

namespace {
template <class Random>
std::vector<Neuron> make_neurons(std::size_t nin, std::size_t nout, Activation act, BiasInit bias,
                                 Random& random, bool fused) {
  if (nout == 0) throw std::invalid_argument("Layer needs at least 1 neuron, got nout = 0");
  if (nin == 0) throw std::invalid_argument("Layer needs at least 1 input, got nin = 0");
  std::vector<Neuron> n;
  n.reserve(nout);
  for (std::size_t i = 0; i < nout; ++i) n.emplace_back(nin, act, bias, random, fused);
  return n;
}
}  // namespace

Layer::Layer(std::size_t nin, std::size_t nout, Activation act, BiasInit bias, Rng& rng, bool fused)
    : neurons_(make_neurons(nin, nout, act, bias, rng, fused)) {
  const std::vector<Value> p = parameters();
  consecutive_ = consecutive(p.data(), p.size());
}

Layer::Layer(std::size_t nin, std::size_t nout, Activation act, BiasInit bias, PythonRandom& random,
             bool fused)
    : neurons_(make_neurons(nin, nout, act, bias, random, fused)) {
  const std::vector<Value> p = parameters();
  consecutive_ = consecutive(p.data(), p.size());
}

Value Layer::dense_from(const Value& x) const {
  const Neuron& n0 = neurons_.front();
  if (!n0.fused() || !consecutive_) return Value();
  return dense(dense_op(n0.activation()), n0.w().front(), static_cast<Value::Index>(nout()), x,
               static_cast<Value::Index>(nin()));
}

std::vector<Value> Layer::operator()(const std::vector<Value>& x) const {
  if (x.size() != nin())
    throw std::invalid_argument("Neuron expects " + std::to_string(nin()) + " inputs, got " +
                                std::to_string(x.size()));
  if (consecutive(x.data(), x.size()))
    if (const Value first = dense_from(x.front()); first.valid()) return outputs(first, nout());
  std::vector<Value> out;
  out.reserve(neurons_.size());
  for (const Neuron& n : neurons_) out.push_back(n(x));
  return out;
}

std::vector<Value> Layer::parameters() const {
  std::vector<Value> p;
  for (const Neuron& n : neurons_) {
    p.insert(p.end(), n.w().begin(), n.w().end());
    p.push_back(n.b());
  }
  return p;
}

std::string Layer::repr() const {
  std::string s = "Layer of [";
  for (std::size_t i = 0; i < neurons_.size(); ++i) s += (i ? ", " : "") + neurons_[i].repr();
  return s + "]";
}

// ---- MLP

MLP::MLP(std::size_t nin, std::vector<std::size_t> nouts, MLPOptions options) : options_(options) {
  if (nin == 0) throw std::invalid_argument("MLP needs at least 1 input, got nin = 0");
  if (nouts.empty()) throw std::invalid_argument("MLP needs at least one layer, got nouts = {}");
  for (std::size_t i = 0; i < nouts.size(); ++i)
    if (nouts[i] == 0)
      throw std::invalid_argument("MLP layer " + std::to_string(i) + " has 0 neurons");
  Rng rng(options.seed);
  PythonRandom python(options.seed);
  std::vector<std::size_t> sz = {nin};  // micrograd: sz = [nin] + nouts
  sz.insert(sz.end(), nouts.begin(), nouts.end());
  layers_.reserve(nouts.size());
  for (std::size_t i = 0; i < nouts.size(); ++i) {
    const Activation act = i + 1 == nouts.size() ? options.output : options.hidden;
    if (options.stream == MLPOptions::Stream::Python)
      layers_.emplace_back(sz[i], sz[i + 1], act, options.bias, python, options.fused);
    else
      layers_.emplace_back(sz[i], sz[i + 1], act, options.bias, rng, options.fused);
    if (options.fan_in) {
      const double scale = std::sqrt(static_cast<double>(sz[i]));
      for (const Neuron& n : layers_.back().neurons())
        for (const Value& w : n.w()) w.data() = w.data() / scale;
    }
  }
}

namespace {
// The fused fast path: one dense() call per layer, each layer's outputs the next one's consecutive
// inputs; no per-layer vectors. Output 0 of the last layer, or an empty Value if a layer cannot.
Value dense_chain(const std::vector<Layer>& layers, const std::vector<Value>& x) {
  if (x.size() != layers.front().nin() || !consecutive(x.data(), x.size())) return Value();
  Value run = x.front();
  for (const Layer& l : layers)
    if (run = l.dense_from(run); !run.valid()) return Value();
  return run;
}
}  // namespace

std::vector<Value> MLP::operator()(const std::vector<Value>& x) const {
  return forward(x, options_.fused);
}

std::vector<Value> MLP::forward(const std::vector<Value>& x, bool fused) const {
  if (fused && options_.fused)
    if (const Value first = dense_chain(layers_, x); first.valid()) return outputs(first, nout());
  auto layer = [fused](const Layer& l, const std::vector<Value>& in) {
    std::vector<Value> out;
    out.reserve(l.nout());
    for (const Neuron& n : l.neurons()) out.push_back(n(in, fused));
    return out;
  };
  std::vector<Value> out = layer(layers_.front(), x);
  for (std::size_t i = 1; i < layers_.size(); ++i) out = layer(layers_[i], out);
  return out;
}

std::vector<double> MLP::predict(const std::vector<double>& x) const {
  if (x.size() != nin())
    throw std::invalid_argument("MLP::predict expects " + std::to_string(nin()) + " inputs, got " +
                                std::to_string(x.size()));
  std::vector<double> in = x, out;
  for (const Layer& l : layers_) {
    out.clear();
    for (const Neuron& n : l.neurons()) {
      double act = n.b().data();  // micrograd's order: b + w0*x0 + w1*x1 + ...
      for (std::size_t i = 0; i < in.size(); ++i) act = act + n.w()[i].data() * in[i];
      switch (n.activation()) {
        case Activation::Linear:
          break;
        case Activation::ReLU:
          act = detail::forward<Op::Relu>(act, act);
          break;
        case Activation::Tanh:
          act = detail::forward<Op::Tanh>(act, act);
          break;
      }
      out.push_back(act);
    }
    in.swap(out);
  }
  return in;
}

std::vector<std::vector<double>> MLP::predict_batch(const std::vector<std::vector<double>>& rows,
                                                    std::size_t threads) const {
  for (std::size_t r = 0; r < rows.size(); ++r)
    if (rows[r].size() != nin())
      throw std::invalid_argument("MLP::predict_batch expects " + std::to_string(nin()) +
                                  " inputs a row, row " + std::to_string(r) + " has " +
                                  std::to_string(rows[r].size()));
  // The parameters as plain numbers, read once (each Value read is a checked tape access).
  struct Plain {
    std::vector<double> w, b;  // w: neuron by neuron, nin each
    std::size_t nin;
    Activation act;
  };
  std::vector<Plain> net;
  std::size_t widest = nin();
  for (const Layer& l : layers_) {
    Plain p{{}, {}, l.nin(), l.neurons().front().activation()};
    p.w.reserve(l.nin() * l.nout());
    for (const Neuron& n : l.neurons()) {
      for (const Value& w : n.w()) p.w.push_back(w.data());
      p.b.push_back(n.b().data());
    }
    widest = std::max(widest, l.nout());
    net.push_back(std::move(p));
  }
  // A block of rows at a time, stored input-major (in[i * block + r]) so the innermost loop runs
  // over independent rows: the same operations in the same order as predict() for each row.
  const std::size_t block = std::clamp<std::size_t>((std::size_t{2} << 20) / widest, 1, 32);
  std::vector<std::vector<double>> out(rows.size());
  // Blocks [begin, end) of rows, on any thread: `net` is plain numbers, read only.
  auto run = [&](std::size_t begin, std::size_t end) {
    std::vector<double> in, next;
    for (std::size_t first = begin; first < end; first += block) {
      const std::size_t m = std::min(block, rows.size() - first);
      in.assign(nin() * m, 0.0);
      for (std::size_t r = 0; r < m; ++r)
        for (std::size_t i = 0; i < nin(); ++i) in[i * m + r] = rows[first + r][i];
      for (const Plain& p : net) {
        const std::size_t nout = p.b.size();
        next.assign(nout * m, 0.0);
        for (std::size_t j = 0; j < nout; ++j) {
          double* act = next.data() + j * m;
          for (std::size_t r = 0; r < m; ++r) act[r] = p.b[j];  // b + w0*x0 + w1*x1 + ...
          const double* w = p.w.data() + j * p.nin;
          for (std::size_t i = 0; i < p.nin; ++i) {
            const double wi = w[i];
            const double* x = in.data() + i * m;
            for (std::size_t r = 0; r < m; ++r) act[r] = act[r] + wi * x[r];
          }
          if (p.act == Activation::ReLU)
            for (std::size_t r = 0; r < m; ++r) act[r] = detail::forward<Op::Relu>(act[r], act[r]);
          else if (p.act == Activation::Tanh)
            for (std::size_t r = 0; r < m; ++r) act[r] = detail::forward<Op::Tanh>(act[r], act[r]);
        }
        in.swap(next);
      }
      const std::size_t nout = net.back().b.size();
      for (std::size_t r = 0; r < m; ++r) {
        out[first + r].resize(nout);
        for (std::size_t j = 0; j < nout; ++j) out[first + r][j] = in[j * m + r];
      }
    }
  };
  const std::size_t blocks = (rows.size() + block - 1) / block;
  threads = std::clamp<std::size_t>(threads, 1, std::max<std::size_t>(blocks, 1));
  if (threads == 1) {
    run(0, rows.size());
    return out;
  }
  std::vector<std::thread> pool;  // thread t: blocks t*blocks/threads .. (t+1)*blocks/threads
  for (std::size_t t = 1; t < threads; ++t)
    pool.emplace_back(run, t * blocks / threads * block,
                      std::min(rows.size(), (t + 1) * blocks / threads * block));
  run(0, std::min(rows.size(), blocks / threads * block));
  for (std::thread& th : pool) th.join();
  return out;
}

Value MLP::score(const std::vector<Value>& x) const {
  if (nout() != 1)
    throw std::invalid_argument("MLP::score needs a last layer of 1 neuron, this one has " +
                                std::to_string(nout()) + "; use operator() for all outputs");
  if (options_.fused)
    if (const Value out = dense_chain(layers_, x); out.valid()) return out;
  return (*this)(x).front();
}

std::vector<Value> MLP::parameters() const {
  std::vector<Value> p;
  for (const Layer& l : layers_) {
    std::vector<Value> lp = l.parameters();
    p.insert(p.end(), lp.begin(), lp.end());
  }
  return p;
}

std::string MLP::repr() const {
  std::string s = "MLP of [";
  for (std::size_t i = 0; i < layers_.size(); ++i) s += (i ? ", " : "") + layers_[i].repr();
  return s + "]";
}

// ---- flat parameter vectors

std::vector<double> parameters_to_vector(const Module& m) {
  std::vector<double> v;
  for (const Value& p : m.parameters()) v.push_back(p.data());
  return v;
}

void vector_to_parameters(const std::vector<double>& v, const Module& m) {
  const std::vector<Value> params = m.parameters();
  if (v.size() != params.size())
    throw std::invalid_argument("vector_to_parameters: the module has " +
                                std::to_string(params.size()) + " parameters, the vector has " +
                                std::to_string(v.size()) + " values");
  for (std::size_t i = 0; i < v.size(); ++i) params[i].data() = v[i];
}

}  // namespace micrograd::nn
