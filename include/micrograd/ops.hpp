// ops.hpp: every primitive operation of the engine in one table, its forward value next to its
// local derivatives, like the lecture's `_backward` closures.
//
// A row reads: out = <forward>(a, b);  d out/d a = <da>;  d out/d b = <db>. Here `a` and `b` are
// the operands' data and `out` is the node's own data. The tape stores only these numbers; backward
// recomputes the local derivatives from them, exactly as micrograd's closures read `.data` at
// backward time. Derived ops (unary minus, -, /, reflected forms) are not here: they are one-line
// compositions of these primitives in value.hpp, the same compositions micrograd uses.
#pragma once

#include <cmath>
#include <cstdint>

namespace micrograd {

namespace detail {
// d(a**b)/db = a**b * log(a), with PyTorch's convention that it is 0 where a == 0 and b >= 0.
inline double pow_exponent_partial(double a, double b, double out) {
  return (a == 0.0 && b >= 0.0) ? 0.0 : out * std::log(a);
}
// d(a**b)/da = b * a**(b-1), with PyTorch's convention that it is 0 where b == 0 (a**0 is the
// constant 1; the formula would give 0 * 0**-1 = nan at a = 0, and micrograd raises there).
inline double pow_base_partial(double a, double b) {
  return b == 0.0 ? 0.0 : b * std::pow(a, b - 1.0);
}
// tanh as the lecture writes it, (e^2a - 1)/(e^2a + 1), everywhere, so its numbers come out digit
// for digit (o = 0.7071067811865476 for the lecture's neuron; the C library's tanh gives ...477,
// and differs in the last bit for about half of all inputs). Like the lecture's, it loses
// relative accuracy near 0 (1e-7 at a = 1e-10). Past a ~ 355 the formula gives inf/inf: 1 there.
inline double lecture_tanh(double a) {
  const double e = std::exp(2.0 * a);
  return std::isinf(e) ? 1.0 : (e - 1.0) / (e + 1.0);
}
}  // namespace detail

// clang-format off
#define MICROGRAD_OPS(X)                                                                            \
  /* name      symbol     arity  out = ...                     d out/d a                d out/d b */ \
  X(Leaf,      "",        0,     0.0,                          0.0,                     0.0)        \
  X(Add,       "+",       2,     a + b,                        1.0,                     1.0)        \
  X(Mul,       "*",       2,     a * b,                        b,                       a)          \
  X(Pow,       "**",      2,     std::pow(a, b),               detail::pow_base_partial(a, b),      \
                                                                 detail::pow_exponent_partial(a, b, out)) \
  /* a ** c for a constant c: operand b is a constant leaf holding c, not a child in the graph */  \
  X(PowConst,  "**",      1,     std::pow(a, b),       detail::pow_base_partial(a, b), 0.0)       \
  X(Exp,       "exp",     1,     std::exp(a),                  out,                     0.0)        \
  X(Log,       "log",     1,     std::log(a),                  1.0 / a,                 0.0)        \
  X(Tanh,      "tanh",    1,     detail::lecture_tanh(a),      1.0 - out * out,         0.0)        \
  X(Relu,      "ReLU",    1,     a < 0.0 ? 0.0 : a,            out > 0.0 ? 1.0 : 0.0,   0.0)        \
  X(Sigmoid,   "sigmoid", 1,     1.0 / (1.0 + std::exp(-a)),   out * (1.0 - out),       0.0)        \
  /* n-ary (arity -1): out = b + w0*x0 + w1*x1 + ..., added left to right like micrograd's Neuron; */ \
  /* d out/d b = 1, d out/d w_k = x_k, d out/d x_k = w_k. Written out by hand in tape.cpp        */ \
  /* (push_linear, for_each_local_derivative): one node instead of 2n+1, same numbers (linear()). */ \
  X(Linear,    "linear",  -1,    0.0,                          0.0,                     0.0)        \
  /* A dense layer's neuron (arity -1): out = act(b + w0*x0 + w1*x1 + ...), the sum exactly as  */ \
  /* Linear's; w0.., b and x0.. are runs of consecutive nodes, so forward and backward are     */ \
  /* contiguous loops (push_dense, sweep). d out/d x_k = up * w_k, d out/d w_k = up * x_k and    */ \
  /* d out/d b = up, where up = d act/d pre = the matching row above (Relu, Tanh) or 1.          */ \
  X(Dense,     "linear",  -1,    0.0,                          0.0,                     0.0)        \
  X(DenseReLU, "ReLU(linear)", -1, 0.0,                        0.0,                     0.0)        \
  X(DenseTanh, "tanh(linear)", -1, 0.0,                        0.0,                     0.0)        \
  /* A user-defined op (arity -1, value.hpp's custom()): its value and its local derivatives     */ \
  /* d out/d child_k are given when it is made and stored with it; backward adds                 */ \
  /* up * partial_k to child k, for k = 0, 1, ... (micrograd's order: self, then other).        */ \
  X(Custom,    "custom",  -1,    0.0,                          0.0,                     0.0)        \
  /* A node whose backward is a callback (Python's `out._backward = f`): Tape::set_backward_hook */ \
  /* runs it at the node's turn; with no callback it passes nothing (micrograd's lambda: None).  */ \
  X(Hook,      "hook",    -1,    0.0,                          0.0,                     0.0)
// clang-format on

enum class Op : std::uint8_t {
#define MICROGRAD_OP_ENUM(name, symbol, arity, forward, da, db) name,
  MICROGRAD_OPS(MICROGRAD_OP_ENUM)
#undef MICROGRAD_OP_ENUM
      Count
};

// Printing and drawing only: the backward loop never needs these tables.
inline constexpr const char* kOpSymbol[] = {
#define MICROGRAD_OP_SYMBOL(name, symbol, arity, forward, da, db) symbol,
    MICROGRAD_OPS(MICROGRAD_OP_SYMBOL)
#undef MICROGRAD_OP_SYMBOL
};
inline constexpr int kOpArity[] = {
#define MICROGRAD_OP_ARITY(name, symbol, arity, forward, da, db) arity,
    MICROGRAD_OPS(MICROGRAD_OP_ARITY)
#undef MICROGRAD_OP_ARITY
};
inline constexpr const char* kOpName[] = {
#define MICROGRAD_OP_NAME(name, symbol, arity, forward, da, db) #name,
    MICROGRAD_OPS(MICROGRAD_OP_NAME)
#undef MICROGRAD_OP_NAME
};
static_assert(sizeof(kOpSymbol) / sizeof(kOpSymbol[0]) == static_cast<int>(Op::Count));
static_assert(sizeof(kOpArity) / sizeof(kOpArity[0]) == static_cast<int>(Op::Count));

constexpr int arity(Op op) { return kOpArity[static_cast<int>(op)]; }
constexpr const char* symbol(Op op) { return kOpSymbol[static_cast<int>(op)]; }
constexpr const char* name(Op op) { return kOpName[static_cast<int>(op)]; }
// Ops whose operands are a list (Linear) or runs of consecutive nodes (Dense*), not a and b.
// (They are the table's last rows: one comparison, checked below.)
constexpr bool is_nary(Op op) { return op >= Op::Linear; }
static_assert([] {
  for (int k = 0; k < static_cast<int>(Op::Count); ++k)
    if ((kOpArity[k] < 0) != (k >= static_cast<int>(Op::Linear))) return false;
  return true;
}());
constexpr bool is_dense(Op op) {
  return op == Op::Dense || op == Op::DenseReLU || op == Op::DenseTanh;
}
// Ops that stand for several of micrograd's nodes (a neuron's hidden `*` and `+` nodes): their
// hidden nodes' grads are not stored, so micrograd's accumulate-everywhere semantics cannot run a
// second backward through them (Tape::backward raises instead).
constexpr bool is_fused(Op op) { return op == Op::Linear || is_dense(op); }
// Ops whose operands are a list of children (links: op name, children, ...).
constexpr bool is_user_op(Op op) { return op == Op::Custom || op == Op::Hook; }

namespace detail {

// The forward value of `op`; `op` is a template argument, so the switch folds away.
template <Op op>
inline double forward(double a, double b) {
  [[maybe_unused]] const double out = 0.0;
  switch (op) {
#define MICROGRAD_OP_FORWARD(name, symbol, arity, forward, da, db) \
  case Op::name:                                                   \
    return forward;
    MICROGRAD_OPS(MICROGRAD_OP_FORWARD)
#undef MICROGRAD_OP_FORWARD
    case Op::Count:
      break;
  }
  return 0.0;
}

// d out/d a of `op` (the table's third column); the switch folds away like forward's.
template <Op op>
inline double derivative_a([[maybe_unused]] double a, [[maybe_unused]] double b,
                           [[maybe_unused]] double out) {
  switch (op) {
#define MICROGRAD_OP_DA(name, symbol, arity, forward, da, db) \
  case Op::name:                                              \
    return da;
    MICROGRAD_OPS(MICROGRAD_OP_DA)
#undef MICROGRAD_OP_DA
    case Op::Count:
      break;
  }
  return 0.0;
}

// A dense node's activation, from the Relu and Tanh rows of the table: out from the pre-activation
// sum, and d out/d sum from out alone (both rows need only out), so the numbers are the separate
// nodes' numbers.
template <Op op>
inline double dense_activation(double pre) {
  if constexpr (op == Op::DenseReLU) return forward<Op::Relu>(pre, pre);
  if constexpr (op == Op::DenseTanh) return forward<Op::Tanh>(pre, pre);
  return pre;
}
inline double dense_activation_partial(Op op, double out) {
  if (op == Op::DenseReLU) return derivative_a<Op::Relu>(0.0, 0.0, out);
  if (op == Op::DenseTanh) return derivative_a<Op::Tanh>(0.0, 0.0, out);
  return 1.0;
}

}  // namespace detail
}  // namespace micrograd
