"""ONNX export of CLI runs on users' files with missing values and text
columns: the imputation and one-hot encoding inside the graph, checked in
onnxruntime against ``softmaxlab predict`` on the same rows (probabilities
within 1e-6, labels equal)."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="needs the onnx extra: pip install softmaxlab[onnx]")
ort = pytest.importorskip("onnxruntime", reason="needs the onnx extra")
pytest.importorskip("skl2onnx", reason="needs the onnx extra")
pd = pytest.importorskip("pandas")

import softmaxlab as sl  # noqa: E402
from softmaxlab.cli import main  # noqa: E402
from softmaxlab.cli.commands.predict import predict_csv  # noqa: E402
from softmaxlab.cli.config import TrainConfig  # noqa: E402
from softmaxlab.export import ExportError, OpsetError, onnx_inputs, to_onnx  # noqa: E402
from softmaxlab.cli.runner import run_training  # noqa: E402

ATOL = 1e-6
COLOURS, SIZES = ["red", "green", "blue"], ["S", "M", "L"]


def write_table(path, rng, n, *, missing: bool, label: bool = True, numeric=True, unseen=False):
    """A CSV with numeric columns age, income, score and text columns colour,
    size, interleaved; some empty cells where ``missing``; ``unseen`` puts a
    colour never seen in training on a few rows."""
    age, income, score = rng.normal(40, 12, n), rng.lognormal(3, 0.5, n), rng.normal(0, 1, n)
    colour, size = rng.choice(COLOURS, n).astype(object), rng.choice(SIZES, n).astype(object)
    if unseen:
        colour[:5] = "purple"
    cols = {"age": age, "colour": colour, "income": income, "size": size, "score": score}
    if not numeric:
        cols = {"colour": colour, "size": size}
    frame = pd.DataFrame(cols)
    if label:
        z = (colour == "red").astype(float) - (size == "L") + rng.normal(0, 0.3, n)
        if numeric:
            z += score + (age - 40) / 12
        frame["outcome"] = np.where(z > 0.7, "yes", np.where(z < -0.7, "no", "maybe"))
    if missing:
        features = [c for c in frame.columns if c != "outcome"]
        holes = rng.random((n, len(features))) < 0.12
        holes[holes.all(axis=1), 0] = False  # a row of empty cells is skipped, not predicted
        for j, c in enumerate(features):
            frame.loc[holes[:, j], c] = None
    frame.to_csv(path, index=False)
    return path


def train(run_dir, data, **settings):
    run_training(TrainConfig(data=str(data), label_column="outcome", model="mlp", hidden=[8],
                             epochs=6, batch_size=32, **settings),
                 run_dir=run_dir, progress_mode="quiet", report=False)
    return run_dir


def props(onx) -> dict:
    return {p.key: p.value for p in onx.metadata_props}


def feed(onx, frame) -> dict:
    """The graph's inputs from a DataFrame read with pandas, using only the
    model's ``inputs`` metadata: numbers as float32 (NaN stays NaN), text
    with "" for a missing cell."""
    out = {}
    for i in json.loads(props(onx)["inputs"]):
        part = frame[i["columns"]]
        out[i["name"]] = (part.to_numpy(np.float32) if i["type"] == "float32"
                          else part.fillna("").astype(str).to_numpy(object))
    return out


def run_graph(onx, frame):
    sess = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    inputs = feed(onx, frame)
    built = onnx_inputs(frame, sess)  # the library's helper builds the same arrays
    assert list(built) == list(inputs)
    for name, array in inputs.items():
        np.testing.assert_array_equal(built[name], array)
        assert built[name].dtype == array.dtype
    return sess.run(None, inputs)


def softmaxlab_predict(run, csv):
    """(labels, probabilities) of ``softmaxlab predict`` for the rows of ``csv``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the note on unseen categories
        proba = predict_csv(run, csv, proba=True).to_numpy()
        labels = predict_csv(run, csv)["prediction"].to_numpy()
    return labels, proba


