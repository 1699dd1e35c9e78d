// gradcheck.cpp: finite differences against backward, with a report of the worst input.
#include "micrograd/gradcheck.hpp"

#include <cmath>
#include <sstream>

namespace micrograd {

namespace {

double evaluate(const ScalarFunction& f, const std::vector<double>& point) {
  TapeScope scope;
  std::vector<Value> inputs(point.begin(), point.end());
  return f(inputs).data();
}

bool agree(double analytic, double numeric, const GradcheckOptions& o) {
  if (std::isnan(analytic) || std::isnan(numeric))
    return std::isnan(analytic) && std::isnan(numeric);
  if (std::isinf(analytic) || std::isinf(numeric)) return analytic == numeric;
  return std::fabs(analytic - numeric) <= o.atol + o.rtol * std::fabs(numeric);
}

}  // namespace

GradcheckResult gradcheck(const ScalarFunction& f, const std::vector<double>& point,
                          const GradcheckOptions& options) {
  GradcheckResult r;
  {
    TapeScope scope;
    std::vector<Value> inputs;
    for (std::size_t k = 0; k < point.size(); ++k) {
      std::string label = "x";  // (not "x" + ...: g++ 12 warns falsely, bug 105329)
      label += std::to_string(k);
      inputs.emplace_back(point[k], std::move(label));
    }
    f(inputs).backward();
    for (const Value& x : inputs) r.analytic_all.push_back(x.grad());
  }
  const double h = options.h;
  double worst_excess = -HUGE_VAL;
  for (std::size_t k = 0; k < point.size(); ++k) {
    std::vector<double> plus = point, minus = point;
    double numeric = 0.0;
    switch (options.difference) {
      case Difference::Central:
        plus[k] += h, minus[k] -= h;
        numeric = (evaluate(f, plus) - evaluate(f, minus)) / (2 * h);
        break;
      case Difference::Forward:
        plus[k] += h;
        numeric = (evaluate(f, plus) - evaluate(f, point)) / h;
        break;
      case Difference::Backward:
        minus[k] -= h;
        numeric = (evaluate(f, point) - evaluate(f, minus)) / h;
        break;
    }
    r.numeric_all.push_back(numeric);
    const double analytic = r.analytic_all[k];
    const bool ok = agree(analytic, numeric, options);
    const double error = std::fabs(analytic - numeric);
    const double allowed = options.atol + options.rtol * std::fabs(numeric);
    const double excess = std::isfinite(error) ? error - allowed : (ok ? -HUGE_VAL : HUGE_VAL);
    if (k == 0 || excess > worst_excess) {
      worst_excess = excess;
      r.worst_input = k;
      r.analytic = analytic;
      r.numeric = numeric;
      r.abs_error = error;
    }
    r.ok = r.ok && ok;
  }
  std::ostringstream s;
  s << (r.ok ? "gradcheck passed" : "gradcheck FAILED") << " at " << point.size()
    << " input(s); worst input x" << r.worst_input << " = "
    << (point.empty() ? 0.0 : point[r.worst_input]) << ": backward gives " << r.analytic
    << ", finite difference (h = " << h << ") gives " << r.numeric << ", |difference| "
    << r.abs_error << " (allowed " << options.atol << " + " << options.rtol << " * |numeric|)";
  r.report = s.str();
  return r;
}

}  // namespace micrograd
