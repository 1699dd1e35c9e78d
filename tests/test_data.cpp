// Tests for data.hpp: the generators' geometry, labels and determinism, the lecture's samples,
// and the CSV reader on small fixtures in tests/data/ (including every error, word for word).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "common.hpp"
#include "micrograd/data.hpp"

using micrograd::Dataset;

namespace {

const std::string kData = [] {
  const std::string here = __FILE__;
  return here.substr(0, here.find_last_of('/')) + "/data/";
}();

std::size_t count(const std::vector<double>& y, double label) {
  std::size_t n = 0;
  for (double v : y) n += v == label;
  return n;
}

// ---- generators

TEST(Data, MoonsWithoutNoiseLieOnTheTwoArcs) {
  const Dataset d = micrograd::make_moons(101, 0.0, 1);
  ASSERT_EQ(d.size(), 101u);
  EXPECT_EQ(d.num_features(), 2u);
  EXPECT_EQ(d.num_classes, 2u);
  EXPECT_EQ(count(d.y, -1.0), 50u);  // n/2 on the outer arc, the rest on the inner one
  EXPECT_EQ(count(d.y, 1.0), 51u);
  bool has_corner = false;
  for (std::size_t i = 0; i < d.size(); ++i) {
    const double x = d.X[i][0], y = d.X[i][1];
    if (d.y[i] < 0) {  // (cos t, sin t)
      EXPECT_NEAR(x * x + y * y, 1.0, 1e-15);
      EXPECT_GE(y, 0.0);
      has_corner = has_corner || (x == 1.0 && y == 0.0);
    } else {  // (1 - cos t, 1 - sin t - 0.5)
      EXPECT_NEAR((x - 1) * (x - 1) + (y - 0.5) * (y - 0.5), 1.0, 1e-15);
      EXPECT_LE(y, 0.5);
    }
  }
  EXPECT_TRUE(has_corner);  // t = 0 is one of the points
}

TEST(Data, MoonsAreShuffledNoisyAndDeterministic) {
  const Dataset a = micrograd::make_moons(100, 0.1, 7), b = micrograd::make_moons(100, 0.1, 7),
                c = micrograd::make_moons(100, 0.1, 8);
  EXPECT_EQ(a.X, b.X);
  EXPECT_EQ(a.y, b.y);
  EXPECT_NE(a.X, c.X);
  std::size_t switches = 0;  // shuffled: labels are not in two blocks
  for (std::size_t i = 1; i < a.size(); ++i) switches += a.y[i] != a.y[i - 1];
  EXPECT_GT(switches, 20u);
  // The noise has the requested standard deviation (distance from the arc, many points).
  const Dataset big = micrograd::make_moons(4000, 0.1, 3);
  double s2 = 0.0;
  for (std::size_t i = 0; i < big.size(); ++i) {
    const double x = big.X[i][0], y = big.X[i][1];
    const double r = big.y[i] < 0 ? std::hypot(x, y) : std::hypot(x - 1, y - 0.5);
    s2 += (r - 1) * (r - 1);
  }
  EXPECT_NEAR(std::sqrt(s2 / big.size()), 0.1, 0.01);
  EXPECT_THROW(micrograd::make_moons(10, -0.1, 1), std::invalid_argument);
}

TEST(Data, CirclesWithoutNoise) {
  const Dataset d = micrograd::make_circles(10, 0.0, 0.5, 2);
  ASSERT_EQ(d.size(), 10u);
  EXPECT_EQ(count(d.y, -1.0), 5u);
  EXPECT_EQ(count(d.y, 1.0), 5u);
  for (std::size_t i = 0; i < d.size(); ++i)
    EXPECT_NEAR(std::hypot(d.X[i][0], d.X[i][1]), d.y[i] < 0 ? 1.0 : 0.5, 1e-15);
  EXPECT_THROW(micrograd::make_circles(10, 0.0, 1.0, 2), std::invalid_argument);
  EXPECT_EQ(micrograd::make_circles(50, 0.05, 0.3, 9).X,
            micrograd::make_circles(50, 0.05, 0.3, 9).X);
}

TEST(Data, Spiral) {
  const Dataset d = micrograd::make_spiral(50, 3, 4);
  ASSERT_EQ(d.size(), 150u);
  EXPECT_EQ(d.num_classes, 3u);
  for (std::size_t j = 0; j < 3; ++j) {
    EXPECT_EQ(count(d.y, static_cast<double>(j)), 50u);
    for (std::size_t k = 0; k < 50; ++k) {  // radius linspace(0, 1, N); noise only in the angle
      const std::vector<double>& x = d.X[j * 50 + k];
      EXPECT_NEAR(std::hypot(x[0], x[1]), static_cast<double>(k) / 49.0, 1e-15);
    }
  }
  const std::vector<std::size_t> c = d.classes();
  EXPECT_EQ(c[0], 0u);
  EXPECT_EQ(c[149], 2u);
  const Dataset two = micrograd::make_spiral(10, 2, 4);
  EXPECT_EQ(two.num_classes, 2u);
  EXPECT_EQ(count(two.y, -1.0), 10u);  // two classes are binary: -1/+1
  EXPECT_EQ(count(two.y, 1.0), 10u);
  EXPECT_EQ(two.classes()[0], 0u);
  EXPECT_EQ(two.classes()[19], 1u);
  EXPECT_THROW(micrograd::make_spiral(10, 1, 4), std::invalid_argument);
}

TEST(Data, LectureDataset) {
  const Dataset d = micrograd::lecture_dataset();
  const std::vector<std::vector<double>> xs = {
      {2.0, 3.0, -1.0}, {3.0, -1.0, 0.5}, {0.5, 1.0, 1.0}, {1.0, 1.0, -1.0}};
  EXPECT_EQ(d.X, xs);
  EXPECT_EQ(d.y, (std::vector<double>{1.0, -1.0, -1.0, 1.0}));
  EXPECT_EQ(d.num_features(), 3u);
}

TEST(Data, ToValues) {
  micrograd::TapeScope scope;
  const auto v = micrograd::to_values({{1.0, 2.0}, {3.0, 4.0}});
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[1][0].data(), 3.0);
  EXPECT_TRUE(v[1][0].is_leaf());
}

