"""Training through dask-ml's Incremental on a local two-worker cluster."""
import numpy as np
import pytest

pytest.importorskip("dask_ml")
pytest.importorskip("distributed")

import dask.array as da  # noqa: E402
import dask.dataframe as dd  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402
from dask_ml.wrappers import Incremental, ParallelPostFit  # noqa: E402
from sklearn.datasets import make_classification, make_multilabel_classification  # noqa: E402

from softmaxlab import MLPClassifier, SoftmaxRegression  # noqa: E402

pytestmark = [pytest.mark.dask,
              pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")]

N_CHUNKS, CHUNK = 6, 200


@pytest.fixture(scope="module")
def client():
    # Loopback only, no dashboard: nothing leaves the machine.
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, scheduler_port=0, worker_dashboard_address=None) as cluster, \
            Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=N_CHUNKS * CHUNK + 600, n_features=20, n_informative=10,
                               n_classes=3, random_state=0)
    X = X.astype(np.float32)
    return X[:-600], y[:-600], X[-600:], y[-600:]


@pytest.mark.parametrize("make", [
    lambda: SoftmaxRegression(solver="sgd", learning_rate_init=0.05, random_state=0),
    lambda: MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0),
])
def test_incremental_on_cluster_matches_in_memory_partial_fit(client, data, make):
    Xtr, ytr, Xte, yte = data
    classes = np.unique(ytr)
    passes = 3
    dX = da.from_array(Xtr, chunks=(CHUNK, Xtr.shape[1]))
    dy = da.from_array(ytr, chunks=CHUNK)
    inc = Incremental(make(), scoring="accuracy", shuffle_blocks=False)
    for _ in range(passes):
        inc.partial_fit(dX, dy, classes=classes)
    # The same passes over the same blocks, in memory.
    ref = make()
    for _ in range(passes):
        for i in range(N_CHUNKS):
            sl = slice(i * CHUNK, (i + 1) * CHUNK)
            ref.partial_fit(Xtr[sl], ytr[sl], classes=classes)
    acc_dask = inc.score(da.from_array(Xte, chunks=200), da.from_array(yte, chunks=200))
    acc_mem = ref.score(Xte, yte)
    assert acc_mem > 0.6
    assert abs(acc_dask - acc_mem) <= 0.01, (acc_dask, acc_mem)
    assert inc.estimator_.n_iter_ == passes * N_CHUNKS


def test_parallel_post_fit_predicts_in_parallel(client, data):
    Xtr, ytr, Xte, yte = data
    clf = ParallelPostFit(SoftmaxRegression(max_iter=30, random_state=0)).fit(Xtr, ytr)
    dX = da.from_array(Xte, chunks=(150, Xte.shape[1]))
    pred = clf.predict(dX)
    assert isinstance(pred, da.Array) and pred.numblocks[0] == 4
    np.testing.assert_array_equal(pred.compute(), clf.estimator.predict(Xte))
    np.testing.assert_allclose(clf.predict_proba(dX).compute(), clf.estimator.predict_proba(Xte),
                               rtol=1e-6)


def test_multilabel_incremental_and_parallel_prediction(client):
    """An indicator y goes through Incremental as a dask DataFrame (dask-ml
    looks up the blocks of a 2-D dask array under the wrong keys); training
    on the cluster gives the very weights of the same passes in memory."""
    X, Y = make_multilabel_classification(n_samples=N_CHUNKS * CHUNK, n_features=10,
                                          n_classes=3, random_state=0)
    X = X.astype(np.float32)
    dX = da.from_array(X, chunks=(CHUNK, X.shape[1]))
    dY = dd.from_dask_array(da.from_array(Y, chunks=(CHUNK, Y.shape[1])))
    make = lambda: MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01,  # noqa: E731
                                 random_state=0)
    inc = Incremental(make(), shuffle_blocks=False)
    for _ in range(2):
        inc.partial_fit(dX, dY, classes=[0, 1, 2])
    ref = make()
    for _ in range(2):
        for i in range(N_CHUNKS):
            sl = slice(i * CHUNK, (i + 1) * CHUNK)
            ref.partial_fit(X[sl], Y[sl], classes=[0, 1, 2])
    est = inc.estimator_
    assert est.n_iter_ == 2 * N_CHUNKS and est.n_outputs_ == 3
    for a, b in zip(est.coefs_, ref.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)
    post = ParallelPostFit(est)
    # float32 GEMMs over 200-row blocks round differently from one over all rows.
    np.testing.assert_allclose(post.predict_proba(dX).compute(), est.predict_proba(X), atol=1e-6)
    pred = dX.map_blocks(est.predict, dtype=np.int64, chunks=(dX.chunks[0], (3,)))
    np.testing.assert_array_equal(pred.compute(), est.predict(X))
