"""The Value class against the lecture's and micrograd's own numbers: ops, reflected forms,
repr, sum(), _prev/_op/label, _backward node by node, double backward, bad input.
Not here: nn (test_nn.py), memory and threads (test_memory.py), PyTorch (test_torch.py)."""
import math
import threading

import pytest

from micrograd_cpp import NonFiniteError, set_detect_anomaly
from micrograd_cpp.engine import Value


def test_lecture_expression_L():
    a = Value(2.0, label='a')
    b = Value(-3.0, label='b')
    c = Value(10.0, label='c')
    e = a * b; e.label = 'e'
    d = e + c; d.label = 'd'
    f = Value(-2.0, label='f')
    L = d * f; L.label = 'L'
    assert L.data == -8.0
    L.backward()
    assert (L.grad, f.grad, d.grad, c.grad, e.grad, a.grad, b.grad) == (1.0, 4.0, -2.0, -2.0, -2.0, 6.0, -4.0)
    assert L.label == 'L' and e.label == 'e' and Value(1.0).label == ''


def lecture_neuron(through_exp):
    x1 = Value(2.0, label='x1'); x2 = Value(0.0, label='x2')
    w1 = Value(-3.0, label='w1'); w2 = Value(1.0, label='w2')
    b = Value(6.8813735870195432, label='b')
    n = x1 * w1 + x2 * w2 + b
    if through_exp:
        e = (2 * n).exp()
        o = (e - 1) / (e + 1)
    else:
        o = n.tanh()
    return o, (x1, w1, x2, w2, b)


@pytest.mark.parametrize("through_exp", [False, True])
def test_lecture_tanh_neuron(through_exp):
    o, (x1, w1, x2, w2, b) = lecture_neuron(through_exp)
    assert o.data == pytest.approx(0.7071067811865476, rel=1e-15)
    o.backward()
    for v, want in [(x1, -1.5), (w1, 1.0), (x2, 0.5), (w2, 0.0), (b, 0.5)]:
        assert v.grad == pytest.approx(want, rel=1e-12, abs=1e-12)


def test_lecture_tanh_neuron_exact():
    o, _ = lecture_neuron(False)
    assert o.data == 0.7071067811865476


def test_lecture_manual_backward_node_by_node():
    # The lecture: o.grad = 1.0, then o._backward(), n._backward(), ... in reverse topological order.
    x1 = Value(2.0); x2 = Value(0.0); w1 = Value(-3.0); w2 = Value(1.0); b = Value(6.8813735870195432)
    x1w1 = x1 * w1; x2w2 = x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    o = n.tanh()
    o.grad = 1.0
    for node in [o, n, x1w1x2w2, b, x1w1, x2w2]:
        node._backward()
    assert n.grad == pytest.approx(0.5)
    assert (x1.grad, w1.grad, x2.grad, w2.grad) == pytest.approx((-1.5, 1.0, 0.5, 0.0))
    # the lecture's own topological sort over _prev works on these Values
    topo, visited = [], set()

    def build_topo(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child)
            topo.append(v)
    build_topo(o)
    assert len(topo) == 10 and topo[-1] is o


def test_lecture_reuse_bug_fixed():
    # a + a: the lecture's "b = a + a" bug; gradients accumulate.
    a = Value(3.0, label='a')
    b = a + a
    b.backward()
    assert a.grad == 2.0
    a = Value(-2.0); b = Value(3.0)
    d = a * b; e = a + b; f = d * e
    f.backward()
    assert (a.grad, b.grad) == (-3.0, -8.0)


def test_micrograd_readme_example():
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    assert f'{g.data:.4f}' == '24.7041'
    g.backward()
    assert g.data == pytest.approx(24.70408163265306, abs=1e-12)
    assert a.grad == pytest.approx(138.83381924198252, abs=1e-12)
    assert b.grad == pytest.approx(645.5772594752186, abs=1e-12)


def test_micrograd_test_engine_sanity_check():
    # micrograd's test/test_engine.py, numbers from its PyTorch run
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    assert y.data == -20.0
    assert x.grad == 46.0


def test_repr_is_micrograds_with_its_ints():
    assert repr(Value(2.0)) == 'Value(data=2.0, grad=0)'  # micrograd's grad starts as the int 0
    assert repr(Value(2)) == 'Value(data=2, grad=0)'
    v = Value(0.1)
    v.grad = 1e-5
    assert repr(v) == 'Value(data=0.1, grad=1e-05)'
    assert repr(Value(1e16)) == 'Value(data=1e+16, grad=0)'
    assert repr(Value(-0.0)) == 'Value(data=-0.0, grad=0)'
    assert repr(Value(float('nan'))) == 'Value(data=nan, grad=0)'
    assert repr(Value(1 / 3)) == f'Value(data={1 / 3!r}, grad=0)'
    assert str(Value(2.5)) == 'Value(data=2.5, grad=0)'
    a, b = Value(2), Value(3)
    assert repr(a * b + 1) == 'Value(data=7, grad=0)'  # int arithmetic stays int
    assert repr(a / b) == f'Value(data={2 * 3 ** -1!r}, grad=0)'  # a * b**-1: a float
    assert repr((a - 5).relu()) == 'Value(data=0, grad=0)'  # micrograd's relu: the int 0
    c = Value(-1.5).relu()
    assert repr(c) == 'Value(data=0, grad=0)'
    d = Value(2.0) * 3.0
    d.backward()
    assert repr(d) == 'Value(data=6.0, grad=1)'  # backward sets the root's grad to the int 1
    p = Value(0.5)
    (p * 2.0).backward()
    assert repr(p) == 'Value(data=0.5, grad=2.0)'
    p.grad = 0
    assert repr(p) == 'Value(data=0.5, grad=0)'
    p.grad = 0.0
    assert repr(p) == 'Value(data=0.5, grad=0.0)'


