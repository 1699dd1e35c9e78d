// loss.hpp: the losses of the lecture and of micrograd's demo, built from scalar nodes.
//
// Each loss is composed op by op in the order micrograd's Python builds it (sums start at 0 like
// Python's sum(), a number mixed in becomes a leaf), so the numbers match micrograd's bit for bit
// and backward works through them like through any other expression.
// Not here: fused loss nodes (every loss is plain Value arithmetic), optimizers (optim.hpp).
#pragma once

#include <cstddef>
#include <vector>

#include "micrograd/value.hpp"

namespace micrograd {

// ---- regression
// The lecture's loss: sum((yout - ygt)**2 for ...), built as ((0 + t0) + t1) + ... with
// t_i = pow(pred_i - target_i, 2). This is a SUM, not a mean.
Value sum_squared_error(const std::vector<Value>& pred, const std::vector<double>& target);
// PyTorch's MSELoss (reduction='mean'): sum_squared_error(pred, target) * (1.0 / n).
Value mse(const std::vector<Value>& pred, const std::vector<double>& target);

// ---- binary classification, labels y = -1 / +1 (micrograd's demo)
// micrograd's demo: losses = [(1 + -yi*scorei).relu() ...]; sum(losses) * (1.0 / len(losses)).
Value svm_max_margin(const std::vector<Value>& scores, const std::vector<double>& y);
// Mean of log(1 + exp(-z*s)) in the stable form max(s,0) - s*t + log(1 + exp(-|s|)), where the
// target t = 1 for a label y > 0 and t = 0 otherwise (so labels may be 0/1 or -1/+1).
Value binary_cross_entropy_with_logits(const std::vector<Value>& scores,
                                       const std::vector<double>& y);
// micrograd: (yi > 0) == (scorei.data > 0), averaged.
double accuracy(const std::vector<Value>& scores, const std::vector<double>& y);

// ---- multi-class classification, classes 0 .. k-1
// Mean over rows of log(sum_j exp(z_j - m)) - (z_c - m), where m = the row's largest logit,
// subtracted as a constant (it cancels in value and gradient; it keeps exp from overflowing).
Value softmax_cross_entropy(const std::vector<std::vector<Value>>& logits,
                            const std::vector<std::size_t>& classes);
// Fraction of rows whose largest logit (the first, on ties) is the true class.
double accuracy(const std::vector<std::vector<Value>>& logits,
                const std::vector<std::size_t>& classes);

// ---- regularization
// micrograd's demo: alpha * sum((p*p for p in params)), i.e. (((0 + p0*p0) + p1*p1) + ...) * alpha.
// An empty params list gives a leaf 0.
Value l2_regularization(const std::vector<Value>& params, double alpha);
// The same term without its graph (2 nodes a parameter), over parameters stored as columns
// (leaf_run): its value, l2_regularization(...).data() bit for bit; and its gradient added to
// grad[begin, end) exactly as the graph's backward adds it when the term enters the loss as is
// (its grad is 1, as in micrograd's demo: p.grad += p*alpha, once for each operand of the
// square). Two uses, both with the graph's numbers bit for bit (tested):
//   loss = data_loss + l2_regularization_value(run.data, n, alpha);    // a step of one thread
//   opt.zero_grad(); add_l2_regularization_gradient(run.data, run.grad, 0, n, alpha);
//   loss.backward();  // (the graph, made after the data loss, would be swept first: same order)
// and in a step split across threads, after the sum (ParallelGradient's after_sum).
double l2_regularization_value(const double* data, std::size_t n, double alpha);
void add_l2_regularization_gradient(const double* data, double* grad, std::size_t begin,
                                    std::size_t end, double alpha);

}  // namespace micrograd
