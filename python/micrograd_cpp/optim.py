"""micrograd_cpp.optim: SGD (micrograd's update), Adam and AdamW (PyTorch's), run in C++.

    opt = SGD(model.parameters(), lr=0.1)        # or Adam(params, lr=1e-3, betas=(0.9, 0.999))
    for k in range(steps):
        loss = ...; opt.zero_grad(); loss.backward(); opt.step()   # opt.step(lr) for schedules
Not here: learning-rate schedules (pass lr to step()).
"""
from ._core import SGD, Adam, AdamW

__all__ = ["SGD", "Adam", "AdamW"]
