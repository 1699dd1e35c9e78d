// test_mersenne.cpp: MT19937 against its reference outputs, and Python's and NumPy's streams
// against numbers those programs printed (Python 3.11, NumPy 1.24, Debian 12; the live comparison
// over many seeds and sizes is python/tests/test_reference_streams.py).
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "micrograd/mersenne.hpp"

using micrograd::MT19937;
using micrograd::NumpyRandomState;
using micrograd::PythonRandom;

TEST(Mersenne, ReferenceOutputs) {
  // The C++ standard: the 10000th output of a default-constructed std::mt19937 is 4123659995.
  MT19937 a;
  std::uint32_t x = 0;
  for (int i = 0; i < 10000; ++i) x = a.next_u32();
  EXPECT_EQ(x, 4123659995u);
  std::mt19937 std_mt(1337);
  MT19937 b(1337);
  for (int i = 0; i < 2000; ++i) ASSERT_EQ(b.next_u32(), std_mt()) << i;
  // mt19937ar.out (Matsumoto and Nishimura): init_by_array({0x123, 0x234, 0x345, 0x456}).
  const std::vector<std::uint32_t> key{0x123, 0x234, 0x345, 0x456};
  MT19937 c;
  c.init_by_array(key);
  EXPECT_EQ(c.next_u32(), 1067595299u);
  EXPECT_EQ(c.next_u32(), 955945823u);
  EXPECT_EQ(c.next_u32(), 477289528u);
  EXPECT_EQ(c.next_u32(), 4107218783u);
  EXPECT_EQ(c.next_u32(), 4228976476u);
}

// random.Random(seed).getrandbits(32) x3, then random() x2, then uniform(-1, 1).
TEST(Mersenne, PythonRandom) {
  struct Case {
    std::uint64_t seed;
    std::uint32_t bits[3];
    double random[2], uniform;
  };
  const Case cases[] = {
      {0,
       {3626764237u, 1654615998u, 3255389356u},
       {0x1.c7ce0d1aeaa51p-1, 0x1.4ba5e50921780p-5},
       0x1.dca2d3c171732p-1},
      {1337,
       {2653228291u, 3975144315u, 2290358181u},
       {0x1.6b7563976a0f3p-1, 0x1.24575b657d8a3p-1},
       0x1.daebad2a6a7b4p-2},
      {4294967301u,  // two 32-bit words
       {675479763u, 2085189291u, 1213270837u},
       {0x1.c7a45ce6af5ffp-1, 0x1.abafc0c0edf3cp-1},
       -0x1.28d30e5f4a1a4p-2},
  };
  for (const Case& c : cases) {
    PythonRandom r(c.seed);
    for (std::uint32_t b : c.bits) EXPECT_EQ(r.engine().next_u32(), b) << c.seed;
    EXPECT_EQ(r.random(), c.random[0]) << c.seed;
    EXPECT_EQ(r.random(), c.random[1]) << c.seed;
    EXPECT_EQ(r.uniform(-1, 1), c.uniform) << c.seed;
  }
}

// np.random.RandomState(seed): random_sample(), normal(0, 0.1) x2 (the second is the cached
// value of the polar pair), standard_normal(), permutation(10).
TEST(Mersenne, NumpyRandomState) {
  struct Case {
    std::uint32_t seed;
    double sample, normal[2], standard;
    std::vector<std::size_t> perm;
  };
  const Case cases[] = {
      {0,
       0x1.18fe1565f12a8p-1,
       {0x1.2fc187b603b5bp-4, 0x1.3e0967274cd68p-3},
       -0x1.2258941855050p+1,
       {3, 1, 8, 7, 9, 0, 6, 4, 2, 5}},
      {1337,
       0x1.0c503247bf704p-2,
       {-0x1.94dd1dcaad91fp-5, -0x1.376885aa71bb8p-4},
       -0x1.f3c6d3e9a4456p+0,
       {5, 9, 3, 7, 0, 2, 6, 1, 8, 4}},
      {4294967295u,
       0x1.8fe69a3924820p-4,
       {0x1.0a6a75c7c9f67p-7, 0x1.4f9d32949a16ep-5},
       0x1.438a83ff956b5p-2,
       {3, 9, 2, 6, 8, 1, 7, 0, 4, 5}},
  };
  for (const Case& c : cases) {
    NumpyRandomState rs(c.seed);
    EXPECT_EQ(rs.random_sample(), c.sample) << c.seed;
    EXPECT_EQ(rs.normal(0.0, 0.1), c.normal[0]) << c.seed;
    EXPECT_EQ(rs.normal(0.0, 0.1), c.normal[1]) << c.seed;
    EXPECT_EQ(rs.standard_normal(), c.standard) << c.seed;
    EXPECT_EQ(rs.permutation(10), c.perm) << c.seed;
  }
  // np.random.RandomState(1337).get_state()[1][:3]: NumPy seeds by init_genrand.
  MT19937 m(1337);
  NumpyRandomState rs(1337);
  EXPECT_EQ(rs.engine().next_u32(), m.next_u32());
  // interval(): 0 for max 0, always within [0, max], 64-bit maxima too.
  EXPECT_EQ(rs.interval(0), 0u);
  for (std::uint64_t max : {1ull, 2ull, 7ull, 1000ull, 0xffffffffull, 0x100000000ull, ~0ull})
    for (int k = 0; k < 50; ++k) EXPECT_LE(rs.interval(max), max);
  EXPECT_TRUE(rs.permutation(0).empty());
  EXPECT_EQ(rs.permutation(1), std::vector<std::size_t>{0});
}
