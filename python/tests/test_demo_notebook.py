"""micrograd's demo.ipynb, number for number: `micrograd train`'s default run and the notebook's
own code on micrograd_cpp against the 100 lines the notebook printed (tests/golden), and the two
random streams it depends on (NumPy's, Python's) against NumPy, scikit-learn and Python.

What "the same digits" can mean here: step 0 depends only on the data and the initial weights and
is the notebook's to the last digit, as is step 99. Every later loss also depends on the order in
which a node's gradient contributions are summed; micrograd takes that order from Python sets of
Values, that is from object addresses, so micrograd itself does not print its notebook's last
digit at most steps (measured: 79 of 100 lines differ on this machine, Python 3.11, and a second
run can differ from the first). The tests hold every accuracy to the notebook's exactly and every
loss to 1e-13 relative (the largest difference seen is 6.3e-15); and, where micrograd is at hand,
micrograd with its sets in operand order prints our lines exactly.
"""
import os
import random
import re
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "..", "tests", "golden", "demo_ipynb_steps.txt")
LINE = re.compile(r"^step (\d+) loss (\S+), accuracy (\S+)%$")

sys.path.insert(0, HERE)
from demo import run_demo  # noqa: E402

import micrograd_cpp  # noqa: E402
from micrograd_cpp.datasets import NumpyRandomState, PythonRandom, make_moons  # noqa: E402


def notebook_lines():
    return [l.rstrip("\n") for l in open(GOLDEN) if l.startswith("step")]


def check_against_notebook(lines):
    nb = notebook_lines()
    assert len(lines) == len(nb) == 100
    assert lines[0] == nb[0] == "step 0 loss 0.8958441028683222, accuracy 50.0%"
    assert lines[99] == nb[99]
    for ours, theirs in zip(lines, nb):
        a, b = LINE.match(ours), LINE.match(theirs)
        assert a and b, (ours, theirs)
        assert a.group(1) == b.group(1) and a.group(3) == b.group(3), (ours, theirs)
        la, lb = float(a.group(2)), float(b.group(2))
        assert abs(la - lb) <= 1e-13 * abs(lb), (ours, theirs)
    return sum(a == b for a, b in zip(lines, nb))


def notebook_code_lines():
    """The notebook's cells on micrograd_cpp: its data, its weights, its loop."""
    np = pytest.importorskip("numpy")
    np.random.seed(1337)
    random.seed(1337)
    X, y = make_moons(n_samples=100, noise=0.1)
    y = y * 2 - 1
    _, history = run_demo(micrograd_cpp.Value, micrograd_cpp.MLP, X.tolist(), y.tolist())
    return [f"step {k} loss {loss}, accuracy {acc*100}%" for k, (loss, acc) in enumerate(history)]


def test_the_notebooks_code_on_micrograd_cpp():
    check_against_notebook(notebook_code_lines())


