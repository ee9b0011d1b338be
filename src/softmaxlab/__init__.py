"""softmaxlab: softmax regression and MLP classifiers with hand-written NumPy
forward and backward passes.

The engine (``softmaxlab.nn``, ``softmaxlab.optim``, ``softmaxlab.train``,
``softmaxlab.gradcheck``, ``softmaxlab.io``) needs only NumPy. The
scikit-learn estimators are imported lazily on first use. Importing
softmaxlab changes no interpreter-wide state (no import hooks, warning
filters or plotting backends) and imports none of matplotlib, torch, onnx,
skl2onnx, starlette or dask.
"""
from importlib import import_module

from softmaxlab import gradcheck
from softmaxlab.io import ModelFormatError, load_model, save_model
from softmaxlab.nn import (
    Dropout,
    Identity,
    LeakyReLU,
    Linear,
    ReLU,
    Sequential,
    Sigmoid,
    SigmoidBinaryCrossEntropy,
    SoftmaxCrossEntropy,
    Tanh,
    from_weights,
    mlp,
    softmax_regression,
)
from softmaxlab.optim import SGD, Adam
from softmaxlab.train import Callback, EarlyStopping, History, Trainer, TrainingDivergedError

__version__ = "0.1.0"

# Heavy (scikit-learn) names, resolved on first access.
_LAZY = {
    "SoftmaxRegression": "softmaxlab.estimators",
    "MLPClassifier": "softmaxlab.estimators",
    "load": "softmaxlab.estimators",
    "load_run": "softmaxlab.runs.predictor",
    "LivePlot": "softmaxlab.live",
}


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'softmaxlab' has no attribute {name!r}")


__all__ = [
    "SGD",
    "Adam",
    "Callback",
    "Dropout",
    "EarlyStopping",
    "History",
    "Identity",
    "LeakyReLU",
    "Linear",
    "LivePlot",
    "MLPClassifier",
    "ModelFormatError",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "SigmoidBinaryCrossEntropy",
    "SoftmaxCrossEntropy",
    "SoftmaxRegression",
    "Tanh",
    "Trainer",
    "TrainingDivergedError",
    "__version__",
    "from_weights",
    "gradcheck",
    "load",
    "load_model",
    "load_run",
    "mlp",
    "save_model",
    "softmax_regression",
]