def test_data_grad_label_read_write():
    v = Value(1.5)
    assert isinstance(v.data, float) and isinstance(v.grad, int)  # micrograd's types
    v.data = 3
    v.grad = 2
    assert isinstance(v.data, int) and isinstance(v.grad, int)
    v.data -= 0.5 * v.grad
    assert v.data == 2.0 and v.grad == 2 and isinstance(v.data, float)
    v.label = 'x'
    assert v.label == 'x'
    with pytest.raises(TypeError):
        v.data = 'three'
    with pytest.raises(TypeError):
        v.grad = None


def test_sum_and_reflected_ops():
    vs = [Value(1.0), Value(2.0), Value(3.5)]
    s = sum(vs)
    assert isinstance(s, Value) and s.data == 6.5
    a = Value(2.0)
    cases = [
        (a + 3, 5.0), (3 + a, 5.0), (a - 3, -1.0), (3 - a, 1.0), (1 - a, -1.0),
        (a * 3, 6.0), (3 * a, 6.0), (a / 4, 0.5), (4 / a, 2.0), (2 / a, 1.0),
        (a ** 3, 8.0), (2 ** a, 4.0), (a ** Value(3.0), 8.0), (-a, -2.0),
        (a + True, 3.0), (a * 2.5, 5.0),
    ]
    for v, want in cases:
        assert isinstance(v, Value) and v.data == want
    x = Value(3.0)
    (2 ** x).backward()
    assert x.grad == pytest.approx(8 * math.log(2))


def test_in_place_forms_rebind():
    a = Value(2.0)
    b = a
    b += 1
    b -= 0.5
    b *= 4
    b /= 2
    b **= 2
    assert a.data == 2.0 and b is not a and b.data == 25.0
    b.backward()
    assert a.grad == pytest.approx(2 * 5 * 2)


def test_ops_and_their_names():
    a = Value(2.0)
    assert a._op == '' and a._prev == set()
    assert (a + 1)._op == '+' and (a * 2)._op == '*'
    assert (a ** 2)._op == '**2' and (a ** -1)._op == '**-1' and (a ** 0.5)._op == '**0.5'
    assert a.relu()._op == 'ReLU' and a.tanh()._op == 'tanh' and a.exp()._op == 'exp'
    assert a.log()._op == 'log' and a.sigmoid()._op == 'sigmoid'
    assert (a ** 2)._prev == {a}
    assert (a * a)._prev == {a}
    b = Value(3.0)
    c = a * b
    assert c._prev == {a, b}
    assert a in c._prev and b in c._prev and Value(2.0) not in c._prev
    # the wrappers handed out by _prev are the Values the user holds
    (child,) = [p for p in c._prev if p.data == 2.0]
    assert child is a
    assert hash(child) == hash(a)


def test_prev_identity_for_nodes_without_python_handles():
    a = Value(1.0)
    c = (a * 2 + 1) * 3
    (mid,) = [p for p in c._prev if p._op == '+']
    assert mid is next(p for p in c._prev if p._op == '+')  # same object every time
    mid.label = 'mid'
    (again,) = [p for p in c._prev if p._op == '+']
    assert again.label == 'mid'


def test_unary_values():
    assert Value(-1.0).relu().data == 0.0 and Value(2.0).relu().data == 2.0
    assert Value(0.5).tanh().data == math.tanh(0.5)
    assert Value(0.5).exp().data == math.exp(0.5)
    assert Value(0.5).log().data == math.log(0.5)
    assert Value(0.5).sigmoid().data == pytest.approx(1 / (1 + math.exp(-0.5)))


def test_children_constructor_only_shows_children():
    a = Value(2.0); b = Value(3.0)
    c = Value(5.0, (a, b), '+', label='c')
    assert c._prev == {a, b} and c._op == '+' and c.label == 'c'
    c.backward()
    assert c.grad == 1.0 and a.grad == 0.0 and b.grad == 0.0
    c._backward()
    assert a.grad == 0.0
    with pytest.raises(TypeError):
        Value(1.0, (a, 'x'), '+')


def test_second_backward_adds_into_every_node_like_micrograd():
    x = Value(3.0)
    z = 2 * x * x  # t = x*2, then z = t*x
    z.backward()
    assert x.grad == 12.0
    z.backward()  # t holds 3 from the first pass and passes 6 on: x gets 6 + 2*6 more
    assert x.grad == 30.0
    x.grad = 0.0
    z.backward()  # t now 9: x = 0 + 6 + 2*9
    assert x.grad == 24.0


