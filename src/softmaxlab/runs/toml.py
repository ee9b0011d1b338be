"""Writing and reading the TOML of run folders (``config.toml``): flat
settings, then tables such as ``[meta]`` and ``[encoding]``."""
from __future__ import annotations

import math
from pathlib import Path
from softmaxlab.errors import InputTypeError

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10 needs the tomli backport
    import tomli as tomllib

__all__ = ["dumps_toml", "read_toml", "tomllib"]


def _toml_key(k: str) -> str:
    # TOML's bare keys are ASCII letters, digits, "_" and "-" only ("région"
    # must be quoted, although str.isalnum accepts it).
    if k and all(c.isascii() and (c.isalnum() or c in "_-") for c in k):
        return k
    return _toml_value(str(k))


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        # repr round-trips a float exactly, which bit-for-bit reruns need.
        return repr(v) if math.isfinite(v) else ("nan" if math.isnan(v) else
                                                   ("inf" if v > 0 else "-inf"))
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise InputTypeError(f"cannot write {v!r} ({type(v).__name__}) to TOML")


def _table(name: str, values: dict) -> list:
    """``[name]`` with its scalars, then each nested dict as ``[name.key]``."""
    lines = ["", f"[{name}]"]
    lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in values.items()
              if v is not None and not isinstance(v, dict)]
    for k, v in values.items():
        if isinstance(v, dict) and v:
            lines += _table(f"{name}.{_toml_key(k)}", v)
    return lines


def dumps_toml(settings: dict, meta: dict | None = None, tables: dict | None = None) -> str:
    """Write flat ``settings``, an optional ``[meta]`` table and other tables as TOML.

    TOML has no null, so a ``None`` setting is written as a comment and read
    back as the default (which is ``None`` for every optional setting).
    """
    lines = []
    for k, v in settings.items():
        lines.append(f"# {k} = (unset)" if v is None else f"{k} = {_toml_value(v)}")
    for name, values in {"meta": meta, **(tables or {})}.items():
        if values:
            lines += _table(name, values)
    return "\n".join(lines) + "\n"


def read_toml(path) -> dict:
    """Parse a TOML file (raises ``tomllib.TOMLDecodeError``)."""
    return tomllib.loads(Path(path).read_text(encoding="utf-8"))
