"""Models that last: MLP.save / MLP.load (the program's model file, both directions), and
to_torch / from_torch with PyTorch (Debian's python3-torch) as the other side."""
import json
import os
import random
import subprocess

import pytest

import micrograd_cpp as mc
from micrograd_cpp.losses import mse


def model(seed=3, **kw):
    random.seed(seed)
    return mc.MLP(3, [5, 4, 2], **kw)


def params(m):
    return [p.data for p in m.parameters()]


def test_save_and_load_are_exact(tmp_path):
    m = model(activation="tanh")
    path = tmp_path / "m.json"
    m.save(path, loss="mse")
    state = random.getstate()
    back = mc.MLP.load(path)
    assert random.getstate() == state  # loading draws no weights
    assert params(back) == params(m)
    assert str(back) == str(m)
    assert back.loss == "mse"
    x = [mc.Value(0.3), mc.Value(-1.2), mc.Value(2.0)]
    assert [o.data for o in back(x)] == [o.data for o in m(x)]
    d = json.loads(path.read_text())
    assert (d["format"], d["version"], d["nin"]) == ("micrograd-mlp", 1, 3)
    assert [l["activation"] for l in d["layers"]] == ["tanh", "tanh", "tanh"]
    assert d["parameters"][:4] == [w.data for w in m.layers[0].neurons[0].w] + [m.layers[0].neurons[0].b.data]


def test_errors(tmp_path):
    with pytest.raises(RuntimeError, match="no such model file"):
        mc.MLP.load(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text('{"format": "micrograd-mlp", "version": 1, "nin": 2')
    with pytest.raises(RuntimeError, match="bad.json: not a model file"):
        mc.MLP.load(tmp_path / "bad.json")
    m = model()
    m.layers[1].neurons[0].nonlin = "sigmoid"
    with pytest.raises(ValueError, match="layer 1 mixes activations"):
        m.save(tmp_path / "x.json")
    m = model()
    m.layers[0].neurons[0].w[0].data = float("nan")
    with pytest.raises(ValueError, match="parameter\\[0\\]"):
        m.save(tmp_path / "nan.json")
    assert not (tmp_path / "nan.json").exists()


@pytest.mark.skipif(not os.environ.get("MICROGRAD_CLI"), reason="MICROGRAD_CLI (the program) not set")
def test_the_program_and_the_package_share_models(tmp_path):
    cli = os.environ["MICROGRAD_CLI"]
    path = tmp_path / "m.json"
    subprocess.run([cli, "train", "--quiet", "--no-plots", "--steps", "20", "--out", str(tmp_path),
                    "--save", str(path)], check=True, capture_output=True)
    m = mc.MLP.load(path)  # trained by the program, continued here
    x = [0.5, 0.25]
    r = subprocess.run([cli, "predict", "--model", str(path), "--point", "0.5,0.25"],
                       check=True, capture_output=True, text=True)
    assert f"score {m([mc.Value(v) for v in x]).data!r}," in r.stdout  # the same number
    for p in m.parameters():  # one step here, then back to the program
        p.data -= 0.1
    m.save(path)
    r = subprocess.run([cli, "predict", "--model", str(path), "--point", "0.5,0.25"],
                       check=True, capture_output=True, text=True)
    assert f"score {m([mc.Value(v) for v in x]).data!r}," in r.stdout


def test_to_torch_and_back():
    torch = pytest.importorskip("torch")
    m = model(seed=7)
    seq = mc.to_torch(m)
    assert [type(l).__name__ for l in seq] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert seq[0].weight.dtype == torch.float64
    rng = random.Random(1)
    xs = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(16)]
    ys = [[rng.uniform(-1, 1) for _ in range(2)] for _ in range(16)]
    # forward
    for x in xs:
        ours = [o.data for o in m([mc.Value(v) for v in x])]
        theirs = seq(torch.tensor(x, dtype=torch.float64)).tolist()
        assert max(abs(a - b) for a, b in zip(ours, theirs)) <= 1e-12
    # gradients of the same loss (mean squared error over the batch)
    m.zero_grad()
    preds = [o for x in xs for o in m([mc.Value(v) for v in x])]
    loss = mse(preds, [t for y in ys for t in y])
    loss.backward()
    tl = torch.nn.functional.mse_loss(seq(torch.tensor(xs, dtype=torch.float64)),
                                      torch.tensor(ys, dtype=torch.float64))
    tl.backward()
    assert abs(loss.data - tl.item()) <= 1e-12
    torch_grads = []
    for lin in (seq[0], seq[2], seq[4]):
        for j in range(lin.out_features):
            torch_grads += lin.weight.grad[j].tolist() + [lin.bias.grad[j].item()]
    ours = [p.grad for p in m.parameters()]
    assert max(abs(a - b) for a, b in zip(ours, torch_grads)) <= 1e-9
    # and back: the same parameters, bit for bit
    state = random.getstate()
    back = mc.from_torch(seq)
    assert random.getstate() == state
    assert params(back) == params(m)
    assert str(back) == str(m)


def test_to_torch_lecture_network_and_errors():
    torch = pytest.importorskip("torch")
    random.seed(0)
    m = mc.MLP(3, [4, 4, 1], activation="tanh")  # the lecture's: tanh everywhere
    seq = mc.to_torch(m)
    assert [type(l).__name__ for l in seq] == ["Linear", "Tanh", "Linear", "Tanh", "Linear", "Tanh"]
    x = [2.0, 3.0, -1.0]
    assert abs(m([mc.Value(v) for v in x]).data - seq(torch.tensor(x, dtype=torch.float64)).item()) <= 1e-12
    assert params(mc.from_torch(seq)) == params(m)
    with pytest.raises(ValueError, match="no micrograd_cpp counterpart"):
        mc.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.GELU()))
    with pytest.raises(ValueError, match="takes 3 inputs"):
        mc.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(3, 1)))
    with pytest.raises(ValueError, match="no bias"):
        mc.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2, bias=False)))
