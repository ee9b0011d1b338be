"""What a session sends the page: the points, the frame (curves, boundary,
hidden maps, weights), the inspected point's forward, backward and update,
and the gradient check."""
from __future__ import annotations

import base64

import numpy as np

from softmaxlab.lab import views
from softmaxlab.lab.features import FEATURES
from softmaxlab.lab.onestep import GRADCHECK_ENTRIES, gradient_check, inspect_point
from softmaxlab.lab.update import optimizer_step
from softmaxlab.nn import Linear, SoftmaxCrossEntropy

__all__ = ["FramesMixin", "weights_payload"]

STATS = ("train_loss", "train_acc", "val_loss", "val_acc")


def weights_payload(model) -> list[dict]:
    """Each Linear layer's weights for drawing edges: ``W`` (n_in, n_out) and
    ``b`` (n_out,) as base64 float32 little-endian, and ``max_abs`` of W."""
    out = []
    for layer in model.layers:
        if isinstance(layer, Linear):
            W = np.asarray(layer.params["W"], dtype="<f4")
            b = np.asarray(layer.params["b"], dtype="<f4")
            out.append({"n_in": int(layer.n_in), "n_out": int(layer.n_out),
                        "W": base64.b64encode(np.ascontiguousarray(W).tobytes()).decode("ascii"),
                        "b": base64.b64encode(np.ascontiguousarray(b).tobytes()).decode("ascii"),
                        "max_abs": views.finite(float(np.max(np.abs(W))) if W.size else 0.0)})
    return out


class FramesMixin:
    """Views of :class:`~softmaxlab.lab.session.Session`."""

    def data_message(self) -> dict:
        """The points (raw units), their labels and split, and the plane."""
        with self.lock:
            return {"type": "data", "data_version": self.data_version,
                    "name": self.dataset.name, "classes": self.class_names,
                    "feature_names": list(self.dataset.feature_names), "extent": self.extent,
                    "x": self.points[:, 0].tolist(), "y": self.points[:, 1].tolist(),
                    "label": self.labels.tolist(), "n_train": self.n_train,
                    "n_val": len(self.labels) - self.n_train, "settings": self.settings.to_dict()}

    def _stats(self) -> dict:
        if self.batch_stats is not None:
            return self.batch_stats
        h = self.trainer.history
        return self.start if not len(h) else {c: getattr(h, c)[-1] for c in STATS}

    def frame(self) -> dict:
        """Epoch, latest metrics, curves, boundary, hidden maps, weights,
        inspected point, the running long operation and the last gradient check."""
        with self.lock:
            out = {"type": "frame", "epoch": self.trainer.epoch, "batch": self.batch_steps,
                   "batches_per_epoch": self.batches_per_epoch(), "playing": self.playing,
                   "speed": self.speed, "operation": self.job.status(),
                   "data_version": self.data_version, "stats": views.curves_row(self._stats()),
                   "curves": views.curves(self.trainer.history, self.start),
                   "message": self.message, "boundary": None, "hidden": [],
                   "weights": weights_payload(self.model), "inputs": list(self.settings.features),
                   "input_labels": [FEATURES[f][0] for f in self.settings.features],
                   "inspect": None, "gradcheck": self.gradcheck_result}
            try:
                with np.errstate(over="ignore", invalid="ignore"):
                    out["boundary"] = views.boundary(self.model, self.inputs, self.extent)
                    out["hidden"] = views.hidden_maps(self.model, self.inputs, self.extent)
                    if self.inspected is not None:
                        out["inspect"] = self._inspect(self.inspected)
            except (FloatingPointError, ValueError) as exc:  # overflowing logits
                out["message"] = {"level": "error", "code": "overflow",
                                  "params": {"detail": str(exc)},
                                  "text": f"The model's outputs overflow ({exc}); lower the "
                                          "learning rate and press Reset."}
            return out

    def inspect(self, x: float, y: float) -> dict:
        """Select the drawn point nearest (x, y) (raw units) and inspect it
        (ahead of Play: a click does not wait for an epoch to finish)."""
        with self.exclusive():
            d2 = (self.points[:, 0] - x) ** 2 + (self.points[:, 1] - y) ** 2
            self.inspected = int(np.argmin(d2))
            with np.errstate(over="ignore", invalid="ignore"):
                return self._inspect(self.inspected)

    def _batch_grads(self, layer_index: int, rows) -> dict:
        """The output layer's mean gradient over the training rows ``rows``
        (dropout off), as float64."""
        model = self.model
        logits = model.forward(self.X_train[rows], training=False)
        _, d = SoftmaxCrossEntropy().forward(logits, self.splits.y_train[rows])
        for layer in model.layers[:layer_index:-1]:
            d = layer.backward(d)
        model.layers[layer_index].backward(d)
        return {k: np.array(v, dtype=np.float64) for k, v in model.layers[layer_index].grads.items()}

    def _inspect(self, i: int) -> dict:
        x = self.inputs(self.points[i:i + 1]).astype(self.model.dtype, copy=False)
        y = int(self.labels[i])
        info = inspect_point(self.model, x, y)
        out = info["output_layer"]
        point = {"W": np.array(info["grad_W"]), "b": np.array(info["grad_b"])}
        rows = self.batch_rows()
        batch = self._batch_grads(out, rows)
        update = optimizer_step(self.optimizer, self.model.layers[out], point, batch)
        update["batch"] = {"size": int(len(rows)), "index": int(self.batch_pos),
                           "of": self.batches_per_epoch(),
                           "contains_point": bool(i < self.n_train and i in set(rows.tolist()))}
        info.update(index=i, split="train" if i < self.n_train else "validation",
                    point=self.points[i].tolist(), label=self.class_names[y], label_index=y,
                    predicted=int(np.argmax(info["logits"])), epoch=self.trainer.epoch,
                    inputs=list(self.settings.features), update=update)
        return views.finite(info)

    def gradcheck(self, check) -> dict:
        """The gradient check on a float64 copy taken under the lock; the check
        itself runs without it (``check()`` between entries may cancel)."""
        with self.exclusive():
            model, epoch = self.model.copy(), self.trainer.epoch
            X, y = self.X_train, self.splits.y_train
            version = self.data_version, id(self.model)
        self.job.total = sum(min(p.value.size, GRADCHECK_ENTRIES) for p in model.parameters())
        result = gradient_check(model, X, y, interrupt=check)
        result["epoch"] = epoch
        with self.lock:
            if (self.data_version, id(self.model)) == version:
                self.gradcheck_result = result
        return result
