"""Closed-form single steps of every optimizer, the hand-worked SGD step on a
tiny network, schedules, and state save/restore."""
import math

import numpy as np
import pytest

from softmaxlab.nn import Parameter, SoftmaxCrossEntropy, from_weights
from softmaxlab.optim import (
    SGD, Adam, CosineLR, InverseScalingLR, ReduceLROnPlateau, StepLR, make_optimizer,
    make_schedule,
)


def _param(value, grad, decay=True):
    return Parameter("W", np.array(value, dtype=np.float64), np.array(grad, dtype=np.float64), decay)


def test_one_sgd_step_on_a_tiny_network_by_hand():
    # Network 2 -> 2 (ReLU) -> 2, x = [1, 2], true class y = 1, lr = 0.5.
    #   W1 = I, b1 = 0          -> h = relu([1, 2]) = [1, 2]
    #   W2 = [[2, 0], [-1, 0]]  -> z = h @ W2 = [1*2 + 2*(-1), 0] = [0, 0], b2 = 0
    #   softmax(z) = [0.5, 0.5], loss = -log 0.5 = log 2
    #   dz  = softmax - onehot(1)        = [0.5, -0.5]          (N = 1)
    #   dW2 = h^T dz = [[0.5, -0.5], [1, -1]],  db2 = [0.5, -0.5]
    #   dh  = dz W2^T = [0.5*2 + 0, 0.5*(-1) + 0] = [1, -0.5]; both h > 0 so the
    #   ReLU passes it: dW1 = x^T dh = [[1, -0.5], [2, -1]], db1 = [1, -0.5]
    #   Update p -= 0.5 * grad:
    #   W1 = [[0.5, 0.25], [-1, 1.5]], b1 = [-0.5, 0.25]
    #   W2 = [[1.75, 0.25], [-1.5, 0.5]], b2 = [-0.25, 0.25]
    # Every number above is a dyadic rational, so float64 reproduces it exactly.
    model = from_weights([(np.eye(2), np.zeros(2)), (np.array([[2.0, 0], [-1, 0]]), np.zeros(2))],
                         activation="relu", dtype=np.float64)
    opt = SGD(model.parameters(), lr=0.5)
    loss, d = SoftmaxCrossEntropy()(model.forward(np.array([[1.0, 2.0]]), training=True),
                                    np.array([1]))
    assert loss == math.log(2)
    model.backward(d)
    opt.step()
    W1, b1, W2, b2 = model.get_weights()
    assert np.array_equal(W1, [[0.5, 0.25], [-1, 1.5]])
    assert np.array_equal(b1, [-0.5, 0.25])
    assert np.array_equal(W2, [[1.75, 0.25], [-1.5, 0.5]])
    assert np.array_equal(b2, [-0.25, 0.25])


def test_plain_sgd_and_weight_decay_only_on_weights():
    w, b = _param([1.0], [0.5]), _param([1.0], [0.5], decay=False)
    SGD([w, b], lr=0.1, weight_decay=0.2).step()
    assert w.value[0] == pytest.approx(1 - 0.1 * (0.5 + 0.2 * 1.0), abs=1e-15)
    assert b.value[0] == pytest.approx(1 - 0.1 * 0.5, abs=1e-15)


def test_momentum_two_steps():
    p = _param([1.0], [0.5])
    opt = SGD([p], lr=0.1, momentum=0.9)
    opt.step()  # v = 0.5,              p = 1 - 0.05 = 0.95
    assert p.value[0] == pytest.approx(0.95, abs=1e-15)
    opt.step()  # v = 0.9*0.5 + 0.5 = 0.95, p = 0.95 - 0.095 = 0.855
    assert p.value[0] == pytest.approx(0.855, abs=1e-15)


def test_nesterov_two_steps():
    p = _param([1.0], [0.5])
    opt = SGD([p], lr=0.1, momentum=0.9, nesterov=True)
    opt.step()  # v = 0.5;  p -= 0.1 * (0.5 + 0.9*0.5) = 0.095 -> 0.905
    assert p.value[0] == pytest.approx(0.905, abs=1e-15)
    opt.step()  # v = 0.95; p -= 0.1 * (0.5 + 0.9*0.95) = 0.1355 -> 0.7695
    assert p.value[0] == pytest.approx(0.7695, abs=1e-15)


