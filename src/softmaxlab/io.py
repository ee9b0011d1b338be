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
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np

from softmaxlab.backend import numpy_dtype, to_numpy
from softmaxlab.nn.model import OUTPUTS, Sequential
from softmaxlab.errors import InputError, InputTypeError, SoftmaxlabError

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
_MODEL_DTYPES = ("float32", "float64")


class ModelFormatError(SoftmaxlabError, ValueError):
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
    # mkstemp creates 0600; give the file the permissions a plain open() would.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
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
            raise InputError(f"save_bundle: array {k!r} is not a plain numeric array.")
    full = {"format": "softmaxlab", "kind": kind, "version": FORMAT_VERSION, **header}
    blob = np.frombuffer(json.dumps(full).encode("utf-8"), dtype=np.uint8)
    return atomic_write(path, lambda f: np.savez(f, **{_HEADER: blob}, **arrays))


_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a member, or an empty archive
_NPY_MAGIC = b"\x93NUMPY"
_PICKLE_MAGIC = b"\x80"  # pickle protocol 2 and later


def _check_container(path: Path, kind: str) -> None:
    """Refuse anything that is not a zip archive before NumPy sees it: given
    ``allow_pickle=False`` NumPy would call any other file 'pickled data'."""
    with open(path, "rb") as f:
        magic = f.read(6)
    if magic[:4] in _ZIP_MAGIC:
        return
    if not magic:
        raise ModelFormatError(f"{path} is empty (0 bytes); the {kind} file was not written "
                               "completely. Save it again.")
    if magic == _NPY_MAGIC:
        raise ModelFormatError(f"{path} is a bare .npy array, not a softmaxlab {kind} file.")
    if magic[:1] == _PICKLE_MAGIC:
        raise ModelFormatError(
            f"{path} is a pickled Python object; softmaxlab refuses to load it because "
            "unpickling can run arbitrary code. Re-save the model with softmaxlab.")
    raise ModelFormatError(
        f"{path} is not a softmaxlab {kind} file: expected a .npz (zip) archive, found a file "
        f"starting with {magic[:4]!r}.")


