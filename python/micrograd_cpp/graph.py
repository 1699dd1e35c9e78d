"""micrograd_cpp.graph: draw_dot, the lecture's graphviz picture of a Value's graph.

draw_dot(root) returns a graphviz.Digraph (Debian: python3-graphviz) that a notebook shows
inline: one record node "{ label | data 2.0000 | grad 0.0000 }" per Value and one small node per
op, as in the lecture. The traversal is iterative, so deep graphs do not hit Python's recursion
limit (drawing millions of nodes is still slow: graphviz's limit, not ours).
Not here: the C++ renderer (include/micrograd/io.hpp).
"""

__all__ = ["trace", "draw_dot"]


def trace(root):
    """All Values `root` was computed from, and the (child, parent) edges: two sets."""
    nodes, edges = {root}, set()
    stack = [root]
    while stack:
        v = stack.pop()
        for child in v._prev:
            edges.add((child, v))
            if child not in nodes:
                nodes.add(child)
                stack.append(child)
    return nodes, edges


def draw_dot(root, format="svg", rankdir="LR"):
    """format: png | svg | ...; rankdir: TB (top to bottom graph) | LR (left to right)."""
    try:
        from graphviz import Digraph
    except ImportError as e:
        raise ImportError("draw_dot needs the graphviz Python package "
                          "(Debian: apt-get install python3-graphviz)") from e
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' or 'TB', got {rankdir!r}")
    nodes, edges = trace(root)
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
