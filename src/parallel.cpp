// parallel.cpp: ParallelGradient (parallel.hpp): worker threads with replicas, fixed chunks, a
// fixed summation order.
#include "micrograd/parallel.hpp"

#include <algorithm>
#include <stdexcept>

namespace micrograd {

ParallelGradient::ParallelGradient(const nn::MLP& model, std::size_t threads)
    : model_(model), params_(model.parameters()) {
  if (threads == 0) throw std::invalid_argument("ParallelGradient needs at least 1 thread");
  sum_barrier_ = std::make_unique<std::barrier<>>(static_cast<std::ptrdiff_t>(threads));
  workers_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this, i] { work(i); });
  std::unique_lock lock(mutex_);  // every replica built (or failed) before the first job
  done_.wait(lock, [&] { return ready_ == workers_.size(); });
  if (error_) {
    stop_ = true;
    lock.unlock();
    wake_.notify_all();
    for (std::thread& t : workers_) t.join();
    std::rethrow_exception(error_);
  }
}

ParallelGradient::~ParallelGradient() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : workers_)
    if (t.joinable()) t.join();
}

void ParallelGradient::work(std::size_t id) {
  std::unique_ptr<nn::MLP> replica;
  std::vector<Value> p;
  try {  // the replica lives on this thread's tape, below every chunk's graph
    std::vector<std::size_t> nouts;
    for (const nn::Layer& l : model_.layers()) nouts.push_back(l.nout());
    replica = std::make_unique<nn::MLP>(model_.nin(), nouts, model_.options());
    p = replica->parameters();
  } catch (...) {
    std::lock_guard lock(mutex_);
    if (!error_) error_ = std::current_exception();
  }
  std::size_t seen = 0;
  {
    std::lock_guard lock(mutex_);
    ++ready_;
  }
  done_.notify_all();
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
    }
    try {
      // An MLP's parameters are consecutive leaves: their columns, copied and cleared in bulk.
      const ColumnRun run = leaf_run(p);
      if (run.data)
        std::copy(weights_.begin(), weights_.end(), run.data);
      else
        for (std::size_t k = 0; k < p.size(); ++k) p[k].data() = weights_[k];
      const std::vector<std::size_t>& rows = *rows_;
      const std::size_t chunks = chunk_grads_.size();
      for (std::size_t c = id; c < chunks; c += workers_.size()) {
        const std::size_t first = c * chunk_, last = std::min(rows.size(), first + chunk_);
        if (run.grad)
          std::fill(run.grad, run.grad + p.size(), 0.0);
        else
          for (const Value& v : p) v.grad() = 0.0;
        TapeScope scope;  // this chunk's graph goes at the closing brace
        const ChunkOutcome out = (*loss_)(*replica, std::span(rows).subspan(first, last - first));
        out.loss.backward();
        std::vector<double>& g = chunk_grads_[c];
        g.resize(p.size());
        if (run.grad)
          std::copy(run.grad, run.grad + p.size(), g.begin());
        else
          for (std::size_t k = 0; k < p.size(); ++k) g[k] = p[k].grad();
        chunk_loss_[c] = out.loss.data();
        chunk_extra_[c] = out.extra;
      }
    } catch (...) {
      std::lock_guard lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
    // Every chunk done: each worker sums its slice of the parameters over all chunks, in chunk
    // order (the arithmetic of one thread summing them all).
    sum_barrier_->arrive_and_wait();
    if (!error_) {
      const std::size_t m = weights_.size(), n = workers_.size();
      const std::size_t begin = id * m / n, end = (id + 1) * m / n;
      const double count = static_cast<double>(rows_->size());
      for (std::size_t k = begin; k < end; ++k) sum_[k] = 0.0;
      for (std::size_t c = 0; c < chunk_grads_.size(); ++c) {
        const double w =
            static_cast<double>(std::min(rows_->size(), (c + 1) * chunk_) - c * chunk_) / count;
        const double* g = chunk_grads_[c].data();
        for (std::size_t k = begin; k < end; ++k) sum_[k] += w * g[k];
      }
    }
    {
      std::lock_guard lock(mutex_);
      ++finished_;
    }
    done_.notify_all();
  }
}

ParallelGradient::Result ParallelGradient::gradient(const std::vector<std::size_t>& rows,
                                                    std::size_t chunk, const ChunkLoss& loss) {
  if (chunk == 0) throw std::invalid_argument("ParallelGradient::gradient: chunk must be >= 1");
  if (rows.empty()) throw std::invalid_argument("ParallelGradient::gradient: no rows");
  const std::size_t chunks = (rows.size() + chunk - 1) / chunk;
  {
    std::lock_guard lock(mutex_);
    weights_.resize(params_.size());
    if (const ColumnRun run = leaf_run(params_); run.data)
      std::copy(run.data, run.data + params_.size(), weights_.begin());
    else
      for (std::size_t k = 0; k < params_.size(); ++k) weights_[k] = params_[k].data();
    rows_ = &rows;
    chunk_ = chunk;
    loss_ = &loss;
    chunk_grads_.resize(chunks);
    sum_.resize(params_.size());
    chunk_loss_.assign(chunks, 0.0);
    chunk_extra_.assign(chunks, 0.0);
    finished_ = 0;
    error_ = nullptr;
    ++generation_;
  }
  wake_.notify_all();
  {
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return finished_ == workers_.size(); });
    if (error_) std::rethrow_exception(error_);
  }
  // The sum in chunk order, each chunk weighted by its share of the rows.
  Result r;
  const double n = static_cast<double>(rows.size());
  for (std::size_t c = 0; c < chunks; ++c) {
    const double w = static_cast<double>(std::min(rows.size(), (c + 1) * chunk) - c * chunk) / n;
    r.loss += w * chunk_loss_[c];
    r.extra += chunk_extra_[c];
  }
  if (const ColumnRun run = leaf_run(params_); run.grad)
    std::copy(sum_.begin(), sum_.end(), run.grad);
  else
    for (std::size_t k = 0; k < sum_.size(); ++k) params_[k].grad() = sum_[k];
  return r;
}

}  // namespace micrograd
