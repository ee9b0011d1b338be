/* softmaxlab lab: the page's controller. It sends settings and commands to
   the server, receives frames over a WebSocket, draws them, and acknowledges
   each frame once drawn, which paces the training to what the page can show. */
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const t = (k, p) => I18n.t(k, p);
  const PLANE = 440;
  // The page's state. `invalid`: the settings refused and not yet accepted;
  // `lang`: the language chosen by ?lang= or the menu (null: the browser's);
  // `urlRestored`: the address's settings were sent (only then is it rewritten).
  const state = { sid: null, data: null, frame: null, selected: null, info: null, settings: null,
                  choices: null, frames: 0, ws: null, closing: false, hover: null,
                  showVal: true, discrete: false, stepUnit: "epoch", lang: null,
                  invalid: new Set(), gradcheck: null, saved: null, hasUpload: false,
                  urlRestored: false };
  const sessionPath = (p) => `/api/sessions/${state.sid}/${p}`;
  const api = (p, o) => Api.call(sessionPath(p), o);

  // ---- messages -------------------------------------------------------------------
  function banner(text, level = "error") {
    const b = $("banner");
    if (!text) { b.hidden = true; return; }
    b.className = `banner ${level}`;
    b.textContent = text;
    b.hidden = false;
  }
  // Outlines stay on every refused field until that field is accepted.
  function markFields() {
    for (const el of document.querySelectorAll("[data-setting]")) {
      el.classList.toggle("invalid", state.invalid.has(el.dataset.setting));
    }
  }
  function report(err) {
    banner(Api.message(err), "error");
    if (err.field && document.querySelector(`[data-setting="${err.field}"]`)) state.invalid.add(err.field);
    // The field shows the value the server kept: never a mismatch between the two.
    if (err.settings) showSettings(err.settings, true);
    markFields();
  }

  // ---- settings (settings.js) and the address ---------------------------------------
  const Panel = SettingsPanel.create({ state, api, $, banner, report, markFields, control, writeUrl,
                                       clearGradcheck, redrawPlane, switchLanguage });
  const { showSettings, restoreUrl, wireSettings, netHandlers, featureIds } = Panel;

  function writeUrl() {
    // Not before the address's own settings were sent: they must not be overwritten by the defaults.
    if (!state.settings || !state.urlRestored) return;
    UrlState.write(state.settings, state.choices.defaults, {
      lang: state.lang, showVal: state.showVal, discrete: state.discrete,
      speed: state.frame ? state.frame.speed : null, stepUnit: state.stepUnit });
  }

  // ---- controls -------------------------------------------------------------------
  async function control(action, extra = {}) {
    try {
      await api("control", { body: { action, ...extra } });
      if (action !== "speed") banner(null);
    } catch (e) { report(e); }
  }

  function fillSpeeds() {
    const sp = $("speed"), v0 = sp.value;
    sp.innerHTML = state.choices.speeds.map((v) => `<option value="${v}">${t(v > 1 ? "transport.speed.many" : "transport.speed.one", { n: v })}</option>`).join("");
    if (v0) sp.value = v0;
  }

  function wireControls() {
    $("play").addEventListener("click", () => control(state.frame && state.frame.playing ? "pause" : "play"));
    $("step").addEventListener("click", () => control("step", { unit: state.stepUnit }));
    $("reset").addEventListener("click", () => control("reset").then(clearGradcheck));
    $("step-unit").addEventListener("change", (e) => { state.stepUnit = e.target.value; stepTitle(); writeUrl(); });
    fillSpeeds();
    $("speed").addEventListener("change", () => control("speed", { speed: Number($("speed").value) }));
    document.addEventListener("keydown", (e) => {
      if (e.target.closest("input, select, textarea, button")) return;
      if (e.key === " ") { e.preventDefault(); $("play").click(); }
      else if (e.key === "s" || e.key === "S") $("step").click();
      else if (e.key === "r" || e.key === "R") $("reset").click();
    });
    $("boundary").addEventListener("click", inspectAt);
    $("inspect").addEventListener("click", (e) => {  // a gradient cell: work out its update
      const c = e.target.closest("[data-j][data-k]");
      if (c && state.info) { Update.choose(Number(c.dataset.j), Number(c.dataset.k)); showInspect(state.info); }
    });
    $("gradcheck").addEventListener("click", () => Tools.gradcheck());
    $("cancel-op").addEventListener("click", () => Tools.cancel());
    $("save-run").addEventListener("click", () => Tools.saveRun());
    $("upload").addEventListener("click", upload);
    $("download").href = `${sessionPath("model.npz")}?token=${encodeURIComponent(Api.TOKEN)}`;
  }
  const stepTitle = () => { $("step").title = t(state.stepUnit === "batch" ? "transport.step.title_batch" : "transport.step.title"); };

  // ---- drawing ----------------------------------------------------------------------
  function onData(m) {
    if (state.data && m.data_version !== state.data.data_version) clearGradcheck();
    state.data = m;
    state.selected = null;
    state.info = null;
    $("inspect").hidden = true;
    $("inspect-empty").hidden = false;
    showSettings(m.settings);
    drawDataText();
  }

  function drawDataText() {
    const m = state.data;
    const [x0, x1, y0, y1] = m.extent;
    const f = (v) => v.toFixed(2);
    const [fx, fy] = m.feature_names;
    $("axis-x").textContent = `${fx}: ${f(x0)} … ${f(x1)} →`;
    $("axis-y").textContent = `${fy}: ${f(y0)} … ${f(y1)} →`;
    const counts = m.classes.map(() => [0, 0]);
    m.label.forEach((k, i) => { counts[k][i < m.n_train ? 0 : 1] += 1; });
    $("legend").innerHTML = m.classes.map((c, k) =>
      `<span class="item" title="${OneStep.esc(t("legend.count", { train: counts[k][0], val: counts[k][1] }))}">` +
      `<span class="chip" style="--c:${Draw.classColor(k)}">${OneStep.esc(c)}</span> ` +
      `<small>${counts[k][0]} + ${counts[k][1]}</small></span>`).join(" ") +
      `<span class="key"><i class="dot filled"></i>${t("legend.training")} <i class="dot ring"></i>${t("legend.validation")}</span>`;
    const from = m.settings.dataset === "csv" ? t("data.summary.from", { name: OneStep.esc(m.name) }) : "";
    $("split-summary").innerHTML = t("data.summary", { train: m.n_train, val: m.n_val, classes: m.classes.length, from });
  }

  const num = (v, d = 3) => (v === null || v === undefined ? "–" : v.toFixed(d));

  function drawFrame(f) {
    state.frame = f;
    state.frames += 1;
    document.body.dataset.frames = state.frames;
    document.body.classList.toggle("playing", f.playing);
    $("play").setAttribute("aria-label", t(f.playing ? "transport.pause" : "transport.play"));
    const batch = f.batch ? ` + ${f.batch}/${f.batches_per_epoch}` : "";
    $("epoch").textContent = I18n.int(f.epoch) + batch;
    if ($("speed").value !== String(f.speed)) { $("speed").value = String(f.speed); writeUrl(); }
    $("train-loss").textContent = num(f.stats.train_loss);
    $("val-loss").textContent = num(f.stats.val_loss);
    $("train-acc").textContent = num(f.stats.train_acc);
    $("val-acc").textContent = num(f.stats.val_acc);
    if (f.message) banner(Api.frameMessage(f.message), f.message.level);
    $("start-hint").classList.toggle("gone", f.epoch > 0 || f.batch > 0 || f.playing || state.selected !== null);
    redrawPlane();
    drawNetwork(f);
    Charts.update(f.curves);
    Tools.frame(f);
    if (f.inspect && state.selected === f.inspect.index) showInspect(f.inspect);
  }

  // The big plot: the probabilities, or the hovered unit / feature / class.
  function redrawPlane() {
    const f = state.frame;
    if (!f) return;
    let image = null, note = null;
    const h = state.hover;
    if (h && h.kind === "unit" && f.hidden[h.layer]) {
      const layer = f.hidden[h.layer];
      if (Network.isDead(layer, h.unit)) note = t("net.dead_relu_long", { j: h.unit + 1 });
      else image = Draw.unitImage(Draw.bytes(layer.values, true), h.unit, layer.res);
      note = note || t("plane.showing_unit", { layer: h.layer + 1, j: h.unit + 1 });
    } else if (h && h.kind === "class" && f.boundary) {
      image = Draw.channelImage(f.boundary, h.k);
      note = t("plane.showing_class", { name: state.data.classes[h.k] });
    } else if (h && h.kind === "feature") {
      image = Draw.featureImage(h.name, 80);
      note = t("plane.showing_feature", { name: Network.featureLabel(h.name) });
    }
    $("plane-note").hidden = !note;
    $("plane-note").textContent = note || "";
    Draw.plane($("boundary"), PLANE, state.data, f.boundary, { selected: state.selected,
      showVal: state.showVal, discrete: state.discrete, image });
  }

  function drawNetwork(f) {
    const s = state.settings;
    const labels = Object.fromEntries((state.choices.features || []).map((x) => [x.id || x, x.label || x]));
    Network.setLabels(labels);
    const spec = { allFeatures: featureIds().length ? featureIds() : ["x1", "x2"],
                   features: f.inputs || s.features || ["x1", "x2"], hidden: f.hidden,
                   classes: state.data ? state.data.classes.length : 0,
                   classNames: state.data ? state.data.classes : [] };
    const r = Network.draw($("network"), f, spec, netHandlers);
    $("edge-note").textContent = [r.total > r.drawn ? t("key.edges_some", { drawn: r.drawn, total: r.total }) :
      r.total ? t("key.edges_all") : "", r.dead ? t("key.dead", { n: r.dead }) : ""].filter(Boolean).join(" · ");
  }

  // ---- one step, upload, long operations ----------------------------------------------
  function showInspect(info) {
    state.info = info;
    $("inspect-empty").hidden = true;
    $("inspect").hidden = false;
    OneStep.render($("inspect"), info, state.data.classes, state.frame ? state.frame.inputs : null);
  }

  async function inspectAt(e) {
    if (!state.data) return;
    const rect = e.currentTarget.getBoundingClientRect();
    const [x, y] = Draw.projector(state.data.extent, rect.width).inv(e.clientX - rect.left, e.clientY - rect.top);
    try {
      const info = await api("inspect", { body: { x, y } });
      state.selected = info.index;
      showInspect(info);
      redrawPlane();
    } catch (err) { report(err); }
  }

  function clearGradcheck() { $("gradcheck-result").innerHTML = ""; state.gradcheck = null; }

  async function upload() {
    const file = $("csv-file").files[0];
    const status = $("upload-status");
    if (!file) { report(new Api.LabError(t("upload.choose_first"), { field: "upload" })); return; }
    status.textContent = t("upload.reading");
    const q = `?filename=${encodeURIComponent(file.name)}&label_column=${encodeURIComponent($("label-column").value)}`;
    try {
      const r = await api("upload", { body: file, raw: true, query: q });
      state.hasUpload = true;
      clearGradcheck();
      status.textContent = t("upload.done", { rows: r.rows, label: r.label_column,
        features: r.feature_names.join(", "), classes: r.classes.join(", ") });
      banner(null);
      showSettings(r.settings);
    } catch (e) { status.textContent = ""; report(e); }
  }

  const Tools = LongOps.create({ api, report, banner, $, state });

  // ---- language -------------------------------------------------------------------------
  async function switchLanguage(lang) {
    await I18n.load(lang);
    state.lang = lang;
    $("lang").value = lang;
    I18n.apply();
    fillSpeeds();
    stepTitle();
    if (state.settings) showSettings(state.settings);
    if (state.data) drawDataText();
    Charts.relabel();
    if (state.frame) drawFrame(state.frame);
    if (state.info && !$("inspect").hidden) showInspect(state.info);
    Tools.relabel();
    writeUrl();
  }

  // ---- the stream -----------------------------------------------------------------------
  function connect() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${proto}://${location.host}${sessionPath("stream")}?token=${encodeURIComponent(Api.TOKEN)}`);
    state.ws = ws;
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.type === "data") { onData(m); return; }
      if (m.type !== "frame") return;
      let acked = false;
      const done = () => {
        if (acked) return;
        acked = true;
        try { drawFrame(m); } finally { if (ws.readyState === 1) ws.send('{"type":"ack"}'); }
      };
      // Draw on the next animation frame; a hidden tab gets no animation
      // frames, so a timer acknowledges there (training goes on, slowly).
      requestAnimationFrame(done);
      setTimeout(done, 400);
    };
    ws.onclose = () => { if (!state.closing) banner(t("msg.disconnected")); };
  }

  async function start() {
    const url = UrlState.read();
    let s = JSON.parse($("bootstrap").textContent || "{}");
    const lang = I18n.detect(url.lang, s.lang);
    try { await I18n.load(lang.lang); } catch (e) { banner(e.message); }
    state.lang = url.lang && !lang.unknown ? lang.lang : null;
    $("lang").value = lang.lang;
    I18n.apply();
    try {
      if (s.error) throw typeof s.error === "object" ? new Api.LabError(s.error.message, s.error) : new Api.LabError(s.error);
      if (!s.id) s = await Api.call("/api/sessions");
      state.sid = s.id;
      state.choices = s;
      state.showVal = url.showVal; state.discrete = url.discrete; state.stepUnit = url.stepUnit;
      $("show-val").checked = state.showVal; $("discrete").checked = state.discrete;
      $("step-unit").value = state.stepUnit;
      wireSettings();
      wireControls();
      stepTitle();
      showSettings(s.settings);
      if (s.data && s.frame) { onData(s.data); drawFrame(s.frame); }
      if (Object.keys(url.settings).length || url.speed) await restoreUrl(url);
      state.urlRestored = true;
      writeUrl();
      if (lang.unknown) banner(t("lang.unknown", { value: lang.unknown, values: I18n.LANGS.join(", ") }));
      connect();
      document.body.dataset.ready = "1";  // the address's settings are applied (tests wait for it)
    } catch (e) { report(e); }
  }

  window.addEventListener("pagehide", () => {
    state.closing = true;
    if (state.sid) navigator.sendBeacon(`${sessionPath("close")}?token=${encodeURIComponent(Api.TOKEN)}`);
  });
  start();
})();
