// model.cpp: the model file (model.hpp): nlohmann-json for the text, nn::MLP for the model.
#include "micrograd/model.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "micrograd/io.hpp"

namespace micrograd {

namespace {

using json = nlohmann::ordered_json;  // written in the documented order

const char* activation_name(nn::Activation a) {
  switch (a) {
    case nn::Activation::ReLU:
      return "relu";
    case nn::Activation::Tanh:
      return "tanh";
    case nn::Activation::Linear:
      break;
  }
  return "linear";
}

void check_finite(const std::vector<double>& v, const std::string& what) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i]))
      throw std::invalid_argument("save_model: " + what + "[" + std::to_string(i) + "] is " +
                                  std::to_string(v[i]) + "; a model file holds finite numbers");
}

// Reading: every error names the file and says what is wrong.
[[noreturn]] void bad(const std::string& name, const std::string& what) {
  throw std::runtime_error(name + ": " + what);
}

const json& field(const json& j, const char* key, const std::string& name) {
  auto it = j.find(key);
  if (it == j.end()) bad(name, std::string("no \"") + key + "\" field");
  return *it;
}

std::size_t size_field(const json& j, const char* key, const std::string& name,
                       const std::string& where) {
  const json& v = field(j, key, name);
  if (!v.is_number_unsigned() || v.get<std::uint64_t>() == 0 ||
      v.get<std::uint64_t>() > 100'000'000)
    bad(name, where + "\"" + key + "\" must be a positive integer, got " + v.dump());
  return v.get<std::size_t>();
}

std::vector<double> numbers(const json& v, const std::string& name, const std::string& what) {
  if (!v.is_array()) bad(name, "\"" + what + "\" must be a list of numbers");
  std::vector<double> out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_number())
      bad(name, what + "[" + std::to_string(i) + "] is " + v[i].dump() +
                    ", not a number (a model file holds finite numbers only)");
    const double x = v[i].get<double>();
    if (!std::isfinite(x))
      bad(name, what + "[" + std::to_string(i) + "] is not finite (" + v[i].dump() + ")");
    out.push_back(x);
  }
  return out;
}

}  // namespace

std::string model_to_json(const nn::MLP& model, const ModelInfo& info) {
  json j;
  j["format"] = "micrograd-mlp";
  j["version"] = kModelFormatVersion;
  j["nin"] = model.nin();
  json layers = json::array();
  for (const nn::Layer& l : model.layers())
    layers.push_back(
        {{"nout", l.nout()}, {"activation", activation_name(l.neurons().front().activation())}});
  j["layers"] = layers;
  j["loss"] = info.loss;
  if (info.mean.has_value() != info.std.has_value())
    throw std::invalid_argument("save_model: normalization needs both mean and std");
  if (info.mean) {
    if (info.mean->size() != model.nin() || info.std->size() != model.nin())
      throw std::invalid_argument("save_model: normalization has " +
                                  std::to_string(info.mean->size()) + " means and " +
                                  std::to_string(info.std->size()) + " stds for " +
                                  std::to_string(model.nin()) + " inputs");
    check_finite(*info.mean, "mean");
    check_finite(*info.std, "std");
    for (std::size_t i = 0; i < info.std->size(); ++i)
      if (!((*info.std)[i] > 0.0))
        throw std::invalid_argument("save_model: std[" + std::to_string(i) +
                                    "] must be positive (inputs are divided by it)");
    j["normalization"] = {{"mean", *info.mean}, {"std", *info.std}};
  } else {
    j["normalization"] = nullptr;
  }
  const std::vector<double> p = nn::parameters_to_vector(model);
  check_finite(p, "parameter");
  j["parameters"] = p;
  return j.dump(1) + "\n";  // nlohmann writes doubles with 17 significant digits: exact
}

void save_model(const std::string& path, const nn::MLP& model, const ModelInfo& info) {
  write_file_atomically(path, model_to_json(model, info));
}

