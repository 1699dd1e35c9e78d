// optim.cpp: SGD, Adam and AdamW updates, term by term like micrograd and PyTorch.
#include "micrograd/optim.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace micrograd {

namespace {

// Performance: parameters that are consecutive leaves (an MLP's) are updated as columns, in one
// contiguous loop; the same arithmetic per parameter as the loop over handles.
void zero_grads(const std::vector<Value>& params, LeafRunCache& runs) {
  if (const ColumnRun run = runs.get(params); run.grad != nullptr) {
    std::fill(run.grad, run.grad + params.size(), 0.0);
    return;
  }
  for (const Value& p : params) p.grad() = 0.0;
}

}  // namespace

// ---- SGD

SGD::SGD(std::vector<Value> params, double lr, double momentum)
    : params_(std::move(params)), lr_(lr), momentum_(momentum) {
  if (momentum < 0.0)
    throw std::invalid_argument("SGD: momentum must be >= 0, got " + std::to_string(momentum));
}

void SGD::step(double lr) {
  if (begin_step(lr)) {  // an MLP's parameters: one contiguous loop over the columns
    update_range(0, params_.size());
    return;
  }
  if (momentum_ == 0.0) {
    for (const Value& p : params_) p.data() -= lr * p.grad();  // micrograd's update
    return;
  }
  const bool first = buf_.empty();
  if (first) buf_.resize(params_.size());
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const double g = params_[i].grad();
    buf_[i] = first ? g : momentum_ * buf_[i] + g;
    params_[i].data() -= lr * buf_[i];
  }
}

bool SGD::begin_step(double lr) {
  now_.run = runs_.get(params_);
  if (now_.run.data == nullptr) return false;
  now_.lr = lr;
  now_.first = buf_.empty();
  if (momentum_ != 0.0 && now_.first) buf_.resize(params_.size());
  return true;
}

void SGD::update_range(std::size_t begin, std::size_t end) {
  if (now_.run.data == nullptr)
    throw std::logic_error("SGD::update_range: begin_step() did not start a step over columns");
  end = std::min(end, params_.size());
  double* const data = now_.run.data;
  const double* const grad = now_.run.grad;
  const double lr = now_.lr;
  if (momentum_ == 0.0) {
    for (std::size_t i = begin; i < end; ++i) data[i] -= lr * grad[i];  // micrograd's update
    return;
  }
  for (std::size_t i = begin; i < end; ++i) {
    buf_[i] = now_.first ? grad[i] : momentum_ * buf_[i] + grad[i];
    data[i] -= lr * buf_[i];
  }
}

void SGD::zero_grad() { zero_grads(params_, runs_); }

// ---- Adam

Adam::Adam(std::vector<Value> params, double lr, double beta1, double beta2, double eps,
           double weight_decay)
    : Adam(std::move(params), AdamOptions{lr, beta1, beta2, eps, weight_decay}) {}

Adam::Adam(std::vector<Value> params, const AdamOptions& options)
    : params_(std::move(params)),
      options_(options),
      m_(params_.size(), 0.0),
      v_(params_.size(), 0.0) {
  if (!(options.beta1 >= 0.0 && options.beta1 < 1.0) ||
      !(options.beta2 >= 0.0 && options.beta2 < 1.0))
    throw std::invalid_argument(
        "Adam: betas must be in [0, 1), got beta1 = " + std::to_string(options.beta1) +
        ", beta2 = " + std::to_string(options.beta2));
  if (!(options.eps >= 0.0))
    throw std::invalid_argument("Adam: eps must be >= 0, got " + std::to_string(options.eps));
}

void Adam::zero_grad() { zero_grads(params_, runs_); }

// The step's numbers, once per step (torch.optim.Adam's bias corrections).
void Adam::prepare(double lr) {
  const AdamOptions& o = options_;
  ++t_;
  const double step = static_cast<double>(t_);
  const double bias_correction1 = 1.0 - std::pow(o.beta1, step);
  const double bias_correction2 = 1.0 - std::pow(o.beta2, step);
  now_.lr = lr;
  now_.step_size = lr / bias_correction1;
  now_.bias_correction2_sqrt = std::sqrt(bias_correction2);
}

// One element's update, on its data and grad wherever they are stored.
inline void Adam::update(std::size_t i, double& p, double g) {
  const AdamOptions& o = options_;
  if (decoupled_decay_)
    p *= 1.0 - now_.lr * o.weight_decay;  // AdamW: param.mul_(1 - lr * weight_decay)
  else if (o.weight_decay != 0.0)
    g = g + o.weight_decay * p;  // Adam: grad = grad.add(param, alpha=weight_decay)
  m_[i] = m_[i] * o.beta1 + (1.0 - o.beta1) * g;      // exp_avg.mul_(beta1).add_(grad, 1-beta1)
  v_[i] = v_[i] * o.beta2 + (1.0 - o.beta2) * g * g;  // exp_avg_sq.mul_(beta2).addcmul_(...)
  const double denom = std::sqrt(v_[i]) / now_.bias_correction2_sqrt + o.eps;
  p = p + -now_.step_size * m_[i] / denom;  // param.addcdiv_(exp_avg, denom, value=-step_size)
}

void Adam::step(double lr) {
  if (begin_step(lr)) {  // an MLP's parameters: one contiguous loop over the columns
    update_range(0, params_.size());
    return;
  }
  prepare(lr);
  for (std::size_t i = 0; i < params_.size(); ++i) update(i, params_[i].data(), params_[i].grad());
}

bool Adam::begin_step(double lr) {
  now_.run = runs_.get(params_);
  if (now_.run.data == nullptr) return false;
  prepare(lr);
  return true;
}

void Adam::update_range(std::size_t begin, std::size_t end) {
  if (now_.run.data == nullptr)
    throw std::logic_error("Adam::update_range: begin_step() did not start a step over columns");
  end = std::min(end, params_.size());
  for (std::size_t i = begin; i < end; ++i) update(i, now_.run.data[i], now_.run.grad[i]);
}

// ---- AdamW

AdamW::AdamW(std::vector<Value> params, double lr, double beta1, double beta2, double eps,
             double weight_decay)
    : AdamW(std::move(params), AdamOptions{lr, beta1, beta2, eps, weight_decay}) {}

AdamW::AdamW(std::vector<Value> params, const AdamOptions& options)
    : Adam(std::move(params), options) {
  decoupled_decay_ = true;
}

}  // namespace micrograd
