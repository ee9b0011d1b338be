"""Find the model a command is about: a run folder or a ``model.npz``."""
from __future__ import annotations

from pathlib import Path

from softmaxlab.runs.predictor import Predictor, load_predictor
from softmaxlab.runs.folder import MODEL

__all__ = ["resolve_model"]


def resolve_model(path) -> tuple[Predictor, Path | None]:
    """A run folder or a ``model.npz`` -> (predictor, run folder or None)."""
    path = Path(path)
    if path.is_dir():
        if not (path / MODEL).is_file():
            raise FileNotFoundError(f"{path} has no {MODEL}; give a run folder or a model file")
        return load_predictor(path / MODEL), path
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such run folder or model file")
    return load_predictor(path), None
