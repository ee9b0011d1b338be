"""TrainConfig <-> TOML round trip and validation messages."""
import math

import pytest

from softmaxlab.cli.config import ConfigError, TrainConfig, dumps_toml, load_config


def test_defaults_are_valid():
    assert TrainConfig().validate() == TrainConfig()


def test_toml_round_trip_is_exact(tmp_path):
    cfg = TrainConfig(data="a b/\"x\".csv", model="mlp", hidden=[256, 128], lr=0.1 + 0.2,
                      batch_size="full", class_weight="balanced", early_stopping=True,
                      label_column="species", seed=7, dtype="float64")
    path = tmp_path / "c.toml"
    path.write_text(cfg.to_toml({"softmaxlab_version": "0.1.0"}))
    back, meta = load_config(path)
    assert back == cfg
    assert back.lr == 0.1 + 0.2  # repr round-trips the float exactly
    assert meta == {"softmaxlab_version": "0.1.0"}


def test_unset_optional_settings_are_comments_and_read_back_as_none(tmp_path):
    text = TrainConfig(data="mine.csv").to_toml()
    assert "# label_column = (unset)" in text
    path = tmp_path / "c.toml"
    path.write_text(text)
    assert load_config(path)[0].label_column is None


def test_dashes_and_partial_files_are_accepted(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('batch-size = 32\nlr = 0.5\nhidden = 16\n')
    cfg, _ = load_config(path)
    assert (cfg.batch_size, cfg.lr, cfg.hidden, cfg.epochs) == (32, 0.5, [16], TrainConfig().epochs)


@pytest.mark.parametrize("text, fragment", [
    ("lrr = 0.1\n", "unknown settings ['lrr']"),
    ('model = "cnn"\n', "model must be one of 'softmax', 'mlp', got 'cnn'"),
    ("lr = -1.0\n", "lr must be a finite number > 0, got -1.0"),
    ("epochs = 0\n", "epochs must be a positive integer, got 0"),
    ('batch_size = "half"\n', "batch-size must be a positive integer or 'full', got 'half'"),
    ("test_fraction = 0.0\n", "test-fraction must be in (0, 1), got 0.0"),
    ("val_fraction = 0.6\ntest_fraction = 0.5\n", "must be < 1"),
    ("lr = \n", "not valid TOML"),
])
def test_bad_files_name_the_setting(tmp_path, text, fragment):
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert fragment in str(exc.value)


def test_missing_file():
    with pytest.raises(ConfigError, match="does not exist"):
        load_config("/nonexistent/c.toml")


def test_toml_writer_special_floats():
    text = dumps_toml({"a": math.inf, "b": -math.inf, "c": 1e-300, "d": True})
    assert text == "a = inf\nb = -inf\nc = 1e-300\nd = true\n"
