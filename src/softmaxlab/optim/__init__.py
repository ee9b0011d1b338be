"""Optimizers (SGD, Adam) and learning-rate schedules."""
from softmaxlab._validation import Options, validate_params
from softmaxlab.optim.adam import Adam
from softmaxlab.optim.base import Optimizer
from softmaxlab.optim.schedules import (
    SCHEDULES,
    ConstantLR,
    CosineLR,
    InverseScalingLR,
    ReduceLROnPlateau,
    Schedule,
    StepLR,
    make_schedule,
)
from softmaxlab.optim.sgd import SGD

OPTIMIZERS = {"sgd": SGD, "adam": Adam}


def make_optimizer(name: str, params, **kwargs) -> Optimizer:
    """Optimizer by name (``sgd`` or ``adam``); keyword arguments go to the class."""
    validate_params("make_optimizer", {"name": [Options(*OPTIMIZERS)]}, {"name": name})
    return OPTIMIZERS[name](params, **kwargs)


__all__ = [
    "OPTIMIZERS",
    "SCHEDULES",
    "SGD",
    "Adam",
    "ConstantLR",
    "CosineLR",
    "InverseScalingLR",
    "Optimizer",
    "ReduceLROnPlateau",
    "Schedule",
    "StepLR",
    "make_optimizer",
    "make_schedule",
]
