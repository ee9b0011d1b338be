"""The ``softmaxlab`` command: train, evaluate, predict, report, gradcheck, datasets.

Parsing and printing only; the work is in runner.py, commands.py and report.py.
User errors print one line on stderr and exit with 2 (bad usage or option
value) or 1 (data, files, training); ``--debug`` shows the traceback.
"""
from __future__ import annotations

import argparse
import json
import sys
import warnings

from softmaxlab import __version__
from softmaxlab.config import CHOICES, ConfigError, TrainConfig, load_config

_D = TrainConfig()


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not usage + error
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _hidden(text: str) -> list:
    try:
        widths = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected widths such as 256,128, got {text!r}") from None
    if not widths or min(widths) < 1:
        raise argparse.ArgumentTypeError(f"expected positive widths such as 256,128, got {text!r}")
    return widths


def _batch(text: str):
    if text == "full":
        return "full"
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer or 'full', got {text!r}")
    return value


def _add_train(sub):
    p = sub.add_parser("train", help="train a classifier and write a run folder",
                       description="Train a classifier and write a run folder with config.toml, "
                       "history.csv, metrics.json, model.npz and report.html. Every option can "
                       "also come from --config FILE.toml; flags given here override it.")
    a = p.add_argument
    a("--data", help=f"dataset name (digits, fashion-mnist, spiral, binary-mod) or a CSV path "
      f"(default {_D.data})")
    a("--model", choices=CHOICES["model"], help=f"softmax regression or MLP (default {_D.model})")
    a("--hidden", type=_hidden, help="MLP hidden widths, comma-separated (default "
      f"{','.join(map(str, _D.hidden))})")
    a("--activation", choices=CHOICES["activation"], help=f"MLP activation (default {_D.activation})")
    a("--optimizer", choices=CHOICES["optimizer"], help=f"(default {_D.optimizer})")
    a("--lr", type=float, help=f"learning rate (default {_D.lr})")
    a("--momentum", type=float, help=f"SGD momentum (default {_D.momentum})")
    a("--weight-decay", type=float, help=f"L2 penalty on weights (default {_D.weight_decay})")
    a("--batch-size", type=_batch, help=f"rows per step, or 'full' (default {_D.batch_size})")
    a("--epochs", type=int, help=f"(default {_D.epochs})")
    a("--schedule", choices=CHOICES["schedule"], help=f"learning-rate schedule (default {_D.schedule})")
    a("--dropout", type=float, help=f"MLP dropout rate (default {_D.dropout})")
    a("--class-weight", choices=["balanced", "none"], help="weight classes by 1/frequency "
      "(default none)")
    a("--early-stopping", action=argparse.BooleanOptionalAction,
      help="stop when validation loss stops improving; keep the best weights (default off)")
    a("--patience", type=int, help=f"epochs without improvement before stopping (default {_D.patience})")
    a("--val-fraction", type=float, help=f"share of the data for validation (default {_D.val_fraction})")
    a("--test-fraction", type=float, help=f"share of the data for testing; ignored for datasets "
      f"with their own test split (default {_D.test_fraction})")
    a("--seed", type=int, help=f"seed of the run's single random generator (default {_D.seed})")
    a("--dtype", choices=CHOICES["dtype"], help=f"(default {_D.dtype})")
    a("--preprocess", choices=CHOICES["preprocess"], help="feature scaling fitted on the training "
      "split: auto = [0,1] pixels for uint8 images, standardisation otherwise (default auto)")
    a("--label-column", help="label column of a CSV file (default: the last column)")
    a("--data-dir", help="where to look first for Fashion-MNIST's IDX files")
    a("--checkpoint-every", type=int, metavar="N", help="write checkpoint.npz every N epochs "
      "(default 0: never)")
    a("--out", metavar="DIR", help="run folder (default runs/<timestamp>-<data>-<model>)")
    a("--config", metavar="FILE.toml", help="read settings from a TOML file")
    a("--resume", metavar="RUN_DIR", help="continue a run from its checkpoint.npz")
    a("--overwrite", action="store_true", help="replace a finished run already in --out "
      "(without it such a folder is refused, so no result is lost)")
    a("--quiet", action="store_true", help="print only the final summary")
    a("--debug", action="store_true", help="show Python tracebacks")