SavedModel model_from_json(const std::string& text, const std::string& name,
                           const nn::MLPOptions& options) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {  // a syntax error, or a number out of range
    bad(name, std::string("not a model file (JSON error: ") + e.what() +
                  (text.empty() ? "; the file is empty)" : ")"));
  }
  if (!j.is_object() || !j.contains("format") || j["format"] != "micrograd-mlp")
    bad(name, "not a micrograd model file (no \"format\": \"micrograd-mlp\")");
  const json& version = field(j, "version", name);
  if (!version.is_number_integer() || version.get<long long>() != kModelFormatVersion)
    bad(name, "format version " + version.dump() + "; this program reads version " +
                  std::to_string(kModelFormatVersion));
  const std::size_t nin = size_field(j, "nin", name, "");
  const json& layers = field(j, "layers", name);
  if (!layers.is_array() || layers.empty()) bad(name, "\"layers\" must be a non-empty list");
  std::vector<std::size_t> nouts;
  std::vector<nn::Activation> acts;
  double count = 0.0, fan_in = static_cast<double>(nin);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const std::string where = "layer " + std::to_string(i) + ": ";
    if (!layers[i].is_object()) bad(name, where + "must be {\"nout\": N, \"activation\": NAME}");
    nouts.push_back(size_field(layers[i], "nout", name, where));
    const json& a = field(layers[i], "activation", name);
    if (a == "relu")
      acts.push_back(nn::Activation::ReLU);
    else if (a == "tanh")
      acts.push_back(nn::Activation::Tanh);
    else if (a == "linear")
      acts.push_back(nn::Activation::Linear);
    else
      bad(name, where + "unknown activation " + a.dump() + " (relu, tanh or linear)");
    count += (fan_in + 1.0) * static_cast<double>(nouts.back());
    fan_in = static_cast<double>(nouts.back());
  }
  for (std::size_t i = 1; i + 1 < acts.size(); ++i)
    if (acts[i] != acts[0])
      bad(name,
          "the hidden layers have different activations; an MLP here has one for all "
          "hidden layers and one for the output layer");
  const std::vector<double> p = numbers(field(j, "parameters", name), name, "parameters");
  if (static_cast<double>(p.size()) != count)
    bad(name, "the layers need " + std::to_string(static_cast<long long>(count)) +
                  " parameters, the file has " + std::to_string(p.size()) +
                  (static_cast<double>(p.size()) < count ? " (truncated?)" : ""));
  ModelInfo info;
  if (auto it = j.find("loss"); it != j.end()) {
    if (!it->is_string()) bad(name, "\"loss\" must be a string");
    info.loss = it->get<std::string>();
  }
  if (auto it = j.find("normalization"); it != j.end() && !it->is_null()) {
    if (!it->is_object())
      bad(name, "\"normalization\" must be null or {\"mean\": [...], \"std\": [...]}");
    info.mean = numbers(field(*it, "mean", name), name, "mean");
    info.std = numbers(field(*it, "std", name), name, "std");
    if (info.mean->size() != nin || info.std->size() != nin)
      bad(name, "the normalization must have one mean and one std per input (" +
                    std::to_string(nin) + ")");
    for (std::size_t i = 0; i < nin; ++i)
      if (!((*info.std)[i] > 0.0))
        bad(name, "std[" + std::to_string(i) + "] must be positive (inputs are divided by it)");
  }
  nn::MLPOptions o = options;
  o.hidden = acts.size() > 1 ? acts[0] : options.hidden;
  o.output = acts.back();
  nn::MLP mlp(nin, nouts, o);
  nn::vector_to_parameters(p, mlp);
  return {std::move(mlp), std::move(info)};
}

SavedModel load_model(const std::string& path, const nn::MLPOptions& options) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) bad(path, "no such model file");
  if (!std::filesystem::is_regular_file(path, ec)) bad(path, "not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) bad(path, "cannot open the model file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) bad(path, "cannot read the model file");
  return model_from_json(text.str(), path, options);
}

}  // namespace micrograd
