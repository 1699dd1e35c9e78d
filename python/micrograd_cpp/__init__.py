"""micrograd_cpp: karpathy/micrograd's API on a fast C++ engine.

Change one import and the lecture's notebooks and micrograd's demo run unchanged, much faster:

    from micrograd_cpp.engine import Value
    from micrograd_cpp.nn import Module, Neuron, Layer, MLP
    from micrograd_cpp import draw_dot

Every Value is a node on this thread's tape (C++). Nodes no Python object can reach any more are
reclaimed automatically, so a training loop written exactly like micrograd's runs in bounded
memory. This package is thin: the compiled module micrograd_cpp._core does the work.
"""
__version__ = "0.1.0"  # the project's version (python/pyproject.toml, micrograd --version)

from .engine import (NonFiniteError, StaleValueError, Value, get_backward_semantics,
                     set_backward_semantics, set_detect_anomaly)
from .graph import draw_dot, trace
from .nn import MLP, Layer, Module, Neuron
from .interop import from_torch, to_torch
from .explorer import explore
from . import engine, nn  # noqa: F401  (micrograd's module layout)

__all__ = [
    "Value", "StaleValueError", "NonFiniteError", "set_detect_anomaly",
    "set_backward_semantics", "get_backward_semantics",
    "Module", "Neuron", "Layer", "MLP",
    "draw_dot", "trace", "to_torch", "from_torch", "explore",
]