def _add_export(sub):
    p = sub.add_parser("export", help="write a trained model as ONNX (needs softmaxlab[onnx])",
                       description="Write a run's model as an ONNX file that onnxruntime runs "
                       "without Python: raw feature columns in (float32), the original labels "
                       "and the class probabilities out, the run's preprocessing inside the graph.")
    p.add_argument("model", metavar="RUN_DIR|MODEL.npz")
    p.add_argument("--output", metavar="MODEL.onnx", help="default: model.onnx beside the model file")
    p.add_argument("--opset", type=int, default=17, help="ONNX opset of the graph (default 17)")
    p.add_argument("--debug", action="store_true")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="softmaxlab", description="Softmax regression and MLP classifiers "
                     "with hand-written NumPy gradients.")
    parser.add_argument("--version", action="version", version=f"softmaxlab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _add_train(sub)
    p = sub.add_parser("evaluate", help="metrics of a saved model on a dataset")
    p.add_argument("model", metavar="RUN_DIR_OR_MODEL")
    p.add_argument("--data", help="dataset name or CSV path (default: the run's own test split)")
    p.add_argument("--data-dir")
    p.add_argument("--label-column")
    p.add_argument("--json", action="store_true", help="print all metrics as JSON")
    p.add_argument("--debug", action="store_true")
    p = sub.add_parser("predict", help="predict labels or probabilities for rows of a CSV file")
    p.add_argument("model", metavar="MODEL", help="model.npz or a run folder")
    p.add_argument("input", metavar="INPUT.csv", help="header row and the model's feature columns")
    p.add_argument("--output", metavar="OUT.csv", help="write here instead of stdout")
    p.add_argument("--proba", action="store_true", help="one probability column per class")
    p.add_argument("--debug", action="store_true")
    p = sub.add_parser("report", help="rebuild report.html and the PNGs of a run folder")
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("--debug", action="store_true")
    p = sub.add_parser("gradcheck", help="check gradients of a small random model")
    p.add_argument("--model", choices=CHOICES["model"], default="mlp")
    p.add_argument("--hidden", type=_hidden, default=[8, 8])
    p.add_argument("--activation", choices=CHOICES["activation"], default="tanh")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tolerance", type=float, default=1e-6, help="pass if every relative error "
                   "is below this (default 1e-6)")
    p.add_argument("--debug", action="store_true")
    p = sub.add_parser("datasets", help="list datasets, their shapes and where they were found")
    p.add_argument("--data-dir")
    p.add_argument("--debug", action="store_true")
    _add_export(sub)
    return parser


def _train_config(args) -> TrainConfig:
    cfg = load_config(args.config)[0] if args.config else TrainConfig()
    flags = {k: v for k, v in vars(args).items()
             if v is not None and k in TrainConfig.__dataclass_fields__}
    if flags.get("class_weight") == "none":
        flags["class_weight"] = None
    return cfg.updated(**flags).validate()


def _check_data_name(data: str) -> None:
    """An unknown name is a usage error (2); a missing file is a data error (1)."""
    from pathlib import Path

    from softmaxlab.data import DATASET_NAMES
    from softmaxlab.data.tabular import tabular_suffix

    name = data.strip().lower().replace("_", "-")
    if name in DATASET_NAMES or tabular_suffix(data) or "/" in data or Path(data).exists():
        return
    raise ConfigError(f"unknown dataset {data!r}; use one of {', '.join(DATASET_NAMES)} "
                      "or a path to a CSV file")


