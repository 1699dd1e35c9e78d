"""micrograd_cpp.datasets: small data sets, from the C++ library's seeded generators.

make_moons(n_samples=100, noise=None, random_state=None) stands in for scikit-learn's, so
micrograd's demo runs without sklearn: it returns (X, y) with y in {0, 1} (the notebook then does
y = y*2 - 1) as numpy arrays when numpy is installed, else as lists. The points follow sklearn's
construction but come from our own RNG: the same seed gives the same points on every machine,
not sklearn's points. random_state=None draws the seed from Python's `random` module, so
random.seed(1337) (as in the notebook) makes it repeatable.
Not here: CSV loading (the C++ library and CLI have it).
"""
import random

from . import _core

__all__ = ["make_moons", "make_circles", "make_spiral", "lecture_dataset"]


def _seed(random_state):
    if random_state is None:
        return random.getrandbits(64)
    if isinstance(random_state, int) and random_state >= 0:
        return random_state
    raise TypeError(f"random_state must be None or an int >= 0, got {random_state!r}")


def _as_arrays(X, y, zero_one):
    if zero_one:
        y = [0 if v < 0 else 1 for v in y]
    try:
        import numpy as np
    except ImportError:
        return X, y
    return np.array(X, dtype=np.float64), np.array(y, dtype=np.int64 if zero_one else np.float64)


def make_moons(n_samples=100, noise=None, random_state=None):
    """Two interleaving half circles; labels 0 (outer) / 1 (inner), like sklearn."""
    X, y = _core.make_moons(n_samples, 0.0 if noise is None else noise, _seed(random_state))
    return _as_arrays(X, y, True)


def make_circles(n_samples=100, noise=None, factor=0.8, random_state=None):
    """Two concentric circles (inner radius `factor`); labels 0 (outer) / 1 (inner), like sklearn."""
    X, y = _core.make_circles(n_samples, 0.0 if noise is None else noise, factor, _seed(random_state))
    return _as_arrays(X, y, True)


def make_spiral(n_per_class=100, classes=3, random_state=None):
    """cs231n's spiral: labels 0 .. classes-1 (-1/+1 when classes == 2)."""
    X, y = _core.make_spiral(n_per_class, classes, _seed(random_state))
    return _as_arrays(X, [int(v) for v in y], False)


def lecture_dataset():
    """The lecture's xs (4 rows of 3 numbers) and ys = [1.0, -1.0, -1.0, 1.0], as lists."""
    return _core.lecture_dataset()
