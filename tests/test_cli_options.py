"""Options that do not apply are refused (exit 2, the option named);
config.toml and the report show only the settings that apply; hints are
given only when following them works; every option has a help line."""
from __future__ import annotations

import argparse
import re

import pytest

from softmaxlab.cli import build_parser, main
from softmaxlab.cli.config import TrainConfig, load_config, read_toml
from softmaxlab.io import load_model


# The HTML report has tests of its own; here it would only cost time.
pytestmark = pytest.mark.usefixtures("no_report")


REFUSED = [
    # id, argv, fragments of the one stderr line
    ("hidden-without-mlp", ["--hidden", "64"], ["--hidden applies only to --model mlp"]),
    ("hidden-at-its-default", ["--hidden", "128"], ["--hidden applies only to --model mlp"]),
    ("activation-dropout", ["--activation", "tanh", "--dropout", "0.1"],
     ["--activation and --dropout apply only to --model mlp", "drop them"]),
    ("momentum-with-adam", ["--optimizer", "adam", "--momentum", "0.9"],
     ["--momentum applies only to --optimizer sgd"]),
    ("patience-without-early-stopping", ["--patience", "3"],
     ["--patience applies only with --early-stopping"]),
    ("patience-with-no-early-stopping", ["--no-early-stopping", "--patience", "3"],
     ["--patience applies only with --early-stopping"]),
    ("label-column-builtin", ["--label-column", "y"], ["--label-column applies only to CSV"]),
    ("delimiter-builtin", ["--delimiter", ";"], ["--delimiter applies only to CSV and TSV"]),
    ("decimal-builtin", ["--decimal", "."], ["--decimal applies only to CSV and TSV"]),
    ("categorical-builtin", ["--categorical", "onehot"], ["--categorical applies only to CSV"]),
    ("data-dir-digits", ["--data-dir", "/tmp"], ["--data-dir applies only to --data fashion-mnist"]),
    ("test-fraction-fashion", ["--data", "fashion-mnist", "--test-fraction", "0.2"],
     ["--test-fraction does not apply to fashion-mnist"]),
    ("two-reasons", ["--hidden", "8", "--optimizer", "adam", "--momentum", "0.5"],
     ["--hidden applies only to --model mlp", "--momentum applies only to --optimizer sgd"]),
    ("bad-delimiter", ["--data", "x.csv", "--delimiter", "ab"], ["--delimiter must be one character"]),
    ("delimiter-equals-decimal", ["--data", "x.csv", "--delimiter", ",", "--decimal", ","],
     ["--delimiter and --decimal are both ','"]),
]


