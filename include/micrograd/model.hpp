// model.hpp: trained models in a file: an MLP's architecture and every parameter, as versioned
// JSON that the program, the C++ library and micrograd_cpp all read and write.
//
//   save_model("model.json", model, {.loss = "svm"});
//   SavedModel m = load_model("model.json");   // m.mlp(x) as before saving, bit for bit
//
// The format (version 1), documented in docs/model-format.md:
//   {"format": "micrograd-mlp", "version": 1, "nin": 2,
//    "layers": [{"nout": 16, "activation": "relu"}, ..., {"nout": 1, "activation": "linear"}],
//    "loss": "svm", "normalization": null or {"mean": [...], "std": [...]},
//    "parameters": [w..., b, w..., b, ...]}        <- micrograd's order: layer, neuron, w then b
// Numbers are written with 17 significant digits, so they read back exactly.
// Not here: training state (optimizer moments), the graph, other kinds of models.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "micrograd/nn.hpp"

namespace micrograd {

struct ModelInfo {
  std::string loss;  // what it was trained with (svm, mse, bce, softmax); "" if unknown
  // Per-feature standardization the model expects its inputs to have had: x' = (x - mean) / std.
  std::optional<std::vector<double>> mean, std;
};

// The file format's version this library writes; it reads this version only.
inline constexpr int kModelFormatVersion = 1;

// Writes `model` atomically (io.hpp). Throws std::invalid_argument for a non-finite parameter or a
// normalization of the wrong size, std::runtime_error for a write failure (naming the file).
void save_model(const std::string& path, const nn::MLP& model, const ModelInfo& info = {});
std::string model_to_json(const nn::MLP& model, const ModelInfo& info = {});

struct SavedModel {
  nn::MLP mlp;
  ModelInfo info;
};

// Reads a model file. Throws std::runtime_error naming the file and what is wrong: missing,
// not JSON (with the position), another format or version, sizes that do not add up, non-finite
// or missing numbers, an activation pattern nn::MLP cannot hold.
SavedModel load_model(const std::string& path, const nn::MLPOptions& options = {});
// The same from the text of a file; `name` is used in the messages.
SavedModel model_from_json(const std::string& text, const std::string& name,
                           const nn::MLPOptions& options = {});

}  // namespace micrograd
