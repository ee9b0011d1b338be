/* softmaxlab lab: drawing. Everything here maps numbers the server sent to
   colours and pixels; no model maths is done in the browser. */
"use strict";

const Draw = (() => {
  // Eight class colours that stay apart when mixed with white. None is a
  // purple or a green: those two are the hidden units' diverging map, so a
  // unit's picture is never mistaken for a class.
  const CLASS_RGB = [
    [232, 131, 58], [59, 125, 216], [214, 51, 60], [222, 178, 20],
    [23, 178, 200], [140, 90, 50], [110, 110, 110], [30, 50, 110],
  ];
  const NEG = [118, 42, 131], POS = [27, 120, 55];  // hidden units and weights: < 0 purple, > 0 green

  const css = (rgb, a = 1) => `rgba(${rgb[0]},${rgb[1]},${rgb[2]},${a})`;
  const classColor = (k, a = 1) => css(CLASS_RGB[k % CLASS_RGB.length], a);

  function bytes(b64, signed) {
    const s = atob(b64);
    const out = signed ? new Int8Array(s.length) : new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }

  // base64 of little-endian float32 values.
  function floats(b64) {
    const u = bytes(b64, false);
    return new Float32Array(u.buffer, u.byteOffset, u.length / 4);
  }

  function fitCanvas(canvas, w, h) {
    const r = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(w * r) || canvas.height !== Math.round(h * r)) {
      canvas.width = Math.round(w * r);
      canvas.height = Math.round(h * r);
      canvas.style.width = w + "px";
      canvas.style.height = h + "px";
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(r, 0, 0, r, 0, 0);
    return ctx;
  }

  // The probabilities as colour: the class colours mixed by q, faded to white
  // as q approaches uniform, so an untrained model shows a white plane.
  function probImage(boundary, discrete = false) {
    const { res, classes } = boundary;
    const q = bytes(boundary.probs, false);
    const img = new ImageData(res, res);
    const uniform = 1 / classes;
    for (let i = 0; i < res * res; i++) {
      let r = 0, g = 0, b = 0, top = 0, best = 0;
      for (let k = 0; k < classes; k++) {
        const p = q[i * classes + k] / 255;
        const c = CLASS_RGB[k % CLASS_RGB.length];
        r += p * c[0]; g += p * c[1]; b += p * c[2];
        if (p > top) { top = p; best = k; }
      }
      let a = 0.7 * Math.max(0, (top - uniform) / (1 - uniform));
      if (discrete) {  // the predicted class only, in one flat shade
        [r, g, b] = CLASS_RGB[best % CLASS_RGB.length];
        a = 0.45;
      }
      img.data[4 * i] = 255 * (1 - a) + r * a;
      img.data[4 * i + 1] = 255 * (1 - a) + g * a;
      img.data[4 * i + 2] = 255 * (1 - a) + b * a;
      img.data[4 * i + 3] = 255;
    }
    return img;
  }

  function channelImage(boundary, k) {
    const { res, classes } = boundary;
    const q = bytes(boundary.probs, false);
    const img = new ImageData(res, res);
    const c = CLASS_RGB[k % CLASS_RGB.length];
    for (let i = 0; i < res * res; i++) {
      const p = q[i * classes + k] / 255;
      for (let j = 0; j < 3; j++) img.data[4 * i + j] = 255 * (1 - p) + c[j] * p;
      img.data[4 * i + 3] = 255;
    }
    return img;
  }

  function unitImage(values, unit, res) {
    const img = new ImageData(res, res);
    const off = unit * res * res;
    for (let i = 0; i < res * res; i++) {
      const v = values[off + i] / 127;
      const c = v < 0 ? NEG : POS, a = Math.min(1, Math.abs(v));
      for (let j = 0; j < 3; j++) img.data[4 * i + j] = 255 * (1 - a) + c[j] * a;
      img.data[4 * i + 3] = 255;
    }
    return img;
  }

  const scratch = document.createElement("canvas");
  function blit(ctx, img, x, y, w, h) {
    // Resizing a canvas clears and reallocates it: only when the size changes.
    if (scratch.width !== img.width || scratch.height !== img.height) {
      scratch.width = img.width; scratch.height = img.height;
    }
    scratch.getContext("2d").putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(scratch, x, y, w, h);
  }

  // Data coordinates <-> canvas pixels for the square plane [x0,x1]x[y0,y1].
  function projector(extent, size) {
    const [x0, x1, y0, y1] = extent;
    return {
      px: (x) => ((x - x0) / (x1 - x0)) * size,
      py: (y) => ((y1 - y) / (y1 - y0)) * size,
      inv: (px, py) => [x0 + (px / size) * (x1 - x0), y1 - (py / size) * (y1 - y0)],
    };
  }

  // opts: selected (index), showVal (draw validation points), discrete,
  // image (an ImageData drawn instead of the probabilities: a hovered unit).
  function plane(canvas, size, data, boundary, opts = {}) {
    const { selected = null, showVal = true, discrete = false, image = null } = opts;
    const ctx = fitCanvas(canvas, size, size);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, size, size);
    if (image) blit(ctx, image, 0, 0, size, size);
    else if (boundary) blit(ctx, probImage(boundary, discrete), 0, 0, size, size);
    if (!data) return;
    const p = projector(data.extent, size);
    ctx.strokeStyle = "rgba(0,0,0,0.06)";
    ctx.lineWidth = 1;
    for (let t = 1; t < 8; t++) {  // a light grid for orientation
      ctx.beginPath(); ctx.moveTo((t * size) / 8, 0); ctx.lineTo((t * size) / 8, size); ctx.stroke();
      ctx.beginPath(); ctx.moveTo(0, (t * size) / 8); ctx.lineTo(size, (t * size) / 8); ctx.stroke();
    }
    const n = data.x.length, r = n > 1200 ? 2.6 : 3.4;
    for (let i = 0; i < n; i++) {
      if (!showVal && i >= data.n_train) break;  // validation points come last
      const x = p.px(data.x[i]), y = p.py(data.y[i]), k = data.label[i];
      ctx.beginPath();
      ctx.arc(x, y, r, 0, 2 * Math.PI);
      if (i < data.n_train) {  // training: filled
        ctx.fillStyle = classColor(k); ctx.fill();
        ctx.lineWidth = 0.8; ctx.strokeStyle = "rgba(255,255,255,0.9)"; ctx.stroke();
      } else {  // validation: ringed
        ctx.fillStyle = "rgba(255,255,255,0.95)"; ctx.fill();
        ctx.lineWidth = 1.8; ctx.strokeStyle = classColor(k); ctx.stroke();
      }
    }
    if (selected != null && selected < n) {
      const x = p.px(data.x[selected]), y = p.py(data.y[selected]);
      ctx.lineWidth = 2.2; ctx.strokeStyle = "#111";
      ctx.beginPath(); ctx.arc(x, y, r + 5, 0, 2 * Math.PI); ctx.stroke();
    }
  }

  function thumb(canvas, size, img) {
    const ctx = fitCanvas(canvas, size, size);
    blit(ctx, img, 0, 0, size, size);
  }

  // A unit that is 0 everywhere: light grey, hatched, never blank.
  function deadThumb(canvas, size) {
    const ctx = fitCanvas(canvas, size, size);
    ctx.fillStyle = "#eef0f3"; ctx.fillRect(0, 0, size, size);
    ctx.strokeStyle = "#b6bcc6"; ctx.lineWidth = 1;
    for (let d = -size; d < size; d += 5) {
      ctx.beginPath(); ctx.moveTo(d, size); ctx.lineTo(d + size, 0); ctx.stroke();
    }
  }

  // Pictures of the input features over the plane (decoration: the plane
  // spans about -2..2 standardised units, the features are scaled to |v| <= 1).
  const FEATURES = {
    x1: (a) => a / 2, x2: (a, b) => b / 2, x1_sq: (a) => (a * a) / 4 - 0.5,
    x2_sq: (a, b) => (b * b) / 4 - 0.5, x1_x2: (a, b) => (a * b) / 4,
    sin_x1: (a) => Math.sin(a), sin_x2: (a, b) => Math.sin(b),
  };
  function featureImage(which, res) {
    const img = new ImageData(res, res);
    const f = FEATURES[which] || FEATURES.x1;
    for (let r = 0; r < res; r++) {
      for (let c = 0; c < res; c++) {
        const v = Math.max(-1, Math.min(1, f((4 * c) / (res - 1) - 2, 2 - (4 * r) / (res - 1))));
        const col = v < 0 ? NEG : POS, a = Math.abs(v);
        const i = r * res + c;
        for (let j = 0; j < 3; j++) img.data[4 * i + j] = 255 * (1 - a) + col[j] * a;
        img.data[4 * i + 3] = 255;
      }
    }
    return img;
  }

  // Pictograms of the generators for the data buttons (decoration only).
  function icon(canvas, kind) {
    const ctx = fitCanvas(canvas, 44, 44);
    ctx.fillStyle = "#f7f8fa"; ctx.fillRect(0, 0, 44, 44);
    const dot = (x, y, k) => {
      ctx.beginPath(); ctx.arc(22 + x * 17, 22 - y * 17, 1.9, 0, 2 * Math.PI);
      ctx.fillStyle = classColor(k); ctx.fill();
    };
    let seed = 7;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    if (kind === "spiral") {
      for (let k = 0; k < 3; k++) for (let i = 0; i < 18; i++) {
        const r = i / 17, t = 2 * Math.PI * (r + k / 3);
        dot(r * Math.sin(t), r * Math.cos(t), k);
      }
    } else if (kind === "circles") {
      for (let i = 0; i < 22; i++) {
        const t = (2 * Math.PI * i) / 22;
        dot(Math.cos(t), Math.sin(t), 0); if (i % 2) dot(0.45 * Math.cos(t), 0.45 * Math.sin(t), 1);
      }
    } else if (kind === "xor") {
      for (let i = 0; i < 40; i++) {
        const x = 2 * rnd() - 1, y = 2 * rnd() - 1; dot(x, y, x * y > 0 ? 0 : 1);
      }
    } else if (kind === "moons") {
      for (let i = 0; i < 16; i++) {
        const t = (Math.PI * i) / 15;
        dot(0.55 * Math.cos(t) - 0.28, 0.55 * Math.sin(t) - 0.1, 0);
        dot(0.28 - 0.55 * Math.cos(t), 0.1 - 0.55 * Math.sin(t) + 0.1, 1);
      }
    } else if (kind === "blobs") {
      for (let k = 0; k < 3; k++) for (let i = 0; i < 12; i++) {
        const a = (2 * Math.PI * k) / 3;
        dot(0.6 * Math.cos(a) + 0.3 * (rnd() - 0.5), 0.6 * Math.sin(a) + 0.3 * (rnd() - 0.5), k);
      }
    } else {
      ctx.fillStyle = "#6b7280"; ctx.font = "bold 12px system-ui, sans-serif";
      ctx.textAlign = "center"; ctx.fillText("CSV", 22, 26);
    }
  }

  return { CLASS_RGB, classColor, bytes, floats, fitCanvas, plane, thumb, deadThumb, unitImage,
           channelImage, featureImage, projector, icon, NEG, POS, css };
})();
