"""micrograd_cpp.datasets: small data sets, from the C++ library's generators.

make_moons(n_samples=100, *, shuffle=True, noise=None, random_state=None) is scikit-learn's, bit
for bit, without scikit-learn: the same construction drawing from NumPy's legacy generator
(C++: NumpyRandomState). random_state=None draws from NumPy's global generator and advances it
exactly as scikit-learn would, so micrograd's demo (`np.random.seed(1337)` then
`make_moons(n_samples=100, noise=0.1)`) gets the notebook's points; an int k is
np.random.RandomState(k); a RandomState instance is drawn from and advanced. Without NumPy
installed, random_state=None seeds from Python's `random`, and lists are returned.
(One difference: on AVX-512 CPUs NumPy computes cos and sin with its own vectorized code, 1 ulp
off the C library's at some points; we use the C library's, as NumPy does on every other CPU.)
The other generators (make_circles, make_spiral) follow scikit-learn's and cs231n's construction
with the library's own seeded generator: the same seed gives the same points on every machine.
NumpyRandomState and PythonRandom are NumPy's and Python's streams, for reproducing them.
Not here: CSV loading (the C++ library and CLI have it).
"""
import numbers
import random

from . import _core

__all__ = ["make_moons", "make_circles", "make_spiral", "lecture_dataset", "NumpyRandomState",
           "PythonRandom"]

NumpyRandomState = _core.NumpyRandomState
PythonRandom = _core.PythonRandom


def _seed(random_state):
    if random_state is None:
        return random.getrandbits(64)
    if isinstance(random_state, int) and random_state >= 0:
        return random_state
    raise TypeError(f"random_state must be None or an int >= 0, got {random_state!r}")


def _as_arrays(X, y, zero_one, features=2):
    if zero_one:
        y = [0 if v < 0 else 1 for v in y]
    try:
        import numpy as np
    except ImportError:
        return X, y
    return (np.array(X, dtype=np.float64).reshape(len(X), features),
            np.array(y, dtype=np.int64 if zero_one else np.float64))


def make_moons(n_samples=100, *, shuffle=True, noise=None, random_state=None):
    """Two interleaving half circles, scikit-learn's points; labels 0 (outer) / 1 (inner)."""
    if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral) or n_samples < 0:
        raise ValueError(f"n_samples must be an int >= 0, got {n_samples!r}")
    n_samples = int(n_samples)  # numpy integers too
    try:
        import numpy as np
    except ImportError:
        np = None
    owner = None  # the numpy RandomState whose state we continue (and put back)
    if random_state is None:
        if np is not None:
            owner = np.random.mtrand._rand  # what np.random.seed() seeds
            state = _numpy_state(owner)
        else:
            state = _core.NumpyRandomState(random.getrandbits(32)).get_state()
    elif isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        random_state = int(random_state)
        if not 0 <= random_state < 2**32:
            raise ValueError(f"random_state must be between 0 and 2**32 - 1, got {random_state}")
        state = _core.NumpyRandomState(random_state).get_state()
    elif np is not None and isinstance(random_state, np.random.RandomState):
        owner = random_state
        state = _numpy_state(owner)
    else:
        raise TypeError(f"random_state must be None, an int or a numpy RandomState, got {random_state!r}")
    X, y, state = _core.make_moons_numpy(n_samples, noise, shuffle, state)
    if owner is not None:
        key, pos, has_gauss, gauss = state
        owner.set_state(("MT19937", np.array(key, dtype=np.uint32), pos, has_gauss, gauss))
    return _as_arrays(X, y, True)


def _numpy_state(rs):
    name, key, pos, has_gauss, gauss = rs.get_state()
    if name != "MT19937":
        raise ValueError(f"make_moons: a RandomState with a {name} generator is not supported")
    return ([int(k) for k in key], int(pos), int(has_gauss), float(gauss))


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
