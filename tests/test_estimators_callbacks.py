"""Callbacks on the estimators: scikit-learn's callback API (as on
LogisticRegression), softmaxlab's per-epoch callbacks, LivePlot, and
History as a notebook table."""
import io
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.callback import ScoringMonitor
from sklearn.datasets import make_blobs
from sklearn.preprocessing import StandardScaler

import softmaxlab as sl
from softmaxlab import MLPClassifier, SoftmaxRegression
from softmaxlab.live import LivePlot, format_row, in_notebook
from softmaxlab.train import Callback, History, Trainer

pytestmark = [pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
              pytest.mark.filterwarnings("ignore::softmaxlab.train.hints.NotLearningWarning")]


def _data(n=120, centers=3):
    X, y = make_blobs(n_samples=n, centers=centers, random_state=0)
    return StandardScaler().fit_transform(X), y


def _mlp(**kw):
    kw.setdefault("max_iter", 4)
    return MLPClassifier(hidden_layer_sizes=(6,), learning_rate_init=0.01, random_state=0, **kw)


class Recorder:
    """A scikit-learn FitCallback that records its hooks (and can stop)."""

    def __init__(self, stop_after=None):
        self.events, self.stop_after = [], stop_after
        self.fitted = []

    def setup(self, estimator, context):
        self.events.append(("setup", context.task_name))

    def teardown(self, estimator, context):
        self.events.append(("teardown", context.task_name))

    def on_fit_task_begin(self, estimator, context, *, X=None, y=None):
        self.events.append(("begin", context.task_name))

    def on_fit_task_end(self, estimator, context, *, X=None, y=None, fitted_estimator=None):
        self.events.append(("end", context.task_name))
        if context.task_name == "epoch":
            self.fitted.append(fitted_estimator)
            return self.stop_after is not None and len(self.fitted) >= self.stop_after
        return False


def test_scoring_monitor_scores_every_epoch():
    X, y = _data()
    monitor = ScoringMonitor(scoring="accuracy")
    est = _mlp(max_iter=6).set_callbacks(monitor).fit(X, y)
    rows = monitor.get_logs().data
    epochs = [r for r in rows if r["task_name"] == "epoch"]
    assert len(epochs) == est.n_iter_ == 6 and [r["task_id"] for r in epochs] == list(range(6))
    # Each epoch's score is that of the model as it was then: the last one is
    # the fitted model's, the first one an earlier (worse) model's.
    assert epochs[-1]["accuracy"] == pytest.approx(est.score(X, y))
    root = [r for r in rows if r["task_name"] == "fit"]
    assert len(root) == 1 and root[0]["accuracy"] == pytest.approx(est.score(X, y))
    assert epochs[0]["accuracy"] < epochs[-1]["accuracy"]


def test_scoring_monitor_on_lbfgs_iterations_and_partial_fit():
    X, y = _data()
    monitor = ScoringMonitor(scoring="accuracy")
    est = SoftmaxRegression().set_callbacks(monitor).fit(X, y)
    iters = [r for r in monitor.get_logs().data if r["task_name"] == "lbfgs-iter"]
    assert len(iters) == est.n_iter_ > 0
    assert iters[-1]["accuracy"] == pytest.approx(est.score(X, y))
    monitor = ScoringMonitor(scoring="accuracy")
    sgd = SoftmaxRegression(solver="sgd").set_callbacks(monitor)
    for _ in range(3):
        sgd.partial_fit(X, y, classes=[0, 1, 2])
    logs = monitor.get_logs(select="all")
    assert len(logs) == 3 and all(log.data[0]["task_name"] == "partial_fit" for log in logs)


def test_progress_bar_runs_for_every_solver(capsys):
    pytest.importorskip("rich")
    from sklearn.callback import ProgressBar
    X, y = _data()
    for est in (_mlp(), _mlp(solver="lbfgs"), SoftmaxRegression(solver="adam", max_iter=3)):
        est.set_callbacks(ProgressBar()).fit(X, y)
    out = capsys.readouterr().out
    assert "MLPClassifier - fit" in out and "SoftmaxRegression - fit" in out


def test_hooks_pair_up_and_a_callback_can_stop_training():
    X, y = _data()
    rec = Recorder(stop_after=2)
    est = _mlp(max_iter=10).set_callbacks(rec).fit(X, y)
    assert est.n_iter_ == 2 and len(est.history_) == 2
    assert rec.events[0] == ("setup", "fit") and rec.events[-1] == ("teardown", "fit")
    assert rec.events.count(("begin", "epoch")) == rec.events.count(("end", "epoch")) == 2
    # The estimator handed over at each epoch is a snapshot: it predicts as
    # the model did then, and later epochs do not change it.
    first, last = rec.fitted
    assert not np.array_equal(first.predict_proba(X), last.predict_proba(X))
    np.testing.assert_array_equal(last.predict_proba(X), est.predict_proba(X))


def test_teardown_runs_when_fit_fails():
    X, y = _data()
    rec = Recorder()
    with pytest.raises(sl.TrainingDivergedError):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            MLPClassifier((8,), solver="sgd", learning_rate_init=1e10, max_iter=20,
                          random_state=0).set_callbacks(rec).fit(X * 1e6, y)
    assert rec.events[-1] == ("teardown", "fit")


