"""draw_dot and trace: the lecture's record labels and op nodes, one edge per (child, parent)
pair, iterative traversal.
Not here: rendering to an image (graphviz's `dot` program; draw_dot only builds the Digraph)."""
import pytest

from micrograd_cpp import draw_dot, trace
from micrograd_cpp.engine import Value

graphviz = pytest.importorskip("graphviz")  # Debian: python3-graphviz


def lecture_graph():
    a = Value(2.0, label='a')
    b = Value(-3.0, label='b')
    c = Value(10.0, label='c')
    e = a * b; e.label = 'e'
    d = e + c; d.label = 'd'
    f = Value(-2.0, label='f')
    L = d * f; L.label = 'L'
    return L, (a, b, c, d, e, f)


def test_trace_sets():
    L, (a, b, c, d, e, f) = lecture_graph()
    nodes, edges = trace(L)
    assert nodes == {L, a, b, c, d, e, f}
    assert edges == {(a, e), (b, e), (e, d), (c, d), (d, L), (f, L)}


def test_draw_dot_lecture_labels():
    L, (a, b, c, d, e, f) = lecture_graph()
    L.backward()
    dot = draw_dot(L)
    assert isinstance(dot, graphviz.Digraph)
    assert dot.format == 'svg' and 'rankdir=LR' in dot.source
    src = dot.source
    for text in ["{ a | data 2.0000 | grad 6.0000 }", "{ b | data -3.0000 | grad -4.0000 }",
                 "{ e | data -6.0000 | grad -2.0000 }", "{ L | data -8.0000 | grad 1.0000 }"]:
        assert text in src
    assert src.count("shape=record") == 7
    assert src.count('[label="*"]') == 2 and src.count('[label="+"]') == 1
    assert src.count("->") == 6 + 3  # child -> op node, op node -> result
    assert f'{id(a)} -> "{id(e)}*"' in src
    tb = draw_dot(L, format='png', rankdir='TB')
    assert tb.format == 'png' and 'rankdir=TB' in tb.source
    with pytest.raises(ValueError):
        draw_dot(L, rankdir='XY')


def test_draw_dot_shown_children_and_pow_names():
    a = Value(3.0, label='a')
    p = a ** 2
    shown = Value(1.0, (p, a), 'custom', label='s')
    src = draw_dot(shown).source
    assert '[label="**2"]' in src and '[label=custom]' in src
