/* softmaxlab lab: the network view, as TensorFlow Playground draws it. One
   column per layer: the input features (click to use one or not), each hidden
   unit's activation over the plane, the class probabilities; between columns
   the weights as edges (thickness by |w|, colour by sign). Sizes shrink to fit
   the panel's width, so six layers of 64 units do not overflow sideways.
   Every value drawn here came from the server. */
"use strict";

const Network = (() => {
  const t = (k, p) => I18n.t(k, p);
  // Edges drawn per pair of columns (the strongest): fewer between wide layers,
  // where more would be a solid mat and slow to draw (software rendering).
  const maxEdges = (n) => (n > 1024 ? 160 : 400);
  const DEAD = 1e-9;  // a unit whose largest |h| over the plane is below this is constant 0
  const GAP = 34;  // px between columns, room for the edges
  const H = 330;  // px, the tallest a column may be

  // x1, x2 ... as the page writes them; the setting's values come from the server.
  const FEATURE_LABEL = {
    x1: "x₁", x2: "x₂", x1_sq: "x₁²", x2_sq: "x₂²", x1_x2: "x₁x₂", sin_x1: "sin x₁", sin_x2: "sin x₂",
  };
  // The server's labels (choices.features) win over these.
  const labels = {};
  const setLabels = (l) => Object.assign(labels, l);
  const featureLabel = (f) => labels[f] || FEATURE_LABEL[f] || f;

  function shape(n) {  // columns and rows of a layer's unit grid
    const cols = n <= 8 ? 1 : n <= 16 ? 2 : 4;
    return { cols, rows: Math.ceil(n / cols) };
  }

  const actName = (h) => h.name.replace(/^hidden layer \d+ \((.*)\)$/, "$1");
  const isDead = (h, j) => h.scale[j] < DEAD;

  // Build the columns (when the architecture changes) and return them.
  // Unit pictures shrink (down to 7 px) until every column fits the panel.
  function build(net, spec, handlers) {
    const width = net.parentElement.clientWidth - 8;
    const cols = [{ kind: "input", n: spec.allFeatures.length }, ...spec.hidden.map((h) => ({ kind: "hidden", n: h.units })),
      { kind: "out", n: spec.classes }];
    const gap = cols.length > 5 ? 16 : cols.length > 3 ? 24 : GAP;
    const natural = cols.map((c) => Math.min(c.kind === "input" ? 30 : 40, Math.floor(H / shape(c.n).rows) - 4));
    const colWidth = (c, u) => Math.max(c.kind === "input" ? u + 46 : shape(c.n).cols * (u + 4), 46);
    let sizes = natural;
    for (let f = 1; f > 0.05; f -= 0.05) {
      sizes = natural.map((u) => Math.max(7, Math.floor(u * f)));
      const total = cols.reduce((a, c, i) => a + colWidth(c, sizes[i]), 0) + gap * (cols.length - 1);
      if (total <= width) break;
    }
    const widths = cols.map((c, i) => colWidth(c, sizes[i]));
    // Many columns: fixed widths, titles wrap; few: titles keep one line.
    net.classList.toggle("compact", cols.length > 5);
    const dim = cols.length > 5 ? "width" : "min-width";
    const grid = (n, u, inner) => `<div class="units" style="--u:${u}px;--cols:${shape(n).cols}">${inner}</div>`;
    const html = [];
    html.push(`<div class="layer input" style="${dim}:${widths[0]}px"><div class="ltitle">${t("net.input")}</div>` +
      grid(spec.allFeatures.length, sizes[0], spec.allFeatures.map((name) =>
        `<button class="feature${spec.features.includes(name) ? " on" : ""}" data-feature="${name}"` +
        ` aria-pressed="${spec.features.includes(name)}"` +
        ` title="${t("net.feature.title", { name: featureLabel(name) })}"><canvas></canvas>` +
        `<span>${featureLabel(name)}</span></button>`).join("")) +
      `<div class="lsub">${t("net.features", { n: spec.features.length })}</div></div>`);
    spec.hidden.forEach((h, i) => {
      html.push(`<div class="layer hidden" data-layer="${i}" style="${dim}:${widths[i + 1]}px"><div class="ltitle">${t("net.layer", { i: i + 1, act: actName(h) })}</div>` +
        grid(h.units, sizes[i + 1], Array.from({ length: h.units }, (_, j) => `<canvas data-j="${j}"></canvas>`).join("")) +
        `<div class="lsub" title="${t("net.units", { n: h.units })}">${cols.length > 5 ? h.units : t("net.units", { n: h.units })}</div>` +
        `<div class="pm-row"><button class="pm" data-units="-1" data-layer="${i}" title="${t("net.unit_minus")}">&minus;</button>` +
        `<button class="pm" data-units="1" data-layer="${i}" title="${t("net.unit_plus")}">+</button></div></div>`);
    });
    html.push(`<div class="layer out" style="${dim}:${widths[widths.length - 1]}px"><div class="ltitle">${t("net.output")}</div>` +
      grid(spec.classes, sizes[sizes.length - 1], Array.from({ length: spec.classes }, (_, k) => `<canvas data-k="${k}"></canvas>`).join("")) +
      `<div class="lsub">softmax</div></div>`);
    net.innerHTML = `<canvas class="edges" aria-hidden="true"></canvas>${html.join("")}` +
      (spec.hidden.length ? "" : `<p class="hint netnote">${t("net.softmax_note")}</p>`);
    net.style.setProperty("--gap", `${gap}px`);
    for (const b of net.querySelectorAll("[data-feature]")) {
      b.addEventListener("click", () => handlers.toggleFeature(b.dataset.feature));
      const c = b.querySelector("canvas");
      Draw.thumb(c, sizes[0], Draw.featureImage(b.dataset.feature, 40));
      hover(b, handlers, { kind: "feature", name: b.dataset.feature });
    }
    for (const b of net.querySelectorAll("[data-units]")) {
      b.addEventListener("click", () => handlers.changeUnits(Number(b.dataset.layer), Number(b.dataset.units)));
    }
    net.querySelectorAll(".layer.hidden").forEach((col, i) => col.querySelectorAll("canvas").forEach((c, j) =>
      hover(c, handlers, { kind: "unit", layer: i, unit: j })));
    net.querySelectorAll(".layer.out canvas").forEach((c, k) => hover(c, handlers, { kind: "class", k }));
  }

  function hover(el, handlers, what) {
    el.addEventListener("mouseenter", () => handlers.hover(what));
    el.addEventListener("mouseleave", () => handlers.hover(null));
  }

  // Centres of the unit pictures, relative to the network's box (measured
  // once per build: the layout does not change between frames).
  function anchors(net) {
    if (net.anchors) return net.anchors;
    const box = net.getBoundingClientRect();
    net.anchors = [...net.querySelectorAll(".layer")].map((col) =>
      [...col.querySelectorAll(".units > *")].map((u) => {
        const r = (u.querySelector("canvas") || u).getBoundingClientRect();
        return { l: r.left - box.left, r: r.right - box.left, y: r.top - box.top + r.height / 2,
                 on: !u.classList.contains("feature") || u.classList.contains("on") };
      }));
    return net.anchors;
  }

  // The indices of the largest |W| (at most maxEdges), weakest first.
  function strongest(W) {
    const abs = Float32Array.from(W, Math.abs);
    const most = maxEdges(abs.length);
    const floor = abs.length > most ? abs.slice().sort()[abs.length - most] : 0;
    const idx = [];
    for (let e = 0; e < abs.length; e++) if (abs[e] > 0 && abs[e] >= floor) idx.push(e);
    return idx.sort((a, b) => abs[a] - abs[b]).slice(-most);
  }

  // Edges: weights[l] is the l-th Linear layer, W float32 (n_in, n_out) row by row.
  // Drawn in ten strengths per sign, one path each (thousands of edges stay cheap).
  function edges(net, weights) {
    const cv = net.querySelector("canvas.edges");
    const w = net.scrollWidth, h = net.scrollHeight;
    const ctx = Draw.fitCanvas(cv, w, h);
    ctx.clearRect(0, 0, w, h);
    if (!weights || !weights.length) return { drawn: 0, total: 0 };
    const cols = anchors(net);
    let drawn = 0, total = 0;
    weights.forEach((layer, l) => {
      const src = l === 0 ? cols[0].filter((a) => a.on) : cols[l], dst = cols[l + 1];
      const { n_in: nIn, n_out: nOut } = layer;
      if (!src || !dst || src.length !== nIn || dst.length !== nOut) return;
      const W = Draw.floats(layer.W);
      const top = strongest(W);
      const max = layer.max_abs || (top.length ? Math.abs(W[top[top.length - 1]]) : 1);
      total += W.length;
      drawn += top.length;
      for (let level = 0; level < 10; level++) {
        for (const sign of [-1, 1]) {
          const s = (level + 0.5) / 10;
          ctx.strokeStyle = Draw.css(sign < 0 ? Draw.NEG : Draw.POS, 0.15 + 0.7 * s);
          ctx.lineWidth = 0.3 + 3.2 * s;
          ctx.beginPath();
          for (const e of top) {
            const v = W[e];
            if ((v < 0 ? -1 : 1) !== sign || Math.min(9, Math.floor((10 * Math.abs(v)) / max)) !== level) continue;
            const i = Math.floor(e / nOut), j = e % nOut, mid = (src[i].r + dst[j].l) / 2;
            ctx.moveTo(src[i].r + 1, src[i].y);
            ctx.bezierCurveTo(mid, src[i].y, mid, dst[j].y, dst[j].l - 1, dst[j].y);
          }
          ctx.stroke();
        }
      }
    });
    return { drawn, total };
  }

  // Redraw the unit pictures and edges of one frame.
  function draw(net, frame, spec, handlers) {
    const key = `${spec.allFeatures.join()}|${spec.features.join()}|${spec.hidden.map((h) => `${h.units} ${h.name}`).join("-")}` +
      `|${spec.classes}|${I18n.lang}|${net.parentElement.clientWidth}`;
    if (net.dataset.key !== key) {
      build(net, spec, handlers);
      net.anchors = null;
      net.dataset.key = key;
    }
    const cols = net.querySelectorAll(".layer");
    let dead = 0;
    spec.hidden.forEach((h, i) => {
      const values = Draw.bytes(h.values, true);
      const relu = /relu/i.test(actName(h)) && !/leaky/i.test(actName(h));
      const units = cols[i + 1].querySelector(".units");
      const size = parseFloat(getComputedStyle(units).getPropertyValue("--u"));
      units.querySelectorAll("canvas").forEach((c, j) => {
        if (isDead(h, j)) {
          dead += 1;
          Draw.deadThumb(c, size);
          c.title = t(relu ? "net.dead_relu" : "net.dead_unit", { j: j + 1 });
        } else {
          Draw.thumb(c, size, Draw.unitImage(values, j, h.res));
          c.title = t("net.unit.title", { j: j + 1, scale: h.scale[j].toFixed(3) });
        }
      });
    });
    if (frame.boundary) {
      const names = spec.classNames;
      cols[cols.length - 1].querySelectorAll("canvas").forEach((c, k) => {
        const size = parseFloat(getComputedStyle(c.parentElement).getPropertyValue("--u"));
        Draw.thumb(c, size, Draw.channelImage(frame.boundary, k));
        c.title = t("net.class.title", { name: names[k] });
      });
    }
    const e = edges(net, frame.weights);
    return { dead, ...e };
  }

  return { draw, featureLabel, setLabels, isDead, actName };
})();
