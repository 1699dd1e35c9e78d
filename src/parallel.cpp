// parallel.cpp: ParallelGradient (parallel.hpp): the calling thread and threads - 1 helpers, each
// with a model (the calling thread: the model itself; a helper: its replica), fixed chunks, a
// fixed summation order.
//
// Hand-off: a helper waits for the next job by spinning on an atomic for a short while (a step
// of micrograd's demo takes tens of microseconds; waking a sleeping thread costs about as much),
// then sleeps on a condition variable. The calling thread works on its own share meanwhile, then
// waits for the helpers the same way.
#include "micrograd/parallel.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace micrograd {

namespace {
// Waits for done() by reading it in a loop for up to kSpin (then the caller sleeps). Plain reads,
// no `pause`: in a KVM guest a loop of `pause` makes the vCPU exit to the host (pause-loop
// exiting), which then runs something else for longer than a whole step of micrograd's demo
// (measured: W1 on 2 threads took 2x longer than on 1). Long enough to bridge the gap between
// two steps: waking a sleeping thread costs up to a millisecond on a VM (its idle vCPU must be
// woken by the host), the time of a Fashion-MNIST step.
constexpr std::chrono::microseconds kSpin{2000};
constexpr std::size_t kSumBlock = 4096;  // parameters per block of the sum (32 KB per chunk)
template <class Done>
bool spin(Done done) {
  const auto until = std::chrono::steady_clock::now() + kSpin;
  for (;;) {
    for (int s = 0; s < 256; ++s)
      if (done()) return true;
    if (std::chrono::steady_clock::now() > until) return done();
  }
}
}  // namespace

// The last of n to arrive opens the next phase; the others spin, then sleep on the phase.
void ParallelGradient::SpinBarrier::arrive_and_wait() {
  const std::uint32_t phase = phase_.load(std::memory_order_acquire);
  if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == n_) {
    arrived_.store(0, std::memory_order_relaxed);  // (seen by whoever sees the new phase)
    phase_.fetch_add(1, std::memory_order_release);
    phase_.notify_all();
    return;
  }
  if (spin([&] { return phase_.load(std::memory_order_acquire) != phase; })) return;
  while (phase_.load(std::memory_order_acquire) == phase)
    phase_.wait(phase, std::memory_order_acquire);
}

ParallelGradient::ParallelGradient(const nn::MLP& model, std::size_t threads)
    : model_(model), params_(model.parameters()), participants_(threads) {
  if (threads == 0) throw std::invalid_argument("ParallelGradient needs at least 1 thread");
  sum_barrier_ = std::make_unique<SpinBarrier>(threads);
  workers_.reserve(threads - 1);
  for (std::size_t i = 1; i < threads; ++i) workers_.emplace_back([this, i] { work(i); });
  std::unique_lock lock(mutex_);  // every replica built (or failed) before the first job
  done_.wait(lock, [&] { return ready_ == workers_.size(); });
  if (error_) {
    stop_.store(true);
    lock.unlock();
    wake_.notify_all();
    for (std::thread& t : workers_) t.join();
    std::rethrow_exception(error_);
  }
}

ParallelGradient::~ParallelGradient() {
  {
    std::lock_guard lock(mutex_);
    stop_.store(true);
  }
  wake_.notify_all();
  for (std::thread& t : workers_)
    if (t.joinable()) t.join();
}