@pytest.mark.parametrize("argv, parts", [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_options_that_do_not_apply_exit_2(tmp_path, cli, argv, parts):
    code, out, err = cli(["train", *argv, "--out", str(tmp_path / "o"), "--quiet"])
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("softmaxlab train: error: ")
    for part in parts:
        assert part in lines[0], f"{part!r} missing from: {lines[0]}"
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("argv, present, absent", [
    ([], {"momentum", "lr"}, {"hidden", "activation", "dropout", "patience", "label_column",
                             "no_header", "delimiter", "impute", "data_dir"}),
    (["--model", "mlp", "--optimizer", "adam"], {"hidden", "activation", "dropout"},
     {"momentum"}),
    (["--early-stopping"], {"patience"}, set()),
    (["--data", "spiral", "--model", "mlp", "--hidden", "8"], {"hidden", "test_fraction"},
     {"data_dir"}),
])
def test_config_toml_holds_only_what_applies(tmp_path, cli, argv, present, absent):
    code, _, err = cli(["train", "--epochs", "1", *argv, "--out", str(tmp_path / "r"),
                                 "--quiet"])
    assert code == 0, err
    keys = set(read_toml(tmp_path / "r" / "config.toml")) - {"meta"}
    assert present <= keys and not (absent & keys), keys
    assert not (absent & set(load_model(tmp_path / "r" / "model.npz").meta["config"]))


def test_report_settings_show_only_what_applies(tmp_path, capsys, monkeypatch):
    monkeypatch.undo()  # the real report
    assert main(["train", "--optimizer", "adam", "--lr", "0.01", "--epochs", "1",
                 "--out", str(tmp_path / "r"), "--quiet"]) == 0
    page = (tmp_path / "r" / "report.html").read_text()
    settings = page[page.index("<h2>Settings</h2>"):]
    for key in ("optimizer", "adam", "lr", "batch_size"):
        assert f"<td>{key}</td>" in settings
    for key in ("momentum", "hidden", "activation", "dropout", "patience"):
        assert f"<td>{key}</td>" not in settings
    assert re.search(r"after\s+1 epoch in\s+0\.0*[1-9]\d* s\s", page)  # "0.04 s", not "0.0 s"


def test_an_old_config_with_every_setting_still_runs_and_notes_what_it_ignores(tmp_path,
                                                                               cli):
    old = TrainConfig(epochs=1, optimizer="adam", lr=0.01, hidden=[64]).to_dict()
    from softmaxlab.cli.config import dumps_toml

    path = tmp_path / "old.toml"
    path.write_text(dumps_toml(old))
    code, _, err = cli(["train", "--config", str(path), "--out", str(tmp_path / "r"),
                                 "--quiet"])
    assert code == 0, err
    # hidden = [64] differs from the default and does not apply: said once;
    # momentum = 0.9 (the default) with Adam is silently dropped.
    assert err.strip() == (f"softmaxlab: note: {path} sets hidden = [64], which applies only "
                           "to --model mlp (this run trains softmax); ignored")
    cfg, _ = load_config(tmp_path / "r" / "config.toml")
    assert cfg.optimizer == "adam" and "momentum" not in read_toml(tmp_path / "r" / "config.toml")


def test_resume_is_offered_only_when_it_would_work(cli, tmp_path, capsys):
    run = tmp_path / "r"
    assert main(["train", "--data", "spiral", "--epochs", "1", "--out", str(run),
                 "--quiet"]) == 0
    capsys.readouterr()
    code, _, err = cli(["train", "--data", "spiral", "--out", str(run), "--quiet"])
    assert code == 2 and "already holds a run" in err and "--overwrite" in err
    assert "--resume" not in err  # finished, and no checkpoint
    code, _, err = cli(["train", "--resume", str(run)])
    assert code == 2
    assert err.strip() == (f"softmaxlab train: error: {run} has no checkpoint.npz, so it cannot "
                           "be resumed: it was trained without --checkpoint-every. Train it "
                           f"again with --checkpoint-every N (add --out {run} --overwrite to "
                           "reuse the folder)")
    # An unfinished run with a checkpoint: now --resume is the first suggestion.
    ck = tmp_path / "ck"
    assert main(["train", "--data", "spiral", "--epochs", "2", "--checkpoint-every", "1",
                 "--out", str(ck), "--quiet"]) == 0
    (ck / "metrics.json").unlink()
    capsys.readouterr()
    code, _, err = cli(["train", "--data", "spiral", "--out", str(ck), "--quiet"])
    assert code == 2 and f"continue it with --resume {ck}" in err


def test_overwrite_leaves_nothing_of_the_old_run(tmp_path, capsys, monkeypatch):
    monkeypatch.undo()
    run = tmp_path / "r"
    assert main(["train", "--data", "spiral", "--epochs", "1", "--out", str(run),
                 "--checkpoint-every", "1", "--quiet"]) == 0
    assert (run / "decision_boundary.png").is_file() and (run / "checkpoint.npz").is_file()
    assert main(["train", "--epochs", "1", "--out", str(run), "--overwrite", "--quiet"]) == 0
    names = {p.name for p in run.iterdir()}
    assert "decision_boundary.png" not in names and "checkpoint.npz" not in names
    assert "test_images.png" in names


def _options(parser, prefix=""):
    for action in parser._actions:  # argparse has no public list of a parser's options
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _options(sub, f"{prefix}{name} ")
        elif not isinstance(action, argparse._HelpAction):
            yield f"{prefix}{'/'.join(action.option_strings) or action.dest}", action.help


def test_every_option_of_every_subcommand_has_a_help_line():
    options = list(_options(build_parser()))
    assert len(options) > 60
    missing = [name for name, text in options if not text or not text.strip()]
    assert missing == []
