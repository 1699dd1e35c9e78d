// plot.cpp: gnuplot scripts for plot.hpp's pictures, with the data inline (datablocks), piped into
// a `gnuplot` process whose output file is renamed into place when it succeeds.
// Not here: any rasterising or SVG writing of our own.
#include "micrograd/plot.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "micrograd/io.hpp"

namespace micrograd {
namespace {

// Class colors: strong for points and curves, light (mixed 70% with white) for regions.
constexpr unsigned kClassColor[] = {0xd7191c, 0x2b83ba, 0x1a9641, 0xfdae61,
                                    0x7b3294, 0x8c510a, 0x4d4d4d, 0xe7298a};
constexpr int kColors = sizeof(kClassColor) / sizeof(kClassColor[0]);

unsigned class_color(long k) { return kClassColor[((k % kColors) + kColors) % kColors]; }
unsigned light(unsigned rgb) {
  auto mix = [](unsigned c) { return static_cast<unsigned>(std::lround(c * 0.3 + 255 * 0.7)); };
  return mix(rgb >> 16 & 0xff) << 16 | mix(rgb >> 8 & 0xff) << 8 | mix(rgb & 0xff);
}

std::string num(double x) {
  if (!std::isfinite(x)) return "NaN";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.9g", x);
  return buf;
}

// A gnuplot single-quoted string: no escapes inside, a quote is written twice.
std::string quote_single(const std::string& s) {
  std::string out = "'";
  for (const char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}
// A gnuplot double-quoted string (for titles; shown with `noenhanced`).
std::string quote_double(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
  }
  return out + "\"";
}

std::string terminal_for(const std::string& path, int width, int height) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const std::string size = " size " + std::to_string(width) + "," + std::to_string(height);
  if (ext == ".png")
    return "set terminal pngcairo" + size + " enhanced font 'sans,11' background rgb 'white'\n";
  if (ext == ".svg")
    return "set terminal svg" + size + " dynamic enhanced font 'sans,11' background rgb 'white'\n";
  throw std::invalid_argument("plot: cannot tell the image format from '" + path +
                              "'; use a file name ending in .png or .svg");
}

}  // namespace

namespace {
std::string produce_gnuplot_picture(const std::string& terminal, const std::string& script,
                                    const std::string& path);
}

void run_gnuplot(const std::string& script, const std::string& path, int width, int height) {
  run_gnuplot_output(script, path, width, height);
}

std::string run_gnuplot_output(const std::string& script, const std::string& path, int width,
                               int height) {
  const std::string terminal = terminal_for(path, width, height);  // checks the extension first
  try {
    return produce_gnuplot_picture(terminal, script, path);
  } catch (const MissingTool&) {
    throw;
  } catch (const std::runtime_error& e) {  // name the picture in every failure
    if (std::string(e.what()).find(path) != std::string::npos) throw;
    throw std::runtime_error("cannot write '" + path + "': " + e.what());
  }
}

namespace {
std::string produce_gnuplot_picture(const std::string& terminal, const std::string& script,
                                    const std::string& path) {
  std::string output;
  produce_file_atomically(path, [&](const std::string& temp) {
    const std::string full =
        terminal + "set output " + quote_single(temp) + "\n" + script + "\nset output\n";
    const ProgramResult r = run_program({"gnuplot"}, full);
    if (!r.found)
      throw MissingTool(
          "gnuplot not found: install the Debian package 'gnuplot-nox' (or "
          "'gnuplot') to write '" +
          path + "'");
    if (r.exit_status != 0)
      throw std::runtime_error("gnuplot failed to write '" + path + "' (exit status " +
                               std::to_string(r.exit_status) + "): " + r.output);
    check_image_complete(temp, path);  // gnuplot exits 0 after failed writes (a full disk)
    output = r.output;
  });
  return output;
}
}  // namespace

bool gnuplot_available() { return run_program({"gnuplot", "--version"}).found; }

void plot_decision_boundary(const std::function<double(double, double)>& score,
                            const std::vector<std::array<double, 2>>& points,
                            const std::vector<double>& labels, const std::string& path,
                            const DecisionBoundaryOptions& options) {
  if (!score) throw std::invalid_argument("plot_decision_boundary: no score function");
  const GridScore each = [&](const std::vector<std::array<double, 2>>& grid) {
    std::vector<double> s;
    s.reserve(grid.size());
    for (const auto& p : grid) s.push_back(score(p[0], p[1]));
    return s;
  };
  run_gnuplot(decision_boundary_script(each, points, labels, options), path, options.width,
              options.height);
}

