"""Every refusal carries a stable code that docs/lab.md documents and the
page's catalogues translate; the list in errors.py is the one source."""
from __future__ import annotations

import re
from pathlib import Path

from softmaxlab.lab.errors import ERROR_CODES, LabError, shown

ROOT = Path(__file__).resolve().parents[1]
LAB = ROOT / "src" / "softmaxlab" / "lab"


def test_every_code_raised_in_the_lab_is_listed_and_documented():
    source = "\n".join(p.read_text(encoding="utf-8") for p in LAB.glob("*.py"))
    raised = set(re.findall(r'(?:LabError|UploadError)\(\s*"([a-z_]+)"', source))
    raised |= set(re.findall(r'"code": "([a-z_]+)"', source))
    # LabParamError(field, message, code, ...): the code is the third argument.
    raised |= set(re.findall(r'LabParamError\([^()]*?(?:\([^()]*\)[^()]*?)*,\s*"([a-z_]+)"'
                             r'(?:,|\))', source, flags=re.S))
    # _require("code", field, ...): a setting's value checked against its rule.
    raised |= set(re.findall(r'_require\(\s*"([a-z_]+)"', source))
    assert {"not_a_number", "out_of_range", "bad_widths"} <= raised, raised
    assert raised, "the pattern found no codes"
    assert raised <= set(ERROR_CODES), raised - set(ERROR_CODES)
    docs = (ROOT / "docs" / "lab.md").read_text(encoding="utf-8")
    missing = [c for c in ERROR_CODES if f"`{c}`" not in docs]
    assert not missing, f"codes not in docs/lab.md: {missing}"
    assert len(set(ERROR_CODES)) == len(ERROR_CODES)


def test_values_are_made_json_safe():
    assert shown(float("nan")) == "nan" and shown(float("inf")) == "inf"
    assert shown(10 ** 400).endswith("...") and shown("x" * 200).endswith("...")
    deep = []
    for _ in range(5000):
        deep = [deep]
    assert shown(deep) == "(nested too deeply)" or len(shown(deep)) <= 83
    err = LabError("bad_speed", "m", speed=float("inf"))
    assert err.body()["error"]["params"]["speed"] == "inf"
