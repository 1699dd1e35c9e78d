// draw.cpp: to_dot (an iterative walk over the tape) and render (libgvc in-process when the build
// found it, else the `dot` program, else the .dot text and a message naming the package).
// Not here: layout of our own; graphviz does all of it.
#include "micrograd/draw.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <unordered_set>
#include <vector>

#include "micrograd/io.hpp"

#ifdef MICROGRAD_HAVE_GVC
#include <graphviz/gvc.h>
#endif

namespace micrograd {
namespace {

// Text inside a record field: braces, bars, angle brackets, quotes and backslashes get a
// backslash; control characters become spaces (a label is one line).
std::string escape_record(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (std::string_view("{}|<>\"\\").find(c) != std::string_view::npos) {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

// Text inside a plain DOT string: only quotes and backslashes are special.
std::string escape_string(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
  }
  return out;
}

std::string format4(double x) {  // the lecture's "%.4f"
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4f", x);
  return buf;
}

std::string lower_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

#ifdef MICROGRAD_HAVE_GVC
// libgvc is not thread-safe and reports errors through a global callback.
std::mutex gvc_mutex;
std::string gvc_errors;
int collect_gvc_error(char* message) {
  if (gvc_errors.size() < 4096) gvc_errors += message;
  return 0;
}

// Renders with libgvc. BadInput: graphviz rejected the DOT text (no point trying `dot`);
// NoRender: this libgvc could not produce the format (e.g. a plugin is missing).
enum class GvcResult { Ok, BadInput, NoRender };

// Renders into memory (`image`), never to a file: graphviz's own file output calls exit(1) when
// a write fails (a full disk), ending the whole program. Our writer reports that instead.
GvcResult render_with_gvc(const std::string& dot_text, const std::string& format,
                          std::string& image, std::string& why) {
  std::lock_guard<std::mutex> lock(gvc_mutex);
  gvc_errors.clear();
  agusererrf previous = agseterrf(collect_gvc_error);
  // One context for the whole process, never freed: graphviz 2.43's pango plugin caches a pointer
  // into the context's font table, so a second context reads freed memory (found by ASan).
  static GVC_t* const gvc = gvContext();
  Agraph_t* g = agmemread(dot_text.c_str());
  GvcResult result = GvcResult::Ok;
  if (g == nullptr) {
    why = "graphviz could not parse the DOT text: " + gvc_errors;
    result = GvcResult::BadInput;
  } else if (gvLayout(gvc, g, "dot") != 0) {
    why = "graphviz layout failed: " + gvc_errors;
    result = GvcResult::BadInput;
    agclose(g);
  } else {
    char* data = nullptr;
    unsigned int length = 0;
    if (gvRenderData(gvc, g, format.c_str(), &data, &length) != 0 || data == nullptr) {
      why = "libgvc could not render '" + format + "': " + gvc_errors;
      result = GvcResult::NoRender;
    } else {
      image.assign(data, length);
    }
    if (data != nullptr) gvFreeRenderData(data);
    gvFreeLayout(gvc, g);
    agclose(g);
  }
  agseterrf(previous);
  while (!why.empty() && std::isspace(static_cast<unsigned char>(why.back()))) why.pop_back();
  return result;
}
#endif

}  // namespace

std::string to_dot(const Value& root, const DotOptions& options) {
  Tape& tape = root.tape();  // throws if root is empty or stale
  using Index = Tape::Index;

  // ---- the nodes reachable from root: an explicit stack, never recursion
  std::unordered_set<Index> seen{root.id()};
  std::vector<Index> stack{root.id()};
  while (!stack.empty()) {
    const Index i = stack.back();
    stack.pop_back();
    for (Index k = 0, n = tape.num_children(i); k < n; ++k) {
      const Index child = tape.child(i, k);
      if (seen.insert(child).second) {
        if (seen.size() > options.max_nodes)
          throw std::length_error(
              "to_dot: the graph of " + tape.describe(root.id()) + " has more than " +
              std::to_string(options.max_nodes) +
              " nodes, too many to draw legibly; raise DotOptions::max_nodes (micrograd CLI: "
              "--max-nodes) to draw it anyway, or draw a smaller expression");
        stack.push_back(child);
      }
    }
  }
  std::vector<Index> order(seen.begin(), seen.end());
  std::sort(order.begin(), order.end());

  // "n<id>", or "n<k>" for the k-th drawn node with DotOptions::renumber
  auto node_id = [&](Index i) {
    std::string id(1, 'n');  // (not "n" + to_string: g++ 12 gives a false -Wrestrict there)
    id += std::to_string(options.renumber
                             ? std::lower_bound(order.begin(), order.end(), i) - order.begin()
                             : static_cast<std::ptrdiff_t>(i));
    return id;
  };
  // ---- emit in ascending id order: byte-identical output on every run
  std::string out = "digraph micrograd {\n  graph [rankdir=" + options.rankdir;
  if (order.size() > options.fast_layout_above)  // bound the layout time (see DotOptions)
    out += ", nslimit=1, nslimit1=1, mclimit=0.01, splines=line";
  out += "];\n";
  for (const Index i : order) {
    const std::string id = node_id(i);
    out += "  " + id + " [shape=record, label=\"{ " + escape_record(tape.label(i)) + " | data " +
           format4(tape.data(i)) + " | grad " + format4(tape.grad(i)) + " }\"];\n";
    const Op op = tape.op(i);
    if (op == Op::Leaf) continue;
    out += "  " + id + "op [label=\"" + escape_string(tape.op_string(i)) + "\"];\n";
    out += "  " + id + "op -> " + id + ";\n";
    // One edge per distinct child, in operand order (micrograd's _prev is a set: a+a, one edge)
    std::unordered_set<Index> drawn;
    for (Index k = 0, n = tape.num_children(i); k < n; ++k)
      if (const Index child = tape.child(i, k); drawn.insert(child).second)
        out += "  " + node_id(child) + " -> " + id + "op;\n";
  }
  out += "}\n";
  return out;
}

void render(const std::string& dot_text, const std::string& path) {
  const std::string ext = lower_extension(path);
  if (ext == ".dot" || ext == ".gv") {
    write_file_atomically(path, dot_text);
    return;
  }
  if (ext != ".svg" && ext != ".png" && ext != ".pdf")
    throw std::invalid_argument("render: cannot tell the image format from '" + path +
                                "'; use a file name ending in .svg, .png, .pdf or .dot");
  const std::string format = ext.substr(1);

  std::string why;
#ifdef MICROGRAD_HAVE_GVC
  std::string image;
  const GvcResult result = render_with_gvc(dot_text, format, image, why);
  if (result == GvcResult::Ok) {
    write_file_atomically(path, image);  // a failed write: a clear error, not graphviz's exit(1)
    return;
  }
  if (result == GvcResult::BadInput) throw std::runtime_error("cannot draw '" + path + "': " + why);
    // NoRender: let the `dot` program try below
#endif
  struct NoDot {};  // the `dot` program is not installed (any other failure is a real error)
  try {
    produce_file_atomically(path, [&](const std::string& temp) {
      const ProgramResult r = run_program({"dot", "-T" + format, "-o", temp}, dot_text);
      if (!r.found) throw NoDot{};
      if (r.exit_status != 0)
        throw std::runtime_error("graphviz's dot failed to render '" + path + "' (exit status " +
                                 std::to_string(r.exit_status) + "): " + r.output);
      check_image_complete(temp, path);
    });
    return;
  } catch (const NoDot&) {
  } catch (const std::runtime_error& e) {  // a failed write (of dot's input or output): say so
    if (std::string(e.what()).find(path) != std::string::npos) throw;
    throw std::runtime_error("cannot write '" + path + "': " + e.what());
  }
  std::filesystem::path dot_path(path);
  dot_path.replace_extension(".dot");
  write_file_atomically(dot_path.string(), dot_text);
  std::string message =
      "graphviz not found: install the Debian package 'graphviz' (wrote " + dot_path.string() + ")";
  if (!why.empty()) message += "; " + why;
  throw GraphvizNotFound(message, dot_path.string());
}

void draw_dot(const Value& root, const std::string& path, const DotOptions& options) {
  render(to_dot(root, options), path);
}

bool graphviz_available() {
#ifdef MICROGRAD_HAVE_GVC
  return true;
#else
  return run_program({"dot", "-V"}).found;
#endif
}

}  // namespace micrograd
