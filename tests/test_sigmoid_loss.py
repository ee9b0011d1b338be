"""The fused sigmoid binary cross-entropy: finite differences in float64 (and
a wrong backward that fails them), PyTorch parity with class and sample
weights, stability, and the target checks."""
import numpy as np
import pytest

from softmaxlab.gradcheck import DEFAULT_TOLERANCE, check_loss, relative_error
from softmaxlab.nn import SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy, log_sigmoid, softplus

N, L = 9, 4


def _data(rng, n=N, labels=L):
    logits = rng.standard_normal((n, labels)) * 2
    Y = (rng.random((n, labels)) < 0.4).astype(np.float64)
    return logits, Y


CLASS_WEIGHTS = {
    "none": None,
    "per-label": [1.0, 3.0, 0.5, 2.0],
    "per-label-and-target": [[1.0, 2.0], [0.5, 4.0], [3.0, 1.0], [1.0, 0.25]],
}


@pytest.mark.parametrize("cw", sorted(CLASS_WEIGHTS))
@pytest.mark.parametrize("with_sample_weight", [False, True])
def test_gradient_matches_finite_differences(cw, with_sample_weight, rng):
    loss = SigmoidBinaryCrossEntropy(CLASS_WEIGHTS[cw])
    logits, Y = _data(rng)
    sw = rng.uniform(0.1, 2.0, N) if with_sample_weight else None
    assert check_loss(loss, logits, Y, sw) < DEFAULT_TOLERANCE


class _WrongBackward(SigmoidBinaryCrossEntropy):
    """A classic slip: the gradient of a *mean over all n * L terms* while
    the value is the mean over samples of the per-sample sum."""

    def forward(self, logits, Y, sample_weight=None):
        loss, grad = super().forward(logits, Y, sample_weight)
        return loss, grad / logits.shape[1]


class _ForgotTarget(SigmoidBinaryCrossEntropy):
    """Another: ``sigmoid(z)`` alone, dropping the ``- Y``."""

    def forward(self, logits, Y, sample_weight=None):
        loss, grad = super().forward(logits, Y, sample_weight)
        return loss, grad + Y / logits.shape[0]


@pytest.mark.parametrize("wrong", [_WrongBackward, _ForgotTarget])
def test_a_wrong_backward_fails_the_check(wrong, rng):
    logits, Y = _data(rng)
    assert check_loss(wrong(), logits, Y) > 1e-2


