// pyvalue.hpp: the C++ object inside every Python `micrograd_cpp.Value`, and how the binding turns
// Python objects into engine handles and back.
//
// Memory model. Each Python Value owns one PyValue, which holds a micrograd::PinnedValue: while
// the Python object lives, its node and everything the node was computed from survive
// Tape::collect(). Binding calls run tape.maybe_collect() first (prepare()), before any unpinned
// handle exists, because collect moves nodes and rewrites only pinned handles.
//
// Identity. A node has at most one Python wrapper at a time (a per-tape registry maps node index
// -> PyValue), so `v._prev`, `model.parameters()` and `draw_dot` hand back the very objects the
// user holds, and Python's default identity hash/eq make `set`/`in` work like micrograd's.
// Not here: the Python class definition (pyvalue.cpp), nn forward passes (nn_binding.cpp).
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "micrograd/value.hpp"

namespace micrograd::python {

namespace py = pybind11;

struct PyValue {
  // Pins `v` and registers the new wrapper for v's node (v must not have a wrapper yet).
  explicit PyValue(const Value& v);
  ~PyValue();
  PyValue(const PyValue&) = delete;
  PyValue& operator=(const PyValue&) = delete;

  // The node's handle; raises StaleValueError if the thread that made it has ended.
  const Value& get() const {
    if (!pin) [[unlikely]]
      throw_thread_ended();
    return pin->get();
  }
  [[noreturn]] static void throw_thread_ended();

  // Empty once the Python thread that made the node ended (see note_thread_end in pyvalue.cpp).
  std::optional<PinnedValue> pin;
  Tape* tape;               // the tape the node lives on (the handle may be stale: no checks)
  bool registered = false;  // present in its tape's registry
  // `_op` as the user set it or as micrograd spells it where the tape's differs ('**2.0' for a
  // float exponent); empty: the tape's op_string().
  py::object op_text;
  // Python objects this node's graph needs alive, as micrograd's `_prev` keeps them: set for a
  // node made by Value(data, children, op) (its children) and for any node computed from such a
  // "python-owned" node, so a `_backward` closure lives as long as a graph that can reach it.
  // Visited by the garbage collector (see install_gc in pyvalue.cpp).
  py::object keep;
  bool owned = false;      // keep is set: results computed from this node keep it too
  bool has_attrs = false;  // an attribute of the user's was set (its __dict__ may hold _backward)
  // micrograd keeps Python ints where its arithmetic does (Value(2).data is 2, grad starts as the
  // int 0, backward sets the root's grad to the int 1): shown as ints while these are set and
  // the number is integral.
  bool data_int = false;
  bool grad_int = true;
};

// ---- Python <-> engine
// The PyValue inside a Python Value, or nullptr if `o` is not a Value.
PyValue* as_value(PyObject* o);
// A plain number (int, float, numpy scalar, anything with __float__/__index__) as a double.
// Returns false (and leaves no Python error) if `o` is not a number; throws on overflow etc.
bool as_number(PyObject* o, double& out);
// A Value or a number as an operand: returns false if `o` is neither.
struct Operand {
  Value value;      // set if is_value
  double number{};  // set otherwise
  bool is_value = false;
  bool is_int = false;  // an int number, or a Value whose data is a Python int (micrograd's)
};
bool as_operand(PyObject* o, Operand& out);

// True for a Python int (or an integer type such as numpy.int64): micrograd keeps those ints.
bool is_int_number(PyObject* o);
// The wrapper of node `node`, or nullptr if it has none now.
PyValue* wrapper_of(Tape& tape, Tape::Index node);
// The Python object for node v: its existing wrapper, or a new one.
py::object wrap(const Value& v);
// A new wrapper for a node just created (it cannot have one yet: skips the registry lookup).
// data_int, op_text: see PyValue.
py::object wrap_new(const Value& v, bool data_int = false, py::object op_text = {});

// Python-owned Values read as operands since the last prepare(): wrap_new() makes the new node
// keep them (see PyValue::keep).
extern std::vector<PyObject*> owned_inputs;  // used with the GIL held (no TLS lookup)
inline void note_input(PyValue* v, PyObject* o) {
  if (v->owned) [[unlikely]]
    owned_inputs.push_back(o);
}

// Call at the start of every binding call that may create nodes, and keep what it returns for the
// whole call: `const auto call = prepare();`. Reclaims unreachable nodes when the tape has grown
// enough, but only in the outermost call: a call that runs Python code while holding unpinned
// handles (a __float__, a property read) may itself call in (nested), and a collect then would
// move nodes under those handles. Invalidates every unpinned handle, so hold none across it.
void watch_this_thread();  // see pyvalue.cpp
extern thread_local bool thread_watched;
extern int binding_depth;  // binding calls running on the stack (guarded by the GIL)
struct [[nodiscard]] BindingCall {
  BindingCall() { ++binding_depth; }
  ~BindingCall() { --binding_depth; }
  BindingCall(const BindingCall&) = delete;
  BindingCall& operator=(const BindingCall&) = delete;
};
inline BindingCall prepare() {
  if (!thread_watched) [[unlikely]]
    watch_this_thread();
  if (binding_depth == 0) {
    Tape::current().maybe_collect();
    owned_inputs.clear();
  }
  return {};
}

// The registered Python type (set once at import).
extern PyTypeObject* value_type;

// Makes every attribute lookup on an instance whose C++ object was never constructed (made by
// Cls.__new__ alone) raise TypeError; __init__, __class__ and __setstate__ (unpickling) stay.
void refuse_uninitialised(PyTypeObject* type);

void bind_value(py::module_& m);
void bind_nn(py::module_& m);
void bind_train(py::module_& m);

}  // namespace micrograd::python