def cmd_train(args) -> int:
    from softmaxlab.runner import run_training

    mode = "quiet" if args.quiet else None
    if args.resume:
        given = [k for k, v in vars(args).items() if v is not None and
                 k in TrainConfig.__dataclass_fields__]
        given += [k for k in ("out", "config", "overwrite") if getattr(args, k)]
        if given:
            raise ConfigError(f"--resume takes its settings from the run's config.toml; "
                              f"drop {', '.join('--' + g.replace('_', '-') for g in given)}")
        result = run_training(resume=args.resume, progress_mode=mode)
    else:
        cfg = _train_config(args)
        _check_data_name(cfg.data)
        result = run_training(cfg, run_dir=args.out, progress_mode=mode,
                              overwrite=args.overwrite)
    for note in result.notes:
        print(f"softmaxlab: note: {note}", file=sys.stderr)
    m = result.metrics
    acc = m["test"]["accuracy"]
    secs = m["training_seconds"]
    print(f"test accuracy {'n/a' if acc is None else f'{acc:.4f}'} | {m['epochs']} epochs | "
          f"{secs:.{2 if secs < 10 else 1}f} s | {result.status} | run folder {result.run_dir}")
    if result.status == "diverged":
        print(f"softmaxlab train: error: {result.error}", file=sys.stderr)
        return 1
    return 130 if result.status == "interrupted" else 0


def cmd_evaluate(args) -> int:
    from softmaxlab.commands import evaluate

    m, what = evaluate(args.model, args.data, args.data_dir, args.label_column)
    if args.json:
        print(json.dumps(m, indent=2))
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


def cmd_predict(args) -> int:
    from softmaxlab.commands import predict_csv

    frame = predict_csv(args.model, args.input, proba=args.proba)
    if args.output:
        frame.to_csv(args.output, index=False, float_format="%.6g")
        print(f"wrote {len(frame)} predictions to {args.output}", file=sys.stderr)
    else:
        frame.to_csv(sys.stdout, index=False, float_format="%.6g")
    return 0


def cmd_report(args) -> int:
    from softmaxlab.report import build_report

    print(build_report(args.run_dir))
    return 0


def cmd_gradcheck(args) -> int:
    from softmaxlab.commands import gradcheck

    errors = gradcheck(args.model, args.hidden, args.activation, seed=args.seed)
    arch = "softmax" if args.model == "softmax" else (
        f"mlp {','.join(map(str, args.hidden))} {args.activation}")
    print(f"gradient check, float64, central differences: {arch}")
    for name, err in errors.items():
        print(f"  {name:<8} relative error {err:.2e}  {'ok' if err < args.tolerance else 'FAIL'}")
    ok = all(e < args.tolerance for e in errors.values())
    print(f"{'PASS' if ok else 'FAIL'}: max relative error {max(errors.values()):.2e} "
          f"(tolerance {args.tolerance:g})")
    return 0 if ok else 1


def cmd_datasets(args) -> int:
    from softmaxlab.data import list_datasets

    for d in list_datasets(args.data_dir):
        shape = "x".join(map(str, d["shape"])) if d["shape"] else "?"
        if d["test_shape"]:
            shape += f" + test {'x'.join(map(str, d['test_shape']))}"
        where = d["source"] if d["available"] else f"NOT FOUND; install: {d['install']}"
        classes = ", ".join(map(str, d["classes"][:10])) + (" ..." if d["n_classes"] > 10 else "")
        print(f"{d['name']:<14} {shape:<22} {d['n_classes']:>2} classes ({classes})\n"
              f"{'':<14} {where}")
    return 0


def cmd_export(args) -> int:
    from softmaxlab.export import OpsetError, export_file, summary

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
    return 0


def _handle(args) -> int:
    from softmaxlab.io import ModelFormatError
    from softmaxlab.rundir import RunExistsError, RunLockedError
    from softmaxlab.train import TrainingDivergedError

    prog = f"softmaxlab {args.command}"
    try:
        return globals()[f"cmd_{args.command}"](args)
    except (ConfigError, RunExistsError) as exc:  # fixed by choosing other options
        if args.debug:
            raise
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except (FileNotFoundError, ValueError, TypeError, ModelFormatError, RunLockedError,
            TrainingDivergedError, OSError) as exc:
        if args.debug:
            raise
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"softmaxlab: warning: {message}", file=file or sys.stderr)


def main(argv=None) -> int:
    """Entry point of the ``softmaxlab`` command; returns the exit status."""
    warnings.showwarning = _show_warning  # one line per warning, no source excerpt
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # usage errors, --help, --version: return the status
        return exc.code if isinstance(exc.code, int) else 2
    if args.command is None:
        parser.print_help()
        return 2
    return _handle(args)