std::string decision_boundary_script(const GridScore& score,
                                     const std::vector<std::array<double, 2>>& points,
                                     const std::vector<double>& labels,
                                     const DecisionBoundaryOptions& options) {
  if (points.empty()) throw std::invalid_argument("plot_decision_boundary: no points to plot");
  if (points.size() != labels.size())
    throw std::invalid_argument("plot_decision_boundary: " + std::to_string(points.size()) +
                                " points but " + std::to_string(labels.size()) + " labels");
  if (!score) throw std::invalid_argument("plot_decision_boundary: no score function");
  double x0 = points[0][0], x1 = x0, y0 = points[0][1], y1 = y0;
  for (const auto& p : points) {
    if (!std::isfinite(p[0]) || !std::isfinite(p[1]))
      throw std::invalid_argument("plot_decision_boundary: a point has a non-finite coordinate");
    x0 = std::min(x0, p[0]), x1 = std::max(x1, p[0]);
    y0 = std::min(y0, p[1]), y1 = std::max(y1, p[1]);
  }
  x0 -= options.margin, x1 += options.margin, y0 -= options.margin, y1 += options.margin;
  if (options.step <= 0.0 && options.resolution < 1)
    throw std::invalid_argument("plot_decision_boundary: the resolution must be at least 1, got " +
                                std::to_string(options.resolution));
  const double step =
      options.step > 0.0 ? options.step : std::max(x1 - x0, y1 - y0) / options.resolution;
  if (!(step > 0.0) || !std::isfinite(step))
    throw std::invalid_argument("plot_decision_boundary: the grid step must be positive");
  // The grid's size in doubles first: a tiny step makes counts no integer type holds.
  const double fx = std::floor((x1 - x0) / step) + 1.0, fy = std::floor((y1 - y0) / step) + 1.0;
  if (!(fx * fy <= 4'000'000.0))
    throw std::invalid_argument("plot_decision_boundary: a step of " + num(step) + " makes a " +
                                num(fx) + "x" + num(fy) +
                                " grid; use a larger DecisionBoundaryOptions::step");
  const long nx = static_cast<long>(fx), ny = static_cast<long>(fy);

  auto class_of_label = [&](double label) -> long {
    return options.multiclass ? std::lround(label) : (label > 0.0 ? 1 : 0);
  };

  // ---- the regions: one rgb cell per grid point, rows separated by blank lines
  std::vector<std::array<double, 2>> grid;
  grid.reserve(static_cast<std::size_t>(nx * ny));
  for (long j = 0; j < ny; ++j)
    for (long i = 0; i < nx; ++i)
      grid.push_back({x0 + static_cast<double>(i) * step, y0 + static_cast<double>(j) * step});
  const std::vector<double> scores = score(grid);
  if (scores.size() != grid.size())
    throw std::invalid_argument("plot_decision_boundary: the score function returned " +
                                std::to_string(scores.size()) + " scores for " +
                                std::to_string(grid.size()) + " grid points");
  std::string script;
  script.reserve(static_cast<std::size_t>(nx * ny) * 32);
  script += "$grid << EOD\n";
  for (long j = 0; j < ny; ++j) {
    for (long i = 0; i < nx; ++i) {
      const auto [x, y] = grid[static_cast<std::size_t>(j * nx + i)];
      const double s = scores[static_cast<std::size_t>(j * nx + i)];
      unsigned rgb = 0xdddddd;  // nan: grey
      if (std::isfinite(s)) rgb = light(class_color(options.multiclass ? std::lround(s) : s > 0.0));
      script += num(x) + ' ' + num(y) + ' ' + std::to_string(rgb >> 16 & 0xff) + ' ' +
                std::to_string(rgb >> 8 & 0xff) + ' ' + std::to_string(rgb & 0xff) + '\n';
    }
    script += '\n';
  }
  script += "EOD\n$points << EOD\n";
  for (std::size_t k = 0; k < points.size(); ++k)
    script += num(points[k][0]) + ' ' + num(points[k][1]) + ' ' +
              std::to_string(class_color(class_of_label(labels[k]))) + '\n';
  script += "EOD\n";

  const double half = step / 2.0;
  const double gx1 = x0 + static_cast<double>(nx - 1) * step,
               gy1 = y0 + static_cast<double>(ny - 1) * step;
  script += "unset key\nset size ratio -1\n";
  script += "set xrange [" + num(x0 - half) + ":" + num(gx1 + half) + "]\n";
  script += "set yrange [" + num(y0 - half) + ":" + num(gy1 + half) + "]\n";
  if (!options.title.empty())
    script += "set title " + quote_double(options.title) + " noenhanced\n";
  script +=
      "plot $grid using 1:2:3:4:5 with rgbimage, \\\n"
      "     $points using 1:2:3 with points pt 7 ps 1.3 lc rgb variable, \\\n"
      "     $points using 1:2 with points pt 6 ps 1.3 lw 0.8 lc rgb 'black'\n";
  return script;
}

