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


def retype(element, text):
    """Replace a field's text as a user does (select all, type); clear() would send
    an empty value first."""
    from selenium.webdriver.common.keys import Keys

    element.send_keys(Keys.CONTROL, "a")
    element.send_keys(text)


def open_lab(d, url):
    d.get(url)
    wait_for(lambda: frames(d) >= 1, 20, "the first frame")
    wait_for(lambda: d.execute_script("return document.body.dataset.ready") == "1", 20,
             "the settings of the URL")


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
    # The whole update: Adam's m̂, v̂ and step, for the point and the minibatch mean.
    update = d.find_element("css selector", "#inspect .update-view").text
    assert "m̂ =" in update and "v̂ =" in update and "mean over the minibatch" in update
    # Hovering a hidden unit shows its map in the big plot.
    plane = boundary_pixels(d)
    ActionChains(d).move_to_element(d.find_element("css selector", "#network .layer.hidden canvas")).perform()
    wait_for(lambda: d.find_element("id", "plane-note").is_displayed(), 5, "the unit's map")
    assert "unit 1" in d.find_element("id", "plane-note").text and boundary_pixels(d) != plane
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
    # The output layer's inputs are the features themselves: x₁, x₂, not h₁, h₂.
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(d).move_to_element_with_offset(d.find_element("id", "boundary"), 40, -60).click().perform()
    wait_for(lambda: d.find_element("id", "inspect").is_displayed(), 10, "the one-step panel")
    rows = d.find_element("css selector", "#inspect .grad tbody").text
    assert "x₁" in rows and "x₂" in rows and "h" not in rows
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
    d.find_element("id", "gradcheck").click()
    wait_for(lambda: "PASS" in d.find_element("id", "gradcheck-result").text, 20, "gradcheck")
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
    # The verdict was about the old data's model: it is gone.
    assert d.find_element("id", "gradcheck-result").text == ""
    lr = d.find_element("id", "lr")
    retype(lr, "fast\n")
    wait_for(lambda: banner.is_displayed() and "learning rate" in banner.text, 10, "a message")
    assert "invalid" in lr.get_attribute("class")
    # A second bad value: both fields stay outlined and show what the server kept.
    batch = d.find_element("id", "batch_size")
    retype(batch, "0\n")
    wait_for(lambda: "batch size" in banner.text, 10, "the second message")
    assert "invalid" in lr.get_attribute("class") and "invalid" in batch.get_attribute("class")
    assert (lr.get_attribute("value"), batch.get_attribute("value")) == ("0.03", "32")
    # A second tab gets its own session: training here leaves the first at epoch 0.
    first = d.current_window_handle
    d.switch_to.new_window("tab")
    open_lab(d, lab_url)
    d.find_element("id", "step").click()
    wait_for(lambda: d.find_element("id", "epoch").text == "1", 10, "epoch 1")
    d.switch_to.window(first)
    assert d.find_element("id", "epoch").text == "0"


def page_url(d):
    return d.execute_script("return location.href")


def test_settings_travel_in_the_url_and_a_reload_restores_them(browser, lab_url):
    d = browser
    open_lab(d, lab_url + "&model=softmax&dataset=xor&features=x1,x2,x1_x2&lr=0.1&discrete=1")
    wait_for(lambda: d.find_element("id", "lr").get_attribute("value") == "0.1", 10, "lr from the URL")
    assert d.find_element("id", "model-softmax").is_selected()
    assert d.find_element("id", "discrete").is_selected()
    def on():
        return [b.get_attribute("data-feature") for b in d.find_elements("css selector", ".feature.on")]

    wait_for(lambda: on() == ["x1", "x2", "x1_x2"], 10, "the features from the URL")
    # A change goes into the address (replaceState), and a reload brings it back.
    retype(d.find_element("id", "seed"), "7\t")
    wait_for(lambda: "seed=7" in page_url(d), 10, "the seed in the URL")
    assert "token=" in page_url(d) and "features=x1,x2,x1_x2" in page_url(d)
    d.refresh()
    wait_for(lambda: d.find_element("id", "seed").get_attribute("value") == "7", 20, "the seed after a reload")
    assert d.find_element("id", "model-softmax").is_selected()
    assert d.find_element("id", "lr").get_attribute("value") == "0.1"


def test_a_bad_url_value_shows_the_servers_message_and_the_rest_still_applies(browser, lab_url):
    d = browser
    open_lab(d, lab_url + "&lr=fast&batch_size=8&hidden=64,64,64,64,64,64")
    banner = d.find_element("id", "banner")
    wait_for(lambda: banner.is_displayed() and "learning rate" in banner.text, 10, "the lr message")
    lr = d.find_element("id", "lr")
    assert "invalid" in lr.get_attribute("class")
    assert lr.get_attribute("value") == "0.03"  # the value the server kept, not "fast"
    wait_for(lambda: d.find_element("id", "batch_size").get_attribute("value") == "8", 10, "batch size")
    # Six layers of 64 units fit the model panel: nothing overflows sideways.
    wait_for(lambda: len(d.find_elements("css selector", "#network .layer.hidden")) == 6, 10, "6 layers")
    widths = d.execute_script("const s = document.querySelector('.network-scroll');"
                              "return [s.scrollWidth, s.clientWidth, document.documentElement.scrollWidth,"
                              " window.innerWidth]")
    assert widths[0] <= widths[1] + 1 and widths[2] <= widths[3], widths