def test_adam_first_two_steps():
    p = _param([1.0, -2.0], [0.5, -4.0])
    opt = Adam([p], lr=0.1, betas=(0.9, 0.999), eps=1e-8)
    opt.step()
    # t=1: m = 0.1 g, v = 0.001 g^2; m/(1-0.9) = g, sqrt(v/(1-0.999)) = |g|,
    # so the first step is lr * sign(g) (up to eps): the scale-free Adam step.
    np.testing.assert_allclose(p.value, [1 - 0.1 * 0.5 / (0.5 + 1e-8), -2 + 0.1 * 4 / (4 + 1e-8)],
                               rtol=1e-15)
    p.grad[...] = [1.0, 0.0]
    opt.step()
    m = 0.9 * 0.1 * np.array([0.5, -4.0]) + 0.1 * np.array([1.0, 0.0])
    v = 0.999 * 0.001 * np.array([0.25, 16.0]) + 0.001 * np.array([1.0, 0.0])
    step = 0.1 / (1 - 0.9**2) * m / (np.sqrt(v) / math.sqrt(1 - 0.999**2) + 1e-8)
    expected = np.array([1 - 0.1 * 0.5 / (0.5 + 1e-8), -2 + 0.1 * 4 / (4 + 1e-8)]) - step
    np.testing.assert_allclose(p.value, expected, rtol=1e-14)


@pytest.mark.parametrize("make", [
    lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    lambda ps: Adam(ps, lr=0.01),
])
def test_state_dict_restores_bit_identically(make, rng):
    def run(steps, restore_at=None):
        p = _param(np.ones(3), np.zeros(3))
        opt = make([p])
        g = np.random.default_rng(0)
        for i in range(steps):
            p.grad[...] = g.standard_normal(3)
            opt.step()
            if i == restore_at:
                state = opt.state_dict()
                value = p.value.copy()
                p2 = _param(value, np.zeros(3))
                opt2 = make([p2])
                opt2.load_state_dict(state)
                p, opt = p2, opt2
        return p.value

    np.testing.assert_array_equal(run(6), run(6, restore_at=2))


def test_optimizer_validation():
    p = [_param([1.0], [1.0])]
    for bad in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="learning rate"):
            SGD(p, lr=bad)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\]"):
        SGD(p, lr=0.1, momentum=1.5)
    with pytest.raises(ValueError, match="weight_decay"):
        Adam(p, lr=0.1, weight_decay=-1)
    with pytest.raises(ValueError, match="name must be one of"):
        make_optimizer("rmsprop", p, lr=0.1)
    with pytest.raises(ValueError, match="name must be one of"):
        make_schedule("exponential", SGD(p, lr=0.1))


def test_schedules():
    p = [_param([1.0], [1.0])]
    opt = SGD(p, lr=1.0)
    s = StepLR(opt, step_size=2, gamma=0.5)
    assert [s.step(e) for e in (1, 2, 3, 4)] == [1.0, 0.5, 0.5, 0.25]
    opt = SGD(p, lr=1.0)
    c = CosineLR(opt, total_epochs=4, min_lr=0.0)
    np.testing.assert_allclose([c.step(e) for e in (1, 2, 4)],
                               [(1 + math.cos(math.pi / 4)) / 2, 0.5, 0.0], atol=1e-15)
    opt = SGD(p, lr=1.0)
    inv = InverseScalingLR(opt, power_t=0.5)
    assert inv.step(1, samples_seen=3) == 0.5  # 1 / sqrt(3 + 1)
    opt = SGD(p, lr=1.0)
    pl = ReduceLROnPlateau(opt, factor=0.5, patience=1, threshold=0.0)
    lrs = [pl.step(e, train_loss=loss) for e, loss in enumerate([1.0, 0.9, 0.9, 0.9, 0.9, 0.8], 1)]
    # improves, improves, bad 1, bad 2 (> patience: halve), bad 1, improves
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5]
    assert ReduceLROnPlateau(SGD(p, lr=1.0)).step(1, train_loss=1.0, val_loss=0.5) == 1.0
