// data.cpp: data set generators and the CSV reader; see data.hpp.
#include "micrograd/data.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <stdexcept>
#include <string_view>

#include "micrograd/random.hpp"

namespace micrograd {

namespace {

constexpr double kPi = 3.14159265358979323846;

// numpy's linspace(start, stop, num, endpoint): start + i*step, the last point exactly stop.
std::vector<double> linspace(double start, double stop, std::size_t num, bool endpoint = true) {
  std::vector<double> v(num);
  if (num == 0) return v;
  const std::size_t div = endpoint ? num - 1 : num;
  const double step = div > 0 ? (stop - start) / static_cast<double>(div) : 0.0;
  for (std::size_t i = 0; i < num; ++i) v[i] = static_cast<double>(i) * step + start;
  if (endpoint && num > 1) v.back() = stop;
  return v;
}

// scikit-learn's last two steps: shuffle the samples, then add N(0, noise^2) to every coordinate.
void shuffle_and_add_noise(Dataset& d, double noise, Rng& rng) {
  std::vector<std::size_t> order(d.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  rng.shuffle(order);
  Dataset shuffled;
  shuffled.num_classes = d.num_classes;
  for (std::size_t i : order) {
    shuffled.X.push_back(d.X[i]);
    shuffled.y.push_back(d.y[i]);
  }
  for (std::vector<double>& row : shuffled.X)
    for (double& x : row) x += noise * rng.normal();
  d = std::move(shuffled);
}

void check_noise(const char* what, double noise) {
  if (!(noise >= 0.0) || !std::isfinite(noise))
    throw std::invalid_argument(std::string(what) + ": noise must be a finite number >= 0, got " +
                                std::to_string(noise));
}

}  // namespace

std::vector<std::size_t> Dataset::classes() const {
  std::vector<std::size_t> c;
  c.reserve(y.size());
  for (double label : y)
    c.push_back(is_binary() ? (label > 0 ? 1 : 0) : static_cast<std::size_t>(label));
  return c;
}

// ---- generators

namespace {
// The two arcs, unshuffled, without noise: scikit-learn's construction.
Dataset moons(std::size_t n) {
  const std::size_t n_out = n / 2, n_in = n - n_out;
  Dataset d;
  for (double t : linspace(0.0, kPi, n_out)) {
    d.X.push_back({std::cos(t), std::sin(t)});
    d.y.push_back(-1.0);
  }
  for (double t : linspace(0.0, kPi, n_in)) {
    d.X.push_back({1.0 - std::cos(t), 1.0 - std::sin(t) - 0.5});
    d.y.push_back(1.0);
  }
  return d;
}
}  // namespace

Dataset make_moons(std::size_t n, double noise, std::uint64_t seed) {
  check_noise("make_moons", noise);
  Dataset d = moons(n);
  Rng rng(seed);
  shuffle_and_add_noise(d, noise, rng);
  return d;
}

Dataset make_moons(std::size_t n, std::optional<double> noise, NumpyRandomState& numpy,
                   bool shuffle) {
  if (noise) check_noise("make_moons", *noise);
  Dataset d = moons(n);
  if (shuffle) {  // sklearn.utils.shuffle: indices = arange(n); random_state.shuffle(indices)
    const std::vector<std::size_t> order = numpy.permutation(d.size());
    Dataset s;
    for (const std::size_t i : order) {
      s.X.push_back(d.X[i]);
      s.y.push_back(d.y[i]);
    }
    d = std::move(s);
  }
  // X += generator.normal(scale=noise, size=X.shape): row by row, loc + scale * gauss.
  if (noise)
    for (std::vector<double>& row : d.X)
      for (double& x : row) x += numpy.normal(0.0, *noise);
  return d;
}

Dataset make_circles(std::size_t n, double noise, double factor, std::uint64_t seed) {
  check_noise("make_circles", noise);
  if (!(factor >= 0.0 && factor < 1.0))
    throw std::invalid_argument("make_circles: factor must be in [0, 1), got " +
                                std::to_string(factor));
  const std::size_t n_out = n / 2, n_in = n - n_out;
  Dataset d;
  for (double t : linspace(0.0, 2.0 * kPi, n_out, false)) {
    d.X.push_back({std::cos(t), std::sin(t)});
    d.y.push_back(-1.0);
  }
  for (double t : linspace(0.0, 2.0 * kPi, n_in, false)) {
    d.X.push_back({std::cos(t) * factor, std::sin(t) * factor});
    d.y.push_back(1.0);
  }
  Rng rng(seed);
  shuffle_and_add_noise(d, noise, rng);
  return d;
}

Dataset make_spiral(std::size_t n_per_class, std::size_t classes, std::uint64_t seed) {
  if (classes < 2)
    throw std::invalid_argument("make_spiral: needs at least 2 classes, got " +
                                std::to_string(classes));
  Rng rng(seed);
  Dataset d;
  d.num_classes = classes;
  for (std::size_t j = 0; j < classes; ++j) {
    const std::vector<double> r = linspace(0.0, 1.0, n_per_class);
    std::vector<double> t = linspace(4.0 * j, 4.0 * (j + 1), n_per_class);
    for (double& tk : t) tk += rng.normal() * 0.2;
    for (std::size_t k = 0; k < n_per_class; ++k) {
      d.X.push_back({r[k] * std::sin(t[k]), r[k] * std::cos(t[k])});
      d.y.push_back(classes == 2 ? (j == 0 ? -1.0 : 1.0) : static_cast<double>(j));
    }
  }
  return d;
}

Dataset lecture_dataset() {
  Dataset d;
  d.X = {{2.0, 3.0, -1.0}, {3.0, -1.0, 0.5}, {0.5, 1.0, 1.0}, {1.0, 1.0, -1.0}};
  d.y = {1.0, -1.0, -1.0, 1.0};
  return d;
}

// ---- CSV

namespace {

struct Cell {
  std::string_view text;  // trimmed
  std::size_t column;     // 1-based character column where the trimmed text starts
};

std::vector<Cell> split_row(std::string_view line) {
  std::vector<Cell> cells;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = line.find(',', start);
    const std::size_t end = comma == std::string_view::npos ? line.size() : comma;
    std::size_t a = start, b = end;
    while (a < b && (line[a] == ' ' || line[a] == '\t')) ++a;
    while (b > a && (line[b - 1] == ' ' || line[b - 1] == '\t')) --b;
    cells.push_back({line.substr(a, b - a), a + 1});
    if (comma == std::string_view::npos) return cells;
    start = comma + 1;
  }
}

bool parse_number(std::string_view s, double& out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

[[noreturn]] void fail(const std::string& path, std::size_t line, std::size_t column,
                       const std::string& what) {
  throw std::runtime_error(path + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
                           what);
}

}  // namespace

namespace {
// Bounds that keep a bad file from eating the machine (a 1 GB line, /dev/zero, a million columns).
constexpr std::size_t kMaxLineBytes = std::size_t{1} << 20;
constexpr std::size_t kMaxFields = 100'000;
constexpr double kMaxClasses = 100'000;

// One line (without its '\n') into `line`; false at the end of the file. A line longer than
// kMaxLineBytes is an error (std::getline would grow without bound on a file with no newline).
bool read_line(std::istream& in, std::string& line, const std::string& path, std::size_t line_no) {
  line.clear();
  std::streambuf* buf = in.rdbuf();
  for (int c = buf->sbumpc(); c != std::char_traits<char>::eof(); c = buf->sbumpc()) {
    if (c == '\n') return true;
    if (line.size() == kMaxLineBytes)
      fail(path, line_no, kMaxLineBytes,
           "line is longer than " + std::to_string(kMaxLineBytes >> 20) +
               " MiB: not a CSV file of numbers (rows are one sample each)");
    line.push_back(static_cast<char>(c));
  }
  return !line.empty();
}
}  // namespace

Dataset load_csv(const std::string& path, int label_column) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) fail(path, 1, 1, "no such file");
  if (fs::is_directory(st)) fail(path, 1, 1, "is a directory, not a CSV file");
  if (!fs::is_regular_file(st))
    fail(path, 1, 1,
         "is not a regular file (a pipe, a socket or a device): save the data to a file first");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, 1, 1, "cannot open the file (is it readable?)");
  return read_csv(in, path, label_column);
}

