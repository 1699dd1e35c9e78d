"""micrograd_cpp.nn: micrograd's nn module (Module, Neuron, Layer, MLP) with the forward in C++.

Same signatures, parameters and printing as micrograd: Neuron(nin, nonlin=True),
Layer(nin, nout, **kwargs), MLP(nin, nouts); weights U(-1, 1) drawn with Python's `random`
(so random.seed(...) gives micrograd's exact initial weights), bias 0, ReLU hidden layers and a
linear output. Calling a Neuron/Layer/MLP computes micrograd's exact numbers in one C++ call: by
default one node per neuron (a dense node: a whole layer in one call, several times faster);
`fused=False` builds micrograd's graph node by node. draw_dot draws micrograd's graph either way.

The lecture's variant: MLP(nin, nouts, activation='tanh') is the lecture's network: tanh in every
layer including the output, biases U(-1, 1). Neuron's `nonlin` also takes 'relu', 'tanh',
'linear' or 'sigmoid' (True is 'relu', False is 'linear'); `bias='uniform'` draws the bias.

The attributes are plain Python, as in micrograd (neuron.w, neuron.b, neuron.nonlin,
layer.neurons, mlp.layers); the forward reads them on every call, so replacing a weight works.
Not here: the Value class (engine.py).
"""
import random

from ._core import Value, layer_forward, mlp_forward, neuron_forward
from ._core import load_mlp as _load_mlp, save_mlp as _save_mlp
from ._core import zero_grad as _zero_grad

_NAMES = {"relu": "ReLU", "tanh": "Tanh", "linear": "Linear", "sigmoid": "Sigmoid"}


def _activation(nonlin):
    if nonlin is True:
        return "relu"
    if nonlin is False:
        return "linear"
    if isinstance(nonlin, str) and nonlin in _NAMES:
        return nonlin
    raise ValueError(
        f"nonlin must be True (ReLU), False (linear), 'relu', 'tanh', 'linear' or 'sigmoid', got {nonlin!r}")


class Module:

    def zero_grad(self):
        _zero_grad(self.parameters())

    def parameters(self):
        return []


class Neuron(Module):

    def __init__(self, nin, nonlin=True, bias="zero", fused=True):
        if bias not in ("zero", "uniform"):
            raise ValueError(f"bias must be 'zero' (micrograd) or 'uniform' (the lecture), got {bias!r}")
        _activation(nonlin)  # validate now, not at the first call
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(random.uniform(-1, 1)) if bias == "uniform" else Value(0)
        self.nonlin = nonlin
        # One node per neuron (a dense node), micrograd's numbers bit for bit; False: micrograd's
        # graph, every multiply, add and activation a node. draw_dot shows micrograd's graph either way.
        self.fused = fused

    @property
    def activation(self):
        """'relu', 'tanh', 'linear' or 'sigmoid'."""
        return _activation(self.nonlin)

    def __call__(self, x):
        return neuron_forward(self, x)

    def parameters(self):
        return self.w + [self.b]

    def __repr__(self):
        return f"{_NAMES[self.activation]}Neuron({len(self.w)})"


class Layer(Module):

    def __init__(self, nin, nout, **kwargs):
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x):
        return layer_forward(self, x)

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self):
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):

    def __init__(self, nin, nouts, activation="relu", output=None, bias=None, fused=True):
        """activation: the hidden layers' ('relu': micrograd, 'tanh': the lecture's network).
        output: the last layer's (default: linear for 'relu', 'tanh' for 'tanh').
        bias: 'zero' or 'uniform' (default: 'zero' for 'relu', 'uniform' for 'tanh').
        fused: one node per neuron (default; the same numbers, much faster) or, with False,
        micrograd's graph node by node."""
        hidden = _activation(activation)
        if output is None:
            output = "tanh" if hidden == "tanh" else "linear"
        if bias is None:
            bias = "uniform" if hidden == "tanh" else "zero"
        # micrograd passes nonlin=True/False; keep those exact values for its defaults.
        hidden_nonlin = True if hidden == "relu" else hidden
        output_nonlin = False if output == "linear" else (True if output == "relu" else output)
        sz = [nin] + list(nouts)
        self.layers = [Layer(sz[i], sz[i + 1], nonlin=hidden_nonlin if i != len(nouts) - 1 else output_nonlin,
                             bias=bias, fused=fused)
                       for i in range(len(nouts))]

    def __call__(self, x):
        return mlp_forward(self, x)

    def save(self, path, loss=""):
        """Writes the model file of `micrograd train --save` (docs/model-format.md): layer sizes,
        activations, `loss` (what it was trained with, optional) and every parameter, atomically.
        `micrograd predict --model path`, `micrograd train --init path` and MLP.load read it."""
        nin = len(self.layers[0].neurons[0].w)
        nouts = [len(layer.neurons) for layer in self.layers]
        acts = []
        for i, layer in enumerate(self.layers):
            kinds = {n.activation for n in layer.neurons}
            if len(kinds) != 1:
                raise ValueError(f"save: layer {i} mixes activations {sorted(kinds)}")
            acts.append(kinds.pop())
        _save_mlp(str(path), nin, nouts, acts, [float(p.data) for p in self.parameters()], loss)

    @classmethod
    def load(cls, path, fused=True):
        """The model in a model file (MLP.save, `micrograd train --save`), its parameters bit for
        bit. Python's `random` state is left as it was (no weights are drawn)."""
        d = _load_mlp(str(path))
        acts = [a for _, a in d["layers"]]
        state = random.getstate()
        try:
            model = cls(d["nin"], [n for n, _ in d["layers"]], activation=acts[0] if len(acts) > 1 else "relu",
                        output=acts[-1], bias="zero", fused=fused)
        finally:
            random.setstate(state)
        for p, x in zip(model.parameters(), d["parameters"]):
            p.data = x
        model.loss = d["loss"]
        return model

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self):
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
