"""The labels of a new file read for a trained model (``evaluate``), or
the label columns ``predict`` leaves out: found by the model's label column(s)
or by position, one class per row or a multilabel model's 0/1 matrix."""
from __future__ import annotations

import numpy as np

from softmaxlab.data.columns import parse_labels
from softmaxlab.data.label_columns import parse_indicator, resolve_label_columns
from softmaxlab.data.label_sets import column_cells, label_sets_matrix
from softmaxlab.data.names import plural, resolve_label
from softmaxlab.errors import InputError

__all__ = ["label_positions", "read_labels"]


def label_positions(label_position, dropped_positions) -> list | None:
    """Positions (training layout) of the columns a header-less file may hold
    beside the features: the label(s) and the dropped columns."""
    if label_position is None:
        return None
    out = list(label_position) if isinstance(label_position, list) else [label_position]
    return out + list(dropped_positions or [])


def read_labels(pred, frame, names, path, line_of, raw, header, label_column, need_label):
    """(label column(s), labels or None, the remaining column names) of a
    new file's ``frame``: the labels ``evaluate`` needs, or the label
    column(s) that ``predict`` leaves out of the features."""
    model_label = pred.info.get("label_column")
    if need_label and pred.multilabel:
        label, y = _model_labels(pred, frame, names, path, line_of, raw, header, label_column)
        return label, y, [n for n in names if n not in label]
    if need_label:
        if header and label_column is None and isinstance(model_label, str):
            label_column = model_label
            if label_column not in names:
                raise InputError(f"{path}: no column {label_column!r} (the model's label "
                                 "column); pass --label-column NAME to say which column holds "
                                 "the labels")
        label = names[resolve_label(names, label_column, header, path)]
        y = parse_labels(frame[label], path, label, line_of)
        return label, y, [n for n in names if n != label]
    known = model_label if isinstance(model_label, list) else [model_label]
    if header and all(isinstance(n, str) for n in known):
        names = [n for n in names if n not in known]
    return None, None, names


def _model_labels(pred, frame, names, path, line_of, raw, header, label_column):
    """(label columns, 0/1 matrix) of a multilabel model's labels in a new
    file, held as in training: 0/1 columns, or one column of label sets."""
    labels, model_names = pred.labels, [str(n) for n in pred.classes]
    file_info = pred.info.get("file") or {}
    if label_column is None:
        if labels["kind"] == "columns":
            label_column = labels["columns"] if header else file_info.get("label_position")
        elif header:
            label_column = labels["column"]
    if header and label_column == (labels.get("columns") or labels.get("column")):
        wanted = label_column if isinstance(label_column, list) else [label_column]
        absent = [c for c in wanted if c not in names]
        if absent:
            what = "label columns" if labels["kind"] == "columns" else "label column"
            raise InputError(f"{path}: no column {', '.join(map(repr, absent))} (the model's "
                             f"{what}); pass --label-column to say which "
                             f"column{'s hold' if labels['kind'] == 'columns' else ' holds'} "
                             "the labels")
    positions = resolve_label_columns(names, label_column, header, path)
    cols = [names[p] for p in positions]
    if labels["kind"] == "columns":
        if len(cols) != len(model_names):
            raise InputError(f"{path}: the model has {plural(len(model_names), 'label')} "
                             f"({', '.join(map(repr, model_names))}) but --label-column names "
                             f"{plural(len(cols), 'column')}; give one 0/1 column per label, in "
                             "the model's order")
        return cols, np.column_stack([parse_indicator(frame[c], path, c, line_of) for c in cols])
    if len(cols) != 1:
        raise InputError(f"{path}: the model reads its labels from one column of label sets "
                         f"joined by {labels['separator']!r}; --label-column names "
                         f"{len(cols)} columns")
    cells = raw(positions[0]) if raw is not None else column_cells(frame[cols[0]])
    return cols, label_sets_matrix(cells, labels["separator"], model_names, path, cols[0],
                                   line_of)
