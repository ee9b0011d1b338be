"""The command line tells a user's error from a bug in softmaxlab: only
softmaxlab's own exceptions (and the operating system's: a missing file, a
full disk) become one line; anything else prints its traceback and says
that it is a bug to report."""
from __future__ import annotations

import pytest

from softmaxlab.cli import app
from softmaxlab.errors import InputError, SoftmaxlabError


def _runs_raising(monkeypatch, exc):
    def boom(args):
        raise exc

    monkeypatch.setitem(app.COMMANDS, "runs", (app.COMMANDS["runs"][0], boom))


@pytest.mark.parametrize("exc", [KeyError("width"), ValueError("operands could not be broadcast"),
                                 TypeError("unsupported operand"), IndexError("index 3")])
def test_a_bug_shows_its_traceback_and_says_to_report_it(monkeypatch, capsys, tmp_path, exc):
    _runs_raising(monkeypatch, exc)
    status = app.main(["runs", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 70
    assert "Traceback (most recent call last)" in err and type(exc).__name__ in err
    assert "bug in softmaxlab" in err and "report it" in err


@pytest.mark.parametrize("exc", [InputError("col 'x' holds text; pass --categorical onehot"),
                                 FileNotFoundError("data.csv: no such file")])
def test_a_user_error_stays_one_line(monkeypatch, capsys, tmp_path, exc):
    _runs_raising(monkeypatch, exc)
    status = app.main(["runs", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 1
    assert err.count("\n") == 1 and "Traceback" not in err and str(exc) in err


def test_every_exception_class_of_softmaxlab_is_its_own():
    # The errors the library raises for a user's input all derive from
    # SoftmaxlabError, so the command line can tell them from bugs.
    import softmaxlab.cli.config
    import softmaxlab.data
    import softmaxlab.export
    import softmaxlab.io
    import softmaxlab.runs.folder
    import softmaxlab.train
    from softmaxlab._validation import NumericalOverflowError

    for cls in (softmaxlab.cli.config.ConfigError, softmaxlab.io.ModelFormatError,
                softmaxlab.data.IDXFormatError, softmaxlab.export.ExportError,
                softmaxlab.runs.folder.RunLockedError, softmaxlab.runs.folder.RunWriteError,
                softmaxlab.runs.folder.RunExistsError, softmaxlab.train.TrainingDivergedError,
                NumericalOverflowError):
        assert issubclass(cls, SoftmaxlabError), cls