def test_the_page_speaks_the_language_of_the_url_the_menu_and_the_browser(browser, lab_url, tmp_path):
    d = browser
    open_lab(d, lab_url + "&lang=zh-Hant")
    wait_for(lambda: d.find_element("css selector", ".data h2").text == "資料", 10, "Traditional Chinese")
    assert d.find_element("id", "gradcheck").text == "檢查梯度"
    assert d.execute_script("return document.documentElement.lang") == "zh-Hant"
    d.save_screenshot(str(tmp_path / "lab-zh-Hant.png"))
    # The browser's language tags, as the page maps them.
    tags = ["zh-CN", "zh-SG", "zh-Hans", "zh-Hans-CN", "zh", "zh-TW", "zh-HK", "zh-MO", "zh-Hant",
            "zh_Hant_TW", "en-GB", "fr"]
    assert d.execute_script("return arguments[0].map(I18n.pick)", tags) == \
        ["zh-Hans"] * 5 + ["zh-Hant"] * 5 + ["en", None]
    from selenium.webdriver.support.ui import Select

    Select(d.find_element("id", "lang")).select_by_value("zh-Hans")
    wait_for(lambda: d.find_element("css selector", ".data h2").text == "数据", 10, "Simplified Chinese")
    assert "lang=zh-Hans" in page_url(d)
    Select(d.find_element("id", "lang")).select_by_value("en")
    wait_for(lambda: d.find_element("css selector", ".data h2").text.lower() == "data", 10, "English")
    # Server errors are translated by their code.
    Select(d.find_element("id", "lang")).select_by_value("zh-Hans")
    lr = d.find_element("id", "lr")
    retype(lr, "100\n")
    banner = d.find_element("id", "banner")
    wait_for(lambda: banner.is_displayed() and "学习率" in banner.text, 10, "a Chinese message")


def test_a_chinese_browser_gets_a_chinese_page(tmp_path, lab_url):
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1400,1000", "--lang=zh-TW", f"--user-data-dir={tmp_path / 'p'}"):
        opts.add_argument(arg)
    opts.add_experimental_option("prefs", {"intl.accept_languages": "zh-TW,zh"})
    d = webdriver.Chrome(service=Service(DRIVER), options=opts)
    try:
        open_lab(d, lab_url + "&lang=fr")  # a language the lab lacks: said, not guessed
        wait_for(lambda: d.find_element("css selector", ".model h2").text == "模型", 10, "a Chinese page")
        assert d.execute_script("return document.documentElement.lang") == "zh-Hant"
        assert "fr" in d.find_element("id", "banner").text
    finally:
        d.quit()


def test_feature_toggles_change_the_models_inputs(browser, lab_url):
    d = browser
    open_lab(d, lab_url + "&model=softmax&dataset=xor&noise=0.15")
    wait_for(lambda: len(d.find_elements("css selector", "#network .layer")) == 2, 10,
             "softmax regression's network")
    d.find_element("css selector", '[data-feature="x1_x2"]').click()
    wait_for(lambda: len(d.find_elements("css selector", ".feature.on")) == 3, 10, "three inputs")
    assert "features=x1,x2,x1_x2" in page_url(d)
    # Softmax regression with x1*x2 solves XOR (a straight line in the new features).
    d.find_element("css selector", '#speed option[value="20"]').click()
    d.find_element("id", "play").click()
    wait_for(lambda: (number(d, "val-acc") or 0) > 0.95, 30, "validation accuracy above 0.95")
    d.find_element("id", "play").click()
    d.find_element("css selector", '[data-feature="x1_x2"]').click()
    wait_for(lambda: len(d.find_elements("css selector", ".feature.on")) == 2, 10, "two inputs")


def test_a_long_operation_disables_its_button_and_a_409_is_explained(browser, lab_url):
    d = browser
    open_lab(d, lab_url)
    # Hold the page's gradient-check request for a moment: the buttons wait.
    d.execute_script("""
      const real = window.fetch;
      window.fetch = (url, opts) => String(url).endsWith('/gradcheck')
        ? new Promise((ok) => setTimeout(() => ok(real(url, opts)), 1500)) : real(url, opts);""")
    d.find_element("id", "gradcheck").click()
    assert d.find_element("id", "gradcheck").get_attribute("disabled") == "true"
    assert d.find_element("id", "save-run").get_attribute("disabled") == "true"
    assert d.find_element("id", "cancel-op").is_displayed()
    wait_for(lambda: "PASS" in d.find_element("id", "gradcheck-result").text, 20, "the verdict")
    assert d.find_element("id", "gradcheck").get_attribute("disabled") is None
    assert "finite differences" in d.find_element("id", "gradcheck-result").text
    # The server's 409 (another long operation runs) is said in words.
    d.execute_script("""
      window.fetch = () => Promise.resolve(new Response(JSON.stringify({error: {code: 'busy',
        message: 'busy', field: null, params: {operation: 'run_folder'}}}),
        {status: 409, headers: {'Content-Type': 'application/json'}}));""")
    d.find_element("id", "gradcheck").click()
    banner = d.find_element("id", "banner")
    wait_for(lambda: banner.is_displayed() and "saving the run folder is still running" in banner.text,
             10, "the 409 message")
