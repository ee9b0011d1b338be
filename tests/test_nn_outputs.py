"""Models with independent sigmoid outputs (``output="sigmoid"``): building,
predicting, saving, gradient checks and training with 0/1 target matrices."""
import json
import warnings

import numpy as np
import pytest

import softmaxlab as sl
from softmaxlab.gradcheck import DEFAULT_TOLERANCE, check_model
from softmaxlab.io import ModelFormatError, load_model, save_model
from softmaxlab.nn import (
    SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy, make_loss, mlp, sigmoid, softmax_regression,
)
from softmaxlab.train import NotLearningWarning, Trainer


def _multilabel(rng, n=240, d=6, labels=3):
    X = rng.standard_normal((n, d))
    W = rng.standard_normal((d, labels))
    Y = (X @ W > 0).astype(np.float64)
    return X, Y


def test_output_is_stored_and_validated(rng):
    assert mlp(4, [3], 5, rng=rng).output == "softmax"
    m = mlp(4, [3], 2, rng=rng, output="sigmoid")
    assert m.output == "sigmoid" and m.astype(np.float64).output == "sigmoid"
    assert softmax_regression(4, 1, rng=rng, output="sigmoid").n_classes == 1
    with pytest.raises(ValueError, match="n_classes must be at least two"):
        softmax_regression(4, 1, rng=rng)
    with pytest.raises(ValueError, match="output must be one of"):
        mlp(4, [3], 2, rng=rng, output="tanh")
    assert isinstance(make_loss("sigmoid", [1.0, 2.0]), SigmoidBinaryCrossEntropy)
    assert isinstance(make_loss("softmax"), SoftmaxCrossEntropy)


def test_sigmoid_predictions(rng):
    m = mlp(4, [3], 3, rng=rng, init="glorot", output="sigmoid", dtype=np.float64)
    X = rng.standard_normal((5, 4))
    z = m.predict_logits(X)
    np.testing.assert_allclose(m.predict_proba(X), sigmoid(z))
    np.testing.assert_allclose(np.exp(m.predict_log_proba(X)), sigmoid(z), rtol=1e-12)
    pred = m.predict(X)
    assert pred.shape == (5, 3) and pred.dtype.kind == "i"
    np.testing.assert_array_equal(pred, (z > 0).astype(int))


def test_save_and_load_keep_the_output(tmp_path, rng):
    m = mlp(4, [3], 2, rng=rng, output="sigmoid")
    loaded = load_model(save_model(tmp_path / "m.npz", m)).model
    assert loaded.output == "sigmoid"
    X = rng.standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict_proba(X), m.predict_proba(X))


def _rewrite_header(path, change):
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    header = json.loads(arrays["__header__"].tobytes().decode())
    change(header)
    arrays["__header__"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(path, **arrays)


def test_files_without_an_output_are_softmax_and_unknown_outputs_are_refused(tmp_path, rng):
    path = save_model(tmp_path / "m.npz", mlp(4, [3], 2, rng=rng))
    _rewrite_header(path, lambda h: h.pop("output"))
    assert load_model(path).model.output == "softmax"
    _rewrite_header(path, lambda h: h.update(output="relu"))
    with pytest.raises(ModelFormatError, match="output 'relu'"):
        load_model(path)


@pytest.mark.parametrize("weighted", [False, True])
def test_whole_sigmoid_model_gradients(weighted, rng):
    model = mlp(5, [4], 3, activation="tanh", init="glorot", rng=rng, dtype=np.float64,
                output="sigmoid")
    X, Y = _multilabel(rng, n=8, d=5)
    loss = SigmoidBinaryCrossEntropy([[1.0, 2.0], [0.5, 1.0], [3.0, 1.0]] if weighted else None)
    sw = rng.uniform(0.5, 1.5, 8) if weighted else None
    errors = check_model(model, X, Y, loss=loss, sample_weight=sw)
    assert max(errors.values()) < DEFAULT_TOLERANCE, errors


def test_check_model_defaults_to_the_models_loss(rng):
    model = mlp(5, [4], 2, init="glorot", rng=rng, dtype=np.float64, output="sigmoid")
    X, Y = _multilabel(rng, n=6, d=5, labels=2)
    assert max(check_model(model, X, Y).values()) < DEFAULT_TOLERANCE


def test_trainer_learns_multilabel_targets(rng):
    X, Y = _multilabel(rng)
    model = mlp(6, [16], 3, rng=rng, output="sigmoid")
    trainer = Trainer(model, sl.SGD(model.parameters(), lr=0.1, momentum=0.9), batch_size=32,
                      rng=rng)
    assert isinstance(trainer.loss, SigmoidBinaryCrossEntropy)
    hist = trainer.fit(X, Y, epochs=15, X_val=X[:60], y_val=Y[:60])
    # Untrained: about 3 log 2 (each label at one half); trained: far below.
    assert hist.train_loss[0] < 3 * np.log(2) + 0.1
    assert hist.train_loss[-1] < 0.5 * hist.train_loss[0]
    loss, acc = trainer.evaluate(X, Y)
    subset = np.mean(np.all(model.predict(X) == Y, axis=1))
    assert acc == pytest.approx(subset) and acc > 0.8
    assert loss == pytest.approx(SigmoidBinaryCrossEntropy().value(model.predict_logits(X), Y),
                                 rel=1e-6)


def test_trainer_checks_targets_with_the_models_loss(rng):
    X, Y = _multilabel(rng, n=20)
    model = mlp(6, [4], 3, rng=rng, output="sigmoid")
    trainer = Trainer(model, sl.SGD(model.parameters(), lr=0.1), rng=rng)
    with pytest.raises(ValueError, match=r"shape \(n_samples, 3\)"):
        trainer.fit(X, Y[:, :2], epochs=1)
    with pytest.raises(ValueError, match="only 0 and 1"):
        trainer.fit(X, Y * 2, epochs=1)
    with pytest.raises(ValueError, match="y_val"):
        trainer.fit(X, Y, epochs=1, X_val=X, y_val=Y[:, 0])


def test_not_learning_hint_uses_the_label_combinations(rng):
    """L sigmoid units at one half start at L log 2 = log 2^L: the hint's
    chance level. A frozen model (lr ~ 0) gets the hint, naming log(8)."""
    X, Y = _multilabel(rng, n=64)
    model = mlp(6, [4], 3, rng=rng, output="sigmoid")
    trainer = Trainer(model, sl.SGD(model.parameters(), lr=1e-12), batch_size=64, rng=rng)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer.fit(X, Y, epochs=3)
    msgs = [str(w.message) for w in caught if issubclass(w.category, NotLearningWarning)]
    assert len(msgs) == 1 and "log(8)" in msgs[0]
