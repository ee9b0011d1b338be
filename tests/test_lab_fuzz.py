"""Every malformed request gets a 4xx with a stable error code and a
message, never a 500: NaN, infinities and huge numbers where whole numbers
belong, JSON nested past Python's recursion limit, bodies over the limit,
wrong types anywhere, and a hypothesis fuzz over every endpoint."""
from __future__ import annotations

import json

import pytest

pytest.importorskip("starlette", reason="the lab needs the extra softmaxlab[lab]")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

try:
    from starlette.testclient import TestClient
except RuntimeError as exc:  # neither httpx2 nor httpx is installed
    pytest.skip(f"Starlette's test client is unavailable: {exc}", allow_module_level=True)

from softmaxlab.lab.app import MAX_JSON_BYTES, create_app  # noqa: E402
from softmaxlab.lab.errors import ERROR_CODES  # noqa: E402
from softmaxlab.lab.params import RULES  # noqa: E402

TOKEN = "fuzz-token"
BASE = "http://127.0.0.1:8765"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    app = create_app(TOKEN, "127.0.0.1", 8765, runs_dir=str(tmp_path_factory.mktemp("runs")))
    with TestClient(app, base_url=BASE, headers={"X-Softmaxlab-Token": TOKEN}) as c:
        sid = c.post("/api/sessions").json()["id"]
        yield c, sid


def refused(r, status=400, code=None):
    assert r.status_code == status, (r.status_code, r.text[:300])
    err = r.json()["error"]
    assert err["code"] in ERROR_CODES and err["message"], err
    if code is not None:
        assert err["code"] == code, err
    return err


