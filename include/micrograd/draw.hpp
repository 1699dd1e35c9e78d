// draw.hpp: the lecture's draw_dot: a picture of the graph that computed a Value, in graphviz DOT,
// and rendering DOT text to SVG/PNG/PDF.
//
// One record node per value "{ label | data 2.0000 | grad 6.0000 }", a small op node ("+", "*",
// "tanh", "**2", ...) feeding each computed value, edges operand -> op node. Ids are the tape's
// node indices ("n12", "n12op"), emitted in ascending order, so the text is the same on every run
// and can be compared with a golden file. The walk is iterative (graphs may be millions deep).
// Rendering uses graphviz's library (libgvc) when the build found it, else the `dot` program.
// Not here: plots of data (plot.hpp).
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

#include "micrograd/io.hpp"
#include "micrograd/value.hpp"

namespace micrograd {

struct DotOptions {
  std::string rankdir = "LR";    // graphviz rankdir: LR (the lecture's), TB, RL or BT
  std::size_t max_nodes = 2000;  // more value nodes than this: std::length_error, not a monster
  // Past this many value nodes the layout is bounded (graphviz's network simplex and crossing
  // minimisation cut short, straight edges): a 300-node graph of shared operands took graphviz
  // minutes with its defaults, a few seconds so. Smaller graphs are laid out exactly as before.
  std::size_t fast_layout_above = 100;
  // Name the drawn nodes n0, n1, ... in creation order instead of by tape index (the same text
  // wherever on the tape the graph was built: the interactive page's engine compares them).
  bool renumber = false;
};

// DOT text for the nodes reachable from `root`. Throws std::length_error past options.max_nodes.
std::string to_dot(const Value& root, const DotOptions& options = {});

// Raised by render() when neither libgvc nor the `dot` program is available; the DOT text has
// then been written next to the requested file (dot_path()).
class GraphvizNotFound : public MissingTool {
 public:
  GraphvizNotFound(const std::string& message, std::string dot_path)
      : MissingTool(message), dot_path_(std::move(dot_path)) {}
  const std::string& dot_path() const { return dot_path_; }

 private:
  std::string dot_path_;
};

// Renders DOT text to `path`; the format comes from the extension: .svg, .png, .pdf, or .dot/.gv
// (the text itself). Written atomically (io.hpp). Errors: std::invalid_argument for an unknown
// extension, GraphvizNotFound, std::runtime_error when graphviz rejects the input.
void render(const std::string& dot_text, const std::string& path);

// to_dot + render: the lecture's draw_dot(root) saved to a file.
void draw_dot(const Value& root, const std::string& path, const DotOptions& options = {});

// True when render() can produce images (libgvc linked in, or `dot` on PATH).
bool graphviz_available();

}  // namespace micrograd
