// plot.hpp: the demo's pictures, drawn by gnuplot: a classifier's decision regions with the data on
// top, and loss/accuracy per training step. PNG (pngcairo) or SVG, chosen by the file extension.
//
// The functions take plain numbers and a callback, not nn types, so any model can be plotted:
//   plot_decision_boundary([&](double x, double y) { return model({x, y}).data(); },
//                          points, labels, "moons.png");
// Not here: drawing of our own (gnuplot renders everything), computation graphs (draw.hpp).
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace micrograd {

struct DecisionBoundaryOptions {
  // false: two classes, a grid cell is class 1 where score > 0 (micrograd's `scores > 0`) and
  //        a point is class 1 where label > 0 (labels -1/+1 or 0/1);
  // true:  score(x, y) returns the predicted class index 0..K-1, labels are class indices.
  bool multiclass = false;
  double step = 0.0;     // grid spacing; 0: the larger data span / `resolution`
  int resolution = 200;  // grid cells along the larger side when step is 0 (the demo: about 25)
  double margin = 1.0;   // the grid spans the data plus this on every side (as in the demo)
  std::string title;     // empty: no title
  int width = 800, height = 700;  // pixels (SVG: the same size in points)
};

// The model's regions over a grid (filled), the points on top colored by label. Written
// atomically. Throws std::invalid_argument for empty/mismatched input, std::runtime_error naming
// the Debian package when gnuplot is missing, or with gnuplot's message when it fails.
void plot_decision_boundary(const std::function<double(double, double)>& score,
                            const std::vector<std::array<double, 2>>& points,
                            const std::vector<double>& labels, const std::string& path,
                            const DecisionBoundaryOptions& options = {});

// Scores every grid point in one call (for a model that is faster on many points at once, such
// as nn::MLP::predict_batch); returns one score per point, in order.
using GridScore =
    std::function<std::vector<double>(const std::vector<std::array<double, 2>>& grid)>;

// The gnuplot script of plot_decision_boundary (without its output), for drawing one scoring to
// several files: run_gnuplot(script, "a.png", ...), run_gnuplot(script, "a.svg", ...).
std::string decision_boundary_script(const GridScore& score,
                                     const std::vector<std::array<double, 2>>& points,
                                     const std::vector<double>& labels,
                                     const DecisionBoundaryOptions& options = {});

// Loss (top panel) and accuracy (bottom panel, 0..1) against the step number. `accuracies` may be
// empty (loss only); otherwise it has one entry per loss. Written atomically.
void plot_training_curves(const std::vector<double>& losses, const std::vector<double>& accuracies,
                          const std::string& path, const std::string& title = "");

// Per-epoch curves: training loss (top panel) and train and test accuracy (bottom panel), against
// the epoch number 1..E. `test_accuracy` may be empty (no test set). Written atomically.
void plot_epoch_curves(const std::vector<double>& train_loss,
                       const std::vector<double>& train_accuracy,
                       const std::vector<double>& test_accuracy, const std::string& path,
                       const std::string& title = "");

// A confusion matrix: counts[true][predicted], K x K, as a heat map with each count written in
// its cell and the class names on both axes. Throws std::invalid_argument unless the matrix is
// square with one name per class.
void plot_confusion_matrix(const std::vector<std::vector<std::size_t>>& counts,
                           const std::vector<std::string>& class_names, const std::string& path,
                           const std::string& title = "");

// Grayscale images (each rows x cols values in 0..1, row by row) in a grid of `columns` tiles,
// each with its caption above it (e.g. "true Shirt / predicted T-shirt").
void plot_image_grid(const std::vector<std::vector<double>>& images, std::size_t rows,
                     std::size_t cols, const std::vector<std::string>& captions,
                     std::size_t columns, const std::string& path, const std::string& title = "");

// A line through the points (xs[k], ys[k]) (the lecture's plt.plot(xs, ys)).
void plot_line(const std::vector<double>& xs, const std::vector<double>& ys,
               const std::string& path, const std::string& title = "",
               const std::string& xlabel = "x", const std::string& ylabel = "y");

// Where a plot's axes are in the picture, in pixels from its top left corner, and the x range they
// span: a page can then mark a point on the picture (the training page's step marker).
struct PlotArea {
  double left = 0, right = 0, top = 0, bottom = 0;
  double xmin = 0, xmax = 0;
  int width = 0, height = 0;
};
// A line through (xs[k], ys[k]), and where its axes ended up. SVG only (gnuplot's svg terminal
// reports pixels).
PlotArea plot_series(const std::vector<double>& xs, const std::vector<double>& ys,
                     const std::string& path, const std::string& title, const std::string& xlabel,
                     const std::string& ylabel, int width = 640, int height = 240);

// Runs a gnuplot script whose output goes to `path` (the script must not `set output`; this sets it
// to a temporary file and renames it on success). The terminal is chosen by extension.
void run_gnuplot(const std::string& script, const std::string& path, int width, int height);
// The same, returning what the script printed (gnuplot's `print` goes to its error output).
std::string run_gnuplot_output(const std::string& script, const std::string& path, int width,
                               int height);

// True when the `gnuplot` program can be run.
bool gnuplot_available();

}  // namespace micrograd
