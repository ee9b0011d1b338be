"""The training subcommands: ``train`` (a run folder from a dataset), ``report``
(rebuild a run's report) and ``runs`` (list run folders). Each is a pair:
``add_<name>(sub)`` declares its options, ``cmd_<name>(args)`` runs it and
returns the exit status; the work is in :mod:`softmaxlab.cli.commands`."""
from __future__ import annotations

import argparse
import json
import sys

from softmaxlab.cli.args import D, add_debug, add_read_options, batch, hidden, names
from softmaxlab.cli.config import CHOICES, ConfigError

def add_train(sub):
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


def add_report(sub):
    p = sub.add_parser("report", help="rebuild report.html and the PNGs of a run folder")
    p.add_argument("run_dir", metavar="RUN_DIR", help="the run folder")
    add_debug(p)


def cmd_report(args) -> int:
    from softmaxlab.runs.report import build_report

    print(build_report(args.run_dir))
    return 0


def add_runs(sub):
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
