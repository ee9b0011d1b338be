/* softmaxlab lab: the current settings in the page's address, so a reload or
   a shared link opens the same configuration. The page writes the settings
   that differ from the defaults (history.replaceState, no new history entry);
   on load it sends them to the server's settings call, which validates them
   like any typed value. The token stays in the address. */
"use strict";

const UrlState = (() => {
  // Page-only options: not settings, never sent to the server.
  const PAGE = ["token", "lang", "val", "discrete", "speed", "step"];

  const encode = (v) => (Array.isArray(v) ? v.join(",") : String(v));
  const same = (a, b) => encode(a) === encode(b);

  // Settings from the address, as the server takes them (lists for features;
  // "16,16" strings and numbers as typed are validated there).
  function read() {
    const q = new URLSearchParams(location.search);
    const settings = {};
    for (const [k, v] of q) {
      if (PAGE.includes(k)) continue;
      settings[k] = k === "features" ? v.split(",").map((s) => s.trim()).filter(Boolean) : v;
    }
    return {
      settings,
      lang: q.get("lang"),
      showVal: q.get("val") !== "0",
      discrete: q.get("discrete") === "1",
      speed: q.has("speed") ? Number(q.get("speed")) : null,
      stepUnit: q.get("step") === "batch" ? "batch" : "epoch",
    };
  }

  // Write settings (those unlike the defaults) and page options into the address.
  function write(settings, defaults, page) {
    const q = new URLSearchParams(location.search);
    const token = q.get("token");
    const out = new URLSearchParams();
    if (token) out.set("token", token);
    if (page.lang) out.set("lang", page.lang);
    for (const [k, v] of Object.entries(settings)) {
      // An upload cannot travel in an address; its file must be chosen again.
      if (k === "dataset" && v === "csv") continue;
      if (!(k in defaults) || !same(v, defaults[k])) out.set(k, encode(v));
    }
    if (!page.showVal) out.set("val", "0");
    if (page.discrete) out.set("discrete", "1");
    if (page.speed && page.speed !== 1) out.set("speed", String(page.speed));
    if (page.stepUnit === "batch") out.set("step", "batch");
    const url = `${location.pathname}?${out.toString().replace(/%2C/g, ",")}${location.hash}`;
    if (url !== location.pathname + location.search + location.hash) history.replaceState(null, "", url);
  }

  return { read, write, PAGE };
})();
