// workloads.hpp: the benchmark workloads of docs/benchmarks.md (W1 moons MLP, W2a deep chain,
// W2b random DAG) written once as templates over the scalar type, so micrograd::Value, plain
// double and the peer AD tools (built locally, outside the repo) run exactly the same code.
// Also the seeded generator (splitmix64) and the two-moons data set the workloads draw from.
// Not here: timing and memory measurement (bench_w1.cpp, bench_w2.cpp), and no micrograd
// include: this header depends on nothing but <cmath> and <vector>.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace bench {

// ---- our own seeded generator: the same numbers on every compiler and standard library
struct SplitMix64 {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  double normal() {  // Box-Muller, one of the pair
    const double u1 = 1.0 - uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
};

// Plain-double versions of the ops that are not in <cmath>; the AD types bring their own via ADL.
inline double relu(double a) { return a < 0.0 ? 0.0 : a; }

// ---------------------------------------------------------------------------------------------
// W2a deep chain: x = tanh(x*w_i + b_i) for i < D. One link = 3 op nodes (micrograd-style).
// w_i = +-1 (random sign), b_i = 0, x0 = 0.5: |x| shrinks like sqrt(3/(2i)), so the gradient
// decays only polynomially (about 1e-10 after 1e7 links): it stays a normal, non-zero double all
// the way down, so no engine gets to skip zero adjoints and nobody hits denormals.

struct ChainInit {
  double x0 = 0.5;
  std::vector<double> w, b;
};
inline ChainInit chain_init(std::size_t links, std::uint64_t seed = 1) {
  SplitMix64 g{seed};
  ChainInit c;
  c.w.resize(links);
  c.b.assign(links, 0.0);
  for (double& w : c.w) w = (g.next() >> 63) ? 1.0 : -1.0;
  return c;
}

template <class T>
T chain_forward(T x, const std::vector<T>& w, const std::vector<T>& b) {
  using std::tanh;
  for (std::size_t i = 0; i < w.size(); ++i) x = tanh(x * w[i] + b[i]);
  return x;
}

// d x_D / d x0 by forward mode in plain doubles: the reference every tool's backward is checked on.
inline double chain_dx0(const ChainInit& c) {
  double x = c.x0, d = 1.0;
  for (std::size_t i = 0; i < c.w.size(); ++i) {
    x = std::tanh(x * c.w[i] + c.b[i]);
    d *= c.w[i] * (1.0 - x * x);
  }
  return d;
}

// ---------------------------------------------------------------------------------------------
// W2b random DAG: a pool of 1000 values; each step draws (op, a, b, d), computes t = p[a]+p[b],
// p[a]*p[b] or exp(p[a]), then p[d] = tanh(t). Output: the pool summed left to right.

constexpr std::size_t kPool = 1000;

inline std::vector<double> dag_init(std::uint64_t seed = 2) {
  SplitMix64 g{seed};
  std::vector<double> p(kPool);
  for (double& v : p) v = g.uniform(-1.0, 1.0);
  return p;
}

struct Draw {
  unsigned op, a, b, d;
};
// One 64-bit draw split into four 16-bit fields, each mapped onto its range by multiply-shift.
inline Draw draw(SplitMix64& g) {
  const std::uint64_t u = g.next();
  auto field = [u](int k, std::uint64_t n) {
    return static_cast<unsigned>((((u >> (16 * k)) & 0xffff) * n) >> 16);
  };
  return {field(0, 3), field(1, kPool), field(2, kPool), field(3, kPool)};
}

template <class T>
T dag_forward(std::vector<T>& p, std::size_t steps, std::uint64_t seed = 3) {
  using std::exp;
  using std::tanh;
  SplitMix64 g{seed};
  for (std::size_t s = 0; s < steps; ++s) {
    const Draw k = draw(g);
    if (k.op == 0)
      p[k.d] = tanh(p[k.a] + p[k.b]);
    else if (k.op == 1)
      p[k.d] = tanh(p[k.a] * p[k.b]);
    else
      p[k.d] = tanh(exp(p[k.a]));
  }
  T sum = p[0];
  for (std::size_t i = 1; i < p.size(); ++i) sum = sum + p[i];
  return sum;
}

// ---------------------------------------------------------------------------------------------
// W1 moons: MLP 2 -> 16 -> 16 -> 1 (ReLU hidden, linear out), SVM max-margin loss + 1e-4 L2,
// composed exactly like micrograd's demo notebook so a micrograd::Value step creates 65,481 nodes.

struct Moons {
  std::vector<double> x0, x1, y;  // inputs and labels +-1
};
// sklearn.datasets.make_moons(n, noise) with our own generator (the same layout, other numbers).
inline Moons make_moons(std::size_t n, double noise, std::uint64_t seed = 1337) {
  SplitMix64 g{seed};
  Moons m;
  const std::size_t n_out = n / 2, n_in = n - n_out;
  const double pi = 3.141592653589793;
  for (std::size_t i = 0; i < n_out; ++i) {
    const double t = n_out > 1 ? pi * static_cast<double>(i) / static_cast<double>(n_out - 1) : 0;
    m.x0.push_back(std::cos(t));
    m.x1.push_back(std::sin(t));
    m.y.push_back(-1.0);
  }
  for (std::size_t i = 0; i < n_in; ++i) {
    const double t = n_in > 1 ? pi * static_cast<double>(i) / static_cast<double>(n_in - 1) : 0;
    m.x0.push_back(1.0 - std::cos(t));
    m.x1.push_back(1.0 - std::sin(t) - 0.5);
    m.y.push_back(1.0);
  }
  for (std::size_t i = 0; i < n; ++i) {
    m.x0[i] += noise * g.normal();
    m.x1[i] += noise * g.normal();
  }
  return m;
}

constexpr int kLayerSizes[] = {2, 16, 16, 1};
constexpr int kLayers = 3;
constexpr std::size_t kParams = 16 * 3 + 16 * 17 + 17;  // 337

// Initial parameters in micrograd's order (layer by layer, neuron by neuron: w..., b):
// weights U(-1, 1), biases 0.
inline std::vector<double> mlp_init(std::uint64_t seed = 42) {
  SplitMix64 g{seed};
  std::vector<double> p;
  for (int l = 0; l < kLayers; ++l)
    for (int j = 0; j < kLayerSizes[l + 1]; ++j) {
      for (int i = 0; i < kLayerSizes[l]; ++i) p.push_back(g.uniform(-1.0, 1.0));
      p.push_back(0.0);
    }
  return p;
}

// micrograd's MLP.__call__ on one sample: act = sum((wi*xi for ...), b); relu unless last layer.
template <class T>
T mlp_forward(const std::vector<T>& params, const T& in0, const T& in1) {
  T buf[2][16];
  buf[0][0] = in0;
  buf[0][1] = in1;
  std::size_t k = 0;
  for (int l = 0; l < kLayers; ++l) {
    const T* x = buf[l & 1];
    T* out = buf[(l + 1) & 1];
    for (int j = 0; j < kLayerSizes[l + 1]; ++j) {
      const T* w = &params[k];
      const T& b = params[k + kLayerSizes[l]];
      T act = b + w[0] * x[0];
      for (int i = 1; i < kLayerSizes[l]; ++i) act = act + w[i] * x[i];
      out[j] = l + 1 < kLayers ? relu(act) : act;
      k += kLayerSizes[l] + 1;
    }
  }
  return buf[kLayers & 1][0];
}

// micrograd's loss(): inputs become leaves (T(x)), losses = (1 + -yi*scorei).relu(),
// data_loss = sum(losses) * (1/n), reg_loss = alpha * sum(p*p), total = data_loss + reg_loss.
// Order as in the notebook: all scores, then all losses, then the sums. If `scores` is given, it
// receives each sample's score (for the accuracy).
template <class T>
T moons_loss(const std::vector<T>& params, const Moons& m, std::vector<T>* scores = nullptr) {
  const std::size_t n = m.y.size();
  std::vector<T> local;
  std::vector<T>& s = scores != nullptr ? *scores : local;
  s.clear();
  s.reserve(n);
  for (std::size_t i = 0; i < n; ++i) s.push_back(mlp_forward(params, T(m.x0[i]), T(m.x1[i])));
  std::vector<T> losses;
  losses.reserve(n);
  for (std::size_t i = 0; i < n; ++i) losses.push_back(relu(s[i] * (-m.y[i]) + 1.0));
  T data_loss = losses[0] + 0.0;  // Python's sum() starts from 0: 0 + l0 is l0 + Value(0)
  for (std::size_t i = 1; i < n; ++i) data_loss = data_loss + losses[i];
  data_loss = data_loss * (1.0 / static_cast<double>(n));
  T reg = params[0] * params[0] + 0.0;
  for (std::size_t i = 1; i < params.size(); ++i) reg = reg + params[i] * params[i];
  return data_loss + reg * 1e-4;
}

}  // namespace bench
