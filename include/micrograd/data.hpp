// data.hpp: the small data sets of the lecture and of micrograd's demo, and a CSV reader.
//
// Generators use our own Rng by default, so a seed gives the same points on every platform. They
// follow scikit-learn's construction (make_moons, make_circles) and cs231n's spiral. make_moons can
// also draw from NumPy's legacy generator (mersenne.hpp): then it gives scikit-learn's points bit
// for bit (micrograd's demo: `np.random.seed(1337); make_moons(n_samples=100, noise=0.1)`).
// Binary labels are -1/+1 (micrograd's `y*2 - 1`); multi-class labels are
// 0 .. k-1, stored as doubles.
// Not here: batching, normalisation, anything larger than fits comfortably in memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "micrograd/mersenne.hpp"
#include "micrograd/value.hpp"

namespace micrograd {

struct Dataset {
  std::vector<std::vector<double>> X;  // one row of features per sample
  std::vector<double> y;               // -1/+1 when num_classes == 2, else 0 .. num_classes-1
  std::size_t num_classes = 2;
  std::size_t image_rows = 0, image_cols = 0;  // images (IDX): each row is rows x cols pixels

  std::size_t size() const { return X.size(); }
  std::size_t num_features() const { return X.empty() ? 0 : X.front().size(); }
  bool is_binary() const { return num_classes == 2; }
  // Multi-class labels as indices (softmax_cross_entropy's `classes`).
  std::vector<std::size_t> classes() const;
};

// Two interleaving half circles (scikit-learn's make_moons): n/2 points on the outer arc
// (cos t, sin t), label -1, the rest on the inner arc (1 - cos t, 1 - sin t - 0.5), label +1, for
// t evenly spaced in [0, pi]; shuffled, then Gaussian noise of standard deviation `noise` added.
Dataset make_moons(std::size_t n, double noise, std::uint64_t seed);
// scikit-learn's make_moons(n_samples=n, noise=noise, shuffle=shuffle) drawing from `numpy`, as
// scikit-learn draws from NumPy's global generator (or RandomState(k) for random_state=k): the
// shuffle, then the noise in row order, continuing that generator's stream. The arcs use the C
// library's cos and sin (NumPy does too, except on AVX-512 CPUs, where its own vectorized cos and
// sin differ by an ulp at some points; docs/data.md). Labels -1/+1, as the demo's `y*2 - 1`.
// noise = nullopt is scikit-learn's noise=None: no noise drawn (0.0 draws it, and adds zeros).
Dataset make_moons(std::size_t n, std::optional<double> noise, NumpyRandomState& numpy,
                   bool shuffle = true);
// Two concentric circles (scikit-learn's make_circles): n/2 points on the unit circle, label -1,
// the rest on a circle of radius `factor` (scikit-learn's default is 0.5), label +1; shuffled, then
// noise.
Dataset make_circles(std::size_t n, double noise, double factor, std::uint64_t seed);
// cs231n's spiral: `classes` arms of n_per_class points, radius 0..1, angle noise 0.2. Labels are
// 0 .. classes-1, or -1/+1 when classes == 2.
Dataset make_spiral(std::size_t n_per_class, std::size_t classes, std::uint64_t seed);
// The lecture's four samples: xs = [[2,3,-1],[3,-1,0.5],[0.5,1,1],[1,1,-1]], ys = [1,-1,-1,1].
Dataset lecture_dataset();

// Reads comma-separated numbers, one sample per row. label_column picks the label (negative
// counts from the end: -1 is the last column); every other column is a feature. A first row with
// no number in it is a header and is skipped; blank lines are skipped. Labels that are all in
// {-1, 1} or all in {0, 1} are binary (0 becomes -1); otherwise they must be integer classes
// 0..k-1. Errors: std::runtime_error "path:line:column: what is wrong".
// Bounds: a line is at most 1 MiB, a row at most 100,000 fields, and there are at most as many
// classes as rows (or 100); a directory, pipe or device is refused (nothing is read from it).
Dataset load_csv(const std::string& path, int label_column = -1);
// The same from a stream; `name` stands for the file in error messages (the fuzz harness uses it).
Dataset read_csv(std::istream& in, const std::string& name, int label_column = -1);

// IDX files, the format of MNIST and Fashion-MNIST (Debian: dataset-fashion-mnist installs them
// in /usr/share/datasets/fashion-mnist/), plain or gzip-compressed (read through zlib).
// Images: magic 0x00000803, count, rows, cols, then count*rows*cols bytes; labels: magic
// 0x00000801, count, then count bytes. Errors (std::runtime_error) name the file and the problem:
// missing (with the apt-get line for Debian's data set), not IDX (the magic number), another
// element type, truncated, bigger than 2^31 bytes of pixels.
struct IdxImages {
  std::size_t count = 0, rows = 0, cols = 0;
  std::vector<std::uint8_t> pixels;  // image by image, row by row
};
IdxImages read_idx_images(const std::string& path);
std::vector<std::uint8_t> read_idx_labels(const std::string& path);
// Images and labels as a data set: pixels scaled by `scale` (1/255: 0..1), labels as classes
// 0..k-1 (k = the largest label + 1). Throws if the two files hold different counts.
// At most `limit` samples (0: all), the first ones.
Dataset load_idx(const std::string& images, const std::string& labels, double scale = 1.0 / 255.0,
                 std::size_t limit = 0);

// One row of Values per sample (micrograd: `list(map(Value, xrow))`).
std::vector<std::vector<Value>> to_values(const std::vector<std::vector<double>>& X);

}  // namespace micrograd
