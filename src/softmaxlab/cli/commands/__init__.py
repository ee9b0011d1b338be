"""The work behind the subcommands: load, compute, return plain data.
``cli.app`` parses arguments and prints; each module here serves one command."""
from softmaxlab.cli.commands.evaluate import evaluate
from softmaxlab.cli.commands.gradcheck import gradcheck
from softmaxlab.cli.commands.model import resolve_model
from softmaxlab.cli.commands.predict import predict_csv
from softmaxlab.cli.commands.runs import list_runs

__all__ = ["evaluate", "gradcheck", "list_runs", "predict_csv", "resolve_model"]
