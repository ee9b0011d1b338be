"""The subcommands that use a trained model: ``evaluate``, ``predict``,
``export`` (ONNX), and ``gradcheck`` (a small random model's gradients). Each is
a pair: ``add_<name>(sub)`` declares its options, ``cmd_<name>(args)`` runs it
and returns the exit status; the work is in :mod:`softmaxlab.cli.commands`."""
from __future__ import annotations

import json
import sys

from softmaxlab.cli.args import (
    add_debug,
    add_read_options,
    add_row_options,
    delimiter,
    encoding,
    hidden,
    names,
)
from softmaxlab.cli.config import CHOICES, ConfigError

def add_evaluate(sub):
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


def add_predict(sub):
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


def add_export(sub):
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


def add_gradcheck(sub):
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
