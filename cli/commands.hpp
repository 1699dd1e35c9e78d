// commands.hpp: the subcommands of the `micrograd` program, each a function that registers its
// options on a CLI11 app and a function that runs it.
// Not here: argument parsing rules (main.cpp) or any library logic (include/micrograd/).
#pragma once

#include <CLI/CLI.hpp>

namespace micrograd::cli {

// Exit codes: 0 ok, 1 the command failed (bad input file, bad expression, graph not written ...),
// 2 bad command line (unknown option, bad value).
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Each setup_* adds a subcommand to `app`; its callback stores the exit code in `exit_code`.
void setup_grad(CLI::App& app, int& exit_code);
void setup_train(CLI::App& app, int& exit_code);
void setup_predict(CLI::App& app, int& exit_code);
void setup_lecture(CLI::App& app, int& exit_code);

}  // namespace micrograd::cli
