// value.hpp: Value, micrograd's scalar with a gradient, as a small handle to a node on the tape.
//
// Every op of the lecture is here. The primitives (+, *, **, exp, log, tanh, relu, sigmoid) record
// one node each; their forward values and local derivatives sit side by side in ops.hpp. The
// derived ops are the same one-line compositions micrograd uses, so graphs, node counts and every
// rounding step match micrograd: -a is a*(-1), a-b is a+(-b), a/b is a*b**-1, and a plain number
// mixed into an expression becomes a leaf node.
// Not here: storage and backward (tape.hpp), neural-net pieces (nn.hpp).
#pragma once

#include <cmath>
#include <initializer_list>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "micrograd/tape.hpp"

namespace micrograd {

class Value {
 public:
  using Index = Tape::Index;

  // An empty handle: using it raises std::logic_error. Exists so Values fit in containers.
  Value() = default;
  // A leaf on this thread's tape, like micrograd's Value(data). Implicit, as in `a * 2.0`.
  Value(double data) : Value(Tape::current(), Tape::current().push_leaf(data)) {}  // NOLINT
  Value(double data, std::string label) : Value(data) { set_label(std::move(label)); }

  // ---- the node's numbers (references into the tape: `p.data() -= lr * p.grad()`)
  double& data() const { return checked().data(index_); }
  double& grad() const {
    Tape& t = checked();
    t.note_grad_written(index_);
    return t.grad(index_);
  }

  // ---- what made it
  const std::string& label() const { return checked().label(index_); }
  void set_label(std::string label) const { checked().set_label(index_, std::move(label)); }
  Op op() const { return checked().op(index_); }
  std::string op_string() const { return checked().op_string(index_); }  // micrograd's `_op`
  bool is_leaf() const { return op() == Op::Leaf; }
  std::vector<Value> children() const;  // micrograd's `_prev`, in operand order
  Index id() const { return index_; }   // stable node index (graphs, golden files)
  Tape& tape() const { return checked(); }
  // The node k places after this one on the tape (a dense() layer's outputs are consecutive).
  // Throws std::out_of_range if there is no such node.
  Value offset(Index k) const;
  // True if the handle can be used here: it names a live node of this thread's tape.
  bool valid() const {
    return tape_ != nullptr && tape_ == detail::this_thread_tape &&
           tape_->is_live(index_, generation_);
  }

  // ---- gradients
  void backward() const { checked().backward(index_); }
  void backward_one() const { checked().backward_one(index_); }  // the lecture's `_backward()`

  // ---- micrograd's method spellings
  Value exp() const;
  Value log() const;
  Value tanh() const;
  Value relu() const;
  Value sigmoid() const;

  // Records `op` with operands a and b (b == a for unary ops) on a's tape. Checks both handles.
  template <Op op>
  static Value apply(const Value& a, const Value& b) {
    Tape& t = a.checked();
    b.check_same_tape(t);
    const double out = detail::forward<op>(t.data(a.index_), t.data(b.index_));
    return Value(t, t.push(op, out, a.index_, b.index_));
  }
  // The same for a unary op (its operand is checked once).
  template <Op op>
  static Value apply(const Value& a) {
    Tape& t = a.checked();
    const double x = t.data(a.index_);
    return Value(t, t.push(op, detail::forward<op>(x, x), a.index_, a.index_));
  }

 private:
  Value(Tape& tape, Index index) : tape_(&tape), index_(index), generation_(tape.generation()) {}
  friend class PinnedValue;
  friend class Tape;
  friend Value linear(const std::vector<Value>& w, const std::vector<Value>& x, const Value& b);
  friend Value dense(Op act, const Value& params, Index nout, const Value& x, Index nin);
  friend Value custom(std::string_view op, double out, std::span<const Value> children,
                      std::span<const double> partials);
  friend Value hook_node(std::string_view op, double out, std::span<const Value> children);
  friend bool consecutive(const Value* v, std::size_t n);
  friend struct ColumnRun leaf_run(const std::vector<Value>& v);
  friend class LeafRunCache;

