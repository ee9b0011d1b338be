"""What a model's last layer means, ``"softmax"`` (one distribution over C
classes) or ``"sigmoid"`` (L independent yes/no outputs), and the loss and
predictions that go with each."""
from __future__ import annotations

from array_api_compat import array_namespace

from softmaxlab.nn.losses import SoftmaxCrossEntropy
from softmaxlab.nn.model import OUTPUTS
from softmaxlab.nn.sigmoid_loss import SigmoidBinaryCrossEntropy
from softmaxlab.errors import InputError

__all__ = ["LOSSES", "make_loss", "output_predict"]

#: The fused loss of each output kind.
LOSSES = {"softmax": SoftmaxCrossEntropy, "sigmoid": SigmoidBinaryCrossEntropy}


def make_loss(output: str, class_weight=None):
    """The fused loss that matches an output kind.

    Parameters
    ----------
    output : {"softmax", "sigmoid"}
    class_weight : array-like, optional
        (n_classes,) for softmax; (n_labels,) or (n_labels, 2) for sigmoid.

    Returns
    -------
    SoftmaxCrossEntropy or SigmoidBinaryCrossEntropy
    """
    if output not in OUTPUTS:
        raise InputError(f"output must be one of {OUTPUTS}, got {output!r}: 'softmax' for one "
                         "class per sample, 'sigmoid' for independent 0/1 outputs (binary with "
                         "one unit, or multilabel).")
    return LOSSES[output](class_weight)


def output_predict(logits, output: str):
    """Class indices of shape (n_samples,) for softmax (first index wins a
    tie); for sigmoid the 0/1 int matrix ``logits > 0`` of shape
    (n_samples, n_units), i.e. probability above one half."""
    xp = array_namespace(logits)
    if output == "softmax":
        return xp.argmax(logits, axis=1)
    return xp.astype(logits > 0, xp.int64)
