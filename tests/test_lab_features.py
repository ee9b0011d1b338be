"""Playground's lesson: with the right input features a linear model
separates what a line cannot. The setting ``features`` is validated like
any other and listed by /api/choices."""
from __future__ import annotations

import numpy as np
import pytest

from softmaxlab.lab.features import FEATURES, expand
from softmaxlab.lab.params import NOISE_DEFAULTS, LabParamError, LabSettings, choices, validate
from softmaxlab.lab.session import Session


def val_acc(**settings):
    # As the page sends it: a new data set comes with its own default noise.
    s = Session("f", validate(LabSettings(), {"model": "softmax", "lr": 0.1, **settings}))
    s._train(60)
    return s.trainer.history.val_acc[-1], s


def test_xor_needs_the_product_feature():
    plain, _ = val_acc(dataset="xor")
    crossed, s = val_acc(dataset="xor", features=["x1", "x2", "x1_x2"])
    assert plain < 0.7 < 0.95 < crossed
    assert s.model.layers[0].n_in == 3 and s.X_train.shape[1] == 3


def test_circles_need_the_squares():
    plain, _ = val_acc(dataset="circles")
    squared, _ = val_acc(dataset="circles", features=["x1_sq", "x2_sq"])
    assert plain < 0.7 < 0.95 < squared


def test_a_new_data_set_starts_at_its_default_noise_unless_given():
    s = validate(LabSettings(), {"dataset": "circles"})
    assert s.noise == NOISE_DEFAULTS["circles"] != LabSettings().noise
    assert validate(LabSettings(), {"dataset": "circles", "noise": 0.3}).noise == 0.3
    assert validate(s, {"dataset": "circles", "seed": 3}).noise == s.noise


def test_features_are_computed_from_the_standardised_coordinates():
    Z = np.array([[0.5, -2.0], [1.0, 3.0]], dtype=np.float32)
    F = expand(Z, list(FEATURES))
    expected = [[0.5, -2.0, 0.25, 4.0, -1.0, np.sin(0.5), np.sin(-2.0)],
                [1.0, 3.0, 1.0, 9.0, 3.0, np.sin(1.0), np.sin(3.0)]]
    np.testing.assert_allclose(F, expected, rtol=1e-6)
    assert F.dtype == np.float32


@pytest.mark.parametrize("value, stored", [
    (["x1_x2"], ("x1_x2",)),
    ("x1_x2, x1", ("x1", "x1_x2")),  # a URL's string form; kept in the canonical order
    (["sin_x2", "x1_sq", "x2"], ("x2", "x1_sq", "sin_x2")),
])
def test_features_accept_lists_and_strings(value, stored):
    assert validate(LabSettings(), {"features": value}).features == stored


@pytest.mark.parametrize("value", [[], "", ["x3"], ["x1", "x1"], [1], None, {"x1": 1},
                                   ["x1"] * 50, [["x1"]]])
def test_bad_features_are_refused_with_the_value_kept(value):
    with pytest.raises(LabParamError) as err:
        validate(LabSettings(), {"features": value})
    e = err.value
    assert e.code == "bad_features" and e.field == "features"
    assert e.params["kept"] == ["x1", "x2"] and e.params["values"] == list(FEATURES)


def test_choices_list_the_features():
    c = choices()
    assert [f["id"] for f in c["features"]] == list(FEATURES)
    assert c["features"][4] == {"id": "x1_x2", "label": "x₁x₂"}
    assert c["rules"]["features"]["values"] == list(FEATURES)
    assert c["defaults"]["features"] == ["x1", "x2"]


def test_frames_name_the_inputs_and_carry_the_weights():
    import base64

    s = Session("f", LabSettings(model="softmax", features=("x1", "x1_x2")))
    f = s.frame()
    assert f["inputs"] == ["x1", "x1_x2"] and f["input_labels"] == ["x₁", "x₁x₂"]
    (w,) = f["weights"]
    W = np.frombuffer(base64.b64decode(w["W"]), "<f4").reshape(w["n_in"], w["n_out"])
    np.testing.assert_array_equal(W, s.model.layers[0].params["W"])
    assert w["max_abs"] == pytest.approx(float(np.abs(W).max()))
    assert f["hidden"] == []  # softmax regression: inputs go straight to the output
