"""The whole update in "inside one step": for SGD, momentum and Adam the
numbers shown are the optimizer's next step, exactly: Step by one minibatch
then makes the output layer's weights equal what the view said."""
from __future__ import annotations

import numpy as np
import pytest

from softmaxlab.lab.params import LabSettings
from softmaxlab.lab.session import Session


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_step_by_one_minibatch_gives_the_weights_the_view_showed(optimizer):
    s = Session("u", LabSettings(optimizer=optimizer, l2=0.01, lr=0.05))
    s.control("step")  # one epoch first, so momentum and Adam have state
    u = s.inspect(0.3, -0.2)["update"]
    assert u["optimizer"] == optimizer and u["batch"]["size"] == 32 and u["batch"]["index"] == 0
    before = s.model.get_weights()
    s.control("step", unit="batch")
    out = s.model.layers[-1]
    # float32 training against the float64 view: agreement to float32 rounding.
    np.testing.assert_allclose(out.params["W"], u["batch_mean"]["W_new"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out.params["b"], u["batch_mean"]["b_new"], rtol=1e-5, atol=1e-6)
    assert not np.allclose(before[-2], out.params["W"])  # it did move
    assert s.trainer.epoch == 1 and s.batch_steps == 1 and s.batch_pos == 1
    f = s.frame()
    assert f["batch"] == 1 and f["batches_per_epoch"] == 15 and f["epoch"] == 1
    assert f["stats"] == pytest.approx(s.batch_stats)  # the numbers after the minibatch


def test_sgd_formula_for_the_clicked_point():
    s = Session("u", LabSettings(optimizer="sgd", lr=0.2, l2=0.0))
    info = s.inspect(1.0, 1.0)
    p = info["update"]["point"]
    g = np.array(info["grad_W"])
    # W <- W - lr * dL/dW, the point's own gradient (a batch of one).
    np.testing.assert_allclose(p["grad_W"], g)
    np.testing.assert_allclose(p["step_W"], 0.2 * g)
    np.testing.assert_allclose(p["W_new"], np.array(info["update"]["W"]) - 0.2 * g)


def test_adam_first_step_is_lr_times_the_sign():
    # At t = 1, m_hat = g and v_hat = g^2, so the step is lr * g / (|g| + eps).
    s = Session("u", LabSettings(optimizer="adam", lr=0.01))
    u = s.inspect(0.0, 0.0)["update"]
    assert u["t"] == 1
    b = u["batch_mean"]
    g = np.array(b["grad_W"])
    np.testing.assert_allclose(b["m_hat_W"], g, rtol=1e-12)
    np.testing.assert_allclose(b["v_hat_W"], g * g, rtol=1e-12)
    np.testing.assert_allclose(b["step_W"], 0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12)


def test_minibatch_steps_go_through_the_pass_and_an_epoch_resets_them():
    s = Session("u", LabSettings(batch_size=200))  # 480 training points: 3 minibatches
    assert s.batches_per_epoch() == 3
    seen = []
    for _ in range(3):
        seen.append(s.batch_rows())
        s.control("step", unit="batch")
    rows = np.concatenate(seen)
    assert sorted(rows.tolist()) == list(range(480))  # one shuffled pass, no repeats
    assert s.batch_pos == 0 and s.batch_steps == 3 and s.trainer.epoch == 0
    s.control("step")
    assert s.trainer.epoch == 1 and s.frame()["batch"] == 0


def test_inspecting_does_not_change_training():
    a, b = Session("a", LabSettings()), Session("b", LabSettings())
    a.inspect(0.5, 0.5)
    for s in (a, b):
        s.control("step", unit="batch")
        s.control("step")
    for wa, wb in zip(a.model.get_weights(), b.model.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)
