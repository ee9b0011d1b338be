"""The tool subcommands: ``datasets`` (list them), ``lab`` (the browser lab)
and ``lessons`` (the notebooks; its options are declared by
:func:`softmaxlab.cli.args.add_lessons`). Each ``cmd_<name>(args)`` runs its
command and returns the exit status."""
from __future__ import annotations

import argparse
import sys

from softmaxlab.cli.args import add_debug

def add_datasets(sub):
    p = sub.add_parser("datasets", help="list datasets, their shapes and where they were found")
    p.add_argument("--data-dir", help="where to look first for Fashion-MNIST's IDX files")
    add_debug(p)


def cmd_datasets(args) -> int:
    from softmaxlab.cli.commands.runs import aligned
    from softmaxlab.data import list_datasets

    rows = []
    for d in list_datasets(args.data_dir):
        shape = "x".join(map(str, d["shape"])) if d["shape"] else "?"
        if d["test_shape"]:
            shape += f" + test {'x'.join(map(str, d['test_shape']))}"
        where = d["source"] if d["available"] else f"NOT FOUND; install: {d['install']}"
        names = ", ".join(map(str, d["classes"][:10])) + (" ..." if d["n_classes"] > 10 else "")
        rows.append([d["name"], shape, str(d["n_classes"]), names, where])
    print(aligned(["dataset", "shape", "classes", "class names", "source"], rows, right={2}))
    return 0


def _port(text: str) -> int:
    """``--port``'s type: an integer in 0..65535 (argparse reports the error)."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be an integer in 0..65535, got {text!r}")
    return port


def add_lab(sub):
    p = sub.add_parser("lab", help="open the interactive lab in a browser (needs softmaxlab[lab])",
                       description="Start a local server with an interactive page: train softmax "
                       "regression or an MLP on 2-D data and watch the boundary, the hidden "
                       "units, the curves and one point's gradients, as the engine computes them.")
    p.add_argument("--port", type=_port, help="port to listen on (default 8765 or the next free "
                   "one; 0 picks any free port)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, "
                   "this machine only; anything else prints a warning)")
    p.add_argument("--no-browser", action="store_true", help="only print the URL")
    p.add_argument("--runs-dir", default="runs", metavar="DIR",
                   help="where 'Save run folder' writes (default runs)")
    p.add_argument("--lang", choices=("en", "zh-Hans", "zh-Hant"),
                   help="the page's language (default: the browser's)")
    add_debug(p)


def cmd_lab(args) -> int:
    from softmaxlab.lab import serve

    try:
        return serve(args.host, args.port, open_browser=not args.no_browser,
                     runs_dir=args.runs_dir, lang=args.lang)
    except ImportError as exc:  # the optional extra is not installed
        print(f"softmaxlab lab: error: {exc}", file=sys.stderr)
        return 1


def cmd_lessons(args) -> int:
    from softmaxlab.cli.commands.lessons import lessons

    lessons(args.out, args.solutions)
    return 0
