"""The reference engine's maths: layers with hand-written forward and backward
passes, the fused losses, and the model builders, written against the Python
array API (NumPy, PyTorch, CuPy, array-api-strict)."""
from softmaxlab.nn.functional import (
    log_sigmoid,
    log_softmax,
    logsumexp,
    one_hot,
    sigmoid,
    softmax,
    softplus,
)
from softmaxlab.nn.init import get_initializer, glorot_uniform, he_normal, normal, zeros
from softmaxlab.nn.layers import (
    ACTIVATIONS,
    Dropout,
    Identity,
    Layer,
    LeakyReLU,
    Linear,
    Parameter,
    ReLU,
    Sigmoid,
    Tanh,
    make_activation,
)
from softmaxlab.nn.losses import SoftmaxCrossEntropy
from softmaxlab.nn.builders import from_weights, mlp, softmax_regression
from softmaxlab.nn.model import OUTPUTS, Sequential
from softmaxlab.nn.outputs import make_loss
from softmaxlab.nn.sigmoid_loss import SigmoidBinaryCrossEntropy

__all__ = [
    "ACTIVATIONS",
    "Dropout",
    "Identity",
    "Layer",
    "LeakyReLU",
    "Linear",
    "OUTPUTS",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "SigmoidBinaryCrossEntropy",
    "SoftmaxCrossEntropy",
    "Tanh",
    "from_weights",
    "get_initializer",
    "glorot_uniform",
    "he_normal",
    "log_softmax",
    "log_sigmoid",
    "logsumexp",
    "make_activation",
    "make_loss",
    "mlp",
    "normal",
    "one_hot",
    "sigmoid",
    "softmax",
    "softmax_regression",
    "softplus",
    "zeros",
]