def load_bundle(path, kind: str) -> tuple[dict, dict[str, np.ndarray]]:
    """Read a file written by ``save_bundle``; return (header, arrays).

    Raises
    ------
    FileNotFoundError
    IsADirectoryError
    ModelFormatError
        Not a softmaxlab file, truncated or corrupt, a pickled object inside,
        the wrong kind, or a format version newer than this library reads.
        Nothing in the file is ever unpickled.
    """
    path = Path(path)
    if path.is_dir():
        inside = path / f"{kind}.npz"
        hint = f"; did you mean {inside}?" if inside.is_file() else ""
        raise IsADirectoryError(f"{path} is a directory, not a {kind} file{hint}")
    if not path.is_file():
        raise FileNotFoundError(f"No such {kind} file: {path}")
    _check_container(path, kind)
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except ValueError as e:
        if "pickle" in str(e).lower():
            raise ModelFormatError(
                f"{path} contains a pickled Python object; softmaxlab refuses to load it "
                "because unpickling can run arbitrary code. Re-save the model with softmaxlab."
            ) from None
        raise ModelFormatError(f"{path} is not a readable softmaxlab {kind} file ({e}).") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError, TypeError, RuntimeError,
            MemoryError, NotImplementedError, UnicodeDecodeError, SyntaxError) as e:
        # SyntaxError: NumPy parses a .npy member's header with ast.literal_eval.
        raise ModelFormatError(
            f"{path} is truncated or corrupt and cannot be read as a softmaxlab {kind} file "
            f"({type(e).__name__}: {e}).") from None
    for k, a in arrays.items():
        if not isinstance(a, np.ndarray):  # NpzFile hands back raw bytes for non-.npy members
            raise ModelFormatError(f"{path}: member {k!r} is not a NumPy array; the file was not "
                                   "written by softmaxlab or is corrupt.")
    blob = arrays.pop(_HEADER, None)
    if blob is None or blob.dtype != np.uint8 or blob.ndim != 1:
        raise ModelFormatError(f"{path} has no softmaxlab header; it was not written by softmaxlab.")
    try:
        header = json.loads(blob.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise ModelFormatError(f"{path} has a corrupt header ({type(e).__name__}).") from None
    if not isinstance(header, dict) or header.get("format") != "softmaxlab":
        raise ModelFormatError(f"{path} was not written by softmaxlab.")
    version = header.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
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
    # NumPy copies, whatever library and device the model trained on: the
    # file loads anywhere.
    out = {f"param.{i}": to_numpy(w) for i, w in enumerate(model.get_weights())}
    out.update({f"extra.{k}": to_numpy(v) for k, v in (arrays or {}).items()})
    header = {"architecture": model.config(), "dtype": numpy_dtype(model.dtype).name,
              "output": model.output, "meta": meta or {}}
    return save_bundle(path, "model", header, out)


def _check_param_shapes(path, architecture, arrays) -> None:
    """Compare the Linear sizes the header declares with the stored arrays
    *before* building the model, so a forged ``n_in``/``n_out`` cannot make
    us allocate (and zero) gigabytes of parameters and gradients."""
    if not isinstance(architecture, list):
        return  # from_config reports it
    expected = []
    for cfg in architecture:
        if isinstance(cfg, dict) and cfg.get("type") == "Linear":
            expected += [(cfg.get("n_in"), cfg.get("n_out")), (cfg.get("n_out"),)]
    for i, shape in enumerate(expected):
        stored = arrays.get(f"param.{i}")
        if stored is None or stored.shape != shape:
            found = "nothing" if stored is None else f"shape {stored.shape}"
            raise ModelFormatError(
                f"{path}: architecture and stored weights do not match (param.{i} should have "
                f"shape {shape}, found {found}).")


def load_model(path) -> LoadedModel:
    """Load a model saved by ``save_model`` (by the CLI or the estimators).

    Returns
    -------
    LoadedModel(model, meta, arrays)
    """
    header, arrays = load_bundle(path, "model")
    dtype = header.get("dtype")
    if dtype not in _MODEL_DTYPES:
        raise ModelFormatError(f"{path}: model dtype {dtype!r} is not one of {list(_MODEL_DTYPES)}.")
    if not isinstance(header.get("meta", {}), dict):
        raise ModelFormatError(f"{path}: the model metadata is not a JSON object.")
    _check_param_shapes(path, header.get("architecture"), arrays)
    if header.get("output", "softmax") not in OUTPUTS:
        raise ModelFormatError(f"{path}: unknown model output {header.get('output')!r}; this "
                               f"softmaxlab knows {list(OUTPUTS)}. Upgrade softmaxlab to read it.")
    try:
        # Files written before sigmoid outputs existed have no "output": softmax.
        model = Sequential.from_config(header["architecture"], dtype=np.dtype(dtype),
                                       output=header.get("output", "softmax"))
        params = model.parameters()
        weights = [arrays[f"param.{i}"] for i in range(len(params))]
        for p, w in zip(params, weights, strict=True):
            if w.dtype.kind not in "fiu":
                raise InputTypeError(f"{p.name} has dtype {w.dtype}, not a real number type")
            if not np.all(np.isfinite(w)):
                raise ModelFormatError(
                    f"{path}: parameter {p.name} holds NaN or infinite values; the model "
                    "diverged before it was saved. Retrain it (e.g. with a lower learning rate).")
        model.set_weights(weights)
    except (KeyError, ValueError, TypeError, MemoryError) as e:
        if isinstance(e, ModelFormatError):
            raise
        raise ModelFormatError(f"{path}: architecture and stored weights do not match ({e}).") from None
    extra = {k[len("extra."):]: v for k, v in arrays.items() if k.startswith("extra.")}
    return LoadedModel(model, header.get("meta", {}), extra)
