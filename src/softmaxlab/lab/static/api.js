/* softmaxlab lab: calls to the server, and its errors in the page's language.
   A refused request answers {"error": {"code", "message", "field", "params"}};
   the page translates by `code` and falls back to the English `message`. */
"use strict";

const Api = (() => {
  const TOKEN = document.querySelector('meta[name="softmaxlab-token"]').content;
  const t = (k, p) => I18n.t(k, p);

  class LabError extends Error {
    constructor(message, { code = null, field = null, params = {}, status = 0, settings = null } = {}) {
      super(message);
      Object.assign(this, { code, field, params: params || {}, status, settings });
    }
  }

  // The error object of a response body (older servers sent a plain string).
  function parseError(data, status) {
    const e = data && data.error;
    if (e && typeof e === "object") {
      return new LabError(e.message || String(e.code), { code: e.code, field: e.field, params: e.params,
                                                         status, settings: data.settings || null });
    }
    return new LabError(typeof e === "string" ? e : String(data), { field: data && data.field, status,
                                                                   settings: (data && data.settings) || null });
  }

  async function call(path, { method = "POST", body, raw = false, query = "" } = {}) {
    const opts = { method, headers: { "X-Softmaxlab-Token": TOKEN } };
    if (body !== undefined) {
      opts.body = raw ? body : JSON.stringify(body);
      opts.headers["Content-Type"] = raw ? "text/csv" : "application/json";
    }
    let r;
    try {
      r = await fetch(path + query, opts);
    } catch (e) {
      throw new LabError("the lab server does not answer; is `softmaxlab lab` still running?",
                         { code: "no_server" });
    }
    const type = r.headers.get("content-type") || "";
    const data = type.includes("json") ? await r.json() : await r.text();
    if (!r.ok) throw parseError(data, r.status);
    return data;
  }

  // A value as a message shows it: lists joined, strings quoted.
  const show = (v) => (v === null || v === undefined ? undefined : Array.isArray(v) ? v.join(", ") :
    typeof v === "string" ? `“${v}”` : String(v));
  const settingName = (f) => (f && I18n.has(`setting.${f}`) ? t(`setting.${f}`) : f || undefined);

  // The message of an error in the page's language; the server's English
  // message when the code is unknown or a placeholder has no value.
  function message(err) {
    const code = err.code, key = `error.${code}`;
    if (!code || !I18n.has(key)) return err.message;
    const p = err.params || {};
    const params = {
      ...Object.fromEntries(Object.entries(p).map(([k, v]) => [k, show(v)])),
      setting: settingName(p.field || err.field),
      value: show(p.value), kept: show(p.kept),
      range: p.low === undefined ? undefined : `${p.open_low ? "(" : "["}${p.low}, ${p.high}]`,
      values: Array.isArray(p.values) ? p.values.join(", ") : show(p.values),
      operation: p.operation ? t(`op.${p.operation}`) : undefined,
      limit_mib: p.limit_bytes ? Math.round(p.limit_bytes / 2 ** 20) : undefined,
      limit_kb: p.limit_bytes ? Math.round(p.limit_bytes / 1024) : undefined,
    };
    const needed = (t(key).match(/\{(\w+)\}/g) || []).map((m) => m.slice(1, -1));
    if (needed.some((k) => params[k] === undefined || params[k] === "")) return err.message;
    return t(key, params);
  }

  // A frame's message ({level, code, text, params}) in the page's language.
  function frameMessage(m) {
    return message(new LabError(m.text, { code: m.code, params: m.params }));
  }

  return { TOKEN, LabError, call, message, frameMessage, settingName };
})();
