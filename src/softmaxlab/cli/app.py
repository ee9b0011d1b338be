"""The ``softmaxlab`` command: train, evaluate, predict, report, runs, gradcheck, datasets,
export, lab, lessons.

Parsing and printing only; the work is in runner.py, commands/ and softmaxlab.runs.report.
Each subcommand is a pair in the ``COMMANDS`` table: a function that
declares its options (every one with a help line) and ``cmd_<name>(args)``,
which runs it and returns the exit status. User errors print one line on stderr and exit with 2 (bad usage or
option value) or 1 (data, files, training); ``--debug`` shows the traceback.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
import warnings

from softmaxlab import __version__
from softmaxlab.cli.args import (
    D,
    Parser,
    add_debug,
    add_lessons,
    add_read_options,
    add_row_options,
    batch,
    delimiter,
    encoding,
    hidden,
    names,
)
from softmaxlab.cli.config import CHOICES, ConfigError


def _add_train(sub):
    p = sub.add_parser("train", help="train a classifier and write a run folder",
                       description="Train a classifier and write a run folder with config.toml, "
                       "history.csv, metrics.json, model.npz and report.html. Every option can "
                       "also come from --config FILE.toml; flags given here override it. An "
                       "option that does not apply (--hidden without --model mlp, --momentum "
                       "with --optimizer adam...) is refused.")
    a = p.add_argument
    a("--data", help="dataset name (digits, fashion-mnist, spiral, binary-mod) or the path of a "
      f"CSV, TSV, Parquet or NPZ file (default {D.data})")
    a("--model", choices=CHOICES["model"], help=f"softmax regression or MLP (default {D.model})")
    a("--hidden", type=hidden, help="MLP hidden widths, comma-separated (default "
      f"{','.join(map(str, D.hidden))}; --model mlp only)")
    a("--activation", choices=CHOICES["activation"],
      help=f"MLP activation (default {D.activation}; --model mlp only)")
    a("--optimizer", choices=CHOICES["optimizer"], help=f"optimizer (default {D.optimizer})")
    a("--lr", type=float, help=f"learning rate (default {D.lr})")
    a("--momentum", type=float, help=f"SGD momentum (default {D.momentum}; --optimizer sgd only)")
    a("--weight-decay", type=float, help=f"L2 penalty on weights (default {D.weight_decay})")
    a("--batch-size", type=batch, help=f"rows per step, or 'full' (default {D.batch_size})")
    a("--epochs", type=int, help=f"passes over the training split (default {D.epochs})")
    a("--schedule", choices=CHOICES["schedule"], help=f"learning-rate schedule (default {D.schedule})")
    a("--dropout", type=float, help=f"MLP dropout rate (default {D.dropout}; --model mlp only)")
    a("--class-weight", choices=["balanced", "none"], help="weight classes by 1/frequency "
      "(default none)")
    a("--early-stopping", action=argparse.BooleanOptionalAction,
      help="stop when validation loss stops improving; keep the best weights (default off)")
    a("--patience", type=int, help="epochs without improvement before stopping (default "
      f"{D.patience}; --early-stopping only)")
    a("--val-fraction", type=float, help=f"share of the data for validation (default {D.val_fraction})")
    a("--test-fraction", type=float, help="share of the data for testing (default "
      f"{D.test_fraction}; not for fashion-mnist, which has its own test split)")
    a("--seed", type=int, help=f"seed of the run's single random generator (default {D.seed})")
    a("--dtype", choices=CHOICES["dtype"], help=f"floating-point type of the model (default {D.dtype})")
    a("--preprocess", choices=CHOICES["preprocess"], help="feature scaling fitted on the training "
      "split: auto = [0,1] pixels for uint8 images, standardisation otherwise (default auto)")
    add_read_options(p, training=True, label="label column of a CSV/TSV/Parquet file: its name, "
                     "or with --no-header its 0-based index (default: the last column); several "
                     "joined by commas (a,b,c) are 0/1 columns, one per label of a multilabel "
                     "run")
    a("--drop-columns", type=names, metavar="A,B", help="leave these columns of a "
      "CSV/TSV/Parquet file out of the features (names; with --no-header 0-based indices), "
      "such as an identifier or free text; predict and evaluate then accept files with or "
      "without them")
    a("--data-dir", help="where to look first for Fashion-MNIST's IDX files")
    a("--backend", choices=CHOICES["backend"], help="array library that runs the maths: numpy "
      "(the fast CPU path), torch or cupy (the reference engine on their arrays; default "
      f"{D.backend})")
    a("--device", help="where the torch/cupy arrays live: cpu, cuda or cuda:N (default: cpu for "
      "torch, the current GPU for cupy)")
    a("--checkpoint-every", type=int, metavar="N", help="write checkpoint.npz every N epochs, "
      "so the run can be resumed (default 0: never)")
    a("--out", metavar="DIR", help="run folder (default runs/<timestamp>-<data>-<model>)")
    a("--config", metavar="FILE.toml", help="read settings from a TOML file")
    a("--resume", metavar="RUN_DIR", help="continue a run from its checkpoint.npz")
    a("--overwrite", action="store_true", help="replace a finished run already in --out "
      "(without it such a folder is refused, so no result is lost)")
    a("--quiet", action="store_true", help="print only the final summary")
    add_debug(p)


def _add_export(sub):
    p = sub.add_parser("export", help="write a trained model as ONNX (needs softmaxlab[onnx])",
                       description="Write a run's model as an ONNX file that onnxruntime runs "
                       "without Python: raw feature columns in (float32 X; text columns as the "
                       "strings of X_categorical), the original labels and the class "
                       "probabilities out, the run's imputation, one-hot encoding and scaling "
                       "inside the graph.")
    p.add_argument("model", metavar="RUN_DIR|MODEL.npz", help="a run folder or a model.npz")
    p.add_argument("--output", metavar="MODEL.onnx", help="default: model.onnx beside the model file")
    p.add_argument("--opset", type=int, default=17, help="ONNX opset of the graph (default 17)")
    add_debug(p)


def cmd_train(args) -> int:
    from softmaxlab.cli.commands.train import (
        check_data_name,
        config_from_args,
        given_settings,
        require_label,
        summary_line,
    )
    from softmaxlab.cli.runner import run_training

    mode = "quiet" if args.quiet else None
    if args.resume:
        given = [k for k in given_settings(args)]
        given += [k for k in ("out", "config", "overwrite") if getattr(args, k)]
        if given:
            raise ConfigError(f"--resume takes its settings from the run's config.toml; "
                              f"drop {', '.join('--' + g.replace('_', '-') for g in given)}")
        result = run_training(resume=args.resume, progress_mode=mode)
    else:
        cfg, notes = config_from_args(args)
        for note in notes:
            print(f"softmaxlab: note: {note}", file=sys.stderr)
        check_data_name(cfg.data)
        require_label(cfg)
        result = run_training(cfg, run_dir=args.out, progress_mode=mode,
                              overwrite=args.overwrite)
    for note in result.notes:
        print(f"softmaxlab: note: {note}", file=sys.stderr)
    print(summary_line(result))
    if result.status == "diverged":
        print(f"softmaxlab train: error: {result.error}", file=sys.stderr)
        return 1
    return 130 if result.status == "interrupted" else 0


def _add_evaluate(sub):
    p = sub.add_parser("evaluate", help="metrics of a saved model on a dataset")
    p.add_argument("model", metavar="RUN_DIR_OR_MODEL", help="a run folder or its model.npz")
    p.add_argument("--data", help="dataset name or data file (default: the run's own test "
                   "split); a file's columns are matched to the model's by name")
    p.add_argument("--data-dir", help="where to look first for Fashion-MNIST's IDX files")
    add_read_options(p, label="label column of --data FILE: its name (default: the model's "
                     "label column), or with --no-header its 0-based index (default: the last); "
                     "for a multilabel model its 0/1 columns joined by commas (a,b,c), in the "
                     "model's label order")
    add_row_options(p, predict=False)
    p.add_argument("--json", action="store_true", help="print all metrics as JSON")
    add_debug(p)


def cmd_evaluate(args) -> int:
    from softmaxlab.cli.commands import evaluate

    m, what = evaluate(args.model, args.data, args.data_dir, args.label_column,
                       header=not args.no_header, delimiter=args.delimiter,
                       decimal=args.decimal, encoding=args.file_encoding,
                       skip_invalid=args.skip_invalid, strict_inputs=args.strict_inputs)
    if args.json:
        print(json.dumps(m, indent=2))
        return 0
    if m.get("task") == "multilabel":
        from softmaxlab.cli.commands.evaluate import format_multilabel

        print(format_multilabel(m, what))
        return 0
    print(f"{what}: {m['n_samples']} samples")
    print(f"accuracy {m['accuracy']:.4f}  log loss {m['log_loss']:.4f}  precision "
          f"{m['precision']:.4f}  recall {m['recall']:.4f}  F1 {m['f1']:.4f}")
    width = max(5, *(len(n) for n in m["per_class"]))
    print(f"{'class':<{width}}  precision  recall      F1  support")
    for name, v in m["per_class"].items():
        print(f"{name:<{width}}  {v['precision']:9.3f}  {v['recall']:6.3f}  {v['f1']:6.3f}  "
              f"{v['support']:7d}")
    return 0


def _add_predict(sub):
    p = sub.add_parser("predict", help="predict labels or probabilities for the rows of a file")
    p.add_argument("model", metavar="MODEL", help="model.npz or a run folder")
    p.add_argument("input", metavar="INPUT.csv", help="rows to predict: a CSV/TSV file whose "
                   "header names the model's columns (any order; a label column and other "
                   "extra columns are ignored), or Parquet/NPZ")
    p.add_argument("--output", metavar="OUT.csv", help="write here instead of stdout")
    p.add_argument("--output-encoding", type=encoding, metavar="NAME", help="text encoding of "
                   "--output (default: the input file's, so a file saved by Excel comes back "
                   "as Excel wrote it)")
    p.add_argument("--output-delimiter", type=delimiter, metavar="CHAR", help="field delimiter of --output: ',', "
                   "';', 'tab', '|' (default: the input file's)")
    p.add_argument("--proba", action="store_true", help="one probability column per class (per "
                   "label for a multilabel model)")
    p.add_argument("--keep-columns", type=names, metavar="A,B", help="copy these input columns "
                   "(names; with --no-header 0-based indices) before the predictions, so rows "
                   "can be matched by key")
    add_read_options(p, label=None)
    add_row_options(p, predict=True)
    add_debug(p)


def cmd_predict(args) -> int:
    from softmaxlab.cli.commands.predict import predict_csv, write_predictions

    if not args.output and (args.output_encoding or args.output_delimiter):
        raise ConfigError("--output-encoding and --output-delimiter apply only with --output "
                          "FILE; drop them, or give --output")
    frame = predict_csv(args.model, args.input, proba=args.proba, header=not args.no_header,
                        delimiter=args.delimiter, decimal=args.decimal,
                        encoding=args.file_encoding, skip_invalid=args.skip_invalid,
                        keep_columns=args.keep_columns, strict_inputs=args.strict_inputs)
    if args.output:
        write_predictions(frame, args.output, encoding=args.output_encoding,
                          delimiter=args.output_delimiter)
        empty = frame.attrs.get("n_empty", 0)
        print(f"wrote {len(frame)} prediction{'' if len(frame) == 1 else 's'} to {args.output}"
              + (f" ({empty} left empty)" if empty else ""), file=sys.stderr)
    else:
        frame.to_csv(sys.stdout, index=False, float_format="%.6g")
    return 0


def _add_report(sub):
    p = sub.add_parser("report", help="rebuild report.html and the PNGs of a run folder")
    p.add_argument("run_dir", metavar="RUN_DIR", help="the run folder")
    add_debug(p)


def cmd_report(args) -> int:
    from softmaxlab.runs.report import build_report

    print(build_report(args.run_dir))
    return 0


def _add_runs(sub):
    p = sub.add_parser("runs", help="list the run folders under a folder, one line each")
    p.add_argument("dir", metavar="DIR", nargs="?", default="runs",
                   help="the folder holding run folders, or one run folder (default runs)")
    p.add_argument("--json", action="store_true", help="print the list as JSON, for scripts")
    add_debug(p)


def cmd_runs(args) -> int:
    from softmaxlab.cli.commands.runs import format_runs, list_runs

    runs = list_runs(args.dir)
    if args.json:
        print(json.dumps(runs, indent=2))
    elif runs:
        print(format_runs(runs))
    else:
        print(f"no run folders in {args.dir}", file=sys.stderr)
    return 0


def _add_gradcheck(sub):
    p = sub.add_parser("gradcheck", help="check gradients of a small random model")
    p.add_argument("--model", choices=CHOICES["model"], default="mlp",
                   help="model to check (default mlp)")
    p.add_argument("--hidden", type=hidden, default=[8, 8],
                   help="MLP hidden widths, comma-separated (default 8,8)")
    p.add_argument("--activation", choices=CHOICES["activation"], default="tanh",
                   help="MLP activation (default tanh)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random model and data "
                   "(default 0)")
    p.add_argument("--tolerance", type=float, default=1e-4, help="relative tolerance: a "
                   "parameter passes if ||g - n|| <= tolerance * max(||g||, ||n||) plus an "
                   "absolute floor of 1e-8 per entry for finite differences' rounding "
                   "(default 1e-4)")
    add_debug(p)


def cmd_gradcheck(args) -> int:
    from softmaxlab.cli.commands.gradcheck import format_checks, gradcheck

    checks = gradcheck(args.model, args.hidden, args.activation, seed=args.seed,
                       rtol=args.tolerance)
    arch = "softmax" if args.model == "softmax" else (
        f"mlp {','.join(map(str, args.hidden))} {args.activation}")
    print(f"gradient check, float64, central differences (eps 1e-6): {arch}")
    lines, ok = format_checks(checks, args.tolerance)
    print("\n".join(lines))
    return 0 if ok else 1


def _port(text: str) -> int:
    """``--port``'s type: an integer in 0..65535 (argparse reports the error)."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be an integer in 0..65535, got {text!r}")
    return port


