"""Learning by doing: lessons, and checks that say what is wrong with a learner's code.

Each check runs the learner's own function on fresh inputs, compares it with
softmaxlab's reference engine and returns a ``CheckResult`` (``.passed``,
``.status``, ``.message``, ``.hint``; shown as text by ``print`` and as a
coloured box in a notebook). A check never raises.

The checks and the learner's function each takes (shapes):

- ``check_softmax``: ``fn(Z (N, C)) -> P (N, C)``, row-wise softmax.
- ``check_cross_entropy``: ``fn(Q (N, C) probabilities, y (N,) int) -> mean loss``.
- ``check_softmax_ce_grad``: ``fn(Z (N, C) logits, y (N,) int) -> dZ (N, C)``.
- ``check_linear_forward``: ``fn(X (N, D), W (D, H), b (H,)) -> out (N, H)``.
- ``check_linear_backward``: ``fn(dout (N, H), X (N, D), W (D, H)) -> (dX, dW, db)``.
- ``check_relu_backward``: ``fn(dout (N, H), Z (N, H) pre-activation) -> dZ (N, H)``.
- ``check_sigmoid_backward``: ``fn(dout (N, H), Z (N, H) pre-activation) -> dZ (N, H)``.
- ``check_sgd_step``: ``fn(params dict, grads dict, lr) -> new params dict``.
- ``check_mlp_gradients``: ``fn(X, y, W1, b1, W2, b2) -> (loss, grads)``.

Every check also takes ``seed=`` (keyword) to draw the same inputs each time.
See each function's docstring and docs/learn.md for details.
"""
from softmaxlab.learn._result import CheckResult
from softmaxlab.learn.checks import (
    check_cross_entropy,
    check_linear_backward,
    check_linear_forward,
    check_mlp_gradients,
    check_relu_backward,
    check_sgd_step,
    check_sigmoid_backward,
    check_softmax,
    check_softmax_ce_grad,
)

__all__ = [
    "CheckResult",
    "check_cross_entropy",
    "check_linear_backward",
    "check_linear_forward",
    "check_mlp_gradients",
    "check_relu_backward",
    "check_sgd_step",
    "check_sigmoid_backward",
    "check_softmax",
    "check_softmax_ce_grad",
]
