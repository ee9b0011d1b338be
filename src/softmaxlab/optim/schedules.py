"""Learning-rate schedules, stepped once per epoch by the trainer.

Each schedule is bound to an optimizer and sets ``optimizer.lr`` from the
base rate it had when the schedule was made. ``step(epoch, ...)`` is called
after epoch ``epoch`` (counting from 1) with that epoch's losses.
"""
from __future__ import annotations

import math

from softmaxlab._validation import Interval, Options, validate_params

__all__ = [
    "SCHEDULES",
    "ConstantLR",
    "CosineLR",
    "InverseScalingLR",
    "ReduceLROnPlateau",
    "Schedule",
    "StepLR",
    "make_schedule",
]


class Schedule:
    """Base: a constant learning rate.

    Parameters
    ----------
    optimizer : Optimizer
        Its current ``lr`` becomes the base rate.
    """

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.base_lr = optimizer.lr

    def step(self, epoch: int, train_loss: float | None = None, val_loss: float | None = None,
             samples_seen: int = 0) -> float:
        """Set and return the learning rate for the next epoch."""
        return self.optimizer.lr

    def state_dict(self) -> dict:
        """JSON-able state for checkpoints."""
        return {k: v for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state: dict) -> None:
        for k, v in state.items():
            setattr(self, k, v)


class ConstantLR(Schedule):
    """``lr`` never changes."""


class StepLR(Schedule):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs:
    ``lr = base * gamma ** (epoch // step_size)``."""

    def __init__(self, optimizer, step_size: int = 10, gamma: float = 0.1):
        super().__init__(optimizer)
        validate_params("StepLR", {"step_size": [Interval(int, 1)],
                                   "gamma": [Interval(float, 0, 1, closed="right")]},
                        {"step_size": step_size, "gamma": gamma})
        self.step_size, self.gamma = step_size, float(gamma)

    def step(self, epoch, train_loss=None, val_loss=None, samples_seen=0):
        self.optimizer.lr = self.base_lr * self.gamma ** (epoch // self.step_size)
        return self.optimizer.lr


class CosineLR(Schedule):
    """Cosine annealing from the base rate to ``min_lr`` over ``total_epochs``:
    ``lr = min + (base - min) (1 + cos(pi e / T)) / 2``."""

    def __init__(self, optimizer, total_epochs: int, min_lr: float = 0.0):
        super().__init__(optimizer)
        validate_params("CosineLR", {"total_epochs": [Interval(int, 1)],
                                     "min_lr": [Interval(float, 0)]},
                        {"total_epochs": total_epochs, "min_lr": min_lr})
        self.total_epochs, self.min_lr = total_epochs, float(min_lr)

    def step(self, epoch, train_loss=None, val_loss=None, samples_seen=0):
        e = min(epoch, self.total_epochs)
        self.optimizer.lr = self.min_lr + (self.base_lr - self.min_lr) * (
            1 + math.cos(math.pi * e / self.total_epochs)) / 2
        return self.optimizer.lr


class InverseScalingLR(Schedule):
    """``lr = base / (t + 1) ** power_t`` with ``t`` the number of samples seen
    (scikit-learn's ``invscaling``) or, with ``unit="epoch"``, epochs done."""

    def __init__(self, optimizer, power_t: float = 0.5, unit: str = "sample"):
        super().__init__(optimizer)
        validate_params("InverseScalingLR", {"power_t": [Interval(float, 0)],
                                             "unit": [Options("sample", "epoch")]},
                        {"power_t": power_t, "unit": unit})
        self.power_t, self.unit = float(power_t), unit

    def step(self, epoch, train_loss=None, val_loss=None, samples_seen=0):
        t = samples_seen if self.unit == "sample" else epoch
        self.optimizer.lr = self.base_lr / (t + 1) ** self.power_t
        return self.optimizer.lr


class ReduceLROnPlateau(Schedule):
    """Multiply the rate by ``factor`` when the monitored loss (validation loss
    if given, else training loss) has not improved by more than ``threshold``
    for ``patience`` epochs; never below ``min_lr``."""

    def __init__(self, optimizer, factor: float = 0.1, patience: int = 5,
                 threshold: float = 1e-4, min_lr: float = 0.0):
        super().__init__(optimizer)
        validate_params("ReduceLROnPlateau", {
            "factor": [Interval(float, 0, 1, closed="neither")], "patience": [Interval(int, 0)],
            "threshold": [Interval(float, 0)], "min_lr": [Interval(float, 0)]},
            {"factor": factor, "patience": patience, "threshold": threshold, "min_lr": min_lr})
        self.factor, self.patience = float(factor), patience
        self.threshold, self.min_lr = float(threshold), float(min_lr)
        self.best = math.inf
        self.bad_epochs = 0

    def step(self, epoch, train_loss=None, val_loss=None, samples_seen=0):
        loss = val_loss if val_loss is not None else train_loss
        if loss is None:
            return self.optimizer.lr
        if loss < self.best - self.threshold:
            self.best, self.bad_epochs = loss, 0
        else:
            self.bad_epochs += 1
            if self.bad_epochs > self.patience:
                self.optimizer.lr = max(self.optimizer.lr * self.factor, self.min_lr)
                self.bad_epochs = 0
        return self.optimizer.lr


SCHEDULES = {
    "constant": ConstantLR,
    "step": StepLR,
    "cosine": CosineLR,
    "invscaling": InverseScalingLR,
    "plateau": ReduceLROnPlateau,
}


def make_schedule(name: str, optimizer, **kwargs) -> Schedule:
    """Schedule by name: constant, step, cosine (needs ``total_epochs``),
    invscaling, plateau. Extra keyword arguments go to the class."""
    validate_params("make_schedule", {"name": [Options(*SCHEDULES)]}, {"name": name})
    return SCHEDULES[name](optimizer, **kwargs)
