// train_binding.cpp: the C++ library's data sets, losses and optimizers for Python
// (micrograd_cpp.datasets, .losses, .optim re-export these).
//
// Losses take lists of Values (or numbers) and build the same nodes as the C++ functions, so a
// Python loss is micrograd's Python loss, bit for bit, in one call. Optimizers keep the Python
// parameter objects (which pin the nodes) and hand the C++ optimizer fresh handles before each
// step, because a collect may have moved the parameters' nodes.
// Not here: nn forward passes (nn_binding.cpp).
#include <pybind11/stl.h>  // betas=(0.9, 0.999)

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "micrograd/data.hpp"
#include "micrograd/loss.hpp"
#include "micrograd/optim.hpp"
#include "pyvalue.hpp"

namespace micrograd::python {
namespace {

std::string type_name(py::handle h) { return Py_TYPE(h.ptr())->tp_name; }

// A Python sequence as a fast list (kept alive by the returned object).
py::object fast(py::handle x, const char* what) {
  PyObject* seq = PySequence_Fast(x.ptr(), "");
  if (seq == nullptr) {
    PyErr_Clear();
    throw py::type_error(std::string("micrograd_cpp: ") + what + " must be a list, got " +
                         type_name(x));
  }
  return py::reinterpret_steal<py::object>(seq);
}

// Values (numbers become leaves, as micrograd's ops would make them). Call after prepare().
std::vector<Value> values(py::handle x, const char* what) {
  py::object seq = fast(x, what);
  const Py_ssize_t n = PySequence_Fast_GET_SIZE(seq.ptr());
  PyObject** items = PySequence_Fast_ITEMS(seq.ptr());
  std::vector<Value> out;
  out.reserve(static_cast<std::size_t>(n));
  for (Py_ssize_t i = 0; i < n; ++i) {
    Operand o;
    if (!as_operand(items[i], o))
      throw py::type_error(std::string("micrograd_cpp: ") + what + "[" + std::to_string(i) +
                           "] must be a Value or a number, got " + type_name(items[i]));
    out.push_back(o.is_value ? o.value : Value(o.number));
  }
  return out;
}

std::vector<double> numbers(py::handle x, const char* what) {
  py::object seq = fast(x, what);
  const Py_ssize_t n = PySequence_Fast_GET_SIZE(seq.ptr());
  PyObject** items = PySequence_Fast_ITEMS(seq.ptr());
  std::vector<double> out(static_cast<std::size_t>(n));
  for (Py_ssize_t i = 0; i < n; ++i)
    if (!as_number(items[i], out[static_cast<std::size_t>(i)]))
      throw py::type_error(std::string("micrograd_cpp: ") + what + "[" + std::to_string(i) +
                           "] must be a number, got " + type_name(items[i]));
  return out;
}

py::tuple dataset(const Dataset& d) {
  py::list X(d.size()), y(d.size());
  for (std::size_t i = 0; i < d.size(); ++i) {
    py::list row(d.X[i].size());
    for (std::size_t j = 0; j < d.X[i].size(); ++j) row[j] = d.X[i][j];
    X[i] = row;
    y[i] = d.y[i];
  }
  return py::make_tuple(X, y);
}

// ---- optimizers: the C++ optimizer plus the Python parameters that pin its nodes
template <class Opt>
struct PyOptimizer {
  py::tuple params;  // the Values given, in order
  std::unique_ptr<Opt> opt;

