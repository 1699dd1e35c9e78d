// test_plot.cpp: the gnuplot pictures exist, have the right format and size, and bad input or a
// missing file extension gives a clear error.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common.hpp"
#include "micrograd/plot.hpp"

namespace fs = std::filesystem;

namespace {
std::uint32_t be32(const std::string& s, std::size_t at) {
  std::uint32_t v = 0;
  for (int k = 0; k < 4; ++k)
    v = v << 8 | static_cast<unsigned char>(s[at + static_cast<std::size_t>(k)]);
  return v;
}
fs::path fresh_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() /
               ("micrograd-test-plot-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}
// Two blobs, one per class, split by the line x = 0.
std::vector<std::array<double, 2>> points() {
  std::vector<std::array<double, 2>> p;
  for (int i = 0; i < 20; ++i) p.push_back({i % 2 ? 1.0 + 0.05 * i : -1.0 - 0.05 * i, std::sin(i)});
  return p;
}
std::vector<double> labels() {
  std::vector<double> l;
  for (int i = 0; i < 20; ++i) l.push_back(i % 2 ? 1.0 : -1.0);
  return l;
}
void expect_png(const std::string& png, std::uint32_t width, std::uint32_t height) {
  ASSERT_GT(png.size(), 5000u);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(png.substr(12, 4), "IHDR");
  EXPECT_EQ(be32(png, 16), width);
  EXPECT_EQ(be32(png, 20), height);
}
}  // namespace

TEST(Plot, DecisionBoundaryPngAndSvg) {
  if (!micrograd::gnuplot_available()) GTEST_SKIP() << "gnuplot not installed";
  const fs::path d = fresh_dir("boundary");
  int calls = 0;
  auto score = [&](double x, double) {
    ++calls;
    return x;
  };
  micrograd::DecisionBoundaryOptions o;
  o.title = "x > 0 {test}_1";
  micrograd::plot_decision_boundary(score, points(), labels(), (d / "b.png").string(), o);
  expect_png(micrograd::testing::read_file(d / "b.png"), 800, 700);
  EXPECT_GT(calls, 200 * 100);  // a fine grid (1/200 of the span), not the demo's 0.25 steps
  micrograd::plot_decision_boundary(score, points(), labels(), (d / "b.svg").string(), o);
  const std::string svg = micrograd::testing::read_file(d / "b.svg");
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("{test}_1"), std::string::npos);
  EXPECT_GT(svg.size(), 5000u);
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(d)) files += e.is_regular_file();
  EXPECT_EQ(files, 2u);  // no temporaries left
  fs::remove_all(d);
}

TEST(Plot, MulticlassAndCoarseStep) {
  if (!micrograd::gnuplot_available()) GTEST_SKIP() << "gnuplot not installed";
  const fs::path d = fresh_dir("multi");
  micrograd::DecisionBoundaryOptions o;
  o.multiclass = true;
  o.step = 0.25;
  int calls = 0;
  std::vector<double> classes;
  for (int i = 0; i < 20; ++i) classes.push_back(i % 3);
  micrograd::plot_decision_boundary(
      [&](double x, double y) {
        ++calls;
        return x > 0 ? 0.0 : (y > 0 ? 1.0 : 2.0);
      },
      points(), classes, (d / "m.png").string(), o);
  expect_png(micrograd::testing::read_file(d / "m.png"), 800, 700);
  // x spans [-1.95-1, 1.95+1], y about [-0.96-1, 0.99+1]: 24 x 16 grid points at 0.25.
  EXPECT_EQ(calls, 24 * 16);
  fs::remove_all(d);
}

// A grid scorer is called once with every grid point (rows of x, bottom to top); the script it
// gives draws the same picture to several files; `resolution` sets the grid when step is 0.
TEST(Plot, GridScoreOnceForSeveralFiles) {
  micrograd::DecisionBoundaryOptions o;
  o.resolution = 10;
  int calls = 0;
  std::size_t points_scored = 0;
  std::vector<std::array<double, 2>> seen;
  const micrograd::GridScore score = [&](const std::vector<std::array<double, 2>>& grid) {
    ++calls;
    points_scored += grid.size();
    seen = grid;
    std::vector<double> s;
    for (const auto& p : grid) s.push_back(p[0]);
    return s;
  };
  const std::string script = micrograd::decision_boundary_script(score, points(), labels(), o);
  EXPECT_EQ(calls, 1);
  // x spans [-2.9, 2.95] (the larger side, 5.85): step 0.585, 11 x 7 points (y spans 3.99).
  EXPECT_EQ(points_scored, 11u * 7u);
  ASSERT_EQ(seen.size(), 77u);
  EXPECT_DOUBLE_EQ(seen[0][0], -2.9);
  EXPECT_DOUBLE_EQ(seen[1][0] - seen[0][0], 0.585);
  EXPECT_EQ(seen[11][0], seen[0][0]);  // the second row starts at the left again
  EXPECT_DOUBLE_EQ(seen[11][1] - seen[0][1], 0.585);
  EXPECT_NE(script.find("$grid << EOD"), std::string::npos);
  if (micrograd::gnuplot_available()) {
    const fs::path d = fresh_dir("grid");
    micrograd::run_gnuplot(script, (d / "g.png").string(), 400, 300);
    micrograd::run_gnuplot(script, (d / "g.svg").string(), 400, 300);
    expect_png(micrograd::testing::read_file(d / "g.png"), 400, 300);
    EXPECT_NE(micrograd::testing::read_file(d / "g.svg").find("<svg"), std::string::npos);
    EXPECT_EQ(calls, 1);
    fs::remove_all(d);
  }
  o.resolution = 0;
  EXPECT_THROW(micrograd::decision_boundary_script(score, points(), labels(), o),
               std::invalid_argument);
  o.resolution = 10;
  const micrograd::GridScore short_by_one = [](const std::vector<std::array<double, 2>>& grid) {
    return std::vector<double>(grid.size() - 1, 0.0);
  };
  EXPECT_THROW(micrograd::decision_boundary_script(short_by_one, points(), labels(), o),
               std::invalid_argument);
  EXPECT_THROW(micrograd::decision_boundary_script(nullptr, points(), labels(), o),
               std::invalid_argument);
}

