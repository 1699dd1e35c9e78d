"""`micrograd lecture` prints the lecture's stages computed by the C++ engine: every number is
checked here against the lecture's code in plain Python (floats, and test_lecture's PyValue)."""
import math
import os
import random
import subprocess

import pytest

from test_lecture import XS, YS, PyValue, _lecture_nn, _neuron

CLI = os.environ.get("MICROGRAD_CLI")
pytestmark = pytest.mark.skipif(not CLI, reason="MICROGRAD_CLI (the micrograd program) not set")


@pytest.fixture(scope="module")
def parts():
    """{part number: {label: printed value}} from the program's output."""
    out = subprocess.run([CLI, "lecture"], check=True, capture_output=True, text=True).stdout
    parts, part = {}, None
    for line in out.splitlines():
        if not line.startswith("  "):
            part = parts.setdefault(int(line.split(".")[0]), {})
        else:
            label, value = line.strip().rsplit(" = ", 1)
            part[label] = value
    assert sorted(parts) == [1, 2, 3, 4, 5]
    return parts


def f(x):
    return 3*x**2 - 4*x + 5


def test_the_derivative_by_a_small_h(parts):
    lines = parts[1]
    assert lines["f(3.0)"] == repr(f(3.0)) == "20.0"
    h = 0.0000001
    for x in (3.0, -3.0, 2/3):
        assert lines[f"(f(x + h) - f(x))/h at x = {x!r}, h = {h!r}"] == repr((f(x + h) - f(x)) / h)
    a, b, c, h = 2.0, -3.0, 10.0, 0.0001
    d1 = a*b + c
    assert lines["slope of d in a (h = 0.0001)"] == repr(((a + h)*b + c - d1) / h)
    assert lines["slope of d in b"] == repr((a*(b + h) + c - d1) / h)
    assert lines["slope of d in c"] == repr((a*b + (c + h) - d1) / h)


def test_the_expressions_numerical_check(parts):
    lines = parts[2]
    def L(a, b, c, f):
        return (a*b + c) * f
    h, L1 = 0.001, L(2.0, -3.0, 10.0, -2.0)
    assert lines["L"] == "-8.0"
    assert lines["(L(a + h) - L)/h"] == repr((L(2.0 + h, -3.0, 10.0, -2.0) - L1) / h)
    assert lines["(L(f + h) - L)/h"] == repr((L(2.0, -3.0, 10.0, -2.0 + h) - L1) / h)


def test_the_neuron_both_ways(parts):
    # The lecture's neuron on PyValue, with tanh (part 3), then with tanh broken into exp (part 4).
    for number, through_exp in ((3, False), (4, True)):
        v = _neuron(PyValue)
        n = v["n"]
        if through_exp:
            e = (2*n).exp()
            o = (e - 1) / (e + 1)
        else:
            o = n.tanh()
        o.backward()
        lines = parts[number]
        assert lines["o"] == repr(o.data)
        for name in ("x1", "x2", "w1", "w2", "b"):
            assert lines[f"do/d{name}"] == repr(float(v[name].grad)), (number, name)
    assert parts[3]["o"] == "0.7071067811865476" and parts[3]["do/dx1"] == "-1.4999999999999996"


def test_the_mlp_trained_as_in_the_lecture(parts):
    lines = parts[5]
    Neuron, Layer, MLP = _lecture_nn(PyValue)
    random.seed(1337)
    n = MLP(3, [4, 4, 1])
    for k in range(20):
        for p in n.parameters():
            p.grad = 0.0
        ypred = [n(x) for x in XS]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(YS, ypred))
        loss.backward()
        for p in n.parameters():
            p.data += -1 * 0.05 * p.grad
        got = float(lines[f"step {k} loss"])
        if k == 0:
            assert got == loss.data  # forward only: the same operations in the same order
        else:  # the grads' summation order is micrograd's set order there: rounding only
            assert math.isclose(got, loss.data, rel_tol=1e-12), k
    for i, y in enumerate(ypred):
        assert math.isclose(float(lines[f"ypred[{i}] (target {YS[i]!r})"]), y.data, rel_tol=1e-12)
