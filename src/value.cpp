// value.cpp: the cold parts of Value: children, printing, errors, pinning.
#include "micrograd/value.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <sstream>
#include <stdexcept>

namespace micrograd {

std::vector<Value> Value::children() const {
  Tape& t = checked();
  std::vector<Value> out;
  for (Index k = 0, n = t.num_children(index_); k < n; ++k)
    out.push_back(Value(t, t.child(index_, k)));
  return out;
}

Value linear(const std::vector<Value>& w, const std::vector<Value>& x, const Value& b) {
  if (w.size() != x.size())
    throw std::invalid_argument("micrograd::linear: " + std::to_string(w.size()) + " weights but " +
                                std::to_string(x.size()) + " inputs");
  Tape& t = b.checked();
  return Value(t, t.push_linear(b.index_, w.data(), x.data(), static_cast<Value::Index>(w.size())));
}

Value custom(std::string_view op, double out, std::span<const Value> children,
             std::span<const double> partials) {
  if (children.size() != partials.size())
    throw std::invalid_argument("micrograd::custom: " + std::to_string(children.size()) +
                                " children but " + std::to_string(partials.size()) +
                                " local derivatives");
  Tape& t = Tape::current();
  static constexpr double kNoPartials = 0.0;  // non-null: null would make a Hook node
  return Value(
      t, t.push_user_op(op, out, children.data(), partials.empty() ? &kNoPartials : partials.data(),
                        static_cast<Value::Index>(children.size())));
}

Value hook_node(std::string_view op, double out, std::span<const Value> children) {
  Tape& t = Tape::current();
  return Value(t, t.push_user_op(op, out, children.data(), nullptr,
                                 static_cast<Value::Index>(children.size())));
}

Value Value::offset(Index k) const {
  Tape& t = checked();
  if (std::size_t{index_} + k >= t.size())
    throw std::out_of_range("micrograd: Value::offset(" + std::to_string(k) + ") from node #" +
                            std::to_string(index_) + " is past the tape's last node");
  return Value(t, index_ + k);
}

Value dense(Op act, const Value& params, Value::Index nout, const Value& x, Value::Index nin) {
  if (!is_dense(act)) {
    std::ostringstream s;
    s << "micrograd::dense: act must be Op::Dense, Op::DenseReLU or Op::DenseTanh, got Op::"
      << name(act);
    throw std::invalid_argument(s.str());
  }
  if (nout == 0 || nin == 0)
    throw std::invalid_argument("micrograd::dense: a layer needs nin >= 1 and nout >= 1");
  Tape& t = params.checked();
  x.check_same_tape(t);
  const std::size_t p0 = params.index_, p1 = p0 + std::size_t{nout} * (nin + 1);  // [p0, p1)
  const std::size_t x0 = x.index_, x1 = x0 + nin;
  // A run is live if its first and last nodes are: liveness only falls as the index rises.
  auto check_run = [&t](const Value& first, std::size_t end, const char* what) {
    if (end > t.size() || !t.is_live(static_cast<Value::Index>(end - 1), first.generation_))
      throw std::invalid_argument("micrograd::dense: the " + std::to_string(end - first.index_) +
                                  " " + what + " from node #" + std::to_string(first.index_) +
                                  " are not all on the tape");
  };
  check_run(params, p1, "parameters");
  check_run(x, x1, "inputs");
  if (x0 < p1 && p0 < x1)
    throw std::invalid_argument("micrograd::dense: the inputs overlap the parameters");
  return Value(t, t.push_dense(act, params.index_, nout, x.index_, nin));
}

bool consecutive(const Value* v, std::size_t n) {
  if (n == 0 || !v[0].valid()) return false;
  for (std::size_t k = 1; k < n; ++k)
    if (v[k].tape_ != v[0].tape_ || v[k].generation_ != v[0].generation_ ||
        v[k].index_ != v[0].index_ + k)
      return false;
  return v[n - 1].valid();  // same generation, first and last live: all between are
}

ColumnRun leaf_run(const std::vector<Value>& v) {
  if (!consecutive(v.data(), v.size()) || v.front().tape_ != detail::this_thread_tape)
    return {nullptr, nullptr};
  Tape& t = *v.front().tape_;
  const Value::Index first = v.front().index_;
  for (std::size_t k = 0; k < v.size(); ++k)  // a non-leaf's grad needs note_grad_written
    if (t.op(first + static_cast<Value::Index>(k)) != Op::Leaf) return {nullptr, nullptr};
  return {&t.data(first), &t.grad(first)};
}

ColumnRun LeafRunCache::get(const std::vector<Value>& v) {
  if (key_ != nullptr && key_ == v.data() && size_ == v.size() &&
      v.front().tape_ == detail::this_thread_tape && v.front().valid() && v.back().valid())
    return run_;
  run_ = leaf_run(v);  // (null when v is empty or not a run: checked in full every time)
  key_ = run_.data != nullptr ? v.data() : nullptr;
  size_ = v.size();
  return run_;
}

void Value::throw_unusable(Value v) {
  if (v.tape_ == nullptr)
    throw std::logic_error(
        "micrograd: this Value is empty (default-constructed); assign it a number or a result "
        "first");
  if (v.tape_ != detail::this_thread_tape && !v.tape_->retired()) throw_foreign_thread();
  std::ostringstream s;
  s << "micrograd: Value #" << v.index_
    << " was reclaimed: its node was dropped when the tape was rewound (a TapeScope ended) or "
       "collected, or its thread ended. Create values you keep across steps (parameters) before "
       "the TapeScope, or keep them pinned.";
  throw StaleValueError(s.str());
}

void Value::throw_foreign_thread() {
  throw std::logic_error(
      "micrograd: this Value lives on another thread's tape (each thread has its own tape, and a "
      "Value is read, written and combined only on the thread that made it; or its thread ended "
      "and the tape now serves another thread). Copy the numbers out on the owning thread "
      "(x.data(), x.grad()) and make new Values from them.");
}

void zero_grad(const std::vector<Value>& values) {
  for (const Value& v : values) v.grad() = 0.0;
}

std::string python_float_repr(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buf[64];
  // Shortest round-trip digits, as Python's repr: "d.dddde+XX".
#ifdef __EMSCRIPTEN__  // its libc++ has no to_chars for double: the fewest digits that read back
  for (int precision = 0; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*e", precision, x);
    if (std::strtod(buf, nullptr) == x) break;
  }
  std::string sci(buf);
#else
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  std::string sci(buf, end);
#endif
  std::string sign;
  if (sci[0] == '-') {
    sign = "-";
    sci.erase(0, 1);
  }
  const auto e = sci.find('e');
  std::string digits = sci.substr(0, e);
  if (digits.size() > 1) digits.erase(1, 1);  // drop the '.'
  const int exponent = std::atoi(sci.c_str() + e + 1);
  const int decpt = exponent + 1;  // value = 0.<digits> * 10^decpt
  const int n = static_cast<int>(digits.size());
  std::string out;
  if (decpt <= -4 || decpt > 16) {  // Python switches to exponent notation here
    out = digits.substr(0, 1);
    if (n > 1) out.append(".").append(digits, 1);
    char exp[16];
    std::snprintf(exp, sizeof exp, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    out += exp;
  } else if (decpt <= 0) {
    out = "0." + std::string(-decpt, '0') + digits;
  } else if (decpt < n) {
    out = digits.substr(0, decpt) + "." + digits.substr(decpt);
  } else {
    out = digits + std::string(decpt - n, '0') + ".0";
  }
  return sign + out;
}

std::ostream& operator<<(std::ostream& os, const Value& v) {
  return os << "Value(data=" << python_float_repr(v.data())
            << ", grad=" << python_float_repr(v.tape().grad(v.id())) << ")";
}

std::string to_string(const Value& v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// ---- PinnedValue

PinnedValue::PinnedValue(const Value& v) : value_(v) { value_.checked().pin(this); }

PinnedValue& PinnedValue::operator=(const PinnedValue& other) {
  if (this == &other) return *this;
  Value v = other.value_;
  v.checked();
  if (value_.tape_ != nullptr) value_.tape_->unpin(this);
  value_ = v;
  value_.tape_->pin(this);
  return *this;
}

PinnedValue::~PinnedValue() {
  if (value_.tape_ != nullptr) value_.tape_->unpin(this);
}

}  // namespace micrograd
