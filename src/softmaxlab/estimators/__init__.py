"""scikit-learn estimators on softmaxlab's engine: ``MLPClassifier`` (a
drop-in for ``sklearn.neural_network.MLPClassifier``), ``SoftmaxRegression``
and ``load``.

Saved-file format (``est.save(path)``; read by ``softmaxlab.load``)
--------------------------------------------------------------------
``softmaxlab.io.save_model``'s pickle-free ``.npz``: the network's
architecture and weights (``param.i``) plus a JSON ``meta`` with

- ``kind``: ``"softmaxlab.estimator"`` (the CLI writes ``"softmaxlab.cli-model"``)
- ``estimator``: ``"MLPClassifier"`` or ``"SoftmaxRegression"``
- ``params``: ``get_params()`` as JSON (tuples become lists; a
  ``RandomState`` instance becomes null; ``dtype`` its name)
- ``classes``: the labels as a JSON list, ``classes_dtype``: their NumPy dtype
  string (``"<i8"``, ``"<U5"``, ``"object"`` for pandas strings...); class index
  ``i`` of the network means ``classes[i]``
- ``class_names``: ``[str(c) for c in classes]`` (the CLI's key)
- ``n_features_in``; ``feature_names_in`` and ``feature_names`` (list or null)
- ``fitted``: ``n_iter_``, ``t_``, ``loss_``, ``loss_curve_``, ``best_loss_``,
  ``validation_scores_``, ``best_validation_score_``,
  ``validation_loss_curve_``, ``history_`` (``History.to_dict()``)

- ``training_state`` (null for lbfgs or before any epoch): ``optimizer``
  (its scalars: type, lr, step count), ``schedule`` (its state or null),
  ``rng`` (the Generator's bit-generator state), ``no_improvement_count``,
  ``n_best_weights``; with extra arrays ``optimizer.<buffer>.<i>`` (momentum
  velocity or Adam moments) and ``best_weights.<i>``. ``partial_fit`` after
  ``load`` therefore continues exactly as it would have without the round
  trip (same bits).

The network's ``output`` (``"softmax"`` or ``"sigmoid"``) is in the model
header (``softmaxlab.io``); a file without it (written before binary
problems got one logistic unit) holds a softmax network, which loads and
predicts as it did.

There is no preprocessing in an estimator file: the network reads features
as given (a ``Pipeline`` around the estimator is pickled, not saved this way).

Modules, each importing only those listed before it (checked by
tests/test_estimators_structure.py): ``_training`` (hyper-parameters),
``_targets`` (kinds of ``y``), ``_persist`` (the file format, no estimator
import), the mixins ``_input``, ``_network``, ``_lbfgs``, ``_callbacks``,
``_stochastic`` (the ``Trainer`` a stochastic fit configures and calls) and
``_predict`` (the pieces of one class, which alone touch its private
state), ``_base``, ``_classes``, ``_cli_model`` (CLI files), ``_load``
(``load``).
"""
from softmaxlab.estimators._classes import MLPClassifier, SoftmaxRegression
from softmaxlab.estimators._load import load
from softmaxlab.estimators._persist import TrainingState

__all__ = ["MLPClassifier", "SoftmaxRegression", "TrainingState", "load"]
