// Tests for random.hpp: exact bits (checked against an independent Python implementation of
// splitmix64 + xoshiro256**), ranges, determinism and the distributions' moments.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "micrograd/random.hpp"

using micrograd::Rng;

TEST(Rng, ExactBits) {
  // Produced once by /tmp/rng_ref.py: a 20-line pure-Python splitmix64 seeding + xoshiro256**.
  Rng a(42);
  EXPECT_EQ(a.next_u64(), 0x15780b2e0c2ec716ULL);
  EXPECT_EQ(a.next_u64(), 0x6104d9866d113a7eULL);
  EXPECT_EQ(a.next_u64(), 0xae17533239e499a1ULL);
  Rng b(0);
  EXPECT_EQ(b.next_u64(), 0x99ec5f36cb75f2b4ULL);
  EXPECT_EQ(b.next_u64(), 0xbf6e1f784956452aULL);
  Rng c(1337);
  EXPECT_EQ(c.uniform(), 0.6759434119590045);
  EXPECT_EQ(c.uniform(), 0.8144736480449252);
  EXPECT_EQ(c.uniform(), 0.7775129841449137);
}

TEST(Rng, SameSeedSameNumbersDifferentSeedDifferent) {
  Rng a(7), b(7), c(8);
  for (int i = 0; i < 100; ++i) {
    const std::uint64_t x = a.next_u64();
    EXPECT_EQ(x, b.next_u64());
    EXPECT_NE(x, c.next_u64());
  }
}

TEST(Rng, UniformRangesAndMean) {
  Rng r(1);
  double sum = 0.0, lo = 1.0, hi = 0.0;
  const int n = 100000;
  for (int i = 0; i < n; ++i) {
    const double u = r.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    lo = std::min(lo, u), hi = std::max(hi, u), sum += u;
  }
  EXPECT_NEAR(sum / n, 0.5, 0.005);
  EXPECT_LT(lo, 1e-3);
  EXPECT_GT(hi, 1 - 1e-3);
  for (int i = 0; i < 10000; ++i) {
    const double u = r.uniform(-1.0, 1.0);
    ASSERT_GE(u, -1.0);
    ASSERT_LT(u, 1.0);
  }
}

TEST(Rng, NormalMoments) {
  Rng r(3);
  const int n = 200000;
  double s1 = 0.0, s2 = 0.0;
  for (int i = 0; i < n; ++i) {
    const double z = r.normal();
    ASSERT_TRUE(std::isfinite(z));
    s1 += z, s2 += z * z;
  }
  EXPECT_NEAR(s1 / n, 0.0, 0.01);
  EXPECT_NEAR(s2 / n, 1.0, 0.01);
  Rng a(5), b(5);
  for (int i = 0; i < 11; ++i) EXPECT_EQ(a.normal(), b.normal());
}

TEST(Rng, BelowIsInRangeAndCoversIt) {
  Rng r(9);
  std::vector<int> counts(7, 0);
  for (int i = 0; i < 7000; ++i) {
    const std::size_t k = r.below(7);
    ASSERT_LT(k, 7u);
    ++counts[k];
  }
  for (int c : counts) EXPECT_NEAR(c, 1000, 150);
  EXPECT_EQ(r.below(1), 0u);
  EXPECT_THROW(r.below(0), std::invalid_argument);
}

TEST(Rng, ShuffleIsAPermutationAndDeterministic) {
  std::vector<int> v(50), w;
  std::iota(v.begin(), v.end(), 0);
  w = v;
  Rng a(11), b(11);
  a.shuffle(v);
  b.shuffle(w);
  EXPECT_EQ(v, w);
  std::vector<int> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int> expected(50);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(sorted, expected);
  EXPECT_NE(v, expected);  // 1/50! chance of a false failure
  std::vector<int> empty;
  a.shuffle(empty);
  EXPECT_TRUE(empty.empty());
}
