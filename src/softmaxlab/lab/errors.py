"""The lab's refusals: one exception type with a stable ``code`` per kind of
message, its parameters, and the HTTP status. The page shows the English
``message`` or translates ``code`` with ``params`` from its catalogue."""
from __future__ import annotations

from softmaxlab.errors import SoftmaxlabError

import math

__all__ = ["ERROR_CODES", "LabError", "shown"]

# Every code a refusal or a frame's message can carry (docs/lab.md explains
# each); the page's catalogues translate them, tests check this list.
ERROR_CODES = (
    "bad_json", "too_deep", "not_object", "body_too_large", "upload_too_large",
    "unknown_setting", "not_a_number", "not_whole_number", "not_finite", "out_of_range",
    "bad_choice", "bad_widths", "bad_features", "no_upload", "bad_split", "unknown_action",
    "bad_speed", "bad_unit", "bad_point", "no_epochs", "export_features", "upload_not_csv",
    "upload_unreadable", "upload_columns", "upload_rows", "upload_one_class", "upload_classes",
    "upload_single_row", "session_gone", "not_found", "method_not_allowed", "busy",
    "cancelled", "run_folder_limit", "rate_limited", "too_many_sessions", "report_failed",
    "diverged",
    "epoch_limit", "overflow",
)


def shown(value, limit: int = 80):
    """``value`` as it may travel in JSON: finite numbers and short strings as
    they are, anything else (NaN, infinities, lists, deep structures) as a
    shortened ``repr``."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**53 else f"{str(value)[:limit]}..."
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, str):
        return value if len(value) <= limit else value[:limit] + "..."
    try:
        text = repr(value)
    except RecursionError:
        return "(nested too deeply)"
    return text if len(text) <= limit else text[:limit] + "..."


class LabError(SoftmaxlabError):
    """A refused request.

    Parameters
    ----------
    code : str
        Stable identifier of the message (docs/lab.md lists them).
    message : str
        The English message: names the bad value and the fix.
    status : int, default 400
    field : str, optional
        The setting or input concerned.
    params, **more
        The message's values, JSON-able (the page's translations use them).
    """

    def __init__(self, code: str, message: str, *, status: int = 400, field: str | None = None,
                 params: dict | None = None, **more):
        super().__init__(message)
        self.code, self.status, self.field = code, status, field
        self.params = {k: shown(v) if k in ("value", "kept", "speed", "unit", "action") else v
                       for k, v in {**(params or {}), **more}.items()}

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": str(self), "field": self.field,
                          "params": self.params}}
