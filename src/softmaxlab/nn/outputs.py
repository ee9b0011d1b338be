"""What a model's last layer means: ``"softmax"`` (one distribution over C
classes) or ``"sigmoid"`` (L independent yes/no outputs), and the loss and
predictions that go with each."""
from __future__ import annotations

import numpy as np

from softmaxlab.nn.functional import log_softmax, sigmoid, softmax
from softmaxlab.nn.losses import SoftmaxCrossEntropy
from softmaxlab.nn.sigmoid_loss import SigmoidBinaryCrossEntropy, log_sigmoid

__all__ = ["OUTPUTS", "check_output", "make_loss", "output_log_proba", "output_predict",
           "output_proba"]

#: The output kinds a ``Sequential`` can have.
OUTPUTS = {"softmax": SoftmaxCrossEntropy, "sigmoid": SigmoidBinaryCrossEntropy}


def check_output(output) -> str:
    """Return ``output`` if it names an output kind, else raise ``ValueError``."""
    if not isinstance(output, str) or output not in OUTPUTS:
        raise ValueError(f"output must be one of {sorted(OUTPUTS)}, got {output!r}: 'softmax' "
                         "for one class per sample, 'sigmoid' for independent 0/1 outputs "
                         "(binary with one unit, or multilabel).")
    return output


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
    return OUTPUTS[check_output(output)](class_weight)


def output_proba(logits: np.ndarray, output: str) -> np.ndarray:
    """Probabilities from logits of shape (n_samples, n_units): softmax rows
    (summing to 1) or one sigmoid per unit (each in [0, 1])."""
    return softmax(logits) if output == "softmax" else sigmoid(logits)


def output_log_proba(logits: np.ndarray, output: str) -> np.ndarray:
    """``log`` of ``output_proba``, finite for finite logits (log-softmax, or
    the stable log-sigmoid)."""
    return log_softmax(logits) if output == "softmax" else log_sigmoid(logits)


def output_predict(logits: np.ndarray, output: str) -> np.ndarray:
    """Class indices of shape (n_samples,) for softmax (first index wins a
    tie); for sigmoid the 0/1 int matrix ``logits > 0`` of shape
    (n_samples, n_units), i.e. probability above one half."""
    if output == "softmax":
        return np.argmax(logits, axis=1)
    return (logits > 0).astype(np.int64)
