"""Optimizers (SGD, Adam) and learning-rate schedules."""
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
from softmaxlab.errors import InputError

OPTIMIZERS = {"sgd": SGD, "adam": Adam}


def make_optimizer(name: str, params, **kwargs) -> Optimizer:
    """Optimizer by name (``sgd`` or ``adam``); keyword arguments go to the class."""
    try:
        cls = OPTIMIZERS[name]
    except (KeyError, TypeError):
        raise InputError(f"Unknown optimizer {name!r}; valid names are {sorted(OPTIMIZERS)}.") from None
    return cls(params, **kwargs)


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
