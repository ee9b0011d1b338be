"""Model files: round trip, no pickle, atomic writes."""
import numpy as np
import pytest

import softmaxlab as sl
from softmaxlab.io import ModelFormatError, load_bundle, load_model, save_bundle, save_model


def test_model_roundtrip_predicts_identically(tmp_path, rng):
    model = sl.mlp(6, [5, 4], 3, activation="leaky_relu", dropout=0.2, rng=rng)
    meta = {"classes": ["a", "b", "c"], "note": "x"}
    path = save_model(tmp_path / "m.npz", model, meta, arrays={"mean": np.arange(6.0)})
    loaded = load_model(path)
    X = rng.standard_normal((7, 6)).astype(np.float32)
    np.testing.assert_array_equal(loaded.model.predict_proba(X), model.predict_proba(X))
    assert loaded.meta == meta and loaded.model.dtype == np.float32
    np.testing.assert_array_equal(loaded.arrays["mean"], np.arange(6.0))
    assert loaded.model.config() == model.config()


def test_pickled_object_is_refused_not_loaded(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, __header__=np.frombuffer(b"{}", np.uint8),
             payload=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ModelFormatError, match="pickled"):
        load_model(path)


def test_atomic_write_leaves_no_partial_file(tmp_path):
    path = tmp_path / "ck.npz"
    save_bundle(path, "checkpoint", {"epoch": 1}, {"w": np.ones(3)})

    class Boom(Exception):
        pass

    def broken(f):
        f.write(b"partial")
        raise Boom

    from softmaxlab.io import atomic_write
    with pytest.raises(Boom):
        atomic_write(path, broken)
    header, arrays = load_bundle(path, "checkpoint")  # the old file survives intact
    assert header["epoch"] == 1 and np.array_equal(arrays["w"], np.ones(3))
    assert [p.name for p in tmp_path.iterdir()] == ["ck.npz"]  # no temp file left


def test_wrong_kind_and_newer_version(tmp_path):
    path = save_bundle(tmp_path / "c.npz", "checkpoint", {}, {})
    with pytest.raises(ModelFormatError, match="not a model"):
        load_model(path)
    import json
    blob = np.frombuffer(json.dumps({"format": "softmaxlab", "kind": "model", "version": 99})
                         .encode(), np.uint8)
    np.savez(tmp_path / "v.npz", __header__=blob)
    with pytest.raises(ModelFormatError, match="version 99"):
        load_model(tmp_path / "v.npz")
