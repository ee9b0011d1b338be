"""The run folder, shared by the command line, the lab and the export.

A run folder holds ``config.toml`` (:mod:`.toml`), ``model.npz`` (the served
model with its preprocessing, :mod:`.predictor`), ``history.csv``,
``metrics.json``, ``predictions.csv`` and ``report.html`` with its figures
(:mod:`.report`, :mod:`.plots`). :mod:`.folder` owns the layout, locking,
atomic writing and reading back.
"""
