"""The lab page's message catalogues (static/i18n/LANG.json): every language
has every key, the same placeholders and the same markup, every key the page
uses exists, and the Chinese catalogues are written in their own script.
Plain file reads: no server, no browser."""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[1] / "src" / "softmaxlab" / "lab" / "static"
LANGS = ("en", "zh-Hans", "zh-Hant")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
TAG = re.compile(r"<(/?\w+)")
HTML_KEY = re.compile(r'data-i18n(?:-html|-title|-aria|-placeholder)?="([^"]+)"')
# A quoted key in a script: "namespace.rest" for a namespace the catalogues use.
JS_STRING = re.compile(r"""["']([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)["']""")
# Keys a script builds from a prefix (`up.opt.${optimizer}`); their suffixes are checked below.
DYNAMIC = re.compile(r"`([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*\.)\$\{")


def catalogues() -> dict[str, dict[str, str]]:
    return {lang: json.loads((STATIC / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))
            for lang in LANGS}


def problems(cats: dict[str, dict[str, str]], used: set[str]) -> list[str]:
    """Everything wrong with ``cats`` (language -> key -> text) for the keys ``used``."""
    out = []
    ref = cats["en"]
    for lang, cat in cats.items():
        out += [f"{lang}: missing {k!r}" for k in sorted(set(ref) - set(cat))]
        out += [f"{lang}: extra {k!r}" for k in sorted(set(cat) - set(ref))]
        for k in sorted(set(ref) & set(cat)):
            if set(PLACEHOLDER.findall(cat[k])) != set(PLACEHOLDER.findall(ref[k])):
                out.append(f"{lang}: {k!r} has placeholders {sorted(set(PLACEHOLDER.findall(cat[k])))}, "
                           f"English {sorted(set(PLACEHOLDER.findall(ref[k])))}")
            if Counter(TAG.findall(cat[k])) != Counter(TAG.findall(ref[k])):
                out.append(f"{lang}: {k!r} has other markup than in English")
    out += [f"used but in no catalogue: {k!r}" for k in sorted(used - set(ref))]
    return out


def used_keys(cats) -> tuple[set[str], set[str]]:
    """Keys in index.html's data-i18n attributes and the scripts' quoted keys,
    and the prefixes scripts complete at run time."""
    spaces = {k.split(".")[0] for k in cats["en"]}
    used = set(HTML_KEY.findall((STATIC / "index.html").read_text(encoding="utf-8")))
    prefixes = set()
    for js in STATIC.glob("*.js"):
        text = js.read_text(encoding="utf-8")
        used |= {k for k in JS_STRING.findall(text) if k.split(".")[0] in spaces
                 and not re.search(r"\.(npz|csv|json|js|html)$", k)}  # file names
        prefixes |= set(DYNAMIC.findall(text))
    return used, prefixes


def test_every_language_has_every_key_and_the_same_placeholders():
    cats = catalogues()
    used, _ = used_keys(cats)
    assert len(used) > 150  # the scan found the page's keys at all
    assert problems(cats, used) == []


def test_the_check_fails_on_a_missing_key_a_wrong_placeholder_and_an_unknown_key():
    cats = catalogues()
    broken = {lang: dict(cat) for lang, cat in cats.items()}
    del broken["zh-Hant"]["data.title"]
    broken["zh-Hans"]["net.units"] = "{m} 个单元"
    found = problems(broken, {"data.title", "no.such_key"})
    assert "zh-Hant: missing 'data.title'" in found
    assert any(p.startswith("zh-Hans: 'net.units' has placeholders ['m']") for p in found)
    assert "used but in no catalogue: 'no.such_key'" in found


def test_keys_built_at_run_time_exist_for_every_value():
    from softmaxlab.lab.params import RULES

    cats = catalogues()
    _, prefixes = used_keys(cats)
    en = cats["en"]
    expected = {
        "setting.": set(RULES),
        "up.opt.": {"sgd", "momentum", "adam"},
        "op.": {"gradcheck", "run_folder"},
        "up.part.": {"point", "batch"},
    }
    for prefix, values in expected.items():
        assert prefix in prefixes, prefix
        assert {f"{prefix}{v}" for v in values} <= set(en), prefix
    # Every error code the server documents is translated.
    docs = (Path(__file__).resolve().parents[1] / "docs" / "lab.md").read_text(encoding="utf-8")
    table = docs[docs.index("| code | status |"):]
    table = table[:table.index("\n\n")]
    codes = set(re.findall(r"^\| `([a-z_]+)` \|", table, re.M)) | set(re.findall(r"`(upload_[a-z_]+)`", table))
    assert len(codes) > 20
    from softmaxlab.lab.errors import ERROR_CODES

    codes |= set(ERROR_CODES)  # and every code the server can send
    assert {c for c in codes if f"error.{c}" not in en} == set()


# Characters that exist in only one of the two scripts (all common in this page's text).
SIMPLIFIED_ONLY = set("这数层学习练类点个线图权验证为们时会设据输网络择单应开关显错误复运载读样")
TRADITIONAL_ONLY = set("這數層學習練類點個線圖權驗證為們時會設據輸網絡擇單應開關顯錯誤複運載讀樣")
SAME_IN_ALL = {"page.title", "brand.lab", "data.xor", "model.mlp", "up.opt.sgd", "up.opt.adam",
               "gc.col.shape"}


@pytest.mark.parametrize("lang, wrong", [("zh-Hans", TRADITIONAL_ONLY), ("zh-Hant", SIMPLIFIED_ONLY)])
def test_chinese_catalogues_are_chinese_in_their_own_script(lang, wrong):
    cats = catalogues()
    cat = cats[lang]
    untranslated = [k for k, v in cat.items() if k not in SAME_IN_ALL
                    and re.search("[A-Za-z]{3}", PLACEHOLDER.sub("", v))
                    and not re.search(r"[\u4e00-\u9fff]", v)]
    assert untranslated == []
    mixed = {k: sorted(set(v) & wrong) for k, v in cat.items() if set(v) & wrong}
    assert mixed == {}
