// tape.hpp: where every Value lives. One tape per thread holds the nodes in creation order, in
// columns (data, grad, op, operands); backward is one reverse loop over them.
//
// Creation order is a topological order (a node's operands were created before it), so backward
// needs no sort, no visited set and no recursion. Memory is reserved once (virtual address space)
// and committed as the tape grows; nothing is allocated per node and nothing moves, so references
// to a node's data stay valid while the node lives. Nodes are reclaimed in two ways:
//   - rewind(mark) / TapeScope: drop every node created after a mark (C++ training loops);
//   - collect(): keep what a PinnedValue can reach, slide the rest down (Python wrappers).
// A Value whose node was reclaimed raises StaleValueError; it never reads another node.
// Not here: the user-facing API (value.hpp) and the op table (ops.hpp).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "micrograd/ops.hpp"

namespace micrograd {

class Value;
class PinnedValue;
class Tape;

// Raised when a Value is used after its node was reclaimed (rewound or collected).
struct StaleValueError : std::logic_error {
  using std::logic_error::logic_error;
};
// What a second backward() does to nodes that already hold a gradient.
//   Micrograd (the default): exactly micrograd's `backward()`: the root's grad is set to 1 and
//     every node's gradient, intermediate ones included, is added to what it holds. For z = 2*x*x
//     at x = 3, x.grad is 12 after one backward() and 30 after a second (intermediate nodes
//     carried their first gradients into the second pass).
//   PyTorch: like torch's backward(retain_graph=True): intermediate nodes are recomputed from
//     zero, leaves accumulate; x.grad is 12 then 24.
// Both give the same numbers for the first backward of a freshly built graph.
enum class Semantics : std::uint8_t { Micrograd, PyTorch };

// A callback run by backward() at the turn of each Op::Hook node (Python's `_backward`
// closures). Called with the tape and the node; it reads and writes grads through the tape.
struct BackwardHook {
  virtual void run(Tape& tape, std::uint32_t node) = 0;

 protected:
  ~BackwardHook() = default;
};

// Raised by the opt-in non-finite check (set_detect_anomaly) naming the op and labels involved.
struct NonFiniteError : std::domain_error {
  using std::domain_error::domain_error;
};

class Tape {
 public:
  using Index = std::uint32_t;
  static constexpr Index kMaxNodes = Index{1} << 31;  // ~2.1e9 nodes; virtual reservation only
  // Nodes a tape can hold: kMaxNodes, except in WebAssembly (the interactive page's engine), where
  // a reservation is real memory: 2^18 nodes there (about 9 MB; the page's graphs are small).
#ifdef __EMSCRIPTEN__
  static constexpr Index kCapacity = Index{1} << 18;
#else
  static constexpr Index kCapacity = kMaxNodes;
#endif

  // This thread's tape, created on first use. Values from another thread's tape are refused.
  static Tape& current();

  Tape();
  ~Tape();
  Tape(const Tape&) = delete;
  Tape& operator=(const Tape&) = delete;

