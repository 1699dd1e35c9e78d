// nn_binding.cpp: the forward passes of micrograd_cpp.nn's Neuron, Layer and MLP in one C++ call.
//
// The Python classes (micrograd_cpp/nn.py) own their parameters as plain Python attributes, as in
// micrograd: neuron.w (a list of Values), neuron.b, neuron.nonlin, layer.neurons, mlp.layers.
// These functions read those attributes on every call (so a user who replaces a weight is seen)
// and compute exactly micrograd's numbers: act(b + w0*x0 + w1*x1 + ...), summed left to right from
// b. By default (neuron.fused, set by nn.py) a neuron is one dense node when its weights, bias and
// inputs are runs of consecutive nodes (as micrograd's classes make them), a whole layer in one
// dense() call; otherwise, or with fused False, micrograd's graph node by node, a number input
// becoming a fresh leaf at each use, as `wi*xi` does in micrograd. The numbers are the same.
// Not here: the classes, their printing and parameter lists (nn.py).
#include <pybind11/stl.h>

#include <cctype>
#include <string>
#include <vector>

#include "micrograd/model.hpp"
#include "pyvalue.hpp"

namespace micrograd::python {
namespace {

enum class Act { Linear, ReLU, Tanh, Sigmoid };

std::string type_name(py::handle h) { return Py_TYPE(h.ptr())->tp_name; }

// The attribute names, as interned Python strings made once: PyObject_GetAttrString builds a new
// string object at every call, which was most of a forward's cost in the notebook's loop.
struct Names {
  PyObject* w = PyUnicode_InternFromString("w");
  PyObject* b = PyUnicode_InternFromString("b");
  PyObject* nonlin = PyUnicode_InternFromString("nonlin");
  PyObject* fused = PyUnicode_InternFromString("fused");
  PyObject* neurons = PyUnicode_InternFromString("neurons");
  PyObject* layers = PyUnicode_InternFromString("layers");
};
const Names& names() {
  static const Names n;  // made under the GIL at the first forward; lives as long as the process
  return n;
}

py::object attr(py::handle obj, PyObject* name) {
  PyObject* r = PyObject_GetAttr(obj.ptr(), name);
  if (r == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(r);
}

// micrograd's neuron.nonlin: True (ReLU), False (linear), or one of our names.
Act activation(py::handle neuron) {
  py::object a = attr(neuron, names().nonlin);
  if (a.ptr() == Py_True) return Act::ReLU;
  if (a.ptr() == Py_False) return Act::Linear;
  if (py::isinstance<py::str>(a)) {
    const std::string s = a.cast<std::string>();
    if (s == "relu") return Act::ReLU;
    if (s == "tanh") return Act::Tanh;
    if (s == "linear") return Act::Linear;
    if (s == "sigmoid") return Act::Sigmoid;
  }
  throw py::value_error(
      "micrograd_cpp: neuron.nonlin must be True (ReLU), False (linear), 'relu', "
      "'tanh', 'linear' or 'sigmoid', got " +
      py::repr(a).cast<std::string>());
}

// A list/tuple/sequence of Values or numbers (a neuron's inputs).
std::vector<Operand> operands(py::handle x, const char* what) {
  PyObject* seq = PySequence_Fast(x.ptr(), "");
  if (seq == nullptr) {
    PyErr_Clear();
    throw py::type_error(std::string("micrograd_cpp: ") + what +
                         " takes a list of Values or numbers, got " + type_name(x));
  }
  py::object keep = py::reinterpret_steal<py::object>(seq);
  const Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
  PyObject** items = PySequence_Fast_ITEMS(seq);
  std::vector<Operand> out(static_cast<std::size_t>(n));
  for (Py_ssize_t i = 0; i < n; ++i)
    if (!as_operand(items[i], out[static_cast<std::size_t>(i)]))
      throw py::type_error(std::string("micrograd_cpp: ") + what + " input " + std::to_string(i) +
                           " must be a Value or a number, got " + type_name(items[i]));
  return out;
}

// neuron.fused (micrograd_cpp.nn sets it; default True): build the neuron as one node.
bool fused(py::handle neuron) {
  PyObject* f = PyObject_GetAttr(neuron.ptr(), names().fused);
  if (f == nullptr) {
    PyErr_Clear();
    return true;
  }
  const int on = PyObject_IsTrue(f);
  Py_DECREF(f);
  if (on < 0) throw py::error_already_set();
  return on == 1;
}

Op dense_op(Act act) {
  return act == Act::ReLU ? Op::DenseReLU : act == Act::Tanh ? Op::DenseTanh : Op::Dense;
}

// The inputs as one run of consecutive nodes (x0's handle), or an empty Value if they are not
// (a number among them, or Values made apart).
Value input_run(const std::vector<Operand>& x) {
  std::vector<Value> v;
  v.reserve(x.size());
  for (const Operand& o : x) {
    if (!o.is_value) return Value();
    v.push_back(o.value);
  }
  return consecutive(v.data(), v.size()) ? v.front() : Value();
}

// The fast path: the neurons (a layer's, or a single neuron in a tuple) as one dense() call,
// when every neuron is fused, has the same activation (not sigmoid) and their parameters are one
// run of consecutive nodes in micrograd's order (w..., b neuron by neuron: how Layer.__init__
// makes them), and the inputs are a run too. Same numbers as neuron_forward's graph, bit for bit.
// Empty if it does not apply (neuron_forward then reports any error).
std::vector<Value> dense_forward(py::handle neurons, const std::vector<Operand>& x) {
  const Value x0 = input_run(x);
  if (!x0.valid()) return {};
  // Reused from call to call: a wide layer's handles (1.6 MB for 784x128) allocated afresh each
  // time came from mmap and cost page faults every call (about 6 ms of a 784-128-10 forward). A
  // nested call (Python code run by an attribute read, calling a model) gets its own vector.
  static thread_local std::vector<Value> reused;
  static thread_local int depth = 0;
  std::vector<Value> own;
  std::vector<Value>& params = depth == 0 ? reused : own;
  params.clear();
  struct Depth {
    int& d;
    explicit Depth(int& x) : d(++x) {}
    ~Depth() { --d; }
  } nesting(depth);
  Act act = Act::Linear;
  std::size_t nout = 0;
  for (py::handle neuron : neurons) {
    const Act a = activation(neuron);
    if (a == Act::Sigmoid || (nout > 0 && a != act) || !fused(neuron)) return {};
    act = a;
    py::object w = attr(neuron, names().w);
    PyObject* ws = PySequence_Fast(w.ptr(), "");
    if (ws == nullptr) {
      PyErr_Clear();
      return {};  // neuron_forward reports it
    }
    py::object keep = py::reinterpret_steal<py::object>(ws);
    if (static_cast<std::size_t>(PySequence_Fast_GET_SIZE(ws)) != x.size()) return {};
    PyObject** items = PySequence_Fast_ITEMS(ws);
    for (std::size_t i = 0; i < x.size(); ++i) {
      PyValue* wi = as_value(items[i]);
      if (wi == nullptr) return {};
      params.push_back(wi->get());
    }
    py::object bias = attr(neuron, names().b);  // held while its handle is read
    PyValue* b = as_value(bias.ptr());
    if (b == nullptr) return {};
    params.push_back(b->get());
    ++nout;
  }
  if (nout == 0 || !consecutive(params.data(), params.size())) return {};
  Value first;
  if (nout * x.size() >= 4096) {  // a wide layer: other Python threads run meanwhile
    py::gil_scoped_release release;
    first = dense(dense_op(act), params.front(), static_cast<Value::Index>(nout), x0,
                  static_cast<Value::Index>(x.size()));
  } else {
    first = dense(dense_op(act), params.front(), static_cast<Value::Index>(nout), x0,
                  static_cast<Value::Index>(x.size()));
  }
  std::vector<Value> out;
  out.reserve(nout);
  for (std::size_t j = 0; j < nout; ++j) out.push_back(first.offset(static_cast<Value::Index>(j)));
  return out;
}

// act(b + sum_i w_i * x_i), micrograd's Neuron.__call__.
Value neuron_forward(py::handle neuron, const std::vector<Operand>& x) {
  // one dense node if w, b and x are runs
  if (const std::vector<Value> out = dense_forward(py::make_tuple(neuron), x); !out.empty())
    return out.front();
  py::object w = attr(neuron, names().w);
  py::object b = attr(neuron, names().b);
  const Act act = activation(neuron);
  PyObject* ws = PySequence_Fast(w.ptr(), "micrograd_cpp: neuron.w must be a list of Values");
  if (ws == nullptr) throw py::error_already_set();
  py::object keep = py::reinterpret_steal<py::object>(ws);
  const Py_ssize_t n = PySequence_Fast_GET_SIZE(ws);
  if (static_cast<std::size_t>(n) != x.size())
    throw py::value_error("micrograd_cpp: a Neuron with " + std::to_string(n) +
                          " inputs was called with " + std::to_string(x.size()) + " inputs");
  PyValue* bias = as_value(b.ptr());
  if (bias == nullptr)
    throw py::type_error("micrograd_cpp: neuron.b must be a Value, got " + type_name(b));
  PyObject** items = PySequence_Fast_ITEMS(ws);
  Value sum = bias->get();
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyValue* wi = as_value(items[i]);
    if (wi == nullptr)
      throw py::type_error("micrograd_cpp: neuron.w[" + std::to_string(i) +
                           "] must be a Value, got " + type_name(items[i]));
    const Operand& xi = x[static_cast<std::size_t>(i)];
    sum = sum + (xi.is_value ? wi->get() * xi.value : wi->get() * xi.number);
  }
  switch (act) {
    case Act::Linear:
      return sum;
    case Act::ReLU:
      return relu(sum);
    case Act::Tanh:
      return tanh(sum);
    case Act::Sigmoid:
      return sigmoid(sum);
  }
  return sum;
}

std::vector<Value> layer_forward(py::handle layer, const std::vector<Operand>& x) {
  py::object neurons = attr(layer, names().neurons);
  if (std::vector<Value> out = dense_forward(neurons, x); !out.empty()) return out;
  std::vector<Value> out;
  for (py::handle neuron : neurons) out.push_back(neuron_forward(neuron, x));
  return out;
}

// micrograd's Layer returns its single output unwrapped.
py::object wrap_outputs(const std::vector<Value>& out) {
  if (out.size() == 1) return wrap_new(out[0]);
  py::list list(out.size());
  for (std::size_t i = 0; i < out.size(); ++i) list[i] = wrap_new(out[i]);
  return list;
}

}  // namespace

void bind_nn(py::module_& m) {
  m.def(
      "neuron_forward",
      [](py::handle neuron, py::handle x) {
        const auto call = prepare();  // before reading any handle
        return wrap_new(neuron_forward(neuron, operands(x, "Neuron")));
      },
      "Neuron.__call__ in one C++ call.");
  m.def(
      "layer_forward",
      [](py::handle layer, py::handle x) {
        const auto call = prepare();
        return wrap_outputs(layer_forward(layer, operands(x, "Layer")));
      },
      "Layer.__call__ in one C++ call (a single output is returned unwrapped).");
  m.def(
      "mlp_forward",
      [](py::handle mlp, py::handle x) {
        const auto call = prepare();
        std::vector<Operand> in = operands(x, "MLP");
        std::vector<Value> out;
        bool any_layer = false;
        for (py::handle layer : attr(mlp, names().layers)) {
          any_layer = true;
          out = layer_forward(layer, in);
          in.assign(out.size(), Operand{});
          for (std::size_t i = 0; i < out.size(); ++i) {
            in[i].value = out[i];
            in[i].is_value = true;
          }
        }
        if (!any_layer) throw py::value_error("micrograd_cpp: this MLP has no layers");
        return wrap_outputs(out);
      },
      "MLP.__call__ in one C++ call (a single output is returned unwrapped).");
  m.def(
      "zero_grad",
      [](py::iterable params) {
        for (py::handle p : params) {
          PyValue* v = as_value(p.ptr());
          if (v == nullptr)
            throw py::type_error("zero_grad: parameters must be Values, got " + type_name(p));
          v->get().grad() = 0.0;
          v->grad_int = true;  // micrograd's zero_grad writes the int 0
        }
      },
      "Sets p.grad = 0 for each Value p.");

  // ---- model files (micrograd/model.hpp), for MLP.save / MLP.load in nn.py
  m.def(
      "save_mlp",
      [](const std::string& path, std::size_t nin, const std::vector<std::size_t>& nouts,
         const std::vector<std::string>& activations, const std::vector<double>& params,
         const std::string& loss) {
        if (nouts.empty() || activations.size() != nouts.size())
          throw py::value_error("save: one activation per layer");
        auto act = [](const std::string& a) {
          if (a == "relu") return nn::Activation::ReLU;
          if (a == "tanh") return nn::Activation::Tanh;
          if (a == "linear") return nn::Activation::Linear;
          throw py::value_error("save: the model file holds relu, tanh and linear layers, not '" +
                                a + "'");
        };
        for (std::size_t i = 1; i + 1 < activations.size(); ++i)
          if (activations[i] != activations[0])
            throw py::value_error(
                "save: the hidden layers have different activations; the model file holds one "
                "for all hidden layers and one for the output layer");
        nn::MLPOptions o;
        o.hidden = act(activations.front());
        o.output = act(activations.back());
        TapeScope scope;  // the copy's nodes go when this returns
        const nn::MLP mlp(nin, nouts, o);
        nn::vector_to_parameters(params, mlp);
        ModelInfo info;
        info.loss = loss;
        save_model(path, mlp, info);
      },
      py::arg("path"), py::arg("nin"), py::arg("nouts"), py::arg("activations"),
      py::arg("parameters"), py::arg("loss"));
  m.def(
      "load_mlp",
      [](const std::string& path) {
        TapeScope scope;
        const SavedModel sm = load_model(path);
        py::list layers;
        for (const nn::Layer& l : sm.mlp.layers()) {
          std::string a = nn::to_string(l.neurons().front().activation());
          for (char& c : a) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          layers.append(py::make_tuple(l.nout(), a));
        }
        py::dict d;
        d["nin"] = sm.mlp.nin();
        d["layers"] = layers;
        d["parameters"] = nn::parameters_to_vector(sm.mlp);
        d["loss"] = sm.info.loss;
        d["mean"] = sm.info.mean ? py::cast(*sm.info.mean) : py::none();
        d["std"] = sm.info.std ? py::cast(*sm.info.std) : py::none();
        return d;
      },
      py::arg("path"));
}

}  // namespace micrograd::python
