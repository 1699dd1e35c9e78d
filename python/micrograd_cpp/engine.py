"""micrograd_cpp.engine: micrograd's engine module (the Value class), backed by the C++ tape.

Value(data, _children=(), _op='', label='') behaves like micrograd's Value: .data and .grad are
read/write floats, .label/._op/._prev describe the node, operators + - * / ** (and 2*a, 1-a, 2/a,
2**a), relu() tanh() exp() log() sigmoid(), backward(), and _backward() (one node, as in the
lecture). Differences from micrograd, all deliberate:
  - data and grad are always floats: repr(Value(2)) is 'Value(data=2.0, grad=0.0)'.
  - Value(x, _children, _op) only *shows* the children (in _prev, _op, draw_dot): it is a leaf
    for backward. Build graphs with the operators, as micrograd's own code does.
  - a ** b also accepts a Value exponent, and 2 ** a works.
Not here: neural-net pieces (nn.py), drawing (graph.py).
"""
from ._core import NonFiniteError, StaleValueError, Value, set_detect_anomaly

__all__ = ["Value", "StaleValueError", "NonFiniteError", "set_detect_anomaly"]