  // The handle's tape if the node is live and the tape is this thread's: a Value is used only on
  // the thread that made it (reading, writing, labelling, backward), so no tape is ever touched
  // by two threads.
  Tape& checked() const {
    if (tape_ != detail::this_thread_tape || tape_ == nullptr ||
        !tape_->is_live(index_, generation_)) [[unlikely]]
      throw_unusable(*this);
    return *tape_;
  }
  // t: what checked() returned for another handle (this thread's tape), so one comparison
  // replaces the thread check.
  void check_same_tape(Tape& t) const {
    if (tape_ != &t || !t.is_live(index_, generation_)) [[unlikely]]
      throw_unusable(*this);
  }
  // The errors, given the handle by value: an op's temporary results then never need an address
  // (a member function would take one), so the compiler keeps them in registers and can hand a
  // result's value straight to the next op.
  [[noreturn]] static void throw_unusable(Value v);
  [[noreturn]] static void throw_foreign_thread();

  Tape* tape_ = nullptr;
  Index index_ = 0;
  std::uint32_t generation_ = 0;  // the tape's generation when the handle was made
};

// ---- primitives (one node each; forward and derivative in ops.hpp)
inline Value operator+(const Value& a, const Value& b) { return Value::apply<Op::Add>(a, b); }
inline Value operator*(const Value& a, const Value& b) { return Value::apply<Op::Mul>(a, b); }
inline Value pow(const Value& a, const Value& b) { return Value::apply<Op::Pow>(a, b); }
inline Value pow(const Value& a, double c) { return Value::apply<Op::PowConst>(a, Value(c)); }
inline Value exp(const Value& a) { return Value::apply<Op::Exp>(a); }
inline Value log(const Value& a) { return Value::apply<Op::Log>(a); }
inline Value tanh(const Value& a) { return Value::apply<Op::Tanh>(a); }
inline Value relu(const Value& a) { return Value::apply<Op::Relu>(a); }
inline Value sigmoid(const Value& a) { return Value::apply<Op::Sigmoid>(a); }

// ---- your own ops
// A user-defined op: one node whose value is `out` and whose local derivatives are
// d out/d children[k] = partials[k], given together, like a row of ops.hpp:
//   Value my_tanh(const Value& x) {             // the lecture's tanh, written by hand
//     const double t = std::tanh(x.data());
//     return custom("tanh", t, {x}, {1 - t * t});  // forward value, then d out/d x
//   }
// backward adds upstream * partials[k] to child k's grad, for k = 0, 1, ... (micrograd's order,
// self then other). `op` is the node's `_op` (printing, drawing). It mixes with the built-in ops in
// one graph both ways. Throws std::invalid_argument if the sizes differ, the usual errors for a
// stale or foreign child.
Value custom(std::string_view op, double out, std::span<const Value> children,
             std::span<const double> partials);
inline Value custom(std::string_view op, double out, std::initializer_list<Value> children,
                    std::initializer_list<double> partials) {
  return custom(op, out, std::span<const Value>(children.begin(), children.size()),
                std::span<const double>(partials.begin(), partials.size()));
}
// A node whose backward is a callback: the tape's BackwardHook runs at its turn (how Python's
// `out._backward = f` works; see Tape::set_backward_hook). Children as for custom().
Value hook_node(std::string_view op, double out, std::span<const Value> children);

// One node for a neuron's pre-activation: b + w[0]*x[0] + w[1]*x[1] + ..., multiplied and added
// left to right exactly like micrograd's `sum((wi*xi for ...), self.b)`, so data and every
// gradient equal the 2n+1-node scalar graph bit for bit, in one node with 2n+1 children.
// Throws std::invalid_argument if w and x differ in length.
Value linear(const std::vector<Value>& w, const std::vector<Value>& x, const Value& b);

// A dense layer in one call, one node per neuron: out_j = act(b_j + w_j0*x_0 + w_j1*x_1 + ...),
// with the data and gradients of micrograd's node-by-node graph bit for bit, computed by
// contiguous (vectorizable) loops. `params` is the first of the layer's nout*(nin+1) parameters,
// consecutive nodes in micrograd's order (neuron by neuron: w_j0 .. w_j{nin-1}, b_j), `x` the first
// of nin consecutive inputs; act is Op::Dense (none), Op::DenseReLU or Op::DenseTanh. Returns
// output 0; output j is `.offset(j)`. Throws std::invalid_argument if a run is not on the tape,
// the runs overlap or act is another op.
Value dense(Op act, const Value& params, Value::Index nout, const Value& x, Value::Index nin);
// True if v[0], ..., v[n-1] are live handles to consecutive nodes of one tape (a dense() run).
bool consecutive(const Value* v, std::size_t n);
// The data and grad columns of v[0..n) when they are consecutive leaves of this thread's tape
// (an MLP's parameters): {&v[0].data(), &v[0].grad()}, so an optimizer updates them in one
// contiguous loop with the same arithmetic. {nullptr, nullptr} otherwise.
struct ColumnRun {
  double* data;
  double* grad;
};
ColumnRun leaf_run(const std::vector<Value>& v);
// leaf_run for a vector its owner does not change in place (an optimizer's or ParallelGradient's
// own copy of the parameters), asked every step: leaf_run's full check (every handle) once, then
// only that the first and the last handle are still live on this thread's tape (one generation:
// every node between them is live too, and a live leaf stays a leaf). An MLP of 100k parameters
// pays a few nanoseconds a step instead of a pass over 100k handles. reset() when the vector's
// contents are replaced.
class LeafRunCache {
 public:
  ColumnRun get(const std::vector<Value>& v);
  void reset() { key_ = nullptr; }

