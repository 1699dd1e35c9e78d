// data_option.hpp: what `train` and `predict` share: the --dataset option and its companions,
// and a trained model's scores over a picture's grid.
// Not here: the data sets themselves (data.hpp), the pictures (plot.hpp).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "micrograd/data.hpp"
#include "micrograd/mersenne.hpp"
#include "micrograd/nn.hpp"
#include "micrograd/plot.hpp"

namespace micrograd::cli {

struct DataSpec {
  std::string dataset = "moons";  // moons, circles, spiral, lecture, csv:PATH
  std::size_t samples = 100;
  double noise = 0.1;
  std::size_t classes = 3;         // spiral only
  int label_column = -1;           // csv only
  std::uint64_t data_seed = 1337;  // the generated data set (micrograd's demo: one fixed set)
  bool samples_given = false;      // --samples on the command line (IDX: use the first N)
};

// Debian's dataset-fashion-mnist puts the four files here.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist/";

// The training files of an IDX data set (fashion-mnist, or idx:IMAGES,LABELS[,TEST_IMAGES,
// TEST_LABELS]) and its test files (empty if none); nullopt for the other data sets.
struct IdxFiles {
  std::string images, labels, test_images, test_labels;
};
std::optional<IdxFiles> idx_files(const DataSpec& d);

// The held-out test set of the data set (Fashion-MNIST's 10,000 images), if it has one.
std::optional<Dataset> load_test_set(const DataSpec& d);

// Adds --dataset, --samples, --noise, --classes, --label-column and --data-seed to `cmd`.
void add_data_options(CLI::App& cmd, DataSpec& d);

// The data set. numpy: NumPy's global generator after np.random.seed(--data-seed) (the moons are
// drawn from it, as in micrograd's demo), or null for the project's own generator.
Dataset load_dataset(const DataSpec& d, NumpyRandomState* numpy);

// --data-seed as NumPy's seed (np.random.seed takes 0 .. 2^32 - 1; larger is a clear error).
std::uint32_t numpy_seed(const DataSpec& d);

// The class a model's outputs predict: the sign of a single score as -1/+1 (micrograd's
// `score > 0`), or the index of the largest of several outputs.
double predicted_class(const std::vector<double>& outputs);
// True when `outputs` predict `label` (for a single score: a label > 0 is class +1).
bool predicts(const std::vector<double>& outputs, double label);

// Plain-double forwards of `model` over a grid: the score (one output) or the predicted class
// (several outputs, the largest).
GridScore grid_score(const nn::MLP& model);

// CLI11 checks with short, human messages (its own range checks print up to DBL_MAX, 309 digits).
CLI::Validator number_check(const char* what, bool (*ok)(double));
extern const CLI::Validator kPositive, kNonNegative, kFinite;

// Short placeholders (N, X, NAME) instead of CLI11's type names, so --help fits 100 columns.
void short_type_names(CLI::App& cmd);

}  // namespace micrograd::cli
