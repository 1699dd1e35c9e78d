"""micrograd_cpp.losses: the lecture's and micrograd's demo losses, each built in one C++ call.

Each builds exactly the nodes micrograd's Python would (sums start at 0 like sum(), numbers
become leaves), so values match micrograd's bit for bit; backward goes through them as usual:
  svm_max_margin(scores, y)       sum((1 + -yi*si).relu()) * (1/n), labels -1/+1 (the demo)
  l2_regularization(params, a)    a * sum(p*p for p in params) (the demo's reg_loss)
  sum_squared_error(pred, target) the lecture's sum((yout - ygt)**2)
  mse(pred, target)               its mean (PyTorch's MSELoss)
  binary_cross_entropy_with_logits(scores, y), softmax_cross_entropy(logits, classes)
  accuracy(scores, y)             a float: fraction with (y > 0) == (score > 0)
Not here: the Value class (engine.py).
"""
from ._core import (accuracy, binary_cross_entropy_with_logits, l2_regularization, mse,
                    softmax_cross_entropy, sum_squared_error, svm_max_margin)

__all__ = ["svm_max_margin", "l2_regularization", "sum_squared_error", "mse",
           "binary_cross_entropy_with_logits", "softmax_cross_entropy", "accuracy"]
