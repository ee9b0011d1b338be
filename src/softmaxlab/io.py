"""Saving and loading models and checkpoints: ``.npz`` arrays plus a JSON
header, never pickle.

A file is a NumPy ``.npz`` archive holding plain numeric arrays and one entry
``__header__``: UTF-8 JSON stored as a uint8 array. It is read with
``allow_pickle=False``, so a file that smuggles a pickled object is refused,
never executed. Writes are atomic: a temporary file in the same folder is
written, flushed, fsynced, then renamed over the target, so a crash mid-write
leaves either the old file or the new one, never half of one.
"""
from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

from softmaxlab.nn.model import Sequential

__all__ = [
    "FORMAT_VERSION",
    "LoadedModel",
    "ModelFormatError",
    "atomic_write",
    "load_bundle",
    "load_model",
    "save_bundle",
    "save_model",
]

FORMAT_VERSION = 1
_HEADER = "__header__"


class ModelFormatError(ValueError):
    """A model or checkpoint file is unreadable, corrupt, of an unknown
    format version, or holds something other than plain arrays."""


class LoadedModel(NamedTuple):
    model: Sequential
    meta: dict
    arrays: dict


def atomic_write(path, write, mode: str = "wb") -> Path:
    """Call ``write(fileobj)`` on a temporary file next to ``path``, fsync it,
    and rename it onto ``path`` (atomic on POSIX). Returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    try:  # make the rename itself durable
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass
    return path


def save_bundle(path, kind: str, header: dict, arrays: dict[str, np.ndarray]) -> Path:
    """Write a JSON header and named numeric arrays atomically.

    Parameters
    ----------
    path : str or Path
    kind : str
        ``"model"`` or ``"checkpoint"``; checked on load.
    header : dict
        JSON-able.
    arrays : dict of str -> ndarray
        Numeric (non-object) arrays.
    """
    for k, a in arrays.items():
        if np.asarray(a).dtype.kind == "O" or k == _HEADER:
            raise ValueError(f"save_bundle: array {k!r} is not a plain numeric array.")
    full = {"format": "softmaxlab", "kind": kind, "version": FORMAT_VERSION, **header}
    blob = np.frombuffer(json.dumps(full).encode("utf-8"), dtype=np.uint8)
    return atomic_write(path, lambda f: np.savez(f, **{_HEADER: blob}, **arrays))


def load_bundle(path, kind: str) -> tuple[dict, dict[str, np.ndarray]]:
    """Read a file written by ``save_bundle``; return (header, arrays).

    Raises
    ------
    FileNotFoundError
    ModelFormatError
        Not a softmaxlab file, truncated or corrupt, a pickled object inside,
        the wrong kind, or a format version newer than this library reads.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No such {kind} file: {path}")
    try:
        with np.load(path, allow_pickle=False) as z:
            if not hasattr(z, "files"):
                raise ModelFormatError(f"{path} is a bare .npy array, not a softmaxlab {kind} file.")
            arrays = {k: z[k] for k in z.files}
    except ModelFormatError:
        raise
    except ValueError as e:
        if "pickle" in str(e).lower():
            raise ModelFormatError(
                f"{path} contains a pickled Python object; softmaxlab refuses to load it "
                "because unpickling can run arbitrary code. Re-save the model with softmaxlab."
            ) from None
        raise ModelFormatError(f"{path} is not a readable softmaxlab {kind} file ({e}).") from None
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, TypeError, RuntimeError) as e:
        raise ModelFormatError(
            f"{path} is truncated or corrupt and cannot be read as a softmaxlab {kind} file "
            f"({type(e).__name__}: {e}).") from None
    blob = arrays.pop(_HEADER, None)
    if blob is None or blob.dtype != np.uint8 or blob.ndim != 1:
        raise ModelFormatError(f"{path} has no softmaxlab header; it was not written by softmaxlab.")
    try:
        header = json.loads(blob.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelFormatError(f"{path} has a corrupt header ({e}).") from None
    if not isinstance(header, dict) or header.get("format") != "softmaxlab":
        raise ModelFormatError(f"{path} was not written by softmaxlab.")
    version = header.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
        raise ModelFormatError(
            f"{path} has format version {version!r}; this softmaxlab reads versions 1..{FORMAT_VERSION}. "
            "Upgrade softmaxlab to read it.")
    if header.get("kind") != kind:
        raise ModelFormatError(f"{path} is a {header.get('kind')!r} file, not a {kind} file.")
    return header, arrays


def save_model(path, model: Sequential, meta: dict | None = None,
               arrays: dict[str, np.ndarray] | None = None) -> Path:
    """Save a model's architecture and weights, plus free-form metadata.

    Parameters
    ----------
    path : str or Path
        Conventionally ``model.npz``.
    model : Sequential
    meta : dict, optional
        JSON-able (label names, preprocessing settings, estimator parameters...).
    arrays : dict of str -> ndarray, optional
        Extra numeric arrays (e.g. a scaler's mean and scale).
    """
    out = {f"param.{i}": w for i, w in enumerate(model.get_weights())}
    out.update({f"extra.{k}": np.asarray(v) for k, v in (arrays or {}).items()})
    header = {"architecture": model.config(), "dtype": np.dtype(model.dtype).name, "meta": meta or {}}
    return save_bundle(path, "model", header, out)


def load_model(path) -> LoadedModel:
    """Load a model saved by ``save_model`` (by the CLI or the estimators).

    Returns
    -------
    LoadedModel(model, meta, arrays)
    """
    header, arrays = load_bundle(path, "model")
    try:
        model = Sequential.from_config(header["architecture"], dtype=np.dtype(header["dtype"]))
        params = model.parameters()
        weights = [arrays[f"param.{i}"] for i in range(len(params))]
        model.set_weights(weights)
    except (KeyError, ValueError, TypeError) as e:
        raise ModelFormatError(f"{path}: architecture and stored weights do not match ({e}).") from None
    extra = {k[len("extra."):]: v for k, v in arrays.items() if k.startswith("extra.")}
    return LoadedModel(model, header.get("meta", {}), extra)
