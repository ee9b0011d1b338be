"""The lab's data and views without a server: the 2-D generators (circles,
XOR, moons, blobs), settings validation, the plane's grid and the encodings."""
from __future__ import annotations

import base64

import numpy as np
import pytest

from softmaxlab.data.synthetic import make_blobs, make_circles, make_moons, make_xor
from softmaxlab.lab import views
from softmaxlab.lab.params import LabParamError, LabSettings, validate

GENERATORS = [make_circles, make_moons, make_xor, make_blobs]


@pytest.mark.parametrize("make", GENERATORS)
def test_generators_shapes_labels_and_seeds(make):
    d = make(101, noise=0.1, seed=3)
    assert d.X.shape == (101, 2) and d.X.dtype == np.float64 and d.y.shape == (101,)
    assert d.feature_names == ["x1", "x2"]
    assert set(d.y.tolist()) <= {"c1", "c2", "c3"} and len(set(d.y.tolist())) >= 2
    np.testing.assert_array_equal(make(101, noise=0.1, seed=3).X, d.X)
    assert not np.array_equal(make(101, noise=0.1, seed=4).X, d.X)
    # A Generator is used as given, so the run's single Generator can be passed down.
    a = make(50, noise=0.1, seed=np.random.default_rng(9)).X
    np.testing.assert_array_equal(a, make(50, noise=0.1, seed=np.random.default_rng(9)).X)
    with pytest.raises(ValueError, match="noise must be a finite number >= 0"):
        make(10, noise=-1)
    with pytest.raises(ValueError, match="noise must be a finite number >= 0"):
        make(10, noise=float("nan"))


def test_circles_without_noise_lie_on_two_radii():
    d = make_circles(200, noise=0.0, seed=0, factor=0.4)
    r = np.hypot(d.X[:, 0], d.X[:, 1])
    np.testing.assert_allclose(r[d.y == "c1"], 1.0, atol=1e-12)
    np.testing.assert_allclose(r[d.y == "c2"], 0.4, atol=1e-12)
    with pytest.raises(ValueError, match="factor must be in"):
        make_circles(10, factor=1.0)


def test_xor_labels_are_the_quadrant_parity_before_noise():
    d = make_xor(500, noise=0.0, seed=1)
    same_sign = d.X[:, 0] * d.X[:, 1] > 0
    np.testing.assert_array_equal(d.y == "c1", same_sign)
    assert np.abs(d.X).max() <= 1


def test_blobs_are_centred_on_the_unit_circle():
    d = make_blobs(3000, n_classes=4, noise=0.05, seed=0)
    for j in range(4):
        centre = d.X[d.y == f"c{j + 1}"].mean(axis=0)
        angle = 2 * np.pi * j / 4
        np.testing.assert_allclose(centre, [np.cos(angle), np.sin(angle)], atol=0.01)
    with pytest.raises(ValueError, match="n_samples must be >= 5"):
        make_blobs(4, n_classes=5)


def test_settings_are_checked_and_coerced():
    s = validate(LabSettings(), {"lr": "0.5", "hidden": "8, 4", "n_points": "300",
                                 "seed": 7.0})
    assert (s.lr, s.hidden, s.n_points, s.seed) == (0.5, (8, 4), 300, 7)
    assert validate(s, {"hidden": [3]}).hidden == (3,)
    for bad, field in [({"n_points": 10}, "n_points"), ({"lr": True}, "lr"),
                       ({"hidden": "0"}, "hidden"), ({"hidden": ",".join(["4"] * 7)}, "hidden"),
                       ({"val_fraction": 0.9}, "val_fraction"), ({"model": "cnn"}, "model")]:
        with pytest.raises(LabParamError) as exc:
            validate(s, bad)
        assert exc.value.field == field
    with pytest.raises(LabParamError, match="JSON object"):
        validate(s, ["lr"])


def test_the_grid_is_stored_top_row_first_over_a_square_plane():
    X = np.array([[0.0, 0.0], [4.0, 1.0]])
    x0, x1, y0, y1 = views.plane(X)
    assert x1 - x0 == pytest.approx(y1 - y0) and x0 < 0 and x1 > 4  # square, with a margin
    g = views.grid([0, 2, 0, 2], 2)
    np.testing.assert_allclose(g, [[0.5, 1.5], [1.5, 1.5], [0.5, 0.5], [1.5, 0.5]])


def test_boundary_and_hidden_maps_come_from_the_model(rng):
    from softmaxlab.data import Preprocessor
    from softmaxlab.nn import mlp

    model = mlp(2, [5, 3], 4, activation="tanh", rng=rng)
    pre = Preprocessor("none").fit(np.zeros((2, 2)))
    extent = [-1.0, 1.0, -1.0, 1.0]
    b = views.boundary(model, pre.transform, extent, res=10)
    q = np.frombuffer(base64.b64decode(b["probs"]), np.uint8).reshape(10, 10, 4)
    expected = model.predict_proba(views.grid(extent, 10).astype(np.float32)).reshape(10, 10, 4)
    assert np.abs(q / 255 - expected).max() <= 0.5 / 255 + 1e-6
    maps = views.hidden_maps(model, pre.transform, extent)
    assert [m["units"] for m in maps] == [5, 3] and maps[0]["name"].endswith("(Tanh)")
    res = maps[1]["res"]
    v = np.frombuffer(base64.b64decode(maps[1]["values"]), np.int8).reshape(3, res, res)
    h = model.layers[0].apply(views.grid(extent, res).astype(np.float32))
    h = model.layers[3].apply(model.layers[2].apply(model.layers[1].apply(h)))
    np.testing.assert_allclose(v / 127 * np.array(maps[1]["scale"])[:, None, None],
                               h.T.reshape(3, res, res), atol=np.max(np.abs(h)) / 127)
