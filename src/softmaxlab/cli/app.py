"""The ``softmaxlab`` command: train, evaluate, predict, report, runs, gradcheck, datasets,
export, lab, lessons.

Parsing and dispatch only. Each subcommand is a pair in the ``COMMANDS`` table:
a function that declares its options (every one with a help line) and
``cmd_<name>(args)``, which runs it and returns the exit status; the pairs live
in :mod:`softmaxlab.cli.subcommands`, the work in :mod:`softmaxlab.cli.commands`
and softmaxlab.runs.report. User errors print one line on stderr and exit with 2 (bad usage or
option value) or 1 (data, files, training); ``--debug`` shows the traceback.
"""
from __future__ import annotations

import argparse
import os
import sys
import traceback
import warnings

from softmaxlab import __version__
from softmaxlab.cli.args import Parser, add_lessons
from softmaxlab.cli.config import ConfigError
from softmaxlab.cli.subcommands.models import (
    add_evaluate,
    add_export,
    add_gradcheck,
    add_predict,
    cmd_evaluate,
    cmd_export,
    cmd_gradcheck,
    cmd_predict,
)
from softmaxlab.cli.subcommands.tools import (
    add_datasets,
    add_lab,
    cmd_datasets,
    cmd_lab,
    cmd_lessons,
)
from softmaxlab.cli.subcommands.training import (
    add_report,
    add_runs,
    add_train,
    cmd_report,
    cmd_runs,
    cmd_train,
)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="softmaxlab", description="Softmax regression and MLP classifiers "
                    "with hand-written NumPy gradients.")
    parser.add_argument("--version", action="version", version=f"softmaxlab {__version__}",
                        help="show the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for add, _ in COMMANDS.values():
        add(sub)
    return parser


def _handle(args) -> int:
    from softmaxlab.cli.commands.checks import InputsWarning
    from softmaxlab.data import DataNote
    from softmaxlab.errors import SoftmaxlabError
    from softmaxlab.runs.folder import RunExistsError

    prog = f"softmaxlab {args.command}"
    try:
        with warnings.catch_warnings():
            # Every note about the data is shown, each time (not once per place).
            warnings.simplefilter("always", DataNote)
            warnings.simplefilter("always", InputsWarning)
            return COMMANDS[args.command][1](args)
    except BrokenPipeError:
        # The reader of stdout went away (``softmaxlab predict ... | head``): not
        # an error of ours. Point stdout at /dev/null so the interpreter's final
        # flush does not complain, and exit as other tools do when cut short.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (ConfigError, RunExistsError) as exc:  # fixed by choosing other options
        if args.debug:
            raise
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except (SoftmaxlabError, OSError) as exc:  # fixed by the user: the data, a file, the disk
        if args.debug:
            raise
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 1
    except Exception:  # anything else is a bug in softmaxlab: show where it happened
        traceback.print_exc()
        print(f"{prog}: internal error: this is a bug in softmaxlab {__version__}, not in what "
              "you gave it; please report it with the command you ran and the traceback above.",
              file=sys.stderr)
        return 70  # EX_SOFTWARE
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130


# The subcommands, in the order --help lists them: how each declares its
# options and the function that runs it (returning the exit status).
COMMANDS = {
    "train": (add_train, cmd_train),
    "evaluate": (add_evaluate, cmd_evaluate),
    "predict": (add_predict, cmd_predict),
    "report": (add_report, cmd_report),
    "runs": (add_runs, cmd_runs),
    "gradcheck": (add_gradcheck, cmd_gradcheck),
    "datasets": (add_datasets, cmd_datasets),
    "export": (add_export, cmd_export),
    "lab": (add_lab, cmd_lab),
    "lessons": (add_lessons, cmd_lessons),
}


def _show_warning(message, category, filename, lineno, file=None, line=None):
    from softmaxlab.data import DataNote

    kind = "note" if issubclass(category, DataNote) else "warning"
    print(f"softmaxlab: {kind}: {message}", file=file or sys.stderr)


def main(argv=None) -> int:
    """Entry point of the ``softmaxlab`` command; returns the exit status.

    Warnings print as one line each while the command runs; the previous
    ``warnings.showwarning`` is put back on return, so calling ``main`` from
    Python (tests, notebooks) leaves the caller's warning display alone."""
    previous = warnings.showwarning
    warnings.showwarning = _show_warning  # one line per warning, no source excerpt
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # usage errors, --help, --version: return the status
            return exc.code if isinstance(exc.code, int) else 2
        if args.command is None:
            parser.print_help()
            return 2
        return _handle(args)
    finally:
        warnings.showwarning = previous