void ParallelGradient::work(std::size_t id) {
  std::unique_ptr<nn::MLP> replica;
  try {  // the replica lives on this thread's tape, below every chunk's graph
    std::vector<std::size_t> nouts;
    for (const nn::Layer& l : model_.layers()) nouts.push_back(l.nout());
    replica = std::make_unique<nn::MLP>(model_.nin(), nouts, model_.options());
  } catch (...) {
    std::lock_guard lock(mutex_);
    if (!error_) error_ = std::current_exception();
  }
  const std::vector<Value> p = replica ? replica->parameters() : std::vector<Value>{};
  LeafRunCache p_runs;
  {
    std::lock_guard lock(mutex_);
    ++ready_;
  }
  done_.notify_all();
  std::size_t seen = 0;
  for (;;) {
    // The next job: spin a little, then sleep.
    spin([&] {
      return generation_.load(std::memory_order_acquire) != seen ||
             stop_.load(std::memory_order_acquire);
    });
    if (generation_.load(std::memory_order_acquire) == seen) {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] {
        return stop_.load(std::memory_order_acquire) ||
               generation_.load(std::memory_order_acquire) != seen;
      });
    }
    if (stop_.load(std::memory_order_acquire)) return;
    seen = generation_.load(std::memory_order_acquire);
    // (The constructor refused to start without replicas.)
    run_share(id, *replica, p, p_runs, true);
    // The last helper wakes the caller if it went to sleep (seq_cst: it either sees the caller's
    // flag or the caller sees this count before sleeping).
    if (finished_.fetch_add(1) + 1 == workers_.size() && caller_waiting_.load()) {
      std::lock_guard lock(mutex_);
      done_.notify_all();
    }
  }
}

// Participant `id`'s share: its chunks [first_chunk(id), first_chunk(id + 1)) on `m`, whose
// parameters are `p`, and the sums of the tree only they make up; then, after every participant's,
// blocks of the rest of the sum while any is left. copy_weights: load the job's parameters first
// (a replica; the calling thread's model already has them).
void ParallelGradient::run_share(std::size_t id, const nn::MLP& m, const std::vector<Value>& p,
                                 LeafRunCache& p_runs, bool copy_weights) {
  try {
    // An MLP's parameters are consecutive leaves: their columns, copied and cleared in bulk.
    const ColumnRun run = p_runs.get(p);
    if (copy_weights) {  // (nobody writes the model's parameters before every share is done)
      if (run.data)
        std::copy(weights_, weights_ + p.size(), run.data);
      else
        for (std::size_t k = 0; k < p.size(); ++k) p[k].data() = weights_[k];
    }
    const std::vector<std::size_t>& rows = *rows_;
    for (std::size_t c = first_chunk(id); c < first_chunk(id + 1); ++c) {
      const std::size_t first = c * chunk_, last = std::min(rows.size(), first + chunk_);
      if (run.grad)
        std::fill(run.grad, run.grad + p.size(), 0.0);
      else
        for (const Value& v : p) v.grad() = 0.0;
      TapeScope scope;  // this chunk's graph goes at the closing brace
      const ChunkOutcome out = (*loss_)(m, std::span(rows).subspan(first, last - first));
      out.loss.backward();
      std::vector<double>& g = chunk_grads_[c];  // the tree's leaf: weight * gradient
      g.resize(p.size());
      const double w = chunk_weight_[c];
      if (run.grad)
        for (std::size_t k = 0; k < p.size(); ++k) g[k] = w * run.grad[k];
      else
        for (std::size_t k = 0; k < p.size(); ++k) g[k] = w * p[k].grad();
      chunk_loss_[c] = out.loss.data();
      chunk_extra_[c] = out.extra;
    }
    // The sums of the tree's nodes that only this participant's chunks make up (in its cache).
    for (std::size_t begin = 0; begin < p.size(); begin += kSumBlock)
      local_sums(0, chunk_grads_.size(), id, begin, std::min(p.size(), begin + kSumBlock));
  } catch (...) {
    std::lock_guard lock(mutex_);
    if (!error_) error_ = std::current_exception();
    failed_.store(true, std::memory_order_release);
  }
  // Every chunk and every subtree one participant sums alone done: the rest of the tree, in
  // blocks of the parameters, each taken by whoever is free (the sum is elementwise: who sums a
  // block does not change its numbers), summed straight into the model's grad column when it is
  // one (else into sum_, which the caller hands out), then updated by after_sum_ if any.
  const std::size_t m_size = params_.size();
  if (m_size <= kSumBlock) {
    // One block (a small model, e.g. micrograd's demo): the calling thread sums it, whose cache
    // holds the model's columns (a helper would pull them across cores and back: slower), as soon
    // as the helpers are done. A helper has nothing to wait for: no barrier, so the calling thread
    // waits for one signal from the other core a step, not a barrier and then that signal.
    if (id != 0) return;
    wait_for_helpers();
  } else {
    sum_barrier_->arrive_and_wait();
  }
  if (failed_.load(std::memory_order_acquire)) return;
  double* const out = model_grads_ != nullptr ? model_grads_ : sum_.data();
  for (std::size_t b;
       (b = next_block_.fetch_add(1, std::memory_order_relaxed)) * kSumBlock < m_size;) {
    const std::size_t begin = b * kSumBlock, end = std::min(m_size, begin + kSumBlock);
    shared_sums(0, chunk_grads_.size(), begin, end, out);
    if (after_sum_ == nullptr) continue;
    try {
      (*after_sum_)(begin, end);
    } catch (...) {
      std::lock_guard lock(mutex_);
      if (!error_) error_ = std::current_exception();
      failed_.store(true, std::memory_order_release);
      return;
    }
  }
}

