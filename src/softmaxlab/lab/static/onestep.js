/* softmaxlab lab: the "Inside one step" panel. It prints the arrays the
   server took from the engine's layers for one point; it computes nothing. */
"use strict";

const OneStep = (() => {
  const t = (k, p) => I18n.t(k, p);
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
  function cell(v, scale, title, attrs = "") {
    const a = scale > 0 ? Math.min(1, Math.abs(v) / scale) : 0;
    const c = v < 0 ? Draw.NEG : Draw.POS;
    const bg = `rgba(${c[0]},${c[1]},${c[2]},${(0.08 + 0.5 * a).toFixed(3)})`;
    return `<span class="cell" style="background:${bg}" title="${esc(title || "")}"${attrs}>${fmt(v)}</span>`;
  }

  function vector(values, label) {
    const scale = Math.max(...values.map(Math.abs), 0);
    return `<div class="vec">${values.map((v, j) => cell(v, scale, `${label}[${j + 1}] = ${v}`)).join("")}</div>`;
  }

  function classChip(k, name) {
    return `<span class="chip" style="--c:${Draw.classColor(k)}">${esc(name)}</span>`;
  }

  // The output layer's inputs: hidden units h_j, or the features themselves
  // (x₁, x₂, ...) when the model is softmax regression.
  function inputLabel(info, inputs, j) {
    if (info.output_layer === 0) {
      return inputs && inputs[j] ? Network.featureLabel(inputs[j]) : `x<sub>${j + 1}</sub>`;
    }
    return `h<sub>${j + 1}</sub>`;
  }

  function outputTable(info, classes) {
    const rows = info.logits.map((z, k) => {
      const mine = k === info.label_index ? " class=\"true\"" : "";
      return `<tr${mine}><td>${classChip(k, classes[k])}</td><td>${fmt(z)}</td>` +
        `<td>${fmt(info.proba[k], true)}</td><td>${info.onehot[k]}</td><td>${fmt(info.dlogits[k])}</td></tr>`;
    }).join("");
    return `<div class="table-scroll"><table class="num-table"><thead><tr><th>${t("os.class")}</th><th>${t("os.logit")}</th>` +
      `<th><i>q</i> = softmax(<i>z</i>)</th><th>onehot(<i>y</i>)</th>` +
      `<th><i>q</i> &minus; onehot</th></tr></thead><tbody>${rows}</tbody></table></div>`;
  }

  function gradTable(info, classes, inputs, pick) {
    const W = info.grad_W, C = classes.length;
    const scale = Math.max(...W.flat().map(Math.abs), 0);
    const name = info.output_layer === 0 ? "x" : "h";
    const head = classes.map((c, k) => `<th>${classChip(k, c)}<br><small>${fmt(info.dlogits[k])}</small></th>`).join("");
    const rows = W.map((row, j) => `<tr><th><small>${inputLabel(info, inputs, j)}</small> ${fmt(info.hidden[j])}</th>` +
      row.map((v, k) => `<td${pick && pick[0] === j && pick[1] === k ? ' class="picked"' : ""}>` +
        cell(v, scale, `dL/dW[${j + 1},${k + 1}] = ${v}`, ` data-j="${j}" data-k="${k}"`) + "</td>").join("") + "</tr>").join("");
    const b = info.grad_b.map((v) => `<td>${fmt(v)}</td>`).join("");
    return `<div class="grad-wrap"><table class="num-table grad"><thead><tr><th><i>${name}</i> \\ <i>q</i>&minus;onehot</th>${head}</tr></thead>` +
      `<tbody>${rows}<tr class="bias"><th>&part;L/&part;b</th>${b}</tr></tbody></table></div>` +
      `<p class="hint">${t("os.outer", { rows: W.length, cols: C, v: name })}</p>`;
  }

  function render(el, info, classes, inputs) {
    const split = t(info.split === "train" ? "os.split.train" : "os.split.validation");
    const ok = info.predicted === info.label_index;
    const layers = info.layers;
    const pick = Update.pick(info);
    const forward = layers.map((l, i) => `<div class="layer-row"><span class="lname">${i + 1}. ${esc(l.name)}</span>` +
      vector(l.output, "out") + "</div>").join("");
    const backward = layers.map((l, i) => ({ l, i })).reverse().map(({ l, i }) =>
      `<div class="layer-row"><span class="lname">${t("os.delta_into", { name: `${i + 1}. ${esc(l.name)}` })}</span>` +
      vector(l.delta, "delta") + "</div>").join("");
    const qy = info.proba[info.label_index];
    const input = (inputs || []).map((f) => Network.featureLabel(f)).join(", ");
    el.innerHTML = `
      <div class="inspect-head">
        <span>${t("os.point", { n: info.index + 1, split })}</span>
        <span>${t("os.label")} ${classChip(info.label_index, info.label)}</span>
        <span>${t("os.predicted")} ${classChip(info.predicted, classes[info.predicted])}
          <b class="${ok ? "good" : "bad"}">${t(ok ? "os.right" : "os.wrong")}</b></span>
        <span>${t("os.at", { x: fmt(info.point[0]), y: fmt(info.point[1]) })}</span>
        <span>${t("os.input", { values: info.input.map(fmt).join(", ") })}${input ? ` (${input})` : ""}</span>
        <span>${t("os.epoch", { n: info.epoch })}</span>
      </div>
      <div class="inspect-cols">
        <div class="col"><h3>${t("os.forward")}</h3>
          <div class="layer-row"><span class="lname">${t("os.input_x")}</span>${vector(info.input, "x")}</div>
          ${forward}
          <p class="hint">${t("os.forward.hint")}</p>
        </div>
        <div class="col"><h3>${t("os.softmax_loss")}</h3>${outputTable(info, classes)}
          <p class="loss">${t("os.loss")} = &minus;log <i>q<sub>y</sub></i> = &minus;log ${fmt(qy, true)} = <b id="inspect-loss">${fmt(info.loss)}</b></p>
          <h3>${t("os.grad_title")}</h3>${gradTable(info, classes, inputs, pick)}
        </div>
        <div class="col"><h3>${t("os.backward")}</h3>${backward}
          <p class="hint">${t("os.backward.hint")}</p>
        </div>
      </div>
      ${Update.render(info, classes, inputs, pick)}
      <p class="hint source">${t("os.source")}</p>`;
  }

  return { render, fmt, esc, cell, classChip, inputLabel };
})();
