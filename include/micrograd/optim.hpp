// optim.hpp: parameter updates (SGD, Adam, AdamW) and learning-rate schedules.
//
// SGD without momentum is micrograd's loop `p.data -= learning_rate * p.grad`, with the same
// rounding. Adam and AdamW follow PyTorch's update formulas (bias correction included) term by
// term. An optimizer holds handles to the parameters and one double (or two) of state per
// parameter; it never creates nodes.
// Not here: gradients (call loss.backward() first), gradient clipping, parameter groups.
#pragma once

#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "micrograd/value.hpp"

namespace micrograd {

// ---- learning-rate schedules: lr at step k (0-based) of `total` steps
using Schedule = std::function<double(std::size_t step, std::size_t total)>;

struct ConstantLR {
  double lr = 0.1;
  double operator()(std::size_t /*step*/, std::size_t /*total*/) const { return lr; }
};

// micrograd's demo: learning_rate = 1.0 - 0.9*k/100, i.e. start - span*k/total.
struct LinearDecayLR {
  double start = 1.0;
  double span = 0.9;
  double operator()(std::size_t step, std::size_t total) const {
    return start - span * static_cast<double>(step) / static_cast<double>(total);
  }
};

namespace detail {
inline void rebind(std::vector<Value>& params, std::vector<Value> fresh) {
  if (fresh.size() != params.size())
    throw std::invalid_argument("optimizer: rebind_params got " + std::to_string(fresh.size()) +
                                " parameters, the optimizer has " + std::to_string(params.size()));
  params = std::move(fresh);
}
}  // namespace detail

// ---- SGD
class SGD {
 public:
  // momentum as in PyTorch: buf = momentum*buf + grad (buf = grad at the first step); p -= lr*buf.
  SGD(std::vector<Value> params, double lr, double momentum = 0.0);

  void step() { step(lr_); }
  void step(double lr);  // one update with this learning rate (for schedules)
  void zero_grad();      // micrograd: for p in params: p.grad = 0

  // step(lr) in parts, for threads that each own blocks of the parameters, as Adam's below:
  // begin_step(lr) once, then update_range over disjoint ranges covering [0, size). The same
  // numbers as step(lr). false (nothing changed) unless the parameters are consecutive leaves.
  bool begin_step(double lr);
  void update_range(std::size_t begin, std::size_t end);

  double lr() const { return lr_; }
  void set_lr(double lr) { lr_ = lr; }
  const std::vector<Value>& params() const { return params_; }
  // New handles to the same parameters, in the same order (the Python package passes the handles
  // a collect() rewrote). Throws std::invalid_argument if the count differs.
  void rebind_params(std::vector<Value> params) {
    detail::rebind(params_, std::move(params));
    runs_.reset();
  }

 private:
  std::vector<Value> params_;
  double lr_;
  double momentum_;
  std::vector<double> buf_;  // momentum buffer per parameter (empty until the first step)
  LeafRunCache runs_;        // where params_'s columns are, if they are a run of leaves
  // The step being taken (begin_step): its learning rate, whether it is the first (the momentum
  // buffer starts as the gradient) and the parameters' columns (null: none).
  struct StepState {
    double lr = 0.0;
    bool first = false;
    ColumnRun run{nullptr, nullptr};
  } now_;
};

// ---- Adam and AdamW (PyTorch's torch.optim.Adam / AdamW, amsgrad=False)
struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  // Adam: added to the gradient (L2); AdamW: decoupled, see below
};

class Adam {
 public:
  Adam(std::vector<Value> params, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
       double eps = 1e-8, double weight_decay = 0.0);
  Adam(std::vector<Value> params, const AdamOptions& options);

  void step() { step(options_.lr); }
  void step(double lr);  // one update with this learning rate (for schedules)
  void zero_grad();

  // step(lr) in parts, for threads that each own a slice of the parameters (ParallelGradient's
  // after-sum hook): begin_step(lr) once (it counts the step), then update_range(begin, end) over
  // disjoint ranges that cover [0, size) (each from one thread; different ranges may run at the
  // same time: they touch disjoint memory). The same arithmetic per parameter as step(lr), so the
  // same numbers. Only for parameters that are consecutive leaves (leaf_run, as an MLP's):
  // begin_step returns false otherwise and changes nothing (use step()). update_range belongs to
  // the last begin_step: call it before the next step and while the parameters live.
  bool begin_step(double lr);
  void update_range(std::size_t begin, std::size_t end);

  const AdamOptions& options() const { return options_; }
  std::size_t steps_taken() const { return t_; }
  const std::vector<Value>& params() const { return params_; }
  void rebind_params(std::vector<Value> params) {
    detail::rebind(params_, std::move(params));
    runs_.reset();
  }

 protected:
  bool decoupled_decay_ = false;  // AdamW: decay the parameters, not the gradient

 private:
  std::vector<Value> params_;
  AdamOptions options_;
  std::vector<double> m_;  // exp_avg: running mean of the gradient
  std::vector<double> v_;  // exp_avg_sq: running mean of the squared gradient
  std::size_t t_ = 0;      // steps taken
  LeafRunCache runs_;      // where params_'s columns are, if they are a run of leaves
  // The step being taken: its learning rate and bias corrections (prepare()), and where the
  // parameters' columns are (begin_step; null: not consecutive leaves).
  struct StepState {
    double lr = 0.0, step_size = 0.0, bias_correction2_sqrt = 1.0;
    ColumnRun run{nullptr, nullptr};
  } now_;
  void prepare(double lr);
  void update(std::size_t i, double& p, double g);
};

// Adam with decoupled weight decay: p *= 1 - lr*weight_decay before the Adam step (PyTorch's
// default weight_decay is 0.01; the AdamOptions form takes options.weight_decay as given).
class AdamW : public Adam {
 public:
  AdamW(std::vector<Value> params, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weight_decay = 0.01);
  AdamW(std::vector<Value> params, const AdamOptions& options);
};

}  // namespace micrograd
