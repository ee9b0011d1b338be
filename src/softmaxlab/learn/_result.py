"""The result of a check: passed, failed or not done yet, shown as text and in a notebook."""
from __future__ import annotations

import html
from dataclasses import dataclass

__all__ = ["CheckResult", "FAILED", "NOT_DONE", "PASSED"]

PASSED, FAILED, NOT_DONE = "passed", "failed", "not done yet"
_MARK = {PASSED: "\u2714", FAILED: "\u2718", NOT_DONE: "\u2026"}
_COLOUR = {PASSED: "#1a7f37", FAILED: "#cf222e", NOT_DONE: "#9a6700"}


@dataclass(frozen=True)
class CheckResult:
    """What a check found out about the learner's function.

    Attributes
    ----------
    name : str
        The check, e.g. ``"check_softmax"``.
    status : {"passed", "failed", "not done yet"}
        "not done yet" when the function still raises ``NotImplementedError``
        or returns None (the unmodified exercise).
    message : str
        What is right or wrong, in the learner's terms (at most one offending
        entry with its expected value; never the whole expected answer).
    hint : str
        A hint towards the fix, never the solution ("" when passed).
    """

    name: str
    status: str
    message: str
    hint: str = ""

    @property
    def passed(self) -> bool:
        """True exactly when ``status == "passed"``."""
        return self.status == PASSED

    def __bool__(self) -> bool:
        # ``assert check_softmax(fn)`` and ``if check_softmax(fn):`` mean "passed".
        return self.passed

    def __str__(self) -> str:
        text = f"{_MARK[self.status]} {self.name}: {self.status}. {self.message}"
        return text + (f"\nHint: {self.hint}" if self.hint else "")

    def __repr__(self) -> str:
        return f"<CheckResult {self.name} {self.status}: {self.message!r}>"

    def _repr_html_(self) -> str:
        # Every piece of text is escaped: messages quote the learner's code
        # and exception messages, which may contain <, > and &.
        colour = _COLOUR[self.status]
        parts = [f'<div style="border-left:4px solid {colour};padding:4px 8px;margin:4px 0">',
                 f'<b style="color:{colour}">{_MARK[self.status]} {html.escape(self.name)}: '
                 f'{html.escape(self.status)}</b>',
                 f'<div style="white-space:pre-wrap">{html.escape(self.message)}</div>']
        if self.hint:
            parts.append(f'<div><i>Hint:</i> {html.escape(self.hint)}</div>')
        parts.append("</div>")
        return "".join(parts)
