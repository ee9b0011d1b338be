"""Which array library and device an array lives on, and moving arrays
between them. Plumbing for the engine, not maths.

softmaxlab's reference engine (``nn/``, ``optim/``) is written against the
Python array API, so it runs on NumPy, PyTorch, CuPy or array-api-strict
arrays. Parameters are always *created* as NumPy arrays from the run's one
``numpy.random.Generator`` and then copied to the target library and device,
so the same seed gives the same model everywhere. Saving a model copies its
arrays back to NumPy, so a file written from a GPU run loads anywhere.
"""
from __future__ import annotations

from softmaxlab.errors import SoftmaxlabError

import numpy as np
from array_api_compat import (
    array_namespace,
    device,
    is_array_api_strict_namespace,
    is_cupy_array,
    is_numpy_array,
    is_numpy_namespace,
    is_torch_array,
)

__all__ = [
    "BACKENDS",
    "BackendError",
    "array_namespace",
    "check_same_device",
    "device",
    "from_numpy",
    "is_numpy_array",
    "numpy_dtype",
    "resolve_backend",
    "supports_float64",
    "to_numpy",
    "xp_dtype",
]

#: Names accepted by :func:`resolve_backend` (and ``softmaxlab train --backend``).
BACKENDS = ("numpy", "torch", "cupy")


class BackendError(SoftmaxlabError, ValueError):
    """An array library or a device that is not available, or arrays on
    different devices."""


def to_numpy(a) -> np.ndarray:
    """A NumPy copy (or view) of an array of any supported library, on the CPU.

    Parameters
    ----------
    a : array of NumPy, PyTorch, CuPy or array-api-strict (any shape)

    Returns
    -------
    numpy.ndarray of the same shape and dtype
    """
    if isinstance(a, np.ndarray):
        return a
    if is_torch_array(a):
        return a.detach().cpu().numpy()
    if is_cupy_array(a):
        return a.get()
    if np.isscalar(a) or isinstance(a, (list, tuple)):
        return np.asarray(a)
    # array-api-strict and other DLPack producers: DLPack hands over the
    # memory without a copy and works from any of array-api-strict's devices.
    return np.from_dlpack(a)


def numpy_dtype(dtype) -> np.dtype:
    """The NumPy dtype named like ``dtype`` of any supported library
    (``torch.float32`` -> ``np.float32``)."""
    if isinstance(dtype, np.dtype):
        return dtype
    try:
        return np.dtype(dtype)
    except TypeError:
        return np.dtype(str(dtype).rsplit(".", 1)[-1])


def xp_dtype(xp, dtype):
    """The dtype object of namespace ``xp`` named like the NumPy ``dtype``
    (``np.float32`` -> ``torch.float32`` for PyTorch)."""
    if is_numpy_namespace(xp):
        return np.dtype(dtype)
    return getattr(xp, np.dtype(dtype).name)


def from_numpy(a: np.ndarray, xp, device_=None):
    """Copy a NumPy array into namespace ``xp`` on ``device_`` (its default
    device when None), keeping the dtype.

    Parameters
    ----------
    a : numpy.ndarray of any shape
    xp : array namespace (``array_api_compat.array_namespace`` of an array)
    device_ : device object of that namespace, optional

    Raises
    ------
    BackendError
        The device does not support ``a``'s dtype (float64 on some GPUs and
        on array-api-strict's ``no_float64`` device): the message names the fix.
    """
    if is_numpy_namespace(xp):
        return np.array(a, copy=True)
    if a.dtype == np.float64 and not supports_float64(xp, device_):
        raise BackendError(
            f"the device {device_} does not support float64; use float32 (dtype='float32', or "
            "--dtype float32 on the command line).")
    return xp.asarray(np.ascontiguousarray(a), device=device_)


def supports_float64(xp, device_=None) -> bool:
    """Whether ``xp`` can hold float64 arrays on ``device_`` (Apple's MPS
    and array-api-strict's ``no_float64`` device cannot)."""
    if is_numpy_namespace(xp):
        return True
    info = getattr(xp, "__array_namespace_info__", None)
    if info is None:
        return True
    try:
        return "float64" in info().dtypes(device=device_)
    except (TypeError, ValueError):
        return True


