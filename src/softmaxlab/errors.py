"""softmaxlab's own exceptions: the errors a user can fix.

Every one names the bad value and the fix. The command line prints these as
one line (exit status 2 for a bad option, 1 for data, files and training);
any other exception is a bug in softmaxlab and is shown with its traceback.
They also derive from the built-in exception a Python user expects
(``ValueError``, ``TypeError``...), so ``except ValueError`` keeps working.
"""
from __future__ import annotations

__all__ = ["InputError", "InputTypeError", "ParameterError", "SoftmaxlabError"]


class SoftmaxlabError(Exception):
    """Base class of the errors softmaxlab raises for input a user can fix."""


class InputError(SoftmaxlabError, ValueError):
    """A value, an array or a file the user gave cannot be used; the message
    names it and the fix."""


class InputTypeError(SoftmaxlabError, TypeError):
    """A value of the wrong type (a string where numbers are needed...); the
    message names it and what is expected."""


class ParameterError(SoftmaxlabError, ValueError, TypeError):
    """A parameter has a value outside its constraints; the message names the
    owner, the parameter, the value and what is allowed.

    Both a ``ValueError`` and a ``TypeError``, as scikit-learn's
    ``InvalidParameterError`` is, whichever way the value was wrong.

    Attributes
    ----------
    owner : str
        The class or function, e.g. ``"SGD"``.
    name : str
        The parameter, e.g. ``"momentum"``.
    value : object
        The value given.
    """

    def __init__(self, message: str, owner: str = "", name: str = "", value=None):
        super().__init__(message)
        self.owner, self.name, self.value = owner, name, value
