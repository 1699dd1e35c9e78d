// mersenne.cpp: MT19937 (mt19937ar.c, Matsumoto and Nishimura) and the way Python and NumPy seed
// it and turn its bits into numbers.
#include "micrograd/mersenne.hpp"

#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

namespace micrograd {

void MT19937::init_genrand(std::uint32_t seed) {
  mt_[0] = seed;
  for (std::uint32_t i = 1; i < 624; ++i)
    mt_[i] = 1812433253u * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + i;
  pos_ = 624;
}

void MT19937::init_by_array(std::span<const std::uint32_t> key) {
  init_genrand(19650218u);
  const std::size_t n = 624, len = key.empty() ? 1 : key.size();
  const std::uint32_t zero = 0;
  const std::uint32_t* k = key.empty() ? &zero : key.data();
  std::size_t i = 1, j = 0;
  for (std::size_t c = std::max(n, len); c > 0; --c) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1664525u)) + k[j] +
             static_cast<std::uint32_t>(j);
    ++i, ++j;
    if (i >= n) mt_[0] = mt_[n - 1], i = 1;
    if (j >= len) j = 0;
  }
  for (std::size_t c = n - 1; c > 0; --c) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1566083941u)) -
             static_cast<std::uint32_t>(i);
    ++i;
    if (i >= n) mt_[0] = mt_[n - 1], i = 1;
  }
  mt_[0] = 0x80000000u;  // the first word's top bit set: the state is never all zero
  pos_ = 624;
}

void MT19937::twist() {
  constexpr std::uint32_t kMatrix = 0x9908b0dfu, kUpper = 0x80000000u, kLower = 0x7fffffffu;
  for (std::size_t k = 0; k < 624; ++k) {
    const std::uint32_t y = (mt_[k] & kUpper) | (mt_[(k + 1) % 624] & kLower);
    mt_[k] = mt_[(k + 397) % 624] ^ (y >> 1) ^ ((y & 1u) ? kMatrix : 0u);
  }
  pos_ = 0;
}

void MT19937::set_state(const std::array<std::uint32_t, 624>& key, std::size_t position) {
  if (position > 624)
    throw std::invalid_argument("MT19937::set_state: the position must be 0 to 624, got " +
                                std::to_string(position));
  mt_ = key;
  pos_ = position;
}

std::uint32_t MT19937::next_u32() {
  if (pos_ >= 624) twist();
  std::uint32_t y = mt_[pos_++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= y >> 18;
  return y;
}

PythonRandom::PythonRandom(std::uint64_t seed) {
  // Python: init_by_array(abs(n) as 32-bit words, least significant first; [0] for n = 0).
  std::vector<std::uint32_t> key;
  do {
    key.push_back(static_cast<std::uint32_t>(seed & 0xffffffffu));
    seed >>= 32;
  } while (seed != 0);
  mt_.init_by_array(key);
}

double NumpyRandomState::standard_normal() {
  if (has_gauss_) {
    has_gauss_ = false;
    const double g = gauss_;
    gauss_ = 0.0;
    return g;
  }
  double x1, x2, r2;
  do {
    x1 = 2.0 * random_sample() - 1.0;
    x2 = 2.0 * random_sample() - 1.0;
    r2 = x1 * x1 + x2 * x2;
  } while (r2 >= 1.0 || r2 == 0.0);
  const double f = std::sqrt(-2.0 * std::log(r2) / r2);  // Box-Muller, polar form
  gauss_ = f * x1;
  has_gauss_ = true;
  return f * x2;
}

std::uint64_t NumpyRandomState::interval(std::uint64_t max) {
  if (max == 0) return 0;
  std::uint64_t mask = max;  // the smallest all-ones mask covering max
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  mask |= mask >> 32;
  std::uint64_t value;
  if (max <= 0xffffffffu) {
    while ((value = (mt_.next_u32() & mask)) > max) {
    }
  } else {
    do {
      const std::uint64_t hi = mt_.next_u32();
      value = ((hi << 32) | mt_.next_u32()) & mask;
    } while (value > max);
  }
  return value;
}

std::vector<std::size_t> NumpyRandomState::permutation(std::size_t n) {
  std::vector<std::size_t> v(n);
  std::iota(v.begin(), v.end(), std::size_t{0});
  shuffle(v);
  return v;
}

}  // namespace micrograd
