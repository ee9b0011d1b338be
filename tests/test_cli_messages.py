"""The command line speaks its own words: every error and note it prints
names command-line options, never the Python library's parameters
(``stratify=False``, ``classes=``, ``label_column``), scikit-learn's classes
(``SimpleImputer``) or Python's internals. A walker runs many bad inputs
through ``softmaxlab.cli.main`` and fails on any message holding such an
identifier; the list is built from the library's public signatures, so a new
parameter is covered without editing this file."""
from __future__ import annotations

import contextlib
import inspect
import io
import re

import numpy as np
import pytest

from softmaxlab.cli import main

pytestmark = pytest.mark.usefixtures("no_report")

# Never said at the command line, whatever the parameters are called.
_ALWAYS = ("SimpleImputer", "OneHotEncoder", "LabelEncoder", "StandardScaler",
           "ColumnTransformer", "train_test_split", "X_train", "X_val", "X_test", "y_train",
           "y_val", "y_test", "ndarray", "Traceback", "partial_fit", "fit(", "NoneType",
           "random_state", "np.str_", "np.int64", "np.float64", "dtype=")


def _public_callables():
    """The library's public functions and classes (their __init__)."""
    import softmaxlab
    import softmaxlab.data
    import softmaxlab.estimators
    import softmaxlab.nn
    import softmaxlab.optim
    import softmaxlab.train

    for module in (softmaxlab, softmaxlab.data, softmaxlab.estimators, softmaxlab.nn,
                   softmaxlab.optim, softmaxlab.train):
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name, None)
            if callable(obj):
                yield obj
    from softmaxlab.runs.predictor import Predictor

    yield Predictor.check_inputs


def forbidden_identifiers() -> tuple[set, set]:
    """(identifiers never said bare, parameter names never said as ``name=``).

    A parameter with an underscore (``val_fraction``, ``class_weight``) is an
    identifier: the command line says ``--val-fraction`` (an option word,
    which the pattern does not match). Any parameter followed by ``=``
    (``stratify=``, ``classes=``) is Python syntax."""
    params = set()
    for obj in _public_callables():
        try:
            sig = inspect.signature(obj)
        except (TypeError, ValueError):
            continue
        params |= {p for p in sig.parameters if p not in ("self", "args", "kwargs")}
    bare = {p for p in params if "_" in p.strip("_")} | set(_ALWAYS)
    return bare, params


BARE, PARAMS = forbidden_identifiers()
_BARE_RE = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, sorted(BARE, key=len,
                                                                            reverse=True)))
                      + r")(?![\w-])")
_KW_RE = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, sorted(PARAMS))) + r")=")


def library_words(text: str) -> list:
    """The library identifiers in ``text`` (empty when it speaks CLI only)."""
    # Paths and quoted column names are the user's words, not ours.
    text = re.sub(r"'[^']*'|\"[^\"]*\"|\S*/\S*", "''", text)
    return [m.group(1) for m in _BARE_RE.finditer(text)] + [
        m.group(1) + "=" for m in _KW_RE.finditer(text)]


def test_the_forbidden_list_is_built_from_the_api_and_catches_planted_words():
    for word in ("label_column", "val_fraction", "class_weight", "SimpleImputer",
                 "random_state", "np.str_", "np.int64", "np.float64", "dtype="):
        assert word in BARE, word
    assert "stratify" in PARAMS and "classes" in PARAMS
    for bad in ("pass stratify=False", "use SimpleImputer", "pass the full list as classes=",
                "set label_column to 'species'", "X_val has 3 rows",
                "the label np.str_('Emperor') is unknown"):
        assert library_words(bad), bad
    for good in ("pass --label-column species", "3 classes (a, b, c)",
                 "--val-fraction 0.15", "no column 'label_column' in runs/x_y/a.csv",
                 "the labels hold a single class"):
        assert not library_words(good), good


def _say(argv) -> tuple[int, str]:
    both = io.StringIO()
    with contextlib.redirect_stdout(both), contextlib.redirect_stderr(both):
        code = main([str(a) for a in argv])
    return code, both.getvalue()


def _penguins(n=90, seed=0) -> list:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        k = i % 3
        rows.append([["Adelie", "Gentoo", "Chinstrap"][k], ["Biscoe", "Dream"][i % 2],
                     f"{[38.8, 47.5, 48.8][k] + rng.normal(0, 1):.1f}",
                     f"{[18.3, 15.0, 18.4][k] + rng.normal(0, .5):.1f}", str(2007 + i % 3)])
    return rows


