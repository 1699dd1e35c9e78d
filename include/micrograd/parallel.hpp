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
// Or with the update made by the threads too, block by block (the same numbers):
//   optimizer.begin_step(lr);
//   pg.gradient(rows, 16, chunk_loss, [&](std::size_t b, std::size_t e) {
//     add_l2_regularization_gradient(run.data, run.grad, b, e, alpha);  // if any (loss.hpp)
//     optimizer.update_range(b, e);
//   });
//
// How. The calling thread works on the model itself; each of threads - 1 helper threads owns a
// replica on its own tape (a Value is used only on the thread that made it). gradient() has the
// replicas copy the model's parameters, cuts the rows into C chunks of `chunk` consecutive rows
// (the same cut for any number of threads), gives participant t of N the consecutive chunks
// [t*C/N, (t+1)*C/N) to build and differentiate, and sums the chunks' gradients into the model's
// grads, each weighted by its share of the rows (|chunk| / |rows|): the gradient of the mean
// over all rows when the callback returns the mean over its rows. The sum is a fixed binary tree
// over the chunks (chunks [lo, hi) = [lo, mid) + [mid, hi), mid = lo + (hi - lo) / 2), so the
// result is independent of the thread count; each participant sums the part of the tree its own
// chunks make up while they are in its cache, and only the nodes above (for 2 threads, the root)
// read another thread's sums, in blocks of parameters taken by whichever thread is free. Helpers
// spin briefly between jobs, then sleep.
// Not here: the optimizer step (optim.hpp), the loss (loss.hpp).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
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

  // threads >= 1 participants: this thread and threads - 1 helpers, each helper building its
  // replica of `model` (same architecture) on its own thread. The model must outlive this object
  // and be used from the calling thread.
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

  // The same, then `after_sum(begin, end)` for each block of the parameters once that block's
  // grads are set, on the thread that summed it (the blocks are disjoint and cover all the
  // parameters; blocks of 4096, taken by whichever thread is free): an optimizer's update split
  // across the threads (Adam::begin_step before, Adam::update_range inside: the same numbers as
  // a step after gradient()). It must touch parameters in [begin, end) only, through raw columns
  // (it runs on other threads). If the model's parameters are not consecutive leaves, it runs
  // once, on this thread, over all of them.
  using SliceStep = std::function<void(std::size_t begin, std::size_t end)>;
  Result gradient(const std::vector<std::size_t>& rows, std::size_t chunk, const ChunkLoss& loss,
                  const SliceStep& after_sum);

  std::size_t threads() const { return participants_; }

 private:
  void work(std::size_t id);
  void run_share(std::size_t id, const nn::MLP& m, const std::vector<Value>& p,
                 LeafRunCache& p_runs, bool copy_weights);
  void wait_for_helpers();
  std::size_t first_chunk(std::size_t t) const;
  bool local(std::size_t lo, std::size_t hi) const;
  void local_sums(std::size_t lo, std::size_t hi, std::size_t id, std::size_t begin,
                  std::size_t end);
  void shared_sums(std::size_t lo, std::size_t hi, std::size_t begin, std::size_t end, double* out);

  const nn::MLP& model_;
  std::vector<Value> params_;
  LeafRunCache runs_;                 // params_'s columns (checked in full once, not at every step)
  std::size_t participants_;          // the calling thread and the helpers
  std::vector<std::thread> workers_;  // the helpers (participants 1 .. N-1)
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::atomic<std::size_t> generation_{0}, finished_{0}, next_block_{0};
  std::atomic<bool> stop_{false}, failed_{false};
  std::atomic<bool> caller_waiting_{false};  // the calling thread sleeps on done_
  std::size_t ready_ = 0;                    // helpers that built their replica
  std::exception_ptr error_;
  // The current job (written before generation_ moves on, read by the helpers after).
  const double* weights_ = nullptr;   // the model's parameters: its data column, or weights_copy_
  std::vector<double> weights_copy_;  // when the parameters are not a column
  const std::vector<std::size_t>* rows_ = nullptr;
  std::size_t chunk_ = 1;
  const ChunkLoss* loss_ = nullptr;
  std::vector<std::vector<double>> chunk_grads_;  // one per chunk
  std::vector<double> chunk_loss_, chunk_extra_, chunk_weight_;
  std::vector<double> sum_;               // the weighted sum when the grads are not a column
  const SliceStep* after_sum_ = nullptr;  // with the overload above, else null
  double* model_grads_ = nullptr;         // the model's grad column (null: not one)
  // All chunks done before any block of a model of several blocks is summed: a barrier that spins
  // before it sleeps (std::barrier's futex wake-up cost ~10 us of a 30 us step on this VM). A
  // one-block model needs none: the calling thread sums it after wait_for_helpers().
  class SpinBarrier {
   public:
    explicit SpinBarrier(std::size_t n) : n_(n) {}
    void arrive_and_wait();

   private:
    std::size_t n_;
    std::atomic<std::uint32_t> arrived_{0}, phase_{0};  // 32 bits: a futex of its own
  };
  std::unique_ptr<SpinBarrier> sum_barrier_;
};

}  // namespace micrograd