def check_against_predict(onx, run, csv):
    label, proba = run_graph(onx, pd.read_csv(csv))
    want_label, want_proba = softmaxlab_predict(run, csv)
    np.testing.assert_allclose(proba, want_proba, rtol=0, atol=ATOL)
    np.testing.assert_array_equal(label, want_label)
    return label, proba


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Three CLI runs (text columns with imputation, text columns without,
    numbers only with imputation) and the rows to predict."""
    tmp = tmp_path_factory.mktemp("encoding")
    rng = np.random.default_rng(7)
    holey = write_table(tmp / "holey.csv", rng, 240, missing=True)
    full = write_table(tmp / "full.csv", rng, 240, missing=False)
    numbers = tmp / "numbers.csv"
    pd.read_csv(holey).drop(columns=["colour", "size"]).to_csv(numbers, index=False)
    new = write_table(tmp / "new.csv", rng, 60, missing=True, label=False, unseen=True)
    new_full = write_table(tmp / "new_full.csv", rng, 60, missing=False, label=False, unseen=True)
    new_numbers = tmp / "new_numbers.csv"
    pd.read_csv(new).drop(columns=["colour", "size"]).to_csv(new_numbers, index=False)
    return {"text_imputed": (train(tmp / "imputed", holey, impute="median"), new),
            "text": (train(tmp / "plain", full), new_full),
            "numbers_imputed": (train(tmp / "numbers", numbers, impute="mean"), new_numbers)}


def test_text_columns_with_imputation(runs, capsys):
    run, new = runs["text_imputed"]
    assert main(["export", str(run)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("opset 17, inputs X float32 [N, 3], X_categorical string [N, 2], "
                           "outputs label string [N], probabilities float32 [N, 3]")
    assert out[1] == "  X: the numeric columns age, income, score; NaN where a value is missing"
    assert out[2].startswith('  X_categorical: the text columns colour, size; "" where a value '
                             "is missing; an unseen category counts as none")
    onx = onnx.load(run / "model.onnx")
    assert [i.name for i in onx.graph.input] == ["X", "X_categorical"]
    label, _ = check_against_predict(onx, run, new)
    assert len(set(label)) > 1
    meta = props(onx)
    assert json.loads(meta["feature_names"]) == ["age", "colour", "income", "size", "score"]
    encoding = json.loads(meta["encoding"])
    assert encoding["impute"] == "median"
    assert encoding["categorical"] == {"colour": sorted(COLOURS), "size": sorted(SIZES)}
    frame = pd.read_csv(new)
    assert frame.isna().any().all() and (frame["colour"] == "purple").any()


def test_load_of_a_text_run_exports_the_same(runs):
    run, new = runs["text_imputed"]
    pipe = sl.load(run / "model.npz")
    assert [name for name, _ in pipe.steps] == ["encode", "preprocess", "model"]
    onx = to_onnx(pipe)
    frame = pd.read_csv(new)
    label, proba = run_graph(onx, frame)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(proba, pipe.predict_proba(frame), rtol=0, atol=ATOL)
        np.testing.assert_array_equal(label, pipe.predict(frame))
    assert json.loads(props(onx)["inputs"]) == json.loads(props(to_onnx(run))["inputs"])


def test_text_columns_without_imputation(runs):
    run, new = runs["text"]
    onx = to_onnx(run)
    check_against_predict(onx, run, new)
    inputs = json.loads(props(onx)["inputs"])
    assert [i["missing"] for i in inputs] == [None, None]
    # softmaxlab refuses a missing cell here; the graph, which cannot, counts
    # "" as a category it has not seen: none of the known ones.
    frame = pd.read_csv(new).head(8)
    blank, other = frame.copy(), frame.copy()
    blank["colour"], other["colour"] = "", "never seen"
    np.testing.assert_array_equal(run_graph(onx, blank)[1], run_graph(onx, other)[1])


def test_numbers_with_imputation_keep_one_input(runs, capsys):
    run, new = runs["numbers_imputed"]
    assert main(["export", str(run)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert ": opset 17, input X float32 [N, 3], outputs label string [N]" in out[0]
    assert out[1] == "  X: the numeric columns age, income, score; NaN where a value is missing"
    onx = onnx.load(run / "model.onnx")
    assert [i.name for i in onx.graph.input] == ["X"]
    assert "Imputer" in {n.op_type for n in onx.graph.node}
    check_against_predict(onx, run, new)
    # The plain float32 array in the file's column order, as for any model.
    rows = pd.read_csv(new).to_numpy(np.float32)
    assert np.isnan(rows).any()
    sess = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(sess.run(None, {"X": rows})[1], softmaxlab_predict(run, new)[1],
                               rtol=0, atol=ATOL)


def test_only_text_columns(tmp_path):
    rng = np.random.default_rng(11)
    data = write_table(tmp_path / "words.csv", rng, 200, missing=True, numeric=False)
    new = write_table(tmp_path / "new.csv", rng, 40, missing=True, label=False, numeric=False,
                      unseen=True)
    run = train(tmp_path / "words", data, impute="most_frequent")
    onx = to_onnx(run, target_opset=13)
    assert [i.name for i in onx.graph.input] == ["X_categorical"]
    check_against_predict(onx, run, new)


def test_opset_too_old_for_the_imputation_of_text(runs, capsys):
    run, new = runs["text_imputed"]
    with pytest.raises(OpsetError, match=r"target_opset=8 is too old .*Where \(opset 9 or later\)"
                                         r"; use target_opset between 9 and"):
        to_onnx(run, target_opset=8)
    assert main(["export", str(run), "--opset", "8"]) == 2
    assert "Where (opset 9 or later)" in capsys.readouterr().err
    check_against_predict(to_onnx(run, target_opset=9), run, new)


def test_the_encoding_must_come_first(runs):
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    pipe = sl.load(runs["text"][0] / "model.npz")
    odd = Pipeline([("scale", StandardScaler()), *pipe.steps])
    with pytest.raises(ExportError, match="'encode' is softmaxlab's column encoding.*first step"):
        to_onnx(odd)
