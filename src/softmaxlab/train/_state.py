"""A trainer's checkpoint state: everything needed to resume training
bit-identically (weights, optimizer buffers, schedule, the Generator's state,
history, counters, early stopping), as JSON-able scalars plus named arrays
that ``runs/folder.py`` writes to one ``.npz``."""
from __future__ import annotations

import numpy as np

from softmaxlab.backend import to_numpy
from softmaxlab.train.history import History

__all__ = ["load_trainer_state", "trainer_state"]


def trainer_state(trainer) -> dict:
    """Everything needed to resume bit-identically, as
    ``{"scalars": JSON-able dict, "arrays": {name: ndarray}}``: weights,
    optimizer buffers, schedule, the Generator's state, history, counters."""
    arrays = {f"weights.{i}": to_numpy(w) for i, w in enumerate(trainer.model.get_weights())}
    opt = trainer.optimizer.state_dict()
    arrays.update({f"optimizer.{k}": v for k, v in opt["arrays"].items()})
    scalars = {
        "epoch": trainer.epoch,
        "samples_seen": trainer.samples_seen,
        "rng": trainer.rng.bit_generator.state,
        "history": trainer.history.to_dict(),
        "optimizer": opt["scalars"],
        "schedule": trainer.schedule.state_dict() if trainer.schedule is not None else None,
    }
    if trainer.early_stopping is not None:
        scalars["early_stopping"] = trainer.early_stopping.state_dict()["scalars"]
        # The kept best weights (the file's names from when EarlyStopping held them).
        best = trainer.best_weights or []
        arrays.update({f"early_stopping.{i}": to_numpy(a) for i, a in enumerate(best)})
    return {"scalars": scalars, "arrays": arrays}


def load_trainer_state(trainer, state: dict) -> None:
    """Restore from ``state_dict()`` output."""
    sc, arrays = state["scalars"], state["arrays"]
    n_w = len(trainer.model.parameters())
    trainer.model.set_weights([arrays[f"weights.{i}"] for i in range(n_w)])
    trainer.optimizer.load_state_dict({
        "scalars": sc["optimizer"],
        "arrays": {k[len("optimizer."):]: v for k, v in arrays.items() if k.startswith("optimizer.")},
    })
    if trainer.schedule is not None and sc.get("schedule") is not None:
        trainer.schedule.load_state_dict(sc["schedule"])
    trainer.rng.bit_generator.state = sc["rng"]
    trainer.history = History.from_dict(sc["history"])
    trainer.epoch, trainer.samples_seen = int(sc["epoch"]), int(sc["samples_seen"])
    if trainer.early_stopping is not None and "early_stopping" in sc:
        es_arrays = sorted((k for k in arrays if k.startswith("early_stopping.")),
                           key=lambda k: int(k.rsplit(".", 1)[1]))
        trainer.early_stopping.load_state_dict({"scalars": sc["early_stopping"]})
        trainer.best_weights = [np.array(arrays[k], copy=True) for k in es_arrays] or None