  // ---- creating nodes (value.hpp calls these; users normally do not)
  Index push(Op op, double out, Index a, Index b) {
    // push_limit_ is committed_, or 0 while the non-finite check is on: one test for both. The
    // slow path returns here (or throws), so the stores below are the last word on the node and
    // the compiler can pass `out` to the next op in a register. It takes `out` and gives it back:
    // a double live across the call would have to be kept in memory (every vector register is
    // the callee's to change), and compilers then store and reload it on the fast path too.
    if (size_ >= push_limit_) [[unlikely]]
      out = push_slow(op, out, a, b);
    // No grad store: every slot above size_ holds grad 0 (fresh pages, and rewind and collect
    // give every node they drop grad 0 back). A store there could alias any other node's data,
    // so the compiler would reload every value it holds from the tape after each push.
    const Index i = size_++;
    data_[i] = out;  // the only double stored: the next op may take `out` without a reload
    operands_[i] = {a, b};
    op_[i] = op;
    return i;
  }
  Index push_leaf(double out) { return push(Op::Leaf, out, size_, size_); }
  // A Linear node: out = data(b) + sum_k data(w[k]) * data(x[k]), left to right. Checks the
  // handles in w and x (b is checked by the caller); value.hpp's linear() is the public face.
  Index push_linear(Index b, const Value* w, const Value* x, Index n);
  // nout Dense nodes (op: Dense, DenseReLU or DenseTanh), one per neuron of a layer:
  // out_j = act(b_j + w_j0*x_0 + w_j1*x_1 + ...), summed left to right like Linear. Neuron j's
  // weights are nodes params + j*(nin+1) + k and its bias params + j*(nin+1) + nin (micrograd's
  // parameter order); input k is node x + k. The caller checks that both runs are live and do not
  // overlap (value.hpp's dense()). Returns the first node; the outputs are consecutive.
  Index push_dense(Op op, Index params, Index nout, Index x, Index nin);
  // A user-defined node (value.hpp's custom() and Python's Value(data, children, op)): op Custom
  // with d out/d child_k = partials[k] stored, or op Hook (partials == nullptr), whose backward is
  // the hook's. `name` is its `_op`. Checks the handles in `children` (live, this tape).
  Index push_user_op(std::string_view name, double out, const Value* children,
                     const double* partials, Index n);
  // Replaces a Hook node's children (Python's `out._prev = {...}`): at most as many as it was
  // made with, each created before it. Throws std::invalid_argument otherwise.
  void set_hook_children(Index i, const Value* children, Index n);
  // Renames a Custom or Hook node's `_op`.
  void set_user_op_name(Index i, std::string_view name);

  // ---- reading nodes
  Index size() const { return size_; }
  double& data(Index i) { return data_[i]; }
  double& grad(Index i) { return grad_[i]; }
  Op op(Index i) const { return op_[i]; }
  // The children of node i (micrograd's `_prev`, in order): a, b for a binary op, a for a unary
  // one, b, w0, x0, w1, x1, ... for a Linear or Dense node. (PowConst's exponent is not a child.)
  Index num_children(Index i) const {
    const Op op = op_[i];
    if (is_user_op(op)) return operands_[i].b;
    return is_nary(op) ? 2 * operands_[i].b + 1 : static_cast<Index>(arity(op));
  }
  Index child(Index i, Index k) const {
    const Op op = op_[i];
    if (op == Op::Linear) return links_[operands_[i].a + k];
    if (op == Op::Custom) return links_[operands_[i].a + 1 + k];  // after the name
    if (op == Op::Hook) return links_[operands_[i].a + 2 + k];    // after the name and room
    if (is_dense(op)) {  // links: first weight, first input; the bias follows the weights
      const Index* run = links_ + operands_[i].a;
      return k == 0 ? run[0] + operands_[i].b : run[(k - 1) % 2] + (k - 1) / 2;
    }
    return k == 0 ? operands_[i].a : operands_[i].b;
  }
  const std::string& label(Index i) const;
  void set_label(Index i, std::string label);
  // The lecture's `_op`: "+", "*", "tanh", "**2", "**-1", ... ("" for a leaf).
  std::string op_string(Index i) const;
  // A non-leaf's grad is about to be written by the user (it may be non-zero from now on).
  void note_grad_written(Index i) {
    if (op_[i] != Op::Leaf && i < dirty_lo_) dirty_lo_ = i;
  }

  // ---- generations: is a handle (index, generation) still naming the node it was made for?
  std::uint32_t generation() const { return generation_; }
  // Every op checks its operands with this, so the common cases are one or two comparisons:
  //   - a handle of the current generation is live: within a generation the tape only grows (every
  //     drop starts a new one), so its index is below size_ without looking;
  //   - an older handle (a parameter made before the step's TapeScope) is live below the floor of
  //     the first cut after it, remembered for the last generation asked about (memo_floor_).
  // Until the numbering first wraps (2^32 - 1 cuts) fast_generation_ is generation_; after that a
  // handle from before the wrap could carry the current number, so fast_generation_ becomes a
  // number no handle has and a current handle's index is tested too.
  bool is_live(Index i, std::uint32_t generation) const {
    return generation == fast_generation_ || is_live_old(i, generation);
  }
  bool is_live_old(Index i, std::uint32_t generation) const {
    if (memo_generation_ == generation) [[likely]]
      return i < memo_floor_;  // the memo's floor is at most size_ (see cut())
    if (generation == generation_) return i < size_;  // (after the numbering wrapped)
    return is_live_cold(i, generation);
  }

