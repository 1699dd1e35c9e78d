"""pytest setup for micrograd_cpp: fails early with the command to use if the package is missing.

Run from the repository root after building:  PYTHONPATH=build/python /usr/bin/python3 -m pytest -q python/tests
"""
import os
import sys

try:
    import micrograd_cpp  # noqa: F401
except ImportError as e:  # pragma: no cover
    raise ImportError(
        f"micrograd_cpp is not importable ({e}): build it (cmake --build build) and run, from the "
        "repository root, PYTHONPATH=build/python /usr/bin/python3 -m pytest -q python/tests "
        "(run from python/, the source package without _core would shadow the built one)") from e

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)  # tests import their shared helpers (demo.py)
