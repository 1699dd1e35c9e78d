// pyvalue.cpp: the Python class micrograd_cpp.Value (micrograd's engine.Value on our tape), the
// registry that gives each node one Python wrapper, and Python <-> engine conversions.
//
// Every op is the engine's own composition (a - b is a + (-b), 2 / a is a**-1 * 2, ...), so graphs
// and every rounding step match micrograd. Operators return NotImplemented for operands that are
// neither Values nor numbers, so Python raises its usual TypeError.
// Not here: nn forward passes (nn_binding.cpp), drawing (micrograd_cpp/graph.py).
#include "pyvalue.hpp"

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

bool as_operand(PyObject* o, Operand& out) {
  if (PyValue* v = as_value(o)) {
    out.value = v->get();
    out.is_value = true;
    return true;
  }
  out.is_value = false;
  return as_number(o, out.number);
}

py::object wrap_new(const Value& v) { return py::cast(std::make_unique<PyValue>(v)); }

py::object wrap(const Value& v) {
  Registry& r = registry(v.tape());
  if (auto it = r.nodes.find(v.id()); it != r.nodes.end())
    return py::cast(it->second, py::return_value_policy::reference);  // finds the live wrapper
  return wrap_new(v);
}

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
  prepare();  // before reading handles: a collect rewrites only pinned ones
  PyValue* a = as_value(self.ptr());
  Operand b;
  if (a == nullptr || !as_operand(other.ptr(), b)) return not_implemented();
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
  return wrap_new(out);
}

template <Value (*f)(const Value&)>
py::object unary(PyValue& self) {
  prepare();
  return wrap_new(f(self.get()));
}

Value neg(const Value& a) { return -a; }
Value exp_(const Value& a) { return exp(a); }
Value log_(const Value& a) { return log(a); }
Value tanh_(const Value& a) { return tanh(a); }
Value relu_(const Value& a) { return relu(a); }
Value sigmoid_(const Value& a) { return sigmoid(a); }

std::unique_ptr<PyValue> make_value(py::handle data, py::handle children, py::handle op,
                                    py::handle label) {
  const double x = number_or_throw(data, "Value(data)");
  py::tuple shown_children = py::reinterpret_borrow<py::object>(children).is_none()
                                 ? py::tuple()
                                 : py::tuple(py::reinterpret_borrow<py::object>(children));
  for (py::handle c : shown_children)
    if (as_value(c.ptr()) == nullptr)
      throw py::type_error(
          "micrograd_cpp: Value(data, _children): every child must be a Value, got " +
          type_name(c));
  if (!py::isinstance<py::str>(op)) throw py::type_error("Value(_op=...) must be a str");
  if (!py::isinstance<py::str>(label)) throw py::type_error("Value(label=...) must be a str");
  prepare();
  auto v = std::make_unique<PyValue>(Value(x));
  if (!shown_children.empty() || py::len(op) > 0)
    v->shown = py::make_tuple(std::move(shown_children), py::reinterpret_borrow<py::str>(op));
  if (py::len(label) > 0) v->get().set_label(label.cast<std::string>());
  return v;
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
    return unary<neg>(*v).release().ptr();
  } catch (...) {
    return python_error();
  }
}

template <double& (Value::*field)() const>
PyObject* get_number(PyObject* self, void*) {
  try {
    return PyFloat_FromDouble((as_value(self)->get().*field)());
  } catch (...) {
    return python_error();
  }
}

template <double& (Value::*field)() const>
int set_number(PyObject* self, PyObject* x, void* what) {
  try {
    if (x == nullptr) {
      PyErr_Format(PyExc_AttributeError, "can't delete %s", static_cast<const char*>(what));
      return -1;
    }
    (as_value(self)->get().*field)() = number_or_throw(x, static_cast<const char*>(what));
    return 0;
  } catch (...) {
    python_error();
    return -1;
  }
}

PyGetSetDef value_getset[] = {
    {"data", &get_number<&Value::data>, &set_number<&Value::data>, "the node's value",
     const_cast<char*>("Value.data")},
    {"grad", &get_number<&Value::grad>, &set_number<&Value::grad>,
     "d root / d node after backward()", const_cast<char*>("Value.grad")},
};

void install_slots(PyTypeObject* type) {
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

}  // namespace

void bind_value(py::module_& m) {
  py::class_<PyValue> cls(m, "Value", R"doc(
A scalar with a gradient, micrograd's engine.Value, stored as a node on this thread's tape.

Value(data, _children=(), _op='', label=''): `data` is an int or float (stored as a float).
Passing `_children`/`_op` makes a node that *shows* those children and op in `_prev`, `_op` and
draw_dot, but it is a leaf for backward: gradients do not flow through it to the children.
Values made by operators (+ - * / ** relu tanh exp log sigmoid) are real graph nodes.
)doc");
  value_type = reinterpret_cast<PyTypeObject*>(cls.ptr());
  cls.attr("__module__") = "micrograd_cpp.engine";

  cls.def(py::init(&make_value), py::arg("data"), py::arg("_children") = py::tuple(),
          py::arg("_op") = "", py::arg("label") = "");

  // ---- the node's numbers
  cls.def_property(
      "data", [](PyValue& v) { return v.get().data(); },
      [](PyValue& v, py::handle x) { v.get().data() = number_or_throw(x, "Value.data"); });
  cls.def_property(
      "grad", [](PyValue& v) { return v.get().grad(); },
      [](PyValue& v, py::handle x) { v.get().grad() = number_or_throw(x, "Value.grad"); });
  cls.def_property(
      "label", [](PyValue& v) { return v.get().label(); },
      [](PyValue& v, std::string label) { v.get().set_label(std::move(label)); });

  // ---- what made it
  cls.def_property_readonly("_op", [](PyValue& v) -> py::object {
    if (v.shown) return v.shown[py::int_(1)];
    return py::str(v.get().op_string());
  });
  cls.def_property_readonly(
      "_prev",
      [](PyValue& v) -> py::set {
        if (v.shown) return py::set(v.shown[py::int_(0)]);
        py::set prev;
        for (const Value& c : v.get().children()) prev.add(wrap(c));
        return prev;
      },
      "The operands this node was computed from, as a set (micrograd's _prev).");
  cls.def(
      "_operands",
      [](PyValue& v) -> py::tuple {
        if (v.shown) return v.shown[py::int_(0)];
        const std::vector<Value> children = v.get().children();
        py::tuple out(children.size());
        for (std::size_t k = 0; k < children.size(); ++k) out[k] = wrap(children[k]);
        return out;
      },
      "The operands in order, as a tuple: a, b for a binary op; b, w0, x0, w1, x1, ... for a "
      "one-node neuron ('linear', 'ReLU(linear)', 'tanh(linear)').");

  // ---- gradients
  cls.def(
      "backward", [](PyValue& v) { v.get().backward(); },
      "Sets grad = 1 here and d self / d node in every node this one was computed from. Leaves "
      "accumulate across calls (zero them with zero_grad); intermediate nodes are recomputed.");
  cls.def(
      "_backward", [](PyValue& v) { v.get().backward_one(); },
      "The lecture's node._backward(): pushes this node's grad into its operands, nothing else.");

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
  cls.def("__neg__", &unary<neg>);
  cls.def("exp", &unary<exp_>);
  cls.def("log", &unary<log_>);
  cls.def("tanh", &unary<tanh_>);
  cls.def("relu", &unary<relu_>);
  cls.def("sigmoid", &unary<sigmoid_>);

  cls.def("__repr__", [](PyValue& v) { return to_string(v.get()); });
  install_slots(value_type);
}

}  // namespace micrograd::python