 private:
  const Value* key_ = nullptr;  // the vector whose run is run_ (null: none yet)
  std::size_t size_ = 0;
  ColumnRun run_{nullptr, nullptr};
};

// ---- derived ops, composed exactly as in micrograd's engine.py
inline Value operator+(const Value& a, double b) { return a + Value(b); }    // __add__
inline Value operator+(double a, const Value& b) { return b + Value(a); }    // __radd__
inline Value operator*(const Value& a, double b) { return a * Value(b); }    // __mul__
inline Value operator*(double a, const Value& b) { return b * Value(a); }    // __rmul__
inline Value operator-(const Value& a) { return a * -1.0; }                  // __neg__
inline Value operator-(const Value& a, const Value& b) { return a + (-b); }  // __sub__
inline Value operator-(const Value& a, double b) { return a + (-b); }        // __sub__, number
inline Value operator-(double a, const Value& b) { return (-b) + a; }        // __rsub__
inline Value operator/(const Value& a, const Value& b) { return a * pow(b, -1.0); }  // __truediv__
inline Value operator/(const Value& a, double b) { return a * std::pow(b, -1.0); }   // number**-1
inline Value operator/(double a, const Value& b) { return pow(b, -1.0) * a; }        // __rtruediv__
inline Value pow(double a, const Value& b) { return pow(Value(a), b); }              // __rpow__

// Python's `c += x` rebinds c to a new node; so do these.
inline Value& operator+=(Value& a, const Value& b) { return a = a + b; }
inline Value& operator-=(Value& a, const Value& b) { return a = a - b; }
inline Value& operator*=(Value& a, const Value& b) { return a = a * b; }
inline Value& operator/=(Value& a, const Value& b) { return a = a / b; }
inline Value& operator+=(Value& a, double b) { return a = a + b; }
inline Value& operator-=(Value& a, double b) { return a = a - b; }
inline Value& operator*=(Value& a, double b) { return a = a * b; }
inline Value& operator/=(Value& a, double b) { return a = a / b; }

inline Value Value::exp() const { return micrograd::exp(*this); }
inline Value Value::log() const { return micrograd::log(*this); }
inline Value Value::tanh() const { return micrograd::tanh(*this); }
inline Value Value::relu() const { return micrograd::relu(*this); }
inline Value Value::sigmoid() const { return micrograd::sigmoid(*this); }

// Sets grad = 0 for each value (micrograd: `for p in params: p.grad = 0`).
void zero_grad(const std::vector<Value>& values);

// micrograd's repr: "Value(data=2.0, grad=0.0)", numbers printed as Python prints floats.
std::ostream& operator<<(std::ostream& os, const Value& v);
std::string to_string(const Value& v);
// A double printed the way Python's repr() prints a float: 2.0, 0.1, 1e-05, 1e+16, nan, inf.
std::string python_float_repr(double x);

// A Value that keeps its node (and everything the node was computed from) alive through
// Tape::collect(), which may move the node: the handle inside is rewritten when it does.
// The Python package wraps every Value in one; C++ code may use it with collect() as well.
class PinnedValue {
 public:
  explicit PinnedValue(const Value& v);
  PinnedValue(const PinnedValue& other) : PinnedValue(other.value_) {}
  PinnedValue& operator=(const PinnedValue& other);
  ~PinnedValue();
  const Value& get() const { return value_; }

 private:
  friend class Tape;
  Value value_;
  std::size_t slot_ = 0;  // position in the tape's pinned list
};

}  // namespace micrograd