  // ---- gradients
  // grad(root) = 1, then every node the root was computed from gets d root / d node, added to the
  // grad it holds. What a node that already holds a gradient does is set by semantics() (see
  // Semantics): micrograd's by default. Runs Op::Hook nodes' callbacks at their turn; an
  // exception from one propagates (the grads written so far stay). Micrograd semantics cannot
  // pass a second gradient through a fused neuron (Linear, Dense*): that raises
  // std::logic_error naming the node, before any grad is changed.
  void backward(Index root);
  // The lecture's `node._backward()`: push this node's grad into its operands, nothing else.
  void backward_one(Index i);
  // d node i/d child for each child, in the order backward_one() adds them (a child used twice,
  // as in a*a, appears twice). A callback node's (Op::Hook) are its callback's: empty here.
  std::vector<std::pair<Index, double>> local_derivatives(Index i) const;
  Semantics semantics() const { return semantics_; }
  void set_semantics(Semantics s) { semantics_ = s; }
  // The callback for Op::Hook nodes (nullptr: none; backward then raises at a Hook node).
  void set_backward_hook(BackwardHook* hook) { hook_ = hook; }
  BackwardHook* backward_hook() const { return hook_; }
  // True while backward() runs (a hook may run user code: collect() is refused then).
  bool in_backward() const { return in_backward_; }
  // With track_reached on, every backward() marks the nodes its root reaches (one extra pass), and
  // reached(i) answers for the last backward() until the next backward() or collect().
  void set_track_reached(bool on) { track_reached_ = on; }
  bool reached(Index i) const {
    return std::size_t{i} / 64 < reached_.size() && (reached_[i / 64] >> (i % 64) & 1);
  }

  // ---- reclaiming nodes
  Index mark() const { return size_; }
  // Drops every node created after `mark`; handles to them become stale. No-op if nothing to drop.
  void rewind(Index mark);
  // Keeps the nodes reachable from a pinned value (PinnedValue), slides them down in creation
  // order, and rewrites the pinned handles. Unpinned handles above the first dropped node go stale.
  void collect();
  // collect() if the tape has grown past twice what survived the last collection (and past a
  // floor).
  void maybe_collect() {
    if (size_ > collect_threshold_ && !in_backward_) [[unlikely]]
      collect();
  }
  std::size_t pinned_count() const { return pinned_.size(); }
  // Gives committed memory above the live nodes back to the OS (keeps `slack` nodes).
  void release_unused(Index slack = 1u << 16);

  // ---- checks
  // Opt-in: raise NonFiniteError as soon as a nan/inf appears in forward or backward.
  void set_detect_anomaly(bool on) {
    detect_anomaly_ = on;
    update_push_limit();
  }
  bool detect_anomaly() const { return detect_anomaly_; }
  // The thread that owned this tape has ended (its handles are all stale).
  bool retired() const { return retired_.load(std::memory_order_acquire); }
  // A readable name for node i in error messages: "#12 'x1' (tanh)".
  std::string describe(Index i) const;
  // Where each column starts, in layout order: for the tests of the layout property (no two
  // columns may share cache sets at the same node index; see tape.cpp).
  struct ColumnBase {
    const char* name;
    std::uintptr_t address;
    std::size_t entry_size;
  };
  std::vector<ColumnBase> column_bases() const;
  // Tests only: moves the generation counter on to g (> the current one), to reach its
  // wrap-around.
  void skip_generations_for_testing(std::uint32_t g) {
    if (g <= generation_) return;
    generation_ = g - 1;
    cut(size_);  // as a rewind that dropped nothing would: every live handle stays live
  }

 private:
  friend class PinnedValue;
  struct Operands {
    Index a, b;  // operand indices; a unary op has b == a, a leaf has both == its own index
  };
  struct Cut {
    std::uint32_t generation;  // the generation this cut started
    Index floor;               // handles older than `generation` are live only below `floor`
  };

