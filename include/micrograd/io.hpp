// io.hpp: writing output files atomically, so a reader (or a crash) never sees half a file.
//
// The contents go to a temporary file in the same directory, are flushed to disk (fsync), and the
// temporary is renamed over the target: the target is either the old file or the whole new one.
// Also here: running a helper program (gnuplot, graphviz's dot) without a shell.
// Not here: reading files, formats (draw.hpp, plot.hpp write DOT/SVG/PNG through these helpers).
#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace micrograd {

// Writes `contents` to `path` atomically. On failure the temporary is removed and
// std::runtime_error names the path and the system's reason (errno text).
void write_file_atomically(const std::string& path, std::string_view contents);

// Removes the temporaries our writers leave when a process is killed mid-write (kill -9, a
// power cut): files in `dir` named ".NAME.tmp-XXXXXX[.ext]" (our pattern only) whose last change
// is at least `min_age_seconds` old (younger ones may belong to a writer still running).
// Returns how many it removed; errors reading the directory are ignored (nothing removed).
std::size_t remove_stale_temporaries(const std::string& dir, double min_age_seconds = 60.0);

// Lets `produce` create the file at a temporary path (same directory, same extension, e.g. for
// gnuplot or graphviz to write into), then fsyncs it and renames it to `path`. If `produce`
// throws, or leaves no file behind, the temporary is removed and the error propagates.
void produce_file_atomically(const std::string& path,
                             const std::function<void(const std::string& temp_path)>& produce);

// A helper program (gnuplot, graphviz) is not installed: the picture is skipped, nothing failed.
// Every other exception from the writers here is a real failure (a full disk, no permission).
class MissingTool : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Checks that the image a helper program wrote to `file` is complete, by its format (the
// extension of `shown`, the name the user asked for): a PNG ends with its IEND chunk, an SVG with
// </svg>, a PDF with %%EOF. gnuplot exits 0 even when its writes failed (a full disk), so its
// output is checked before it is published. Throws std::runtime_error naming `shown`.
void check_image_complete(const std::string& file, const std::string& shown);

// Runs argv[0] (looked up on PATH, no shell) with `stdin_text` as its standard input and its
// standard output and error captured together (first 64 KiB). found == false: no such program.
struct ProgramResult {
  bool found = false;
  int exit_status = -1;  // the exit code; 128 + signal number if it was killed
  std::string output;    // stdout + stderr
};
ProgramResult run_program(const std::vector<std::string>& argv, std::string_view stdin_text = {});

}  // namespace micrograd
