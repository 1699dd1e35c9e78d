// pyvalue.cpp: the Python class micrograd_cpp.Value (micrograd's engine.Value on our tape), the
// registry that gives each node one Python wrapper, and Python <-> engine conversions.
//
// Every op is the engine's own composition (a - b is a + (-b), 2 / a is a**-1 * 2, ...), so graphs
// and every rounding step match micrograd. Operators return NotImplemented for operands that are
// neither Values nor numbers, so Python raises its usual TypeError.
// Not here: nn forward passes (nn_binding.cpp), drawing (micrograd_cpp/graph.py).
#include "pyvalue.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

namespace micrograd::python {

PyTypeObject* value_type = nullptr;

// ---------------------------------------------------------------------------------------------
// Registry: node index -> its wrapper, one map per tape. Collect moves nodes (indices change) and
// bumps the tape's generation; a registry whose generation is behind is re-keyed from the pinned
// handles (which collect rewrote) before use. Wrappers whose handle went stale (their thread
// ended) are dropped then. All of this runs with the GIL held, which serialises it.

namespace {

struct Registry {
  std::uint32_t generation = 0;  // the tape's generation when `nodes` was last keyed
  std::unordered_map<Tape::Index, PyValue*> nodes;
};

Registry& registry(Tape& tape) {
  // Never destroyed: wrappers may be freed during interpreter shutdown, after static destructors.
  static auto* all = new std::unordered_map<const Tape*, Registry>();
  static const Tape* last_tape = nullptr;
  static Registry* last = nullptr;
  if (&tape != last_tape) {  // map nodes are stable: caching the pointer is safe
    last = &(*all)[&tape];
    last_tape = &tape;
  }
  Registry& r = *last;
  if (r.generation != tape.generation()) [[unlikely]] {
    std::unordered_map<Tape::Index, PyValue*> next;
    next.reserve(r.nodes.size());
    for (auto& [index, pv] : r.nodes) {
      if (pv->pin && pv->pin->get().valid())
        next.emplace(pv->pin->get().id(), pv);
      else
        pv->registered = false;
    }
    r.nodes.swap(next);
    r.generation = tape.generation();
  }
  return r;
}

}  // namespace

PyValue::PyValue(const Value& v) : pin(std::in_place, v), tape(&v.tape()) {
  registry(*tape).nodes.insert_or_assign(v.id(), this);
  registered = true;
}

PyValue::~PyValue() {
  try {
    if (registered) {
      Registry& r = registry(*tape);  // re-keys first if the tape collected since
      if (registered) {
        auto it = r.nodes.find(pin->get().id());
        if (it != r.nodes.end() && it->second == this) r.nodes.erase(it);
      }
    }
  } catch (...) {  // bad_alloc while re-keying: leave the entry (it is dropped when it goes stale)
  }
}

void PyValue::throw_thread_ended() {
  throw StaleValueError(
      "micrograd_cpp: this Value was made on a Python thread that has ended, and its node went "
      "with that thread's tape. Copy the numbers out (v.data, v.grad) before the thread ends, or "
      "build and use Values on one thread.");
}

// ---------------------------------------------------------------------------------------------
// Thread ends. Each thread's tape is retired by the engine when the OS thread exits, without the
// GIL, possibly while another thread reads or frees Values of that tape. To never race with it,
// the binding lets go of a thread's Values earlier, with the GIL held: when Python clears the
// thread's state (its thread dict, where watch_this_thread() left a capsule), every wrapper of
// that tape is unpinned and marked dead (later use raises StaleValueError) and leaves the
// registry, so nothing of ours points into the tape when the engine retires it.

thread_local bool thread_watched = false;
std::vector<PyObject*> owned_inputs;  // used with the GIL held (no TLS lookup)
int binding_depth = 0;

namespace {
// Runs a Python `_backward` at its node's turn in Tape::backward: the callable the user assigned
// to the node's `_backward` (kept in the instance's __dict__); none assigned: nothing, like
// micrograd's default `lambda: None`. A Python exception propagates out of backward().
struct PythonBackward final : BackwardHook {
  void run(Tape& tape, std::uint32_t node) override;
};
PythonBackward python_backward;
}  // namespace

namespace {
void note_thread_end(Tape* tape) {
  Registry& r = registry(*tape);
  for (auto& [index, pv] : r.nodes) {
    pv->pin.reset();  // unpins
    pv->registered = false;
  }
  r.nodes.clear();
  thread_watched = false;  // a C thread may call into Python again (PyGILState_Ensure)
}
}  // namespace

void watch_this_thread() {
  PyObject* dict = PyThreadState_GetDict();
  if (dict == nullptr) throw py::error_already_set();
  py::capsule sentinel(static_cast<void*>(&Tape::current()), [](void* tape) {
    try {
      note_thread_end(static_cast<Tape*>(tape));
    } catch (...) {  // bad_alloc re-keying the registry: the old race remains for this thread
    }
  });
  if (PyDict_SetItemString(dict, "micrograd_cpp.thread_tape", sentinel.ptr()) != 0)
    throw py::error_already_set();
  Tape& tape = Tape::current();
  tape.set_backward_hook(&python_backward);
  tape.set_track_reached(true);  // grads print as micrograd's ints until a backward reaches them
  thread_watched = true;
}

// ---------------------------------------------------------------------------------------------
// Conversions.

PyValue* as_value(PyObject* o) {
  if (Py_TYPE(o) != value_type && !PyType_IsSubtype(Py_TYPE(o), value_type)) return nullptr;
  auto* inst = reinterpret_cast<py::detail::instance*>(o);
  void* p = inst->simple_layout ? inst->simple_value_holder[0] : py::handle(o).cast<PyValue*>();
  if (p == nullptr)
    throw py::type_error(
        "micrograd_cpp: this Value was never initialised (Value.__init__ not "
        "called); create Values as Value(data)");
  return static_cast<PyValue*>(p);
}

bool as_number(PyObject* o, double& out) {
  if (PyFloat_Check(o)) {  // also numpy.float64, a float subclass
    out = PyFloat_AS_DOUBLE(o);
    return true;
  }
  if (!PyLong_Check(o)) {
    PyNumberMethods* nb = Py_TYPE(o)->tp_as_number;
    if (nb == nullptr || (nb->nb_float == nullptr && nb->nb_index == nullptr)) return false;
  }
  out = PyFloat_AsDouble(o);  // ints (exactly rounded), numpy ints, Fraction, Decimal, ...
  if (out == -1.0 && PyErr_Occurred()) {
    if (PyErr_ExceptionMatches(PyExc_TypeError)) {  // e.g. a numpy array of several numbers
      PyErr_Clear();
      return false;
    }
    throw py::error_already_set();  // OverflowError for an int too large for a float
  }
  return true;
}

// An int as micrograd's arithmetic keeps it: a Python int (or bool) or an integer type such as
// numpy.int64 (it has __index__ and is not a float).
bool is_int_number(PyObject* o) {
  if (PyLong_Check(o)) return true;
  if (PyFloat_Check(o)) return false;
  PyNumberMethods* nb = Py_TYPE(o)->tp_as_number;
  return nb != nullptr && nb->nb_index != nullptr;
}

bool as_operand(PyObject* o, Operand& out) {
  if (PyValue* v = as_value(o)) {
    out.value = v->get();
    out.is_value = true;
    out.is_int = v->data_int;
    note_input(v, o);
    return true;
  }
  out.is_value = false;
  if (!as_number(o, out.number)) return false;
  out.is_int = is_int_number(o);
  return true;
}

// Performance: a Value with no attributes of its own and nothing kept cannot be part of a
// reference cycle, so it is taken off the garbage collector's lists (as CPython does for tuples of
// numbers); the collector then has far fewer objects to scan. It goes back on them as soon as it
// may hold references: an attribute is set, or _prev is assigned (track()).
void untrack(PyObject* o) { PyObject_GC_UnTrack(o); }
void track(PyObject* o) {
  if (!PyObject_GC_IsTracked(o)) PyObject_GC_Track(o);
}

py::object wrap_new(const Value& v, bool data_int, py::object op_text) {
  auto pv = std::make_unique<PyValue>(v);
  pv->data_int = data_int;
  if (op_text) [[unlikely]]
    pv->op_text = std::move(op_text);
  if (!owned_inputs.empty()) [[unlikely]] {  // computed from Python-owned nodes: keep them
    py::tuple keep(owned_inputs.size());
    for (std::size_t k = 0; k < owned_inputs.size(); ++k)
      keep[k] = py::reinterpret_borrow<py::object>(owned_inputs[k]);
    pv->keep = std::move(keep);
    pv->owned = true;
  }
  const bool owned = pv->owned;
  py::object o = py::cast(std::move(pv));
  if (!owned) untrack(o.ptr());
  return o;
}

py::object wrap(const Value& v) {
  Registry& r = registry(v.tape());
  if (auto it = r.nodes.find(v.id()); it != r.nodes.end())
    return py::cast(it->second, py::return_value_policy::reference);  // finds the live wrapper
  // A node first seen now (e.g. through _prev): its grad is micrograd's int 0 if still 0.
  auto pv = std::make_unique<PyValue>(v);
  pv->grad_int = v.tape().grad(v.id()) == 0.0;
  py::object o = py::cast(std::move(pv));
  untrack(o.ptr());
  return o;
}

PyValue* wrapper_of(Tape& tape, Tape::Index node) {
  Registry& r = registry(tape);
  auto it = r.nodes.find(node);
  return it == r.nodes.end() ? nullptr : it->second;
}

namespace {
// The `_backward` the user assigned to this Value (kept in its __dict__), or nullptr (borrowed).
PyObject* own_backward(PyObject* self) {
  PyObject** dict = _PyObject_GetDictPtr(self);
  return dict == nullptr || *dict == nullptr ? nullptr : PyDict_GetItemString(*dict, "_backward");
}

void PythonBackward::run(Tape& tape, std::uint32_t node) {
  py::gil_scoped_acquire gil;  // backward() runs without the GIL
  PyValue* pv = wrapper_of(tape, node);
  if (pv == nullptr)
    throw std::logic_error("micrograd_cpp: the Python object of " + tape.describe(node) +
                           " is gone, and its _backward with it (please report this)");
  py::object self = py::cast(pv, py::return_value_policy::reference);
  PyObject* f = own_backward(self.ptr());
  if (f == nullptr) return;  // none assigned: micrograd's lambda: None
  py::object keep_f = py::reinterpret_borrow<py::object>(f);  // the call may reassign it
  PyObject* r = PyObject_CallNoArgs(f);
  if (r == nullptr) throw py::error_already_set();
  Py_DECREF(r);
}
}  // namespace

// ---------------------------------------------------------------------------------------------
// Operators.

namespace {

py::object not_implemented() { return py::reinterpret_borrow<py::object>(Py_NotImplemented); }

std::string type_name(py::handle h) { return Py_TYPE(h.ptr())->tp_name; }

double number_or_throw(py::handle h, const char* what) {
  double x = 0.0;
  if (!as_number(h.ptr(), x))
    throw py::type_error(std::string("micrograd_cpp: ") + what +
                         " must be a number (int or float), got " + type_name(h));
  return x;
}

enum class Bin { Add, RAdd, Sub, RSub, Mul, RMul, Div, RDiv, Pow, RPow };

// self <op> other (or other <op> self for the reflected forms), as micrograd composes it.
template <Bin op>
py::object binary(py::handle self, py::handle other) {
  const auto call = prepare();  // before reading handles: a collect rewrites only pinned ones
  PyValue* a = as_value(self.ptr());
  Operand b;
  if (a == nullptr || !as_operand(other.ptr(), b)) return not_implemented();
  note_input(a, self.ptr());
  const Value& x = a->get();
  Value out;
  if (b.is_value) {
    const Value& y = b.value;
    switch (op) {
      case Bin::Add:
        out = x + y;
        break;
      case Bin::RAdd:
        out = y + x;
        break;
      case Bin::Sub:
        out = x - y;
        break;
      case Bin::RSub:
        out = y - x;
        break;
      case Bin::Mul:
        out = x * y;
        break;
      case Bin::RMul:
        out = y * x;
        break;
      case Bin::Div:
        out = x / y;
        break;
      case Bin::RDiv:
        out = y / x;
        break;
      case Bin::Pow:
        out = pow(x, y);
        break;
      case Bin::RPow:
        out = pow(y, x);
        break;
    }
  } else {
    const double c = b.number;
    switch (op) {
      case Bin::Add:
        out = x + c;
        break;
      case Bin::RAdd:
        out = c + x;
        break;
      case Bin::Sub:
        out = x - c;
        break;
      case Bin::RSub:
        out = c - x;
        break;
      case Bin::Mul:
        out = x * c;
        break;
      case Bin::RMul:
        out = c * x;
        break;
      case Bin::Div:
        out = x / c;
        break;
      case Bin::RDiv:
        out = c / x;
        break;
      case Bin::Pow:
        out = pow(x, c);
        break;
      case Bin::RPow:
        out = pow(c, x);
        break;
    }
  }
  // micrograd's Python numbers: + - * of ints and ** with a non-negative int exponent stay ints
  // (a - b is a + b*-1, a / b is a * b**-1: a float).
  const bool ints = a->data_int && b.is_int;
  bool data_int = false;
  if constexpr (op == Bin::Add || op == Bin::RAdd || op == Bin::Sub || op == Bin::RSub ||
                op == Bin::Mul || op == Bin::RMul)
    data_int = ints;
  py::object op_text;
  if constexpr (op == Bin::Pow) {
    data_int = ints && !b.is_value && b.number >= 0.0;
    // micrograd's `_op` is f'**{other}': '**2.0' for the float 2.0 (the tape says '**2').
    if (!b.is_value && !b.is_int && PyFloat_Check(other.ptr()) &&
        b.number == std::floor(b.number) && std::isfinite(b.number))
      op_text = py::str("**" + py::repr(other).cast<std::string>());
  }
  return wrap_new(out, data_int, std::move(op_text));
}

template <Value (*f)(const Value&), bool kReLU = false, bool kNeg = false>
py::object unary(PyObject* self_object, PyValue& self) {
  const auto call = prepare();
  note_input(&self, self_object);
  const Value out = f(self.get());
  bool data_int = false;  // micrograd: relu is Value(0 if data < 0 else data); -a is a * -1
  if constexpr (kReLU || kNeg) data_int = self.data_int || (kReLU && self.get().data() < 0.0);
  return wrap_new(out, data_int);
}

Value neg(const Value& a) { return -a; }
Value exp_(const Value& a) { return exp(a); }
Value log_(const Value& a) { return log(a); }
Value tanh_(const Value& a) { return tanh(a); }
Value relu_(const Value& a) { return relu(a); }
Value sigmoid_(const Value& a) { return sigmoid(a); }

// Value(data, _children=(), _op='', label=''), also spelled children=...: with children, a node
// whose backward is the `_backward` the user assigns (a Hook node), as the lecture builds ops.
std::unique_ptr<PyValue> make_value(py::handle data, py::handle children, py::handle op,
                                    py::handle label, py::handle children_kw) {
  const double x = number_or_throw(data, "Value(data)");
  if (!children_kw.is_none()) {
    if (!py::reinterpret_borrow<py::object>(children).is_none() && py::len(children) > 0)
      throw py::type_error("Value(): give the children once, as _children or as children");
    children = children_kw;
  }
  py::tuple kids = py::reinterpret_borrow<py::object>(children).is_none()
                       ? py::tuple()
                       : py::tuple(py::reinterpret_borrow<py::object>(children));
  for (py::handle c : kids)
    if (as_value(c.ptr()) == nullptr)
      throw py::type_error(
          "micrograd_cpp: Value(data, _children): every child must be a Value, got " +
          type_name(c));
  if (!py::isinstance<py::str>(op)) throw py::type_error("Value(_op=...) must be a str");
  if (!py::isinstance<py::str>(label)) throw py::type_error("Value(label=...) must be a str");
  const auto call = prepare();
  std::unique_ptr<PyValue> v;
  if (kids.empty()) {
    v = std::make_unique<PyValue>(Value(x));
    if (py::len(op) > 0) v->op_text = py::reinterpret_borrow<py::str>(op);
  } else {
    std::vector<Value> handles;
    handles.reserve(kids.size());
    for (py::handle c : kids) handles.push_back(as_value(c.ptr())->get());
    v = std::make_unique<PyValue>(hook_node(op.cast<std::string>(), x, handles));
    v->keep = std::move(kids);  // micrograd's _prev holds its children
    v->owned = true;
  }
  v->data_int = is_int_number(data.ptr());
  if (py::len(label) > 0) v->get().set_label(label.cast<std::string>());
  return v;
}

// A number as micrograd holds it: an int where its arithmetic kept one (see PyValue).
PyObject* python_number(double x, bool is_int) {
  if (is_int && std::isfinite(x) && x == std::floor(x)) return PyLong_FromDouble(x);
  return PyFloat_FromDouble(x);
}

// ---- the hot paths as CPython slots
// Performance: pybind11's generic call dispatch cost more than the op itself. The arithmetic
// operators and data/grad are also installed as the type's number slots and getset descriptors,
// calling the same functions as the pybind11 methods (which stay, for Value.__add__ etc.).

// Sets the Python error for the C++ exception being handled, as pybind11's dispatcher does:
// the module-local, then the global translators (StaleValueError, NonFiniteError, std::...).
// (pybind11 2.10's detail API: the Debian 12 package this project builds with.)
PyObject* python_error() {
  if (py::detail::apply_exception_translators(
          py::detail::get_local_internals().registered_exception_translators))
    return nullptr;
  if (py::detail::apply_exception_translators(
          py::detail::get_internals().registered_exception_translators))
    return nullptr;
  PyErr_SetString(PyExc_SystemError, "micrograd_cpp: a C++ exception escaped the translators");
  return nullptr;
}

// a <op> b for the number slot: CPython calls it with the Value on either side.
template <Bin op, Bin reflected>
PyObject* slot_binary(PyObject* a, PyObject* b) {
  try {
    py::object r = as_value(a) != nullptr ? binary<op>(a, b) : binary<reflected>(b, a);
    return r.release().ptr();
  } catch (...) {
    return python_error();
  }
}

PyObject* slot_power(PyObject* a, PyObject* b, PyObject* modulo) {
  if (modulo != Py_None) Py_RETURN_NOTIMPLEMENTED;
  return slot_binary<Bin::Pow, Bin::RPow>(a, b);
}

PyObject* slot_negative(PyObject* a) {
  try {
    PyValue* v = as_value(a);
    if (v == nullptr) Py_RETURN_NOTIMPLEMENTED;
    return unary<neg, false, true>(a, *v).release().ptr();
  } catch (...) {
    return python_error();
  }
}

PyObject* get_data(PyObject* self, void*) {
  try {
    PyValue* v = as_value(self);
    return python_number(v->get().data(), v->data_int);
  } catch (...) {
    return python_error();
  }
}

PyObject* get_grad(PyObject* self, void*) {
  try {
    PyValue* v = as_value(self);
    const Value& h = v->get();
    return python_number(h.tape().grad(h.id()), v->grad_int);
  } catch (...) {
    return python_error();
  }
}

template <bool kGrad>
int set_number(PyObject* self, PyObject* x, void* what) {
  try {
    if (x == nullptr) {
      PyErr_Format(PyExc_AttributeError, "can't delete %s", static_cast<const char*>(what));
      return -1;
    }
    PyValue* v = as_value(self);
    const double number = number_or_throw(x, static_cast<const char*>(what));
    if constexpr (kGrad) {
      v->get().grad() = number;
      v->grad_int = is_int_number(x);
    } else {
      v->get().data() = number;
      v->data_int = is_int_number(x);
    }
    return 0;
  } catch (...) {
    python_error();
    return -1;
  }
}

PyGetSetDef value_getset[] = {
    {"data", &get_data, &set_number<false>, "the node's value", const_cast<char*>("Value.data")},
    {"grad", &get_grad, &set_number<true>, "d root / d node after backward()",
     const_cast<char*>("Value.grad")},
};

// ---- `out._backward = f`, and the garbage collector
// Assigning `_backward` stores f in the instance's __dict__ (the built-in `_backward` method is a
// non-data descriptor, so the instance's f wins, as in Python). It is refused, with a clear error,
// where backward() would not call it: on a node made by a built-in op.
setattrofunc base_setattro = nullptr;
traverseproc base_traverse = nullptr;
inquiry base_clear = nullptr;

bool is_name(PyObject* name, PyObject* interned, const char* text) {
  return name == interned ||
         (PyUnicode_Check(name) && PyUnicode_CompareWithASCIIString(name, text) == 0);
}

PyValue* holder_or_null(PyObject* self) {
  auto* inst = reinterpret_cast<py::detail::instance*>(self);
  return inst->simple_layout ? static_cast<PyValue*>(inst->simple_value_holder[0]) : nullptr;
}

int value_setattro(PyObject* self, PyObject* name, PyObject* value) {
  static PyObject* const dict_name = PyUnicode_InternFromString("__dict__");
  static PyObject* const backward_name = PyUnicode_InternFromString("_backward");
  // data, grad, label, _op, _prev are data descriptors (the hot case: p.data -= ...); anything
  // else lands in the instance's __dict__, which may then hold references: back on the
  // collector's lists (see untrack).
  if (PyObject* d = _PyType_Lookup(Py_TYPE(self), name);
      d != nullptr && Py_TYPE(d)->tp_descr_set != nullptr && !is_name(name, dict_name, "__dict__"))
    return base_setattro(self, name, value);
  track(self);
  if (PyValue* v = holder_or_null(self)) v->has_attrs = true;
  try {
    if (value != nullptr && is_name(name, backward_name, "_backward")) {
      PyValue* v = as_value(self);
      const Op op = v->get().op();
      if (op != Op::Hook && op != Op::Leaf) {
        PyErr_Format(PyExc_AttributeError,
                     "micrograd_cpp: this Value was made by the built-in op '%s', whose backward "
                     "is built in; to write your own op, make its result with Value(data, "
                     "(children...), op) and assign _backward to that",
                     v->get().op_string().c_str());
        return -1;
      }
    }
  } catch (...) {
    python_error();
    return -1;
  }
  return base_setattro(self, name, value);
}

int value_traverse(PyObject* self, visitproc visit, void* arg) {
  if (PyValue* v = holder_or_null(self); v != nullptr && v->keep) Py_VISIT(v->keep.ptr());
  return base_traverse(self, visit, arg);
}

int value_clear(PyObject* self) {
  if (PyValue* v = holder_or_null(self); v != nullptr && v->keep) {
    // A node reachable from a live Python Value keeps its children wrappers through the tape
    // anyway; only an unreachable cycle is cleared here.
    py::object gone = std::move(v->keep);
    v->keep = py::object();
  }
  return base_clear(self);
}

void install_slots(PyTypeObject* type) {
  base_setattro = type->tp_setattro;
  type->tp_setattro = &value_setattro;
  if (type->tp_traverse != nullptr && type->tp_clear != nullptr) {
    base_traverse = type->tp_traverse;
    base_clear = type->tp_clear;
    type->tp_traverse = &value_traverse;
    type->tp_clear = &value_clear;
  }
  PyNumberMethods* n = type->tp_as_number;
  n->nb_add = &slot_binary<Bin::Add, Bin::RAdd>;
  n->nb_subtract = &slot_binary<Bin::Sub, Bin::RSub>;
  n->nb_multiply = &slot_binary<Bin::Mul, Bin::RMul>;
  n->nb_true_divide = &slot_binary<Bin::Div, Bin::RDiv>;
  n->nb_power = &slot_power;
  n->nb_negative = &slot_negative;
  for (PyGetSetDef& def : value_getset) {
    PyObject* descr = PyDescr_NewGetSet(type, &def);
    if (descr == nullptr || PyDict_SetItemString(type->tp_dict, def.name, descr) != 0) {
      Py_XDECREF(descr);
      throw py::error_already_set();
    }
    Py_DECREF(descr);
  }
  PyType_Modified(type);
}

// repr as micrograd's: f"Value(data={self.data}, grad={self.grad})".
std::string value_repr(py::handle self) {
  PyValue& v = *as_value(self.ptr());  // raises TypeError for a Value never initialised
  const Value& h = v.get();
  py::object data = py::reinterpret_steal<py::object>(python_number(h.data(), v.data_int));
  py::object grad =
      py::reinterpret_steal<py::object>(python_number(h.tape().grad(h.id()), v.grad_int));
  if (!data || !grad) throw py::error_already_set();
  return "Value(data=" + py::str(data).cast<std::string>() +
         ", grad=" + py::str(grad).cast<std::string>() + ")";
}

// After backward() from `root`: every node it reached now holds a float grad (micrograd adds
// floats to them), except the root, whose grad micrograd sets to the int 1.
// Also runs the `_backward` a user gave a leaf (micrograd calls every reached node's, leaves
// included; the tape calls only those of nodes made with children): after the sweep, from the
// highest node down, as reverse creation order would.
void note_backward(Tape& tape, PyValue& root) {
  const Tape::Index r = root.get().id();
  std::vector<std::pair<Tape::Index, PyValue*>> leaf_callbacks;
  for (auto& [index, pv] : registry(tape).nodes) {
    if (index > r || !tape.reached(index)) continue;
    if (pv->grad_int && index != r) pv->grad_int = false;
    if (pv->has_attrs && tape.op(index) == Op::Leaf) [[unlikely]] {
      py::object self = py::cast(pv, py::return_value_policy::reference);
      if (own_backward(self.ptr()) != nullptr) leaf_callbacks.emplace_back(index, pv);
    }
  }
  root.grad_int = tape.semantics() == Semantics::Micrograd;
  std::sort(leaf_callbacks.begin(), leaf_callbacks.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  for (auto& [index, pv] : leaf_callbacks) {
    py::object self = py::cast(pv, py::return_value_policy::reference);
    self.attr("_backward")();
  }
}

}  // namespace

void bind_value(py::module_& m) {
  py::class_<PyValue> cls(m, "Value", py::dynamic_attr(), R"doc(
A scalar with a gradient, micrograd's engine.Value, stored as a node on this thread's tape.

Value(data, _children=(), _op='', label=''): `data` is an int or float. With `_children` (also
spelled `children=`), the node's children are those Values and its backward is the function you
assign to `out._backward`, called at the node's turn by backward(), as in the lecture:

    def tanh(self):
        t = (math.exp(2*self.data) - 1) / (math.exp(2*self.data) + 1)
        out = Value(t, (self,), 'tanh')
        def _backward():
            self.grad += (1 - t**2) * out.grad
        out._backward = _backward
        return out

Values made by operators (+ - * / ** relu tanh exp log sigmoid) are built-in nodes.
)doc");
  value_type = reinterpret_cast<PyTypeObject*>(cls.ptr());
  cls.attr("__module__") = "micrograd_cpp.engine";

  cls.def(py::init(&make_value), py::arg("data"), py::arg("_children") = py::tuple(),
          py::arg("_op") = "", py::arg("label") = "", py::arg("children") = py::none());

  // ---- the node's numbers: data and grad are getset descriptors (install_slots)
  cls.def_property(
      "label", [](PyValue& v) { return v.get().label(); },
      [](PyValue& v, std::string label) { v.get().set_label(std::move(label)); });

  // ---- what made it
  cls.def_property(
      "_op",
      [](PyValue& v) -> py::object {
        if (v.op_text) return v.op_text;
        return py::str(v.get().op_string());
      },
      [](PyValue& v, py::str op) {
        if (v.get().op() == Op::Hook) {
          v.get().tape().set_user_op_name(v.get().id(), op.cast<std::string>());
          v.op_text = py::object();
        } else {
          v.op_text = std::move(op);
        }
      },
      "micrograd's _op: '+', '*', '**2', 'tanh', ... ('' for a leaf); assignable (a label).");
  cls.def_property(
      "_prev",
      [](PyValue& v) -> py::set {
        py::set prev;
        for (const Value& c : v.get().children()) prev.add(wrap(c));
        return prev;
      },
      [](PyValue& v, py::handle children) {
        // micrograd's __init__ writes self._prev = set(_children): the same set is accepted
        // anywhere; new children only on a node made by Value(data, children, op).
        py::set now;
        for (const Value& c : v.get().children()) now.add(wrap(c));
        py::set wanted(py::reinterpret_borrow<py::object>(children));
        if (now.equal(wanted)) return;
        std::vector<Value> handles;
        py::tuple kids(py::len(wanted));
        std::size_t k = 0;
        for (py::handle c : wanted) {
          PyValue* cv = as_value(c.ptr());
          if (cv == nullptr)
            throw py::type_error("micrograd_cpp: _prev must hold Values, got " + type_name(c));
          handles.push_back(cv->get());
          kids[k++] = c;
        }
        if (v.get().op() != Op::Hook)
          throw py::type_error(
              "micrograd_cpp: this Value's children are fixed (it was made by a built-in op or "
              "as a leaf); make a new Value(data, children, op) instead");
        v.get().tape().set_hook_children(v.get().id(), handles.data(),
                                         static_cast<Tape::Index>(handles.size()));
        v.keep = std::move(kids);
        v.owned = true;
      },
      "The operands this node was computed from, as a set (micrograd's _prev).");
  cls.def(
      "_operands",
      [](PyValue& v) -> py::tuple {
        const std::vector<Value> children = v.get().children();
        py::tuple out(children.size());
        for (std::size_t k = 0; k < children.size(); ++k) out[k] = wrap(children[k]);
        return out;
      },
      "The operands in order, as a tuple: a, b for a binary op; b, w0, x0, w1, x1, ... for a "
      "one-node neuron ('linear', 'ReLU(linear)', 'tanh(linear)'); the children given to "
      "Value(data, children, op).");

  // ---- gradients
  cls.def(
      "backward",
      [](PyValue& v) {
        const Value root = v.get();
        Tape& tape = root.tape();
        {
          // The sweep is C++ on this thread's tape: other Python threads run meanwhile (each on
          // its own tape). A user's _backward takes the GIL back (PythonBackward::run).
          py::gil_scoped_release release;
          root.backward();
        }
        note_backward(tape, v);
      },
      "micrograd's backward(): sets grad = 1 here and adds d self / d node to the grad of every "
      "node this one was computed from (intermediate nodes too: a second call adds again, as in "
      "micrograd; set_backward_semantics('pytorch') recomputes intermediate nodes instead). Runs "
      "the _backward you assigned to your own ops at their turn.");
  cls.def(
      "_backward",
      [](PyValue& v) {
        const Value& h = v.get();
        h.backward_one();
        for (const Value& c : h.children())
          if (PyValue* cv = wrapper_of(h.tape(), c.id())) cv->grad_int = false;
      },
      "The lecture's node._backward(): pushes this node's grad into its operands, nothing else. "
      "Assign your own function to it on a node made by Value(data, children, op).");

  // ---- operators (reflected forms too; in-place forms rebind, as Python does by default)
  cls.def("__add__", &binary<Bin::Add>, py::is_operator());
  cls.def("__radd__", &binary<Bin::RAdd>, py::is_operator());
  cls.def("__sub__", &binary<Bin::Sub>, py::is_operator());
  cls.def("__rsub__", &binary<Bin::RSub>, py::is_operator());
  cls.def("__mul__", &binary<Bin::Mul>, py::is_operator());
  cls.def("__rmul__", &binary<Bin::RMul>, py::is_operator());
  cls.def("__truediv__", &binary<Bin::Div>, py::is_operator());
  cls.def("__rtruediv__", &binary<Bin::RDiv>, py::is_operator());
  cls.def("__pow__", &binary<Bin::Pow>, py::is_operator());
  cls.def("__rpow__", &binary<Bin::RPow>, py::is_operator());
  auto method = [](auto f) {
    return [f](py::handle self) { return f(self.ptr(), *as_value(self.ptr())); };
  };
  cls.def("__neg__", method(&unary<neg, false, true>));
  cls.def("exp", method(&unary<exp_>));
  cls.def("log", method(&unary<log_>));
  cls.def("tanh", method(&unary<tanh_>));
  cls.def("relu", method(&unary<relu_, true>));
  cls.def("sigmoid", method(&unary<sigmoid_>));

  cls.def("__repr__", &value_repr);

  // ---- pickle, copy.copy, copy.deepcopy: a leaf with the same data, grad, label and
  // attributes (the graph it was computed from is not kept, and a _backward is not copied).
  cls.def(py::pickle(
      [](py::handle self) {
        PyValue& v = *as_value(self.ptr());
        const Value& h = v.get();
        py::dict attrs;
        if (PyObject** d = _PyObject_GetDictPtr(self.ptr()); d != nullptr && *d != nullptr)
          for (auto [k, x] : py::reinterpret_borrow<py::dict>(*d))
            if (!py::str(k).equal(py::str("_backward"))) attrs[k] = x;
        return py::make_tuple(h.data(), h.tape().grad(h.id()), h.label(), v.data_int, v.grad_int,
                              v.op_text ? v.op_text : py::str(h.op_string()), attrs);
      },
      [](py::tuple state) {
        if (state.size() != 7) throw std::runtime_error("micrograd_cpp: not a pickled Value");
        const auto call = prepare();
        auto v = std::make_unique<PyValue>(Value(state[0].cast<double>()));
        v->get().grad() = state[1].cast<double>();
        v->get().set_label(state[2].cast<std::string>());
        v->data_int = state[3].cast<bool>();
        v->grad_int = state[4].cast<bool>();
        if (py::len(state[5]) > 0) v->op_text = state[5];
        return std::make_pair(std::move(v), state[6].cast<py::dict>());
      }));
  install_slots(value_type);
}

namespace {
getattrofunc generic_getattro = nullptr;
std::vector<PyTypeObject*> guarded_types;

// Our own attributes of an uninitialised instance (those defined by our C++ classes, which would
// reach the missing C++ object) raise; object's own (__dir__, __class__, ...) and the ways to
// initialise it (__init__, __setstate__) stay.
PyObject* checked_getattro(PyObject* self, PyObject* name) {
  auto* inst = reinterpret_cast<py::detail::instance*>(self);
  if (inst->simple_layout && inst->simple_value_holder[0] == nullptr && PyUnicode_Check(name)) {
    for (PyTypeObject* ours : guarded_types) {
      if (!PyType_IsSubtype(Py_TYPE(self), ours)) continue;
      const char* n = PyUnicode_AsUTF8(name);
      if (n != nullptr && PyDict_GetItem(ours->tp_dict, name) != nullptr &&
          std::strcmp(n, "__init__") != 0 && std::strcmp(n, "__setstate__") != 0 &&
          std::strcmp(n, "__new__") != 0 && std::strcmp(n, "__dict__") != 0 &&
          std::strcmp(n, "__module__") != 0 && std::strcmp(n, "__doc__") != 0) {
        PyErr_Format(PyExc_TypeError,
                     "micrograd_cpp: this %s was never initialised (%s.__init__ not called), so "
                     "it has no .%s; create it by calling the class",
                     ours->tp_name, ours->tp_name, n);
        return nullptr;
      }
      break;
    }
  }
  return generic_getattro(self, name);
}
}  // namespace

void refuse_uninitialised(PyTypeObject* type) {
  if (generic_getattro == nullptr) generic_getattro = type->tp_getattro;
  if (type->tp_getattro != generic_getattro)
    throw std::logic_error("micrograd_cpp: unexpected getattro on " + std::string(type->tp_name));
  type->tp_getattro = &checked_getattro;
  guarded_types.push_back(type);
  PyType_Modified(type);
}

}  // namespace micrograd::python