HEAD = "species,island,bill_length_mm,bill_depth_mm,year"


def _csv(path, rows, head=HEAD):
    path.write_text("\n".join([head] * (head is not None) + [",".join(r) for r in rows]) + "\n",
                    encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("messages")
    rows = _penguins()
    _csv(d / "p.csv", rows)
    _csv(d / "nh.csv", rows, head=None)
    _csv(d / "case.csv", rows + [["adelie", "Dream", "39.0", "18.0", "2008"]])
    _csv(d / "mixed.csv", [r if i != 5 else [*r[:2], "n/a?", *r[3:]] for i, r in enumerate(rows)])
    _csv(d / "gaps.csv", [r if i != 5 else [*r[:2], "", *r[3:]] for i, r in enumerate(rows)])
    (d / "comma.csv").write_text("\n".join([HEAD.replace(",", ";")] + [";".join(
        c.replace(".", ",") for c in r) for r in rows]) + "\n", encoding="utf-8")
    _csv(d / "one.csv", [[*r[:4], "2007"] for r in rows])
    new = [r[1:] for r in rows[:12]]
    _csv(d / "new.csv", new, head=HEAD.split(",", 1)[1])
    _csv(d / "empty_row.csv", new[:5] + [["", "", "", ""]] + new[5:], head=HEAD.split(",", 1)[1])
    _csv(d / "bad_cell.csv", [r if i != 3 else [r[0], "abc", *r[2:]] for i, r in enumerate(new)],
         head=HEAD.split(",", 1)[1])
    _csv(d / "swapped.csv", [[r[0], r[2], r[1], r[3]] for r in new], head=None)
    _csv(d / "unseen.csv", [["Emperor" if i == 4 else r[0], *r[1:]] for i, r in enumerate(rows)])
    _csv(d / "renamed.csv", new, head="island,Bill_length_mm,bill_depth_mm,year")
    (d / "latin.csv").write_bytes("caf\xe9,b,species\n1,2,a\n3,4,b\n".encode("latin-1"))
    np.savez(d / "a.npz", X=np.zeros((6, 2)), y=np.arange(6) % 2)
    assert _say(["train", "--data", d / "p.csv", "--label-column", "species", "--epochs", "2",
                 "--out", d / "run", "--quiet"])[0] == 0
    assert _say(["train", "--data", d / "nh.csv", "--no-header", "--label-column", "0",
                 "--epochs", "2", "--out", d / "run_nh", "--quiet"])[0] == 0
    return d


# argv with {d} for the files' folder; the exit status; a fragment of the message.
CASES = [
    (["train", "--data", "{d}/p.csv"], 2, "--label-column NAME"),
    (["train", "--data", "{d}/p.csv", "--label-column", "0"], 1, "has a header row"),
    (["train", "--data", "{d}/p.csv", "--label-column", "Species"], 1, "case-sensitive"),
    (["train", "--data", "{d}/p.csv", "--label-column", "species", "--no-header"], 2,
     "0-based"),
    (["train", "--data", "{d}/p.csv", "--no-header"], 1, "drop --no-header"),
    (["train", "--data", "{d}/case.csv", "--label-column", "species"], 1, "differ only in case"),
    (["train", "--data", "{d}/p.csv", "--label-column", "species", "--test-fraction", "0.01"],
     1, "--test-fraction"),
    (["train", "--data", "{d}/one.csv", "--label-column", "year"], 1, "single class"),
    (["train", "--data", "{d}/mixed.csv", "--label-column", "species"], 1, "mixes numbers"),
    (["train", "--data", "{d}/gaps.csv", "--label-column", "species"], 1, "--impute"),
    (["train", "--data", "{d}/comma.csv", "--label-column", "species"], 1, "--decimal ,"),
    (["train", "--data", "{d}/p.csv", "--label-column", "species", "--drop-columns", "nope"], 1,
     "--drop-columns"),
    (["train", "--data", "{d}/p.csv", "--label-column", "species", "--drop-columns",
      "species"], 1, "label column"),
    (["train", "--data", "digits", "--drop-columns", "a"], 2, "--drop-columns applies"),
    (["train", "--data", "{d}/a.npz", "--label-column", "x"], 2, "--label-column"),
    (["train", "--data", "{d}/latin.csv", "--label-column", "species"], 1, "--file-encoding"),
    (["train", "--data", "{d}/nope.csv", "--label-column", "species"], 1, "no such file"),
    (["train", "--val-fraction", "0.6", "--test-fraction", "0.5"], 2, "val-fraction"),
    (["train", "--hidden", "8"], 2, "--model mlp"),
    (["train", "--lr", "-1"], 2, "lr"),
    (["predict", "{d}/run", "{d}/empty_row.csv"], 1, "--skip-invalid"),
    (["predict", "{d}/run", "{d}/bad_cell.csv"], 1, "--skip-invalid"),
    (["predict", "{d}/run", "{d}/gaps.csv"], 1, "--skip-invalid"),
    (["predict", "{d}/run", "{d}/new.csv", "--keep-columns", "id"], 1, "--keep-columns"),
    (["predict", "{d}/run", "{d}/renamed.csv"], 1, "missing"),
    (["predict", "{d}/run", "{d}/new.csv", "--output", "{d}/no/such/out.csv"], 1, "--output"),
    (["predict", "{d}/run", "{d}/new.csv", "--output-delimiter", ";"], 2, "--output"),
    (["predict", "{d}/run_nh", "{d}/new.csv"], 1, "--no-header"),
    (["predict", "{d}/run_nh", "{d}/swapped.csv", "--no-header", "--strict-inputs"], 1,
     "--strict-inputs"),
    (["predict", "{d}/nowhere", "{d}/new.csv"], 1, "no such run folder"),
    (["evaluate", "{d}/run", "--data", "{d}/unseen.csv"], 1, "'Emperor'"),
    (["evaluate", "{d}/run", "--label-column", "species"], 2, "only with --data"),
    (["evaluate", "{d}/run", "--data", "{d}/new.csv"], 1, "--label-column"),
    (["evaluate", "{d}/run", "--data", "digits", "--no-header"], 2, "built-in"),
]


def walk(files, cases, show=None) -> list:
    """Run every case; return (argv, library words) for each message that has some."""
    found = []
    for argv, status, fragment in cases:
        code, said = _say([a.format(d=files) for a in argv])
        assert code == status, (argv, said)
        assert fragment in said, (argv, said)
        if show is not None:
            show.append(said)
        hits = library_words(said)
        if hits:
            found.append((" ".join(argv), hits, said))
    return found


def test_every_cli_message_speaks_cli_words(files):
    found = walk(files, CASES)
    assert not found, "\n".join(f"{a}: {h}\n  {s}" for a, h, s in found)


def test_the_walker_catches_a_planted_library_message(files, monkeypatch):
    import softmaxlab.cli.commands.train as train

    def planted(cfg):
        raise train.ConfigError("cannot stratify; pass stratify=False or set label_column")

    monkeypatch.setattr(train, "require_label", planted)
    found = walk(files, [(["train", "--data", "{d}/p.csv"], 2, "stratify")])
    assert found and set(found[0][1]) >= {"stratify=", "label_column"}


def test_labels_that_differ_only_in_case_or_spaces_are_said_never_merged_silently(tmp_path):
    rows = _penguins()
    for i in (3, 9, 12, 21, 30):  # 'Adelie' rows written 'adelie': enough to split
        rows[i][0] = "adelie"
    code, said = _say(["train", "--data", _csv(tmp_path / "case.csv", rows), "--label-column",
                       "species", "--epochs", "2", "--out", tmp_path / "a", "--quiet"])
    assert code == 0
    assert "the labels 'Adelie' (25 rows) and 'adelie' (5 rows) differ only in case" in said
    assert "never merged" in said
    m = (tmp_path / "a" / "metrics.json").read_text()
    assert '"adelie"' in m and '"Adelie"' in m  # two classes
    rows = _penguins()
    rows[6][0] = "Adelie "  # csv keeps the trailing space
    code, said = _say(["train", "--data", _csv(tmp_path / "space.csv", rows), "--label-column",
                       "species", "--epochs", "2", "--out", tmp_path / "b", "--quiet"])
    assert code == 0
    assert "'Adelie' and 'Adelie ', which differ only by surrounding spaces" in said