Dataset read_csv(std::istream& in, const std::string& path, int label_column) {
  struct Label {
    double value;
    std::size_t line, column;
    std::string text;  // as written, for error messages
  };
  Dataset d;
  std::vector<Label> labels;
  std::size_t fields = 0;  // per row, from the first row (header or data)
  std::size_t label_index = 0;
  std::size_t line_no = 0, last_line = 0;
  bool first_row = true, header = false;
  std::string line;
  while (read_line(in, line, path, line_no + 1)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;  // blank line
    last_line = line_no;
    const std::vector<Cell> cells = split_row(line);
    if (cells.size() > kMaxFields)
      fail(path, line_no, cells[kMaxFields].column,
           "row has more than " + std::to_string(kMaxFields) + " fields");
    if (first_row) {
      first_row = false;
      fields = cells.size();
      if (fields < 2)
        fail(path, line_no, 1,
             "need at least 2 columns (features and a label), found " + std::to_string(fields));
      const long long want = label_column < 0 ? static_cast<long long>(fields) + label_column
                                              : static_cast<long long>(label_column);
      if (want < 0 || want >= static_cast<long long>(fields))
        fail(path, line_no, 1,
             "label column " + std::to_string(label_column) + " does not exist (rows have " +
                 std::to_string(fields) + " columns, numbered 0.." + std::to_string(fields - 1) +
                 " or -1..-" + std::to_string(fields) + " from the end)");
      label_index = static_cast<std::size_t>(want);
      double ignored;
      header = true;
      for (const Cell& c : cells) header = header && !parse_number(c.text, ignored);
      if (header) continue;
    }
    if (cells.size() != fields)
      fail(path, line_no, cells.size() > fields ? cells[fields].column : line.size() + 1,
           "row has " + std::to_string(cells.size()) + " fields, expected " +
               std::to_string(fields) + " like the first row");
    std::vector<double> row;
    row.reserve(fields - 1);
    for (std::size_t k = 0; k < fields; ++k) {
      double x;
      if (!parse_number(cells[k].text, x))
        fail(path, line_no, cells[k].column,
             "field " + std::to_string(k + 1) + " is not a number: '" + std::string(cells[k].text) +
                 "'");
      if (!std::isfinite(x))
        fail(path, line_no, cells[k].column,
             "field " + std::to_string(k + 1) + " is not finite: '" + std::string(cells[k].text) +
                 "'");
      if (k == label_index)
        labels.push_back({x, line_no, cells[k].column, std::string(cells[k].text)});
      else
        row.push_back(x);
    }
    d.X.push_back(std::move(row));
  }
  if (line_no == 0 || last_line == 0)
    fail(path, 1, 1, "the file is empty (expected rows of numbers)");
  if (d.X.empty()) fail(path, last_line, 1, "no data rows after the header");

  // Labels: binary if all in {-1, 1} or all in {0, 1}; else integer classes 0 .. k-1.
  bool pm1 = true, zero_one = true;
  for (const Label& l : labels) {
    pm1 = pm1 && (l.value == -1.0 || l.value == 1.0);
    zero_one = zero_one && (l.value == 0.0 || l.value == 1.0);
  }
  if (pm1 || zero_one) {
    for (const Label& l : labels) d.y.push_back(l.value == 0.0 ? -1.0 : l.value);
    d.num_classes = 2;
    return d;
  }
  double max_class = 0.0;
  // A class index is a row of the output layer: more classes than rows (or than kMaxClasses)
  // is a mistake in the file, not a model to build (a label 1000000 in a 2-row file would make
  // a million-output network).
  const double most = std::min(kMaxClasses, std::max(100.0, static_cast<double>(labels.size())));
  for (const Label& l : labels) {
    if (l.value < 0.0 || l.value != std::floor(l.value))
      fail(path, l.line, l.column,
           "label '" + l.text +
               "' is not a class: labels must be -1/+1, 0/1, or integer classes 0..k-1");
    if (l.value >= most)
      fail(path, l.line, l.column,
           "label '" + l.text + "' would make " + l.text + " + 1 classes from " +
               std::to_string(labels.size()) +
               " rows: class labels must be 0..k-1 with k at most the number of rows (or 100)");
    max_class = std::max(max_class, l.value);
    d.y.push_back(l.value);
  }
  d.num_classes = static_cast<std::size_t>(max_class) + 1;
  return d;
}

