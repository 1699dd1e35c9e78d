// Tests for tape.hpp: memory reuse, stale handles, collection, threads, deep graphs, nan checks.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "common.hpp"
#include "micrograd/random.hpp"
#include "micrograd/tape.hpp"
#include "micrograd/value.hpp"

using micrograd::PinnedValue;
using micrograd::StaleValueError;
using micrograd::Tape;
using micrograd::TapeScope;
using micrograd::Value;

// collect() keeps only what pinned values reach: collect tests run on a new thread's empty tape.
using micrograd::testing::on_fresh_tape;

namespace {

TEST(Tape, NodesAreStoredInCreationOrder) {
  TapeScope scope;
  Value a(1.0), b(2.0);
  Value c = a * b;
  EXPECT_EQ(b.id(), a.id() + 1);
  EXPECT_EQ(c.id(), b.id() + 1);
  EXPECT_EQ(sizeof(Value), 16u);  // a small, trivially copyable handle
  EXPECT_TRUE(std::is_trivially_copyable_v<Value>);
}

// The layout property behind the hot loops' speed: data_[i], grad_[i] and operands_[i] (and the
// other columns) must never fall into the same cache set. Each pair of columns must differ, within
// a 4 KiB page, by at least two cache lines (so the same index lands in different sets of any cache
// indexed by address bits 6..11 and up, and no store aliases a load modulo 4 KiB, as on Intel) and
// in the page-number bits 12..15 (AMD's L1 way-predictor tag hashes bits 12..27). Columns placed
// back to back by the kernel had equal addresses modulo 2^31: this test fails for that layout.
void expect_columns_never_share_sets(const Tape& tape) {
  const auto columns = tape.column_bases();
  ASSERT_EQ(columns.size(), 5u);
  for (std::size_t p = 0; p < columns.size(); ++p)
    for (std::size_t q = p + 1; q < columns.size(); ++q) {
      const std::uintptr_t delta = columns[q].address - columns[p].address;  // mod 2^64
      const std::uintptr_t in_page = delta % 4096;
      SCOPED_TRACE(std::string(columns[p].name) + " vs " + columns[q].name);
      EXPECT_GE(in_page, 2u * 64u);
      EXPECT_LE(in_page, 4096u - 2u * 64u);
      EXPECT_NE((delta >> 12) % 16, 0u);
      EXPECT_NE(delta % (std::uintptr_t{1} << 31), 0u);
    }
  // The columns hold node i at base + i * entry_size: data, grad and operands move in step.
  EXPECT_EQ(columns[0].entry_size, 8u);
  EXPECT_EQ(columns[1].entry_size, 8u);
  EXPECT_EQ(columns[3].entry_size, 8u);
}

TEST(Tape, ColumnsNeverShareCacheSetsAtTheSameIndex) {
  expect_columns_never_share_sets(Tape::current());
  Value a(1.0), b(2.0);
  Value c = a * b;
  Tape& tape = Tape::current();
  // What the hot loops touch for node c: three addresses, three different L1 sets.
  const auto set = [](const void* p) { return (reinterpret_cast<std::uintptr_t>(p) >> 6) % 64; };
  EXPECT_NE(set(&tape.data(c.id())), set(&tape.grad(c.id())));
  // A tape made for a new thread (or revived from an ended one) has the same property.
  on_fresh_tape([] { expect_columns_never_share_sets(Tape::current()); });
  on_fresh_tape([] { expect_columns_never_share_sets(Tape::current()); });
}

TEST(Tape, ScopeRewindsAndReusesTheSameSlots) {
  Tape& tape = Tape::current();
  Value w(0.5, "w");  // a parameter, created before the loop
  const auto mark = tape.size();
  Value::Index first_id = 0;
  for (int step = 0; step < 3; ++step) {
    TapeScope scope;
    Value y = w * 3.0 + 1.0;
    y.backward();
    if (step == 0) first_id = y.id();
    EXPECT_EQ(y.id(), first_id);  // the same slots every step: steady state allocates nothing
    w.data() -= 0.1 * w.grad();
    w.grad() = 0.0;
  }
  EXPECT_EQ(tape.size(), mark);
  EXPECT_DOUBLE_EQ(w.data(), 0.5 - 3 * 0.3);
}

TEST(Tape, StaleHandleRaisesAClearError) {
  Value kept;
  {
    TapeScope scope;
    kept = Value(1.0) + 2.0;
  }
  Value reuse = Value(7.0) * 2.0;  // reuses the slot `kept` pointed at
  EXPECT_FALSE(kept.valid());
  EXPECT_THROW(kept.data(), StaleValueError);
  EXPECT_THROW(kept + 1.0, StaleValueError);
  EXPECT_THROW(kept.backward(), StaleValueError);
  try {
    (void)kept.grad();
    FAIL() << "expected StaleValueError";
  } catch (const StaleValueError& e) {
    EXPECT_NE(std::string(e.what()).find("reclaimed"), std::string::npos) << e.what();
  }
  EXPECT_EQ(reuse.data(), 14.0);
}

TEST(Tape, HandlesBelowTheMarkSurviveManyRewinds) {
  Value p(3.0);
  Value inner_old;
  for (int i = 0; i < 1000; ++i) {
    TapeScope outer;
    Value q = p * 2.0;
    {
      TapeScope inner;
      inner_old = q + 1.0;
    }
    EXPECT_TRUE(q.valid());
    EXPECT_FALSE(inner_old.valid());
    EXPECT_EQ(q.data(), 6.0);
  }
  EXPECT_TRUE(p.valid());
  EXPECT_EQ(p.data(), 3.0);
}

TEST(Tape, TenMillionNodeChainRunsForwardAndBackward) {
  TapeScope scope;
  Value x(1.0, "x");
  Value y = x;
  constexpr int kLinks = 5'000'000;  // 2 nodes per link: a constant leaf and an add
  for (int i = 0; i < kLinks; ++i) y = y + 1e-7;
  y.backward();
  EXPECT_GE(Tape::current().size(), 10'000'000u);
  EXPECT_NEAR(y.data(), 1.0 + kLinks * 1e-7, 1e-6);
  EXPECT_EQ(x.grad(), 1.0);
}

TEST(Tape, DeepTanhChainGradientIsTheProductOfLocalDerivatives) {
  TapeScope scope;
  Value x(0.3);
  Value y = x;
  double expected = 1.0, v = 0.3;
  for (int i = 0; i < 1'000'000; ++i) {
    y = tanh(y * 1.0 + 0.0);  // the W2a link shape; the product of derivatives decays ~ i^-1.5
    v = micrograd::detail::lecture_tanh(v * 1.0 + 0.0);  // the engine's (the lecture's) tanh
    expected *= (1 - v * v) * 1.0;
  }
  y.backward();
  EXPECT_EQ(y.data(), v);
  EXPECT_NEAR(x.grad(), expected, 1e-9 * std::fabs(expected));
}

TEST(Tape, CollectKeepsWhatPinnedValuesReachAndMovesIt) {
  on_fresh_tape([] {
    Tape& tape = Tape::current();
    TapeScope scope;
    Value a(2.0, "a");
    PinnedValue param(a);
    Value garbage = a * 100.0;  // unreachable from any pinned value after this line
    for (int i = 0; i < 100; ++i) garbage = garbage + 1.0;
    Value b(3.0, "b");
    PinnedValue result(a * b + 1.0);
    const auto before = tape.size();
    tape.collect();
    EXPECT_LT(tape.size(), before);
    EXPECT_EQ(param.get().id(), a.id());  // below the first dropped node: did not move
    EXPECT_TRUE(a.valid());               // unpinned handles below the first drop stay valid
    EXPECT_FALSE(garbage.valid());        // dropped
    EXPECT_FALSE(b.valid());              // moved, and not pinned: stale rather than wrong
    const Value& r = result.get();
    EXPECT_EQ(r.data(), 7.0);
    r.backward();
    EXPECT_EQ(a.grad(), 3.0);
    ASSERT_EQ(r.children().size(), 2u);
    Value ab = r.children()[0];
    EXPECT_EQ(ab.op_string(), "*");
    EXPECT_EQ(ab.children()[1].label(), "b");  // labels move with their nodes
    EXPECT_EQ(ab.children()[1].grad(), 2.0);
  });
}

TEST(Tape, CollectKeepsPowExponents) {
  on_fresh_tape([] {
    TapeScope scope;
    Value a(3.0);
    Value junk = a * 5.0;
    (void)junk;
    PinnedValue p(pow(a, 2.0));
    Tape::current().collect();
    EXPECT_EQ(p.get().op_string(), "**2");
    p.get().backward();
    EXPECT_EQ(a.grad(), 6.0);
  });
}

TEST(Tape, CollectBoundsTheTapeOfALoopThatNeverRewinds) {
  on_fresh_tape([] {
    Tape& tape = Tape::current();
    TapeScope scope;
    const auto base = tape.size();
    PinnedValue w(Value(0.5));
    std::size_t peak = 0;
    for (int step = 0; step < 200; ++step) {
      Value loss = Value(0.0);
      for (int i = 0; i < 2000; ++i) loss = loss + w.get() * w.get();
      PinnedValue keep(loss);  // like a Python variable holding this step's loss
      keep.get().backward();
      w.get().data() -= 1e-6 * w.get().grad();
      w.get().grad() = 0.0;
      tape.maybe_collect();  // the Python package calls this; unpinned handles may go stale
      peak = std::max<std::size_t>(peak, tape.size() - base);
    }
    EXPECT_LT(peak, 300'000u);  // ~6000 nodes a step: bounded, not 200 steps' worth (1.2 million)
    EXPECT_LT(w.get().data(), 0.5);
  });
}

TEST(Tape, ValuesFromAnotherThreadAreRefused) {
  Value here(1.0);
  std::string error;
  std::thread t([&] {
    try {
      Value there(2.0);
      (void)(there + here);
    } catch (const std::logic_error& e) {
      error = e.what();
    }
  });
  t.join();
  EXPECT_NE(error.find("another thread"), std::string::npos) << error;
}

TEST(Tape, EachThreadHasItsOwnTapeAndResultsAreIdentical) {
  auto work = [](double* out) {
    Value x(0.7);
    Value y = x;
    for (int i = 0; i < 10000; ++i) y = tanh(y * 1.01 + 0.01);
    y.backward();
    out[0] = y.data();
    out[1] = x.grad();
  };
  double a[2], b[2], c[2];
  std::thread t1(work, a), t2(work, b);
  t1.join();
  t2.join();
  work(c);
  EXPECT_EQ(a[0], c[0]);
  EXPECT_EQ(a[1], c[1]);
  EXPECT_EQ(b[0], c[0]);
  EXPECT_EQ(b[1], c[1]);
}

TEST(Tape, ValueOutlivingItsThreadRaisesInsteadOfDangling) {
  Value from_dead_thread;
  std::thread t([&] { from_dead_thread = Value(5.0); });
  t.join();
  EXPECT_FALSE(from_dead_thread.valid());
  EXPECT_THROW(from_dead_thread.data(), StaleValueError);
}

TEST(Tape, DetectAnomalyNamesTheOpAndLabelsInForward) {
  TapeScope scope;
  micrograd::set_detect_anomaly(true);
  Value x(-1.0, "x");
  try {
    (void)log(x);
    FAIL() << "expected NonFiniteError";
  } catch (const micrograd::NonFiniteError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("log"), std::string::npos) << what;
    EXPECT_NE(what.find("'x'"), std::string::npos) << what;
    EXPECT_NE(what.find("nan"), std::string::npos) << what;
  }
  micrograd::set_detect_anomaly(false);
  EXPECT_TRUE(std::isnan(log(x).data()));  // off again: IEEE as usual
}

TEST(Tape, DetectAnomalyCatchesNonFiniteGradientsInBackward) {
  TapeScope scope;
  Value x(0.0, "x");
  Value y = pow(x, 0.5);  // finite forward (0), infinite derivative at 0
  y.set_label("y");
  micrograd::set_detect_anomaly(true);
  try {
    y.backward();
    FAIL() << "expected NonFiniteError";
  } catch (const micrograd::NonFiniteError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'x'"), std::string::npos) << what;
    EXPECT_NE(what.find("**0.5"), std::string::npos) << what;
    EXPECT_NE(what.find("inf"), std::string::npos) << what;
  }
  micrograd::set_detect_anomaly(false);
}

TEST(Tape, ReleaseUnusedGivesMemoryBackAndTheTapeStillWorks) {
  Tape& tape = Tape::current();
  {
    TapeScope scope;
    Value y(0.0);
    for (int i = 0; i < 2'000'000; ++i) y = y + 1.0;
  }
  tape.release_unused();
  TapeScope scope;
  Value y(0.0);
  for (int i = 0; i < 2'000'000; ++i) y = y + 1.0;
  EXPECT_EQ(y.data(), 2'000'000.0);
}

TEST(Tape, RepeatedRunsAreBitIdentical) {
  auto run = [] {
    TapeScope scope;
    Value a(0.3), b(-1.7);
    Value s = a;
    for (int i = 0; i < 1000; ++i) s = sigmoid(s * b + exp(a * 0.001)) + relu(s - 0.5);
    s.backward();
    return std::array<double, 3>{s.data(), a.grad(), b.grad()};
  };
  EXPECT_EQ(run(), run());
}

}  // namespace

