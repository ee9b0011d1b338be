"""The lab's gradient check tells the truth: every model the lab can build
passes after training (every activation, 1 to 6 layers, widths up to 64),
and a planted wrong backward fails, with the parameter named. The check
samples entries, so each model takes a fraction of a second."""
from __future__ import annotations

import numpy as np
import pytest

from softmaxlab.gradcheck import MODEL_RTOL, check_model, compare_model_gradients
from softmaxlab.lab.onestep import gradient_check
from softmaxlab.lab.params import MAX_LAYERS, MAX_WIDTH, LabSettings
from softmaxlab.lab.session import Session
from softmaxlab.nn import Linear, Sigmoid, Tanh, mlp

ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid")
# Depth 1 to 6, the widest layers at the lab's maximum.
ARCHITECTURES = [(MAX_WIDTH,), (64, 8), (16, 64, 16), (MAX_WIDTH,) * 4, (32,) * 5,
                 (MAX_WIDTH,) * MAX_LAYERS]


def trained(hidden, activation, epochs=15, n_points=200):
    s = Session("t", LabSettings(hidden=hidden, activation=activation, n_points=n_points))
    s._train(epochs)
    assert s.trainer.epoch == epochs
    return s


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_lab_model_passes_after_training(activation):
    for hidden in ARCHITECTURES:
        s = trained(hidden, activation, epochs=10, n_points=100)
        # 12 entries per parameter keeps this sweep fast; the lab checks 64.
        res = gradient_check(s.model, s.X_train, s.splits.y_train, entries=12)
        assert res["passed"], (hidden, activation, res["summary"])
        assert res["n_points"] == 16 and res["dtype"] == "float64"
        assert res["n_checked"] == sum(min(p.value.size, 12) for p in s.model.parameters())


def test_the_reported_case_a_deep_tanh_after_21_epochs_passes():
    # 6 x 64 tanh on the 600-point spiral after 21 epochs: the old all-relative
    # check called this correct model wrong (2.7e-5 against 1e-6).
    s = Session("t", LabSettings(hidden=(64,) * 6, activation="tanh"))
    s._train(21)
    res = gradient_check(s.model, s.X_train, s.splits.y_train)
    assert res["passed"], res["summary"]
    assert "PASS" in res["summary"] and f"{res['n_checked']} of {res['n_params']}" in res["summary"]


class _WrongTanh(Tanh):
    """Backward 1 - h instead of 1 - h^2: a typical slip."""

    def backward(self, dout):
        return dout * (1 - self._out)

    def astype(self, dtype):
        return _WrongTanh()


class _ForgetfulLinear(Linear):
    """Bias gradient of the first row only, instead of the sum over the batch."""

    def backward(self, dout):
        dX = super().backward(dout)
        self.grads["b"][...] = dout[0]
        return dX

    def astype(self, dtype):
        new = _ForgetfulLinear(self.n_in, self.n_out, init="zeros", dtype=dtype)
        for k in self.params:
            new.params[k][...] = self.params[k]
        return new


def test_a_wrong_backward_fails_on_a_trained_deep_model():
    s = trained((MAX_WIDTH,) * MAX_LAYERS, "tanh")
    broken = s.model.copy()
    broken.layers[5] = _WrongTanh()
    res = gradient_check(broken, s.X_train, s.splits.y_train)
    verdict = {p["name"]: p["passed"] for p in res["parameters"]}
    assert not res["passed"] and "FAIL" in res["summary"] and "wrong: 0.W" in res["summary"]
    assert not verdict["4.W"] and verdict["12.W"]  # below the bug wrong, above it right


def test_a_forgotten_bias_sum_fails():
    s = trained((16, 16), "relu")
    broken = s.model.copy()
    old = broken.layers[2]
    layer = _ForgetfulLinear(old.n_in, old.n_out, init="zeros")
    for k in old.params:
        layer.params[k][...] = old.params[k]
    broken.layers[2] = layer
    res = gradient_check(broken, s.X_train, s.splits.y_train)
    verdict = {p["name"]: p for p in res["parameters"]}
    assert not verdict["2.b"]["passed"] and verdict["2.b"]["error"] > 0.1
    assert verdict["2.W"]["passed"]


def test_tiny_gradients_pass_with_the_noise_floor_where_a_relative_check_fails(rng):
    # Six sigmoid layers: the first layers' gradients vanish (~1e-9), below
    # what central differences resolve; a purely relative error there is
    # rounding divided by a tiny norm.
    model = mlp(2, [12] * 6, 3, activation="sigmoid", rng=rng, dtype=np.float64)
    X, y = rng.standard_normal((16, 2)), rng.integers(0, 3, 16)
    relative = check_model(model, X, y)
    assert relative["0.W"] > 1e-6  # the old verdict: FAIL on a correct model
    checks = compare_model_gradients(model, X, y)
    assert all(c.passed for c in checks)
    assert checks[0].error > MODEL_RTOL and checks[0].abs_error < 1e-9  # rounding, not a bug


def test_a_wrong_sigmoid_fails_where_gradients_are_measurable(rng):
    class WrongSigmoid(Sigmoid):
        def backward(self, dout):
            return 1.2 * super().backward(dout)

        def astype(self, dtype):
            return WrongSigmoid()

    model = mlp(2, [8], 3, activation="sigmoid", init="glorot", rng=rng, dtype=np.float64)
    model.layers[1] = WrongSigmoid()
    checks = compare_model_gradients(model, rng.standard_normal((16, 2)), rng.integers(0, 3, 16))
    by_name = {c.name: c for c in checks}
    assert not by_name["0.W"].passed and by_name["0.W"].measurable and by_name["2.W"].passed
