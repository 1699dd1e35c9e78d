"""Regression tests for the failures a fuzz campaign found (issue 10): no Python code may crash
the interpreter, every bad input gets a clear error."""
import os
import subprocess
import sys
import textwrap

import pytest

from micrograd_cpp import Value
from micrograd_cpp.optim import SGD, Adam, AdamW


def run_python(code):
    """Runs code in a fresh interpreter (a crash must not take pytest with it)."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=dict(os.environ), timeout=120)


def test_objects_made_with_new_alone_never_crash():
    # Cls.__new__(Cls) skips __init__: there is no C++ object inside. Every method, property and
    # operator must raise, never reach a null pointer (this segfaulted before).
    r = run_python("""
        import faulthandler; faulthandler.enable()
        from micrograd_cpp import Value
        from micrograd_cpp.optim import SGD, Adam, AdamW
        for cls in (Value, SGD, Adam, AdamW):
            o = cls.__new__(cls)
            for attr in sorted(dir(o)):
                if attr in ('__init__', '__new__', '__init_subclass__', '__setattr__', '__delattr__'):
                    continue
                try:
                    x = getattr(o, attr)
                except TypeError:
                    continue
                if callable(x):
                    for args in ((), (1.0,), (o,), (Value(1.0),)):
                        try:
                            x(*args)
                        except Exception:
                            pass
            for op in (lambda: o + 1, lambda: 1 + o, lambda: -o, lambda: o ** 2, lambda: repr(o),
                       lambda: str(o), lambda: o * Value(2.0), lambda: Value(2.0) / o):
                try:
                    op()
                except Exception:
                    pass
        print('no crash')
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "no crash"


@pytest.mark.parametrize("cls", [Value, SGD, Adam, AdamW])
def test_an_uninitialised_object_says_what_is_wrong(cls):
    o = cls.__new__(cls)
    name = "data" if cls is Value else "step"
    with pytest.raises(TypeError, match="never initialised"):
        getattr(o, name)
    if cls is Value:
        with pytest.raises(TypeError, match="never initialised"):
            o + 1
        with pytest.raises(TypeError, match="never initialised"):
            repr(o)


@pytest.mark.parametrize("protocol", range(0, 6))
def test_every_pickle_protocol_works_or_refuses_cleanly(protocol):
    # Protocols 0 and 1 (and __reduce__) used to end the process inside pybind11.
    import pickle
    v = Value(2.5, label="v")
    w = pickle.loads(pickle.dumps(v, protocol=protocol))
    assert (w.data, w.label) == (2.5, "v")
    assert v.__reduce__()[0].__name__ == "__newobj__"
    with pytest.raises(TypeError, match="cannot pickle"):
        pickle.dumps(SGD([Value(1.0)], lr=0.1), protocol=protocol)


def test_python_code_run_during_a_forward_cannot_make_live_values_stale():
    # A __float__ (or a property) that builds Values while a micrograd_cpp call holds the other
    # inputs used to trigger a collection under them: StaleValueError on a live Value.
    from micrograd_cpp.nn import MLP
    from micrograd_cpp.losses import mse

    class Busy:
        def __float__(self):
            junk = Value(1.0)
            for _ in range(150_000):  # enough new nodes to make the tape want a collection
                junk = junk * 1.0
            return 0.5

    model = MLP(3, [4, 1])
    x = [Value(1.0), Busy(), Value(2.0)]
    out = model(x)
    expected = model([Value(1.0), 0.5, Value(2.0)]).data
    assert out.data == expected
    loss = mse([Value(0.25), Busy(), out], [0.0, 0.0, 1.0])
    loss.backward()
    assert out.grad != 0


def test_a_value_is_used_only_on_its_own_thread():
    # Reading, writing, labelling or backward() from another thread used to work silently (and two
    # threads' backward on one graph gave wrong gradients): refused, with the reason.
    import threading
    x = Value(3.0)
    z = x * x * 2.0
    errors = []

    def other():
        for use in (lambda: x.data, lambda: setattr(x, "grad", 1.0),
                    lambda: setattr(x, "label", "y"), lambda: z.backward(), lambda: repr(x)):
            try:
                use()
                errors.append("not refused")
            except RuntimeError as e:
                errors.append(str(e))
    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert len(errors) == 5
    assert all("another thread" in e for e in errors), errors
    z.backward()
    assert x.grad == 12.0


def test_the_version_is_the_projects():
    import re
    import micrograd_cpp
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "pyproject.toml")) as f:
        declared = re.search(r'^version = "([^"]+)"', f.read(), re.M).group(1)
    assert micrograd_cpp.__version__ == declared == "0.1.0"
