"""micrograd_cpp.graph: draw_dot, the lecture's graphviz picture of a Value's graph.

draw_dot(root) returns a graphviz.Digraph (Debian: python3-graphviz) that a notebook shows
inline: one record node "{ label | data 2.0000 | grad 0.0000 }" per Value and one small node per
op, as in the lecture. A one-node neuron (micrograd_cpp.nn's default) is drawn as micrograd's graph
of it, with micrograd's numbers, so the picture is the one micrograd draws. The traversal is iterative, so deep graphs do not hit Python's recursion
limit (drawing millions of nodes is still slow: graphviz's limit, not ours).
Not here: the C++ renderer (include/micrograd/io.hpp).
"""

__all__ = ["trace", "draw_dot"]

# One-node neurons (micrograd_cpp.nn's default, and linear()): their _op, and the activation
# micrograd's graph applies after the sum ('' for none).
_FUSED = {"linear": "", "ReLU(linear)": "ReLU", "tanh(linear)": "tanh"}


class _Shown:
    """A node of micrograd's graph that a one-node neuron stands for: drawn, not stored. `real`
    is the engine's node when this is the neuron's output (its label, data and grad are shown)."""
    __slots__ = ("data", "grad", "label", "_op", "_prev", "real")

    def __init__(self, data, grad, op, prev, real=None):
        self.data, self.grad, self._op, self._prev, self.real = data, grad, op, prev, real
        self.label = real.label if real is not None else ""


def _micrograd_graph(v):
    """The neuron v = act(b + w0*x0 + w1*x1 + ...) as micrograd builds it: a '*' node per input, a
    '+' node per term added left to right from b, then the activation; each with the data and
    grad micrograd would hold (the products and partial sums recomputed in the same order, so
    the same digits; their grads are the pre-activation's grad, as Add and Mul pass it on)."""
    operands = v._operands()
    b, ws, xs = operands[0], operands[1::2], operands[2::2]
    act = _FUSED[v._op]
    if act == "ReLU":
        up = v.grad if v.data > 0 else 0.0
    elif act == "tanh":
        up = (1 - v.data**2) * v.grad
    else:
        up = v.grad
    total, s = b.data, b
    for k, (w, x) in enumerate(zip(ws, xs)):
        product = _Shown(w.data * x.data, up, "*", (w, x))
        total = total + product.data
        last = k == len(ws) - 1 and not act
        s = _Shown(v.data if last else total, up, "+", (s, product), real=v if last else None)
    return _Shown(v.data, v.grad, act, (s,), real=v) if act else s


def trace(root, expand=True):
    """All Values `root` was computed from, and the (child, parent) edges: two sets. expand: show a
    one-node neuron as micrograd's graph (its '*' and '+' nodes), as draw_dot does."""
    views = {}

    def view(v):
        if isinstance(v, _Shown) or not expand or v._op not in _FUSED:
            return v
        if v not in views:
            views[v] = _micrograd_graph(v)
        return views[v]

    root = view(root)
    nodes, edges = {root}, set()
    stack = [root]
    while stack:
        v = stack.pop()
        for child in v._prev:
            child = view(child)
            edges.add((child, v))
            if child not in nodes:
                nodes.add(child)
                stack.append(child)
    return nodes, edges


def draw_dot(root, format="svg", rankdir="LR", expand=True):
    """format: png | svg | ...; rankdir: TB (top to bottom graph) | LR (left to right).
    expand: draw one-node neurons as micrograd's graph (False: as the single node they are)."""
    try:
        from graphviz import Digraph
    except ImportError as e:
        raise ImportError("draw_dot needs the graphviz Python package "
                          "(Debian: apt-get install python3-graphviz)") from e
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' or 'TB', got {rankdir!r}")
    nodes, edges = trace(root, expand)
    dot = Digraph(format=format, graph_attr={"rankdir": rankdir})
    for n in nodes:
        uid = str(id(n))
        # a rectangular ('record') node for every Value
        dot.node(name=uid, label="{ %s | data %.4f | grad %.4f }" % (n.label, n.data, n.grad), shape="record")
        if n._op:
            # an op node for a Value made by an op, connected to it
            dot.node(name=uid + n._op, label=n._op)
            dot.edge(uid + n._op, uid)
    for n1, n2 in edges:
        # connect n1 to the op node of n2
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)
    return dot
