/* softmaxlab lab: the end of one step, the optimizer's update of the output
   layer, from the server's `update` payload: for SGD W ← W − lr·∂L/∂W, with
   momentum the velocity, for Adam m̂, v̂ and the step; each for the clicked
   point alone and for the mean over the next minibatch (what Step trains).
   Every number is the server's; nothing is recomputed here. */
"use strict";

const Update = (() => {
  const t = (k, p) => I18n.t(k, p);
  let chosen = null;  // [j, k]: the entry of W worked out in full

  // Four significant digits, so the worked lines can be checked by hand.
  function f(v) {
    if (v === null || v === undefined || Number.isNaN(v)) return "–";
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e4)) return v.toExponential(3);
    return String(Number(v.toPrecision(4)));
  }
  const paren = (v) => (v < 0 ? `(${f(v)})` : f(v));  // 0.5 − (−0.1), not 0.5 − -0.1
  const at = (M, j, k) => (M && M[j] ? M[j][k] : undefined);

  // The entry to work out: the one the learner clicked, else the largest |∂L/∂W| of the point.
  function pick(info) {
    const W = info.grad_W;
    if (!W || !W.length) return null;
    if (chosen && chosen[0] < W.length && chosen[1] < W[0].length) return chosen;
    let best = [0, 0], top = -1;
    W.forEach((row, j) => row.forEach((v, k) => { if (Math.abs(v) > top) { top = Math.abs(v); best = [j, k]; } }));
    return best;
  }
  const choose = (j, k) => { chosen = [j, k]; };

  // One worked line: the formula with the numbers of entry (j, k).
  function worked(u, part, j, k) {
    const W = at(u.W, j, k), g = at(part.grad_W, j, k), step = at(part.step_W, j, k), nw = at(part.W_new, j, k);
    if (u.optimizer === "adam") {
      const m = at(part.m_hat_W, j, k), v = at(part.v_hat_W, j, k);
      return `m̂ = ${f(m)}, v̂ = ${f(v)}; ${t("up.step")} = lr·m̂/(√v̂ + ε) = ${f(u.lr)} × ${paren(m)} / (${f(Math.sqrt(v))} + ε) = ${f(step)}; ` +
        `W ← ${f(W)} − ${paren(step)} = <b>${f(nw)}</b>`;
    }
    if (u.optimizer === "momentum") {
      const v = at(part.velocity_W, j, k);
      return `v ← 0.9·v + ∂L/∂W = ${f(v)} (∂L/∂W = ${f(g)}); W ← W − lr·v = ${f(W)} − ${f(u.lr)} × ${paren(v)} = <b>${f(nw)}</b>`;
    }
    return `W ← W − lr·∂L/∂W = ${f(W)} − ${f(u.lr)} × ${paren(g)} = <b>${f(nw)}</b>`;
  }

  const FORMULA = {
    sgd: "W ← W − lr · ∂L/∂W",
    momentum: "v ← 0.9 · v + ∂L/∂W,  W ← W − lr · v",
    adam: "m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  m̂ = m/(1−β₁ᵗ),  v̂ = v/(1−β₂ᵗ),  W ← W − lr · m̂/(√v̂ + ε)",
  };

  // Columns of the table for one part (point or batch mean).
  function cols(u) {
    const c = [["grad", "∂L/∂θ"]];
    if (u.optimizer === "momentum") c.push(["velocity", "v"]);
    if (u.optimizer === "adam") c.push(["m_hat", "m̂"], ["v_hat", "v̂"]);
    c.push(["step", t("up.step")], ["new", t("up.new")]);
    return c;
  }
  function value(part, key, which, j, k) {  // which: "W" (entry j,k) or "b" (entry k)
    const name = { grad: "grad_", velocity: "velocity_", m_hat: "m_hat_", v_hat: "v_hat_", step: "step_", new: "" }[key];
    if (key === "new") return which === "W" ? at(part.W_new, j, k) : (part.b_new || [])[k];
    const arr = part[`${name}${which}`];
    return which === "W" ? at(arr, j, k) : (arr || [])[k];
  }

  function table(info, classes, inputs, u, j) {
    const c = cols(u), C = classes.length;
    const parts = [["point", u.point], ["batch", u.batch_mean]];
    const head = `<tr><th rowspan="2">${t("up.entry")}</th><th rowspan="2">${t("up.now")}</th>` +
      parts.map(([n]) => `<th colspan="${c.length}">${t(`up.part.${n}`)}</th>`).join("") + "</tr><tr>" +
      parts.map(() => c.map(([, label]) => `<th>${label}</th>`).join("")).join("") + "</tr>";
    const row = (label, now, which, k) => `<tr><th>${label}</th><td>${f(now)}</td>` +
      parts.map(([, p]) => c.map(([key]) => `<td${key === "new" ? ' class="new"' : ""}>${f(value(p || {}, key, which, j, k))}</td>`).join("")).join("") + "</tr>";
    const rowsW = Array.from({ length: C }, (_, k) =>
      row(`W[${OneStep.inputLabel(info, inputs, j)}, ${OneStep.classChip(k, classes[k])}]`, at(u.W, j, k), "W", k)).join("");
    const rowsB = Array.from({ length: C }, (_, k) =>
      row(`b[${OneStep.classChip(k, classes[k])}]`, (u.b || [])[k], "b", k)).join("");
    return `<div class="table-scroll"><table class="num-table update"><thead>${head}</thead>` +
      `<tbody>${rowsW}</tbody><tbody class="bias">${rowsB}</tbody></table></div>`;
  }

  function render(info, classes, inputs, p) {
    const u = info.update;
    if (!u || !p) return "";
    const [j, k] = p;
    const b = u.batch || {};
    const inBatch = b.contains_point ? t("up.batch.in") : t("up.batch.out");
    const entry = `W[${OneStep.inputLabel(info, inputs, j)}, ${OneStep.classChip(k, classes[k])}]`;
    return `<div class="update-view"><h3>${t("up.title")}</h3>
      <p><b>${t(`up.opt.${u.optimizer}`)}</b>: <code>${FORMULA[u.optimizer] || ""}</code>,
        lr = ${f(u.lr)}${u.weight_decay ? `, ${t("up.l2", { l2: f(u.weight_decay) })}` : ""}${u.optimizer === "adam" ? `, t = ${u.t}` : ""}</p>
      <p class="hint">${t("up.batch", { index: (b.index ?? 0) + 1, of: b.of ?? "–", size: b.size ?? "–", inside: inBatch })}</p>
      <div class="worked"><div>${t("up.worked", { entry })}</div>
        <div><span class="part">${t("up.part.point")}</span> ${worked(u, u.point || {}, j, k)}</div>
        <div><span class="part">${t("up.part.batch")}</span> ${worked(u, u.batch_mean || {}, j, k)}</div></div>
      ${table(info, classes, inputs, u, j)}
      <p class="hint">${t("up.hint")}</p></div>`;
  }

  return { render, pick, choose };
})();