std::vector<std::vector<Value>> to_values(const std::vector<std::vector<double>>& X) {
  std::vector<std::vector<Value>> out;
  out.reserve(X.size());
  for (const std::vector<double>& row : X) out.emplace_back(row.begin(), row.end());
  return out;
}

}  // namespace micrograd

// ---- IDX (MNIST's format), through zlib: gzread reads gzip and plain files alike.

namespace micrograd {
namespace {

class GzFile {
 public:
  explicit GzFile(const std::string& path) : path_(path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      std::string hint;
      if (path.find("fashion-mnist") != std::string::npos)
        hint = " (Debian's Fashion-MNIST: sudo apt-get install dataset-fashion-mnist)";
      throw std::runtime_error(path + ": no such file" + hint);
    }
    if (!std::filesystem::is_regular_file(path, ec))
      throw std::runtime_error(path + ": not a regular file");
    f_ = gzopen(path.c_str(), "rb");
    if (f_ == nullptr) throw std::runtime_error(path + ": cannot open: " + std::strerror(errno));
  }
  ~GzFile() {
    if (f_ != nullptr) gzclose(f_);
  }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  // Exactly n bytes, or an error saying the file is truncated (or damaged).
  void read(void* out, std::size_t n, const char* what) {
    auto* p = static_cast<unsigned char*>(out);
    while (n > 0) {
      const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(n, 1u << 30));
      const int got = gzread(f_, p, chunk);
      if (got < 0) {
        int code = 0;
        const char* msg = gzerror(f_, &code);
        throw std::runtime_error(path_ + ": damaged while reading " + what + " (" + msg + ")");
      }
      if (got == 0)
        throw std::runtime_error(path_ + ": truncated: the file ends in the middle of " + what);
      p += got;
      n -= static_cast<std::size_t>(got);
    }
  }
  std::uint32_t big_endian_u32(const char* what) {
    unsigned char b[4];
    read(b, 4, what);
    return std::uint32_t{b[0]} << 24 | std::uint32_t{b[1]} << 16 | std::uint32_t{b[2]} << 8 | b[3];
  }
  // The magic number: 0x0000TTDD, TT = 0x08 (unsigned bytes), DD = the number of dimensions.
  void expect_magic(std::uint32_t dims, const char* kind) {
    const std::uint32_t magic = big_endian_u32("the header");
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%08x", magic);
    if ((magic >> 16) != 0)
      throw std::runtime_error(path_ + ": not an IDX file (magic number " + hex + ")");
    if ((magic >> 8 & 0xff) != 0x08)
      throw std::runtime_error(path_ + ": IDX elements of type " + hex +
                               "; only unsigned bytes (0x08) are supported");
    if ((magic & 0xff) != dims)
      throw std::runtime_error(path_ + ": an IDX file of " + std::to_string(magic & 0xff) +
                               " dimensions (magic " + hex + "), expected " + kind + " (" +
                               std::to_string(dims) + ")");
  }

