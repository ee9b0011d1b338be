"""The fused softmax cross-entropy: value, gradient scaling, weights, edges."""
import numpy as np
import pytest
from sklearn.metrics import log_loss

from softmaxlab.nn import SoftmaxCrossEntropy, mlp, softmax, softmax_regression


def test_matches_sklearn_log_loss(rng):
    z = rng.standard_normal((20, 4))
    y = rng.integers(0, 4, 20)
    y[:4] = [0, 1, 2, 3]
    loss, _ = SoftmaxCrossEntropy()(z, y)
    assert loss == pytest.approx(log_loss(y, softmax(z), labels=range(4)), rel=1e-12)
    sw = rng.uniform(0.1, 3, 20)
    lw, _ = SoftmaxCrossEntropy()(z, y, sw)
    assert lw == pytest.approx(log_loss(y, softmax(z), sample_weight=sw, labels=range(4)), rel=1e-12)


def test_gradient_is_softmax_minus_onehot_over_n(rng):
    z = rng.standard_normal((5, 3))
    y = np.array([0, 2, 1, 1, 0])
    _, d = SoftmaxCrossEntropy()(z, y)
    expected = softmax(z)
    expected[np.arange(5), y] -= 1
    np.testing.assert_allclose(d, expected / 5, rtol=1e-14)
    np.testing.assert_allclose(d.sum(axis=1), 0, atol=1e-15)


def test_class_weights_equal_repeated_samples(rng):
    # Weighting class 1 by 3 is the same objective as listing its rows 3 times.
    z = rng.standard_normal((6, 2))
    y = np.array([0, 1, 0, 1, 0, 0])
    lw, dw = SoftmaxCrossEntropy(class_weight=[1.0, 3.0])(z, y)
    rep = np.r_[np.arange(6), [1, 3, 1, 3]]
    lr, dr = SoftmaxCrossEntropy()(z[rep], y[rep])
    assert lw == pytest.approx(lr, rel=1e-12)
    summed = np.zeros_like(dw)
    np.add.at(summed, rep, dr)
    np.testing.assert_allclose(dw, summed, rtol=1e-12)


def test_value_agrees_with_forward(rng):
    z = rng.standard_normal((9, 5)) * 4
    y = rng.integers(0, 5, 9)
    sw = rng.uniform(0, 1, 9)
    loss = SoftmaxCrossEntropy(class_weight=np.linspace(0.5, 2, 5))
    assert loss.value(z, y, sw) == pytest.approx(loss(z, y, sw)[0], rel=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logits_give_finite_loss_and_gradient(dtype):
    z = np.array([[1e4, -1e4, 0], [-1e4, 1e4, 0]], dtype=dtype)
    loss, d = SoftmaxCrossEntropy()(z, np.array([1, 1]))
    assert np.isfinite(loss) and np.all(np.isfinite(d))
    assert loss == pytest.approx(1e4, rel=1e-5)  # (2e4 + 0) / 2
    assert d.dtype == dtype


def test_input_not_modified(rng):
    z = rng.standard_normal((4, 3))
    z0 = z.copy()
    SoftmaxCrossEntropy()(z, np.array([0, 1, 2, 0]))
    np.testing.assert_array_equal(z, z0)


def test_untrained_loss_is_close_to_log_c(digits_split):
    Xtr, _, ytr, _ = digits_split
    rng = np.random.default_rng(0)
    loss = SoftmaxCrossEntropy()
    sr = softmax_regression(64, 10, rng=rng, dtype=np.float64)
    # std-0.01 weights give logits of ~0.08: the loss is log C to 3 decimals.
    assert loss.value(sr.predict_logits(Xtr), ytr) == pytest.approx(np.log(10), abs=0.01)
    net = mlp(64, [100], 10, rng=rng, dtype=np.float64)
    # The output layer starts at N(0, 0.01^2), so the MLP too starts at log C.
    assert loss.value(net.predict_logits(Xtr), ytr) == pytest.approx(np.log(10), abs=0.05)


def test_bad_weights_rejected():
    with pytest.raises(ValueError, match="non-negative"):
        SoftmaxCrossEntropy(class_weight=[1, -1])
    # A batch whose weights are all 0 carries nothing: loss 0, gradient 0.
    loss, d = SoftmaxCrossEntropy()(np.ones((2, 2)), np.array([0, 1]), np.zeros(2))
    assert loss == 0.0 and not d.any()