// The calling thread waits until every helper has finished its share of the job.
void ParallelGradient::wait_for_helpers() {
  if (spin([&] { return finished_.load(std::memory_order_acquire) == workers_.size(); })) return;
  std::unique_lock lock(mutex_);
  caller_waiting_.store(true);
  done_.wait(lock, [&] { return finished_.load() == workers_.size(); });
  caller_waiting_.store(false);
}

// The chunks' gradients are summed as a fixed binary tree: node [lo, hi) of chunks is
// [lo, mid) + [mid, hi), mid = lo + (hi - lo) / 2, a leaf is the chunk's gradient times its
// weight, and a node's sum is kept in its first chunk's buffer. The tree depends on the number of
// chunks only, so the numbers are the same for any number of threads. Participant t works on
// the consecutive chunks [first_chunk(t), first_chunk(t + 1)): it sums the nodes its chunks make
// up alone while they are in its cache (local_sums), and only the nodes above them (for 2
// threads, only the root) read another thread's buffers (shared_sums).
std::size_t ParallelGradient::first_chunk(std::size_t t) const {
  return t * chunk_grads_.size() / participants_;
}

// Node [lo, hi) is made up of one participant's chunks alone (the root never is: it goes
// straight into the model's grads).
bool ParallelGradient::local(std::size_t lo, std::size_t hi) const {
  if (hi - lo == chunk_grads_.size()) return false;
  std::size_t t = lo * participants_ / chunk_grads_.size();  // first_chunk(t) <= lo
  while (first_chunk(t + 1) <= lo) ++t;
  return hi <= first_chunk(t + 1);
}

// buffer(lo) = buffer(lo) + buffer(mid) over [begin, end), for every node under [lo, hi) made up
// of participant id's chunks alone, children first.
void ParallelGradient::local_sums(std::size_t lo, std::size_t hi, std::size_t id, std::size_t begin,
                                  std::size_t end) {
  if (hi - lo < 2 || hi <= first_chunk(id) || lo >= first_chunk(id + 1)) return;
  const std::size_t mid = lo + (hi - lo) / 2;
  local_sums(lo, mid, id, begin, end);
  local_sums(mid, hi, id, begin, end);
  if (first_chunk(id) <= lo && hi <= first_chunk(id + 1) && local(lo, hi)) {
    double* a = chunk_grads_[lo].data();
    const double* b = chunk_grads_[mid].data();
    for (std::size_t k = begin; k < end; ++k) a[k] = a[k] + b[k];
  }
}