  // The C++ optimizer's handles, refreshed from the pinned Python Values (a collect may have
  // moved the nodes since the last step).
  Opt& refreshed() {
    std::vector<Value> handles;
    handles.reserve(params.size());
    for (py::handle p : params) handles.push_back(as_value(p.ptr())->get());
    opt->rebind_params(std::move(handles));
    return *opt;
  }
};

template <class Opt>
py::tuple checked_params(py::handle params) {
  py::list out;
  for (py::handle p : py::reinterpret_borrow<py::iterable>(params)) {
    if (as_value(p.ptr()) == nullptr)
      throw py::type_error("micrograd_cpp: optimizer parameters must be Values, got " +
                           type_name(p));
    out.append(p);
  }
  return py::tuple(out);
}

// NumPy's get_state() tuple without its name: (key: 624 ints, pos, has_gauss, cached_gaussian).
NumpyRandomState numpy_state(const py::tuple& state) {
  if (state.size() != 4)
    throw py::value_error("a NumPy state is (key, pos, has_gauss, cached_gaussian), got " +
                          std::to_string(state.size()) + " items");
  const auto key = state[0].cast<std::vector<std::uint32_t>>();
  if (key.size() != 624)
    throw py::value_error("a NumPy MT19937 key has 624 words, got " + std::to_string(key.size()));
  std::array<std::uint32_t, 624> k;
  std::copy(key.begin(), key.end(), k.begin());
  NumpyRandomState rs(0);
  rs.engine().set_state(k, state[1].cast<std::size_t>());
  rs.set_gauss(state[2].cast<int>() != 0, state[3].cast<double>());
  return rs;
}
py::tuple numpy_state(const NumpyRandomState& rs) {
  py::list key;
  for (const std::uint32_t w : rs.engine().key()) key.append(w);
  return py::make_tuple(key, rs.engine().position(), rs.has_gauss() ? 1 : 0, rs.cached_gaussian());
}

template <class Opt>
std::vector<Value> handles(const py::tuple& params) {
  std::vector<Value> out;
  for (py::handle p : params) out.push_back(as_value(p.ptr())->get());
  return out;
}

template <class Opt, class Cls>
void bind_optimizer_common(Cls& cls) {
  cls.def(
      "step",
      [](PyOptimizer<Opt>& o, py::object lr) {
        if (lr.is_none())
          o.refreshed().step();
        else
          o.refreshed().step(lr.cast<double>());
      },
      py::arg("lr") = py::none(), "One update (with this learning rate, if given).");
  cls.def(
      "zero_grad", [](PyOptimizer<Opt>& o) { o.refreshed().zero_grad(); },
      "p.grad = 0 for every parameter.");
  cls.def_readonly("params", &PyOptimizer<Opt>::params);
}

}  // namespace

void bind_train(py::module_& m) {
  // ---- data sets: (X, y) as lists; labels -1/+1 for two classes
  m.def(
      "make_moons",
      [](std::size_t n, double noise, std::uint64_t seed) {
        return dataset(make_moons(n, noise, seed));
      },
      py::arg("n"), py::arg("noise"), py::arg("seed"));
  // scikit-learn's make_moons drawn from NumPy's legacy generator, whose state comes in and goes
  // out as np.random.get_state()'s (key, pos, has_gauss, cached_gaussian): the caller can take
  // it from numpy's global generator and put it back, as scikit-learn's own call would leave it.
  m.def(
      "make_moons_numpy",
      [](std::size_t n, std::optional<double> noise, bool shuffle, const py::tuple& state) {
        NumpyRandomState rs = numpy_state(state);
        py::tuple data = dataset(make_moons(n, noise, rs, shuffle));
        return py::make_tuple(data[0], data[1], numpy_state(rs));
      },
      py::arg("n"), py::arg("noise"), py::arg("shuffle"), py::arg("state"));
  py::class_<NumpyRandomState>(m, "NumpyRandomState",
                               "NumPy's legacy generator (np.random.RandomState), bit for bit.")
      .def(py::init<std::uint32_t>(), py::arg("seed"))
      .def("random_sample", &NumpyRandomState::random_sample)
      .def("standard_normal", &NumpyRandomState::standard_normal)
      .def("normal", &NumpyRandomState::normal, py::arg("loc"), py::arg("scale"))
      .def("permutation", &NumpyRandomState::permutation, py::arg("n"))
      .def("get_state", [](const NumpyRandomState& rs) { return numpy_state(rs); })
      .def("set_state",
           [](NumpyRandomState& rs, const py::tuple& state) { rs = numpy_state(state); });
  py::class_<PythonRandom>(m, "PythonRandom",
                           "Python's random.Random: seed(n), random(), uniform(), bit for bit.")
      .def(py::init<std::uint64_t>(), py::arg("seed"))
      .def("random", &PythonRandom::random)
      .def("uniform", &PythonRandom::uniform, py::arg("a"), py::arg("b"))
      .def("getrandbits32", [](PythonRandom& r) { return r.engine().next_u32(); });
  m.def(
      "make_circles",
      [](std::size_t n, double noise, double factor, std::uint64_t seed) {
        return dataset(make_circles(n, noise, factor, seed));
      },
      py::arg("n"), py::arg("noise"), py::arg("factor"), py::arg("seed"));
  m.def(
      "make_spiral",
      [](std::size_t n_per_class, std::size_t classes, std::uint64_t seed) {
        return dataset(make_spiral(n_per_class, classes, seed));
      },
      py::arg("n_per_class"), py::arg("classes"), py::arg("seed"));
  m.def("lecture_dataset", [] { return dataset(lecture_dataset()); });

  // ---- losses (one C++ call each; the same nodes as micrograd's Python)
  m.def(
      "svm_max_margin",
      [](py::handle scores, py::handle y) {
        const auto call = prepare();
        return wrap_new(svm_max_margin(values(scores, "scores"), numbers(y, "y")));
      },
      py::arg("scores"), py::arg("y"));
  m.def(
      "mse",
      [](py::handle pred, py::handle target) {
        const auto call = prepare();
        return wrap_new(mse(values(pred, "pred"), numbers(target, "target")));
      },
      py::arg("pred"), py::arg("target"));
  m.def(
      "sum_squared_error",
      [](py::handle pred, py::handle target) {
        const auto call = prepare();
        return wrap_new(sum_squared_error(values(pred, "pred"), numbers(target, "target")));
      },
      py::arg("pred"), py::arg("target"));
  m.def(
      "binary_cross_entropy_with_logits",
      [](py::handle scores, py::handle y) {
        const auto call = prepare();
        return wrap_new(
            binary_cross_entropy_with_logits(values(scores, "scores"), numbers(y, "y")));
      },
      py::arg("scores"), py::arg("y"));
  m.def(
      "softmax_cross_entropy",
      [](py::handle logits, py::handle classes) {
        const auto call = prepare();
        std::vector<std::vector<Value>> rows;
        for (py::handle row : fast(logits, "logits")) rows.push_back(values(row, "logits row"));
        std::vector<std::size_t> cls;
        for (double c : numbers(classes, "classes")) {
          if (!(c >= 0) || c != static_cast<double>(static_cast<std::size_t>(c)))
            throw py::value_error("softmax_cross_entropy: classes must be integers >= 0");
          cls.push_back(static_cast<std::size_t>(c));
        }
        return wrap_new(softmax_cross_entropy(rows, cls));
      },
      py::arg("logits"), py::arg("classes"));
  m.def(
      "l2_regularization",
      [](py::handle params, double alpha) {
        const auto call = prepare();
        return wrap_new(l2_regularization(values(params, "params"), alpha));
      },
      py::arg("params"), py::arg("alpha"));
  m.def(
      "accuracy",
      [](py::handle scores, py::handle y) {
        const auto call = prepare();
        return accuracy(values(scores, "scores"), numbers(y, "y"));
      },
      py::arg("scores"), py::arg("y"));

  // ---- optimizers (PyTorch's signatures)
  using PySGD = PyOptimizer<SGD>;
  py::class_<PySGD> sgd(
      m, "SGD", "SGD(params, lr, momentum=0.0): p.data -= lr * p.grad (micrograd's update).");
  sgd.def(py::init([](py::handle params, double lr, double momentum) {
            auto o = std::make_unique<PySGD>();
            o->params = checked_params<SGD>(params);
            o->opt = std::make_unique<SGD>(handles<SGD>(o->params), lr, momentum);
            return o;
          }),
          py::arg("params"), py::arg("lr"), py::arg("momentum") = 0.0);
  sgd.def_property(
      "lr", [](PySGD& o) { return o.opt->lr(); }, [](PySGD& o, double lr) { o.opt->set_lr(lr); });
  bind_optimizer_common<SGD>(sgd);

  auto adam_init = [](auto* tag) {
    using Opt = std::remove_pointer_t<decltype(tag)>;
    return [](py::handle params, double lr, std::pair<double, double> betas, double eps,
              double weight_decay) {
      auto o = std::make_unique<PyOptimizer<Opt>>();
      o->params = checked_params<Opt>(params);
      o->opt = std::make_unique<Opt>(handles<Opt>(o->params), lr, betas.first, betas.second, eps,
                                     weight_decay);
      return o;
    };
  };
  py::class_<PyOptimizer<Adam>> adam(m, "Adam", "PyTorch's torch.optim.Adam (amsgrad=False).");
  adam.def(py::init(adam_init(static_cast<Adam*>(nullptr))), py::arg("params"),
           py::arg("lr") = 1e-3, py::arg("betas") = std::make_pair(0.9, 0.999),
           py::arg("eps") = 1e-8, py::arg("weight_decay") = 0.0);
  bind_optimizer_common<Adam>(adam);
  py::class_<PyOptimizer<AdamW>> adamw(m, "AdamW",
                                       "PyTorch's torch.optim.AdamW (decoupled weight decay).");
  adamw.def(py::init(adam_init(static_cast<AdamW*>(nullptr))), py::arg("params"),
            py::arg("lr") = 1e-3, py::arg("betas") = std::make_pair(0.9, 0.999),
            py::arg("eps") = 1e-8, py::arg("weight_decay") = 0.01);
  bind_optimizer_common<AdamW>(adamw);
}

}  // namespace micrograd::python
