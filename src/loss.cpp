// loss.cpp: losses composed op by op in micrograd's order; see loss.hpp.
#include "micrograd/loss.hpp"

#include <stdexcept>
#include <string>

namespace micrograd {

namespace {

void check_batch(const char* loss, std::size_t n_pred, std::size_t n_target, const char* pred,
                 const char* target) {
  if (n_pred != n_target)
    throw std::invalid_argument(std::string(loss) + ": " + std::to_string(n_pred) + " " + pred +
                                " but " + std::to_string(n_target) + " " + target +
                                " (they must have the same length)");
  if (n_pred == 0) throw std::invalid_argument(std::string(loss) + ": empty batch");
}

// Python's sum(terms) * (1.0 / len(terms)): sum starts at 0, so the first add is t0 + Value(0).
Value mean(const std::vector<Value>& terms) {
  Value total = terms.front() + 0.0;
  for (std::size_t i = 1; i < terms.size(); ++i) total = total + terms[i];
  return total * (1.0 / static_cast<double>(terms.size()));
}

}  // namespace

// ---- regression

Value sum_squared_error(const std::vector<Value>& pred, const std::vector<double>& target) {
  check_batch("sum_squared_error", pred.size(), target.size(), "predictions", "targets");
  Value total;  // sum((yout - ygt)**2 for ...): each term is made, then added
  for (std::size_t i = 0; i < pred.size(); ++i) {
    Value t = pow(pred[i] - target[i], 2.0);
    total = i == 0 ? t + 0.0 : total + t;
  }
  return total;
}

Value mse(const std::vector<Value>& pred, const std::vector<double>& target) {
  check_batch("mse", pred.size(), target.size(), "predictions", "targets");
  return sum_squared_error(pred, target) * (1.0 / static_cast<double>(pred.size()));
}

// ---- binary classification

Value svm_max_margin(const std::vector<Value>& scores, const std::vector<double>& y) {
  check_batch("svm_max_margin", scores.size(), y.size(), "scores", "labels");
  std::vector<Value> losses;  // [(1 + -yi*scorei).relu() for yi, scorei in zip(yb, scores)]
  losses.reserve(scores.size());
  for (std::size_t i = 0; i < scores.size(); ++i)
    losses.push_back((1.0 + -y[i] * scores[i]).relu());
  return mean(losses);
}

Value binary_cross_entropy_with_logits(const std::vector<Value>& scores,
                                       const std::vector<double>& y) {
  check_batch("binary_cross_entropy_with_logits", scores.size(), y.size(), "scores", "labels");
  std::vector<Value> losses;
  losses.reserve(scores.size());
  for (std::size_t i = 0; i < scores.size(); ++i) {
    const Value& s = scores[i];
    const double t = y[i] > 0.0 ? 1.0 : 0.0;
    // max(s,0) - s*t + log(1 + exp(-|s|)), written for each sign of s (no overflow either way)
    if (s.data() >= 0.0)
      losses.push_back(s * (1.0 - t) + log(1.0 + exp(-s)));
    else
      losses.push_back(s * -t + log(1.0 + exp(s)));
  }
  return mean(losses);
}

double accuracy(const std::vector<Value>& scores, const std::vector<double>& y) {
  check_batch("accuracy", scores.size(), y.size(), "scores", "labels");
  std::size_t correct = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) correct += (y[i] > 0) == (scores[i].data() > 0);
  return static_cast<double>(correct) / static_cast<double>(scores.size());
}

// ---- multi-class classification

namespace {

// Index of the largest logit (the first one on ties); checks the row and its class.
std::size_t checked_argmax(const char* loss, const std::vector<Value>& row, std::size_t i,
                           std::size_t cls) {
  if (row.empty())
    throw std::invalid_argument(std::string(loss) + ": row " + std::to_string(i) +
                                " has no logits");
  if (cls >= row.size())
    throw std::invalid_argument(std::string(loss) + ": row " + std::to_string(i) + " has class " +
                                std::to_string(cls) + " but only " + std::to_string(row.size()) +
                                " logits (classes are 0 .. " + std::to_string(row.size() - 1) +
                                ")");
  std::size_t best = 0;
  for (std::size_t j = 1; j < row.size(); ++j)
    if (row[j].data() > row[best].data()) best = j;
  return best;
}

}  // namespace

Value softmax_cross_entropy(const std::vector<std::vector<Value>>& logits,
                            const std::vector<std::size_t>& classes) {
  check_batch("softmax_cross_entropy", logits.size(), classes.size(), "rows of logits", "classes");
  std::vector<Value> losses;
  losses.reserve(logits.size());
  for (std::size_t i = 0; i < logits.size(); ++i) {
    const std::vector<Value>& z = logits[i];
    const double m = z[checked_argmax("softmax_cross_entropy", z, i, classes[i])].data();
    Value total = exp(z.front() - m);  // sum_j exp(z_j - m)
    for (std::size_t j = 1; j < z.size(); ++j) total = total + exp(z[j] - m);
    losses.push_back(log(total) - (z[classes[i]] - m));
  }
  return mean(losses);
}

double accuracy(const std::vector<std::vector<Value>>& logits,
                const std::vector<std::size_t>& classes) {
  check_batch("accuracy", logits.size(), classes.size(), "rows of logits", "classes");
  std::size_t correct = 0;
  for (std::size_t i = 0; i < logits.size(); ++i)
    correct += checked_argmax("accuracy", logits[i], i, classes[i]) == classes[i];
  return static_cast<double>(correct) / static_cast<double>(logits.size());
}

// ---- regularization

Value l2_regularization(const std::vector<Value>& params, double alpha) {
  if (params.empty()) return Value(0.0);
  Value total;  // sum((p*p for p in params)): each square is made, then added
  for (std::size_t i = 0; i < params.size(); ++i) {
    Value sq = params[i] * params[i];
    total = i == 0 ? sq + 0.0 : total + sq;
  }
  return alpha * total;
}

double l2_regularization_value(const double* data, std::size_t n, double alpha) {
  if (n == 0) return 0.0;
  double total = data[0] * data[0] + 0.0;
  for (std::size_t i = 1; i < n; ++i) total = total + data[i] * data[i];
  return total * alpha;
}

void add_l2_regularization_gradient(const double* data, double* grad, std::size_t begin,
                                    std::size_t end, double alpha) {
  for (std::size_t i = begin; i < end; ++i) {
    // The square p*p passes its grad (alpha: the sum's grad, times 1 through each +) to both
    // operands: grad += alpha * p, twice, in that order.
    grad[i] += alpha * data[i];
    grad[i] += alpha * data[i];
  }
}

}  // namespace micrograd
