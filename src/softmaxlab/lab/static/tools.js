/* softmaxlab lab: the long operations (the gradient check, saving a run
   folder). The server runs at most one per session; while one runs the page
   disables both buttons, shows its progress and a Cancel button, and says
   so clearly if the server answers 409. */
"use strict";

const LongOps = (() => {
  const t = (k, p) => I18n.t(k, p);
  const esc = (s) => OneStep.esc(s);
  const exp = (v, d = 2) => (typeof v === "number" ? v.toExponential(d) : "–");

  // The verdict: what was compared, and how large the error is.
  function verdict(el, res) {
    const params = res.parameters || Object.entries(res.errors || {}).map(([name, error]) =>
      ({ name, error, passed: error < res.tolerance }));
    const method = res.method && I18n.has(`gc.method.${res.method}`) ? t(`gc.method.${res.method}`) : res.method || "";
    const rows = params.map((p) => `<tr><td><code>${esc(p.name)}</code></td>` +
      `<td>${p.shape ? p.shape.join(" × ") : "–"}</td><td>${p.checked ?? "–"}</td>` +
      `<td>${exp(p.norm_analytic)}</td><td>${exp(p.norm_numeric)}</td><td>${exp(p.error)}</td>` +
      `<td class="${p.passed ? "good" : "bad"}">${!p.passed ? t("gc.fail") : p.resolved === false ? t("gc.tiny") : t("gc.ok")}</td></tr>`).join("");
    el.innerHTML = `<p class="verdict ${res.passed ? "good" : "bad"}">` +
      t(res.passed ? "gc.pass" : "gc.failed", { error: exp(res.max_error), tolerance: exp(res.tolerance, 0) }) + "</p>" +
      `<p class="hint">${t("gc.compared", { checked: res.n_checked ?? res.n_params, n_params: res.n_params,
        eps: exp(res.eps, 0), n_points: res.n_points, dtype: res.dtype || "float64" })}` +
      (method ? ` ${t("gc.measure", { method: esc(method) })}` : "") +
      (res.atol !== undefined ? ` ${t("gc.rule", { tolerance: exp(res.tolerance, 0), atol: exp(res.atol, 0) })}` : "") +
      (res.n_small ? ` ${t("gc.small", { n: res.n_small })}` : "") +
      (res.epoch !== undefined ? ` ${t("gc.epoch", { epoch: res.epoch })}` : "") + "</p>" +
      `<div class="table-scroll"><table class="num-table"><thead><tr><th>${t("gc.col.param")}</th>` +
      `<th>${t("gc.col.shape")}</th><th>${t("gc.col.checked")}</th><th>‖g‖</th><th>‖ĝ‖</th>` +
      `<th>${t("gc.col.error")}</th><th></th></tr></thead><tbody>${rows}</tbody></table></div>`;
  }

  function create({ api, report, banner, $, state }) {
    let running = null, started = 0, timer = null, serverOp = null;

    function show() {
      const op = running || (serverOp && (serverOp.kind || serverOp));
      $("gradcheck").disabled = !!op;
      $("save-run").disabled = !!op;
      $("cancel-op").hidden = !op;
      $("op-progress").hidden = !op;
      if (!op) return;
      const p = serverOp && typeof serverOp === "object" ? serverOp : {};
      const known = typeof p.done === "number" && p.total;
      $("op-bar").parentElement.classList.toggle("indeterminate", !known);
      $("op-bar").style.width = known ? `${Math.round((100 * p.done) / p.total)}%` : "";
      const secs = running ? ((performance.now() - started) / 1000).toFixed(1) : "";
      $("op-text").textContent = known ? t("op.progress", { operation: t(`op.${op}`), done: p.done, total: p.total })
        : t("op.running", { operation: t(`op.${op}`), seconds: secs });
    }

    async function run(kind, path, done) {
      if (running) return;
      running = kind;
      started = performance.now();
      timer = setInterval(show, 250);
      show();
      try {
        done(await api(path));
      } catch (e) {
        if (e.code === "cancelled") banner(t("op.cancelled", { operation: t(`op.${kind}`) }), "info");
        else report(e);
      } finally {
        running = null;
        clearInterval(timer);
        show();
      }
    }

    return {
      gradcheck() {
        $("gradcheck-result").innerHTML = "";
        state.gradcheck = null;
        return run("gradcheck", "gradcheck", (r) => { state.gradcheck = r; verdict($("gradcheck-result"), r); });
      },
      saveRun() {
        return run("run_folder", "run-folder", (r) => {
          state.saved = r.path;
          $("export-status").innerHTML = t("tools.saved", { path: `<code>${esc(r.path)}</code>` });
        });
      },
      async cancel() {
        try { await api("cancel"); } catch (e) { report(e); }
      },
      frame(f) { serverOp = f.operation || null; show(); },
      relabel() {
        if (state.gradcheck) verdict($("gradcheck-result"), state.gradcheck);
        if (state.saved) $("export-status").innerHTML = t("tools.saved", { path: `<code>${esc(state.saved)}</code>` });
        show();
      },
    };
  }

  return { create, verdict };
})();