void plot_training_curves(const std::vector<double>& losses, const std::vector<double>& accuracies,
                          const std::string& path, const std::string& title) {
  if (losses.empty()) throw std::invalid_argument("plot_training_curves: no losses to plot");
  if (!accuracies.empty() && accuracies.size() != losses.size())
    throw std::invalid_argument("plot_training_curves: " + std::to_string(losses.size()) +
                                " losses but " + std::to_string(accuracies.size()) + " accuracies");
  std::string script = "$log << EOD\n";
  for (std::size_t k = 0; k < losses.size(); ++k)
    script += std::to_string(k) + ' ' + num(losses[k]) + ' ' +
              (accuracies.empty() ? std::string("NaN") : num(accuracies[k])) + '\n';
  script += "EOD\n";
  const std::string style = losses.size() < 40 ? "linespoints pt 7 ps 0.6" : "lines";
  const bool two = !accuracies.empty();
  script += "unset key\nset grid\nset xrange [0:" +
            std::to_string(std::max<std::size_t>(losses.size() - 1, 1)) + "]\n";
  if (two) {
    script += "set multiplot layout 2,1";
    if (!title.empty()) script += " title " + quote_double(title) + " noenhanced";
    script += "\n";
  } else if (!title.empty()) {
    script += "set title " + quote_double(title) + " noenhanced\n";
  }
  script += "set ylabel 'loss'\n";
  if (!two) script += "set xlabel 'step'\n";
  script += "plot $log using 1:2 with " + style + " lw 2 lc rgb '#2b83ba'\n";
  if (two) {
    script += "set ylabel 'accuracy'\nset xlabel 'step'\nset yrange [0:1.05]\n";
    script += "plot $log using 1:3 with " + style + " lw 2 lc rgb '#d7191c'\n";
    script += "unset multiplot\n";
  }
  run_gnuplot(script, path, 800, 600);
}

void plot_line(const std::vector<double>& xs, const std::vector<double>& ys,
               const std::string& path, const std::string& title, const std::string& xlabel,
               const std::string& ylabel) {
  if (xs.empty() || xs.size() != ys.size())
    throw std::invalid_argument("plot_line: " + std::to_string(xs.size()) + " xs and " +
                                std::to_string(ys.size()) + " ys (one y per x, at least one)");
  std::string script = "$points << EOD\n";
  for (std::size_t k = 0; k < xs.size(); ++k) script += num(xs[k]) + ' ' + num(ys[k]) + '\n';
  script += "EOD\nunset key\nset grid\n";
  if (!title.empty()) script += "set title " + quote_double(title) + " noenhanced\n";
  script += "set xlabel " + quote_double(xlabel) + " noenhanced\nset ylabel " +
            quote_double(ylabel) + " noenhanced\n";
  script += "plot $points using 1:2 with lines lw 2 lc rgb '#2b83ba'\n";
  run_gnuplot(script, path, 640, 420);
}