// ---- CSV

TEST(Csv, BinaryPlusMinusOneWithHeader) {
  const Dataset d = micrograd::load_csv(kData + "binary_pm1.csv");
  EXPECT_EQ(d.X, (std::vector<std::vector<double>>{{0.5, 1.25}, {-1.0, 2e-3}, {3.0, 4.0}}));
  EXPECT_EQ(d.y, (std::vector<double>{1.0, -1.0, 1.0}));
  EXPECT_EQ(d.num_classes, 2u);
}

TEST(Csv, BinaryZeroOneBecomesMinusOneOne) {
  const Dataset d = micrograd::load_csv(kData + "binary_01.csv");  // CRLF line ends, no header
  EXPECT_EQ(d.X, (std::vector<std::vector<double>>{{1.5, 2.5}, {-0.5, 0.25}}));
  EXPECT_EQ(d.y, (std::vector<double>{-1.0, 1.0}));
}

TEST(Csv, MultiClassWithLabelInFirstColumn) {
  const Dataset d = micrograd::load_csv(kData + "multiclass.csv", 0);
  EXPECT_EQ(d.num_classes, 3u);
  EXPECT_EQ(d.y, (std::vector<double>{0, 2, 1, 2}));
  EXPECT_EQ(d.X[3], (std::vector<double>{7.0, 8.0}));
  const Dataset last = micrograd::load_csv(kData + "multiclass.csv", -1);  // label = 2.0, 4.0, ...
  EXPECT_EQ(last.num_classes, 9u);
  EXPECT_EQ(last.X[0], (std::vector<double>{0.0, 1.0}));
}

