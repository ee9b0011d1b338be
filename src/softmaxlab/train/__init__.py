"""Training loop, history and callbacks."""
from softmaxlab.train.callbacks import Callback, EarlyStopping
from softmaxlab.train.hints import NotLearningWarning
from softmaxlab.train.history import COLUMNS, History
from softmaxlab.train.trainer import Trainer, TrainingData, TrainingDivergedError

__all__ = ["COLUMNS", "Callback", "EarlyStopping", "History", "NotLearningWarning", "Trainer", "TrainingData", "TrainingDivergedError"]