  void reserve_columns();
  Index commit_target(Index committed, std::size_t needed, const char* what) const;
  void grow(Index nodes);  // commit room for `nodes` more nodes
  // push()'s slow path: commits room for one more node and returns `out`; with the non-finite
  // check on, pushes a non-finite `out` and raises NonFiniteError naming it.
  double push_slow(Op op, double out, Index a, Index b);
  void update_push_limit() { push_limit_ = detect_anomaly_ ? 0 : committed_; }
  // The lowest non-leaf below `end` (end if there is none), from leaf_prefix_ up.
  Index lowest_op(Index end);
  void grow_links(Index needed);
  template <class F>
  void for_each_local_derivative(Index i, Op op, double g, F&& f) const;
  void dense_backward(Index i, Op op, double g);
  void run_hook(Index i);
  Index checked_child(const Value& v) const;  // v's index; throws if stale or on another tape
  Index intern_op_name(std::string_view name);
  void mark_fused_swept(Index i) {
    if (std::size_t{i} / 64 >= swept_.size()) swept_.resize(std::size_t{i} / 64 + 1, 0);
    swept_[i / 64] |= std::uint64_t{1} << (i % 64);
  }
  bool fused_swept(Index i) const {
    return std::size_t{i} / 64 < swept_.size() && (swept_[i / 64] >> (i % 64) & 1);
  }
  void forget_swept_from(Index mark);
  [[noreturn]] void throw_second_pass_through_fused(Index i) const;
  void cut(Index floor);
  bool is_live_cold(Index i, std::uint32_t generation) const;
  void check_forward(Index i) const;
  [[noreturn]] void throw_nonfinite_backward(Index node, Index operand, double g,
                                             double partial) const;
  template <bool kOnlyReached, bool kCheckFinite, bool kSkipRuns = false>
  Index sweep(Index root, Index stop);   // stop: lowest_op(root)
  bool operands_jump(Index root) const;  // (sweep's choice to prefetch)
  template <bool kCheckFinite>
  Index sweep_nary(Index i, Op op, double g);
  template <class F>
  void for_each_child(Index i, F&& f) const;
  void pin(PinnedValue* p);
  void unpin(PinnedValue* p);
  void retire();  // the owning thread ended: free the columns, every handle goes stale
  void revive();  // a new thread takes this retired tape over
  friend struct TapeOwner;
  friend class TapeScope;
  void rewind(Index mark, Index links_mark);  // rewind(mark), the lists' size at mark known
  std::uint64_t collections_ = 0;             // collect() calls so far (TapeScope's check)

  // Columns, reserved once for kMaxNodes (one mapping, skewed bases) and committed as the tape
  // grows.
  char* reserved_ = nullptr;  // the one reservation that holds every column
  std::size_t reserved_bytes_ = 0;
  double* data_ = nullptr;        // forward value of each node
  double* grad_ = nullptr;        // d root / d node after backward
  Op* op_ = nullptr;              // what made the node (printing, drawing, backward)
  Operands* operands_ = nullptr;  // Linear, Dense: {first link, number of (w, x) pairs};
                                  // Custom, Hook: {first link, number of children}
  Index* links_ = nullptr;        // Linear: b, w0, x0, w1, x1, ...; Dense: w0, x0 (runs);
                                  // Custom: name, children, partials (2 links a double);
                                  // Hook: name, room for children, children
  Index size_ = 0;                // nodes in use
  Index committed_ = 0;           // nodes backed by committed memory
  Index push_limit_ = 0;          // push() takes its slow path at this size (update_push_limit)
  Index links_size_ = 0;          // links in use
  Index links_committed_ = 0;     // links backed by committed memory

