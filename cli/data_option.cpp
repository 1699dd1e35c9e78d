// data_option.cpp: see data_option.hpp.
#include "data_option.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace micrograd::cli {

namespace {
// A generated data set larger than this is a typo (--samples 1000000000), refused before
// anything is allocated.
constexpr std::size_t kMaxSamples = 10'000'000;
}  // namespace

CLI::Validator number_check(const char* what, bool (*ok)(double)) {
  return CLI::Validator(
      [what, ok](std::string& text) -> std::string {
        char* end = nullptr;
        const double x = std::strtod(text.c_str(), &end);
        if (end == text.c_str() || *end != '\0') return {};  // the type check reports it
        if (!ok(x)) return std::string("must be ") + what + ", got " + text;
        return {};
      },
      "");
}
const CLI::Validator kPositive = number_check("positive", [](double x) { return x > 0.0; });
const CLI::Validator kNonNegative = number_check("zero or more", [](double x) { return x >= 0.0; });
// A double option must be a finite number: CLI11's range checks let nan through (every
// comparison with nan is false), and inf or 1e400 make every later number inf.
const CLI::Validator kFinite =
    number_check("a finite number", [](double x) { return std::isfinite(x); });

void add_data_options(CLI::App& cmd, DataSpec& d) {
  cmd.add_option("--dataset", d.dataset,
                 "moons circles spiral lecture fashion-mnist csv:PATH idx:...")
      ->capture_default_str();
  cmd.add_option("--samples", d.samples, "Number of samples (moons, circles, spiral)")
      ->capture_default_str()
      ->check(kPositive);
  cmd.add_option("--noise", d.noise, "Noise standard deviation (moons, circles)")
      ->check(kFinite)
      ->capture_default_str()
      ->check(kNonNegative);
  cmd.add_option("--classes", d.classes, "Number of spiral arms (spiral)")
      ->capture_default_str()
      ->check(number_check("2 to 8", [](double x) { return x >= 2.0 && x <= 8.0; }));
  cmd.add_option("--label-column", d.label_column, "Label column of a CSV file (-1: last)")
      ->capture_default_str();
  cmd.add_option("--data-seed", d.data_seed, "Seed of the data set (with --rng micrograd: batches)")
      ->capture_default_str()
      ->check(kNonNegative);
}

Dataset load_dataset(const DataSpec& d, NumpyRandomState* numpy) {
  if (d.samples > kMaxSamples && d.dataset.rfind("csv:", 0) != 0 && d.dataset != "lecture")
    throw CLI::ValidationError("--samples", "at most " + std::to_string(kMaxSamples) + ", got " +
                                                std::to_string(d.samples));
  if (d.dataset == "moons")
    return numpy ? make_moons(d.samples, d.noise, *numpy)
                 : make_moons(d.samples, d.noise, d.data_seed);
  if (d.dataset == "circles") return make_circles(d.samples, d.noise, 0.5, d.data_seed);
  if (d.dataset == "spiral")
    return make_spiral(std::max<std::size_t>(d.samples / d.classes, 1), d.classes, d.data_seed);
  if (d.dataset == "lecture") return lecture_dataset();
  if (const std::optional<IdxFiles> f = idx_files(d))
    return load_idx(f->images, f->labels, 1.0 / 255.0, d.samples_given ? d.samples : 0);
  if (d.dataset.rfind("csv:", 0) == 0) return load_csv(d.dataset.substr(4), d.label_column);
  throw CLI::ValidationError("--dataset", "'" + d.dataset +
                                              "' is not one of moons, circles, spiral, lecture, "
                                              "fashion-mnist, csv:PATH, idx:IMAGES,LABELS");
}

std::optional<IdxFiles> idx_files(const DataSpec& d) {
  if (d.dataset == "fashion-mnist") {
    const std::string dir = kFashionMnistDir;
    return IdxFiles{dir + "train-images-idx3-ubyte.gz", dir + "train-labels-idx1-ubyte.gz",
                    dir + "t10k-images-idx3-ubyte.gz", dir + "t10k-labels-idx1-ubyte.gz"};
  }
  if (d.dataset.rfind("idx:", 0) != 0) return std::nullopt;
  std::vector<std::string> parts;
  std::stringstream s(d.dataset.substr(4));
  std::string item;
  while (std::getline(s, item, ',')) parts.push_back(item);
  if ((parts.size() != 2 && parts.size() != 4) ||
      std::any_of(parts.begin(), parts.end(), [](const std::string& p) { return p.empty(); }))
    throw CLI::ValidationError("--dataset",
                               "idx: takes IMAGES,LABELS or IMAGES,LABELS,TEST_IMAGES,TEST_LABELS "
                               "(four IDX files, .gz or plain), got '" +
                                   d.dataset + "'");
  parts.resize(4);
  return IdxFiles{parts[0], parts[1], parts[2], parts[3]};
}

std::optional<Dataset> load_test_set(const DataSpec& d) {
  const std::optional<IdxFiles> f = idx_files(d);
  if (!f || f->test_images.empty()) return std::nullopt;
  return load_idx(f->test_images, f->test_labels);
}

std::uint32_t numpy_seed(const DataSpec& d) {
  if (d.data_seed > 0xffffffffu)
    throw CLI::ValidationError("--data-seed",
                               "with --rng micrograd it is NumPy's seed, 0 to "
                               "4294967295; got " +
                                   std::to_string(d.data_seed));
  return static_cast<std::uint32_t>(d.data_seed);
}

double predicted_class(const std::vector<double>& outputs) {
  if (outputs.size() == 1) return outputs[0] > 0.0 ? 1.0 : -1.0;
  return static_cast<double>(std::max_element(outputs.begin(), outputs.end()) - outputs.begin());
}

bool predicts(const std::vector<double>& outputs, double label) {
  const double cls = predicted_class(outputs);
  return outputs.size() == 1 ? (label > 0.0) == (cls > 0.0) : label == cls;
}

GridScore grid_score(const nn::MLP& model) {
  return [&model](const std::vector<std::array<double, 2>>& grid) {
    std::vector<std::vector<double>> rows;
    rows.reserve(grid.size());
    for (const auto& [x, y] : grid) rows.push_back({x, y});
    const std::vector<std::vector<double>> z = model.predict_batch(rows);
    std::vector<double> s;
    s.reserve(z.size());
    for (const std::vector<double>& zi : z)
      s.push_back(zi.size() == 1 ? zi[0] : predicted_class(zi));
    return s;
  };
}

void short_type_names(CLI::App& cmd) {
  for (CLI::Option* o : cmd.get_options()) {
    const std::string type = o->get_type_name();
    if (type.rfind("UINT", 0) == 0 || type.rfind("INT", 0) == 0)
      o->type_name("N");
    else if (type.rfind("FLOAT", 0) == 0)
      o->type_name("X");
    else if (type.rfind("TEXT", 0) == 0)
      o->type_name("NAME");
  }
}

}  // namespace micrograd::cli
