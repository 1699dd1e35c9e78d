// main.cpp: the `micrograd` command-line program: `micrograd grad` (evaluate and differentiate an
// expression, optionally draw its graph), `micrograd train` (micrograd's demo, configurable) and
// `micrograd predict` (a saved model on new inputs).
// Not here: the subcommands themselves (grad.cpp, train.cpp).
#include <iostream>
#include <string>

#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "micrograd: scalar reverse-mode autodiff and tiny neural nets (Karpathy's micrograd, in C++)",
      "micrograd"};
  app.require_subcommand(1, 1);
  app.set_version_flag("--version", std::string("micrograd 0.1.0"));
  app.footer(
      "Examples:\n"
      "  micrograd grad \"(a*b + c)*f\" a=2 b=-3 c=10 f=-2 --graph L.svg\n"
      "  micrograd train                      # micrograd's demo: two moons, MLP 2-16-16-1\n"
      "  micrograd train --dataset spiral --loss softmax --optimizer adam --steps 300\n"
      "  micrograd train --save model.json && micrograd predict --model model.json\n"
      "Run 'micrograd SUBCOMMAND --help' for the options of each subcommand.");
  int exit_code = 0;
  micrograd::cli::setup_grad(app, exit_code);
  micrograd::cli::setup_train(app, exit_code);
  micrograd::cli::setup_predict(app, exit_code);
  micrograd::cli::setup_lecture(app, exit_code);
  // `micrograd help [COMMAND]`, and a clear word for a command that does not exist (CLI11 would
  // only say "A subcommand is required").
  if (argc >= 2 && argv[1][0] != '-') {
    const std::string first = argv[1];
    if (first == "help") {
      if (argc >= 3) {
        try {
          std::cout << app.get_subcommand(argv[2])->help();
          return 0;
        } catch (const CLI::OptionNotFound&) {
        }
      }
      std::cout << app.help();
      return argc >= 3 ? micrograd::cli::kExitUsage : 0;
    }
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands({})) known = known || sub->get_name() == first;
    if (!known) {
      std::cerr << "micrograd: unknown command '" << first
                << "'; the commands are 'grad', 'train' and 'predict' (micrograd --help)\n";
      return micrograd::cli::kExitUsage;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);  // prints help, version or the error and "Run with --help"
    return rc == 0 ? 0 : micrograd::cli::kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "micrograd: error: " << e.what() << "\n";
    return micrograd::cli::kExitFailure;
  }
  return exit_code;
}
