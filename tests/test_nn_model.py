"""Layer and model contracts: shapes, dtypes, no writes into arguments,
cache-free prediction, builders, from_weights (hand-set weights)."""
import numpy as np
import pytest

from softmaxlab.nn import (
    Dropout, Linear, ReLU, Sequential, SoftmaxCrossEntropy, from_weights, mlp, softmax_regression,
)


def test_mlp_structure_and_dtype(rng):
    m = mlp(10, [8, 6], 4, activation="tanh", dropout=0.2, rng=rng)
    kinds = [type(layer).__name__ for layer in m.layers]
    assert kinds == ["Linear", "Tanh", "Dropout", "Linear", "Tanh", "Dropout", "Linear"]
    assert (m.n_features, m.n_classes, m.dtype) == (10, 4, np.float32)
    assert [p.name for p in m.parameters()] == ["0.W", "0.b", "3.W", "3.b", "6.W", "6.b"]
    assert [p.decay for p in m.parameters()] == [True, False] * 3
    m64 = mlp(10, [8], 4, rng=rng, dtype=np.float64)
    assert all(p.value.dtype == np.float64 for p in m64.parameters())


def test_float32_in_float32_out(rng):
    m = mlp(5, [4], 3, rng=rng)
    X = rng.standard_normal((6, 5)).astype(np.float32)
    assert m.forward(X, training=True).dtype == np.float32
    assert m.predict_proba(X).dtype == np.float32


def test_forward_backward_do_not_modify_arguments(rng):
    m = mlp(5, [4, 4], 3, activation="relu", dropout=0.5, rng=rng, dtype=np.float64)
    m.set_rng(rng)
    X = rng.standard_normal((6, 5))
    X0 = X.copy()
    logits = m.forward(X, training=True)
    _, d = SoftmaxCrossEntropy()(logits, rng.integers(0, 3, 6))
    d0 = d.copy()
    m.backward(d)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(d, d0)


def test_backward_returns_the_input_gradient(rng):
    m = mlp(5, [4], 3, rng=rng, dtype=np.float64)
    X = rng.standard_normal((6, 5))
    _, d = SoftmaxCrossEntropy()(m.forward(X, training=True), rng.integers(0, 3, 6))
    dX = m.backward(d)
    assert dX.shape == X.shape


def test_prediction_is_cache_free_and_dropout_off(rng):
    m = mlp(5, [16], 3, dropout=0.5, rng=rng, dtype=np.float64)
    m.set_rng(rng)
    X = rng.standard_normal((4, 5))
    train_logits = m.forward(X, training=True)
    cache = m.layers[0]._X
    p1 = m.predict_logits(X + 1.0)
    assert m.layers[0]._X is cache  # prediction left the training cache alone
    np.testing.assert_array_equal(p1, m.predict_logits(X + 1.0))  # deterministic
    np.testing.assert_array_equal(m.forward(X, training=False), m.predict_logits(X))
    assert not np.array_equal(train_logits, m.predict_logits(X))  # dropout was on in training


def test_dropout_is_inverted_and_uses_the_generator():
    X = np.ones((2000, 50))
    a = Dropout(0.25, rng=np.random.default_rng(1)).forward(X, training=True)
    b = Dropout(0.25, rng=np.random.default_rng(1)).forward(X, training=True)
    np.testing.assert_array_equal(a, b)
    assert set(np.unique(a)) == {0.0, 1 / 0.75}
    assert abs(np.mean(a == 0) - 0.25) < 0.01  # 100k draws: std of the mean ~0.0014
    assert abs(a.mean() - 1.0) < 0.02
    with pytest.raises(ValueError, match="Generator"):
        Dropout(0.5).forward(X, training=True)


def test_config_roundtrip_and_copy(rng):
    m = mlp(5, [4], 3, activation="leaky_relu", dropout=0.1, rng=rng)
    m2 = Sequential.from_config(m.config())
    m2.set_weights(m.get_weights())
    X = rng.standard_normal((3, 5)).astype(np.float32)
    np.testing.assert_array_equal(m.predict_proba(X), m2.predict_proba(X))
    c = m.copy()
    c.parameters()[0].value += 1
    assert not np.array_equal(c.parameters()[0].value, m.parameters()[0].value)


def test_hand_set_mod4_weights_classify_all_sixteen():
    # The formula r = W x + b has W of shape (4 classes, 4 bits); our
    # Linear computes X @ W, so the same numbers go in transposed.
    W_math = np.array([[-1, -1, 0, 0], [1, -1, 0, 0], [-1, 1, 0, 0], [1, 1, 0, 0]], dtype=float)
    model = from_weights([(W_math.T, np.zeros(4))])
    X = np.array([[(i >> k) & 1 for k in range(4)] for i in range(16)], dtype=float)
    assert np.array_equal(model.predict(X), np.arange(16) % 4)


def test_from_weights_mlp_and_shape_errors(rng):
    m = from_weights([(np.eye(2), None), (np.ones((2, 3)), np.zeros(3))], activation="relu")
    assert [type(x).__name__ for x in m.layers] == ["Linear", "ReLU", "Linear"]
    with pytest.raises(ValueError, match="expects 3 inputs"):
        from_weights([(np.eye(2), None), (np.ones((3, 3)), None)])
    with pytest.raises(ValueError, match="shape"):
        Linear.from_weights(np.ones((2, 3)), np.ones(2))


def test_builders_validate():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="activation must be one of"):
        mlp(3, [2], 2, activation="swish", rng=rng)
    with pytest.raises(ValueError, match="positive integers"):
        mlp(3, [0], 2, rng=rng)
    with pytest.raises(ValueError, match="rng"):
        softmax_regression(3, 2)
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        Dropout(1.0)
    assert isinstance(mlp(3, [], 2, rng=rng).layers[0], Linear)
    assert isinstance(mlp(3, [2], 2, rng=rng).layers[1], ReLU)
