"""Notes about the user's data that are worth a line but not an error.

The data layer never prints. Something the user should know about, yet which
does not stop the work (rows with no values skipped, extra columns ignored,
categories never seen in training), is a :class:`DataNote` warning: the CLI
shows each as one ``softmaxlab: note: ...`` line on stderr, a notebook shows
it as a warning, and ``warnings.simplefilter("ignore", DataNote)`` silences it.
"""
from __future__ import annotations

__all__ = ["DataNote"]


class DataNote(UserWarning):
    """Something about the data the user should know; the work goes on."""
