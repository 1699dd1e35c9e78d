// parallel.hpp: a batch's gradient computed by several threads, bit for bit the same for any
// number of threads.
//
//   ParallelGradient pg(model, 2);                        // 2 worker threads, each with a replica
//   double loss = pg.gradient(rows, 16, [&](const nn::MLP& replica, std::span<const std::size_t> r)
//   {
//     ... build the mean loss of rows r with replica(x) ...
//     return ChunkOutcome{loss, correct};
//   });
//   optimizer.step();                                    // model's grads are set
//
// How. Each worker thread owns a replica of the model on its own tape (a Value is used only on
// the thread that made it). gradient() copies the model's parameters to the replicas, cuts the
// rows into chunks of `chunk` consecutive rows (the same cut for any number of threads), lets
// worker c % N build and differentiate chunk c, and sums the chunks' gradients into the model's
// grads in chunk order, each weighted by its share of the rows (|chunk| / |rows|): the gradient
// of the mean over all rows when the callback returns the mean over its rows. Fixed chunks and a
// fixed summation order make the result independent of the thread count.
// Not here: the optimizer step (optim.hpp), the loss (loss.hpp).
#pragma once

#include <barrier>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "micrograd/nn.hpp"

namespace micrograd {

struct ChunkOutcome {
  Value loss;          // the chunk's loss (a mean over its rows), on the replica's tape
  double extra = 0.0;  // any number to add up over the chunks (e.g. correct predictions)
};

class ParallelGradient {
 public:
  using ChunkLoss =
      std::function<ChunkOutcome(const nn::MLP& replica, std::span<const std::size_t> rows)>;

  // threads >= 1 workers, each building its replica of `model` (same architecture) on its own
  // thread. The model must outlive this object and stay on the calling thread.
  ParallelGradient(const nn::MLP& model, std::size_t threads);
  ~ParallelGradient();
  ParallelGradient(const ParallelGradient&) = delete;
  ParallelGradient& operator=(const ParallelGradient&) = delete;

  struct Result {
    double loss = 0.0;   // sum over chunks of |chunk|/|rows| * chunk loss
    double extra = 0.0;  // sum over chunks of extra
  };
  // Sets the model's parameter grads (overwriting them) to the weighted sum of the chunks'
  // gradients. `loss` runs on the worker threads: it may read shared data, but must not touch
  // Values of other threads (the model's included: use `replica`). An exception from it is
  // rethrown here.
  Result gradient(const std::vector<std::size_t>& rows, std::size_t chunk, const ChunkLoss& loss);

  std::size_t threads() const { return workers_.size(); }

 private:
  void work(std::size_t id);

  const nn::MLP& model_;
  std::vector<Value> params_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::size_t generation_ = 0, finished_ = 0, ready_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
  // The current job (read by the workers between wake_ and done_).
  std::vector<double> weights_;  // the model's parameters
  const std::vector<std::size_t>* rows_ = nullptr;
  std::size_t chunk_ = 1;
  const ChunkLoss* loss_ = nullptr;
  std::vector<std::vector<double>> chunk_grads_;  // one per chunk
  std::vector<double> chunk_loss_, chunk_extra_;
  std::vector<double> sum_;                      // the weighted sum, summed slice by slice
  std::unique_ptr<std::barrier<>> sum_barrier_;  // all chunks done before any slice is summed
};

}  // namespace micrograd