TEST(Plot, TrainingCurves) {
  if (!micrograd::gnuplot_available()) GTEST_SKIP() << "gnuplot not installed";
  const fs::path d = fresh_dir("curves");
  std::vector<double> loss, acc;
  for (int k = 0; k < 100; ++k) {
    loss.push_back(1.0 / (1 + k));
    acc.push_back(1.0 - 0.5 / (1 + k));
  }
  micrograd::plot_training_curves(loss, acc, (d / "c.png").string(), "demo");
  expect_png(micrograd::testing::read_file(d / "c.png"), 800, 600);
  micrograd::plot_training_curves(loss, acc, (d / "c.svg").string());
  EXPECT_NE(micrograd::testing::read_file(d / "c.svg").find("accuracy"), std::string::npos);
  micrograd::plot_training_curves(loss, {}, (d / "loss_only.png").string());  // no accuracies
  expect_png(micrograd::testing::read_file(d / "loss_only.png"), 800, 600);
  micrograd::plot_training_curves({0.5}, {1.0}, (d / "one.svg").string());  // a single step
  EXPECT_TRUE(fs::exists(d / "one.svg"));
  fs::remove_all(d);
}

TEST(Plot, Line) {
  if (!micrograd::gnuplot_available()) GTEST_SKIP() << "gnuplot not installed";
  const fs::path d = fresh_dir("line");
  std::vector<double> xs, ys;
  for (int k = -20; k < 20; ++k) {
    xs.push_back(0.25 * k);
    ys.push_back(3 * xs.back() * xs.back() - 4 * xs.back() + 5);
  }
  micrograd::plot_line(xs, ys, (d / "f.png").string(), "f(x) = 3x^2 - 4x + 5", "x", "f(x)");
  expect_png(micrograd::testing::read_file(d / "f.png"), 640, 420);
  micrograd::plot_line(xs, ys, (d / "f.svg").string(), "f_title");
  EXPECT_NE(micrograd::testing::read_file(d / "f.svg").find("f_title"), std::string::npos);
  EXPECT_THROW(micrograd::plot_line(xs, {1.0}, (d / "bad.svg").string()), std::invalid_argument);
  EXPECT_THROW(micrograd::plot_line({}, {}, (d / "bad.svg").string()), std::invalid_argument);
  EXPECT_FALSE(fs::exists(d / "bad.svg"));
  fs::remove_all(d);
}

TEST(Plot, SeriesSaysWhereItsAxesAre) {
  if (!micrograd::gnuplot_available()) GTEST_SKIP() << "gnuplot not installed";
  const fs::path d = fresh_dir("series");
  std::vector<double> xs, ys;
  for (int k = 0; k < 100; ++k) {
    xs.push_back(k);
    ys.push_back(1.0 / (1 + k));
  }
  const micrograd::PlotArea a =
      micrograd::plot_series(xs, ys, (d / "s.svg").string(), "loss", "step", "loss", 640, 240);
  EXPECT_EQ(a.width, 640);
  EXPECT_EQ(a.height, 240);
  EXPECT_GT(a.left, 20.0);  // room for the y tics and label
  EXPECT_LT(a.left, 120.0);
  EXPECT_GT(a.right, 560.0);
  EXPECT_LE(a.right, 640.0);
  EXPECT_GT(a.top, 5.0);
  EXPECT_LT(a.top, 60.0);
  EXPECT_GT(a.bottom, 150.0);
  EXPECT_LT(a.bottom, 240.0);
  EXPECT_EQ(a.xmin, 0.0);
  EXPECT_EQ(a.xmax, 99.0);
  // The curve's first point (0, 1.0) is drawn at the plot area's left edge.
  const std::string svg = micrograd::testing::read_file(d / "s.svg");
  char left[32];
  std::snprintf(left, sizeof left, "M%.2f,", a.left);
  EXPECT_NE(svg.find(left), std::string::npos) << left;
  EXPECT_THROW(micrograd::plot_series({}, {}, (d / "x.svg").string(), "", "x", "y"),
               std::invalid_argument);
  fs::remove_all(d);
}