class EpochLog(Callback):
    def __init__(self, stop_at=None):
        self.calls, self.rows, self.batches, self.stop_at = [], [], 0, stop_at

    def on_train_begin(self, trainer):
        self.calls.append("train_begin")

    def on_epoch_begin(self, trainer, epoch):
        self.calls.append(f"epoch_begin {epoch}")

    def on_batch_end(self, trainer, batch, logs):
        self.batches += 1

    def on_epoch_end(self, trainer, epoch, logs):
        self.rows.append(dict(logs))
        if epoch == self.stop_at:
            trainer.stop_training = True

    def on_train_end(self, trainer):
        self.calls.append("train_end")


def test_softmaxlab_callbacks_get_every_epoch_and_batch():
    X, y = _data(n=120)
    log = EpochLog()
    est = _mlp(max_iter=3, batch_size=40).set_callbacks(log).fit(X, y)
    assert log.calls == ["train_begin", "epoch_begin 1", "epoch_begin 2", "epoch_begin 3",
                         "train_end"]
    assert log.rows == est.history_.rows() and log.batches == 9
    est.partial_fit(X, y)
    assert log.rows[-1] == est.history_.rows()[-1] and log.rows[-1]["epoch"] == 4


def test_a_softmaxlab_callback_can_stop_training():
    X, y = _data()
    est = _mlp(max_iter=10).set_callbacks(EpochLog(stop_at=3)).fit(X, y)
    assert est.n_iter_ == 3 and est.history_.stopped == "completed"


def test_callbacks_of_both_kinds_together_and_through_clone():
    X, y = _data()
    log, rec = EpochLog(), Recorder()
    est = clone(_mlp(max_iter=2).set_callbacks(log, rec)).fit(X, y)
    assert len(log.rows) == 2 and rec.events.count(("end", "epoch")) == 2
    assert log.rows == est.history_.rows()
    with pytest.raises(TypeError, match="FitCallback protocol"):
        _mlp().set_callbacks(object())


def test_pickling_leaves_the_estimator_untouched():
    """Pickling drops the trainer from the pickle, never from the live object:
    training on after pickle.dumps gives the same bits as without it."""
    import pickle
    X, y = _data()
    a = _mlp(solver="sgd").partial_fit(X, y, classes=[0, 1, 2])
    b = _mlp(solver="sgd").partial_fit(X, y, classes=[0, 1, 2])
    pickle.dumps(a)
    a.partial_fit(X, y)
    b.partial_fit(X, y)
    for u, v in zip(a.coefs_, b.coefs_, strict=True):
        np.testing.assert_array_equal(u, v)


# ---- LivePlot ---------------------------------------------------------------------

class FakeDisplay:
    def __init__(self):
        self.shown, self.updates = [], 0

    def __call__(self, obj, display_id=False):
        assert display_id is True
        self.shown.append(obj)
        return self

    def update(self, obj):
        assert obj[:8] == b"\x89PNG\r\n\x1a\n"
        self.updates += 1


def test_live_plot_writes_lines_outside_a_notebook():
    assert not in_notebook()
    X, y = _data()
    out = io.StringIO()
    est = _mlp(max_iter=3, early_stopping=True).set_callbacks(LivePlot(stream=out)).fit(X, y)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and lines[0].startswith("epoch 1  loss ")
    assert "val_acc" in lines[0] and lines[-1] == format_row(est.history_.rows()[-1])


def test_live_plot_redraws_one_figure_in_a_notebook():
    X, y = _data()
    shown = FakeDisplay()
    plot = LivePlot(mode="notebook", display=shown)
    est = _mlp(max_iter=4).set_callbacks(plot).fit(X, y)
    assert len(shown.shown) == 1 and shown.updates == 3 and plot.frames == est.n_iter_
    est.partial_fit(X, y)  # the same run goes on: the same figure
    assert len(shown.shown) == 1 and shown.updates == 4


def test_live_plot_every_k_epochs_and_on_the_engine_trainer():
    X, y = _data()
    out = io.StringIO()
    model = sl.mlp(2, [6], 3, rng=np.random.default_rng(0))
    trainer = Trainer(model, sl.SGD(model.parameters(), lr=0.1), batch_size=32, rng=0,
                      callbacks=[LivePlot(every=2, stream=out)])
    trainer.fit(X, y, epochs=5)
    # Epochs 2 and 4, and the last one, which falls between redraws.
    assert [line.split()[1] for line in out.getvalue().splitlines()] == ["2", "4", "5"]
    with pytest.raises(ValueError, match="every"):
        LivePlot(every=0)
    with pytest.raises(ValueError, match="mode"):
        LivePlot(mode="gif")


def test_history_shows_as_a_table():
    X, y = _data()
    est = _mlp(max_iter=25, early_stopping=True, n_iter_no_change=100).fit(X, y)
    page = est.history_._repr_html_()
    assert "<table" in page and "val_acc" in page and "25 epochs" in page
    assert "stopped: completed" in page and f"best epoch: {est.history_.best_epoch}" in page
    # Long runs show the first and last ten epochs.
    assert "<th>1</th>" in page and "<th>25</th>" in page and "<th>12</th>" not in page
    frame = est.history_.to_frame()
    assert list(frame.index) == list(range(1, 26))
    assert frame["train_loss"].tolist() == est.history_.train_loss
    assert "val_loss" not in _mlp(max_iter=2).fit(X, y).history_.to_frame()
    assert "no epochs" in History()._repr_html_()