PlotArea plot_series(const std::vector<double>& xs, const std::vector<double>& ys,
                     const std::string& path, const std::string& title, const std::string& xlabel,
                     const std::string& ylabel, int width, int height) {
  if (xs.empty() || xs.size() != ys.size())
    throw std::invalid_argument("plot_series: " + std::to_string(xs.size()) + " xs and " +
                                std::to_string(ys.size()) + " ys (one y per x, at least one)");
  std::string script = "$points << EOD\n";
  for (std::size_t k = 0; k < xs.size(); ++k) script += num(xs[k]) + ' ' + num(ys[k]) + '\n';
  script +=
      "EOD\nunset key\nset grid\nset autoscale xfix\nset offsets 0, 0, graph 0.05, graph 0.05\n";
  if (xs.front() == xs.back())
    script += "set xrange [" + num(xs.front() - 1) + ":" + num(xs.front() + 1) + "]\n";
  if (!title.empty()) script += "set title " + quote_double(title) + " noenhanced\n";
  script += "set xlabel " + quote_double(xlabel) + " noenhanced\nset ylabel " +
            quote_double(ylabel) + " noenhanced\n";
  script += "plot $points using 1:2 with lines lw 2 lc rgb '#2b83ba'\n";
  // Where the axes ended up: pixels of the plot area (gnuplot's y counts from the bottom).
  script +=
      "print sprintf('area %.17g %.17g %.17g %.17g %.17g %.17g', GPVAL_TERM_XMIN, "
      "GPVAL_TERM_XMAX, GPVAL_TERM_YMIN, GPVAL_TERM_YMAX, GPVAL_X_MIN, GPVAL_X_MAX)\n";
  const std::string printed = run_gnuplot_output(script, path, width, height);
  PlotArea area{};
  area.width = width;
  area.height = height;
  const auto at = printed.find("area ");
  double bottom_up = 0.0, top_up = 0.0;
  if (at == std::string::npos ||
      std::sscanf(printed.c_str() + at, "area %lf %lf %lf %lf %lf %lf", &area.left, &area.right,
                  &bottom_up, &top_up, &area.xmin, &area.xmax) != 6)
    throw std::runtime_error("plot_series: gnuplot did not say where its axes are: " + printed);
  // The svg terminal counts pixels; the png one as well (its scale is 1).
  area.top = height - top_up;
  area.bottom = height - bottom_up;
  return area;
}

void plot_epoch_curves(const std::vector<double>& train_loss,
                       const std::vector<double>& train_accuracy,
                       const std::vector<double>& test_accuracy, const std::string& path,
                       const std::string& title) {
  if (train_loss.empty()) throw std::invalid_argument("plot_epoch_curves: no epochs to plot");
  if (train_accuracy.size() != train_loss.size() ||
      (!test_accuracy.empty() && test_accuracy.size() != train_loss.size()))
    throw std::invalid_argument("plot_epoch_curves: one loss and one accuracy per epoch");
  std::string script = "$log << EOD\n";
  for (std::size_t k = 0; k < train_loss.size(); ++k)
    script += std::to_string(k + 1) + ' ' + num(train_loss[k]) + ' ' + num(train_accuracy[k]) +
              ' ' + (test_accuracy.empty() ? std::string("NaN") : num(test_accuracy[k])) + '\n';
  script += "EOD\nset grid\nset xrange [1:" +
            std::to_string(std::max<std::size_t>(train_loss.size(), 2)) +
            "]\nset multiplot layout 2,1";
  if (!title.empty()) script += " title " + quote_double(title) + " noenhanced";
  script += "\nunset key\nset ylabel 'training loss'\n";
  script += "plot $log using 1:2 with linespoints pt 7 ps 0.7 lw 2 lc rgb '#2b83ba'\n";
  script += "set key bottom right\nset ylabel 'accuracy'\nset xlabel 'epoch'\n";
  script += "plot $log using 1:3 with linespoints pt 7 ps 0.7 lw 2 lc rgb '#2b83ba' title 'train'";
  if (!test_accuracy.empty())
    script += ", $log using 1:4 with linespoints pt 7 ps 0.7 lw 2 lc rgb '#d7191c' title 'test'";
  script += "\nunset multiplot\n";
  run_gnuplot(script, path, 800, 600);
}