  Index dirty_lo_ = kMaxNodes;  // lowest non-leaf whose grad may be non-zero (kMaxNodes: none)
  // Nodes [0, leaf_prefix_) are all leaves (parameters, inputs): backward stops above them.
  // Found by lowest_op() when backward needs it, not by every push.
  Index leaf_prefix_ = 0;
  std::uint32_t generation_ = 0;
  // generation_, or kNoGeneration once the numbering has wrapped (is_live()).
  std::uint32_t fast_generation_ = 0;
  // Never a handle's generation: the numbering wraps before reaching it (cut()).
  static constexpr std::uint32_t kNoGeneration = UINT32_MAX;
  std::vector<Cut> cuts_;  // generations and floors increase from front to back
  // After the generation numbering wrapped (2^32 cuts, see cut()): the cuts made before the wrap,
  // and the lowest floor cut since it (handles from before the wrap are live only below it).
  std::vector<Cut> pre_wrap_cuts_;
  Index wrap_floor_ = kMaxNodes;
  bool wrapped_ = false;
  // The generation of the last search and the floor of the first cut after it (written and read
  // on the owner thread only: every check tests the thread first). Reset by every cut to
  // kNoGeneration, which matches no handle. Plain members, not an atomic: an atomic load, even a
  // relaxed one, keeps the compiler from handing an op's result to the next op in a register.
  mutable std::uint32_t memo_generation_ = kNoGeneration;
  mutable Index memo_floor_ = 0;
  std::map<Index, std::string> labels_;
  std::vector<std::uint64_t> reached_;  // bitset scratch for backward and collect
  std::vector<Index> remap_;            // scratch for collect
  std::vector<PinnedValue*> pinned_;
  // Fused nodes (Linear, Dense*) that passed a gradient on: their hidden nodes now hold grads
  // micrograd would keep (bit per node; cleared on rewind, remapped by collect).
  std::vector<std::uint64_t> swept_;
  std::vector<std::string> op_names_;  // user-defined ops' names (links hold the number)
  Index collect_threshold_ = kMaxNodes;
  BackwardHook* hook_ = nullptr;
  Semantics semantics_ = Semantics::Micrograd;
  bool in_backward_ = false;
  bool track_reached_ = false;
  Index backward_root_ = 0;        // the root of the backward() running (in_backward_)
  Index lowest_hook_ = kMaxNodes;  // no Hook node below this
  bool detect_anomaly_ = false;
  // Its thread ended (read by other threads for error messages only, hence atomic).
  std::atomic<bool> retired_{false};
};

// Rewinds this thread's tape on scope exit: every node created inside the scope is reclaimed.
//   for (int step = 0; step < 100; ++step) {
//     micrograd::TapeScope scope;  // the step's graph is reclaimed at the closing brace
//     Value loss = ...; loss.backward(); ...
//   }
// Create the values you keep (parameters) before the scope. Steady state allocates nothing.
class TapeScope {
 public:
  TapeScope()
      : tape_(Tape::current()),
        mark_(tape_.mark()),
        links_mark_(tape_.links_size_),
        generation_(tape_.generation_),
        collections_(tape_.collections_) {}
  ~TapeScope() {
    // The operand lists to keep end at links_mark_ unless a collect() or a rewind below the mark
    // (a node below it would have gone stale) reshaped the tape since: then scan for them.
    if (tape_.collections_ == collections_ && (mark_ == 0 || tape_.is_live(mark_ - 1, generation_)))
      tape_.rewind(mark_, links_mark_);
    else
      tape_.rewind(mark_);
  }
  TapeScope(const TapeScope&) = delete;
  TapeScope& operator=(const TapeScope&) = delete;

 private:
  Tape& tape_;
  Tape::Index mark_;
  Tape::Index links_mark_;     // operand lists in use at the mark
  std::uint32_t generation_;   // the tape's generation at the mark
  std::uint64_t collections_;  // the tape's collect() count at the mark
};

// Turns the non-finite check of this thread's tape on or off (PyTorch: set_detect_anomaly).
inline void set_detect_anomaly(bool on) { Tape::current().set_detect_anomaly(on); }
// What a second backward() does on this thread's tape (Semantics::Micrograd by default).
inline void set_backward_semantics(Semantics s) { Tape::current().set_semantics(s); }

namespace detail {
extern constinit thread_local Tape* this_thread_tape;  // null until Tape::current() first runs
}

}  // namespace micrograd
