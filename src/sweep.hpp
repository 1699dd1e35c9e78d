// sweep.hpp (internal to src/, not installed): backward's reverse loop, Tape::sweep, and the
// helpers it shares with tape.cpp. Its instances are compiled in sweep.cpp alone: in tape.cpp the
// compiler's inlining and layout of the loop changed with unrelated edits elsewhere in the file
// (backward 8-30 % slower with the same instructions; adding the loops that skip zero runs made
// the plain loop's W2a backward 8-13 % slower there, and left it as fast as before here:
// docs/benchmarks.md, lever 6).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "micrograd/ops.hpp"
#include "micrograd/tape.hpp"

namespace micrograd {
namespace tape_detail {

inline bool bit(const std::vector<std::uint64_t>& bits, Tape::Index i) {
  return (bits[i >> 6] >> (i & 63)) & 1u;
}
inline void set_bit(std::vector<std::uint64_t>& bits, Tape::Index i) {
  bits[i >> 6] |= std::uint64_t{1} << (i & 63);
}

// Graphs of up to this many nodes below the root fit in the caches (3 MB of columns; W1's 65,481
// nodes): backward skips their runs of zero grads, and prefetches only in bigger ones.
constexpr Tape::Index kCachedNodes = Tape::Index{1} << 17;

// The built-in ops' local derivatives (the op table's rows), read from the data column `data`:
// f(operand, g, d out/d operand) for a then b. The sweep passes its own copies of the column
// pointers (its calls out of line could change members, so the compiler would reload them).
template <class F>
[[gnu::always_inline]] inline void primitive_local_derivatives(const double* data, Tape::Index ia,
                                                               Tape::Index ib, Tape::Index i, Op op,
                                                               double g, F&& f) {
  switch (op) {
#define MICROGRAD_OP_BACKWARD(name, symbol, arity, forward, da, db)            \
  case Op::name:                                                               \
    if constexpr (arity >= 1) {                                                \
      [[maybe_unused]] const double a = data[ia], b = data[ib], out = data[i]; \
      f(ia, g, (da));                                                          \
      if constexpr (arity == 2) f(ib, g, (db));                                \
    }                                                                          \
    break;
    MICROGRAD_OPS(MICROGRAD_OP_BACKWARD)
#undef MICROGRAD_OP_BACKWARD
    case Op::Count:
      break;
  }
}

// The lowest node k >= lo such that nodes k..i all have grad 0 (i's own grad is 0): the run of
// zero grads the sweep may skip at once. Eight grads at a time (vectorized), then one by one.
[[gnu::noinline]] inline Tape::Index zero_run_bottom(const double* grad, Tape::Index i,
                                                     Tape::Index lo) {
  while (i >= lo + 8) {
    const double* p = grad + (i - 8);  // nodes i-8 .. i-1
    bool any = false;
    for (int k = 0; k < 8; ++k) any |= p[k] != 0.0;
    if (any) break;
    i -= 8;
  }
  while (i > lo && grad[i - 1] == 0.0) --i;
  return i;
}

}  // namespace tape_detail

template <bool kOnlyReached, bool kCheckFinite, bool kSkipRuns>
Tape::Index Tape::sweep(Index root, Index stop) {
  constexpr Index kAhead = 32;  // nodes ahead to prefetch: about a memory latency's worth of turns
  Index lowest = kMaxNodes;     // lowest non-leaf that passed a gradient on
  // Performance: in a chain, node i's gradient flows straight into node i-1, the next one visited.
  // Keeping that contribution in a register (`carry`) instead of storing and reloading it takes
  // the store-to-load forwarding latency off the critical path.
  // It is added last, exactly where the in-memory `+=` would have added it: same rounding.
  double carry = 0.0;
  Index frontier = root;  // lowest node that has received a gradient: nothing below needs a visit
  // The columns, held in registers: the calls out of line below could change members, so the
  // compiler would reload every pointer at every node (the columns never move).
  double* const grad = grad_;
  const double* const data = data_;
  const Op* const ops = op_;
  const Operands* const operands = operands_;
  auto flow = [&](Index i, Index operand, double contribution) {
    frontier = std::min(frontier, operand);
    if (operand + 1 == i) {
      if (carry != 0.0) grad[operand] += carry;  // a second contribution: keep the order exact
      carry = contribution;
    } else {
      grad[operand] += contribution;
    }
  };
  // Prefetch only in graphs bigger than the caches (below, the operands are in cache) whose
  // operands jump around.
  const bool prefetch =
      !kSkipRuns && root - stop > tape_detail::kCachedNodes && operands_jump(root);
  Index i = root + 1;
  while (i-- > stop && i >= frontier) {
    if constexpr (kOnlyReached) {
      if (!tape_detail::bit(reached_, i))
        continue;  // nothing flows into an unreached node: carry is 0
    }
    if (prefetch && i >= stop + kAhead) {
      // The grads and values of the operands of the node kAhead turns ahead: in a graph that
      // does not fit in the caches they are random nodes, a cache miss each.
      const Operands o = operands[i - kAhead];
      __builtin_prefetch(grad + o.a, 1);
      __builtin_prefetch(grad + o.b, 1);
      __builtin_prefetch(data + o.a, 0);
      __builtin_prefetch(data + o.b, 0);
    }
    double g = grad[i];
    if (carry != 0.0) {
      g += carry;
      grad[i] = g;
      carry = 0.0;
    }
    const Op op = ops[i];
    if constexpr (kOnlyReached) {  // callback nodes make backward take this path (see backward)
      if (op == Op::Hook) [[unlikely]] {  // user code: runs even at grad 0, like micrograd
        lowest = i;
        frontier = std::min(frontier, sweep_nary<kCheckFinite>(i, op, g));
        continue;
      }
    }
    if (g == 0.0 || op == Op::Leaf) [[unlikely]] {  // (a hint that keeps the block layout)
      if constexpr (kSkipRuns) {
        if (g == 0.0) i = tape_detail::zero_run_bottom(grad, i, std::max(stop, frontier));
      }
      continue;
    }
    lowest = i;
    if (is_nary(op)) [[unlikely]] {  // out of line: keeps this loop's registers for the chain
      if (!kCheckFinite && is_dense(op)) {  // a layer's neuron: two vectorized loops
        dense_backward(i, op, g);
        frontier = std::min({frontier, links_[operands_[i].a], links_[operands_[i].a + 1]});
      } else {
        frontier = std::min(frontier, sweep_nary<kCheckFinite>(i, op, g));
      }
      continue;
    }
    tape_detail::primitive_local_derivatives(data, operands[i].a, operands[i].b, i, op, g,
                                             [&](Index operand, double up, double partial) {
                                               const double contribution = up * partial;
                                               if constexpr (kCheckFinite) {
                                                 if (!std::isfinite(contribution))
                                                   throw_nonfinite_backward(i, operand, up,
                                                                            partial);
                                               }
                                               flow(i, operand, contribution);
                                             });
  }
  if (carry != 0.0) grad[i] += carry;  // the loop stopped above a leaf that is still owed this
  return lowest;
}

// The instances backward uses, compiled in sweep.cpp only (not where this header is included).
extern template Tape::Index Tape::sweep<false, false, false>(Index, Index);
extern template Tape::Index Tape::sweep<false, true, false>(Index, Index);
extern template Tape::Index Tape::sweep<true, false, false>(Index, Index);
extern template Tape::Index Tape::sweep<true, true, false>(Index, Index);
extern template Tape::Index Tape::sweep<false, false, true>(Index, Index);
extern template Tape::Index Tape::sweep<true, false, true>(Index, Index);

}  // namespace micrograd
