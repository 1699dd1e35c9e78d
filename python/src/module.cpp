// module.cpp: micrograd_cpp._core, the private compiled module of the Python package.
//
// Maps the engine's errors to Python exceptions (StaleValueError, NonFiniteError; other
// std::logic_error such as mixing threads' Values -> RuntimeError) and exposes a few tape controls.
// Not here: the Value class (pyvalue.cpp), nn forward passes (nn_binding.cpp), data sets, losses
// and optimizers (train_binding.cpp), and the public
// names, which the pure-Python package re-exports (micrograd_cpp/__init__.py).
#include <algorithm>
#include <exception>

#include "micrograd/explore.hpp"
#include "pyvalue.hpp"

namespace py = pybind11;
using namespace micrograd::python;

PYBIND11_MODULE(_core, m) {
  m.doc() = "micrograd_cpp's compiled core (private: import micrograd_cpp instead)";

  // Exceptions: created once, never freed (the translator may run until interpreter exit).
  static PyObject* stale = PyErr_NewExceptionWithDoc(
      "micrograd_cpp.StaleValueError",
      "A Value was used after its node was reclaimed (e.g. the thread that created it ended).",
      PyExc_RuntimeError, nullptr);
  static PyObject* nonfinite = PyErr_NewExceptionWithDoc(
      "micrograd_cpp.NonFiniteError",
      "A nan/inf appeared while set_detect_anomaly(True) is on; the message names the op.",
      PyExc_ValueError, nullptr);
  if (stale == nullptr || nonfinite == nullptr) throw py::error_already_set();
  m.attr("StaleValueError") = py::handle(stale);
  m.attr("NonFiniteError") = py::handle(nonfinite);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const micrograd::StaleValueError& e) {
      PyErr_SetString(stale, e.what());
    } catch (const micrograd::NonFiniteError& e) {
      PyErr_SetString(nonfinite, e.what());
    }
  });

  bind_value(m);
  bind_nn(m);
  bind_train(m);
  // An object made with Cls.__new__(Cls) and never initialised has no C++ object inside: every
  // attribute of it (methods, properties) raises TypeError instead of reaching a null pointer.
  // Pickle protocols 0 and 1 (and __reduce__) go through copyreg._reduce_ex, which makes a
  // pybind11 base object and ends the process (pybind11 throws inside a C callback). Our reduce
  // is protocol 2's for every protocol: the class, then the state; a class without state of its
  // own (the optimizers) cannot be pickled.
  py::object newobj = py::module_::import("copyreg").attr("__newobj__");
  for (const char* name : {"Value", "SGD", "Adam", "AdamW", "NumpyRandomState", "PythonRandom"}) {
    py::object cls = m.attr(name);
    refuse_uninitialised(reinterpret_cast<PyTypeObject*>(cls.ptr()));
    const bool has_state = py::hasattr(cls, "__getstate__") &&
                           PyDict_GetItemString(reinterpret_cast<PyTypeObject*>(cls.ptr())->tp_dict,
                                                "__getstate__") != nullptr;
    auto reduce = [newobj, has_state](py::handle self) -> py::object {
      if (!has_state)
        throw py::type_error(std::string("cannot pickle '") + Py_TYPE(self.ptr())->tp_name +
                             "' object");
      py::handle type(reinterpret_cast<PyObject*>(Py_TYPE(self.ptr())));
      return py::make_tuple(newobj, py::make_tuple(type), self.attr("__getstate__")());
    };
    cls.attr("__reduce_ex__") =
        py::cpp_function([reduce](py::handle self, int) { return reduce(self); },
                         py::is_method(cls), py::arg("protocol"));
    cls.attr("__reduce__") = py::cpp_function(reduce, py::is_method(cls));
  }

  // ---- this thread's tape
  m.def(
      "set_detect_anomaly", [](bool on) { micrograd::set_detect_anomaly(on); }, py::arg("on"),
      "Raise NonFiniteError as soon as a nan/inf appears in forward or backward (this thread).");
  m.def(
      "set_backward_semantics",
      [](const std::string& name) {
        if (name == "micrograd")
          micrograd::set_backward_semantics(micrograd::Semantics::Micrograd);
        else if (name == "pytorch")
          micrograd::set_backward_semantics(micrograd::Semantics::PyTorch);
        else
          throw py::value_error("set_backward_semantics: 'micrograd' or 'pytorch', got '" + name +
                                "'");
      },
      py::arg("name"),
      "What a second backward() does (this thread): 'micrograd' (the default) adds into every "
      "node, intermediate ones included, exactly as micrograd; 'pytorch' recomputes intermediate "
      "nodes and accumulates into leaves only (torch's retain_graph=True).");
  m.def(
      "get_backward_semantics",
      [] {
        return micrograd::Tape::current().semantics() == micrograd::Semantics::Micrograd
                   ? "micrograd"
                   : "pytorch";
      },
      "'micrograd' or 'pytorch' (see set_backward_semantics).");
  m.def(
      "tape_size", [] { return micrograd::Tape::current().size(); },
      "Nodes on this thread's tape (live or not yet reclaimed).");
  m.def(
      "collect",
      [] {
        if (binding_depth > 0)
          throw std::logic_error(
              "micrograd_cpp: collect() was called from Python code that a micrograd_cpp call is "
              "running (a __float__ or a property it read); call it afterwards");
        micrograd::Tape::current().collect();
      },
      "Reclaims now every node no Python Value can reach (it also happens automatically).");
  m.def(
      "_explore_data",
      [](py::handle root, const std::string& rankdir) {
        PyValue* v = as_value(root.ptr());
        if (v == nullptr) throw py::type_error("explore() needs a Value");
        const micrograd::Statements s = micrograd::to_statements(v->get());
        micrograd::DotOptions options;
        options.rankdir = rankdir;
        options.max_nodes = 2000;  // the page's engine's default (web/explorer.js)
        py::list variables;
        for (const auto& [name, value] : s.variables) variables.append(py::make_tuple(name, value));
        return py::make_tuple(s.text, variables,
                              micrograd::statements_walkthrough_json(s.text, s.variables, options));
      },
      py::arg("root"), py::arg("rankdir"),
      "(statements, variables, walkthrough JSON) of root's graph: the data of explore()'s page.");
  m.def(
      "pinned_count", [] { return micrograd::Tape::current().pinned_count(); },
      "Python Values alive on this thread's tape.");
}
