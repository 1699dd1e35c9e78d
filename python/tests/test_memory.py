"""Memory and safety: a notebook-style loop runs in bounded memory, nodes reachable from Python
survive collection, Values of ended or other threads raise instead of crashing, and deep graphs
(10 million nodes) go forward, backward and through trace() without recursion.
Not here: numbers of the ops (test_engine.py)."""
import gc
import os
import subprocess
import sys
import threading

import pytest

from micrograd_cpp import MLP, StaleValueError, Value, _core, trace

HERE = os.path.dirname(os.path.abspath(__file__))

DEMO_RSS = """
import random, resource, sys
sys.path.insert(0, {here!r})
from demo import run_demo
from micrograd_cpp import MLP, Value, _core
random.seed(1337)
X, y = _core.make_moons(100, 0.1, 1)   # lists: no numpy in this process
model, history = run_demo(Value, MLP, X, [int(v) for v in y], steps={steps})
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, _core.tape_size(), _core.pinned_count())
"""


def demo_peak_rss(steps):
    out = subprocess.run([sys.executable, "-c", DEMO_RSS.format(here=HERE, steps=steps)],
                         capture_output=True, text=True, env=dict(os.environ), check=True).stdout
    rss_kib, tape_size, pinned = map(int, out.split())
    return rss_kib, tape_size, pinned


def test_notebook_loop_runs_in_bounded_memory():
    rss10, tape10, pinned10 = demo_peak_rss(10)
    rss1000, tape1000, pinned1000 = demo_peak_rss(1000)
    print(f"peak RSS: 10 steps {rss10} KiB, 1000 steps {rss1000} KiB "
          f"(ratio {rss1000 / rss10:.3f}); tape {tape10} / {tape1000} nodes; pinned {pinned10} / {pinned1000}")
    if not os.environ.get("MICROGRAD_SANITIZED"):  # ASan's quarantine keeps freed memory resident
        assert rss1000 <= 1.5 * rss10
    assert tape1000 <= 2 * max(tape10, 1 << 17)
    assert pinned1000 == pinned10 == 337  # the model's parameters only


def test_collect_keeps_what_python_reaches():
    a = Value(2.0, label='a')
    garbage = [Value(float(i)) * 3 for i in range(10000)]
    b = a * 3 + 1
    c = b.tanh()
    del garbage, b
    gc.collect()
    before = _core.tape_size()
    _core.collect()
    assert _core.tape_size() < before
    (b_again,) = c._prev
    assert b_again.data == 7.0 and b_again._op == '+'
    c.backward()
    assert a.grad == pytest.approx(3 * (1 - c.data ** 2))
    assert a.label == 'a'
    # the same wrappers come back after nodes moved: set membership still works
    s = {a, c}
    _core.collect()
    assert a in s and c in s and next(iter(c._prev)) is b_again


def test_automatic_collection_bounds_the_tape():
    x = Value(1.0)
    for _ in range(300_000):
        y = x * 2 + 1  # noqa: F841  (rebinding drops the old graph)
    assert _core.tape_size() < 200_000


def run_in_thread(fn):
    out = {}
    t = threading.Thread(target=lambda: out.update(fn()))
    t.start()
    t.join()
    return out


def test_values_of_an_ended_thread_raise_stale_value_error():
    out = run_in_thread(lambda: {"v": Value(2.0) * 3, "model": MLP(2, [2, 1])})
    v = out["v"]
    with pytest.raises(StaleValueError, match="thread that has ended"):
        v.data
    with pytest.raises(StaleValueError):
        v + 1
    with pytest.raises(StaleValueError):
        1 + v
    with pytest.raises(StaleValueError):
        repr(v)
    with pytest.raises(StaleValueError):
        v.backward()
    with pytest.raises(StaleValueError):
        v._prev
    with pytest.raises(StaleValueError):
        out["model"]([1.0, 2.0])
    assert v in {v}  # identity hashing still works
    assert isinstance(StaleValueError("x"), RuntimeError)
    del out, v
    gc.collect()
    # later threads (which may reuse the ended thread's tape) work normally
    res = run_in_thread(lambda: {"d": (Value(3.0) * 2).data})
    assert res["d"] == 6.0


def test_values_of_two_live_threads_do_not_mix():
    ready, done, out = threading.Event(), threading.Event(), {}

    def work():
        out["v"] = Value(2.0)
        ready.set()
        done.wait()

    t = threading.Thread(target=work)
    t.start()
    ready.wait()
    try:
        v = out["v"]
        with pytest.raises(RuntimeError, match="another thread"):
            v.data  # reading another thread's Value is refused too (its tape is that thread's)
        mine = Value(1.0)
        for op in (lambda: v + mine, lambda: mine + v, lambda: v * 2, lambda: 2 * v, lambda: v.relu(),
                   lambda: MLP(1, [1])([v])):
            with pytest.raises(RuntimeError, match="another thread"):
                op()
    finally:
        done.set()
        t.join()


def test_threads_training_side_by_side():
    def train(seed):
        w = Value(float(seed))
        for _ in range(200):
            loss = (w * 3 - 6) ** 2
            w.grad = 0.0
            loss.backward()
            w.data -= 0.01 * w.grad
        return {seed: w.data}

    results = {}
    threads = [threading.Thread(target=lambda s=s: results.update(train(s))) for s in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    single = {}
    for s in range(6):
        single.update(train(s))
    assert results == single and all(abs(v - 2.0) < 1e-6 for v in results.values())


def test_ten_million_node_chain():
    x = Value(1.0)
    y = x
    for _ in range(5_000_000):  # a leaf and a product per step: 10M nodes, depth 5M
        y = y * 1.0000001
    assert y.data == pytest.approx(1.0000001 ** 5_000_000, rel=1e-9)
    y.backward()
    assert x.grad == pytest.approx(1.0000001 ** 5_000_000, rel=1e-9)
    del x, y
    _core.collect()


def test_deep_graphs_trace_and_free_without_recursion():
    x = Value(0.5)
    y = x
    for _ in range(200_000):
        y = y.tanh() + 0.1
    nodes, edges = trace(y)
    assert len(nodes) == 3 * 200_000 + 1 and len(edges) == 3 * 200_000
    v = Value(0.0)
    for _ in range(1_000_000):  # a million nested shown-children tuples
        v = Value(1.0, (v,), 'id')
    del v, nodes, edges, y
