"""The one training loop (``Trainer``), its history, callbacks and stopping
policies (``EarlyStopping``, scikit-learn's ``SklearnStopping``)."""
from softmaxlab.train.batching import iterate_minibatches
from softmaxlab.train.callbacks import Callback, EarlyStopping
from softmaxlab.train.hints import NotLearningWarning
from softmaxlab.train.history import COLUMNS, History
from softmaxlab.train.penalty import L2Penalty
from softmaxlab.train.stopping import SklearnStopping
from softmaxlab.train.trainer import Trainer, TrainingData, TrainingDivergedError

__all__ = ["COLUMNS", "Callback", "EarlyStopping", "History", "L2Penalty", "NotLearningWarning",
           "SklearnStopping", "Trainer", "TrainingData", "TrainingDivergedError",
           "iterate_minibatches"]