def _add_lab(sub):
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


def _add_datasets(sub):
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


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="softmaxlab", description="Softmax regression and MLP classifiers "
                    "with hand-written NumPy gradients.")
    parser.add_argument("--version", action="version", version=f"softmaxlab {__version__}",
                        help="show the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for add, _ in COMMANDS.values():
        add(sub)
    return parser


def cmd_export(args) -> int:
    from softmaxlab.export import OpsetError, describe_inputs, export_file, summary

    try:
        path, onx = export_file(args.model, args.output, args.opset)
    except OpsetError as exc:  # an option value: exit status 2
        raise ConfigError(str(exc)) from exc
    except ImportError as exc:  # the onnx extra is not installed
        if args.debug:
            raise
        print(f"softmaxlab export: error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {path}: {summary(onx)}")
    for line in describe_inputs(onx):  # which columns go where, for text or missing values
        print(f"  {line}")
    return 0


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
    "train": (_add_train, cmd_train),
    "evaluate": (_add_evaluate, cmd_evaluate),
    "predict": (_add_predict, cmd_predict),
    "report": (_add_report, cmd_report),
    "runs": (_add_runs, cmd_runs),
    "gradcheck": (_add_gradcheck, cmd_gradcheck),
    "datasets": (_add_datasets, cmd_datasets),
    "export": (_add_export, cmd_export),
    "lab": (_add_lab, cmd_lab),
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
