"""Your own ops, the lecture's way (Value(data, children, op) + out._backward), and keeping work
(pickle, copy): what the lecture harness (test_lecture.py) does not reach: lifetimes, errors,
memory, a fresh process."""
import copy
import gc
import math
import os
import pickle
import subprocess
import sys

import pytest

from micrograd_cpp import _core
from micrograd_cpp.engine import Value
from micrograd_cpp.nn import MLP


class Sub(Value):
    """A subclass at module level (pickle finds classes by name)."""


def mytanh(self):
    t = (math.exp(2 * self.data) - 1) / (math.exp(2 * self.data) + 1)
    out = Value(t, (self,), 'tanh')

    def _backward():
        self.grad += (1 - t ** 2) * out.grad
    out._backward = _backward
    return out


def test_an_own_op_gives_the_lectures_gradient():
    x = Value(0.5)
    y = mytanh(x)
    assert y._op == 'tanh' and y._prev == {x}
    y.backward()
    assert x.grad == 1 - math.tanh(0.5) ** 2 == pytest.approx(0.7864477329659274, abs=1e-16)


def test_children_keyword_and_no_backward_passes_nothing():
    x = Value(2.0)
    y = Value(4.0, children=(x,), _op='sq')  # the lecture's text spells it children=
    assert y._prev == {x} and y._op == 'sq'
    (y * 3).backward()
    assert x.grad == 0  # micrograd's default _backward is lambda: None
    with pytest.raises(TypeError, match="once"):
        Value(1.0, (x,), children=(x,))
    with pytest.raises(TypeError, match="must be a Value"):
        Value(1.0, (x, 2.0))


def test_the_closure_lives_as_long_as_a_graph_that_reaches_it():
    x = Value(0.3)
    r = mytanh(x * 2.0) * 3.0 + 1.0  # the own node's Python object is held by nothing we see
    s = r + 0.0
    del r
    gc.collect()
    for _ in range(3):  # also across collections of the tape
        _core.collect()
    s.backward()
    t = math.tanh(0.6)
    assert x.grad == pytest.approx(3.0 * (1 - t * t) * 2.0, rel=1e-15)


def test_own_ops_through_nn_and_losses_keep_their_closures():
    from micrograd_cpp.losses import mse
    x = [mytanh(Value(0.1 * k)) for k in range(3)]
    model = MLP(3, [4, 1])
    loss = mse([model(x)], [0.5])
    del x
    gc.collect()
    loss.backward()  # the own tanh nodes' closures run (their leaves get gradients)
    grads = [c.grad for node in [loss] for c in _walk(node) if c._op == 'tanh']
    assert len(grads) == 3


def _walk(root):
    seen, stack, out = set(), [root], []
    while stack:
        v = stack.pop()
        if v in seen:
            continue
        seen.add(v)
        out.append(v)
        stack.extend(v._prev)
    return out


def test_graphs_of_own_ops_are_freed():
    def step():
        x = Value(0.2)
        y = x
        for _ in range(50):
            y = mytanh(y * 1.01)
        y.backward()
        return x.grad
    step()
    gc.collect()
    _core.collect()
    before = _core.pinned_count()
    for _ in range(200):
        step()
    gc.collect()
    _core.collect()
    assert _core.pinned_count() <= before + 5  # the cycles out <-> closure were collected


def test_backward_errors_are_clear_and_leave_a_usable_tape():
    x = Value(1.0)
    y = Value(2.0, (x,), 'boom')

    def boom():
        raise KeyError('from my _backward')
    y._backward = boom
    with pytest.raises(KeyError, match='from my _backward'):
        (y * 2).backward()
    z = Value(3.0, (x,), 'again')
    z._backward = lambda: z.backward()
    with pytest.raises(RuntimeError, match='inside a backward callback'):
        z.backward()
    w = x * 5.0
    w.backward()  # the tape works afterwards
    assert x.grad == 5.0
    with pytest.raises(AttributeError, match="built-in op '\\*'"):
        w._backward = lambda: None
    calls = []
    x._backward = lambda: calls.append(x.grad)  # a leaf's: called too, as micrograd does
    (x * 2.0).backward()
    assert calls == [x.grad] and x.grad == 7.0


