"""The lab page in a real headless Chromium (Selenium and the Debian packages
chromium + chromium-driver), against a server started as `softmaxlab lab`.

Screenshots are saved under pytest's tmp_path; each test prints where."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

pytest.importorskip("starlette", reason="the lab needs the extra softmaxlab[lab]")
pytest.importorskip("uvicorn", reason="the lab needs the extra softmaxlab[lab]")
webdriver = pytest.importorskip("selenium.webdriver", reason="the browser tests need selenium")

pytestmark = pytest.mark.browser

CHROMIUM = next((p for p in (shutil.which("chromium"), "/usr/bin/chromium") if p and
                 os.path.exists(p)), None)
DRIVER = next((p for p in (shutil.which("chromedriver"), "/usr/bin/chromedriver") if p and
               os.path.exists(p)), None)
if CHROMIUM is None or DRIVER is None:
    pytest.skip("headless Chromium and its driver are not installed (apt-get install chromium "
                "chromium-driver)", allow_module_level=True)


@pytest.fixture(scope="module")
def lab_url(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    proc = subprocess.Popen([sys.executable, "-m", "softmaxlab", "lab", "--no-browser",
                             "--port", "0", "--runs-dir", str(runs)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = None
    for _ in range(5):
        m = re.match(r"(http://\S+\?token=\S+)", proc.stdout.readline())
        if m:
            url = m.group(1)
            break
    if url is None:
        proc.kill()
        pytest.fail(f"softmaxlab lab printed no URL: {proc.communicate()[1]}")
    yield url
    proc.send_signal(signal.SIGINT)
    try:
        proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
    assert proc.returncode == 0


@pytest.fixture
def browser(tmp_path):
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1440,1000",
                f"--user-data-dir={tmp_path / 'profile'}"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service(DRIVER), options=opts)
    yield d
    # Script errors fail the test; a 4xx answer to a bad value is expected.
    errors = [e for e in d.get_log("browser") if e["level"] == "SEVERE"
              and "the server responded with a status of 4" not in e["message"]]
    d.quit()
    assert not errors, errors


def wait_for(condition, timeout=40.0, what="the page"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def number(d, element_id):
    text = d.find_element("id", element_id).text
    return float(text) if re.fullmatch(r"[0-9.]+", text) else None


def frames(d):
    return int(d.execute_script("return Number(document.body.dataset.frames || 0)"))


def boundary_pixels(d):
    return d.execute_script("return document.getElementById('boundary').toDataURL()")


def open_lab(d, url):
    d.get(url)
    wait_for(lambda: frames(d) >= 1, 20, "the first frame")


def test_mlp_learns_the_spiral_on_the_page(browser, lab_url, tmp_path):
    d = browser
    open_lab(d, lab_url)
    d.save_screenshot(str(tmp_path / "lab-start.png"))
    d.find_element("css selector", '[data-dataset="spiral"]').click()
    d.find_element("id", "model-softmax").click()  # choose the MLP for real: from softmax
    wait_for(lambda: d.find_element("id", "model-softmax").is_selected() and
             "softmax" in d.find_element("tag name", "body").get_attribute("class"), 10)
    d.find_element("id", "model-mlp").click()
    wait_for(lambda: len(d.find_elements("css selector", "#network .layer")) == 4, 10,
             "the MLP's two hidden layers")
    start = boundary_pixels(d)
    assert number(d, "val-acc") < 0.6
    d.find_element("css selector", '#speed option[value="5"]').click()
    d.find_element("id", "play").click()
    wait_for(lambda: (number(d, "val-acc") or 0) > 0.95, 40,
             "validation accuracy above 0.95")
    assert boundary_pixels(d) != start
    assert int(d.find_element("id", "epoch").text.replace(",", "")) > 0
    d.find_element("id", "play").click()  # pause
    wait_for(lambda: "playing" not in d.find_element("tag name", "body").get_attribute("class"), 10)
    # Inside one step: click a point, read the loss the engine computed for it.
    canvas = d.find_element("id", "boundary")
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(d).move_to_element_with_offset(canvas, 40, -60).click().perform()
    wait_for(lambda: d.find_element("id", "inspect").is_displayed(), 10, "the one-step panel")
    assert float(d.find_element("id", "inspect-loss").text) >= 0
    assert "δ into 1. Linear 2→16" in d.find_element("id", "inspect").text
    d.find_element("id", "gradcheck").click()
    wait_for(lambda: "PASS" in d.find_element("id", "gradcheck-result").text, 20, "gradcheck")
    # The download link serves the model file (checked from the page itself).
    size = d.execute_script("return fetch(document.getElementById('download').href)"
                            ".then(r => r.ok ? r.arrayBuffer() : null).then(b => b && b.byteLength)")
    assert size and size > 1000
    shot = tmp_path / "lab-mlp-spiral.png"
    d.save_screenshot(str(shot))
    print(f"screenshots: {tmp_path / 'lab-start.png'} {shot}")
    assert shot.stat().st_size > 10_000


def test_linear_model_stays_near_chance_on_the_page(browser, lab_url, tmp_path):
    d = browser
    open_lab(d, lab_url)
    d.find_element("id", "model-softmax").click()
    wait_for(lambda: len(d.find_elements("css selector", "#network .layer")) == 2, 10,
             "softmax regression's network")
    d.find_element("css selector", '#speed option[value="50"]').click()
    d.find_element("id", "play").click()
    wait_for(lambda: int(d.find_element("id", "epoch").text.replace(",", "")) >= 150, 40,
             "150 epochs")
    d.find_element("id", "play").click()
    acc = number(d, "val-acc")
    # Chance is 1/3 for three classes; the MLP above passes 0.95.
    assert acc is not None and acc < 0.5
    d.save_screenshot(str(tmp_path / "lab-linear-spiral.png"))
    print(f"screenshot: {tmp_path / 'lab-linear-spiral.png'}")


def test_bad_values_show_a_message_and_tabs_stay_apart(browser, lab_url, tmp_path):
    d = browser
    open_lab(d, lab_url)
    # The user's CSV, through the page's file input: refused with a reason, then used.
    bad, good = tmp_path / "three.csv", tmp_path / "mine.csv"
    bad.write_text("a,b,c,y\n" + "".join(f"{i},{i % 3},{i % 5},{i % 2}\n" for i in range(20)))
    good.write_text("u,v,kind\n" + "".join(f"{i / 40:.3f},{(i * 7) % 40 / 40:.3f},"
                                            f"{'xy'[i % 2]}\n" for i in range(40)))
    d.find_element("css selector", "#upload-box summary").click()
    banner = d.find_element("id", "banner")
    d.find_element("id", "csv-file").send_keys(str(bad))
    d.find_element("id", "upload").click()
    wait_for(lambda: banner.is_displayed() and "3 feature columns" in banner.text, 10,
             "the upload's message")
    d.find_element("id", "csv-file").send_keys(str(good))
    d.find_element("id", "upload").click()
    wait_for(lambda: "from mine.csv" in d.find_element("id", "split-summary").text, 10,
             "the uploaded data")
    assert "32 training points" in d.find_element("id", "split-summary").text
    assert not banner.is_displayed()
    lr = d.find_element("id", "lr")
    lr.clear()
    lr.send_keys("fast\n")
    wait_for(lambda: banner.is_displayed() and "learning rate" in banner.text, 10, "a message")
    assert "invalid" in lr.get_attribute("class")
    # A second tab gets its own session: training here leaves the first at epoch 0.
    first = d.current_window_handle
    d.switch_to.new_window("tab")
    open_lab(d, lab_url)
    d.find_element("id", "step").click()
    wait_for(lambda: d.find_element("id", "epoch").text == "1", 10, "epoch 1")
    d.switch_to.window(first)
    assert d.find_element("id", "epoch").text == "0"
