// random.hpp: Rng, the library's own small seeded random number generator.
//
// micrograd draws its weights with Python's `random.uniform(-1, 1)`; we need the same kind of
// numbers, and the same numbers on every compiler and standard library, which std::*_distribution
// does not promise. So: splitmix64 turns the seed into a state, xoshiro256** produces the bits,
// and every distribution below is a few lines of plain arithmetic on them.
// Not here: Python's and NumPy's Mersenne Twister streams (mersenne.hpp, for reproducing their
// programs' numbers), and anything cryptographic.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <utility>
#include <vector>

namespace micrograd {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    for (std::uint64_t& s : state_) s = splitmix64(seed);
  }

  // ---- bits: xoshiro256** (Blackman and Vigna, 2018)
  std::uint64_t next_u64() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // ---- distributions
  // Uniform in [0, 1): the top 53 bits of one draw, scaled by 2^-53 (every value exact).
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  // Uniform in [lo, hi), like Python's random.uniform(lo, hi) = lo + (hi - lo) * random().
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Standard normal N(0, 1) by Box-Muller: one pair of uniforms gives two normals; the second is
  // kept for the next call.
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - uniform();  // in (0, 1]: log(u1) is finite
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double theta = 2.0 * kPi * u2;
    spare_ = r * std::sin(theta);
    has_spare_ = true;
    return r * std::cos(theta);
  }
  double normal(double mean, double stddev) { return mean + stddev * normal(); }
  // Uniform integer in [0, n), without modulo bias (rejects the few draws that would cause it).
  std::size_t below(std::size_t n) {
    if (n == 0) throw std::invalid_argument("Rng::below(n) needs n > 0, got 0");
    const std::uint64_t m = n;
    const std::uint64_t threshold = (0 - m) % m;  // 2^64 mod n: draws below it are rejected
    for (;;) {
      const std::uint64_t r = next_u64();
      if (r >= threshold) return static_cast<std::size_t>(r % m);
    }
  }
  // Fisher-Yates: every permutation equally likely.
  template <class T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
  }

 private:
  static constexpr double kPi = 3.14159265358979323846;
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  std::uint64_t state_[4];
  double spare_ = 0.0;  // the second normal of the last Box-Muller pair
  bool has_spare_ = false;
};

}  // namespace micrograd
