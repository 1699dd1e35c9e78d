"""micrograd_cpp.engine: micrograd's engine module (the Value class), backed by the C++ tape.

Value(data, _children=(), _op='', label='') behaves like micrograd's Value: .data and .grad
(ints where micrograd keeps ints, floats otherwise), .label/._op/._prev describe the node,
operators + - * / ** (and 2*a, 1-a, 2/a, 2**a), relu() tanh() exp() log() sigmoid(),
backward() with micrograd's semantics (set_backward_semantics('pytorch') for PyTorch's), and
_backward() (one node, as in the lecture). Your own ops are written the lecture's way:
out = Value(t, (self,), 'tanh'); out._backward = <a function>. A subclass of Value works too.
Differences from micrograd: a ** b also accepts a Value exponent, and 2 ** a works.
Not here: neural-net pieces (nn.py), drawing (graph.py).
"""
from ._core import (NonFiniteError, StaleValueError, Value, get_backward_semantics,
                    set_backward_semantics, set_detect_anomaly)

__all__ = ["Value", "StaleValueError", "NonFiniteError", "set_detect_anomaly",
           "set_backward_semantics", "get_backward_semantics"]
