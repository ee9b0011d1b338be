/* softmaxlab lab: the page's controller. It sends settings and commands to
   the server, receives frames over a WebSocket, draws them, and acknowledges
   each frame once drawn, which paces the training to what the page can show. */
"use strict";

(() => {
  const TOKEN = document.querySelector('meta[name="softmaxlab-token"]').content;
  const $ = (id) => document.getElementById(id);
  const PLANE = 440;
  const state = { sid: null, data: null, frame: null, selected: null, settings: null,
                  choices: null, frames: 0, ws: null, closing: false };

  class LabError extends Error {
    constructor(message, field) { super(message); this.field = field; }
  }

  async function api(path, { method = "POST", body, raw = false, query = "" } = {}) {
    const opts = { method, headers: { "X-Softmaxlab-Token": TOKEN } };
    if (body !== undefined) {
      opts.body = raw ? body : JSON.stringify(body);
      opts.headers["Content-Type"] = raw ? "text/csv" : "application/json";
    }
    let r;
    try {
      r = await fetch(path + query, opts);
    } catch (e) {
      throw new LabError("the lab server does not answer; is `softmaxlab lab` still running?");
    }
    const type = r.headers.get("content-type") || "";
    const data = type.includes("json") ? await r.json() : await r.text();
    if (!r.ok) throw new LabError((data && data.error) || String(data), data && data.field);
    return data;
  }
  const sessionPath = (p) => `/api/sessions/${state.sid}/${p}`;

  // ---- messages -------------------------------------------------------------------
  function banner(text, level = "error") {
    const b = $("banner");
    if (!text) { b.hidden = true; return; }
    b.className = `banner ${level}`;
    b.textContent = text;
    b.hidden = false;
  }
  function markField(field) {
    document.querySelectorAll(".invalid").forEach((e) => e.classList.remove("invalid"));
    const el = field && document.querySelector(`[data-setting="${field}"]`);
    if (el) el.classList.add("invalid");
  }
  function report(err) {
    banner(err.message, "error");
    markField(err.field);
  }

  // ---- settings -------------------------------------------------------------------
  const SHOW = {
    n_points: (v) => v, noise: (v) => Number(v).toFixed(2), n_classes: (v) => v,
    val_fraction: (v) => `${Math.round(v * 100)} %`,
  };

  function showSettings(s) {
    state.settings = s;
    for (const el of document.querySelectorAll("[data-setting]")) {
      const k = el.dataset.setting;
      if (!(k in s) || el === document.activeElement) continue;
      el.value = k === "hidden" ? s.hidden.join(",") : s[k];
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
  }

  async function send(changes) {
    try {
      const r = await api(sessionPath("settings"), { body: changes });
      banner(null);
      markField(null);
      showSettings(r.settings);
    } catch (e) { report(e); }
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
  }

  // ---- controls -------------------------------------------------------------------
  async function control(action, extra = {}) {
    try {
      await api(sessionPath("control"), { body: { action, ...extra } });
      if (action !== "speed") banner(null);
    } catch (e) { report(e); }
  }

  function wireControls() {
    $("play").addEventListener("click", () => control(state.frame && state.frame.playing ? "pause" : "play"));
    $("step").addEventListener("click", () => control("step"));
    $("reset").addEventListener("click", () => control("reset"));
    const sp = $("speed");
    for (const v of state.choices.speeds) {
      const o = document.createElement("option");
      o.value = v; o.textContent = `${v} epoch${v > 1 ? "s" : ""} / frame`;
      sp.appendChild(o);
    }
    sp.addEventListener("change", () => control("speed", { speed: Number(sp.value) }));
    document.addEventListener("keydown", (e) => {
      if (e.target.closest("input, select, textarea, button")) return;
      if (e.key === " ") { e.preventDefault(); $("play").click(); }
      else if (e.key === "s" || e.key === "S") $("step").click();
      else if (e.key === "r" || e.key === "R") $("reset").click();
    });
    $("boundary").addEventListener("click", inspectAt);
    $("gradcheck").addEventListener("click", gradcheck);
    $("save-run").addEventListener("click", saveRun);
    $("upload").addEventListener("click", upload);
    $("download").href = `${sessionPath("model.npz")}?token=${encodeURIComponent(TOKEN)}`;
  }

  // ---- drawing ----------------------------------------------------------------------
  function onData(m) {
    state.data = m;
    state.selected = null;
    $("inspect").hidden = true;
    $("inspect-empty").hidden = false;
    showSettings(m.settings);
    const [x0, x1, y0, y1] = m.extent;
    const f = (v) => v.toFixed(2);
    const [fx, fy] = m.feature_names;
    $("axis-x").textContent = `${fx}: ${f(x0)} … ${f(x1)} →`;
    $("axis-y").textContent = `${fy}: ${f(y0)} … ${f(y1)} →`;
    const counts = m.classes.map(() => [0, 0]);
    m.label.forEach((k, i) => { counts[k][i < m.n_train ? 0 : 1] += 1; });
    $("legend").innerHTML = m.classes.map((c, k) =>
      `<span class="item" title="${counts[k][0]} training + ${counts[k][1]} validation points">` +
      `<span class="chip" style="--c:${Draw.classColor(k)}">${OneStep.esc(c)}</span> ` +
      `<small>${counts[k][0]} + ${counts[k][1]}</small></span>`).join(" ") +
      `<span class="key"><i class="dot filled"></i>training <i class="dot ring"></i>validation</span>`;
    $("split-summary").innerHTML = `<b>${m.n_train}</b> training points (filled) and <b>${m.n_val}</b>
      validation points (ringed), ${m.classes.length} classes${m.settings.dataset === "csv" ? `, from ${OneStep.esc(m.name)}` : ""}.`;
  }

  const num = (v, d = 3) => (v === null || v === undefined ? "–" : v.toFixed(d));

  function drawFrame(f) {
    state.frame = f;
    state.frames += 1;
    document.body.dataset.frames = state.frames;
    document.body.classList.toggle("playing", f.playing);
    $("play").setAttribute("aria-label", f.playing ? "Pause" : "Play");
    $("epoch").textContent = f.epoch.toLocaleString("en-US");
    $("speed").value = String(f.speed);
    $("train-loss").textContent = num(f.stats.train_loss);
    $("val-loss").textContent = num(f.stats.val_loss);
    $("train-acc").textContent = num(f.stats.train_acc);
    $("val-acc").textContent = num(f.stats.val_acc);
    if (f.message) banner(f.message.text, f.message.level);
    $("start-hint").classList.toggle("gone", f.epoch > 0 || f.playing || state.selected !== null);
    Draw.plane($("boundary"), PLANE, state.data, f.boundary, state.selected);
    drawNetwork(f);
    Charts.update(f.curves);
    if (f.inspect && state.selected === f.inspect.index) showInspect(f.inspect);
  }

  // The network as TF Playground draws it: one column per layer, each unit a
  // small picture of its activation over the plane (values from the server).
  function drawNetwork(f) {
    const net = $("network");
    const hidden = f.hidden;
    const C = state.data ? state.data.classes.length : 0;
    const key = `${hidden.map((h) => `${h.units} ${h.name}`).join("-")}/${C}`;
    if (net.dataset.key !== key) {
      const col = (title, n, sub, cls = "") => {
        // Up to 8 units in a column, then up to 16: a 64-unit layer is 4 x 16 small maps.
        const size = n <= 8 ? 42 : n <= 16 ? 34 : n <= 32 ? 21 : 17;
        const cols = n <= 16 ? Math.ceil(n / 8) : Math.ceil(n / 16);
        return `<div class="layer ${cls}"><div class="ltitle">${title}</div><div class="units"` +
          ` style="--u:${size}px;--cols:${cols}">` +
          Array.from({ length: n }, (_, j) => `<canvas data-j="${j}" title="${sub} ${j + 1}"></canvas>`).join("") +
          `</div><div class="lsub">${sub === "unit" ? `${n} units` : sub === "class" ? "softmax" : "features"}</div></div>`;
      };
      const act = (h) => h.name.replace(/^hidden layer \d+ \((.*)\)$/, "$1");
      const arrow = '<div class="arrow" aria-hidden="true">&#x27F6;</div>';
      net.innerHTML = [col("input", 2, "feature", "input"),
        ...hidden.map((h, i) => col(`layer ${i + 1}: ${act(h)}`, h.units, "unit")),
        col("output", C, "class", "out")].join(arrow) +
        (hidden.length ? "" : `<p class="hint netnote">Softmax regression: one Linear layer from the two
          features to the logits, so every boundary between two classes is a straight line.</p>`);
      net.dataset.key = key;
      net.querySelectorAll(".input canvas").forEach((c, j) => Draw.thumb(c, sizeOf(c), Draw.featureImage(j, 40)));
    }
    const layers = net.querySelectorAll(".layer");
    hidden.forEach((h, i) => {
      const values = Draw.bytes(h.values, true);
      layers[i + 1].querySelectorAll("canvas").forEach((c, j) => {
        Draw.thumb(c, sizeOf(c), Draw.unitImage(values, j, h.res));
        c.title = `unit ${j + 1}: max |h| = ${h.scale[j].toFixed(3)} over the plane`;
      });
    });
    if (f.boundary) {
      layers[layers.length - 1].querySelectorAll("canvas").forEach((c, k) => {
        Draw.thumb(c, sizeOf(c), Draw.channelImage(f.boundary, k));
        c.title = `q for class ${state.data.classes[k]} over the plane`;
      });
    }
  }
  const sizeOf = (c) => parseFloat(getComputedStyle(c.parentElement).getPropertyValue("--u"));

  const Charts = (() => {
    let loss = null, acc = null;
    const make = (el, title, yRange) => new uPlot({
      width: 214, height: 150, title,
      scales: { x: { time: false },
                y: { range: yRange || ((u, lo, hi) => [0, Math.max(0.1, (hi || 0) * 1.08)]) } },
      series: [{ label: "epoch" },
        { label: "training", stroke: "#374151", width: 1.6 },
        { label: "validation", stroke: "#e8833a", width: 1.6, dash: [5, 3] }],
      axes: [{ size: 30, font: "11px system-ui" }, { size: 42, font: "11px system-ui" }],
      legend: { show: true, live: false },
      cursor: { show: false },
    }, [[], [], []], $(el));
    return {
      update(c) {
        if (!loss) { loss = make("loss-chart", "loss", null); acc = make("acc-chart", "accuracy", [0, 1.02]); }
        loss.setData([c.epoch, c.train_loss, c.val_loss]);
        acc.setData([c.epoch, c.train_acc, c.val_acc]);
      },
    };
  })();

  // ---- one step, gradient check, export ------------------------------------------------
  function showInspect(info) {
    $("inspect-empty").hidden = true;
    $("inspect").hidden = false;
    OneStep.render($("inspect"), info, state.data.classes);
  }

  async function inspectAt(e) {
    if (!state.data) return;
    const rect = e.currentTarget.getBoundingClientRect();
    const [x, y] = Draw.projector(state.data.extent, rect.width).inv(e.clientX - rect.left, e.clientY - rect.top);
    try {
      const info = await api(sessionPath("inspect"), { body: { x, y } });
      state.selected = info.index;
      showInspect(info);
      if (state.frame) Draw.plane($("boundary"), PLANE, state.data, state.frame.boundary, state.selected);
    } catch (err) { report(err); }
  }

  async function gradcheck() {
    const el = $("gradcheck-result");
    el.innerHTML = '<p class="hint">checking…</p>';
    try { OneStep.gradcheck(el, await api(sessionPath("gradcheck"))); } catch (e) {
      el.innerHTML = ""; report(e);
    }
  }

  async function saveRun() {
    try {
      const r = await api(sessionPath("run-folder"));
      $("export-status").innerHTML = `Saved <code>${OneStep.esc(r.path)}</code> (open report.html there).`;
    } catch (e) { report(e); }
  }

  async function upload() {
    const file = $("csv-file").files[0];
    const status = $("upload-status");
    if (!file) { report(new LabError("choose a .csv file first", "upload")); return; }
    status.textContent = "reading…";
    const q = `?filename=${encodeURIComponent(file.name)}&label_column=${encodeURIComponent($("label-column").value)}`;
    try {
      const r = await api(sessionPath("upload"), { body: file, raw: true, query: q });
      state.hasUpload = true;
      status.textContent = `${r.rows} rows, label column “${r.label_column}”, features ${r.feature_names.join(" and ")}, classes ${r.classes.join(", ")}.`;
      banner(null);
      showSettings(r.settings);
    } catch (e) { status.textContent = ""; report(e); }
  }

  // ---- the stream -----------------------------------------------------------------------
  function connect() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${proto}://${location.host}${sessionPath("stream")}?token=${encodeURIComponent(TOKEN)}`);
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
    ws.onclose = () => {
      if (!state.closing) banner("The connection to the lab server was lost. Is `softmaxlab lab` still running? Reload the page to start again.");
    };
  }

  async function start() {
    try {
      // The page arrives with its session's first data and frame, so it is
      // drawn at once; the stream then takes over.
      let s = JSON.parse($("bootstrap").textContent || "{}");
      if (s.error) throw new LabError(s.error);
      if (!s.id) s = await api("/api/sessions");
      state.sid = s.id;
      state.choices = s;
      wireSettings();
      wireControls();
      showSettings(s.settings);
      if (s.data && s.frame) { onData(s.data); drawFrame(s.frame); }
      connect();
    } catch (e) { report(e); }
  }

  window.addEventListener("pagehide", () => {
    state.closing = true;
    if (state.sid) navigator.sendBeacon(`${sessionPath("close")}?token=${encodeURIComponent(TOKEN)}`);
  });
  start();
})();
