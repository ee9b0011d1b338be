/* softmaxlab lab: the "Inside one step" panel. It prints the arrays the
   server took from the engine's layers for one point; it computes nothing. */
"use strict";

const OneStep = (() => {
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;",
    ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

  function fmt(v, prob = false) {
    if (v === null || v === undefined || Number.isNaN(v)) return "–";
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e4)) return v.toExponential(2);
    // A probability next to 1 keeps the digits that say how far from 1 it is.
    if (prob && a > 0.9995 && a < 1) return v.toFixed(Math.min(9, Math.ceil(-Math.log10(1 - a)) + 2));
    return v.toFixed(a >= 100 ? 1 : 3);
  }

  // One value as a cell coloured by its sign and size within its vector.
  function cell(v, scale, title) {
    const a = scale > 0 ? Math.min(1, Math.abs(v) / scale) : 0;
    const c = v < 0 ? Draw.NEG : Draw.POS;
    const bg = `rgba(${c[0]},${c[1]},${c[2]},${(0.08 + 0.55 * a).toFixed(3)})`;
    return `<span class="cell" style="background:${bg}" title="${esc(title || "")}">${fmt(v)}</span>`;
  }

  function vector(values, label) {
    const scale = Math.max(...values.map(Math.abs), 0);
    return `<div class="vec">${values.map((v, j) => cell(v, scale, `${label}[${j + 1}] = ${v}`)).join("")}</div>`;
  }

  function classChip(k, name) {
    return `<span class="chip" style="--c:${Draw.classColor(k)}">${esc(name)}</span>`;
  }

  function outputTable(info, classes) {
    const rows = info.logits.map((z, k) => {
      const mine = k === info.label_index ? " class=\"true\"" : "";
      return `<tr${mine}><td>${classChip(k, classes[k])}</td><td>${fmt(z)}</td>` +
        `<td>${fmt(info.proba[k], true)}</td><td>${info.onehot[k]}</td><td>${fmt(info.dlogits[k])}</td></tr>`;
    }).join("");
    return `<table class="num-table"><thead><tr><th>class</th><th>logit <i>z</i></th>` +
      `<th><i>q</i> = softmax(<i>z</i>)</th><th>onehot(<i>y</i>)</th>` +
      `<th><i>q</i> &minus; onehot</th></tr></thead><tbody>${rows}</tbody></table>`;
  }

  function gradTable(info, classes) {
    const W = info.grad_W, C = classes.length;
    const scale = Math.max(...W.flat().map(Math.abs), 0);
    const head = classes.map((c, k) => `<th>${classChip(k, c)}<br><small>${fmt(info.dlogits[k])}</small></th>`).join("");
    const rows = W.map((row, j) => `<tr><th><small>h<sub>${j + 1}</sub></small> ${fmt(info.hidden[j])}</th>` +
      row.map((v, k) => `<td>${cell(v, scale, `dL/dW[${j + 1},${k + 1}] = ${v}`)}</td>`).join("") + "</tr>").join("");
    const b = info.grad_b.map((v) => `<td>${fmt(v)}</td>`).join("");
    return `<div class="grad-wrap"><table class="num-table grad"><thead><tr><th><i>h</i> \\ <i>q</i>&minus;onehot</th>${head}</tr></thead>` +
      `<tbody>${rows}<tr class="bias"><th>&part;L/&part;b</th>${b}</tr></tbody></table></div>` +
      `<p class="hint">${W.length} &times; ${C} = the outer product <i>h</i>&#x1D40;(<i>q</i> &minus; onehot):` +
      ` row <i>j</i> is h<sub>j</sub> times the column's q &minus; onehot.</p>`;
  }

  function render(el, info, classes) {
    const split = info.split === "train" ? "training" : "validation";
    const ok = info.predicted === info.label_index;
    const layers = info.layers;
    const forward = layers.map((l, i) => `<div class="layer-row"><span class="lname">${i + 1}. ${esc(l.name)}</span>` +
      vector(l.output, "out") + "</div>").join("");
    const backward = layers.map((l, i) => ({ l, i })).reverse().map(({ l, i }) =>
      `<div class="layer-row"><span class="lname">&delta; into ${i + 1}. ${esc(l.name)}</span>` +
      vector(l.delta, "delta") + "</div>").join("");
    const qy = info.proba[info.label_index];
    el.innerHTML = `
      <div class="inspect-head">
        <span>Point <b>#${info.index + 1}</b> (${split})</span>
        <span>label ${classChip(info.label_index, info.label)}</span>
        <span>predicted ${classChip(info.predicted, classes[info.predicted])}
          <b class="${ok ? "good" : "bad"}">${ok ? "right" : "wrong"}</b></span>
        <span>at (${fmt(info.point[0])}, ${fmt(info.point[1])})</span>
        <span>model input <i>x</i> = (${info.input.map(fmt).join(", ")}) after standardisation</span>
        <span>epoch ${info.epoch}</span>
      </div>
      <div class="inspect-cols">
        <div class="col"><h3>Forward pass</h3>
          <div class="layer-row"><span class="lname">input <i>x</i></span>${vector(info.input, "x")}</div>
          ${forward}
          <p class="hint">Each row is that layer's <code>forward</code> output; the last is the logits <i>z</i>.</p>
        </div>
        <div class="col"><h3>Softmax and loss</h3>${outputTable(info, classes)}
          <p class="loss">loss = &minus;log <i>q<sub>y</sub></i> = &minus;log ${fmt(qy, true)} = <b id="inspect-loss">${fmt(info.loss)}</b></p>
          <h3>Output layer's gradient</h3>${gradTable(info, classes)}
        </div>
        <div class="col"><h3>Backward pass</h3>${backward}
          <p class="hint">Each row is what that layer's <code>backward</code> returned: &part;L/&part;(its input).
            The first one starts from <i>q</i> &minus; onehot.</p>
        </div>
      </div>
      <p class="hint source">From <code>layer.forward</code> and <code>layer.backward</code> of the live model on this one
        point (dropout off), the fused <code>SoftmaxCrossEntropy</code> and <code>softmaxlab.nn.softmax</code>:
        the numbers the engine computes. They update while training runs.</p>`;
  }

  function gradcheck(el, res) {
    const rows = Object.entries(res.errors).map(([k, v]) =>
      `<tr><td><code>${esc(k)}</code></td><td>${v.toExponential(2)}</td>` +
      `<td class="${v < res.tolerance ? "good" : "bad"}">${v < res.tolerance ? "ok" : "FAIL"}</td></tr>`).join("");
    el.innerHTML = `<p class="verdict ${res.passed ? "good" : "bad"}">${res.passed ? "PASS" : "FAIL"}:
      max relative error ${res.max_error.toExponential(2)} (tolerance ${res.tolerance.toExponential(0)}),
      ${res.n_params} parameters, ${res.n_points} training points</p>
      <table class="num-table"><thead><tr><th>parameter</th><th>relative error</th><th></th></tr></thead>
      <tbody>${rows}</tbody></table>`;
  }

  return { render, gradcheck, fmt, esc };
})();
