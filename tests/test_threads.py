"""The fast path's BLAS thread team (_kernels/threads.py): capped by the BLAS's
own limit, the CPUs available and SOFTMAXLAB_BLAS_THREADS; one thread chosen
when the full team runs slower (other processes on the cores), the full team
when it runs faster; the BLAS's own setting back after every epoch.

Batch times come from a fake clock, so nothing here depends on the machine's load."""
import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from softmaxlab._kernels import threads
from softmaxlab._kernels.options import fast_path_options
from softmaxlab._kernels.threads import BLAS_THREADS, ThreadTeam, available_cpus, team_setting
from softmaxlab.nn import mlp
from softmaxlab.optim import SGD
from softmaxlab.train import Callback, Trainer


def _blas_threads():
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


class FakeClock:
    """perf_counter for the team: each batch advances it by the seconds per
    sample that ``cost(threads)`` gives for the team size in force."""

    def __init__(self, monkeypatch):
        self.now = 0.0
        monkeypatch.setattr(threads.time, "perf_counter", lambda: self.now)

    def run(self, team, cost, batches, rows=256, probe=True):
        """Runs ``batches`` batches; returns the team size of each one. The
        probe (the largest layer's forward GEMM: about a third of a training step's
        FLOPs) takes a third of a batch on the BLAS threads in force."""
        used = []

        def timed_probe():
            self.now += cost(threads.blas_threads_now()) * rows / 3

        with team.epoch(timed_probe if probe else None) as tick:
            for _ in range(batches):
                used.append(team.threads)
                self.now += cost(team.threads) * rows
                tick(rows)
        return used


@pytest.fixture
def two_blas_threads(monkeypatch):
    monkeypatch.delenv(threads.ENV_VAR, raising=False)
    monkeypatch.setattr(threads, "available_cpus", lambda: 2)
    with threadpool_limits(2, user_api="blas"):
        yield


IDLE = {2: 10e-6, 1: 18e-6}          # seconds per sample: two threads 1.8x faster
BUSY = {2: 300e-6, 1: 30e-6}         # two busy processes beside: the team collapses


def test_idle_machine_keeps_every_batch_on_the_full_team_and_probes_rarely(monkeypatch, two_blas_threads):
    clock = FakeClock(monkeypatch)
    team = ThreadTeam()
    used = clock.run(team, IDLE.get, 4000)  # about 10 s of batches
    # Not one training batch on another thread count: the weights do not
    # depend on when the team looked (OpenBLAS sums differently on one thread).
    assert set(used) == {2} and team.threads == 2 and team.switches == 0
    # The probes (a few runs of the GEMM at each size) stay under 1 % of the time.
    assert 3 <= team.probes <= 12
    probe_time = team.probes * threads.PROBE_RUNS * (IDLE[1] + IDLE[2]) * 256 / 3
    assert probe_time <= 0.01 * clock.now


def test_without_a_probe_one_thread_is_tried_on_training_batches(monkeypatch, two_blas_threads):
    clock = FakeClock(monkeypatch)
    team = ThreadTeam()
    used = clock.run(team, IDLE.get, 4000, probe=False)
    assert used[0] == 2 and team.threads == 2 and team.switches == 0 and team.probes == 0
    # Tries of one thread cost at most 1 % of the batches (two per try, at most 4 s apart).
    assert 0 < used.count(1) <= 0.01 * len(used)


def test_contention_moves_to_one_thread_and_back_when_it_ends(monkeypatch, two_blas_threads):
    clock = FakeClock(monkeypatch)
    team = ThreadTeam()
    clock.run(team, IDLE.get, 200)
    assert team.threads == 2
    used = clock.run(team, BUSY.get, 2000)
    # The slowdown is noticed within a measuring window or two ...
    assert used[40:].count(2) <= 0.02 * len(used)
    assert team.threads == 1
    # ... and the full team comes back within a few seconds of the load leaving.
    used = clock.run(team, IDLE.get, 2000)
    assert team.threads == 2 and used[-1000:].count(1) <= 10


def test_a_fit_started_beside_busy_processes_leaves_the_full_team_at_once(monkeypatch, two_blas_threads):
    # Under load from the first batch there is no faster past to compare
    # with: the first try comes right after the first measuring window, not
    # a quarter of a second of collapsed batches later.
    clock = FakeClock(monkeypatch)
    team = ThreadTeam()
    used = clock.run(team, BUSY.get, 200)
    assert team.threads == 1 and team.switches == 1
    assert used.index(1) <= 2


def test_a_team_that_never_wins_is_tried_ever_more_rarely(monkeypatch, two_blas_threads):
    clock = FakeClock(monkeypatch)
    team = ThreadTeam()
    used = clock.run(team, BUSY.get, 4000)  # 30 s of batches on one thread
    late = used[2000:]
    # Each try of the full team costs one batch (abandoned at once), at most
    # every 4 s: under 3 % of the time in the second half.
    slow_time = late.count(2) * BUSY[2]
    assert team.threads == 1 and 0 < slow_time <= 0.03 * (late.count(1) * BUSY[1] + slow_time)


