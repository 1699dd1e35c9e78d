"""micrograd_cpp.interop: carry a model over to PyTorch and back.

to_torch(model) gives a torch.nn.Sequential of float64 Linear layers (and ReLU/Tanh/Sigmoid after
each layer whose neurons have that activation) holding the model's weights: micrograd keeps a
neuron's weights w[0..nin-1] and bias b, torch's Linear a weight matrix (one row per neuron) and a
bias vector. The outputs agree with the model's to about 1e-16 (torch sums in its own order), the
gradients of the same loss likewise. from_torch(seq) is the way back, to an MLP.
Not here: training in torch (use the returned module as any other), the model file (MLP.save).
"""
import random

__all__ = ["to_torch", "from_torch"]

_TORCH_ACT = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}


def _torch():
    try:
        import torch
    except ImportError as e:  # pragma: no cover - depends on the machine
        raise ImportError("micrograd_cpp.to_torch needs PyTorch (Debian: apt-get install python3-torch)") from e
    return torch


def to_torch(model):
    """A torch.nn.Sequential (float64) computing what `model` (a micrograd_cpp MLP) computes."""
    torch = _torch()
    modules = []
    for i, layer in enumerate(model.layers):
        neurons = layer.neurons
        nin = len(neurons[0].w)
        if any(len(n.w) != nin for n in neurons):
            raise ValueError(f"to_torch: layer {i}'s neurons have different input counts")
        kinds = {n.activation for n in neurons}
        if len(kinds) != 1:
            raise ValueError(f"to_torch: layer {i} mixes activations {sorted(kinds)}")
        act = kinds.pop()
        linear = torch.nn.Linear(nin, len(neurons), dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([[float(w.data) for w in n.w] for n in neurons],
                                             dtype=torch.float64))
            linear.bias.copy_(torch.tensor([float(n.b.data) for n in neurons], dtype=torch.float64))
        modules.append(linear)
        if act != "linear":
            modules.append(getattr(torch.nn, _TORCH_ACT[act])())
    return torch.nn.Sequential(*modules)


def from_torch(seq, fused=True):
    """An MLP holding the weights of `seq`, a torch.nn.Sequential of Linear layers, each followed
    by nothing, ReLU, Tanh, Sigmoid or Identity (what to_torch makes). Python's `random` state is
    left as it was."""
    torch = _torch()
    from .nn import MLP
    layers = []  # (Linear, activation name)
    for m in seq:
        if isinstance(m, torch.nn.Linear):
            layers.append([m, "linear"])
        elif layers and layers[-1][1] == "linear" and not isinstance(m, torch.nn.Identity):
            name = {torch.nn.ReLU: "relu", torch.nn.Tanh: "tanh", torch.nn.Sigmoid: "sigmoid"}.get(type(m))
            if name is None:
                raise ValueError(f"from_torch: {type(m).__name__} has no micrograd_cpp counterpart "
                                 "(Linear followed by ReLU, Tanh, Sigmoid or nothing)")
            layers[-1][1] = name
        elif not isinstance(m, torch.nn.Identity):
            raise ValueError(f"from_torch: expected a Linear layer, got {type(m).__name__}")
    if not layers:
        raise ValueError("from_torch: no Linear layers")
    for i, (lin, _) in enumerate(layers):
        if lin.bias is None:
            raise ValueError(f"from_torch: Linear layer {i} has no bias (micrograd's neurons do)")
        if i and lin.in_features != layers[i - 1][0].out_features:
            raise ValueError(f"from_torch: Linear layer {i} takes {lin.in_features} inputs, "
                             f"the layer before gives {layers[i - 1][0].out_features}")
    acts = [a for _, a in layers]
    if len(set(acts[:-1])) > 1:
        raise ValueError(f"from_torch: the hidden layers have different activations {acts[:-1]}")
    state = random.getstate()
    try:
        model = MLP(layers[0][0].in_features, [lin.out_features for lin, _ in layers],
                    activation=acts[0] if len(acts) > 1 else "relu", output=acts[-1], bias="zero",
                    fused=fused)
    finally:
        random.setstate(state)
    for layer, (lin, _) in zip(model.layers, layers):
        w = lin.weight.detach().to(torch.float64).tolist()
        b = lin.bias.detach().to(torch.float64).tolist()
        for j, n in enumerate(layer.neurons):
            for k, v in enumerate(n.w):
                v.data = w[j][k]
            n.b.data = b[j]
    return model