namespace {

TEST(Tape, SmallBackwardAboveABigGraphIsRightAndStopsEarly) {
  TapeScope scope;
  Value x(3.0, "x");
  Value big = x;
  for (int i = 0; i < 1'000'000; ++i) big = big * 1.0 + 0.0;  // unrelated, kept alive
  Value y = x * x;  // reaches back past a million nodes to x
  y.backward();
  EXPECT_EQ(x.grad(), 6.0);
  EXPECT_EQ(big.grad(), 0.0);  // untouched
  Value z(2.0);
  Value w = z * z;  // operands right below: the register carry ends in a leaf
  w.backward();
  EXPECT_EQ(z.grad(), 4.0);
}

// Backward stops above the leaves at the bottom of the tape (parameters), found from the last
// backward's answer up: after a rewind or a collect below it, ops made lower down are found.
TEST(Tape, BackwardFindsTheLowestOpAgainAfterRewindsAndCollects) {
  on_fresh_tape([] {
    Tape& tape = Tape::current();
    Value a(2.0), b(3.0);
    const auto mark = tape.mark();
    {
      TapeScope scope;
      Value c(5.0), d(7.0), e(1.0);  // more leaves: the lowest op is above them
      Value y = c * d + a * b;
      y.backward();
      EXPECT_EQ(a.grad(), 3.0);
      EXPECT_EQ(d.grad(), 5.0);
    }
    // Ops from the mark up, the root above where the last backward found the lowest op.
    a.grad() = b.grad() = 0.0;
    {
      TapeScope scope;
      Value y = a * b;
      ASSERT_EQ(y.id(), mark);
      Value u = y * y * a;  // a^3 b^2
      u.backward();
      EXPECT_EQ(a.grad(), 3 * 4.0 * 9.0);
      EXPECT_EQ(b.grad(), 2 * 8.0 * 3.0);
    }
    // A collect slides ops down below where the last backward found the lowest op.
    a.grad() = b.grad() = 0.0;
    std::vector<Value> dropped;
    for (int k = 0; k < 5; ++k) dropped.emplace_back(1.0);
    Value t = dropped[0] * dropped[1];
    t.backward();                                // the lowest op: above five leaves
    micrograd::PinnedValue keep(a * b * b * a);  // a^2 b^2
    tape.collect();  // drops the five leaves and t, slides the three ops down to the mark
    EXPECT_EQ(keep.get().id(), mark + 2);
    keep.get().backward();
    EXPECT_EQ(a.grad(), 2 * 2.0 * 9.0);
    EXPECT_EQ(b.grad(), 2 * 4.0 * 3.0);
  });
}

}  // namespace