def test_blas_setting_is_restored_after_each_epoch_and_after_an_error(monkeypatch, two_blas_threads):
    clock = FakeClock(monkeypatch)
    team = ThreadTeam()
    clock.run(team, BUSY.get, 500)
    assert team.threads == 1
    assert set(_blas_threads()) == {2}
    with pytest.raises(RuntimeError, match="boom"):
        with team.epoch():
            assert set(_blas_threads()) == {1}
            raise RuntimeError("boom")
    assert set(_blas_threads()) == {2}


def test_never_more_threads_than_the_blas_already_runs(monkeypatch):
    # joblib's GridSearchCV workers, a user's threadpool_limits or
    # OPENBLAS_NUM_THREADS=1: the team stays at one and does not time anything.
    monkeypatch.delenv(threads.ENV_VAR, raising=False)
    clock = FakeClock(monkeypatch)
    with threadpool_limits(1, user_api="blas"):
        team = ThreadTeam()
        used = clock.run(team, IDLE.get, 500)
        assert set(used) == {1} and set(_blas_threads()) == {1}


def test_cpus_available_cap_the_team(monkeypatch, two_blas_threads):
    monkeypatch.setattr(threads, "available_cpus", lambda: 1)
    clock = FakeClock(monkeypatch)
    team = ThreadTeam()
    used = clock.run(team, {1: 1e-6, 2: 1e-7}.get, 500)
    assert set(used) == {1}


def test_environment_variable_fixes_the_team(monkeypatch, two_blas_threads):
    clock = FakeClock(monkeypatch)
    monkeypatch.setenv(threads.ENV_VAR, "2")
    team = ThreadTeam()
    used = clock.run(team, BUSY.get, 1000)
    assert set(used) == {2}
    monkeypatch.setenv(threads.ENV_VAR, "1")
    assert set(clock.run(team, IDLE.get, 1000)) == {1}


@pytest.mark.parametrize("raw, want", [("auto", None), ("", None), (" AUTO ", None), ("3", 3)])
def test_team_setting_reads_the_environment(monkeypatch, raw, want):
    monkeypatch.setenv(threads.ENV_VAR, raw)
    assert team_setting() == want


@pytest.mark.parametrize("raw", ["0", "-2", "two", "1.5"])
def test_team_setting_refuses_a_bad_value_and_names_it(monkeypatch, raw):
    monkeypatch.setenv(threads.ENV_VAR, raw)
    with pytest.raises(ValueError, match=rf"SOFTMAXLAB_BLAS_THREADS='{raw}'.*'auto'"):
        team_setting()


def test_available_cpus_follows_affinity_and_the_cgroup_quota(monkeypatch):
    monkeypatch.setattr(threads.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    monkeypatch.setattr(threads, "_cgroup_cpus", lambda: float("inf"))
    assert available_cpus() == 4
    monkeypatch.setattr(threads, "_cgroup_cpus", lambda: 1.5)  # cpu.max "150000 100000"
    assert available_cpus() == 2
    monkeypatch.setattr(threads.os, "sched_getaffinity", lambda pid: {3}, raising=False)
    assert available_cpus() == 1


def test_cgroup_quota_is_read_from_cpu_max(monkeypatch, tmp_path):
    cpu_max = tmp_path / "cpu.max"
    real_open = open

    def fake_open(path, *a, **k):
        if path == "/sys/fs/cgroup/cpu.max":
            return real_open(cpu_max, *a, **k)
        raise OSError(path)

    monkeypatch.setattr("builtins.open", fake_open)
    cpu_max.write_text("150000 100000\n")
    assert threads._cgroup_cpus() == 1.5
    cpu_max.write_text("max 100000\n")
    assert threads._cgroup_cpus() == float("inf")


def test_overlapping_holders_run_the_smallest_wish_and_the_last_restores():
    with threadpool_limits(2, user_api="blas"):
        BLAS_THREADS.hold(1, 2)
        BLAS_THREADS.hold(2, 1)
        assert set(_blas_threads()) == {1}
        BLAS_THREADS.release(2)
        assert set(_blas_threads()) == {2}
        BLAS_THREADS.hold(1, 1)
        BLAS_THREADS.release(1)
        assert set(_blas_threads()) == {2}


class _SeesBlas(Callback):
    def __init__(self):
        self.seen = set()

    def on_batch_end(self, trainer, batch, logs):
        self.seen.update(_blas_threads())


def test_trainer_fast_path_runs_inside_the_team(monkeypatch, two_blas_threads):
    # The fast path holds the team's size during the epoch and gives the
    # BLAS back afterwards; SOFTMAXLAB_BLAS_THREADS=1 reaches the GEMMs.
    monkeypatch.setenv(threads.ENV_VAR, "1")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 20)).astype(np.float32)
    y = rng.integers(0, 3, 300)
    model = mlp(20, [16], 3, rng=rng)
    seen = _SeesBlas()
    trainer = Trainer(model, SGD(model.parameters(), lr=0.1), batch_size=64, rng=0,
                      callbacks=[seen])
    with fast_path_options(prefetch=False):
        trainer.fit(X, y, epochs=2)
    assert trainer.engine_used == "fast"
    assert seen.seen == {1}
    assert set(_blas_threads()) == {2}


