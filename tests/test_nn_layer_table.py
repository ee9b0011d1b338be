"""The table of built-in layers by name: every layer class softmaxlab.nn
defines is in it, and a layer's config() rebuilds the same layer."""
import numpy as np
import pytest

import softmaxlab.nn  # noqa: F401 - defines and registers every built-in layer
from softmaxlab.nn.base import LAYER_TYPES, Layer, layer_from_config
from softmaxlab.nn.layers import Dropout, LeakyReLU, Linear


def _built_in_layer_classes() -> set:
    found, todo = set(), [Layer]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("softmaxlab.nn."):
                found.add(sub)
    return found


def test_every_built_in_layer_is_in_the_table():
    classes = _built_in_layer_classes()
    assert len(classes) == 7
    assert {c.__name__: c for c in classes} == LAYER_TYPES


@pytest.mark.parametrize("name", sorted(LAYER_TYPES))
def test_config_rebuilds_the_same_layer(name):
    layer = {"Linear": lambda: Linear(3, 2, rng=np.random.default_rng(0)),
             "LeakyReLU": lambda: LeakyReLU(0.2),
             "Dropout": lambda: Dropout(0.3)}.get(name, LAYER_TYPES[name])()
    rebuilt = layer_from_config(layer.config(), dtype=np.float64)
    assert type(rebuilt) is type(layer)
    assert rebuilt.config() == layer.config()
    copy = layer.astype(np.float64)
    assert type(copy) is type(layer)
    for k, v in layer.params.items():
        assert copy.params[k].dtype == np.float64
        np.testing.assert_array_equal(copy.params[k], v)


def test_a_layer_outside_the_table_is_refused():
    class Doubler(Layer):
        pass

    with pytest.raises(ValueError, match="Unknown layer description"):
        Doubler().astype(np.float64)