def check_same_device(*arrays, names=None) -> None:
    """Raise ``BackendError`` naming the fix when arrays live in different
    array libraries or on different devices.

    Parameters
    ----------
    *arrays : arrays (None entries are skipped)
    names : sequence of str, optional
        How to call each array in the message (default ``"array 0"``, ...).
    """
    present = [(i, a) for i, a in enumerate(arrays) if a is not None]
    if len(present) < 2:
        return
    names = names or [f"array {i}" for i in range(len(arrays))]
    i0, a0 = present[0]
    ns0, dev0 = array_namespace(a0), device(a0)
    for i, a in present[1:]:
        ns, dev = array_namespace(a), device(a)
        if ns is not ns0:
            raise BackendError(
                f"{names[i0]} is a {_library(a0)} array but {names[i]} is a {_library(a)} array; "
                f"pass both as {_library(a0)} arrays (convert with {_library(a0)}.asarray).")
        if str(dev) != str(dev0):
            raise BackendError(
                f"{names[i0]} is on device {dev0} but {names[i]} is on device {dev}; move them to "
                f"one device first (for PyTorch: tensor.to('{dev0}')).")


def _library(a) -> str:
    if is_numpy_array(a):
        return "NumPy"
    if is_torch_array(a):
        return "PyTorch"
    if is_cupy_array(a):
        return "CuPy"
    xp = array_namespace(a)
    return "array-api-strict" if is_array_api_strict_namespace(xp) else type(a).__module__


def resolve_backend(name: str, device_name: str | None = None):
    """The namespace and device for ``softmaxlab train --backend NAME --device DEV``.

    Parameters
    ----------
    name : {"numpy", "torch", "cupy"}
    device_name : str, optional
        ``"cpu"``, ``"cuda"`` or ``"cuda:N"``. Default: ``cpu`` for NumPy
        and PyTorch, the current GPU for CuPy.

    Returns
    -------
    (xp, device) : the array-api-compat namespace and a device object

    Raises
    ------
    BackendError
        Unknown backend, library not installed, or device not available,
        with a message that says what to install or which device to pick.
    """
    if name not in BACKENDS:
        raise BackendError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}.")
    if device_name is not None and not (device_name == "cpu" or device_name == "cuda"
                                        or (device_name.startswith("cuda:")
                                            and device_name[5:].isdigit())):
        raise BackendError(f"unknown device {device_name!r}; use cpu, cuda or cuda:N.")
    if name == "numpy":
        if device_name not in (None, "cpu"):
            raise BackendError(f"the numpy backend runs on the CPU only, not {device_name!r}; "
                               "use --backend torch or --backend cupy for a GPU.")
        return np, None
    if name == "torch":
        return _torch_backend(device_name)
    return _cupy_backend(device_name)


def _torch_backend(device_name: str | None):
    """array-api-compat's PyTorch namespace and the ``torch.device`` named."""
    try:
        import torch
    except ImportError:
        raise BackendError("the torch backend needs PyTorch: pip install torch") from None
    import array_api_compat.torch as xp

    dev = torch.device(device_name or "cpu")
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise BackendError(f"device {device_name!r} was asked for, but PyTorch sees no CUDA "
                               "GPU here; use --device cpu.")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise BackendError(f"device {device_name!r} does not exist: PyTorch sees "
                               f"{torch.cuda.device_count()} GPU(s), cuda:0 to "
                               f"cuda:{torch.cuda.device_count() - 1}.")
    return xp, dev


def _cupy_backend(device_name: str | None):
    """array-api-compat's CuPy namespace and the ``cupy.cuda.Device`` named."""
    try:
        import cupy
    except ImportError:
        raise BackendError("the cupy backend needs CuPy built for your CUDA version, e.g. "
                           "pip install cupy-cuda12x") from None
    import array_api_compat.cupy as xp

    if device_name == "cpu":
        raise BackendError("CuPy runs on a GPU only; use --backend numpy or torch for the CPU.")
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception:  # noqa: BLE001 - CuPy raises its own CUDA errors when no driver is present
        n = 0
    index = int(device_name[5:]) if device_name and device_name.startswith("cuda:") else 0
    if index >= n:
        raise BackendError(f"CuPy sees {n} GPU(s); device {device_name or 'cuda'} is not available.")
    return xp, cupy.cuda.Device(index)
