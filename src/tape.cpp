// tape.cpp: the tape's memory, backward, and the two ways of reclaiming nodes (rewind, collect).
#include "micrograd/tape.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <new>
#include <sstream>

#include "micrograd/value.hpp"
#include "sweep.hpp"

namespace micrograd {

// ---------------------------------------------------------------------------------------------
// Memory: one reservation of address space (PROT_NONE: costs no memory) holds every column, each
// with room for kMaxNodes; columns are committed in chunks as the tape grows. Nothing is ever
// copied to a bigger buffer, so peak memory is what the nodes need, and references into a column
// stay valid.
//
// Layout (a performance property, tested in test_tape.cpp): the hot loops touch data_[i], grad_[i]
// and operands_[i] together. Columns placed back to back at huge power-of-two distances have
// addresses equal modulo 2^31, so those three lines share a cache set and AMD's L1 way predictor
// tag (bits 12..27), and evict each other at every node (3-5x slower on Zen 4), and on Intel the
// stores alias the next loads modulo 4 KiB. So column k starts k * kColumnSkew bytes past a 2 MiB
// boundary: any two columns differ by a few cache lines within a page (different L1/L2 sets on
// any CPU) and by a few pages (different page-number bits).

namespace {

constexpr std::size_t kPage = 4096;
constexpr std::size_t kLine = 64;
constexpr std::size_t kColumnSkew = 3 * kPage + 3 * kLine;
constexpr std::size_t kColumnAlign = std::size_t{1} << 21;
constexpr Tape::Index kMinCommit = 1u << 16;  // nodes per commit step, at least

std::size_t round_up(std::size_t bytes, std::size_t to) { return (bytes + to - 1) / to * to; }
std::size_t round_down(std::size_t bytes, std::size_t to) { return bytes / to * to; }

// Makes entries [from, to) of `column` usable (the pages holding them).
template <class T>
void commit_column(T* column, Tape::Index from, Tape::Index to) {
  const auto base = reinterpret_cast<std::uintptr_t>(column);
  const std::size_t begin = round_down(base + sizeof(T) * std::size_t{from}, kPage);
  const std::size_t end = round_up(base + sizeof(T) * std::size_t{to}, kPage);
  if (to > from &&
      mprotect(reinterpret_cast<void*>(begin), end - begin, PROT_READ | PROT_WRITE) != 0)
    throw std::bad_alloc();
}

// Gives the pages that hold only entries at or past `from` back to the OS (up to entry `to`).
template <class T>
void decommit_column(T* column, Tape::Index from, Tape::Index to) {
  const auto base = reinterpret_cast<std::uintptr_t>(column);
  const std::size_t begin = round_up(base + sizeof(T) * std::size_t{from}, kPage);
  const std::size_t end = round_up(base + sizeof(T) * std::size_t{to}, kPage);
  if (end > begin) {
    void* p = reinterpret_cast<void*>(begin);
    madvise(p, end - begin, MADV_DONTNEED);
    mprotect(p, end - begin, PROT_NONE);
  }
}

using tape_detail::bit;
using tape_detail::set_bit;

constexpr Tape::Index kMinCollect = 1u << 16;  // never collect a tape smaller than this

}  // namespace

Tape::Tape() { reserve_columns(); }

// The columns in the order they are laid out in the reservation, with their entry sizes.
#define MICROGRAD_TAPE_COLUMNS(X) X(data_) X(grad_) X(op_) X(operands_) X(links_)

void Tape::reserve_columns() {
  std::size_t bytes = 0, k = 0;
  auto place = [&](std::size_t entry_size) {  // the offset of the next column
    bytes = round_up(bytes, kColumnAlign);
    const std::size_t offset = bytes + k++ * kColumnSkew;
    bytes = offset + entry_size * std::size_t{kCapacity};
    return offset;
  };
#define MICROGRAD_PLACE(column) const std::size_t column##offset = place(sizeof(*column));
  MICROGRAD_TAPE_COLUMNS(MICROGRAD_PLACE)
#undef MICROGRAD_PLACE
  reserved_bytes_ = round_up(bytes, kPage);
  // No MADV_HUGEPAGE: with the kernel's defrag policy it made the first build of a big graph
  // slow and erratic (synchronous compaction: 0.05-1.07 s to touch 400 MB, against 0.15 s).
  void* p =
      mmap(nullptr, reserved_bytes_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  reserved_ = static_cast<char*>(p);
#define MICROGRAD_BASE(column) \
  column = reinterpret_cast<decltype(column)>(reserved_ + column##offset);
  MICROGRAD_TAPE_COLUMNS(MICROGRAD_BASE)
#undef MICROGRAD_BASE
}

std::vector<Tape::ColumnBase> Tape::column_bases() const {
  std::vector<ColumnBase> out;
#define MICROGRAD_DESCRIBE(column) \
  out.push_back({#column, reinterpret_cast<std::uintptr_t>(column), sizeof(*column)});
  MICROGRAD_TAPE_COLUMNS(MICROGRAD_DESCRIBE)
#undef MICROGRAD_DESCRIBE
  return out;
}

Tape::~Tape() { retire(); }

// How far to commit a column that has `committed` entries and must hold `needed`: grow
// geometrically (at least kMinCommit, at most 2^24 entries a step), never past kMaxNodes.
Tape::Index Tape::commit_target(Index committed, std::size_t needed, const char* what) const {
  if (retired_) throw StaleValueError("micrograd: this thread's tape was already destroyed");
  if (needed > kCapacity)
    throw std::length_error(std::string("micrograd: the tape's ") + what + " are full (" +
                            std::to_string(kCapacity) + "); rewind or collect it");
  std::size_t to = committed;
  while (to < needed) to += std::max<std::size_t>(kMinCommit, std::min<std::size_t>(to, 1u << 24));
  return static_cast<Index>(std::min<std::size_t>(to, kCapacity));
}

void Tape::grow(Index nodes) {
  const Index to = commit_target(committed_, std::size_t{size_} + nodes, "nodes");
  commit_column(data_, committed_, to);
  commit_column(grad_, committed_, to);
  commit_column(op_, committed_, to);
  commit_column(operands_, committed_, to);
  committed_ = to;
  update_push_limit();
}

void Tape::grow_links(Index needed) {
  const Index to =
      commit_target(links_committed_, std::size_t{links_size_} + needed, "operand lists");
  commit_column(links_, links_committed_, to);
  links_committed_ = to;
}

// (inline: push_linear calls it for every weight and input; only this file uses it)
inline Tape::Index Tape::checked_child(const Value& v) const {
  if (v.tape_ != this) [[unlikely]]
    v.tape_ == nullptr ? Value::throw_unusable(v) : Value::throw_foreign_thread();
  if (!is_live(v.index_, v.generation_)) [[unlikely]]
    Value::throw_unusable(v);
  return v.index_;
}

Tape::Index Tape::push_linear(Index b, const Value* w, const Value* x, Index n) {
  if (std::size_t{links_committed_} - links_size_ < 2 * std::size_t{n} + 1) grow_links(2 * n + 1);
  // Performance: checks each handle, writes its index and does the arithmetic in one pass.
  const Index first = links_size_;
  Index* link = links_ + first;
  *link++ = b;
  double out = data_[b];
  for (Index k = 0; k < n; ++k) {
    const Index wk = checked_child(w[k]), xk = checked_child(x[k]);
    const double product = data_[wk] * data_[xk];  // rounded on its own, as a Mul node
    out = out + product;                           // then added, as an Add node
    *link++ = wk;
    *link++ = xk;
  }
  links_size_ = first + 2 * n + 1;  // only now: a throw above leaves the tape unchanged
  return push(Op::Linear, out, first, n);
}

// The number of a user op's name in op_names_ (added the first time; a program has a few).
Tape::Index Tape::intern_op_name(std::string_view name) {
  Index id = 0;
  while (id < op_names_.size() && op_names_[id] != name) ++id;
  if (id == op_names_.size()) op_names_.emplace_back(name);
  return id;
}

// Links of a user op: Custom [name, child_0 .. child_{n-1}, partial k as two links each];
// Hook [name, room, child_0 .. child_{n-1}] (room: how many children it may be given later).
Tape::Index Tape::push_user_op(std::string_view name, double out, const Value* children,
                               const double* partials, Index n) {
  if (n >= kMaxNodes / 4) throw std::length_error("micrograd: a user op with too many children");
  const Index width = partials != nullptr ? 1 + 3 * n : 2 + n;
  if (std::size_t{links_committed_} - links_size_ < width) grow_links(width);
  for (Index k = 0; k < n; ++k) checked_child(children[k]);  // throws before any change
  const Index id = intern_op_name(name);
  const Index first = links_size_;
  Index* link = links_ + first;
  link[0] = id;
  const Index skip = partials != nullptr ? 1 : 2;  // Hook: its room follows the name
  if (partials == nullptr) link[1] = n;
  for (Index k = 0; k < n; ++k) link[skip + k] = children[k].index_;
  if (partials != nullptr) std::memcpy(link + 1 + n, partials, sizeof(double) * n);
  links_size_ = first + width;
  const Index i = push(partials != nullptr ? Op::Custom : Op::Hook, out, first, n);
  if (partials == nullptr) lowest_hook_ = std::min(lowest_hook_, i);
  return i;
}

void Tape::set_hook_children(Index i, const Value* children, Index n) {
  if (op_[i] != Op::Hook)
    throw std::invalid_argument(
        "micrograd: only a node made as Value(data, children, op) can get "
        "new children; " +
        describe(i) + " was made by a built-in op");
  const Index room = links_[operands_[i].a + 1];
  if (n > room)
    throw std::invalid_argument("micrograd: " + describe(i) + " was made with " +
                                std::to_string(room) + " children; it cannot take " +
                                std::to_string(n) + " (make a new Value(data, children, op))");
  for (Index k = 0; k < n; ++k)
    if (checked_child(children[k]) >= i)
      throw std::invalid_argument("micrograd: a child of " + describe(i) +
                                  " must be created before it (the tape is in creation order)");
  for (Index k = 0; k < n; ++k) links_[operands_[i].a + 2 + k] = children[k].index_;
  operands_[i].b = n;
}

void Tape::set_user_op_name(Index i, std::string_view name) {
  if (!is_user_op(op_[i])) throw std::invalid_argument("micrograd: not a user-defined op node");
  links_[operands_[i].a] = intern_op_name(name);
}

namespace {
// The pre-activation sums of nout neurons (weights w + j*(nin+1), bias after them), each added
// left to right from its bias like micrograd's sum(). Eight neurons at a time, so eight
// independent chains of adds are in flight instead of one (an add's latency is 3-4 cycles; two
// can start each cycle). Scalar code on purpose: vectorizing across neurons needs gathers (the
// weights of one input are a row apart), which are slower here than eight plain loads.
[[gnu::optimize("no-tree-vectorize")]] void dense_sums(const double* w, Tape::Index nout,
                                                       const double* x, Tape::Index nin,
                                                       double* out) {
  const std::size_t row = std::size_t{nin} + 1;
  Tape::Index j = 0;
  for (; j + 8 <= nout; j += 8) {
    const double* w0 = w + j * row;
    double s[8];
    for (int q = 0; q < 8; ++q) s[q] = w0[q * row + nin];
    for (Tape::Index k = 0; k < nin; ++k) {
      const double xk = x[k];
      for (int q = 0; q < 8; ++q) s[q] = s[q] + w0[q * row + k] * xk;
    }
    for (int q = 0; q < 8; ++q) out[j + q] = s[q];
  }
  for (; j < nout; ++j) {
    const double* wj = w + j * row;
    double s = wj[nin];
    for (Tape::Index k = 0; k < nin; ++k) s = s + wj[k] * x[k];
    out[j] = s;
  }
}

template <Op op>
void dense_activate(double* out, Tape::Index n) {
  for (Tape::Index j = 0; j < n; ++j) out[j] = detail::dense_activation<op>(out[j]);
}
}  // namespace

Tape::Index Tape::push_dense(Op op, Index params, Index nout, Index x, Index nin) {
  if (std::size_t{committed_} - size_ < nout) grow(nout);
  if (std::size_t{links_committed_} - links_size_ < 2 * std::size_t{nout}) grow_links(2 * nout);
  const Index first = size_;
  double* out = data_ + first;
  dense_sums(data_ + params, nout, data_ + x, nin, out);
  if (op == Op::DenseReLU)
    dense_activate<Op::DenseReLU>(out, nout);
  else if (op == Op::DenseTanh)
    dense_activate<Op::DenseTanh>(out, nout);
  // Performance: the columns and the list position in locals (the Index stores below could
  // alias the tape's own Index members, which the compiler would otherwise reload every time).
  const std::size_t row = std::size_t{nin} + 1;
  const Index link0 = links_size_;
  Op* const ops = op_ + first;
  Operands* const operands = operands_ + first;
  Index* const links = links_ + link0;
  for (Index j = 0; j < nout; ++j) {  // (grads are 0 above the tape's end: see rewind)
    ops[j] = op;
    operands[j] = {link0 + 2 * j, nin};
    links[2 * j] = static_cast<Index>(params + j * row);
    links[2 * j + 1] = x;
  }
  size_ = first + nout;
  links_size_ = link0 + 2 * nout;
  if (detect_anomaly_) [[unlikely]]
    for (Index j = 0; j < nout; ++j) check_forward(first + j);
  return first;
}

void Tape::release_unused(Index slack) {
  const Index keep =
      static_cast<Index>(std::min<std::size_t>(committed_, std::size_t{size_} + slack));
  // Round down to a boundary that is page-aligned in every column (8 B/node: 512 nodes a page).
  const Index from = (keep + 4095) / 4096 * 4096;
  if (from >= committed_) return;
  decommit_column(data_, from, committed_);
  decommit_column(grad_, from, committed_);
  decommit_column(op_, from, committed_);
  decommit_column(operands_, from, committed_);
  committed_ = from;
  update_push_limit();
  const Index links_from = static_cast<Index>(std::min<std::size_t>(
      links_committed_, (std::size_t{links_size_} + slack + 4095) / 4096 * 4096));
  if (links_from < links_committed_) {
    decommit_column(links_, links_from, links_committed_);
    links_committed_ = links_from;
  }
}

void Tape::retire() {
  if (retired_.load(std::memory_order_relaxed)) return;
  retired_.store(true, std::memory_order_release);
  cut(0);  // first make every handle stale, then free what they pointed at
  size_ = committed_ = links_size_ = links_committed_ = 0;
  update_push_limit();
  if (reserved_ != nullptr) munmap(reserved_, reserved_bytes_);
  reserved_ = nullptr;
  data_ = grad_ = nullptr;
  op_ = nullptr;
  operands_ = nullptr;
  links_ = nullptr;
  labels_.clear();
  reached_ = {};
  remap_ = {};
  for (PinnedValue* p : pinned_) p->slot_ = static_cast<std::size_t>(-1);
  pinned_.clear();
}

// ---------------------------------------------------------------------------------------------
// One tape per thread. When a thread ends its tape frees its columns and goes to a free list; the
// next new thread revives it. The Tape object is never deleted, so a handle that outlives its
// thread raises StaleValueError (the generation moved on) instead of dangling.

namespace detail {
constinit thread_local Tape* this_thread_tape = nullptr;
}

namespace {
std::mutex retired_tapes_mutex;
std::vector<Tape*>& retired_tapes() {
  static auto* tapes = new std::vector<Tape*>();  // lives as long as the process, like the tapes
  return *tapes;
}
}  // namespace

struct TapeOwner {
  Tape* tape = nullptr;
  ~TapeOwner() {
    if (tape == nullptr) return;
    tape->retire();
    detail::this_thread_tape = nullptr;
    std::lock_guard lock(retired_tapes_mutex);
    retired_tapes().push_back(tape);
  }
};

Tape& Tape::current() {
  if (detail::this_thread_tape == nullptr) [[unlikely]] {
    static thread_local TapeOwner owner;
    Tape* tape = nullptr;
    {
      std::lock_guard lock(retired_tapes_mutex);
      if (!retired_tapes().empty()) {
        tape = retired_tapes().back();
        retired_tapes().pop_back();
      }
    }
    if (tape != nullptr)
      tape->revive();
    else
      tape = new Tape();
    owner.tape = tape;
    detail::this_thread_tape = tape;
  }
  return *detail::this_thread_tape;
}

void Tape::revive() {
  reserve_columns();
  retired_.store(false, std::memory_order_release);
  dirty_lo_ = kMaxNodes;
  leaf_prefix_ = 0;
  lowest_hook_ = kMaxNodes;
  swept_.clear();
  collect_threshold_ = kMaxNodes;
  detect_anomaly_ = false;
  update_push_limit();
  // generation_ and cuts_ carry on: handles from the previous owner stay stale.
}

// ---------------------------------------------------------------------------------------------
// Generations. Every handle remembers the tape's generation when it was made. Each cut (a rewind
// or a collect that dropped nodes) starts a new generation and records its floor: handles older
// than the cut stay live only below the floor. Cuts whose floor is not below a later cut's floor
// are dropped, so a training loop that rewinds to the same mark keeps one entry.

void Tape::cut(Index floor) {
  while (!cuts_.empty() && cuts_.back().floor >= floor) cuts_.pop_back();
  if (generation_ == kNoGeneration - 1) [[unlikely]] {
    // 2^32 - 1 cuts: the numbering starts again (a long-running loop must not die). A handle made
    // before this wrap (its generation is above the new ones) is judged by the cuts made before
    // it, kept here, and by every floor cut since: it stays live exactly if it would have.
    // (Only a handle kept, unused, across a second wrap, 2^32 more rewinds, could be misjudged.)
    pre_wrap_cuts_ = std::move(cuts_);
    cuts_.clear();
    wrap_floor_ = floor;
    wrapped_ = true;
    generation_ = 0;
  }
  ++generation_;
  fast_generation_ = wrapped_ ? kNoGeneration : generation_;
  cuts_.push_back({generation_, floor});
  // The memo matches no handle now (its generation is kNoGeneration). The floors of the cuts left
  // increase from front to back and size_ never goes below the last one until the next cut, so
  // the floor a memo gives (that of the first cut after a generation) is at most size_ until then.
  memo_generation_ = kNoGeneration;
  wrap_floor_ = std::min(wrap_floor_, floor);
}

bool Tape::is_live_cold(Index i, std::uint32_t generation) const {
  if (generation > generation_ && wrapped_) {  // made before the numbering wrapped (see cut())
    auto later = std::upper_bound(pre_wrap_cuts_.begin(), pre_wrap_cuts_.end(), generation,
                                  [](std::uint32_t g, const Cut& c) { return g < c.generation; });
    const Index floor = later == pre_wrap_cuts_.end() ? wrap_floor_ : later->floor;
    return i < floor && i < wrap_floor_ && i < size_;
  }
  if (generation >= generation_) return false;  // (the current one: is_live_old answered)
  // The first cut made after the handle: its floor is the lowest of all later floors.
  auto later = std::upper_bound(cuts_.begin(), cuts_.end(), generation,
                                [](std::uint32_t g, const Cut& c) { return g < c.generation; });
  const Index floor = later == cuts_.end() ? 0 : later->floor;
  if (this == detail::this_thread_tape) {
    memo_generation_ = generation;
    memo_floor_ = floor;
  }
  return i < floor && i < size_;
}

void Tape::rewind(Index mark) {
  if (mark >= size_) return;
  if (in_backward_ && mark <= backward_root_)
    throw std::logic_error(
        "micrograd: rewind() from inside a backward callback would drop the graph being swept");
  // Operand lists are appended in node order: they shrink back to where the first dropped
  // Linear or Dense node's list began (a scan of the dropped nodes' ops; TapeScope needs none).
  const Op* first_nary = std::find_if(op_ + mark, op_ + size_, is_nary);
  rewind(mark, first_nary != op_ + size_ ? operands_[first_nary - op_].a : links_size_);
}

void Tape::rewind(Index mark, Index links_mark) {
  if (mark >= size_) return;
  links_size_ = std::min(links_size_, links_mark);
  cut(mark);
  std::fill(grad_ + mark, grad_ + size_, 0.0);  // room above size_ holds grad 0 (see push)
  size_ = mark;
  if (dirty_lo_ >= mark) dirty_lo_ = kMaxNodes;
  leaf_prefix_ = std::min(leaf_prefix_, mark);
  if (lowest_hook_ >= mark) lowest_hook_ = kMaxNodes;
  forget_swept_from(mark);
  labels_.erase(labels_.lower_bound(mark), labels_.end());
}

// ---------------------------------------------------------------------------------------------
// Backward.
//
// Fast path (a fresh graph: every non-leaf below the root has grad 0, no callback node): one
// reverse loop (Tape::sweep, in sweep.hpp). A node with grad 0 is skipped, which also skips every
// node the root does not reach; in a graph that fits in the caches a run of them is skipped eight
// at a time. Slow path (some non-leaf below the root may hold an old grad, e.g. a second backward,
// or a callback node is there): first mark what the root reaches (under PyTorch's semantics also
// zero those non-leaves), then the same loop over marked nodes only. Micrograd's semantics: every
// reached node adds to what it holds; PyTorch's: only leaves accumulate across calls.

// Calls f(operand, upstream, d out/d operand) for each child of non-leaf node i, whose grad is g,
// in the order micrograd's `_backward` adds them (a then b; Linear and Dense: w_k, x_k for
// k = n-1 .. 0, as the scalar graph's Mul/Add nodes would, then b); the contribution to the
// operand's grad is upstream * partial. upstream is g, except for a Dense node: there it is
// g * d act/d pre, rounded first, as the separate activation node would pass it on. Each op loads
// only the numbers its derivative uses.
template <class F>
[[gnu::always_inline]] inline void Tape::for_each_local_derivative(Index i, Op op, double g,
                                                                   F&& f) const {
  const Index ia = operands_[i].a, ib = operands_[i].b;
  if (op == Op::Linear) {  // out = b + sum w_k x_k
    const Index* link = links_ + ia;
    for (Index k = ib; k-- > 0;) {
      const Index w = link[1 + 2 * k], x = link[2 + 2 * k];
      f(w, g, data_[x]);
      f(x, g, data_[w]);
    }
    f(link[0], g, 1.0);
    return;
  } else if (op == Op::Custom) {  // d out/d child_k stored at record time, after the children
    const Index* link = links_ + ia + 1;
    for (Index k = 0; k < ib; ++k) {
      double partial;
      std::memcpy(&partial, link + ib + 2 * k, sizeof partial);
      f(link[k], g, partial);
    }
    return;
  } else if (op == Op::Hook) {
    return;                   // its callback runs instead (run_hook)
  } else if (is_dense(op)) {  // out = act(b + sum w_k x_k), w and x runs of consecutive nodes
    const double up = g * detail::dense_activation_partial(op, data_[i]);
    if (up == 0.0) return;  // the pre-activation node's grad would be 0: it would pass nothing
    const Index w = links_[ia], x = links_[ia + 1];
    for (Index k = ib; k-- > 0;) {
      f(w + k, up, data_[x + k]);
      f(x + k, up, data_[w + k]);
    }
    f(w + ib, up, 1.0);
    return;
  }
  tape_detail::primitive_local_derivatives(data_, ia, ib, i, op, g, f);
}

// A Dense node's backward in two contiguous loops (vectorized): the same contributions, in the
// same order per operand, as for_each_local_derivative. The runs never overlap (push_dense's
// callers check it) and the sweep's carry is 0 here, so each += may go straight to memory.
void Tape::dense_backward(Index i, Op op, double g) {
  const double up = g * detail::dense_activation_partial(op, data_[i]);
  if (up == 0.0) return;  // a ReLU that was off: the pre-activation node's grad is 0, skipped
  swept_[i / 64] |= std::uint64_t{1} << (i % 64);  // its hidden nodes now hold grads (backward()
                                                   // sized swept_ past the root)
  const Index n = operands_[i].b;
  const Index wi = links_[operands_[i].a], xi = links_[operands_[i].a + 1];
  double* __restrict gw = grad_ + wi;
  double* __restrict gx = grad_ + xi;
  const double* __restrict w = data_ + wi;
  const double* __restrict x = data_ + xi;
  for (Index k = 0; k < n; ++k) gw[k] += up * x[k];
  for (Index k = 0; k < n; ++k) gx[k] += up * w[k];
  gw[n] += up;  // the bias
}

// The sweep's step for an n-ary node (Linear, Custom, Hook; Dense* under the non-finite check:
// the sweep calls dense_backward for the others) whose grad is g: its
// contributions go straight to memory (the sweep's carry is 0 here: it was added into g).
// Returns the lowest node it may have passed a gradient to.
template <bool kCheckFinite>
[[gnu::noinline]] Tape::Index Tape::sweep_nary(Index i, Op op, double g) {
  Index low = i;
  if (op == Op::Hook) {
    run_hook(i);
    for (Index k = 0, n = operands_[i].b; k < n; ++k) low = std::min(low, child(i, k));
    return low;
  }
  if (is_fused(op) && (!is_dense(op) || detail::dense_activation_partial(op, data_[i]) != 0.0))
    mark_fused_swept(i);  // its hidden nodes now hold grads (see backward)
  for_each_local_derivative(i, op, g, [&](Index operand, double up, double partial) {
    const double contribution = up * partial;
    if constexpr (kCheckFinite) {
      if (!std::isfinite(contribution)) throw_nonfinite_backward(i, operand, up, partial);
    }
    low = std::min(low, operand);
    grad_[operand] += contribution;
  });
  return low;
}
// (sweep.cpp's loops call these.)
template Tape::Index Tape::sweep_nary<false>(Index, Op, double);
template Tape::Index Tape::sweep_nary<true>(Index, Op, double);

// Whether the far operands (more than 64 nodes below) of the 256 nodes below `root` (at least
// 2^17 of them) jump around, as in a random DAG, rather than run along, as a chain's leaves or a
// layer's weights do: only then does the sweep's prefetching pay (W2b's backward: -33 %; W2a's,
// whose far operands are consecutive leaves the hardware prefetcher already follows: +15 % for
// nothing). A guess from a sample: it changes the speed, never a number.
bool Tape::operands_jump(Index root) const {
  constexpr Index kNear = 64;
  Index jumps = 0, last = root;
  for (Index i = root; i + 256 > root; --i) {
    for (const Index x : {operands_[i].a, operands_[i].b}) {
      if (x + kNear >= i) continue;  // near: in cache when its turn comes
      if (x + kNear < last || last + kNear < x) ++jumps;
      last = x;
    }
  }
  return jumps > 64;
}

// f(c) for each child c of node i, in no particular order; a dense node's two runs directly.
template <class F>
void Tape::for_each_child(Index i, F&& f) const {
  if (is_dense(op_[i])) {  // n + 1 parameters (weights, then the bias) and n inputs
    const Index n = operands_[i].b, w = links_[operands_[i].a], x = links_[operands_[i].a + 1];
    for (Index k = 0; k <= n; ++k) f(w + k);
    for (Index k = 0; k < n; ++k) f(x + k);
    return;
  }
  for (Index k = 0, n = num_children(i); k < n; ++k) f(child(i, k));
}

void Tape::backward(Index root) {
  if (in_backward_)
    throw std::logic_error(
        "micrograd: backward() was called from inside a backward callback (a _backward); call it "
        "after the first backward() returns");
  if (op_[root] == Op::Leaf) {  // micrograd sets the root's grad to 1; PyTorch adds 1
    grad_[root] = semantics_ == Semantics::Micrograd ? 1.0 : grad_[root] + 1.0;
    if (track_reached_) {
      reached_.assign(std::size_t{root} / 64 + 1, 0);
      set_bit(reached_, root);
    }
    return;
  }
  // Fresh: no non-leaf below the root holds a gradient and no callback needs calling at grad 0.
  const bool fresh = !track_reached_ && dirty_lo_ > root && lowest_hook_ > root;
  if (!fresh) {  // mark what the root reaches (only those nodes take part, as in micrograd)
    reached_.assign(std::size_t{root} / 64 + 1, 0);
    set_bit(reached_, root);
    const bool recompute = semantics_ == Semantics::PyTorch;
    Index low = root;  // the lowest node marked so far: nothing below it can be reached
    for (Index i = root + 1; i-- > low;) {
      if (!bit(reached_, i) || op_[i] == Op::Leaf) continue;
      if (recompute)
        grad_[i] = 0.0;
      else if (is_fused(op_[i]) && fused_swept(i)) [[unlikely]]
        throw_second_pass_through_fused(i);  // nothing changed yet
      for_each_child(i, [&](Index c) {
        set_bit(reached_, c);
        low = std::min(low, c);
      });
    }
  }
  grad_[root] = 1.0;
  if (swept_.size() <= root / 64) swept_.resize(root / 64 + 1, 0);  // dense_backward marks
  in_backward_ = true;
  backward_root_ = root;
  const Index stop = lowest_op(root);  // only leaves below: nothing to pass on
  // Graphs that fit in the caches (W1's 65,481 nodes) skip runs of nodes with grad 0 eight at a
  // time (94 % of a trained W1 step's nodes); not where a callback must run at grad 0. Bigger
  // graphs keep the plain loop: its prefetching must see every node's turn (W2b), and there the
  // sweep's speed is the memory's.
  const bool skip_runs = root - stop <= tape_detail::kCachedNodes && (fresh || lowest_hook_ > root);
  Index lowest;
  try {
    if (detect_anomaly_)
      lowest = fresh ? sweep<false, true>(root, stop) : sweep<true, true>(root, stop);
    else if (skip_runs)
      lowest = fresh ? sweep<false, false, true>(root, stop) : sweep<true, false, true>(root, stop);
    else
      lowest = fresh ? sweep<false, false>(root, stop) : sweep<true, false>(root, stop);
  } catch (...) {  // a callback or the non-finite check: the grads written so far stay
    in_backward_ = false;
    dirty_lo_ = std::min({dirty_lo_, stop, root});
    throw;
  }
  in_backward_ = false;
  dirty_lo_ = std::min({dirty_lo_, lowest, root});
}

void Tape::backward_one(Index i) {
  const Op op = op_[i];
  if (op == Op::Leaf) return;
  if (op == Op::Hook) {
    run_hook(i);
    return;
  }
  const double g = grad_[i];
  if (is_fused(op) && g != 0.0) mark_fused_swept(i);
  for_each_local_derivative(i, op, g, [&](Index operand, double up, double partial) {
    note_grad_written(operand);
    grad_[operand] += up * partial;
  });
}

std::vector<std::pair<Tape::Index, double>> Tape::local_derivatives(Index i) const {
  std::vector<std::pair<Index, double>> out;
  const Op op = op_[i];
  if (op == Op::Leaf || op == Op::Hook) return out;
  for_each_local_derivative(i, op, 1.0, [&](Index operand, double up, double partial) {
    out.emplace_back(operand, up * partial);
  });
  return out;
}

void Tape::run_hook(Index i) {
  if (hook_ == nullptr)
    throw std::logic_error("micrograd: " + describe(i) +
                           " is a callback node, but no backward hook is installed on this tape");
  hook_->run(*this, i);
}

void Tape::throw_second_pass_through_fused(Index i) const {
  throw std::logic_error(
      "micrograd: a second backward() through " + describe(i) +
      ", a neuron fused into one node: micrograd's semantics add the new gradients to what its "
      "hidden * and + nodes hold from the first backward, and a fused neuron does not keep "
      "those. Compute the forward pass again before backward(), build the model unfused "
      "(fused=False / MLPOptions::fused = false), or use PyTorch's semantics "
      "(set_backward_semantics(Semantics::PyTorch))");
}

void Tape::forget_swept_from(Index mark) {
  const std::size_t word = std::size_t{mark} / 64;
  if (word >= swept_.size()) return;
  swept_.resize(word + 1);
  swept_[word] &= (std::uint64_t{1} << (mark % 64)) - 1;
}

// ---------------------------------------------------------------------------------------------
// Collect: keep every node a PinnedValue reaches (one reverse pass marks them: operands have lower
// indices), slide the kept nodes down in order (so creation order stays topological), remap
// operand indices and pinned handles. Linear time, no recursion. Nodes below the first dropped
// one do not move, so parameters created first stay where they are.

void Tape::collect() {
  if (in_backward_)
    throw std::logic_error("micrograd: collect() was called from inside a backward callback");
  ++collections_;
  const Index n = size_;
  reached_.assign(std::size_t{n} / 64 + 1, 0);
  std::vector<char> live(pinned_.size());
  for (std::size_t k = 0; k < pinned_.size(); ++k) {
    const Value& v = pinned_[k]->value_;
    live[k] = is_live(v.index_, v.generation_);
    if (live[k]) set_bit(reached_, v.index_);
  }
  for (Index i = n; i-- > 0;) {
    if (!bit(reached_, i) || op_[i] == Op::Leaf) continue;
    if (is_nary(op_[i])) {
      for_each_child(i, [this](Index c) { set_bit(reached_, c); });
    } else {
      set_bit(reached_, operands_[i].a);
      set_bit(reached_, operands_[i].b);  // also PowConst's exponent, which is not a child
    }
  }
  Index first = 0;
  while (first < n && bit(reached_, first)) ++first;
  if (first < n) {
    remap_.assign(n - first, kMaxNodes);
    auto moved = [&](Index j) { return j < first ? j : remap_[j - first]; };
    Index next = first;
    // Operand lists slide down too, in the same order. A Dense node's runs stay runs: every node
    // in them is its child, so all are kept and keep their order.
    Index next_link = kMaxNodes;
    std::vector<Index> swept_next;  // fused nodes that passed a gradient, at their new places
    for (Index i = first; i < n; ++i) {
      const Op op = op_[i];
      if (is_nary(op) && next_link == kMaxNodes) next_link = operands_[i].a;
      if (!bit(reached_, i)) continue;
      remap_[i - first] = next;
      data_[next] = data_[i];
      grad_[next] = grad_[i];
      op_[next] = op;
      if (op == Op::Leaf) {
        operands_[next] = {next, next};
      } else if (!is_nary(op)) {
        operands_[next] = {moved(operands_[i].a), moved(operands_[i].b)};
      } else if (op == Op::Linear) {
        if (fused_swept(i)) swept_next.push_back(next);
        const Index from = operands_[i].a, pairs = operands_[i].b;
        for (Index k = 0; k < 2 * pairs + 1; ++k) links_[next_link + k] = moved(links_[from + k]);
        operands_[next] = {next_link, pairs};
        next_link += 2 * pairs + 1;
      } else if (is_dense(op)) {
        if (fused_swept(i)) swept_next.push_back(next);
        const Index from = operands_[i].a;
        links_[next_link] = moved(links_[from]);
        links_[next_link + 1] = moved(links_[from + 1]);
        operands_[next] = {next_link, operands_[i].b};
        next_link += 2;
      } else if (is_user_op(op)) {  // name, (Hook) room, children, (Custom) the partials
        const Index from = operands_[i].a, m = operands_[i].b;
        const Index skip = op == Op::Custom ? 1 : 2;
        const Index room = op == Op::Custom ? m : links_[from + 1];
        for (Index k = 0; k < skip; ++k) links_[next_link + k] = links_[from + k];
        for (Index k = 0; k < m; ++k) links_[next_link + skip + k] = moved(links_[from + skip + k]);
        Index width = skip + room;
        if (op == Op::Custom) {
          std::memmove(links_ + next_link + 1 + m, links_ + from + 1 + m, sizeof(Index) * 2 * m);
          width += 2 * m;
        }
        operands_[next] = {next_link, m};
        next_link += width;
      }
      ++next;
    }
    if (next_link != kMaxNodes) links_size_ = next_link;
    forget_swept_from(first);
    for (Index j : swept_next) mark_fused_swept(j);
    std::map<Index, std::string> labels;
    for (auto& [i, text] : labels_)
      if (moved(i) != kMaxNodes) labels.emplace_hint(labels.end(), moved(i), std::move(text));
    labels_ = std::move(labels);
    std::fill(grad_ + next, grad_ + n, 0.0);  // room above size_ holds grad 0 (see push)
    size_ = next;
    if (dirty_lo_ >= first && dirty_lo_ != kMaxNodes) dirty_lo_ = first;
    leaf_prefix_ = std::min(leaf_prefix_, first);
    if (lowest_hook_ >= first && lowest_hook_ != kMaxNodes) lowest_hook_ = first;
    cut(first);
    for (std::size_t k = 0; k < pinned_.size(); ++k) {
      if (!live[k]) continue;
      Value& v = pinned_[k]->value_;
      v.index_ = moved(v.index_);
      v.generation_ = generation_;
    }
  }
  collect_threshold_ = std::max<Index>(kMinCollect, size_ > kMaxNodes / 2 ? kMaxNodes : 2 * size_);
}

void Tape::pin(PinnedValue* p) {
  p->slot_ = pinned_.size();
  pinned_.push_back(p);
  if (collect_threshold_ == kMaxNodes) collect_threshold_ = std::max(kMinCollect, 2 * size_);
}

void Tape::unpin(PinnedValue* p) {
  if (p->slot_ >= pinned_.size() || pinned_[p->slot_] != p) return;
  pinned_[p->slot_] = pinned_.back();
  pinned_[p->slot_]->slot_ = p->slot_;
  pinned_.pop_back();
}

// ---------------------------------------------------------------------------------------------
// Labels, names, errors.

const std::string& Tape::label(Index i) const {
  static const std::string empty;
  auto it = labels_.find(i);
  return it == labels_.end() ? empty : it->second;
}

void Tape::set_label(Index i, std::string label) {
  if (label.empty())
    labels_.erase(i);
  else
    labels_[i] = std::move(label);
}

std::string Tape::op_string(Index i) const {
  const Op op = op_[i];
  if (is_user_op(op)) return op_names_[links_[operands_[i].a]];
  if (op != Op::PowConst) return symbol(op);
  // micrograd writes f'**{other}': "**2" for an int exponent. We print integral exponents as ints.
  const double c = data_[operands_[i].b];
  if (std::isfinite(c) && c == std::floor(c) && std::fabs(c) < 1e15)
    return "**" + std::to_string(static_cast<long long>(c));
  return "**" + python_float_repr(c);
}

std::string Tape::describe(Index i) const {
  std::ostringstream s;
  s << '#' << i;
  if (const std::string& l = label(i); !l.empty()) s << " '" << l << "'";
  s << " (" << (op_[i] == Op::Leaf ? std::string("leaf") : op_string(i)) << ", data "
    << python_float_repr(data_[i]) << ")";
  return s.str();
}

void Tape::check_forward(Index i) const {
  if (std::isfinite(data_[i])) return;
  std::ostringstream s;
  s << "micrograd: non-finite value " << python_float_repr(data_[i]) << " produced by "
    << describe(i);
  const Op op = op_[i];
  for (Index k = 0, n = num_children(i); k < n && k < 8; ++k)
    s << (k == 0 ? " from " : " and ") << describe(child(i, k));
  if (num_children(i) > 8) s << " and " << num_children(i) - 8 << " more";
  if (op == Op::Leaf) s << " (a leaf created from a non-finite number)";
  throw NonFiniteError(s.str());
}

void Tape::throw_nonfinite_backward(Index node, Index operand, double g, double partial) const {
  std::ostringstream s;
  s << "micrograd: backward produced a non-finite gradient for " << describe(operand) << " through "
    << describe(node) << ": upstream grad " << python_float_repr(g) << " times local derivative "
    << python_float_repr(partial);
  throw NonFiniteError(s.str());
}

double Tape::push_slow(Op op, double out, Index a, Index b) {
  if (size_ == committed_) grow(1);
  if (!detect_anomaly_ || std::isfinite(out)) return out;  // push() stores the node
  push_limit_ = committed_;  // room is there: push()'s own stores, then the error naming the node
  const Index i = push(op, out, a, b);
  update_push_limit();
  check_forward(i);  // raises
  return out;
}

Tape::Index Tape::lowest_op(Index end) {
  Index i = std::min(leaf_prefix_, end);
  while (i < end && op_[i] == Op::Leaf) ++i;
  leaf_prefix_ = std::max(leaf_prefix_, i);
  return i;
}

}  // namespace micrograd