 private:
  std::string path_;
  gzFile f_ = nullptr;
};

}  // namespace

IdxImages read_idx_images(const std::string& path) {
  GzFile f(path);
  f.expect_magic(3, "images");
  IdxImages im;
  im.count = f.big_endian_u32("the header");
  im.rows = f.big_endian_u32("the header");
  im.cols = f.big_endian_u32("the header");
  const double bytes =
      static_cast<double>(im.count) * static_cast<double>(im.rows) * static_cast<double>(im.cols);
  if (bytes > 2147483648.0)
    throw std::runtime_error(path + ": " + std::to_string(im.count) + " images of " +
                             std::to_string(im.rows) + "x" + std::to_string(im.cols) +
                             " is more than 2^31 bytes");
  if (im.count > 0 && (im.rows == 0 || im.cols == 0))
    throw std::runtime_error(path + ": images of size " + std::to_string(im.rows) + "x" +
                             std::to_string(im.cols));
  im.pixels.resize(static_cast<std::size_t>(bytes));
  f.read(im.pixels.data(), im.pixels.size(), "the pixels");
  return im;
}

std::vector<std::uint8_t> read_idx_labels(const std::string& path) {
  GzFile f(path);
  f.expect_magic(1, "labels");
  const std::uint32_t count = f.big_endian_u32("the header");
  std::vector<std::uint8_t> labels(count);
  f.read(labels.data(), labels.size(), "the labels");
  return labels;
}

Dataset load_idx(const std::string& images, const std::string& labels, double scale,
                 std::size_t limit) {
  const std::vector<std::uint8_t> y = read_idx_labels(labels);
  IdxImages im = read_idx_images(images);
  if (im.count != y.size())
    throw std::runtime_error(images + " holds " + std::to_string(im.count) + " images but " +
                             labels + " holds " + std::to_string(y.size()) + " labels");
  const std::size_t n = limit == 0 ? im.count : std::min(limit, im.count);
  const std::size_t size = im.rows * im.cols;
  Dataset d;
  d.X.resize(n);
  d.y.resize(n);
  std::uint8_t top = 0;
  for (std::size_t i = 0; i < n; ++i) {
    d.X[i].resize(size);
    for (std::size_t k = 0; k < size; ++k)
      d.X[i][k] = static_cast<double>(im.pixels[i * size + k]) * scale;
    d.y[i] = y[i];
    top = std::max(top, y[i]);
  }
  d.num_classes = std::max<std::size_t>(std::size_t{top} + 1, 2);
  d.image_rows = im.rows;
  d.image_cols = im.cols;
  return d;
}

}  // namespace micrograd