def test_a_subclass_written_like_micrograd():
    class MyValue(Value):
        def __init__(self, data, _children=(), _op=''):
            super().__init__(data, _children, _op)
            self._backward = lambda: None
            self._prev = set(_children)
            self._op = _op

        def __mul__(self, other):
            other = other if isinstance(other, Value) else MyValue(other)
            out = MyValue(self.data * other.data, (self, other), '*')

            def _backward():
                self.grad += other.data * out.grad
                other.grad += self.data * out.grad
            out._backward = _backward
            return out

    a, b = MyValue(3.0), MyValue(-2.0)
    c = a * b
    d = c * a  # a used twice
    d.backward()
    assert (a.grad, b.grad) == (2 * 3.0 * -2.0, 9.0)
    e = c.tanh()  # built-in op on the subclass's node
    assert type(e) is Value


def test_prev_and_op_are_assignable():
    x, y = Value(1.0), Value(2.0)
    z = Value(3.0, (x, y), '+')
    z._op = 'plus'
    assert z._op == 'plus'
    z._prev = {x}
    assert z._prev == {x}
    with pytest.raises(ValueError, match="made with 2 children"):
        z._prev = {x, y, Value(0.0)}
    w = x + y
    w._prev = {x, y}  # the same set: fine
    with pytest.raises(TypeError, match="fixed"):
        w._prev = {x}
    w._op = 'sum'  # a label only
    assert w._op == 'sum'
    v = Value(1.0)
    v.note = 'mine'
    assert v.note == 'mine' and vars(v) == {'note': 'mine'}


def test_a_fused_neuron_refuses_a_second_micrograd_backward():
    model = MLP(2, [3, 1])
    out = model([Value(1.0), Value(-2.0)])  # inputs made one after another: fused layers
    assert out._op == 'linear'
    out.backward()
    with pytest.raises(RuntimeError, match="fused=False"):
        out.backward()
    unfused = MLP(2, [3, 1], fused=False)
    o = unfused([1.0, -2.0])
    o.backward()
    o.backward()  # micrograd's graph: accumulates like micrograd


def test_pickle_and_copy_of_values_and_models():
    v = Value(2.5, label='v')
    v.grad = 0.25
    v.note = [1, 2]
    for w in (pickle.loads(pickle.dumps(v)), copy.copy(v), copy.deepcopy(v)):
        assert (w.data, w.grad, w.label, w.note) == (2.5, 0.25, 'v', [1, 2])
        assert w is not v and w._prev == set()
        w.data = 1.0
        assert v.data == 2.5
    i = pickle.loads(pickle.dumps(Value(3)))
    assert repr(i) == 'Value(data=3, grad=0)'
    t = pickle.loads(pickle.dumps(mytanh(Value(0.5))))
    assert t._op == 'tanh' and t._prev == set() and t.data == mytanh(Value(0.5)).data
    s = copy.deepcopy(pickle.loads(pickle.dumps(Sub(1.5))))
    assert type(s) is Sub and s.data == 1.5
    model = MLP(3, [4, 4, 1])
    x = [0.5, -1.0, 2.0]
    for m in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        assert m(x).data == model(x).data
        assert [p.data for p in m.parameters()] == [p.data for p in model.parameters()]


def test_a_pickled_model_gives_the_same_outputs_in_a_fresh_process(tmp_path):
    import random
    random.seed(7)
    model = MLP(2, [8, 8, 1])
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(model))
    xs = [[0.1 * k, -0.2 * k] for k in range(5)]
    here = [model(x).data for x in xs]
    code = ("import pickle, sys; m = pickle.load(open(sys.argv[1], 'rb'));"
            f"print([m(x).data for x in {xs!r}])")
    env = dict(os.environ)
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                         env=env, check=True).stdout
    assert out.strip() == repr(here)
