"""explore(): the interactive page for a Value's graph (docs/explorer.md).

    from micrograd_cpp import Value, explore
    a = Value(2.0, label='a'); b = Value(-3.0, label='b') ...
    explore(L, 'L.html')          # then open L.html in a browser

The page shows root's graph as the lecture draws it; its buttons step through backward one node
at a time with the chain rule's numbers, and the values (and the graph, written as statements)
can be edited and recomputed. Every number comes from this package's C++ engine: the page holds
the same library compiled to WebAssembly. The page is one file; it works offline.
"""
import json
import math
import os
import tempfile
import webbrowser

from . import _core

_PLACEHOLDER = '<script id="micrograd-data" type="application/json">null</script>'


def _template_path():
    for folder in (os.environ.get("MICROGRAD_WEB_DIR"), os.path.dirname(__file__)):
        if folder and os.path.isfile(os.path.join(folder, "explorer.html")):
            return os.path.join(folder, "explorer.html")
    raise FileNotFoundError(
        "explore(): the page template (explorer.html) was not built with this package: building "
        "it needs Debian's emscripten and the page's npm tools (`make deps` in the project, then "
        "build again; docs/explorer.md), or set MICROGRAD_WEB_DIR to a folder that holds one")


def explore(root, path="micrograd-explore.html", *, open_browser=False, rankdir="LR"):
    """Writes the interactive page for root's graph to `path`; returns its absolute path.

    The graph may use every built-in op (your own ops, `_backward` closures, and fused neurons
    cannot be shown: a clear error says which node). Labels that are names (a, x1, n) name the
    values on the page; others are called v1, v2, ... and the output `out`. With open_browser=True
    the page is opened in the default browser.
    """
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"explore(): rankdir is LR, TB, RL or BT, got {rankdir!r}")
    text, variables, walkthrough = _core._explore_data(root, rankdir)
    for name, value in variables:
        if not math.isfinite(value):
            raise ValueError(f"explore(): the value {name} is {value}: a page can only hold "
                             "finite numbers")
    data = {"mode": "expression", "text": text, "variables": [list(v) for v in variables],
            "rankdir": rankdir, "walkthrough": json.loads(walkthrough)}
    with open(_template_path(), encoding="utf-8") as f:
        page = f.read()
    if _PLACEHOLDER not in page:
        raise RuntimeError("explore(): the page template has no data placeholder: rebuild it")
    # '<' appears only inside JSON strings: as \u003c it can never close or open a tag.
    payload = json.dumps(data, allow_nan=False).replace("<", "\\u003c")
    page = page.replace(_PLACEHOLDER, _PLACEHOLDER.replace(">null<", ">" + payload + "<"), 1)
    path = os.path.abspath(os.fspath(path))
    folder = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".explore-", suffix=".html")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(page)
        os.replace(tmp, path)  # all or nothing: never a half-written page
    except BaseException:
        os.unlink(tmp)
        raise
    if open_browser:
        webbrowser.open("file://" + path)
    return path