std::string csv_error(const std::string& file, int label_column = -1) {
  try {
    micrograd::load_csv(kData + file, label_column);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(no std::runtime_error thrown)";
}

TEST(Csv, ErrorsNameFileLineAndColumn) {
  EXPECT_EQ(csv_error("bad_cell.csv"), kData + "bad_cell.csv:3:3: field 2 is not a number: 'oops'");
  EXPECT_EQ(csv_error("ragged.csv"),
            kData + "ragged.csv:3:4: row has 2 fields, expected 3 like the first row");
  EXPECT_EQ(csv_error("empty.csv"),
            kData + "empty.csv:1:1: the file is empty (expected rows of numbers)");
  EXPECT_EQ(csv_error("header_only.csv"),
            kData + "header_only.csv:1:1: no data rows after the header");
  EXPECT_EQ(csv_error("bad_class.csv"),
            kData +
                "bad_class.csv:2:5: label '2.5' is not a class: labels must be -1/+1, 0/1, "
                "or integer classes 0..k-1");
  EXPECT_EQ(csv_error("negative_class.csv"),
            kData +
                "negative_class.csv:2:5: label '-2' is not a class: labels must be -1/+1, "
                "0/1, or integer classes 0..k-1");
  EXPECT_EQ(csv_error("no_such_file.csv"), kData + "no_such_file.csv:1:1: no such file");
  EXPECT_EQ(csv_error("binary_01.csv", 3),
            kData +
                "binary_01.csv:1:1: label column 3 does not exist (rows have 3 columns, "
                "numbered 0..2 or -1..-3 from the end)");
}

// What a fuzz campaign found: unbounded memory on /dev/zero or a 1 GB line, a hang on a FIFO, a
// directory called "empty", a 2-row file with label 1000000 building a million-class model.
TEST(Csv, RefusesWhatIsNotAFileOfRows) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("micrograd-csv-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto error = [](const std::string& path) {
    try {
      micrograd::load_csv(path);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_EQ(error(dir.string()), dir.string() + ":1:1: is a directory, not a CSV file");
  EXPECT_NE(error("/dev/zero").find("/dev/zero:1:1: is not a regular file"), std::string::npos);
  const std::string fifo = (dir / "pipe.csv").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_NE(error(fifo).find("is not a regular file"), std::string::npos);  // no hang
  const std::string long_line = (dir / "long.csv").string();
  std::ofstream(long_line) << std::string(3 << 20, '1');
  EXPECT_NE(error(long_line).find("long.csv:1:1048576: line is longer than 1 MiB"),
            std::string::npos)
      << error(long_line);
  const std::string classes = (dir / "classes.csv").string();
  std::ofstream(classes) << "1,2,0\n3,4,1000000\n";
  EXPECT_NE(error(classes).find("classes.csv:2:5: label '1000000' would make"), std::string::npos)
      << error(classes);
  std::ofstream(classes) << "1,2,0\n3,4,99\n";  // up to 100 classes even from few rows
  EXPECT_EQ(micrograd::load_csv(classes).num_classes, 100u);
  fs::remove_all(dir);
}

}  // namespace

// ---- IDX files (MNIST's format): small files written here, plain and gzip, and Debian's
// Fashion-MNIST where it is installed.
namespace {
std::string be32(std::uint32_t v) {
  return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
}
std::string idx_images(std::uint32_t n, std::uint32_t rows, std::uint32_t cols) {
  std::string s = be32(0x00000803) + be32(n) + be32(rows) + be32(cols);
  for (std::uint32_t i = 0; i < n * rows * cols; ++i) s += static_cast<char>((i * 37) % 256);
  return s;
}
std::string idx_labels(const std::vector<int>& labels) {
  std::string s = be32(0x00000801) + be32(static_cast<std::uint32_t>(labels.size()));
  for (int l : labels) s += static_cast<char>(l);
  return s;
}
std::string write_temp(const std::string& name, const std::string& bytes, bool gz) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("micrograd-idx-" + std::to_string(::getpid()) + name))
                               .string();
  if (gz) {
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
  } else {
    std::ofstream(path, std::ios::binary) << bytes;
  }
  return path;
}
}  // namespace

