"""explore(): the interactive page for a Value's graph, with the engine's numbers inside."""
import json
import os
import re

import pytest

import micrograd_cpp as mc
import micrograd_cpp.explorer as explore_module
from micrograd_cpp.engine import Value

needs_page = pytest.mark.skipif(
    not os.path.isfile(os.path.join(os.path.dirname(explore_module.__file__), "explorer.html")),
    reason="the page template was not built (needs emscripten and web/node_modules)")


def page_data(path):
    text = open(path, encoding="utf-8").read()
    m = re.search(r'<script id="micrograd-data" type="application/json">(.*?)</script>', text, re.S)
    return json.loads(m.group(1))


def lecture_L():
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b; e.label = "e"
    d = e + c; d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f; L.label = "L"
    return a, b, L


@needs_page
def test_the_lectures_expression_as_statements_with_every_number(tmp_path):
    a, b, L = lecture_L()
    path = mc.explore(L, tmp_path / "L.html")
    assert path == str(tmp_path / "L.html")
    data = page_data(path)
    assert data["mode"] == "expression"
    assert data["text"] == "e = a*b\nd = e + c\nL = d*f\n"
    assert data["variables"] == [["a", 2.0], ["b", -3.0], ["c", 10.0], ["f", -2.0]]
    w = data["walkthrough"]
    grads = {n["name"]: n["grad"] for n in w["nodes"]}
    assert grads == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0, "e": -2.0, "d": -2.0, "L": 1.0}
    assert [n["data"] for n in w["nodes"] if n["name"] == "L"] == [-8.0]
    last = w["steps"][-1]["terms"]  # e = a*b: dL/da = -2 * -3 = 6
    assert [(t["upstream"], t["local"], t["contribution"]) for t in last] == [
        (-2.0, -3.0, 6.0), (-2.0, 2.0, -4.0)]
    assert "<script" not in json.dumps(data)  # nothing in the data can open or close a tag
    assert a.grad == 0  # the user's graph is left as it was (no backward run on it)
    assert not os.path.exists(str(tmp_path / "L.html") + ".tmp")


@needs_page
def test_the_neurons_numbers_and_names_for_unlabelled_values(tmp_path):
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    o = n.tanh()
    data = page_data(mc.explore(o, tmp_path / "neuron.html"))
    assert data["text"] == "v1 = x1*w1\nv2 = x2*w2\nv3 = v1 + v2\nv4 = v3 + b\nout = tanh(v4)\n"
    nodes = {n["name"]: n for n in data["walkthrough"]["nodes"]}
    assert nodes["out"]["data"] == 0.7071067811865476
    assert nodes["x1"]["grad"] == -1.4999999999999996
    assert nodes["w1"]["grad"] == 0.9999999999999998
    o.backward()  # the page's numbers are backward()'s
    assert (x1.grad, x2.grad, w1.grad, w2.grad, b.grad) == tuple(
        nodes[k]["grad"] for k in ("x1", "x2", "w1", "w2", "b"))


@needs_page
def test_graphs_the_page_cannot_show_are_refused_clearly(tmp_path):
    x = Value(0.5, label="x")
    out = Value(0.46, (x,), "mytanh")
    out._backward = lambda: None
    with pytest.raises(ValueError, match="user-defined op"):
        mc.explore(out, tmp_path / "own.html")
    net = mc.MLP(2, [2, 1], fused=False)  # micrograd's graph
    data = page_data(mc.explore(net([1.0, 2.0]), tmp_path / "mlp.html"))
    assert len(data["walkthrough"]["nodes"]) > 20
    with pytest.raises(ValueError, match="is inf"):
        mc.explore(Value(float("inf"), label="big") * 2, tmp_path / "inf.html")
    with pytest.raises(ValueError, match="rankdir"):
        mc.explore(x * 2, tmp_path / "r.html", rankdir="up")
    with pytest.raises(TypeError):
        mc.explore(3.0, tmp_path / "n.html")
    assert sorted(os.listdir(tmp_path)) == ["mlp.html"]  # nothing half-written


def test_a_missing_template_says_how_to_build_it(tmp_path, monkeypatch):
    monkeypatch.delenv("MICROGRAD_WEB_DIR", raising=False)
    monkeypatch.setattr(explore_module, "__file__", str(tmp_path / "explore.py"))
    with pytest.raises(FileNotFoundError, match="emscripten"):
        mc.explore(Value(1.0) * 2, tmp_path / "p.html")
    assert os.listdir(tmp_path) == []
