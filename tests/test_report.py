"""The HTML report: self-contained, and rendered for real in headless Chromium."""
import re
import shutil
import subprocess

import numpy as np
import pytest

from softmaxlab.cli import main


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "run"
    assert main(["train", "--out", str(out), "--epochs", "3", "--quiet"]) == 0
    return out


def test_report_is_self_contained(run):
    page = (run / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    # Every image is embedded; nothing is fetched from anywhere.
    srcs = re.findall(r'src="([^"]*)"', page)
    assert len(srcs) == 6 and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert not re.search(r"(href|src)=\"(https?:)?//", page)
    assert "<link" not in page and "@import" not in page
    for text in ("Final metrics", "Learning curves", "Confusion matrix", "Per-class",
                 "Test images", "Worst predictions", "One prediction up close", "Settings",
                 "lr", "0.1"):
        assert text in page
    for name in ("curves", "confusion_matrix", "per_class", "test_images",
                 "worst_predictions", "probabilities"):
        assert (run / f"{name}.png").read_bytes()[:4] == b"\x89PNG"


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("headless Chromium is not installed (apt-get install chromium)")


def _run_chromium(tmp_path, *args):
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}",
           *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@pytest.mark.browser
def test_report_renders_in_chromium_with_all_images(run, tmp_path):
    url = (run / "report.html").resolve().as_uri()
    dom = _run_chromium(tmp_path, "--virtual-time-budget=10000", "--dump-dom", url)
    # The page's own script counts images that decoded with naturalWidth > 0.
    found = re.search(r'data-images="(\d+)/(\d+)"', dom.stdout)
    assert found, f"page did not finish loading: {dom.stderr[-2000:]}"
    assert found.group(1) == found.group(2) == "6"

    shot = tmp_path / "shot.png"
    res = _run_chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,2000", url)
    assert shot.is_file(), res.stderr[-2000:]
    from matplotlib.image import imread

    img = imread(shot)[..., :3]
    assert img.shape[:2] == (2000, 1200)
    # Not blank: plenty of non-white pixels, and colour (the plots), not just text.
    non_white = np.mean(img.min(axis=2) < 0.9)
    colourful = np.mean(img.max(axis=2) - img.min(axis=2) > 0.2)
    assert non_white > 0.05 and colourful > 0.01