TEST(Idx, ReadsPlainAndGzipFiles) {
  for (bool gz : {false, true}) {
    const std::string im = write_temp(gz ? "i.gz" : "i", idx_images(3, 2, 4), gz);
    const std::string lb = write_temp(gz ? "l.gz" : "l", idx_labels({7, 0, 2}), gz);
    const micrograd::IdxImages images = micrograd::read_idx_images(im);
    EXPECT_EQ(images.count, 3u);
    EXPECT_EQ(images.rows, 2u);
    EXPECT_EQ(images.cols, 4u);
    ASSERT_EQ(images.pixels.size(), 24u);
    EXPECT_EQ(images.pixels[23], (23 * 37) % 256);
    const micrograd::Dataset d = micrograd::load_idx(im, lb);
    ASSERT_EQ(d.size(), 3u);
    EXPECT_EQ(d.num_features(), 8u);
    EXPECT_EQ(d.num_classes, 8u);  // labels 0..7
    EXPECT_EQ(d.y, (std::vector<double>{7, 0, 2}));
    EXPECT_EQ(d.X[1][0], ((8 * 37) % 256) / 255.0);
    EXPECT_EQ(micrograd::load_idx(im, lb, 1.0, 2).size(), 2u);  // the first 2
    std::filesystem::remove(im);
    std::filesystem::remove(lb);
  }
}

TEST(Idx, BadFilesNameTheProblem) {
  const auto error = micrograd::testing::message_of<std::exception>;
  const std::string im = write_temp("bi", idx_images(3, 2, 2), true);
  const std::string lb = write_temp("bl", idx_labels({1, 2}), false);
  EXPECT_NE(error([&] { micrograd::load_idx(im, lb); }).find("holds 3 images but"),
            std::string::npos);
  EXPECT_NE(error([&] {
              micrograd::read_idx_images(lb);
            }).find("an IDX file of 1 dimensions (magic 0x00000801), expected images"),
            std::string::npos);
  const std::string text = write_temp("txt", "hello, world\n", false);
  EXPECT_NE(error([&] { micrograd::read_idx_labels(text); }).find("not an IDX file"),
            std::string::npos);
  std::string cut = idx_images(3, 2, 2);
  cut.resize(cut.size() - 5);
  const std::string truncated = write_temp("cut.gz", cut, true);
  EXPECT_NE(error([&] {
              micrograd::read_idx_images(truncated);
            }).find("truncated: the file ends in the middle of the pixels"),
            std::string::npos);
  const std::string header = write_temp("hdr", be32(0x00000803) + be32(1), false);
  EXPECT_NE(error([&] { micrograd::read_idx_images(header); }).find("truncated"),
            std::string::npos);
  const std::string huge =
      write_temp("huge", be32(0x00000803) + be32(100000) + be32(1000) + be32(1000), false);
  EXPECT_NE(error([&] { micrograd::read_idx_images(huge); }).find("more than 2^31 bytes"),
            std::string::npos);
  const std::string floats = write_temp("f", be32(0x00000d01) + be32(0), false);
  EXPECT_NE(error([&] { micrograd::read_idx_labels(floats); }).find("only unsigned bytes"),
            std::string::npos);
  EXPECT_NE(error([] {
              micrograd::read_idx_labels("/nonexistent/fashion-mnist/t10k-labels-idx1-ubyte.gz");
            }).find("apt-get install dataset-fashion-mnist"),
            std::string::npos);
  EXPECT_NE(error([] { micrograd::read_idx_labels("/tmp"); }).find("not a regular file"),
            std::string::npos);
  for (const std::string& p : {im, lb, text, truncated, header, huge, floats})
    std::filesystem::remove(p);
}

TEST(Idx, DebiansFashionMnist) {
  const std::string dir = "/usr/share/datasets/fashion-mnist/";
  if (!std::filesystem::exists(dir + "t10k-labels-idx1-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const micrograd::Dataset test =
      micrograd::load_idx(dir + "t10k-images-idx3-ubyte.gz", dir + "t10k-labels-idx1-ubyte.gz");
  EXPECT_EQ(test.size(), 10000u);
  EXPECT_EQ(test.num_features(), 784u);
  EXPECT_EQ(test.num_classes, 10u);
  EXPECT_EQ(test.y[0], 9.0);  // the first test image is an ankle boot
  std::vector<std::size_t> per_class(10);
  for (double y : test.y) ++per_class[static_cast<std::size_t>(y)];
  EXPECT_EQ(per_class, std::vector<std::size_t>(10, 1000));
}