def test_pytorch_semantics_recompute_intermediate_nodes():
    from micrograd_cpp import get_backward_semantics, set_backward_semantics
    assert get_backward_semantics() == 'micrograd'
    set_backward_semantics('pytorch')
    try:
        x = Value(3.0)
        z = 2 * x * x
        z.backward()
        z.backward()
        assert x.grad == 24.0  # torch: 12 + 12
        x.grad = 0.0
        z.backward()
        assert x.grad == 12.0
        with pytest.raises(ValueError, match="micrograd"):
            set_backward_semantics('tensorflow')
    finally:
        set_backward_semantics('micrograd')


def test_numbers_of_every_kind():
    from fractions import Fraction
    a = Value(1)
    assert (a + Fraction(1, 2)).data == 1.5
    assert (a + 2 ** 60).data == float(2 ** 60)
    with pytest.raises(OverflowError):
        a + 10 ** 400
    np = pytest.importorskip("numpy")
    assert (a + np.float64(0.5)).data == 1.5
    assert (np.int64(-1) * a).data == -1.0
    assert isinstance(np.int64(3) * a, Value)
    assert (a * np.int64(3)).data == 3.0
    assert Value(np.float32(0.5)).data == 0.5


@pytest.mark.parametrize("bad", ["x", None, [1.0], {}, object(), 1j, b"1"])
def test_bad_types_raise_type_error(bad):
    a = Value(1.0)
    for op in (lambda: a + bad, lambda: bad + a, lambda: a * bad, lambda: bad * a, lambda: a - bad,
               lambda: bad - a, lambda: a / bad, lambda: bad / a, lambda: a ** bad, lambda: bad ** a):
        with pytest.raises(TypeError):
            op()
    with pytest.raises(TypeError):
        Value(bad)


def test_misc_misuse_does_not_crash():
    a = Value(1.0)
    with pytest.raises(TypeError):
        pow(a, 2, 3)
    with pytest.raises(TypeError):
        a < Value(2.0)
    v = Value.__new__(Value)
    with pytest.raises(TypeError):
        v + 1
    with pytest.raises(TypeError):
        a + v
    with pytest.raises(TypeError):
        Value()


def test_nan_and_inf_flow_through_without_anomaly_mode():
    a = Value(-1.0)
    b = a.log()
    assert math.isnan(b.data)
    c = Value(1000.0).exp()
    assert math.isinf(c.data)
    d = Value(float('nan')) * 2
    d.backward()
    assert math.isnan(d.data)


def test_a_node_with_grad_zero_passes_nothing_a_deliberate_difference():
    """docs/design.md: micrograd runs every reached node's _backward, also at grad 0, so 0 * inf
    gives it a.grad = e.grad = nan here (checked with micrograd.engine); we pass nothing: 0."""
    a = Value(1e200)
    e = a * a  # inf
    f = e * e  # inf; d f/d e = e = inf
    r = (f * -1).relu()
    r.backward()
    assert r.data == 0 and f.grad == 0
    assert e.grad == 0 and a.grad == 0  # micrograd: nan, nan


def test_detect_anomaly_raises_nonfinite_error():
    set_detect_anomaly(True)
    try:
        a = Value(-1.0, label='a')
        with pytest.raises(NonFiniteError, match="log"):
            a.log()
        with pytest.raises(ValueError):  # NonFiniteError is a ValueError
            Value(0.0) ** -1
    finally:
        set_detect_anomaly(False)
    assert math.isnan(Value(-1.0).log().data)


def test_operators_and_data_grad_raise_the_engines_errors():
    # The operators, unary minus and data/grad run as the type's own slots: the same errors.
    from micrograd_cpp import StaleValueError
    set_detect_anomaly(True)
    try:
        with pytest.raises(NonFiniteError, match=r"\*\*"):
            Value(1.0) / Value(0.0)  # 1 * 0**-1: inf, named by the op that made it
        with pytest.raises(NonFiniteError):
            Value(1e308) * 10.0
    finally:
        set_detect_anomaly(False)
    made = []
    t = threading.Thread(target=lambda: made.append(Value(2.0)))
    t.start()
    t.join()
    stale = made[0]  # its thread ended: its node is gone
    for use in (lambda: stale + 1, lambda: 1 + stale, lambda: -stale, lambda: stale ** 2,
                lambda: stale.data, lambda: stale.grad):
        with pytest.raises(StaleValueError):
            use()
    with pytest.raises(StaleValueError):
        stale.data = 1.0
    a = Value(1.0)
    with pytest.raises(TypeError, match="Value.data"):
        a.data = "x"
    with pytest.raises(AttributeError):
        del a.grad
    a.grad = 2  # an int stays an int, as in micrograd
    assert a.grad == 2 and isinstance(a.grad, int)
    with pytest.raises(TypeError):
        -Value.__new__(Value)
    assert (2 - a).data == 1.0 and (a - 2).data == -1.0 and (2 / Value(4.0)).data == 0.5
    assert (2 ** Value(3.0)).data == 8.0 and (Value(3.0) ** 2).data == 9.0