// Fashion-MNIST's pictures: curves per epoch, a confusion matrix, a grid of images.
TEST(Plot, EpochsConfusionMatrixAndImages) {
  if (!micrograd::gnuplot_available()) GTEST_SKIP() << "gnuplot not installed";
  const fs::path d = fresh_dir("epochs");
  micrograd::plot_epoch_curves({0.6, 0.4, 0.35}, {0.8, 0.85, 0.87}, {0.82, 0.84, 0.85},
                               (d / "e.png").string(), "epochs");
  expect_png(micrograd::testing::read_file(d / "e.png"), 800, 600);
  micrograd::plot_epoch_curves({0.6}, {0.8}, {}, (d / "one.svg").string());  // no test set
  EXPECT_NE(micrograd::testing::read_file(d / "one.svg").find("<svg"), std::string::npos);
  micrograd::plot_confusion_matrix({{50, 2, 0}, {3, 40, 7}, {0, 1, 45}}, {"a", "b", "c"},
                                   (d / "cm.svg").string(), "cm");
  const std::string cm = micrograd::testing::read_file(d / "cm.svg");
  EXPECT_NE(cm.find(">40<"), std::string::npos);  // the counts are written in their cells
  EXPECT_NE(cm.find(">predicted<"), std::string::npos);
  std::vector<std::vector<double>> images;
  for (int k = 0; k < 5; ++k) {
    std::vector<double> im(12);
    for (int i = 0; i < 12; ++i) im[static_cast<std::size_t>(i)] = ((i + k) % 4) / 3.0;
    images.push_back(im);
  }
  micrograd::plot_image_grid(images, 3, 4, {"one", "two", "three", "four", "five"}, 3,
                             (d / "g.png").string(), "grid");
  const std::string grid = micrograd::testing::read_file(d / "g.png");  // small: few pixels
  ASSERT_GT(grid.size(), 1000u);
  EXPECT_EQ(grid.substr(1, 3), "PNG");
  EXPECT_EQ(be32(grid, 16), 3u * 110 + 40);  // 3 columns, 2 rows of tiles
  EXPECT_EQ(be32(grid, 20), 2u * 130 + 60);
  EXPECT_THROW(micrograd::plot_epoch_curves({}, {}, {}, (d / "x.png").string()),
               std::invalid_argument);
  EXPECT_THROW(micrograd::plot_epoch_curves({1, 2}, {1}, {}, (d / "x.png").string()),
               std::invalid_argument);
  EXPECT_THROW(micrograd::plot_confusion_matrix({{1, 2}, {3}}, {"a", "b"}, (d / "x.png").string()),
               std::invalid_argument);
  EXPECT_THROW(micrograd::plot_confusion_matrix({{1}}, {"a", "b"}, (d / "x.png").string()),
               std::invalid_argument);
  EXPECT_THROW(micrograd::plot_image_grid(images, 3, 3, {"a", "b", "c", "d", "e"}, 3,
                                          (d / "x.png").string()),
               std::invalid_argument);  // 12 pixels are not 3x3
  EXPECT_THROW(micrograd::plot_image_grid(images, 3, 4, {"a"}, 3, (d / "x.png").string()),
               std::invalid_argument);
  fs::remove_all(d);
}

TEST(Plot, BadInput) {
  auto score = [](double x, double) { return x; };
  EXPECT_THROW(micrograd::plot_decision_boundary(score, {}, {}, "/tmp/x.png"),
               std::invalid_argument);
  EXPECT_THROW(micrograd::plot_decision_boundary(score, points(), {1.0}, "/tmp/x.png"),
               std::invalid_argument);
  EXPECT_THROW(micrograd::plot_decision_boundary(score, points(), labels(), "/tmp/x.jpg"),
               std::invalid_argument);
  micrograd::DecisionBoundaryOptions tiny;
  tiny.step = 1e-6;
  EXPECT_THROW(micrograd::plot_decision_boundary(score, points(), labels(), "/tmp/x.png", tiny),
               std::invalid_argument);
  tiny.step = 1e-300;  // counts past any integer type: refused before any cast (UBSan found it)
  EXPECT_THROW(micrograd::plot_decision_boundary(score, points(), labels(), "/tmp/x.png", tiny),
               std::invalid_argument);
  tiny.step = 5e-324;
  EXPECT_THROW(micrograd::plot_decision_boundary(score, points(), labels(), "/tmp/x.png", tiny),
               std::invalid_argument);
  EXPECT_THROW(micrograd::plot_training_curves({}, {}, "/tmp/c.png"), std::invalid_argument);
  EXPECT_THROW(micrograd::plot_training_curves({1, 2}, {1}, "/tmp/c.png"), std::invalid_argument);
}

TEST(Plot, GnuplotErrorsAreReported) {
  if (!micrograd::gnuplot_available()) GTEST_SKIP() << "gnuplot not installed";
  const fs::path d = fresh_dir("err");
  try {
    micrograd::run_gnuplot("plot $nosuchblock using 1:2", (d / "e.png").string(), 100, 100);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("gnuplot failed"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(d / "e.png"));
  fs::remove_all(d);
}
