// gradcheck.hpp: checks backward's gradients against finite differences of the forward pass.
//
// The lecture verifies every derivative by nudging an input by h and watching the output move;
// gradcheck does that for every input of a user function and reports the worst disagreement.
// Not here: second derivatives (the engine is first-order only).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "micrograd/value.hpp"

namespace micrograd {

enum class Difference {
  Central,   // (f(x+h) - f(x-h)) / 2h: error O(h^2); averages the two sides at a kink
  Forward,   // (f(x+h) - f(x)) / h
  Backward,  // (f(x) - f(x-h)) / h: the side micrograd's relu'(0) = 0 agrees with
};

struct GradcheckOptions {
  double h = 1e-6;     // step of the finite difference
  double atol = 1e-5;  // |analytic - numeric| <= atol + rtol * |numeric| passes
  double rtol = 1e-4;
  Difference difference = Difference::Central;
};

struct GradcheckResult {
  bool ok = true;                    // every input within tolerance
  std::size_t worst_input = 0;       // index of the input with the largest excess error
  double analytic = 0.0;             // backward's gradient for that input
  double numeric = 0.0;              // the finite-difference estimate for it
  double abs_error = 0.0;            // |analytic - numeric| for it
  std::vector<double> analytic_all;  // backward's gradient for every input
  std::vector<double> numeric_all;   // finite-difference estimate for every input
  std::string report;                // one readable paragraph: what failed, where, by how much
};

using ScalarFunction = std::function<Value(const std::vector<Value>& inputs)>;

// Evaluates f at `point` (inputs become leaves labelled x0, x1, ...), runs backward, and compares
// each input's grad with the finite difference of f along that input. Every node it creates is
// reclaimed before it returns. A non-finite gradient passes only if the estimate is the same
// non-finite value (or both are nan).
GradcheckResult gradcheck(const ScalarFunction& f, const std::vector<double>& point,
                          const GradcheckOptions& options = {});

}  // namespace micrograd