@pytest.mark.parametrize("cw", sorted(CLASS_WEIGHTS))
@pytest.mark.parametrize("with_sample_weight", [False, True])
def test_parity_with_torch_bce_with_logits(cw, with_sample_weight, rng):
    torch = pytest.importorskip("torch")
    logits, Y = _data(rng)
    sw = rng.uniform(0.1, 2.0, N) if with_sample_weight else None
    ours = SigmoidBinaryCrossEntropy(CLASS_WEIGHTS[cw])
    loss, grad = ours(logits, Y, sw)
    # Ours is sum over terms of s_i * c_ij * l_ij divided by sum(s): torch's
    # reduction="sum" with weight = s[:, None] * c, then the same division.
    s = np.ones(N) if sw is None else sw
    c = np.ones((N, L))
    if CLASS_WEIGHTS[cw] is not None:
        cwa = np.asarray(CLASS_WEIGHTS[cw])
        c = np.broadcast_to(cwa, (N, L)) if cwa.ndim == 1 else cwa[:, 0] * (1 - Y) + cwa[:, 1] * Y
    z = torch.tensor(logits, requires_grad=True)
    crit = torch.nn.BCEWithLogitsLoss(weight=torch.tensor(s[:, None] * c), reduction="sum")
    ref = crit(z, torch.tensor(Y)) / float(s.sum())
    ref.backward()
    assert loss == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(grad, z.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_unweighted_loss_is_torch_mean_times_labels(rng):
    """The documented relation to torch's default reduction="mean" (over n * L)."""
    torch = pytest.importorskip("torch")
    logits, Y = _data(rng)
    ref = torch.nn.BCEWithLogitsLoss()(torch.tensor(logits), torch.tensor(Y)).item()
    assert SigmoidBinaryCrossEntropy().value(logits, Y) == pytest.approx(ref * L, rel=1e-12)


def test_runs_on_torch_tensors_with_the_same_numbers(rng):
    """Written against the array API: torch tensors in, torch tensors out."""
    torch = pytest.importorskip("torch")
    logits, Y = _data(rng)
    sw = rng.uniform(0.1, 2.0, N)
    loss_np, grad_np = SigmoidBinaryCrossEntropy([1.0, 3.0, 0.5, 2.0])(logits, Y, sw)
    loss_t, grad_t = SigmoidBinaryCrossEntropy([1.0, 3.0, 0.5, 2.0])(
        torch.tensor(logits), torch.tensor(Y), torch.tensor(sw))
    assert isinstance(grad_t, torch.Tensor)
    assert loss_t == pytest.approx(loss_np, rel=1e-12)
    np.testing.assert_allclose(grad_t.numpy(), grad_np, rtol=1e-12)


def test_one_unit_equals_the_two_class_softmax(rng):
    """Logistic regression is softmax regression with logits (0, z)."""
    z = rng.standard_normal((N, 1)) * 3
    y = rng.integers(0, 2, N)
    sw = rng.uniform(0.5, 2.0, N)
    sig_loss, sig_grad = SigmoidBinaryCrossEntropy()(z, y[:, None].astype(float), sw)
    two = np.hstack([np.zeros_like(z), z])
    soft_loss, soft_grad = SoftmaxCrossEntropy()(two, y, sw)
    assert sig_loss == pytest.approx(soft_loss, rel=1e-12)
    np.testing.assert_allclose(sig_grad[:, 0], soft_grad[:, 1], rtol=1e-10)


def test_extreme_logits_give_finite_loss_and_gradient():
    z = np.array([[1e4, -1e4], [-1e4, 1e4]], dtype=np.float32)
    Y = np.array([[0.0, 1.0], [0.0, 1.0]], dtype=np.float32)
    loss, grad = SigmoidBinaryCrossEntropy()(z, Y)
    assert np.isfinite(loss) and np.all(np.isfinite(grad))
    # Row 0 is wrong by 1e4 on both labels, row 1 right: mean of (2e4, 0).
    assert loss == pytest.approx(1e4, rel=1e-6)
    np.testing.assert_array_equal(grad, np.array([[0.5, -0.5], [0.0, 0.0]], dtype=np.float32))
    assert grad.dtype == np.float32


def test_softplus_and_log_sigmoid_are_stable():
    z = np.array([-1e4, -50.0, -1.0, 0.0, 1.0, 50.0, 1e4])
    np.testing.assert_allclose(softplus(z[2:5]), np.log1p(np.exp(z[2:5])), rtol=1e-15)
    assert softplus(z)[-1] == 1e4 and softplus(z)[0] == 0.0
    np.testing.assert_allclose(log_sigmoid(z), -softplus(-z))
    assert np.all(np.isfinite(log_sigmoid(z))) and log_sigmoid(z)[0] == -1e4


def test_zero_total_weight_contributes_nothing(rng):
    logits, Y = _data(rng)
    loss, grad = SigmoidBinaryCrossEntropy()(logits, Y, np.zeros(N))
    assert loss == 0.0 and not grad.any()


def test_gradient_of_the_mean_is_independent_of_weight_scale(rng):
    logits, Y = _data(rng)
    sw = rng.uniform(0.5, 2.0, N)
    a = SigmoidBinaryCrossEntropy()(logits, Y, sw)
    b = SigmoidBinaryCrossEntropy()(logits, Y, 10 * sw)
    assert a[0] == pytest.approx(b[0], rel=1e-12)
    assert relative_error(a[1], b[1]) < 1e-14


def test_count_correct_is_subset_accuracy():
    logits = np.array([[1.0, -1.0], [1.0, 1.0], [-2.0, -0.5]])
    Y = np.array([[1, 0], [1, 0], [0, 0]])
    assert SigmoidBinaryCrossEntropy().count_correct(logits, Y) == 2


def test_check_targets_accepts_and_refuses():
    loss = SigmoidBinaryCrossEntropy()
    out = loss.check_targets([[0, 1], [1, 1]], 2, 2)
    assert out.dtype == np.float64 and out.tolist() == [[0.0, 1.0], [1.0, 1.0]]
    assert loss.check_targets(np.array([True, False]), 2, 1).shape == (2, 1)
    with pytest.raises(ValueError, match=r"shape \(n_samples, 3\)"):
        loss.check_targets(np.zeros((2, 2)), 2, 3)
    with pytest.raises(ValueError, match="3 rows but X has 2"):
        loss.check_targets(np.zeros((3, 2)), 2, 2)
    with pytest.raises(ValueError, match="only 0 and 1.*2 of its 4"):
        loss.check_targets(np.array([[0.0, 0.5], [np.nan, 1.0]]), 2, 2)
    with pytest.raises(ValueError, match="class_weight"):
        SigmoidBinaryCrossEntropy([[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="class_weight"):
        SigmoidBinaryCrossEntropy([-1.0])