// out = the sum of node [lo, hi) over [begin, end), after the nodes under it that no participant
// summed alone (in their first chunk's buffers).
void ParallelGradient::shared_sums(std::size_t lo, std::size_t hi, std::size_t begin,
                                   std::size_t end, double* out) {
  if (hi - lo == 1) {  // a single chunk
    std::copy(chunk_grads_[lo].data() + begin, chunk_grads_[lo].data() + end, out + begin);
    return;
  }
  const std::size_t mid = lo + (hi - lo) / 2;
  double* a = chunk_grads_[lo].data();
  double* b = chunk_grads_[mid].data();
  if (mid - lo > 1 && !local(lo, mid)) shared_sums(lo, mid, begin, end, a);
  if (hi - mid > 1 && !local(mid, hi)) shared_sums(mid, hi, begin, end, b);
  for (std::size_t k = begin; k < end; ++k) out[k] = a[k] + b[k];
}

ParallelGradient::Result ParallelGradient::gradient(const std::vector<std::size_t>& rows,
                                                    std::size_t chunk, const ChunkLoss& loss,
                                                    const SliceStep& after_sum) {
  const ColumnRun run = runs_.get(params_);
  if (run.grad == nullptr) {  // no columns to hand out: the whole update here, after the sum
    const Result r = gradient(rows, chunk, loss);
    after_sum(0, params_.size());
    return r;
  }
  after_sum_ = &after_sum;
  struct Unset {  // this job only, also when it throws
    ParallelGradient& pg;
    ~Unset() { pg.after_sum_ = nullptr; }
  } unset{*this};
  return gradient(rows, chunk, loss);
}

ParallelGradient::Result ParallelGradient::gradient(const std::vector<std::size_t>& rows,
                                                    std::size_t chunk, const ChunkLoss& loss) {
  if (chunk == 0) throw std::invalid_argument("ParallelGradient::gradient: chunk must be >= 1");
  if (rows.empty()) throw std::invalid_argument("ParallelGradient::gradient: no rows");
  const std::size_t chunks = (rows.size() + chunk - 1) / chunk;
  // The job, written before it is published (the helpers read it after seeing generation_).
  // The helpers copy the parameters straight from the model's data column when it is one (no
  // copy on this thread's path; nobody writes the column before every chunk is done).
  const ColumnRun run = runs_.get(params_);
  if (run.data) {
    weights_ = run.data;
  } else {
    weights_copy_.resize(params_.size());
    for (std::size_t k = 0; k < params_.size(); ++k) weights_copy_[k] = params_[k].data();
    weights_ = weights_copy_.data();
  }
  rows_ = &rows;
  chunk_ = chunk;
  loss_ = &loss;
  chunk_grads_.resize(chunks);
  chunk_loss_.assign(chunks, 0.0);
  chunk_extra_.assign(chunks, 0.0);
  chunk_weight_.resize(chunks);  // each chunk's share of the rows
  for (std::size_t c = 0; c < chunks; ++c)
    chunk_weight_[c] = static_cast<double>(std::min(rows.size(), (c + 1) * chunk) - c * chunk) /
                       static_cast<double>(rows.size());
  model_grads_ = run.grad;  // the sum's destination (or sum_, handed out below)
  if (run.grad == nullptr) sum_.resize(params_.size());
  finished_.store(0, std::memory_order_relaxed);
  next_block_.store(0, std::memory_order_relaxed);
  failed_.store(false, std::memory_order_relaxed);
  {
    std::lock_guard lock(mutex_);
    error_ = nullptr;
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  // Our own share, on the model itself (its grads are overwritten below anyway).
  run_share(0, model_, params_, runs_, false);
  wait_for_helpers();
  if (failed_.load(std::memory_order_acquire)) {  // (every error sets it, after error_)
    std::lock_guard lock(mutex_);
    if (error_) std::rethrow_exception(error_);
  }
  Result r;
  for (std::size_t c = 0; c < chunks; ++c) {
    r.loss += chunk_weight_[c] * chunk_loss_[c];
    r.extra += chunk_extra_[c];
  }
  if (run.grad == nullptr)  // (else the participants wrote the grads, and updated them if asked)
    for (std::size_t k = 0; k < sum_.size(); ++k) params_[k].grad() = sum_[k];
  return r;
}

}  // namespace micrograd
