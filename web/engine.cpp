// engine.cpp: the C++ library, compiled to WebAssembly for the interactive page (web/explorer.js).
// The page asks it for a walkthrough (explore.hpp) whenever the learner edits the expression or
// a value, so every number the page shows comes from this engine, as in the `micrograd` program.
// Built by web/CMakeLists.txt with Debian's emscripten (em++ ... --bind, one self-contained file).
#include <emscripten/bind.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "micrograd/explore.hpp"
#include "micrograd/expr.hpp"

namespace {

// walkthrough("e = a*b; L = e*f", '[["a", 2], ["b", -3], ["f", -2]]', "LR", 2000) -> explore.hpp's
// JSON (graphs up to max_nodes values), or {"error": "...", "column": N} (column 0 when it is not
// about a place in the text).
std::string walkthrough(const std::string& text, const std::string& values_json,
                        const std::string& rankdir, int max_nodes) {
  try {
    std::vector<std::pair<std::string, double>> values;
    for (const auto& pair : nlohmann::json::parse(values_json))
      values.emplace_back(pair.at(0).get<std::string>(), pair.at(1).get<double>());
    micrograd::DotOptions options;
    options.rankdir = rankdir;
    options.max_nodes = static_cast<std::size_t>(std::max(max_nodes, 1));
    return micrograd::statements_walkthrough_json(text, values, options);
  } catch (const micrograd::ExprError& e) {
    return nlohmann::json{{"error", e.what()}, {"column", e.column()}}.dump();
  } catch (const std::exception& e) {
    return nlohmann::json{{"error", e.what()}, {"column", 0}}.dump();
  }
}

// The variables `text` needs values for, as a JSON list (null when the text does not parse).
std::string variables(const std::string& text) {
  try {
    return nlohmann::json(micrograd::statements_variables(text)).dump();
  } catch (const std::exception&) {
    return "null";
  }
}

}  // namespace

EMSCRIPTEN_BINDINGS(micrograd_engine) {
  emscripten::function("walkthrough", &walkthrough);
  emscripten::function("variables", &variables);
}