def test_validation_pass_runs_at_the_teams_size_not_the_blas_default(monkeypatch, two_blas_threads):
    # Between epochs the BLAS is back at its own two threads; the validation
    # forward after an epoch must use the size the team chose (one, here),
    # or beside busy processes it collapses as the training did before.
    from softmaxlab.train import trainer as trainer_module

    monkeypatch.setenv(threads.ENV_VAR, "1")
    seen = []
    real = trainer_module.evaluate_in_chunks

    def spy(*args, **kwargs):
        seen.append(tuple(_blas_threads()))
        return real(*args, **kwargs)

    monkeypatch.setattr(trainer_module, "evaluate_in_chunks", spy)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 20)).astype(np.float32)
    y = rng.integers(0, 3, 300)
    model = mlp(20, [16], 3, rng=rng)
    trainer = Trainer(model, SGD(model.parameters(), lr=0.1), batch_size=64, rng=0)
    with fast_path_options(prefetch=False):
        trainer.fit(X[:200], y[:200], X_val=X[200:], y_val=y[200:], epochs=2)
    assert trainer.engine_used == "fast"
    assert seen and all(set(s) == {1} for s in seen)  # every BLAS loaded (torch may add one)
    assert set(_blas_threads()) == {2}


def _fit_weights(X, y):
    model = mlp(X.shape[1], [256], 4, rng=np.random.default_rng(0), dtype=np.float32)
    trainer = Trainer(model, SGD(model.parameters(), lr=0.05), batch_size=64, rng=1)
    with fast_path_options(prefetch=False):
        trainer.fit(X, y, epochs=2)
    assert trainer.engine_used == "fast"
    return model.get_weights(), trainer.fast_path.team


def test_probes_leave_the_training_bit_for_bit_as_a_fixed_team_trains(monkeypatch, two_blas_threads):
    # A probe after every batch that never wins (as on an idle machine) must
    # give the weights of a fixed full team, bit for bit: the probe writes a
    # scratch array, and no training batch runs on another thread count.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((640, 300)).astype(np.float32)
    y = (X[:, :4] ** 2).argmax(axis=1)
    monkeypatch.setenv(threads.ENV_VAR, "2")
    fixed, team = _fit_weights(X, y)
    assert team.probes == 0
    monkeypatch.delenv(threads.ENV_VAR)
    for name, value in (("WINDOW_S", 0.0), ("FIRST_TRY_S", 0.0), ("MAX_TRY_S", 0.0),
                        ("DOWN_MARGIN", 0.0)):  # a probe every window; one thread never wins
        monkeypatch.setattr(threads, name, value)
    probed, team = _fit_weights(X, y)
    assert team.probes >= 10 and team.switches == 0
    for a, b in zip(fixed, probed, strict=True):
        np.testing.assert_array_equal(a, b)
    # What the probe avoids: on this BLAS a GEMM of these shapes may sum
    # differently on one thread, and then tries on training batches (the
    # fallback without a probe) change the weights.
    W = rng.standard_normal((300, 256)).astype(np.float32)
    with threadpool_limits(1, user_api="blas"):
        one = X[:64] @ W
    if np.array_equal(one, X[:64] @ W):
        pytest.skip("this BLAS sums these GEMMs alike on one and two threads")
    from softmaxlab._kernels import epoch as epoch_module
    monkeypatch.setattr(epoch_module.FastPath, "probe", None)
    tried, team = _fit_weights(X, y)
    assert team.probes == 0
    assert any(not np.array_equal(a, b) for a, b in zip(fixed, tried, strict=True))


def test_the_probe_is_the_largest_layers_forward_into_scratch(two_blas_threads):
    # A narrow input and wide hidden layers: the first layer's GEMM is too
    # small to show contention; the probe times the 256 x 256 layer's.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((256, 8)).astype(np.float32)
    y = rng.integers(0, 3, 256)
    model = mlp(8, [64, 256], 3, rng=rng, dtype=np.float32)
    trainer = Trainer(model, SGD(model.parameters(), lr=0.1), batch_size=64, rng=0)
    with fast_path_options(prefetch=False):
        trainer.fit(X, y, epochs=1)
    path = trainer.fast_path
    op = path.network.largest_linear_op()
    assert op.params["W"].shape == (64, 256)
    before = [w.copy() for w in model.get_weights()]
    path.probe()
    np.testing.assert_array_equal(path._probe_out, op.X @ op.params["W"])
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # nothing of the model's is written
