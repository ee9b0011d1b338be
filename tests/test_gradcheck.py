"""Every layer and the loss against central differences in float64, and a
proof that the check can fail."""
import numpy as np
import pytest

from softmaxlab.gradcheck import DEFAULT_TOLERANCE, check_layer, check_loss, check_model
from softmaxlab.nn import (
    Dropout, Identity, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, SoftmaxCrossEntropy, Tanh, mlp,
    softmax_regression,
)

LAYERS = {
    "linear_glorot": lambda rng: Linear(5, 4, init="glorot", rng=rng),
    "linear_he": lambda rng: Linear(5, 4, init="he", rng=rng),
    "linear_normal": lambda rng: Linear(5, 4, init="normal", rng=rng),
    "relu": lambda rng: ReLU(),
    "leaky_relu": lambda rng: LeakyReLU(0.1),
    "sigmoid": lambda rng: Sigmoid(),
    "tanh": lambda rng: Tanh(),
    "identity": lambda rng: Identity(),
    "dropout": lambda rng: Dropout(0.4),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_gradients(name, rng):
    layer = LAYERS[name](rng)
    # Inputs kept away from ReLU's kink at 0, where the derivative is undefined
    # and a central difference straddling it would be meaningless.
    X = rng.standard_normal((6, 5))
    X[np.abs(X) < 1e-3] = 0.5
    errors = check_layer(layer, X, rng, training=True)
    assert set(errors) == {"input", *layer.params}
    for key, err in errors.items():
        assert err < DEFAULT_TOLERANCE, f"{name}.{key}: relative error {err:.2e}"


@pytest.mark.parametrize("class_weight", [None, [1.0, 3.0, 0.5, 2.0]])
@pytest.mark.parametrize("with_sample_weight", [False, True])
def test_loss_gradient(class_weight, with_sample_weight, rng):
    loss = SoftmaxCrossEntropy(class_weight=class_weight)
    logits = rng.standard_normal((8, 4)) * 2
    y = rng.integers(0, 4, 8)
    sw = rng.uniform(0.1, 2.0, 8) if with_sample_weight else None
    assert check_loss(loss, logits, y, sw) < DEFAULT_TOLERANCE


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh", "sigmoid", "identity"])
@pytest.mark.parametrize("weighted", [False, True])
def test_whole_model_gradients(activation, weighted, rng):
    # Glorot everywhere: the default N(0, 0.01^2) output layer would shrink the
    # hidden layers' gradients to ~1e-3, where the finite difference's own
    # rounding (~1e-10 absolute) starts to show in the relative error.
    model = mlp(6, [5, 4], 3, activation=activation, dropout=0.3, init="glorot", rng=rng,
                dtype=np.float64)
    X = rng.standard_normal((10, 6))
    y = rng.integers(0, 3, 10)
    loss = SoftmaxCrossEntropy(class_weight=[0.5, 1.0, 2.0] if weighted else None)
    sw = rng.uniform(0.5, 1.5, 10) if weighted else None
    errors = check_model(model, X, y, loss=loss, sample_weight=sw)
    assert len(errors) == 6
    for key, err in errors.items():
        assert err < DEFAULT_TOLERANCE, f"{activation} {key}: {err:.2e}"


def test_softmax_regression_model_gradients(rng):
    model = softmax_regression(7, 5, rng=rng)
    errors = check_model(model, rng.standard_normal((9, 7)), rng.integers(0, 5, 9))
    assert max(errors.values()) < DEFAULT_TOLERANCE


def test_check_works_on_float64_copy_and_leaves_model_alone(rng):
    model = mlp(3, [4], 2, rng=rng)
    before = model.get_weights()
    check_model(model, rng.standard_normal((5, 3)), rng.integers(0, 2, 5))
    assert model.dtype == np.float32
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


class _WrongReLU(ReLU):
    """Forgets the mask: passes every gradient through."""

    def backward(self, dout):
        return dout.copy()

    def astype(self, dtype):
        return _WrongReLU()


class _WrongLinear(Linear):
    """Transposes the weight gradient the wrong way round (uses dout^T X)."""

    def backward(self, dout):
        super().backward(dout)
        self.grads["W"][...] = (dout.T @ self._X).T * 1.1
        return dout @ self.params["W"].T

    def astype(self, dtype):
        new = _WrongLinear(self.n_in, self.n_out, init="zeros", dtype=dtype)
        new.params["W"][...] = self.params["W"]
        return new


def test_wrong_backward_fails_the_layer_check(rng):
    X = rng.standard_normal((6, 5))
    X[np.abs(X) < 1e-3] = 0.5
    assert check_layer(_WrongReLU(), X, rng)["input"] > 1e-2
    wrong = _WrongLinear(5, 4, init="glorot", rng=rng)
    assert check_layer(wrong, X, rng)["W"] > 1e-2


def test_wrong_backward_fails_the_model_check(rng):
    model = Sequential([Linear(4, 5, rng=rng), _WrongReLU(), Linear(5, 3, rng=rng)])
    X = rng.standard_normal((8, 4))
    errors = check_model(model, X, rng.integers(0, 3, 8))
    assert errors["0.W"] > 1e-2 and errors["0.b"] > 1e-2
    assert errors["2.W"] < DEFAULT_TOLERANCE  # the correct layer above it still passes


class _WrongLoss(SoftmaxCrossEntropy):
    """Forgets the 1/N."""

    def forward(self, logits, y, sample_weight=None):
        loss, d = super().forward(logits, y, sample_weight)
        return loss, d * len(y)


def test_wrong_loss_gradient_fails(rng):
    assert check_loss(_WrongLoss(), rng.standard_normal((8, 4)), rng.integers(0, 4, 8)) > 0.5


def test_cli_passes_a_correct_model_with_vanishing_gradients(capsys):
    # Six sigmoid layers: the first layers' gradients are ~1e-6, so finite
    # differences' absolute rounding (~1e-10) is 1e-4 of them. The old purely
    # relative verdict (1e-6) failed this correct model; the noise-aware one
    # passes it and says why.
    from softmaxlab.cli import main

    assert main(["gradcheck", "--hidden", "12,12,12,12,12,12", "--activation", "sigmoid"]) == 0
    out = capsys.readouterr().out
    assert "PASS" in out and "within the rounding floor" in out


def test_cli_fails_a_wrong_backward(monkeypatch, capsys):
    from softmaxlab import nn
    from softmaxlab.cli import main

    class WrongTanh(nn.Tanh):
        def backward(self, dout):
            return 1.5 * super().backward(dout)

        def astype(self, dtype):
            return WrongTanh()

    real = nn.mlp

    def broken(*args, **kwargs):
        model = real(*args, **kwargs)
        model.layers[1] = WrongTanh()
        return model

    monkeypatch.setattr(nn, "mlp", broken)
    assert main(["gradcheck", "--hidden", "8,8"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out.splitlines()[-1] and "0.W" in out
