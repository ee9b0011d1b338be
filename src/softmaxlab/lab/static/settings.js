/* softmaxlab lab: the settings panel. It shows the settings the server
   kept, sends each change (and the address's settings on load), and wires
   the inputs, data-set buttons, +/- buttons and feature toggles. The server
   validates every value; the page never guesses one. */
"use strict";

const SettingsPanel = (() => {
  function create(ctx) {
    const { state, api, $, banner, report, markFields, control, writeUrl, clearGradcheck,
            redrawPlane, switchLanguage } = ctx;
    const t = (k, p) => I18n.t(k, p);

    const SHOW = {
      n_points: (v) => v, noise: (v) => Number(v).toFixed(2), n_classes: (v) => v,
      val_fraction: (v) => `${Math.round(v * 100)} %`,
    };

    function showSettings(s, force = false) {
      state.settings = s;
      for (const el of document.querySelectorAll("[data-setting]")) {
        const k = el.dataset.setting;
        if (!(k in s) || (el === document.activeElement && !force)) continue;
        el.value = Array.isArray(s[k]) ? s[k].join(",") : s[k];
        const out = $(`${k}-out`);
        if (out) out.textContent = SHOW[k](s[k]);
      }
      $(`model-${s.model}`).checked = true;
      document.body.classList.toggle("softmax", s.model === "softmax");
      for (const b of document.querySelectorAll("[data-dataset]")) {
        b.classList.toggle("active", b.dataset.dataset === s.dataset);
      }
      const multi = state.choices.multiclass.includes(s.dataset);
      $("classes-row").classList.toggle("disabled", !multi);
      $("n_classes").disabled = !multi;
      document.querySelector(".generated").classList.toggle("disabled", s.dataset === "csv");
      $("layer-count").textContent = t("net.layer_count", { n: s.hidden.length });
      writeUrl();
    }

    async function send(changes) {
      try {
        const r = await api("settings", { body: changes });
        banner(null);
        for (const k of Object.keys(changes)) state.invalid.delete(k);
        markFields();
        showSettings(r.settings);
        if (r.reset) clearGradcheck();
        return true;
      } catch (e) { report(e); return false; }
    }

    // The address's settings, sent at once; a refused one is reported and
    // dropped, and the others are sent again, so one bad value loses only itself.
    async function restoreUrl(url) {
      let changes = { ...url.settings };
      let first = null;
      for (let i = 0; i < 16 && Object.keys(changes).length; i++) {
        try {
          const r = await api("settings", { body: changes });
          showSettings(r.settings);
          break;
        } catch (e) {
          if (!first) first = e;
          if (!e.field || !(e.field in changes)) break;
          state.invalid.add(e.field);
          delete changes[e.field];
        }
      }
      if (first) report(first);
      if (url.speed) await control("speed", { speed: url.speed });
    }

    function wireSettings() {
      for (const el of document.querySelectorAll("[data-setting]")) {
        const k = el.dataset.setting;
        el.addEventListener("input", () => {
          const out = $(`${k}-out`);
          if (out) out.textContent = SHOW[k](el.value);
        });
        el.addEventListener("change", () => send({ [k]: el.value }));
        if (el.tagName === "INPUT" && el.type === "text") {
          el.addEventListener("keydown", (e) => { if (e.key === "Enter") el.blur(); });
        }
      }
      for (const r of document.querySelectorAll('input[name="model"]')) {
        r.addEventListener("change", () => send({ model: r.value }));
      }
      for (const b of document.querySelectorAll("[data-dataset]")) {
        Draw.icon(b.querySelector("canvas"), b.dataset.dataset);
        b.addEventListener("click", () => {
          const d = b.dataset.dataset;
          if (d === "csv") {
            $("upload-box").open = true;
            if (state.hasUpload) send({ dataset: "csv" }); else $("csv-file").focus();
            return;
          }
          const noise = state.choices.noise_defaults[d];
          send(d === state.settings.dataset ? { dataset: d } : { dataset: d, noise });
        });
      }
      $("new-seed").addEventListener("click", () => send({ seed: (state.settings.seed + 1) % 2147483647 }));
      const rules = state.choices.rules.hidden;
      $("layer-plus").addEventListener("click", () => {
        const h = state.settings.hidden;
        if (h.length < rules.max_layers) send({ hidden: [...h, h[h.length - 1]] });
      });
      $("layer-minus").addEventListener("click", () => {
        const h = state.settings.hidden;
        if (h.length > 1) send({ hidden: h.slice(0, -1) });
      });
      $("show-val").addEventListener("change", (e) => { state.showVal = e.target.checked; redrawPlane(); writeUrl(); });
      $("discrete").addEventListener("change", (e) => { state.discrete = e.target.checked; redrawPlane(); writeUrl(); });
      $("lang").addEventListener("change", (e) => switchLanguage(e.target.value));
    }

    const netHandlers = {
      toggleFeature(name) {
        const all = featureIds(), cur = state.settings.features || ["x1", "x2"];
        const next = cur.includes(name) ? cur.filter((f) => f !== name) : [...cur, name];
        send({ features: all.filter((f) => next.includes(f)) });
      },
      changeUnits(layer, delta) {
        const h = [...state.settings.hidden], max = state.choices.rules.hidden.max_width;
        h[layer] = Math.max(1, Math.min(max, h[layer] + delta));
        send({ hidden: h });
      },
      hover(what) { state.hover = what; redrawPlane(); },
    };
    const featureIds = () => (state.choices.features || []).map((f) => f.id || f);

    return { showSettings, send, restoreUrl, wireSettings, netHandlers, featureIds };
  }

  return { create };
})();
