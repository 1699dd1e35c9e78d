// page.cpp: finds the built page template and writes a page with the program's data in it.
#include "page.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "micrograd/plot.hpp"

namespace micrograd::cli {
namespace {

namespace fs = std::filesystem;
constexpr const char* kPlaceholder =
    "<script id=\"micrograd-data\" type=\"application/json\">null</script>";

std::vector<fs::path> page_candidates() {
  std::vector<fs::path> out;
  if (const char* dir = std::getenv("MICROGRAD_WEB_DIR"); dir != nullptr && *dir != '\0')
    out.push_back(fs::path(dir) / "explorer.html");
  if (std::string(MICROGRAD_WEB_PAGE_BUILT).size() > 0) out.emplace_back(MICROGRAD_WEB_PAGE_BUILT);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) out.push_back(exe.parent_path().parent_path() / "share/micrograd/web/explorer.html");
  return out;
}

}  // namespace

std::string find_page_template() {
  std::string looked;
  for (const fs::path& p : page_candidates()) {
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return p.string();
    looked += "\n  " + p.string();
  }
  throw MissingTool(
      "the interactive page (explorer.html) was not built: it needs Debian's emscripten and the "
      "page's tools (`make deps` installs both, then build again; docs/explorer.md). Looked in:" +
      looked);
}

std::string svg_data_url(const std::function<void(const std::string& path)>& draw) {
  if (!gnuplot_available()) return "";
  static std::atomic<unsigned> count{0};
  const fs::path file =
      fs::temp_directory_path() /
      ("micrograd-page-" + std::to_string(::getpid()) + "-" + std::to_string(count++) + ".svg");
  draw(file.string());
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  fs::remove(file);
  return "data:image/svg+xml;base64," + base64(text.str());
}

void write_page(const std::string& path, const std::string& data_json) {
  const std::string source = find_page_template();
  std::ifstream in(source, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  std::string page = text.str();
  const auto at = page.find(kPlaceholder);
  if (!in || at == std::string::npos)
    throw std::runtime_error("the page template " + source +
                             " has no data placeholder: rebuild it (cmake --build build)");
  // '<' appears only inside JSON strings: as \u003c it can never close or open a tag.
  std::string safe;
  for (const char c : data_json) safe += c == '<' ? std::string("\\u003c") : std::string(1, c);
  page.replace(at, std::string_view(kPlaceholder).size(),
               "<script id=\"micrograd-data\" type=\"application/json\">" + safe + "</script>");
  write_file_atomically(path, page);
}

std::string base64(const std::string& bytes) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16 |
                       static_cast<unsigned char>(bytes[i + 1]) << 8 |
                       static_cast<unsigned char>(bytes[i + 2]);
    for (const int shift : {18, 12, 6, 0}) out += table[v >> shift & 63];
  }
  if (i < bytes.size()) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += table[v >> 18 & 63];
    out += table[v >> 12 & 63];
    out += i + 1 < bytes.size() ? table[v >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace micrograd::cli