@pytest.mark.skipif(not os.environ.get("MICROGRAD_CLI"), reason="MICROGRAD_CLI (the program) not set")
def test_the_program_prints_the_notebooks_lines(tmp_path):
    r = subprocess.run([os.environ["MICROGRAD_CLI"], "train", "--no-plots", "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    lines = [l for l in r.stderr.splitlines() if l.startswith("step ")]
    assert "micrograd's random streams" in r.stdout
    identical = check_against_notebook(lines)
    assert identical >= 20  # measured: 20 (micrograd itself on this machine: 21 to 25)
    # The program and the notebook's code on micrograd_cpp: one engine, the same 100 lines.
    assert lines == notebook_code_lines()


def test_python_random_stream():
    for seed in (0, 1, 1337, 2**32 - 1, 2**32 + 5, 2**63 + 11):
        ours, theirs = PythonRandom(seed), random.Random(seed)
        for _ in range(700):  # past one 624-word twist
            assert ours.getrandbits32() == theirs.getrandbits(32)
        for _ in range(1000):
            assert ours.random() == theirs.random()
            assert ours.uniform(-1, 1) == theirs.uniform(-1, 1)


def test_numpy_stream():
    np = pytest.importorskip("numpy")
    for seed in (0, 1, 1337, 2**31, 2**32 - 1):
        ours, theirs = NumpyRandomState(seed), np.random.RandomState(seed)
        for _ in range(500):
            assert ours.random_sample() == theirs.random_sample()
            assert ours.normal(0.0, 0.1) == theirs.normal(0.0, 0.1)
            assert ours.standard_normal() == theirs.standard_normal()
        for n in (0, 1, 2, 10, 100, 1000):
            assert ours.permutation(n) == theirs.permutation(n).tolist()
        key, pos, has_gauss, gauss = ours.get_state()
        name, tkey, tpos, thas, tgauss = theirs.get_state()
        assert (key, pos, has_gauss, gauss) == (tkey.tolist(), tpos, thas, tgauss)


# scikit-learn's points, bit for bit. NumPy uses its own vectorized cos and sin on AVX-512 CPUs
# (1 ulp off the C library's at some points); the comparison turns that off, as on other CPUs.
SKLEARN_CHECK = r"""
import numpy as np
from sklearn.datasets import make_moons as theirs
from micrograd_cpp.datasets import make_moons as ours
n_checked = 0
for n in (0, 1, 2, 3, 7, 100, 1001):
    for noise in (None, 0.0, 0.1, 0.3):
        for seed in (0, 1, 1337, 2**32 - 1):
            for shuffle in (True, False):
                a = theirs(n, noise=noise, random_state=seed, shuffle=shuffle)
                b = ours(n, noise=noise, random_state=seed, shuffle=shuffle)
                assert a[0].shape == b[0].shape and (a[0] == b[0]).all() and (a[1] == b[1]).all()
                n_checked += 1
np.random.seed(1337)  # the notebook: the global generator, which both leave in the same state
a = theirs(n_samples=100, noise=0.1); a_next = np.random.permutation(100)
np.random.seed(1337)
b = ours(n_samples=100, noise=0.1); b_next = np.random.permutation(100)
assert (a[0] == b[0]).all() and (a[1] == b[1]).all() and (a_next == b_next).all()
rs = np.random.RandomState(5); a = theirs(51, noise=0.2, random_state=rs); a_next = rs.normal()
rs = np.random.RandomState(5); b = ours(51, noise=0.2, random_state=rs); b_next = rs.normal()
assert (a[0] == b[0]).all() and a_next == b_next
print(n_checked)
"""


def test_make_moons_is_scikit_learns():
    pytest.importorskip("sklearn")
    env = dict(os.environ, NPY_DISABLE_CPU_FEATURES="AVX512F AVX512CD AVX512_SKX AVX512_CLX "
                                                    "AVX512_CNL AVX512_ICL")
    r = subprocess.run([sys.executable, "-c", SKLEARN_CHECK], env=env, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["224"]


def test_make_moons_bad_input():
    with pytest.raises(ValueError):
        make_moons(-1)
    with pytest.raises(ValueError):
        make_moons(10, random_state=2**32)
    with pytest.raises(TypeError):
        make_moons(10, random_state="seed")
    with pytest.raises(ValueError):
        make_moons(10, noise=-0.1, random_state=1)


# micrograd itself, with one change: each Value's `_prev` iterates in operand order instead of a
# set's (address) order. Then micrograd prints exactly our lines: all 100 of them (measured
# 2026-11-30, MICROGRAD_STEPS=100, about 3 minutes). The differences from the notebook are its
# set order, nothing else. Needs a karpathy/micrograd checkout (MICROGRAD_PATH); not in CI.
@pytest.mark.skipif(not os.environ.get("MICROGRAD_PATH"), reason="MICROGRAD_PATH (micrograd) not set")
def test_micrograd_in_operand_order_prints_our_lines():
    np = pytest.importorskip("numpy")
    steps = int(os.environ.get("MICROGRAD_STEPS", "10"))
    sys.path.insert(0, os.environ["MICROGRAD_PATH"])
    try:
        from micrograd.engine import Value as MgValue
        from micrograd.nn import MLP as MgMLP
    finally:
        sys.path.pop(0)
    original = MgValue.__init__

    def init(self, data, _children=(), _op=''):
        original(self, data, _children, _op)
        self._prev = list(dict.fromkeys(_children))  # operand order, duplicates once (as a set)

    MgValue.__init__ = init
    try:
        np.random.seed(1337)
        random.seed(1337)
        X, y = make_moons(n_samples=100, noise=0.1)  # scikit-learn's points (tested above)
        y = y * 2 - 1
        _, theirs = run_demo(MgValue, MgMLP, X.tolist(), y.tolist(), steps=steps)
    finally:
        MgValue.__init__ = original
    ours = notebook_code_lines()[:steps]
    assert [f"step {k} loss {l}, accuracy {a*100}%" for k, (l, a) in enumerate(theirs)] == ours


def test_generators_refuse_what_they_cannot_do():
    import pickle
    for cls in (NumpyRandomState, PythonRandom):
        with pytest.raises(TypeError, match="never initialised"):
            cls.__new__(cls).random_sample() if cls is NumpyRandomState else cls.__new__(cls).random()
        for protocol in (0, 1, 2):
            with pytest.raises(TypeError):
                pickle.dumps(cls(1), protocol)
    with pytest.raises(ValueError, match="624 words"):
        NumpyRandomState(1).set_state(([0] * 3, 1, 0, 0.0))
    with pytest.raises(ValueError, match="position must be 0 to 624"):
        NumpyRandomState(1).set_state(([0] * 624, 625, 0, 0.0))