def post_raw(c, url, text):
    return c.post(url, content=text.encode(), headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("field", ["batch_size", "seed", "n_points", "n_classes", "lr", "noise"])
@pytest.mark.parametrize("literal, code", [("NaN", "not_finite"), ("Infinity", "not_finite"),
                                           ("-Infinity", "not_finite"), ("1e400", "not_finite"),
                                           ("1" + "0" * 400, "not_finite"),
                                           ("true", "not_a_number"), ("[1]", "not_a_number"),
                                           ("{}", "not_a_number"), ("null", "not_a_number"),
                                           ('"abc"', "not_a_number")])
def test_non_numbers_in_number_settings(lab, field, literal, code):
    c, sid = lab
    before = c.get(f"/api/sessions/{sid}/data").json()["settings"]
    err = refused(post_raw(c, f"/api/sessions/{sid}/settings", f'{{"{field}": {literal}}}'),
                  code=code)
    assert err["field"] == field and err["params"]["kept"] == before[field]


@pytest.mark.parametrize("literal", ["[NaN]", "[Infinity]", "[1e400]", "[[16]]", '"16,x"',
                                     "[16.5]", "[0]", "[65]", "[1,1,1,1,1,1,1]", "16", "{}"])
def test_bad_hidden_widths(lab, literal):
    c, sid = lab
    err = refused(post_raw(c, f"/api/sessions/{sid}/settings", f'{{"hidden": {literal}}}'),
                  code="bad_widths")
    assert err["params"]["kept"] == [16, 16] and err["params"]["max_width"] == 64


def test_a_refused_field_changes_nothing_and_names_what_was_kept(lab):
    c, sid = lab
    r = post_raw(c, f"/api/sessions/{sid}/settings", '{"lr": 0.5, "batch_size": NaN}')
    err = refused(r, code="not_finite")
    assert err["params"] == {"field": "batch_size", "value": "nan", "kept": 32}
    assert r.json()["settings"]["lr"] == 0.03  # all or nothing: lr did not change either


@pytest.mark.parametrize("url", ["/settings", "/control", "/inspect"])
def test_deep_nesting_and_bad_json(lab, url):
    c, sid = lab
    refused(post_raw(c, f"/api/sessions/{sid}{url}", "[" * 30_000 + "]" * 30_000), code="too_deep")
    refused(post_raw(c, f"/api/sessions/{sid}{url}", '{"a": [' * 2000 + "1" + "]}" * 2000))
    refused(post_raw(c, f"/api/sessions/{sid}{url}", "{'lr': 1}"), code="bad_json")
    refused(c.post(f"/api/sessions/{sid}{url}", content=b"\xff\xfe\x00"), code="bad_json")
    refused(post_raw(c, f"/api/sessions/{sid}{url}", "[1, 2]"))


def test_a_json_body_over_its_limit_names_the_json_limit(lab):
    c, sid = lab
    body = json.dumps({"lr": 0.1, "pad": "x" * MAX_JSON_BYTES})
    err = refused(post_raw(c, f"/api/sessions/{sid}/settings", body), 413, "body_too_large")
    assert err["params"]["limit_bytes"] == 65536 and "64 kB" in err["message"]
    assert "MiB" not in err["message"]


def test_unknown_routes_and_methods_answer_json(lab):
    c, sid = lab
    refused(c.get("/api/nothing"), 404, "not_found")
    refused(c.get(f"/api/sessions/{sid}/settings"), 405, "method_not_allowed")
    refused(c.post("/api/sessions/nope/settings", json={}), 404, "session_gone")


def test_control_and_inspect_refuse_wrong_types(lab):
    c, sid = lab
    url = f"/api/sessions/{sid}"
    refused(c.post(f"{url}/control", json={"action": ["play"]}), code="unknown_action")
    refused(c.post(f"{url}/control", json={"action": "speed", "speed": "fast"}), code="bad_speed")
    err = refused(post_raw(c, f"{url}/control", '{"action": "speed", "speed": 1e400}'),
                  code="bad_speed")
    assert err["params"]["speed"] == "inf"
    refused(c.post(f"{url}/control", json={"action": "step", "unit": "week"}), code="bad_unit")
    refused(post_raw(c, f"{url}/inspect", '{"x": NaN, "y": 0}'), code="bad_point")
    refused(post_raw(c, f"{url}/inspect", '{"x": 1e400, "y": 0}'), code="bad_point")
    refused(c.post(f"{url}/inspect", json={"x": True, "y": 0}), code="bad_point")
    refused(c.post(f"{url}/inspect", json=[1, 2]), code="bad_point")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                  max_size=4),
    max_leaves=12)
SETTINGS = st.dictionaries(st.sampled_from(sorted(RULES) + ["bogus"]), JSON, max_size=3)
CONTROL = st.fixed_dictionaries({"action": st.sampled_from(["speed", "step", "jump"]) | JSON},
                                optional={"speed": JSON, "unit": JSON})


@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
@given(endpoint=st.sampled_from(["settings", "control", "inspect", "cancel", "close-not"]),
       body=SETTINGS | CONTROL | JSON | st.binary(max_size=40).map(lambda b: b.decode("latin-1")))
def test_fuzz_every_endpoint_answers_below_500(lab, endpoint, body):
    c, sid = lab
    url = f"/api/sessions/{sid}/{endpoint}"
    if isinstance(body, str):
        r = post_raw(c, url, body)
    else:
        r = post_raw(c, url, json.dumps(body, allow_nan=True))
    assert r.status_code < 500, (endpoint, body, r.text[:300])
    if r.status_code >= 400:
        assert r.json()["error"]["code"] in ERROR_CODES


def test_the_session_still_draws_after_the_fuzz(lab):
    c, sid = lab
    for path in ("frame", "data"):
        assert c.get(f"/api/sessions/{sid}/{path}").status_code == 200


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(content=st.binary(max_size=200), name=st.text(max_size=20), label=st.text(max_size=10))
def test_fuzz_uploads_answer_below_500(lab, content, name, label):
    c, sid = lab
    r = c.post(f"/api/sessions/{sid}/upload", params={"filename": name, "label_column": label},
               content=content)
    assert r.status_code < 500, r.text[:300]
