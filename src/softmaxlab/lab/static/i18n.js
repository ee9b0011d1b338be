/* softmaxlab lab: the page's languages. Every text comes from one JSON
   catalogue per language (static/i18n/LANG.json); English is the fallback for
   a key a catalogue lacks (tests/test_lab_i18n.py keeps them complete).

   In the HTML: data-i18n (text), data-i18n-html (catalogue markup, ours),
   data-i18n-title, data-i18n-aria (aria-label), data-i18n-placeholder.
   In scripts: I18n.t("key", {name: value}) fills {name} placeholders. */
"use strict";

const I18n = (() => {
  const LANGS = ["en", "zh-Hans", "zh-Hant"];
  const TOKEN = document.querySelector('meta[name="softmaxlab-token"]').content;
  let lang = "en", cat = {}, en = {};

  // A BCP 47 tag as one of ours, or null: zh-CN, zh-SG and zh-Hans are
  // Simplified; zh-TW, zh-HK, zh-MO and zh-Hant are Traditional.
  function pick(tag) {
    if (typeof tag !== "string" || !tag) return null;
    const t = tag.toLowerCase().replace(/_/g, "-");
    if (/^zh-hant\b/.test(t) || /^zh-(tw|hk|mo)\b/.test(t)) return "zh-Hant";
    if (/^zh(-hans\b|-(cn|sg|my)\b|$)/.test(t)) return "zh-Hans";
    if (/^en\b/.test(t)) return "en";
    return null;
  }

  // ?lang= first, then the server's --lang, then the browser's languages.
  // A ?lang= we do not have is reported (not silently replaced).
  function detect(urlLang, serverLang) {
    const fromUrl = pick(urlLang);
    if (urlLang && !fromUrl) return { lang: detect(null, serverLang).lang, unknown: urlLang };
    const browser = navigator.languages && navigator.languages.length ? navigator.languages
      : [navigator.language];
    for (const c of [fromUrl, pick(serverLang), ...browser.map(pick)]) if (c) return { lang: c };
    return { lang: "en" };
  }

  async function fetchCatalogue(l) {
    const r = await fetch(`/static/i18n/${l}.json?token=${encodeURIComponent(TOKEN)}`);
    if (!r.ok) throw new Error(`the ${l} catalogue did not load (HTTP ${r.status})`);
    return r.json();
  }

  async function load(l) {
    if (!LANGS.includes(l)) l = "en";
    if (!Object.keys(en).length) en = await fetchCatalogue("en");
    cat = l === "en" ? en : await fetchCatalogue(l);
    lang = l;
    document.documentElement.lang = l;
  }

  function fill(text, params) {
    return params ? text.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m)) : text;
  }

  function t(key, params) {
    const s = key in cat ? cat[key] : key in en ? en[key] : key;
    return fill(s, params);
  }

  const has = (key) => key in cat || key in en;

  function apply(root = document) {
    for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    for (const el of root.querySelectorAll("[data-i18n-html]")) el.innerHTML = t(el.dataset.i18nHtml);
    for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
    for (const el of root.querySelectorAll("[data-i18n-aria]")) el.setAttribute("aria-label", t(el.dataset.i18nAria));
    for (const el of root.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  }

  // Numbers as the language writes them (all three use 1,234.5).
  const int = (n) => Number(n).toLocaleString("en-US");

  return { LANGS, pick, detect, load, t, has, apply, int, get lang() { return lang; } };
})();