namespace {

// A graph that fits in the caches skips runs of nodes with grad 0 eight at a time (backward's
// fast loop); set_detect_anomaly takes the plain loop, node by node. Both must give every node
// the same grad, bit for bit, on the fresh path and on the marked one (a second backward).
TEST(Tape, SkippingRunsOfZeroGradsGivesThePlainLoopsNumbers) {
  struct Run {
    std::vector<double> first, second;  // every node's grad after one backward, then after two
    std::size_t zeros = 0;              // nodes still at grad 0 after the first
  };
  auto run = [](bool plain) {
    TapeScope scope;
    const Tape::Index first = Tape::current().mark();
    micrograd::Rng rng(7);
    std::vector<Value> x;
    for (int k = 0; k < 6; ++k) x.emplace_back(rng.uniform(-1.0, 1.0));
    // Layers of ReLU neurons, most of them off (biases pushed down), with constants (leaves that
    // get grads) made in between, so runs of zeros of every length and interruptions occur.
    for (int layer = 0; layer < 6; ++layer) {
      std::vector<Value> next;
      for (int j = 0; j < 12; ++j) {
        Value act(-0.6 + 0.05 * j);
        for (const Value& xi : x)  // a random subset of the inputs: runs of every length
          if (rng.uniform() < 0.7) act = act + Value(rng.uniform(-1.0, 1.0)) * xi;
        next.push_back(act.relu());
      }
      x = next;
    }
    Value out(0.0);
    for (const Value& xi : x) out = out + xi * 2.0;
    // A chain whose links are separated by runs of 0 to 40 nodes the root does not reach (grad
    // 0): every length, so a live node sits at every place of an eight-node block below a run.
    Value chain = x[0];
    for (int length = 0; length <= 40; ++length) {
      const Value h = chain * 1.5;  // live: a run of zeros lands right above it
      Value dead = h;
      for (int k = 0; k < length / 2; ++k) dead = dead + 1.0;  // two nodes: a leaf and a +
      if (length % 2 == 1) dead = dead * dead;
      chain = h.tanh();
    }
    out = out + chain;
    Tape& tape = Tape::current();
    micrograd::set_detect_anomaly(plain);
    out.backward();
    Run r;
    for (Tape::Index i = first; i <= out.id(); ++i) r.first.push_back(tape.grad(i));
    out.backward();  // micrograd's semantics: a second pass adds (the marked loop)
    micrograd::set_detect_anomaly(false);
    for (Tape::Index i = first; i <= out.id(); ++i) r.second.push_back(tape.grad(i));
    for (double g : r.first) r.zeros += g == 0.0;
    return r;
  };
  const Run fast = run(false), plain = run(true);
  ASSERT_EQ(fast.first.size(), plain.first.size());
  EXPECT_GT(fast.zeros, fast.first.size() / 2);  // the runs are there to skip
  EXPECT_EQ(fast.zeros, plain.zeros);
  for (std::size_t k = 0; k < fast.first.size(); ++k) {
    EXPECT_EQ(std::bit_cast<std::uint64_t>(fast.first[k]),
              std::bit_cast<std::uint64_t>(plain.first[k]))
        << k;
    EXPECT_EQ(std::bit_cast<std::uint64_t>(fast.second[k]),
              std::bit_cast<std::uint64_t>(plain.second[k]))
        << k;
  }
}

// push() does not write a new node's grad: every node a rewind or a collect drops gets grad 0
// back, so the slots above the tape's end hold 0 (the unused ones are fresh pages).
TEST(Tape, NodesInReusedSlotsStartWithGradZero) {
  on_fresh_tape([] {
    Tape& tape = Tape::current();
    Value a(2.0), b(3.0);
    const auto mark = tape.mark();
    {
      TapeScope scope;
      Value y = (a * b + a) * b;  // every node of the scope gets a non-zero grad
      y.backward();
      EXPECT_EQ(y.grad(), 1.0);
    }
    {
      TapeScope scope;  // the same slots again, through every kind of push
      Value leaf(1.0), sum = a + b, prod = a * b, t = tanh(a), p = pow(a, 2.0);
      ASSERT_EQ(leaf.id(), mark);
      for (const Value& v : {leaf, sum, prod, t, p}) EXPECT_EQ(v.grad(), 0.0) << v.id();
      EXPECT_EQ(linear({a}, {b}, a).grad(), 0.0);
      EXPECT_EQ(micrograd::custom("f", 1.0, {a}, {2.0}).grad(), 0.0);
    }
    // A collect drops unreached nodes with grads and slides the kept ones down.
    std::vector<Value> dropped;
    for (int k = 0; k < 4; ++k) dropped.push_back(a * b + static_cast<double>(k));
    Value z = dropped[0] * dropped[1] * dropped[2] * dropped[3];
    z.backward();
    micrograd::PinnedValue keep(a + b);
    const Tape::Index end = tape.size();
    tape.collect();
    ASSERT_LT(tape.size(), end);
    for (Tape::Index k = tape.size(); k < end; ++k) {  // every slot the collect freed, reused
      Value fresh(0.5);
      EXPECT_EQ(fresh.grad(), 0.0) << fresh.id();
    }
  });
}

// A scope rewinds operand lists without scanning the tape; a rewind below its mark inside it (or a
// collect) makes it scan instead, so a Linear node made below the mark keeps its operand list.
TEST(Tape, ScopeKeepsTheOperandListsOfNodesBelowItsMark) {
  on_fresh_tape([] {
    Tape& tape = Tape::current();
    std::vector<Value> pad(20);
    for (Value& v : pad) v = Value(0.0);  // nodes 0..19; no operand lists yet
    Value y;
    {
      TapeScope scope;  // mark 20, no lists in use
      tape.rewind(10);  // below the mark
      std::vector<Value> w{Value(2.0)}, x{Value(3.0)};
      y = micrograd::linear(w, x, Value(1.0));  // node 13, below the mark: it stays
      for (int k = 0; k < 10; ++k) Value(0.0);  // up to node 23: the scope drops 20..23
    }
    ASSERT_TRUE(y.valid());
    std::vector<Value> a{Value(5.0)}, c{Value(7.0)};
    const Value z = micrograd::linear(a, c, Value(0.5));  // must not reuse y's list
    EXPECT_EQ(z.data(), 35.5);
    ASSERT_EQ(y.children().size(), 3u);
    EXPECT_EQ(y.children()[0].data(), 1.0);  // y's own b, w, x
    EXPECT_EQ(y.children()[1].data(), 2.0);
    EXPECT_EQ(y.children()[2].data(), 3.0);
    y.backward();
    EXPECT_EQ(y.children()[1].grad(), 3.0);
  });
}

}  // namespace

