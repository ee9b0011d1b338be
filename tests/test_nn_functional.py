"""Sanity figures of the stable softmax family."""
import numpy as np
import pytest

from softmaxlab.nn import log_softmax, logsumexp, one_hot, sigmoid, softmax


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_rows_sum_to_one_and_shift_invariant(rng, dtype):
    z = rng.standard_normal((7, 5)).astype(dtype) * 3
    p = softmax(z)
    # float32 rounding of a 5-term sum: a few ulps.
    tol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(p.sum(axis=1), 1, atol=tol)
    np.testing.assert_allclose(softmax(z + dtype(100)), p, atol=tol)
    assert p.dtype == dtype


def test_softmax_matches_naive_formula_where_naive_is_safe(rng):
    z = rng.standard_normal((4, 3))
    naive = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(softmax(z), naive, rtol=1e-14)
    np.testing.assert_allclose(log_softmax(z), np.log(naive), rtol=1e-13)
    np.testing.assert_allclose(logsumexp(z), np.log(np.exp(z).sum(axis=1)), rtol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logits_stay_finite(dtype):
    z = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]], dtype=dtype)
    p, lp, lse = softmax(z), log_softmax(z), logsumexp(z)
    assert np.all(np.isfinite(p)) and np.all(np.isfinite(lp)) and np.all(np.isfinite(lse))
    np.testing.assert_allclose(p.sum(axis=1), 1, atol=1e-6)
    np.testing.assert_allclose(p[0], [1, 0, 0])
    np.testing.assert_allclose(p[1], [1 / 3] * 3, rtol=1e-6)
    # the confidently wrong class gets a huge but finite log-probability
    assert lp[0, 1] == pytest.approx(-2e4, rel=1e-6)
    assert lse[2] == pytest.approx(1e4 + np.log(2), rel=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_stable_for_both_signs(dtype):
    x = np.array([-1000, -30, -1, 0, 1, 30, 1000], dtype=dtype)
    with np.errstate(over="raise"):
        s = sigmoid(x)
    assert s.dtype == dtype
    assert np.all(np.isfinite(s))
    assert s[0] == 0 and s[-1] == 1 and s[3] == 0.5
    np.testing.assert_allclose(s[2], 1 / (1 + np.e), rtol=1e-6)
    np.testing.assert_allclose(s + sigmoid(-x), 1, atol=1e-7)


def test_one_hot():
    np.testing.assert_array_equal(one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        one_hot(np.array([3]), 3)