void plot_confusion_matrix(const std::vector<std::vector<std::size_t>>& counts,
                           const std::vector<std::string>& class_names, const std::string& path,
                           const std::string& title) {
  const std::size_t k = counts.size();
  if (k == 0 || class_names.size() != k)
    throw std::invalid_argument("plot_confusion_matrix: " + std::to_string(k) + " rows but " +
                                std::to_string(class_names.size()) + " class names");
  std::size_t top = 1;
  for (const auto& row : counts) {
    if (row.size() != k)
      throw std::invalid_argument("plot_confusion_matrix: the matrix must be square");
    for (const std::size_t c : row) top = std::max(top, c);
  }
  std::string script = "$m << EOD\n";
  for (std::size_t t = 0; t < k; ++t) {
    for (std::size_t p = 0; p < k; ++p)  // x: predicted, y: true (row 0 at the top)
      script += std::to_string(p) + ' ' + std::to_string(k - 1 - t) + ' ' +
                std::to_string(counts[t][p]) + '\n';
    script += '\n';
  }
  script += "EOD\nunset key\nset size ratio -1\nset palette defined (0 'white', 1 '#2b83ba')\n";
  script += "set cbrange [0:" + std::to_string(top) + "]\nunset colorbox\n";
  script += "set xrange [-0.5:" + num(k - 0.5) + "]\nset yrange [-0.5:" + num(k - 0.5) + "]\n";
  std::string xt = "set xtics rotate by 45 right (", yt = "set ytics (";
  for (std::size_t c = 0; c < k; ++c) {
    xt += (c ? ", " : "") + quote_double(class_names[c]) + " " + std::to_string(c);
    yt += (c ? ", " : "") + quote_double(class_names[c]) + " " + std::to_string(k - 1 - c);
  }
  script += xt + ")\n" + yt + ")\nset xlabel 'predicted'\nset ylabel 'true'\n";
  if (!title.empty()) script += "set title " + quote_double(title) + " noenhanced\n";
  script +=
      "plot $m using 1:2:3 with image, $m using 1:2:(sprintf('%d', $3)) with labels "
      "font 'sans,9'\n";
  run_gnuplot(script, path, 760, 700);
}

void plot_image_grid(const std::vector<std::vector<double>>& images, std::size_t rows,
                     std::size_t cols, const std::vector<std::string>& captions,
                     std::size_t columns, const std::string& path, const std::string& title) {
  if (images.empty()) throw std::invalid_argument("plot_image_grid: no images");
  if (captions.size() != images.size())
    throw std::invalid_argument("plot_image_grid: one caption per image");
  if (rows == 0 || cols == 0 || columns == 0 || rows > 512 || cols > 512)
    throw std::invalid_argument("plot_image_grid: bad image or grid size");
  for (const auto& im : images)
    if (im.size() != rows * cols)
      throw std::invalid_argument("plot_image_grid: an image has " + std::to_string(im.size()) +
                                  " pixels, not " + std::to_string(rows * cols));
  const std::size_t n = images.size(), grid_rows = (n + columns - 1) / columns;
  const std::size_t gap = 2, caption = 9;  // pixels between tiles, room for a caption
  const std::size_t tw = cols + gap, th = rows + gap + caption;
  // One raster of the whole grid (gnuplot's `with image` needs every point), gaps 0 (white).
  const std::size_t width = columns * tw, height = grid_rows * th;
  std::vector<double> raster(width * height, 0.0);  // row 0 at the bottom
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t gx = (i % columns) * tw, gy = (grid_rows - 1 - i / columns) * th;
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t c = 0; c < cols; ++c)  // image row 0 on top
        raster[(gy + rows - 1 - r) * width + gx + c] = images[i][r * cols + c];
  }
  std::string script = "$im << EOD\n";
  for (std::size_t y = 0; y < height; ++y) {
    for (std::size_t x = 0; x < width; ++x)
      script +=
          std::to_string(x) + ' ' + std::to_string(y) + ' ' + num(raster[y * width + x]) + '\n';
    script += '\n';
  }
  script += "EOD\nunset key\nunset tics\nunset border\nunset colorbox\nset size ratio -1\n";
  script += "set palette gray negative\nset cbrange [0:1]\n";
  script += "set xrange [-1:" + std::to_string(columns * tw) +
            "]\nset yrange [-1:" + std::to_string(grid_rows * th) + "]\n";
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t gx = (i % columns) * tw, gy = (grid_rows - 1 - i / columns) * th;
    script += "set label " + std::to_string(i + 1) + " " + quote_double(captions[i]) + " at " +
              num(gx + cols / 2.0) + "," + num(gy + rows + caption / 2.0) +
              " center front font 'sans,7' noenhanced\n";
  }
  if (!title.empty()) script += "set title " + quote_double(title) + " noenhanced\n";
  script += "plot $im using 1:2:3 with image pixels\n";
  run_gnuplot(script, path, static_cast<int>(std::min<std::size_t>(columns * 110 + 40, 1600)),
              static_cast<int>(std::min<std::size_t>(grid_rows * 130 + 60, 1600)));
}

}  // namespace micrograd