// 2^32 rewinds used to end the process (the scope's destructor threw on generation overflow).
// The numbering wraps instead: parameters stay live, recent stale handles stay stale.
TEST(Tape, GenerationsWrapAroundWithoutEndingTheProgram) {
  on_fresh_tape([] {
    Tape& tape = Tape::current();
    Value p(2.0);
    { TapeScope warm_up; }
    Value q(5.0);  // made after a rewind: a generation of its own, live all along
    tape.skip_generations_for_testing(UINT32_MAX - 5);
    std::vector<Value> stale;
    for (int step = 0; step < 12; ++step) {  // crosses the wrap
      TapeScope scope;
      Value loss = p * 3.0 + 1.0;
      loss.backward();
      stale.push_back(loss);
    }
    EXPECT_LT(tape.generation(), 10u);  // wrapped
    EXPECT_EQ(p.data(), 2.0);           // made before the loop: live
    EXPECT_EQ(p.grad(), 12 * 3.0);
    EXPECT_EQ(q.data(), 5.0);
    for (const Value& v : stale) EXPECT_THROW(v.data(), micrograd::StaleValueError);
  });
}

// A handle of the current generation passes its check with one comparison (the tape only grows
// within a generation). After the numbering wraps, a stale handle from before the wrap can carry
// the current number again: it must still be refused, not read past the tape's end.
TEST(Tape, AfterTheWrapAStaleHandleWithTheCurrentNumberIsRefused) {
  on_fresh_tape([] {
    Tape& tape = Tape::current();
    Value p(2.0);
    {
      TapeScope first;
      (void)(p * 2.0);
    }  // a cut: a new generation from here
    const std::uint32_t g = tape.generation();
    ASSERT_LT(g, 1000u);
    Value stale;
    {
      TapeScope scope;
      Value x = p;
      for (int k = 0; k < 5000; ++k) x = x * 1.0;
      stale = x;  // generation g, index above 10,000
    }
    tape.skip_generations_for_testing(UINT32_MAX - 3);
    int steps = 0;
    for (; tape.generation() != g; ++steps) {  // the numbering wraps to 1 and reaches g again
      ASSERT_LT(steps, 1005);
      TapeScope scope;
      Value loss = p * 3.0;
      loss.backward();
    }
    EXPECT_LT(tape.size(), 10u);
    EXPECT_THROW((void)stale.data(), micrograd::StaleValueError);
    EXPECT_THROW((void)(stale + p), micrograd::StaleValueError);
    EXPECT_THROW((void)(p + stale), micrograd::StaleValueError);
    Value fresh = p * 5.0;  // a handle of the (wrapped) current generation
    EXPECT_EQ(fresh.data(), 10.0);
    fresh.backward();
    EXPECT_EQ(steps, static_cast<int>(g) + 2);
    EXPECT_EQ(p.grad(), 3.0 * steps + 5.0);
  });
}

// A Value is used only on the thread that made it: reading, writing, labelling and backward from
// another thread are refused with a clear error (two threads' backward on one graph used to give
// wrong gradients silently). Run under ThreadSanitizer too (docs/testing.md): no data race.
TEST(Tape, AnotherThreadCanNeitherReadNorWriteNorBackward) {
  Value x(3.0, "x");
  Value z = x * x * 2.0;
  std::vector<std::string> errors;
  std::thread t([&] {
    auto refused = [&](auto&& use) {
      try {
        use();
        errors.push_back("not refused");
      } catch (const std::logic_error& e) {
        errors.push_back(e.what());
      }
    };
    refused([&] { (void)x.data(); });
    refused([&] { x.grad() = 1.0; });
    refused([&] { x.set_label("y"); });
    refused([&] { (void)x.label(); });
    refused([&] { z.backward(); });
    refused([&] { (void)z.children(); });
  });
  z.backward();  // the owner, at the same time
  t.join();
  ASSERT_EQ(errors.size(), 6u);
  for (const std::string& e : errors) EXPECT_NE(e.find("another thread"), std::string::npos) << e;
  EXPECT_EQ(x.grad(), 12.0);
  EXPECT_EQ(x.label(), "x");
}
