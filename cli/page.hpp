// page.hpp: writing the interactive page (web/explorer.html, built with the program): the
// program's data goes into the page, which then needs nothing else (offline, file://).
// Not here: the page itself (web/) or the numbers (explore.hpp).
#pragma once

#include <functional>
#include <string>

#include "micrograd/io.hpp"

namespace micrograd::cli {

// The built page template: $MICROGRAD_WEB_DIR/explorer.html, else the one this build made, else
// the installed one (<prefix>/share/micrograd/web). Throws MissingTool saying how to build it.
std::string find_page_template();

// Standard base64 (RFC 4648), for pictures put into the page as data: URLs.
std::string base64(const std::string& bytes);

// A picture for the page: `draw` writes an SVG to the temporary path it is given (gnuplot, via
// plot.hpp); returns it as a data: URL, or "" when gnuplot is not installed.
std::string svg_data_url(const std::function<void(const std::string& path)>& draw);

// Writes the template with `data_json` (a JSON object) as its data, atomically.
void write_page(const std::string& path, const std::string& data_json);

}  // namespace micrograd::cli
