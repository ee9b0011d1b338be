"""The work behind the subcommands: load, compute, return plain data.
``cli.py`` parses arguments and prints; each module here serves one command."""
from softmaxlab.commands.evaluate import evaluate
from softmaxlab.commands.gradcheck import gradcheck
from softmaxlab.commands.model import resolve_model
from softmaxlab.commands.predict import predict_csv
from softmaxlab.commands.runs import list_runs

__all__ = ["evaluate", "gradcheck", "list_runs", "predict_csv", "resolve_model"]
