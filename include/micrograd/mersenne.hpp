// mersenne.hpp: the random streams of Python and NumPy, bit for bit, so that micrograd's demo
// notebook (`np.random.seed(1337); random.seed(1337)`, scikit-learn's make_moons, micrograd's
// `random.uniform(-1, 1)` weights) gives the same numbers here.
//
//   PythonRandom r(1337);        // random.seed(1337)
//   r.uniform(-1, 1);            // random.uniform(-1, 1)
//   NumpyRandomState np(1337);   // np.random.seed(1337) (the legacy global generator)
//   np.normal(0.0, 0.1);         // np.random.normal(scale=0.1)
//   np.permutation(100);         // np.random.permutation(100)
//
// Both are the 32-bit Mersenne Twister (Matsumoto and Nishimura, 1998), seeded the way each
// program seeds it; doubles are 53-bit, (a >> 5) * 2^26 + (b >> 6) over 2^53, from two draws.
// Not here: the library's own generator (random.hpp, faster, used by default), NumPy's newer
// Generator/PCG64 API, and Python's gauss/shuffle (micrograd's code does not use them).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace micrograd {

// MT19937, the reference algorithm (mt19937ar.c).
class MT19937 {
 public:
  explicit MT19937(std::uint32_t seed = 5489) { init_genrand(seed); }
  // The reference seeding by one 32-bit number (NumPy's RandomState.seed(int)).
  void init_genrand(std::uint32_t seed);
  // The reference seeding by an array of 32-bit words (Python's random.seed(int)).
  void init_by_array(std::span<const std::uint32_t> key);
  std::uint32_t next_u32();
  // The whole state (NumPy's get_state()/set_state() carry the same key and position).
  const std::array<std::uint32_t, 624>& key() const { return mt_; }
  std::size_t position() const { return pos_; }
  // Throws std::invalid_argument if position > 624.
  void set_state(const std::array<std::uint32_t, 624>& key, std::size_t position);
  // [0, 1) with 53 random bits: both programs' random() / random_sample().
  double next_double() {
    const std::uint32_t a = next_u32() >> 5, b = next_u32() >> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
  }

 private:
  void twist();
  std::array<std::uint32_t, 624> mt_{};
  std::size_t pos_ = 624;
};

// Python's `random` module (random.Random): seed(n) for an integer n >= 0, random(), uniform().
class PythonRandom {
 public:
  // random.seed(n): n's 32-bit words, least significant first, by init_by_array.
  explicit PythonRandom(std::uint64_t seed);
  double random() { return mt_.next_double(); }
  // random.uniform(a, b) = a + (b - a) * random()
  double uniform(double a, double b) { return a + (b - a) * random(); }
  MT19937& engine() { return mt_; }

 private:
  MT19937 mt_;
};

// NumPy's legacy generator (np.random.seed / np.random.RandomState, what scikit-learn draws from
// when given no random_state): random_sample(), the polar-method normal with its cached second
// value, shuffle and permutation as NumPy does them.
class NumpyRandomState {
 public:
  // np.random.seed(seed): seed in [0, 2^32).
  explicit NumpyRandomState(std::uint32_t seed) : mt_(seed) {}
  double random_sample() { return mt_.next_double(); }
  // np.random.standard_normal(): Marsaglia's polar method; each pair gives two values.
  double standard_normal();
  // np.random.normal(loc, scale) = loc + scale * standard_normal()
  double normal(double loc, double scale) { return loc + scale * standard_normal(); }
  // A uniform integer in [0, max], by masked rejection (NumPy's random_interval).
  std::uint64_t interval(std::uint64_t max);
  // np.random.shuffle on a 1-D array: for i = n-1 .. 1, swap v[i] and v[interval(i)].
  template <class T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i-- > 1;) {
      const std::size_t j = static_cast<std::size_t>(interval(i));
      std::swap(v[i], v[j]);
    }
  }
  // np.random.permutation(n): 0 .. n-1, shuffled.
  std::vector<std::size_t> permutation(std::size_t n);
  MT19937& engine() { return mt_; }
  const MT19937& engine() const { return mt_; }

  // np.random.get_state() is ('MT19937', key, pos, has_gauss, cached_gaussian): the engine's
  // state plus the second value of the last polar pair, if it has not been used yet.
  bool has_gauss() const { return has_gauss_; }
  double cached_gaussian() const { return gauss_; }
  void set_gauss(bool has_gauss, double gauss) { has_gauss_ = has_gauss, gauss_ = gauss; }

 private:
  MT19937 mt_;
  bool has_gauss_ = false;
  double gauss_ = 0.0;
};

}  // namespace micrograd
