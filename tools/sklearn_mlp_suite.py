"""Run scikit-learn's own ``test_mlp.py`` against ``softmaxlab.MLPClassifier``.

The installed copy of ``sklearn/neural_network/tests/test_mlp.py`` is run
unchanged, with ``sklearn.neural_network.MLPClassifier`` replaced by
softmaxlab's before the test module is imported (so its
``from sklearn.neural_network import MLPClassifier`` and its parametrisations
get ours). Tests that use only ``MLPRegressor`` are deselected: they test
scikit-learn, not us.

Usage::

    python tools/sklearn_mlp_suite.py [extra pytest arguments]

Prints pytest's summary (``-rf`` lists the failures) and exits with pytest's
status. The result on this machine is recorded in docs/estimators.md.
"""
from __future__ import annotations

import sys

import pytest

#: Tests of test_mlp.py that never construct an MLPClassifier.
REGRESSOR_ONLY = {
    "test_lbfgs_regression", "test_lbfgs_regression_maxfun", "test_multioutput_regression",
    "test_partial_fit_regression", "test_nonfinite_params", "test_shuffle",
    "test_mlp_regressor_dtypes_casting", "test_mlp_loading_from_joblib_partial_fit",
    "test_mlp_diverging_loss", "test_mlp_sample_weight_with_early_stopping",
    "test_mlp_vs_poisson_glm_equivalent", "test_minimum_input_sample_size",
}


class ClassifierTestsOnly:
    """pytest plugin: keep the items that exercise MLPClassifier."""

    def pytest_collection_modifyitems(self, config, items):
        keep, drop = [], []
        for item in items:
            name = item.originalname or item.name
            regressor = name in REGRESSOR_ONLY or "MLPRegressor" in item.name
            (drop if regressor else keep).append(item)
        items[:] = keep
        config.hook.pytest_deselected(items=drop)


def main(argv=()) -> int:
    import sklearn.neural_network
    from threadpoolctl import threadpool_limits

    import softmaxlab

    sklearn.neural_network.MLPClassifier = softmaxlab.MLPClassifier
    args = ["--pyargs", "sklearn.neural_network.tests.test_mlp", "-p", "no:cacheprovider",
            "-q", "-rf", *argv]
    # The tests train tiny networks thousands of times: a second BLAS thread
    # only spins there (several times slower on two shared cores).
    with threadpool_limits(1):
        return int(pytest.main(args, plugins=[ClassifierTestsOnly()]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
